//! Google Cloud Monitoring webhook notification channels (schema version 1.2):
//! `{"version": "1.2", "incident": {…}}`, one alert per request.
//!
//! `incident.state` open/closed is the status, `incident_id` the dedup key,
//! `started_at`/`ended_at` Unix seconds. The channel's "test" notification
//! (`version: "test"`) gives no alert and `notice: "test_notification"`.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::{Sender, no_header};
use crate::Notice;
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Kind, Pairs, Text, cow};
use crate::text::unix_text_to_rfc3339;
use crate::{Error, Source};

pub(crate) const SENDER: Sender = Sender {
    source: Source::GcpMonitoring,
    header_rule: "",
    by_header: no_header,
    shape_rule: "'incident' object with 'incident_id' and 'scoping_project_id', 'policy_name' or 'condition_name'",
    by_shape,
    parse,
};

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { text, probe } = p else {
        return None;
    };
    if !probe.is("incident", Kind::Object) {
        return None;
    }
    let head: Head = probe.typed(text).ok()?;
    let i = head.incident?;
    (i.incident_id.is_some()
        && (i.scoping_project_id.is_some() || i.policy_name.is_some() || i.condition_name.is_some()))
    .then_some("'incident' object with 'incident_id' and 'scoping_project_id', 'policy_name' or 'condition_name'")
}

/// Which keys the incident has, for detection.
#[derive(Deserialize)]
struct Head {
    incident: Option<HeadIncident>,
}

#[derive(Deserialize)]
struct HeadIncident {
    incident_id: Option<IgnoredAny>,
    scoping_project_id: Option<IgnoredAny>,
    policy_name: Option<IgnoredAny>,
    condition_name: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Notification<'a> {
    #[serde(borrow)]
    version: Option<Text<'a>>,
    #[serde(borrow)]
    incident: Option<Incident<'a>>,
}

/// The incident. `condition` (the policy's condition definition) is not read.
#[derive(Deserialize)]
struct Incident<'a> {
    #[serde(borrow)]
    incident_id: Option<Text<'a>>,
    #[serde(borrow)]
    scoping_project_id: Option<Text<'a>>,
    #[serde(borrow)]
    scoping_project_number: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    started_at: Option<Text<'a>>,
    #[serde(borrow)]
    ended_at: Option<Text<'a>>,
    #[serde(borrow)]
    state: Option<Text<'a>>,
    #[serde(borrow)]
    summary: Option<Text<'a>>,
    #[serde(borrow)]
    apigee_url: Option<Text<'a>>,
    #[serde(borrow)]
    observed_value: Option<Text<'a>>,
    #[serde(borrow)]
    resource: Option<Resource<'a>>,
    #[serde(borrow)]
    resource_type_display_name: Option<Text<'a>>,
    #[serde(borrow)]
    resource_display_name: Option<Text<'a>>,
    #[serde(borrow)]
    resource_name: Option<Text<'a>>,
    #[serde(borrow)]
    metric: Option<Metric<'a>>,
    #[serde(borrow)]
    metadata: Option<Metadata<'a>>,
    #[serde(borrow)]
    policy_name: Option<Text<'a>>,
    #[serde(borrow)]
    policy_user_labels: Option<Pairs<'a>>,
    #[serde(borrow)]
    documentation: Option<Documentation<'a>>,
    #[serde(borrow)]
    condition_name: Option<Text<'a>>,
    #[serde(borrow)]
    threshold_value: Option<Text<'a>>,
    #[serde(borrow)]
    severity: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(borrow)]
    labels: Option<Pairs<'a>>,
}

#[derive(Deserialize)]
struct Metric<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(rename = "displayName", borrow)]
    display_name: Option<Text<'a>>,
    #[serde(borrow)]
    labels: Option<Pairs<'a>>,
}

#[derive(Deserialize)]
struct Metadata<'a> {
    #[serde(borrow)]
    system_labels: Option<Pairs<'a>>,
    #[serde(borrow)]
    user_labels: Option<Pairs<'a>>,
}

