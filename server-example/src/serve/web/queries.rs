//! What the dashboard reads from the store, as typed rows for its templates.
//! Read-only queries; the writes it makes go through the same functions as
//! the API (`handlers::start_session`, `handlers::set_incident_status`).

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::super::db::now_unix;

/// An incident as listed.
pub struct IncidentRow {
    pub id: i64,
    pub integration: String,
    pub source: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub service: Option<String>,
    pub host: Option<String>,
    pub count: i64,
    pub first_seen: String,
    pub last_seen: String,
}

fn incident_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IncidentRow> {
    Ok(IncidentRow {
        id: r.get("id")?,
        integration: r.get("integration")?,
        source: r.get("source")?,
        title: r.get("title")?,
        severity: r.get("severity")?,
        status: r.get("status")?,
        service: r.get("service")?,
        host: r.get("host")?,
        count: r.get("occurrence_count")?,
        first_seen: r.get("first_seen")?,
        last_seen: r.get("last_seen")?,
    })
}

/// The incident list's filters; empty means any.
#[derive(Default, serde::Deserialize, Clone)]
pub struct IncidentFilter {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub integration: String,
    #[serde(default)]
    pub q: String,
}

pub(super) fn opt(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty() && s != "any").then_some(s)
}

/// Incidents, newest activity first. `status = open` means not resolved; `q`
/// searches title, service, host and dedup key.
pub fn incidents(
    c: &Connection,
    f: &IncidentFilter,
    limit: i64,
) -> rusqlite::Result<Vec<IncidentRow>> {
    // LIKE's own wildcards in the search text are taken literally.
    let q = opt(&f.q).map(|q| {
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    let mut st = c.prepare(
        "SELECT * FROM incidents
          WHERE (?1 IS NULL OR (?1 = 'open' AND status != 'resolved') OR status = ?1)
            AND (?2 IS NULL OR source = ?2)
            AND (?3 IS NULL OR severity = ?3)
            AND (?4 IS NULL OR integration = ?4)
            AND (?5 IS NULL OR title LIKE ?5 ESCAPE '\\' OR service LIKE ?5 ESCAPE '\\'
                 OR host LIKE ?5 ESCAPE '\\' OR dedup_key LIKE ?5 ESCAPE '\\')
          ORDER BY last_seen_unix DESC, id DESC LIMIT ?6",
    )?;
    st.query_map(
        params![
            opt(&f.status),
            opt(&f.source),
            opt(&f.severity),
            opt(&f.integration),
            q,
            limit
        ],
        incident_row,
    )?
    .collect()
}

/// The sources incidents came from (for the filter's choices).
pub fn incident_sources(c: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = c.prepare("SELECT DISTINCT source FROM incidents ORDER BY source")?;
    st.query_map([], |r| r.get(0))?.collect()
}

/// One occurrence of an incident.
pub struct OccurrenceRow {
    pub outcome: String,
    pub status: String,
    pub alert: String,
    pub received_at: String,
}

/// A status change of an incident.
pub struct TimelineRow {
    pub status: String,
    pub at: String,
}

/// An incident, its dedup key, its occurrences and its timeline.
pub type IncidentDetail = (IncidentRow, String, Vec<OccurrenceRow>, Vec<TimelineRow>);

/// An incident, its occurrences (newest first, at most 200) and its timeline.
pub fn incident(c: &Connection, id: i64) -> rusqlite::Result<Option<IncidentDetail>> {
    let Some((row, dedup)) = c
        .query_row("SELECT * FROM incidents WHERE id = ?1", [id], |r| {
            Ok((incident_row(r)?, r.get::<_, String>("dedup_key")?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    let mut st = c.prepare(
        "SELECT o.outcome, o.status, COALESCE(src.alert_json, o.alert_json), o.received_at
           FROM occurrences o LEFT JOIN occurrences src ON src.id = o.alert_from
          WHERE o.incident_id = ?1 ORDER BY o.id DESC LIMIT 200",
    )?;
    let occ = st
        .query_map([id], |r| {
            Ok(OccurrenceRow {
                outcome: r.get(0)?,
                status: r.get(1)?,
                alert: pretty(&r.get::<_, String>(2)?),
                received_at: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = c.prepare("SELECT status, at FROM timeline WHERE incident_id = ?1 ORDER BY id")?;
    let timeline = st
        .query_map([id], |r| {
            Ok(TimelineRow {
                status: r.get(0)?,
                at: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some((row, dedup, occ, timeline)))
}

/// JSON text indented for reading (as is when it is not JSON).
pub fn pretty(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// A session as listed.
pub struct SessionRow {
    pub id: i64,
    pub trigger: String,
    pub status: String,
    pub tier: i64,
    pub synthesized_by: Option<String>,
    pub model: Option<String>,
    pub source: Option<String>,
    pub created_at: String,
    pub exit_code: Option<i64>,
    pub duration_ms: Option<i64>,
    /// The brief's first line, shortened.
    pub summary: String,
}

/// A session in full.
pub struct SessionDetail {
    pub row: SessionRow,
    pub prompt_text: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub output: Option<String>,
    pub alerts: Vec<AlertView>,
}

/// One normalised alert that started a session.
pub struct AlertView {
    pub title: String,
    pub severity: String,
    pub status: String,
    pub service: String,
    pub json: String,
}

pub(super) fn summary(prompt: &str) -> String {
    let line = prompt.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut s: String = line.chars().take(100).collect();
    if line.chars().count() > 100 {
        s.push('…');
    }
    s
}

fn session_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        id: r.get("id")?,
        trigger: r.get("trigger")?,
        status: r.get("status")?,
        tier: r.get("tier")?,
        synthesized_by: r.get("synthesized_by")?,
        model: r.get("model")?,
        source: r.get("source")?,
        created_at: r.get("created_at")?,
        exit_code: r.get("exit_code")?,
        duration_ms: r.get("duration_ms")?,
        summary: summary(&r.get::<_, String>("prompt_text")?),
    })
}

/// Sessions, newest first, by trigger and status (empty: any).
pub fn sessions(
    c: &Connection,
    trigger: &str,
    status: &str,
    limit: i64,
) -> rusqlite::Result<Vec<SessionRow>> {
    let mut st = c.prepare(
        "SELECT * FROM sessions WHERE (?1 IS NULL OR trigger = ?1) AND (?2 IS NULL OR status = ?2)
          ORDER BY id DESC LIMIT ?3",
    )?;
    st.query_map(params![opt(trigger), opt(status), limit], session_row)?
        .collect()
}

/// A session's stored alerts (JSON text) as the page shows them; none when unreadable.
pub fn alert_views(alerts_json: &str) -> Vec<AlertView> {
    match serde_json::from_str::<Value>(alerts_json) {
        Ok(Value::Array(list)) => list
            .iter()
            .map(|a| {
                let field = |k: &str| a[k].as_str().unwrap_or("").to_owned();
                AlertView {
                    title: field("title"),
                    severity: field("severity"),
                    status: field("status"),
                    service: field("service"),
                    json: serde_json::to_string_pretty(a).unwrap_or_default(),
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// One session with its brief, output and alerts.
pub fn session(c: &Connection, id: i64) -> rusqlite::Result<Option<SessionDetail>> {
    c.query_row("SELECT * FROM sessions WHERE id = ?1", [id], |r| {
        let alerts: String = r.get("alerts_json")?;
        let alerts = alert_views(&alerts);
        Ok(SessionDetail {
            row: session_row(r)?,
            prompt_text: r.get("prompt_text")?,
            started_at: r.get("started_at")?,
            finished_at: r.get("finished_at")?,
            output: r.get("output")?,
            alerts,
        })
    })
    .optional()
}

/// A delivery as logged.
pub struct DeliveryRow {
    pub id: i64,
    pub event: String,
    /// The target without user info or query (which may hold credentials).
    pub target: String,
    pub status: String,
    pub attempts: i64,
    pub last_http_status: Option<i64>,
    pub last_error: Option<String>,
    /// When a pending delivery is tried next.
    pub next_attempt: Option<String>,
    pub created_at: String,
    pub log: Vec<AttemptRow>,
}

/// One attempt of a delivery.
pub struct AttemptRow {
    pub at: String,
    pub http_status: Option<i64>,
    pub error: Option<String>,
}

/// `scheme://host[:port]/path` of a URL: what a person needs to recognise the
/// target, without a password or token it may carry.
pub fn display_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = authority.rsplit('@').next().unwrap_or(authority);
    if scheme.is_empty() {
        format!("{host}{path}")
    } else {
        format!("{scheme}://{host}{path}")
    }
}

/// Deliveries, newest first, with their attempts; `failed_only` keeps the
/// ones that failed or are being retried after a failure.
pub fn deliveries(
    c: &Connection,
    failed_only: bool,
    limit: i64,
) -> rusqlite::Result<Vec<DeliveryRow>> {
    let mut st = c.prepare(
        "SELECT id, url, event, status, attempts, last_http_status, last_error, next_attempt_unix, created_at
           FROM deliveries
          WHERE ?1 = 0 OR status = 'failed' OR (status = 'pending' AND attempts > 0)
          ORDER BY id DESC LIMIT ?2",
    )?;
    let mut rows: Vec<DeliveryRow> = st
        .query_map(params![i64::from(failed_only), limit], |r| {
            let status: String = r.get(3)?;
            let next: i64 = r.get(7)?;
            Ok(DeliveryRow {
                id: r.get(0)?,
                target: display_url(&r.get::<_, String>(1)?),
                event: r.get(2)?,
                next_attempt: (status == "pending")
                    .then(|| alertgate::unix_to_rfc3339(next.max(now_unix())))
                    .flatten(),
                status,
                attempts: r.get(4)?,
                last_http_status: r.get(5)?,
                last_error: r.get(6)?,
                created_at: r.get(8)?,
                log: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = c.prepare_cached(
        "SELECT at, http_status, error FROM delivery_attempts WHERE delivery_id = ?1 ORDER BY id",
    )?;
    for d in &mut rows {
        d.log = st
            .query_map([d.id], |r| {
                Ok(AttemptRow {
                    at: r.get(0)?,
                    http_status: r.get(1)?,
                    error: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(rows)
}

/// The overview's figures.
pub struct Overview {
    /// Open incidents per severity, in the vocabulary's order (zeros included).
    pub open_by_severity: Vec<(&'static str, i64)>,
    /// Alerts received in the last hour, per source, most first.
    pub last_hour: Vec<(String, i64)>,
    /// The running session, if any.
    pub running: Option<SessionRow>,
    /// The latest session.
    pub latest: Option<SessionRow>,
    /// The latest open incidents.
    pub recent: Vec<IncidentRow>,
    /// Failed or retrying deliveries.
    pub failures: Vec<DeliveryRow>,
    /// The last request per integration: (name, received_at).
    pub last_request: Vec<(String, String)>,
}

/// Everything the overview shows, in one database job.
pub fn overview(c: &Connection) -> rusqlite::Result<Overview> {
    let mut st = c.prepare(
        "SELECT severity, COUNT(*) FROM incidents WHERE status != 'resolved' GROUP BY severity",
    )?;
    let counts: Vec<(String, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
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
    // A repeated request's JSON is stored once (ingest_from points at it).
    let hour_ago = alertgate::unix_to_rfc3339(now_unix() - 3600).unwrap_or_default();
    let mut st = c.prepare(
        "SELECT r.source,
                SUM(COALESCE(json_array_length(NULLIF(r.ingest_json, ''), '$.alerts'),
                             json_array_length(src.ingest_json, '$.alerts'), 0)) AS n
           FROM received_alerts r LEFT JOIN received_alerts src ON src.id = r.ingest_from
          WHERE r.received_at >= ?1
          GROUP BY r.source ORDER BY n DESC, r.source",
    )?;
    let last_hour = st
        .query_map([hour_ago], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let running = c
        .query_row(
            "SELECT * FROM sessions WHERE status = 'running' ORDER BY id DESC LIMIT 1",
            [],
            session_row,
        )
        .optional()?;
    let latest = c
        .query_row(
            "SELECT * FROM sessions ORDER BY id DESC LIMIT 1",
            [],
            session_row,
        )
        .optional()?;
    let recent = incidents(
        c,
        &IncidentFilter {
            status: String::from("open"),
            ..IncidentFilter::default()
        },
        10,
    )?;
    let failures = deliveries(c, true, 10)?;
    let mut st = c.prepare(
        "SELECT integration, MAX(received_at) FROM received_alerts
          WHERE integration IS NOT NULL GROUP BY integration",
    )?;
    let last_request = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
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

#[cfg(test)]
mod tests {
    use super::display_url;

    #[test]
    fn display_url_drops_credentials_and_query() {
        assert_eq!(
            display_url("https://user:pw@hooks.example.com:8443/in/x?token=s3cret#f"),
            "https://hooks.example.com:8443/in/x"
        );
        assert_eq!(display_url("http://127.0.0.1:9/"), "http://127.0.0.1:9/");
        assert_eq!(display_url("weird"), "weird");
    }
}
