//! Datadog Webhooks integration: the default payload (`body`, `title`, `date`,
//! `last_updated`, `event_type`, `org`, `id`) and the recommended body of
//! template variables documented in `docs/sources/datadog.md` (JSON, or the
//! same keys form-encoded).
//!
//! Datadog titles start with the transition, the scope and sometimes the
//! priority (`[P2] [Triggered on {host:web-01}] CPU high`): that prefix is read
//! and taken off the title, so a trigger and its recovery share one title.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Deserialize;

use super::{Sender, no_header, sent, tag_labels};
use crate::Notice;
use crate::builder::{Builder, Draft};
use crate::ingest::Payload;
use crate::json::{self, Kind, Text, cow};
use crate::text::unix_text_to_rfc3339;
use crate::{Error, Severity, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Datadog,
    header_rule: "",
    by_header: no_header,
    shape_rule: "recommended body ('alert_transition' with 'alert_id', 'alert_title' or 'event_title'; in JSON or form fields, snake_case, camelCase or dotted), or the default payload ('last_updated' and 'event_type' with an 'org' object)",
    by_shape,
    parse,
};

const RECOMMENDED: &str = "'alert_transition' with 'alert_id', 'alert_title' or 'event_title'";
const DEFAULT: &str = "'last_updated' and 'event_type' with an 'org' object";

// Each variable's spellings, as the pointers `--explain` names: the snake_case
// key of Datadog's guide first, then the camelCase and dotted keys of templates
// copied from other tools' guides. Kept in step with the aliases on `Body`
// (the `spellings_are_aliases` test checks it).
const ALERT_ID: &[&str] = &["/alert_id", "/alertId", "/alert.id"];
const ALERT_TRANSITION: &[&str] = &["/alert_transition", "/alertTransition", "/alert.transition"];
const ALERT_TITLE: &[&str] = &["/alert_title", "/alertTitle", "/alert.title"];
const ALERT_STATUS: &[&str] = &["/alert_status", "/alertStatus", "/alert.status"];
const ALERT_TYPE: &[&str] = &["/alert_type", "/alertType", "/alert.type"];
const ALERT_PRIORITY: &[&str] = &["/alert_priority", "/alertPriority", "/alert.priority"];
const ALERT_SCOPE: &[&str] = &["/alert_scope", "/alertScope", "/alert.scope"];
const ALERT_METRIC: &[&str] = &["/alert_metric", "/alertMetric", "/alert.metric"];
const ALERT_QUERY: &[&str] = &["/alert_query", "/alertQuery", "/alert.query"];
const ALERT_CYCLE_KEY: &[&str] = &["/alert_cycle_key", "/alertCycleKey", "/alert.cycle_key"];
// `group_key` records no field origin; listed for the alias test.
#[cfg(test)]
const AGGREG_KEY: &[&str] = &[
    "/aggreg_key",
    "/aggregKey",
    "/aggregation_key",
    "/aggregationKey",
];
const EVENT_TITLE: &[&str] = &["/event_title", "/eventTitle", "/event.title"];
const EVENT_MSG: &[&str] = &[
    "/event_msg",
    "/eventMsg",
    "/event.msg",
    "/event_message",
    "/eventMessage",
];
const TEXT_ONLY_MSG: &[&str] = &["/text_only_msg", "/textOnlyMsg"];
const EVENT_TYPE: &[&str] = &["/event_type", "/eventType", "/event.type"];
const EVENT_ID: &[&str] = &["/id", "/event_id", "/eventId", "/event.id"];
const HOSTNAME: &[&str] = &[
    "/hostname",
    "/host",
    "/host_name",
    "/hostName",
    "/host.name",
];
const LINK: &[&str] = &["/link", "/event_url", "/eventUrl", "/event.url"];
const DATE_POSIX: &[&str] = &["/date_posix", "/datePosix"];
const LAST_UPDATED: &[&str] = &["/last_updated", "/lastUpdated"];
const ORG_ID: &[&str] = &["/org_id", "/orgId", "/org.id"];
const ORG_NAME: &[&str] = &["/org_name", "/orgName", "/org.name"];

