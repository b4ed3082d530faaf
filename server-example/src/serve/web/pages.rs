//! The dashboard's pages. Each takes a [`Viewer`] (or a checked form), reads
//! through `queries` on the database thread, and renders a compiled template
//! (askama escapes every value).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::super::{ApiError, AppState, handlers};
use super::pg_queries;
use super::queries::{self, DeliveryRow, IncidentFilter, IncidentRow, Overview, SessionRow};
use super::{CsrfField, PageError, SessionForm, Viewer, WriteForm, html};
use crate::serve::store::Store;

/// What every page's frame needs: its title, which tab is current, and the
/// session's CSRF token for the logout form.
pub struct Chrome {
    pub title: String,
    pub nav: &'static str,
    pub csrf: String,
    pub can_write: bool,
}

impl Chrome {
    fn new(viewer: &Viewer, nav: &'static str, title: impl Into<String>) -> Self {
        Chrome {
            title: title.into(),
            nav,
            csrf: viewer.csrf.clone(),
            can_write: viewer.can_write(),
        }
    }
}

async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, PageError> {
    // PostgreSQL's reads are `pg_queries`, chosen by each page before this.
    let Some(db) = state.store.sqlite() else {
        return Err(PageError::from(ApiError::new(
            500,
            "internal",
            "a SQLite query was asked of the PostgreSQL store",
        )));
    };
    db.call(f)
        .await
        .map_err(|e| PageError::from(ApiError::db(&e)))
}

/// A PostgreSQL read's failure as a page (503 while the database is unavailable).
fn pg_error(e: crate::serve::store::StoreError) -> PageError {
    PageError::from(ApiError::from(e))
}

/// An id from the path; anything else is a 404 page.
fn id_of(text: &str) -> Result<i64, PageError> {
    text.parse()
        .map_err(|_| PageError::new(404, "There is nothing at this address."))
}

/// The ` selected` of a filter's current choice.
trait Selected {
    fn selected(&self, current: &str, option: &str) -> &'static str {
        if current == option { " selected" } else { "" }
    }
}

impl Selected for IncidentsPage {}
impl Selected for SessionsPage {}
impl Selected for PlaygroundPage {}

/// One open-incident count.
pub struct SeverityCount {
    pub name: &'static str,
    pub count: i64,
}

/// An integration as the overview shows it.
pub struct IntegrationView {
    pub name: String,
    pub url: String,
    pub auth: &'static str,
    pub reads_as: String,
    pub last_request: Option<String>,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    chrome: Chrome,
    severities: Vec<SeverityCount>,
    o: Overview,
    integrations: Vec<IntegrationView>,
}

/// The origin browsers reach us by, for the integration URLs to copy.
fn origin(state: &AppState, headers: &HeaderMap, tls: bool) -> String {
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .map_or_else(|| state.args.listen.clone(), String::from);
    format!("{}://{host}", if tls { "https" } else { "http" })
}

/// `/`: open incidents by severity, the last hour's alerts per source, the
/// running session, delivery failures, the integrations.
pub async fn overview(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    let (parts, _) = req.into_parts();
    let o = match &state.store {
        Store::Postgres(pg) => pg_queries::overview(pg).await.map_err(pg_error)?,
        Store::Sqlite(_) => read(&state, queries::overview).await?,
    };
    let base = origin(&state, &parts.headers, super::over_tls(&parts, &state));
    let integrations = state
        .integrations
        .by_name
        .values()
        .map(|i| IntegrationView {
            url: format!("{base}/api/v1/integrations/{}", super::url_encode(&i.name)),
            auth: i.verifier.as_ref().map_or("none", |v| v.scheme().as_str()),
            reads_as: match (&i.mapping, i.source) {
                (Some(_), _) => String::from("custom mapping"),
                (None, Some(s)) => s.as_str().to_owned(),
                (None, None) => String::from("auto"),
            },
            last_request: o
                .last_request
                .iter()
                .find(|(n, _)| *n == i.name)
                .map(|(_, at)| at.clone()),
            name: i.name.clone(),
        })
        .collect();
    let severities = o
        .open_by_severity
        .iter()
        .map(|(name, count)| SeverityCount {
            name,
            count: *count,
        })
        .collect();
    Ok(html(&OverviewPage {
        chrome: Chrome::new(&viewer, "overview", "Overview"),
        severities,
        o,
        integrations,
    }))
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    chrome: Chrome,
    f: IncidentFilter,
    rows: Vec<IncidentRow>,
    sources: Vec<String>,
    integrations: Vec<String>,
    severities: Vec<&'static str>,
}

