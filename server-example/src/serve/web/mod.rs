//! The dashboard: server-rendered pages for people, beside the JSON API.
//! Logging in with the API key or a read-only key starts a cookie session
//! (random opaque id, kept in memory, expiring); every page takes a
//! [`Viewer`], every form a [`SessionForm`] or [`WriteForm`] that checks its
//! CSRF token, so a page or form that forgets access control does not compile.
//! Pages carry a strict Content-Security-Policy: scripts and styles come only
//! from the files under `/static/`, embedded in the binary.

mod pages;
mod pg_queries;
mod queries;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::AppState;
use super::access::{self, ClientIp, Role};

/// The session cookie's name.
const COOKIE: &str = "alertgate_session";
/// The login form's own CSRF cookie (there is no session yet to hold a token).
const LOGIN_COOKIE: &str = "alertgate_login";
/// How long a login lasts.
const SESSION_LIFE: Duration = Duration::from_secs(12 * 3600);
/// At most this many sessions are kept; the oldest go first.
const MAX_SESSIONS: usize = 10_000;
/// Largest form body (the playground's payload included).
const MAX_FORM: usize = 1 << 20;

/// The Content-Security-Policy of every dashboard response: nothing inline,
/// nothing from elsewhere, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// One logged-in browser.
struct Session {
    role: Role,
    /// SHA-256 of the key it logged in with: the session ends when that key
    /// is no longer configured.
    key: [u8; 32],
    csrf: String,
    expires: Instant,
}

/// The dashboard's sessions, by their random id.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    fn start(&self, role: Role, key: [u8; 32]) -> (String, String) {
        let id = random_token();
        let csrf = random_token();
        let now = Instant::now();
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS {
            // A flood of logins cannot grow memory without bound.
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(
            id.clone(),
            Session {
                role,
                key,
                csrf: csrf.clone(),
                expires: now + SESSION_LIFE,
            },
        );
        (id, csrf)
    }

    fn end(&self, id: &str) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }

    /// The live session `id`: not expired, and its key still configured.
    fn get(&self, id: &str) -> Option<(Role, String)> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let s = map.get(id)?;
        let valid = s.expires > Instant::now()
            && access::key_digests(s.role)
                .iter()
                .any(|d| bool::from(d.ct_eq(&s.key)));
        if valid {
            Some((s.role, s.csrf.clone()))
        } else {
            map.remove(id);
            None
        }
    }
}

/// 32 random bytes as hex.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS's generator failing is not something a request can recover from;
    // an all-zero token would be guessable, so refuse to go on.
    if getrandom::fill(&mut bytes).is_err() {
        panic!("the operating system's random generator failed");
    }
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Equal in constant time.
fn same(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A cookie's value from the request's `Cookie` headers.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the browser reached us over TLS: only a trusted proxy's
/// `X-Forwarded-Proto: https` says so (the server itself speaks plain HTTP).
fn over_tls(parts: &Parts, state: &AppState) -> bool {
    let peer_trusted = parts.extensions.get::<access::Peer>().is_some_and(|p| {
        state
            .args
            .trusted_proxies
            .iter()
            .any(|n| n.contains(&p.0.ip()))
    });
    peer_trusted
        && parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, `Secure` behind TLS.
fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Who is looking at a page: a logged-in session. Taken by every page
/// handler; without a session the request is redirected to the login page.
pub struct Viewer {
    /// The session's role.
    pub role: Role,
    /// The token every form of the session carries.
    pub csrf: String,
    id: String,
}

impl Viewer {
    /// Whether the viewer may change things.
    pub fn can_write(&self) -> bool {
        self.role == Role::Write
    }
}

/// The redirect to the login page, remembering where the visitor was going.
pub struct ToLogin(String);

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        let next: String = url_encode(&self.0);
        let mut res = Redirect::to(&format!("/login?next={next}")).into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}

/// Percent-encodes everything but unreserved characters.
fn url_encode(s: &str) -> String {
    use std::fmt::Write;
    s.bytes().fold(String::new(), |mut out, b| {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
        out
    })
}

impl FromRequestParts<Arc<AppState>> for Viewer {
    type Rejection = ToLogin;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ToLogin> {
        let here = match parts.method {
            axum::http::Method::GET => parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned(),
            _ => String::from("/"),
        };
        let id = cookie(&parts.headers, COOKIE).ok_or_else(|| ToLogin(here.clone()))?;
        let (role, csrf) = state.web.get(id).ok_or(ToLogin(here))?;
        Ok(Viewer {
            role,
            csrf,
            id: id.to_owned(),
        })
    }
}

/// An error shown as a page, with its status.
pub struct PageError {
    status: StatusCode,
    message: String,
}

impl PageError {
    fn new(status: u16, message: impl Into<String>) -> Self {
        PageError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            message: message.into(),
        }
    }

    fn forbidden() -> Self {
        PageError::new(
            403,
            "This needs the API key: a read-only key can look but not change anything.",
        )
    }
}

impl From<super::ApiError> for PageError {
    fn from(e: super::ApiError) -> Self {
        PageError {
            status: e.status,
            message: e.detail,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            status: self.status.as_u16(),
            reason: self.status.canonical_reason().unwrap_or("Error"),
            message: &self.message,
        };
        let mut res = html(&page);
        *res.status_mut() = self.status;
        res
    }
}

