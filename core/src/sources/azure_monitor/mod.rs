//! Azure Monitor alerts, as action groups post them to webhooks, Logic Apps
//! and Functions (User-Agent `IcMBroadcaster/…`).
//!
//! The common alert schema (`schemaId: "azureMonitorCommonAlertSchema"`) is
//! opt-in per action, so the older per-signal bodies are read too (module
//! `legacy` and its siblings): metric alerts (`AzureMonitorMetricAlert`), classic
//! metric alerts (top-level `status` and `context`), activity log alerts
//! (`Microsoft.Insights/activityLogs`) and log search alerts (`SearchQuery`
//! with `AlertRuleName`, or `Microsoft.Insights/LogAlert` wrapping them).
//!
//! In the common schema there is one alert per request from
//! `data.essentials`; `monitorCondition` Fired or Resolved is the status,
//! `severity` Sev0–Sev4 maps through the shared words (sev0 critical, sev1
//! error, sev2 warning, sev3 and sev4 info), `alertId` is the dedup key.
//! Metric and log search conditions (`alertContext.condition.allOf`) add
//! their dimensions as labels and their values as annotations.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use super::{Headers, Sender};
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Kind, Pairs, Text, cow};
use crate::{Error, Source};

pub(crate) const SENDER: Sender = Sender {
    source: Source::AzureMonitor,
    header_rule: "User-Agent starts with IcMBroadcaster",
    by_header,
    shape_rule: "'schemaId' azureMonitorCommonAlertSchema, AzureMonitorMetricAlert, Microsoft.Insights/activityLogs or Microsoft.Insights/LogAlert with a 'data' object; 'SearchQuery' with 'AlertRuleName'; or 'status' with a classic metric 'context'",
    by_shape,
    parse,
};

const SCHEMA_ID: &str = "azureMonitorCommonAlertSchema";

fn by_header(req: &Headers<'_, '_>) -> Option<&'static str> {
    req.user_agent_starts_with("IcMBroadcaster")
        .then_some("User-Agent starts with IcMBroadcaster")
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { text, probe } = p else {
        return None;
    };
    if probe.is("schemaId", Kind::String) && probe.is("data", Kind::Object) {
        let head = probe.typed::<Head<'_>>(text).ok()?;
        if is_common_schema(head.schema_id.as_ref()) {
            return Some("'schemaId' azureMonitorCommonAlertSchema with a 'data' object");
        }
        return legacy::Kind::of_schema(head.schema_id.as_ref()).map(legacy::Kind::rule);
    }
    legacy::by_shape(text, probe)
}

/// Just the `schemaId`, for detection.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head<'a> {
    #[serde(borrow)]
    schema_id: Option<Text<'a>>,
}

fn is_common_schema(id: Option<&Text<'_>>) -> bool {
    id.is_some_and(|t| t.as_str().trim().eq_ignore_ascii_case(SCHEMA_ID))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Common<'a> {
    #[serde(borrow)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data<'a> {
    #[serde(borrow)]
    essentials: Option<Essentials<'a>>,
    #[serde(borrow)]
    alert_context: Option<AlertContext<'a>>,
    #[serde(borrow)]
    custom_properties: Option<Pairs<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Essentials<'a> {
    #[serde(borrow)]
    alert_id: Option<Text<'a>>,
    #[serde(borrow)]
    alert_rule: Option<Text<'a>>,
    #[serde(borrow)]
    severity: Option<Text<'a>>,
    #[serde(borrow)]
    signal_type: Option<Text<'a>>,
    #[serde(borrow)]
    monitor_condition: Option<Text<'a>>,
    #[serde(borrow)]
    monitoring_service: Option<Text<'a>>,
    #[serde(rename = "alertTargetIDs", borrow)]
    alert_target_ids: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    configuration_items: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    origin_alert_id: Option<Text<'a>>,
    #[serde(borrow)]
    fired_date_time: Option<Text<'a>>,
    #[serde(borrow)]
    resolved_date_time: Option<Text<'a>>,
    #[serde(borrow)]
    description: Option<Text<'a>>,
    #[serde(borrow)]
    target_resource_group: Option<Text<'a>>,
    #[serde(borrow)]
    target_resource_type: Option<Text<'a>>,
    #[serde(borrow)]
    investigation_link: Option<Text<'a>>,
}

