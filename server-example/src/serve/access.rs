//! Who may do what, and how often. Every `/api/v1/*` read takes a [`Reader`]
//! and every write a [`Writer`]: extractors that run on the headers, before any
//! body is read, so a handler without one has no credential check to forget.
//! Requests that fail authentication spend a bucket of their own (per client
//! IP) and never an authenticated sender's quota.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use alertgate::{Scheme, Verifier, VerifyOptions};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{NotUntil, Quota, RateLimiter};

use super::db::now_unix;
use super::{ApiError, AppState};

/// A limiter per client IP.
pub type KeyedLimiter =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock, StateInformationMiddleware>;
/// One limiter for everything it guards.
pub type DirectLimiter =
    RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

/// A limiter shared by all the requests it guards.
pub fn direct(quota: Quota) -> DirectLimiter {
    RateLimiter::direct(quota).with_middleware::<StateInformationMiddleware>()
}

/// A limiter per client IP.
pub fn keyed(quota: Quota) -> KeyedLimiter {
    RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>()
}

/// `n` per minute (at least one).
pub fn per_minute(n: u32) -> Quota {
    Quota::per_minute(std::num::NonZeroU32::new(n).unwrap_or(std::num::NonZeroU32::MIN))
}

/// The limiters of one server.
pub struct Limits {
    /// Authenticated webhook requests per client IP.
    pub ip: KeyedLimiter,
    /// Authenticated webhook requests in all.
    pub global: DirectLimiter,
    /// Requests that failed authentication, per client IP.
    pub unauthenticated: KeyedLimiter,
    /// Reads per client IP.
    pub read: KeyedLimiter,
}

impl Limits {
    pub fn new(args: &super::ServeArgs) -> Self {
        Limits {
            ip: keyed(per_minute(args.rate_limit_ip)),
            global: direct(per_minute(args.rate_limit_global)),
            unauthenticated: keyed(per_minute(args.rate_limit_unauthenticated)),
            read: keyed(per_minute(args.rate_limit_read)),
        }
    }

    /// Forgets IPs whose buckets are full again, so the maps stay as small as
    /// the set of recent clients.
    pub fn prune(&self) {
        for l in [&self.ip, &self.unauthenticated, &self.read] {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// The peer's address, put in each request's extensions by the connection.
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

/// The client's IP: the peer, or, when the peer is a trusted proxy, the
/// nearest address in `X-Forwarded-For` that is not one.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    fn of(parts: &Parts, trusted: &[ipnet::IpNet]) -> ClientIp {
        let peer = parts
            .extensions
            .get::<Peer>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |p| p.0.ip());
        ClientIp(client_ip(peer, &parts.headers, trusted))
    }
}

/// Walks `X-Forwarded-For` from the nearest hop while each hop is trusted.
fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut ip = peer;
    // Several headers are one list, in order.
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(next) => {
                ip = next;
                if !is_trusted(&next) {
                    break;
                }
            }
            // A hop we cannot read ends the walk at the last one we could.
            Err(_) => break,
        }
    }
    ip
}

impl FromRequestParts<Arc<AppState>> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp::of(parts, &state.args.trusted_proxies))
    }
}

/// Whether `Authorization: Bearer <token>` matches one of `keys`, in constant time.
fn bearer_matches(headers: &HeaderMap, keys: &[&str]) -> bool {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Ok(v) = Verifier::new(Scheme::Bearer, keys, &VerifyOptions::default()) else {
        return false;
    };
    v.verify(&[("authorization", value)], b"", now_unix())
        .is_ok()
}

/// The API key, or the 503 that says it is not configured (fail closed).
fn api_key() -> Result<String, ApiError> {
    match std::env::var("ALERTGATE_API_KEY") {
        Ok(k) if !k.trim().is_empty() => Ok(k.trim().to_owned()),
        _ => Err(
            ApiError::new(503, "not_configured", "ALERTGATE_API_KEY is not configured").closing(),
        ),
    }
}

/// The read-only keys: `ALERTGATE_READ_KEYS`, comma-separated.
fn read_keys() -> Vec<String> {
    std::env::var("ALERTGATE_READ_KEYS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(String::from)
        .collect()
}

/// What a key presented at the dashboard's login may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The API key: read and write.
    Write,
    /// A read-only key.
    Read,
}

