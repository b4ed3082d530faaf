//! Pingdom state-change webhooks (uptime checks UP/DOWN, transaction checks
//! SUCCESS/FAILING): one JSON object per state change, no identifying header.

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::uptimerobot::{host_of, unix_or_raw};
use super::{Sender, no_header, tag_labels};
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Text, cow};
use crate::{Error, Severity, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Pingdom,
    header_rule: "",
    by_header: no_header,
    shape_rule: "'check_id' with 'current_state'",
    by_shape,
    parse,
};

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    (probe.has("check_id") && probe.has("current_state"))
        .then_some("'check_id' with 'current_state'")
}

#[derive(Deserialize)]
struct Webhook<'a> {
    #[serde(borrow)]
    check_id: Option<Text<'a>>,
    #[serde(borrow)]
    check_name: Option<Text<'a>>,
    #[serde(borrow)]
    check_type: Option<Text<'a>>,
    #[serde(borrow)]
    check_params: Option<CheckParams<'a>>,
    #[serde(borrow, default)]
    tags: Option<Vec<Tag<'a>>>,
    #[serde(borrow)]
    previous_state: Option<Text<'a>>,
    #[serde(borrow)]
    current_state: Option<Text<'a>>,
    #[serde(borrow)]
    importance_level: Option<Text<'a>>,
    #[serde(borrow)]
    state_changed_timestamp: Option<Text<'a>>,
    #[serde(borrow)]
    state_changed_utc_time: Option<Text<'a>>,
    #[serde(borrow)]
    long_description: Option<Text<'a>>,
    #[serde(borrow)]
    description: Option<Text<'a>>,
    #[serde(borrow)]
    custom_message: Option<Text<'a>>,
    #[serde(borrow)]
    first_probe: Option<Probe<'a>>,
    #[serde(borrow)]
    second_probe: Option<Probe<'a>>,
}

#[derive(Deserialize)]
struct CheckParams<'a> {
    #[serde(borrow)]
    hostname: Option<Text<'a>>,
    #[serde(borrow)]
    full_url: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow)]
    location: Option<Text<'a>>,
}

