//! The canonical shape's TypeScript declarations, and a result read back
//! into the core's types (for `templateBrief`, `synthesize`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::args::{given, stringify, to_string};
use crate::errors::{Fail, Fault, R, bad};
use crate::ingest::find;
use alertgate::{
    DedupBasis, DetectedBy, Notice, Options, Request, Severity, Source, Status, WarningCode,
};
use napi::bindgen_prelude::Unknown;
use napi::{Env, ValueType};
use napi_derive::napi;
use serde_json::Value;

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
pub(crate) fn blank() -> Option<&'static (alertgate::Ingest<'static>, alertgate::Alert<'static>)> {
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
pub(crate) struct Fields<'a> {
    map: &'a serde_json::Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(v: &'a Value, path: String) -> Result<Self, String> {
        match v {
            Value::Object(map) => Ok(Fields { map, path }),
            _ => Err(format!("{path} must be an object")),
        }
    }

    pub(crate) fn at(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// A field that must be a string.
    pub(crate) fn text(&self, key: &str) -> Result<String, String> {
        match self.map.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(format!("{} must be a string", self.at(key))),
        }
    }

    /// A string or `null`/absent.
    pub(crate) fn opt_text(&self, key: &str) -> Result<Option<String>, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            _ => Err(format!("{} must be a string or null", self.at(key))),
        }
    }

    /// One of an enum's ids.
    pub(crate) fn word<T: Copy>(
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

    pub(crate) fn string_map(&self, key: &str) -> Result<BTreeMap<String, String>, String> {
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

    pub(crate) fn list(&self, key: &str) -> Result<&'a [Value], String> {
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
pub(crate) fn rebuild(v: &Value) -> Result<alertgate::Ingest<'static>, String> {
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
pub(crate) fn ingest_arg(env: &Env, v: Option<Unknown<'_>>) -> R<alertgate::Ingest<'static>> {
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
