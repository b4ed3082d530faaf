//! Sentry integration-platform webhooks (`Sentry-Hook-Resource`): issue alerts
//! (`event_alert`), metric alerts (`metric_alert`), issue state changes
//! (`issue`) and error events (`error`). Other resources (`installation`,
//! `comment`, …) carry no alert: 0 alerts and a notice. Also the legacy
//! per-project WebHooks plugin (`project_name`, `culprit`, `url`, `event`).
//!
//! The parser does not see headers, so the resource is read from the payload:
//! `data.event` (issue alert), `data.metric_alert`, `data.issue` or `data.error`.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use core::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Headers, Sender};
use crate::Notice;
use crate::builder::{Builder, Draft};
use crate::ingest::Payload;
use crate::json::{Kind, Text, cow};
use crate::text::unix_text_to_rfc3339;
use crate::{Error, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Sentry,
    header_rule: "Sentry-Hook-Resource header present",
    by_header,
    shape_rule: "'action' with 'data' and 'installation' objects, or the WebHooks plugin's 'project_name' or 'project_slug' with 'culprit', 'url' and an 'event' object or 'level'",
    by_shape,
    parse,
};

fn by_header(req: &Headers<'_, '_>) -> Option<&'static str> {
    req.header("sentry-hook-resource")
        .is_some_and(|r| !r.is_empty())
        .then_some("Sentry-Hook-Resource header present")
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    if probe.has("action")
        && probe.is("data", Kind::Object)
        && probe.is("installation", Kind::Object)
    {
        return Some("'action' with 'data' and 'installation' objects");
    }
    is_plugin(probe).then_some(
        "WebHooks plugin: 'project_name' or 'project_slug' with 'culprit', 'url' and an 'event' object or 'level'",
    )
}

/// The legacy per-project WebHooks plugin's body.
fn is_plugin(probe: &crate::json::Probe<'_>) -> bool {
    (probe.has("project_name") || probe.has("project_slug"))
        && probe.has("culprit")
        && probe.has("url")
        && (probe.is("event", Kind::Object) || probe.has("level"))
        && !probe.is("data", Kind::Object)
}

#[derive(Deserialize)]
struct Hook<'a> {
    #[serde(borrow)]
    action: Option<Text<'a>>,
    #[serde(borrow)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize, Default)]
struct Data<'a> {
    // event_alert
    #[serde(borrow)]
    event: Option<Event<'a>>,
    #[serde(borrow)]
    triggered_rule: Option<Text<'a>>,
    // metric_alert
    #[serde(borrow)]
    metric_alert: Option<MetricAlert<'a>>,
    #[serde(borrow)]
    description_title: Option<Text<'a>>,
    #[serde(borrow)]
    description_text: Option<Text<'a>>,
    #[serde(borrow)]
    web_url: Option<Text<'a>>,
    // issue
    #[serde(borrow)]
    issue: Option<Issue<'a>>,
    // resources that carry no alert
    installation: Option<IgnoredAny>,
    comment: Option<IgnoredAny>,
    // error: an event, as an issue alert carries it
    #[serde(borrow)]
    error: Option<Event<'a>>,
}

/// The event of an issue alert.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    title: Option<Text<'a>>,
    #[serde(borrow)]
    message: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    web_url: Option<Text<'a>>,
    #[serde(borrow)]
    issue_id: Option<Text<'a>>,
    #[serde(borrow)]
    event_id: Option<Text<'a>>,
    #[serde(borrow)]
    level: Option<Text<'a>>,
    #[serde(borrow)]
    culprit: Option<Text<'a>>,
    #[serde(borrow)]
    project: Option<Text<'a>>,
    #[serde(borrow)]
    platform: Option<Text<'a>>,
    #[serde(borrow)]
    release: Option<Text<'a>>,
    #[serde(borrow)]
    datetime: Option<Text<'a>>,
    #[serde(borrow)]
    timestamp: Option<Text<'a>>,
    #[serde(borrow, default)]
    tags: Option<Vec<Tag<'a>>>,
    #[serde(borrow)]
    environment: Option<Text<'a>>,
}

