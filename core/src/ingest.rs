//! The entry point: limits, body format, tier, detection, then the sender's parser.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::builder::{BodyText, Builder};
use crate::json::{self, Kind, Num, Probe};
use crate::sources::{Headers, SENDERS, Sender};
use crate::{
    DetectedBy, DetectionStep, Error, Explanation, Ingest, Options, Request, Source, WarningCode,
    form,
};

/// A body, read once into the form senders work on.
#[derive(Debug)]
pub(crate) enum Payload<'a> {
    /// A JSON object (the text, and what the probe saw of it).
    Json { text: &'a str, probe: Probe<'a> },
    /// Form fields (urlencoded, or multipart text parts), in order.
    Form(Vec<(Cow<'a, str>, Cow<'a, str>)>),
    /// Anything else, as text.
    Text(&'a str),
}

impl<'a> Payload<'a> {
    /// The JSON text and probe, or a mismatch for the sender.
    pub fn json(&self, b: &Builder<'_, '_>) -> Result<(&'a str, &Probe<'a>), Error> {
        match self {
            Payload::Json { text, probe } => Ok((text, probe)),
            Payload::Form(_) => Err(b.mismatch("expected a JSON object, got form data")),
            Payload::Text(_) => Err(b.mismatch("expected a JSON object, got plain text")),
        }
    }

    /// A mismatch naming the first of `fields` missing at the top level, if any.
    /// The fields are remembered: a value of the wrong type there is never
    /// skipped (see `parse_lenient`).
    pub fn require(
        &self,
        b: &mut Builder<'_, '_>,
        fields: &'static [&'static str],
    ) -> Result<(), Error> {
        b.required = fields;
        let (_, probe) = self.json(b)?;
        match fields.iter().find(|f| probe.kind(f).is_none()) {
            Some(f) => Err(b.mismatch(format!("missing required field '{f}'"))),
            None => Ok(()),
        }
    }
}

/// Reads one webhook request into a canonical [`Ingest`].
///
/// The body is checked against the limits, read as JSON, form data or plain
/// text, attributed to a sender (the hint, else headers, else the payload's
/// shape, else `generic`) and mapped to canonical alerts.
///
/// ```
/// use alertgate::{ingest, Options, Request, Severity, Status};
///
/// let body = br#"{"summary": "Disk full on db1", "severity": "high", "status": "triggered"}"#;
/// let out = ingest(&Request::new(body), &Options::default()).unwrap();
/// assert_eq!(out.alerts[0].title, "Disk full on db1");
/// assert_eq!(out.alerts[0].severity, Severity::Critical);
/// assert_eq!(out.alerts[0].status, Status::Triggered);
/// ```
pub fn ingest<'a>(req: &Request<'a>, opts: &Options) -> Result<Ingest<'a>, Error> {
    check_options(opts)?;
    let limits = opts.limits;
    if req.body.len() > limits.max_body_bytes {
        return Err(Error::PayloadTooLarge {
            size: req.body.len(),
            limit: limits.max_body_bytes,
        });
    }
    let body = req.body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(req.body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::EmptyBody);
    }
    // The first sender whose headers match, worked out once for both paths
    // (a hint or a mapping decides without headers).
    let header = (opts.source_hint.is_none() && opts.mapping.is_none())
        .then(|| {
            let headers = Headers::new(req);
            SENDERS
                .iter()
                .filter(|s| !s.header_rule.is_empty())
                .find_map(|s| (s.by_header)(&headers).map(|reason| (s, reason)))
        })
        .flatten();
    if let Some(out) = one_pass(req, body, opts, header) {
        return Ok(out);
    }
    let payload = read_payload(body, req.effective_content_type(), limits.max_depth)?;

    let mut b = Builder::new(opts, req.headers, Source::Generic);
    if let Payload::Json { text, probe } = &payload {
        b.tape = probe.tape.clone().map(|tape| (*text, tape));
    }
    b.body = Some(match &payload {
        Payload::Json { text, .. } => BodyText::Json(text),
        Payload::Form(fields) => BodyText::Found(crate::sources::human_title(
            fields.iter().map(|(k, v)| (&**k, &**v)),
        )),
        Payload::Text(_) => BodyText::Found(None),
    });
    let tier = match &payload {
        Payload::Json { probe, .. } => tier(probe.tier, opts.max_tier, &mut b),
        _ => None,
    };

    let mut steps = Vec::new();
    let (detected_by, reason) = run(header, &payload, &mut b, &mut steps)?;
    let warnings = b.finish_warnings();
    let explanation = opts.explain.then(|| Explanation {
        detection: steps,
        fields: core::mem::take(&mut b.origins),
    });
    Ok(Ingest {
        source: b.source,
        detected_by,
        detection_reason: reason,
        tier,
        group_key: b.group_key,
        notice: b.notice,
        annotations: core::mem::take(&mut b.annotations),
        alerts: b.alerts,
        warnings,
        explanation,
    })
}

