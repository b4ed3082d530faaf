//! Folding on PostgreSQL: one upsert per alert that decides the outcome from
//! the row as it is when the statement takes its lock, so instances folding
//! the same key at once are serialised by the row, never by a read followed by
//! a write. The outcomes are the ones `fold::fold_one` gives on SQLite.

use serde_json::{Value, json};
use tokio_postgres::error::SqlState;

use super::postgres::Pg;
use super::{Result, StoreError};
use crate::serve::config::Outgoing;
use crate::serve::db::{now_text, now_unix};
use crate::serve::fold::{
    DUPLICATE_WINDOW_S, FoldAnswer, FoldJob, Outcome, StatusChange, ToFold, content_of,
    deliveries_for, outcome_word, outcomes_from_json, outcomes_json,
};

/// What an alert does to the incident as stored (`i`, the row as locked) given
/// the new values (`excluded`): the rules of `fold::fold_one`, in SQL.
const OUTCOME: &str = "(CASE
    WHEN i.last_content = excluded.last_content
         AND excluded.last_seen_unix - i.last_seen_unix < $W THEN 'duplicate'
    WHEN i.status = 'resolved' AND excluded.status = 'resolved' THEN 'duplicate'
    WHEN i.status = 'resolved' THEN 'reopened'
    WHEN excluded.status = 'resolved' THEN 'resolved'
    WHEN i.status = 'acknowledged' AND excluded.status = 'acknowledged' THEN 'duplicate'
    WHEN excluded.status = 'acknowledged' THEN 'acknowledged'
    ELSE 'occurrence_added' END)";

/// The upsert: a new incident, or the existing one changed as the outcome says
/// (a duplicate changes nothing but the outcome it leaves for RETURNING), with
/// its occurrence and timeline entry in the same statement: the incident's row
/// stays locked from this statement to the commit, one round trip.
fn upsert_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let o = OUTCOME.replace("$W", &DUPLICATE_WINDOW_S.to_string());
        let keep = |col: &str| {
            format!("{col} = CASE WHEN {o} = 'duplicate' THEN i.{col} ELSE excluded.{col} END")
        };
        format!(
            "WITH up AS (INSERT INTO incidents AS i (integration, dedup_key, source, title, severity, status, service, host,
                                         occurrence_count, first_seen, last_seen, last_seen_unix, last_content,
                                         last_outcome, prev_status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10, $11, 'created', NULL)
             ON CONFLICT (integration, dedup_key) DO UPDATE SET
               last_outcome = {o},
               prev_status = i.status,
               occurrence_count = i.occurrence_count
                 + CASE WHEN {o} IN ('reopened', 'occurrence_added') THEN 1 ELSE 0 END,
               {}, {}, {}, {}, {}, {}
             RETURNING id, occurrence_count, last_outcome, prev_status, (xmax = 0) AS inserted),
             o AS (SELECT id, occurrence_count, inserted, prev_status,
                          CASE WHEN NOT inserted THEN last_outcome
                               WHEN $6 = 'resolved' THEN 'resolved' ELSE 'created' END AS outcome
                     FROM up),
             occ AS (INSERT INTO occurrences (incident_id, outcome, status, alert_json, received_at)
                     SELECT id, outcome, $6, $12, $9 FROM o),
             tl AS (INSERT INTO timeline (incident_id, status, at)
                    SELECT id, $6, $9 FROM o
                     WHERE inserted OR (outcome != 'duplicate' AND prev_status IS DISTINCT FROM $6))
             SELECT id, occurrence_count, outcome, inserted FROM o",
            keep("status"),
            keep("last_seen"),
            keep("last_seen_unix"),
            keep("last_content"),
            keep("title"),
            keep("severity"),
        )
    })
}

/// How often a fold is retried when PostgreSQL chose it as a deadlock's victim.
const RETRIES: usize = 3;