/// Keys that, with a transition, make a template Datadog's.
const ID_OR_TITLE: [&[&str]; 3] = [ALERT_ID, ALERT_TITLE, EVENT_TITLE];

/// The shape reason for each transition spelling, so that `--explain` names the
/// key sent; the recommended body's own reason when every key is snake_case.
const TEMPLATE_REASONS: [&str; 3] = [
    "'alert_transition' with an alert id or title (camelCase or dotted keys)",
    "'alertTransition' with an alert id or title (camelCase or dotted keys)",
    "'alert.transition' with an alert id or title (camelCase or dotted keys)",
];
const FORM_REASONS: [&str; 3] = [
    "form fields 'alert_transition' with an alert id or title",
    "form fields 'alertTransition' with an alert id or title",
    "form fields 'alert.transition' with an alert id or title",
];

/// Whether a spelling of `var` is among the keys `has` says were sent.
fn has_var(has: &impl Fn(&str) -> bool, var: &[&str]) -> bool {
    var.iter().any(|p| has(p.get(1..).unwrap_or("")))
}

/// The index of the transition spelling sent with an id or title, if any.
fn template(has: impl Fn(&str) -> bool) -> Option<usize> {
    if !ID_OR_TITLE.iter().any(|v| has_var(&has, v)) {
        return None;
    }
    ALERT_TRANSITION
        .iter()
        .position(|p| has(p.get(1..).unwrap_or("")))
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    match p {
        Payload::Json { probe, .. } => {
            if let Some(i) = template(|k| probe.has(k)) {
                let snake = ["alert_id", "alert_title", "event_title"];
                if i == 0 && snake.iter().any(|k| probe.has(k)) {
                    Some(RECOMMENDED)
                } else {
                    TEMPLATE_REASONS.get(i).copied()
                }
            } else if probe.has("last_updated")
                && probe.has("event_type")
                && probe.is("org", Kind::Object)
            {
                Some(DEFAULT)
            } else {
                None
            }
        }
        Payload::Form(fields) => {
            let i = template(|k| form_has(fields, k))?;
            FORM_REASONS.get(i).copied()
        }
        Payload::Text(_) => None,
    }
}

/// Whether a form field `key` was sent with a value.
fn form_has(fields: &[(Cow<'_, str>, Cow<'_, str>)], key: &str) -> bool {
    fields.iter().any(|(k, v)| k == key && !v.trim().is_empty())
}