/// The one-pass path: a JSON body whose sender is named up front (by the hint
/// or by its headers) and has a one-pass reader is read in a single walk, with
/// no probe. `None` hands the request to the general path, which then gives
/// the same answer the long way (or the error).
fn one_pass<'a>(
    req: &Request<'a>,
    body: &'a [u8],
    opts: &Options,
    header: Option<(&Sender, &'static str)>,
) -> Option<Ingest<'a>> {
    if opts.explain || opts.mapping.is_some() {
        return None;
    }
    let ct = req.effective_content_type().unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    // Every other content type ends up read as JSON when the body is a JSON object.
    if essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let (source, by_header) = match (opts.source_hint, header) {
        (Some(source), _) => (source, None),
        (None, Some((s, reason))) => (s.source, Some(reason)),
        (None, None) => return None,
    };
    let read = crate::sources::one_pass(source)?;
    let text = core::str::from_utf8(body).ok()?;
    let mut b = Builder::new(opts, req.headers, source);
    b.text_has_no_nul();
    if !read(text, &mut b) {
        return None;
    }
    let (detected_by, reason) = match by_header {
        Some(reason) => (DetectedBy::Header, String::from(reason)),
        None => (DetectedBy::Hint, format!("source_hint {source}")),
    };
    let warnings = b.finish_warnings();
    Some(Ingest {
        source,
        detected_by,
        detection_reason: reason,
        tier: None,
        group_key: b.group_key,
        notice: b.notice,
        annotations: b.annotations,
        alerts: b.alerts,
        warnings,
        explanation: None,
    })
}

fn check_options(opts: &Options) -> Result<(), Error> {
    let bad = |message: &str| {
        Err(Error::InvalidConfig {
            message: String::from(message),
        })
    };
    if opts.max_tier < 1 {
        return bad("max_tier must be at least 1");
    }
    // serde_json refuses nesting past 128 on its own.
    if !(1..=128).contains(&opts.limits.max_depth) {
        return bad("limits.max_depth must be between 1 and 128");
    }
    if opts.mapping.is_some() && opts.source_hint.is_some() {
        return bad("set either source_hint or mapping, not both");
    }
    if opts.limits.max_title_chars < 1 {
        return bad("limits.max_title_chars must be at least 1");
    }
    Ok(())
}

