//! Folding alerts into incidents per (integration, dedup_key), filters, and the
//! outgoing-webhook events that result. One transaction (a savepoint) per request.

use alertgate::{Alert, Ingest, Severity, Status};
use serde::Serialize;
use serde_json::{Value, json};

use super::config::{Field, Filter, Outgoing};
use super::db::now_text;

mod sqlite;

pub use sqlite::{enqueue, fold, set_status};

/// A repeat of the same content within this many seconds is a `duplicate`.
pub const DUPLICATE_WINDOW_S: i64 = 60;

/// The index of the first filter that does not hold for an alert, if any.
pub fn failing_filter(
    filters: &[Filter],
    alert: &Alert<'_>,
    source: &str,
    payload: Option<&Value>,
) -> Option<usize> {
    filters.iter().position(|f| {
        let value: Option<String> = match &f.field {
            Field::Title => Some(alert.title.to_string()),
            Field::Severity => Some(alert.severity.as_str().to_owned()),
            Field::Status => Some(alert.status.as_str().to_owned()),
            Field::Service => alert.service.as_deref().map(String::from),
            Field::Host => alert.host.as_deref().map(String::from),
            Field::Source => Some(source.to_owned()),
            Field::Label(k) => alert.labels.get(k).map(String::from),
            Field::Annotation(k) => alert.annotations.get(k).map(String::from),
            Field::Pointer(p) => payload.and_then(|v| v.pointer(p)).and_then(|v| match v {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }),
        };
        !f.holds(value.as_deref())
    })
}

/// What folding answered for one alert (the response is built from it and the
/// alert, off the database thread).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Folded {
        outcome: &'static str,
        incident_id: i64,
        occurrence_count: i64,
    },
    /// The index of the integration's filter that did not hold.
    Filtered(usize),
}

/// One alert's entry of the response's `results`: the keys in the order the
/// `serde_json::Value` object it replaces had (sorted).
#[derive(Serialize)]
#[serde(untagged)]
pub enum ResultJson<'a> {
    Folded {
        dedup_key: &'a str,
        incident_id: i64,
        occurrence_count: i64,
        outcome: &'static str,
        report_url: String,
        status: &'static str,
        title: &'a str,
    },
    Filtered {
        dedup_key: &'a str,
        outcome: &'static str,
        reason: &'a str,
        status: &'static str,
        title: &'a str,
    },
}

impl<'a> ResultJson<'a> {
    pub fn new(outcome: Outcome, alert: &'a Alert<'_>, filters: &'a [Filter]) -> Self {
        match outcome {
            Outcome::Folded {
                outcome,
                incident_id,
                occurrence_count,
            } => ResultJson::Folded {
                dedup_key: &alert.dedup_key,
                incident_id,
                occurrence_count,
                outcome,
                report_url: format!("/api/v1/incidents/{incident_id}"),
                status: alert.status.as_str(),
                title: &alert.title,
            },
            Outcome::Filtered(i) => ResultJson::Filtered {
                dedup_key: &alert.dedup_key,
                outcome: "filtered",
                reason: filters.get(i).map_or("", |f| f.text.as_str()),
                status: alert.status.as_str(),
                title: &alert.title,
            },
        }
    }
}

/// The content a repeat is compared by: status, title and description.
pub fn content_of(a: &ToFold) -> String {
    format!(
        "{}\u{1f}{}\u{1f}{}",
        a.status.as_str(),
        a.title,
        a.description.as_deref().unwrap_or("")
    )
}

/// One alert as folding reads it: the few fields it stores or compares, owned,
/// and its JSON. The request thread builds it from the borrowed `Alert` (the
/// database job must own its data; copying the whole alert would cost an
/// allocation per label and annotation).
pub struct ToFold {
    pub dedup_key: String,
    pub title: String,
    pub description: Option<String>,
    pub severity: Severity,
    pub status: Status,
    pub service: Option<String>,
    pub host: Option<String>,
    /// The alert's JSON, as stored in `occurrences`.
    pub json: String,
}

impl ToFold {
    fn new(a: &Alert<'_>, json: String) -> Self {
        ToFold {
            dedup_key: a.dedup_key.to_string(),
            title: a.title.to_string(),
            description: a.description.as_deref().map(String::from),
            severity: a.severity,
            status: a.status,
            service: a.service.as_deref().map(String::from),
            host: a.host.as_deref().map(String::from),
            json,
        }
    }
}

/// What one request hands the database thread: its integration, the alerts the
/// filters kept (filters are evaluated on the request thread), and the ingest's JSON.
pub struct FoldJob {
    pub integration: String,
    pub source: &'static str,
    /// `notice` (a request without alerts) or `folded`.
    pub outcome: &'static str,
    pub alerts: Vec<ToFold>,
    pub ingest_json: String,
    /// The delivery's identity, when replays of it are recognised.
    pub replay: Option<ReplayKey>,
    /// How long (seconds) stored JSON may be pointed at by repeats: half the
    /// retention, so a pointer never outlives what it points at.
    pub reuse_for: i64,
}