/// The role of `token` (the API key or a read-only key), compared in constant
/// time as a bearer credential; `Err` (503) when no API key is configured.
pub fn key_role(token: &str) -> Result<Option<Role>, ApiError> {
    let key = api_key()?;
    let token = token.trim();
    if token.is_empty() || token.contains(['\r', '\n']) {
        return Ok(None);
    }
    let mut headers = HeaderMap::new();
    let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) else {
        return Ok(None);
    };
    headers.insert("authorization", value);
    Ok(role_of(&headers, &key))
}

/// What the request's bearer grants: the API key `key` writes, a read-only key reads.
fn role_of(headers: &HeaderMap, key: &str) -> Option<Role> {
    if bearer_matches(headers, &[key]) {
        return Some(Role::Write);
    }
    let keys = read_keys();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    (!keys.is_empty() && bearer_matches(headers, &keys)).then_some(Role::Read)
}

/// Digests of the keys that grant `role` now: a dashboard session remembers
/// the digest of the key it logged in with and ends once that key is rotated
/// away (the environment is read on every request).
pub fn key_digests(role: Role) -> Vec<[u8; 32]> {
    use sha2::{Digest, Sha256};
    let keys = match role {
        Role::Write => api_key().map(|k| vec![k]).unwrap_or_default(),
        Role::Read => read_keys(),
    };
    keys.iter()
        .map(|k| Sha256::digest(k.as_bytes()).into())
        .collect()
}

/// A request from a caller that failed authentication: a 401 while its IP's
/// bucket lasts, then a 429. The body is never read, so the connection is closed.
pub fn refused(state: &AppState, ip: IpAddr, e: ApiError) -> ApiError {
    metrics::counter!("alertgate_auth_failures_total").increment(1);
    let now = state.limits.unauthenticated.clock().now();
    match state.limits.unauthenticated.check_key(&ip) {
        Ok(_) => e.closing(),
        Err(not_until) => too_many(
            not_until.wait_time_from(now),
            state.args.rate_limit_unauthenticated,
        )
        .closing(),
    }
}

/// Checks the bearer against the API key (and, when `read`, the read-only
/// keys): the client's IP, or the refusal (503 without an API key, 401/429).
fn authenticate(parts: &Parts, state: &AppState, read: bool) -> Result<IpAddr, ApiError> {
    let key = api_key()?;
    let ip = ClientIp::of(parts, &state.args.trusted_proxies).0;
    let ok = match role_of(&parts.headers, &key) {
        Some(Role::Write) => true,
        Some(Role::Read) => read,
        None => false,
    };
    if ok {
        Ok(ip)
    } else {
        Err(refused(state, ip, unauthorized()))
    }
}

/// A caller holding the API key: may read and write.
pub struct Writer;

impl FromRequestParts<Arc<AppState>> for Writer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        authenticate(parts, state, false).map(|_| Writer)
    }
}

/// A caller holding the API key or a read-only key: may read. Reads are
/// limited per client IP.
pub struct Reader;

impl FromRequestParts<Arc<AppState>> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let ip = authenticate(parts, state, true)?;
        let now = state.limits.read.clock().now();
        state
            .limits
            .read
            .check_key(&ip)
            .map_err(|n| too_many(n.wait_time_from(now), state.args.rate_limit_read))?;
        Ok(Reader)
    }
}

/// `/metrics`: open unless `ALERTGATE_METRICS_KEY` is set, then its bearer.
pub fn metrics_allowed(headers: &HeaderMap) -> bool {
    match std::env::var("ALERTGATE_METRICS_KEY") {
        Ok(k) if !k.trim().is_empty() => bearer_matches(headers, &[k.trim()]),
        _ => true,
    }
}

pub fn unauthorized() -> ApiError {
    ApiError::new(401, "unauthorized", "Unauthorized")
}

/// The rate-limit headers, named once (`HeaderName::from_static` checks the text).
const X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const X_RATELIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// The headers of a request let through: limit, remaining, reset.
pub type LimitHeaders = [(HeaderName, HeaderValue); 3];

/// The 429 for a wait of `wait`, with `Retry-After` and the limit's headers.
fn too_many(wait: Duration, limit: u32) -> ApiError {
    let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
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
            HeaderValue::from(now_unix() + i64::try_from(secs).unwrap_or(60)),
        ),
    ];
    e
}

