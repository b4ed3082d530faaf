//! Any JSON object, form or plain-text body: the fallback sender.
//!
//! JSON and form fields are mapped by name (first present wins); `group_key`
//! becomes the ingest's group key; every field not used is kept as an annotation. Plain text: the first non-empty line is
//! the title, the rest the description, and a leading CRITICAL/ERROR/WARN/INFO
//! word sets the severity.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Deserialize;
use serde_json::Value;

use super::{Sender, no_header, no_shape, tag_labels};
use crate::builder::{Builder, Draft};
use crate::ingest::Payload;
use crate::json::Text;
use crate::{Error, Status};

pub(crate) const SENDER: Sender = Sender {
    source: crate::Source::Generic,
    header_rule: "",
    by_header: no_header,
    shape_rule: "",
    by_shape: no_shape,
    parse,
};

/// Keys whose text a person wrote as a title, best first; `*_friendly_name`
/// keys and the first line of `message` or `description` come after them.
const TITLE: &[&str] = &[
    "title",
    "summary",
    "subject",
    "alertname",
    "alert_name",
    "alertName",
    "event",
    "name",
    "check",
    "trigger",
];
/// Of the title keys, those that some senders fill with a status word instead.
const TITLE_OR_STATUS: &[&str] = &["event", "check", "trigger"];
/// Last resort before a made-up title: the first line of these.
const TITLE_TEXT: &[&str] = &["message", "description"];
const SEVERITY: &[&str] = &["severity", "level", "priority"];
const STATUS: &[&str] = &["status", "action", "state", "event_action"];
const DEDUP: &[&str] = &["dedup_key", "id", "alert_id", "alias", "fingerprint"];
const ORIGIN: &[&str] = &["source", "origin", "system"];
const SERVICE: &[&str] = &["service"];
const HOST: &[&str] = &["host", "hostname"];
const DESCRIPTION: &[&str] = &["description", "details", "error"];
const STARTED: &[&str] = &["started_at", "timestamp"];
const LINK: &[&str] = &["url", "link"];
const LABELS: &[&str] = &["labels", "tags"];
const GROUP: &[&str] = &["group_key"];

/// The human text among a body's top-level text fields, as a title:
/// `(origin, text)`, the origin being the key's JSON Pointer. Order: the
/// [`TITLE`] keys, a `*_friendly_name` key, then the first line of `message` or
/// `description`. Status words (`trigger: "firing"`) do not count.
pub(crate) fn human_title<'k>(
    pairs: impl Iterator<Item = (&'k str, &'k str)> + Clone,
) -> Option<(String, String)> {
    let usable = |k: &str, v: &str| {
        let v = v.trim();
        let status_word = TITLE_OR_STATUS.contains(&k) && crate::vocab::status(v).is_some();
        !v.is_empty() && !status_word
    };
    let found = TITLE
        .iter()
        .find_map(|name| pairs.clone().find(|&(k, v)| k == *name && usable(k, v)))
        .or_else(|| {
            pairs.clone().find(|&(k, v)| {
                (k.ends_with("_friendly_name") || k.ends_with("FriendlyName"))
                    && !k.starts_with("alert")
                    && usable(k, v)
            })
        });
    if let Some((k, v)) = found {
        return Some((format!("/{k}"), String::from(v.trim())));
    }
    TITLE_TEXT.iter().find_map(|name| {
        let (k, v) = pairs.clone().find(|&(k, v)| k == *name && usable(k, v))?;
        let line = v.lines().map(str::trim).find(|l| !l.is_empty())?;
        Some((format!("/{k} (first line)"), String::from(line)))
    })
}

/// [`human_title`] over a JSON object body's top-level members.
pub(crate) fn human_title_json(text: &str) -> Option<(String, String)> {
    let members = serde_json::from_str::<Members<'_>>(text).ok()?;
    let texts: Vec<(&str, &str)> = members
        .0
        .iter()
        .filter_map(|(k, v)| match v {
            Some(Field::Text(t)) => Some((&**k, &**t)),
            _ => None,
        })
        .collect();
    human_title(texts.iter().copied())
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    match p {
        Payload::Text(text) => b.push(plain_text(text, b.draft())),
        Payload::Form(fields) => {
            let fields = fields
                .iter()
                .map(|(k, v)| (k.clone(), Field::Text(v.clone())))
                .collect();
            push_fields(fields, false, b)
        }
        Payload::Json { text, .. } => {
            let fields = serde_json::from_str::<Members<'a>>(text)
                .map_err(|e| b.mismatch(e.to_string()))?
                .into_fields();
            push_fields(fields, true, b)
        }
    }
}

