//! Folding on SQLite: the rules per alert, the request's transaction, status
//! changes from the API, and queued deliveries.

use alertgate::Status;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use crate::serve::config::Outgoing;
use crate::serve::db::{CachedSavepoint, now_text, now_unix, with_hot};

use super::*;

/// What folding answered for one alert, and the event it raised.
struct Folded {
    outcome: Outcome,
    event: Option<(&'static str, Value)>,
}

/// `stored == content_of(a)`, without building it.
fn same_content(stored: &str, a: &ToFold) -> bool {
    stored
        .strip_prefix(a.status.as_str())
        .and_then(|r| r.strip_prefix('\u{1f}'))
        .and_then(|r| r.strip_prefix(&*a.title))
        .and_then(|r| r.strip_prefix('\u{1f}'))
        == Some(a.description.as_deref().unwrap_or(""))
}

/// The incident an alert folds into, as read before folding.
struct Existing {
    id: i64,
    status: String,
    count: i64,
    last_s: i64,
    same_content: bool,
    /// The occurrence holding the incident's latest stored alert JSON, when it
    /// equals this alert's.
    same_alert: Option<i64>,
}

/// Folds one alert (and its JSON) in `tx`. A repeat points at the occurrence
/// holding the same JSON only when that one was stored at or after
/// `fresh_after` (RFC 3339), so that pruning by age never removes JSON a kept
/// occurrence still points at (see `retention`).
fn fold_one(
    tx: &Connection,
    integration: &str,
    source: &str,
    alert: &ToFold,
    fresh_after: &str,
) -> rusqlite::Result<Folded> {
    let alert_json = alert.json.as_str();
    let now = now_text();
    let now_s = now_unix();
    let existing: Option<Existing> = with_hot(
        tx,
        "SELECT i.id, i.status, i.occurrence_count, i.last_seen_unix, i.last_content,
                i.alert_occurrence, o.alert_json
           FROM incidents i LEFT JOIN occurrences o ON o.id = i.alert_occurrence AND o.received_at >= ?3
          WHERE i.integration = ?1 AND i.dedup_key = ?2",
        |s| {
            s.query_row(params![integration, alert.dedup_key, fresh_after], |r| {
                let stored = r.get_ref(6)?.as_str_or_null()?;
                Ok(Existing {
                    id: r.get(0)?,
                    status: r.get(1)?,
                    count: r.get(2)?,
                    last_s: r.get(3)?,
                    same_content: same_content(r.get_ref(4)?.as_str()?, alert),
                    same_alert: if stored == Some(alert_json) {
                        r.get(5)?
                    } else {
                        None
                    },
                })
            })
            .optional()
        },
    )?;
    let status = alert.status.as_str();
    let (id, outcome, count, event, same_alert) = match existing {
        None => {
            tx.prepare_cached(
                "INSERT INTO incidents (integration, dedup_key, source, title, severity, status, service, host,
                                        occurrence_count, first_seen, last_seen, last_seen_unix, last_content)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9, ?10, ?11)",
            )?
            .execute(params![
                integration,
                alert.dedup_key,
                source,
                alert.title,
                alert.severity.as_str(),
                status,
                alert.service,
                alert.host,
                now,
                now_s,
                content_of(alert)
            ])?;
            let id = tx.last_insert_rowid();
            tx.prepare_cached(
                "INSERT INTO timeline (incident_id, status, at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id, status, now])?;
            // A first sight that is already resolved opens nothing to announce.
            let (outcome, event) = match alert.status {
                Status::Resolved => ("resolved", None),
                _ => ("created", Some("incident.created")),
            };
            (id, outcome, 1, event, None)
        }
        Some(e) => {
            let (id, count) = (e.id, e.count);
            let duplicate = e.same_content && now_s - e.last_s < DUPLICATE_WINDOW_S;
            let (outcome, new_count, event) = match (e.status.as_str(), alert.status) {
                _ if duplicate => ("duplicate", count, None),
                ("resolved", Status::Resolved) => ("duplicate", count, None),
                ("resolved", _) => ("reopened", count + 1, Some("incident.created")),
                (_, Status::Resolved) => ("resolved", count, Some("incident.resolved")),
                ("acknowledged", Status::Acknowledged) => ("duplicate", count, None),
                (_, Status::Acknowledged) => ("acknowledged", count, Some("incident.acknowledged")),
                _ => ("occurrence_added", count + 1, None),
            };
            if outcome != "duplicate" {
                tx.prepare_cached(
                    "UPDATE incidents SET status = ?2, occurrence_count = ?3, last_seen = ?4, last_seen_unix = ?5,
                            last_content = ?6, title = ?7, severity = ?8
                      WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    status,
                    new_count,
                    now,
                    now_s,
                    content_of(alert),
                    alert.title,
                    alert.severity.as_str()
                ])?;
                if e.status != status {
                    tx.prepare_cached(
                        "INSERT INTO timeline (incident_id, status, at) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![id, status, now])?;
                }
            }
            (id, outcome, new_count, event, e.same_alert)
        }
    };
    // The alert's JSON is stored unless the incident's latest stored one is the same.
    with_hot(
        tx,
        "INSERT INTO occurrences (incident_id, outcome, status, alert_json, received_at, alert_from)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        |s| {
            s.execute(params![
                id,
                outcome,
                status,
                if same_alert.is_some() { "" } else { alert_json },
                now,
                same_alert
            ])
        },
    )?;
    if same_alert.is_none() {
        let occurrence = tx.last_insert_rowid();
        tx.prepare_cached("UPDATE incidents SET alert_occurrence = ?2 WHERE id = ?1")?
            .execute(params![id, occurrence])?;
    }
    // Events are rare (a new, reopened, acknowledged or resolved incident): the
    // alert's object is read back from its JSON here rather than kept for every job.
    let event = event.map(|e| {
        let alert: Value = serde_json::from_str(alert_json).unwrap_or(Value::Null);
        let data = json!({"incident_id": id, "integration": integration, "source": source, "outcome": outcome, "alert": alert});
        (e, data)
    });
    Ok(Folded {
        outcome: Outcome::Folded {
            outcome,
            incident_id: id,
            occurrence_count: count,
        },
        event,
    })
}