/// The legacy WebHooks plugin's body: the issue, and the event that fired it.
#[derive(Deserialize)]
struct Plugin<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    project: Option<Text<'a>>,
    #[serde(borrow)]
    project_name: Option<Text<'a>>,
    #[serde(borrow)]
    project_slug: Option<Text<'a>>,
    #[serde(borrow)]
    level: Option<Text<'a>>,
    #[serde(borrow)]
    culprit: Option<Text<'a>>,
    #[serde(borrow)]
    message: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow, default)]
    triggering_rules: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    event: Option<Event<'a>>,
}

/// An event tag: `["key", "value"]`, or `{"key": …, "value": …}` as the API
/// writes it; anything else is passed over. Read by hand (`TagVisitor`) with
/// the meaning `#[serde(untagged)]` gave it (the tests hold the two equal):
/// untagged buffers every tag before trying each variant, which cost more
/// than the rest of the event.
#[derive(Debug, PartialEq)]
enum Tag<'a> {
    Pair(Text<'a>, Text<'a>),
    Object {
        key: Text<'a>,
        value: Option<Text<'a>>,
    },
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Tag<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TagVisitor)
    }
}

struct TagVisitor;

impl<'de> Visitor<'de> for TagVisitor {
    type Value = Tag<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tag")
    }

    /// `[key, value]`, neither null.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq.next_element::<Option<Text<'de>>>()?;
        let second = seq.next_element::<Option<Text<'de>>>()?;
        let mut longer = false;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            longer = true;
        }
        Ok(match (first, second, longer) {
            (Some(Some(k)), Some(Some(v)), false) => Tag::Pair(k, v),
            _ => Tag::Other,
        })
    }

    /// `{"key": …, "value": …}`: `key` present and not null, each at most once.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut key, mut value) = (None, None);
        let mut repeated = false;
        while let Some(name) = map.next_key::<Text<'de>>()? {
            let slot = match name.as_str() {
                "key" => &mut key,
                "value" => &mut value,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            repeated |= slot.is_some();
            *slot = Some(map.next_value::<Option<Text<'de>>>()?);
        }
        Ok(match (key, repeated) {
            (Some(Some(key)), false) => Tag::Object {
                key,
                value: value.flatten(),
            },
            _ => Tag::Other,
        })
    }

    fn visit_borrowed_str<E>(self, _: &'de str) -> Result<Self::Value, E> {
        Ok(Tag::Other)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Tag::Other)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Tag::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Tag::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Tag::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Tag::Other)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Tag::Other)
    }
}

#[derive(Deserialize)]
struct MetricAlert<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    identifier: Option<Text<'a>>,
    #[serde(borrow)]
    title: Option<Text<'a>>,
    #[serde(borrow)]
    date_started: Option<Text<'a>>,
    #[serde(borrow)]
    date_detected: Option<Text<'a>>,
    #[serde(borrow)]
    date_created: Option<Text<'a>>,
    #[serde(borrow)]
    date_closed: Option<Text<'a>>,
    #[serde(borrow)]
    projects: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    alert_rule: Option<AlertRule<'a>>,
}

#[derive(Deserialize)]
struct AlertRule<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    aggregate: Option<Text<'a>>,
    #[serde(borrow)]
    query: Option<Text<'a>>,
    #[serde(borrow)]
    dataset: Option<Text<'a>>,
    #[serde(borrow)]
    environment: Option<Text<'a>>,
    #[serde(borrow)]
    time_window: Option<Text<'a>>,
    #[serde(borrow)]
    projects: Option<Vec<Text<'a>>>,
}

#[derive(Deserialize)]
struct Issue<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(rename = "shortId", borrow)]
    short_id: Option<Text<'a>>,
    #[serde(borrow)]
    title: Option<Text<'a>>,
    #[serde(borrow)]
    culprit: Option<Text<'a>>,
    #[serde(borrow)]
    level: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    substatus: Option<Text<'a>>,
    #[serde(rename = "firstSeen", borrow)]
    first_seen: Option<Text<'a>>,
    #[serde(borrow)]
    web_url: Option<Text<'a>>,
    #[serde(borrow)]
    permalink: Option<Text<'a>>,
    #[serde(borrow)]
    platform: Option<Text<'a>>,
    #[serde(borrow)]
    count: Option<Text<'a>>,
    #[serde(rename = "userCount", borrow)]
    user_count: Option<Text<'a>>,
    #[serde(borrow)]
    project: Option<Project<'a>>,
}

