//! AppDynamics HTTP request templates, in the body alertgate recommends
//! (docs/sources/appdynamics.md): the latest event's fields at the top level
//! and the controller, account, policy and action under `appdynamics`.
//!
//! Health rule violations share `incident_id` from `POLICY_OPEN_*` to
//! `POLICY_CLOSE_*` / `POLICY_CANCELED_*`; other events stand alone.

use alloc::borrow::Cow;
use alloc::string::String;

use serde::Deserialize;

use super::{Sender, no_header};
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Kind, Text, cow};
use crate::text::{unix_text_to_rfc3339, unix_to_rfc3339};
use crate::{Error, Severity, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Appdynamics,
    header_rule: "",
    by_header: no_header,
    shape_rule: "top-level 'appdynamics' object; or an event type with a health rule or tier, in snake_case, camelCase or dotted keys",
    by_shape,
    parse,
};

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    if probe.is("appdynamics", Kind::Object) {
        return Some("top-level 'appdynamics' object");
    }
    // Without the envelope: the event type with a health rule or tier, in
    // whichever spelling the template used.
    let event_type = probe
        .keys
        .iter()
        .find_map(|(k, _)| EVENT_TYPE_KEYS.iter().find(|n| **n == k.as_ref()).copied())?;
    let other = probe
        .keys
        .iter()
        .find_map(|(k, _)| CONTEXT_KEYS.iter().find(|n| **n == k.as_ref()).copied())?;
    SHAPE_REASONS
        .iter()
        .find(|(e, o, _)| *e == event_type && *o == other)
        .map(|(_, _, reason)| *reason)
}

/// `event_type` as templates spell it.
const EVENT_TYPE_KEYS: &[&str] = &["event_type", "eventType", "event.type"];
/// Keys that, with an event type, are AppDynamics' alone.
const CONTEXT_KEYS: &[&str] = &[
    "health_rule",
    "health_rule_name",
    "healthRuleName",
    "health_rule.name",
    "tier_name",
    "tierName",
    "tier.name",
];

/// The shape reason for each spelling pair, so that `--explain` names the keys sent.
const SHAPE_REASONS: &[(&str, &str, &str)] = &{
    macro_rules! pairs {
        ($($e:literal),* ; $($o:literal),*) => { pairs!(@outer [$($e),*] [$($o),*]) };
        (@outer [$($e:literal),*] $os:tt) => { [$(pairs!(@inner $e $os)),*] };
        (@inner $e:literal [$($o:literal),*]) => { [$(($e, $o, concat!("'", $e, "' with '", $o, "' (AppDynamics template without the 'appdynamics' object)"))),*] };
    }
    let nested = pairs!("event_type", "eventType", "event.type"; "health_rule", "health_rule_name", "healthRuleName", "health_rule.name", "tier_name", "tierName", "tier.name");
    flatten(nested)
};

const fn flatten(
    n: [[(&'static str, &'static str, &'static str); 7]; 3],
) -> [(&'static str, &'static str, &'static str); 21] {
    let mut out = [("", "", ""); 21];
    let mut i = 0;
    while i < 21 {
        out[i] = n[i / 7][i % 7];
        i += 1;
    }
    out
}

/// The recommended template's body. Unknown fields are ignored. Templates
/// written for other tools spell the same variables in camelCase or dotted
/// (`eventType`, `event.type`, `tierName`, `health_rule_name` …): aliases.
#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow, default)]
    appdynamics: Option<Controller<'a>>,
    #[serde(alias = "eventType", alias = "event.type", borrow)]
    event_type: Option<Text<'a>>,
    #[serde(alias = "eventId", alias = "event.id", borrow)]
    event_id: Option<Text<'a>>,
    #[serde(alias = "eventGuid", alias = "event.guid", borrow)]
    event_guid: Option<Text<'a>>,
    #[serde(alias = "eventTime", alias = "event.time", borrow)]
    event_time: Option<Text<'a>>,
    #[serde(borrow)]
    severity: Option<Text<'a>>,
    #[serde(alias = "displayName", alias = "display.name", borrow)]
    display_name: Option<Text<'a>>,
    #[serde(
        alias = "eventMessage",
        alias = "event_message",
        alias = "event.message",
        borrow
    )]
    summary: Option<Text<'a>>,
    #[serde(
        alias = "application_name",
        alias = "applicationName",
        alias = "application.name",
        borrow
    )]
    application: Option<Text<'a>>,
    /// Not `tier`: a top-level `tier` is alertgate's escalation tier.
    #[serde(alias = "tierName", alias = "tier.name", borrow)]
    tier_name: Option<Text<'a>>,
    #[serde(alias = "nodeName", alias = "node.name", borrow)]
    node_name: Option<Text<'a>>,
    #[serde(
        alias = "health_rule_name",
        alias = "healthRuleName",
        alias = "healthRule",
        alias = "health_rule.name",
        alias = "health.rule.name",
        borrow
    )]
    health_rule: Option<Text<'a>>,
    #[serde(alias = "incidentId", alias = "incident.id", borrow)]
    incident_id: Option<Text<'a>>,
    #[serde(
        alias = "deepLink",
        alias = "deep.link",
        alias = "deep_link_url",
        alias = "deepLinkUrl",
        borrow
    )]
    deep_link: Option<Text<'a>>,
}

