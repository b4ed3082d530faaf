//! Healthchecks.io webhook integrations (User-Agent `healthchecks.io`).
//!
//! Bodies are user templates over its placeholders, so this accepts flat
//! objects or forms (`name`/`check`, `status`/`event`, `code`, `tags`, `now`),
//! a `$JSON` check object under `check`, and plain text ("Backup is down").

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::{Sender, tag_labels, user_agent_starts_with};
use crate::builder::{Builder, Draft};
use crate::ingest::Payload;
use crate::json::{self, Kind, Text};
use crate::sources::generic::plain_text;
use crate::{Error, Request, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Healthchecks,
    by_header,
    by_shape,
    parse,
};

fn by_header(req: &Request<'_>) -> Option<&'static str> {
    user_agent_starts_with(req, "healthchecks.io")
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
}

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

fn parse(p: &Payload<'_>, b: &mut Builder<'_>) -> Result<(), Error> {
    let flat = match p {
        Payload::Text(text) => {
            let mut d = plain_text(text);
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
                last_ping: get("last_ping"),
            }
        }
        Payload::Json { text, probe } => {
            if !probe.has("name") && !probe.has("check") {
                return Err(b.mismatch("missing required field 'name' (or 'check')"));
            }
            json::typed(text).map_err(|m| b.mismatch(m))?
        }
    };
    push_flat(flat, b)
}

fn push_flat(f: Flat<'_>, b: &mut Builder<'_>) -> Result<(), Error> {
    let (check_name, check) = match f.check {
        Some(CheckField::Name(n)) => (Some(n), Check::default()),
        Some(CheckField::Object(c)) => (None, c),
        None => (None, Check::default()),
    };
    let raw_status = f.event.or(f.status).or(check.status);
    let status = b.status(raw_status.as_ref().map(Text::as_str));
    let code = f
        .code
        .or(check.uuid)
        .map(|t| t.0)
        .or_else(|| {
            check
                .ping_url
                .as_ref()
                .and_then(|u| uuid_at_end(u.as_str()))
        })
        .or_else(|| {
            check
                .update_url
                .as_ref()
                .and_then(|u| uuid_at_end(u.as_str()))
        });
    let tags = f.tags.or(check.tags);

    let mut d = Draft {
        title: f.name.or(check_name).or(check.name).map(|t| t.0),
        description: f.desc.or(check.desc).map(|t| t.0),
        status,
        availability: true,
        vendor_key: code.clone(),
        source_ref: code,
        labels: tags
            .as_ref()
            .map_or_else(Vec::new, |t| tag_labels(t.as_str().split_whitespace())),
        ..Draft::default()
    };
    match status {
        Status::Resolved => d.ended_at = f.now.map(|t| t.0),
        _ => d.started_at = f.now.map(|t| t.0),
    }
    for (key, value) in [
        ("last_ping", f.last_ping.or(check.last_ping)),
        ("slug", check.slug),
    ] {
        if let Some(v) = value {
            d.annotations.push((Cow::Borrowed(key), v.0));
        }
    }
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
