//! The store: one SQLite file in WAL mode, migrated at start. Every write that
//! a response acknowledges is committed before the response is sent.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

/// Schema versions, applied in order; never edit a released one, add another.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    tier INTEGER NOT NULL,
    prompt_text TEXT NOT NULL,
    synthesized_by TEXT,
    model TEXT,
    source TEXT,
    alerts_json TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    exit_code INTEGER,
    output TEXT,
    duration_ms INTEGER
);
CREATE INDEX sessions_by_trigger ON sessions (trigger, id);
CREATE TABLE received_alerts (
    id INTEGER PRIMARY KEY,
    route TEXT NOT NULL,
    integration TEXT,
    session_id INTEGER,
    source TEXT NOT NULL,
    outcome TEXT NOT NULL,
    ingest_json TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    integration TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    service TEXT,
    host TEXT,
    occurrence_count INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_seen_unix INTEGER NOT NULL,
    last_content TEXT NOT NULL,
    UNIQUE (integration, dedup_key)
);
CREATE TABLE occurrences (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    outcome TEXT NOT NULL,
    status TEXT NOT NULL,
    alert_json TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE timeline (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    status TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    headers_json TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_http_status INTEGER,
    last_error TEXT,
    next_attempt_unix INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE delivery_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
    at TEXT NOT NULL,
    http_status INTEGER,
    error TEXT
);
"#];

/// Shared handle; calls run on the blocking pool.
#[derive(Clone)]
pub struct Db(Arc<Mutex<Connection>>);

pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

pub fn now_text() -> String {
    alertgate::unix_to_rfc3339(now_unix()).unwrap_or_default()
}

impl Db {
    /// Opens (creating) the file, sets WAL and applies pending migrations.
    pub fn open(path: &Path) -> rusqlite::Result<Db> {
        let mut c = Connection::open(path)?;
        c.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL in WAL mode survives a process kill (only a power loss can lose the tail).
        c.pragma_update(None, "synchronous", "NORMAL")?;
        c.pragma_update(None, "foreign_keys", "ON")?;
        c.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            let tx = c.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i64::try_from(i + 1).unwrap_or(0))?;
            tx.commit()?;
        }
        Ok(Db(Arc::new(Mutex::new(c))))
    }

    /// Runs `f` with the connection on the blocking pool.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> rusqlite::Result<T> {
        let db = self.0.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock poisons it; the data is still consistent
            // (transactions roll back), so carry on.
            let mut c = db.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut c)
        })
        .await
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?
    }
}

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
    c.query_row(
        "SELECT COUNT(*) FROM sessions WHERE status = 'running'",
        [],
        |r| r.get(0),
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
    let mut st = c.prepare(
        "SELECT outcome, status, alert_json, received_at FROM occurrences WHERE incident_id = ?1 ORDER BY id",
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

/// Open incidents, for the gauge.
pub fn open_incidents(c: &Connection) -> rusqlite::Result<i64> {
    c.query_row(
        "SELECT COUNT(*) FROM incidents WHERE status != 'resolved'",
        [],
        |r| r.get(0),
    )
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
