//! The SQLite schema and its migrations, applied in order at start.

use rusqlite::Connection;

/// Schema versions, applied in order; never edit a released one, add another.
const MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    r#"
-- A repeat is stored once. An occurrence whose alert JSON equals the one its incident
-- last stored keeps '' and names that occurrence in alert_from; a received request
-- whose ingest JSON equals the one its integration last stored keeps '' and names
-- that row in ingest_from. Readers follow the pointer (see incident_json).
ALTER TABLE incidents ADD COLUMN alert_occurrence INTEGER;
ALTER TABLE occurrences ADD COLUMN alert_from INTEGER;
ALTER TABLE received_alerts ADD COLUMN ingest_from INTEGER;
CREATE TABLE last_ingest (
    integration TEXT PRIMARY KEY,
    received_id INTEGER NOT NULL
) WITHOUT ROWID;
"#,
    r#"
-- Deliveries already folded, by a digest of their identity (delivery id or
-- timestamped signature): a replay is answered with the first outcomes.
CREATE TABLE replays (
    integration TEXT NOT NULL,
    key TEXT NOT NULL,
    outcomes TEXT NOT NULL,
    expires_unix INTEGER NOT NULL,
    PRIMARY KEY (integration, key)
) WITHOUT ROWID;
CREATE INDEX replays_by_expiry ON replays (expires_unix);
-- The delivery log reads, and pruning deletes, a delivery's attempts.
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id);
-- The delivery worker's and the queue gauge's look-up, without a table scan.
CREATE INDEX deliveries_pending ON deliveries (next_attempt_unix) WHERE status = 'pending';
"#,
    r#"
-- What happened to an integration that is not an alert: an SNS subscription
-- confirmed (or not), an unsubscription.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    integration TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TEXT NOT NULL
);
"#,
];

/// Applies the migrations the database has not seen yet.
pub fn migrate(c: &mut Connection) -> rusqlite::Result<()> {
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
    Ok(())
}
