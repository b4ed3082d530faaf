//! The canonical output: one `Ingest` per request, holding zero or more `Alert`s.
//!
//! Field order and names here are the JSON contract shared by every binding.

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use serde::Serialize;

use crate::{Error, StrMap};

/// The result of ingesting one webhook request.
///
/// Text is borrowed from the request body where it was sent as is (no
/// escapes, nothing to cut), so reading a webhook copies little;
/// [`Ingest::into_owned`] gives an `Ingest<'static>` to keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Ingest<'a> {
    /// The sender the payload was read as.
    pub source: Source,
    /// Which kind of rule decided `source`.
    pub detected_by: DetectedBy,
    /// The rule that decided `source`, in words (e.g. "User-Agent starts with Alertmanager/").
    pub detection_reason: String,
    /// The starting escalation tier requested by a top-level `tier` field, clamped to `1..=max_tier`.
    pub tier: Option<u32>,
    /// The sender's own grouping key (Alertmanager `groupKey`, …).
    pub group_key: Option<String>,
    /// Why a well-formed request carries no alert; details go in `annotations`.
    pub notice: Option<Notice>,
    /// Facts about the request as a whole, sorted by key (e.g. an SNS
    /// `subscribe_url` that must be visited to confirm a subscription).
    pub annotations: StrMap<'a>,
    /// The alerts, in payload order.
    pub alerts: Vec<Alert<'a>>,
    /// Everything that was repaired or ignored on the way.
    pub warnings: Vec<Warning>,
    /// Why the request was read this way; only with `Options::explain` (absent from the JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

/// Why a request was read the way it was (explain mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Explanation {
    /// The detection rules tried, in order, and whether each matched.
    pub detection: Vec<DetectionStep>,
    /// Per alert, for every canonical field: the JSON Pointer it came from, or
    /// the default or derivation used, or "absent".
    pub fields: Vec<BTreeMap<String, String>>,
}

/// One detection rule tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DetectionStep {
    /// The sender the rule belongs to.
    pub source: Source,
    /// The kind of rule.
    pub by: DetectedBy,
    /// The rule, in words.
    pub rule: String,
    /// Whether it matched.
    pub matched: bool,
    /// What happened next, when it matters (e.g. why a matching header was not used).
    pub note: Option<String>,
}

impl Ingest<'_> {
    /// The canonical JSON text: the same bytes from every binding and the CLI.
    pub fn to_json(&self) -> String {
        // Serializing these plain structs to a String cannot fail: every map key is a string.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The same result, owning all its text (no longer tied to the body).
    pub fn into_owned(self) -> Ingest<'static> {
        Ingest {
            source: self.source,
            detected_by: self.detected_by,
            detection_reason: self.detection_reason,
            tier: self.tier,
            group_key: self.group_key,
            notice: self.notice,
            annotations: self.annotations.into_owned(),
            alerts: self.alerts.into_iter().map(Alert::into_owned).collect(),
            warnings: self.warnings,
            explanation: self.explanation,
        }
    }
}

/// A borrowed text made owned.
fn owned(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

/// One canonical alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Alert<'a> {
    /// Short headline; never empty.
    pub title: Cow<'a, str>,
    /// Longer context, if the sender gave any.
    pub description: Option<Cow<'a, str>>,
    /// Normalised severity.
    pub severity: Severity,
    /// The sender's severity text before mapping, if any.
    pub severity_raw: Option<Cow<'a, str>>,
    /// Normalised lifecycle status.
    pub status: Status,
    /// Key that identifies repeats of the same alert; never empty, at most 255 bytes.
    pub dedup_key: Cow<'a, str>,
    /// Which rule produced `dedup_key`.
    pub dedup_basis: DedupBasis,
    /// The affected service, if named.
    pub service: Option<Cow<'a, str>>,
    /// The affected host or instance, if named.
    pub host: Option<Cow<'a, str>>,
    /// Identifying key/value pairs, sorted by key.
    pub labels: StrMap<'a>,
    /// Descriptive key/value pairs, sorted by key.
    pub annotations: StrMap<'a>,
    /// When the problem started (RFC 3339, as sent).
    pub started_at: Option<Cow<'a, str>>,
    /// When the problem ended (RFC 3339, as sent); only for resolved alerts.
    pub ended_at: Option<Cow<'a, str>>,
    /// Related URLs.
    pub links: Vec<Link<'a>>,
    /// The sender's own id for this alert (fingerprint, incident id, monitor id …).
    pub source_ref: Option<Cow<'a, str>>,
}