/// Request-wide facts under `appdynamics`.
#[derive(Deserialize, Default)]
struct Controller<'a> {
    #[serde(borrow)]
    controller_url: Option<Text<'a>>,
    #[serde(borrow)]
    account: Option<Text<'a>>,
    #[serde(borrow)]
    policy: Option<Text<'a>>,
    #[serde(borrow)]
    action: Option<Text<'a>>,
    #[serde(borrow)]
    top_severity: Option<Text<'a>>,
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let (text, probe) = p.json(b)?;
    let any = |keys: &[&str]| keys.iter().any(|k| probe.has(k));
    if !probe.has("appdynamics")
        && !any(EVENT_TYPE_KEYS)
        && !any(&["event_id", "eventId", "event.id"])
    {
        return Err(b.mismatch("missing required field 'event_type' (or 'appdynamics')"));
    }
    let body: Body<'_> = b.typed(text)?;
    let ctl = body.appdynamics.unwrap_or_default();

    let mut d = b.draft();
    let severity = get(body.severity);
    let event_type = get(body.event_type);
    let kind = event_type.as_deref().map(classify);
    d.status = match kind {
        Some(Phase::Closed) => Status::Resolved,
        _ => Status::Triggered,
    };
    if event_type.is_some() {
        d.origin("status", "/event_type");
    } else {
        d.origin("status", "default: triggered (no event_type)");
    }

    match event_type.as_deref().map(level) {
        Some(Some(word)) => {
            d.severity_raw = Some(Cow::Borrowed(word));
            d.origin("severity_raw", "the level at the end of /event_type");
        }
        Some(None) if kind == Some(Phase::Upgraded) => {
            d.implied_severity = Some(Severity::Critical);
        }
        Some(None) if kind == Some(Phase::Downgraded) => {
            d.implied_severity = Some(Severity::Warning);
        }
        _ => d.severity_raw = d.pick("severity_raw", [("/severity", severity.clone())]),
    }

    let health_rule = get(body.health_rule);
    let display_name = get(body.display_name);
    d.title = d.pick(
        "title",
        [
            ("/health_rule", health_rule.clone()),
            ("/display_name", display_name.clone()),
        ],
    );
    d.description = d.pick(
        "description",
        [(
            "/summary (HTML tags removed)",
            get(body.summary).map(|s| Cow::Owned(strip_html(&s))),
        )],
    );

    let event_id = get(body.event_id);
    let event_guid = get(body.event_guid);
    let key = d.pick(
        "dedup_key",
        [
            ("/incident_id", get(body.incident_id)),
            ("/event_guid", event_guid.clone()),
            ("/event_id", event_id.clone()),
        ],
    );
    d.source_ref = key.clone();
    d.vendor_key = key;
    d.origin("source_ref", "the dedup key's field");

    // The tier is the service the violation is about; the application holds many.
    let tier = get(body.tier_name);
    let application = get(body.application);
    d.service = d.pick(
        "service",
        [
            ("/tier_name (or tierName, tier.name)", tier.clone()),
            (
                "/application (or application_name, applicationName)",
                application.clone(),
            ),
        ],
    );
    if let Some(app) = application {
        d.labels.push((Cow::Borrowed("application"), app));
    }
    for (k, v) in [
        ("tier", tier),
        ("node", get(body.node_name)),
        ("health_rule", health_rule),
    ] {
        if let Some(v) = v {
            d.labels.push((Cow::Borrowed(k), v));
        }
    }
    d.origin(
        "labels",
        "/application, /tier_name, /node_name, /health_rule (each in any spelling)",
    );

    let time = get(body.event_time).and_then(|t| event_time(&t));
    match d.status {
        Status::Resolved => {
            d.ended_at = d.pick("ended_at", [("/event_time (Unix ms)", time)]);
        }
        _ => d.started_at = d.pick("started_at", [("/event_time (Unix ms)", time)]),
    }

    for (k, v) in [
        ("event_type", event_type),
        ("display_name", display_name),
        ("severity", severity),
        ("event_id", event_id),
        ("event_guid", event_guid),
        ("top_severity", get(ctl.top_severity)),
        ("policy", get(ctl.policy)),
        ("action", get(ctl.action)),
        ("account", get(ctl.account)),
    ] {
        if let Some(v) = v {
            d.annotations.push((Cow::Borrowed(k), v));
        }
    }
    d.origin(
        "annotations",
        "/event_type, /display_name, /severity, /event_id, /event_guid and /appdynamics/{top_severity,policy,action,account}",
    );

    for (rel, url) in [
        ("incident", get(body.deep_link)),
        ("external", get(ctl.controller_url)),
    ] {
        if let Some(url) = url {
            d.links.push((rel, url));
        }
    }
    d.origin(
        "links",
        "/deep_link (incident), /appdynamics/controller_url (external)",
    );
    b.push(d)
}

