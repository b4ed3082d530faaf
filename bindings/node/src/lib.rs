//! The Node.js binding of alertgate (`require('alertgate')`), built with napi-rs.
//!
//! - `ingestJson` reads one webhook request into the canonical JSON text
//!   (`Ingest::to_json`). `ingest`, in the package entry (`alertgate.js`),
//!   returns the same value as plain objects: it calls the internal
//!   `__ingestWire`, whose compact text (see `wire`) JavaScript turns into
//!   objects in well under half the time `JSON.parse` of the JSON takes.
//! - `Verifier`, `verify` and `sign` check and produce webhook signatures;
//!   `snsCertificateUrl` and `snsSubscribeUrl` read the URLs an AWS SNS
//!   message names, once they are known to be SNS's (the caller fetches them).
//! - `SynthConfig`, `synthesize` (a Promise, run on the libuv thread pool),
//!   `synthesizeSync` and `templateBrief` write investigation briefs.
//!
//! Arguments are read by hand from JavaScript values, so that a wrong type is
//! always an `Error` with `code: "invalid_argument"` rather than one of napi's
//! generic conversion errors. Every other error carries the stable code and
//! HTTP status of the Rust core.

// No unsafe code here; `deny` rather than `forbid` because the `#[napi]`
// expansions allow it locally for their FFI glue.
#![deny(unsafe_code)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use alertgate::{
    DedupBasis, DetectedBy, Limits, Mapping, Notice, Options, Request, Scheme, Severity, Source,
    Status, VerifyOptions, WarningCode,
};
use alertgate_synth::{Provider, SynthError};
use napi::bindgen_prelude::{
    AsyncTask, Either3, FromNapiValue, Function, JsObjectValue, JsValue, Object, Uint8ArraySlice,
    Unknown,
};
use napi::{
    Env, JsError, JsString, JsTypeError, KeyCollectionMode, KeyConversion, KeyFilter, Task,
    ValueType,
};
use napi_derive::napi;
use serde_json::Value;

/// The version of the alertgate binding (the crate version).
#[napi]
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

// ---------------------------------------------------------------- errors

/// An error described in plain data, so it can be made on any thread and
/// turned into a JavaScript `Error` on the main one.
#[derive(Debug)]
pub struct Fault {
    code: &'static str,
    message: String,
    http_status: u16,
    /// The `name` of the JavaScript error: the Python binding's exception class
    /// (`PayloadError`, `AuthError`, `ConfigError`, `SynthesisError`), or
    /// `TypeError` for a bad argument (then it is a real `TypeError`).
    name: &'static str,
    /// For `upstream_status`: the status the LLM server answered with.
    upstream_status: Option<u16>,
}

impl Fault {
    fn new(code: &'static str, message: String, http_status: u16) -> Self {
        let name = match (code, http_status) {
            (
                "not_configured" | "timeout" | "transport" | "upstream_status" | "bad_response",
                _,
            ) => "SynthesisError",
            ("invalid_config" | "invalid_mapping" | "unknown_source" | "unsupported_source", _) => {
                "ConfigError"
            }
            (_, 401) => "AuthError",
            _ => "PayloadError",
        };
        Fault {
            code,
            message,
            http_status,
            name,
            upstream_status: None,
        }
    }

    fn core(e: &alertgate::Error) -> Self {
        Fault::new(e.code(), e.to_string(), e.http_status())
    }

    fn synth(e: &SynthError) -> Self {
        let mut f = Fault::new(e.code(), e.to_string(), e.http_status());
        if let SynthError::UpstreamStatus { status, .. } = e {
            f.upstream_status = Some(*status);
        }
        f
    }

    /// A value of the wrong type or out of range: the caller's bug, like
    /// `invalid_config`, hence HTTP 500.
    fn argument(message: String) -> Self {
        Fault {
            code: "invalid_argument",
            message,
            http_status: 500,
            name: "TypeError",
            upstream_status: None,
        }
    }

    fn invalid_config(message: String) -> Self {
        Fault::new("invalid_config", message, 500)
    }

    /// The JavaScript `Error` (with `code`, `httpStatus` and `name`) wrapped so
    /// that napi throws or rejects with exactly this object.
    fn into_napi(self, env: &Env) -> napi::Error {
        match self.build(env) {
            Ok(value) => napi::Error::from(value),
            Err(e) => e,
        }
    }

    fn build<'e>(self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        let base = napi::Error::new(self.code, self.message);
        let value = if self.name == "TypeError" {
            JsTypeError::from(base).into_unknown(*env)
        } else {
            JsError::from(base).into_unknown(*env)
        };
        let mut obj = value.coerce_to_object()?;
        obj.set_named_property("httpStatus", u32::from(self.http_status))?;
        if self.name != "TypeError" {
            obj.set_named_property("name", self.name)?;
        }
        if let Some(status) = self.upstream_status {
            obj.set_named_property("upstreamStatus", u32::from(status))?;
        }
        Ok(value)
    }
}

/// Why a call failed: our own error, or a failed napi call (whose JavaScript
/// exception, if any, is already pending).
enum Fail {
    Fault(Fault),
    Napi(napi::Error),
}

impl From<napi::Error> for Fail {
    fn from(e: napi::Error) -> Self {
        Fail::Napi(e)
    }
}

impl From<Fault> for Fail {
    fn from(f: Fault) -> Self {
        Fail::Fault(f)
    }
}

impl Fail {
    fn into_napi(self, env: &Env) -> napi::Error {
        match self {
            Fail::Fault(f) => f.into_napi(env),
            Fail::Napi(e) => e,
        }
    }
}

type R<T> = std::result::Result<T, Fail>;

fn bad<T>(message: String) -> R<T> {
    Err(Fail::Fault(Fault::argument(message)))
}

// ---------------------------------------------------------------- reading arguments

/// A body argument: any `Uint8Array` (a `Buffer` is one), or a string.
/// napi picks the first variant that fits; `Unknown` catches everything else.
/// The usual `Buffer` comes first: a variant that does not fit costs napi a
/// formatted error message (about 0.1 µs for `String` on a `Buffer`).
type BodyArg<'e> = Either3<Uint8ArraySlice<'e>, String, Unknown<'e>>;

/// The bytes of a body argument (a `Uint8Array` is borrowed, not copied).
fn body_bytes<'a>(body: &'a BodyArg<'_>, what: &str) -> R<&'a [u8]> {
    match body {
        Either3::A(b) => Ok(b.as_ref()),
        Either3::B(s) => Ok(s.as_bytes()),
        Either3::C(_) => bad(format!("{what} must be a Buffer, a Uint8Array or a string")),
    }
}

/// `undefined` and `null` are both "not given".
fn given<'e>(v: Option<Unknown<'e>>) -> R<Option<(Unknown<'e>, ValueType)>> {
    let Some(v) = v else { return Ok(None) };
    match v.get_type()? {
        ValueType::Undefined | ValueType::Null => Ok(None),
        t => Ok(Some((v, t))),
    }
}

fn to_string(v: &Unknown<'_>) -> R<String> {
    Ok(v.coerce_to_string()?.into_utf8()?.into_owned()?)
}

fn string_of(v: &Unknown<'_>, t: ValueType, what: &str) -> R<String> {
    if t != ValueType::String {
        return bad(format!("{what} must be a string"));
    }
    to_string(v)
}

fn object_of<'e>(v: &Unknown<'e>, t: ValueType, what: &str) -> R<Object<'e>> {
    if t != ValueType::Object {
        return bad(format!("{what} must be an object"));
    }
    Ok(v.coerce_to_object()?)
}

/// The `Unknown` elements of a JavaScript array.
fn elements<'e>(array: &Object<'e>) -> R<Vec<Unknown<'e>>> {
    let n = array.get_array_length()?;
    (0..n)
        .map(|i| Ok(array.get_element::<Unknown>(i)?))
        .collect()
}

/// The own string-keyed properties of an object: each name, and the key to
/// look its value up with. Own-only is markedly cheaper than `for…in`
/// semantics, which walk the prototype chain.
fn own_keys<'e>(obj: &Object<'e>) -> R<Vec<(String, Unknown<'e>)>> {
    let names = obj.get_all_property_names(
        KeyCollectionMode::OwnOnly,
        KeyFilter::SkipSymbols,
        KeyConversion::NumbersToStrings,
    )?;
    elements(&names)?
        .into_iter()
        .map(|key| Ok((to_string(&key)?, key)))
        .collect()
}

/// An optional options object. Its own property names are read once (cheaper
/// than looking up every possible option), and a name that is not an option is
/// `invalid_argument`, so typos never pass silently.
struct Opts<'e> {
    obj: Option<Object<'e>>,
    /// The options given: name, and the key to read the value with.
    keys: Vec<(String, Unknown<'e>)>,
    name: &'static str,
}

