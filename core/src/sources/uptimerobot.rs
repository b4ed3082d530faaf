//! UptimeRobot alert-contact webhooks.
//!
//! The body is whatever the user configured over UptimeRobot's variables
//! (`*monitorID*`, `*alertType*`, …), sent as JSON, as form fields, or as a
//! query string (`monitorID=…&alertType=1&…`) in a text body. All three are
//! read the same way, by the variable names as keys. `alertType`: 1 down,
//! 2 up, 3 SSL certificate (or domain) expiry.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use super::{Sender, no_header};
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Pairs, Text, cow};
use crate::text::{unix_text_to_rfc3339, unix_to_rfc3339};
use crate::{Error, Severity, Source, Status, form};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Uptimerobot,
    header_rule: "",
    by_header: no_header,
    shape_rule: "'monitorID' with 'alertType' or 'alertTypeFriendlyName' (JSON, form or query-string text; in JSON also 'monitorFriendlyName' or 'monitorURL' for 'monitorID', and snake_case or dotted spellings)",
    by_shape,
    parse,
};

/// Keys that, with `monitorID`, make a body UptimeRobot's.
const ALERT_KEYS: [&str; 2] = ["alertType", "alertTypeFriendlyName"];
/// Keys that name the monitor; one of them with an alert key is enough.
const MONITOR_KEYS: [&str; 3] = ["monitorID", "monitorFriendlyName", "monitorURL"];

/// Whether `key` is UptimeRobot's variable `name` in any spelling a template
/// uses: `monitorFriendlyName`, `monitor_friendly_name`, `monitor.friendly.name` …
fn same_var(key: &str, name: &str) -> bool {
    // Most keys a detection probe asks about are not the variable: a key with
    // fewer bytes than the name, or whose first letter differs, is rejected
    // before the byte-by-byte walk (no separator precedes a name's first letter).
    let first = key.bytes().find(|c| !matches!(c, b'_' | b'.' | b'-'));
    if key.len() < name.len()
        || !first.is_some_and(|c| {
            name.as_bytes()
                .first()
                .is_some_and(|n| c.eq_ignore_ascii_case(n))
        })
    {
        return false;
    }
    let mut k = key.bytes().filter(|c| !matches!(c, b'_' | b'.' | b'-'));
    let mut n = name.bytes();
    loop {
        match (k.next(), n.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(&b) => {}
            _ => return false,
        }
    }
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let matched = match p {
        Payload::Json { probe, .. } => {
            let has = |name: &str| probe.keys.iter().any(|(k, _)| same_var(k, name));
            MONITOR_KEYS.iter().any(|k| has(k)) && ALERT_KEYS.iter().any(|k| has(k))
        }
        Payload::Form(fields) => has_keys(fields),
        Payload::Text(text) => has_keys(&query_pairs(text)),
    };
    matched.then_some(match p {
        Payload::Json { probe, .. }
            if probe.has("monitorID") && ALERT_KEYS.iter().any(|k| probe.has(k)) =>
        {
            "'monitorID' with 'alertType' or 'alertTypeFriendlyName'"
        }
        Payload::Json { .. } => {
            "'monitorID', 'monitorFriendlyName' or 'monitorURL' with 'alertType' or 'alertTypeFriendlyName' (any spelling)"
        }
        Payload::Form(_) => "form fields 'monitorID' with 'alertType' or 'alertTypeFriendlyName'",
        Payload::Text(_) => {
            "query-string text with 'monitorID' and 'alertType' or 'alertTypeFriendlyName'"
        }
    })
}

fn has_keys(fields: &[(Cow<'_, str>, Cow<'_, str>)]) -> bool {
    let has = |name: &str| {
        fields
            .iter()
            .any(|(k, v)| same_var(k, name) && !v.is_empty())
    };
    has("monitorID") && ALERT_KEYS.iter().any(|k| has(k))
}

/// A query string posted as text: `monitorID=1&…`, `?monitorID=1&…` or a
/// whole URL with that query. Only text that looks like one is decoded.
fn query_pairs(text: &str) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    let t = text.trim();
    let t = match t.split_once('?') {
        Some((before, after)) if !before.contains('=') => after,
        _ => t,
    };
    let t = t.split('#').next().unwrap_or("");
    if !t.contains('=') || t.contains(['\n', '\r']) {
        return Vec::new();
    }
    form::urlencoded(t.as_bytes())
}

