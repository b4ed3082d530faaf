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

use super::{Headers, Sender};
use crate::builder::{Builder, Draft, trim_cow};
use crate::ingest::Payload;
use crate::json::{Kind, Pairs, Text};
use crate::scan::{Bail, Scan, Scanned, TextPairs};
use crate::{Error, Source, WarningCode};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Alertmanager,
    header_rule: "User-Agent starts with Alertmanager/",
    by_header,
    shape_rule: "top-level 'alerts' array, or 'alerts' with 'groupKey' and 'version'",
    by_shape,
    parse,
};

fn by_header(req: &Headers<'_, '_>) -> Option<&'static str> {
    req.user_agent_starts_with("Alertmanager/")
        .then_some("User-Agent starts with Alertmanager/")
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

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    p.require(b, &["alerts"])?;
    let (text, _) = p.json(b)?;
    let group: Group<'_> = b.typed(text)?;
    push_group(group, b)
}

/// Reads a group the Alertmanager way; shared with Grafana's unified format.
pub(super) fn push_group<'a>(group: Group<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    b.group_key = group.group_key.map(|k| k.0.into_owned());
    if let Some(n) = group.truncated_alerts.filter(|&n| n > 0) {
        b.warn(
            WarningCode::AlertsTruncated,
            format!("the sender left out {n} alerts of this group (truncatedAlerts)"),
        );
    }
    let external = group.external_url.map(|t| t.0);
    let group_status = group.status.map(|t| t.0);
    for (i, mut alert) in group.alerts.unwrap_or_default().into_iter().enumerate() {
        let d = draft(i, &mut alert, group_status.as_deref(), external.clone(), b);
        b.push(d)?;
    }
    Ok(())
}

/// The alert's draft; its fields are taken out of `a` (borrowed, not moved,
/// so the one-pass reader drafts from the struct it filled in place).
fn draft<'a>(
    i: usize,
    a: &mut AmAlert<'a>,
    group_status: Option<&str>,
    external: Option<Cow<'a, str>>,
    b: &mut Builder<'_, 'a>,
) -> Draft<'a> {
    let labels = a.labels.take().unwrap_or_default();
    let annotations = a.annotations.take().unwrap_or_default();
    let get = |pairs: &Pairs<'a>, key: &str| pairs.get(key).cloned();
    let mut d = b.draft_reusing("/alerts", i);

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
    let fingerprint = a.fingerprint.take().map(|t| t.0);
    d.vendor_key = d.pick("dedup_key", [("/fingerprint", fingerprint.clone())]);
    d.source_ref = d.pick("source_ref", [("/fingerprint", fingerprint)]);
    d.label_identity = true;
    d.started_at = d.pick(
        "started_at",
        [("/startsAt", a.starts_at.take().map(|t| t.0))],
    );
    d.ended_at = d.pick("ended_at", [("/endsAt", a.ends_at.take().map(|t| t.0))]);

    let url_fields = [
        ("generator", &mut a.generator_url),
        ("dashboard", &mut a.dashboard_url),
        ("panel", &mut a.panel_url),
        ("silence", &mut a.silence_url),
        ("image", &mut a.image_url),
    ];
    // By reference (see `Draft::pick`).
    for (rel, url) in url_fields {
        if let Some(url) = url.take() {
            d.links.push((rel, url.0));
        }
    }
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

    d.labels = labels.0;
    d.origin("labels", "/labels");
    d.annotations = annotations.0;
    if let Some(values) = a.values.take().filter(|v| !v.0.is_empty()) {
        let rendered: Vec<String> = values.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        d.annotations
            .push((Cow::Borrowed("values"), Cow::Owned(rendered.join(", "))));
    }
    if let Some(vs) = a.value_string.take() {
        d.annotations.push((Cow::Borrowed("value_string"), vs.0));
    }
    d.origin("annotations", "/annotations (plus values and valueString)");
    d
}

