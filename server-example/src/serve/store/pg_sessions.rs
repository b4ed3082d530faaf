//! Sessions on PostgreSQL: one at a time across every instance. Starting one
//! takes a transaction-scoped advisory lock, so "is one running?" and the
//! insert are one step for the deployment; the running session carries a lease
//! that its instance renews, so a dead instance's session is released when the
//! lease runs out.

use serde_json::{Value, json};

use super::pg_fold::enqueue;
use super::pg_schema::SESSION_LOCK;
use super::postgres::Pg;
use super::{AlertSession, Received, Result, SessionEnd};
use crate::serve::config::Outgoing;
use crate::serve::db::{now_text, now_unix};

impl Pg {
    pub async fn sessions(&self, trigger: Option<String>, limit: i64) -> Result<Vec<Value>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("{SESSION_COLUMNS} WHERE ($1::TEXT IS NULL OR trigger = $1) ORDER BY id DESC LIMIT $2"),
                &[&trigger, &limit],
            )
            .await?;
        Ok(rows.iter().map(session_row).collect())
    }

    pub async fn session(&self, id: i64) -> Result<Option<Value>> {
        let c = self.client().await?;
        let row = c
            .query_opt(&format!("{SESSION_COLUMNS} WHERE id = $1"), &[&id])
            .await?;
        Ok(row.as_ref().map(session_row))
    }

    /// Whether a session runs on any instance, inside `tx`, which holds the
    /// session lock. A running session whose lease ran out belonged to an
    /// instance that died: it is interrupted here.
    async fn session_running(&self, tx: &deadpool_postgres::Transaction<'_>) -> Result<bool> {
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SESSION_LOCK])
            .await?;
        tx.execute(
            "UPDATE sessions SET status = 'interrupted', finished_at = $2
              WHERE status = 'running' AND lease_until < $1",
            &[&now_unix(), &now_text()],
        )
        .await?;
        let n: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM sessions WHERE status = 'running'",
                &[],
            )
            .await?
            .get(0);
        Ok(n > 0)
    }

    pub async fn record_if_busy(&self, r: Received) -> Result<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let busy = self.session_running(&tx).await?;
        if busy {
            tx.execute(
                RECORD_ACKNOWLEDGED,
                &[&r.source, &r.ingest_json, &now_text()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(busy)
    }

    pub async fn start_alert_session(&self, r: Received, s: AlertSession) -> Result<Option<i64>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        if self.session_running(&tx).await? {
            tx.execute(
                RECORD_ACKNOWLEDGED,
                &[&r.source, &r.ingest_json, &now_text()],
            )
            .await?;
            tx.commit().await?;
            return Ok(None);
        }
        let lease = now_unix() + self.lease_s;
        let id: i64 = tx
            .query_one(
                "INSERT INTO sessions (trigger, status, tier, prompt_text, synthesized_by, model, source, alerts_json, created_at, instance, lease_until)
                 VALUES ('alert', 'running', $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                &[&s.tier, &s.prompt, &s.synthesized_by, &s.model, &r.source, &s.alerts_json, &now_text(), &self.instance, &lease],
            )
            .await?
            .get(0);
        tx.execute(
            "INSERT INTO received_alerts (route, session_id, source, outcome, ingest_json, received_at) VALUES ('webhook', $1, $2, 'triggered', $3, $4)",
            &[&id, &r.source, &r.ingest_json, &now_text()],
        )
        .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    pub async fn start_session(&self, trigger: String, prompt: String) -> Result<Option<i64>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        if self.session_running(&tx).await? {
            return Ok(None);
        }
        let lease = now_unix() + self.lease_s;
        let id: i64 = tx
            .query_one(
                "INSERT INTO sessions (trigger, status, tier, prompt_text, created_at, instance, lease_until)
                 VALUES ($1, 'running', 1, $2, $3, $4, $5) RETURNING id",
                &[&trigger, &prompt, &now_text(), &self.instance, &lease],
            )
            .await?
            .get(0);
        tx.commit().await?;
        Ok(Some(id))
    }

    pub async fn begin_session(&self, id: i64) -> Result<(String, String)> {
        let c = self.client().await?;
        let r = c
            .query_one(
                "UPDATE sessions SET started_at = $2, lease_until = $3 WHERE id = $1
                 RETURNING prompt_text, trigger",
                &[&id, &now_text(), &(now_unix() + self.lease_s)],
            )
            .await?;
        Ok((r.get(0), r.get(1)))
    }

    pub async fn renew_session(&self, id: i64) -> Result<()> {
        let c = self.client().await?;
        c.execute(
            "UPDATE sessions SET lease_until = $2 WHERE id = $1 AND status = 'running' AND instance = $3",
            &[&id, &(now_unix() + self.lease_s), &self.instance],
        )
        .await?;
        Ok(())
    }

    pub async fn finish_session(&self, end: SessionEnd, outgoing: &[Outgoing]) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "UPDATE sessions SET status = $2, exit_code = $3, output = $4, duration_ms = $5, finished_at = $6, lease_until = NULL WHERE id = $1",
            &[&end.id, &end.status, &end.exit_code, &end.output, &end.ms, &now_text()],
        )
        .await?;
        let data = json!({"session_id": end.id, "trigger": end.trigger, "status": end.status, "exit_code": end.exit_code, "duration_ms": end.ms});
        enqueue(&tx, outgoing, "session.completed", &data).await?;
        tx.commit().await?;
        Ok(())
    }
}

const RECORD_ACKNOWLEDGED: &str = "INSERT INTO received_alerts (route, source, outcome, ingest_json, received_at) VALUES ('webhook', $1, 'acknowledged', $2, $3)";

/// A running session whose lease ran out reads as interrupted: its instance
/// died (it is marked so when the next session starts).
const SESSION_COLUMNS: &str = "SELECT id, trigger,
        CASE WHEN status = 'running' AND lease_until < EXTRACT(EPOCH FROM now())::BIGINT
             THEN 'interrupted' ELSE status END, tier, prompt_text, synthesized_by, model, source, alerts_json,
        created_at, started_at, finished_at, exit_code, output, duration_ms FROM sessions";

fn session_row(r: &tokio_postgres::Row) -> Value {
    json!({
        "id": r.get::<_, i64>(0),
        "trigger": r.get::<_, String>(1),
        "status": r.get::<_, String>(2),
        "tier": r.get::<_, i64>(3),
        "prompt_text": r.get::<_, String>(4),
        "synthesized_by": r.get::<_, Option<String>>(5),
        "model": r.get::<_, Option<String>>(6),
        "source": r.get::<_, Option<String>>(7),
        "alerts": serde_json::from_str::<Value>(r.get(8)).unwrap_or(Value::Null),
        "created_at": r.get::<_, String>(9),
        "started_at": r.get::<_, Option<String>>(10),
        "finished_at": r.get::<_, Option<String>>(11),
        "exit_code": r.get::<_, Option<i64>>(12),
        "output": r.get::<_, Option<String>>(13),
        "duration_ms": r.get::<_, Option<i64>>(14),
    })
}
