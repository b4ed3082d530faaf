//! Uptime Kuma webhook notifications: `{heartbeat, monitor, msg}` as JSON, or
//! that JSON in a multipart field named `data` (unwrapped before we get here).
//!
//! `heartbeat.status`: 0 down, 1 up, 2 pending, 3 maintenance. Without a
//! heartbeat and monitor the request is a test notification.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use super::{Headers, Sender};
use crate::Notice;
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Kind, Text};
use crate::{Error, Severity, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::UptimeKuma,
    header_rule: "User-Agent starts with Uptime-Kuma",
    by_header,
    shape_rule: "'heartbeat' or 'monitor' with 'msg', or 'heartbeat' and 'monitor' objects",
    by_shape,
    parse,
};

fn by_header(req: &Headers<'_, '_>) -> Option<&'static str> {
    req.user_agent_starts_with("Uptime-Kuma")
        .then_some("User-Agent starts with Uptime-Kuma")
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    if probe.kind("msg").is_some()
        && (probe.kind("heartbeat").is_some() || probe.kind("monitor").is_some())
    {
        return Some("'heartbeat' or 'monitor' with 'msg'");
    }
    // Some of Kuma's own providers post both objects without a top-level `msg`.
    (probe.is("heartbeat", Kind::Object) && probe.is("monitor", Kind::Object))
        .then_some("'heartbeat' and 'monitor' objects")
}

#[derive(Deserialize)]
struct Kuma<'a> {
    #[serde(borrow)]
    heartbeat: Option<Heartbeat<'a>>,
    #[serde(borrow)]
    monitor: Option<Monitor<'a>>,
    #[serde(borrow)]
    msg: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Heartbeat<'a> {
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    msg: Option<Text<'a>>,
    #[serde(borrow)]
    time: Option<Text<'a>>,
    #[serde(borrow)]
    ping: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Monitor<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    hostname: Option<Text<'a>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(borrow, default)]
    tags: Option<Vec<Tag<'a>>>,
}

#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    value: Option<Text<'a>>,
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let (text, probe) = p.json(b)?;
    if probe.kind("heartbeat").is_none() && probe.kind("monitor").is_none() {
        return Err(b.mismatch("missing required field 'heartbeat'"));
    }
    let k: Kuma<'_> = b.typed(text)?;
    let (heartbeat, monitor) = match (k.heartbeat, k.monitor) {
        (None, None) => {
            b.notice = Some(Notice::TestNotification);
            if let Some(msg) = &k.msg {
                b.annotate("msg", msg.as_str());
            }
            return Ok(());
        }
        pair => pair,
    };

    let mut d = b.draft();
    d.availability = true;
    let mut time = None;
    match heartbeat {
        Some(h) => {
            let code = h.status.as_ref().map(Text::as_str);
            d.origin("status", "/heartbeat/status");
            match code.map(str::trim) {
                Some("0") => d.status = Status::Triggered,
                Some("1") => d.status = Status::Resolved,
                Some("2") => {
                    // Pending: failing, but still within its retries.
                    d.status = Status::Triggered;
                    d.implied_severity = Some(Severity::Warning);
                }
                Some("3") => {
                    // Maintenance is planned: known, not a problem.
                    d.status = Status::Acknowledged;
                    d.implied_severity = Some(Severity::Info);
                }
                other => d.status = b.status(other),
            }
            d.description = d.pick(
                "description",
                [
                    ("/heartbeat/msg", h.msg.map(|t| t.0)),
                    ("/msg", k.msg.as_ref().map(|t| t.0.clone())),
                ],
            );
            time = h.time.map(|t| utc_time(t.0));
            if let Some(ping) = h.ping {
                d.annotations.push((Cow::Borrowed("ping_ms"), ping.0));
            }
        }
        None => {
            // A monitor event without a heartbeat (e.g. a certificate expiry notice).
            d.availability = false;
        }
    }
    if d.description.is_none() {
        d.description = d.pick(
            "description",
            [("/msg", k.msg.as_ref().map(|t| t.0.clone()))],
        );
    }
    match d.status {
        Status::Resolved => d.ended_at = d.pick("ended_at", [("/heartbeat/time", time)]),
        _ => d.started_at = d.pick("started_at", [("/heartbeat/time", time)]),
    }

    if let Some(m) = monitor {
        d.title = d.pick("title", [("/monitor/name", m.name.map(|t| t.0))]);
        let id = m.id.map(|t| t.0);
        d.vendor_key = d.pick("dedup_key", [("/monitor/id", id.clone())]);
        d.source_ref = d.pick("source_ref", [("/monitor/id", id)]);
        let url = m.url.map(|t| t.0).filter(|u| has_host(u));
        let url_host = url
            .as_deref()
            .and_then(host_of)
            .map(|h| Cow::Owned(String::from(h)));
        d.host = d.pick(
            "host",
            [
                ("/monitor/hostname", m.hostname.map(|t| t.0)),
                ("the host of /monitor/url", url_host),
            ],
        );
        if let Some(url) = url {
            d.links.push(("target", url));
            d.origin("links", "/monitor/url (target)");
        }
        if let Some(kind) = m.kind {
            d.annotations.push((Cow::Borrowed("monitor_type"), kind.0));
        }
        d.origin("labels", "/monitor/tags");
        d.origin("annotations", "/monitor/type, /heartbeat/ping");
        for tag in m.tags.unwrap_or_default() {
            if let Some(name) = tag.name {
                d.labels
                    .push((name.0, tag.value.map_or(Cow::Borrowed(""), |v| v.0)));
            }
        }
    }
    if d.title.is_none() {
        d.title = d.pick("title", [("/msg", k.msg.map(|t| t.0))]);
    }
    b.push(d)
}

/// Kuma's `YYYY-MM-DD HH:MM:SS.mmm` heartbeat time (UTC) as RFC 3339.
fn utc_time(t: Cow<'_, str>) -> Cow<'_, str> {
    let s = t.trim();
    let b = s.as_bytes();
    let naive = (b.len() == 19 || (b.len() > 20 && b[19] == b'.')) && b.get(10) == Some(&b' ');
    if naive && b.iter().all(|c| c.is_ascii_digit() || b"-: .".contains(c)) {
        let mut out = String::with_capacity(s.len() + 1);
        out.push_str(&s[..10]);
        out.push('T');
        out.push_str(&s[11..]);
        out.push('Z');
        return Cow::Owned(out);
    }
    t
}

/// Kuma fills `url` with a bare `https://` for monitors that have none.
fn has_host(url: &str) -> bool {
    host_of(url).is_some()
}

fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host.split(':').next()?,
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_urls() {
        assert_eq!(
            host_of("https://gitea.example.com/x"),
            Some("gitea.example.com")
        );
        assert_eq!(host_of("http://u:p@h.example:8080/"), Some("h.example"));
        assert_eq!(host_of("http://[::1]:80/"), Some("::1"));
        assert_eq!(host_of("https://"), None);
        assert_eq!(host_of("gitea"), None);
    }

    #[test]
    fn kuma_time_becomes_rfc3339() {
        assert_eq!(
            utc_time("2024-01-15 10:30:00.123".into()),
            "2024-01-15T10:30:00.123Z"
        );
        assert_eq!(
            utc_time("2024-01-15 10:30:00".into()),
            "2024-01-15T10:30:00Z"
        );
        assert_eq!(
            utc_time("2024-01-15T10:30:00Z".into()),
            "2024-01-15T10:30:00Z"
        );
    }
}
