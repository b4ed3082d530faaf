//! One view of an alarm, whichever body it came in, and how it becomes an alert.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::alarm::*;
use super::event::*;
use crate::builder::{Builder, Draft};
use crate::json::cow;
use crate::{Error, Status};

/// One alarm state change, whichever format it came in.
#[derive(Default)]
pub(super) struct View<'a> {
    name: Option<Cow<'a, str>>,
    description: Option<Cow<'a, str>>,
    reason: Option<Cow<'a, str>>,
    state: Option<Cow<'a, str>>,
    old_state: Option<Cow<'a, str>>,
    time: Option<Cow<'a, str>>,
    arn: Option<Cow<'a, str>>,
    account: Option<Cow<'a, str>>,
    /// The region code (`us-east-1`).
    region: Option<Cow<'a, str>>,
    /// The region's display name (`US East (N. Virginia)`), SNS only.
    region_name: Option<Cow<'a, str>>,
    namespace: Option<Cow<'a, str>>,
    metric_name: Option<Cow<'a, str>>,
    statistic: Option<Cow<'a, str>>,
    period: Option<Cow<'a, str>>,
    evaluation_periods: Option<Cow<'a, str>>,
    comparison: Option<Cow<'a, str>>,
    threshold: Option<Cow<'a, str>>,
    alarm_rule: Option<Cow<'a, str>>,
    /// The metric math expression whose value is the alarm's.
    expression: Option<Cow<'a, str>>,
    dimensions: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// One metric an alarm reads (a single-metric alarm's, or a metric math input).
struct MetricStat<'a> {
    namespace: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
    stat: Option<Cow<'a, str>>,
    period: Option<Cow<'a, str>>,
    dimensions: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> View<'a> {
    /// Fills the metric fields from the alarm's metric list. With one metric
    /// it is the alarm's; with several (metric math) only what they share is
    /// kept, and the dimensions of the first.
    fn apply(&mut self, stats: Vec<MetricStat<'a>>) {
        fn shared<'a>(values: impl Iterator<Item = Option<Cow<'a, str>>>) -> Option<Cow<'a, str>> {
            let mut values = values;
            let first = values.next()??;
            values
                .all(|v| v.as_deref() == Some(&*first))
                .then_some(first)
        }
        if self.dimensions.is_empty()
            && let Some(first) = stats.first()
        {
            self.dimensions = first.dimensions.clone();
        }
        if self.namespace.is_none() {
            self.namespace = shared(stats.iter().map(|m| m.namespace.clone()));
        }
        if self.statistic.is_none() {
            self.statistic = shared(stats.iter().map(|m| m.stat.clone()));
        }
        if self.period.is_none() {
            self.period = shared(stats.iter().map(|m| m.period.clone()));
        }
        if self.metric_name.is_none() && stats.len() == 1 {
            self.metric_name = stats.into_iter().next().and_then(|m| m.name);
        }
    }
}

/// Where a format keeps what the title, status, dedup key and times come from.
pub(super) struct Pointers {
    name: &'static str,
    description: &'static str,
    reason: &'static str,
    state: &'static str,
    time: &'static str,
    arn: &'static str,
    labels: &'static str,
    annotations: &'static str,
}

pub(super) const SNS_ALARM: Pointers = Pointers {
    name: "/AlarmName",
    description: "/AlarmDescription",
    reason: "/NewStateReason",
    state: "/NewStateValue",
    time: "/StateChangeTime",
    arn: "/AlarmArn",
    labels: "Trigger.Dimensions (else those of the first metric in Trigger.Metrics), plus AWSAccountId, the region of AlarmArn (else Region), Trigger.Namespace and Trigger.MetricName",
    annotations: "NewStateValue, OldStateValue, NewStateReason, Region, Trigger.Statistic, Period, EvaluationPeriods, ComparisonOperator, Threshold, the metric math Expression, AlarmRule",
};

pub(super) const EVENT: Pointers = Pointers {
    name: "/detail/alarmName",
    description: "/detail/configuration/description",
    reason: "/detail/state/reason",
    state: "/detail/state/value",
    time: "/detail/state/timestamp",
    arn: "/resources/0",
    labels: "the dimensions of the first metric in detail.configuration.metrics, detail.alarmTags, plus account, region, and the metric's namespace and name",
    annotations: "detail.state.value and reason, detail.previousState.value, the metric's stat and period, the metric math expression, detail.configuration.alarmRule",
};

