//! Dynatrace problem notifications (custom integration webhook).
//!
//! The payload is a template over Dynatrace placeholders; the default one
//! carries `PID`, `ProblemID`, `ProblemTitle`, `State`, `ImpactedEntities`,
//! `ProblemDetailsJSON` and friends (its URL key is spelled `Problem URL`).
//! One problem per request; `PID` identifies it across OPEN and RESOLVED.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use super::appdynamics::strip_html;
use super::{Sender, no_header, tag_labels, tag_labels_of};
use crate::Notice;
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Text, cow};
use crate::text::unix_text_to_rfc3339;
use crate::{Error, Severity, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Dynatrace,
    header_rule: "",
    by_header: no_header,
    shape_rule: "'ProblemTitle' with 'PID' or 'ProblemID'",
    by_shape,
    parse,
};

/// The title of the notification Dynatrace sends from "Send test notification".
const TEST_TITLE: &str = "Dynatrace problem notification test run";

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    (probe.has("ProblemTitle") && (probe.has("PID") || probe.has("ProblemID")))
        .then_some("'ProblemTitle' with 'PID' or 'ProblemID'")
}

/// The notification. Unknown fields are ignored.
#[derive(Deserialize)]
struct Problem<'a> {
    #[serde(rename = "PID", borrow)]
    pid: Option<Text<'a>>,
    #[serde(rename = "ProblemID", borrow)]
    problem_id: Option<Text<'a>>,
    #[serde(rename = "ProblemTitle", borrow)]
    title: Option<Text<'a>>,
    #[serde(rename = "State", borrow)]
    state: Option<Text<'a>>,
    #[serde(rename = "ProblemSeverity", borrow)]
    severity: Option<Text<'a>>,
    #[serde(rename = "ProblemImpact", borrow)]
    impact: Option<Text<'a>>,
    #[serde(rename = "ProblemURL", borrow)]
    url: Option<Text<'a>>,
    /// The default template's spelling.
    #[serde(rename = "Problem URL", borrow)]
    url_spaced: Option<Text<'a>>,
    #[serde(rename = "ProblemDetailsText", borrow)]
    details_text: Option<Text<'a>>,
    #[serde(rename = "ProblemDetailsMarkdown", borrow)]
    details_markdown: Option<Text<'a>>,
    #[serde(rename = "ProblemDetailsHTML", borrow)]
    details_html: Option<Text<'a>>,
    #[serde(rename = "ImpactedEntity", borrow)]
    impacted_entity: Option<Text<'a>>,
    #[serde(rename = "ImpactedEntityNames", borrow)]
    impacted_names: Option<Text<'a>>,
    #[serde(rename = "ImpactedEntities", borrow, default)]
    entities: Option<Vec<Entity<'a>>>,
    #[serde(rename = "Tags", borrow)]
    tags: Option<Text<'a>>,
    #[serde(rename = "ProblemDetailsJSON", borrow, default)]
    details: Option<Details<'a>>,
}

/// One element of `ImpactedEntities`.
#[derive(Deserialize)]
struct Entity<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    entity: Option<Text<'a>>,
}

