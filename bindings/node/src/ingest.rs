//! `ingestJson` and the transport of `ingest` (`__ingestWire` and its wire text).

use crate::args::{
    BodyArg, Opts, body_bytes, header_pairs, js_string, object_of, own_keys, refs, string_of,
    stringify, to_string,
};
use crate::errors::{Fail, Fault, R, bad};
use alertgate::{Limits, Mapping, Notice, Options, Request, Severity, Source};
use napi::bindgen_prelude::{Array, Either, JsObjectValue, Unknown};
use napi::{Env, JsString, ValueType};
use napi_derive::napi;
use std::cell::RefCell;

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
pub(crate) const INGEST_OPTIONS: &[&str] = &[
    "contentType",
    "headers",
    "source",
    "maxTier",
    "strict",
    "mapping",
    "explain",
    "severityOverrides",
];

pub(crate) fn find<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str, s: &str) -> Option<T> {
    all.iter().copied().find(|&x| name(x) == s)
}

/// The core's options and the request's owned parts. `options.headers` is
/// only read when `read_headers` (`__ingestWire` may get them as text).
pub(crate) fn ingest_options(
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
pub(crate) struct IngestRequest {
    content_type: Option<String>,
    headers: Vec<(String, String)>,
}

/// Runs the core on one request and hands the result to `out`. Headers come
/// from `options.headers`, or from `header_text` when given (see `__ingestWire`).
pub(crate) fn run_ingest<T>(
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
pub(crate) fn text_pairs(text: &str) -> R<Vec<(&str, &str)>> {
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
) -> napi::Result<Either<JsString<'e>, Array<'e>>> {
    run_ingest(env, &body, options, headers.as_deref(), |i, _| {
        WIRE.with_borrow_mut(|(out, cuts)| {
            out.clear();
            cuts.clear();
            let text = if !wire(i, out, cuts) {
                js_string(env, &i.to_json()).map(Either::A)
            } else if cuts.is_empty() {
                js_string(env, out).map(Either::A)
            } else {
                chunks(env, out, cuts).map(Either::B)
            };
            // A buffer grown by a rare huge result is not kept for the process's life.
            if out.capacity() > KEEP {
                *out = String::new();
            }
            text
        })
    })
    .map_err(|f| f.into_napi(env))?
}

/// The wire text as the strings `cuts` begins (after the first). V8 puts a
/// string of 128 KiB or more in a space of its own, on pages fresh from the
/// system each time, where pieces go in the young generation: making a
/// 0.6 MiB one-byte string took 330 µs, making it as 19 pieces 47 µs.
fn chunks<'e>(env: &'e Env, text: &str, cuts: &[usize]) -> napi::Result<Array<'e>> {
    let n = u32::try_from(cuts.len() + 1).unwrap_or(u32::MAX);
    let mut array = env.create_array(n)?;
    let mut start = 0;
    for (k, &end) in (0..n).zip(cuts.iter().chain([&text.len()])) {
        array.set(k, js_string(env, &text[start..end])?)?;
        start = end;
    }
    Ok(array)
}

thread_local! {
    /// The wire text's buffer, reused from call to call: a new one per call
    /// cost a fresh allocation, and for large results fresh pages to fault in
    /// (page faults, here, in the core's allocations and in V8's string, were
    /// over a third of `__ingestWire`'s time on a 1 MiB body).
    static WIRE: RefCell<(String, Vec<usize>)> = const { RefCell::new((String::new(), Vec::new())) };
}

/// The largest wire buffer kept between calls (a 1 MiB body needs about 0.6 MiB).
const KEEP: usize = 4 << 20;

/// Where the wire text may be cut: before an alert, once the piece holds this
/// many bytes (well under V8's 128 KiB, see `chunks`, unless one alert is larger).
const CHUNK: usize = 32 << 10;

/// Writes the canonical result into `out` (empty) as one string that
/// alertgate.js (`decode`) turns into the very objects `JSON.parse` of the
/// canonical JSON gives, in a fraction of its time: every value in a fixed
/// order (the canonical key order), each text preceded by its length, so
/// there is nothing to scan, unquote or unescape, and no separator a value
/// could hold.
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
/// Within an alert every value (each text, key or `null` above) has a slot,
/// its position counted from the alert's start. A text that equals the last
/// text at the same slot of an earlier alert of this result is the single
/// character U+007E instead (`Wire::alert_text`): alerts of one group repeat
/// most values (label values, runbook and generator URLs, times), so the text
/// shrinks and JavaScript reuses one string rather than making one per alert.
///
/// A long text is cut before an alert into pieces of at least `CHUNK` bytes;
/// `cuts` gets where each piece after the first starts (see `chunks`).
///
/// `false`, and the caller sends the JSON, for an `explanation` (debugging
/// only), a map key that names a property of `Object.prototype` (`inherited`)
/// or a number beyond `Wire::number`'s range. The test `wire.test.mjs` holds
/// `ingest` to the JSON for every vector.
pub(crate) fn wire(i: &alertgate::Ingest<'_>, out: &mut String, cuts: &mut Vec<usize>) -> bool {
    if i.explanation.is_some() {
        return false;
    }
    // Lengths are first written as byte counts, which are the UTF-16 counts
    // when all text is ASCII (nearly always): one check of the whole text
    // instead of one per value. Otherwise the text is written again, counting.
    let mut w = Wire::new(out, cuts, false);
    w.ingest(i);
    if w.ok && !w.out.is_ascii() {
        w.out.clear();
        w.cuts.clear();
        w = Wire::new(w.out, w.cuts, true);
        w.ingest(i);
    }
    w.ok
}