/// The parts of the alert context read here; the rest varies by signal type.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlertContext<'a> {
    #[serde(borrow)]
    condition_type: Option<Text<'a>>,
    #[serde(borrow)]
    condition: Option<Condition<'a>>,
    /// Activity log alerts.
    #[serde(borrow)]
    operation_name: Option<Text<'a>>,
    #[serde(borrow)]
    caller: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Condition<'a> {
    #[serde(borrow)]
    window_start_time: Option<Text<'a>>,
    #[serde(borrow)]
    window_end_time: Option<Text<'a>>,
    #[serde(borrow)]
    all_of: Option<Vec<Criterion<'a>>>,
}

/// One criterion of a metric or log search alert.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Criterion<'a> {
    #[serde(borrow)]
    metric_name: Option<Text<'a>>,
    #[serde(borrow)]
    metric_namespace: Option<Text<'a>>,
    #[serde(borrow)]
    operator: Option<Text<'a>>,
    #[serde(borrow)]
    threshold: Option<Text<'a>>,
    #[serde(borrow)]
    time_aggregation: Option<Text<'a>>,
    #[serde(borrow)]
    metric_value: Option<Text<'a>>,
    #[serde(borrow)]
    search_query: Option<Text<'a>>,
    #[serde(borrow)]
    dimensions: Option<Vec<Dimension<'a>>>,
    #[serde(rename = "linkToFilteredSearchResultsUI", borrow)]
    filtered_results_ui: Option<Text<'a>>,
    #[serde(rename = "linkToSearchResultsUI", borrow)]
    results_ui: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Dimension<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    value: Option<Text<'a>>,
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let (text, probe) = p.json(b)?;
    let schema = if probe.is("schemaId", Kind::String) {
        b.typed::<Head<'_>>(text)?.schema_id
    } else {
        None
    };
    if !is_common_schema(schema.as_ref()) {
        let kind = legacy::Kind::of_schema(schema.as_ref())
            .or_else(|| legacy::Kind::of_body(text, probe))
            .ok_or_else(|| {
                b.mismatch(
                    "neither the common alert schema nor a metric, classic metric, activity log or log search alert body",
                )
            })?;
        return legacy::parse(kind, p, b);
    }
    p.require(b, &["data"])?;
    let common: Common<'_> = b.typed(text)?;
    let data = common
        .data
        .ok_or_else(|| b.mismatch("missing required field 'data'"))?;
    let e = data
        .essentials
        .ok_or_else(|| b.mismatch("missing required field 'data.essentials'"))?;
    let context = data.alert_context;
    let custom = data.custom_properties.unwrap_or_default();

    let mut d = b.draft();
    let condition = e.monitor_condition.as_ref().map(Text::as_str);
    d.status = b.status(condition);
    if condition.is_some() {
        d.origin("status", "/data/essentials/monitorCondition");
    }
    d.title = d.pick("title", [("/data/essentials/alertRule", cow(e.alert_rule))]);
    d.description = d.pick(
        "description",
        [("/data/essentials/description", cow(e.description))],
    );
    d.severity_raw = d.pick(
        "severity_raw",
        [("/data/essentials/severity", cow(e.severity))],
    );
    let alert_id = cow(e.alert_id);
    d.vendor_key = d.pick(
        "dedup_key",
        [("/data/essentials/alertId", alert_id.clone())],
    );
    d.source_ref = d.pick(
        "source_ref",
        [("/data/essentials/alertId", alert_id.clone())],
    );
    d.service = d.pick(
        "service",
        [(
            "/data/customProperties/service",
            custom.get("service").cloned(),
        )],
    );
    d.started_at = d.pick(
        "started_at",
        [("/data/essentials/firedDateTime", cow(e.fired_date_time))],
    );
    d.ended_at = d.pick(
        "ended_at",
        [(
            "/data/essentials/resolvedDateTime",
            cow(e.resolved_date_time),
        )],
    );

    let targets: Vec<Cow<'_, str>> = e
        .alert_target_ids
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.0)
        .filter(|t| !t.trim().is_empty())
        .collect();
    let items: Vec<Cow<'_, str>> = e
        .configuration_items
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.0)
        .filter(|t| !t.trim().is_empty())
        .collect();
    let first_target = targets.first().map(|t| ResourceId::parse(t));
    let resource_type = cow(e.target_resource_type).or_else(|| {
        first_target
            .as_ref()
            .and_then(|r| r.kind.clone())
            .map(Cow::Owned)
    });
    // A virtual machine's name is the host.
    let is_vm = resource_type.as_deref().is_some_and(|t| {
        t.trim()
            .eq_ignore_ascii_case("microsoft.compute/virtualmachines")
    });
    if is_vm {
        d.host = d.pick(
            "host",
            [(
                "/data/essentials/configurationItems/0",
                items.first().cloned(),
            )],
        );
    }

    let mut labels = Vec::new();
    let subscription = alert_id
        .as_deref()
        .and_then(|id| ResourceId::parse(id).subscription)
        .or_else(|| first_target.as_ref().and_then(|r| r.subscription.clone()));
    let group = cow(e.target_resource_group).or_else(|| {
        first_target
            .as_ref()
            .and_then(|r| r.group.clone())
            .map(Cow::Owned)
    });
    for (key, value) in [
        ("subscription_id", subscription.map(Cow::Owned)),
        ("resource_group", group),
        ("resource_type", resource_type),
        ("resource_id", join(&targets)),
        ("resource", join(&items)),
        ("signal_type", cow(e.signal_type)),
        ("monitoring_service", cow(e.monitoring_service)),
    ] {
        if let Some(value) = value {
            labels.push((Cow::Borrowed(key), value));
        }
    }

    let mut annotations = Vec::new();
    if let Some(id) = cow(e.origin_alert_id) {
        annotations.push((Cow::Borrowed("origin_alert_id"), id));
    }
    let mut search_link = None;
    if let Some(ctx) = context {
        let condition = ctx.condition;
        let (window_start, window_end, criteria) = match condition {
            Some(c) => (
                cow(c.window_start_time),
                cow(c.window_end_time),
                c.all_of.unwrap_or_default(),
            ),
            None => (None, None, Vec::new()),
        };
        let mut criteria = criteria.into_iter();
        // The first criterion describes the alert; every criterion's dimensions label it.
        if let Some(first) = criteria.next() {
            for dim in first.dimensions.unwrap_or_default() {
                if let Some(name) = dim.name {
                    labels.push((name.0, dim.value.map_or(Cow::Borrowed(""), |v| v.0)));
                }
            }
            search_link = cow(first.filtered_results_ui).or(cow(first.results_ui));
            for (key, value) in [
                ("metric_name", cow(first.metric_name)),
                ("metric_namespace", cow(first.metric_namespace)),
                ("metric_value", cow(first.metric_value)),
                ("operator", cow(first.operator)),
                ("threshold", cow(first.threshold)),
                ("time_aggregation", cow(first.time_aggregation)),
                ("search_query", cow(first.search_query)),
            ] {
                if let Some(value) = value {
                    annotations.push((Cow::Borrowed(key), value));
                }
            }
        }
        for other in criteria {
            for dim in other.dimensions.unwrap_or_default() {
                if let Some(name) = dim.name {
                    labels.push((name.0, dim.value.map_or(Cow::Borrowed(""), |v| v.0)));
                }
            }
        }
        for (key, value) in [
            ("condition_type", cow(ctx.condition_type)),
            ("window_start_time", window_start),
            ("window_end_time", window_end),
            ("operation_name", cow(ctx.operation_name)),
            ("caller", cow(ctx.caller)),
        ] {
            if let Some(value) = value {
                annotations.push((Cow::Borrowed(key), value));
            }
        }
    }
    annotations.extend(custom.to_cows());
    d.labels = labels;
    d.origin(
        "labels",
        "the subscription of alertId, the resource group and type (targetResourceGroup, targetResourceType, else from alertTargetIDs/0), alertTargetIDs, configurationItems, signalType, monitoringService, and the dimensions of alertContext.condition.allOf",
    );
    d.annotations = annotations;
    d.origin(
        "annotations",
        "originAlertId, the first criterion of alertContext.condition.allOf, its window, alertContext.conditionType, operationName and caller, and data.customProperties",
    );

    let alert_link = cow(e.investigation_link)
        .filter(|l| !l.trim().is_empty())
        .or_else(|| {
            let id = alert_id.as_deref().filter(|id| !id.trim().is_empty())?;
            Some(Cow::Owned(portal_alert_url(id)))
        });
    if let Some(url) = alert_link {
        d.links.push(("alert", url));
    }
    for target in &targets {
        d.links
            .push(("target", Cow::Owned(portal_resource_url(target))));
    }
    if let Some(url) = search_link {
        d.links.push(("search", url));
    }
    d.origin(
        "links",
        "investigationLink, else the portal page of alertId (alert); the portal page of each alertTargetIDs (target); the first criterion's linkToFilteredSearchResultsUI or linkToSearchResultsUI (search)",
    );
    b.push(d)
}

