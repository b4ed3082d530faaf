//! New Relic: workflow webhooks (the default workflow payload template: `id`,
//! `issueUrl`, `title`, `priority`, `state`, `impactedEntities`, …, or a
//! user template over the workflow variables themselves: `issueTitle`,
//! `issuePageUrl`, `conditionName`, `policyName`, `entitiesData`, …) and the
//! legacy alert notification channel (`incident_id`, `current_state`,
//! `severity`, `condition_name`, `targets`, …).
//!
//! Workflow priorities are New Relic's own scale: `HIGH` is below `CRITICAL`,
//! so it is translated to `error` (the shared vocabulary would read "high" as
//! critical).

use alloc::borrow::Cow;
use alloc::vec::Vec;

use serde::Deserialize;

use super::{Sender, no_header};
use crate::Notice;
use crate::builder::{Builder, Draft};
use crate::ingest::Payload;
use crate::json::{Pairs, Text, cow};
use crate::text::unix_text_to_rfc3339;
use crate::{Error, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Newrelic,
    header_rule: "",
    by_header: no_header,
    shape_rule: "workflow payload (two of 'issueUrl', 'issueId', 'totalIncidents', 'impactedEntities', 'alertPolicyNames', 'alertConditionNames', 'workflowName', 'isCorrelated', 'issueTitle', 'issuePageUrl', 'conditionName', 'policyName', 'entitiesData', 'triggerEvent'), or legacy channel ('incident_id' with 'current_state', 'condition_name' or 'policy_name')",
    by_shape,
    parse,
};

const WORKFLOW_KEYS: &[&str] = &[
    "issueUrl",
    "issueId",
    "totalIncidents",
    "impactedEntities",
    "alertPolicyNames",
    "alertConditionNames",
    "workflowName",
    "isCorrelated",
    // The workflow variables under their own names, as user templates send them.
    "issueTitle",
    "issuePageUrl",
    "conditionName",
    "policyName",
    "entitiesData",
    "triggerEvent",
];
const WORKFLOW: &str =
    "two of the workflow keys ('issueUrl', 'totalIncidents', 'impactedEntities', …)";
const LEGACY: &str = "'incident_id' with 'current_state', 'condition_name' or 'policy_name'";

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    if WORKFLOW_KEYS.iter().filter(|k| probe.has(k)).count() >= 2 {
        Some(WORKFLOW)
    } else if probe.has("incident_id")
        && (probe.has("current_state") || probe.has("condition_name") || probe.has("policy_name"))
    {
        Some(LEGACY)
    } else {
        None
    }
}

/// A list in a workflow payload: an array, or one value where a template wrote a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum List<'a> {
    Many(#[serde(borrow)] Vec<Option<Text<'a>>>),
    One(#[serde(borrow)] Text<'a>),
}

impl<'a> List<'a> {
    fn items(self) -> Vec<Cow<'a, str>> {
        let all = match self {
            List::Many(v) => v.into_iter().flatten().map(|t| t.0).collect(),
            List::One(t) => alloc::vec![t.0],
        };
        all.into_iter()
            .filter(|t: &Cow<'a, str>| !t.trim().is_empty())
            .collect()
    }
}

/// The items of an optional list, comma-joined; `None` when there are none.
fn joined<'a>(list: Option<List<'a>>) -> Option<Cow<'a, str>> {
    let mut items = list?.items();
    match items.len() {
        0 => None,
        1 => items.pop(),
        _ => {
            let parts: Vec<&str> = items.iter().map(|c| c.as_ref()).collect();
            Some(Cow::Owned(parts.join(", ")))
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Workflow<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    issue_id: Option<Text<'a>>,
    #[serde(borrow)]
    issue_url: Option<Text<'a>>,
    #[serde(borrow)]
    title: Option<Text<'a>>,
    #[serde(borrow)]
    priority: Option<Text<'a>>,
    #[serde(borrow)]
    state: Option<Text<'a>>,
    #[serde(borrow)]
    trigger: Option<Text<'a>>,
    #[serde(borrow)]
    is_correlated: Option<Text<'a>>,
    #[serde(borrow)]
    total_incidents: Option<Text<'a>>,
    #[serde(borrow)]
    created_at: Option<Text<'a>>,
    #[serde(borrow)]
    updated_at: Option<Text<'a>>,
    #[serde(borrow)]
    impacted_entities: Option<List<'a>>,
    #[serde(borrow)]
    sources: Option<List<'a>>,
    #[serde(borrow)]
    alert_policy_names: Option<List<'a>>,
    #[serde(borrow)]
    alert_condition_names: Option<List<'a>>,
    #[serde(borrow)]
    workflow_name: Option<Text<'a>>,
    #[serde(borrow)]
    accumulations: Option<Accumulations<'a>>,
    // The workflow variables under their own names (user templates).
    #[serde(borrow)]
    issue_title: Option<Text<'a>>,
    #[serde(borrow)]
    issue_page_url: Option<Text<'a>>,
    #[serde(borrow)]
    condition_name: Option<List<'a>>,
    #[serde(borrow)]
    policy_name: Option<List<'a>>,
    #[serde(borrow)]
    entities_data: Option<EntitiesData<'a>>,
    #[serde(borrow)]
    trigger_event: Option<Text<'a>>,
    #[serde(borrow)]
    description: Option<List<'a>>,
}

/// `{{json entitiesData}}`: the impacted entities' names, ids and types.
#[derive(Deserialize)]
struct EntitiesData<'a> {
    #[serde(borrow)]
    names: Option<List<'a>>,
    #[serde(borrow)]
    types: Option<List<'a>>,
}

