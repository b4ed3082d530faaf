//! The bodies from before the common alert schema: which one a request
//! carries, and what the three readers share.

use alloc::borrow::Cow;
use alloc::format;
use alloc::vec::Vec;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::Text;
use super::activity::{ActivityEnvelope, activity};
use super::log_search::{LogSearch, LogSearchEnvelope, log_search};
use super::metric::{MetricBody, MetricEnvelope, metric};
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Kind as JsonKind, Probe};
use crate::{Error, Status};

/// Which pre-common-schema body a request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `schemaId: "AzureMonitorMetricAlert"`: a metric alert rule, under `data`.
    Metric,
    /// A classic metric alert: `status` and `context` at the top level.
    Classic,
    /// `schemaId: "Microsoft.Insights/activityLogs"`: an activity log alert, under `data`.
    ActivityLog,
    /// A log search alert: `SearchQuery`, `AlertRuleName`, … at the top level.
    LogSearch,
    /// `schemaId: "Microsoft.Insights/LogAlert"`: the same fields under `data`.
    LogSearchWrapped,
}

impl Kind {
    /// The kind a `schemaId` names, when it names one of these.
    pub(super) fn of_schema(id: Option<&Text<'_>>) -> Option<Kind> {
        let id = id?.as_str().trim();
        let is = |name: &str| id.eq_ignore_ascii_case(name);
        if is("AzureMonitorMetricAlert") {
            Some(Kind::Metric)
        } else if is("Microsoft.Insights/activityLogs") {
            Some(Kind::ActivityLog)
        } else if is("Microsoft.Insights/LogAlert") {
            Some(Kind::LogSearchWrapped)
        } else {
            None
        }
    }

    /// The kind of a body without a `schemaId`.
    pub(super) fn of_body(text: &str, probe: &Probe<'_>) -> Option<Kind> {
        if probe.has("SearchQuery") && probe.has("AlertRuleName") {
            return Some(Kind::LogSearch);
        }
        // `status` and `context` alone are too common; the classic
        // metric condition and an Azure resource field pin it down.
        (probe.is("status", JsonKind::String)
            && probe.is("context", JsonKind::Object)
            && probe
                .typed::<ClassicHead>(text)
                .is_ok_and(|h| h.context.is_classic()))
        .then_some(Kind::Classic)
    }

    /// The shape rule that matched, for explanations.
    pub(super) fn rule(self) -> &'static str {
        match self {
            Kind::Metric => {
                "'schemaId' AzureMonitorMetricAlert with a 'data' object (metric alert without the common schema)"
            }
            Kind::Classic => {
                "'status' with a 'context' holding a metric 'condition' and an Azure resource (classic metric alert)"
            }
            Kind::ActivityLog => {
                "'schemaId' Microsoft.Insights/activityLogs with a 'data' object (activity log alert without the common schema)"
            }
            Kind::LogSearch => {
                "'SearchQuery' with 'AlertRuleName' (log search alert without the common schema)"
            }
            Kind::LogSearchWrapped => {
                "'schemaId' Microsoft.Insights/LogAlert with a 'data' object (log search alert without the common schema)"
            }
        }
    }
}

pub(super) fn by_shape(text: &str, probe: &Probe<'_>) -> Option<&'static str> {
    Kind::of_body(text, probe).map(Kind::rule)
}

/// Just enough of a classic metric alert to recognise it.
#[derive(Deserialize)]
struct ClassicHead {
    context: ClassicContextHead,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClassicContextHead {
    condition: Option<ConditionHead>,
    portal_link: Option<IgnoredAny>,
    resource_id: Option<IgnoredAny>,
    subscription_id: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConditionHead {
    metric_name: Option<IgnoredAny>,
    all_of: Option<IgnoredAny>,
}

impl ClassicContextHead {
    fn is_classic(&self) -> bool {
        self.condition
            .as_ref()
            .is_some_and(|c| c.metric_name.is_some() || c.all_of.is_some())
            && (self.portal_link.is_some()
                || self.resource_id.is_some()
                || self.subscription_id.is_some())
    }
}

pub(super) fn parse<'a>(kind: Kind, p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let (text, _) = p.json(b)?;
    match kind {
        Kind::Metric => {
            p.require(b, &["data"])?;
            let env: MetricEnvelope<'a> = b.typed(text)?;
            let body = env
                .data
                .ok_or_else(|| b.mismatch("missing required field 'data'"))?;
            metric(body, "/data", b)
        }
        Kind::Classic => {
            p.require(b, &["context"])?;
            let body: MetricBody<'a> = b.typed(text)?;
            metric(body, "", b)
        }
        Kind::ActivityLog => {
            p.require(b, &["data"])?;
            let env: ActivityEnvelope<'a> = b.typed(text)?;
            let data = env
                .data
                .ok_or_else(|| b.mismatch("missing required field 'data'"))?;
            activity(data, b)
        }
        Kind::LogSearch => {
            let body: LogSearch<'a> = b.typed(text)?;
            log_search(body, "", b)
        }
        Kind::LogSearchWrapped => {
            p.require(b, &["data"])?;
            let env: LogSearchEnvelope<'a> = b.typed(text)?;
            let body = env
                .data
                .ok_or_else(|| b.mismatch("missing required field 'data'"))?;
            log_search(body, "/data", b)
        }
    }
}

/// Activated fires; Deactivated (metric alerts) and Resolved (classic)
/// resolve; any other word goes through the shared vocabulary, which
/// fails open to triggered.
pub(super) fn activation(b: &mut Builder<'_, '_>, raw: Option<&str>) -> Status {
    match raw.map(str::trim) {
        Some(w) if w.eq_ignore_ascii_case("activated") => Status::Triggered,
        Some(w) if w.eq_ignore_ascii_case("deactivated") => Status::Resolved,
        _ => b.status(raw),
    }
}

/// Azure's numeric scale (0 critical … 4 verbose) as the common schema's
/// Sev0–Sev4 words; a word (Log Analytics, activity log levels) as sent.
pub(super) fn severity_word(raw: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
    let raw = raw?;
    match raw.trim() {
        n @ ("0" | "1" | "2" | "3" | "4") => Some(Cow::Owned(format!("Sev{n}"))),
        "Verbose" | "verbose" => Some(Cow::Borrowed("Sev4")),
        _ => Some(raw),
    }
}

pub(super) fn push_some<'a>(
    out: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pairs: impl IntoIterator<Item = (&'static str, Option<Cow<'a, str>>)>,
) {
    for (key, value) in pairs {
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            out.push((Cow::Borrowed(key), value));
        }
    }
}

pub(super) fn is_vm(resource_type: Option<&str>) -> bool {
    resource_type.is_some_and(|t| {
        t.trim()
            .eq_ignore_ascii_case("microsoft.compute/virtualmachines")
    })
}