/// Every key the recommended body and the default payload use. Unknown keys
/// are ignored. Users write these bodies themselves, often from another tool's
/// guide, so each variable is also read in camelCase and dotted spellings (the
/// consts above list them); two spellings of one variable in one body are a
/// type error, and the body falls back to `generic`.
#[derive(Deserialize, Default)]
struct Body<'a> {
    #[serde(alias = "alertId", alias = "alert.id", borrow)]
    alert_id: Option<Text<'a>>,
    #[serde(alias = "alertTransition", alias = "alert.transition", borrow)]
    alert_transition: Option<Text<'a>>,
    #[serde(alias = "alertTitle", alias = "alert.title", borrow)]
    alert_title: Option<Text<'a>>,
    #[serde(alias = "alertStatus", alias = "alert.status", borrow)]
    alert_status: Option<Text<'a>>,
    #[serde(alias = "alertType", alias = "alert.type", borrow)]
    alert_type: Option<Text<'a>>,
    #[serde(alias = "alertPriority", alias = "alert.priority", borrow)]
    alert_priority: Option<Text<'a>>,
    #[serde(alias = "alertScope", alias = "alert.scope", borrow)]
    alert_scope: Option<Text<'a>>,
    #[serde(alias = "alertMetric", alias = "alert.metric", borrow)]
    alert_metric: Option<Text<'a>>,
    #[serde(alias = "alertQuery", alias = "alert.query", borrow)]
    alert_query: Option<Text<'a>>,
    #[serde(alias = "alertCycleKey", alias = "alert.cycle_key", borrow)]
    alert_cycle_key: Option<Text<'a>>,
    #[serde(
        alias = "aggregKey",
        alias = "aggregation_key",
        alias = "aggregationKey",
        borrow
    )]
    aggreg_key: Option<Text<'a>>,
    #[serde(alias = "eventTitle", alias = "event.title", borrow)]
    event_title: Option<Text<'a>>,
    #[serde(
        alias = "eventMsg",
        alias = "event.msg",
        alias = "event_message",
        alias = "eventMessage",
        borrow
    )]
    event_msg: Option<Text<'a>>,
    #[serde(alias = "textOnlyMsg", borrow)]
    text_only_msg: Option<Text<'a>>,
    #[serde(alias = "eventType", alias = "event.type", borrow)]
    event_type: Option<Text<'a>>,
    #[serde(alias = "event_id", alias = "eventId", alias = "event.id", borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    priority: Option<Text<'a>>,
    #[serde(borrow)]
    tags: Option<Text<'a>>,
    #[serde(
        alias = "host",
        alias = "host_name",
        alias = "hostName",
        alias = "host.name",
        borrow
    )]
    hostname: Option<Text<'a>>,
    #[serde(alias = "event_url", alias = "eventUrl", alias = "event.url", borrow)]
    link: Option<Text<'a>>,
    #[serde(borrow)]
    snapshot: Option<Text<'a>>,
    #[serde(borrow)]
    date: Option<Text<'a>>,
    #[serde(alias = "datePosix", borrow)]
    date_posix: Option<Text<'a>>,
    #[serde(alias = "lastUpdated", borrow)]
    last_updated: Option<Text<'a>>,
    #[serde(alias = "orgId", alias = "org.id", borrow)]
    org_id: Option<Text<'a>>,
    #[serde(alias = "orgName", alias = "org.name", borrow)]
    org_name: Option<Text<'a>>,
    // The default payload.
    #[serde(borrow)]
    title: Option<Text<'a>>,
    #[serde(borrow)]
    body: Option<Text<'a>>,
    #[serde(borrow)]
    org: Option<Org<'a>>,
}

#[derive(Deserialize, Default)]
struct Org<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
}

/// Variables of which at least one must be present.
const ANY_OF: [&[&str]; 7] = [
    ALERT_TRANSITION,
    ALERT_ID,
    ALERT_TITLE,
    EVENT_TITLE,
    EVENT_MSG,
    &["/title"],
    &["/body"],
];

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    match p {
        Payload::Json { text, probe } => {
            let has = |k: &str| probe.has(k);
            if !ANY_OF.iter().any(|v| has_var(&has, v)) {
                return Err(b.mismatch(
                    "missing required field 'alert_transition' (or the default payload's 'title')",
                ));
            }
            let body: Body<'a> = b.typed(text)?;
            // Borrowed from the request: pushed without copying its text.
            match draft(body, &has, b) {
                Some(d) => b.push(d),
                None => Ok(()),
            }
        }
        // "Encode as form": the recommended body's keys as form fields, read
        // through a JSON object of strings (the last of repeated fields wins).
        Payload::Form(fields) => {
            let map: serde_json::Map<String, serde_json::Value> = fields
                .iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
                .collect();
            let has = |k: &str| map.contains_key(k);
            if !ANY_OF.iter().any(|v| has_var(&has, v)) {
                return Err(b.mismatch("missing required field 'alert_transition'"));
            }
            let text = serde_json::to_string(&map).map_err(|e| b.mismatch(e.to_string()))?;
            let body: Body<'_> = json::typed(&text).map_err(|m| b.mismatch(m))?;
            match draft(body, &has, b) {
                Some(d) => b.push_owned(d),
                None => Ok(()),
            }
        }
        Payload::Text(_) => {
            Err(b.mismatch("expected a JSON object or form fields, got plain text"))
        }
    }
}