/// The parts of an Azure resource id
/// (`/subscriptions/S/resourceGroups/G/providers/NS/TYPE/NAME`).
#[derive(Default)]
struct ResourceId {
    subscription: Option<String>,
    group: Option<String>,
    /// `NS/TYPE` of the last provider segment.
    kind: Option<String>,
}

/// A part of a parsed resource id, for a label the body did not state itself.
fn from_id<'a>(
    parsed: &Option<ResourceId>,
    part: impl Fn(&ResourceId) -> &Option<String>,
) -> Option<Cow<'a, str>> {
    parsed
        .as_ref()
        .and_then(|r| part(r).clone())
        .map(Cow::Owned)
}

impl ResourceId {
    fn parse(id: &str) -> ResourceId {
        let parts: Vec<&str> = id.trim().split('/').filter(|p| !p.is_empty()).collect();
        let after = |name: &str| {
            parts
                .iter()
                .position(|p| p.eq_ignore_ascii_case(name))
                .and_then(|i| parts.get(i + 1))
                .map(|s| String::from(*s))
        };
        let kind = parts
            .iter()
            .rposition(|p| p.eq_ignore_ascii_case("providers"))
            .and_then(|i| {
                Some(alloc::format!(
                    "{}/{}",
                    parts.get(i + 1)?,
                    parts.get(i + 2)?
                ))
            });
        ResourceId {
            subscription: after("subscriptions"),
            group: after("resourceGroups"),
            kind,
        }
    }
}