/// The parts of `{{json accumulations}}` that are read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Accumulations<'a> {
    #[serde(borrow)]
    condition_description: Option<List<'a>>,
    #[serde(borrow)]
    runbook_url: Option<List<'a>>,
    #[serde(borrow)]
    nrql_query: Option<List<'a>>,
    #[serde(borrow)]
    condition_product: Option<List<'a>>,
}

#[derive(Deserialize)]
struct Legacy<'a> {
    #[serde(borrow)]
    incident_id: Option<Text<'a>>,
    #[serde(borrow)]
    event_type: Option<Text<'a>>,
    #[serde(borrow)]
    current_state: Option<Text<'a>>,
    #[serde(borrow)]
    severity: Option<Text<'a>>,
    #[serde(borrow)]
    condition_id: Option<Text<'a>>,
    #[serde(borrow)]
    condition_name: Option<Text<'a>>,
    #[serde(borrow)]
    condition_description: Option<Text<'a>>,
    #[serde(borrow)]
    policy_name: Option<Text<'a>>,
    #[serde(borrow)]
    policy_url: Option<Text<'a>>,
    #[serde(borrow)]
    details: Option<Text<'a>>,
    #[serde(borrow)]
    incident_url: Option<Text<'a>>,
    #[serde(borrow)]
    runbook_url: Option<Text<'a>>,
    #[serde(borrow)]
    violation_chart_url: Option<Text<'a>>,
    #[serde(borrow)]
    timestamp: Option<Text<'a>>,
    #[serde(borrow)]
    duration: Option<Text<'a>>,
    #[serde(borrow)]
    owner: Option<Text<'a>>,
    #[serde(borrow)]
    account_id: Option<Text<'a>>,
    #[serde(borrow)]
    account_name: Option<Text<'a>>,
    #[serde(borrow, default)]
    targets: Option<Vec<Target<'a>>>,
}

#[derive(Deserialize)]
struct Target<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    link: Option<Text<'a>>,
    #[serde(borrow, default)]
    labels: Option<Pairs<'a>>,
    #[serde(borrow)]
    product: Option<Text<'a>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let (text, probe) = p.json(b)?;
    let workflow_keys = WORKFLOW_KEYS.iter().filter(|k| probe.has(k)).count();
    let legacy = probe.has("incident_id") || probe.has("current_state");
    if legacy && workflow_keys == 0 {
        let l: Legacy<'_> = b.typed(text)?;
        return push_legacy(l, b);
    }
    // A trimmed workflow template still names the issue and says something about it.
    let names_issue = probe.has("id") || probe.has("issueId") || probe.has("issueUrl");
    if workflow_keys > 0 || (names_issue && (probe.has("title") || probe.has("state"))) {
        let w: Workflow<'_> = b.typed(text)?;
        return push_workflow(w, b);
    }
    Err(b
        .mismatch("missing required field 'issueUrl' (workflow) or 'incident_id' (legacy channel)"))
}