/// What an event type means for the alert's lifecycle.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A violation that starts or continues, or any event that is not a health rule's.
    Open,
    Upgraded,
    Downgraded,
    /// A violation that ended or was canceled.
    Closed,
}

fn classify(event_type: &str) -> Phase {
    let t = event_type.trim();
    let starts = |p: &str| starts_with_ci(t, p);
    if starts("POLICY_CLOSE") || starts("POLICY_CANCELED") || starts("POLICY_CANCELLED") {
        Phase::Closed
    } else if starts("POLICY_UPGRADED") {
        Phase::Upgraded
    } else if starts("POLICY_DOWNGRADED") {
        Phase::Downgraded
    } else {
        Phase::Open
    }
}

/// The health rule level an event type ends with (`POLICY_OPEN_CRITICAL` → CRITICAL).
fn level(event_type: &str) -> Option<&'static str> {
    let t = event_type.trim().as_bytes();
    if !starts_with_ci(event_type.trim(), "POLICY_") {
        return None;
    }
    let ends =
        |s: &str| t.len() >= s.len() && t[t.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes());
    if ends("_CRITICAL") {
        Some("CRITICAL")
    } else if ends("_WARNING") {
        Some("WARNING")
    } else {
        None
    }
}

/// ASCII case-insensitive prefix test on bytes (never splits a character).
fn starts_with_ci(t: &str, prefix: &str) -> bool {
    t.len() >= prefix.len() && t.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// A `${...}` or `$!{...}` reference that Velocity left unexpanded.
fn is_unresolved(v: &str) -> bool {
    let v = v.trim();
    (v.starts_with("${") || v.starts_with("$!{")) && v.ends_with('}')
}

/// `event_time`: Unix milliseconds (`eventTime.getTime()`), or Java's
/// `Date.toString()` form in UTC (`Mon Apr 03 02:04:55 UTC 2023`).
fn event_time(t: &str) -> Option<Cow<'static, str>> {
    let t = t.trim();
    if !t.is_empty() && t.len() <= 15 && t.bytes().all(|c| c.is_ascii_digit()) {
        return unix_text_to_rfc3339(t).map(Cow::Owned);
    }
    java_date_utc(t).map(Cow::Owned)
}

