//! Zabbix webhook media type, in the body alertgate recommends
//! (docs/sources/zabbix.md): the media type's parameters, named after the
//! macros they carry (`event_id` ← `{EVENT.ID}`, …), posted as one JSON object.
//!
//! Other media types (Zabbix's own integrations, scripts from other tools'
//! guides) name the same macros differently: `title`/`subject`/`message`,
//! `eventid`, `status`/`severity`/`nseverity`, `host`/`hostname`, `trigger`,
//! `item`; each is read after the recommended name.
//!
//! Problem, recovery and update messages of one problem all carry the
//! problem's `{EVENT.ID}`, so it is the dedup key. Severities follow Zabbix's
//! own scale (High is below Disaster), not the shared vocabulary.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use super::{Sender, no_header, tag_labels};
use crate::Notice;
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Text, cow};
use crate::text::unix_text_to_rfc3339;
use crate::{Error, Severity, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Zabbix,
    header_rule: "",
    by_header: no_header,
    shape_rule: "'trigger_id' with 'event_value'; an event id with 'trigger_id', 'event_nseverity', 'event_source' or 'zabbix_url'; or 'trigger' and 'item' with 'host' or 'hostname'",
    by_shape,
    parse,
};

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    let any = |keys: &[&str]| keys.iter().any(|k| probe.has(k));
    if probe.has("trigger_id") && probe.has("event_value") {
        Some("'trigger_id' with 'event_value'")
    } else if any(EVENT_IDS)
        && any(&[
            "trigger_id",
            "triggerid",
            "triggerId",
            "event_nseverity",
            "event_source",
            "zabbix_url",
        ])
    {
        Some(
            "an event id ('event_id', 'eventid') with 'trigger_id', 'event_nseverity', 'event_source' or 'zabbix_url'",
        )
    } else if probe.has("trigger") && probe.has("item") && any(&["host", "hostname", "host_name"]) {
        Some("'trigger' and 'item' with 'host' or 'hostname' (a media script's body)")
    } else {
        None
    }
}

/// The event id under the names media types give it.
const EVENT_IDS: &[&str] = &["event_id", "eventid", "eventId"];

/// The recommended body. Unknown fields are ignored.
#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    event_id: Option<Text<'a>>,
    #[serde(borrow)]
    event_value: Option<Text<'a>>,
    #[serde(borrow)]
    event_status: Option<Text<'a>>,
    #[serde(borrow)]
    event_name: Option<Text<'a>>,
    #[serde(borrow)]
    event_severity: Option<Text<'a>>,
    #[serde(borrow)]
    event_nseverity: Option<Text<'a>>,
    #[serde(borrow)]
    event_timestamp: Option<Text<'a>>,
    #[serde(borrow)]
    event_recovery_id: Option<Text<'a>>,
    #[serde(borrow)]
    event_recovery_timestamp: Option<Text<'a>>,
    #[serde(borrow)]
    event_update_status: Option<Text<'a>>,
    #[serde(borrow)]
    event_update_action: Option<Text<'a>>,
    #[serde(borrow)]
    event_update_message: Option<Text<'a>>,
    #[serde(borrow)]
    event_ack_status: Option<Text<'a>>,
    #[serde(borrow)]
    event_opdata: Option<Text<'a>>,
    /// `{EVENT.TAGSJSON}` parsed by the script (an array), or `{EVENT.TAGS}` text.
    #[serde(borrow)]
    event_tags: Option<Text<'a>>,
    #[serde(borrow)]
    trigger_id: Option<Text<'a>>,
    #[serde(borrow)]
    trigger_name: Option<Text<'a>>,
    #[serde(borrow)]
    trigger_description: Option<Text<'a>>,
    #[serde(borrow)]
    trigger_url: Option<Text<'a>>,
    #[serde(borrow)]
    host_name: Option<Text<'a>>,
    #[serde(borrow)]
    host_host: Option<Text<'a>>,
    #[serde(borrow)]
    host_ip: Option<Text<'a>>,
    #[serde(borrow)]
    zabbix_url: Option<Text<'a>>,
    // Other media types' names for the same macros.
    #[serde(borrow)]
    eventid: Option<Text<'a>>,
    #[serde(rename = "eventId", borrow)]
    event_id_camel: Option<Text<'a>>,
    #[serde(borrow)]
    triggerid: Option<Text<'a>>,
    #[serde(borrow)]
    title: Option<Text<'a>>,
    #[serde(borrow)]
    subject: Option<Text<'a>>,
    #[serde(borrow)]
    trigger: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    message: Option<Text<'a>>,
    #[serde(borrow)]
    description: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    severity: Option<Text<'a>>,
    #[serde(borrow)]
    nseverity: Option<Text<'a>>,
    #[serde(borrow)]
    host: Option<Text<'a>>,
    #[serde(borrow)]
    hostname: Option<Text<'a>>,
    #[serde(borrow)]
    item: Option<Text<'a>>,
    #[serde(borrow)]
    link: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
}