impl<'e> Opts<'e> {
    fn new(v: Option<Unknown<'e>>, name: &'static str, allowed: &[&str]) -> R<Self> {
        let (obj, keys) = match given(v)? {
            None => (None, Vec::new()),
            Some((v, t)) => {
                let obj = object_of(&v, t, name)?;
                let keys = own_keys(&obj)?;
                if let Some((k, _)) = keys.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
                    return bad(format!(
                        "{name}.{k} is not an option here (expected one of: {})",
                        allowed.join(", ")
                    ));
                }
                (Some(obj), keys)
            }
        };
        Ok(Opts { obj, keys, name })
    }

    fn key(&self, key: &str) -> Option<(&Object<'e>, Unknown<'e>)> {
        let obj = self.obj.as_ref()?;
        self.keys
            .iter()
            .find(|(k, _)| k == key)
            .map(|&(_, k)| (obj, k))
    }

    /// The option's value, unless it is absent, `undefined` or `null`.
    fn get(&self, key: &str) -> R<Option<(Unknown<'e>, ValueType)>> {
        match self.key(key) {
            None => Ok(None),
            Some((obj, k)) => given(Some(obj.get_property(k)?)),
        }
    }

    fn what(&self, key: &str) -> String {
        format!("{}.{key}", self.name)
    }

    fn string(&self, key: &str) -> R<Option<String>> {
        let Some((obj, k)) = self.key(key) else {
            return Ok(None);
        };
        // The common case, a string, in one step; anything else is looked at again.
        if let Ok(s) = obj.get_property_unchecked::<_, String>(k) {
            return Ok(Some(s));
        }
        match self.get(key)? {
            None => Ok(None),
            Some((v, t)) => string_of(&v, t, &self.what(key)).map(Some),
        }
    }

    fn boolean(&self, key: &str) -> R<Option<bool>> {
        match self.get(key)? {
            None => Ok(None),
            Some((v, ValueType::Boolean)) => Ok(Some(v.coerce_to_bool()?)),
            Some(_) => bad(format!("{} must be a boolean", self.what(key))),
        }
    }

    fn number(&self, key: &str) -> R<Option<f64>> {
        match self.get(key)? {
            None => Ok(None),
            Some((v, t)) => number_of(&v, t, &self.what(key)).map(Some),
        }
    }

    /// A whole number in `min..=max`.
    fn integer(&self, key: &str, min: f64, max: f64) -> R<Option<i64>> {
        match self.number(key)? {
            None => Ok(None),
            Some(n) => integer_in(n, min, max, &self.what(key)).map(Some),
        }
    }
}

fn number_of(v: &Unknown<'_>, t: ValueType, what: &str) -> R<f64> {
    if t != ValueType::Number {
        return bad(format!("{what} must be a number"));
    }
    Ok(v.coerce_to_number()?.get_double()?)
}

fn integer_in(n: f64, min: f64, max: f64, what: &str) -> R<i64> {
    if n.is_finite() && n.fract() == 0.0 && (min..=max).contains(&n) {
        // In range and integral: the conversion is exact.
        Ok(n as i64)
    } else {
        bad(format!("{what} must be an integer from {min} to {max}"))
    }
}

/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// Headers from a record (`req.headers`: values a string or a list of strings),
/// a list of `[name, value]` pairs, or any iterable of pairs (`Map`, `Headers`).
fn header_pairs(env: &Env, v: Option<Unknown<'_>>, what: &str) -> R<Vec<(String, String)>> {
    let Some((v, t)) = given(v)? else {
        return Ok(Vec::new());
    };
    let obj = object_of(&v, t, what)?;
    let mut out = Vec::new();
    if v.is_array()? {
        return pairs(&obj, what);
    }
    let keys = own_keys(&obj)?;
    // A Map, a fetch Headers or URLSearchParams has no own keys but `entries`:
    // Array.from gives its pairs.
    if keys.is_empty()
        && let Some(e) = obj.get::<Unknown>("entries")?
        && e.get_type()? == ValueType::Function
    {
        let array: Object = env.get_global()?.get_named_property_unchecked("Array")?;
        let from: Function<Unknown, Object> = array.get_named_property_unchecked("from")?;
        let list = from.apply(array, v)?;
        return pairs(&list, what);
    }
    for (name, key) in keys {
        // The common case, a string, in one step; anything else is looked at again.
        if let Ok(value) = obj.get_property_unchecked::<_, String>(key) {
            out.push((name, value));
            continue;
        }
        let value: Unknown = obj.get_property(key)?;
        match value.get_type()? {
            ValueType::Undefined => {}
            ValueType::String => out.push((name, to_string(&value)?)),
            ValueType::Object if value.is_array()? => {
                for item in elements(&value.coerce_to_object()?)? {
                    let t = item.get_type()?;
                    out.push((
                        name.clone(),
                        string_of(&item, t, &format!("{what}[{name:?}][]"))?,
                    ));
                }
            }
            _ => {
                return bad(format!(
                    "{what}[{name:?}] must be a string or a list of strings"
                ));
            }
        }
    }
    Ok(out)
}

fn pairs(list: &Object<'_>, what: &str) -> R<Vec<(String, String)>> {
    let message = || format!("{what} must be a record of strings or a list of [name, value] pairs");
    let mut out = Vec::new();
    for item in elements(list)? {
        if item.get_type()? != ValueType::Object || !item.is_array()? {
            return bad(message());
        }
        let pair = elements(&item.coerce_to_object()?)?;
        let [n, v] = pair.as_slice() else {
            return bad(message());
        };
        let (tn, tv) = (n.get_type()?, v.get_type()?);
        if tn != ValueType::String || tv != ValueType::String {
            return bad(message());
        }
        out.push((to_string(n)?, to_string(v)?));
    }
    Ok(out)
}

fn refs(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `JSON.stringify(value)` in V8.
fn stringify(env: &Env, value: Unknown<'_>) -> R<String> {
    let json: Object = env.get_global()?.get_named_property_unchecked("JSON")?;
    let f: Function<Unknown, Unknown> = json.get_named_property_unchecked("stringify")?;
    let text = f.apply(json, value)?;
    match text.get_type()? {
        ValueType::String => to_string(&text),
        _ => bad(String::from("the value cannot be serialised to JSON")),
    }
}

/// A JavaScript string from Rust text. The canonical JSON is nearly always
/// ASCII, which V8 takes as Latin-1 with a plain copy instead of UTF-8 decoding.
fn js_string<'e>(env: &'e Env, text: &str) -> napi::Result<JsString<'e>> {
    if text.is_ascii() {
        env.create_string_latin1(text.as_bytes())
    } else {
        env.create_string(text)
    }
}

// ---------------------------------------------------------------- ingest

// The `#[napi(object)]` structs of this file (options and the canonical shape)
// only declare TypeScript interfaces: they are never converted (`object_to_js`
// and `object_from_js` are off; arguments are read by hand, see `Opts`). A
// field's Rust type only sets its TypeScript type; `ts_type` overrides it
// where it would be wrong.

/// Options of {@link ingest}.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct IngestOptions {
    /// The request's `Content-Type`; when absent, the `Content-Type` header is
    /// used, then the body is sniffed.
    #[napi(ts_type = "string | null")]
    pub content_type: Option<String>,
    /// The request headers: `req.headers` (values a string or a list of
    /// strings), `[name, value]` pairs, or a `Map`/fetch `Headers`. Names
    /// compare case-insensitively.
    #[napi(ts_type = "HeaderInput | null")]
    pub headers: Option<String>,
    /// Read the payload as this sender (`"alertmanager"`, `"uptime-kuma"` …)
    /// instead of detecting it; an unknown id is `unknown_source`.
    #[napi(ts_type = "string | null")]
    pub source: Option<String>,
    /// The highest tier a payload's `tier` may ask for (at least 1; default 3).
    pub max_tier: Option<u32>,
    /// Reject over-long fields (`field_too_long`) instead of cutting them.
    pub strict: Option<bool>,
    /// A custom mapping, as JSON text or an object (see the README's "Custom mappings").
    #[napi(ts_type = "string | Record<string, unknown> | null")]
    pub mapping: Option<String>,
    /// Add an `explanation`: every detection rule tried and where every field came from.
    pub explain: Option<bool>,
    /// Sender severity words mapped before the built-in vocabulary
    /// (case-insensitive), e.g. `{ "p0": "critical" }`.
    #[napi(ts_type = "Record<string, Severity>")]
    pub severity_overrides: Option<String>,
}

/// The options of `ingest` and `ingestJson`.
const INGEST_OPTIONS: &[&str] = &[
    "contentType",
    "headers",
    "source",
    "maxTier",
    "strict",
    "mapping",
    "explain",
    "severityOverrides",
];