/// The policy's documentation: an object in real notifications, a plain
/// string in the channel's test notification.
#[derive(Default)]
struct Documentation<'a> {
    content: Option<Text<'a>>,
    subject: Option<Text<'a>>,
    links: Vec<DocLink<'a>>,
}

#[derive(Deserialize)]
struct DocumentationObject<'a> {
    #[serde(borrow)]
    content: Option<Text<'a>>,
    #[serde(borrow)]
    subject: Option<Text<'a>>,
    #[serde(borrow)]
    links: Option<Vec<DocLink<'a>>>,
}

#[derive(Deserialize)]
struct DocLink<'a> {
    #[serde(borrow)]
    url: Option<Text<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Documentation<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Documentation<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a documentation object or text")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let o =
                    DocumentationObject::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Documentation {
                    content: o.content,
                    subject: o.subject,
                    links: o.links.unwrap_or_default(),
                })
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Documentation {
                    content: Some(Text(Cow::Borrowed(v))),
                    ..Documentation::default()
                })
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Documentation {
                    content: Some(Text(Cow::Owned(String::from(v)))),
                    ..Documentation::default()
                })
            }
        }
        d.deserialize_any(V)
    }
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    p.require(b, &["incident"])?;
    let (text, _) = p.json(b)?;
    let n: Notification<'_> = b.typed(text)?;
    let i = n
        .incident
        .ok_or_else(|| b.mismatch("missing required field 'incident'"))?;
    if n.version
        .as_ref()
        .is_some_and(|v| v.as_str().trim().eq_ignore_ascii_case("test"))
    {
        b.notice = Some(Notice::TestNotification);
        if let Some(summary) = &i.summary {
            b.annotate("summary", summary.as_str());
        }
        return Ok(());
    }

    let mut d = b.draft();
    let state = i.state.as_ref().map(Text::as_str);
    d.status = b.status(state);
    if state.is_some() {
        d.origin("status", "/incident/state");
    }
    d.title = d.pick(
        "title",
        [
            ("/incident/policy_name", cow(i.policy_name)),
            (
                "/incident/condition_name",
                i.condition_name.as_ref().map(|t| t.0.clone()),
            ),
            ("/incident/summary", i.summary.as_ref().map(|t| t.0.clone())),
        ],
    );
    d.description = d.pick("description", [("/incident/summary", cow(i.summary))]);
    // "No severity" (and the API's SEVERITY_UNSPECIFIED) mean none was set.
    let severity = cow(i.severity);
    let unset = severity.as_deref().map(str::trim).is_some_and(|s| {
        s.eq_ignore_ascii_case("no severity") || s.eq_ignore_ascii_case("severity_unspecified")
    });
    d.severity_raw = d.pick(
        "severity_raw",
        [("/incident/severity", severity.filter(|_| !unset))],
    );
    if unset {
        d.origin(
            "severity_raw",
            "null: /incident/severity says no severity was set",
        );
    }
    let id = cow(i.incident_id);
    d.vendor_key = d.pick("dedup_key", [("/incident/incident_id", id.clone())]);
    d.source_ref = d.pick("source_ref", [("/incident/incident_id", id)]);

    let resource = i.resource.unwrap_or(Resource {
        kind: None,
        labels: None,
    });
    let resource_labels = resource.labels.unwrap_or_default();
    let resource_kind = cow(resource.kind);
    let (metric_kind, metric_name, metric_labels) = match i.metric {
        Some(m) => (
            cow(m.kind),
            cow(m.display_name),
            m.labels.unwrap_or_default(),
        ),
        None => (None, None, Pairs::default()),
    };
    let (system_labels, user_labels) = match i.metadata {
        Some(m) => (
            m.system_labels.unwrap_or_default(),
            m.user_labels.unwrap_or_default(),
        ),
        None => (Pairs::default(), Pairs::default()),
    };
    let policy_labels = i.policy_user_labels.unwrap_or_default();
    fn get<'a>(pairs: &Pairs<'a>, key: &str) -> Option<Cow<'a, str>> {
        pairs.get(key).cloned()
    }

    d.service = d.pick(
        "service",
        [
            (
                "/incident/policy_user_labels/service",
                get(&policy_labels, "service"),
            ),
            (
                "/incident/metadata/user_labels/service",
                get(&user_labels, "service"),
            ),
            (
                "/incident/resource/labels/service_name",
                get(&resource_labels, "service_name"),
            ),
        ],
    );
    let is_vm = resource_kind
        .as_deref()
        .is_some_and(|k| k.trim() == "gce_instance");
    d.host = d.pick(
        "host",
        [
            (
                "/incident/metric/labels/instance_name",
                get(&metric_labels, "instance_name"),
            ),
            (
                "/incident/resource_display_name",
                i.resource_display_name
                    .as_ref()
                    .filter(|_| is_vm)
                    .map(|t| t.0.clone()),
            ),
        ],
    );

    let started = i.started_at.as_ref().and_then(|t| unix_time(t.as_str()));
    let ended = i.ended_at.as_ref().and_then(|t| unix_time(t.as_str()));
    d.started_at = d.pick(
        "started_at",
        [("/incident/started_at (Unix seconds)", started)],
    );
    d.ended_at = d.pick("ended_at", [("/incident/ended_at (Unix seconds)", ended)]);

    let mut labels: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
    for pairs in [
        &resource_labels,
        &metric_labels,
        &system_labels,
        &user_labels,
        &policy_labels,
    ] {
        labels.extend(pairs.to_cows());
    }
    for (key, value) in [
        ("resource_type", resource_kind),
        ("metric_type", metric_kind),
        ("scoping_project_id", cow(i.scoping_project_id)),
    ] {
        if let Some(value) = value {
            labels.push((Cow::Borrowed(key), value));
        }
    }
    d.labels = labels;
    d.origin(
        "labels",
        "resource.labels, metric.labels, metadata.system_labels, metadata.user_labels, policy_user_labels, plus resource.type, metric.type and scoping_project_id",
    );

    let doc = i.documentation.unwrap_or_default();
    for (key, value) in [
        ("condition_name", cow(i.condition_name)),
        ("observed_value", cow(i.observed_value)),
        ("threshold_value", cow(i.threshold_value)),
        ("resource_name", cow(i.resource_name)),
        ("resource_display_name", cow(i.resource_display_name)),
        (
            "resource_type_display_name",
            cow(i.resource_type_display_name),
        ),
        ("metric_display_name", metric_name),
        ("documentation", cow(doc.content)),
        ("documentation_subject", cow(doc.subject)),
        ("scoping_project_number", cow(i.scoping_project_number)),
    ] {
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            d.annotations.push((Cow::Borrowed(key), value));
        }
    }
    d.origin(
        "annotations",
        "condition_name, observed_value, threshold_value, resource_name, resource_display_name, resource_type_display_name, metric.displayName, documentation.content and subject, scoping_project_number",
    );

    let links = [("incident", cow(i.url)), ("details", cow(i.apigee_url))];
    d.links
        .extend(links.into_iter().filter_map(|(rel, url)| Some((rel, url?))));
    d.links.extend(
        doc.links
            .into_iter()
            .filter_map(|l| Some(("runbook", l.url?.0))),
    );
    d.origin(
        "links",
        "url (incident), apigee_url (details), documentation.links[].url (runbook)",
    );
    b.push(d)
}

/// A Unix time in seconds as RFC 3339; 0 (the test notification's) is no
/// time. Anything else is passed on as sent, for the builder to check.
fn unix_time(t: &str) -> Option<Cow<'static, str>> {
    let t = t.trim();
    if t.is_empty() || t == "0" {
        return None;
    }
    Some(Cow::Owned(
        unix_text_to_rfc3339(t).unwrap_or_else(|| String::from(t)),
    ))
}
