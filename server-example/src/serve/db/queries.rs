//! Reads for the API and the dashboard: sessions, incidents, gauges, notices,
//! deliveries.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::*;

/// A session as JSON.
pub fn session_json(c: &Connection, id: i64) -> rusqlite::Result<Option<Value>> {
    c.query_row(
        "SELECT id, trigger, status, tier, prompt_text, synthesized_by, model, source, alerts_json,
                created_at, started_at, finished_at, exit_code, output, duration_ms
           FROM sessions WHERE id = ?1",
        [id],
        session_row,
    )
    .optional()
}

fn session_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let alerts: String = r.get(8)?;
    Ok(json!({
        "id": r.get::<_, i64>(0)?,
        "trigger": r.get::<_, String>(1)?,
        "status": r.get::<_, String>(2)?,
        "tier": r.get::<_, i64>(3)?,
        "prompt_text": r.get::<_, String>(4)?,
        "synthesized_by": r.get::<_, Option<String>>(5)?,
        "model": r.get::<_, Option<String>>(6)?,
        "source": r.get::<_, Option<String>>(7)?,
        "alerts": serde_json::from_str::<Value>(&alerts).unwrap_or(Value::Null),
        "created_at": r.get::<_, String>(9)?,
        "started_at": r.get::<_, Option<String>>(10)?,
        "finished_at": r.get::<_, Option<String>>(11)?,
        "exit_code": r.get::<_, Option<i64>>(12)?,
        "output": r.get::<_, Option<String>>(13)?,
        "duration_ms": r.get::<_, Option<i64>>(14)?,
    }))
}

/// Sessions, newest first.
pub fn sessions(c: &Connection, trigger: Option<&str>, limit: i64) -> rusqlite::Result<Vec<Value>> {
    let mut st = c.prepare(
        "SELECT id, trigger, status, tier, prompt_text, synthesized_by, model, source, alerts_json,
                created_at, started_at, finished_at, exit_code, output, duration_ms
           FROM sessions WHERE (?1 IS NULL OR trigger = ?1) ORDER BY id DESC LIMIT ?2",
    )?;
    st.query_map(params![trigger, limit], session_row)?
        .collect()
}

/// The number of sessions that are running.
pub fn running_sessions(c: &Connection) -> rusqlite::Result<i64> {
    with_hot(
        c,
        "SELECT COUNT(*) FROM sessions WHERE status = 'running'",
        |s| s.query_row([], |r| r.get(0)),
    )
}

