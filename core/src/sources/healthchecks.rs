//! Healthchecks.io webhook integrations (User-Agent `healthchecks.io`).
//!
//! Bodies are user templates over its placeholders, so this accepts flat
//! objects or forms (`name`/`check`, `status`/`event`, `code`, `tags`, `now`),
//! a `$JSON` check object under `check`, and plain text ("Backup is down").

use alloc::borrow::Cow;
use core::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::{Headers, Sender, tag_labels, tag_labels_of};
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Kind, Text, cow};
use crate::sources::generic::plain_text;
use crate::{Error, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Healthchecks,
    header_rule: "User-Agent starts with healthchecks.io",
    by_header,
    shape_rule: "'check' object, or 'name', 'status' and 'last_ping'",
    by_shape,
    parse,
};

fn by_header(req: &Headers<'_, '_>) -> Option<&'static str> {
    req.user_agent_starts_with("healthchecks.io")
        .then_some("User-Agent starts with healthchecks.io")
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    if probe.is("check", Kind::Object) {
        Some("'check' object")
    } else if probe.has("name") && probe.has("status") && probe.has("last_ping") {
        Some("'name', 'status' and 'last_ping'")
    } else {
        None
    }
}

/// The fields a template can carry, flat or under `check`.
#[derive(Deserialize, Default)]
struct Flat<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    check: Option<CheckField<'a>>,
    #[serde(borrow)]
    event: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    code: Option<Text<'a>>,
    #[serde(borrow)]
    tags: Option<Text<'a>>,
    #[serde(borrow)]
    desc: Option<Text<'a>>,
    #[serde(borrow)]
    now: Option<Text<'a>>,
    #[serde(borrow)]
    last_ping: Option<Text<'a>>,
    // Other spellings users give the same variables (templates copied from
    // another tool's guide): each is read after the names above.
    #[serde(borrow)]
    title: Option<Text<'a>>,
    #[serde(borrow)]
    check_name: Option<Text<'a>>,
    #[serde(rename = "checkName", borrow)]
    check_name_camel: Option<Text<'a>>,
    #[serde(rename = "check.name", borrow)]
    check_name_dotted: Option<Text<'a>>,
    #[serde(borrow)]
    event_type: Option<Text<'a>>,
    #[serde(rename = "eventType", borrow)]
    event_type_camel: Option<Text<'a>>,
    #[serde(borrow)]
    state: Option<Text<'a>>,
    #[serde(borrow)]
    uuid: Option<Text<'a>>,
    #[serde(borrow)]
    check_id: Option<Text<'a>>,
    #[serde(rename = "checkId", borrow)]
    check_id_camel: Option<Text<'a>>,
    #[serde(borrow)]
    incident_key: Option<Text<'a>>,
    #[serde(borrow)]
    description: Option<Text<'a>>,
}

/// Top-level names that carry the check's name (or a title): one of them
/// makes a body readable as a Healthchecks template.
const NAMES: &[&str] = &[
    "name",
    "check",
    "title",
    "check_name",
    "checkName",
    "check.name",
];

/// `check` is the name in some templates and the `$JSON` object in others.
enum CheckField<'a> {
    Name(Text<'a>),
    Object(Check<'a>),
}

/// The `$JSON` check object (API v3 shape).
#[derive(Deserialize, Default)]
struct Check<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    slug: Option<Text<'a>>,
    #[serde(borrow)]
    tags: Option<Text<'a>>,
    #[serde(borrow)]
    desc: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    last_ping: Option<Text<'a>>,
    #[serde(borrow)]
    uuid: Option<Text<'a>>,
    #[serde(borrow)]
    ping_url: Option<Text<'a>>,
    #[serde(borrow)]
    update_url: Option<Text<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for CheckField<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CheckField<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a check name or a check object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Check::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(CheckField::Object)
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CheckField::Name(Text(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CheckField::Name(Text(Cow::Owned(v.into()))))
            }
        }
        d.deserialize_any(V)
    }
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let flat = match p {
        Payload::Text(text) => {
            let mut d = plain_text(text, b.draft());
            let lower = d.title.as_deref().unwrap_or("").to_ascii_lowercase();
            if lower.contains(" is down") {
                d.status = Status::Triggered;
            } else if lower.contains(" is up") {
                d.status = Status::Resolved;
            }
            d.availability = true;
            return b.push(d);
        }
        Payload::Form(fields) => {
            let get = |name: &str| {
                fields
                    .iter()
                    .find(|(k, v)| k == name && !v.is_empty())
                    .map(|(_, v)| Text(v.clone()))
            };
            Flat {
                name: get("name"),
                check: get("check").map(CheckField::Name),
                event: get("event"),
                status: get("status"),
                code: get("code"),
                tags: get("tags"),
                desc: get("desc"),
                now: get("now"),
                title: get("title"),
                check_name: get("check_name"),
                check_name_camel: get("checkName"),
                check_name_dotted: get("check.name"),
                event_type: get("event_type"),
                event_type_camel: get("eventType"),
                state: get("state"),
                uuid: get("uuid"),
                check_id: get("check_id"),
                check_id_camel: get("checkId"),
                incident_key: get("incident_key"),
                description: get("description"),
                last_ping: get("last_ping"),
            }
        }
        Payload::Json { text, probe } => {
            if !NAMES.iter().any(|k| probe.has(k)) {
                return Err(b.mismatch("missing required field 'name' (or 'check')"));
            }
            b.typed(text)?
        }
    };
    push_flat(flat, b)
}