fn join(items: &[Cow<'_, str>]) -> Option<Cow<'static, str>> {
    (!items.is_empty()).then(|| {
        let parts: Vec<&str> = items.iter().map(|s| s.trim()).collect();
        Cow::Owned(parts.join(","))
    })
}

/// The portal page of an alert instance.
fn portal_alert_url(alert_id: &str) -> String {
    let mut url = String::from(
        "https://portal.azure.com/#view/Microsoft_Azure_Monitoring_Alerts/AlertDetails.ReactView/alertId~/",
    );
    percent_encode(alert_id.trim(), &mut url);
    url
}

/// The portal page of a resource.
fn portal_resource_url(resource_id: &str) -> String {
    let id = resource_id.trim();
    let mut url = String::from("https://portal.azure.com/#@/resource");
    if !id.starts_with('/') {
        url.push('/');
    }
    url.push_str(id);
    url
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in s.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xF)]));
        }
    }
}

/// The bodies Azure Monitor posts when the action does not use the common
/// alert schema. Each kind has its own layout; the canonical fields come from
/// the same ideas as in the common schema (rule name → title, resource →
/// labels and target link).
mod activity;
mod legacy;
mod log_search;
mod metric;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_split() {
        let r = ResourceId::parse(
            "/subscriptions/0f1e2d3c/resourcegroups/rg-web/providers/microsoft.compute/virtualmachines/web-7",
        );
        assert_eq!(r.subscription.as_deref(), Some("0f1e2d3c"));
        assert_eq!(r.group.as_deref(), Some("rg-web"));
        assert_eq!(r.kind.as_deref(), Some("microsoft.compute/virtualmachines"));
        let r =
            ResourceId::parse("/subscriptions/abc/providers/Microsoft.AlertsManagement/alerts/x");
        assert_eq!(r.subscription.as_deref(), Some("abc"));
        assert_eq!(r.group, None);
        let r = ResourceId::parse("nonsense");
        assert!(r.subscription.is_none() && r.group.is_none() && r.kind.is_none());
    }

    #[test]
    fn alert_url_is_encoded() {
        assert_eq!(
            portal_alert_url("/subscriptions/a b/alerts/ü"),
            "https://portal.azure.com/#view/Microsoft_Azure_Monitoring_Alerts/AlertDetails.ReactView/alertId~/%2Fsubscriptions%2Fa%20b%2Falerts%2F%C3%BC"
        );
    }
}