/// One `{EVENT.TAGSJSON}` element.
#[derive(Deserialize)]
struct Tag {
    tag: Option<String>,
    value: Option<String>,
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let (text, probe) = p.json(b)?;
    let has_id = EVENT_IDS.iter().any(|k| probe.has(k));
    if !has_id && !probe.has("trigger") && !probe.has("trigger_name") && !probe.has("title") {
        return Err(b.mismatch("missing required field 'event_id'"));
    }
    let z: Body<'_> = b.typed(text)?;
    let event_id = get(z.event_id.clone())
        .or_else(|| get(z.eventid.clone()))
        .or_else(|| get(z.event_id_camel.clone()));
    if has_id && event_id.is_none() {
        // Every real event expands {EVENT.ID}; the media type's "Test" dialog does not.
        b.notice = Some(Notice::TestNotification);
        if let Some(name) = get(z.event_name).or(get(z.trigger_name)) {
            b.annotate("event_name", &name);
        }
        return Ok(());
    }

    let mut d = b.draft();
    let value = get(z.event_value);
    let updated = get(z.event_update_status).is_some_and(|s| s.trim() == "1");
    let action = get(z.event_update_action);
    let ack = get(z.event_ack_status);
    let event_status = get(z.event_status).or_else(|| get(z.status));
    let closed = action
        .as_deref()
        .is_some_and(|a| a.to_ascii_lowercase().contains("closed"));
    d.status = if value.as_deref().map(str::trim) == Some("0") {
        d.origin("status", "/event_value (0: recovery)");
        Status::Resolved
    } else if updated && closed {
        d.origin("status", "/event_update_action (closed)");
        Status::Resolved
    } else if updated {
        d.origin(
            "status",
            "/event_ack_status on an update (/event_update_status 1)",
        );
        if ack
            .as_deref()
            .is_some_and(|a| a.trim().eq_ignore_ascii_case("yes"))
        {
            Status::Acknowledged
        } else {
            Status::Triggered
        }
    } else if value.as_deref().map(str::trim) == Some("1") {
        d.origin("status", "/event_value (1: problem)");
        Status::Triggered
    } else if action
        .as_deref()
        .is_some_and(|a| a.to_ascii_lowercase().contains("acknowledged"))
        || event_status.as_deref().is_some_and(is_ack_word)
    {
        d.origin(
            "status",
            "an acknowledgement update (/event_update_action or /status)",
        );
        Status::Acknowledged
    } else {
        d.origin("status", "/event_status, else /status");
        b.status(event_status.as_deref())
    };

    let name = get(z.event_severity).or_else(|| get(z.severity));
    let level = get(z.event_nseverity)
        .or_else(|| get(z.nseverity))
        .and_then(|n| severity_of_number(&n))
        .or_else(|| name.as_deref().and_then(severity_of_name));
    match level {
        Some(s) => d.implied_severity = Some(s),
        // A renamed severity: let the shared vocabulary judge it.
        None => d.severity_raw = d.pick("severity_raw", [("/event_severity", name.clone())]),
    }

    let message = get(z.message);
    d.title = d.pick(
        "title",
        [
            ("/event_name", get(z.event_name)),
            ("/trigger_name", get(z.trigger_name)),
            ("/title", get(z.title).map(strip_prefix)),
            ("/subject", get(z.subject).map(strip_prefix)),
            ("/trigger", get(z.trigger)),
            ("/name", get(z.name)),
            (
                "/message (first line)",
                message.as_deref().and_then(first_line),
            ),
        ],
    );
    d.description = d.pick(
        "description",
        [
            ("/trigger_description", get(z.trigger_description)),
            ("/description", get(z.description)),
            ("/message", message),
        ],
    );
    d.vendor_key = d.pick(
        "dedup_key",
        [("/event_id, /eventid or /eventId", event_id.clone())],
    );
    d.source_ref = d.pick(
        "source_ref",
        [("/event_id, /eventid or /eventId", event_id.clone())],
    );

