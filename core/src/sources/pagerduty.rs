//! PagerDuty v3 webhook subscriptions: one event per request, `{"event": {…}}`.
//!
//! Events whose `data` is an incident (`incident.triggered`, `.acknowledged`,
//! `.resolved`, `.reassigned`, `.priority_updated`, …) give one alert keyed by
//! the incident id. Notes, responders, status updates, `service.*` events and
//! the `pagey.ping` test give no alert, only a notice.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Sender, user_agent_starts_with};
use crate::Notice;
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{self, Kind, Text, cow};
use crate::{Error, Request, Source, Status, vocab};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Pagerduty,
    header_rule: "User-Agent starts with PagerDuty-Webhook/, or an X-PagerDuty-Signature header",
    by_header,
    shape_rule: "'event' object with 'event_type' and 'resource_type'",
    by_shape,
    parse,
};

fn by_header(req: &Request<'_>) -> Option<&'static str> {
    if user_agent_starts_with(req, "PagerDuty-Webhook/") {
        Some("User-Agent starts with PagerDuty-Webhook/")
    } else if req.header("x-pagerduty-signature").is_some() {
        Some("X-PagerDuty-Signature header")
    } else {
        None
    }
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { text, probe } = p else {
        return None;
    };
    if !probe.is("event", Kind::Object) {
        return None;
    }
    // `event` alone is too common a key: look one level down.
    #[derive(Deserialize)]
    struct Peek {
        event: PeekEvent,
    }
    #[derive(Deserialize)]
    struct PeekEvent {
        event_type: Option<IgnoredAny>,
        resource_type: Option<IgnoredAny>,
    }
    let peek: Peek = json::typed(text).ok()?;
    (peek.event.event_type.is_some() && peek.event.resource_type.is_some())
        .then_some("'event' object with 'event_type' and 'resource_type'")
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    event: Option<Event<'a>>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    event_type: Option<Text<'a>>,
    #[serde(borrow)]
    resource_type: Option<Text<'a>>,
    #[serde(borrow)]
    occurred_at: Option<Text<'a>>,
    #[serde(borrow)]
    agent: Option<Reference<'a>>,
    #[serde(borrow)]
    data: Option<Data<'a>>,
}

/// `event.data`: an incident, or a note, responder, status update, service, ping.
#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(borrow)]
    html_url: Option<Text<'a>>,
    #[serde(borrow)]
    number: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    incident_key: Option<Text<'a>>,
    #[serde(borrow)]
    created_at: Option<Text<'a>>,
    #[serde(borrow)]
    title: Option<Text<'a>>,
    #[serde(borrow)]
    summary: Option<Text<'a>>,
    #[serde(borrow)]
    description: Option<Text<'a>>,
    #[serde(borrow)]
    urgency: Option<Text<'a>>,
    #[serde(borrow)]
    priority: Option<Reference<'a>>,
    #[serde(borrow)]
    service: Option<Reference<'a>>,
    #[serde(borrow)]
    escalation_policy: Option<Reference<'a>>,
    #[serde(borrow, default)]
    assignees: Option<Vec<Reference<'a>>>,
    #[serde(borrow, default)]
    teams: Option<Vec<Reference<'a>>>,
    #[serde(borrow)]
    conference_bridge: Option<Bridge<'a>>,
    #[serde(borrow)]
    resolve_reason: Option<ResolveReason<'a>>,
    /// The incident a note, responder request or status update belongs to.
    #[serde(borrow)]
    incident: Option<Reference<'a>>,
    /// The ping's greeting.
    #[serde(borrow)]
    message: Option<Text<'a>>,
}