/// Maps the body (and sets the group key); `None` for a test notification,
/// which has no alert. `has` says which keys were sent, so that origins name them.
fn draft<'t>(
    f: Body<'t>,
    has: &impl Fn(&str) -> bool,
    b: &mut Builder<'_, '_>,
) -> Option<Draft<'t>> {
    let at = |spellings: &[&'static str]| sent(has, spellings);
    let mut d = b.draft();
    let org = f.org.unwrap_or_default();
    let messages = [cow(f.event_msg), cow(f.text_only_msg), cow(f.body)];

    // The title and what its "[P1] [Triggered on {…}]" prefix says.
    let raw_title = first([
        (at(EVENT_TITLE), cow(f.event_title)),
        (at(ALERT_TITLE), cow(f.alert_title)),
        ("/title", cow(f.title)),
    ]);
    let (title_from, raw_title) = match raw_title {
        Some((from, t)) => (from, Some(t)),
        None => ("", None),
    };
    let pre = raw_title.as_deref().map(prefix).unwrap_or_default();
    let title = raw_title.as_ref().map(|t| tail(t, pre.rest));

    // A test notification: "[Triggered] [TEST] …" and a message saying so.
    let is_test = title
        .as_deref()
        .is_some_and(|t| starts_with_ci(t.trim_start(), "[test]"))
        && messages
            .iter()
            .flatten()
            .any(|m| m.to_ascii_lowercase().contains("test notification"));
    if is_test {
        b.notice = Some(Notice::TestNotification);
        if let Some(t) = &raw_title {
            b.annotate("title", t);
        }
        return None;
    }

    if let Some(t) = title.filter(|t| !t.trim().is_empty()) {
        d.title = Some(t);
        if pre.rest > 0 {
            d.origin_with("title", || {
                format!("{title_from} without Datadog's [transition] prefix")
            });
        } else {
            d.origin("title", title_from);
        }
    }

    // Status from $ALERT_TRANSITION, else from the title's prefix.
    let transition = d_first(
        &mut d,
        "status",
        [
            (at(ALERT_TRANSITION), cow(f.alert_transition)),
            (
                "the title's [transition] prefix",
                pre.transition.map(|t| Cow::Owned(String::from(t))),
            ),
        ],
    );
    let mut warn_level = false;
    if let Some(word) = &transition {
        match read_transition(word) {
            Some((status, implied)) => {
                d.status = status;
                warn_level = implied.is_some();
                d.implied_severity = implied;
            }
            None => d.status = b.status(Some(word)),
        }
        d.annotations.push((
            Cow::Borrowed("transition"),
            Cow::Owned(String::from(word.trim())),
        ));
    }

    // Severity: a Warn transition is a warning; else the monitor priority (P1–P5),
    // else $ALERT_TYPE when it is a severity word.
    let priority_of = |t: &Option<Text<'_>>| {
        t.as_ref()
            .map(|t| t.as_str().trim())
            .filter(|t| is_priority(t))
            .map(|t| Cow::Owned(String::from(t)))
    };
    let alert_priority = priority_of(&f.alert_priority);
    let event_priority = priority_of(&f.priority);
    // Priorities that do not set the severity are kept as annotations.
    for (key, t, p) in [
        ("alert_priority", &f.alert_priority, &alert_priority),
        ("event_priority", &f.priority, &event_priority),
    ] {
        let Some(t) = t.as_ref().filter(|t| !t.as_str().trim().is_empty()) else {
            continue;
        };
        if p.is_none() || warn_level {
            d.annotations.push((
                Cow::Borrowed(key),
                Cow::Owned(String::from(t.as_str().trim())),
            ));
        }
    }
    let alert_type = f.alert_type.map(|t| t.0);
    if !warn_level {
        let type_word = alert_type
            .as_ref()
            .filter(|t| {
                ["error", "warning", "info"]
                    .iter()
                    .any(|w| t.trim().eq_ignore_ascii_case(w))
            })
            .cloned();
        d.severity_raw = d.pick(
            "severity_raw",
            [
                (at(ALERT_PRIORITY), alert_priority),
                ("/priority", event_priority),
                (
                    "the title's [P…] prefix",
                    pre.priority.map(|p| Cow::Owned(String::from(p))),
                ),
                (at(ALERT_TYPE), type_word),
            ],
        );
    }

    // Identity: the monitor id, plus the scope of a multi-alert monitor.
    let monitor = messages.iter().flatten().find_map(|m| monitor_link(m));
    let (monitor_in_message, monitor_url) = match monitor {
        Some((id, url)) => (Some(id), url),
        None => (None, None),
    };
    let alert_id = d.pick(
        "source_ref",
        [
            (at(ALERT_ID), cow(f.alert_id)),
            (
                "the monitor link in the message",
                monitor_in_message.map(Cow::Owned),
            ),
        ],
    );
    let scope_text = first([
        (at(ALERT_SCOPE), cow(f.alert_scope)),
        (
            "the title's 'on {…}' scope",
            pre.scope.map(|s| Cow::Owned(String::from(s))),
        ),
    ]);
    let scope = scope_text.as_ref().and_then(|(_, s)| normal_scope(s));
    if let Some(id) = &alert_id {
        d.vendor_key = Some(match &scope {
            Some(scope) => Cow::Owned(format!("{}/{scope}", id.trim())),
            None => id.clone(),
        });
        if scope.is_some() {
            d.origin(
                "dedup_key",
                "the monitor id, '/', and the sorted scope tags",
            );
        } else {
            d.origin("dedup_key", "the monitor id");
        }
    }
    d.source_ref = alert_id;

    // Labels: $TAGS, then the scope's tags.
    if let Some(tags) = f.tags {
        let tags = tag_list(tags.as_str());
        d.labels = owned_tags(tags.split(','));
    }
    if let Some(scope) = &scope {
        for (k, v) in owned_tags(scope.split(',')) {
            if !d.labels.iter().any(|(key, _)| *key == k) {
                d.labels.push((k, v));
            }
        }
    }
    if !d.labels.is_empty() {
        d.origin_with("labels", || {
            format!(
                "/tags (key:value, comma separated), then the scope's tags ({}, else the title's 'on {{…}}')",
                at(ALERT_SCOPE)
            )
        });
    }
    let service = label(&d.labels, "service");
    let host_tag = label(&d.labels, "host");
    d.service = d.pick("service", [("the 'service:' tag", service)]);
    d.host = d.pick(
        "host",
        [
            (at(HOSTNAME), cow(f.hostname)),
            ("the 'host:' tag", host_tag),
        ],
    );

    // Description: the event text without Datadog's %%% markdown fences.
    let [event_msg, text_only, body] = messages;
    let description = d.pick(
        "description",
        [
            (at(EVENT_MSG), event_msg),
            (at(TEXT_ONLY_MSG), text_only),
            ("/body", body),
        ],
    );
    let alert_status = f.alert_status.map(|t| t.0);
    d.description = match description {
        Some(text) => {
            if let Some(s) = alert_status.filter(|s| !s.trim().is_empty()) {
                d.annotations.push((Cow::Borrowed("alert_status"), s));
            }
            Some(unfence(text))
        }
        None => d.pick("description", [(at(ALERT_STATUS), alert_status)]),
    };

    // Times are Unix milliseconds ($DATE, $LAST_UPDATED) or seconds ($DATE_POSIX).
    let time_field = if d.status == Status::Resolved {
        "ended_at"
    } else {
        "started_at"
    };
    let when = d_first(
        &mut d,
        time_field,
        [
            ("/date", cow(f.date)),
            (at(DATE_POSIX), cow(f.date_posix)),
            (at(LAST_UPDATED), cow(f.last_updated)),
        ],
    )
    .map(unix_time);
    match d.status {
        Status::Resolved => d.ended_at = when,
        _ => d.started_at = when,
    }

    match f.link.filter(|l| !l.as_str().trim().is_empty()) {
        Some(link) => d.links.push(("alert", link.0)),
        None => {
            if let Some(url) = monitor_url {
                d.links.push(("alert", Cow::Owned(url)));
            }
        }
    }
    if let Some(snapshot) = f.snapshot {
        d.links.push(("image", snapshot.0));
    }
    if !d.links.is_empty() {
        d.origin_with("links", || {
            format!(
                "{} (alert; else the monitor link in the message), /snapshot (image)",
                at(LINK)
            )
        });
    }

    let annotations = [
        ("alert_type", alert_type),
        ("alert_metric", cow(f.alert_metric)),
        ("alert_query", cow(f.alert_query)),
        ("alert_cycle_key", cow(f.alert_cycle_key)),
        ("event_type", cow(f.event_type)),
        ("event_id", cow(f.id)),
        ("org_id", cow(f.org_id.or(org.id))),
        ("org_name", cow(f.org_name.or(org.name))),
    ];
    d.annotations.extend(
        annotations
            .into_iter()
            .filter_map(|(k, v)| Some((Cow::Borrowed(k), v?)))
            .filter(|(_, v)| !v.trim().is_empty()),
    );
    if !d.annotations.is_empty() {
        d.origin_with("annotations", || {
            let [transition, status, kind, metric, query, cycle, event, id, org_id, org_name] =
                [
                    ALERT_TRANSITION,
                    ALERT_STATUS,
                    ALERT_TYPE,
                    ALERT_METRIC,
                    ALERT_QUERY,
                    ALERT_CYCLE_KEY,
                    EVENT_TYPE,
                    EVENT_ID,
                    ORG_ID,
                    ORG_NAME,
                ]
                .map(at);
            format!(
                "transition ({transition} or the title's prefix), {status}, {kind}, {metric}, {query}, {cycle}, {event}, {id}, {org_id} (or /org/id), {org_name} (or /org/name), and priorities that are not P1–P5"
            )
        });
    }
    b.group_key = f
        .aggreg_key
        .map(|k| String::from(k.as_str().trim()))
        .filter(|k| !k.is_empty());
    Some(d)
}

