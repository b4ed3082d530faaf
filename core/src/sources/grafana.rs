//! Grafana: unified alerting (an Alertmanager-style group with `orgId`,
//! per-alert dashboard/panel/silence URLs and `values`) and the legacy
//! dashboard-alert format (`ruleName`, `state`, `evalMatches`).

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use super::alertmanager::{Group, push_group};
use super::{Headers, Sender};
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Kind, Pairs, Text};
use crate::{Error, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Grafana,
    header_rule: "User-Agent starts with Grafana",
    by_header,
    shape_rule: "top-level 'alerts' array with 'orgId', or legacy 'ruleName' with 'evalMatches' or 'state'",
    by_shape,
    parse,
};

fn by_header(req: &Headers<'_, '_>) -> Option<&'static str> {
    req.user_agent_starts_with("Grafana")
        .then_some("User-Agent starts with Grafana")
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    if probe.is("alerts", Kind::Array) && probe.has("orgId") {
        Some("top-level 'alerts' array with 'orgId'")
    } else if probe.has("ruleName") && (probe.has("evalMatches") || probe.has("state")) {
        Some("legacy 'ruleName' with 'evalMatches' or 'state'")
    } else {
        None
    }
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let (text, probe) = p.json(b)?;
    if probe.kind("alerts").is_some() {
        let group: Group<'_> = b.typed(text)?;
        return push_group(group, b);
    }
    if probe.has("ruleName") || probe.has("evalMatches") {
        let legacy: Legacy<'_> = b.typed(text)?;
        return push_legacy(legacy, b);
    }
    Err(b.mismatch("missing required field 'alerts' (or legacy 'ruleName')"))
}

/// A legacy dashboard alert notification.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Legacy<'a> {
    #[serde(borrow)]
    title: Option<Text<'a>>,
    #[serde(borrow)]
    rule_id: Option<Text<'a>>,
    #[serde(borrow)]
    rule_name: Option<Text<'a>>,
    #[serde(borrow)]
    rule_url: Option<Text<'a>>,
    #[serde(borrow)]
    state: Option<Text<'a>>,
    #[serde(borrow)]
    image_url: Option<Text<'a>>,
    #[serde(borrow)]
    message: Option<Text<'a>>,
    #[serde(borrow)]
    eval_matches: Option<Vec<EvalMatch<'a>>>,
    #[serde(borrow)]
    tags: Option<Pairs<'a>>,
    #[serde(borrow)]
    dashboard_id: Option<Text<'a>>,
    #[serde(borrow)]
    panel_id: Option<Text<'a>>,
    #[serde(borrow)]
    org_id: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct EvalMatch<'a> {
    #[serde(borrow)]
    metric: Option<Text<'a>>,
    #[serde(borrow)]
    value: Option<Text<'a>>,
}

fn push_legacy<'a>(l: Legacy<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let state = l.state.as_ref().map(Text::as_str);
    // `no_data` is a known Grafana state: something to look at, so triggered.
    let status = match state {
        Some(s) if s.trim().eq_ignore_ascii_case("no_data") => Status::Triggered,
        other => b.status(other),
    };
    let tags = l.tags.unwrap_or_default();

    let mut annotations = Vec::new();
    let matches: Vec<String> = l
        .eval_matches
        .unwrap_or_default()
        .iter()
        .map(|m| {
            let metric = m.metric.as_ref().map_or("value", Text::as_str);
            let value = m.value.as_ref().map_or("null", Text::as_str);
            format!("{metric}={value}")
        })
        .collect();
    if !matches.is_empty() {
        annotations.push((
            Cow::Borrowed("eval_matches"),
            Cow::Owned(matches.join(", ")),
        ));
    }
    for (key, value) in [
        ("state", l.state.clone()),
        ("dashboard_id", l.dashboard_id),
        ("panel_id", l.panel_id),
        ("org_id", l.org_id),
    ] {
        if let Some(v) = value {
            annotations.push((Cow::Borrowed(key), v.0));
        }
    }

    let links: Vec<_> = [("generator", l.rule_url), ("image", l.image_url)]
        .into_iter()
        .filter_map(|(rel, t)| Some((rel, t?.0)))
        .collect();

    let mut d = b.draft();
    d.status = status;
    d.origin("status", "/state");
    d.title = d.pick(
        "title",
        [
            ("/ruleName", l.rule_name.map(|t| t.0)),
            ("/title", l.title.map(|t| t.0)),
        ],
    );
    d.description = d.pick("description", [("/message", l.message.map(|t| t.0))]);
    d.severity_raw = d.pick(
        "severity_raw",
        [("/tags/severity", tags.get("severity").cloned())],
    );
    // A `service` tag names the service outright; other tags stay labels only.
    d.service = d.pick("service", [("/tags/service", tags.get("service").cloned())]);
    let rule_id = l.rule_id.map(|t| t.0);
    d.vendor_key = d.pick("dedup_key", [("/ruleId", rule_id.clone())]);
    d.source_ref = d.pick("source_ref", [("/ruleId", rule_id)]);
    d.labels = tags.to_cows();
    d.origin("labels", "/tags");
    d.annotations = annotations;
    d.origin(
        "annotations",
        "/evalMatches, /state, /dashboardId, /panelId, /orgId",
    );
    d.links = links;
    d.origin("links", "/ruleUrl (generator), /imageUrl (image)");
    b.push(d)
}
