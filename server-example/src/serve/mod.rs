//! `alertgate serve`: the reference server. Claude Ops–style alert sessions on
//! `/api/v1/webhook`, per-integration endpoints with folding into incidents,
//! outgoing signed webhooks, rate limits, metrics; SQLite storage, or PostgreSQL
//! shared by several instances (`store`).

mod access;
pub mod config;
mod db;
mod fold;
mod handlers;
mod listen;
mod retention;
mod sns;
mod store;
mod web;
mod workers;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use tokio::sync::{Notify, mpsc};

pub use config::ServeArgs;
use config::{Integrations, Outgoing};
use store::Store;

/// Everything the handlers share.
pub struct AppState {
    pub args: ServeArgs,
    /// SQLite or PostgreSQL: the handlers do not know which.
    pub store: Store,
    pub integrations: Integrations,
    pub outgoing: Arc<[Outgoing]>,
    pub sessions: mpsc::Sender<i64>,
    pub deliveries: Notify,
    pub shutting_down: AtomicBool,
    pub metrics: PrometheusHandle,
    limits: access::Limits,
    /// The outgoing deliveries' and SNS fetches' HTTP agent (its connections are reused).
    agent: ureq::Agent,
    /// SNS signing certificates by URL.
    certificates: sns::Certificates,
    /// The dashboard's logged-in sessions.
    web: web::Sessions,
}

/// An error answered as `{"detail", "code"}` with its status.
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    pub headers: Vec<(&'static str, HeaderValue)>,
    /// An upstream's HTTP status, answered beside the code (`upstream_status`).
    pub upstream_status: Option<u16>,
}

impl ApiError {
    pub fn new(status: u16, code: &str, detail: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: code.to_owned(),
            detail: detail.into(),
            headers: Vec::new(),
            upstream_status: None,
        }
    }

    pub fn core(e: &alertgate::Error) -> Self {
        ApiError::new(e.http_status(), e.code(), e.to_string())
    }

    pub fn store(e: &store::StoreError) -> Self {
        ApiError::from(e)
    }

    pub fn db(e: &rusqlite::Error) -> Self {
        tracing::error!(error = %e, "database error");
        ApiError::new(
            500,
            "database_error",
            "the database could not complete the request",
        )
    }

    /// Answered without reading the request's body: the connection is closed
    /// rather than drained.
    pub fn closing(mut self) -> Self {
        self.headers
            .push(("connection", HeaderValue::from_static("close")));
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match self.upstream_status {
            Some(up) => json!({"detail": self.detail, "code": self.code, "upstream_status": up}),
            None => json!({"detail": self.detail, "code": self.code}),
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            res.headers_mut().insert(name, value);
        }
        res
    }
}

/// Turns every error the handlers did not write (axum's rejections, 405, a
/// body-limit or body-deadline fault) into `{"detail", "code"}`, keeping its
/// status and headers (`Allow`, `Retry-After`).
async fn json_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let json = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        // The dashboard's own error pages are HTML.
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if status.as_u16() < 400 || json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let code = match status.as_u16() {
        400 => "bad_request",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable_entity",
        s if s >= 500 => "internal",
        _ => "error",
    };
    let detail = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    parts.headers.remove("content-length");
    let mut out = ApiError::new(status.as_u16(), code, detail).into_response();
    for (name, value) in parts.headers.drain().filter_map(|(n, v)| Some((n?, v))) {
        if name != "content-type" {
            out.headers_mut().insert(name, value);
        }
    }
    out
}

/// A route's duration histogram and its request counters by status.
type RouteMetrics = (metrics::Histogram, Vec<(u16, metrics::Counter)>);

/// Counts one under `key` in a list of metric handles, registering the handle
/// (`make`) the first time the key is seen: the registry is asked once per key,
/// not per request. The lists are short (a few statuses or label sets).
fn count_in<K: PartialEq>(
    handles: &mut Vec<(K, metrics::Counter)>,
    key: K,
    make: impl FnOnce() -> metrics::Counter,
) {
    match handles.iter().find(|(k, _)| *k == key) {
        Some((_, c)) => c.increment(1),
        None => {
            let c = make();
            c.increment(1);
            handles.push((key, c));
        }
    }
}