impl Pg {
    /// Folds one request in one transaction: replay record first (a second
    /// instance folding the same delivery waits for the first, then answers
    /// its outcomes), then each alert's upsert, the request's record and the
    /// outgoing events.
    pub async fn fold(&self, job: FoldJob, outgoing: &[Outgoing]) -> Result<FoldAnswer> {
        let mut tries = 0;
        loop {
            match self.fold_once(&job, outgoing).await {
                Err(StoreError::Failed(why)) if tries < RETRIES && retryable(&why) => {
                    tries += 1;
                }
                other => return other,
            }
        }
    }

    async fn fold_once(&self, job: &FoldJob, outgoing: &[Outgoing]) -> Result<FoldAnswer> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg_err)?;
        let name = job.integration.as_str();
        let now_s = now_unix();
        if let Some(r) = &job.replay {
            // Claims the key (or a stale record of it); a concurrent claim of the
            // same key waits here until the first transaction ends.
            let claim = tx
                .prepare_cached(
                    "INSERT INTO replays AS r (integration, key, outcomes, expires_unix) VALUES ($1, $2, '', $3)
                     ON CONFLICT (integration, key) DO UPDATE SET outcomes = '', expires_unix = excluded.expires_unix
                       WHERE r.expires_unix < $4
                     RETURNING 1",
                )
                .await
                .map_err(pg_err)?;
            let mine = tx
                .query_opt(&claim, &[&name, &r.key, &r.expires_unix, &now_s])
                .await
                .map_err(pg_err)?
                .is_some();
            if !mine {
                let text: String = tx
                    .query_one(
                        "SELECT outcomes FROM replays WHERE integration = $1 AND key = $2",
                        &[&name, &r.key],
                    )
                    .await
                    .map_err(pg_err)?
                    .get(0);
                tx.commit().await.map_err(pg_err)?;
                return Ok(FoldAnswer {
                    outcomes: outcomes_from_json(&text),
                    enqueued: 0,
                    replayed: true,
                });
            }
        }
        let upsert = tx.prepare_cached(upsert_sql()).await.map_err(pg_err)?;
        let now = now_text();
        // Recorded before any incident's row is locked: the locks are held until
        // the commit, so the less comes after them, the shorter the queue behind.
        // The request path's statements are prepared once per connection.
        let record = tx
            .prepare_cached(
                "INSERT INTO received_alerts (route, integration, source, outcome, ingest_json, received_at)
                 VALUES ('integration', $1, $2, $3, $4, $5)",
            )
            .await
            .map_err(pg_err)?;
        tx.execute(
            &record,
            &[&name, &job.source, &job.outcome, &job.ingest_json, &now],
        )
        .await
        .map_err(pg_err)?;
        // Rows are locked in key order, so two requests that fold the same keys
        // in different orders queue behind each other rather than deadlock.
        let mut order: Vec<usize> = (0..job.alerts.len()).collect();
        order.sort_by(|a, b| job.alerts[*a].dedup_key.cmp(&job.alerts[*b].dedup_key));
        let mut results = vec![None; job.alerts.len()];
        let mut events = Vec::new();
        for i in order {
            let a = &job.alerts[i];
            let status = a.status.as_str();
            let row = tx
                .query_one(
                    &upsert,
                    &[
                        &name,
                        &a.dedup_key,
                        &job.source,
                        &a.title,
                        &a.severity.as_str(),
                        &status,
                        &a.service,
                        &a.host,
                        &now,
                        &now_s,
                        &content_of(a),
                        &a.json,
                    ],
                )
                .await
                .map_err(pg_err)?;
            let id: i64 = row.get(0);
            let count: i64 = row.get(1);
            let outcome = outcome_word(row.get(2));
            let inserted: bool = row.get(3);
            let event = match outcome {
                "created" => Some("incident.created"),
                "reopened" => Some("incident.created"),
                "resolved" if !inserted => Some("incident.resolved"),
                "acknowledged" => Some("incident.acknowledged"),
                _ => None,
            };
            if let Some(e) = event {
                events.push((e, event_data(id, name, job.source, outcome, a)));
            }
            results[i] = Some(Outcome::Folded {
                outcome,
                incident_id: id,
                occurrence_count: count,
            });
        }
        let results: Vec<Outcome> = results.into_iter().flatten().collect();
        if let Some(r) = &job.replay {
            tx.execute(
                "UPDATE replays SET outcomes = $3 WHERE integration = $1 AND key = $2",
                &[&name, &r.key, &outcomes_json(&results)],
            )
            .await
            .map_err(pg_err)?;
        }
        let mut enqueued = 0;
        for (event, data) in events {
            enqueued += enqueue(&tx, outgoing, event, &data).await?;
        }
        tx.commit().await.map_err(pg_err)?;
        Ok(FoldAnswer {
            outcomes: results,
            enqueued,
            replayed: false,
        })
    }

    /// Acknowledges or resolves an incident by hand, with its timeline entry
    /// and event, in one transaction that holds the incident's row.
    pub async fn set_status(
        &self,
        outgoing: &[Outgoing],
        id: i64,
        to: alertgate::Status,
    ) -> Result<Option<StatusChange>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let Some(row) = tx
            .query_opt(
                "SELECT status, integration, source FROM incidents WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await?
        else {
            return Ok(None);
        };
        let (was, integration, source): (String, String, String) =
            (row.get(0), row.get(1), row.get(2));
        let (event, changes) = match to {
            alertgate::Status::Acknowledged => ("incident.acknowledged", was == "triggered"),
            alertgate::Status::Resolved => ("incident.resolved", was != "resolved"),
            alertgate::Status::Triggered => ("", false),
        };
        if !changes {
            tx.commit().await?;
            return Ok(Some(StatusChange {
                changed: false,
                enqueued: 0,
            }));
        }
        tx.execute(
            "UPDATE incidents SET status = $2 WHERE id = $1",
            &[&id, &to.as_str()],
        )
        .await?;
        tx.execute(
            "INSERT INTO timeline (incident_id, status, at) VALUES ($1, $2, $3)",
            &[&id, &to.as_str(), &now_text()],
        )
        .await?;
        let alert: Value = tx
            .query_opt(
                "SELECT alert_json FROM occurrences WHERE incident_id = $1 ORDER BY id DESC LIMIT 1",
                &[&id],
            )
            .await?
            .and_then(|r| serde_json::from_str(r.get(0)).ok())
            .unwrap_or(Value::Null);
        let data = json!({"incident_id": id, "integration": integration, "source": source, "outcome": to.as_str(), "alert": alert});
        let enqueued = enqueue(&tx, outgoing, event, &data).await?;
        tx.commit().await?;
        Ok(Some(StatusChange {
            changed: true,
            enqueued,
        }))
    }
}