/// The value of the first non-blank label named `key`.
fn label<'a>(labels: &[(Cow<'a, str>, Cow<'a, str>)], key: &str) -> Option<Cow<'a, str>> {
    labels
        .iter()
        .find(|(k, v)| k == key && !v.trim().is_empty())
        .map(|(_, v)| v.clone())
}

/// The first non-blank candidate and where it came from, without recording it.
fn first<'a, const N: usize>(
    candidates: [(&'static str, Option<Cow<'a, str>>); N],
) -> Option<(&'static str, Cow<'a, str>)> {
    candidates
        .into_iter()
        .find_map(|(from, v)| v.filter(|v| !v.trim().is_empty()).map(|v| (from, v)))
}

/// `first`, recording the origin under `field`.
fn d_first<'a, const N: usize>(
    d: &mut Draft<'_>,
    field: &'static str,
    candidates: [(&'static str, Option<Cow<'a, str>>); N],
) -> Option<Cow<'a, str>> {
    let (from, v) = first(candidates)?;
    d.origin(field, from);
    Some(v)
}

/// Datadog's transition words: (status, implied severity); `None` for other words.
fn read_transition(word: &str) -> Option<(Status, Option<Severity>)> {
    let w = word.trim();
    let w = match w.get(..3) {
        Some(re) if re.eq_ignore_ascii_case("re-") => &w[3..],
        _ => w,
    };
    let norm: String = w
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match norm.as_str() {
        "triggered" | "renotify" => Some((Status::Triggered, None)),
        "warn" => Some((Status::Triggered, Some(Severity::Warning))),
        "recovered" => Some((Status::Resolved, None)),
        "nodata" => Some((Status::Triggered, None)),
        _ => None,
    }
}

