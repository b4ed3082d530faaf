//! The offline brief: deterministic, from the canonical fields alone.

use alertgate::{Alert, Ingest, Notice, Source, Status};

/// Senders whose alerts are availability checks: reachability comes first.
const AVAILABILITY: &[Source] = &[
    Source::UptimeKuma,
    Source::Healthchecks,
    Source::Uptimerobot,
    Source::Pingdom,
    Source::Betterstack,
];

/// At most `max` chars of the first sentence of `text`, ending in a full stop.
fn first_sentence(text: &str, max: usize) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let end = line
        .char_indices()
        .find(|&(i, c)| matches!(c, '.' | '!' | '?') && line[i + c.len_utf8()..].starts_with(' '))
        .map_or(line.len(), |(i, c)| i + c.len_utf8());
    let mut s: String = line[..end].chars().take(max).collect();
    if s.chars().count() == max {
        s.push('…');
    }
    if !s.ends_with(['.', '!', '?', '…']) {
        s.push('.');
    }
    Some(s)
}

/// The service, else the host, that the alerts name.
fn target(alerts: &[&Alert<'_>]) -> Option<String> {
    alerts
        .iter()
        .find_map(|a| a.service.as_deref().map(String::from))
        .or_else(|| {
            alerts
                .iter()
                .find_map(|a| a.host.as_deref().map(String::from))
        })
}

/// A 2–4 sentence brief built from the normalized fields alone: who reports
/// what for which service, the first alert's description, and where to start.
///
/// ```
/// use alertgate::{ingest, Options, Request};
/// let body = br#"{"heartbeat":{"status":0,"msg":"Connection timeout"},"monitor":{"id":3,"name":"Gitea","url":"https://gitea.example.com"},"msg":"down"}"#;
/// let brief = alertgate_synth::template_brief(&ingest(&Request::new(body), &Options::default()).unwrap());
/// assert_eq!(brief, "Uptime Kuma reports 1 firing alert for gitea.example.com: Gitea (critical). Connection timeout. Start with the reachability of gitea.example.com (DNS, network, TLS) and the health of the service behind it.");
/// ```
pub fn template_brief(ingest: &Ingest) -> String {
    let who = ingest.source.display_name();
    if ingest.alerts.is_empty() {
        let detail: Vec<&str> = [
            "event",
            "event_type",
            "action",
            "conclusion",
            "state",
            "status",
        ]
        .iter()
        .filter_map(|k| ingest.annotations.get(k))
        .collect();
        let what = match ingest.notice {
            Some(Notice::TestNotification) => String::from("a test notification"),
            Some(Notice::SubscriptionConfirmation) => {
                String::from("a subscription confirmation (visit its subscribe_url to confirm)")
            }
            Some(Notice::UnsubscribeConfirmation) => String::from("an unsubscribe confirmation"),
            Some(Notice::NotAnAlert) if !detail.is_empty() => {
                format!("an event that is not an alert ({})", detail.join(", "))
            }
            _ => String::from("a notification with no alert in it"),
        };
        return format!("{who} sent {what}. There is nothing to investigate.");
    }
    let count = |st: Status| ingest.alerts.iter().filter(|a| a.status == st).count();
    let (firing, acked, resolved) = (
        count(Status::Triggered),
        count(Status::Acknowledged),
        count(Status::Resolved),
    );
    let open: Vec<&Alert> = ingest
        .alerts
        .iter()
        .filter(|a| a.status != Status::Resolved)
        .collect();
    let all: Vec<&Alert> = ingest.alerts.iter().collect();
    let focus: &[&Alert] = if open.is_empty() { &all } else { &open };

    let parts: Vec<String> = [
        (firing, "firing"),
        (acked, "acknowledged"),
        (resolved, "resolved"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{n} {word}"))
    .collect();
    let counts = match parts.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => String::new(),
    };
    let noun = if ingest.alerts.len() == 1 {
        "alert"
    } else {
        "alerts"
    };
    let names: Vec<String> = focus
        .iter()
        .take(3)
        .map(|a| format!("{} ({})", a.title, a.severity))
        .collect();
    let more = focus.len().saturating_sub(3);
    let place = target(focus);
    let mut sentences = vec![format!(
        "{who} reports {counts} {noun}{}: {}{}.",
        place
            .as_deref()
            .map_or_else(String::new, |p| format!(" for {p}")),
        names.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )];

    let lead = focus[0];
    if let Some(desc) = lead
        .description
        .as_deref()
        .and_then(|d| first_sentence(d, 200))
    {
        sentences.push(desc);
    }

    let next = if open.is_empty() {
        format!(
            "Confirm the recovery holds and look for the cause in the window since {}.",
            lead.started_at.as_deref().unwrap_or("it began")
        )
    } else if firing == 0 {
        String::from(
            "It is acknowledged (or in maintenance): check with whoever owns it before acting.",
        )
    } else if AVAILABILITY.contains(&ingest.source) {
        match lead
            .host
            .as_deref()
            .map(String::from)
            .or_else(|| place.clone())
        {
            Some(host) => format!(
                "Start with the reachability of {host} (DNS, network, TLS) and the health of the service behind it."
            ),
            None => format!(
                "Start with whether {} is running and can reach its monitor.",
                lead.title
            ),
        }
    } else if let Some(link) = ["runbook", "dashboard", "panel", "generator"]
        .iter()
        .find_map(|rel| lead.links.iter().find(|l| l.rel == *rel))
    {
        format!("Start with the {} at {}.", link.rel, link.href)
    } else {
        let when = lead
            .started_at
            .as_deref()
            .map_or_else(String::new, |t| format!(" around {t}"));
        match place {
            Some(p) => {
                format!("Start with recent deploys, config changes and the logs of {p}{when}.")
            }
            None => format!("Start with recent deploys, config changes and the logs{when}."),
        }
    };
    sentences.push(next);
    sentences.join(" ")
}
