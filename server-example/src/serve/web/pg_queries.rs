//! The dashboard's reads on PostgreSQL: the same typed rows as `queries`
//! (SQLite), from the same tables.

use tokio_postgres::Row;

use super::super::db::now_unix;
use super::super::store::{Pg, Result};
use super::queries::{
    AttemptRow, DeliveryRow, IncidentDetail, IncidentFilter, IncidentRow, OccurrenceRow, Overview,
    SessionDetail, SessionRow, TimelineRow, display_url, opt, pretty, summary,
};

fn incident_row(r: &Row) -> IncidentRow {
    IncidentRow {
        id: r.get("id"),
        integration: r.get("integration"),
        source: r.get("source"),
        title: r.get("title"),
        severity: r.get("severity"),
        status: r.get("status"),
        service: r.get("service"),
        host: r.get("host"),
        count: r.get("occurrence_count"),
        first_seen: r.get("first_seen"),
        last_seen: r.get("last_seen"),
    }
}

fn session_row(r: &Row) -> SessionRow {
    SessionRow {
        id: r.get("id"),
        trigger: r.get("trigger"),
        status: r.get("status"),
        tier: r.get("tier"),
        synthesized_by: r.get("synthesized_by"),
        model: r.get("model"),
        source: r.get("source"),
        created_at: r.get("created_at"),
        exit_code: r.get("exit_code"),
        duration_ms: r.get("duration_ms"),
        summary: summary(r.get("prompt_text")),
    }
}