    let host_host = get(z.host_host);
    let host_name = get(z.host_name);
    d.host = d.pick(
        "host",
        [
            ("/host_name", host_name.clone()),
            ("/host_host", host_host.clone()),
            ("/hostname", get(z.hostname)),
            ("/host", get(z.host)),
        ],
    );

    let tags = get(z.event_tags).map(|t| tag_list(&t)).unwrap_or_default();
    let service = tags
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("service") && !v.trim().is_empty())
        .map(|(_, v)| Cow::Owned(v.clone()));
    d.service = d.pick("service", [("the 'service' tag in /event_tags", service)]);
    d.labels = tags
        .into_iter()
        .map(|(k, v)| (Cow::Owned(k), Cow::Owned(v)))
        .collect();
    let trigger_id = get(z.trigger_id).or_else(|| get(z.triggerid));
    if let Some(id) = &trigger_id {
        d.labels.push((Cow::Borrowed("trigger_id"), id.clone()));
    }
    d.origin("labels", "/event_tags and /trigger_id");

    let started = get(z.event_timestamp).and_then(|t| unix_seconds(&t));
    d.started_at = d.pick(
        "started_at",
        [("/event_timestamp (Unix s)", started.map(Cow::Owned))],
    );
    if d.status == Status::Resolved {
        let ended = get(z.event_recovery_timestamp).and_then(|t| unix_seconds(&t));
        d.ended_at = d.pick(
            "ended_at",
            [("/event_recovery_timestamp (Unix s)", ended.map(Cow::Owned))],
        );
    }

    // The technical name, when the host field shows the visible name.
    let host_host = host_host.filter(|h| host_name.as_ref().is_some_and(|n| n != h));
    for (k, v) in [
        ("severity", name.filter(|_| level.is_some())),
        ("event_status", event_status),
        ("opdata", get(z.event_opdata)),
        ("host_host", host_host),
        ("host_ip", get(z.host_ip)),
        ("recovery_event_id", get(z.event_recovery_id)),
        ("update_action", action.filter(|_| updated)),
        (
            "update_message",
            get(z.event_update_message).filter(|_| updated),
        ),
        ("ack_status", ack),
        ("item", get(z.item)),
    ] {
        if let Some(v) = v {
            d.annotations.push((Cow::Borrowed(k), v));
        }
    }
    d.origin(
        "annotations",
        "/event_severity, /event_status, /event_opdata, /host_host, /host_ip, /event_recovery_id, /event_update_action, /event_update_message, /event_ack_status",
    );

    let zabbix = get(z.zabbix_url);
    if let (Some(base), Some(trigger), Some(event)) = (zabbix, &trigger_id, &event_id) {
        d.links.push((
            "incident",
            Cow::Owned(format!(
                "{}/tr_events.php?triggerid={}&eventid={}",
                base.trim().trim_end_matches('/'),
                trigger.trim(),
                event.trim()
            )),
        ));
    }
    if let Some(url) = get(z.trigger_url) {
        d.links.push(("details", url));
    }
    if let Some(url) = get(z.link).or_else(|| get(z.url)) {
        d.links.push(("incident", url));
    }
    d.origin(
        "links",
        "/zabbix_url + tr_events.php for /trigger_id and /event_id (incident), /trigger_url (details)",
    );
    b.push(d)
}

/// A subject's leading `Problem:` / `Resolved:` word, which only repeats the status.
fn strip_prefix(t: Cow<'_, str>) -> Cow<'_, str> {
    let trimmed = t.trim_start();
    for word in [
        "Problem:",
        "Resolved:",
        "Recovered:",
        "OK:",
        "PROBLEM:",
        "RESOLVED:",
        "Updated problem:",
    ] {
        if let Some(rest) = trimmed.strip_prefix(word)
            && !rest.trim().is_empty()
        {
            return Cow::Owned(String::from(rest.trim()));
        }
    }
    t
}

/// The first non-blank line of a text.
fn first_line(t: &str) -> Option<Cow<'static, str>> {
    t.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| Cow::Owned(String::from(l)))
}

