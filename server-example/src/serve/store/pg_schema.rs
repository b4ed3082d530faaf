//! PostgreSQL's schema: the SQLite tables' columns, plus what several
//! instances need (leases, the rate-limit buckets). Applied at start under an
//! advisory lock, so instances starting together migrate once.

/// Schema versions, applied in order; never edit a released one, add another.
pub const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    tier BIGINT NOT NULL,
    prompt_text TEXT NOT NULL,
    synthesized_by TEXT,
    model TEXT,
    source TEXT,
    alerts_json TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    exit_code BIGINT,
    output TEXT,
    duration_ms BIGINT,
    -- The instance running it, and until when it holds it unless renewed.
    instance TEXT,
    lease_until BIGINT
);
CREATE INDEX sessions_by_trigger ON sessions (trigger, id);
CREATE INDEX sessions_running ON sessions (id) WHERE status = 'running';
CREATE TABLE received_alerts (
    id BIGSERIAL PRIMARY KEY,
    route TEXT NOT NULL,
    integration TEXT,
    session_id BIGINT,
    source TEXT NOT NULL,
    outcome TEXT NOT NULL,
    ingest_json TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE incidents (
    id BIGSERIAL PRIMARY KEY,
    integration TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    service TEXT,
    host TEXT,
    occurrence_count BIGINT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_seen_unix BIGINT NOT NULL,
    last_content TEXT NOT NULL,
    -- What the last fold did, and the status before it: RETURNING sees only
    -- the new row, so the upsert leaves these for it to read.
    last_outcome TEXT NOT NULL DEFAULT 'created',
    prev_status TEXT,
    UNIQUE (integration, dedup_key)
);
CREATE TABLE occurrences (
    id BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    outcome TEXT NOT NULL,
    status TEXT NOT NULL,
    alert_json TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX occurrences_by_incident ON occurrences (incident_id, id);
CREATE TABLE timeline (
    id BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    status TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX timeline_by_incident ON timeline (incident_id, id);
CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    headers_json TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_http_status BIGINT,
    last_error TEXT,
    next_attempt_unix BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- The instance that claimed it, and until when (then another may).
    leased_by TEXT,
    lease_until BIGINT
);
CREATE INDEX deliveries_pending ON deliveries (next_attempt_unix, id) WHERE status = 'pending';
CREATE TABLE delivery_attempts (
    id BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES deliveries (id),
    at TEXT NOT NULL,
    http_status BIGINT,
    error TEXT
);
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id);
CREATE TABLE replays (
    integration TEXT NOT NULL,
    key TEXT NOT NULL,
    outcomes TEXT NOT NULL,
    expires_unix BIGINT NOT NULL,
    PRIMARY KEY (integration, key)
);
CREATE INDEX replays_by_expiry ON replays (expires_unix);
CREATE TABLE notices (
    id BIGSERIAL PRIMARY KEY,
    integration TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TEXT NOT NULL
);
-- Token buckets shared by every instance: tokens left as of at_ms.
CREATE TABLE rate_buckets (
    key TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    at_ms BIGINT NOT NULL,
    -- Whether the last check took a token (RETURNING sees only the new row).
    granted BOOLEAN NOT NULL
);
"#];

/// The advisory lock key that serialises migrations across instances.
pub const MIGRATION_LOCK: i64 = 0x0061_6c65_7274_6701;

/// The advisory lock key that serialises "is a session running?" with
/// starting one, across instances.
pub const SESSION_LOCK: i64 = 0x0061_6c65_7274_6702;