/// Folds every kept alert of one request, records the request, and enqueues
/// outgoing events, in one transaction. A request that repeats a delivery
/// already folded (its replay key is remembered) changes nothing and gets the
/// first answer's outcomes back.
pub fn fold(c: &Connection, job: &FoldJob, outgoing: &[Outgoing]) -> rusqlite::Result<FoldAnswer> {
    let tx = CachedSavepoint::new(c)?;
    let source = job.source;
    let name = job.integration.as_str();
    let now_s = now_unix();
    if let Some(r) = &job.replay {
        let seen: Option<String> = tx
            .prepare_cached(
                "SELECT outcomes FROM replays WHERE integration = ?1 AND key = ?2 AND expires_unix >= ?3",
            )?
            .query_row(params![name, r.key, now_s], |row| row.get(0))
            .optional()?;
        if let Some(text) = seen {
            tx.commit()?;
            return Ok(FoldAnswer {
                outcomes: outcomes_from_json(&text),
                enqueued: 0,
                replayed: true,
            });
        }
    }
    let fresh_after =
        alertgate::unix_to_rfc3339(now_s.saturating_sub(job.reuse_for)).unwrap_or_default();
    let mut results = Vec::with_capacity(job.alerts.len());
    let mut events = Vec::new();
    for alert in &job.alerts {
        let folded = fold_one(&tx, name, source, alert, &fresh_after)?;
        results.push(folded.outcome);
        events.extend(folded.event);
    }
    if let Some(r) = &job.replay {
        tx.prepare_cached(
            "INSERT INTO replays (integration, key, outcomes, expires_unix) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (integration, key) DO UPDATE SET outcomes = excluded.outcomes, expires_unix = excluded.expires_unix",
        )?
        .execute(params![name, r.key, outcomes_json(&results), r.expires_unix])?;
    }
    // The ingest JSON is stored unless the integration's latest stored one is the
    // same: remembered on this thread from the last commit, else read back.
    let epoch = crate::serve::db::rollbacks();
    // A stored JSON is pointed at only while it is fresh (see `fold_one`).
    let fresh_s = now_s.saturating_sub(job.reuse_for);
    let remembered = LAST_INGEST.with_borrow(|m| {
        m.iter()
            .find(|l| l.integration == name && l.epoch == epoch)
            .map(|l| (l.json == job.ingest_json && l.at >= fresh_s).then_some(l.received_id))
    });
    let same: Option<i64> = match remembered {
        Some(same) => same,
        None => tx
            .prepare_cached(
                "SELECT r.id, r.ingest_json FROM last_ingest l JOIN received_alerts r ON r.id = l.received_id
                  WHERE l.integration = ?1 AND r.received_at >= ?2",
            )?
            .query_row(params![name, fresh_after], |r| {
                Ok((r.get_ref(1)?.as_str()? == job.ingest_json).then_some(r.get(0)?))
            })
            .optional()?
            .flatten(),
    };
    with_hot(
        &tx,
        "INSERT INTO received_alerts (route, integration, source, outcome, ingest_json, received_at, ingest_from)
         VALUES ('integration', ?1, ?2, ?3, ?4, ?5, ?6)",
        |s| {
            s.execute(params![
                name,
                source,
                job.outcome,
                if same.is_some() { "" } else { job.ingest_json.as_str() },
                now_text(),
                same
            ])
        },
    )?;
    let stored = match same {
        Some(id) => id,
        None => {
            let received = tx.last_insert_rowid();
            tx.prepare_cached(
                "INSERT INTO last_ingest (integration, received_id) VALUES (?1, ?2)
                 ON CONFLICT (integration) DO UPDATE SET received_id = excluded.received_id",
            )?
            .execute(params![name, received])?;
            received
        }
    };
    let mut enqueued = 0;
    for (event, data) in events {
        enqueued += enqueue(&tx, outgoing, event, data)?;
    }
    tx.commit()?;
    // Remembered only once this job's writes are in (a savepoint that rolled back
    // never gets here); a later rollback of the whole batch moves the epoch.
    if remembered != Some(Some(stored)) {
        LAST_INGEST.with_borrow_mut(|m| {
            let entry = LastIngest {
                integration: name.to_owned(),
                epoch,
                received_id: stored,
                // A row found by reading back is known only to be fresh now: its
                // age is taken as the most it may have.
                at: if same.is_some() { fresh_s } else { now_s },
                json: job.ingest_json.clone(),
            };
            match m.iter_mut().find(|l| l.integration == name) {
                Some(l) => *l = entry,
                None => m.push(entry),
            }
        });
    }
    Ok(FoldAnswer {
        outcomes: results,
        enqueued,
        replayed: false,
    })
}

