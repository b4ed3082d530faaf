//! Azure Monitor alerts, as action groups post them to webhooks, Logic Apps
//! and Functions (User-Agent `IcMBroadcaster/…`).
//!
//! The common alert schema (`schemaId: "azureMonitorCommonAlertSchema"`) is
//! opt-in per action, so the older per-signal bodies are read too (module
//! `legacy` below): metric alerts (`AzureMonitorMetricAlert`), classic
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

use super::{Sender, user_agent_starts_with};
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{self, Kind, Pairs, Text, cow};
use crate::{Error, Request, Source};

pub(crate) const SENDER: Sender = Sender {
    source: Source::AzureMonitor,
    header_rule: "User-Agent starts with IcMBroadcaster",
    by_header,
    shape_rule: "'schemaId' azureMonitorCommonAlertSchema, AzureMonitorMetricAlert, Microsoft.Insights/activityLogs or Microsoft.Insights/LogAlert with a 'data' object; 'SearchQuery' with 'AlertRuleName'; or 'status' with a classic metric 'context'",
    by_shape,
    parse,
};

const SCHEMA_ID: &str = "azureMonitorCommonAlertSchema";

fn by_header(req: &Request<'_>) -> Option<&'static str> {
    user_agent_starts_with(req, "IcMBroadcaster").then_some("User-Agent starts with IcMBroadcaster")
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { text, probe } = p else {
        return None;
    };
    if probe.is("schemaId", Kind::String) && probe.is("data", Kind::Object) {
        let head = json::typed::<Head<'_>>(text).ok()?;
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
mod legacy {
    use alloc::borrow::Cow;
    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;

    use serde::Deserialize;
    use serde::de::IgnoredAny;

    use super::{Criterion, ResourceId, Text, from_id, portal_resource_url};
    use crate::builder::Builder;
    use crate::ingest::Payload;
    use crate::json::{self, Kind as JsonKind, Pairs, Probe, cow};
    use crate::{Error, Status};

    /// Which pre-common-schema body a request carries.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(super) enum Kind {
        /// `schemaId: "AzureMonitorMetricAlert"`: a metric alert rule, under `data`.
        Metric,
        /// A classic metric alert: `status` and `context` at the top level.
        Classic,
        /// `schemaId: "Microsoft.Insights/activityLogs"`: an activity log alert, under `data`.
        ActivityLog,
        /// A log search alert: `SearchQuery`, `AlertRuleName`, … at the top level.
        LogSearch,
        /// `schemaId: "Microsoft.Insights/LogAlert"`: the same fields under `data`.
        LogSearchWrapped,
    }

    impl Kind {
        /// The kind a `schemaId` names, when it names one of these.
        pub(super) fn of_schema(id: Option<&Text<'_>>) -> Option<Kind> {
            let id = id?.as_str().trim();
            let is = |name: &str| id.eq_ignore_ascii_case(name);
            if is("AzureMonitorMetricAlert") {
                Some(Kind::Metric)
            } else if is("Microsoft.Insights/activityLogs") {
                Some(Kind::ActivityLog)
            } else if is("Microsoft.Insights/LogAlert") {
                Some(Kind::LogSearchWrapped)
            } else {
                None
            }
        }

        /// The kind of a body without a `schemaId`.
        pub(super) fn of_body(text: &str, probe: &Probe<'_>) -> Option<Kind> {
            if probe.has("SearchQuery") && probe.has("AlertRuleName") {
                return Some(Kind::LogSearch);
            }
            // `status` and `context` alone are too common; the classic
            // metric condition and an Azure resource field pin it down.
            (probe.is("status", JsonKind::String)
                && probe.is("context", JsonKind::Object)
                && json::typed::<ClassicHead>(text).is_ok_and(|h| h.context.is_classic()))
            .then_some(Kind::Classic)
        }

        /// The shape rule that matched, for explanations.
        pub(super) fn rule(self) -> &'static str {
            match self {
                Kind::Metric => {
                    "'schemaId' AzureMonitorMetricAlert with a 'data' object (metric alert without the common schema)"
                }
                Kind::Classic => {
                    "'status' with a 'context' holding a metric 'condition' and an Azure resource (classic metric alert)"
                }
                Kind::ActivityLog => {
                    "'schemaId' Microsoft.Insights/activityLogs with a 'data' object (activity log alert without the common schema)"
                }
                Kind::LogSearch => {
                    "'SearchQuery' with 'AlertRuleName' (log search alert without the common schema)"
                }
                Kind::LogSearchWrapped => {
                    "'schemaId' Microsoft.Insights/LogAlert with a 'data' object (log search alert without the common schema)"
                }
            }
        }
    }

    pub(super) fn by_shape(text: &str, probe: &Probe<'_>) -> Option<&'static str> {
        Kind::of_body(text, probe).map(Kind::rule)
    }

    /// Just enough of a classic metric alert to recognise it.
    #[derive(Deserialize)]
    struct ClassicHead {
        context: ClassicContextHead,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ClassicContextHead {
        condition: Option<ConditionHead>,
        portal_link: Option<IgnoredAny>,
        resource_id: Option<IgnoredAny>,
        subscription_id: Option<IgnoredAny>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ConditionHead {
        metric_name: Option<IgnoredAny>,
        all_of: Option<IgnoredAny>,
    }

    impl ClassicContextHead {
        fn is_classic(&self) -> bool {
            self.condition
                .as_ref()
                .is_some_and(|c| c.metric_name.is_some() || c.all_of.is_some())
                && (self.portal_link.is_some()
                    || self.resource_id.is_some()
                    || self.subscription_id.is_some())
        }
    }

    /// A metric alert: `data` of `AzureMonitorMetricAlert`, or a classic body.
    #[derive(Deserialize)]
    struct MetricBody<'a> {
        #[serde(borrow)]
        status: Option<Text<'a>>,
        #[serde(borrow)]
        context: Option<MetricContext<'a>>,
        /// The rule's custom properties.
        #[serde(borrow)]
        properties: Option<Pairs<'a>>,
    }

    #[derive(Deserialize)]
    struct MetricEnvelope<'a> {
        #[serde(borrow)]
        data: Option<MetricBody<'a>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct MetricContext<'a> {
        #[serde(borrow)]
        timestamp: Option<Text<'a>>,
        #[serde(borrow)]
        id: Option<Text<'a>>,
        #[serde(borrow)]
        name: Option<Text<'a>>,
        #[serde(borrow)]
        description: Option<Text<'a>>,
        #[serde(borrow)]
        condition_type: Option<Text<'a>>,
        #[serde(borrow)]
        severity: Option<Text<'a>>,
        #[serde(borrow)]
        condition: Option<MetricCondition<'a>>,
        #[serde(borrow)]
        subscription_id: Option<Text<'a>>,
        #[serde(borrow)]
        resource_group_name: Option<Text<'a>>,
        #[serde(borrow)]
        resource_name: Option<Text<'a>>,
        #[serde(borrow)]
        resource_type: Option<Text<'a>>,
        #[serde(borrow)]
        resource_id: Option<Text<'a>>,
        #[serde(borrow)]
        resource_region: Option<Text<'a>>,
        #[serde(borrow)]
        portal_link: Option<Text<'a>>,
    }

    /// `allOf` criteria (metric alerts), or one criterion inline (classic).
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct MetricCondition<'a> {
        #[serde(borrow)]
        window_size: Option<Text<'a>>,
        #[serde(borrow)]
        all_of: Option<Vec<Criterion<'a>>>,
        #[serde(borrow)]
        metric_name: Option<Text<'a>>,
        #[serde(borrow)]
        metric_unit: Option<Text<'a>>,
        #[serde(borrow)]
        metric_value: Option<Text<'a>>,
        #[serde(borrow)]
        threshold: Option<Text<'a>>,
        #[serde(borrow)]
        time_aggregation: Option<Text<'a>>,
        #[serde(borrow)]
        operator: Option<Text<'a>>,
    }

    #[derive(Deserialize)]
    struct ActivityEnvelope<'a> {
        #[serde(borrow)]
        data: Option<ActivityData<'a>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ActivityData<'a> {
        #[serde(borrow)]
        status: Option<Text<'a>>,
        #[serde(borrow)]
        context: Option<ActivityContext<'a>>,
        #[serde(borrow)]
        properties: Option<Pairs<'a>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ActivityContext<'a> {
        #[serde(borrow)]
        activity_log: Option<ActivityLog<'a>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ActivityLog<'a> {
        #[serde(borrow)]
        channels: Option<Text<'a>>,
        #[serde(borrow)]
        correlation_id: Option<Text<'a>>,
        #[serde(borrow)]
        event_source: Option<Text<'a>>,
        #[serde(borrow)]
        event_timestamp: Option<Text<'a>>,
        #[serde(borrow)]
        event_data_id: Option<Text<'a>>,
        #[serde(borrow)]
        level: Option<Text<'a>>,
        #[serde(borrow)]
        operation_name: Option<Text<'a>>,
        #[serde(borrow)]
        resource_id: Option<Text<'a>>,
        #[serde(borrow)]
        resource_group_name: Option<Text<'a>>,
        #[serde(borrow)]
        resource_provider_name: Option<Text<'a>>,
        #[serde(borrow)]
        resource_type: Option<Text<'a>>,
        /// The operation's outcome (Succeeded, Failed …), not the alert's.
        #[serde(borrow)]
        status: Option<Text<'a>>,
        #[serde(borrow)]
        sub_status: Option<Text<'a>>,
        #[serde(borrow)]
        subscription_id: Option<Text<'a>>,
        #[serde(borrow)]
        caller: Option<Text<'a>>,
        #[serde(borrow)]
        description: Option<Text<'a>>,
        /// Service and resource health events put their title and stage here.
        #[serde(borrow)]
        properties: Option<Pairs<'a>>,
    }

    #[derive(Deserialize)]
    struct LogSearchEnvelope<'a> {
        #[serde(borrow)]
        data: Option<LogSearch<'a>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct LogSearch<'a> {
        #[serde(borrow)]
        subscription_id: Option<Text<'a>>,
        #[serde(borrow)]
        alert_rule_name: Option<Text<'a>>,
        #[serde(borrow)]
        search_query: Option<Text<'a>>,
        #[serde(borrow)]
        search_interval_start_time_utc: Option<Text<'a>>,
        #[serde(
            rename = "SearchIntervalEndtimeUtc",
            alias = "SearchIntervalEndTimeUtc",
            borrow
        )]
        search_interval_end_time_utc: Option<Text<'a>>,
        #[serde(borrow)]
        alert_threshold_operator: Option<Text<'a>>,
        #[serde(borrow)]
        alert_threshold_value: Option<Text<'a>>,
        #[serde(borrow)]
        result_count: Option<Text<'a>>,
        #[serde(borrow)]
        search_interval_in_seconds: Option<Text<'a>>,
        #[serde(borrow)]
        link_to_search_results: Option<Text<'a>>,
        #[serde(rename = "LinkToFilteredSearchResultsUI", borrow)]
        filtered_results_ui: Option<Text<'a>>,
        #[serde(borrow)]
        description: Option<Text<'a>>,
        #[serde(borrow)]
        severity: Option<Text<'a>>,
        #[serde(borrow)]
        affected_configuration_items: Option<Vec<Text<'a>>>,
        #[serde(borrow)]
        workspace_id: Option<Text<'a>>,
        #[serde(borrow)]
        application_id: Option<Text<'a>>,
        #[serde(borrow)]
        alert_type: Option<Text<'a>>,
        #[serde(borrow)]
        resource_id: Option<Text<'a>>,
    }

    pub(super) fn parse<'a>(
        kind: Kind,
        p: &Payload<'a>,
        b: &mut Builder<'_, 'a>,
    ) -> Result<(), Error> {
        let (text, _) = p.json(b)?;
        match kind {
            Kind::Metric => {
                p.require(b, &["data"])?;
                let env: MetricEnvelope<'a> = b.typed(text)?;
                let body = env
                    .data
                    .ok_or_else(|| b.mismatch("missing required field 'data'"))?;
                metric(body, "/data", b)
            }
            Kind::Classic => {
                p.require(b, &["context"])?;
                let body: MetricBody<'a> = b.typed(text)?;
                metric(body, "", b)
            }
            Kind::ActivityLog => {
                p.require(b, &["data"])?;
                let env: ActivityEnvelope<'a> = b.typed(text)?;
                let data = env
                    .data
                    .ok_or_else(|| b.mismatch("missing required field 'data'"))?;
                activity(data, b)
            }
            Kind::LogSearch => {
                let body: LogSearch<'a> = b.typed(text)?;
                log_search(body, "", b)
            }
            Kind::LogSearchWrapped => {
                p.require(b, &["data"])?;
                let env: LogSearchEnvelope<'a> = b.typed(text)?;
                let body = env
                    .data
                    .ok_or_else(|| b.mismatch("missing required field 'data'"))?;
                log_search(body, "/data", b)
            }
        }
    }

    /// Activated fires; Deactivated (metric alerts) and Resolved (classic)
    /// resolve; any other word goes through the shared vocabulary, which
    /// fails open to triggered.
    fn activation(b: &mut Builder<'_, '_>, raw: Option<&str>) -> Status {
        match raw.map(str::trim) {
            Some(w) if w.eq_ignore_ascii_case("activated") => Status::Triggered,
            Some(w) if w.eq_ignore_ascii_case("deactivated") => Status::Resolved,
            _ => b.status(raw),
        }
    }

    /// Azure's numeric scale (0 critical … 4 verbose) as the common schema's
    /// Sev0–Sev4 words; a word (Log Analytics, activity log levels) as sent.
    fn severity_word(raw: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
        let raw = raw?;
        match raw.trim() {
            n @ ("0" | "1" | "2" | "3" | "4") => Some(Cow::Owned(format!("Sev{n}"))),
            "Verbose" | "verbose" => Some(Cow::Borrowed("Sev4")),
            _ => Some(raw),
        }
    }

    fn push_some<'a>(
        out: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>,
        pairs: impl IntoIterator<Item = (&'static str, Option<Cow<'a, str>>)>,
    ) {
        for (key, value) in pairs {
            if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
                out.push((Cow::Borrowed(key), value));
            }
        }
    }

    fn is_vm(resource_type: Option<&str>) -> bool {
        resource_type.is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("microsoft.compute/virtualmachines")
        })
    }

    fn metric<'a>(
        body: MetricBody<'a>,
        base: &'static str,
        b: &mut Builder<'_, 'a>,
    ) -> Result<(), Error> {
        let ctx = body
            .context
            .ok_or_else(|| b.mismatch("missing required field 'context'"))?;
        let custom = body.properties.unwrap_or_default();
        let mut d = b.draft();
        d.base = Cow::Borrowed(base);

        let status = body.status.as_ref().map(Text::as_str);
        d.status = activation(b, status);
        if status.is_some() {
            d.origin("status", "/status (Activated; Deactivated or Resolved)");
        }
        d.title = d.pick("title", [("/context/name", cow(ctx.name))]);
        d.description = d.pick(
            "description",
            [("/context/description", cow(ctx.description))],
        );
        let severity = cow(ctx.severity);
        d.severity_raw = d.pick(
            "severity_raw",
            [(
                "/context/severity (0–4 as Sev0–Sev4)",
                severity_word(severity.clone()),
            )],
        );

        let resource_name = cow(ctx.resource_name);
        let condition_type = cow(ctx.condition_type);
        let id = cow(ctx.id);
        // A rule over many resources fires once per resource.
        let multi = condition_type
            .as_deref()
            .is_some_and(|t| t.trim().starts_with("MultipleResource"));
        let key = match (&id, &resource_name) {
            (Some(id), Some(r)) if multi => Some(Cow::Owned(format!("{}/{}", id.trim(), r.trim()))),
            _ => id.clone(),
        };
        d.vendor_key = d.pick(
            "dedup_key",
            [(
                "/context/id (with /context/resourceName when the rule covers many resources)",
                key,
            )],
        );
        d.source_ref = d.pick("source_ref", [("/context/id", id)]);
        d.service = d.pick(
            "service",
            [("/properties/service", custom.get("service").cloned())],
        );
        let timestamp = cow(ctx.timestamp);
        if d.status == Status::Resolved {
            d.ended_at = d.pick("ended_at", [("/context/timestamp", timestamp)]);
        } else {
            d.started_at = d.pick("started_at", [("/context/timestamp", timestamp)]);
        }
        let resource_type = cow(ctx.resource_type);
        if is_vm(resource_type.as_deref()) {
            d.host = d.pick(
                "host",
                [(
                    "/context/resourceName (a virtual machine)",
                    resource_name.clone(),
                )],
            );
        }

        let resource_id = cow(ctx.resource_id);
        let parsed = resource_id.as_deref().map(ResourceId::parse);
        let mut labels = Vec::new();
        push_some(
            &mut labels,
            [
                (
                    "subscription_id",
                    cow(ctx.subscription_id).or_else(|| from_id(&parsed, |r| &r.subscription)),
                ),
                (
                    "resource_group",
                    cow(ctx.resource_group_name).or_else(|| from_id(&parsed, |r| &r.group)),
                ),
                ("resource_type", resource_type),
                ("resource_id", resource_id.clone()),
                ("resource", resource_name),
                ("resource_region", cow(ctx.resource_region)),
            ],
        );

        let mut annotations = Vec::new();
        if let Some(condition) = ctx.condition {
            let mut criteria = condition.all_of.unwrap_or_default().into_iter();
            let (name, namespace, value, operator, threshold, aggregation) = match criteria.next() {
                Some(first) => {
                    for dim in first.dimensions.unwrap_or_default() {
                        if let Some(name) = dim.name {
                            labels.push((name.0, dim.value.map_or(Cow::Borrowed(""), |v| v.0)));
                        }
                    }
                    (
                        cow(first.metric_name),
                        cow(first.metric_namespace),
                        cow(first.metric_value),
                        cow(first.operator),
                        cow(first.threshold),
                        cow(first.time_aggregation),
                    )
                }
                None => (
                    cow(condition.metric_name),
                    None,
                    cow(condition.metric_value),
                    cow(condition.operator),
                    cow(condition.threshold),
                    cow(condition.time_aggregation),
                ),
            };
            for other in criteria {
                for dim in other.dimensions.unwrap_or_default() {
                    if let Some(name) = dim.name {
                        labels.push((name.0, dim.value.map_or(Cow::Borrowed(""), |v| v.0)));
                    }
                }
            }
            push_some(
                &mut annotations,
                [
                    ("metric_name", name),
                    ("metric_namespace", namespace),
                    ("metric_value", value),
                    ("metric_unit", cow(condition.metric_unit)),
                    ("operator", operator),
                    ("threshold", threshold),
                    ("time_aggregation", aggregation),
                    ("window_size", cow(condition.window_size)),
                ],
            );
        }
        push_some(&mut annotations, [("condition_type", condition_type)]);
        annotations.extend(custom.to_cows());
        d.labels = labels;
        d.origin(
            "labels",
            "context: subscriptionId, resourceGroupName (else from resourceId), resourceType, resourceId, resourceName, resourceRegion; the dimensions of condition.allOf",
        );
        d.annotations = annotations;
        d.origin(
            "annotations",
            "the first criterion of context.condition.allOf (or the classic condition itself), its windowSize, context.conditionType, and the rule's properties",
        );

        let link = cow(ctx.portal_link)
            .filter(|l| !l.trim().is_empty())
            .or_else(|| {
                resource_id
                    .as_deref()
                    .filter(|r| !r.trim().is_empty())
                    .map(|r| Cow::Owned(portal_resource_url(r)))
            });
        if let Some(url) = link {
            d.links.push(("target", url));
        }
        d.origin(
            "links",
            "context.portalLink, else the portal page of context.resourceId (target)",
        );
        b.push(d)
    }

    fn activity<'a>(data: ActivityData<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
        let log = data
            .context
            .and_then(|c| c.activity_log)
            .ok_or_else(|| b.mismatch("missing required field 'data.context.activityLog'"))?;
        let custom = data.properties.unwrap_or_default();
        let props = log.properties.unwrap_or_default();
        let mut d = b.draft();
        d.base = Cow::Borrowed("/data/context/activityLog");

        // Service health notices carry their own stage, resource health its
        // current state; either one resolving wins over the alert's Activated.
        let stage = props.get("stage").cloned();
        let health = props.get("currentHealthStatus").cloned();
        let status = data.status.as_ref().map(Text::as_str);
        if stage
            .as_deref()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("resolved"))
        {
            d.status = Status::Resolved;
            d.origin("status", "/properties/stage (Resolved)");
        } else if health
            .as_deref()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("available"))
        {
            d.status = Status::Resolved;
            d.origin("status", "/properties/currentHealthStatus (Available)");
        } else {
            d.status = activation(b, status);
            if status.is_some() {
                d.origin("status", "#/data/status");
            }
        }

        let operation = cow(log.operation_name);
        d.title = d.pick(
            "title",
            [
                ("/properties/title", props.get("title").cloned()),
                ("/operationName", operation.clone()),
            ],
        );
        d.description = d.pick("description", [("/description", cow(log.description))]);
        d.severity_raw = d.pick("severity_raw", [("/level", severity_word(cow(log.level)))]);
        let tracking = props.get("trackingId").cloned();
        let event = cow(log.event_data_id);
        let correlation = cow(log.correlation_id);
        d.vendor_key = d.pick(
            "dedup_key",
            [
                ("/properties/trackingId", tracking),
                ("/eventDataId", event.clone()),
                ("/correlationId", correlation.clone()),
            ],
        );
        d.source_ref = d.pick("source_ref", [("/eventDataId", event.clone())]);
        d.service = d.pick(
            "service",
            [("#/data/properties/service", custom.get("service").cloned())],
        );
        let timestamp = cow(log.event_timestamp);
        d.started_at = d.pick(
            "started_at",
            [
                (
                    "/properties/impactStartTime",
                    props.get("impactStartTime").cloned(),
                ),
                ("/eventTimestamp", timestamp.clone()),
            ],
        );
        if d.status == Status::Resolved {
            d.ended_at = d.pick(
                "ended_at",
                [
                    (
                        "/properties/impactMitigationTime",
                        props.get("impactMitigationTime").cloned(),
                    ),
                    ("/eventTimestamp", timestamp),
                ],
            );
        }

        let resource_id = cow(log.resource_id);
        let parsed = resource_id.as_deref().map(ResourceId::parse);
        let resource_type = cow(log.resource_type)
            .or_else(|| parsed.as_ref().and_then(|r| r.kind.clone()).map(Cow::Owned));
        if is_vm(resource_type.as_deref()) {
            let name = resource_id
                .as_deref()
                .and_then(|r| r.trim().rsplit('/').find(|p| !p.is_empty()))
                .map(|n| Cow::Owned(String::from(n)));
            d.host = d.pick(
                "host",
                [("the last segment of /resourceId (a virtual machine)", name)],
            );
        }
        let mut labels = Vec::new();
        push_some(
            &mut labels,
            [
                (
                    "subscription_id",
                    cow(log.subscription_id).or_else(|| from_id(&parsed, |r| &r.subscription)),
                ),
                (
                    "resource_group",
                    cow(log.resource_group_name).or_else(|| from_id(&parsed, |r| &r.group)),
                ),
                ("resource_type", resource_type),
                ("resource_id", resource_id.clone()),
                ("resource_provider", cow(log.resource_provider_name)),
                ("event_source", cow(log.event_source)),
            ],
        );
        let mut annotations = Vec::new();
        push_some(
            &mut annotations,
            [
                ("operation_name", operation),
                ("operation_status", cow(log.status)),
                ("operation_sub_status", cow(log.sub_status)),
                ("caller", cow(log.caller)),
                ("correlation_id", correlation),
                ("channels", cow(log.channels)),
                ("stage", stage),
                ("current_health_status", health),
            ],
        );
        annotations.extend(custom.to_cows());
        d.labels = labels;
        d.origin(
            "labels",
            "subscriptionId, resourceGroupName, resourceType (else from resourceId), resourceId, resourceProviderName, eventSource",
        );
        d.annotations = annotations;
        d.origin(
            "annotations",
            "operationName, the operation's status and subStatus, caller, correlationId, channels, properties.stage and currentHealthStatus, and data.properties",
        );
        if let Some(r) = resource_id.as_deref().filter(|r| !r.trim().is_empty()) {
            d.links.push(("target", Cow::Owned(portal_resource_url(r))));
        }
        d.origin("links", "the portal page of resourceId (target)");
        b.push(d)
    }

    fn log_search<'a>(
        s: LogSearch<'a>,
        base: &'static str,
        b: &mut Builder<'_, 'a>,
    ) -> Result<(), Error> {
        let mut d = b.draft();
        d.base = Cow::Borrowed(base);
        // These bodies have no status: Azure sends them only when the rule fires.
        d.status = Status::Triggered;
        d.origin(
            "status",
            "a log search alert without the common schema is sent only when it fires",
        );
        let rule = cow(s.alert_rule_name);
        d.title = d.pick("title", [("/AlertRuleName", rule.clone())]);
        d.description = d.pick("description", [("/Description", cow(s.description))]);
        d.severity_raw = d.pick(
            "severity_raw",
            [(
                "/Severity (0–4 as Sev0–Sev4)",
                severity_word(cow(s.severity)),
            )],
        );
        let start = cow(s.search_interval_start_time_utc);
        d.started_at = d.pick(
            "started_at",
            [("/SearchIntervalStartTimeUtc", start.clone())],
        );
        let items: Vec<Cow<'_, str>> = s
            .affected_configuration_items
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.0)
            .filter(|t| !t.trim().is_empty())
            .collect();
        if let [only] = items.as_slice() {
            d.host = d.pick(
                "host",
                [(
                    "/AffectedConfigurationItems/0 (the only one)",
                    Some(only.clone()),
                )],
            );
        }
        let mut labels = Vec::new();
        push_some(
            &mut labels,
            [
                ("subscription_id", cow(s.subscription_id)),
                ("workspace_id", cow(s.workspace_id)),
                ("application_id", cow(s.application_id)),
                ("resource_id", cow(s.resource_id)),
                ("alert_type", cow(s.alert_type)),
                ("resource", super::join(&items)),
            ],
        );
        let mut annotations = Vec::new();
        push_some(
            &mut annotations,
            [
                ("search_query", cow(s.search_query)),
                ("result_count", cow(s.result_count)),
                ("operator", cow(s.alert_threshold_operator)),
                ("threshold", cow(s.alert_threshold_value)),
                ("search_interval_start", start),
                ("search_interval_end", cow(s.search_interval_end_time_utc)),
                ("search_interval_seconds", cow(s.search_interval_in_seconds)),
            ],
        );
        d.labels = labels;
        d.origin(
            "labels",
            "SubscriptionId, WorkspaceId, ApplicationId, ResourceId, AlertType, AffectedConfigurationItems",
        );
        d.annotations = annotations;
        d.origin(
            "annotations",
            "SearchQuery, ResultCount, AlertThresholdOperator, AlertThresholdValue and the search interval",
        );
        if let Some(url) = cow(s.filtered_results_ui).or(cow(s.link_to_search_results)) {
            d.links.push(("search", url));
        }
        d.origin(
            "links",
            "LinkToFilteredSearchResultsUI, else LinkToSearchResults (search)",
        );
        b.push(d)
    }
}

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