#[derive(Deserialize)]
struct Project<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    slug: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    if let Payload::Json { text, probe } = p
        && is_plugin(probe)
    {
        let plugin: Plugin<'_> = b.typed(text)?;
        return legacy_plugin(plugin, b);
    }
    p.require(b, &["data"])?;
    let (text, _) = p.json(b)?;
    let hook: Hook<'_> = b.typed(text)?;
    let action = hook.action.map(|t| t.0);
    let data = hook.data.unwrap_or_default();
    if let Some(m) = data.metric_alert {
        return metric_alert(
            action,
            m,
            data.description_title,
            data.description_text,
            data.web_url,
            b,
        );
    }
    if let Some(event) = data.event {
        return event_alert(action, event, data.triggered_rule, "/data/event", b);
    }
    if let Some(issue) = data.issue {
        return issue_change(action, issue, b);
    }
    if let Some(error) = data.error {
        // An error event only arrives when it happened: it fires.
        return event_alert(
            Some(Cow::Borrowed("triggered")),
            error,
            None,
            "/data/error",
            b,
        );
    }
    // installation, comment, error, seer, … : well-formed, but not an alert.
    b.notice = Some(Notice::NotAnAlert);
    let resource = if data.installation.is_some() {
        Some("installation")
    } else if data.comment.is_some() {
        Some("comment")
    } else {
        None
    };
    if let Some(r) = resource {
        b.annotate("resource", r);
    }
    if let Some(a) = &action {
        b.annotate("action", a);
    }
    Ok(())
}

/// `event_alert`: an issue alert rule fired for this event.
fn event_alert<'a>(
    action: Option<Cow<'a, str>>,
    e: Event<'a>,
    rule: Option<Text<'a>>,
    at: &'static str,
    b: &mut Builder<'_, 'a>,
) -> Result<(), Error> {
    let mut d = b.draft();
    if d.explain {
        d.base = Cow::Borrowed(at);
    }
    d.status = b.status(action.as_deref());
    d.origin("status", "#/action");
    d.title = d.pick(
        "title",
        [
            ("/title", cow(e.title)),
            ("/message", cow(e.message.clone())),
            ("#/data/triggered_rule", cow(rule.clone())),
        ],
    );
    if d.title.as_deref() != e.message.as_ref().map(Text::as_str) {
        d.description = d.pick("description", [("/message", cow(e.message))]);
    }
    d.severity_raw = level(&mut d, "/level", e.level);
    let issue_id = d.pick("dedup_key", [("/issue_id", cow(e.issue_id))]);
    d.source_ref = issue_id.clone();
    d.vendor_key = issue_id;
    d.origin("source_ref", "/issue_id");

    for tag in e.tags.unwrap_or_default() {
        match tag {
            Tag::Pair(k, v) => d.labels.push((k.0, v.0)),
            Tag::Object { key, value } => {
                d.labels
                    .push((key.0, value.map_or(Cow::Borrowed(""), |v| v.0)));
            }
            Tag::Other => {}
        }
    }
    if let Some(project) = e.project {
        d.labels.push((Cow::Borrowed("project_id"), project.0));
    }
    let slug = e
        .url
        .as_ref()
        .and_then(|u| project_slug(u.as_str()))
        .map(|s| Cow::Owned(String::from(s)));
    d.service = d.pick("service", [("the project slug in the event's url", slug)]);
    if !d.labels.is_empty() {
        d.origin("labels", "/tags, and /data/event/project as project_id");
    }
    let server = d
        .labels
        .iter()
        .find(|(k, v)| k == "server_name" && !v.trim().is_empty())
        .map(|(_, v)| v.clone());
    d.host = d.pick("host", [("the server_name tag", server)]);

    let received = e.timestamp.map(|t| unix_time(t.0));
    d.started_at = d.pick(
        "started_at",
        [("/datetime", cow(e.datetime)), ("/timestamp", received)],
    );
    if let Some(url) = e.web_url {
        d.links.push(("issue", url.0));
        if !d.links.is_empty() {
            d.origin("links", "/web_url (issue)");
        }
    }
    let annotations = [
        ("triggered_rule", cow(rule)),
        ("event_id", cow(e.event_id)),
        ("culprit", cow(e.culprit)),
        ("platform", cow(e.platform)),
        ("release", cow(e.release)),
    ];
    push_annotations(&mut d, annotations);
    if !d.annotations.is_empty() {
        d.origin(
            "annotations",
            "/data/triggered_rule and the event: event_id, culprit, platform, release",
        );
    }
    b.push(d)
}