pub(super) fn alarm_view(a: Alarm<'_>) -> View<'_> {
    let arn = cow(a.alarm_arn);
    let mut v = View {
        name: cow(a.alarm_name),
        description: cow(a.alarm_description),
        reason: cow(a.new_state_reason),
        state: cow(a.new_state_value),
        old_state: cow(a.old_state_value),
        time: cow(a.state_change_time),
        region: arn.as_deref().and_then(|arn| arn_part(arn, 3)).map(owned),
        region_name: cow(a.region),
        account: cow(a.aws_account_id),
        alarm_rule: cow(a.alarm_rule),
        arn,
        ..View::default()
    };
    if let Some(t) = a.trigger {
        v.namespace = cow(t.namespace);
        v.metric_name = cow(t.metric_name);
        v.statistic = cow(t.statistic).or(cow(t.extended_statistic));
        v.period = cow(t.period);
        v.evaluation_periods = cow(t.evaluation_periods);
        v.comparison = cow(t.comparison_operator);
        v.threshold = cow(t.threshold);
        v.dimensions = dimension_pairs(t.dimensions);
        let mut stats = Vec::new();
        for m in t.metrics.unwrap_or_default() {
            if m.return_data != Some(false) && v.expression.is_none() {
                v.expression = cow(m.expression);
            }
            if let Some(stat) = m.metric_stat {
                let id = stat.metric.unwrap_or(TriggerMetricId {
                    metric_name: None,
                    namespace: None,
                    dimensions: None,
                });
                stats.push(MetricStat {
                    namespace: cow(id.namespace),
                    name: cow(id.metric_name),
                    stat: cow(stat.stat),
                    period: cow(stat.period),
                    dimensions: dimension_pairs(id.dimensions),
                });
            }
        }
        v.apply(stats);
    }
    if v.region.is_none() {
        v.region = v.region_name.clone();
    }
    v
}

/// The view of an EventBridge event, and the event's own `time`.
pub(super) fn event_view(e: Event<'_>) -> (View<'_>, Option<Cow<'_, str>>) {
    let mut v = View {
        arn: e.resources.and_then(|r| r.into_iter().next()).map(|t| t.0),
        account: cow(e.account),
        region: cow(e.region),
        ..View::default()
    };
    if let Some(d) = e.detail {
        v.name = cow(d.alarm_name);
        if let Some(s) = d.state {
            v.state = cow(s.value);
            v.reason = cow(s.reason);
            v.time = cow(s.timestamp);
        }
        v.old_state = d.previous_state.and_then(|s| cow(s.value));
        if let Some(c) = d.configuration {
            v.description = cow(c.description);
            v.alarm_rule = cow(c.alarm_rule);
            let mut stats = Vec::new();
            for m in c.metrics.unwrap_or_default() {
                if m.return_data != Some(false) && v.expression.is_none() {
                    v.expression = cow(m.expression);
                }
                if let Some(stat) = m.metric_stat {
                    let (namespace, name, dimensions) = match stat.metric {
                        Some(id) => (
                            cow(id.namespace),
                            cow(id.name),
                            id.dimensions.unwrap_or_default().to_cows(),
                        ),
                        None => (None, None, Vec::new()),
                    };
                    stats.push(MetricStat {
                        namespace,
                        name,
                        stat: cow(stat.stat),
                        period: cow(stat.period),
                        dimensions,
                    });
                }
            }
            v.apply(stats);
        }
        v.tags = d.alarm_tags.unwrap_or_default().to_cows();
    }
    (v, cow(e.time))
}

/// Dimension names that name the affected service, and where they come from.
const SERVICE_DIMENSIONS: [(&str, &str); 3] = [
    ("ServiceName", "the ServiceName dimension"),
    ("service", "the service dimension"),
    ("Service", "the Service dimension"),
];

/// Dimension names that name the affected host or instance.
const HOST_DIMENSIONS: [(&str, &str); 3] = [
    ("InstanceId", "the InstanceId dimension"),
    ("DBInstanceIdentifier", "the DBInstanceIdentifier dimension"),
    ("host", "the host dimension"),
];

/// Maps one alarm state change; `fallback_time` is the message's own time.
pub(super) fn push_view<'a>(
    v: View<'a>,
    at: &Pointers,
    fallback_time: Option<(&'static str, Option<Cow<'a, str>>)>,
    mut d: Draft<'a>,
    b: &mut Builder<'_, '_>,
) -> Result<(), Error> {
    d.status = match v.state.as_deref().map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("ALARM") => Status::Triggered,
        Some(s) if s.eq_ignore_ascii_case("OK") => Status::Resolved,
        // Not enough data to evaluate: fail open.
        Some(s) if s.eq_ignore_ascii_case("INSUFFICIENT_DATA") => Status::Triggered,
        other => b.status(other),
    };
    if v.state.is_some() {
        d.origin("status", at.state);
    }
    d.title = d.pick("title", [(at.name, v.name)]);
    d.description = d.pick(
        "description",
        [
            (at.description, v.description),
            (at.reason, v.reason.clone()),
        ],
    );
    d.vendor_key = d.pick("dedup_key", [(at.arn, v.arn.clone())]);
    d.source_ref = d.pick("source_ref", [(at.arn, v.arn)]);
    d.service = dimension(&mut d, "service", &v.dimensions, &SERVICE_DIMENSIONS);
    d.host = dimension(&mut d, "host", &v.dimensions, &HOST_DIMENSIONS);

    let (fallback_at, fallback) = fallback_time.unwrap_or(("", None));
    let time = [
        (at.time, v.time.map(offset_with_colon)),
        (fallback_at, fallback),
    ];
    match d.status {
        Status::Resolved => d.ended_at = d.pick("ended_at", time),
        _ => d.started_at = d.pick("started_at", time),
    }

    d.labels = v.dimensions;
    d.labels.extend(v.tags);
    for (key, value) in [
        ("aws_account_id", v.account),
        ("region", v.region),
        ("namespace", v.namespace),
        ("metric_name", v.metric_name),
    ] {
        if let Some(value) = value {
            d.labels.push((Cow::Borrowed(key), value));
        }
    }
    d.origin("labels", at.labels);
    for (key, value) in [
        ("state", v.state),
        ("old_state", v.old_state),
        ("reason", v.reason),
        ("region_name", v.region_name),
        ("statistic", v.statistic),
        ("period", v.period),
        ("evaluation_periods", v.evaluation_periods),
        ("comparison_operator", v.comparison),
        ("threshold", v.threshold),
        ("alarm_rule", v.alarm_rule),
        ("expression", v.expression),
    ] {
        if let Some(value) = value {
            d.annotations.push((Cow::Borrowed(key), value));
        }
    }
    d.origin("annotations", at.annotations);
    b.push_owned(d)
}

