//! Splunk Observability Cloud (SignalFx) detector webhooks, default payload.
//!
//! One incident per request: `incidentId` identifies it from `anomalous` to
//! `ok`; `statusExtended` adds `manually resolved` and `stopped`. With a
//! shared secret Splunk signs the body in `X-SFX-Signature`.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use super::{Headers, Sender};
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Pairs, Text, cow};
use crate::{Error, Severity, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::SplunkObservability,
    header_rule: "X-SFX-Signature header present",
    by_header,
    shape_rule: "'sf_schema', or 'incidentId' with 'detectorId' or 'detectorUrl'",
    by_shape,
    parse,
};

fn by_header(req: &Headers<'_, '_>) -> Option<&'static str> {
    req.header("x-sfx-signature")
        .is_some()
        .then_some("X-SFX-Signature header present")
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    if probe.has("sf_schema") {
        Some("'sf_schema'")
    } else if probe.has("incidentId") && (probe.has("detectorId") || probe.has("detectorUrl")) {
        Some("'incidentId' with 'detectorId' or 'detectorUrl'")
    } else {
        None
    }
}

/// The default webhook payload. Unknown fields are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Incident<'a> {
    #[serde(borrow)]
    incident_id: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    status_extended: Option<Text<'a>>,
    #[serde(borrow)]
    severity: Option<Text<'a>>,
    #[serde(borrow)]
    detector: Option<Text<'a>>,
    #[serde(borrow)]
    detector_id: Option<Text<'a>>,
    #[serde(borrow)]
    detector_url: Option<Text<'a>>,
    #[serde(borrow)]
    rule: Option<Text<'a>>,
    #[serde(borrow)]
    description: Option<Text<'a>>,
    #[serde(borrow)]
    message_title: Option<Text<'a>>,
    #[serde(borrow)]
    message_body: Option<Text<'a>>,
    #[serde(borrow)]
    timestamp: Option<Text<'a>>,
    #[serde(borrow, default)]
    dimensions: Option<Pairs<'a>>,
    #[serde(borrow, default)]
    inputs: Option<Pairs<'a>>,
    #[serde(borrow)]
    runbook_url: Option<Text<'a>>,
    #[serde(borrow)]
    tip: Option<Text<'a>>,
    #[serde(borrow)]
    image_url: Option<Text<'a>>,
    #[serde(borrow)]
    event_type: Option<Text<'a>>,
    #[serde(borrow)]
    originating_metric: Option<Text<'a>>,
    #[serde(borrow)]
    detect_on_condition: Option<Text<'a>>,
    #[serde(borrow)]
    org_id: Option<Text<'a>>,
    #[serde(borrow)]
    triggered_while_muted: Option<Text<'a>>,
}

/// One detector input (`inputs.A`): its current value.
#[derive(Deserialize)]
struct Input<'a> {
    #[serde(borrow)]
    value: Option<Text<'a>>,
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    p.require(b, &["incidentId"])?;
    let (text, _) = p.json(b)?;
    let inc: Incident<'_> = b.typed(text)?;
    let dims = inc.dimensions.unwrap_or_default();
    let dim = |key: &str| dims.get(key).cloned();

    let mut d = b.draft();
    let status = d.pick(
        "status",
        [
            ("/statusExtended", cow(inc.status_extended)),
            ("/status", cow(inc.status)),
        ],
    );
    d.status = match status.as_deref().map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("anomalous") => Status::Triggered,
        Some(s) if s.eq_ignore_ascii_case("ok") => Status::Resolved,
        Some(s) if s.eq_ignore_ascii_case("manually resolved") => Status::Resolved,
        // The detector was stopped or deleted: the incident ends with it.
        Some(s) if s.eq_ignore_ascii_case("stopped") => Status::Resolved,
        other => b.status(other),
    };
    if let Some(s) = status {
        d.annotations.push((Cow::Borrowed("status"), s));
    }

    let rule = cow(inc.rule);
    let detector = cow(inc.detector);
    d.title = d.pick(
        "title",
        [
            ("/messageTitle", cow(inc.message_title)),
            ("/rule", rule.clone()),
            ("/detector", detector.clone()),
        ],
    );
    let rule_description = cow(inc.description);
    d.description = d.pick(
        "description",
        [
            ("/messageBody", cow(inc.message_body)),
            ("/description", rule_description.clone()),
        ],
    );

    if let Some(sev) = cow(inc.severity) {
        if sev.trim().eq_ignore_ascii_case("minor") {
            // Splunk's fourth of five levels; the shared vocabulary would say info.
            d.implied_severity = Some(Severity::Warning);
            d.annotations.push((Cow::Borrowed("severity"), sev));
        } else {
            d.severity_raw = Some(sev);
            d.origin("severity_raw", "/severity");
        }
    }

    let id = d.pick("dedup_key", [("/incidentId", cow(inc.incident_id))]);
    d.source_ref = id.clone();
    d.vendor_key = id;
    d.origin("source_ref", "/incidentId");

    d.service = d.pick(
        "service",
        [
            ("/dimensions/sf_service", dim("sf_service")),
            ("/dimensions/service.name", dim("service.name")),
            ("/dimensions/service", dim("service")),
        ],
    );
    d.host = d.pick(
        "host",
        [
            ("/dimensions/host", dim("host")),
            ("/dimensions/host.name", dim("host.name")),
        ],
    );
    d.labels = dims.to_cows();
    d.origin("labels", "/dimensions");

    match d.status {
        Status::Resolved => d.ended_at = d.pick("ended_at", [("/timestamp", cow(inc.timestamp))]),
        _ => d.started_at = d.pick("started_at", [("/timestamp", cow(inc.timestamp))]),
    }

    let values: Vec<String> = inc
        .inputs
        .unwrap_or_default()
        .0
        .iter()
        .filter_map(|(name, v)| {
            let input: Input<'_> = serde_json::from_str(v).ok()?;
            Some(format!("{name}={}", input.value?.as_str()))
        })
        .collect();
    let muted = inc
        .triggered_while_muted
        .filter(|t| t.as_str().trim().eq_ignore_ascii_case("true"))
        .map(|t| t.0);
    for (key, value) in [
        ("detector", detector),
        ("detector_id", cow(inc.detector_id)),
        ("rule", rule),
        ("rule_description", rule_description),
        ("event_type", cow(inc.event_type)),
        ("originating_metric", cow(inc.originating_metric)),
        ("detect_on_condition", cow(inc.detect_on_condition)),
        ("tip", cow(inc.tip)),
        ("org_id", cow(inc.org_id)),
        ("triggered_while_muted", muted),
        (
            "inputs",
            (!values.is_empty()).then(|| Cow::Owned(values.join(", "))),
        ),
    ] {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            d.annotations.push((Cow::Borrowed(key), v));
        }
    }
    d.origin(
        "annotations",
        "/statusExtended or /status, /detector, /detectorId, /rule, /description, /eventType, /originatingMetric, /detectOnCondition, /tip, /orgId, /triggeredWhileMuted, /inputs/*/value (and /severity when Minor)",
    );

    for (rel, url) in [
        ("incident", cow(inc.detector_url)),
        ("runbook", cow(inc.runbook_url)),
        ("image", cow(inc.image_url)),
    ] {
        if let Some(url) = url.filter(|u| !u.trim().is_empty()) {
            d.links.push((rel, url));
        }
    }
    d.origin(
        "links",
        "/detectorUrl (incident), /runbookUrl (runbook), /imageUrl (image)",
    );
    b.push(d)
}
