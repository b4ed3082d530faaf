//! Prometheus Alertmanager, webhook payload version 4.
//!
//! One alert per element of `alerts`; the alert's own status wins over the
//! group's. Title from `labels.alertname`, dedup from `fingerprint` (else the
//! label fingerprint Alertmanager itself would compute).

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use super::{Sender, user_agent_starts_with};
use crate::builder::{Builder, Draft};
use crate::ingest::Payload;
use crate::json::{self, Kind, Pairs, Text};
use crate::{Error, Request, Source, WarningCode};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Alertmanager,
    header_rule: "User-Agent starts with Alertmanager/",
    by_header,
    shape_rule: "top-level 'alerts' array, or 'alerts' with 'groupKey' and 'version'",
    by_shape,
    parse,
};

fn by_header(req: &Request<'_>) -> Option<&'static str> {
    user_agent_starts_with(req, "Alertmanager/").then_some("User-Agent starts with Alertmanager/")
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    if probe.is("alerts", Kind::Array) {
        Some("top-level 'alerts' array")
    } else if probe.kind("alerts").is_some() && probe.has("groupKey") && probe.has("version") {
        Some("'alerts' with 'groupKey' and 'version'")
    } else {
        None
    }
}

/// The webhook group. Unknown fields are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Group<'a> {
    #[serde(borrow)]
    pub status: Option<Text<'a>>,
    #[serde(borrow)]
    pub group_key: Option<Text<'a>>,
    #[serde(rename = "externalURL", borrow)]
    pub external_url: Option<Text<'a>>,
    pub truncated_alerts: Option<u64>,
    #[serde(borrow)]
    pub alerts: Option<Vec<AmAlert<'a>>>,
}

/// One alert of a group; Grafana's unified alerts add the URL fields and `values`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AmAlert<'a> {
    #[serde(borrow)]
    pub status: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub labels: Option<Pairs<'a>>,
    #[serde(borrow, default)]
    pub annotations: Option<Pairs<'a>>,
    #[serde(borrow)]
    pub starts_at: Option<Text<'a>>,
    #[serde(borrow)]
    pub ends_at: Option<Text<'a>>,
    #[serde(rename = "generatorURL", borrow)]
    pub generator_url: Option<Text<'a>>,
    #[serde(borrow)]
    pub fingerprint: Option<Text<'a>>,
    #[serde(rename = "dashboardURL", borrow)]
    pub dashboard_url: Option<Text<'a>>,
    #[serde(rename = "panelURL", borrow)]
    pub panel_url: Option<Text<'a>>,
    #[serde(rename = "silenceURL", borrow)]
    pub silence_url: Option<Text<'a>>,
    #[serde(rename = "imageURL", borrow)]
    pub image_url: Option<Text<'a>>,
    #[serde(borrow)]
    pub values: Option<Pairs<'a>>,
    #[serde(borrow)]
    pub value_string: Option<Text<'a>>,
}

fn parse(p: &Payload<'_>, b: &mut Builder<'_>) -> Result<(), Error> {
    p.require(b, &["alerts"])?;
    let (text, _) = p.json(b)?;
    let group: Group<'_> = json::typed(text).map_err(|m| b.mismatch(m))?;
    push_group(group, b)
}

/// Reads a group the Alertmanager way; shared with Grafana's unified format.
pub(super) fn push_group(group: Group<'_>, b: &mut Builder<'_>) -> Result<(), Error> {
    b.group_key = group.group_key.map(|k| String::from(k.as_str()));
    if let Some(n) = group.truncated_alerts.filter(|&n| n > 0) {
        b.warn(
            WarningCode::AlertsTruncated,
            format!("the sender left out {n} alerts of this group (truncatedAlerts)"),
        );
    }
    let external = group.external_url.map(|t| t.0);
    let group_status = group.status.map(|t| t.0);
    for (i, alert) in group.alerts.unwrap_or_default().into_iter().enumerate() {
        let d = draft(i, alert, group_status.as_deref(), external.clone(), b);
        b.push(d)?;
    }
    Ok(())
}

fn draft<'a>(
    i: usize,
    a: AmAlert<'a>,
    group_status: Option<&str>,
    external: Option<Cow<'a, str>>,
    b: &mut Builder<'_>,
) -> Draft<'a> {
    let labels = a.labels.unwrap_or_default();
    let annotations = a.annotations.unwrap_or_default();
    let get = |pairs: &Pairs<'a>, key: &str| pairs.get(key).map(|t| t.0.clone());
    let mut d = b.draft_in("/alerts", i);

    // The alert's own status wins over the group's.
    d.status = b.status(a.status.as_ref().map(Text::as_str).or(group_status));
    match (&a.status, group_status) {
        (Some(_), _) => d.origin("status", "/status"),
        (None, Some(_)) => d.origin("status", "#/status"),
        _ => {}
    }
    d.title = d.pick(
        "title",
        [
            ("/labels/alertname", get(&labels, "alertname")),
            ("/annotations/summary", get(&annotations, "summary")),
        ],
    );
    d.description = d.pick(
        "description",
        [
            ("/annotations/description", get(&annotations, "description")),
            ("/annotations/summary", get(&annotations, "summary")),
        ],
    );
    d.severity_raw = d.pick(
        "severity_raw",
        [("/labels/severity", get(&labels, "severity"))],
    );
    d.service = d.pick("service", [("/labels/service", get(&labels, "service"))]);
    d.host = d.pick("host", [("/labels/instance", get(&labels, "instance"))]);
    let fingerprint = a.fingerprint.map(|t| t.0);
    d.vendor_key = d.pick("dedup_key", [("/fingerprint", fingerprint.clone())]);
    d.source_ref = d.pick("source_ref", [("/fingerprint", fingerprint)]);
    d.label_identity = true;
    d.started_at = d.pick("started_at", [("/startsAt", a.starts_at.map(|t| t.0))]);
    d.ended_at = d.pick("ended_at", [("/endsAt", a.ends_at.map(|t| t.0))]);

    let url_fields = [
        ("generator", a.generator_url),
        ("dashboard", a.dashboard_url),
        ("panel", a.panel_url),
        ("silence", a.silence_url),
        ("image", a.image_url),
    ];
    d.links.extend(
        url_fields
            .into_iter()
            .filter_map(|(rel, t)| Some((rel, t?.0))),
    );
    if let Some(runbook) = get(&annotations, "runbook_url") {
        d.links.push(("runbook", runbook));
    }
    if let Some(ext) = external {
        d.links.push(("external", ext));
    }
    d.origin(
        "links",
        "generatorURL, dashboardURL, panelURL, silenceURL, imageURL, annotations.runbook_url and the group's externalURL",
    );

    d.labels = labels.to_cows();
    d.origin("labels", "/labels");
    d.annotations = annotations.to_cows();
    if let Some(values) = a.values.filter(|v| !v.0.is_empty()) {
        let rendered: Vec<String> = values
            .0
            .iter()
            .map(|(k, v)| format!("{}={}", k.as_str(), v.as_str()))
            .collect();
        d.annotations
            .push((Cow::Borrowed("values"), Cow::Owned(rendered.join(", "))));
    }
    if let Some(vs) = a.value_string {
        d.annotations.push((Cow::Borrowed("value_string"), vs.0));
    }
    d.origin("annotations", "/annotations (plus values and valueString)");
    d
}