/// Maps the template's fields; for form bodies the pointers name form fields.
fn push_flat<'a>(f: Flat<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let (check_name, check) = match f.check {
        Some(CheckField::Name(n)) => (Some(n), Check::default()),
        Some(CheckField::Object(c)) => (None, c),
        None => (None, Check::default()),
    };
    let mut d = b.draft();
    d.availability = true;
    let raw_status = d.pick(
        "status",
        [
            ("/event", cow(f.event)),
            ("/status", cow(f.status)),
            ("/check/status", cow(check.status)),
            ("/event_type", cow(f.event_type)),
            ("/eventType", cow(f.event_type_camel)),
            ("/state", cow(f.state)),
        ],
    );
    d.status = b.status(raw_status.as_deref());
    let from_url = |u: &Option<Text<'_>>| u.as_ref().and_then(|u| uuid_at_end(u.as_str()));
    let code = d.pick(
        "dedup_key",
        [
            ("/code", cow(f.code)),
            ("/check/uuid", cow(check.uuid)),
            ("/uuid", cow(f.uuid)),
            ("/check_id", cow(f.check_id)),
            ("/checkId", cow(f.check_id_camel)),
            ("/incident_key", cow(f.incident_key)),
            (
                "the UUID at the end of /check/ping_url",
                from_url(&check.ping_url),
            ),
            (
                "the UUID at the end of /check/update_url",
                from_url(&check.update_url),
            ),
        ],
    );
    d.source_ref = code.clone();
    d.vendor_key = code;
    d.origin("source_ref", "the dedup key's field");
    d.title = d.pick(
        "title",
        [
            ("/name", cow(f.name)),
            ("/check", cow(check_name)),
            ("/check/name", cow(check.name)),
            ("/check_name", cow(f.check_name)),
            ("/checkName", cow(f.check_name_camel)),
            ("/check.name", cow(f.check_name_dotted)),
            ("/title", cow(f.title)),
        ],
    );
    d.description = d.pick(
        "description",
        [
            ("/desc", cow(f.desc)),
            ("/check/desc", cow(check.desc)),
            ("/description", cow(f.description)),
        ],
    );
    let tags = d.pick(
        "labels",
        [("/tags", cow(f.tags)), ("/check/tags", cow(check.tags))],
    );
    if let Some(tags) = tags {
        d.labels = tag_labels_of(tags, |t| tag_labels(t.split_whitespace()));
    }
    match d.status {
        Status::Resolved => d.ended_at = d.pick("ended_at", [("/now", cow(f.now))]),
        _ => d.started_at = d.pick("started_at", [("/now", cow(f.now))]),
    }
    for (key, value) in [
        ("last_ping", f.last_ping.or(check.last_ping)),
        ("slug", check.slug),
    ] {
        if let Some(v) = value {
            d.annotations.push((Cow::Borrowed(key), v.0));
        }
    }
    d.origin("annotations", "/last_ping or /check/last_ping, /check/slug");
    b.push(d)
}

/// The check UUID at the end of a ping or API URL.
fn uuid_at_end(url: &str) -> Option<Cow<'static, str>> {
    let last = url.trim_end_matches('/').rsplit('/').next()?;
    let b = last.as_bytes();
    let is_uuid = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    is_uuid.then(|| Cow::Owned(last.into()))
}