/// What a title's leading bracket groups say.
#[derive(Default)]
struct Prefix<'t> {
    transition: Option<&'t str>,
    scope: Option<&'t str>,
    priority: Option<&'t str>,
    /// Byte offset where the title proper starts.
    rest: usize,
}

/// Transition words a title can start with, longest first.
const TITLE_WORDS: &[&str] = &[
    "Re-Triggered",
    "Triggered",
    "Re-No Data",
    "No Data",
    "Re-Warn",
    "Warn",
    "Recovered",
    "Renotify",
];

/// Reads `[P2] [Triggered on {host:a,env:b}]` off the front of a title.
fn prefix(title: &str) -> Prefix<'_> {
    let mut p = Prefix::default();
    let mut at = 0;
    loop {
        let s = &title[at..];
        let trimmed = s.trim_start();
        let lead = s.len() - trimmed.len();
        let Some(inner) = trimmed.strip_prefix('[') else {
            break;
        };
        let Some(close) = inner.find(']') else {
            break;
        };
        let group = inner[..close].trim();
        if p.priority.is_none() && is_priority(group) {
            p.priority = Some(group);
        } else if let (None, Some((word, scope))) = (p.transition, transition_group(group)) {
            p.transition = Some(word);
            p.scope = scope;
        } else {
            break;
        }
        at += lead + 1 + close + 1;
        p.rest = at;
    }
    if p.transition.is_none() {
        // A lone "[P1]" is part of the title, not a Datadog prefix.
        return Prefix::default();
    }
    p
}

