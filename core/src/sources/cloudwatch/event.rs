//! EventBridge "CloudWatch Alarm State Change" events.

use alloc::vec::Vec;

use serde::Deserialize;

use crate::json::{Pairs, Text};

/// An EventBridge "CloudWatch Alarm State Change" event (`detail-type` is
/// checked with `EventHead` first).
#[derive(Deserialize)]
pub(super) struct Event<'a> {
    #[serde(borrow)]
    pub(super) account: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) time: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) region: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) resources: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    pub(super) detail: Option<Detail<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Detail<'a> {
    #[serde(borrow)]
    pub(super) alarm_name: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) state: Option<State<'a>>,
    #[serde(borrow)]
    pub(super) previous_state: Option<State<'a>>,
    #[serde(borrow)]
    pub(super) configuration: Option<Configuration<'a>>,
    #[serde(borrow)]
    pub(super) alarm_tags: Option<Pairs<'a>>,
}

#[derive(Deserialize)]
pub(super) struct State<'a> {
    #[serde(borrow)]
    pub(super) value: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) reason: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) timestamp: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Configuration<'a> {
    #[serde(borrow)]
    pub(super) description: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) alarm_rule: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) metrics: Option<Vec<EventMetric<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EventMetric<'a> {
    #[serde(borrow)]
    pub(super) expression: Option<Text<'a>>,
    pub(super) return_data: Option<bool>,
    #[serde(borrow)]
    pub(super) metric_stat: Option<EventMetricStat<'a>>,
}

#[derive(Deserialize)]
pub(super) struct EventMetricStat<'a> {
    #[serde(borrow)]
    pub(super) metric: Option<EventMetricId<'a>>,
    #[serde(borrow)]
    pub(super) stat: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) period: Option<Text<'a>>,
}

#[derive(Deserialize)]
pub(super) struct EventMetricId<'a> {
    #[serde(borrow)]
    pub(super) name: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) namespace: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) dimensions: Option<Pairs<'a>>,
}