/// Reads a body already known to come from Alertmanager (or Grafana's unified
/// alerting, which sends the same group) in one pass with the strict reader
/// of [`crate::scan`]: syntax, nesting depth and fields together, each alert
/// pushed as soon as it is read, so neither a probe pass nor a list of parsed
/// alerts is needed.
///
/// `false` means "take the general path": anything unusual (a top-level
/// `tier`, a nested value where text is expected, a duplicate field, an alert
/// without its own status before the group's, anything the reader leaves to
/// serde_json, an error from the builder) is left to it, so the result is
/// always the general path's result.
pub(crate) fn one_pass<'a>(text: &'a str, b: &mut Builder<'_, 'a>) -> bool {
    let limit = b.opts.limits.max_depth;
    // The known structure is 4 deep: group, alerts, alert, labels.
    if limit < 4 {
        return false;
    }
    // Alertmanager's `externalURL` follows the alerts: each alert keeps room for it.
    b.link_slack = 1;
    read_group(&mut Scan::new(text, limit), b).is_ok()
}

/// A field read twice: serde's derive rejects it, so the general path decides.
fn once<T>(slot: &Option<T>) -> Scanned<()> {
    match slot {
        Some(_) => Err(Bail),
        None => Ok(()),
    }
}

/// The group object, its alerts pushed as they come.
fn read_group<'a>(s: &mut Scan<'a>, b: &mut Builder<'_, 'a>) -> Scanned<()> {
    // Each `Some` once its field was read (a null counts, as for serde's derive).
    let mut status: Option<Option<Cow<'a, str>>> = None;
    let mut group_key: Option<Option<Cow<'a, str>>> = None;
    let mut external: Option<Option<Cow<'a, str>>> = None;
    let mut truncated: Option<Option<u64>> = None;
    let mut alerts: Option<()> = None;
    // One list, reused, to gather each alert's labels and annotations in.
    let mut scratch = Vec::with_capacity(8);
    if s.open(b'{', 1)? {
        loop {
            let key = s.key()?;
            match &*key {
                "status" => {
                    once(&status)?;
                    status = Some(s.scalar()?);
                }
                "groupKey" => {
                    once(&group_key)?;
                    group_key = Some(s.scalar()?);
                }
                "externalURL" => {
                    once(&external)?;
                    external = Some(s.scalar()?);
                }
                "truncatedAlerts" => {
                    once(&truncated)?;
                    truncated = Some(s.u64_or_null()?);
                }
                "alerts" => {
                    once(&alerts)?;
                    let group_status = status.as_ref().map(Option::as_deref);
                    read_alerts(s, b, group_status, &mut scratch)?;
                    alerts = Some(());
                }
                // Tier rules, with their warnings, live in the general path.
                "tier" => return Err(Bail),
                _ => s.skip(2)?,
            }
            if !s.more(b'}')? {
                break;
            }
        }
    }
    s.end()?;
    // The general path asks for `alerts` (Grafana: or a legacy body).
    if alerts.is_none() {
        return Err(Bail);
    }
    b.group_key = group_key.flatten().map(Cow::into_owned);
    if let Some(ext) = external.flatten() {
        // `externalURL` follows `alerts` in Alertmanager's body: the link
        // is added afterwards, last, as the general path does. A value the
        // builder would cut or clean goes there instead.
        let href = trim_cow(ext);
        let limit = b.opts.limits.max_value_chars;
        if crate::text::too_long(&href, limit) {
            return Err(Bail);
        }
        if !href.is_empty() {
            for alert in &mut b.alerts {
                // Room was kept for it (`link_slack`): no reallocation.
                alert.links.push(crate::Link {
                    rel: Cow::Borrowed("external"),
                    href: href.clone(),
                });
            }
        }
    }
    if let Some(n) = truncated.flatten().filter(|&n| n > 0) {
        b.warn_first(
            WarningCode::AlertsTruncated,
            format!("the sender left out {n} alerts of this group (truncatedAlerts)"),
        );
    }
    Ok(())
}