fn find<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str, s: &str) -> Option<T> {
    all.iter().copied().find(|&x| name(x) == s)
}

/// The core's options and the request's owned parts. `options.headers` is
/// only read when `read_headers` (`__ingestWire` may get them as text).
fn ingest_options(
    env: &Env,
    options: Option<Unknown<'_>>,
    read_headers: bool,
) -> R<(Options, IngestRequest)> {
    let o = Opts::new(options, "options", INGEST_OPTIONS)?;
    let mut opts = Options::default();
    if let Some(s) = o.string("source")? {
        opts.source_hint = Some(s.parse::<Source>().map_err(|e| Fault::core(&e))?);
    }
    if let Some(n) = o.integer("maxTier", 0.0, f64::from(u32::MAX))? {
        // integer() bounds it to u32.
        opts.max_tier = u32::try_from(n).unwrap_or(u32::MAX);
    }
    if o.boolean("strict")?.unwrap_or(false) {
        opts.limits = Limits::strict();
    }
    opts.explain = o.boolean("explain")?.unwrap_or(false);
    if let Some((v, t)) = o.get("mapping")? {
        let text = match t {
            ValueType::String => to_string(&v)?,
            ValueType::Object => stringify(env, v)?,
            _ => {
                return bad(String::from(
                    "options.mapping must be a string or an object",
                ));
            }
        };
        opts.mapping = Some(Mapping::from_json(&text).map_err(|e| Fault::core(&e))?);
    }
    if let Some((v, t)) = o.get("severityOverrides")? {
        let obj = object_of(&v, t, "options.severityOverrides")?;
        for (word, key) in own_keys(&obj)? {
            let value: Unknown = obj.get_property(key)?;
            let what = format!("options.severityOverrides[{word:?}]");
            let sev = string_of(&value, value.get_type()?, &what)?;
            let Some(sev) = find(Severity::ALL, Severity::as_str, &sev) else {
                return bad(format!(
                    "{what} must be 'critical', 'error', 'warning' or 'info'"
                ));
            };
            opts.severity_overrides.push((word, sev));
        }
    }
    let content_type = o.string("contentType")?;
    let headers = if read_headers {
        header_pairs(env, o.get("headers")?.map(|(v, _)| v), "options.headers")?
    } else {
        Vec::new()
    };
    Ok((
        opts,
        IngestRequest {
            content_type,
            headers,
        },
    ))
}

/// The owned parts of a request besides the body.
struct IngestRequest {
    content_type: Option<String>,
    headers: Vec<(String, String)>,
}

/// Runs the core on one request and hands the result to `out`. Headers come
/// from `options.headers`, or from `header_text` when given (see `__ingestWire`).
fn run_ingest<T>(
    env: &Env,
    body: &BodyArg<'_>,
    options: Option<Unknown<'_>>,
    header_text: Option<&str>,
    out: impl FnOnce(&alertgate::Ingest<'_>, &[u8]) -> T,
) -> R<T> {
    let bytes = body_bytes(body, "body")?;
    let (opts, req) = ingest_options(env, options, header_text.is_none())?;
    let hs = match header_text {
        Some(text) => text_pairs(text)?,
        None => refs(&req.headers),
    };
    let request = Request {
        body: bytes,
        content_type: req.content_type.as_deref(),
        headers: &hs,
    };
    alertgate::ingest(&request, &opts)
        .map(|i| out(&i, bytes))
        .map_err(|e| Fail::Fault(Fault::core(&e)))
}

/// Headers flattened by alertgate.js: `name\0value\0` for each (no name or
/// value holds a NUL: alertgate.js checks).
fn text_pairs(text: &str) -> R<Vec<(&str, &str)>> {
    let mut parts = text.split_terminator('\0');
    let mut out = Vec::new();
    while let Some(name) = parts.next() {
        let Some(value) = parts.next() else {
            return bad(String::from("header text must be name\\0value\\0 pairs"));
        };
        out.push((name, value));
    }
    Ok(out)
}

/// Reads one webhook request into the canonical JSON text, byte-identical to
/// the Rust core's and the CLI's: the cheapest form when the result is only
/// stored or forwarded. `ingest(body, options)` equals `JSON.parse` of it.
///
/// Throws an `Error` with `code` (`empty_body`, `invalid_json`,
/// `payload_mismatch`, `invalid_mapping` …) and `httpStatus` when the request is
/// rejected; a wrong argument type is `invalid_argument`.
#[napi(ts_args_type = "body: Buffer | Uint8Array | string, options?: IngestOptions | null")]
pub fn ingest_json<'e>(
    env: &'e Env,
    body: BodyArg<'e>,
    options: Option<Unknown<'e>>,
) -> napi::Result<JsString<'e>> {
    let json =
        run_ingest(env, &body, options, None, |i, _| i.to_json()).map_err(|f| f.into_napi(env))?;
    js_string(env, &json)
}

/// The transport of `ingest` (alertgate.js), not API: the canonical result as
/// the compact text `wire` writes (when it can hold it) or else as the
/// canonical JSON, which starts with `{` where the wire text never does.
/// `headers`, when a string, is `options.headers` flattened by alertgate.js
/// (`name\0value\0` …) and `options.headers` is not read: reading a record
/// property by property through napi cost about as much as the core's work.
/// Only alertgate.js calls it, so `headers` is left to napi's own conversion.
#[napi(js_name = "__ingestWire", skip_typescript)]
pub fn ingest_wire<'e>(
    env: &'e Env,
    body: BodyArg<'e>,
    options: Option<Unknown<'e>>,
    headers: Option<String>,
) -> napi::Result<JsString<'e>> {
    let text = run_ingest(env, &body, options, headers.as_deref(), |i, bytes| {
        wire(i, bytes.len()).unwrap_or_else(|| i.to_json())
    })
    .map_err(|f| f.into_napi(env))?;
    js_string(env, &text)
}

/// The canonical result as one string that alertgate.js (`decode`) turns into
/// the very objects `JSON.parse` of the canonical JSON gives, in 30–40 % of its
/// time: every value in a fixed order (the canonical key order), each
/// text preceded by its length, so there is nothing to scan, unquote or
/// unescape, and no separator a value could hold.
///
/// ```text
/// ingest:  source detected_by detection_reason tier? group_key? notice?
///          #annotations (key value)* #alerts alert* #warnings (code message)*
/// alert:   title description? severity severity_raw? status dedup_key dedup_basis
///          service? host? #labels (key value)* #annotations (key value)*
///          started_at? ended_at? #links (rel href)* source_ref?
/// ```
///
/// A text is its length (`Wire::number`) and its characters; `#` is a count,
/// `tier` a number; `?` marks a nullable value, whose `null` is the character
/// U+007F. Lengths count UTF-16 units, as JavaScript indexes strings. All
/// markers are ASCII, so an ASCII result stays a one-byte string.
///
/// `None`, and the caller sends the JSON, for an `explanation` (debugging
/// only), a map key that names a property of `Object.prototype` (`inherited`)
/// or a number beyond `Wire::number`'s range. The test `wire.test.mjs` holds
/// `ingest` to the JSON for every vector.
fn wire(i: &alertgate::Ingest<'_>, body_len: usize) -> Option<String> {
    if i.explanation.is_some() {
        return None;
    }
    let capacity = body_len.min(64 * 1024) + 256;
    // Lengths are first written as byte counts, which are the UTF-16 counts
    // when all text is ASCII (nearly always): one check of the whole text
    // instead of one per value. Otherwise the text is written again, counting.
    let mut w = Wire::new(capacity, false);
    w.ingest(i);
    if w.ok && !w.out.is_ascii() {
        w = Wire::new(capacity, true);
        w.ingest(i);
    }
    w.ok.then_some(w.out)
}

/// `null` in the wire text.
const NULL: char = '\u{7f}';

/// The writer of `wire`.
struct Wire {
    out: String,
    /// Whether lengths are counted in UTF-16 units (else in bytes).
    utf16: bool,
    /// Cleared when the text cannot hold the result faithfully.
    ok: bool,
}

impl Wire {
    fn new(capacity: usize, utf16: bool) -> Self {
        Wire {
            out: String::with_capacity(capacity),
            utf16,
            ok: true,
        }
    }

