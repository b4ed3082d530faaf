//! Folding alerts into incidents per (integration, dedup_key), filters, and the
//! outgoing-webhook events that result. One transaction (a savepoint) per request.

use alertgate::{Alert, Ingest, Status};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::config::{Field, Filter, Integration, Outgoing};
use super::db::{CachedSavepoint, now_text, now_unix};

/// A repeat of the same content within this many seconds is a `duplicate`.
const DUPLICATE_WINDOW_S: i64 = 60;

/// The first filter that does not hold for an alert, if any.
pub fn failing_filter<'f>(
    filters: &'f [Filter],
    alert: &Alert<'_>,
    source: &str,
    payload: Option<&Value>,
) -> Option<&'f Filter> {
    filters.iter().find(|f| {
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

/// What folding answered for one alert, and the event it raised.
pub struct Folded {
    pub result: Value,
    pub event: Option<(&'static str, Value)>,
}

fn content_of(a: &Alert) -> String {
    format!(
        "{}\u{1f}{}\u{1f}{}",
        a.status.as_str(),
        a.title,
        a.description.as_deref().unwrap_or("")
    )
}

/// Folds one alert (and its JSON) in `tx`.
fn fold_one(
    tx: &Connection,
    integration: &str,
    source: &str,
    alert: &Alert,
    alert_json: &str,
) -> rusqlite::Result<Folded> {
    let now = now_text();
    let now_s = now_unix();
    let content = content_of(alert);
    let existing: Option<(i64, String, i64, i64, String)> = tx
        .prepare_cached(
            "SELECT id, status, occurrence_count, last_seen_unix, last_content FROM incidents
              WHERE integration = ?1 AND dedup_key = ?2",
        )?
        .query_row(params![integration, alert.dedup_key], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let status = alert.status.as_str();
    let (id, outcome, count, event) = match existing {
        None => {
            tx.prepare_cached(
                "INSERT INTO incidents (integration, dedup_key, source, title, severity, status, service, host,
                                        occurrence_count, first_seen, last_seen, last_seen_unix, last_content)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9, ?10, ?11)",
            )?
            .execute(params![
                integration,
                alert.dedup_key,
                source,
                alert.title,
                alert.severity.as_str(),
                status,
                alert.service,
                alert.host,
                now,
                now_s,
                content
            ])?;
            let id = tx.last_insert_rowid();
            tx.prepare_cached(
                "INSERT INTO timeline (incident_id, status, at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id, status, now])?;
            // A first sight that is already resolved opens nothing to announce.
            let (outcome, event) = match alert.status {
                Status::Resolved => ("resolved", None),
                _ => ("created", Some("incident.created")),
            };
            (id, outcome, 1, event)
        }
        Some((id, old, count, last_s, last_content)) => {
            let duplicate = last_content == content && now_s - last_s < DUPLICATE_WINDOW_S;
            let (outcome, new_count, event) = match (old.as_str(), alert.status) {
                _ if duplicate => ("duplicate", count, None),
                ("resolved", Status::Resolved) => ("duplicate", count, None),
                ("resolved", _) => ("reopened", count + 1, Some("incident.created")),
                (_, Status::Resolved) => ("resolved", count, Some("incident.resolved")),
                ("acknowledged", Status::Acknowledged) => ("duplicate", count, None),
                (_, Status::Acknowledged) => ("acknowledged", count, Some("incident.acknowledged")),
                _ => ("occurrence_added", count + 1, None),
            };
            if outcome != "duplicate" {
                tx.prepare_cached(
                    "UPDATE incidents SET status = ?2, occurrence_count = ?3, last_seen = ?4, last_seen_unix = ?5,
                            last_content = ?6, title = ?7, severity = ?8
                      WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    status,
                    new_count,
                    now,
                    now_s,
                    content,
                    alert.title,
                    alert.severity.as_str()
                ])?;
                if old != status {
                    tx.prepare_cached(
                        "INSERT INTO timeline (incident_id, status, at) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![id, status, now])?;
                }
            }
            (id, outcome, new_count, event)
        }
    };
    tx.prepare_cached(
        "INSERT INTO occurrences (incident_id, outcome, status, alert_json, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id, outcome, status, alert_json, now])?;
    let result = json!({
        "outcome": outcome,
        "incident_id": id,
        "occurrence_count": count,
        "dedup_key": alert.dedup_key,
        "title": alert.title,
        "status": status,
        "report_url": format!("/api/v1/incidents/{id}"),
    });
    let event = event.map(|e| {
        let data = json!({"incident_id": id, "integration": integration, "source": source, "outcome": outcome, "alert": alert});
        (e, data)
    });
    Ok(Folded { result, event })
}

/// An ingest with its JSON and each alert's, serialized before the database
/// thread is asked (it runs one job at a time; the handlers run in parallel).
pub struct Serialized {
    pub ingest: Ingest<'static>,
    pub ingest_json: String,
    pub alert_jsons: Vec<String>,
}

impl Serialized {
    pub fn new(ingest: Ingest<'_>) -> Self {
        let alert_jsons = ingest
            .alerts
            .iter()
            .map(|a| serde_json::to_string(a).unwrap_or_default())
            .collect();
        Serialized {
            ingest_json: ingest.to_json(),
            alert_jsons,
            ingest: ingest.into_owned(),
        }
    }
}

/// Folds every alert of one request, records it, and enqueues outgoing events, in one
/// transaction. The results, and how many deliveries were enqueued.
pub fn fold(
    c: &Connection,
    integration: &Integration,
    request: &Serialized,
    payload: Option<&Value>,
    outgoing: &[Outgoing],
) -> rusqlite::Result<(Vec<Value>, usize)> {
    let tx = CachedSavepoint::new(c)?;
    let ingest = &request.ingest;
    let source = ingest.source.as_str();
    let mut results = Vec::with_capacity(ingest.alerts.len());
    let mut events = Vec::new();
    for (alert, alert_json) in ingest.alerts.iter().zip(&request.alert_jsons) {
        if let Some(f) = failing_filter(&integration.filters, alert, source, payload) {
            results.push(json!({
                "outcome": "filtered",
                "reason": f.text,
                "dedup_key": alert.dedup_key,
                "title": alert.title,
                "status": alert.status.as_str(),
            }));
            continue;
        }
        let folded = fold_one(&tx, &integration.name, source, alert, alert_json)?;
        results.push(folded.result);
        events.extend(folded.event);
    }
    let outcome = if results.is_empty() {
        "notice"
    } else {
        "folded"
    };
    tx.prepare_cached(
        "INSERT INTO received_alerts (route, integration, source, outcome, ingest_json, received_at) VALUES ('integration', ?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        integration.name,
        source,
        outcome,
        request.ingest_json,
        now_text()
    ])?;
    let mut enqueued = 0;
    for (event, data) in events {
        enqueued += enqueue(&tx, outgoing, event, data)?;
    }
    tx.commit()?;
    Ok((results, enqueued))
}

/// Enqueues a signed delivery of `event` to every subscribed target (the worker
/// sends it); how many were enqueued.
pub fn enqueue(
    c: &Connection,
    outgoing: &[Outgoing],
    event: &str,
    data: Value,
) -> rusqlite::Result<usize> {
    let mut enqueued = 0;
    for o in outgoing
        .iter()
        .filter(|o| o.events.iter().any(|e| e == event))
    {
        let Ok(hook) =
            alertgate::outgoing_webhook(event, &now_text(), &data.to_string(), &o.secret)
        else {
            continue;
        };
        let headers = Value::Object(
            hook.headers
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        );
        c.prepare_cached(
            "INSERT INTO deliveries (url, event, body, headers_json, status, next_attempt_unix, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?6)",
        )?
        .execute(params![
            o.url,
            event,
            hook.body,
            headers.to_string(),
            now_unix(),
            now_text()
        ])?;
        enqueued += 1;
    }
    Ok(enqueued)
}
