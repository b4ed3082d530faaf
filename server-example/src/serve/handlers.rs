//! Route handlers. Authenticity is checked on the raw body before it is parsed;
//! every 200/202 is sent only after its data is committed.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use alertgate::{Options, Request, Scheme, Verifier, VerifyOptions};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::db::{self, now_text};
use super::{ApiError, AppState, fold};

/// Header pairs as the core takes them, borrowed from the request's.
fn header_pairs(h: &HeaderMap) -> Vec<(&str, &str)> {
    h.iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect()
}

/// The body, or the 413 when it is over the limit.
fn body_of(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            413,
            "payload_too_large",
            format!("the body is larger than {} bytes", super::MAX_BODY),
        ),
        s => ApiError::new(s.as_u16(), "bad_request", e.body_text()),
    })
}

/// `alertgate_alerts_total` by source, severity and status; the handles are looked
/// up once per label set, not per alert.
fn count_alerts(ingest: &alertgate::Ingest) {
    type Labels = (&'static str, &'static str, &'static str);
    static COUNTERS: Mutex<Vec<(Labels, metrics::Counter)>> = Mutex::new(Vec::new());
    let mut counters = COUNTERS.lock().unwrap_or_else(PoisonError::into_inner);
    for a in &ingest.alerts {
        let labels = (
            ingest.source.as_str(),
            a.severity.as_str(),
            a.status.as_str(),
        );
        super::count_in(&mut counters, labels, || {
            metrics::counter!("alertgate_alerts_total",
                "source" => labels.0, "severity" => labels.1, "status" => labels.2)
        });
    }
}

/// The bearer check of the session routes: 503 without a configured key, 401 on a wrong one.
/// The key is read per request, so a rotated key needs no restart.
fn check_api_key(pairs: &[(&str, &str)], body: &[u8]) -> Result<(), ApiError> {
    let key = std::env::var("ALERTGATE_API_KEY").unwrap_or_default();
    if key.trim().is_empty() {
        return Err(ApiError::new(
            503,
            "not_configured",
            "ALERTGATE_API_KEY is not configured",
        ));
    }
    Verifier::new(Scheme::Bearer, &[key.as_str()], &VerifyOptions::default())
        .and_then(|v| v.verify(pairs, body, db::now_unix()))
        .map_err(|_| ApiError::new(401, "unauthorized", "Unauthorized"))
}

/// The 202 for an alert received while a session runs.
fn acknowledged() -> Response {
    let body = json!({"session_id": null, "status": "acknowledged", "message": "a session is already in progress; this alert was received but not queued"});
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

/// `POST /api/v1/webhook`: any body; a brief; one session at a time.
pub async fn webhook(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let pairs = header_pairs(&headers);
    let body = body_of(body)?;
    check_api_key(&pairs, &body)?;

    let mut options = Options::default();
    options.max_tier = state.args.max_tier;
    let ingest = {
        let request = Request {
            body: &body,
            content_type: headers.get("content-type").and_then(|v| v.to_str().ok()),
            headers: &pairs,
        };
        alertgate::ingest(&request, &options)
            .map_err(|e| ApiError::core(&e))?
            .into_owned()
    };
    count_alerts(&ingest);
    let tier = i64::from(ingest.tier.unwrap_or(1));
    let ingest_json = ingest.to_json();

    // Busy? Record the alert, acknowledge it, queue nothing.
    let json_for_busy = ingest_json.clone();
    let source = ingest.source.as_str();
    let busy = state
        .db
        .call(move |c| {
            let tx = db::CachedSavepoint::new(c)?;
            let running = db::running_sessions(&tx)?;
            if running > 0 {
                tx.execute(
                    "INSERT INTO received_alerts (route, source, outcome, ingest_json, received_at) VALUES ('webhook', ?1, 'acknowledged', ?2, ?3)",
                    params![source, json_for_busy, now_text()],
                )?;
            }
            tx.commit()?;
            Ok(running > 0)
        })
        .await
        .map_err(|e| ApiError::db(&e))?;
    if busy {
        return Ok(acknowledged());
    }

    // The brief: the LLM when configured (tier stripped, secrets redacted by the client), else the template.
    let config = alertgate_synth::SynthConfig::from_env();
    let started = Instant::now();
    let ingest = Arc::new(ingest);
    let for_synth = ingest.clone();
    let body_for_synth = body.clone();
    let brief = tokio::task::spawn_blocking(move || {
        alertgate_synth::brief(&for_synth, &body_for_synth, &config)
    })
    .await
    .map_err(|e| ApiError::new(500, "internal", e.to_string()))?;
    metrics::histogram!("alertgate_synthesis_seconds").record(started.elapsed().as_secs_f64());
    let brief = brief.map_err(|e| {
        metrics::counter!("alertgate_synthesis_failures_total", "code" => e.code()).increment(1);
        ApiError::new(e.http_status(), e.code(), e.to_string())
    })?;

    let alerts = serde_json::to_string(&ingest.alerts).unwrap_or_else(|_| String::from("[]"));
    let created = state
        .db
        .call(move |c| {
            let tx = db::CachedSavepoint::new(c)?;
            // Checked again inside the transaction: two requests may race here.
            if db::running_sessions(&tx)? > 0 {
                tx.execute(
                    "INSERT INTO received_alerts (route, source, outcome, ingest_json, received_at) VALUES ('webhook', ?1, 'acknowledged', ?2, ?3)",
                    params![source, ingest_json, now_text()],
                )?;
                tx.commit()?;
                return Ok(None);
            }
            tx.execute(
                "INSERT INTO sessions (trigger, status, tier, prompt_text, synthesized_by, model, source, alerts_json, created_at)
                 VALUES ('alert', 'running', ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![tier, brief.text, brief.synthesized_by, brief.model, source, alerts, now_text()],
            )?;
            let id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO received_alerts (route, session_id, source, outcome, ingest_json, received_at) VALUES ('webhook', ?1, ?2, 'triggered', ?3, ?4)",
                params![id, source, ingest_json, now_text()],
            )?;
            tx.commit()?;
            Ok(Some(id))
        })
        .await
        .map_err(|e| ApiError::db(&e))?;
    let Some(id) = created else {
        return Ok(acknowledged());
    };
    // The row is committed; the runner picks it up (a full queue cannot happen: one session at a time).
    let _ = state.sessions.try_send(id);
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"session_id": id, "status": "triggered", "tier": tier})),
    )
        .into_response())
}