fn push_workflow<'a>(w: Workflow<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let mut d = b.draft();
    let state = w.state.map(|t| t.0);
    if let Some(s) = &state {
        d.origin("status", "/state");
        d.status = match s.trim().to_ascii_uppercase().as_str() {
            "CREATED" | "ACTIVATED" | "ACTIVE" => Status::Triggered,
            "ACKNOWLEDGED" => Status::Acknowledged,
            "CLOSED" => Status::Resolved,
            _ => b.status(Some(s)),
        };
    }
    let conditions = joined(w.alert_condition_names).or_else(|| joined(w.condition_name));
    d.title = d.pick(
        "title",
        [
            ("/title", cow(w.title)),
            ("/issueTitle", cow(w.issue_title)),
            (
                "/alertConditionNames, else /conditionName",
                conditions.clone(),
            ),
        ],
    );
    let accumulations = w.accumulations;
    let (described, runbooks, nrql, product) = match accumulations {
        Some(a) => (
            joined(a.condition_description),
            a.runbook_url.map(List::items).unwrap_or_default(),
            joined(a.nrql_query),
            joined(a.condition_product),
        ),
        None => (None, Vec::new(), None, None),
    };
    d.description = d.pick(
        "description",
        [
            ("/accumulations/conditionDescription", described),
            ("/description", joined(w.description)),
        ],
    );

    let priority = w.priority.map(|t| t.0);
    if let Some(raw) = &priority {
        d.severity_raw = Some(match raw.trim().to_ascii_uppercase().as_str() {
            "CRITICAL" => Cow::Borrowed("critical"),
            "HIGH" => Cow::Borrowed("error"),
            "MEDIUM" => Cow::Borrowed("warning"),
            "LOW" => Cow::Borrowed("info"),
            _ => raw.clone(),
        });
        d.origin(
            "severity_raw",
            "/priority, translated (CRITICAL critical, HIGH error, MEDIUM warning, LOW info)",
        );
    }

    let id = d.pick(
        "dedup_key",
        [("/id", cow(w.id)), ("/issueId", cow(w.issue_id))],
    );
    d.source_ref = id.clone();
    d.vendor_key = id;
    d.origin("source_ref", "the dedup key's field");

    d.started_at = d
        .pick("started_at", [("/createdAt", cow(w.created_at))])
        .map(unix_time);
    if d.status == Status::Resolved {
        d.ended_at = d
            .pick("ended_at", [("/updatedAt", cow(w.updated_at))])
            .map(unix_time);
    }

    let (entity_names, entity_types) = match w.entities_data {
        Some(e) => (joined(e.names), joined(e.types)),
        None => (None, None),
    };
    let labels = [
        ("priority", priority),
        (
            "alert_policy",
            joined(w.alert_policy_names).or_else(|| joined(w.policy_name)),
        ),
        ("alert_condition", conditions),
        (
            "impacted_entities",
            joined(w.impacted_entities).or(entity_names),
        ),
        ("entity_types", entity_types),
    ];
    push_pairs(&mut d.labels, labels);
    if !d.labels.is_empty() {
        d.origin("labels", "/priority, /alertPolicyNames (else /policyName), /alertConditionNames (else /conditionName), /impactedEntities (else /entitiesData/names), /entitiesData/types (lists comma-joined)");
    }
    let annotations = [
        ("state", state),
        ("trigger", cow(w.trigger).or(cow(w.trigger_event))),
        ("total_incidents", cow(w.total_incidents)),
        ("is_correlated", cow(w.is_correlated)),
        ("sources", joined(w.sources)),
        ("workflow_name", cow(w.workflow_name)),
        ("nrql_query", nrql),
        ("condition_product", product),
    ];
    push_pairs(&mut d.annotations, annotations);
    if !d.annotations.is_empty() {
        d.origin("annotations", "/state, /trigger (else /triggerEvent), /totalIncidents, /isCorrelated, /sources, /workflowName, /accumulations (nrqlQuery, conditionProduct)");
    }

    if let Some(url) = cow(w.issue_url).or(cow(w.issue_page_url)) {
        d.links.push(("issue", url));
    }
    for url in runbooks {
        d.links.push(("runbook", url));
    }
    if !d.links.is_empty() {
        d.origin(
            "links",
            "/issueUrl, else /issuePageUrl (issue), /accumulations/runbookUrl (runbook)",
        );
    }
    b.push(d)
}

