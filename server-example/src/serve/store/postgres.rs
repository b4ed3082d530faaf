//! The PostgreSQL side of the store: a bounded pool (deadpool-postgres over
//! tokio-postgres), every statement bounded by a timeout, and the state that
//! several instances share: incidents, replay records, sessions' and
//! deliveries' leases, rate-limit buckets.

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use serde_json::{Value, json};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use super::pg_schema::{MIGRATION_LOCK, MIGRATIONS};
use super::{Attempt, Due, Gauges, Health, Result, StoreError};
use crate::serve::ServeArgs;
use crate::serve::db::{now_text, now_unix};

/// A pool of connections to one PostgreSQL database, and who this instance is.
#[derive(Clone)]
pub struct Pg {
    pub(super) pool: Pool,
    /// A random name for this process: what its leases are held under.
    pub(super) instance: String,
    /// How long a claim on a session or a delivery holds without renewal.
    pub(super) lease_s: i64,
}

/// The error as callers see it: a lost or refused connection, a timeout or a
/// server shutting down is "unavailable" (503, retry); the rest is a failure.
pub(super) fn classify(e: &tokio_postgres::Error) -> StoreError {
    use std::error::Error as _;
    let unavailable = match e.code() {
        // No SQL state: a lost connection or an I/O failure is unavailability;
        // anything else (a value that does not convert) is a failure.
        None => e.is_closed() || e.source().is_some_and(|s| s.is::<std::io::Error>()),
        Some(c) => {
            *c == SqlState::ADMIN_SHUTDOWN
                || *c == SqlState::CRASH_SHUTDOWN
                || *c == SqlState::CANNOT_CONNECT_NOW
                || *c == SqlState::QUERY_CANCELED
                || *c == SqlState::TOO_MANY_CONNECTIONS
                || c.code().starts_with("08")
        }
    };
    let why = match e.source() {
        Some(s) => format!("{e}: {s}"),
        None => e.to_string(),
    };
    if unavailable {
        StoreError::Unavailable(why)
    } else {
        StoreError::Failed(why)
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        classify(&e)
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

/// `url` with its password replaced, for messages.
pub fn redact(url: &str) -> String {
    match tokio_postgres::Config::from_str(url) {
        Ok(c) => format!(
            "postgres://{}@{:?}/{}",
            c.get_user().unwrap_or(""),
            c.get_hosts(),
            c.get_dbname().unwrap_or("")
        ),
        Err(_) => String::from("postgres://(unparsable URL)"),
    }
}

impl Pg {
    /// Connects, bounds the pool and its timeouts, and migrates.
    pub async fn connect(url: &str, args: &ServeArgs) -> std::result::Result<Pg, String> {
        let shown = redact(url);
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| format!("{shown}: not a PostgreSQL URL: {e}"))?;
        config.connect_timeout(args.db_connect_timeout);
        config.application_name("alertgate");
        // Every statement bounded server-side: a stuck lock or a slow disk
        // turns into a 503 rather than a request that hangs.
        let ms = args.db_statement_timeout.as_millis();
        config.options(format!("-c statement_timeout={ms} -c lock_timeout={ms}"));
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(args.db_pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(args.db_connect_timeout))
            .create_timeout(Some(args.db_connect_timeout))
            .recycle_timeout(Some(args.db_connect_timeout))
            .build()
            .map_err(|e| format!("{shown}: {e}"))?;
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).map_err(|e| e.to_string())?;
        let pg = Pg {
            pool,
            instance: id.iter().map(|b| format!("{b:02x}")).collect(),
            lease_s: i64::try_from(args.lease.as_secs().max(1)).unwrap_or(30),
        };
        pg.migrate().await.map_err(|e| format!("{shown}: {e}"))?;
        Ok(pg)
    }

    /// A pooled connection (503 when none can be had in time).
    pub(crate) async fn client(&self) -> Result<Object> {
        Ok(self.pool.get().await?)
    }

    /// Applies the migrations not applied yet, under an advisory lock: the
    /// instances that start together wait for the first, then find nothing to do.
    async fn migrate(&self) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS alertgate_schema (version BIGINT NOT NULL)")
            .await?;
        let version: i64 = tx
            .query_opt("SELECT version FROM alertgate_schema", &[])
            .await?
            .map_or(0, |r| r.get(0));
        let start = usize::try_from(version).unwrap_or(0);
        for sql in MIGRATIONS.iter().skip(start) {
            tx.batch_execute(sql).await?;
        }
        let now = i64::try_from(MIGRATIONS.len()).unwrap_or(0);
        if version == 0 {
            tx.execute(
                "INSERT INTO alertgate_schema (version) VALUES ($1)",
                &[&now],
            )
            .await?;
        } else if now > version {
            tx.execute("UPDATE alertgate_schema SET version = $1", &[&now])
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn incident(&self, id: i64) -> Result<Option<Value>> {
        let c = self.client().await?;
        let Some(r) = c
            .query_opt(
                "SELECT id, integration, dedup_key, source, title, severity, status, service, host,
                        occurrence_count, first_seen, last_seen FROM incidents WHERE id = $1",
                &[&id],
            )
            .await?
        else {
            return Ok(None);
        };
        let mut inc = incident_row(&r);
        let occ: Vec<Value> = c
            .query(
                "SELECT outcome, status, alert_json, received_at FROM occurrences
                  WHERE incident_id = $1 ORDER BY id",
                &[&id],
            )
            .await?
            .iter()
            .map(|r| {
                json!({
                    "outcome": r.get::<_, String>(0),
                    "status": r.get::<_, String>(1),
                    "alert": serde_json::from_str::<Value>(r.get(2)).unwrap_or(Value::Null),
                    "received_at": r.get::<_, String>(3),
                })
            })
            .collect();
        let timeline: Vec<Value> = c
            .query(
                "SELECT status, at FROM timeline WHERE incident_id = $1 ORDER BY id",
                &[&id],
            )
            .await?
            .iter()
            .map(|r| json!({"status": r.get::<_, String>(0), "at": r.get::<_, String>(1)}))
            .collect();
        inc["occurrences"] = Value::Array(occ);
        inc["timeline"] = Value::Array(timeline);
        Ok(Some(inc))
    }

    pub async fn incidents(
        &self,
        status: Option<String>,
        source: Option<String>,
        limit: i64,
    ) -> Result<(Vec<Value>, Vec<Value>)> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT id, integration, dedup_key, source, title, severity, status, service, host,
                        occurrence_count, first_seen, last_seen FROM incidents
                  WHERE ($1::TEXT IS NULL OR ($1 = 'open' AND status != 'resolved') OR status = $1)
                    AND ($2::TEXT IS NULL OR source = $2)
                  ORDER BY id DESC LIMIT $3",
                &[&status, &source, &limit],
            )
            .await?;
        drop(c);
        Ok((
            rows.iter().map(incident_row).collect(),
            self.notices(20).await?,
        ))
    }

    pub async fn notices(&self, limit: i64) -> Result<Vec<Value>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT id, integration, kind, detail, at FROM notices ORDER BY id DESC LIMIT $1",
                &[&limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                json!({
                    "id": r.get::<_, i64>(0),
                    "integration": r.get::<_, String>(1),
                    "kind": r.get::<_, String>(2),
                    "detail": r.get::<_, String>(3),
                    "at": r.get::<_, String>(4),
                })
            })
            .collect())
    }

    pub async fn add_notice(&self, integration: &str, kind: &str, detail: &str) -> Result<()> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO notices (integration, kind, detail, at) VALUES ($1, $2, $3, $4)",
            &[&integration, &kind, &detail, &now_text()],
        )
        .await?;
        Ok(())
    }

    pub async fn deliveries(&self, limit: i64) -> Result<Vec<Value>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT id, url, event, status, attempts, last_http_status, last_error, created_at, updated_at
                   FROM deliveries ORDER BY id DESC LIMIT $1",
                &[&limit],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.get(0);
            let log: Vec<Value> = c
                .query(
                    "SELECT at, http_status, error FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id",
                    &[&id],
                )
                .await?
                .iter()
                .map(|a| json!({"at": a.get::<_, String>(0), "http_status": a.get::<_, Option<i64>>(1), "error": a.get::<_, Option<String>>(2)}))
                .collect();
            out.push(json!({
                "id": id,
                "url": r.get::<_, String>(1),
                "event": r.get::<_, String>(2),
                "status": r.get::<_, String>(3),
                "attempts": r.get::<_, i64>(4),
                "last_http_status": r.get::<_, Option<i64>>(5),
                "last_error": r.get::<_, Option<String>>(6),
                "created_at": r.get::<_, String>(7),
                "updated_at": r.get::<_, String>(8),
                "log": log,
            }));
        }
        Ok(out)
    }

    /// Claims due deliveries for this instance: rows another instance holds
    /// are skipped, not waited for; a claim whose lease ran out (its instance
    /// died or stalled) is taken over.
    pub async fn claim_deliveries(&self, want: i64) -> Result<Vec<Due>> {
        let c = self.client().await?;
        let now = now_unix();
        // The claim outlasts the longest attempt, so that a live instance's
        // attempt is never taken over (and sent twice) while it is under way.
        let hold = self.lease_s
            + i64::try_from(crate::serve::workers::SEND_TIMEOUT.as_secs()).unwrap_or(10);
        let rows = c
            .query(
                "UPDATE deliveries SET leased_by = $3, lease_until = $1 + $4
                  WHERE id IN (SELECT id FROM deliveries
                                WHERE status = 'pending' AND next_attempt_unix <= $1
                                  AND (lease_until IS NULL OR lease_until < $1)
                                ORDER BY next_attempt_unix, id LIMIT $2
                                FOR UPDATE SKIP LOCKED)
                  RETURNING id, url, event, body, headers_json, attempts",
                &[&now, &want, &self.instance, &hold],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Due {
                id: r.get(0),
                url: r.get(1),
                event: r.get(2),
                body: r.get(3),
                headers: r.get(4),
                attempts: r.get(5),
            })
            .collect())
    }

    pub async fn record_attempt(&self, a: Attempt) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "INSERT INTO delivery_attempts (delivery_id, at, http_status, error) VALUES ($1, $2, $3, $4)",
            &[&a.id, &now_text(), &a.http_status, &a.error],
        )
        .await?;
        tx.execute(
            "UPDATE deliveries SET status = $2, attempts = $3, last_http_status = $4, last_error = $5,
                    next_attempt_unix = $6, updated_at = $7, leased_by = NULL, lease_until = NULL
              WHERE id = $1",
            &[&a.id, &a.status, &a.attempt, &a.http_status, &a.error, &a.next_unix, &now_text()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    fn pool_status(&self) -> (usize, usize, usize) {
        let s = self.pool.status();
        (s.size, s.available, s.waiting)
    }

    pub async fn health(&self) -> Health {
        let ok = match self.client().await {
            Ok(c) => c.query_one("SELECT 1", &[]).await.is_ok(),
            Err(_) => false,
        };
        Health {
            backend: "postgres",
            ok,
            pool: Some(self.pool_status()),
        }
    }

    pub async fn gauges(&self) -> Result<Gauges> {
        let c = self.client().await?;
        let r = c
            .query_one(
                "SELECT (SELECT COUNT(*) FROM incidents WHERE status != 'resolved'),
                        pg_database_size(current_database()),
                        (SELECT COUNT(*) FROM deliveries WHERE status = 'pending'),
                        (SELECT COUNT(*) FROM deliveries WHERE status = 'pending' AND lease_until >= $1)",
                &[&now_unix()],
            )
            .await?;
        Ok(Gauges {
            open_incidents: r.get(0),
            database_bytes: r.get(1),
            pending_deliveries: r.get(2),
            leased_deliveries: r.get(3),
            pool: Some(self.pool_status()),
        })
    }

    pub async fn prune_replays(&self, now: i64) -> Result<usize> {
        let c = self.client().await?;
        let n = c
            .execute("DELETE FROM replays WHERE expires_unix < $1", &[&now])
            .await?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Deletes up to `batch` rows of `table` received before `cutoff` (RFC
    /// 3339): occurrences, received requests, and finished deliveries with their
    /// attempts. Each stored row holds its own JSON here, so age alone decides.
    /// Several instances may prune at once: a row goes once.
    pub async fn prune_old(&self, table: &str, cutoff: &str, batch: i64) -> Result<usize> {
        let c = self.client().await?;
        let n = match table {
            "occurrences" => {
                c.execute(
                    "DELETE FROM occurrences WHERE id IN
                       (SELECT id FROM occurrences WHERE received_at < $1 ORDER BY id LIMIT $2)",
                    &[&cutoff, &batch],
                )
                .await?
            }
            "received_alerts" => {
                c.execute(
                    "DELETE FROM received_alerts WHERE id IN
                       (SELECT id FROM received_alerts WHERE received_at < $1 ORDER BY id LIMIT $2)",
                    &[&cutoff, &batch],
                )
                .await?
            }
            "deliveries" => {
                c.execute(
                    "WITH old AS (SELECT id FROM deliveries WHERE created_at < $1 AND status != 'pending'
                                   ORDER BY id LIMIT $2),
                          attempts AS (DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM old))
                     DELETE FROM deliveries WHERE id IN (SELECT id FROM old)",
                    &[&cutoff, &batch],
                )
                .await?
            }
            _ => 0,
        };
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Interrupts this instance's running session and releases its claims on
    /// deliveries, so that another instance retries them at once.
    pub async fn hand_back(&self) -> Result<()> {
        let c = self.client().await?;
        c.execute(
            "UPDATE sessions SET status = 'interrupted', finished_at = $2, lease_until = NULL
              WHERE status = 'running' AND instance = $1",
            &[&self.instance, &now_text()],
        )
        .await?;
        c.execute(
            "UPDATE deliveries SET leased_by = NULL, lease_until = NULL
              WHERE status = 'pending' AND leased_by = $1",
            &[&self.instance],
        )
        .await?;
        Ok(())
    }

    /// One token from the bucket `key` (`size` tokens, refilled whole in
    /// `period`), refilled and taken in one statement, so the limit is the whole
    /// deployment's: the tokens left, or the seconds until one is back.
    pub async fn take_token(
        &self,
        key: &str,
        size: u32,
        period: std::time::Duration,
    ) -> Result<std::result::Result<u32, f64>> {
        let c = self.client().await?;
        let cap = f64::from(size.max(1));
        let period_ms = (period.as_secs_f64() * 1000.0).max(1.0);
        let now_ms = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis(),
        )
        .unwrap_or(i64::MAX);
        // The bucket refilled to now; a token is taken when one is there, and
        // `granted` says whether it was (RETURNING sees only the new row).
        // A bucket need not survive a crash (a few requests more at worst): its
        // commit does not wait for the disk, which a fold's commit does.
        let take = c
            .prepare_cached(
                "WITH quiet AS (SELECT set_config('synchronous_commit', 'off', true))
                 INSERT INTO rate_buckets AS b (key, tokens, at_ms, granted)
                 SELECT $1::text, $2::float8 - 1, $3::int8, TRUE FROM quiet
                 ON CONFLICT (key) DO UPDATE SET
                   tokens = LEAST($2::float8, b.tokens + GREATEST($3::int8 - b.at_ms, 0) * $2::float8 / $4::float8)
                            - CASE WHEN LEAST($2::float8, b.tokens + GREATEST($3::int8 - b.at_ms, 0) * $2::float8 / $4::float8) >= 1
                                   THEN 1 ELSE 0 END,
                   granted = LEAST($2::float8, b.tokens + GREATEST($3::int8 - b.at_ms, 0) * $2::float8 / $4::float8) >= 1,
                   at_ms = GREATEST($3::int8, b.at_ms)
                 RETURNING tokens, granted",
            )
            .await?;
        let r = c
            .query_one(&take, &[&key, &cap, &now_ms, &period_ms])
            .await?;
        let tokens: f64 = r.get(0);
        let granted: bool = r.get(1);
        Ok(if granted {
            // Whole tokens left, as the limit headers count them.
            Ok(tokens.max(0.0).floor() as u32)
        } else {
            Err((1.0 - tokens).max(0.0) * period_ms / 1000.0 / cap)
        })
    }
}

fn incident_row(r: &tokio_postgres::Row) -> Value {
    let id: i64 = r.get(0);
    json!({
        "id": id,
        "integration": r.get::<_, String>(1),
        "dedup_key": r.get::<_, String>(2),
        "source": r.get::<_, String>(3),
        "title": r.get::<_, String>(4),
        "severity": r.get::<_, String>(5),
        "status": r.get::<_, String>(6),
        "service": r.get::<_, Option<String>>(7),
        "host": r.get::<_, Option<String>>(8),
        "occurrence_count": r.get::<_, i64>(9),
        "first_seen": r.get::<_, String>(10),
        "last_seen": r.get::<_, String>(11),
        "report_url": format!("/api/v1/incidents/{id}"),
    })
}