fn event_data(id: i64, integration: &str, source: &str, outcome: &str, a: &ToFold) -> Value {
    let alert: Value = serde_json::from_str(&a.json).unwrap_or(Value::Null);
    json!({"incident_id": id, "integration": integration, "source": source, "outcome": outcome, "alert": alert})
}

/// Keeps the SQL state in the message, so that `fold` can tell a deadlock.
fn pg_err(e: tokio_postgres::Error) -> StoreError {
    match (super::postgres::classify(&e), e.code()) {
        (StoreError::Failed(why), Some(code)) => {
            StoreError::Failed(format!("[{}] {why}", code.code()))
        }
        (other, _) => other,
    }
}

/// A deadlock victim or a serialisation failure: the same fold again succeeds.
fn retryable(why: &str) -> bool {
    [
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::T_R_SERIALIZATION_FAILURE,
    ]
    .iter()
    .any(|c| why.starts_with(&format!("[{}]", c.code())))
}

/// Enqueues a signed delivery of `event` to every subscribed target, in the
/// caller's transaction: committed with the change that raised it, or not at all.
pub async fn enqueue(
    tx: &deadpool_postgres::Transaction<'_>,
    outgoing: &[Outgoing],
    event: &str,
    data: &Value,
) -> Result<usize> {
    let mut enqueued = 0;
    let data = data.to_string();
    for (url, body, headers) in deliveries_for(outgoing, event, &data) {
        tx.execute(
            "INSERT INTO deliveries (url, event, body, headers_json, status, next_attempt_unix, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, $6, $6)",
            &[&url, &event, &body, &headers, &now_unix(), &now_text()],
        )
        .await
        .map_err(pg_err)?;
        enqueued += 1;
    }
    Ok(enqueued)
}
