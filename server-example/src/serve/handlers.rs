//! Route handlers. Authenticity is checked on the raw body before it is parsed;
//! every 200/202 is sent only after its data is committed.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use alertgate::{Options, Request, Scheme};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::access::{ClientIp, Reader, Writer};
use super::config::Replay;
use super::db;
use super::store::{AlertSession, Received};
use super::{ApiError, AppState, fold};

/// Header pairs as the core takes them, borrowed from the request's.
fn header_pairs(h: &HeaderMap) -> Vec<(&str, &str)> {
    h.iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect()
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!("the body is larger than {limit} bytes"),
    )
}

/// Whether `e` or an error beneath it is a `T`.
fn caused_by<T: std::error::Error + 'static>(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<T>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// Reads the body within `limit` bytes. A declared `Content-Length` over the
/// limit is refused before a byte of the body is read; a body that grows past
/// it, or is not whole by the body deadline, is cut off. Either way the
/// connection is closed rather than drained.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(too_large(limit).closing());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if caused_by::<LengthLimitError>(&*e) => Err(too_large(limit).closing()),
        Err(e) if caused_by::<tower_http::timeout::TimeoutError>(&*e) => Err(ApiError::new(
            408,
            "request_timeout",
            "the body was not received within the body deadline",
        )
        .closing()),
        Err(e) => {
            tracing::debug!(error = %e, "body read failed");
            Err(ApiError::new(400, "bad_request", "the body could not be read").closing())
        }
    }
}

/// `axum::extract::Path` answering `{"detail", "code": "invalid_path"}`.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e| ApiError::new(e.status().as_u16(), "invalid_path", e.body_text()))
    }
}

/// `axum::extract::Query` answering `{"detail", "code": "invalid_query"}`.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e| ApiError::new(400, "invalid_query", e.body_text()))
    }
}

/// The core's options for a route whose body limit is `max_body`.
fn options(state: &AppState, max_body: usize) -> Options {
    let mut options = Options::default();
    options.max_tier = state.args.max_tier;
    options.limits.max_body_bytes = max_body;
    options
}

