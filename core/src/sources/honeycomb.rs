//! Honeycomb trigger webhooks (the default payload, version `v0.1.0`): one
//! alert per trigger, `status` `TRIGGERED` or `OK`. A test (`is_test: true`)
//! gives 0 alerts and a notice.
//!
//! The payload's `shared_secret` (and the `X-Honeycomb-Webhook-Token` header)
//! is a credential: it is never read, so it can never reach the output.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use super::{Headers, Sender};
use crate::Notice;
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Pairs, Text, cow};
use crate::{Error, Source};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Honeycomb,
    header_rule: "X-Honeycomb-Webhook-Delivery-ID or X-Honeycomb-Webhook-Token header present",
    by_header,
    shape_rule: "'result_groups_triggered', or 'trigger_url' with 'result_url'",
    by_shape,
    parse,
};

fn by_header(req: &Headers<'_, '_>) -> Option<&'static str> {
    if req.header("x-honeycomb-webhook-delivery-id").is_some() {
        Some("X-Honeycomb-Webhook-Delivery-ID header present")
    } else if req.header("x-honeycomb-webhook-token").is_some() {
        Some("X-Honeycomb-Webhook-Token header present")
    } else {
        None
    }
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    if probe.kind("result_groups_triggered").is_some() {
        Some("'result_groups_triggered'")
    } else if probe.has("trigger_url") && probe.has("result_url") {
        Some("'trigger_url' with 'result_url'")
    } else {
        None
    }
}

/// A trigger notification. `shared_secret` is deliberately not a field.
#[derive(Deserialize)]
struct Trigger<'a> {
    #[serde(borrow)]
    version: Option<Text<'a>>,
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    trigger_description: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    alert_type: Option<Text<'a>>,
    #[serde(borrow)]
    summary: Option<Text<'a>>,
    #[serde(borrow)]
    description: Option<Text<'a>>,
    #[serde(borrow)]
    operator: Option<Text<'a>>,
    #[serde(borrow)]
    threshold: Option<Text<'a>>,
    #[serde(borrow)]
    result_url: Option<Text<'a>>,
    #[serde(borrow)]
    trigger_url: Option<Text<'a>>,
    #[serde(borrow, default)]
    result_groups_triggered: Option<Vec<Group<'a>>>,
    #[serde(borrow)]
    is_test: Option<Text<'a>>,
}

/// One row of the trigger's result: the group-by values and the calculated value.
#[derive(Deserialize)]
struct Group<'a> {
    #[serde(rename = "Group", borrow, default)]
    group: Option<Pairs<'a>>,
    #[serde(rename = "Result", borrow)]
    result: Option<Text<'a>>,
}

/// Group-by columns that name the service or the host, by OpenTelemetry and common names.
const SERVICE_KEYS: &[&str] = &["service.name", "service_name", "service"];
const HOST_KEYS: &[&str] = &["host.name", "hostname", "host"];
/// How many triggered groups the `result_groups_triggered` annotation lists.
const MAX_GROUPS: usize = 20;

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let (text, probe) = p.json(b)?;
    if !probe.has("name") && !probe.has("id") {
        return Err(b.mismatch("missing required field 'name' (or 'id')"));
    }
    let t: Trigger<'_> = b.typed(text)?;
    if t.is_test
        .as_ref()
        .is_some_and(|v| v.as_str().trim().eq_ignore_ascii_case("true"))
    {
        b.notice = Some(Notice::TestNotification);
        for (key, value) in [("name", &t.name), ("summary", &t.summary)] {
            if let Some(v) = value {
                b.annotate(key, v.as_str());
            }
        }
        return Ok(());
    }

    let mut d = b.draft();
    d.status = b.status(t.status.as_ref().map(Text::as_str));
    if t.status.is_some() {
        d.origin("status", "/status");
    }
    d.title = d.pick(
        "title",
        [("/name", cow(t.name)), ("/summary", cow(t.summary.clone()))],
    );
    d.description = d.pick(
        "description",
        [
            ("/description", cow(t.description)),
            ("/trigger_description", cow(t.trigger_description.clone())),
        ],
    );
    let id = d.pick("dedup_key", [("/id", cow(t.id))]);
    d.source_ref = id.clone();
    d.vendor_key = id;
    d.origin("source_ref", "/id");

    let groups = t.result_groups_triggered.unwrap_or_default();
    // A column every triggered group agrees on names the service (or host).
    let agreed = |keys: &[&str]| {
        let key = keys
            .iter()
            .find(|k| groups.iter().any(|g| value(g, k).is_some()))?;
        let mut values = groups.iter().map(|g| value(g, key));
        let first = values.next()??;
        values
            .all(|v| v.is_some_and(|v| v == first))
            .then(|| first.clone())
    };
    let service = agreed(SERVICE_KEYS);
    let host = agreed(HOST_KEYS);
    d.service = d.pick(
        "service",
        [("the service column all triggered groups share", service)],
    );
    d.host = d.pick(
        "host",
        [("the host column all triggered groups share", host)],
    );
    if let [only] = groups.as_slice()
        && let Some(pairs) = &only.group
    {
        d.labels = pairs.to_cows();
        if !d.labels.is_empty() {
            d.origin(
                "labels",
                "/result_groups_triggered/0/Group (the only triggered group)",
            );
        }
    }
    if !groups.is_empty() {
        let mut rows = String::new();
        for (i, g) in groups.iter().take(MAX_GROUPS).enumerate() {
            if i > 0 {
                rows.push_str("; ");
            }
            render_into(&mut rows, g);
        }
        if groups.len() > MAX_GROUPS {
            rows.push_str(&format!("; … {} more", groups.len() - MAX_GROUPS));
        }
        d.annotations
            .push((Cow::Borrowed("result_groups_triggered"), Cow::Owned(rows)));
    }

    for (rel, url) in [("alert", t.trigger_url), ("generator", t.result_url)] {
        if let Some(u) = url {
            d.links.push((rel, u.0));
        }
    }
    if !d.links.is_empty() {
        d.origin("links", "/trigger_url (alert), /result_url (generator)");
    }
    let annotations = [
        ("summary", cow(t.summary)),
        ("trigger_description", cow(t.trigger_description)),
        ("operator", cow(t.operator)),
        ("threshold", cow(t.threshold)),
        ("alert_type", cow(t.alert_type)),
        ("version", cow(t.version)),
    ];
    d.annotations.extend(
        annotations
            .into_iter()
            .filter_map(|(k, v)| Some((Cow::Borrowed(k), v?)))
            .filter(|(_, v)| !v.trim().is_empty()),
    );
    if !d.annotations.is_empty() {
        d.origin("annotations", "/summary, /trigger_description, /operator, /threshold, /alert_type, /version, and the triggered groups");
    }
    b.push(d)
}

fn value<'g, 'a>(g: &'g Group<'a>, key: &str) -> Option<&'g Cow<'a, str>> {
    g.group.as_ref()?.get(key).filter(|v| !v.trim().is_empty())
}

/// Appends one group as `service=api, route=/pay → 2400`, written in place
/// (a `format!` per column cost more than the rest of the alert).
fn render_into(out: &mut String, g: &Group<'_>) {
    let cols = g.group.as_ref().map_or(&[][..], |p| &p.0[..]);
    for (i, (k, v)) in cols.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    if !cols.is_empty() {
        out.push(' ');
    }
    out.push_str("→ ");
    out.push_str(g.result.as_ref().map_or("", Text::as_str));
}