/// `POST /api/v1/integrations/{name}` (and aliases): verify, ingest, filter, fold.
///
/// The request is taken whole: the `HeaderMap` extractor would clone the headers.
pub async fn integration(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    let headers = std::mem::take(&mut parts.headers);
    // Read under the route's body limit (`DefaultBodyLimit`, in the extensions);
    // an unknown integration is reported ahead of a body fault, as before.
    let body = Bytes::from_request(axum::extract::Request::from_parts(parts, body), &()).await;
    let Some(integration) = state.integrations.by_name.get(&name) else {
        return Err(ApiError::new(
            404,
            "integration_not_found",
            format!("Integration not found: {name}"),
        ));
    };
    let body = body_of(body)?;
    let pairs = header_pairs(&headers);
    if let Some(v) = &integration.verifier {
        v.verify(&pairs, &body, db::now_unix()).map_err(|e| {
            tracing::info!(integration = %name, code = e.code(), "webhook refused");
            ApiError::core(&e)
        })?;
    }
    let mut options = Options::default();
    options.max_tier = state.args.max_tier;
    options.source_hint = integration.source;
    options.mapping = integration.mapping.clone();
    // The result borrows from the body and the headers, which outlive it here:
    // only what the database job needs is copied out (`fold::FoldJob`).
    let mut ingest = {
        let request = Request {
            body: &body,
            content_type: headers.get("content-type").and_then(|v| v.to_str().ok()),
            headers: &pairs,
        };
        alertgate::ingest(&request, &options).map_err(|e| ApiError::core(&e))?
    };
    if let Some(sev) = integration.default_severity {
        for a in ingest
            .alerts
            .iter_mut()
            .filter(|a| a.severity_raw.is_none())
        {
            a.severity = sev;
        }
    }
    count_alerts(&ingest);
    // Filters are evaluated here, in parallel across requests, not on the database thread.
    let payload: Option<Value> = integration
        .filters
        .iter()
        .any(|f| matches!(f.field, super::config::Field::Pointer(_)))
        .then(|| serde_json::from_slice(alertgate::strip_tier(&body).as_ref()).ok())
        .flatten();
    let source = ingest.source.as_str();
    let failing: Vec<Option<usize>> = ingest
        .alerts
        .iter()
        .map(|a| fold::failing_filter(&integration.filters, a, source, payload.as_ref()))
        .collect();
    let job = fold::FoldJob::new(&integration.name, &mut ingest, |i| failing[i].is_none());
    let outgoing = state.outgoing.clone();
    let (outcomes, enqueued) = state
        .db
        // The open-incidents gauge is counted at each /metrics scrape, not per request.
        .call(move |c| fold::fold(c, &job, &outgoing))
        .await
        .map_err(|e| ApiError::db(&e))?;
    // Wake the delivery worker only when there is something new to send (a folded
    // duplicate, the common case in an alert storm, raises no event).
    if enqueued > 0 {
        state.deliveries.notify_one();
    }
    // The folded outcomes come back in order for the alerts the filters kept.
    let mut folded = outcomes.into_iter();
    let results = ingest
        .alerts
        .iter()
        .zip(&failing)
        .map(|(a, failed)| {
            let o = match failed {
                Some(i) => fold::Outcome::Filtered(*i),
                // `fold` answers once per alert it was given.
                None => folded
                    .next()
                    .ok_or_else(|| ApiError::new(500, "internal", "an alert was not folded"))?,
            };
            Ok(fold::ResultJson::new(o, a, &integration.filters))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    // The keys in the order of the `Value` object this replaces (sorted).
    #[derive(Serialize)]
    struct Answer<'a> {
        integration: &'a str,
        notice: Option<&'static str>,
        results: Vec<fold::ResultJson<'a>>,
        source: &'static str,
    }
    Ok(Json(Answer {
        integration: &name,
        notice: ingest.notice.map(|n| n.as_str()),
        results,
        source,
    })
    .into_response())
}

#[derive(Deserialize)]
pub struct ListQuery {
    trigger: Option<String>,
    status: Option<String>,
    source: Option<String>,
    limit: Option<i64>,
}

pub async fn list_sessions(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let rows = state
        .db
        .call(move |c| db::sessions(c, q.trigger.as_deref(), limit))
        .await
        .map_err(|e| ApiError::db(&e))?;
    Ok(Json(json!({"sessions": rows})))
}

pub async fn get_session(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    state
        .db
        .call(move |c| db::session_json(c, id))
        .await
        .map_err(|e| ApiError::db(&e))?
        .map(Json)
        .ok_or_else(|| ApiError::new(404, "session_not_found", format!("Session not found: {id}")))
}

#[derive(Deserialize)]
pub struct NewSession {
    prompt: String,
    #[serde(default)]
    trigger: Option<String>,
}

/// `POST /api/v1/sessions` (bearer auth): a manual or API-triggered session.
pub async fn create_session(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_of(body)?;
    check_api_key(&header_pairs(&headers), &body)?;
    let req: NewSession = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(400, "invalid_json", e.to_string()))?;
    let trigger = match req.trigger.as_deref().unwrap_or("manual") {
        t @ ("manual" | "api") => t.to_owned(),
        other => {
            return Err(ApiError::new(
                400,
                "invalid_trigger",
                format!("trigger must be manual or api, not {other:?}"),
            ));
        }
    };
    if req.prompt.trim().is_empty() {
        return Err(ApiError::new(400, "empty_prompt", "the prompt is empty"));
    }
    let id = state
        .db
        .call(move |c| {
            let tx = db::CachedSavepoint::new(c)?;
            if db::running_sessions(&tx)? > 0 {
                return Ok(None);
            }
            tx.execute(
                "INSERT INTO sessions (trigger, status, tier, prompt_text, created_at) VALUES (?1, 'running', 1, ?2, ?3)",
                params![trigger, req.prompt, now_text()],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(Some(id))
        })
        .await
        .map_err(|e| ApiError::db(&e))?
        .ok_or_else(|| ApiError::new(409, "session_running", "a session is already in progress"))?;
    let _ = state.sessions.try_send(id);
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"session_id": id, "status": "triggered", "tier": 1})),
    )
        .into_response())
}

pub async fn list_incidents(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = state
        .db
        .call(move |c| db::incidents(c, q.status.as_deref(), q.source.as_deref(), limit))
        .await
        .map_err(|e| ApiError::db(&e))?;
    Ok(Json(json!({"incidents": rows})))
}

pub async fn get_incident(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    state
        .db
        .call(move |c| db::incident_json(c, id))
        .await
        .map_err(|e| ApiError::db(&e))?
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "incident_not_found",
                format!("Incident not found: {id}"),
            )
        })
}

pub async fn list_deliveries(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = state
        .db
        .call(move |c| db::deliveries(c, limit))
        .await
        .map_err(|e| ApiError::db(&e))?;
    Ok(Json(json!({"deliveries": rows})))
}

pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    match state.db.call(db::running_sessions).await {
        Ok(n) => Json(json!({"status": "ok", "db": "ok", "sessions_running": n, "version": env!("CARGO_PKG_VERSION")})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database error");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "degraded", "db": "error", "sessions_running": null, "version": env!("CARGO_PKG_VERSION")})),
            )
                .into_response()
        }
    }
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    if let Ok(n) = state.db.call(db::open_incidents).await {
        metrics::gauge!("alertgate_incidents_open").set(n as f64);
    }
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