/// The parts of `ProblemDetailsJSON` used here (problem API v1 or v2 naming).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Details<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    problem_id: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    severity_level: Option<Text<'a>>,
    #[serde(borrow)]
    start_time: Option<Text<'a>>,
    #[serde(borrow)]
    end_time: Option<Text<'a>>,
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let (text, probe) = p.json(b)?;
    if !probe.has("PID") && !probe.has("ProblemID") {
        return Err(b.mismatch("missing required field 'PID' (or 'ProblemID')"));
    }
    let pr: Problem<'_> = b.typed(text)?;
    let title = get(pr.title);
    if title
        .as_deref()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(TEST_TITLE))
    {
        // "Send test notification" in the integration's settings.
        b.notice = Some(Notice::TestNotification);
        b.annotate("title", TEST_TITLE);
        return Ok(());
    }
    let details = pr.details;
    let (d_id, d_status, d_severity, d_start, d_end) = match details {
        Some(x) => (
            x.id.or(x.problem_id),
            x.status,
            x.severity_level,
            x.start_time,
            x.end_time,
        ),
        None => (None, None, None, None, None),
    };

    let mut d = b.draft();
    d.title = d.pick("title", [("/ProblemTitle", title)]);
    d.description = d.pick(
        "description",
        [
            ("/ProblemDetailsText", get(pr.details_text)),
            ("/ProblemDetailsMarkdown", get(pr.details_markdown)),
            (
                "/ProblemDetailsHTML (tags removed)",
                get(pr.details_html).map(|h| Cow::Owned(strip_html(&h))),
            ),
        ],
    );

    let state = d.pick(
        "status",
        [
            ("/State", get(pr.state)),
            ("/ProblemDetailsJSON/status", get(d_status)),
        ],
    );
    d.status = match state.as_deref().map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("OPEN") || s.eq_ignore_ascii_case("ACTIVE") => {
            Status::Triggered
        }
        Some(s) if s.eq_ignore_ascii_case("RESOLVED") || s.eq_ignore_ascii_case("CLOSED") => {
            Status::Resolved
        }
        // Merged into another problem: whether this one is over is not certain, so it stays open.
        Some(s) if s.eq_ignore_ascii_case("MERGED") => Status::Triggered,
        other => b.status(other),
    };
    if let Some(state) = state {
        d.annotations.push((Cow::Borrowed("state"), state));
    }

    let category = [
        ("/ProblemSeverity", get(pr.severity)),
        ("/ProblemDetailsJSON/severityLevel", get(d_severity)),
    ]
    .into_iter()
    .find_map(|(at, v)| Some((at, v?)));
    if let Some((at, cat)) = category {
        match category_severity(&cat) {
            Some((severity, availability)) => {
                d.implied_severity = Some(severity);
                d.availability = availability;
            }
            // Not a Dynatrace category: let the shared vocabulary judge the word.
            None => {
                d.severity_raw = Some(cat.clone());
                d.origin("severity_raw", at);
            }
        }
        d.annotations.push((Cow::Borrowed("problem_severity"), cat));
    }

    let pid = d.pick(
        "dedup_key",
        [
            ("/PID", get(pr.pid)),
            ("/ProblemID", get(pr.problem_id.clone())),
            ("/ProblemDetailsJSON/id", get(d_id)),
        ],
    );
    d.source_ref = pid.clone();
    d.vendor_key = pid;
    d.origin("source_ref", "the dedup key's field");

    let entities = pr.entities.unwrap_or_default();
    let first_of = |kind: &str| {
        entities
            .iter()
            .find(|e| {
                e.kind
                    .as_ref()
                    .is_some_and(|k| k.as_str().eq_ignore_ascii_case(kind))
            })
            .and_then(|e| e.name.as_ref().map(|n| n.0.clone()))
    };
    let (service, host) = (first_of("SERVICE"), first_of("HOST"));
    d.service = d.pick(
        "service",
        [("the first SERVICE in /ImpactedEntities", service)],
    );
    d.host = d.pick("host", [("the first HOST in /ImpactedEntities", host)]);

    if let Some(tags) = get(pr.tags) {
        d.labels = tag_labels_of(tags, |t| tag_labels(t.split(',')));
    }
    if let Some(id) = get(pr.problem_id) {
        d.labels.push((Cow::Borrowed("problem_id"), id));
    }
    d.origin(
        "labels",
        "/Tags (comma separated, key:value split) and /ProblemID",
    );

    if let Some(impact) = get(pr.impact) {
        d.annotations
            .push((Cow::Borrowed("problem_impact"), impact));
    }
    // `name (id), name, …`, written in place.
    let mut entity_names = String::new();
    for e in &entities {
        let Some(name) = &e.name else { continue };
        if !entity_names.is_empty() {
            entity_names.push_str(", ");
        }
        entity_names.push_str(name.as_str());
        if let Some(id) = &e.entity {
            entity_names.push_str(" (");
            entity_names.push_str(id.as_str());
            entity_names.push(')');
        }
    }
    let impacted = if entity_names.is_empty() {
        get(pr.impacted_names).or(get(pr.impacted_entity))
    } else {
        Some(Cow::Owned(entity_names))
    };
    if let Some(impacted) = impacted {
        d.annotations
            .push((Cow::Borrowed("impacted_entities"), impacted));
    }
    d.origin(
        "annotations",
        "/State, /ProblemSeverity, /ProblemImpact, /ImpactedEntities (else /ImpactedEntityNames or /ImpactedEntity)",
    );

    let start = d_start.and_then(|t| epoch_ms(t.as_str()));
    d.started_at = d.pick(
        "started_at",
        [("/ProblemDetailsJSON/startTime (Unix ms)", start)],
    );
    if d.status == Status::Resolved {
        let end = d_end.and_then(|t| epoch_ms(t.as_str()));
        d.ended_at = d.pick("ended_at", [("/ProblemDetailsJSON/endTime (Unix ms)", end)]);
    }

    if let Some(url) = get(pr.url).or(get(pr.url_spaced)) {
        d.links.push(("incident", url));
        d.origin("links", "/ProblemURL or /Problem URL (incident)");
    }
    b.push(d)
}

/// The canonical severity of a `ProblemSeverity` category, and whether it is an availability failure.
fn category_severity(category: &str) -> Option<(Severity, bool)> {
    let c = category.trim();
    let is = |name: &str| c.eq_ignore_ascii_case(name);
    Some(if is("AVAILABILITY") {
        (Severity::Critical, true)
    } else if is("ERROR") {
        (Severity::Error, false)
    } else if is("PERFORMANCE")
        || is("RESOURCE_CONTENTION")
        || is("CUSTOM_ALERT")
        || is("MONITORING_UNAVAILABLE")
    {
        (Severity::Warning, false)
    } else if is("INFO") {
        (Severity::Info, false)
    } else {
        return None;
    })
}

/// A Unix-milliseconds time as RFC 3339; Dynatrace sends -1 (or 0) for "not yet".
fn epoch_ms(t: &str) -> Option<Cow<'static, str>> {
    let t = t.trim();
    let digits = !t.is_empty() && t.len() <= 15 && t.bytes().all(|c| c.is_ascii_digit());
    if !digits || t.bytes().all(|c| c == b'0') {
        return None;
    }
    unix_text_to_rfc3339(t).map(Cow::Owned)
}

/// A field's text; a placeholder Dynatrace left unreplaced (`{PID}`) counts as absent.
fn get(t: Option<Text<'_>>) -> Option<Cow<'_, str>> {
    cow(t).filter(|v| {
        let v = v.trim();
        let placeholder = v.len() > 2
            && v.starts_with('{')
            && v.ends_with('}')
            && v[1..v.len() - 1].bytes().all(|c| c.is_ascii_alphanumeric());
        !v.is_empty() && !placeholder
    })
}
