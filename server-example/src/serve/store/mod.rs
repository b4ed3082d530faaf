//! The store behind the handlers, folding, sessions, deliveries and replay
//! records: SQLite (one file, one writer thread with group commit; the
//! default) or PostgreSQL (a pool shared by any number of instances). Callers
//! see only these methods; each backend keeps its own SQL.

mod pg_fold;
mod pg_schema;
mod pg_sessions;
mod postgres;
mod sqlite;

use std::sync::Arc;

use serde_json::Value;

pub use postgres::Pg;

use super::ApiError;
use super::config::Outgoing;
use super::db::Db;
use super::fold::{FoldAnswer, FoldJob, StatusChange};

/// Where the server keeps its state.
#[derive(Clone)]
pub enum Store {
    Sqlite(Db),
    Postgres(Pg),
}

/// Why a store call failed.
#[derive(Debug)]
pub enum StoreError {
    /// The database cannot be reached (connection lost, pool exhausted, timed
    /// out): answered 503, nothing was acknowledged.
    Unavailable(String),
    /// The database answered with an error.
    Failed(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Unavailable(e) => write!(f, "database unavailable: {e}"),
            StoreError::Failed(e) => write!(f, "database error: {e}"),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Failed(e.to_string())
    }
}

impl From<&StoreError> for ApiError {
    fn from(e: &StoreError) -> Self {
        match e {
            StoreError::Unavailable(why) => {
                tracing::error!(error = %why, "database unavailable");
                ApiError::new(
                    503,
                    "database_unavailable",
                    "the database is unavailable; nothing was stored, retry later",
                )
            }
            StoreError::Failed(why) => {
                tracing::error!(error = %why, "database error");
                ApiError::new(
                    500,
                    "database_error",
                    "the database could not complete the request",
                )
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::from(&e)
    }
}

/// What the store's result is.
pub type Result<T> = std::result::Result<T, StoreError>;

/// A delivery due to be sent, as claimed by this instance.
pub struct Due {
    pub id: i64,
    pub url: String,
    pub event: String,
    pub body: String,
    pub headers: String,
    pub attempts: i64,
}

/// One attempt's result, as recorded.
pub struct Attempt {
    pub id: i64,
    pub status: &'static str,
    pub attempt: i64,
    pub http_status: Option<i64>,
    pub error: Option<String>,
    pub next_unix: i64,
}

/// A finished session, as recorded.
pub struct SessionEnd {
    pub id: i64,
    pub trigger: String,
    pub status: &'static str,
    pub exit_code: Option<i64>,
    pub output: String,
    pub ms: i64,
}

/// The store's gauges for `/metrics`.
#[derive(Default)]
pub struct Gauges {
    pub open_incidents: i64,
    pub database_bytes: i64,
    pub pending_deliveries: i64,
    /// Deliveries claimed by some instance and not yet recorded (PostgreSQL).
    pub leased_deliveries: i64,
    /// Pool connections in all, idle, and requests waiting for one (PostgreSQL).
    pub pool: Option<(usize, usize, usize)>,
}

/// What `/health` says of the store.
pub struct Health {
    pub backend: &'static str,
    pub ok: bool,
    /// The pool's size, idle connections and waiters (PostgreSQL).
    pub pool: Option<(usize, usize, usize)>,
}

/// A request recorded on the webhook route while a session runs.
pub struct Received {
    pub source: &'static str,
    pub ingest_json: String,
}

/// A session asked for by an alert on the webhook route.
pub struct AlertSession {
    pub tier: i64,
    pub prompt: String,
    pub synthesized_by: Option<String>,
    pub model: Option<String>,
    pub alerts_json: String,
}

macro_rules! both {
    ($self:ident, $s:ident => $sq:expr, $p:ident => $pg:expr) => {
        match $self {
            Store::Sqlite($s) => $sq,
            Store::Postgres($p) => $pg,
        }
    };
}

impl Store {
    /// Opens the store named by `--db`: a `postgres://` URL or a SQLite path.
    pub async fn open(args: &super::ServeArgs) -> std::result::Result<Store, String> {
        let text = args.db.to_string_lossy();
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Pg::connect(&text, args).await.map(Store::Postgres);
        }
        let db = Db::open(&args.db, args.durability)
            .map_err(|e| format!("{}: {e}", args.db.display()))?;
        sqlite::interrupt_running(&db)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Store::Sqlite(db))
    }

    /// The SQLite database, for the parts whose SQLite and PostgreSQL
    /// versions differ by more than their SQL (the dashboard's reads, the
    /// pruner's walk, the cheaper in-memory rate limits).
    pub fn sqlite(&self) -> Option<&Db> {
        match self {
            Store::Sqlite(db) => Some(db),
            Store::Postgres(_) => None,
        }
    }

    /// Folds one request's alerts (see [`super::fold::fold`]).
    pub async fn fold(&self, job: FoldJob, outgoing: Arc<[Outgoing]>) -> Result<FoldAnswer> {
        both!(self, db => sqlite::fold(db, job, outgoing).await, pg => pg.fold(job, &outgoing).await)
    }

    /// Acknowledges or resolves an incident by hand.
    pub async fn set_status(
        &self,
        outgoing: Arc<[Outgoing]>,
        id: i64,
        to: alertgate::Status,
    ) -> Result<Option<StatusChange>> {
        both!(self, db => sqlite::set_status(db, outgoing, id, to).await, pg => pg.set_status(&outgoing, id, to).await)
    }

    /// An incident with its occurrences and timeline.
    pub async fn incident(&self, id: i64) -> Result<Option<Value>> {
        both!(self, db => sqlite::incident(db, id).await, pg => pg.incident(id).await)
    }