/// `null` in the wire text.
pub(crate) const NULL: char = '\u{7f}';

/// In an alert, the same text as at this slot before (see `wire`).
pub(crate) const SAME: char = '\u{7e}';

/// The writer of `wire`.
pub(crate) struct Wire<'o, 'a> {
    out: &'o mut String,
    /// Where each piece of the text after the first starts.
    cuts: &'o mut Vec<usize>,
    /// Whether lengths are counted in UTF-16 units (else in bytes).
    utf16: bool,
    /// Cleared when the text cannot hold the result faithfully.
    ok: bool,
    /// The last text written at each slot of an alert (`None`: none yet).
    slots: Vec<Option<&'a str>>,
    /// The slot of the next value of the current alert.
    slot: usize,
}

impl<'o, 'a> Wire<'o, 'a> {
    pub(crate) fn new(out: &'o mut String, cuts: &'o mut Vec<usize>, utf16: bool) -> Self {
        Wire {
            out,
            cuts,
            utf16,
            ok: true,
            slots: Vec::new(),
            slot: 0,
        }
    }

    /// The whole result, in the order of `wire`'s diagram.
    pub(crate) fn ingest(&mut self, i: &'a alertgate::Ingest<'_>) {
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
        let mut piece = 0;
        for (k, a) in i.alerts.iter().enumerate() {
            if k > 0 && self.out.len() - piece >= CHUNK {
                piece = self.out.len();
                self.cuts.push(piece);
            }
            self.slot = 0;
            self.alert_text(&a.title);
            self.alert_opt(a.description.as_deref());
            self.alert_text(a.severity.as_str());
            self.alert_opt(a.severity_raw.as_deref());
            self.alert_text(a.status.as_str());
            self.alert_text(&a.dedup_key);
            self.alert_text(a.dedup_basis.as_str());
            self.alert_opt(a.service.as_deref());
            self.alert_opt(a.host.as_deref());
            self.alert_map(&a.labels);
            self.alert_map(&a.annotations);
            self.alert_opt(a.started_at.as_deref());
            self.alert_opt(a.ended_at.as_deref());
            self.number(a.links.len());
            for l in &a.links {
                self.alert_text(&l.rel);
                self.alert_text(&l.href);
            }
            self.alert_opt(a.source_ref.as_deref());
        }
        self.number(i.warnings.len());
        for w in &i.warnings {
            self.text(w.code.as_str());
            self.text(&w.message);
        }
    }

    /// A number below 96 as one character of that code; up to 122879 as
    /// three: `0x60 + n / 4096`, then two of 6 bits each (alertgate.js `num`),
    /// so the first is below `SAME`. Beyond that the result goes as JSON; the
    /// core cuts texts to a few thousand characters, so only a map of that
    /// many keys could get there.
    pub(crate) fn number(&mut self, n: usize) {
        let ascii = |b: usize| char::from(u8::try_from(b).unwrap_or(0));
        if n < 0x60 {
            self.out.push(ascii(n));
        } else if n < 30 << 12 {
            self.out.push(ascii(0x60 + (n >> 12)));
            self.out.push(ascii((n >> 6) & 63));
            self.out.push(ascii(n & 63));
        } else {
            self.ok = false;
        }
    }

    pub(crate) fn text(&mut self, s: &str) {
        let units = if self.utf16 {
            s.encode_utf16().count()
        } else {
            s.len()
        };
        self.number(units);
        self.out.push_str(s);
    }

    pub(crate) fn opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.out.push(NULL),
        }
    }

    pub(crate) fn map(&mut self, m: &alertgate::StrMap<'_>) {
        self.number(m.len());
        for (k, v) in m {
            if inherited(k) {
                self.ok = false;
            }
            self.text(k);
            self.text(v);
        }
    }

    /// A text of an alert: `SAME` when its slot last held the very same text.
    pub(crate) fn alert_text(&mut self, s: &'a str) {
        let i = self.slot;
        self.slot += 1;
        if self.slots.len() <= i {
            self.slots.resize(i + 1, None);
        }
        if self.slots[i] == Some(s) {
            self.out.push(SAME);
        } else {
            self.slots[i] = Some(s);
            self.text(s);
        }
    }

    /// A nullable text of an alert; a `null` takes a slot too, and leaves it as it was.
    pub(crate) fn alert_opt(&mut self, s: Option<&'a str>) {
        match s {
            Some(s) => self.alert_text(s),
            None => {
                self.slot += 1;
                self.out.push(NULL);
            }
        }
    }

    pub(crate) fn alert_map(&mut self, m: &'a alertgate::StrMap<'_>) {
        self.number(m.len());
        for (k, v) in m {
            if inherited(k) {
                self.ok = false;
            }
            self.alert_text(k);
            self.alert_text(v);
        }
    }
}

/// Whether `key` names a property of `Object.prototype`, where a plain
/// assignment (`out[key] = value`, as alertgate.js builds maps) does not
/// simply make the key: `__proto__` sets the prototype, and the others are
/// read-only once `Object.prototype` is frozen. `JSON.parse` defines them.
pub(crate) fn inherited(key: &str) -> bool {
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
