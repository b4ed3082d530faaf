//! PagerDuty v3 webhook subscriptions: one event per request, `{"event": {…}}`.
//!
//! Events whose `data` is an incident (`incident.triggered`, `.acknowledged`,
//! `.resolved`, `.reassigned`, `.priority_updated`, …) give one alert keyed by
//! the incident id. Notes, responders, status updates, `service.*` events and
//! the `pagey.ping` test give no alert, only a notice.
//!
//! The retired v2 webhooks (`{"messages": [{"event": "incident.trigger",
//! "incident": {…}}, …]}`) are still posted by old extensions and replayed
//! from archives: one alert per message, keyed by the incident id.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Headers, Sender};
use crate::Notice;
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Kind, Text, cow};
use crate::{Error, Source, Status, vocab};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Pagerduty,
    header_rule: "User-Agent starts with PagerDuty-Webhook/, or an X-PagerDuty-Signature header",
    by_header,
    shape_rule: "'event' object with 'event_type' and 'resource_type'; or a v2 'messages' array whose first message object has an 'event' incident.* and an 'incident' object",
    by_shape,
    parse,
};

fn by_header(req: &Headers<'_, '_>) -> Option<&'static str> {
    if req.user_agent_starts_with("PagerDuty-Webhook/") {
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
    if probe.is("messages", Kind::Array) && !probe.has("event") {
        return v2::by_shape(text, probe);
    }
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
    let peek: Peek = probe.typed(text).ok()?;
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
    let (_, probe) = p.json(b)?;
    if probe.is("messages", Kind::Array) && !probe.has("event") {
        return v2::parse(p, b);
    }
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

/// The retired v2 webhooks: `{"messages": [{"id", "event", "created_on",
/// "incident": {…}}]}`, one message per incident change.
mod v2 {
    use alloc::borrow::Cow;
    use alloc::string::String;
    use alloc::vec::Vec;

    use serde::Deserialize;
    use serde::de::IgnoredAny;

    use super::present;
    use crate::builder::Builder;
    use crate::ingest::Payload;
    use crate::json::{Probe, Text, cow};
    use crate::{Error, Notice, Status, vocab};

    const RULE: &str = "v2 'messages' array whose first message object has an 'event' incident.* and an 'incident' object";

    pub(super) fn by_shape<'a>(text: &'a str, probe: &Probe<'a>) -> Option<&'static str> {
        #[derive(Deserialize)]
        struct Peek<'a> {
            #[serde(borrow)]
            messages: Vec<Element<'a>>,
        }
        /// A stray element of another type does not hide the messages.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Element<'a> {
            Message(#[serde(borrow)] PeekMessage<'a>),
            Other(IgnoredAny),
        }
        #[derive(Deserialize)]
        struct PeekMessage<'a> {
            #[serde(borrow)]
            event: Option<Text<'a>>,
            incident: Option<IgnoredAny>,
        }
        let peek: Peek<'_> = probe.typed(text).ok()?;
        let first = peek.messages.iter().find_map(|e| match e {
            Element::Message(m) => Some(m),
            Element::Other(_) => None,
        })?;
        (first
            .event
            .as_ref()
            .is_some_and(|e| e.as_str().trim().starts_with("incident."))
            && first.incident.is_some())
        .then_some(RULE)
    }

    #[derive(Deserialize)]
    struct Body<'a> {
        /// A message of another type is read as null and skipped.
        #[serde(borrow)]
        messages: Vec<Option<Message<'a>>>,
    }

    #[derive(Deserialize)]
    struct Message<'a> {
        #[serde(borrow)]
        id: Option<Text<'a>>,
        #[serde(borrow)]
        event: Option<Text<'a>>,
        #[serde(borrow)]
        created_on: Option<Text<'a>>,
        #[serde(borrow)]
        incident: Option<Incident<'a>>,
    }

    /// v2 sent the REST API's incident; older accounts the v1 fields
    /// (`trigger_summary_data`, `assigned_to_user`, `created_on`).
    #[derive(Deserialize)]
    struct Incident<'a> {
        #[serde(borrow)]
        id: Option<Text<'a>>,
        #[serde(borrow)]
        incident_number: Option<Text<'a>>,
        #[serde(borrow)]
        title: Option<Text<'a>>,
        #[serde(borrow)]
        summary: Option<Text<'a>>,
        #[serde(borrow)]
        description: Option<Text<'a>>,
        #[serde(borrow)]
        status: Option<Text<'a>>,
        #[serde(borrow)]
        urgency: Option<Text<'a>>,
        #[serde(borrow)]
        priority: Option<Named<'a>>,
        #[serde(borrow)]
        html_url: Option<Text<'a>>,
        #[serde(borrow)]
        incident_key: Option<Text<'a>>,
        #[serde(borrow)]
        created_at: Option<Text<'a>>,
        #[serde(borrow)]
        created_on: Option<Text<'a>>,
        #[serde(borrow)]
        last_status_change_on: Option<Text<'a>>,
        #[serde(borrow)]
        service: Option<Named<'a>>,
        #[serde(borrow)]
        escalation_policy: Option<Named<'a>>,
        #[serde(borrow)]
        assigned_to_user: Option<Named<'a>>,
        #[serde(borrow)]
        trigger_summary_data: Option<TriggerSummary<'a>>,
    }

    /// A service, escalation policy, user or priority: `name` in v1, `summary` in v2.
    #[derive(Deserialize)]
    struct Named<'a> {
        #[serde(borrow)]
        id: Option<Text<'a>>,
        #[serde(borrow)]
        name: Option<Text<'a>>,
        #[serde(borrow)]
        summary: Option<Text<'a>>,
        #[serde(borrow)]
        html_url: Option<Text<'a>>,
    }

    impl<'a> Named<'a> {
        fn name(self) -> Option<Cow<'a, str>> {
            cow(self.name)
                .filter(|n| !n.trim().is_empty())
                .or(cow(self.summary))
        }
    }

    #[derive(Deserialize)]
    struct TriggerSummary<'a> {
        #[serde(borrow)]
        subject: Option<Text<'a>>,
        #[serde(borrow)]
        description: Option<Text<'a>>,
    }

    pub(super) fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
        p.require(b, &["messages"])?;
        let (text, _) = p.json(b)?;
        let body: Body<'a> = b.typed(text)?;
        let mut events = Vec::new();
        for (i, m) in body.messages.into_iter().enumerate() {
            let Some(m) = m else { continue };
            let event = cow(m.event);
            let Some(incident) = m.incident else {
                if let Some(e) = &event {
                    events.push(String::from(e.trim()));
                }
                continue;
            };
            alert(i, event, m.id, m.created_on, incident, b)?;
        }
        if b.alerts.is_empty() {
            // Only messages about something other than an incident.
            b.notice = Some(Notice::NotAnAlert);
            if !events.is_empty() {
                b.annotate("events", &events.join(", "));
            }
        }
        Ok(())
    }

    /// The status an event implies, for an incident without a `status`.
    fn of_event(event: &str) -> Status {
        match event.trim().strip_prefix("incident.") {
            Some("resolve") => Status::Resolved,
            Some("acknowledge") => Status::Acknowledged,
            // trigger, unacknowledge, escalate, assign, delegate, and anything new.
            _ => Status::Triggered,
        }
    }

    fn alert<'a>(
        i: usize,
        event: Option<Cow<'a, str>>,
        message_id: Option<Text<'a>>,
        created_on: Option<Text<'a>>,
        inc: Incident<'a>,
        b: &mut Builder<'_, 'a>,
    ) -> Result<(), Error> {
        let mut d = b.draft_in("/messages", i);
        let status = inc.status.as_ref().map(Text::as_str);
        d.status = match status.filter(|s| !s.trim().is_empty()) {
            Some(s) => {
                d.origin("status", "/incident/status");
                b.status(Some(s))
            }
            None => {
                d.origin(
                    "status",
                    "/event (incident.resolve, incident.acknowledge; else triggered)",
                );
                event.as_deref().map_or(Status::Triggered, of_event)
            }
        };
        let (subject, summary_description) = match inc.trigger_summary_data {
            Some(t) => (cow(t.subject), cow(t.description)),
            None => (None, None),
        };
        d.title = d.pick(
            "title",
            [
                ("/incident/title", cow(inc.title)),
                ("/incident/trigger_summary_data/subject", subject),
                ("/incident/summary", cow(inc.summary)),
                (
                    "/incident/trigger_summary_data/description",
                    summary_description.clone(),
                ),
            ],
        );
        d.description = d.pick(
            "description",
            [
                ("/incident/description", cow(inc.description)),
                (
                    "/incident/trigger_summary_data/description",
                    summary_description,
                ),
            ],
        );
        let urgency = cow(inc.urgency);
        let priority = inc.priority.and_then(Named::name);
        let has_priority = priority.as_deref().is_some_and(|p| !p.trim().is_empty());
        d.severity_raw = d.pick(
            "severity_raw",
            [
                ("/incident/priority/summary", priority),
                ("/incident/urgency", urgency.clone()),
            ],
        );
        if has_priority {
            d.implied_severity = urgency.as_deref().and_then(vocab::severity);
        }
        let id = cow(inc.id);
        d.vendor_key = d.pick("dedup_key", [("/incident/id", id.clone())]);
        d.source_ref = d.pick("source_ref", [("/incident/id", id)]);
        let (service_id, service_url) = match inc.service {
            Some(s) => {
                let (id, url) = (cow(s.id.clone()), cow(s.html_url.clone()));
                d.service = d.pick("service", [("/incident/service/name or summary", s.name())]);
                (id, url)
            }
            None => (None, None),
        };
        d.started_at = d.pick(
            "started_at",
            [
                ("/incident/created_at", cow(inc.created_at)),
                ("/incident/created_on", cow(inc.created_on)),
            ],
        );
        if d.status == Status::Resolved {
            d.ended_at = d.pick(
                "ended_at",
                [
                    (
                        "/incident/last_status_change_on",
                        cow(inc.last_status_change_on),
                    ),
                    ("/created_on", cow(created_on)),
                ],
            );
        }
        for (rel, url) in [("incident", cow(inc.html_url)), ("service", service_url)] {
            if let Some(url) = url {
                d.links.push((rel, url));
            }
        }
        d.origin(
            "links",
            "/incident/html_url (incident), /incident/service/html_url (service)",
        );
        d.labels.extend(present([
            ("incident_number", cow(inc.incident_number)),
            ("incident_key", cow(inc.incident_key)),
            ("service_id", service_id),
        ]));
        d.origin(
            "labels",
            "/incident/incident_number, /incident/incident_key, /incident/service/id",
        );
        d.annotations.extend(present([
            ("event", event),
            ("message_id", cow(message_id)),
            ("urgency", urgency),
            (
                "escalation_policy",
                inc.escalation_policy.and_then(Named::name),
            ),
            ("assigned_to", inc.assigned_to_user.and_then(Named::name)),
        ]));
        d.origin(
            "annotations",
            "/event, /id, /incident/urgency, the escalation policy's and assigned user's name",
        );
        b.push(d)
    }
}
