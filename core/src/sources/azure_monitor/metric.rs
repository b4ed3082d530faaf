//! Metric alerts: `AzureMonitorMetricAlert` and classic metric alerts.

use alloc::borrow::Cow;
use alloc::format;
use alloc::vec::Vec;

use serde::Deserialize;

use super::legacy::{activation, is_vm, push_some, severity_word};
use super::{Criterion, ResourceId, Text, from_id, portal_resource_url};
use crate::builder::Builder;
use crate::json::{Pairs, cow};
use crate::{Error, Status};

/// A metric alert: `data` of `AzureMonitorMetricAlert`, or a classic body.
#[derive(Deserialize)]
pub(super) struct MetricBody<'a> {
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    context: Option<MetricContext<'a>>,
    /// The rule's custom properties.
    #[serde(borrow)]
    properties: Option<Pairs<'a>>,
}

#[derive(Deserialize)]
pub(super) struct MetricEnvelope<'a> {
    #[serde(borrow)]
    pub(super) data: Option<MetricBody<'a>>,
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

pub(super) fn metric<'a>(
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
