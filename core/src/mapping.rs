//! Custom mappings: a declarative description, loaded from JSON, of how an
//! unknown sender's payload maps to canonical fields.
//!
//! ```json
//! {"name": "acme", "alerts": "/events",
//!  "title": ["/check/name", "/name"], "description": "/output",
//!  "status": {"from": "/state", "values": {"0": "resolved", "2": "triggered"}, "default": "triggered"},
//!  "severity": {"from": "/level", "values": {"3": "critical"}},
//!  "service": "#/service", "labels": "/tags", "annotations": {"runbook": "/runbook"},
//!  "links": {"details": "/url"}, "dedup": ["#/host", "/check/id"]}
//! ```
//!
//! Pointers are JSON Pointers (RFC 6901). With `alerts`, each element maps
//! relative to itself and `#/…` points from the document root.

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::str::FromStr;

use serde_json::{Map, Value};

use crate::builder::{Builder, Draft};
use crate::ingest::Payload;
use crate::{Error, Status, vocab};

/// The canonical text fields a mapping can fill.
const TEXT_FIELDS: &[&str] = &[
    "title",
    "description",
    "severity",
    "status",
    "service",
    "host",
    "started_at",
    "ended_at",
    "source_ref",
];

/// A pointer list, with an optional value table and default.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldSpec {
    from: Vec<String>,
    values: BTreeMap<String, String>,
    default: Option<String>,
}

/// Where labels or annotations come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PairsSpec {
    /// Pointers to an object whose scalar members become pairs (first present wins).
    Object(Vec<String>),
    /// Named pairs: name → pointer.
    Named(Vec<(String, String)>),
}

/// A custom mapping for a sender alertgate does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    name: String,
    alerts: Option<String>,
    fields: Vec<(&'static str, FieldSpec)>,
    labels: Option<PairsSpec>,
    annotations: Option<PairsSpec>,
    links: Vec<(&'static str, String)>,
    dedup: Vec<String>,
}

fn invalid(message: String) -> Error {
    Error::InvalidMapping { message }
}

/// Checks RFC 6901 syntax; `#` marks a root pointer inside `alerts` mode.
fn check_pointer(field: &str, p: &str) -> Result<String, Error> {
    let body = p.strip_prefix('#').unwrap_or(p);
    let bad_escape = body
        .split('~')
        .skip(1)
        .any(|rest| !rest.starts_with('0') && !rest.starts_with('1'));
    if !(body.is_empty() || body.starts_with('/')) || bad_escape {
        return Err(invalid(format!(
            "{field}: '{}' is not a JSON Pointer (like \"/monitor/name\")",
            crate::text::bounded(p, 80)
        )));
    }
    Ok(String::from(p))
}

fn pointers(field: &str, v: &Value) -> Result<Vec<String>, Error> {
    match v {
        Value::String(p) => Ok(alloc::vec![check_pointer(field, p)?]),
        Value::Array(list) if !list.is_empty() => list
            .iter()
            .map(|p| match p {
                Value::String(p) => check_pointer(field, p),
                _ => Err(invalid(format!("{field}: pointers must be strings"))),
            })
            .collect(),
        _ => Err(invalid(format!(
            "{field}: expected a JSON Pointer or a list of them"
        ))),
    }
}

fn field_spec(field: &'static str, v: &Value) -> Result<FieldSpec, Error> {
    let Value::Object(obj) = v else {
        return Ok(FieldSpec {
            from: pointers(field, v)?,
            values: BTreeMap::new(),
            default: None,
        });
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "from" | "values" | "default"))
    {
        return Err(invalid(format!(
            "{field}: unknown key '{}' (from, values, default)",
            crate::text::bounded(k, 40)
        )));
    }
    let from = match obj.get("from") {
        Some(v) => pointers(field, v)?,
        None if obj.contains_key("default") => Vec::new(),
        None => return Err(invalid(format!("{field}: 'from' is required"))),
    };
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(v.to_string()),
        _ => None,
    };
    let mut values = BTreeMap::new();
    if let Some(table) = obj.get("values") {
        let Value::Object(table) = table else {
            return Err(invalid(format!("{field}: 'values' must be an object")));
        };
        for (k, v) in table {
            let v = text(v)
                .ok_or_else(|| invalid(format!("{field}: values['{k}'] must be a string")))?;
            check_word(field, &v)?;
            values.insert(k.clone(), v);
        }
    }
    let default = match obj.get("default") {
        Some(v) => {
            let d =
                text(v).ok_or_else(|| invalid(format!("{field}: 'default' must be a string")))?;
            check_word(field, &d)?;
            Some(d)
        }
        None => None,
    };
    Ok(FieldSpec {
        from,
        values,
        default,
    })
}

