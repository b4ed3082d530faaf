//! Elastic (Kibana alerting) Webhook connector, in the body alertgate
//! recommends (docs/sources/elastic.md): the rule action variables under the
//! names Kibana gives them (`rule`, `alert`, `context`, `date`, `kibanaBaseUrl`).
//!
//! One alert per request (action frequency "for each alert"). The action
//! group `recovered` resolves; rule id and alert id identify the alert.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use super::{Sender, no_header, tag_labels, tag_labels_of};
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Kind, Text, cow};
use crate::{Error, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Elastic,
    header_rule: "",
    by_header: no_header,
    shape_rule: "'kibanaBaseUrl' with a 'rule' object; or a flat template: 'rule_name', 'ruleName' or 'rule.name' with an alert id, uuid or action group in any of those spellings",
    by_shape,
    parse,
};

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    if probe.kind("kibanaBaseUrl").is_some() && probe.is("rule", Kind::Object) {
        return Some("'kibanaBaseUrl' with a 'rule' object");
    }
    // A flat template: the rule name and something only an alert action has.
    let alert_key = |k: &str| ALERT_KEYS.contains(&k);
    if !probe.keys.iter().any(|(k, _)| alert_key(k)) {
        return None;
    }
    RULE_NAME_KEYS
        .iter()
        .find(|(k, _)| probe.has(k))
        .map(|(_, reason)| *reason)
}

/// `{{rule.name}}` as flat templates name it, with the reason that names the spelling.
const RULE_NAME_KEYS: &[(&str, &str)] = &[
    (
        "rule_name",
        "'rule_name' with an alert id, uuid or action group (flat Kibana template)",
    ),
    (
        "ruleName",
        "'ruleName' with an alert id, uuid or action group (flat Kibana template)",
    ),
    (
        "rule.name",
        "'rule.name' with an alert id, uuid or action group (flat Kibana template)",
    ),
];

/// Alert variables a flat template carries, in the spellings templates use.
const ALERT_KEYS: &[&str] = &[
    "alert_id",
    "alertId",
    "alert.id",
    "alert_uuid",
    "alertUuid",
    "alert.uuid",
    "action_group",
    "actionGroup",
    "alert.actionGroup",
    "alert_action_group",
];

/// The recommended body. Unknown fields are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    #[serde(borrow)]
    kibana_base_url: Option<Text<'a>>,
    #[serde(borrow)]
    date: Option<Text<'a>>,
    #[serde(borrow)]
    rule: Option<Rule<'a>>,
    #[serde(borrow, default)]
    alert: Option<Alert<'a>>,
    #[serde(borrow, default)]
    context: Option<Context<'a>>,
    #[serde(borrow)]
    severity: Option<Text<'a>>,
    #[serde(borrow)]
    service: Option<Text<'a>>,
    #[serde(borrow)]
    host: Option<Text<'a>>,
    /// A flat template's variables (when there is no `rule` object).
    #[serde(flatten, borrow)]
    flat: Flat<'a>,
}

