//! The SQLite side of the store: each call is one job on the database thread
//! (`Db::call`), sharing its group commit. The SQL lives in `db`, `fold`,
//! and here.

use std::sync::Arc;

use rusqlite::params;
use serde_json::{Value, json};

use super::{AlertSession, Attempt, Due, Gauges, Received, Result, SessionEnd};
use crate::serve::config::Outgoing;
use crate::serve::db::{self, CachedSavepoint, Db, now_text, now_unix};
use crate::serve::fold::{self, FoldAnswer, FoldJob, StatusChange, enqueue};

pub async fn fold(db: &Db, job: FoldJob, outgoing: Arc<[Outgoing]>) -> Result<FoldAnswer> {
    Ok(db.call(move |c| fold::fold(c, &job, &outgoing)).await?)
}

pub async fn set_status(
    db: &Db,
    outgoing: Arc<[Outgoing]>,
    id: i64,
    to: alertgate::Status,
) -> Result<Option<StatusChange>> {
    Ok(db
        .call(move |c| fold::set_status(c, &outgoing, id, to))
        .await?)
}

pub async fn incident(db: &Db, id: i64) -> Result<Option<Value>> {
    Ok(db.call(move |c| db::incident_json(c, id)).await?)
}

pub async fn incidents(
    db: &Db,
    status: Option<String>,
    source: Option<String>,
    limit: i64,
) -> Result<(Vec<Value>, Vec<Value>)> {
    Ok(db
        .call(move |c| {
            Ok((
                db::incidents(c, status.as_deref(), source.as_deref(), limit)?,
                db::notices(c, 20)?,
            ))
        })
        .await?)
}

pub async fn notices(db: &Db, limit: i64) -> Result<Vec<Value>> {
    Ok(db.call(move |c| db::notices(c, limit)).await?)
}

pub async fn add_notice(
    db: &Db,
    integration: String,
    kind: &'static str,
    detail: String,
) -> Result<()> {
    Ok(db
        .call(move |c| db::add_notice(c, &integration, kind, &detail))
        .await?)
}

pub async fn deliveries(db: &Db, limit: i64) -> Result<Vec<Value>> {
    Ok(db.call(move |c| db::deliveries(c, limit)).await?)
}

pub async fn sessions(db: &Db, trigger: Option<String>, limit: i64) -> Result<Vec<Value>> {
    Ok(db
        .call(move |c| db::sessions(c, trigger.as_deref(), limit))
        .await?)
}

pub async fn session(db: &Db, id: i64) -> Result<Option<Value>> {
    Ok(db.call(move |c| db::session_json(c, id)).await?)
}

const RECORD_ACKNOWLEDGED: &str = "INSERT INTO received_alerts (route, source, outcome, ingest_json, received_at) VALUES ('webhook', ?1, 'acknowledged', ?2, ?3)";

pub async fn record_if_busy(db: &Db, r: Received) -> Result<bool> {
    Ok(db
        .call(move |c| {
            let tx = CachedSavepoint::new(c)?;
            let running = db::running_sessions(&tx)?;
            if running > 0 {
                tx.execute(
                    RECORD_ACKNOWLEDGED,
                    params![r.source, r.ingest_json, now_text()],
                )?;
            }
            tx.commit()?;
            Ok(running > 0)
        })
        .await?)
}

pub async fn start_alert_session(db: &Db, r: Received, s: AlertSession) -> Result<Option<i64>> {
    Ok(db
        .call(move |c| {
            let tx = CachedSavepoint::new(c)?;
            // Checked again inside the transaction: two requests may race here.
            if db::running_sessions(&tx)? > 0 {
                tx.execute(
                    RECORD_ACKNOWLEDGED,
                    params![r.source, r.ingest_json, now_text()],
                )?;
                tx.commit()?;
                return Ok(None);
            }
            tx.execute(
                "INSERT INTO sessions (trigger, status, tier, prompt_text, synthesized_by, model, source, alerts_json, created_at)
                 VALUES ('alert', 'running', ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![s.tier, s.prompt, s.synthesized_by, s.model, r.source, s.alerts_json, now_text()],
            )?;
            let id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO received_alerts (route, session_id, source, outcome, ingest_json, received_at) VALUES ('webhook', ?1, ?2, 'triggered', ?3, ?4)",
                params![id, r.source, r.ingest_json, now_text()],
            )?;
            tx.commit()?;
            Ok(Some(id))
        })
        .await?)
}