/// An incident with its occurrences and timeline.
pub fn incident_json(c: &Connection, id: i64) -> rusqlite::Result<Option<Value>> {
    let Some(mut inc) = c
        .query_row("SELECT * FROM incidents WHERE id = ?1", [id], incident_row)
        .optional()?
    else {
        return Ok(None);
    };
    // A repeat stored once points at the occurrence that holds its JSON.
    let mut st = c.prepare(
        "SELECT o.outcome, o.status, COALESCE(src.alert_json, o.alert_json), o.received_at
           FROM occurrences o LEFT JOIN occurrences src ON src.id = o.alert_from
          WHERE o.incident_id = ?1 ORDER BY o.id",
    )?;
    let occ: Vec<Value> = st
        .query_map([id], |r| {
            let alert: String = r.get(2)?;
            Ok(json!({
                "outcome": r.get::<_, String>(0)?,
                "status": r.get::<_, String>(1)?,
                "alert": serde_json::from_str::<Value>(&alert).unwrap_or(Value::Null),
                "received_at": r.get::<_, String>(3)?,
            }))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = c.prepare("SELECT status, at FROM timeline WHERE incident_id = ?1 ORDER BY id")?;
    let timeline: Vec<Value> = st
        .query_map([id], |r| {
            Ok(json!({"status": r.get::<_, String>(0)?, "at": r.get::<_, String>(1)?}))
        })?
        .collect::<rusqlite::Result<_>>()?;
    inc["occurrences"] = Value::Array(occ);
    inc["timeline"] = Value::Array(timeline);
    Ok(Some(inc))
}

fn incident_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let id: i64 = r.get("id")?;
    Ok(json!({
        "id": id,
        "integration": r.get::<_, String>("integration")?,
        "dedup_key": r.get::<_, String>("dedup_key")?,
        "source": r.get::<_, String>("source")?,
        "title": r.get::<_, String>("title")?,
        "severity": r.get::<_, String>("severity")?,
        "status": r.get::<_, String>("status")?,
        "service": r.get::<_, Option<String>>("service")?,
        "host": r.get::<_, Option<String>>("host")?,
        "occurrence_count": r.get::<_, i64>("occurrence_count")?,
        "first_seen": r.get::<_, String>("first_seen")?,
        "last_seen": r.get::<_, String>("last_seen")?,
        "report_url": format!("/api/v1/incidents/{id}"),
    }))
}

/// Incidents, newest first, filtered by status ("open" means not resolved) and source.
pub fn incidents(
    c: &Connection,
    status: Option<&str>,
    source: Option<&str>,
    limit: i64,
) -> rusqlite::Result<Vec<Value>> {
    let mut st = c.prepare(
        "SELECT * FROM incidents
          WHERE (?1 IS NULL OR (?1 = 'open' AND status != 'resolved') OR status = ?1)
            AND (?2 IS NULL OR source = ?2)
          ORDER BY id DESC LIMIT ?3",
    )?;
    st.query_map(params![status, source, limit], incident_row)?
        .collect()
}

/// Open incidents and the database's size in bytes, for the gauges.
pub fn gauges(c: &Connection) -> rusqlite::Result<(i64, i64)> {
    let open = c.query_row(
        "SELECT COUNT(*) FROM incidents WHERE status != 'resolved'",
        [],
        |r| r.get(0),
    )?;
    let bytes = c.query_row(
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        [],
        |r| r.get(0),
    )?;
    Ok((open, bytes))
}

/// Deliveries waiting to be sent (or retried), for the queue gauge.
pub fn pending_deliveries(c: &Connection) -> rusqlite::Result<i64> {
    c.query_row(
        "SELECT COUNT(*) FROM deliveries WHERE status = 'pending'",
        [],
        |r| r.get(0),
    )
}

/// Records a notice.
pub fn add_notice(
    c: &Connection,
    integration: &str,
    kind: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO notices (integration, kind, detail, at) VALUES (?1, ?2, ?3, ?4)",
        params![integration, kind, detail, now_text()],
    )
    .map(|_| ())
}

/// Notices, newest first.
pub fn notices(c: &Connection, limit: i64) -> rusqlite::Result<Vec<Value>> {
    let mut st = c.prepare_cached(
        "SELECT id, integration, kind, detail, at FROM notices ORDER BY id DESC LIMIT ?1",
    )?;
    st.query_map([limit], |r| {
        Ok(json!({
            "id": r.get::<_, i64>(0)?,
            "integration": r.get::<_, String>(1)?,
            "kind": r.get::<_, String>(2)?,
            "detail": r.get::<_, String>(3)?,
            "at": r.get::<_, String>(4)?,
        }))
    })?
    .collect()
}

/// Delivery log, newest first.
pub fn deliveries(c: &Connection, limit: i64) -> rusqlite::Result<Vec<Value>> {
    let mut st = c.prepare(
        "SELECT id, url, event, status, attempts, last_http_status, last_error, created_at, updated_at
           FROM deliveries ORDER BY id DESC LIMIT ?1",
    )?;
    let rows: Vec<(i64, Value)> = st
        .query_map([limit], |r| {
            let id: i64 = r.get(0)?;
            Ok((
                id,
                json!({
                    "id": id,
                    "url": r.get::<_, String>(1)?,
                    "event": r.get::<_, String>(2)?,
                    "status": r.get::<_, String>(3)?,
                    "attempts": r.get::<_, i64>(4)?,
                    "last_http_status": r.get::<_, Option<i64>>(5)?,
                    "last_error": r.get::<_, Option<String>>(6)?,
                    "created_at": r.get::<_, String>(7)?,
                    "updated_at": r.get::<_, String>(8)?,
                }),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = c.prepare(
        "SELECT at, http_status, error FROM delivery_attempts WHERE delivery_id = ?1 ORDER BY id",
    )?;
    rows.into_iter()
        .map(|(id, mut v)| {
            let attempts: Vec<Value> = st
                .query_map([id], |r| {
                    Ok(json!({"at": r.get::<_, String>(0)?, "http_status": r.get::<_, Option<i64>>(1)?, "error": r.get::<_, Option<String>>(2)?}))
                })?
                .collect::<rusqlite::Result<_>>()?;
            v["log"] = Value::Array(attempts);
            Ok(v)
        })
        .collect()
}