/// The action variables of a flat template, in snake_case, camelCase or dotted keys.
#[derive(Deserialize, Default)]
struct Flat<'a> {
    #[serde(alias = "ruleName", alias = "rule.name", borrow)]
    rule_name: Option<Text<'a>>,
    #[serde(alias = "ruleId", alias = "rule.id", borrow)]
    rule_id: Option<Text<'a>>,
    #[serde(alias = "ruleUrl", alias = "rule.url", borrow)]
    rule_url: Option<Text<'a>>,
    #[serde(alias = "ruleTags", alias = "rule.tags", borrow)]
    rule_tags: Option<Text<'a>>,
    #[serde(alias = "alertId", alias = "alert.id", borrow)]
    alert_id: Option<Text<'a>>,
    #[serde(alias = "alertUuid", alias = "alert.uuid", borrow)]
    alert_uuid: Option<Text<'a>>,
    #[serde(
        alias = "actionGroup",
        alias = "alert.actionGroup",
        alias = "alert_action_group",
        borrow
    )]
    action_group: Option<Text<'a>>,
    #[serde(alias = "actionGroupName", alias = "alert.actionGroupName", borrow)]
    action_group_name: Option<Text<'a>>,
    #[serde(alias = "context.reason", alias = "context_reason", borrow)]
    reason: Option<Text<'a>>,
    #[serde(alias = "context.message", alias = "context_message", borrow)]
    message: Option<Text<'a>>,
    #[serde(alias = "kibana_base_url", borrow)]
    kibana_url: Option<Text<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    /// `{{rule.tags}}` (comma joined) or `{{rule.tags.asJSON}}` (an array).
    #[serde(borrow)]
    tags: Option<Text<'a>>,
    #[serde(borrow)]
    space_id: Option<Text<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Alert<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    uuid: Option<Text<'a>>,
    #[serde(borrow)]
    action_group: Option<Text<'a>>,
    #[serde(borrow)]
    action_group_name: Option<Text<'a>>,
    #[serde(borrow)]
    flapping: Option<Text<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Context<'a> {
    #[serde(borrow)]
    reason: Option<Text<'a>>,
    #[serde(borrow)]
    message: Option<Text<'a>>,
    #[serde(borrow)]
    value: Option<Text<'a>>,
    #[serde(borrow)]
    conditions: Option<Text<'a>>,
    #[serde(borrow)]
    alert_details_url: Option<Text<'a>>,
    #[serde(borrow)]
    link: Option<Text<'a>>,
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let (text, probe) = p.json(b)?;
    let flat_name = RULE_NAME_KEYS.iter().any(|(k, _)| probe.has(k));
    if !flat_name {
        p.require(b, &["rule"])?;
    }
    let mut body: Body<'_> = b.typed(text)?;
    if body.rule.is_none() && !flat_name {
        return Err(b.mismatch("missing required field 'rule'"));
    }
    // A flat template fills what the nested objects would hold.
    let f = core::mem::take(&mut body.flat);
    let mut rule = body.rule.unwrap_or_default();
    let mut alert = body.alert.unwrap_or_default();
    let mut ctx = body.context.unwrap_or_default();
    fill(&mut rule.name, f.rule_name);
    fill(&mut rule.id, f.rule_id);
    fill(&mut rule.url, f.rule_url);
    fill(&mut rule.tags, f.rule_tags);
    fill(&mut alert.id, f.alert_id);
    fill(&mut alert.uuid, f.alert_uuid);
    fill(&mut alert.action_group, f.action_group);
    fill(&mut alert.action_group_name, f.action_group_name);
    fill(&mut ctx.reason, f.reason);
    fill(&mut ctx.message, f.message);
    fill(&mut body.kibana_base_url, f.kibana_url);

    let mut d = b.draft();
    let group = get(alert.action_group);
    d.status = match group.as_deref().map(str::trim) {
        Some(g) if g.eq_ignore_ascii_case("recovered") => Status::Resolved,
        // Every other action group (threshold met, query matched, …) is a firing one.
        _ => Status::Triggered,
    };
    if group.is_some() {
        d.origin(
            "status",
            "/alert/actionGroup (or action_group, actionGroup, alert.actionGroup): recovered resolves",
        );
    }

    let rule_id = get(rule.id);
    let alert_id = get(alert.id);
    d.title = d.pick("title", [("/rule/name", get(rule.name))]);
    let message = get(ctx.message);
    d.description = d.pick(
        "description",
        [
            ("/context/reason", get(ctx.reason)),
            ("/context/message", message.clone()),
        ],
    );
    d.severity_raw = d.pick("severity_raw", [("/severity", get(body.severity))]);
    d.service = d.pick("service", [("/service", get(body.service))]);
    d.host = d.pick("host", [("/host", get(body.host))]);

    let key = match (&rule_id, &alert_id) {
        (Some(r), Some(a)) => {
            d.origin("dedup_key", "/rule/id and /alert/id, joined with ':'");
            Some(Cow::Owned([r.as_ref(), a.as_ref()].join(":")))
        }
        (Some(r), None) => {
            d.origin("dedup_key", "/rule/id");
            Some(r.clone())
        }
        _ => None,
    };
    d.source_ref = key.clone();
    d.vendor_key = key;
    d.origin("source_ref", "the dedup key");

    if let Some(tags) = get(rule.tags) {
        d.labels = tag_labels_of(tags, tag_list);
    }
    d.labels.reserve(3);
    for (k, v) in [
        ("rule_id", rule_id),
        ("alert_id", alert_id),
        ("space_id", get(rule.space_id)),
    ] {
        if let Some(v) = v {
            d.labels.push((Cow::Borrowed(k), v));
        }
    }
    d.origin(
        "labels",
        "/rule/tags (key:value split), /rule/id, /alert/id, /rule/spaceId",
    );

    let date = get(body.date);
    match d.status {
        Status::Resolved => d.ended_at = d.pick("ended_at", [("/date", date)]),
        _ => d.started_at = d.pick("started_at", [("/date", date)]),
    }

    let flapping = get(alert.flapping).filter(|f| f.trim().eq_ignore_ascii_case("true"));
    let message_is_description = d.description.as_deref() == message.as_deref();
    let message = message.filter(|_| !message_is_description);
    d.annotations.reserve(7);
    for (k, v) in [
        ("action_group", group),
        ("action_group_name", get(alert.action_group_name)),
        ("alert_uuid", get(alert.uuid)),
        ("flapping", flapping),
        ("value", get(ctx.value)),
        ("conditions", get(ctx.conditions)),
        ("message", message),
    ] {
        if let Some(v) = v {
            d.annotations.push((Cow::Borrowed(k), v));
        }
    }
    d.origin(
        "annotations",
        "/alert/actionGroup, /alert/actionGroupName, /alert/uuid, /alert/flapping, /context/value, /context/conditions, /context/message",
    );

    let base = get(body.kibana_base_url).filter(|u| u.contains("://"));
    for (rel, url) in [
        ("generator", get(rule.url)),
        ("incident", get(ctx.alert_details_url)),
        ("details", get(ctx.link)),
        ("external", base.clone()),
    ] {
        if let Some(url) = url.and_then(|u| absolute(u, base.as_deref())) {
            d.links.push((rel, url));
        }
    }
    d.origin(
        "links",
        "/rule/url (generator), /context/alertDetailsUrl (incident), /context/link (details), /kibanaBaseUrl (external); paths are joined to /kibanaBaseUrl",
    );
    b.push(d)
}