/// Attributes the payload to a sender and runs its parser; in explain mode,
/// `steps` records every rule tried.
fn run<'a>(
    header: Option<(&Sender, &'static str)>,
    payload: &Payload<'a>,
    b: &mut Builder<'_, 'a>,
    steps: &mut Vec<DetectionStep>,
) -> Result<(DetectedBy, String), Error> {
    let explain = b.explaining();
    let mut step =
        |source: Source, by: DetectedBy, rule: &str, matched: bool, note: Option<String>| {
            if explain {
                steps.push(DetectionStep {
                    source,
                    by,
                    rule: String::from(rule),
                    matched,
                    note,
                });
            }
        };

    if let Some(mapping) = &b.opts.mapping {
        step(Source::Generic, DetectedBy::Hint, "mapping", true, None);
        b.source = Source::Generic;
        mapping.apply(payload, b)?;
        return Ok((DetectedBy::Hint, format!("mapping {}", mapping.name())));
    }
    if let Some(source) = b.opts.source_hint {
        step(source, DetectedBy::Hint, "source_hint", true, None);
        let sender = sender(source).ok_or(Error::UnsupportedSource { source })?;
        b.source = source;
        parse_lenient(sender, payload, b)?;
        return Ok((DetectedBy::Hint, format!("source_hint {source}")));
    }

    for s in SENDERS.iter().filter(|s| !s.header_rule.is_empty()) {
        let Some(reason) = header
            .filter(|(h, _)| core::ptr::eq(*h, s))
            .map(|(_, reason)| reason)
        else {
            step(s.source, DetectedBy::Header, s.header_rule, false, None);
            continue;
        };
        b.source = s.source;
        let mark = Mark::of(b);
        match parse_lenient(s, payload, b) {
            Ok(()) => {
                step(s.source, DetectedBy::Header, s.header_rule, true, None);
                return Ok((DetectedBy::Header, String::from(reason)));
            }
            Err(Error::PayloadMismatch { message, .. }) => {
                // A sender may use a custom template; read the body on its merits.
                mark.reset(b);
                let note = format!("{reason}, but the payload is not a {}: {message}", s.source);
                step(
                    s.source,
                    DetectedBy::Header,
                    s.header_rule,
                    true,
                    Some(note.clone()),
                );
                b.warn(WarningCode::HeaderMismatch, note);
                break;
            }
            Err(e) => return Err(e),
        }
    }

    let mut fallback = String::from("no sender matched");
    for s in SENDERS.iter().filter(|s| !s.shape_rule.is_empty()) {
        if let Some(reason) = (s.by_shape)(payload) {
            b.source = s.source;
            let mark = Mark::of(b);
            match parse_lenient(s, payload, b) {
                Ok(()) => {
                    step(s.source, DetectedBy::Shape, reason, true, None);
                    return Ok((DetectedBy::Shape, String::from(reason)));
                }
                Err(Error::PayloadMismatch { message, .. }) => {
                    // The shape said who sent it, but the body cannot be read
                    // that way: keep the alert, read generically.
                    mark.reset(b);
                    let note =
                        format!("{reason}, but the payload is not a {}: {message}", s.source);
                    step(
                        s.source,
                        DetectedBy::Shape,
                        reason,
                        true,
                        Some(note.clone()),
                    );
                    b.warn(WarningCode::ShapeMismatch, note);
                    fallback = format!(
                        "the payload looked like {} but could not be read as one",
                        s.source
                    );
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        step(s.source, DetectedBy::Shape, s.shape_rule, false, None);
    }

    step(Source::Generic, DetectedBy::Fallback, &fallback, true, None);
    b.source = Source::Generic;
    let generic = sender(Source::Generic).ok_or(Error::UnsupportedSource {
        source: Source::Generic,
    })?;
    (generic.parse)(payload, b)?;
    Ok((DetectedBy::Fallback, fallback))
}

/// How many fields of one body may be skipped before it counts as unreadable.
const MAX_IGNORED_FIELDS: usize = 16;

/// What a builder held before a sender tried the payload, to undo the attempt.
struct Mark {
    alerts: usize,
    warnings: usize,
    origins: usize,
}

impl Mark {
    fn of(b: &Builder<'_, '_>) -> Self {
        Mark {
            alerts: b.alerts.len(),
            warnings: b.warnings.len(),
            origins: b.origins.len(),
        }
    }

    fn reset(&self, b: &mut Builder<'_, '_>) {
        b.alerts.truncate(self.alerts);
        b.warnings.truncate(self.warnings);
        b.origins.truncate(self.origins);
        b.group_key = None;
        b.notice = None;
        b.annotations.clear();
        b.type_error = None;
        b.required = &[];
    }
}

/// Runs a sender's parser; when it fails on a value of an unexpected type
/// (a string where an object was documented, `"None"` for null …), that value
/// is read as `null` and the body read again, with a `field_ignored` warning
/// naming its JSON Pointer. A value that is still wrong as `null` (a required
/// one, or an element of a list) is skipped with its parent, never the root.
fn parse_lenient<'a>(
    s: &Sender,
    payload: &Payload<'a>,
    b: &mut Builder<'_, 'a>,
) -> Result<(), Error> {
    let mark = Mark::of(b);
    b.type_error = None;
    let first = match (s.parse)(payload, b) {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    let (Payload::Json { text, .. }, Error::PayloadMismatch { message, .. }) = (payload, &first)
    else {
        return Err(first);
    };
    // Only a type error in the body itself can be skipped (not one in a
    // document the sender found inside a string).
    let at = |e: Option<(usize, usize, usize)>, t: &str| {
        e.filter(|e| e.0 == t.as_ptr() as usize)
            .map(|(_, line, column)| (line, column))
    };
    let mut error = at(b.type_error.take(), text);
    let required = b.required;
    let mut last_message = message.clone();
    let mut patched = String::from(*text);
    // (pointer, what was wrong) of each value read as null so far.
    let mut ignored: Vec<(String, String)> = Vec::new();
    while let Some((line, column)) = error {
        if ignored.len() >= MAX_IGNORED_FIELDS {
            break;
        }
        let chain = json::values_at(&patched, json::offset_of(&patched, line, column));
        // The innermost value not already read as null (its parent when it
        // was: a required field or a list element), never the root.
        let Some(pick) = chain
            .iter()
            .skip(1)
            .rev()
            .find(|v| !ignored.iter().any(|(p, _)| *p == v.pointer))
        else {
            break;
        };
        // What the sender cannot do without is not optional.
        if required
            .iter()
            .any(|r| pick.pointer.strip_prefix('/') == Some(*r))
        {
            break;
        }
        let below = format!("{}/", pick.pointer);
        let why = ignored
            .iter()
            .find(|(p, _)| p.starts_with(&below))
            .map_or_else(
                || match last_message.rfind(" at line ") {
                    Some(cut) => String::from(&last_message[..cut]),
                    None => last_message.clone(),
                },
                |(_, w)| w.clone(),
            );
        ignored.retain(|(p, _)| !p.starts_with(&below));
        ignored.push((pick.pointer.clone(), why));
        patched.replace_range(pick.start..pick.end, "null");

        let probe = json::probe(&patched, b.opts.limits.max_depth)?;
        let retry = Payload::Json {
            text: &patched,
            probe,
        };
        mark.reset(b);
        let mut sub = b.scoped();
        sub.body = Some(BodyText::Json(&patched));
        match (s.parse)(&retry, &mut sub) {
            Ok(()) => {
                for (pointer, why) in &ignored {
                    b.warn(
                        WarningCode::FieldIgnored,
                        format!("field '{pointer}' ignored: {why}"),
                    );
                }
                b.absorb(sub);
                return Ok(());
            }
            Err(Error::PayloadMismatch { message, .. }) => {
                error = at(sub.type_error, &patched);
                last_message = message;
            }
            Err(e) => return Err(e),
        }
    }
    mark.reset(b);
    Err(first)
}

fn sender(source: Source) -> Option<&'static Sender> {
    SENDERS.iter().find(|s| s.source == source)
}

/// How the body is read, from the content type.
fn read_payload<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
    max_depth: usize,
) -> Result<Payload<'a>, Error> {
    let ct = content_type.unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    let is = |name: &str| essence.eq_ignore_ascii_case(name);

    if is("multipart/form-data") {
        if let Some(fields) = form::boundary(ct).and_then(|bd| form::multipart(body, bd)) {
            return multipart_payload(fields?, max_depth);
        }
        // A multipart type with an unreadable body: read it on its merits.
        return sniff(body, max_depth);
    }
    let text = utf8(body)?;
    let essence_lower_has_json = essence
        .as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"json"));
    if essence_lower_has_json {
        let probe = json::probe(text, max_depth)?;
        return Ok(Payload::Json { text, probe });
    }
    if is("application/x-www-form-urlencoded") {
        // Some senders post JSON with curl's default form type.
        if looks_like_json(text) {
            return sniff(body, max_depth);
        }
        return Ok(Payload::Form(form::urlencoded(text.as_bytes())));
    }
    sniff(body, max_depth)
}