/// UptimeRobot's variables, under their own names. Unknown keys are ignored.
#[derive(Deserialize, Default)]
struct Vars<'a> {
    #[serde(rename = "monitorID", borrow)]
    monitor_id: Option<Text<'a>>,
    #[serde(rename = "monitorURL", borrow)]
    monitor_url: Option<Text<'a>>,
    #[serde(rename = "monitorFriendlyName", borrow)]
    monitor_name: Option<Text<'a>>,
    #[serde(rename = "alertType", borrow)]
    alert_type: Option<Text<'a>>,
    #[serde(rename = "alertTypeFriendlyName", borrow)]
    alert_type_name: Option<Text<'a>>,
    #[serde(rename = "alertDetails", borrow)]
    alert_details: Option<Text<'a>>,
    #[serde(rename = "alertDuration", borrow)]
    alert_duration: Option<Text<'a>>,
    #[serde(rename = "alertFriendlyDuration", borrow)]
    alert_friendly_duration: Option<Text<'a>>,
    #[serde(rename = "alertDateTime", borrow)]
    alert_date_time: Option<Text<'a>>,
    #[serde(rename = "monitorAlertContacts", borrow)]
    alert_contacts: Option<Text<'a>>,
    #[serde(rename = "sslExpiryDate", borrow)]
    ssl_expiry_date: Option<Text<'a>>,
    #[serde(rename = "sslExpiryDaysLeft", borrow)]
    ssl_expiry_days_left: Option<Text<'a>>,
    /// Each variable read and the key it was sent under, so that `--explain`
    /// names `monitor_friendly_name` when that is what the template said.
    #[serde(skip)]
    sent: Vec<(&'static str, Cow<'a, str>)>,
}

impl<'a> Vars<'a> {
    /// The variables of a form or query string (first non-empty value wins).
    fn from_pairs(fields: &[(Cow<'a, str>, Cow<'a, str>)]) -> Self {
        let mut sent = Vec::new();
        let mut get = |name: &'static str| {
            fields
                .iter()
                .find(|(k, v)| same_var(k, name) && !v.trim().is_empty())
                .map(|(k, v)| {
                    sent.push((name, k.clone()));
                    Text(v.clone())
                })
        };
        Vars {
            monitor_id: get("monitorID"),
            monitor_url: get("monitorURL"),
            monitor_name: get("monitorFriendlyName"),
            alert_type: get("alertType"),
            alert_type_name: get("alertTypeFriendlyName"),
            alert_details: get("alertDetails"),
            alert_duration: get("alertDuration"),
            alert_friendly_duration: get("alertFriendlyDuration"),
            alert_date_time: get("alertDateTime"),
            alert_contacts: get("monitorAlertContacts"),
            ssl_expiry_date: get("sslExpiryDate"),
            ssl_expiry_days_left: get("sslExpiryDaysLeft"),
            sent,
        }
    }

    fn is_empty(&self) -> bool {
        self.monitor_id.is_none() && self.alert_type.is_none() && self.alert_type_name.is_none()
    }
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let vars = match p {
        Payload::Json { text, .. } => {
            let all: Pairs<'_> = b.typed(text)?;
            Vars::from_pairs(&all.to_cows())
        }
        Payload::Form(fields) => Vars::from_pairs(fields),
        Payload::Text(text) => Vars::from_pairs(&query_pairs(text)),
    };
    if vars.is_empty() {
        return Err(b.mismatch("missing required field 'monitorID' (or 'alertType')"));
    }
    push(vars, b)
}

/// What `alertType` says.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Down,
    Up,
    Expiry,
}