/// PagerDuty's `*_reference` objects.
#[derive(Deserialize)]
struct Reference<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    summary: Option<Text<'a>>,
    #[serde(borrow)]
    html_url: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Bridge<'a> {
    #[serde(borrow)]
    conference_url: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct ResolveReason<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    p.require(b, &["event"])?;
    let (text, _) = p.json(b)?;
    let envelope: Envelope<'_> = b.typed(text)?;
    let event = envelope
        .event
        .ok_or_else(|| b.mismatch("missing required field 'event'"))?;
    let data = event
        .data
        .ok_or_else(|| b.mismatch("missing required field 'event.data'"))?;
    let event_type = event.event_type.as_ref().map_or("", Text::as_str);

    // Older or hand-made payloads may lack `data.type`; an incident has a status.
    let is_incident = match data.kind.as_ref().map(Text::as_str) {
        Some(kind) => kind == "incident",
        None => {
            event.resource_type.as_ref().map(Text::as_str) == Some("incident")
                && data.status.is_some()
        }
    };
    if !is_incident {
        return notice(event_type, event.id, data, b);
    }

    let mut d = b.draft();
    d.status = match &data.status {
        Some(status) => {
            d.origin("status", "/event/data/status");
            b.status(Some(status.as_str()))
        }
        None => {
            d.origin("status", "/event/event_type");
            match event_type.rsplit('.').next() {
                Some("resolved") => Status::Resolved,
                Some("acknowledged") => Status::Acknowledged,
                _ => Status::Triggered,
            }
        }
    };
    d.title = d.pick(
        "title",
        [
            ("/event/data/title", cow(data.title)),
            ("/event/data/summary", cow(data.summary)),
        ],
    );
    d.description = d.pick(
        "description",
        [("/event/data/description", cow(data.description))],
    );

    // Priority (P1–P5) when the account uses priorities, else urgency (high/low).
    let urgency = data.urgency.map(|t| t.0);
    let priority = data.priority.and_then(|p| p.summary).map(|t| t.0);
    let has_priority = priority.as_deref().is_some_and(|p| !p.trim().is_empty());
    d.severity_raw = d.pick(
        "severity_raw",
        [
            ("/event/data/priority/summary", priority),
            ("/event/data/urgency", urgency.clone()),
        ],
    );
    if has_priority {
        // A renamed priority the vocabulary does not know falls back to the urgency.
        d.implied_severity = urgency.as_deref().and_then(vocab::severity);
    }

    let id = data.id.map(|t| t.0);
    d.vendor_key = d.pick("dedup_key", [("/event/data/id", id.clone())]);
    d.source_ref = d.pick("source_ref", [("/event/data/id", id)]);

    let (service_id, service_url) = match data.service {
        Some(s) => {
            d.service = d.pick("service", [("/event/data/service/summary", cow(s.summary))]);
            (s.id, s.html_url)
        }
        None => (None, None),
    };
    d.started_at = d.pick(
        "started_at",
        [("/event/data/created_at", cow(data.created_at))],
    );
    if d.status == Status::Resolved {
        d.ended_at = d.pick("ended_at", [("/event/occurred_at", cow(event.occurred_at))]);
    }

    let links = [
        ("incident", data.html_url),
        ("service", service_url),
        (
            "conference",
            data.conference_bridge.and_then(|c| c.conference_url),
        ),
    ];
    d.links
        .extend(links.into_iter().filter_map(|(rel, t)| Some((rel, t?.0))));
    if !d.links.is_empty() {
        d.origin(
            "links",
            "/event/data/html_url (incident), /event/data/service/html_url (service), /event/data/conference_bridge/conference_url (conference)",
        );
    }

    let teams = summaries(data.teams);
    let labels = [
        ("incident_number", data.number.map(|t| t.0)),
        ("incident_key", data.incident_key.map(|t| t.0)),
        ("service_id", service_id.map(|t| t.0)),
        ("teams", teams),
    ];
    d.labels.extend(present(labels));
    if !d.labels.is_empty() {
        d.origin(
            "labels",
            "/event/data/number, /event/data/incident_key, /event/data/service/id, /event/data/teams summaries",
        );
    }

    let annotations = [
        ("event_type", event.event_type.map(|t| t.0)),
        ("urgency", urgency),
        ("assignees", summaries(data.assignees)),
        (
            "escalation_policy",
            data.escalation_policy.and_then(|e| e.summary).map(|t| t.0),
        ),
        ("agent", event.agent.and_then(|a| a.summary).map(|t| t.0)),
        (
            "resolve_reason",
            data.resolve_reason.and_then(|r| r.kind).map(|t| t.0),
        ),
    ];
    d.annotations.extend(present(annotations));
    if !d.annotations.is_empty() {
        d.origin(
            "annotations",
            "/event/event_type, /event/data/urgency, assignee and escalation policy summaries, /event/agent/summary, /event/data/resolve_reason/type",
        );
    }
    b.push(d)
}

/// A well-formed event that is not about an incident's lifecycle.
fn notice(
    event_type: &str,
    event_id: Option<Text<'_>>,
    data: Data<'_>,
    b: &mut Builder<'_, '_>,
) -> Result<(), Error> {
    b.notice = Some(if event_type == "pagey.ping" {
        Notice::TestNotification
    } else {
        Notice::NotAnAlert
    });
    if !event_type.is_empty() {
        b.annotate("event_type", event_type);
    }
    if let Some(id) = event_id {
        b.annotate("event_id", id.as_str());
    }
    if let Some(id) = data.incident.and_then(|i| i.id) {
        b.annotate("incident_id", id.as_str());
    }
    if let Some(message) = data.message {
        b.annotate("message", message.as_str());
    }
    Ok(())
}

/// The `summary` of each reference, comma-separated.
fn summaries(refs: Option<Vec<Reference<'_>>>) -> Option<Cow<'static, str>> {
    let names: Vec<String> = refs?
        .into_iter()
        .filter_map(|r| r.summary)
        .map(|s| String::from(s.as_str()))
        .filter(|s| !s.trim().is_empty())
        .collect();
    (!names.is_empty()).then(|| Cow::Owned(names.join(", ")))
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
