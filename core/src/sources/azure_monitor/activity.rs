//! Activity log alerts (`Microsoft.Insights/activityLogs`).

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use super::legacy::{activation, is_vm, push_some, severity_word};
use super::{ResourceId, Text, from_id, portal_resource_url};
use crate::builder::Builder;
use crate::json::{Pairs, cow};
use crate::{Error, Status};

#[derive(Deserialize)]
pub(super) struct ActivityEnvelope<'a> {
    #[serde(borrow)]
    pub(super) data: Option<ActivityData<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ActivityData<'a> {
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

pub(super) fn activity<'a>(data: ActivityData<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
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