impl Alert<'_> {
    /// The same alert, owning all its text.
    pub fn into_owned(self) -> Alert<'static> {
        Alert {
            title: owned(self.title),
            description: self.description.map(owned),
            severity: self.severity,
            severity_raw: self.severity_raw.map(owned),
            status: self.status,
            dedup_key: owned(self.dedup_key),
            dedup_basis: self.dedup_basis,
            service: self.service.map(owned),
            host: self.host.map(owned),
            labels: self.labels.into_owned(),
            annotations: self.annotations.into_owned(),
            started_at: self.started_at.map(owned),
            ended_at: self.ended_at.map(owned),
            links: self.links.into_iter().map(Link::into_owned).collect(),
            source_ref: self.source_ref.map(owned),
        }
    }
}

/// A related URL and what it points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link<'a> {
    /// The relation: `generator`, `external`, `dashboard`, `panel`, `silence`, `image`,
    /// `runbook`, `target`, `details`, `incident`, `alert`, `issue`, `run`, `service`,
    /// `conference`, `search`, `policy`, `repository`, `commit` (see docs/sources.md).
    pub rel: Cow<'static, str>,
    /// The URL as sent.
    pub href: Cow<'a, str>,
}

impl Link<'_> {
    /// The same link, owning its URL.
    pub fn into_owned(self) -> Link<'static> {
        Link {
            rel: self.rel,
            href: owned(self.href),
        }
    }
}

/// Something the library repaired or ignored; the request still succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Stable machine code.
    pub code: WarningCode,
    /// Human-readable detail.
    pub message: String,
}

macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $id:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable snake_case id used in JSON and every binding.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $id),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// Normalised severity: PagerDuty's four levels.
    pub enum Severity {
        /// Needs someone now.
        Critical => "critical",
        /// Broken, but not paging-grade.
        Error => "error",
        /// Degraded or at risk.
        Warning => "warning",
        /// Informational.
        Info => "info",
    }
}

string_enum! {
    /// Normalised lifecycle status.
    pub enum Status {
        /// The problem is happening (also the answer for any unknown status: fail open).
        Triggered => "triggered",
        /// Someone is on it, or it is expected (maintenance).
        Acknowledged => "acknowledged",
        /// The problem is over.
        Resolved => "resolved",
    }
}

impl Default for Status {
    /// `Triggered`: when in doubt, an alert is live.
    fn default() -> Self {
        Status::Triggered
    }
}

string_enum! {
    /// Why a well-formed request carries no alert.
    #[non_exhaustive]
    pub enum Notice {
        /// The sender's test or ping ("send test notification", GitHub's ping, PagerDuty's pagey.ping).
        TestNotification => "test_notification",
        /// An SNS subscription to confirm: visit `annotations.subscribe_url`.
        SubscriptionConfirmation => "subscription_confirmation",
        /// An SNS unsubscription.
        UnsubscribeConfirmation => "unsubscribe_confirmation",
        /// An event that is not an alert's lifecycle (a note, a push, a successful run …);
        /// `annotations` say which.
        NotAnAlert => "not_an_alert",
    }
}

string_enum! {
    /// Which kind of rule decided the source.
    pub enum DetectedBy {
        /// A request header named the sender.
        Header => "header",
        /// The payload's shape matched the sender.
        Shape => "shape",
        /// The caller said which sender it is.
        Hint => "hint",
        /// Nothing matched; read as a generic payload.
        Fallback => "fallback",
    }
}

string_enum! {
    /// Which rule produced an alert's dedup key.
    pub enum DedupBasis {
        /// The sender's own key, verbatim.
        Vendor => "vendor",
        /// The Alertmanager-compatible fingerprint of the labels.
        Labels => "labels",
        /// A hash of source, service, host and title.
        Content => "content",
    }
}

string_enum! {
    /// The senders alertgate knows, by stable id.
    #[non_exhaustive]
    pub enum Source {
        /// Prometheus Alertmanager (webhook v4).
        Alertmanager => "alertmanager",
        /// Grafana unified and legacy alerting.
        Grafana => "grafana",
        /// Uptime Kuma webhook notifications.
        UptimeKuma => "uptime_kuma",
        /// Healthchecks.io webhook integrations.
        Healthchecks => "healthchecks",
        /// PagerDuty v3 webhooks.
        Pagerduty => "pagerduty",
        /// Datadog webhooks.
        Datadog => "datadog",
        /// New Relic workflows and channels.
        Newrelic => "newrelic",
        /// Sentry alerts.
        Sentry => "sentry",
        /// AWS CloudWatch via SNS.
        Cloudwatch => "cloudwatch",
        /// Azure Monitor common alert schema.
        AzureMonitor => "azure_monitor",
        /// Google Cloud Monitoring.
        GcpMonitoring => "gcp_monitoring",
        /// Dynatrace problem notifications.
        Dynatrace => "dynatrace",
        /// AppDynamics HTTP request templates.
        Appdynamics => "appdynamics",
        /// Splunk On-Call (VictorOps).
        SplunkOncall => "splunk_oncall",
        /// Splunk Observability Cloud.
        SplunkObservability => "splunk_observability",
        /// Elastic / Kibana alerting.
        Elastic => "elastic",
        /// Honeycomb triggers.
        Honeycomb => "honeycomb",
        /// UptimeRobot.
        Uptimerobot => "uptimerobot",
        /// Pingdom.
        Pingdom => "pingdom",
        /// Better Stack (Better Uptime).
        Betterstack => "betterstack",
        /// GitHub webhooks.
        Github => "github",
        /// Bitbucket webhooks.
        Bitbucket => "bitbucket",
        /// Opsgenie.
        Opsgenie => "opsgenie",
        /// Zabbix media type webhooks.
        Zabbix => "zabbix",
        /// Any JSON, form or plain-text body.
        Generic => "generic",
    }
}