/// `/incidents`: filtered by status, source, severity, integration and text.
pub async fn incidents(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Query(f): Query<IncidentFilter>,
) -> Result<Response, PageError> {
    let filter = f.clone();
    let (rows, sources) = match &state.store {
        Store::Postgres(pg) => pg_queries::incidents(pg, &filter, 500)
            .await
            .map_err(pg_error)?,
        Store::Sqlite(_) => {
            read(&state, move |c| {
                Ok((
                    queries::incidents(c, &filter, 500)?,
                    queries::incident_sources(c)?,
                ))
            })
            .await?
        }
    };
    Ok(html(&IncidentsPage {
        chrome: Chrome::new(&viewer, "incidents", "Incidents"),
        f,
        rows,
        sources,
        integrations: state.integrations.by_name.keys().cloned().collect(),
        severities: alertgate::Severity::ALL
            .iter()
            .map(|s| s.as_str())
            .collect(),
    }))
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    chrome: Chrome,
    i: IncidentRow,
    dedup_key: String,
    occurrences: Vec<queries::OccurrenceRow>,
    timeline: Vec<queries::TimelineRow>,
}

/// `/incidents/{id}`: the incident, its status timeline and occurrences, and
/// (with the API key) acknowledge and resolve buttons.
pub async fn incident(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id_of(&id)?;
    let found = match &state.store {
        Store::Postgres(pg) => pg_queries::incident(pg, id).await.map_err(pg_error)?,
        Store::Sqlite(_) => read(&state, move |c| queries::incident(c, id)).await?,
    };
    let (i, dedup_key, occurrences, timeline) =
        found.ok_or_else(|| PageError::new(404, format!("Incident {id} does not exist.")))?;
    Ok(html(&IncidentPage {
        chrome: Chrome::new(&viewer, "incidents", format!("Incident {id}: {}", i.title)),
        i,
        dedup_key,
        occurrences,
        timeline,
    }))
}

async fn change_incident(
    state: &AppState,
    id: &str,
    to: alertgate::Status,
) -> Result<Response, PageError> {
    let id = id_of(id)?;
    handlers::set_incident_status(state, id, to)
        .await?
        .ok_or_else(|| PageError::new(404, format!("Incident {id} does not exist.")))?;
    Ok(Redirect::to(&format!("/incidents/{id}")).into_response())
}

/// `POST /incidents/{id}/acknowledge` (API key, CSRF token).
pub async fn acknowledge(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    _: WriteForm<CsrfField>,
) -> Result<Response, PageError> {
    change_incident(&state, &id, alertgate::Status::Acknowledged).await
}

/// `POST /incidents/{id}/resolve` (API key, CSRF token).
pub async fn resolve(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    _: WriteForm<CsrfField>,
) -> Result<Response, PageError> {
    change_incident(&state, &id, alertgate::Status::Resolved).await
}

/// The session list's filters; empty means any.
#[derive(Deserialize, Default)]
pub struct SessionFilter {
    #[serde(default)]
    trigger: String,
    #[serde(default)]
    status: String,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    f: SessionFilter,
    rows: Vec<SessionRow>,
    triggers: &'static [&'static str],
    statuses: &'static [&'static str],
}

const TRIGGERS: &[&str] = &["alert", "manual", "api", "scheduled"];
const SESSION_STATUSES: &[&str] = &["running", "completed", "failed", "timed_out", "interrupted"];

/// `/sessions`: by trigger and status, and the form that starts a manual one.
pub async fn sessions(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Query(f): Query<SessionFilter>,
) -> Result<Response, PageError> {
    let (trigger, status) = (f.trigger.clone(), f.status.clone());
    let rows = match &state.store {
        Store::Postgres(pg) => pg_queries::sessions(pg, &trigger, &status, 200)
            .await
            .map_err(pg_error)?,
        Store::Sqlite(_) => {
            read(&state, move |c| {
                queries::sessions(c, &trigger, &status, 200)
            })
            .await?
        }
    };
    Ok(html(&SessionsPage {
        chrome: Chrome::new(&viewer, "sessions", "Sessions"),
        f,
        rows,
        triggers: TRIGGERS,
        statuses: SESSION_STATUSES,
    }))
}

#[derive(Template)]
#[template(path = "session.html")]
struct SessionPage {
    chrome: Chrome,
    s: queries::SessionDetail,
}

/// `/sessions/{id}`: the brief, who wrote it, the tier, the alerts, the
/// command's output, exit status and duration.
pub async fn session(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id_of(&id)?;
    let found = match &state.store {
        Store::Postgres(pg) => pg_queries::session(pg, id).await.map_err(pg_error)?,
        Store::Sqlite(_) => read(&state, move |c| queries::session(c, id)).await?,
    };
    let s = found.ok_or_else(|| PageError::new(404, format!("Session {id} does not exist.")))?;
    Ok(html(&SessionPage {
        chrome: Chrome::new(&viewer, "sessions", format!("Session {id}")),
        s,
    }))
}

/// The manual session form.
#[derive(Deserialize)]
pub struct NewSession {
    #[serde(default)]
    prompt: String,
}