/// Status and severity tables must produce words the vocabulary knows.
fn check_word(field: &str, word: &str) -> Result<(), Error> {
    let known = match field {
        "status" => vocab::status(word).is_some(),
        "severity" => vocab::severity(word).is_some(),
        _ => true,
    };
    if known {
        Ok(())
    } else {
        Err(invalid(format!(
            "{field}: '{}' is not a {field} word",
            crate::text::bounded(word, 40)
        )))
    }
}

fn pairs_spec(field: &str, v: &Value) -> Result<PairsSpec, Error> {
    match v {
        Value::Object(named) => named
            .iter()
            .map(|(name, p)| match p {
                Value::String(p) => Ok((name.clone(), check_pointer(field, p)?)),
                _ => Err(invalid(format!("{field}.{name}: expected a JSON Pointer"))),
            })
            .collect::<Result<_, _>>()
            .map(PairsSpec::Named),
        other => pointers(field, other).map(PairsSpec::Object),
    }
}

impl Mapping {
    /// Loads a mapping from its JSON text; an invalid mapping is `invalid_mapping`
    /// naming the offending field and pointer.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let root: Value =
            serde_json::from_str(json).map_err(|e| invalid(format!("not JSON: {e}")))?;
        let Value::Object(obj) = root else {
            return Err(invalid(String::from("a mapping is a JSON object")));
        };
        let mut m = Mapping {
            name: String::from("custom"),
            alerts: None,
            fields: Vec::new(),
            labels: None,
            annotations: None,
            links: Vec::new(),
            dedup: Vec::new(),
        };
        for (key, v) in &obj {
            match key.as_str() {
                "name" => match v {
                    Value::String(n) if !n.trim().is_empty() => m.name = n.trim().into(),
                    _ => return Err(invalid(String::from("name: expected a non-empty string"))),
                },
                "alerts" => match v {
                    Value::String(p) if !p.starts_with('#') => {
                        m.alerts = Some(check_pointer("alerts", p)?);
                    }
                    _ => return Err(invalid(String::from("alerts: expected a JSON Pointer"))),
                },
                "labels" => m.labels = Some(pairs_spec("labels", v)?),
                "annotations" => m.annotations = Some(pairs_spec("annotations", v)?),
                "links" => {
                    let Value::Object(links) = v else {
                        return Err(invalid(String::from(
                            "links: expected an object of rel → JSON Pointer",
                        )));
                    };
                    for (rel, p) in links {
                        let Value::String(p) = p else {
                            return Err(invalid(format!("links.{rel}: expected a JSON Pointer")));
                        };
                        let Some(rel) = link_rel(rel) else {
                            return Err(invalid(format!(
                                "links: unknown rel '{}' (one of {})",
                                crate::text::bounded(rel, 40),
                                RELS.join(", ")
                            )));
                        };
                        m.links.push((rel, check_pointer("links", p)?));
                    }
                }
                "dedup" => m.dedup = pointers("dedup", v)?,
                other => match TEXT_FIELDS.iter().find(|f| **f == other) {
                    Some(field) => m.fields.push((field, field_spec(field, v)?)),
                    None => {
                        return Err(invalid(format!(
                            "unknown key '{}' (fields: name, alerts, {}, labels, annotations, links, dedup)",
                            crate::text::bounded(other, 40),
                            TEXT_FIELDS.join(", ")
                        )));
                    }
                },
            }
        }
        Ok(m)
    }

    /// The mapping's name (used in `detection_reason`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads the payload with this mapping.
    pub(crate) fn apply(&self, p: &Payload<'_>, b: &mut Builder<'_, '_>) -> Result<(), Error> {
        let root = match p {
            Payload::Json { text, .. } => {
                serde_json::from_str::<Value>(text).map_err(|e| b.mismatch(e.to_string()))?
            }
            Payload::Form(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                    .collect::<Map<_, _>>(),
            ),
            Payload::Text(_) => {
                return Err(b.mismatch("a mapping reads JSON or form bodies, not plain text"));
            }
        };
        let Some(array) = &self.alerts else {
            let d = self.draft(&root, &root, b.draft(), b);
            return b.push(d);
        };
        match root.pointer(array) {
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let mut d = b.draft();
                    if d.explain {
                        d.base = Cow::Owned(format!("{array}/{i}"));
                    }
                    let d = self.draft(item, &root, d, b);
                    b.push(d)?;
                }
                Ok(())
            }
            Some(Value::Null) => Ok(()),
            Some(_) => Err(b.mismatch(format!("'{array}' is not an array"))),
            None => Err(b.mismatch(format!("missing required field '{array}'"))),
        }
    }

    fn draft<'a>(
        &self,
        item: &Value,
        root: &Value,
        mut d: Draft<'a>,
        b: &mut Builder<'_, '_>,
    ) -> Draft<'a> {
        let get = |p: &str| -> Option<String> {
            let v = match p.strip_prefix('#') {
                Some(abs) => root.pointer(abs),
                None => item.pointer(p),
            }?;
            match v {
                Value::Null => None,
                Value::String(s) if s.trim().is_empty() => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }
        };
        let mut status_set = false;
        for (field, spec) in &self.fields {
            let found = spec.from.iter().find_map(|p| get(p).map(|v| (p, v)));
            let (raw, mapped) = match &found {
                Some((p, raw)) => {
                    d.origin_with(field, || (*p).clone());
                    (Some(raw.clone()), spec.values.get(raw).cloned())
                }
                None => (None, None),
            };
            let value = mapped.clone().or_else(|| raw.clone()).or_else(|| {
                let dflt = spec.default.clone();
                if dflt.is_some() {
                    d.origin_with(field, || String::from("the mapping's default"));
                }
                dflt
            });
            let Some(value) = value else { continue };
            match *field {
                "status" => {
                    d.status = b.status(Some(&value));
                    status_set = true;
                }
                "severity" => {
                    // The raw value is kept; a table or default decides the level.
                    d.severity_raw = Some(Cow::Owned(raw.unwrap_or_else(|| value.clone())));
                    if mapped.is_some() || found.is_none() {
                        d.explicit_severity = vocab::severity(&value);
                    }
                }
                "title" => d.title = Some(Cow::Owned(value)),
                "description" => d.description = Some(Cow::Owned(value)),
                "service" => d.service = Some(Cow::Owned(value)),
                "host" => d.host = Some(Cow::Owned(value)),
                "started_at" => d.started_at = Some(Cow::Owned(timestamp(value))),
                "ended_at" => d.ended_at = Some(Cow::Owned(timestamp(value))),
                "source_ref" => d.source_ref = Some(Cow::Owned(value)),
                _ => {}
            }
        }
        if !status_set {
            d.status = Status::Triggered;
        }
        d.labels = pairs(&self.labels, item, root, &get);
        if self.labels.is_some() {
            d.origin("labels", "the mapping's labels");
        }
        d.annotations = pairs(&self.annotations, item, root, &get);
        if self.annotations.is_some() {
            d.origin("annotations", "the mapping's annotations");
        }
        for &(rel, ref p) in &self.links {
            if let Some(href) = get(p) {
                d.links.push((rel, Cow::Owned(href)));
            }
        }
        if !self.links.is_empty() {
            d.origin("links", "the mapping's links");
        }
        let parts: Vec<String> = self.dedup.iter().filter_map(|p| get(p)).collect();
        if !parts.is_empty() {
            let key = parts.join(":");
            d.origin_with("dedup_key", || {
                format!("the mapping's dedup: {}", self.dedup.join(" + "))
            });
            if d.source_ref.is_none() {
                d.source_ref = Some(Cow::Owned(key.clone()));
                d.origin("source_ref", "the dedup key");
            }
            d.vendor_key = Some(Cow::Owned(key));
        }
        d
    }
}