/// A JSON body's top-level members as read, in document order: keys and text
/// borrowed from the body where they have no escapes (a `Map<String, Value>`
/// had copied every one), nested values as trees with their secrets redacted
/// (unmapped fields become annotations: nested secrets must not ride along).
struct Members<'a>(Vec<(Cow<'a, str>, Option<Field<'a>>)>);

impl<'a> Members<'a> {
    /// The fields as a `Map` would hold them: sorted by key, the last of a
    /// repeated key winning, nulls dropped.
    fn into_fields(mut self) -> Vec<(Cow<'a, str>, Field<'a>)> {
        // Stable: repeats of a key stay in document order, the last one last.
        self.0.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Cow<'a, str>, Option<Field<'a>>)> = Vec::with_capacity(self.0.len());
        for (k, v) in self.0 {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        out.into_iter().filter_map(|(k, v)| Some((k, v?))).collect()
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                // serde_json's `Map` wording: the errors read as they did.
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some((k, v)) = map.next_entry::<Text<'de>, Member<'de>>()? {
                    out.push((k.0, v.0));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// One top-level member's value: what `Field::from_json` makes of it.
struct Member<'a>(Option<Field<'a>>);

impl Member<'_> {
    /// A nested object or array, its secrets redacted.
    fn nested(mut v: Value) -> Self {
        crate::redact_json(&mut v);
        Member(Some(Field::Nested(v)))
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Member<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Member<'de>;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Member(None))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Member(Some(Field::Text(Cow::Borrowed(v)))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Member(Some(Field::Text(Cow::Owned(String::from(v))))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Member(Some(Field::Text(Cow::Owned(v)))))
            }
            // Scalars as `Value::to_string` writes them (what `Field::from_json` does).
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                let text = if v { "true" } else { "false" };
                Ok(Member(Some(Field::Text(Cow::Borrowed(text)))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Member(Field::from_json(Value::from(v))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Member(Field::from_json(Value::from(v))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Member(Field::from_json(Value::from(v))))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                Value::deserialize(MapAccessDeserializer::new(map)).map(Member::nested)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                Value::deserialize(SeqAccessDeserializer::new(seq)).map(Member::nested)
            }
        }
        d.deserialize_any(V)
    }
}

/// A field's value: text, or a nested JSON object/array.
enum Field<'a> {
    Text(Cow<'a, str>),
    Nested(Value),
}

impl Field<'_> {
    fn from_json(v: Value) -> Option<Self> {
        Some(match v {
            Value::Null => return None,
            Value::String(s) => Field::Text(Cow::Owned(s)),
            Value::Bool(_) | Value::Number(_) => Field::Text(Cow::Owned(v.to_string())),
            nested => Field::Nested(nested),
        })
    }
}

/// Fields not yet used by the mapping, in order.
struct Fields<'a>(Vec<(Cow<'a, str>, Option<Field<'a>>)>);

impl<'a> Fields<'a> {
    /// The first non-empty text field among `names`, taken out of the set.
    fn take(&mut self, names: &[&'static str]) -> Option<(&'static str, Cow<'a, str>)> {
        names.iter().find_map(|name| {
            let slot = self.0.iter_mut().find(|(k, v)| {
                k == name && matches!(v, Some(Field::Text(t)) if !t.trim().is_empty())
            })?;
            match slot.1.take() {
                Some(Field::Text(t)) => Some((*name, t)),
                _ => None,
            }
        })
    }

    /// The first field among `names` whatever its type, taken out of the set.
    fn take_any(&mut self, names: &[&str]) -> Option<Field<'a>> {
        names.iter().find_map(|name| {
            self.0
                .iter_mut()
                .find(|(k, v)| k == name && v.is_some())?
                .1
                .take()
        })
    }
}