    /// The whole result, in the order of `wire`'s diagram.
    fn ingest(&mut self, i: &alertgate::Ingest<'_>) {
        self.text(i.source.as_str());
        self.text(i.detected_by.as_str());
        self.text(&i.detection_reason);
        match i.tier {
            Some(t) => self.number(usize::try_from(t).unwrap_or(usize::MAX)),
            None => self.out.push(NULL),
        }
        self.opt(i.group_key.as_deref());
        self.opt(i.notice.map(Notice::as_str));
        self.map(&i.annotations);
        self.number(i.alerts.len());
        for a in &i.alerts {
            self.text(&a.title);
            self.opt(a.description.as_deref());
            self.text(a.severity.as_str());
            self.opt(a.severity_raw.as_deref());
            self.text(a.status.as_str());
            self.text(&a.dedup_key);
            self.text(a.dedup_basis.as_str());
            self.opt(a.service.as_deref());
            self.opt(a.host.as_deref());
            self.map(&a.labels);
            self.map(&a.annotations);
            self.opt(a.started_at.as_deref());
            self.opt(a.ended_at.as_deref());
            self.number(a.links.len());
            for l in &a.links {
                self.text(&l.rel);
                self.text(&l.href);
            }
            self.opt(a.source_ref.as_deref());
        }
        self.number(i.warnings.len());
        for w in &i.warnings {
            self.text(w.code.as_str());
            self.text(&w.message);
        }
    }

    /// A number below 96 as one character of that code; up to 126975 as
    /// three: `0x60 + n / 4096`, then two of 6 bits each (alertgate.js `num`).
    /// Beyond that the result goes as JSON; the core cuts texts to a few
    /// thousand characters, so only a map of that many keys could get there.
    fn number(&mut self, n: usize) {
        let ascii = |b: usize| char::from(u8::try_from(b).unwrap_or(0));
        if n < 0x60 {
            self.out.push(ascii(n));
        } else if n < 31 << 12 {
            self.out.push(ascii(0x60 + (n >> 12)));
            self.out.push(ascii((n >> 6) & 63));
            self.out.push(ascii(n & 63));
        } else {
            self.ok = false;
        }
    }

    fn text(&mut self, s: &str) {
        let units = if self.utf16 {
            s.encode_utf16().count()
        } else {
            s.len()
        };
        self.number(units);
        self.out.push_str(s);
    }

    fn opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.out.push(NULL),
        }
    }

    fn map(&mut self, m: &alertgate::StrMap<'_>) {
        self.number(m.len());
        for (k, v) in m {
            if inherited(k) {
                self.ok = false;
            }
            self.text(k);
            self.text(v);
        }
    }
}

/// Whether `key` names a property of `Object.prototype`, where a plain
/// assignment (`out[key] = value`, as alertgate.js builds maps) does not
/// simply make the key: `__proto__` sets the prototype, and the others are
/// read-only once `Object.prototype` is frozen. `JSON.parse` defines them.
fn inherited(key: &str) -> bool {
    matches!(
        key,
        "__proto__"
            | "constructor"
            | "hasOwnProperty"
            | "isPrototypeOf"
            | "propertyIsEnumerable"
            | "toLocaleString"
            | "toString"
            | "valueOf"
            | "__defineGetter__"
            | "__defineSetter__"
            | "__lookupGetter__"
            | "__lookupSetter__"
    )
}

// ---------------------------------------------------------------- canonical shape (types only)

/// The canonical result of {@link ingest}: one per request. Absent values are
/// `null`, never omitted.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct Ingest {
    /// The sender the payload was read as (`"alertmanager"`, `"generic"` …).
    pub source: String,
    /// Which kind of rule decided `source`.
    #[napi(
        js_name = "detected_by",
        ts_type = "'header' | 'shape' | 'hint' | 'fallback'"
    )]
    pub detected_by: String,
    /// The rule that decided `source`, in words.
    #[napi(js_name = "detection_reason")]
    pub detection_reason: String,
    /// The starting escalation tier a top-level `tier` asked for, clamped to `1..=maxTier`.
    #[napi(ts_type = "number | null")]
    pub tier: String,
    /// The sender's own grouping key (Alertmanager `groupKey` …).
    #[napi(js_name = "group_key", ts_type = "string | null")]
    pub group_key: String,
    /// Why a well-formed request carries no alert (`"test_notification"` …).
    #[napi(
        ts_type = "'test_notification' | 'subscription_confirmation' | 'unsubscribe_confirmation' | 'not_an_alert' | null"
    )]
    pub notice: String,
    /// Facts about the request as a whole, sorted by key.
    pub annotations: BTreeMap<String, String>,
    /// The alerts, in payload order.
    pub alerts: Vec<Alert>,
    /// Everything that was repaired or ignored on the way.
    pub warnings: Vec<Warning>,
    /// Why the request was read this way: only with `explain: true`.
    pub explanation: Option<Explanation>,
}

/// One canonical alert.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct Alert {
    /// Short headline; never empty.
    pub title: String,
    /// Longer context, if the sender gave any.
    #[napi(ts_type = "string | null")]
    pub description: String,
    /// The normalised severity.
    #[napi(ts_type = "Severity")]
    pub severity: String,
    /// The sender's severity text before mapping.
    #[napi(js_name = "severity_raw", ts_type = "string | null")]
    pub severity_raw: String,
    /// The normalised lifecycle status; unknown words are `triggered` (fail open).
    #[napi(ts_type = "'triggered' | 'acknowledged' | 'resolved'")]
    pub status: String,
    /// Identifies repeats of the same alert; never empty, at most 255 bytes.
    #[napi(js_name = "dedup_key")]
    pub dedup_key: String,
    /// Which rule produced `dedup_key`.
    #[napi(js_name = "dedup_basis", ts_type = "'vendor' | 'labels' | 'content'")]
    pub dedup_basis: String,
    /// The affected service, if named.
    #[napi(ts_type = "string | null")]
    pub service: String,
    /// The affected host or instance, if named.
    #[napi(ts_type = "string | null")]
    pub host: String,
    /// Identifying key/value pairs, sorted by key.
    pub labels: BTreeMap<String, String>,
    /// Descriptive key/value pairs, sorted by key.
    pub annotations: BTreeMap<String, String>,
    /// When the problem started (RFC 3339).
    #[napi(js_name = "started_at", ts_type = "string | null")]
    pub started_at: String,
    /// When the problem ended (RFC 3339); only on resolved alerts.
    #[napi(js_name = "ended_at", ts_type = "string | null")]
    pub ended_at: String,
    /// Related URLs.
    pub links: Vec<Link>,
    /// The sender's own id for this alert.
    #[napi(js_name = "source_ref", ts_type = "string | null")]
    pub source_ref: String,
}

/// A related URL and what it points at.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct Link {
    /// `generator`, `external`, `dashboard`, `panel`, `silence`, `image`, `runbook`, `target`, `details` …
    pub rel: String,
    /// The URL as sent.
    pub href: String,
}

/// Something that was repaired or ignored; the request still succeeded.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct Warning {
    /// Stable machine code (`title_missing`, `tier_clamped` …).
    pub code: String,
    /// Human-readable detail.
    pub message: String,
}

/// Why a request was read the way it was (`explain: true`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct Explanation {
    /// The detection rules tried, in order.
    pub detection: Vec<DetectionStep>,
    /// Per alert, for every canonical field: the JSON Pointer it came from, or the rule used.
    pub fields: Vec<BTreeMap<String, String>>,
}

/// One detection rule tried.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct DetectionStep {
    /// The sender the rule belongs to.
    pub source: String,
    /// The kind of rule.
    #[napi(ts_type = "'header' | 'shape' | 'hint' | 'fallback'")]
    pub by: String,
    /// The rule, in words.
    pub rule: String,
    /// Whether it matched.
    pub matched: bool,
    /// What happened next, when it matters.
    #[napi(ts_type = "string | null")]
    pub note: String,
}

// ---------------------------------------------------------------- reading a result back