/// Maps the variables; for form and text bodies the pointers name the fields.
fn push<'a>(mut v: Vars<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let at_secs = v.alert_date_time_secs();
    let sent = core::mem::take(&mut v.sent);
    let mut d = b.draft();
    let kind = match v.alert_type.as_ref().map(|t| t.as_str().trim()) {
        Some("1") => Some(Kind::Down),
        Some("2") => Some(Kind::Up),
        Some("3") => Some(Kind::Expiry),
        _ => None,
    };
    match kind {
        Some(Kind::Down) => {
            d.status = Status::Triggered;
            d.availability = true;
            d.origin("status", "/alertType (1 = down)");
        }
        Some(Kind::Up) => {
            d.status = Status::Resolved;
            d.availability = true;
            d.origin("status", "/alertType (2 = up)");
        }
        Some(Kind::Expiry) => {
            // A certificate about to expire: act soon, nothing is down yet.
            d.status = Status::Triggered;
            d.implied_severity = Some(Severity::Warning);
            d.origin("status", "/alertType (3 = SSL/domain expiry)");
        }
        None => {
            // An unknown code, or none: the friendly name ("Down", "Up"), fail-open.
            let word = d.pick(
                "status",
                [
                    (
                        "/alertTypeFriendlyName",
                        v.alert_type_name.clone().map(|t| t.0),
                    ),
                    ("/alertType", v.alert_type.clone().map(|t| t.0)),
                ],
            );
            d.status = b.status(word.as_deref());
            d.availability = true;
        }
    }

    d.title = d.pick(
        "title",
        [
            ("/monitorFriendlyName", cow(v.monitor_name)),
            ("/monitorURL", v.monitor_url.clone().map(|t| t.0)),
        ],
    );
    if kind == Some(Kind::Expiry) {
        // Not the monitor's outage: say what is expiring.
        let days = v
            .ssl_expiry_days_left
            .as_ref()
            .map(|t| t.as_str().trim())
            .filter(|t| !t.is_empty());
        let name = d.title.as_deref().unwrap_or("monitor");
        d.title = Some(Cow::Owned(match days {
            Some(n) => format!("{name}: certificate expires in {n} days"),
            None => format!("{name}: certificate expiring"),
        }));
        d.origin(
            "title",
            "made from /monitorFriendlyName and /sslExpiryDaysLeft",
        );
    }
    let filled = |t: &Option<Text<'_>>| {
        t.as_ref()
            .map(|t| String::from(t.as_str().trim()))
            .filter(|t| !t.is_empty())
    };
    let expiry = match (filled(&v.ssl_expiry_date), filled(&v.ssl_expiry_days_left)) {
        (Some(date), Some(days)) => Some(format!("certificate expires {date} ({days} days left)")),
        (Some(date), None) => Some(format!("certificate expires {date}")),
        (None, Some(days)) => Some(format!("certificate expires in {days} days")),
        (None, None) => None,
    };
    d.description = d.pick(
        "description",
        [
            ("/alertDetails", cow(v.alert_details)),
            (
                "made from /sslExpiryDate and /sslExpiryDaysLeft",
                expiry
                    .filter(|_| kind == Some(Kind::Expiry))
                    .map(Cow::Owned),
            ),
        ],
    );

    let id = cow(v.monitor_id);
    d.source_ref = d.pick("source_ref", [("/monitorID", id.clone())]);
    if kind == Some(Kind::Expiry) {
        // Kept apart from the monitor's down/up alert, which an "up" resolves.
        d.vendor_key = d.pick(
            "dedup_key",
            [(
                "/monitorID + ':ssl'",
                id.map(|i| Cow::Owned(format!("{}:ssl", i.trim()))),
            )],
        );
    } else {
        d.vendor_key = d.pick("dedup_key", [("/monitorID", id)]);
    }

    let url = v.monitor_url.map(|t| t.0);
    let host = url
        .as_deref()
        .and_then(host_of_target)
        .map(|h| Cow::Owned(String::from(h)));
    d.host = d.pick("host", [("the host of /monitorURL", host)]);
    if let Some(url) = url.filter(|u| is_web_url(u)) {
        d.links.push(("target", url));
        d.origin("links", "/monitorURL (target)");
    }

    // When it happened; an "up" also says how long the monitor was down.
    let at = v.alert_date_time.map(|t| unix_or_raw(t.0));
    match d.status {
        Status::Resolved => {
            d.ended_at = d.pick("ended_at", [("/alertDateTime (Unix seconds)", at)]);
            let began = at_secs
                .zip(
                    v.alert_duration
                        .as_ref()
                        .and_then(|t| t.as_str().trim().parse::<i64>().ok()),
                )
                .and_then(|(end, secs)| unix_to_rfc3339(end.saturating_sub(secs)));
            d.started_at = d.pick(
                "started_at",
                [("/alertDateTime minus /alertDuration", began.map(Cow::Owned))],
            );
        }
        _ => d.started_at = d.pick("started_at", [("/alertDateTime (Unix seconds)", at)]),
    }

    for (key, value) in [
        ("alert_type", v.alert_type_name),
        ("alert_duration_seconds", v.alert_duration),
        ("alert_friendly_duration", v.alert_friendly_duration),
        ("alert_contacts", v.alert_contacts),
        ("ssl_expiry_date", v.ssl_expiry_date),
        ("ssl_expiry_days_left", v.ssl_expiry_days_left),
    ] {
        if let Some(value) = value.filter(|t| !t.as_str().trim().is_empty()) {
            d.annotations.push((Cow::Borrowed(key), value.0));
        }
    }
    d.origin(
        "annotations",
        "/alertTypeFriendlyName, /alertDuration, /alertFriendlyDuration, /monitorAlertContacts, /sslExpiryDate, /sslExpiryDaysLeft",
    );
    let sent: Vec<(&str, &str)> = sent.iter().map(|(n, k)| (*n, k.as_ref())).collect();
    d.name_sent_keys(&sent);
    b.push(d)
}

