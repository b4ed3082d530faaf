//! One module per sender, and the one table that detection walks.
//!
//! Adding a sender means adding its module and one row to `SENDERS`; nothing
//! else changes. Order matters only for shapes: the more specific sender
//! (Grafana's `alerts` with `orgId`) comes before the more general one.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use crate::builder::Builder;
use crate::ingest::Payload;
use crate::scan::TextPairs;
use crate::{Error, Request, Source};

mod alertmanager;
mod appdynamics;
mod azure_monitor;
mod betterstack;
mod bitbucket;
mod cloudwatch;
mod datadog;
mod dynatrace;
mod elastic;
mod gcp_monitoring;
mod generic;
mod github;
mod grafana;
mod healthchecks;
mod honeycomb;
mod newrelic;
mod opsgenie;
mod pagerduty;
mod pingdom;
mod sentry;
mod splunk_observability;
mod splunk_oncall;
mod uptime_kuma;
mod uptimerobot;
mod zabbix;

/// How one sender is recognised and read.
pub(crate) struct Sender {
    /// The sender's id.
    pub source: Source,
    /// The header rule in words, for explanations ("" when headers cannot tell).
    pub header_rule: &'static str,
    /// Headers that identify the sender; the reason, when they do.
    pub by_header: fn(&Headers<'_, '_>) -> Option<&'static str>,
    /// The shape rule in words, for explanations ("" when the shape cannot tell).
    pub shape_rule: &'static str,
    /// Payload shapes that identify the sender; the reason, when they do.
    pub by_shape: fn(&Payload<'_>) -> Option<&'static str>,
    /// Reads the payload into alerts; `PayloadMismatch` when it does not fit.
    pub parse: for<'a> fn(&Payload<'a>, &mut Builder<'_, 'a>) -> Result<(), Error>,
}

/// A sender's one-pass reader for a JSON body it is known to have sent (see
/// `alertmanager::one_pass`); `None` when it has only the general path.
/// A one-pass reader gives the builder no text holding a NUL (the scanner
/// leaves those bodies to the general path; `Builder::text_has_no_nul`).
pub(crate) fn one_pass(
    source: Source,
) -> Option<for<'a> fn(&'a str, &mut Builder<'_, 'a>) -> bool> {
    match source {
        Source::Alertmanager | Source::Grafana => Some(alertmanager::one_pass),
        _ => None,
    }
}

/// Every sender, in detection order. `generic` is the fallback and matches nothing itself.
pub(crate) static SENDERS: &[Sender] = &[
    grafana::SENDER,
    alertmanager::SENDER,
    uptime_kuma::SENDER,
    healthchecks::SENDER,
    uptimerobot::SENDER,
    pingdom::SENDER,
    github::SENDER,
    bitbucket::SENDER,
    pagerduty::SENDER,
    opsgenie::SENDER,
    splunk_oncall::SENDER,
    betterstack::SENDER,
    cloudwatch::SENDER,
    azure_monitor::SENDER,
    gcp_monitoring::SENDER,
    sentry::SENDER,
    honeycomb::SENDER,
    newrelic::SENDER,
    datadog::SENDER,
    dynatrace::SENDER,
    appdynamics::SENDER,
    splunk_observability::SENDER,
    elastic::SENDER,
    zabbix::SENDER,
    generic::SENDER,
];

pub(crate) use generic::{human_title, human_title_json};

/// For senders recognised only by their payload.
pub(crate) fn no_header(_: &Headers<'_, '_>) -> Option<&'static str> {
    None
}

/// For senders recognised only by their headers.
pub(crate) fn no_shape(_: &Payload<'_>) -> Option<&'static str> {
    None
}

/// A request's headers as detection reads them: the `User-Agent`, which most
/// senders' rules ask about, is found once rather than once per sender.
pub(crate) struct Headers<'r, 'a> {
    req: &'r Request<'a>,
    user_agent: Option<&'a str>,
}

impl<'r, 'a> Headers<'r, 'a> {
    pub fn new(req: &'r Request<'a>) -> Self {
        Headers {
            req,
            user_agent: req.header("user-agent"),
        }
    }

    /// The first header with this name (case-insensitive), if any.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.req.header(name)
    }

    /// Whether the `User-Agent` starts with `prefix` (ASCII case-insensitive).
    pub fn user_agent_starts_with(&self, prefix: &str) -> bool {
        self.user_agent.is_some_and(|ua| {
            ua.len() >= prefix.len()
                && ua.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        })
    }
}

/// Tags as labels: `key:value` and `key=value` split, a bare tag maps to "".
pub(crate) fn tag_labels<'a>(
    tags: impl Iterator<Item = &'a str>,
) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
    tags.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| match t.split_once([':', '=']) {
            Some((k, v)) if !k.trim().is_empty() => {
                (Cow::Borrowed(k.trim()), Cow::Borrowed(v.trim()))
            }
            _ => (Cow::Borrowed(t), Cow::Borrowed("")),
        })
        .collect()
}

/// Labels read from a tag text by `read` (a [`tag_labels`] over its own split):
/// borrowed from the body when the text is (no copy of each tag), owned when
/// the text was decoded or made.
pub(crate) fn tag_labels_of<'a>(
    tags: Cow<'a, str>,
    read: for<'t> fn(&'t str) -> TextPairs<'t>,
) -> TextPairs<'a> {
    match tags {
        Cow::Borrowed(t) => read(t),
        Cow::Owned(t) => read(&t)
            .into_iter()
            .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
            .collect(),
    }
}

/// The pointer, among `spellings` (`/alert_id`, `/alertId`, `/alert.id` …), of
/// the key the body actually sent, so that `--explain` names it rather than a
/// list of accepted names; the first spelling when none was sent.
pub(crate) fn sent(has: impl Fn(&str) -> bool, spellings: &[&'static str]) -> &'static str {
    spellings
        .iter()
        .find(|p| has(p.get(1..).unwrap_or("")))
        .or_else(|| spellings.first())
        .copied()
        .unwrap_or("")
}