impl AppState {
    /// [`AppState::admit`] with the per-IP, the integration's and the global
    /// quotas kept in the store when it is PostgreSQL, so that they are the
    /// whole deployment's, not each instance's.
    pub async fn admit_shared(
        &self,
        ip: IpAddr,
        integration: Option<&super::config::Integration>,
    ) -> Result<LimitHeaders, ApiError> {
        if self.store.sqlite().is_some() {
            return self.admit(ip, integration.and_then(|i| i.limit.as_ref()));
        }
        const MINUTE: Duration = Duration::from_secs(60);
        let limit = self.args.rate_limit_ip;
        let refuse = |wait: f64| too_many(Duration::from_secs_f64(wait), limit);
        let take = async |key: &str, size: u32, period: Duration| -> Result<u32, ApiError> {
            match self.store.take_token(key, size, period).await? {
                Some(Ok(left)) => Ok(left),
                Some(Err(wait)) => Err(refuse(wait)),
                // Not reached: the SQLite store returned above.
                None => Ok(size),
            }
        };
        let per_ip = take(&format!("ip:{ip}"), limit, MINUTE).await?;
        let mut remaining = per_ip;
        if let Some((i, (size, period))) = integration.and_then(|i| Some((i, i.limit_rate?))) {
            let left = take(&format!("integration:{}", i.name), size, period).await?;
            remaining = remaining.min(left);
        }
        let left = take("global", self.args.rate_limit_global, MINUTE).await?;
        remaining = remaining.min(left);
        let secs = u64::from(limit.saturating_sub(per_ip)) * 60 / u64::from(limit.max(1));
        Ok([
            (X_RATELIMIT_LIMIT, HeaderValue::from(limit)),
            (X_RATELIMIT_REMAINING, HeaderValue::from(remaining)),
            (
                X_RATELIMIT_RESET,
                HeaderValue::from(now_unix() + i64::try_from(secs).unwrap_or(60)),
            ),
        ])
    }

    /// Spends one authenticated webhook request of the client's, the
    /// integration's (if it has a limit) and the global quota: the headers to
    /// send, or the 429.
    pub fn admit(
        &self,
        ip: IpAddr,
        integration: Option<&DirectLimiter>,
    ) -> Result<LimitHeaders, ApiError> {
        // The limiter's own clock: building a clock per request costs CPUID calls.
        let now = self.limits.ip.clock().now();
        let limit = self.args.rate_limit_ip;
        let refuse = |n: NotUntil<_>| too_many(n.wait_time_from(now), limit);
        let per_ip = self.limits.ip.check_key(&ip).map_err(refuse)?;
        let mut remaining = per_ip.remaining_burst_capacity();
        if let Some(l) = integration {
            let s = l.check().map_err(refuse)?;
            remaining = remaining.min(s.remaining_burst_capacity());
        }
        let all = self.limits.global.check().map_err(refuse)?;
        remaining = remaining.min(all.remaining_burst_capacity());
        // Cells come back one every 60/limit seconds until the client's burst is full.
        let secs = u64::from(limit.saturating_sub(per_ip.remaining_burst_capacity())) * 60
            / u64::from(limit.max(1));
        Ok([
            (X_RATELIMIT_LIMIT, HeaderValue::from(limit)),
            (X_RATELIMIT_REMAINING, HeaderValue::from(remaining)),
            (
                X_RATELIMIT_RESET,
                HeaderValue::from(now_unix() + i64::try_from(secs).unwrap_or(60)),
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_counts_only_from_trusted_hops() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.7, 10.0.0.3"),
        );
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        // Through two trusted hops, the first untrusted address is the client;
        // what it claims before that is not believed.
        assert_eq!(
            client_ip(proxy, &h, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // A peer that is no trusted proxy is the client, whatever it forwards.
        assert_eq!(client_ip(stranger, &h, &trusted), stranger);
        assert_eq!(client_ip(proxy, &h, &[]), proxy);
        // Garbage stops the walk at the last readable hop.
        h.insert("x-forwarded-for", HeaderValue::from_static("nonsense"));
        assert_eq!(client_ip(proxy, &h, &trusted), proxy);
    }
}