/// A delivery's identity and until when it is remembered.
pub struct ReplayKey {
    pub key: String,
    pub expires_unix: i64,
}

/// What folding one request answered.
pub struct FoldAnswer {
    /// Each kept alert's outcome, in order (as first answered, for a replay).
    pub outcomes: Vec<Outcome>,
    /// Deliveries enqueued.
    pub enqueued: usize,
    /// The request repeated a delivery already folded: nothing changed.
    pub replayed: bool,
}

/// The outcome words, so that one read back from a replay record is `'static`.
const OUTCOMES: &[&str] = &[
    "created",
    "occurrence_added",
    "reopened",
    "resolved",
    "acknowledged",
    "duplicate",
];

/// The outcomes as a replay record keeps them: `[[incident_id, outcome, count], …]`.
pub fn outcomes_json(outcomes: &[Outcome]) -> String {
    let rows: Vec<Value> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Folded {
                outcome,
                incident_id,
                occurrence_count,
            } => Some(json!([incident_id, outcome, occurrence_count])),
            Outcome::Filtered(_) => None,
        })
        .collect();
    Value::Array(rows).to_string()
}

/// The outcomes a replay record keeps, read back.
pub fn outcomes_from_json(text: &str) -> Vec<Outcome> {
    let rows: Vec<(i64, String, i64)> = serde_json::from_str(text).unwrap_or_default();
    rows.into_iter()
        .map(|(incident_id, word, occurrence_count)| Outcome::Folded {
            outcome: outcome_word(&word),
            incident_id,
            occurrence_count,
        })
        .collect()
}

/// An outcome word read back from the database, as the `'static` one.
pub fn outcome_word(word: &str) -> &'static str {
    OUTCOMES
        .iter()
        .find(|w| **w == word)
        .copied()
        .unwrap_or("duplicate")
}

impl FoldJob {
    /// Serializes `ingest` (each alert once; the ingest's JSON splices the alerts'
    /// in) and keeps the alerts whose index `keep` accepts.
    pub fn new(
        integration: &str,
        ingest: &mut Ingest<'_>,
        mut keep: impl FnMut(usize) -> bool,
    ) -> Self {
        let alert_jsons: Vec<String> = ingest
            .alerts
            .iter()
            .map(|a| serde_json::to_string(a).unwrap_or_default())
            .collect();
        let alerts = std::mem::take(&mut ingest.alerts);
        let mut ingest_json = ingest.to_json();
        ingest.alerts = alerts;
        // A string value cannot hold this text unescaped, and no field before
        // `alerts` is an array: the first match is the (empty) alerts array.
        const EMPTY: &str = "\"alerts\":[]";
        if let Some(at) = ingest_json.find(EMPTY) {
            let mut joined = String::with_capacity(
                alert_jsons.iter().map(|j| j.len() + 1).sum::<usize>() + ingest_json.len(),
            );
            joined.push_str(&ingest_json[..at + EMPTY.len() - 1]);
            for (i, j) in alert_jsons.iter().enumerate() {
                if i > 0 {
                    joined.push(',');
                }
                joined.push_str(j);
            }
            joined.push_str(&ingest_json[at + EMPTY.len() - 1..]);
            ingest_json = joined;
        } else {
            ingest_json = ingest.to_json();
        }
        debug_assert_eq!(ingest_json, ingest.to_json());
        let outcome = if ingest.alerts.is_empty() {
            "notice"
        } else {
            "folded"
        };
        let alerts = ingest
            .alerts
            .iter()
            .zip(alert_jsons)
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, (a, json))| ToFold::new(a, json))
            .collect();
        FoldJob {
            integration: integration.to_owned(),
            source: ingest.source.as_str(),
            outcome,
            alerts,
            ingest_json,
            replay: None,
            reuse_for: i64::MAX / 4,
        }
    }
}

/// What [`set_status`] did to an incident.
pub struct StatusChange {
    /// Whether the status changed (acknowledging a resolved or acknowledged
    /// incident, or resolving a resolved one, changes nothing).
    pub changed: bool,
    /// Deliveries enqueued.
    pub enqueued: usize,
}

/// The signed deliveries of `event` (`data` as JSON text) for each subscribed
/// target: (url, body, headers as JSON), as both stores enqueue them.
pub fn deliveries_for<'o>(
    outgoing: &'o [Outgoing],
    event: &'o str,
    data: &'o str,
) -> impl Iterator<Item = (&'o str, String, String)> + 'o {
    let now = now_text();
    outgoing
        .iter()
        .filter(move |o| o.events.iter().any(|e| e == event))
        .filter_map(move |o| {
            let hook = alertgate::outgoing_webhook(event, &now, data, &o.secret).ok()?;
            let headers: serde_json::Map<String, Value> = hook
                .headers
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            Some((
                o.url.as_str(),
                hook.body,
                Value::Object(headers).to_string(),
            ))
        })
}