/// A URL as is, a Kibana path (`/app/…`) joined to the base URL, anything else dropped.
fn absolute<'a>(url: Cow<'a, str>, base: Option<&str>) -> Option<Cow<'a, str>> {
    let u = url.trim();
    if u.contains("://") {
        return Some(url);
    }
    let base = base?.trim().trim_end_matches('/');
    u.starts_with('/').then(|| Cow::Owned(format!("{base}{u}")))
}

/// Rule tags as labels, from a comma-joined list or a JSON array of strings.
fn tag_list(tags: &str) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    let t = tags.trim();
    if t.starts_with('[')
        && let Ok(list) = serde_json::from_str::<Vec<String>>(t)
    {
        return tag_labels(list.iter().map(String::as_str))
            .into_iter()
            .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
            .collect();
    }
    tag_labels(t.split(','))
}

/// A field's text; Mustache renders a missing variable as "", which counts as absent.
fn get(t: Option<Text<'_>>) -> Option<Cow<'_, str>> {
    cow(t).filter(|v| !v.trim().is_empty())
}

/// Sets `slot` from a flat template's value when the nested one is absent.
fn fill<'a>(slot: &mut Option<Text<'a>>, flat: Option<Text<'a>>) {
    if slot.as_ref().is_none_or(|t| t.as_str().trim().is_empty()) && flat.is_some() {
        *slot = flat;
    }
}
