//! Opsgenie's outgoing Webhook integration: `{action, alert, source,
//! integrationName, integrationId, integrationType}`, one alert action per request.
//!
//! `Create`, `Acknowledge`, `UnAcknowledge`, `Close` and `Delete` change the
//! alert's lifecycle and give one alert; every other action (`AddNote`,
//! `AssignOwnership`, `AddTags`, custom actions, …) gives none, only a notice.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use super::{Sender, no_header, tag_labels};
use crate::Notice;
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Kind, Pairs, Text, cow};
use crate::text::{unix_text_to_rfc3339, unix_to_rfc3339};
use crate::{Error, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Opsgenie,
    header_rule: "",
    by_header: no_header,
    shape_rule: "'alert' object and 'action', with 'integrationId', 'integrationName' or 'integrationType'",
    by_shape,
    parse,
};

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    (probe.is("alert", Kind::Object)
        && probe.has("action")
        && ["integrationId", "integrationName", "integrationType"]
            .iter()
            .any(|k| probe.has(k)))
    .then_some(
        "'alert' object and 'action', with 'integrationId', 'integrationName' or 'integrationType'",
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Hook<'a> {
    #[serde(borrow)]
    action: Option<Text<'a>>,
    #[serde(borrow)]
    alert: Option<Alert<'a>>,
    #[serde(borrow)]
    integration_name: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Alert<'a> {
    #[serde(borrow)]
    alert_id: Option<Text<'a>>,
    #[serde(borrow)]
    alias: Option<Text<'a>>,
    #[serde(borrow)]
    tiny_id: Option<Text<'a>>,
    #[serde(borrow)]
    message: Option<Text<'a>>,
    #[serde(borrow)]
    description: Option<Text<'a>>,
    #[serde(borrow)]
    priority: Option<Text<'a>>,
    #[serde(borrow)]
    entity: Option<Text<'a>>,
    /// Not an Opsgenie field, but integrations and API callers add it.
    #[serde(borrow)]
    service: Option<Text<'a>>,
    #[serde(borrow)]
    source: Option<Text<'a>>,
    #[serde(borrow)]
    team: Option<Text<'a>>,
    #[serde(borrow, default)]
    tags: Option<Vec<Text<'a>>>,
    #[serde(borrow, default)]
    responders: Option<Vec<Responder<'a>>>,
    #[serde(borrow, default)]
    details: Option<Pairs<'a>>,
    #[serde(borrow)]
    username: Option<Text<'a>>,
    #[serde(borrow)]
    created_at: Option<Text<'a>>,
    #[serde(borrow)]
    updated_at: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Responder<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
}