/// A status word that reports an acknowledgement update.
fn is_ack_word(w: &str) -> bool {
    let w = w.trim();
    ["acknowledged", "ack", "acknowledge"]
        .iter()
        .any(|a| w.eq_ignore_ascii_case(a))
}

/// Whether Zabbix expanded the macro: unresolved ones stay as `{MACRO}` or `*UNKNOWN*`.
fn expanded(v: &str) -> bool {
    let v = v.trim();
    !v.is_empty()
        && v != "*UNKNOWN*"
        && !(v.starts_with('{') && v.ends_with('}') && !v.contains('"'))
}

/// A `{EVENT.TIMESTAMP}`-style Unix time (digits only) as RFC 3339.
fn unix_seconds(t: &str) -> Option<String> {
    let t = t.trim();
    let digits = !t.is_empty() && t.len() <= 15 && t.bytes().all(|c| c.is_ascii_digit());
    digits.then(|| unix_text_to_rfc3339(t)).flatten()
}

/// `{EVENT.NSEVERITY}`: 0 not classified … 5 disaster.
fn severity_of_number(n: &str) -> Option<Severity> {
    Some(match n.trim() {
        "0" | "1" => Severity::Info,
        "2" | "3" => Severity::Warning,
        "4" => Severity::Error,
        "5" => Severity::Critical,
        _ => return None,
    })
}

/// `{EVENT.SEVERITY}` under Zabbix's default names.
fn severity_of_name(name: &str) -> Option<Severity> {
    let n = name.trim();
    let is = |w: &str| n.eq_ignore_ascii_case(w);
    Some(if is("Disaster") {
        Severity::Critical
    } else if is("High") {
        Severity::Error
    } else if is("Average") || is("Warning") {
        Severity::Warning
    } else if is("Information") || is("Not classified") {
        Severity::Info
    } else {
        return None;
    })
}

/// Tags from `{EVENT.TAGSJSON}` (an array of `{tag, value}`) or `{EVENT.TAGS}` (`tag:value, …`).
fn tag_list(tags: &str) -> Vec<(String, String)> {
    let t = tags.trim();
    if t.starts_with('[')
        && let Ok(list) = serde_json::from_str::<Vec<Tag>>(t)
    {
        return list
            .into_iter()
            .filter_map(|tag| Some((tag.tag?, tag.value.unwrap_or_default())))
            .filter(|(k, _)| !k.trim().is_empty())
            .collect();
    }
    tag_labels(t.split(','))
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A field's text, when Zabbix expanded its macro.
fn get(t: Option<Text<'_>>) -> Option<Cow<'_, str>> {
    cow(t).filter(|v| expanded(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zabbix_severities_follow_zabbix() {
        assert_eq!(severity_of_name("High"), Some(Severity::Error));
        assert_eq!(severity_of_name("disaster"), Some(Severity::Critical));
        assert_eq!(severity_of_name("Not classified"), Some(Severity::Info));
        assert_eq!(severity_of_name("Urgent"), None);
        assert_eq!(severity_of_number("3"), Some(Severity::Warning));
        assert_eq!(severity_of_number("9"), None);
    }

    #[test]
    fn unexpanded_macros_are_absent() {
        assert!(!expanded("{EVENT.RECOVERY.TIMESTAMP}"));
        assert!(!expanded("*UNKNOWN*"));
        assert!(!expanded("  "));
        assert!(expanded("1705314600"));
        assert!(expanded("[{\"tag\":\"a\",\"value\":\"b\"}]"));
    }

    #[test]
    fn tags_from_json_or_text() {
        assert_eq!(
            tag_list(r#"[{"tag":"service","value":"db"},{"tag":"prod","value":""}]"#),
            [
                (String::from("service"), String::from("db")),
                (String::from("prod"), String::new())
            ]
        );
        assert_eq!(
            tag_list("service:db, env:prod"),
            [
                (String::from("service"), String::from("db")),
                (String::from("env"), String::from("prod"))
            ]
        );
    }
}