pub async fn start_session(db: &Db, trigger: String, prompt: String) -> Result<Option<i64>> {
    Ok(db
        .call(move |c| {
            let tx = CachedSavepoint::new(c)?;
            if db::running_sessions(&tx)? > 0 {
                return Ok(None);
            }
            tx.execute(
                "INSERT INTO sessions (trigger, status, tier, prompt_text, created_at) VALUES (?1, 'running', 1, ?2, ?3)",
                params![trigger, prompt, now_text()],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(Some(id))
        })
        .await?)
}

pub async fn begin_session(db: &Db, id: i64) -> Result<(String, String)> {
    Ok(db
        .call(move |c| {
            c.execute(
                "UPDATE sessions SET started_at = ?2 WHERE id = ?1",
                params![id, now_text()],
            )?;
            c.query_row(
                "SELECT prompt_text, trigger FROM sessions WHERE id = ?1",
                [id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
        })
        .await?)
}

pub async fn finish_session(db: &Db, end: SessionEnd, outgoing: Arc<[Outgoing]>) -> Result<()> {
    Ok(db
        .call(move |c| {
            let tx = CachedSavepoint::new(c)?;
            tx.execute(
                "UPDATE sessions SET status = ?2, exit_code = ?3, output = ?4, duration_ms = ?5, finished_at = ?6 WHERE id = ?1",
                params![end.id, end.status, end.exit_code, end.output, end.ms, now_text()],
            )?;
            let data = json!({"session_id": end.id, "trigger": end.trigger, "status": end.status, "exit_code": end.exit_code, "duration_ms": end.ms});
            enqueue(&tx, &outgoing, "session.completed", data)?;
            tx.commit()
        })
        .await?)
}

/// One process owns the file: "in flight" is the worker's own set, no lease.
pub async fn due_deliveries(db: &Db, want: i64, busy: Vec<i64>) -> Result<Vec<Due>> {
    let due = db
        .call(move |c| {
            let mut st = c.prepare_cached(
                "SELECT id, url, event, body, headers_json, attempts FROM deliveries
                  WHERE status = 'pending' AND next_attempt_unix <= ?1
                  ORDER BY next_attempt_unix, id LIMIT ?2",
            )?;
            st.query_map(params![now_unix(), want], |r| {
                Ok(Due {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    event: r.get(2)?,
                    body: r.get(3)?,
                    headers: r.get(4)?,
                    attempts: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?;
    Ok(due.into_iter().filter(|d| !busy.contains(&d.id)).collect())
}

pub async fn record_attempt(db: &Db, a: Attempt) -> Result<()> {
    Ok(db
        .call(move |c| {
            let tx = CachedSavepoint::new(c)?;
            tx.execute(
                "INSERT INTO delivery_attempts (delivery_id, at, http_status, error) VALUES (?1, ?2, ?3, ?4)",
                params![a.id, now_text(), a.http_status, a.error],
            )?;
            tx.execute(
                "UPDATE deliveries SET status = ?2, attempts = ?3, last_http_status = ?4, last_error = ?5,
                        next_attempt_unix = ?6, updated_at = ?7 WHERE id = ?1",
                params![a.id, a.status, a.attempt, a.http_status, a.error, a.next_unix, now_text()],
            )?;
            tx.commit()
        })
        .await?)
}

pub async fn ping(db: &Db) -> Result<()> {
    Ok(db.call(|c| c.query_row("SELECT 1", [], |_| Ok(()))).await?)
}

pub async fn gauges(db: &Db) -> Result<Gauges> {
    let (open_incidents, database_bytes) = db.call(db::gauges).await?;
    let pending_deliveries = db.call(db::pending_deliveries).await?;
    Ok(Gauges {
        open_incidents,
        database_bytes,
        pending_deliveries,
        ..Gauges::default()
    })
}

pub async fn prune_replays(db: &Db, now: i64) -> Result<usize> {
    Ok(db
        .call(move |c| crate::serve::retention::expired_replays(c, now))
        .await?)
}

/// Sessions that were running when the process last stopped did not finish:
/// one process owns the file, so every running one is this process's.
pub async fn interrupt_running(db: &Db) -> Result<()> {
    db.call(|c| {
        c.execute(
            "UPDATE sessions SET status = 'interrupted', finished_at = COALESCE(finished_at, ?1) WHERE status = 'running'",
            [now_text()],
        )
    })
    .await?;
    Ok(())
}