/// The value of the first of `names` among the dimensions, recording its origin.
fn dimension<'a>(
    d: &mut Draft<'a>,
    field: &'static str,
    dims: &[(Cow<'a, str>, Cow<'a, str>)],
    names: &[(&str, &'static str)],
) -> Option<Cow<'a, str>> {
    names.iter().find_map(|&(name, origin)| {
        let (_, value) = dims
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())?;
        d.origin(field, origin);
        Some(value.clone())
    })
}

fn dimension_pairs(dims: Option<Vec<Dimension<'_>>>) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    dims.unwrap_or_default()
        .into_iter()
        .filter_map(|dim| Some((dim.name?.0, dim.value.map_or(Cow::Borrowed(""), |v| v.0))))
        .collect()
}

/// Field `n` (0-based, `arn` being 0) of an ARN: `arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`.
fn arn_part(arn: &str, n: usize) -> Option<&str> {
    let mut parts = arn.trim().split(':');
    if parts.next() != Some("arn") {
        return None;
    }
    let part = parts.nth(n.checked_sub(1)?)?;
    (!part.is_empty()).then_some(part)
}

fn owned(s: &str) -> Cow<'static, str> {
    Cow::Owned(String::from(s))
}

/// CloudWatch writes offsets without a colon (`…40.985+0000`); RFC 3339 needs `+00:00`.
fn offset_with_colon(t: Cow<'_, str>) -> Cow<'_, str> {
    let s = t.trim();
    let b = s.as_bytes();
    let n = b.len();
    let bare_offset = n > 20
        && matches!(b[n - 5], b'+' | b'-')
        && b[n - 4..].iter().all(u8::is_ascii_digit)
        && b[n - 6].is_ascii_digit();
    if bare_offset {
        // Every byte split on is ASCII, so these are char boundaries.
        return Cow::Owned(format!("{}:{}", &s[..n - 2], &s[n - 2..]));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::is_rfc3339;

    #[test]
    fn offsets_get_their_colon() {
        let fixed = offset_with_colon("2024-03-04T09:15:27.112+0000".into());
        assert_eq!(fixed, "2024-03-04T09:15:27.112+00:00");
        assert!(is_rfc3339(&fixed));
        assert_eq!(
            offset_with_colon("2024-03-04T09:15:27-0530".into()),
            "2024-03-04T09:15:27-05:30"
        );
        for kept in [
            "2024-03-04T09:15:27Z",
            "2024-03-04T09:15:27+00:00",
            "+0000",
            "é+0000",
        ] {
            assert_eq!(offset_with_colon(kept.into()), kept);
        }
    }

    #[test]
    fn arn_parts() {
        let arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:disk full";
        assert_eq!(arn_part(arn, 3), Some("eu-west-1"));
        assert_eq!(arn_part(arn, 4), Some("123456789012"));
        assert_eq!(arn_part("not an arn", 3), None);
        assert_eq!(arn_part("arn:aws", 3), None);
    }
}
