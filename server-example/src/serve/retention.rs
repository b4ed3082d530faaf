//! Bounded growth: received bodies, occurrences, finished deliveries and
//! expired replay records older than `--retention` are deleted in the
//! background, a few hundred rows per database job, so the writer is never
//! held up for long. Incidents, their timelines and sessions stay.
//!
//! Rows are walked in id order (ids grow with time) from a cursor kept in
//! memory, so a pass reads only the rows it deletes and the first row it keeps.
//! A repeat stores its JSON once and points at the row that holds it; folding
//! points only at rows younger than half the retention, so a row that holds
//! JSON is kept until one and a half times the retention, by which time every
//! row that could point at it is gone.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, params};

use super::AppState;
use super::db::now_unix;

/// Rows looked at per database job.
const BATCH: i64 = 500;

/// One kind of row that ages out.
struct Rule {
    /// The metric label.
    name: &'static str,
    table: &'static str,
    /// Its RFC 3339 time column.
    time: &'static str,
    /// Which old rows may go (SQL over the table's columns).
    deletable: &'static str,
    /// A row that stops the walk (it may become deletable later).
    blocks: &'static str,
    /// Run first, over the same range (?1 cutoff, ?2 after, ?3 up to).
    before: Option<&'static str>,
    /// The rule uses one and a half times the retention.
    long: bool,
}

const RULES: &[Rule] = &[
    Rule {
        name: "occurrences",
        table: "occurrences",
        time: "received_at",
        deletable: "alert_json = ''",
        blocks: "0",
        before: None,
        long: false,
    },
    Rule {
        name: "occurrences",
        table: "occurrences",
        time: "received_at",
        deletable: "1",
        blocks: "0",
        before: None,
        long: true,
    },
    Rule {
        name: "received_alerts",
        table: "received_alerts",
        time: "received_at",
        deletable: "ingest_json = '' OR route = 'webhook'",
        blocks: "0",
        before: None,
        long: false,
    },
    Rule {
        name: "received_alerts",
        table: "received_alerts",
        time: "received_at",
        deletable: "1",
        blocks: "0",
        before: None,
        long: true,
    },
    Rule {
        name: "deliveries",
        table: "deliveries",
        time: "created_at",
        deletable: "status != 'pending'",
        blocks: "status = 'pending'",
        before: Some(
            "DELETE FROM delivery_attempts WHERE delivery_id IN
               (SELECT id FROM deliveries WHERE id > ?2 AND id <= ?3 AND created_at < ?1 AND status != 'pending')",
        ),
        long: false,
    },
];

/// One step of a rule from `after`: how many rows went, where the walk stands,
/// and whether a full batch was old (so there may be more).
fn step(
    c: &Connection,
    rule: &Rule,
    cutoff: &str,
    after: i64,
) -> rusqlite::Result<(usize, i64, bool)> {
    // Ids are reused after the newest row is deleted: a walk past the end starts over.
    let last: Option<i64> = c
        .prepare_cached(&format!("SELECT max(id) FROM {}", rule.table))?
        .query_row([], |r| r.get(0))?;
    let after = if last.is_none_or(|l| l < after) {
        0
    } else {
        after
    };
    let mut st = c.prepare_cached(&format!(
        "SELECT id, {time} < ?1 AND NOT ({blocks}) FROM {table} WHERE id > ?2 ORDER BY id LIMIT ?3",
        time = rule.time,
        blocks = rule.blocks,
        table = rule.table
    ))?;
    let rows = st
        .query_map(params![cutoff, after, BATCH], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let old = rows.iter().take_while(|(_, old)| *old).count();
    let Some(&(upto, _)) = rows[..old].last() else {
        return Ok((0, after, false));
    };
    let tx = super::db::CachedSavepoint::new(c)?;
    if let Some(sql) = rule.before {
        tx.prepare_cached(sql)?
            .execute(params![cutoff, after, upto])?;
    }
    let deleted = tx
        .prepare_cached(&format!(
            "DELETE FROM {table} WHERE id > ?2 AND id <= ?3 AND {time} < ?1 AND ({deletable})",
            table = rule.table,
            time = rule.time,
            deletable = rule.deletable
        ))?
        .execute(params![cutoff, after, upto])?;
    tx.commit()?;
    Ok((
        deleted,
        upto,
        old == rows.len() && rows.len() as i64 == BATCH,
    ))
}

/// Expired replay records, a batch at a time; how many went.
pub(super) fn expired_replays(c: &Connection, now: i64) -> rusqlite::Result<usize> {
    c.prepare_cached(
        "DELETE FROM replays WHERE (integration, key) IN
           (SELECT integration, key FROM replays WHERE expires_unix < ?1 LIMIT ?2)",
    )?
    .execute(params![now, BATCH])
}

/// How often a pass runs: a tenth of the retention, between 1 s and a minute.
fn interval(retention: Duration) -> Duration {
    (retention / 10).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// One pass over PostgreSQL's tables, a batch per statement.
async fn prune_postgres(pg: &super::store::Pg, now: i64, retention: i64) {
    let cutoff = alertgate::unix_to_rfc3339(now.saturating_sub(retention)).unwrap_or_default();
    for table in ["occurrences", "received_alerts", "deliveries"] {
        loop {
            match pg.prune_old(table, &cutoff, BATCH).await {
                Ok(n) => {
                    if n > 0 {
                        metrics::counter!("alertgate_pruned_rows_total", "table" => table)
                            .increment(n as u64);
                    }
                    if n < usize::try_from(BATCH).unwrap_or(0) {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, table, "pruning failed");
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Prunes until the process ends; also forgets idle rate-limit buckets.
pub async fn pruner(state: Arc<AppState>) {
    let retention = i64::try_from(state.args.retention.as_secs()).unwrap_or(i64::MAX / 4);
    let mut cursors = vec![0_i64; RULES.len()];
    loop {
        tokio::time::sleep(interval(state.args.retention)).await;
        state.limits.prune();
        let now = now_unix();
        // PostgreSQL stores each row's own JSON: age alone decides there.
        let rules: &[Rule] = if let super::store::Store::Postgres(pg) = &state.store {
            prune_postgres(pg, now, retention).await;
            &[]
        } else {
            RULES
        };
        for (rule, cursor) in rules.iter().zip(cursors.iter_mut()) {
            let age = if rule.long {
                retention.saturating_add(retention / 2)
            } else {
                retention
            };
            let cutoff = alertgate::unix_to_rfc3339(now.saturating_sub(age)).unwrap_or_default();
            loop {
                let after = *cursor;
                let cut = cutoff.clone();
                let Some(db) = state.store.sqlite() else {
                    break;
                };
                let done = db.call(move |c| step(c, rule, &cut, after)).await;
                match done {
                    Ok((deleted, at, more)) => {
                        *cursor = at;
                        if deleted > 0 {
                            metrics::counter!("alertgate_pruned_rows_total", "table" => rule.name)
                                .increment(deleted as u64);
                        }
                        if !more {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, table = rule.table, "pruning failed");
                        break;
                    }
                }
                // Let the requests' jobs in between batches.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        loop {
            match state.store.prune_replays(now).await {
                Ok(n) if n > 0 => {
                    metrics::counter!("alertgate_pruned_rows_total", "table" => "replays")
                        .increment(n as u64);
                    if n < BATCH as usize {
                        break;
                    }
                }
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "pruning replays failed");
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