/// The `alerts` array (or null): each alert read, drafted and pushed in turn.
/// `group_status` is the group's status when it came before `alerts`
/// (`Some(None)`: null).
fn read_alerts<'a>(
    s: &mut Scan<'a>,
    b: &mut Builder<'_, 'a>,
    group_status: Option<Option<&str>>,
    scratch: &mut TextPairs<'a>,
) -> Scanned<()> {
    if s.null()? || !s.open(b'[', 2)? {
        return Ok(());
    }
    let begin = s.offset();
    let mut i = 0;
    loop {
        read_alert(s, b, group_status, i, scratch)?;
        i += 1;
        if !s.more(b']')? {
            return Ok(());
        }
        if i == 1 {
            reserve_like_first(b, s.offset() - begin, s.remaining());
        }
    }
}

/// A group's alerts are alike: room for as many more as the rest of the body
/// holds at the first one's size, so the list is allocated once instead of
/// doubled (and copied) a dozen times, and not left up to half empty. A first
/// alert under 256 bytes is no size to trust, so the list grows as usual; at
/// or above it, the room reserved is bounded by about the body's size.
fn reserve_like_first(b: &mut Builder<'_, '_>, first: usize, rest: usize) {
    if first >= 256 {
        b.alerts.reserve(rest / first);
    }
}

/// One element of `alerts`, read into the struct serde's derive fills for
/// the general path, then drafted and pushed.
fn read_alert<'a>(
    s: &mut Scan<'a>,
    b: &mut Builder<'_, 'a>,
    group_status: Option<Option<&str>>,
    i: usize,
    scratch: &mut TextPairs<'a>,
) -> Scanned<()> {
    let mut a = AmAlert {
        status: None,
        labels: None,
        annotations: None,
        starts_at: None,
        ends_at: None,
        generator_url: None,
        fingerprint: None,
        dashboard_url: None,
        panel_url: None,
        silence_url: None,
        image_url: None,
        values: None,
        value_string: None,
    };
    // Which fields were present (a null counts, as it does for serde's derive).
    let mut seen = 0u16;
    if s.open(b'{', 3)? {
        loop {
            let key = s.key()?;
            read_field(s, &key, &mut a, &mut seen, scratch)?;
            if !s.more(b'}')? {
                break;
            }
        }
    }
    let group_status = match (&a.status, group_status) {
        (Some(_), g) => g.flatten(),
        (None, Some(g)) => g,
        // The group's status may still follow.
        (None, None) => return Err(Bail),
    };
    let d = draft(i, &mut a, group_status, None, b);
    b.push(d).map_err(|_| Bail)
}

/// One member of an alert object: a known field into its slot (once), any
/// other value skipped.
fn read_field<'a>(
    s: &mut Scan<'a>,
    key: &str,
    a: &mut AmAlert<'a>,
    seen: &mut u16,
    scratch: &mut TextPairs<'a>,
) -> Scanned<()> {
    let mut mark = |bit: u16| {
        let first = *seen & (1 << bit) == 0;
        *seen |= 1 << bit;
        if first { Ok(()) } else { Err(Bail) }
    };
    let slot = match key {
        "labels" | "annotations" | "values" => {
            let (bit, slot) = match key {
                "labels" => (0, &mut a.labels),
                "annotations" => (1, &mut a.annotations),
                _ => (2, &mut a.values),
            };
            mark(bit)?;
            *slot = s.scalar_pairs(4, scratch)?.map(Pairs);
            return Ok(());
        }
        "status" => (3, &mut a.status),
        "startsAt" => (4, &mut a.starts_at),
        "endsAt" => (5, &mut a.ends_at),
        "generatorURL" => (6, &mut a.generator_url),
        "fingerprint" => (7, &mut a.fingerprint),
        "dashboardURL" => (8, &mut a.dashboard_url),
        "panelURL" => (9, &mut a.panel_url),
        "silenceURL" => (10, &mut a.silence_url),
        "imageURL" => (11, &mut a.image_url),
        "valueString" => (12, &mut a.value_string),
        _ => return s.skip(4),
    };
    mark(slot.0)?;
    s.scalar_into(slot.1)
}