/// An integration's latest stored ingest JSON and the `received_alerts` row that
/// holds it, as of the database thread's rollback count `epoch`.
struct LastIngest {
    integration: String,
    epoch: u64,
    received_id: i64,
    /// When that row was stored (Unix seconds).
    at: i64,
    json: String,
}

thread_local! {
    /// What `fold` last stored per integration, so that an alert storm's repeats
    /// are recognised without reading the stored JSON back. Only the database
    /// thread folds, and only `fold` writes `last_ingest`.
    static LAST_INGEST: std::cell::RefCell<Vec<LastIngest>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Acknowledges or resolves an incident by hand (the dashboard's buttons and
/// the API): the status and its timeline entry, and the same
/// `incident.acknowledged` / `incident.resolved` event that folding an
/// acknowledging or resolving alert raises, in one transaction. `None` when
/// there is no such incident.
pub fn set_status(
    c: &Connection,
    outgoing: &[Outgoing],
    id: i64,
    to: Status,
) -> rusqlite::Result<Option<StatusChange>> {
    let tx = CachedSavepoint::new(c)?;
    let found: Option<(String, String, String, Option<String>)> = tx
        .query_row(
            "SELECT i.status, i.integration, i.source, o.alert_json
               FROM incidents i LEFT JOIN occurrences o ON o.id = i.alert_occurrence
              WHERE i.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((was, integration, source, alert)) = found else {
        return Ok(None);
    };
    let (event, changes) = match to {
        Status::Acknowledged => ("incident.acknowledged", was == "triggered"),
        Status::Resolved => ("incident.resolved", was != "resolved"),
        Status::Triggered => ("", false),
    };
    if !changes {
        tx.commit()?;
        return Ok(Some(StatusChange {
            changed: false,
            enqueued: 0,
        }));
    }
    let now = now_text();
    // last_content keeps the last alert's: a repeat of that alert is still a
    // duplicate within the window, as for any status change.
    tx.execute(
        "UPDATE incidents SET status = ?2 WHERE id = ?1",
        params![id, to.as_str()],
    )?;
    tx.execute(
        "INSERT INTO timeline (incident_id, status, at) VALUES (?1, ?2, ?3)",
        params![id, to.as_str(), now],
    )?;
    let alert: Value = alert
        .and_then(|a| serde_json::from_str(&a).ok())
        .unwrap_or(Value::Null);
    let data = json!({"incident_id": id, "integration": integration, "source": source, "outcome": to.as_str(), "alert": alert});
    let enqueued = enqueue(&tx, outgoing, event, data)?;
    tx.commit()?;
    Ok(Some(StatusChange {
        changed: true,
        enqueued,
    }))
}

/// Enqueues a signed delivery of `event` to every subscribed target (the worker
/// sends it); how many were enqueued.
pub fn enqueue(
    c: &Connection,
    outgoing: &[Outgoing],
    event: &str,
    data: Value,
) -> rusqlite::Result<usize> {
    let mut enqueued = 0;
    let data = data.to_string();
    for (url, body, headers) in deliveries_for(outgoing, event, &data) {
        c.prepare_cached(
            "INSERT INTO deliveries (url, event, body, headers_json, status, next_attempt_unix, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?6)",
        )?
        .execute(params![url, event, body, headers, now_unix(), now_text()])?;
        enqueued += 1;
    }
    Ok(enqueued)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../tests/vectors/alertmanager/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(path).unwrap()
    }

    fn ingest(body: &[u8]) -> Ingest<'_> {
        let request = alertgate::Request {
            body,
            content_type: Some("application/json"),
            headers: &[],
        };
        let mut options = alertgate::Options::default();
        options.source_hint = Some(alertgate::Source::Alertmanager);
        alertgate::ingest(&request, &options).unwrap()
    }

    /// An event's `alert` is read back from the alert's JSON: the same object
    /// as serializing the alert itself.
    #[test]
    fn an_alert_read_back_from_its_json_is_the_alert() {
        for name in ["firing_single.json", "multi_alert.json"] {
            let body = vector(name);
            let ingest = ingest(&body);
            assert!(!ingest.alerts.is_empty(), "{name}");
            for a in &ingest.alerts {
                let json = serde_json::to_string(a).unwrap();
                let back: Value = serde_json::from_str(&json).unwrap();
                assert_eq!(back, serde_json::to_value(a).unwrap(), "{name}");
                let event = json!({"alert": back}).to_string();
                assert_eq!(event, json!({"alert": a}).to_string(), "{name}");
            }
        }
    }

    fn stored_ingests(c: &Connection) -> Vec<(bool, Option<i64>)> {
        let mut st = c
            .prepare("SELECT ingest_json, ingest_from FROM received_alerts ORDER BY id")
            .unwrap();
        st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?.is_empty(),
                r.get::<_, Option<i64>>(1)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    /// A repeated ingest JSON is stored once and remembered; the memory is
    /// dropped when the batch that stored it is rolled back, so no row points
    /// at one that is gone.
    #[test]
    fn a_remembered_ingest_is_forgotten_when_its_batch_rolls_back() {
        let mut c = Connection::open_in_memory().unwrap();
        crate::serve::db::migrate(&mut c).unwrap();
        let body = vector("firing_single.json");
        let mut ing = ingest(&body);
        let job = FoldJob::new("it", &mut ing, |_| true);
        assert_eq!(job.outcome, "folded");
        assert_eq!(job.alerts.len(), 1);
        fold(&c, &job, &[]).unwrap();
        fold(&c, &job, &[]).unwrap();
        assert_eq!(stored_ingests(&c), [(false, None), (true, Some(1))]);
        // A batch (an outer transaction) stores a changed ingest, then rolls back.
        let mut other = ingest(&body);
        other.group_key = Some(String::from("another group"));
        let changed = FoldJob::new("it", &mut other, |_| true);
        c.execute_batch("BEGIN").unwrap();
        fold(&c, &changed, &[]).unwrap();
        c.execute_batch("ROLLBACK").unwrap();
        crate::serve::db::rolled_back();
        // Not remembered as row 3 (gone): stored again, in full.
        fold(&c, &changed, &[]).unwrap();
        fold(&c, &changed, &[]).unwrap();
        fold(&c, &job, &[]).unwrap();
        assert_eq!(
            stored_ingests(&c),
            [
                (false, None),
                (true, Some(1)),
                (false, None),
                (true, Some(3)),
                (false, None)
            ]
        );
    }
}