/// An `Ingest` with every field at a neutral value, and one alert, to be
/// overwritten field by field: the core's result types are `#[non_exhaustive]`,
/// so a binding cannot build one literally.
fn blank() -> Option<&'static (alertgate::Ingest<'static>, alertgate::Alert<'static>)> {
    static BLANK: OnceLock<Option<(alertgate::Ingest<'static>, alertgate::Alert<'static>)>> =
        OnceLock::new();
    BLANK
        .get_or_init(|| {
            let mut i =
                alertgate::ingest(&Request::new(br#"{"title":"-"}"#), &Options::default()).ok()?;
            let a = i.alerts.pop()?;
            i.warnings.clear();
            i.annotations.clear();
            Some((i, a))
        })
        .as_ref()
}

/// Reads a JSON object field by field into the core's types.
struct Fields<'a> {
    map: &'a serde_json::Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    fn new(v: &'a Value, path: String) -> Result<Self, String> {
        match v {
            Value::Object(map) => Ok(Fields { map, path }),
            _ => Err(format!("{path} must be an object")),
        }
    }

    fn at(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// A field that must be a string.
    fn text(&self, key: &str) -> Result<String, String> {
        match self.map.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(format!("{} must be a string", self.at(key))),
        }
    }

    /// A string or `null`/absent.
    fn opt_text(&self, key: &str) -> Result<Option<String>, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            _ => Err(format!("{} must be a string or null", self.at(key))),
        }
    }

    /// One of an enum's ids.
    fn word<T: Copy>(
        &self,
        key: &str,
        all: &[T],
        name: impl Fn(T) -> &'static str,
    ) -> Result<Option<T>, String> {
        match self.opt_text(key)? {
            None => Ok(None),
            Some(s) => find(all, name, &s)
                .map(Some)
                .ok_or_else(|| format!("{} has an unknown value {s:?}", self.at(key))),
        }
    }

    fn string_map(&self, key: &str) -> Result<BTreeMap<String, String>, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(BTreeMap::new()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(format!("{}[{k:?}] must be a string", self.at(key))),
                })
                .collect(),
            _ => Err(format!("{} must be an object of strings", self.at(key))),
        }
    }

    fn list(&self, key: &str) -> Result<&'a [Value], String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            _ => Err(format!("{} must be an array", self.at(key))),
        }
    }
}

/// The core's `Ingest` from the canonical JSON value (the explanation, which no
/// brief uses, is dropped). `source` and every alert's `title` are required;
/// other absent fields take their neutral value.
fn rebuild(v: &Value) -> Result<alertgate::Ingest<'static>, String> {
    let (blank_ingest, blank_alert) =
        blank().ok_or_else(|| String::from("internal: no blank result"))?;
    let f = Fields::new(v, String::from("ingest"))?;
    let mut out = blank_ingest.clone();
    out.source = f
        .text("source")?
        .parse::<Source>()
        .map_err(|_| String::from("ingest.source is not a known source id"))?;
    out.detected_by = f
        .word("detected_by", DetectedBy::ALL, DetectedBy::as_str)?
        .unwrap_or(DetectedBy::Fallback);
    out.detection_reason = f.opt_text("detection_reason")?.unwrap_or_default();
    out.tier = match f.map.get("tier") {
        None | Some(Value::Null) => None,
        Some(t) => Some(
            t.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| String::from("ingest.tier must be a positive integer or null"))?,
        ),
    };
    out.group_key = f.opt_text("group_key")?;
    out.notice = f.word("notice", Notice::ALL, Notice::as_str)?;
    out.annotations = f.string_map("annotations")?.into_iter().collect();
    out.explanation = None;
    out.alerts = f
        .list("alerts")?
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let a = Fields::new(a, format!("ingest.alerts[{i}]"))?;
            let mut alert = blank_alert.clone();
            alert.title = a.text("title")?.into();
            alert.description = a.opt_text("description")?.map(Cow::Owned);
            alert.severity = a
                .word("severity", Severity::ALL, Severity::as_str)?
                .unwrap_or(Severity::Warning);
            alert.severity_raw = a.opt_text("severity_raw")?.map(Cow::Owned);
            alert.status = a
                .word("status", Status::ALL, Status::as_str)?
                .unwrap_or(Status::Triggered);
            alert.dedup_key = a.opt_text("dedup_key")?.unwrap_or_default().into();
            alert.dedup_basis = a
                .word("dedup_basis", DedupBasis::ALL, DedupBasis::as_str)?
                .unwrap_or(DedupBasis::Content);
            alert.service = a.opt_text("service")?.map(Cow::Owned);
            alert.host = a.opt_text("host")?.map(Cow::Owned);
            alert.labels = a.string_map("labels")?.into_iter().collect();
            alert.annotations = a.string_map("annotations")?.into_iter().collect();
            alert.started_at = a.opt_text("started_at")?.map(Cow::Owned);
            alert.ended_at = a.opt_text("ended_at")?.map(Cow::Owned);
            alert.source_ref = a.opt_text("source_ref")?.map(Cow::Owned);
            alert.links = a
                .list("links")?
                .iter()
                .enumerate()
                .map(|(j, l)| {
                    let l = Fields::new(l, format!("{}.links[{j}]", a.path))?;
                    Ok(alertgate::Link {
                        rel: Cow::Owned(l.text("rel")?),
                        href: Cow::Owned(l.text("href")?),
                    })
                })
                .collect::<Result<_, String>>()?;
            Ok(alert)
        })
        .collect::<Result<_, String>>()?;
    out.warnings = f
        .list("warnings")?
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            let w = match Fields::new(w, format!("ingest.warnings[{i}]")) {
                Ok(w) => w,
                Err(e) => return Some(Err(e)),
            };
            // A code this version does not know is dropped: briefs do not use warnings.
            match w.word("code", WarningCode::ALL, WarningCode::as_str) {
                Ok(Some(code)) => Some(
                    w.text("message")
                        .map(|message| alertgate::Warning { code, message }),
                ),
                Ok(None) | Err(_) => None,
            }
        })
        .collect::<Result<_, String>>()?;
    Ok(out)
}

/// The core's `Ingest` from a result of {@link ingest} (the plain object, or its JSON text).
fn ingest_arg(env: &Env, v: Option<Unknown<'_>>) -> R<alertgate::Ingest<'static>> {
    let message = "ingest must be a result of ingest() (the object or its JSON text)";
    let Some((v, t)) = given(v)? else {
        return bad(String::from(message));
    };
    let text = match t {
        ValueType::String => to_string(&v)?,
        ValueType::Object => stringify(env, v)?,
        _ => return bad(String::from(message)),
    };
    let value: Value =
        serde_json::from_str(&text).map_err(|e| Fault::argument(format!("{message}: {e}")))?;
    rebuild(&value).map_err(|e| Fail::Fault(Fault::argument(e)))
}

// ---------------------------------------------------------------- auth

/// Options of {@link Verifier}, {@link verify} and {@link sign}. Setting one the
/// scheme does not use is `invalid_config`, never silently ignored.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct VerifierOptions {
    /// Largest allowed |now − timestamp| in seconds (default 300).
    pub tolerance: Option<u32>,
    /// The signature header (`hmac_sha256`, `grafana`) or secret header (`shared_secret`).
    pub signature_header: Option<String>,
    /// The timestamp header (`hmac_sha256`, `grafana`).
    pub timestamp_header: Option<String>,
    /// The timestamp header's unit (`hmac_sha256`; default `"s"`).
    #[napi(ts_type = "'s' | 'ms'")]
    pub timestamp_unit: Option<String>,
    /// The id header for `{id}.{ts}.{body}` (`hmac_sha256`; default `webhook-id`).
    pub id_header: Option<String>,
    /// A prefix before the hex signature, e.g. `sha256=` (`hmac_sha256`).
    pub prefix: Option<String>,
    /// What is signed (`hmac_sha256`): `{body}`, `{ts}.{body}`, `{ts}:{body}`,
    /// `{id}.{ts}.{body}` or `v0:{ts}:{body}`.
    pub signed_content: Option<String>,
    /// The only SNS topic accepted (`sns`; any topic when unset).
    pub topic_arn: Option<String>,
}

/// The options of `new Verifier`.
const VERIFIER_OPTIONS: &[&str] = &[
    "tolerance",
    "signatureHeader",
    "timestampHeader",
    "timestampUnit",
    "idHeader",
    "prefix",
    "signedContent",
    "topicArn",
];

/// The options of the one-shot `verify`: a verifier's, `now` and (`sns`) `certificate`.
const VERIFY_OPTIONS: &[&str] = &[
    "tolerance",
    "signatureHeader",
    "timestampHeader",
    "timestampUnit",
    "idHeader",
    "prefix",
    "signedContent",
    "topicArn",
    "now",
    "certificate",
];

/// The options of `sign`: a verifier's (no tolerance: nothing is checked), `timestamp` and `id`.
const SIGN_OPTIONS: &[&str] = &[
    "signatureHeader",
    "timestampHeader",
    "timestampUnit",
    "idHeader",
    "prefix",
    "signedContent",
    "timestamp",
    "id",
];

fn verify_options(o: &Opts<'_>) -> R<VerifyOptions> {
    let mut v = VerifyOptions::default();
    if let Some(t) = o.integer("tolerance", 0.0, MAX_SAFE)? {
        v.tolerance = u64::try_from(t).unwrap_or(0);
    }
    v.signature_header = o.string("signatureHeader")?;
    v.timestamp_header = o.string("timestampHeader")?;
    v.id_header = o.string("idHeader")?;
    v.prefix = o.string("prefix")?;
    v.topic_arn = o.string("topicArn")?;
    if let Some(u) = o.string("timestampUnit")? {
        v.timestamp_unit = u.parse().map_err(|e| Fault::core(&e))?;
    }
    if let Some(c) = o.string("signedContent")? {
        v.signed_content = Some(c.parse().map_err(|e| Fault::core(&e))?);
    }
    Ok(v)
}