impl Source {
    /// The sender's product name for people ("Uptime Kuma", "Azure Monitor").
    pub const fn display_name(self) -> &'static str {
        match self {
            Source::Alertmanager => "Alertmanager",
            Source::Grafana => "Grafana",
            Source::UptimeKuma => "Uptime Kuma",
            Source::Healthchecks => "Healthchecks.io",
            Source::Pagerduty => "PagerDuty",
            Source::Datadog => "Datadog",
            Source::Newrelic => "New Relic",
            Source::Sentry => "Sentry",
            Source::Cloudwatch => "CloudWatch",
            Source::AzureMonitor => "Azure Monitor",
            Source::GcpMonitoring => "Google Cloud Monitoring",
            Source::Dynatrace => "Dynatrace",
            Source::Appdynamics => "AppDynamics",
            Source::SplunkOncall => "Splunk On-Call",
            Source::SplunkObservability => "Splunk Observability",
            Source::Elastic => "Elastic",
            Source::Honeycomb => "Honeycomb",
            Source::Uptimerobot => "UptimeRobot",
            Source::Pingdom => "Pingdom",
            Source::Betterstack => "Better Stack",
            Source::Github => "GitHub",
            Source::Bitbucket => "Bitbucket",
            Source::Opsgenie => "Opsgenie",
            Source::Zabbix => "Zabbix",
            Source::Generic => "A webhook",
        }
    }
}

impl FromStr for Source {
    type Err = Error;

    /// Parses a stable id; `-` is accepted for `_` so URL-style names (`uptime-kuma`) work.
    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        Source::ALL
            .iter()
            .copied()
            .find(|src| {
                let id = src.as_str().as_bytes();
                id.len() == s.len()
                    && id.iter().zip(s.bytes()).all(|(&a, b)| {
                        let b = b.to_ascii_lowercase();
                        a == b || (a == b'_' && b == b'-')
                    })
            })
            .ok_or_else(|| Error::UnknownSource {
                name: crate::text::bounded(s, 64),
            })
    }
}

string_enum! {
    /// Stable codes of [`Warning`]s.
    #[non_exhaustive]
    pub enum WarningCode {
        /// A title was cut to the limit.
        TitleTruncated => "title_truncated",
        /// A description was cut to the limit.
        DescriptionTruncated => "description_truncated",
        /// A label key or value was cut to the limit.
        LabelTruncated => "label_truncated",
        /// An annotation key or value was cut to the limit.
        AnnotationTruncated => "annotation_truncated",
        /// Another text field (service, host, link …) was cut to the limit.
        FieldTruncated => "field_truncated",
        /// A timestamp was not RFC 3339 and became null.
        InvalidTimestamp => "invalid_timestamp",
        /// A status value was not recognised; the alert is treated as triggered.
        UnknownStatus => "unknown_status",
        /// A severity value was not recognised; the default rule applied.
        UnknownSeverity => "unknown_severity",
        /// The payload had no title; one was made up from other fields.
        TitleMissing => "title_missing",
        /// `tier` was above `max_tier` and was clamped.
        TierClamped => "tier_clamped",
        /// `tier` was below 1 and became 1.
        TierOutOfRange => "tier_out_of_range",
        /// `tier` was not an integer and was ignored.
        TierInvalid => "tier_invalid",
        /// The sender dropped alerts from this group (Alertmanager `truncatedAlerts`).
        AlertsTruncated => "alerts_truncated",
        /// A header named a sender but the payload did not fit it; detection went on.
        HeaderMismatch => "header_mismatch",
        /// A sender's optional field had an unexpected type and was skipped; the
        /// message names its JSON Pointer and what was expected.
        FieldIgnored => "field_ignored",
        /// The payload's shape named a sender but could not be read as that
        /// sender; it was read by `generic` instead.
        ShapeMismatch => "shape_mismatch",
        /// More warnings were produced than are reported.
        TooManyWarnings => "too_many_warnings",
    }
}