fn push_legacy<'a>(l: Legacy<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    // "Send a test notification" from a channel: current_state "test".
    let state = l.current_state.map(|t| t.0);
    if state
        .as_deref()
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("test"))
    {
        b.notice = Some(Notice::TestNotification);
        for (key, value) in [
            ("details", &l.details),
            ("condition_name", &l.condition_name),
        ] {
            if let Some(v) = value {
                b.annotate(key, v.as_str());
            }
        }
        return Ok(());
    }

    let mut d = b.draft();
    d.status = b.status(state.as_deref());
    if state.is_some() {
        d.origin("status", "/current_state");
    }
    d.title = d.pick(
        "title",
        [
            ("/condition_name", cow(l.condition_name.clone())),
            ("/details", cow(l.details.clone())),
            ("/policy_name", cow(l.policy_name.clone())),
        ],
    );
    let title_is_details = l
        .condition_name
        .as_ref()
        .is_none_or(|c| c.as_str().trim().is_empty());
    d.description = if title_is_details {
        d.pick(
            "description",
            [("/condition_description", cow(l.condition_description))],
        )
    } else {
        d.pick(
            "description",
            [
                ("/details", cow(l.details)),
                ("/condition_description", cow(l.condition_description)),
            ],
        )
    };
    d.severity_raw = d.pick("severity_raw", [("/severity", cow(l.severity))]);
    let id = d.pick("dedup_key", [("/incident_id", cow(l.incident_id))]);
    d.source_ref = id.clone();
    d.vendor_key = id;
    d.origin("source_ref", "/incident_id");

    let when = d_time(&mut d, l.timestamp);
    match d.status {
        Status::Resolved => d.ended_at = when,
        _ => d.started_at = when,
    }

    // Targets: an APM application names the service, a host or server the host.
    let targets = l.targets.unwrap_or_default();
    for (i, t) in targets.iter().enumerate() {
        let kind = t.kind.as_ref().map_or("", |k| k.as_str().trim());
        let product = t.product.as_ref().map_or("", |p| p.as_str().trim());
        let name = t.name.as_ref().map(|n| n.0.clone());
        let is_app =
            kind.eq_ignore_ascii_case("application") || product.eq_ignore_ascii_case("apm");
        let is_host = kind.eq_ignore_ascii_case("host") || kind.eq_ignore_ascii_case("server");
        if d.service.is_none() && is_app {
            d.service = name.clone().filter(|n| !n.trim().is_empty());
            d.origin_with("service", || {
                alloc::format!("/targets/{i}/name (an APM application)")
            });
        }
        if d.host.is_none() && is_host {
            d.host = name.clone().filter(|n| !n.trim().is_empty());
            d.origin_with("host", || alloc::format!("/targets/{i}/name (a {kind})"));
        }
        if let Some(labels) = &t.labels {
            for (k, v) in labels.to_cows() {
                if !d.labels.iter().any(|(key, _)| *key == k) {
                    d.labels.push((k, v));
                }
            }
        }
        if let Some(link) = &t.link {
            d.links.push(("target", link.0.clone()));
        }
    }
    let target_names: Vec<&str> = targets
        .iter()
        .filter_map(|t| t.name.as_ref().map(Text::as_str))
        .filter(|n| !n.trim().is_empty())
        .collect();
    let target_ids: Vec<&str> = targets
        .iter()
        .filter_map(|t| t.id.as_ref().map(Text::as_str))
        .filter(|n| !n.trim().is_empty())
        .collect();
    let owned_join = |v: &[&str]| (!v.is_empty()).then(|| Cow::Owned(v.join(", ")));

    let labels = [
        ("alert_policy", cow(l.policy_name)),
        ("alert_condition", cow(l.condition_name)),
        ("condition_id", cow(l.condition_id)),
        ("account_id", cow(l.account_id)),
    ];
    push_pairs(&mut d.labels, labels);
    if !d.labels.is_empty() {
        d.origin(
            "labels",
            "/targets/*/labels, /policy_name, /condition_name, /condition_id, /account_id",
        );
    }
    let annotations = [
        ("current_state", state),
        ("event_type", cow(l.event_type)),
        ("account_name", cow(l.account_name)),
        ("owner", cow(l.owner)),
        ("duration", cow(l.duration)),
        ("targets", owned_join(&target_names)),
        ("target_ids", owned_join(&target_ids)),
    ];
    push_pairs(&mut d.annotations, annotations);
    if !d.annotations.is_empty() {
        d.origin(
            "annotations",
            "/current_state, /event_type, /account_name, /owner, /duration, target names and ids",
        );
    }

    for (rel, url) in [
        ("incident", l.incident_url),
        ("runbook", l.runbook_url),
        ("image", l.violation_chart_url),
        ("policy", l.policy_url),
    ] {
        if let Some(u) = url {
            d.links.push((rel, u.0));
        }
    }
    if !d.links.is_empty() {
        d.origin("links", "/targets/*/link (target), /incident_url (incident), /runbook_url (runbook), /violation_chart_url (image), /policy_url (policy)");
    }
    b.push(d)
}

fn d_time<'a>(d: &mut Draft<'_>, t: Option<Text<'a>>) -> Option<Cow<'a, str>> {
    let t = t.map(|t| t.0).filter(|t| !t.trim().is_empty())?;
    let field = if d.status == Status::Resolved {
        "ended_at"
    } else {
        "started_at"
    };
    d.origin(field, "/timestamp (Unix ms)");
    Some(unix_time(t))
}

fn push_pairs<'a, const N: usize>(
    out: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pairs: [(&'static str, Option<Cow<'a, str>>); N],
) {
    for (k, v) in pairs {
        if let Some(v) = v.filter(|v| !v.trim().is_empty())
            && !out.iter().any(|(key, _)| key == k)
        {
            out.push((Cow::Borrowed(k), v));
        }
    }
}

/// A Unix time in seconds or milliseconds as RFC 3339; anything else unchanged.
fn unix_time(t: Cow<'_, str>) -> Cow<'_, str> {
    match unix_text_to_rfc3339(&t) {
        Some(rfc) => Cow::Owned(rfc),
        None => t,
    }
}