fn secrets_of(v: Option<Unknown<'_>>, what: &str) -> R<Vec<String>> {
    let message = || format!("{what} must be a string or a list of strings");
    let Some((v, t)) = given(v)? else {
        return bad(message());
    };
    match t {
        ValueType::String => Ok(vec![to_string(&v)?]),
        ValueType::Object if v.is_array()? => elements(&v.coerce_to_object()?)?
            .iter()
            .map(|s| {
                if s.get_type()? == ValueType::String {
                    to_string(s)
                } else {
                    bad(message())
                }
            })
            .collect(),
        _ => bad(message()),
    }
}

fn build_verifier(
    scheme: Option<Unknown<'_>>,
    secrets: &[String],
    options: &Opts<'_>,
) -> R<alertgate::Verifier> {
    let scheme = match given(scheme)? {
        Some((v, t)) => string_of(&v, t, "scheme")?,
        None => return bad(String::from("scheme must be a string")),
    };
    let o = verify_options(options)?;
    let scheme = scheme.parse::<Scheme>().map_err(|e| Fault::core(&e))?;
    alertgate::Verifier::new(scheme, secrets, &o).map_err(|e| Fail::Fault(Fault::core(&e)))
}

fn now_of(v: Option<(Unknown<'_>, ValueType)>, what: &str) -> R<i64> {
    match v {
        None => Ok(now_unix()),
        Some((v, t)) => integer_in(number_of(&v, t, what)?, -MAX_SAFE, MAX_SAFE, what),
    }
}

/// `verify`, or `verify_with_certificate` when a certificate is given (`sns`).
fn run_verify(
    env: &Env,
    verifier: &alertgate::Verifier,
    headers: Option<Unknown<'_>>,
    body: &BodyArg<'_>,
    now: i64,
    certificate: Option<&BodyArg<'_>>,
) -> R<()> {
    let headers = header_pairs(env, headers, "headers")?;
    let body = body_bytes(body, "body")?;
    let result = match certificate {
        Some(c) => {
            let c = body_bytes(c, "certificate")?;
            verifier.verify_with_certificate(&refs(&headers), body, now, c)
        }
        None => verifier.verify(&refs(&headers), body, now),
    };
    result.map_err(|e| Fail::Fault(Fault::core(&e)))
}

/// Verifies one sender's credentials; build it once and reuse it for every request.
///
/// ```js
/// const verifier = new Verifier('github', [process.env.NEW_SECRET, process.env.OLD_SECRET])
/// verifier.verify(req.headers, rawBody) // throws AuthError-named errors with code and httpStatus 401
/// ```
#[napi]
pub struct Verifier {
    inner: alertgate::Verifier,
}

#[napi]
impl Verifier {
    /// Builds a verifier for `scheme` (`bearer`, `basic`, `shared_secret`,
    /// `hmac_sha256`, `github`, `opsknight`, `opshift`, `grafana`, `pagerduty`,
    /// `sentry`, `slack`, `stripe`, `standard_webhooks`, `svix`, `sns`) with one
    /// secret or several (rotation: any may match): `basic` takes `user:password`
    /// pairs; `standard_webhooks`/`svix` take `whsec_` secrets, `whpk_` public
    /// and `whsk_` secret ed25519 keys (`v1a`); `sns` takes none (`[]`), and
    /// `topicArn` pins its topic. Throws `invalid_config` for an unknown scheme,
    /// an empty secret or an option the scheme does not use.
    #[napi(
        constructor,
        ts_args_type = "scheme: string, secrets: string | string[], options?: VerifierOptions | null"
    )]
    pub fn new(
        env: Env,
        scheme: Option<Unknown<'_>>,
        secrets: Option<Unknown<'_>>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<Self> {
        let run = || -> R<alertgate::Verifier> {
            let secrets = secrets_of(secrets, "secrets")?;
            build_verifier(
                scheme,
                &secrets,
                &Opts::new(options, "options", VERIFIER_OPTIONS)?,
            )
        };
        run()
            .map(|inner| Verifier { inner })
            .map_err(|f| f.into_napi(&env))
    }

    /// Throws unless the request is authentic: `missing_credentials`,
    /// `invalid_token`, `signature_mismatch`, `malformed_signature` or
    /// `timestamp_out_of_tolerance`, all with `httpStatus` 401. Pass the raw
    /// body bytes, before parsing. `now` (Unix seconds) defaults to the clock.
    #[napi(
        ts_args_type = "headers: HeaderInput, body: Buffer | Uint8Array | string, now?: number | null"
    )]
    pub fn verify(
        &self,
        env: Env,
        headers: Option<Unknown<'_>>,
        body: BodyArg<'_>,
        now: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        given(now)
            .and_then(|n| now_of(n, "now"))
            .and_then(|now| run_verify(&env, &self.inner, headers, &body, now, None))
            .map_err(|f| f.into_napi(&env))
    }

    /// Throws unless the AWS SNS message (`sns`) is authentic: its signature
    /// checked with `certificate` (PEM or DER), which the caller fetched from
    /// {@link snsCertificateUrl}`(body)` with its own HTTP client; the topic
    /// too when `topicArn` is set. Other schemes throw `invalid_config`.
    #[napi(
        ts_args_type = "headers: HeaderInput, body: Buffer | Uint8Array | string, certificate: Buffer | Uint8Array | string, now?: number | null"
    )]
    pub fn verify_with_certificate(
        &self,
        env: Env,
        headers: Option<Unknown<'_>>,
        body: BodyArg<'_>,
        certificate: BodyArg<'_>,
        now: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        given(now)
            .and_then(|n| now_of(n, "now"))
            .and_then(|now| run_verify(&env, &self.inner, headers, &body, now, Some(&certificate)))
            .map_err(|f| f.into_napi(&env))
    }

    /// Judges what the headers alone tell, before the body is read (a token
    /// scheme fully; a signature's presence, form and timestamp); throws as
    /// {@link Verifier.verify} does. A request that passes still needs `verify`.
    #[napi(ts_args_type = "headers: HeaderInput, now?: number | null")]
    pub fn check_headers(
        &self,
        env: Env,
        headers: Option<Unknown<'_>>,
        now: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        let run = || -> R<()> {
            let now = now_of(given(now)?, "now")?;
            let headers = header_pairs(&env, headers, "headers")?;
            self.inner
                .check_headers(&refs(&headers), now)
                .map_err(|e| Fail::Fault(Fault::core(&e)))
        };
        run().map_err(|f| f.into_napi(&env))
    }

    /// What identifies this delivery, for recognising a replay: the sender's
    /// delivery-id header, else a timestamped signature; `null` when the
    /// scheme gives neither.
    #[napi(ts_args_type = "headers: HeaderInput")]
    pub fn delivery_id(
        &self,
        env: Env,
        headers: Option<Unknown<'_>>,
    ) -> napi::Result<Option<String>> {
        header_pairs(&env, headers, "headers")
            .map(|h| self.inner.delivery_id(&refs(&h)).map(str::to_owned))
            .map_err(|f| f.into_napi(&env))
    }

    /// The raw value of the signature header (header signature schemes), else `null`.
    #[napi(ts_args_type = "headers: HeaderInput")]
    pub fn signature(
        &self,
        env: Env,
        headers: Option<Unknown<'_>>,
    ) -> napi::Result<Option<String>> {
        header_pairs(&env, headers, "headers")
            .map(|h| self.inner.signature(&refs(&h)).map(str::to_owned))
            .map_err(|f| f.into_napi(&env))
    }

    /// The scheme this verifier checks (its canonical name).
    #[napi(getter)]
    pub fn scheme(&self) -> &'static str {
        self.inner.scheme().as_str()
    }

    /// The timestamp tolerance in seconds, for schemes that sign a timestamp; else `null`.
    #[napi(getter)]
    pub fn tolerance(&self) -> Option<f64> {
        // Set from a JavaScript number, so it fits one exactly.
        self.inner.tolerance().map(|t| t as f64)
    }

    /// `Verifier(<scheme>)`; never the secrets.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        format!("Verifier({})", self.inner.scheme().as_str())
    }
}