/// `POST /sessions` (API key, CSRF token): a manual session, as the API's.
pub async fn start_session(
    State(state): State<Arc<AppState>>,
    f: WriteForm<NewSession>,
) -> Result<Response, PageError> {
    let prompt = f.form.prompt.replace("\r\n", "\n");
    if prompt.trim().is_empty() {
        return Err(PageError::new(400, "The prompt is empty."));
    }
    match handlers::start_session(&state, String::from("manual"), prompt).await? {
        Some(id) => Ok(Redirect::to(&format!("/sessions/{id}")).into_response()),
        None => Err(PageError::new(
            409,
            "A session is already running; start another when it has finished.",
        )),
    }
}

#[derive(Template)]
#[template(path = "deliveries.html")]
struct DeliveriesPage {
    chrome: Chrome,
    rows: Vec<DeliveryRow>,
}

/// `/deliveries`: every outgoing delivery, its attempts and next retry.
pub async fn deliveries(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let rows = match &state.store {
        Store::Postgres(pg) => pg_queries::deliveries(pg, false, 300)
            .await
            .map_err(pg_error)?,
        Store::Sqlite(_) => read(&state, |c| queries::deliveries(c, false, 300)).await?,
    };
    Ok(html(&DeliveriesPage {
        chrome: Chrome::new(&viewer, "deliveries", "Deliveries"),
        rows,
    }))
}

/// The playground's form.
#[derive(Deserialize, Default)]
pub struct PlaygroundForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    content_type: String,
    #[serde(default)]
    headers: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    mapping: String,
}

/// What the playground made of a payload.
pub struct Outcome {
    pub canonical: String,
    pub explanation: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "playground.html")]
struct PlaygroundPage {
    chrome: Chrome,
    f: PlaygroundForm,
    sources: Vec<&'static str>,
    out: Option<Outcome>,
}

const EXAMPLE: &str = r#"{
  "receiver": "ops",
  "status": "firing",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "DiskFull", "severity": "warning", "instance": "db-1"},
      "annotations": {"summary": "Disk 95% full on db-1"},
      "startsAt": "2024-05-01T12:00:00Z",
      "fingerprint": "c0ffee"
    }
  ],
  "groupLabels": {"alertname": "DiskFull"},
  "version": "4"
}"#;

fn sources() -> Vec<&'static str> {
    alertgate::Source::ALL.iter().map(|s| s.as_str()).collect()
}

/// `/playground`: a form with an example body.
pub async fn playground(viewer: Viewer) -> Response {
    html(&PlaygroundPage {
        chrome: Chrome::new(&viewer, "playground", "Playground"),
        f: PlaygroundForm {
            body: String::from(EXAMPLE),
            content_type: String::from("application/json"),
            ..PlaygroundForm::default()
        },
        sources: sources(),
        out: None,
    })
}

/// Reads a payload as the server would, with the explanation; stores nothing.
fn try_payload(state: &AppState, f: &PlaygroundForm) -> Outcome {
    let fail = |e: String| Outcome {
        canonical: String::new(),
        explanation: String::new(),
        error: Some(e),
    };
    let mut options = alertgate::Options::default();
    options.explain = true;
    options.max_tier = state.args.max_tier;
    let source = f.source.trim();
    if !source.is_empty() && source != "auto" {
        match source.parse::<alertgate::Source>() {
            Ok(s) => options.source_hint = Some(s),
            Err(e) => return fail(format!("{}: {e}", e.code())),
        }
    }
    if !f.mapping.trim().is_empty() {
        match alertgate::Mapping::from_json(&f.mapping) {
            Ok(m) => options.mapping = Some(m),
            Err(e) => return fail(format!("{}: {e}", e.code())),
        }
    }
    let mut headers = Vec::new();
    for line in f.headers.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.split_once(':') {
            Some((n, v)) if !n.trim().is_empty() => headers.push((n.trim(), v.trim())),
            _ => return fail(format!("not a header (Name: value): {line}")),
        }
    }
    let ct = f.content_type.trim();
    let request = alertgate::Request {
        body: f.body.as_bytes(),
        content_type: (!ct.is_empty()).then_some(ct),
        headers: &headers,
    };
    match alertgate::ingest(&request, &options) {
        Ok(mut ingest) => {
            let explanation = ingest.explanation.take();
            Outcome {
                canonical: serde_json::to_string_pretty(&ingest).unwrap_or_default(),
                explanation: serde_json::to_string_pretty(&explanation).unwrap_or_default(),
                error: None,
            }
        }
        Err(e) => fail(format!("{}: {e}", e.code())),
    }
}

/// `POST /playground` (any role, CSRF token): the canonical result and the
/// explanation side by side.
pub async fn playground_run(
    State(state): State<Arc<AppState>>,
    f: SessionForm<PlaygroundForm>,
) -> Response {
    let mut form = f.form;
    // Browsers send a textarea's lines with CRLF.
    form.body = form.body.replace("\r\n", "\n");
    let out = try_payload(&state, &form);
    html(&PlaygroundPage {
        chrome: Chrome::new(&f.viewer, "playground", "Playground"),
        f: form,
        sources: sources(),
        out: Some(out),
    })
}