/// Text that might be JSON is read as JSON when it parses, else as plain text.
fn sniff(body: &[u8], max_depth: usize) -> Result<Payload<'_>, Error> {
    let text = utf8(body)?;
    if looks_like_json(text) {
        match json::probe(text, max_depth) {
            Ok(probe) => {
                return Ok(Payload::Json { text, probe });
            }
            Err(Error::InvalidJson { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Payload::Text(text))
}

/// Uptime Kuma's multipart mode sends its JSON in one field named `data`.
fn multipart_payload<'a>(fields: form::Fields<'a>, max_depth: usize) -> Result<Payload<'a>, Error> {
    if let Some(&(_, data)) = fields
        .iter()
        .find(|(name, data)| name == "data" && looks_like_json(data))
    {
        let probe = json::probe(data, max_depth)?;
        return Ok(Payload::Json { text: data, probe });
    }
    Ok(Payload::Form(
        fields
            .into_iter()
            .map(|(k, v)| (k, Cow::Borrowed(v)))
            .collect(),
    ))
}

fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['))
}

fn utf8(body: &[u8]) -> Result<&str, Error> {
    core::str::from_utf8(body).map_err(|e| Error::InvalidUtf8 {
        offset: e.valid_up_to(),
    })
}

/// Applies the tier rules to a top-level `tier` value.
fn tier(raw: Option<(Kind, Option<Num>)>, max_tier: u32, b: &mut Builder<'_, '_>) -> Option<u32> {
    let (kind, num) = raw?;
    // Integral floats (2.0, 1e30) count as integers; JSON does not tell them apart.
    let value: Option<i128> = match num {
        Some(Num::U(u)) => Some(i128::from(u)),
        Some(Num::I(i)) => Some(i128::from(i)),
        // `as` saturates, and every float this large is integral.
        Some(Num::F(f)) if f.is_finite() && (f.abs() >= 1e38 || (f as i128) as f64 == f) => {
            Some(f as i128)
        }
        _ => None,
    };
    match (kind, value) {
        (Kind::Null, _) => None,
        (_, Some(v)) if v < 1 => {
            b.warn(
                WarningCode::TierOutOfRange,
                format!("tier {v} is below 1; using 1"),
            );
            Some(1)
        }
        (_, Some(v)) if v > i128::from(max_tier) => {
            b.warn(
                WarningCode::TierClamped,
                format!("tier {v} is above max_tier {max_tier}; using {max_tier}"),
            );
            Some(max_tier)
        }
        (_, Some(v)) => u32::try_from(v).ok(),
        (kind, None) => {
            let what = match kind {
                Kind::Number => "a fraction",
                other => other.name(),
            };
            b.warn(
                WarningCode::TierInvalid,
                format!("tier must be an integer, not {what}; ignored"),
            );
            None
        }
    }
}