impl FromStr for Mapping {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Mapping::from_json(s)
    }
}

/// Unix seconds or milliseconds become RFC 3339; other text is kept as is.
fn timestamp(value: String) -> String {
    let numeric = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    match numeric
        .then(|| crate::text::unix_text_to_rfc3339(&value))
        .flatten()
    {
        Some(t) => t,
        None => value,
    }
}

/// Labels or annotations from their spec.
fn pairs<'a>(
    spec: &Option<PairsSpec>,
    item: &Value,
    root: &Value,
    get: &dyn Fn(&str) -> Option<String>,
) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
    match spec {
        None => Vec::new(),
        Some(PairsSpec::Named(named)) => named
            .iter()
            .filter_map(|(name, p)| Some((Cow::Owned(name.clone()), Cow::Owned(get(p)?))))
            .collect(),
        Some(PairsSpec::Object(ptrs)) => {
            let found = ptrs.iter().find_map(|p| match p.strip_prefix('#') {
                Some(abs) => root.pointer(abs),
                None => item.pointer(p),
            });
            match found {
                Some(Value::Object(obj)) => obj
                    .iter()
                    .filter_map(|(k, v)| {
                        let v = match v {
                            Value::Null => return None,
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        Some((Cow::Owned(k.clone()), Cow::Owned(v)))
                    })
                    .collect(),
                Some(Value::Array(tags)) => {
                    let tags: Vec<String> = tags
                        .iter()
                        .filter_map(|t| t.as_str().map(String::from))
                        .collect();
                    crate::sources::tag_labels(tags.iter().map(String::as_str))
                        .into_iter()
                        .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                        .collect()
                }
                _ => Vec::new(),
            }
        }
    }
}

/// The link rels a mapping may use.
const RELS: &[&str] = &[
    "generator",
    "external",
    "dashboard",
    "panel",
    "silence",
    "image",
    "runbook",
    "target",
    "details",
    "incident",
    "alert",
    "run",
    "issue",
    "service",
    "conference",
    "search",
    "policy",
    "repository",
    "commit",
];

fn link_rel(rel: &str) -> Option<&'static str> {
    RELS.iter().find(|r| r.eq_ignore_ascii_case(rel)).copied()
}