/// The legacy WebHooks plugin: one issue alert, always firing.
fn legacy_plugin<'a>(p: Plugin<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let mut d = b.draft();
    d.status = Status::Triggered;
    d.origin("status", "the plugin only posts when an alert rule fires");
    let (event_title, event_message, tags, event_id, environment, release, platform, timestamp) =
        match p.event {
            Some(e) => (
                e.title,
                e.message,
                e.tags,
                e.event_id,
                e.environment,
                e.release,
                e.platform,
                e.timestamp,
            ),
            None => (None, None, None, None, None, None, None, None),
        };
    let first_line = |t: &Option<Text<'_>>| {
        t.as_ref()
            .and_then(|t| t.as_str().lines().map(str::trim).find(|l| !l.is_empty()))
            .map(|l| Cow::Owned(String::from(l)))
    };
    d.title = d.pick(
        "title",
        [
            ("/event/title", cow(event_title)),
            ("/message (first line)", first_line(&p.message)),
            ("/event/message (first line)", first_line(&event_message)),
            ("/culprit", cow(p.culprit.clone())),
        ],
    );
    if d.title.as_deref() != p.message.as_ref().map(Text::as_str) {
        d.description = d.pick("description", [("/message", cow(p.message))]);
    }
    d.severity_raw = level(&mut d, "/level", p.level);
    let id = d.pick("dedup_key", [("/id", cow(p.id))]);
    d.source_ref = id.clone();
    d.vendor_key = id;
    d.origin("source_ref", "/id");
    d.service = d.pick(
        "service",
        [
            ("/project_slug", cow(p.project_slug)),
            ("/project", cow(p.project)),
            ("/project_name", cow(p.project_name)),
        ],
    );
    for tag in tags.unwrap_or_default() {
        match tag {
            Tag::Pair(k, v) => d.labels.push((k.0, v.0)),
            Tag::Object { key, value } => {
                d.labels
                    .push((key.0, value.map_or(Cow::Borrowed(""), |v| v.0)));
            }
            Tag::Other => {}
        }
    }
    if !d.labels.is_empty() {
        d.origin("labels", "/event/tags");
    }
    let server = d
        .labels
        .iter()
        .find(|(k, v)| k == "server_name" && !v.trim().is_empty())
        .map(|(_, v)| v.clone());
    d.host = d.pick("host", [("the server_name tag", server)]);
    d.started_at = d.pick(
        "started_at",
        [("/event/timestamp", timestamp.map(|t| unix_time(t.0)))],
    );
    if let Some(url) = p.url {
        d.links.push(("issue", url.0));
        d.origin("links", "/url (issue)");
    }
    let rules = p.triggering_rules.map(|r| {
        let names: Vec<&str> = r.iter().map(Text::as_str).collect();
        Cow::Owned(names.join(", "))
    });
    let annotations = [
        ("triggered_rule", rules),
        ("event_id", cow(event_id)),
        ("culprit", cow(p.culprit)),
        ("environment", cow(environment)),
        ("platform", cow(platform)),
        ("release", cow(release)),
    ];
    push_annotations(&mut d, annotations);
    if !d.annotations.is_empty() {
        d.origin(
            "annotations",
            "/triggering_rules, /culprit and the event: event_id, environment, platform, release",
        );
    }
    b.push(d)
}