    /// Incidents (newest first) and the latest 20 notices.
    pub async fn incidents(
        &self,
        status: Option<String>,
        source: Option<String>,
        limit: i64,
    ) -> Result<(Vec<Value>, Vec<Value>)> {
        both!(self, db => sqlite::incidents(db, status, source, limit).await, pg => pg.incidents(status, source, limit).await)
    }

    /// Notices, newest first.
    pub async fn notices(&self, limit: i64) -> Result<Vec<Value>> {
        both!(self, db => sqlite::notices(db, limit).await, pg => pg.notices(limit).await)
    }

    /// Records a notice.
    pub async fn add_notice(
        &self,
        integration: String,
        kind: &'static str,
        detail: String,
    ) -> Result<()> {
        both!(self, db => sqlite::add_notice(db, integration, kind, detail).await, pg => pg.add_notice(&integration, kind, &detail).await)
    }

    /// The delivery log, newest first.
    pub async fn deliveries(&self, limit: i64) -> Result<Vec<Value>> {
        both!(self, db => sqlite::deliveries(db, limit).await, pg => pg.deliveries(limit).await)
    }

    /// Sessions, newest first.
    pub async fn sessions(&self, trigger: Option<String>, limit: i64) -> Result<Vec<Value>> {
        both!(self, db => sqlite::sessions(db, trigger, limit).await, pg => pg.sessions(trigger, limit).await)
    }

    /// A session.
    pub async fn session(&self, id: i64) -> Result<Option<Value>> {
        both!(self, db => sqlite::session(db, id).await, pg => pg.session(id).await)
    }

    /// Records a webhook-route request as acknowledged when a session runs;
    /// whether one does.
    pub async fn record_if_busy(&self, r: Received) -> Result<bool> {
        both!(self, db => sqlite::record_if_busy(db, r).await, pg => pg.record_if_busy(r).await)
    }

    /// Starts an alert's session unless one runs (then the request is recorded
    /// as acknowledged): its id, or `None`.
    pub async fn start_alert_session(&self, r: Received, s: AlertSession) -> Result<Option<i64>> {
        both!(self, db => sqlite::start_alert_session(db, r, s).await, pg => pg.start_alert_session(r, s).await)
    }

    /// Starts a manual or API session unless one runs: its id, or `None`.
    pub async fn start_session(&self, trigger: String, prompt: String) -> Result<Option<i64>> {
        both!(self, db => sqlite::start_session(db, trigger, prompt).await, pg => pg.start_session(trigger, prompt).await)
    }

    /// Marks a session started: its prompt and trigger.
    pub async fn begin_session(&self, id: i64) -> Result<(String, String)> {
        both!(self, db => sqlite::begin_session(db, id).await, pg => pg.begin_session(id).await)
    }

    /// Keeps this instance's hold on a running session (PostgreSQL's lease).
    pub async fn renew_session(&self, id: i64) -> Result<()> {
        both!(self, _db => Ok(()), pg => pg.renew_session(id).await)
    }

    /// Records a session's end and enqueues its `session.completed` event.
    pub async fn finish_session(&self, end: SessionEnd, outgoing: Arc<[Outgoing]>) -> Result<()> {
        both!(self, db => sqlite::finish_session(db, end, outgoing).await, pg => pg.finish_session(end, &outgoing).await)
    }

    /// Claims up to `free` due deliveries that are not `busy` (in flight here).
    pub async fn claim_deliveries(&self, free: usize, busy: Vec<i64>) -> Result<Vec<Due>> {
        let want = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        // A claim on PostgreSQL skips what is leased, this instance's own in-flight
        // deliveries included; SQLite's look-up does not, so it asks for more.
        both!(self, db => sqlite::due_deliveries(db, want(free + busy.len()), busy).await,
              pg => pg.claim_deliveries(want(free)).await)
    }

    /// Records one delivery attempt (and releases its claim).
    pub async fn record_attempt(&self, a: Attempt) -> Result<()> {
        both!(self, db => sqlite::record_attempt(db, a).await, pg => pg.record_attempt(a).await)
    }

    /// Whether the database answers.
    pub async fn health(&self) -> Health {
        both!(self, db => Health { backend: "sqlite", ok: sqlite::ping(db).await.is_ok(), pool: None },
              pg => pg.health().await)
    }

    /// The gauges of `/metrics`.
    pub async fn gauges(&self) -> Result<Gauges> {
        both!(self, db => sqlite::gauges(db).await, pg => pg.gauges().await)
    }

    /// Deletes expired replay records; how many.
    pub async fn prune_replays(&self, now: i64) -> Result<usize> {
        both!(self, db => sqlite::prune_replays(db, now).await, pg => pg.prune_replays(now).await)
    }

    /// Hands this instance's running work back at shutdown: its running
    /// session is interrupted, its claimed deliveries are released.
    pub async fn hand_back(&self) -> Result<()> {
        both!(self, db => sqlite::interrupt_running(db).await, pg => pg.hand_back().await)
    }

    /// One shared rate-limit check (PostgreSQL), a bucket of `size` refilled
    /// whole in `period`: `None` on SQLite, whose limits are the in-memory
    /// ones; else the tokens left, or the seconds to wait.
    pub async fn take_token(
        &self,
        key: &str,
        size: u32,
        period: std::time::Duration,
    ) -> Result<Option<std::result::Result<u32, f64>>> {
        both!(self, _db => Ok(None), pg => pg.take_token(key, size, period).await.map(Some))
    }
}