/// The status an action sets, or `None` for actions that leave the lifecycle alone.
fn lifecycle(action: &str) -> Option<Status> {
    let is = |word: &str| action.trim().eq_ignore_ascii_case(word);
    if is("Create") || is("UnAcknowledge") {
        Some(Status::Triggered)
    } else if is("Acknowledge") {
        Some(Status::Acknowledged)
    } else if is("Close") || is("Delete") {
        // A deleted alert is gone for good: whatever tracked it should close too.
        Some(Status::Resolved)
    } else {
        None
    }
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    p.require(b, &["alert", "action"])?;
    let (text, _) = p.json(b)?;
    let hook: Hook<'_> = b.typed(text)?;
    let a = hook
        .alert
        .ok_or_else(|| b.mismatch("missing required field 'alert'"))?;
    let action = hook
        .action
        .map(|t| t.0)
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| b.mismatch("missing required field 'action'"))?;

    let Some(status) = lifecycle(&action) else {
        b.notice = Some(Notice::NotAnAlert);
        b.annotate("action", action.trim());
        for (key, value) in [("alert_id", &a.alert_id), ("alias", &a.alias)] {
            if let Some(v) = value {
                b.annotate(key, v.as_str());
            }
        }
        return Ok(());
    };

    let mut d = b.draft();
    d.status = status;
    d.origin("status", "/action");
    d.title = d.pick("title", [("/alert/message", cow(a.message))]);
    d.description = d.pick("description", [("/alert/description", cow(a.description))]);
    d.severity_raw = d.pick("severity_raw", [("/alert/priority", cow(a.priority))]);

    let alert_id = a.alert_id.map(|t| t.0);
    d.vendor_key = d.pick(
        "dedup_key",
        [
            ("/alert/alias", cow(a.alias)),
            ("/alert/alertId", alert_id.clone()),
        ],
    );
    d.source_ref = d.pick("source_ref", [("/alert/alertId", alert_id)]);

    d.started_at = d.pick(
        "started_at",
        [("/alert/createdAt", a.created_at.map(|t| epoch(t.0)))],
    );
    if status == Status::Resolved {
        // The close (or delete) is the alert's last update.
        d.ended_at = d.pick(
            "ended_at",
            [("/alert/updatedAt", a.updated_at.map(|t| epoch(t.0)))],
        );
    }

    if let Some(tags) = &a.tags {
        d.labels = tag_labels(tags.iter().map(Text::as_str))
            .into_iter()
            .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
            .collect();
    }
    // The service only when the alert names it: its own `service` field, a
    // `service` detail or tag, or an entity written `service:NAME`. A bare
    // entity is usually a host or component, so it is not taken as one.
    let detail = a.details.as_ref().and_then(|p| p.get("service").cloned());
    let tag = d
        .labels
        .iter()
        .find(|(k, v)| k == "service" && !v.trim().is_empty())
        .map(|(_, v)| v.clone());
    let entity = a.entity.as_ref().and_then(|e| service_entity(e.as_str()));
    d.service = d.pick(
        "service",
        [
            ("/alert/service", cow(a.service)),
            ("/alert/details/service", detail),
            ("the 'service:' tag in /alert/tags", tag),
            ("/alert/entity (written 'service:NAME')", entity),
        ],
    );
    let labels = [
        ("entity", cow(a.entity)),
        ("tiny_id", cow(a.tiny_id)),
        ("team", cow(a.team)),
    ];
    d.labels.extend(present(labels));
    if !d.labels.is_empty() {
        d.origin(
            "labels",
            "/alert/tags, /alert/entity, /alert/tinyId, /alert/team",
        );
    }

    let responders: Vec<String> = a
        .responders
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.name)
        .map(|n| String::from(n.as_str()))
        .filter(|n| !n.trim().is_empty())
        .collect();
    d.annotations = a.details.map(|p| p.to_cows()).unwrap_or_default();
    let annotations = [
        ("action", Some(action)),
        ("alert_source", cow(a.source)),
        ("integration_name", cow(hook.integration_name)),
        ("username", cow(a.username)),
        (
            "responders",
            (!responders.is_empty()).then(|| Cow::Owned(responders.join(", "))),
        ),
    ];
    d.annotations.extend(present(annotations));
    if !d.annotations.is_empty() {
        d.origin(
            "annotations",
            "/alert/details, /action, /alert/source, /integrationName, /alert/username, /alert/responders names",
        );
    }
    b.push(d)
}

/// Opsgenie epoch times as RFC 3339: `createdAt` is in milliseconds,
/// `updatedAt` in nanoseconds; anything else is kept for the builder to judge.
fn epoch(t: Cow<'_, str>) -> Cow<'_, str> {
    let s = t.trim();
    let converted = match s.parse::<i64>() {
        // Past 1e16 a Unix time is in nanoseconds (1e16 ms is the year 318857).
        Ok(n) if n.unsigned_abs() >= 10_000_000_000_000_000 => unix_to_rfc3339(n / 1_000_000_000),
        _ => unix_text_to_rfc3339(s),
    };
    converted.map_or(t, Cow::Owned)
}

/// The named values that are present and not blank, as label or annotation pairs.
fn present<'a, const N: usize>(
    named: [(&'static str, Option<Cow<'a, str>>); N],
) -> impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)> {
    named.into_iter().filter_map(|(k, v)| {
        let v = v.filter(|v| !v.trim().is_empty())?;
        Some((Cow::Borrowed(k), v))
    })
}

/// The name in an entity written `service:NAME` or `service=NAME`.
fn service_entity(entity: &str) -> Option<Cow<'static, str>> {
    let (key, name) = entity.trim().split_once([':', '='])?;
    (key.trim().eq_ignore_ascii_case("service") && !name.trim().is_empty())
        .then(|| Cow::Owned(String::from(name.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_units() {
        assert_eq!(epoch("1705314600123".into()), "2024-01-15T10:30:00.123Z");
        assert_eq!(epoch("1705314600123000000".into()), "2024-01-15T10:30:00Z");
        assert_eq!(epoch("1705314600".into()), "2024-01-15T10:30:00Z");
        assert_eq!(epoch("soon".into()), "soon");
        // i64::MIN is a (nanosecond) time, not a panic.
        assert_eq!(epoch("-9223372036854775808".into()), "1677-09-21T00:12:44Z");
    }

    #[test]
    fn actions() {
        assert_eq!(lifecycle("Create"), Some(Status::Triggered));
        assert_eq!(lifecycle("unacknowledge"), Some(Status::Triggered));
        assert_eq!(lifecycle("Acknowledge"), Some(Status::Acknowledged));
        assert_eq!(lifecycle("Close"), Some(Status::Resolved));
        assert_eq!(lifecycle("AddNote"), None);
        assert_eq!(lifecycle(""), None);
    }
}