/// A rendered template as a response.
fn html(t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                "<!doctype html><title>Error</title><p>The page could not be rendered.</p>",
            )
                .into_response()
        }
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A form posted by a logged-in session, its CSRF token checked; any role
/// (logging out, the playground, which stores nothing).
pub struct SessionForm<T> {
    /// Who posted it.
    pub viewer: Viewer,
    /// The form's fields.
    pub form: T,
}

/// A form that changes something: posted by a session holding the API key,
/// its CSRF token checked. A read-only session gets 403.
pub struct WriteForm<T> {
    /// The form's fields.
    pub form: T,
}

/// Reads a dashboard form: the session (else to the login page), the body
/// within [`MAX_FORM`], the CSRF token.
async fn read_form<T: DeserializeOwned>(
    req: Request,
    state: &Arc<AppState>,
) -> Result<(Viewer, T), Response> {
    let (mut parts, body) = req.into_parts();
    let viewer = Viewer::from_request_parts(&mut parts, state)
        .await
        .map_err(IntoResponse::into_response)?;
    let bytes = axum::body::to_bytes(body, MAX_FORM)
        .await
        .map_err(|_| PageError::new(413, "The form is too large.").into_response())?;
    let token: CsrfField = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| PageError::new(400, "The form could not be read.").into_response())?;
    if !same(&token.csrf, &viewer.csrf) {
        return Err(PageError::new(
            403,
            "The form's security token is missing or stale: reload the page and try again.",
        )
        .into_response());
    }
    let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
        PageError::new(400, format!("The form could not be read: {e}")).into_response()
    })?;
    Ok((viewer, form))
}

impl<T: DeserializeOwned + Send> FromRequest<Arc<AppState>> for SessionForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, Response> {
        let (viewer, form) = read_form(req, state).await?;
        Ok(SessionForm { viewer, form })
    }
}

impl<T: DeserializeOwned + Send> FromRequest<Arc<AppState>> for WriteForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, Response> {
        // The role is known from the cookie: a read-only session is refused
        // before its body is read.
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if !viewer.can_write() {
            return Err(PageError::forbidden().into_response());
        }
        let (_, form) = read_form(Request::from_parts(parts, body), state).await?;
        Ok(WriteForm { form })
    }
}

/// Security headers on every dashboard response; pages are never cached.
async fn security_headers(req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The dashboard's routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(pages::overview))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/incidents", get(pages::incidents))
        .route("/incidents/{id}", get(pages::incident))
        .route("/incidents/{id}/acknowledge", post(pages::acknowledge))
        .route("/incidents/{id}/resolve", post(pages::resolve))
        .route("/sessions", get(pages::sessions).post(pages::start_session))
        .route("/sessions/{id}", get(pages::session))
        .route("/deliveries", get(pages::deliveries))
        .route(
            "/playground",
            get(pages::playground).post(pages::playground_run),
        )
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .layer(middleware::from_fn(security_headers))
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../../static/app.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../../static/app.js"),
    )
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    next: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only a path on this site: never `//host` or a scheme (an open redirect).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

/// The login page, with a fresh login CSRF token in a cookie and the form.
fn login_form(parts_secure: bool, next: &str, error: Option<&str>, status: StatusCode) -> Response {
    let token = random_token();
    let mut res = html(&LoginPage {
        csrf: &token,
        next,
        error,
    });
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, &token, 3600, parts_secure),
    );
    res
}

async fn login_page(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    let next = axum::extract::Query::<NextQuery>::from_request_parts(&mut parts, &state)
        .await
        .ok()
        .and_then(|q| q.0.next);
    // Already logged in: straight on.
    if let Some(id) = cookie(&parts.headers, COOKIE)
        && state.web.get(id).is_some()
    {
        return Redirect::to(safe_next(next.as_deref())).into_response();
    }
    login_form(
        over_tls(&parts, &state),
        safe_next(next.as_deref()),
        None,
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

async fn login(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let secure = over_tls(&parts, &state);
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return PageError::new(413, "The form is too large.").into_response();
    };
    let Ok(form) = serde_urlencoded::from_bytes::<LoginForm>(&bytes) else {
        return PageError::new(400, "The form could not be read.").into_response();
    };
    let next = safe_next(form.next.as_deref()).to_owned();
    let token_ok = cookie(&parts.headers, LOGIN_COOKIE).is_some_and(|c| same(c, &form.csrf));
    if !token_ok {
        return login_form(
            secure,
            &next,
            Some("The login form expired; please try again."),
            StatusCode::FORBIDDEN,
        );
    }
    let role = match access::key_role(&form.key) {
        Ok(r) => r,
        Err(e) => {
            return login_form(secure, &next, Some(&e.detail), e.status);
        }
    };
    let Some(role) = role else {
        // A wrong key spends the client's failed-authentication bucket, as on the API.
        let e = access::refused(&state, ip, access::unauthorized());
        let message = if e.status == StatusCode::TOO_MANY_REQUESTS {
            "Too many failed attempts; wait a minute and try again."
        } else {
            "That key is not valid."
        };
        return login_form(secure, &next, Some(message), e.status);
    };
    let digest: [u8; 32] = {
        use sha2::{Digest, Sha256};
        Sha256::digest(form.key.trim().as_bytes()).into()
    };
    let (id, _) = state.web.start(role, digest);
    let mut res = Redirect::to(&next).into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(COOKIE, &id, SESSION_LIFE.as_secs(), secure),
    );
    h.append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0, secure));
    res
}

async fn logout(State(state): State<Arc<AppState>>, f: SessionForm<CsrfField>) -> Response {
    state.web.end(&f.viewer.id);
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(COOKIE, "", 0, false));
    res
}
