//! Log search alerts (`SearchQuery` with `AlertRuleName`, or
//! `Microsoft.Insights/LogAlert` wrapping them).

use alloc::borrow::Cow;
use alloc::vec::Vec;

use serde::Deserialize;

use super::Text;
use super::legacy::{push_some, severity_word};
use crate::builder::Builder;
use crate::json::cow;
use crate::{Error, Status};

#[derive(Deserialize)]
pub(super) struct LogSearchEnvelope<'a> {
    #[serde(borrow)]
    pub(super) data: Option<LogSearch<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct LogSearch<'a> {
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

pub(super) fn log_search<'a>(
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