fn push_fields<'a>(
    fields: Vec<(Cow<'a, str>, Field<'a>)>,
    json: bool,
    b: &mut Builder<'_, 'a>,
) -> Result<(), Error> {
    let mut f = Fields(fields.into_iter().map(|(k, v)| (k, Some(v))).collect());
    let mut d = b.draft();
    let title = take_title(&mut f, &mut d, json);
    // Takes the first present field and records where it came from.
    let mut take = |d: &mut Draft<'_>, field: &'static str, names: &[&'static str]| {
        let (name, value) = f.take(names)?;
        d.origin_with(field, || {
            if json {
                format!("/{name}")
            } else {
                format!("form field '{name}'")
            }
        });
        Some(value)
    };
    let status_raw = take(&mut d, "status", STATUS);
    d.status = b.status(status_raw.as_deref());
    d.title = title;
    d.severity_raw = take(&mut d, "severity_raw", SEVERITY);
    d.vendor_key = take(&mut d, "dedup_key", DEDUP);
    d.service = take(&mut d, "service", SERVICE);
    d.host = take(&mut d, "host", HOST);
    d.description = take(&mut d, "description", DESCRIPTION);
    d.started_at = take(&mut d, "started_at", STARTED);
    if let Some(group) = take(&mut d, "group_key", GROUP) {
        b.group_key = Some(String::from(group.trim()));
    }
    if let Some(url) = take(&mut d, "links", LINK) {
        d.links.push(("details", url));
    }
    let origin = take(&mut d, "labels", ORIGIN);
    d.source_ref = d.vendor_key.clone();
    d.origin("source_ref", "the dedup key's field");
    match f.take_any(LABELS) {
        Some(Field::Nested(Value::Object(map))) => {
            for (k, v) in map {
                if let Some(Field::Text(t)) = Field::from_json(v) {
                    d.labels.push((Cow::Owned(k), t));
                }
            }
        }
        Some(Field::Nested(Value::Array(tags))) => {
            let tags: Vec<String> = tags
                .into_iter()
                .filter_map(|t| match Field::from_json(t) {
                    Some(Field::Text(t)) => Some(t.into_owned()),
                    _ => None,
                })
                .collect();
            d.labels = owned(tag_labels(tags.iter().map(String::as_str)));
        }
        Some(Field::Text(tags)) => {
            d.labels = owned(tag_labels(tags.split([',', ' '])));
        }
        _ => {}
    }
    if let Some(origin) = origin {
        d.labels.push((Cow::Borrowed("source"), origin));
    }
    d.origin(
        "labels",
        "/labels or /tags, plus /source, /origin or /system as label 'source'",
    );
    d.origin("annotations", "every field not mapped");
    for (k, v) in f.0 {
        let value = match v {
            _ if k == "tier" => continue,
            None => continue,
            Some(Field::Text(t)) => t,
            Some(Field::Nested(n)) => Cow::Owned(n.to_string()),
        };
        d.annotations.push((k, value));
    }
    b.push(d)
}

/// The title by [`human_title`]'s rules, taken out of the fields unless it
/// is only the first line of a longer text (which stays an annotation).
fn take_title<'a>(f: &mut Fields<'a>, d: &mut Draft<'_>, json: bool) -> Option<Cow<'a, str>> {
    let (origin, title) = human_title(f.0.iter().filter_map(|(k, v)| match v {
        Some(Field::Text(t)) => Some((&**k, &**t)),
        _ => None,
    }))?;
    let key = origin
        .trim_start_matches('/')
        .trim_end_matches(" (first line)");
    let slot = f.0.iter_mut().find(|(k, v)| k == key && v.is_some())?;
    let whole = matches!(&slot.1, Some(Field::Text(t)) if t.trim() == title);
    let from = if json {
        origin.clone()
    } else {
        format!("form field '{key}'")
    };
    d.origin_with("title", || from);
    if whole
        && key != "description"
        && let Some(Field::Text(t)) = slot.1.take()
    {
        return Some(t);
    }
    Some(Cow::Owned(title))
}

fn owned(pairs: Vec<(Cow<'_, str>, Cow<'_, str>)>) -> Vec<(Cow<'static, str>, Cow<'static, str>)> {
    pairs
        .into_iter()
        .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
        .collect()
}

/// Words that set the severity when they lead a plain-text title.
const LEADING_SEVERITY: &[&str] = &["critical", "error", "warn", "warning", "info"];