/// Incidents, newest activity first, and the sources for the filter's choices.
pub async fn incidents(
    pg: &Pg,
    f: &IncidentFilter,
    limit: i64,
) -> Result<(Vec<IncidentRow>, Vec<String>)> {
    let c = pg.client().await?;
    // LIKE's own wildcards in the search text are taken literally.
    let q = opt(&f.q).map(|q| {
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    let rows = c
        .query(
            "SELECT * FROM incidents
              WHERE ($1::TEXT IS NULL OR ($1 = 'open' AND status != 'resolved') OR status = $1)
                AND ($2::TEXT IS NULL OR source = $2)
                AND ($3::TEXT IS NULL OR severity = $3)
                AND ($4::TEXT IS NULL OR integration = $4)
                AND ($5::TEXT IS NULL OR title LIKE $5 OR service LIKE $5
                     OR host LIKE $5 OR dedup_key LIKE $5)
              ORDER BY last_seen_unix DESC, id DESC LIMIT $6",
            &[
                &opt(&f.status),
                &opt(&f.source),
                &opt(&f.severity),
                &opt(&f.integration),
                &q,
                &limit,
            ],
        )
        .await?;
    let sources = c
        .query("SELECT DISTINCT source FROM incidents ORDER BY source", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok((rows.iter().map(incident_row).collect(), sources))
}

/// An incident, its occurrences (newest first, at most 200) and its timeline.
pub async fn incident(pg: &Pg, id: i64) -> Result<Option<IncidentDetail>> {
    let c = pg.client().await?;
    let Some(r) = c
        .query_opt("SELECT * FROM incidents WHERE id = $1", &[&id])
        .await?
    else {
        return Ok(None);
    };
    let occurrences = c
        .query(
            "SELECT outcome, status, alert_json, received_at FROM occurrences
              WHERE incident_id = $1 ORDER BY id DESC LIMIT 200",
            &[&id],
        )
        .await?
        .iter()
        .map(|o| OccurrenceRow {
            outcome: o.get(0),
            status: o.get(1),
            alert: pretty(o.get(2)),
            received_at: o.get(3),
        })
        .collect();
    let timeline = c
        .query(
            "SELECT status, at FROM timeline WHERE incident_id = $1 ORDER BY id",
            &[&id],
        )
        .await?
        .iter()
        .map(|t| TimelineRow {
            status: t.get(0),
            at: t.get(1),
        })
        .collect();
    Ok(Some((
        incident_row(&r),
        r.get("dedup_key"),
        occurrences,
        timeline,
    )))
}

pub async fn sessions(pg: &Pg, trigger: &str, status: &str, limit: i64) -> Result<Vec<SessionRow>> {
    let c = pg.client().await?;
    let rows = c
        .query(
            "SELECT * FROM sessions WHERE ($1::TEXT IS NULL OR trigger = $1) AND ($2::TEXT IS NULL OR status = $2)
              ORDER BY id DESC LIMIT $3",
            &[&opt(trigger), &opt(status), &limit],
        )
        .await?;
    Ok(rows.iter().map(session_row).collect())
}

pub async fn session(pg: &Pg, id: i64) -> Result<Option<SessionDetail>> {
    let c = pg.client().await?;
    let Some(r) = c
        .query_opt("SELECT * FROM sessions WHERE id = $1", &[&id])
        .await?
    else {
        return Ok(None);
    };
    let alerts = super::queries::alert_views(r.get("alerts_json"));
    Ok(Some(SessionDetail {
        row: session_row(&r),
        prompt_text: r.get("prompt_text"),
        started_at: r.get("started_at"),
        finished_at: r.get("finished_at"),
        output: r.get("output"),
        alerts,
    }))
}

pub async fn deliveries(pg: &Pg, failed_only: bool, limit: i64) -> Result<Vec<DeliveryRow>> {
    let c = pg.client().await?;
    let rows = c
        .query(
            "SELECT id, url, event, status, attempts, last_http_status, last_error, next_attempt_unix, created_at
               FROM deliveries
              WHERE NOT $1 OR status = 'failed' OR (status = 'pending' AND attempts > 0)
              ORDER BY id DESC LIMIT $2",
            &[&failed_only, &limit],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.get(0);
        let status: String = r.get(3);
        let next: i64 = r.get(7);
        let log = c
            .query(
                "SELECT at, http_status, error FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id",
                &[&id],
            )
            .await?
            .iter()
            .map(|a| AttemptRow {
                at: a.get(0),
                http_status: a.get(1),
                error: a.get(2),
            })
            .collect();
        out.push(DeliveryRow {
            id,
            target: display_url(r.get(1)),
            event: r.get(2),
            next_attempt: (status == "pending")
                .then(|| alertgate::unix_to_rfc3339(next.max(now_unix())))
                .flatten(),
            status,
            attempts: r.get(4),
            last_http_status: r.get(5),
            last_error: r.get(6),
            created_at: r.get(8),
            log,
        });
    }
    Ok(out)
}

pub async fn overview(pg: &Pg) -> Result<Overview> {
    let c = pg.client().await?;
    let counts: Vec<(String, i64)> = c
        .query(
            "SELECT severity, COUNT(*) FROM incidents WHERE status != 'resolved' GROUP BY severity",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let open_by_severity = alertgate::Severity::ALL
        .iter()
        .map(|s| {
            let n = counts
                .iter()
                .find(|(k, _)| k == s.as_str())
                .map_or(0, |(_, n)| *n);
            (s.as_str(), n)
        })
        .collect();
    let hour_ago = alertgate::unix_to_rfc3339(now_unix() - 3600).unwrap_or_default();
    let last_hour = c
        .query(
            "SELECT source,
                    SUM(COALESCE(json_array_length(NULLIF(ingest_json, '')::json -> 'alerts'), 0))::BIGINT AS n
               FROM received_alerts WHERE received_at >= $1
              GROUP BY source ORDER BY n DESC, source",
            &[&hour_ago],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let running = c
        .query_opt(
            "SELECT * FROM sessions WHERE status = 'running' ORDER BY id DESC LIMIT 1",
            &[],
        )
        .await?
        .as_ref()
        .map(session_row);
    let latest = c
        .query_opt("SELECT * FROM sessions ORDER BY id DESC LIMIT 1", &[])
        .await?
        .as_ref()
        .map(session_row);
    let last_request = c
        .query(
            "SELECT integration, MAX(received_at) FROM received_alerts
              WHERE integration IS NOT NULL GROUP BY integration",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    drop(c);
    let open = IncidentFilter {
        status: String::from("open"),
        ..IncidentFilter::default()
    };
    let (recent, _) = incidents(pg, &open, 10).await?;
    let failures = deliveries(pg, true, 10).await?;
    Ok(Overview {
        open_by_severity,
        last_hour,
        running,
        latest,
        recent,
        failures,
        last_request,
    })
}
