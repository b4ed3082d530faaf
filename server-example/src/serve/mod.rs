//! `alertgate serve`: the reference server. Claude Ops–style alert sessions on
//! `/api/v1/webhook`, per-integration endpoints with folding into incidents,
//! outgoing signed webhooks, rate limits, metrics, SQLite storage.

pub mod config;
mod db;
mod fold;
mod handlers;
mod workers;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use tokio::sync::{Notify, mpsc};

pub use config::ServeArgs;
use config::{Integrations, Outgoing};
use db::Db;

/// Largest body accepted; larger ones are refused before they are read whole.
pub const MAX_BODY: usize = 1 << 20;

/// Everything the handlers share.
pub struct AppState {
    pub args: ServeArgs,
    pub db: Db,
    pub integrations: Integrations,
    pub outgoing: Arc<[Outgoing]>,
    pub sessions: mpsc::Sender<i64>,
    pub deliveries: Notify,
    pub shutting_down: AtomicBool,
    pub metrics: PrometheusHandle,
    limit_ip: RateLimiter<
        IpAddr,
        DefaultKeyedStateStore<IpAddr>,
        DefaultClock,
        StateInformationMiddleware,
    >,
    limit_all: RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>,
}

/// An error answered as `{"detail", "code"}` with its status.
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    pub headers: Vec<(&'static str, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: u16, code: &str, detail: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: code.to_owned(),
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    pub fn core(e: &alertgate::Error) -> Self {
        ApiError::new(e.http_status(), e.code(), e.to_string())
    }

    pub fn db(e: &rusqlite::Error) -> Self {
        tracing::error!(error = %e, "database error");
        ApiError::new(
            500,
            "database_error",
            "the database could not complete the request",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = axum::Json(json!({"detail": self.detail, "code": self.code}));
        let mut res = (self.status, body).into_response();
        for (name, value) in self.headers {
            res.headers_mut().insert(name, value);
        }
        res
    }
}

fn quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
}

/// The rate-limit headers, named once (`HeaderName::from_static` checks the text).
const X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const X_RATELIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// The headers of a request let through: limit, remaining, reset.
type LimitHeaders = [(HeaderName, HeaderValue); 3];

impl AppState {
    /// Applies both rate limits; the headers to send, or the 429.
    fn rate_limit(&self, ip: IpAddr) -> Result<LimitHeaders, ApiError> {
        // The limiter's own clock: building a clock per request costs CPUID calls.
        let now = self.limit_ip.clock().now();
        let limit = self.args.rate_limit_ip;
        let reset = |remaining: u32, per_minute: u32| {
            // Cells come back one every 60/limit seconds until the burst is full.
            let secs =
                u64::from(per_minute.saturating_sub(remaining)) * 60 / u64::from(per_minute.max(1));
            db::now_unix() + i64::try_from(secs).unwrap_or(60)
        };
        let refused = |wait: Duration| {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let secs = secs.max(1);
            let mut e = ApiError::new(
                429,
                "rate_limited",
                format!("Rate limit exceeded. Try again in {secs} seconds."),
            );
            e.headers = vec![
                ("retry-after", HeaderValue::from(secs)),
                ("x-ratelimit-limit", HeaderValue::from(limit)),
                ("x-ratelimit-remaining", HeaderValue::from(0)),
                (
                    "x-ratelimit-reset",
                    HeaderValue::from(db::now_unix() + i64::try_from(secs).unwrap_or(60)),
                ),
            ];
            e
        };
        let per_ip = self
            .limit_ip
            .check_key(&ip)
            .map_err(|not_until| refused(not_until.wait_time_from(now)))?;
        let all = self
            .limit_all
            .check()
            .map_err(|not_until| refused(not_until.wait_time_from(now)))?;
        let remaining = per_ip
            .remaining_burst_capacity()
            .min(all.remaining_burst_capacity());
        Ok([
            (X_RATELIMIT_LIMIT, HeaderValue::from(limit)),
            (X_RATELIMIT_REMAINING, HeaderValue::from(remaining)),
            (
                X_RATELIMIT_RESET,
                HeaderValue::from(reset(per_ip.remaining_burst_capacity(), limit)),
            ),
        ])
    }
}

/// Rate limits on the webhook routes, with the headers on every answer.
async fn limit(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    match state.rate_limit(peer.ip()) {
        Ok(headers) => {
            let mut res = next.run(req).await;
            let map = res.headers_mut();
            for (name, value) in headers {
                map.insert(name, value);
            }
            res
        }
        Err(e) => e.into_response(),
    }
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
        Some(p) => config::load(p)?,
        None => Integrations::default(),
    };
    let outgoing: Arc<[Outgoing]> = std::mem::take(&mut integrations.outgoing).into();
    let db = Db::open(&args.db).map_err(|e| format!("{}: {e}", args.db.display()))?;
    let metrics = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| format!("metrics: {e}"))?;
    // Sessions that were running when the last process died did not finish.
    db.call(|c| {
        c.execute(
            "UPDATE sessions SET status = 'interrupted' WHERE status = 'running'",
            [],
        )
    })
    .await
    .map_err(|e| e.to_string())?;

    let (tx, rx) = mpsc::channel(64);
    let state = Arc::new(AppState {
        limit_ip: RateLimiter::keyed(quota(args.rate_limit_ip))
            .with_middleware::<StateInformationMiddleware>(),
        limit_all: RateLimiter::direct(quota(args.rate_limit_global))
            .with_middleware::<StateInformationMiddleware>(),
        outgoing,
        integrations,
        db,
        sessions: tx,
        deliveries: Notify::new(),
        shutting_down: AtomicBool::new(false),
        metrics,
        args: args.clone(),
    });

    let webhooks = Router::new()
        .route("/api/v1/webhook", post(handlers::webhook))
        .route("/api/v1/integrations/{name}", post(handlers::integration))
        .route("/webhooks/{name}", post(handlers::integration))
        .route("/api/integrations/{name}", post(handlers::integration))
        .route_layer(middleware::from_fn_with_state(state.clone(), limit));
    let app = Router::new()
        .merge(webhooks)
        .route(
            "/api/v1/sessions",
            get(handlers::list_sessions).post(handlers::create_session),
        )
        .route("/api/v1/sessions/{id}", get(handlers::get_session))
        .route("/api/v1/incidents", get(handlers::list_incidents))
        .route("/api/v1/incidents/{id}", get(handlers::get_incident))
        .route("/api/v1/deliveries", get(handlers::list_deliveries))
        .route("/health", get(handlers::health))
        .route("/metrics", get(handlers::metrics))
        .fallback(|| async { ApiError::new(404, "not_found", "Not found") })
        .layer(middleware::from_fn(observe))
        .layer(DefaultBodyLimit::max(MAX_BODY))
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

    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| e.to_string())?;

    // In-flight requests are done; a running session is interrupted, not lost.
    state
        .shutting_down
        .store(true, std::sync::atomic::Ordering::Relaxed);
    state.deliveries.notify_one();
    runner.abort();
    let _ = deliveries.await;
    state
        .db
        .call(|c| c.execute("UPDATE sessions SET status = 'interrupted', finished_at = ?1 WHERE status = 'running'", [db::now_text()]))
        .await
        .map_err(|e| e.to_string())?;
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