impl Vars<'_> {
    /// `alertDateTime` as Unix seconds, when it is a number.
    fn alert_date_time_secs(&self) -> Option<i64> {
        let t = self.alert_date_time.as_ref()?.as_str().trim();
        t.split('.').next()?.parse().ok()
    }
}

/// A Unix time (seconds or milliseconds) as RFC 3339; anything else as sent
/// (the builder then keeps it if it is RFC 3339, else nulls it with a warning).
pub(super) fn unix_or_raw(t: Cow<'_, str>) -> Cow<'_, str> {
    // Only numbers a Unix time can be (13 digits for milliseconds, and room to spare).
    let whole = t.trim().split('.').next().unwrap_or("");
    if whole.len() > 16 {
        return t;
    }
    match unix_text_to_rfc3339(&t) {
        Some(rfc) => Cow::Owned(rfc),
        None => t,
    }
}

fn is_web_url(u: &str) -> bool {
    let u = u.trim();
    let starts = |p: &str| {
        u.as_bytes()
            .get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p.as_bytes()))
    };
    (starts("http://") || starts("https://")) && host_of(u).is_some()
}

/// The host a monitor watches: a URL's host, or a bare host name or IP
/// (ping and port monitors send those).
fn host_of_target(target: &str) -> Option<&str> {
    let t = target.trim();
    if t.contains("://") {
        return host_of(t);
    }
    let bare = !t.is_empty() && !t.contains(['/', ' ', '?', '#', '@']);
    bare.then_some(t)
}

/// The host of a URL, without user info, port or IPv6 brackets.
pub(super) fn host_of(url: &str) -> Option<&str> {
    let rest = url.trim().split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host.split(':').next()?,
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_text_is_read_like_a_form() {
        let pairs = query_pairs("monitorID=7&alertType=1&monitorFriendlyName=Shop%20API\n");
        assert!(has_keys(&pairs));
        let pairs = query_pairs("https://hooks.example.net/ur?monitorID=7&alertType=2");
        assert!(has_keys(&pairs));
        let pairs = query_pairs("?monitorID=7&alertTypeFriendlyName=Down");
        assert!(has_keys(&pairs));
        assert!(query_pairs("Shop API is down").is_empty());
        assert!(query_pairs("line one=1\nline two=2").is_empty());
    }

    #[test]
    fn targets_give_hosts() {
        assert_eq!(
            host_of_target("https://shop.example.com/health"),
            Some("shop.example.com")
        );
        assert_eq!(host_of_target("203.0.113.9"), Some("203.0.113.9"));
        assert_eq!(host_of_target("mail.example.org"), Some("mail.example.org"));
        assert_eq!(host_of_target("not a host"), None);
        assert!(is_web_url("HTTPS://shop.example.com"));
        assert!(!is_web_url("203.0.113.9"));
        assert!(!is_web_url("http:/é"));
        assert_eq!(unix_or_raw("1715671122".into()), "2024-05-14T07:18:42Z");
        assert_eq!(
            unix_or_raw("-9223372036854775808".into()),
            "-9223372036854775808"
        );
    }
}
