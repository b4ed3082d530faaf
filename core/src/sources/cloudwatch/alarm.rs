//! The CloudWatch alarm JSON (SNS `Message`, or posted directly).

use alloc::vec::Vec;

use serde::Deserialize;

use crate::json::Text;

/// The alarm notification CloudWatch publishes to SNS.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Alarm<'a> {
    #[serde(borrow)]
    pub(super) alarm_name: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) alarm_description: Option<Text<'a>>,
    #[serde(rename = "AWSAccountId", borrow)]
    pub(super) aws_account_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) new_state_value: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) new_state_reason: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) state_change_time: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) region: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) alarm_arn: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) old_state_value: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) alarm_rule: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) trigger: Option<Trigger<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Trigger<'a> {
    #[serde(borrow)]
    pub(super) metric_name: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) namespace: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) statistic: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) extended_statistic: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) dimensions: Option<Vec<Dimension<'a>>>,
    #[serde(borrow)]
    pub(super) period: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) evaluation_periods: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) comparison_operator: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) threshold: Option<Text<'a>>,
    /// Metric math alarms list their metrics here instead.
    #[serde(borrow)]
    pub(super) metrics: Option<Vec<TriggerMetric<'a>>>,
}

#[derive(Deserialize)]
pub(super) struct Dimension<'a> {
    #[serde(borrow)]
    pub(super) name: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) value: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TriggerMetric<'a> {
    #[serde(borrow)]
    pub(super) expression: Option<Text<'a>>,
    pub(super) return_data: Option<bool>,
    #[serde(borrow)]
    pub(super) metric_stat: Option<TriggerMetricStat<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TriggerMetricStat<'a> {
    #[serde(borrow)]
    pub(super) metric: Option<TriggerMetricId<'a>>,
    #[serde(borrow)]
    pub(super) stat: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) period: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TriggerMetricId<'a> {
    #[serde(borrow)]
    pub(super) metric_name: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) namespace: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) dimensions: Option<Vec<Dimension<'a>>>,
}