/// Request counts and durations by route and status. The handles are looked up once
/// per route and status, not per request.
async fn observe(req: Request, next: Next) -> Response {
    static HANDLES: Mutex<BTreeMap<Box<str>, RouteMetrics>> = Mutex::new(BTreeMap::new());
    // A clone of the matched path is a reference count, not a copy.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let started = Instant::now();
    let res = next.run(req).await;
    let elapsed = started.elapsed().as_secs_f64();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let status = res.status().as_u16();
    let mut handles = HANDLES.lock().unwrap_or_else(PoisonError::into_inner);
    if !handles.contains_key(route) {
        let h = metrics::histogram!("alertgate_http_request_duration_seconds", "route" => route.to_owned());
        handles.insert(route.into(), (h, Vec::new()));
    }
    if let Some((histogram, counters)) = handles.get_mut(route) {
        histogram.record(elapsed);
        count_in(counters, status, || {
            metrics::counter!("alertgate_http_requests_total",
                "route" => route.to_owned(), "status" => status.to_string())
        });
    }
    drop(handles);
    res
}

/// Starts the server and runs until SIGTERM/SIGINT.
pub async fn run(args: ServeArgs) -> Result<(), String> {
    let mut integrations = match &args.integrations {
        Some(p) => config::load(p, &args)?,
        None => Integrations::default(),
    };
    for i in integrations
        .by_name
        .values()
        .filter(|i| i.verifier.is_none())
    {
        tracing::warn!(integration = %i.name, "auth = \"none\": anyone who can reach this server may post to it");
    }
    let outgoing: Arc<[Outgoing]> = std::mem::take(&mut integrations.outgoing).into();
    // On SQLite, sessions that were running when the last process died are
    // marked interrupted here; on PostgreSQL, when their lease runs out.
    let store = Store::open(&args).await?;
    let metrics = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| format!("metrics: {e}"))?;

    let (tx, rx) = mpsc::channel(64);
    let state = Arc::new(AppState {
        limits: access::Limits::new(&args),
        agent: workers::agent(),
        certificates: sns::Certificates::default(),
        web: web::Sessions::default(),
        outgoing,
        integrations,
        store,
        sessions: tx,
        deliveries: Notify::new(),
        shutting_down: AtomicBool::new(false),
        metrics,
        args: args.clone(),
    });

    let app = Router::new()
        .route("/api/v1/webhook", post(handlers::webhook))
        .route("/api/v1/integrations/{name}", post(handlers::integration))
        .route("/webhooks/{name}", post(handlers::integration))
        .route("/api/integrations/{name}", post(handlers::integration))
        .route(
            "/api/v1/sessions",
            get(handlers::list_sessions).post(handlers::create_session),
        )
        .route("/api/v1/sessions/{id}", get(handlers::get_session))
        .route("/api/v1/incidents", get(handlers::list_incidents))
        .route("/api/v1/incidents/{id}", get(handlers::get_incident))
        .route(
            "/api/v1/incidents/{id}/acknowledge",
            post(handlers::acknowledge_incident),
        )
        .route(
            "/api/v1/incidents/{id}/resolve",
            post(handlers::resolve_incident),
        )
        .route("/api/v1/deliveries", get(handlers::list_deliveries))
        .route("/api/v1/notices", get(handlers::list_notices))
        .merge(web::router())
        .route("/health", get(handlers::health))
        .route("/metrics", get(handlers::metrics))
        .fallback(|| async { ApiError::new(404, "not_found", "Not found") })
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(observe))
        // The whole body within its deadline from the headers on, however slowly it trickles.
        .layer(tower_http::timeout::RequestBodyDeadlineLayer::new(
            args.body_timeout,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state.clone());

    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // Tests and scripts read this line to find an ephemeral port.
    println!("alertgate listening on http://{addr}");
    tracing::info!(%addr, "listening");

    let runner = tokio::spawn(workers::session_runner(state.clone(), rx));
    let deliveries = tokio::spawn(workers::delivery_worker(state.clone()));
    let pruner = tokio::spawn(retention::pruner(state.clone()));

    listen::serve(listener, app, &args, shutdown_signal()).await;

    // In-flight requests are done (or dropped at the deadline); a running
    // session is interrupted, not lost.
    state
        .shutting_down
        .store(true, std::sync::atomic::Ordering::Relaxed);
    state.deliveries.notify_one();
    runner.abort();
    pruner.abort();
    let _ = tokio::time::timeout(args.shutdown_timeout, deliveries).await;
    state.store.hand_back().await.map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
