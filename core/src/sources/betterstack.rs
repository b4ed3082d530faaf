//! Better Stack Uptime (formerly Better Uptime) outgoing webhooks:
//! `{"event": …, "data": {"id", "type", "attributes", "relationships"}}`,
//! the JSON:API resource of its API.
//!
//! Incident webhooks (`event` started, acknowledged or resolved) give one
//! alert keyed by the incident id. Monitor webhooks (created, updated,
//! paused, …) and on-call change webhooks give none, only a notice.

use alloc::borrow::Cow;
use alloc::format;
use alloc::vec::Vec;

use core::fmt;
use serde::Deserialize;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

use super::{Sender, no_header};
use crate::Notice;
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Kind, Text, cow};
use crate::{Error, Severity, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Betterstack,
    header_rule: "",
    by_header: no_header,
    shape_rule: "'data' object of type 'incident' with 'started_at' and 'cause' attributes, or of type 'monitor' with 'pronounceable_name'",
    by_shape,
    parse,
};

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { text, probe } = p else {
        return None;
    };
    if !probe.is("data", Kind::Object) {
        return None;
    }
    // `data` and `event` are common envelope keys: look inside the resource.
    #[derive(Deserialize)]
    struct Peek<'a> {
        #[serde(borrow)]
        data: PeekData<'a>,
    }
    #[derive(Deserialize)]
    struct PeekData<'a> {
        #[serde(rename = "type", borrow)]
        kind: Option<Text<'a>>,
        attributes: Option<Names>,
    }
    let peek: Peek<'_> = probe.typed(text).ok()?;
    let has = peek.data.attributes?;
    match peek.data.kind?.as_str() {
        "incident" if has.started_at && has.cause => {
            Some("'data' object of type 'incident' with 'started_at' and 'cause' attributes")
        }
        "monitor" if has.pronounceable_name => {
            Some("'data' object of type 'monitor' with 'pronounceable_name'")
        }
        _ => None,
    }
}

/// Which of the attribute names that tell the resource apart an object has
/// (present even when null; a repeated name is no error, as in a map).
#[derive(Default)]
struct Names {
    started_at: bool,
    cause: bool,
    pronounceable_name: bool,
}

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Names;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attributes object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Names, A::Error> {
                let mut names = Names::default();
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    match key.as_str() {
                        "started_at" => names.started_at = true,
                        "cause" => names.cause = true,
                        "pronounceable_name" => names.pronounceable_name = true,
                        _ => {}
                    }
                    map.next_value::<IgnoredAny>()?;
                }
                Ok(names)
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
struct Hook<'a> {
    #[serde(borrow)]
    event: Option<Text<'a>>,
    #[serde(borrow)]
    data: Option<Resource<'a>>,
    /// Some deliveries carry `relationships` beside `data` rather than in it.
    #[serde(borrow)]
    relationships: Option<Relationships<'a>>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(borrow)]
    attributes: Option<Attributes<'a>>,
    #[serde(borrow)]
    relationships: Option<Relationships<'a>>,
}

#[derive(Deserialize)]
struct Attributes<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    /// A monitor's name.
    #[serde(borrow)]
    pronounceable_name: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    http_method: Option<Text<'a>>,
    #[serde(borrow)]
    cause: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    started_at: Option<Text<'a>>,
    #[serde(borrow)]
    acknowledged_at: Option<Text<'a>>,
    #[serde(borrow)]
    acknowledged_by: Option<Text<'a>>,
    #[serde(borrow)]
    resolved_at: Option<Text<'a>>,
    #[serde(borrow)]
    resolved_by: Option<Text<'a>>,
    #[serde(borrow)]
    team_name: Option<Text<'a>>,
    #[serde(borrow, default)]
    regions: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    response_content: Option<Text<'a>>,
    #[serde(borrow)]
    response_url: Option<Text<'a>>,
    #[serde(borrow)]
    screenshot_url: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Relationships<'a> {
    #[serde(borrow)]
    monitor: Option<Related<'a>>,
    #[serde(borrow)]
    heartbeat: Option<Related<'a>>,
}

#[derive(Deserialize)]
struct Related<'a> {
    #[serde(borrow)]
    data: Option<Linkage<'a>>,
}

#[derive(Deserialize)]
struct Linkage<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
}