/// The 413 for a request with more alerts than `--max-alerts`.
fn check_alert_count(state: &AppState, n: usize) -> Result<(), ApiError> {
    if n > state.args.max_alerts {
        return Err(ApiError::new(
            413,
            "too_many_alerts",
            format!(
                "the request carries {n} alerts; at most {} are accepted (--max-alerts)",
                state.args.max_alerts
            ),
        ));
    }
    Ok(())
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

/// The 202 for an alert received while a session runs.
fn acknowledged() -> Response {
    let body = json!({"session_id": null, "status": "acknowledged", "message": "a session is already in progress; this alert was received but not queued"});
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

/// `POST /api/v1/webhook`: any body; a brief; one session at a time. The API
/// key is checked before the body is read.
pub async fn webhook(
    State(state): State<Arc<AppState>>,
    _: Writer,
    ClientIp(ip): ClientIp,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let limits = state.admit_shared(ip, None).await?;
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let body = read_body(&headers, body, state.args.max_webhook_body).await?;
    let pairs = header_pairs(&headers);
    let options = options(&state, state.args.max_webhook_body);
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
    check_alert_count(&state, ingest.alerts.len())?;
    count_alerts(&ingest);
    let tier = i64::from(ingest.tier.unwrap_or(1));
    let ingest_json = ingest.to_json();

    // Busy? Record the alert, acknowledge it, queue nothing.
    let source = ingest.source.as_str();
    let busy = state
        .store
        .record_if_busy(Received {
            source,
            ingest_json: ingest_json.clone(),
        })
        .await
        .map_err(|e| ApiError::store(&e))?;
    if busy {
        return Ok((limits, acknowledged()).into_response());
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
        synthesis_error(&e)
    })?;

    let alerts = serde_json::to_string(&ingest.alerts).unwrap_or_else(|_| String::from("[]"));
    // Checked again in the store's transaction: two requests may race here.
    let created = state
        .store
        .start_alert_session(
            Received {
                source,
                ingest_json,
            },
            AlertSession {
                tier,
                prompt: brief.text,
                synthesized_by: Some(brief.synthesized_by.to_owned()),
                model: brief.model,
                alerts_json: alerts,
            },
        )
        .await
        .map_err(|e| ApiError::store(&e))?;
    let Some(id) = created else {
        return Ok((limits, acknowledged()).into_response());
    };
    // The row is committed; the runner picks it up (a full queue cannot happen: one session at a time).
    let _ = state.sessions.try_send(id);
    Ok((
        StatusCode::ACCEPTED,
        limits,
        Json(json!({"session_id": id, "status": "triggered", "tier": tier})),
    )
        .into_response())
}

/// What the caller is told of a failed synthesis. An upstream's error body is
/// logged (trimmed), never echoed: it may quote the prompt or the provider's
/// account details.
fn synthesis_error(e: &alertgate_synth::SynthError) -> ApiError {
    match e {
        alertgate_synth::SynthError::UpstreamStatus { status, body } => {
            tracing::warn!(upstream_status = status, body = %body, "the LLM provider refused the request");
            let mut err = ApiError::new(
                e.http_status(),
                e.code(),
                format!("the LLM provider answered HTTP {status}"),
            );
            err.upstream_status = Some(*status);
            err
        }
        other => ApiError::new(other.http_status(), other.code(), other.to_string()),
    }
}

/// `POST /api/v1/integrations/{name}` (and aliases): judge the headers, read
/// the body within the integration's limit, verify, ingest, filter, fold.
/// Whatever the headers can tell is judged before a byte of the body is read.
pub async fn integration(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    ClientIp(ip): ClientIp,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let Some(integration) = state.integrations.by_name.get(&name) else {
        return Err(ApiError::new(
            404,
            "integration_not_found",
            format!("Integration not found: {name}"),
        )
        .closing());
    };
    let refuse = |e: alertgate::Error| {
        tracing::info!(integration = %name, code = e.code(), "webhook refused");
        super::access::refused(&state, ip, ApiError::core(&e))
    };
    let now = db::now_unix();
    let pairs = header_pairs(&headers);
    if let Some(v) = &integration.verifier {
        v.check_headers(&pairs, now).map_err(refuse)?;
    }
    let body = read_body(&headers, body, integration.max_body).await?;
    match &integration.verifier {
        Some(v) if v.scheme() == Scheme::Sns => {
            let cert = super::sns::certificate(&state, &body)
                .await
                .map_err(refuse)?;
            v.verify_with_certificate(&pairs, &body, now, &cert)
                .map_err(refuse)?;
        }
        Some(v) => v.verify(&pairs, &body, now).map_err(refuse)?,
        None => {}
    }
    let limits = state.admit_shared(ip, Some(integration)).await?;
    let mut options = options(&state, integration.max_body);
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
    check_alert_count(&state, ingest.alerts.len())?;
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
    let mut job = fold::FoldJob::new(&integration.name, &mut ingest, |i| failing[i].is_none());
    job.replay = replay_key(&state, integration, &pairs, now);
    job.reuse_for = i64::try_from(state.args.retention.as_secs() / 2).unwrap_or(i64::MAX);
    let outgoing = state.outgoing.clone();
    // The open-incidents gauge is counted at each /metrics scrape, not per request.
    let folded = state
        .store
        .fold(job, outgoing)
        .await
        .map_err(|e| ApiError::store(&e))?;
    // Wake the delivery worker only when there is something new to send (a folded
    // duplicate, the common case in an alert storm, raises no event).
    if folded.enqueued > 0 {
        state.deliveries.notify_one();
    }
    if folded.replayed {
        metrics::counter!("alertgate_replays_total").increment(1);
        tracing::info!(integration = %name, "replayed delivery: answered as first, nothing changed");
    } else if let Some(notice) = ingest.notice {
        sns_notice(&state, integration, notice, &body).await;
    }
    // The folded outcomes come back in order for the alerts the filters kept.
    let mut outcomes = folded.outcomes.into_iter();
    let results = ingest
        .alerts
        .iter()
        .zip(&failing)
        .map(|(a, failed)| {
            let o = match failed {
                Some(i) => fold::Outcome::Filtered(*i),
                // `fold` answers once per alert it was given.
                None => outcomes
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
        replayed: bool,
        results: Vec<fold::ResultJson<'a>>,
        source: &'static str,
    }
    Ok((
        limits,
        Json(Answer {
            integration: &name,
            notice: ingest.notice.map(|n| n.as_str()),
            replayed: folded.replayed,
            results,
            source,
        }),
    )
        .into_response())
}

/// SNS subscription events, recorded as notices (`GET /api/v1/notices`); a
/// confirmation is confirmed first when the integration says `sns_confirm`.
async fn sns_notice(
    state: &Arc<AppState>,
    integration: &super::config::Integration,
    notice: alertgate::Notice,
    body: &[u8],
) {
    if integration
        .verifier
        .as_ref()
        .is_none_or(|v| v.scheme() != Scheme::Sns)
    {
        return;
    }
    let topic = super::sns::topic(body);
    let (kind, detail) = match notice {
        alertgate::Notice::SubscriptionConfirmation if integration.sns_confirm => {
            match super::sns::confirm(state, body).await {
                Ok(()) => ("subscription_confirmed", format!("subscribed to {topic}")),
                Err(e) => {
                    tracing::warn!(integration = %integration.name, error = %e, "SNS subscription not confirmed");
                    (
                        "subscription_confirmation_failed",
                        format!("could not confirm the subscription to {topic}: {e}"),
                    )
                }
            }
        }
        alertgate::Notice::SubscriptionConfirmation => (
            "subscription_confirmation",
            format!("a subscription to {topic} waits for confirmation (sns_confirm is off)"),
        ),
        alertgate::Notice::UnsubscribeConfirmation => {
            ("unsubscribed", format!("unsubscribed from {topic}"))
        }
        _ => return,
    };
    let name = integration.name.clone();
    if let Err(e) = state.store.add_notice(name, kind, detail).await {
        tracing::error!(error = %e, "could not record a notice");
    }
}

/// The identity a replay of this request would repeat, as stored: a digest of
/// the sender's delivery id or timestamped signature (or, with `replay =
/// "signature"`, of any signature), and until when it is remembered.
fn replay_key(
    state: &AppState,
    integration: &super::config::Integration,
    pairs: &[(&str, &str)],
    now: i64,
) -> Option<fold::ReplayKey> {
    use sha2::{Digest, Sha256};
    let v = integration.verifier.as_ref()?;
    let id = match integration.replay {
        Replay::Off => None,
        Replay::Auto => v.delivery_id(pairs),
        Replay::Signature => v.delivery_id(pairs).or_else(|| v.signature(pairs)),
    }?;
    // Remembered at least twice the scheme's tolerance: a replay inside the
    // tolerance must still be recognised.
    let keep = state
        .args
        .replay_retention
        .as_secs()
        .max(v.tolerance().unwrap_or(0).saturating_mul(2));
    let digest = Sha256::digest(id.as_bytes());
    let key = digest.iter().fold(String::with_capacity(64), |mut s, b| {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
        s
    });
    Some(fold::ReplayKey {
        key,
        expires_unix: now.saturating_add(i64::try_from(keep).unwrap_or(i64::MAX)),
    })
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
    _: Reader,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let rows = state
        .store
        .sessions(q.trigger, limit)
        .await
        .map_err(|e| ApiError::store(&e))?;
    Ok(Json(json!({"sessions": rows})))
}

pub async fn get_session(
    State(state): State<Arc<AppState>>,
    _: Reader,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    state
        .store
        .session(id)
        .await
        .map_err(|e| ApiError::store(&e))?
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
    _: Writer,
    ClientIp(ip): ClientIp,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let limits = state.admit_shared(ip, None).await?;
    let (parts, body) = request.into_parts();
    let body = read_body(&parts.headers, body, state.args.max_webhook_body).await?;
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
    let id = start_session(&state, trigger, req.prompt)
        .await?
        .ok_or_else(|| ApiError::new(409, "session_running", "a session is already in progress"))?;
    Ok((
        StatusCode::ACCEPTED,
        limits,
        Json(json!({"session_id": id, "status": "triggered", "tier": 1})),
    )
        .into_response())
}

/// Stores a manual or API session (tier 1) and queues it for the runner: its
/// id, or `None` while another session runs. The API and the dashboard's form
/// both start sessions here.
pub async fn start_session(
    state: &AppState,
    trigger: String,
    prompt: String,
) -> Result<Option<i64>, ApiError> {
    let id = state
        .store
        .start_session(trigger, prompt)
        .await
        .map_err(|e| ApiError::store(&e))?;
    if let Some(id) = id {
        // The row is committed; one session at a time, so the queue has room.
        let _ = state.sessions.try_send(id);
    }
    Ok(id)
}

/// Acknowledges or resolves incident `id` by hand, enqueuing the same outgoing
/// event as folding does; `None` when there is no such incident. Shared by the
/// API and the dashboard's buttons.
pub async fn set_incident_status(
    state: &AppState,
    id: i64,
    to: alertgate::Status,
) -> Result<Option<fold::StatusChange>, ApiError> {
    let outgoing = state.outgoing.clone();
    let change = state
        .store
        .set_status(outgoing, id, to)
        .await
        .map_err(|e| ApiError::store(&e))?;
    if change.as_ref().is_some_and(|c| c.enqueued > 0) {
        state.deliveries.notify_one();
    }
    Ok(change)
}

/// `POST /api/v1/incidents/{id}/acknowledge` and `/resolve` (API key): the
/// incident after the change.
async fn incident_action(
    state: Arc<AppState>,
    id: i64,
    to: alertgate::Status,
) -> Result<Json<Value>, ApiError> {
    let not_found = || {
        ApiError::new(
            404,
            "incident_not_found",
            format!("Incident not found: {id}"),
        )
    };
    let change = set_incident_status(&state, id, to)
        .await?
        .ok_or_else(not_found)?;
    let mut incident = state
        .store
        .incident(id)
        .await
        .map_err(|e| ApiError::store(&e))?
        .ok_or_else(not_found)?;
    // Whether this request changed the status (a repeat changes nothing).
    incident["changed"] = Value::Bool(change.changed);
    Ok(Json(incident))
}

/// `POST /api/v1/incidents/{id}/acknowledge` (API key).
pub async fn acknowledge_incident(
    State(state): State<Arc<AppState>>,
    _: Writer,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    incident_action(state, id, alertgate::Status::Acknowledged).await
}

/// `POST /api/v1/incidents/{id}/resolve` (API key).
pub async fn resolve_incident(
    State(state): State<Arc<AppState>>,
    _: Writer,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    incident_action(state, id, alertgate::Status::Resolved).await
}

pub async fn list_incidents(
    State(state): State<Arc<AppState>>,
    _: Reader,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let (rows, notices) = state
        .store
        .incidents(q.status, q.source, limit)
        .await
        .map_err(|e| ApiError::store(&e))?;
    Ok(Json(json!({"incidents": rows, "notices": notices})))
}

pub async fn get_incident(
    State(state): State<Arc<AppState>>,
    _: Reader,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    state
        .store
        .incident(id)
        .await
        .map_err(|e| ApiError::store(&e))?
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "incident_not_found",
                format!("Incident not found: {id}"),
            )
        })
}

