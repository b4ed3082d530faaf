//! Splunk On-Call (VictorOps): the REST endpoint's alert body (`message_type`,
//! `entity_id`, `state_message`, … as a monitoring tool posts it to
//! VictorOps) and Splunk On-Call's outgoing webhooks, either templated with
//! those `${{ALERT.*}}` fields or in their flat dotted form (`"ALERT.entity_id"`,
//! `"INCIDENT.CURRENT_PHASE"`, `"STATE.CURRENT_ALERT_PHASE"`, …).
//!
//! Outgoing webhooks configured in the VictorOps UI may be form-encoded, and
//! their values may arrive JSON-quoted (`entity_state=%22CRITICAL%22`): both
//! are read like a JSON body.
//!
//! One alert per request, keyed by `entity_id`. Every top-level field not
//! mapped to a canonical one is kept as an annotation.

use alloc::borrow::Cow;
use alloc::format;
use alloc::vec::Vec;

use super::{Headers, Sender};
use crate::builder::{Builder, Draft};
use crate::ingest::Payload;
use crate::json::Pairs;
use crate::text::unix_text_to_rfc3339;
use crate::{Error, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::SplunkOncall,
    header_rule: "X-VictorOps-Signature header present",
    by_header,
    shape_rule: "'message_type' with 'entity_id', 'entity_display_name' or 'state_message', or outgoing-webhook 'ALERT.*', 'INCIDENT.*' or 'STATE.*' keys",
    by_shape,
    parse,
};

/// Splunk On-Call signs its outgoing webhooks.
fn by_header(req: &Headers<'_, '_>) -> Option<&'static str> {
    req.header("x-victorops-signature")
        .is_some()
        .then_some("X-VictorOps-Signature header present")
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let has = |k: &str| match p {
        Payload::Json { probe, .. } => probe.has(k),
        Payload::Form(fields) => fields.iter().any(|(name, _)| name == k),
        Payload::Text(_) => false,
    };
    if has("message_type")
        && ["entity_id", "entity_display_name", "state_message"]
            .iter()
            .any(|k| has(k))
    {
        Some("'message_type' with 'entity_id', 'entity_display_name' or 'state_message'")
    } else if DOTTED.iter().any(|k| has(k)) {
        Some("outgoing-webhook 'ALERT.*', 'INCIDENT.*' or 'STATE.*' keys")
    } else {
        None
    }
}

/// Keys only Splunk On-Call's dotted outgoing-webhook payloads carry.
const DOTTED: &[&str] = &[
    "ALERT.message_type",
    "ALERT.entity_id",
    "INCIDENT.INCIDENT_ID",
    "INCIDENT.CURRENT_PHASE",
    "STATE.CURRENT_ALERT_PHASE",
];

// Each canonical field from the first of its keys that has a value: the
// REST field, then the dotted outgoing-webhook forms.
const MESSAGE_TYPE: &[&str] = &["message_type", "ALERT.message_type"];
const PHASE: &[&str] = &[
    "INCIDENT.CURRENT_PHASE",
    "STATE.CURRENT_ALERT_PHASE",
    "current_alert_phase",
];
const ENTITY_STATE: &[&str] = &[
    "entity_state",
    "ALERT.entity_state",
    "STATE.CURRENT_STATE",
    "INCIDENT.ENTITY_STATE",
];
const ENTITY_ID: &[&str] = &["entity_id", "ALERT.entity_id", "STATE.ENTITY_ID"];
const DISPLAY_NAME: &[&str] = &[
    "entity_display_name",
    "ALERT.entity_display_name",
    "INCIDENT.ENTITY_DISPLAY_NAME",
];
const STATE_MESSAGE: &[&str] = &["state_message", "ALERT.state_message"];
const HOST: &[&str] = &[
    "host_name",
    "ALERT.host_name",
    "STATE.HOST",
    "INCIDENT.HOST",
];
const ENTITY_IS_HOST: &[&str] = &["entity_is_host", "ALERT.entity_is_host"];
const SERVICE: &[&str] = &["STATE.SERVICE", "INCIDENT.SERVICE"];
/// When the incident began: right for any status.
const INCIDENT_START: &[&str] = &[
    "INCIDENT.INCIDENT_TIMESTAMP",
    "STATE.INCIDENT_TIMESTAMP",
    "incident_timestamp",
];
/// For a critical alert, entering the current state is the start.
const TRIGGER_TIMES: &[&str] = &[
    "INCIDENT.INCIDENT_TIMESTAMP",
    "STATE.INCIDENT_TIMESTAMP",
    "incident_timestamp",
    "state_start_time",
    "ALERT.state_start_time",
    "STATE.STATE_START_TIME",
    "timestamp",
    "ALERT.timestamp",
    "vo_alert_rcv_time",
];
/// For a recovery, entering the current state is the end.
const END_TIMES: &[&str] = &[
    "STATE.RESOLVED_AT",
    "state_start_time",
    "ALERT.state_start_time",
    "STATE.STATE_START_TIME",
    "timestamp",
    "ALERT.timestamp",
    "vo_alert_rcv_time",
];
const LABELS: &[(&str, &[&str])] = &[
    ("routing_key", &["routing_key", "ALERT.routing_key"]),
    (
        "monitoring_tool",
        &["monitoring_tool", "ALERT.monitoring_tool"],
    ),
    (
        "incident_number",
        &[
            "INCIDENT.INCIDENT_ID",
            "STATE.INCIDENT_NAME",
            "incident_name",
            "incident",
        ],
    ),
];
const LINKS: &[(&str, &[&str])] = &[
    ("alert", &["alert_url", "ALERT.alert_url"]),
    ("details", &["STATE.INFO_URL"]),
];