/// `metric_alert`: critical, warning or resolved.
fn metric_alert<'a>(
    action: Option<Cow<'a, str>>,
    m: MetricAlert<'a>,
    description_title: Option<Text<'a>>,
    description_text: Option<Text<'a>>,
    web_url: Option<Text<'a>>,
    b: &mut Builder<'_, 'a>,
) -> Result<(), Error> {
    let mut d = b.draft();
    d.origin("status", "/action");
    match action.as_deref().map(str::trim) {
        Some(a) if a.eq_ignore_ascii_case("critical") || a.eq_ignore_ascii_case("warning") => {
            d.status = Status::Triggered;
            d.severity_raw = action.clone();
            d.origin("severity_raw", "/action");
        }
        other => d.status = b.status(other),
    }
    let rule = m.alert_rule;
    let (rule_id, rule_name, rule_projects) = match &rule {
        Some(r) => (
            r.id.clone().map(|t| t.0),
            r.name.clone().map(|t| t.0),
            r.projects.clone(),
        ),
        None => (None, None, None),
    };
    d.title = d.pick(
        "title",
        [
            ("/data/metric_alert/alert_rule/name", rule_name),
            ("/data/description_title", cow(description_title.clone())),
            ("/data/metric_alert/title", cow(m.title.clone())),
        ],
    );
    d.description = d.pick(
        "description",
        [("/data/description_text", cow(description_text))],
    );
    let id = d.pick(
        "dedup_key",
        [
            ("/data/metric_alert/id", cow(m.id)),
            ("/data/metric_alert/alert_rule/id", rule_id.clone()),
        ],
    );
    d.source_ref = id.clone();
    d.vendor_key = id;
    d.origin("source_ref", "the dedup key's field");

    // One named project is the application the alert is about.
    let projects = m.projects.or(rule_projects).unwrap_or_default();
    if let [only] = projects.as_slice() {
        d.service = d.pick("service", [("the only project slug", Some(only.0.clone()))]);
    } else if !projects.is_empty() {
        let names: Vec<&str> = projects.iter().map(Text::as_str).collect();
        d.labels
            .push((Cow::Borrowed("projects"), Cow::Owned(names.join(","))));
    }
    if let Some(env) = rule.as_ref().and_then(|r| r.environment.clone()) {
        d.labels.push((Cow::Borrowed("environment"), env.0));
    }
    if let Some(rid) = rule_id {
        d.labels.push((Cow::Borrowed("alert_rule_id"), rid));
    }
    if !d.labels.is_empty() {
        d.origin(
            "labels",
            "the alert rule's id and environment, and its projects when there are several",
        );
    }

    let start = d.pick(
        "started_at",
        [
            ("/data/metric_alert/date_started", cow(m.date_started)),
            ("/data/metric_alert/date_detected", cow(m.date_detected)),
            ("/data/metric_alert/date_created", cow(m.date_created)),
        ],
    );
    d.started_at = start;
    if d.status == Status::Resolved {
        d.ended_at = d.pick(
            "ended_at",
            [("/data/metric_alert/date_closed", cow(m.date_closed))],
        );
    }
    if let Some(url) = web_url {
        d.links.push(("alert", url.0));
        if !d.links.is_empty() {
            d.origin("links", "/data/web_url (alert)");
        }
    }
    let (aggregate, query, dataset, window) = match rule {
        Some(r) => (r.aggregate, r.query, r.dataset, r.time_window),
        None => (None, None, None, None),
    };
    let annotations = [
        ("description_title", cow(description_title)),
        ("incident", cow(m.identifier)),
        ("incident_title", cow(m.title)),
        ("aggregate", cow(aggregate)),
        ("query", cow(query)),
        ("dataset", cow(dataset)),
        ("time_window_minutes", cow(window)),
    ];
    push_annotations(&mut d, annotations);
    if !d.annotations.is_empty() {
        d.origin("annotations", "/data/description_title, /data/metric_alert (identifier, title) and its alert_rule (aggregate, query, dataset, time_window)");
    }
    b.push(d)
}