/// `Triggered` or `Triggered on {host:a}`: the word and the scope.
fn transition_group(group: &str) -> Option<(&str, Option<&str>)> {
    let word = TITLE_WORDS.iter().find(|w| starts_with_ci(group, w))?;
    let (word, rest) = group.split_at(word.len());
    let rest = rest.trim();
    if rest.is_empty() {
        return Some((word, None));
    }
    let scope = rest
        .strip_prefix("on ")
        .or_else(|| rest.strip_prefix("On "))?
        .trim();
    let scope = scope
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(scope)
        .trim();
    Some((word, (!scope.is_empty()).then_some(scope)))
}

fn is_priority(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 2 && matches!(b[0], b'P' | b'p') && (b'1'..=b'5').contains(&b[1])
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// `t` from byte `at`, trimmed, borrowing when `t` does.
fn tail<'a>(t: &Cow<'a, str>, at: usize) -> Cow<'a, str> {
    match t {
        Cow::Borrowed(s) => Cow::Borrowed(s[at..].trim()),
        Cow::Owned(s) => Cow::Owned(String::from(s[at..].trim())),
    }
}

/// Scope tags trimmed, sorted and comma-joined; `None` when there are none (or `*`).
fn normal_scope(scope: &str) -> Option<String> {
    let mut tags: Vec<&str> = scope
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && *t != "*")
        .collect();
    tags.sort_unstable();
    tags.dedup();
    (!tags.is_empty()).then(|| tags.join(","))
}

/// `$TAGS` as text; a JSON array of tags (from a `["$TAGS"]` template) is joined.
fn tag_list(tags: &str) -> Cow<'_, str> {
    if tags.trim_start().starts_with('[')
        && let Ok(list) = serde_json::from_str::<Vec<Text<'_>>>(tags)
    {
        let parts: Vec<&str> = list.iter().map(Text::as_str).collect();
        return Cow::Owned(parts.join(","));
    }
    Cow::Borrowed(tags)
}

fn owned_tags<'x>(
    tags: impl Iterator<Item = &'x str>,
) -> Vec<(Cow<'static, str>, Cow<'static, str>)> {
    tag_labels(tags)
        .into_iter()
        .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
        .collect()
}

/// The monitor id in a `…/monitors#123…` or `…/monitors/123…` link, and the
/// link itself when it is a plain `http(s)://` URL.
fn monitor_link(text: &str) -> Option<(String, Option<String>)> {
    ["/monitors#", "/monitors/"].iter().find_map(|marker| {
        text.match_indices(marker).find_map(|(i, _)| {
            let digits: String = text[i + marker.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if digits.is_empty() {
                return None;
            }
            let url = text[..i].rfind("http").and_then(|start| {
                let end = text[i..]
                    .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '"' | '>'))
                    .map_or(text.len(), |n| i + n);
                let url = &text[start..end];
                let plain = url.starts_with("https://") || url.starts_with("http://");
                (plain && !url.contains(char::is_whitespace)).then(|| String::from(url))
            });
            Some((digits, url))
        })
    })
}