/// The body's top-level fields, and which of them a canonical field used.
struct Fields<'a> {
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    used: Vec<bool>,
}

impl<'a> Fields<'a> {
    /// The first of `keys` with a value (last duplicate wins), marked used.
    fn take(&mut self, keys: &[&'static str]) -> Option<(&'static str, Cow<'a, str>)> {
        self.take_where(keys, |_| true)
    }

    /// Like `take`, for values that pass `ok`.
    fn take_where(
        &mut self,
        keys: &[&'static str],
        ok: impl Fn(&str) -> bool,
    ) -> Option<(&'static str, Cow<'a, str>)> {
        keys.iter().find_map(|&key| {
            let i = self
                .pairs
                .iter()
                .rposition(|(k, v)| k == key && has_value(v) && ok(v))?;
            self.used[i] = true;
            Some((key, self.pairs[i].1.clone()))
        })
    }

    /// Like `take`, recording the key as the origin of `field`.
    fn pick(
        &mut self,
        d: &mut Draft<'a>,
        field: &'static str,
        keys: &[&'static str],
    ) -> Option<Cow<'a, str>> {
        let (key, value) = self.take(keys)?;
        d.origin_with(field, || format!("/{key}"));
        Some(value)
    }
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let pairs = match p {
        Payload::Form(fields) => fields.clone(),
        _ => {
            let (text, _) = p.json(b)?;
            let all: Pairs<'_> = b.typed(text)?;
            all.to_cows()
        }
    };
    if !MESSAGE_TYPE
        .iter()
        .chain(DOTTED)
        .any(|k| pairs.iter().any(|(name, _)| name == k))
    {
        return Err(b.mismatch("missing required field 'message_type'"));
    }
    let pairs: Vec<_> = pairs.into_iter().map(|(k, v)| (k, unquote(v))).collect();
    let mut f = Fields {
        used: alloc::vec![false; pairs.len()],
        pairs,
    };
    let mut d = b.draft();

    // CRITICAL, WARNING and INFO are also severities; ACKNOWLEDGEMENT and RECOVERY are not.
    let is_severity = |w: &str| {
        ["CRITICAL", "WARNING", "INFO"]
            .iter()
            .any(|s| w.trim().eq_ignore_ascii_case(s))
    };
    // An outgoing webhook's incident phase is the truth: a user's ack in the
    // app does not change the alert's `message_type`.
    let phase = f.take(PHASE);
    let message_type = match phase {
        Some(_) => f.take_where(MESSAGE_TYPE, is_severity),
        None => f.take(MESSAGE_TYPE),
    };
    d.status = if let Some((key, phase)) = phase {
        d.origin_with("status", || format!("/{key}"));
        match phase.trim().to_ascii_uppercase().as_str() {
            "UNACKED" => Status::Triggered,
            "ACKED" => Status::Acknowledged,
            "RESOLVED" => Status::Resolved,
            _ => b.status(Some(&phase)),
        }
    } else if let Some((key, word)) = &message_type {
        d.origin_with("status", || format!("/{key}"));
        match word.trim().to_ascii_uppercase().as_str() {
            "CRITICAL" | "WARNING" | "INFO" => Status::Triggered,
            "ACKNOWLEDGEMENT" => Status::Acknowledged,
            "RECOVERY" => Status::Resolved,
            _ => b.status(Some(word)),
        }
    } else {
        Status::Triggered
    };

    let severity = message_type
        .filter(|(_, w)| is_severity(w))
        .or_else(|| f.take_where(ENTITY_STATE, is_severity));
    if let Some((key, word)) = severity {
        d.origin_with("severity_raw", || format!("/{key}"));
        d.severity_raw = Some(word);
    }

    let entity_id = f.pick(&mut d, "dedup_key", ENTITY_ID);
    d.vendor_key = entity_id.clone();
    if entity_id.is_some() {
        d.origin("source_ref", "the dedup key's field");
    }
    d.source_ref = entity_id.clone();
    d.title = match f.pick(&mut d, "title", DISPLAY_NAME) {
        Some(name) => Some(name),
        None => f.pick(&mut d, "title", ENTITY_ID),
    };
    d.description = f.pick(&mut d, "description", STATE_MESSAGE);
    d.service = f.pick(&mut d, "service", SERVICE);
    d.host = f.pick(&mut d, "host", HOST);
    if d.host.is_none()
        && f.take(ENTITY_IS_HOST)
            .is_some_and(|(_, v)| v.trim().eq_ignore_ascii_case("true"))
    {
        d.origin("host", "the entity id, as entity_is_host is true");
        d.host = entity_id;
    }

    let starts = if d.status == Status::Triggered {
        TRIGGER_TIMES
    } else {
        INCIDENT_START
    };
    d.started_at = f.pick(&mut d, "started_at", starts).map(time);
    if d.status == Status::Resolved {
        d.ended_at = f.pick(&mut d, "ended_at", END_TIMES).map(time);
    }

    for &(name, keys) in LABELS {
        if let Some((_, v)) = f.take(keys) {
            d.labels.push((Cow::Borrowed(name), v));
        }
    }
    if !d.labels.is_empty() {
        d.origin(
            "labels",
            "routing_key, monitoring_tool and the incident number (INCIDENT.INCIDENT_ID)",
        );
    }
    for &(rel, keys) in LINKS {
        if let Some((_, v)) = f.take(keys) {
            d.links.push((rel, v));
        }
    }
    // Rules-engine URL and image annotations; their labels stay in the annotations.
    for (k, v) in &f.pairs {
        let name = k.strip_prefix("ALERT.").unwrap_or(k);
        if name.starts_with("vo_annotate.u.") && has_value(v) {
            d.links.push(("details", v.clone()));
        } else if name.starts_with("vo_annotate.i.") && has_value(v) {
            d.links.push(("image", v.clone()));
        }
    }
    if !d.links.is_empty() {
        d.origin(
            "links",
            "alert_url (alert), STATE.INFO_URL (details), vo_annotate.u.* (details), vo_annotate.i.* (image)",
        );
    }

    d.annotations = f
        .pairs
        .into_iter()
        .zip(f.used)
        .filter(|((_, v), used)| !used && has_value(v))
        .map(|(pair, _)| pair)
        .collect();
    if !d.annotations.is_empty() {
        d.origin("annotations", "every other top-level field");
    }
    b.push(d)
}

/// A value the VictorOps UI sent JSON-quoted (`"CRITICAL"`), as its text.
fn unquote(v: Cow<'_, str>) -> Cow<'_, str> {
    let t = v.trim();
    if t.len() >= 2
        && t.starts_with('"')
        && t.ends_with('"')
        && let Ok(s) = serde_json::from_str::<alloc::string::String>(t)
    {
        return Cow::Owned(s);
    }
    v
}

/// Unix seconds or milliseconds as RFC 3339; anything else is kept for the builder to judge.
fn time(t: Cow<'_, str>) -> Cow<'_, str> {
    unix_text_to_rfc3339(&t).map_or(t, Cow::Owned)
}

/// Not blank, and not a template variable Splunk On-Call left unexpanded (`${{ALERT.host_name}}`).
fn has_value(v: &str) -> bool {
    let v = v.trim();
    let unexpanded = v.starts_with("${{") && v.ends_with("}}");
    !v.is_empty() && !unexpanded
}