/// `issue`: an issue was created, resolved, assigned, archived or unresolved.
fn issue_change<'a>(
    action: Option<Cow<'a, str>>,
    i: Issue<'a>,
    b: &mut Builder<'_, 'a>,
) -> Result<(), Error> {
    let mut d = b.draft();
    d.origin("status", "/action");
    let word = action.as_deref().map(str::trim).unwrap_or("");
    d.status = match word.to_ascii_lowercase().as_str() {
        "created" | "unresolved" => Status::Triggered,
        "resolved" | "ignored" | "archived" => Status::Resolved,
        "assigned" => Status::Acknowledged,
        _ => b.status(action.as_deref()),
    };
    d.title = d.pick("title", [("/data/issue/title", cow(i.title))]);
    d.severity_raw = level(&mut d, "/data/issue/level", i.level);
    let id = d.pick("dedup_key", [("/data/issue/id", cow(i.id))]);
    d.source_ref = id.clone();
    d.vendor_key = id;
    d.origin("source_ref", "/data/issue/id");
    if let Some(project) = i.project {
        d.service = d.pick(
            "service",
            [
                ("/data/issue/project/slug", cow(project.slug)),
                ("/data/issue/project/name", cow(project.name)),
            ],
        );
        if let Some(pid) = project.id {
            d.labels.push((Cow::Borrowed("project_id"), pid.0));
            if !d.labels.is_empty() {
                d.origin("labels", "/data/issue/project/id as project_id");
            }
        }
    }
    d.started_at = d.pick("started_at", [("/data/issue/firstSeen", cow(i.first_seen))]);
    let link = d.pick(
        "links",
        [
            ("/data/issue/web_url (issue)", cow(i.web_url)),
            ("/data/issue/permalink (issue)", cow(i.permalink)),
        ],
    );
    if let Some(url) = link {
        d.links.push(("issue", url));
    }
    let annotations = [
        ("action", action.clone()),
        ("short_id", cow(i.short_id)),
        ("issue_status", cow(i.status)),
        ("substatus", cow(i.substatus)),
        ("culprit", cow(i.culprit)),
        ("platform", cow(i.platform)),
        ("count", cow(i.count)),
        ("user_count", cow(i.user_count)),
    ];
    push_annotations(&mut d, annotations);
    if !d.annotations.is_empty() {
        d.origin("annotations", "/action and /data/issue: shortId, status, substatus, culprit, platform, count, userCount");
    }
    b.push(d)
}

/// The project slug of an API URL: `…/api/0/projects/{org}/{project}/events/…`.
fn project_slug(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("/projects/")?;
    let mut parts = rest.split('/');
    let (_org, project) = (parts.next()?, parts.next()?);
    (!project.is_empty()).then_some(project)
}

/// Sentry's level as a severity word; `debug`, not in the vocabulary, becomes `info`.
fn level<'a>(
    d: &mut Draft<'_>,
    from: &'static str,
    level: Option<Text<'a>>,
) -> Option<Cow<'a, str>> {
    let level = level.map(|t| t.0).filter(|l| !l.trim().is_empty())?;
    if level.trim().eq_ignore_ascii_case("debug") {
        d.origin_with("severity_raw", || {
            alloc::format!("{from}, 'debug' translated to info")
        });
        return Some(Cow::Borrowed("info"));
    }
    d.origin("severity_raw", from);
    Some(level)
}

fn push_annotations<'a, const N: usize>(
    d: &mut Draft<'a>,
    pairs: [(&'static str, Option<Cow<'a, str>>); N],
) {
    d.annotations.extend(
        pairs
            .into_iter()
            .filter_map(|(k, v)| Some((Cow::Borrowed(k), v?)))
            .filter(|(_, v)| !v.trim().is_empty()),
    );
}