/// Event text without the `%%%` fences Datadog puts around markdown.
fn unfence(text: Cow<'_, str>) -> Cow<'_, str> {
    let t = text.trim();
    match t.strip_prefix("%%%").and_then(|s| s.strip_suffix("%%%")) {
        Some(inner) => Cow::Owned(String::from(inner.trim())),
        None => text,
    }
}

/// A Unix time in seconds or milliseconds as RFC 3339; anything else unchanged
/// (the builder then reports it as an invalid timestamp).
fn unix_time(t: Cow<'_, str>) -> Cow<'_, str> {
    match unix_text_to_rfc3339(&t) {
        Some(rfc) => Cow::Owned(rfc),
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_are_aliases() {
        type Get = fn(&Body<'_>) -> bool;
        let vars: [(&[&str], Get); 22] = [
            (ALERT_ID, |b| b.alert_id.is_some()),
            (ALERT_TRANSITION, |b| b.alert_transition.is_some()),
            (ALERT_TITLE, |b| b.alert_title.is_some()),
            (ALERT_STATUS, |b| b.alert_status.is_some()),
            (ALERT_TYPE, |b| b.alert_type.is_some()),
            (ALERT_PRIORITY, |b| b.alert_priority.is_some()),
            (ALERT_SCOPE, |b| b.alert_scope.is_some()),
            (ALERT_METRIC, |b| b.alert_metric.is_some()),
            (ALERT_QUERY, |b| b.alert_query.is_some()),
            (ALERT_CYCLE_KEY, |b| b.alert_cycle_key.is_some()),
            (AGGREG_KEY, |b| b.aggreg_key.is_some()),
            (EVENT_TITLE, |b| b.event_title.is_some()),
            (EVENT_MSG, |b| b.event_msg.is_some()),
            (TEXT_ONLY_MSG, |b| b.text_only_msg.is_some()),
            (EVENT_TYPE, |b| b.event_type.is_some()),
            (EVENT_ID, |b| b.id.is_some()),
            (HOSTNAME, |b| b.hostname.is_some()),
            (LINK, |b| b.link.is_some()),
            (DATE_POSIX, |b| b.date_posix.is_some()),
            (LAST_UPDATED, |b| b.last_updated.is_some()),
            (ORG_ID, |b| b.org_id.is_some()),
            (ORG_NAME, |b| b.org_name.is_some()),
        ];
        for (spellings, get) in vars {
            for p in spellings {
                let text = format!("{{\"{}\": \"x\"}}", &p[1..]);
                let body: Body<'_> = serde_json::from_str(&text).expect("one key parses");
                assert!(get(&body), "{p} is not read");
            }
        }
    }

    #[test]
    fn title_prefix_is_read_and_taken_off() {
        let t = "[P2] [Triggered on {host:web-01,env:prod}] CPU high on web-01";
        let p = prefix(t);
        assert_eq!(p.priority, Some("P2"));
        assert_eq!(p.transition, Some("Triggered"));
        assert_eq!(p.scope, Some("host:web-01,env:prod"));
        assert_eq!(t[p.rest..].trim(), "CPU high on web-01");

        let p = prefix("[Re-No Data] Disk gone");
        assert_eq!(p.transition, Some("Re-No Data"));
        assert_eq!(p.scope, None);

        let p = prefix("[P1] Not a Datadog prefix");
        assert_eq!((p.transition, p.rest), (None, 0));
        let p = prefix("[Triggered] [TEST] Host check");
        assert_eq!(
            "[Triggered] [TEST] Host check"[p.rest..].trim(),
            "[TEST] Host check"
        );
    }

    #[test]
    fn transitions_map_to_status() {
        assert_eq!(
            read_transition("Re-Triggered"),
            Some((Status::Triggered, None))
        );
        assert_eq!(
            read_transition("Re-Warn"),
            Some((Status::Triggered, Some(Severity::Warning)))
        );
        assert_eq!(read_transition("Recovered"), Some((Status::Resolved, None)));
        assert_eq!(read_transition("No Data"), Some((Status::Triggered, None)));
        assert_eq!(read_transition("Renotify"), Some((Status::Triggered, None)));
        assert_eq!(read_transition("Null"), None);
    }

    #[test]
    fn scope_and_monitor_id() {
        assert_eq!(
            normal_scope(" host:a , env:b,host:a"),
            Some(String::from("env:b,host:a"))
        );
        assert_eq!(normal_scope("*"), None);
        assert_eq!(
            monitor_link("[[Monitor Status](https://app.datadoghq.com/monitors#18692904?)]"),
            Some((
                String::from("18692904"),
                Some(String::from("https://app.datadoghq.com/monitors#18692904?"))
            ))
        );
        assert_eq!(
            monitor_link("see https://app.datadoghq.eu/monitors/42?from_ts=1 now"),
            Some((
                String::from("42"),
                Some(String::from(
                    "https://app.datadoghq.eu/monitors/42?from_ts=1"
                ))
            ))
        );
        assert_eq!(monitor_link("no link"), None);
    }
}