/// `EEE MMM dd HH:mm:ss zzz yyyy` with zone UTC or GMT, as RFC 3339.
fn java_date_utc(t: &str) -> Option<String> {
    let parts: alloc::vec::Vec<&str> = t.split_whitespace().collect();
    let [_, month, day, time, zone, year] = parts[..] else {
        return None;
    };
    if !(zone.eq_ignore_ascii_case("UTC") || zone.eq_ignore_ascii_case("GMT")) {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? as i64 + 1;
    let day: i64 = day.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    let mut hms = time.split(':').map(|x| x.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some()
        || !(1..=9999).contains(&year)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..61).contains(&s)
    {
        return None;
    }
    // Days from civil date (Howard Hinnant), the inverse of unix_to_rfc3339.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let out = unix_to_rfc3339(days * 86_400 + h * 3600 + m * 60 + s)?;
    // Reject dates that do not exist (Feb 30 would roll over).
    (out.get(8..10)? == alloc::format!("{day:02}")).then_some(out)
}

/// Text from a small HTML fragment (AppDynamics summaries, Dynatrace details):
/// block tags and `<br>` become line breaks, other tags go, common entities are decoded.
pub(super) fn strip_html(s: &str) -> String {
    const BLOCK: &[&str] = &[
        "br", "p", "div", "li", "tr", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    ];
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix('&') {
            let entity = [
                ("&amp;", '&'),
                ("&lt;", '<'),
                ("&gt;", '>'),
                ("&quot;", '"'),
                ("&#39;", '\''),
                ("&nbsp;", ' '),
            ]
            .into_iter()
            .find(|(e, _)| tail.starts_with(e));
            match entity {
                Some((e, c)) => {
                    out.push(c);
                    rest = &tail[e.len()..];
                }
                None => {
                    out.push('&');
                    rest = after;
                }
            }
            continue;
        }
        let is_tag = tail[1..]
            .trim_start_matches('/')
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic());
        match tail.find('>') {
            Some(end) if is_tag => {
                let inner = tail[1..end].trim_start_matches('/');
                let name = inner
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .unwrap_or("");
                if BLOCK.iter().any(|b| b.eq_ignore_ascii_case(name))
                    && !out.is_empty()
                    && !out.ends_with('\n')
                {
                    out.push('\n');
                }
                rest = &tail[end + 1..];
            }
            _ => {
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    String::from(out.trim())
}

/// A field's text; Velocity leaves an unresolved reference as its own text, which counts as absent.
fn get(t: Option<Text<'_>>) -> Option<Cow<'_, str>> {
    cow(t).filter(|v| !v.trim().is_empty() && !is_unresolved(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_dates_in_utc_convert() {
        assert_eq!(
            java_date_utc("Mon Apr 03 02:04:55 UTC 2023").as_deref(),
            Some("2023-04-03T02:04:55Z")
        );
        assert_eq!(
            java_date_utc("Thu Feb 29 23:59:59 GMT 2024").as_deref(),
            Some("2024-02-29T23:59:59Z")
        );
        assert_eq!(java_date_utc("Mon Apr 03 02:04:55 PDT 2023"), None);
        assert_eq!(java_date_utc("Fri Feb 30 10:00:00 UTC 2024"), None);
        assert_eq!(java_date_utc("yesterday"), None);
        assert_eq!(
            java_date_utc("Mon Apr 03 02:04:55 UTC 9223372036854775807"),
            None
        );
    }

    #[test]
    fn html_is_stripped() {
        assert_eq!(
            strip_html(
                "AppDynamics has detected a problem.<br><b>Checkout</b> is <b>critical</b>."
            ),
            "AppDynamics has detected a problem.\nCheckout is critical."
        );
        assert_eq!(strip_html("latency < 100ms"), "latency < 100ms");
        assert_eq!(strip_html("a <br/> b"), "a \n b");
        assert_eq!(
            strip_html("<h3>Slow</h3><p>2.41 s &gt; 310 ms &amp; rising</p>"),
            "Slow\n2.41 s > 310 ms & rising"
        );
        assert_eq!(strip_html("R&D <3"), "R&D <3");
    }

    #[test]
    fn event_types_classify() {
        assert!(classify("POLICY_CLOSE_CRITICAL") == Phase::Closed);
        assert!(classify("POLICY_CANCELED_WARNING") == Phase::Closed);
        assert!(classify("POLICY_UPGRADED") == Phase::Upgraded);
        assert!(classify("POLICY_CONTINUES_WARNING") == Phase::Open);
        assert!(classify("APPLICATION_ERROR") == Phase::Open);
        assert_eq!(level("POLICY_OPEN_CRITICAL"), Some("CRITICAL"));
        assert_eq!(level("POLICY_DOWNGRADED"), None);
        assert_eq!(level("APP_CRASH_WARNING"), None);
    }
}