/// One-shot verification: `new Verifier(scheme, secrets, options).verify(headers, body, options.now)`,
/// or `.verifyWithCertificate(headers, body, options.certificate, options.now)` when a certificate is given (`sns`).
#[napi(
    ts_args_type = "scheme: string, secrets: string | string[], headers: HeaderInput, body: Buffer | Uint8Array | string, options?: (VerifierOptions & { now?: number | null; certificate?: Buffer | Uint8Array | string | null }) | null"
)]
pub fn verify(
    env: Env,
    scheme: Option<Unknown<'_>>,
    secrets: Option<Unknown<'_>>,
    headers: Option<Unknown<'_>>,
    body: BodyArg<'_>,
    options: Option<Unknown<'_>>,
) -> napi::Result<()> {
    let run = || -> R<()> {
        let secrets = secrets_of(secrets, "secrets")?;
        let o = Opts::new(options, "options", VERIFY_OPTIONS)?;
        let verifier = build_verifier(scheme, &secrets, &o)?;
        let now = now_of(o.get("now")?, "options.now")?;
        let certificate = match o.get("certificate")? {
            Some((v, _)) => Some(BodyArg::from_unknown(v)?),
            None => None,
        };
        run_verify(&env, &verifier, headers, &body, now, certificate.as_ref())
    };
    run().map_err(|f| f.into_napi(&env))
}

/// The SNS message's `SigningCertURL`, once it is known to be SNS's (https, an
/// SNS host, a `.pem` path): fetch it with your own HTTP client and pass the
/// certificate to {@link Verifier.verifyWithCertificate}. Anything else throws
/// `malformed_signature` (401), so a forged message cannot choose what you fetch.
///
/// ```js
/// const url = snsCertificateUrl(rawBody)
/// const certificate = Buffer.from(await (await fetch(url)).arrayBuffer())
/// new Verifier('sns', []).verifyWithCertificate(req.headers, rawBody, certificate)
/// ```
#[napi(ts_args_type = "body: Buffer | Uint8Array | string")]
pub fn sns_certificate_url(env: Env, body: BodyArg<'_>) -> napi::Result<String> {
    body_bytes(&body, "body")
        .and_then(|b| alertgate::sns_certificate_url(b).map_err(|e| Fail::Fault(Fault::core(&e))))
        .map_err(|f| f.into_napi(&env))
}

/// A `SubscriptionConfirmation`'s `SubscribeURL`, once it is known to be SNS's:
/// fetching it confirms the subscription. Verify the message first.
#[napi(ts_args_type = "body: Buffer | Uint8Array | string")]
pub fn sns_subscribe_url(env: Env, body: BodyArg<'_>) -> napi::Result<String> {
    body_bytes(&body, "body")
        .and_then(|b| alertgate::sns_subscribe_url(b).map_err(|e| Fail::Fault(Fault::core(&e))))
        .map_err(|f| f.into_napi(&env))
}

/// The headers a sender of `scheme` would send for `body`, signed with
/// `secret`: sign-then-verify round-trips for every scheme. `timestamp` (Unix
/// seconds) defaults to now; `id` (Standard Webhooks) to one derived from the
/// body and timestamp, like the Python binding.
///
/// ```js
/// sign('github', "It's a Secret to Everybody", 'Hello, World!')
/// // { 'X-Hub-Signature-256': 'sha256=757107ea…' }
/// ```
#[napi(
    ts_args_type = "scheme: string, secret: string, body: Buffer | Uint8Array | string, options?: (VerifierOptions & { timestamp?: number | null; id?: string | null }) | null",
    ts_return_type = "Record<string, string>"
)]
pub fn sign<'e>(
    env: &'e Env,
    scheme: Option<Unknown<'e>>,
    secret: Option<Unknown<'e>>,
    body: BodyArg<'e>,
    options: Option<Unknown<'e>>,
) -> napi::Result<Object<'e>> {
    let run = || -> R<Object<'e>> {
        let secret = match given(secret)? {
            Some((v, t)) => string_of(&v, t, "secret")?,
            None => return bad(String::from("secret must be a string")),
        };
        let o = Opts::new(options, "options", SIGN_OPTIONS)?;
        let verifier = build_verifier(scheme, &[secret], &o)?;
        let bytes = body_bytes(&body, "body")?;
        let ts = now_of(o.get("timestamp")?, "options.timestamp")?;
        let id = o.string("id")?.unwrap_or_else(|| {
            let digest = alertgate::content_key(
                "sign",
                None,
                None,
                &format!("{ts}:{}", String::from_utf8_lossy(bytes)),
            );
            format!("msg_{}", &digest[..24])
        });
        let headers = verifier
            .sign(bytes, Some(ts), Some(&id))
            .map_err(|e| Fault::core(&e))?;
        let mut out = Object::new(env)?;
        for (name, value) in headers {
            out.set(name, value)?;
        }
        Ok(out)
    };
    run().map_err(|f| f.into_napi(env))
}

// ---------------------------------------------------------------- synthesis

/// Options of the {@link SynthConfig} constructor.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SynthConfigOptions {
    /// `"anthropic"` (default) or `"openai"` (any OpenAI-compatible server: vLLM, Ollama …).
    #[napi(ts_type = "'anthropic' | 'openai'")]
    pub provider: Option<String>,
    /// Scheme and host (and optional path prefix), e.g. `http://127.0.0.1:11434`.
    pub base_url: Option<String>,
    /// The API key; without one, {@link synthesize} fails with `not_configured`.
    pub api_key: Option<String>,
    /// The model (default `claude-haiku-4-5-20251001`, or `gpt-4o-mini` for `openai`).
    pub model: Option<String>,
    /// Replaces the built-in system prompt entirely.
    pub system_prompt: Option<String>,
    /// Bound on the whole request, in seconds (default 20).
    pub timeout: Option<f64>,
    /// `max_tokens` of the request (default 300).
    pub max_tokens: Option<u32>,
    /// Largest payload excerpt sent, in bytes (default 16384).
    pub max_payload_bytes: Option<u32>,
}

/// How to reach the LLM. The API key is write-only: no getter, `toString` or
/// `toJSON` ever shows it (`hasApiKey` says whether one is set).
#[napi]
pub struct SynthConfig {
    inner: alertgate_synth::SynthConfig,
}

/// The options of `new SynthConfig`.
const SYNTH_OPTIONS: &[&str] = &[
    "provider",
    "baseUrl",
    "apiKey",
    "model",
    "systemPrompt",
    "timeout",
    "maxTokens",
    "maxPayloadBytes",
];