impl<'a> Related<'a> {
    fn id(self) -> Option<Cow<'a, str>> {
        self.data?.id.map(|t| t.0)
    }
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    p.require(b, &["data"])?;
    let (text, _) = p.json(b)?;
    let hook: Hook<'_> = b.typed(text)?;
    let data = hook
        .data
        .ok_or_else(|| b.mismatch("missing required field 'data'"))?;
    let event = hook.event.map(|t| t.0);
    let kind = data.kind.as_ref().map_or("", Text::as_str);
    if kind != "incident" {
        return notice(kind, event.as_deref(), data.id, data.attributes, b);
    }
    let a = data
        .attributes
        .ok_or_else(|| b.mismatch("missing required field 'data.attributes'"))?;

    let mut d = b.draft();
    // A monitor or heartbeat that fails is an availability problem.
    d.availability = true;
    d.status = match (&a.status, &event) {
        (Some(status), _) => {
            d.origin("status", "/data/attributes/status");
            incident_status(status.as_str(), &mut d.implied_severity, b)
        }
        (None, Some(event)) => {
            d.origin("status", "/event");
            incident_status(event, &mut d.implied_severity, b)
        }
        (None, None) if a.resolved_at.is_some() => {
            d.origin("status", "resolved, as /data/attributes/resolved_at is set");
            Status::Resolved
        }
        (None, None) if a.acknowledged_at.is_some() => {
            d.origin(
                "status",
                "acknowledged, as /data/attributes/acknowledged_at is set",
            );
            Status::Acknowledged
        }
        (None, None) => Status::Triggered,
    };

    d.title = d.pick("title", [("/data/attributes/name", cow(a.name))]);
    d.description = d.pick("description", [("/data/attributes/cause", cow(a.cause))]);
    let id = data.id.map(|t| t.0);
    d.vendor_key = d.pick("dedup_key", [("/data/id", id.clone())]);
    d.source_ref = d.pick("source_ref", [("/data/id", id)]);
    d.started_at = d.pick(
        "started_at",
        [("/data/attributes/started_at", cow(a.started_at))],
    );
    if d.status == Status::Resolved {
        d.ended_at = d.pick(
            "ended_at",
            [("/data/attributes/resolved_at", cow(a.resolved_at))],
        );
    }

    let links = [
        ("target", a.url),
        ("details", a.response_url),
        ("image", a.screenshot_url),
    ];
    d.links
        .extend(links.into_iter().filter_map(|(rel, t)| Some((rel, t?.0))));
    if !d.links.is_empty() {
        d.origin(
            "links",
            "/data/attributes/url (target), response_url (details), screenshot_url (image)",
        );
    }

    let related = data.relationships.or(hook.relationships);
    let (monitor, heartbeat) = match related {
        Some(r) => (
            r.monitor.and_then(Related::id),
            r.heartbeat.and_then(Related::id),
        ),
        None => (None, None),
    };
    let labels = [
        ("monitor_id", monitor),
        ("heartbeat_id", heartbeat),
        ("team", a.team_name.map(|t| t.0)),
    ];
    d.labels.extend(present(labels));
    if !d.labels.is_empty() {
        d.origin(
            "labels",
            "/data/relationships/monitor/data/id, heartbeat's id, /data/attributes/team_name",
        );
    }

    let regions = a
        .regions
        .map(|r| r.iter().map(Text::as_str).collect::<Vec<_>>().join(", "))
        .filter(|r| !r.is_empty())
        .map(Cow::Owned);
    let annotations = [
        ("event", event),
        ("http_method", a.http_method.map(|t| t.0)),
        ("regions", regions),
        ("acknowledged_at", a.acknowledged_at.map(|t| t.0)),
        ("acknowledged_by", a.acknowledged_by.map(|t| t.0)),
        ("resolved_by", a.resolved_by.map(|t| t.0)),
        ("response_content", a.response_content.map(|t| t.0)),
    ];
    d.annotations.extend(present(annotations));
    if !d.annotations.is_empty() {
        d.origin(
            "annotations",
            "/event and /data/attributes http_method, regions, acknowledged_at, acknowledged_by, resolved_by, response_content",
        );
    }
    b.push(d)
}

/// An incident's `status` attribute, or the webhook's `event`.
fn incident_status(word: &str, implied: &mut Option<Severity>, b: &mut Builder<'_, '_>) -> Status {
    let is = |w: &str| word.trim().eq_ignore_ascii_case(w);
    if is("started") || is("reopened") || is("validating") {
        Status::Triggered
    } else if is("unconfirmed") {
        // Seen failing, not yet confirmed from other regions.
        *implied = Some(Severity::Warning);
        Status::Triggered
    } else {
        b.status(Some(word))
    }
}

/// A monitor or on-call webhook: no alert.
fn notice(
    kind: &str,
    event: Option<&str>,
    id: Option<Text<'_>>,
    attributes: Option<Attributes<'_>>,
    b: &mut Builder<'_, '_>,
) -> Result<(), Error> {
    let kind = if kind.is_empty() { "event" } else { kind };
    b.notice = Some(Notice::NotAnAlert);
    match event {
        Some(event) => b.annotate("event", &format!("{kind}.{event}")),
        None => b.annotate("event", kind),
    }
    if let Some(id) = id {
        b.annotate(&format!("{kind}_id"), id.as_str());
    }
    let name = attributes.and_then(|a| a.pronounceable_name.or(a.name));
    if let Some(name) = name {
        b.annotate("name", name.as_str());
    }
    Ok(())
}

/// The named values that are present and not blank, as label or annotation pairs.
fn present<'a, const N: usize>(
    named: [(&'static str, Option<Cow<'a, str>>); N],
) -> impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)> {
    named.into_iter().filter_map(|(k, v)| {
        let v = v.filter(|v| !v.trim().is_empty())?;
        Some((Cow::Borrowed(k), v))
    })
}