/// A tag: a string in webhooks, an object with `name` in some API shapes.
struct Tag<'a>(Option<Text<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Tag<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tag<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a tag name or a tag object")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Tag(Some(Text(Cow::Borrowed(v)))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Tag(Some(Text(Cow::Owned(v.into())))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut name = None;
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    if key.as_str() == "name" {
                        name = map.next_value::<Option<Text<'de>>>()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Tag(name))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Tag(Some(Text(Cow::Owned(v.to_string())))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Tag(Some(Text(Cow::Owned(v.to_string())))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Tag(None))
            }
        }
        d.deserialize_any(V)
    }
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    p.require(b, &["check_id"])?;
    let (text, _) = p.json(b)?;
    let w: Webhook<'_> = b.typed(text)?;
    let mut d = b.draft();

    d.origin("status", "/current_state");
    match w
        .current_state
        .as_ref()
        .map(|t| t.as_str().trim().to_ascii_uppercase())
        .as_deref()
    {
        Some("DOWN" | "FAILING") => {
            d.status = Status::Triggered;
            d.availability = true;
        }
        Some("UP" | "SUCCESS") => {
            d.status = Status::Resolved;
            d.availability = true;
        }
        Some("UNCONFIRMED_DOWN") => {
            // One probe saw it down; a second has not confirmed it yet.
            d.status = Status::Triggered;
            d.implied_severity = Some(Severity::Warning);
        }
        Some("UNKNOWN") => {
            // Pingdom cannot tell: fail open, but nothing says it is down.
            d.status = Status::Triggered;
        }
        _ => d.status = b.status(w.current_state.as_ref().map(Text::as_str)),
    }

    // Pingdom's two alert levels: HIGH pages, LOW does not.
    let importance = w.importance_level.map(|t| t.0);
    let translated =
        importance
            .as_deref()
            .map(|level| match level.trim().to_ascii_uppercase().as_str() {
                "HIGH" => Cow::Borrowed("critical"),
                "LOW" => Cow::Borrowed("warning"),
                _ => Cow::Owned(String::from(level)),
            });
    d.severity_raw = d.pick(
        "severity_raw",
        [(
            "/importance_level (HIGH → critical, LOW → warning)",
            translated,
        )],
    );

    d.title = d.pick("title", [("/check_name", cow(w.check_name))]);
    d.description = d.pick(
        "description",
        [
            ("/long_description", w.long_description.clone().map(|t| t.0)),
            ("/description", w.description.clone().map(|t| t.0)),
        ],
    );
    let id = cow(w.check_id);
    d.vendor_key = d.pick("dedup_key", [("/check_id", id.clone())]);
    d.source_ref = d.pick("source_ref", [("/check_id", id)]);

    let (hostname, full_url) = match w.check_params {
        Some(c) => (cow(c.hostname), cow(c.full_url)),
        None => (None, None),
    };
    let full_url = full_url.filter(|u| host_of(u).is_some());
    let url_host = full_url
        .as_deref()
        .and_then(host_of)
        .map(|h| Cow::Owned(String::from(h)));
    d.host = d.pick(
        "host",
        [
            ("/check_params/hostname", hostname),
            ("the host of /check_params/full_url", url_host),
        ],
    );
    if let Some(url) = full_url {
        d.links.push(("target", url));
        d.origin("links", "/check_params/full_url (target)");
    }

    let at = w
        .state_changed_timestamp
        .map(|t| unix_or_raw(t.0))
        .filter(|t| crate::text::is_rfc3339(t))
        .or_else(|| w.state_changed_utc_time.map(|t| naive_utc(t.0)));
    let at_origin = "/state_changed_timestamp (Unix seconds), else /state_changed_utc_time (UTC)";
    match d.status {
        Status::Resolved => d.ended_at = d.pick("ended_at", [(at_origin, at)]),
        _ => d.started_at = d.pick("started_at", [(at_origin, at)]),
    }

    let tags: Vec<Cow<'_, str>> = w
        .tags
        .unwrap_or_default()
        .into_iter()
        .filter_map(|t| t.0.map(|t| t.0))
        .collect();
    d.labels = tag_labels(tags.iter().map(|t| &**t))
        .into_iter()
        .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
        .collect();
    for (key, value) in [
        ("check_type", cow(w.check_type)),
        ("importance_level", importance),
    ] {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            d.labels.push((Cow::Borrowed(key), v));
        }
    }
    d.origin("labels", "/tags, /check_type, /importance_level");

    let short = w.description.map(|t| t.0);
    let short = short.filter(|s| Some(s.as_ref()) != d.description.as_deref());
    for (key, value) in [
        ("previous_state", cow(w.previous_state)),
        ("short_description", short),
        ("custom_message", cow(w.custom_message)),
        ("first_probe", w.first_probe.and_then(|p| cow(p.location))),
        ("second_probe", w.second_probe.and_then(|p| cow(p.location))),
    ] {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            d.annotations.push((Cow::Borrowed(key), v));
        }
    }
    d.origin(
        "annotations",
        "/previous_state, /description (when not the description), /custom_message, /first_probe/location, /second_probe/location",
    );
    b.push(d)
}

/// Pingdom's `state_changed_utc_time` has no zone (`2016-01-01T01:01:01`): it is UTC.
fn naive_utc(t: Cow<'_, str>) -> Cow<'_, str> {
    let s = t.trim();
    let b = s.as_bytes();
    if b.len() == 19 && b[10] == b'T' && !crate::text::is_rfc3339(s) {
        let mut out = String::with_capacity(20);
        out.push_str(s);
        out.push('Z');
        return Cow::Owned(out);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_utc_gets_a_zone() {
        assert_eq!(
            naive_utc("2016-01-01T01:01:01".into()),
            "2016-01-01T01:01:01Z"
        );
        assert_eq!(
            naive_utc("2016-01-01T01:01:01Z".into()),
            "2016-01-01T01:01:01Z"
        );
        assert_eq!(naive_utc("soon".into()), "soon");
    }
}