/// A plain-text alert: title line, description, leading severity word.
pub(crate) fn plain_text<'a>(text: &'a str, mut d: Draft<'a>) -> Draft<'a> {
    let mut lines = text.lines();
    let title = lines
        .by_ref()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let rest: Vec<&str> = lines.collect();
    let description = rest.join("\n");
    let description = description.trim();

    let (word, after) = leading_word(title);
    if LEADING_SEVERITY
        .iter()
        .any(|w| w.eq_ignore_ascii_case(word))
    {
        d.severity_raw = Some(Cow::Borrowed(word));
        d.origin("severity_raw", "the text's leading severity word");
        if !after.is_empty() {
            d.title = Some(Cow::Borrowed(after));
        }
    }
    if d.title.is_none() {
        d.title = Some(Cow::Borrowed(title));
    }
    d.origin("title", "the text's first non-empty line");
    if !description.is_empty() {
        d.description = Some(Cow::Owned(String::from(description)));
        d.origin("description", "the text after the first line");
    }
    d.status = Status::Triggered;
    d
}

/// The first word of a line without `[`, `]`, `:` or `-` around it, and the text after it.
fn leading_word(line: &str) -> (&str, &str) {
    let line = line.trim_start_matches('[');
    let end = line
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(line.len());
    let (word, after) = line.split_at(end);
    let after = after.trim_start_matches([']', ':', '-', ' ', '\t', '!']);
    (word, after.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fields as text, for comparing: (key, value or nested JSON, nested?).
    fn render(fields: Vec<(Cow<'_, str>, Field<'_>)>) -> Vec<(String, String, bool)> {
        fields
            .into_iter()
            .map(|(k, v)| match v {
                Field::Text(t) => (k.into_owned(), t.into_owned(), false),
                Field::Nested(n) => (k.into_owned(), n.to_string(), true),
            })
            .collect()
    }

    /// The members read borrowing from the body are the fields a
    /// `Map<String, Value>` gave: sorted, the last repeat winning, nulls
    /// dropped, scalars as JSON text, nested secrets redacted.
    #[test]
    fn members_are_what_a_map_gave() {
        for body in [
            r#"{"title":"t","severity":"p2","id":"a"}"#,
            r#"{"b":1,"a":2.5,"c":true,"d":null,"e":-7,"f":1e300,"g":18446744073709551615}"#,
            r#"{"k":"first","k":"second","n":"x","n":null,"m":null,"m":"kept"}"#,
            r#"{"esc\u00e9":"caf\u00e9 \"q\"","tags":["a:1","b",2,null],"labels":{"x":"1","y":{"z":2}}}"#,
            r#"{"details":{"password":"hunter2","nested":[{"api_key":"k","ok":1}]},"token":"top"}"#,
            r#"{}"#,
            r#"{"":"empty key","a":[],"b":{}}"#,
        ] {
            let map: serde_json::Map<String, Value> = serde_json::from_str(body).unwrap();
            let want = render(
                map.into_iter()
                    .filter_map(|(k, mut v)| {
                        crate::redact_json(&mut v);
                        Some((Cow::Owned(k), Field::from_json(v)?))
                    })
                    .collect(),
            );
            let got = render(
                serde_json::from_str::<Members<'_>>(body)
                    .unwrap()
                    .into_fields(),
            );
            assert_eq!(got, want, "{body}");
        }
        for bad in ["[1]", "\"text\"", "{\"a\":}", "{\"a\":1"] {
            // The same error, worded as reading into a `Map` worded it.
            let want = serde_json::from_str::<serde_json::Map<String, Value>>(bad).unwrap_err();
            let got = serde_json::from_str::<Members<'_>>(bad).err().unwrap();
            assert_eq!(got.to_string(), want.to_string(), "{bad}");
        }
    }

    #[test]
    fn plain_text_leading_severity() {
        let d = plain_text(
            "\n  CRITICAL: disk full on web-3\nmore\n  detail\n",
            Draft::default(),
        );
        assert_eq!(d.title.as_deref(), Some("disk full on web-3"));
        assert_eq!(d.severity_raw.as_deref(), Some("CRITICAL"));
        assert_eq!(d.description.as_deref(), Some("more\n  detail"));
        let d = plain_text("[warn] cpu hot", Draft::default());
        assert_eq!(d.title.as_deref(), Some("cpu hot"));
        let d = plain_text("Informational only", Draft::default());
        assert_eq!(d.severity_raw, None);
        assert_eq!(d.title.as_deref(), Some("Informational only"));
    }
}