fn synth_config(o: &Opts<'_>) -> R<alertgate_synth::SynthConfig> {
    let provider = match o.string("provider")?.as_deref() {
        None | Some("anthropic") => Provider::Anthropic,
        Some("openai") => Provider::Openai,
        Some(other) => {
            return Err(Fault::invalid_config(format!(
                "provider must be 'anthropic' or 'openai', not {other:?}"
            ))
            .into());
        }
    };
    let mut c = alertgate_synth::SynthConfig::new(provider);
    if let Some(u) = o.string("baseUrl")? {
        c.base_url = u;
    }
    c.api_key = o.string("apiKey")?;
    if let Some(m) = o.string("model")? {
        c.model = m;
    }
    if let Some(p) = o.string("systemPrompt")? {
        c.system_prompt = p;
    }
    if let Some(t) = o.number("timeout")? {
        if !(t.is_finite() && t > 0.0 && t <= 86_400.0) {
            return Err(Fault::invalid_config(String::from(
                "timeout must be a positive number of seconds (at most 86400)",
            ))
            .into());
        }
        c.timeout = Duration::from_secs_f64(t);
    }
    if let Some(n) = o.integer("maxTokens", 1.0, f64::from(u32::MAX))? {
        c.max_tokens = u32::try_from(n).unwrap_or(u32::MAX);
    }
    if let Some(n) = o.integer("maxPayloadBytes", 0.0, MAX_SAFE)? {
        c.max_payload_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    Ok(c)
}

/// The variables `SynthConfig.fromEnv()` reads.
const ENV_VARS: &[&str] = &[
    "ALERTGATE_LLM_PROVIDER",
    "ALERTGATE_LLM_API_KEY",
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "ALERTGATE_LLM_BASE_URL",
    "ALERTGATE_WEBHOOK_MODEL",
    "ALERTGATE_WEBHOOK_SYSTEM_PROMPT",
    "ALERTGATE_LLM_TIMEOUT_S",
];

#[napi]
impl SynthConfig {
    /// A configuration from code; every option has the documented default.
    /// Throws `invalid_config` for an unknown provider or a bad timeout.
    #[napi(constructor, ts_args_type = "options?: SynthConfigOptions | null")]
    pub fn new(env: Env, options: Option<Unknown<'_>>) -> napi::Result<Self> {
        Opts::new(options, "options", SYNTH_OPTIONS)
            .and_then(|o| synth_config(&o))
            .map(|inner| SynthConfig { inner })
            .map_err(|f| f.into_napi(&env))
    }

    /// Reads `ALERTGATE_LLM_PROVIDER`, `ALERTGATE_LLM_API_KEY` (else
    /// `ANTHROPIC_API_KEY` / `OPENAI_API_KEY` by provider),
    /// `ALERTGATE_LLM_BASE_URL`, `ALERTGATE_WEBHOOK_MODEL`,
    /// `ALERTGATE_WEBHOOK_SYSTEM_PROMPT` and `ALERTGATE_LLM_TIMEOUT_S` from
    /// `env` (default `process.env`). Cheap: call it per request so rotated keys
    /// take effect without a restart. Unset or empty variables keep the defaults.
    #[napi(
        factory,
        ts_args_type = "env?: Record<string, string | undefined> | null"
    )]
    pub fn from_env(env: Env, vars: Option<Unknown<'_>>) -> napi::Result<Self> {
        let run = || -> R<Self> {
            let source = match given(vars)? {
                Some((v, t)) => object_of(&v, t, "env")?,
                None => {
                    let process: Object =
                        env.get_global()?.get_named_property_unchecked("process")?;
                    process.get_named_property_unchecked("env")?
                }
            };
            let mut values = BTreeMap::new();
            for name in ENV_VARS {
                if let Some((v, t)) = given(source.get::<Unknown>(name)?)? {
                    values.insert(*name, string_of(&v, t, &format!("env.{name}"))?);
                }
            }
            Ok(SynthConfig {
                inner: alertgate_synth::SynthConfig::from_vars(|n| values.get(n).cloned()),
            })
        };
        run().map_err(|f| f.into_napi(&env))
    }

    /// `"anthropic"` or `"openai"`.
    #[napi(getter, ts_return_type = "'anthropic' | 'openai'")]
    pub fn provider(&self) -> &'static str {
        self.inner.provider.as_str()
    }

    /// The server's base URL.
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    /// Whether an API key is set (the key itself is never readable).
    #[napi(getter)]
    pub fn has_api_key(&self) -> bool {
        self.inner
            .api_key
            .as_deref()
            .is_some_and(|k| !k.trim().is_empty())
    }

    /// The model name.
    #[napi(getter)]
    pub fn model(&self) -> String {
        self.inner.model.clone()
    }

    /// The system prompt.
    #[napi(getter)]
    pub fn system_prompt(&self) -> String {
        self.inner.system_prompt.clone()
    }

    /// The request timeout in seconds.
    #[napi(getter)]
    pub fn timeout(&self) -> f64 {
        self.inner.timeout.as_secs_f64()
    }

    /// `max_tokens` of the request.
    #[napi(getter)]
    pub fn max_tokens(&self) -> u32 {
        self.inner.max_tokens
    }

    /// Largest payload excerpt sent, in bytes.
    #[napi(getter)]
    pub fn max_payload_bytes(&self) -> f64 {
        // Exact for any realistic size (below 2^53).
        self.inner.max_payload_bytes as f64
    }

    /// The settings without the key (for logs and `JSON.stringify`).
    #[napi(
        js_name = "toJSON",
        ts_return_type = "Omit<SynthConfigOptions, 'apiKey'> & { hasApiKey: boolean }"
    )]
    pub fn to_json<'e>(&self, env: &'e Env) -> napi::Result<Object<'e>> {
        let mut o = Object::new(env)?;
        o.set("provider", self.provider())?;
        o.set("baseUrl", self.base_url())?;
        o.set("hasApiKey", self.has_api_key())?;
        o.set("model", self.model())?;
        o.set("systemPrompt", self.system_prompt())?;
        o.set("timeout", self.timeout())?;
        o.set("maxTokens", self.max_tokens())?;
        o.set("maxPayloadBytes", self.max_payload_bytes())?;
        Ok(o)
    }

    /// `SynthConfig(provider=…, model=…, baseUrl=…, hasApiKey=…)`; never the key.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        format!(
            "SynthConfig(provider={}, model={}, baseUrl={}, hasApiKey={})",
            self.provider(),
            self.inner.model,
            self.inner.base_url,
            self.has_api_key()
        )
    }
}

/// An investigation brief and who wrote it.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Brief {
    /// The 2–4 sentence brief.
    pub text: String,
    /// `"anthropic"`, `"openai"` or `"template"`.
    #[napi(
        js_name = "synthesized_by",
        ts_type = "'anthropic' | 'openai' | 'template'"
    )]
    pub synthesized_by: String,
    /// The model that wrote it (`null` for the template).
    pub model: Option<String>,
}

impl From<alertgate_synth::Brief> for Brief {
    fn from(b: alertgate_synth::Brief) -> Self {
        Brief {
            text: b.text,
            synthesized_by: b.synthesized_by.to_owned(),
            model: b.model,
        }
    }
}

/// What a synthesis needs, read on the main thread.
type Job = (
    alertgate::Ingest<'static>,
    Vec<u8>,
    alertgate_synth::SynthConfig,
);

fn synthesis_job(
    env: &Env,
    ingest: Option<Unknown<'_>>,
    body: &BodyArg<'_>,
    config: Option<&SynthConfig>,
) -> R<Job> {
    let ingest = ingest_arg(env, ingest)?;
    let body = body_bytes(body, "body")?.to_vec();
    let config = config.map_or_else(alertgate_synth::SynthConfig::from_env, |c| c.inner.clone());
    Ok((ingest, body, config))
}

/// The HTTP call of {@link synthesize}, run on the libuv thread pool.
pub struct Synthesis {
    /// The work, or the argument error to reject with (so the function always
    /// returns a Promise and never throws).
    job: Option<std::result::Result<Job, Fault>>,
}

impl Task for Synthesis {
    type Output = std::result::Result<alertgate_synth::Brief, Fault>;
    type JsValue = Brief;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(match self.job.take() {
            Some(Ok((ingest, body, config))) => {
                alertgate_synth::synthesize(&ingest, &body, &config).map_err(|e| Fault::synth(&e))
            }
            Some(Err(fault)) => Err(fault),
            None => Err(Fault::argument(String::from("synthesis already ran"))),
        })
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Brief> {
        output.map(Brief::from).map_err(|f| f.into_napi(&env))
    }
}

/// Asks the LLM for a 2–4 sentence investigation brief about `ingest` (a result
/// of {@link ingest}, as the object or its JSON text). `body` is the raw webhook
/// body: its top-level `tier` is removed, secret-looking values are redacted and
/// it is cut to `maxPayloadBytes` before it is sent. `config` defaults to
/// `SynthConfig.fromEnv()`.
///
/// The HTTP call runs on the libuv thread pool: the event loop is never blocked.
/// The Promise rejects with an `Error` whose `code` is `not_configured` (503),
/// `timeout`, `transport`, `upstream_status` (with `upstreamStatus`) or
/// `bad_response` (502), or `invalid_argument`. One request, no retries.
#[napi(
    ts_args_type = "ingest: Ingest | string, body: Buffer | Uint8Array | string, config?: SynthConfig | null",
    ts_return_type = "Promise<Brief>"
)]
pub fn synthesize(
    env: Env,
    ingest: Option<Unknown<'_>>,
    body: BodyArg<'_>,
    config: Option<&SynthConfig>,
) -> AsyncTask<Synthesis> {
    let job = synthesis_job(&env, ingest, &body, config).map_err(|f| match f {
        Fail::Fault(f) => f,
        Fail::Napi(e) => Fault::argument(e.reason.clone()),
    });
    AsyncTask::new(Synthesis { job: Some(job) })
}

/// As {@link synthesize}, but blocking: the calling thread (the event loop, on
/// the main thread) waits for the LLM. Prefer `synthesize` in servers.
#[napi(
    ts_args_type = "ingest: Ingest | string, body: Buffer | Uint8Array | string, config?: SynthConfig | null"
)]
pub fn synthesize_sync(
    env: Env,
    ingest: Option<Unknown<'_>>,
    body: BodyArg<'_>,
    config: Option<&SynthConfig>,
) -> napi::Result<Brief> {
    let run = || -> R<Brief> {
        let (ingest, body, config) = synthesis_job(&env, ingest, &body, config)?;
        alertgate_synth::synthesize(&ingest, &body, &config)
            .map(Brief::from)
            .map_err(|e| Fail::Fault(Fault::synth(&e)))
    };
    run().map_err(|f| f.into_napi(&env))
}

/// A deterministic 2–4 sentence brief from the canonical fields alone (no
/// network), e.g. "Uptime Kuma reports 1 firing alert for gitea.example.com:
/// Gitea (critical). …". `ingest` is a result of {@link ingest}, as the object
/// or its JSON text.
#[napi(ts_args_type = "ingest: Ingest | string")]
pub fn template_brief(env: Env, ingest: Option<Unknown<'_>>) -> napi::Result<String> {
    ingest_arg(&env, ingest)
        .map(|i| alertgate_synth::template_brief(&i))
        .map_err(|f| f.into_napi(&env))
}