/// A Unix time in seconds or milliseconds as RFC 3339; anything else unchanged.
fn unix_time(t: Cow<'_, str>) -> Cow<'_, str> {
    match unix_text_to_rfc3339(&t) {
        Some(rfc) => Cow::Owned(rfc),
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::{format, vec};
    use proptest::prelude::*;

    /// The `#[serde(untagged)]` reading that `TagVisitor` replaces.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum UntaggedTag<'a> {
        Pair(#[serde(borrow)] Text<'a>, #[serde(borrow)] Text<'a>),
        Object {
            #[serde(borrow)]
            key: Text<'a>,
            #[serde(borrow)]
            value: Option<Text<'a>>,
        },
        Other(IgnoredAny),
    }

    impl<'a> From<UntaggedTag<'a>> for Tag<'a> {
        fn from(t: UntaggedTag<'a>) -> Self {
            match t {
                UntaggedTag::Pair(k, v) => Tag::Pair(k, v),
                UntaggedTag::Object { key, value } => Tag::Object { key, value },
                UntaggedTag::Other(_) => Tag::Other,
            }
        }
    }

    /// Tag-like JSON: pairs and objects of every length, nulls, nesting, repeats.
    fn tag_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(Into::into),
            any::<i32>().prop_map(Into::into),
            (-1e3f64..1e3).prop_map(Into::into),
            "[a-z\\\"é]{0,4}".prop_map(Into::into),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::vec(
                    (
                        prop::sample::select(vec!["key", "value", "other", "Key"]),
                        inner
                    ),
                    0..4
                )
                .prop_map(|members| {
                    // Written out by hand below, so that a key may repeat.
                    serde_json::Value::Array(
                        members
                            .into_iter()
                            .map(|(k, v)| serde_json::json!([k, v]))
                            .collect(),
                    )
                }),
            ]
        })
    }

    /// JSON text of `v`, where a `[[k, v], …]` list of two-element lists under an
    /// object marker is written as an object (repeated keys kept).
    fn objects_too(v: &serde_json::Value, as_object: bool) -> String {
        match v {
            serde_json::Value::Array(items) if as_object => {
                let members: Vec<String> = items
                    .iter()
                    .map(|m| match m {
                        serde_json::Value::Array(kv) if kv.len() == 2 => {
                            let key = kv[0]
                                .as_str()
                                .map_or_else(|| kv[0].to_string(), String::from);
                            format!(
                                "{}:{}",
                                serde_json::Value::String(key),
                                objects_too(&kv[1], false)
                            )
                        }
                        other => format!("\"x\":{}", objects_too(other, false)),
                    })
                    .collect();
                format!("{{{}}}", members.join(","))
            }
            serde_json::Value::Array(items) => {
                let items: Vec<String> = items.iter().map(|i| objects_too(i, false)).collect();
                format!("[{}]", items.join(","))
            }
            other => other.to_string(),
        }
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn tag_reads_as_untagged_did(v in tag_json(), as_object in any::<bool>()) {
            let text = objects_too(&v, as_object);
            let by_hand: Tag<'_> = serde_json::from_str(&text).unwrap();
            let untagged: UntaggedTag<'_> = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(by_hand, Tag::from(untagged), "{}", text);
        }
    }

    #[test]
    fn tags_of_each_form() {
        fn read(t: &str) -> Tag<'_> {
            serde_json::from_str(t).unwrap()
        }
        fn text(s: &'static str) -> Text<'static> {
            Text(Cow::Borrowed(s))
        }
        assert_eq!(
            read(r#"["env", "prod"]"#),
            Tag::Pair(text("env"), text("prod"))
        );
        assert_eq!(
            read(r#"{"key": "env", "value": "prod", "x": [1]}"#),
            Tag::Object {
                key: text("env"),
                value: Some(text("prod"))
            }
        );
        for other in [
            r#"["env", null]"#,
            r#"["a"]"#,
            r#"["a", "b", "c"]"#,
            r#"{"value": "v"}"#,
            r#"{"key": "a", "key": "b"}"#,
            r#"{"key": null}"#,
            "3",
            "null",
            r#""s""#,
        ] {
            assert_eq!(read(other), Tag::Other, "{other}");
        }
    }

    #[test]
    fn project_slug_from_the_event_api_url() {
        assert_eq!(
            project_slug("https://sentry.io/api/0/projects/acme/front-end/events/e48/"),
            Some("front-end")
        );
        assert_eq!(project_slug("https://sentry.io/api/0/projects/acme/"), None);
        assert_eq!(project_slug("https://sentry.io/api/0/issues/1/"), None);
    }
}