/// `GET /api/v1/notices`: SNS subscriptions confirmed and ended, newest first.
pub async fn list_notices(
    State(state): State<Arc<AppState>>,
    _: Reader,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = state
        .store
        .notices(limit)
        .await
        .map_err(|e| ApiError::store(&e))?;
    Ok(Json(json!({"notices": rows})))
}

pub async fn list_deliveries(
    State(state): State<Arc<AppState>>,
    _: Reader,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = state
        .store
        .deliveries(limit)
        .await
        .map_err(|e| ApiError::store(&e))?;
    Ok(Json(json!({"deliveries": rows})))
}

/// `GET /health`, open to all: whether the database answers, which backend
/// it is (and on PostgreSQL the pool's state), and the version; nothing stored.
pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    let version = env!("CARGO_PKG_VERSION");
    let h = state.store.health().await;
    let mut body = json!({
        "status": if h.ok { "ok" } else { "degraded" },
        "db": if h.ok { "ok" } else { "error" },
        "backend": h.backend,
        "version": version,
    });
    if let Some((size, idle, waiting)) = h.pool {
        body["pool"] =
            json!({"size": size, "idle": idle, "waiting": waiting, "max": state.args.db_pool_size});
    }
    if h.ok {
        Json(body).into_response()
    } else {
        tracing::error!("health check: the database does not answer");
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    }
}

/// `GET /metrics` (Prometheus), behind `ALERTGATE_METRICS_KEY` when it is set.
pub async fn metrics(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !super::access::metrics_allowed(&headers) {
        return super::access::unauthorized().into_response();
    }
    if let Ok(g) = state.store.gauges().await {
        metrics::gauge!("alertgate_incidents_open").set(g.open_incidents as f64);
        metrics::gauge!("alertgate_database_bytes").set(g.database_bytes as f64);
        metrics::gauge!("alertgate_deliveries_pending").set(g.pending_deliveries as f64);
        if let Some((size, idle, waiting)) = g.pool {
            metrics::gauge!("alertgate_deliveries_leased").set(g.leased_deliveries as f64);
            metrics::gauge!("alertgate_db_pool_connections").set(size as f64);
            metrics::gauge!("alertgate_db_pool_idle").set(idle as f64);
            metrics::gauge!("alertgate_db_pool_waiting").set(waiting as f64);
        }
    }
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
