//! The status and severity vocabularies shared by every sender.
//!
//! Matching is ASCII case-insensitive on trimmed text. Status fails open:
//! anything unknown is `Triggered`, so an alert is never silently resolved.

use crate::{Severity, Status};

const TRIGGERED: &[&str] = &[
    "triggered",
    "trigger",
    "fired",
    "firing",
    "alert",
    "alerting",
    "critical",
    "error",
    "open",
    "problem",
    "down",
];
const RESOLVED: &[&str] = &[
    "resolved",
    "resolve",
    "ok",
    "normal",
    "closed",
    "fixed",
    "recovered",
    "up",
];
const ACKNOWLEDGED: &[&str] = &["acknowledge", "acknowledged", "ack"];

const CRITICAL: &[&str] = &[
    "critical",
    "crit",
    "fatal",
    "emergency",
    "page",
    "high",
    "p1",
    "sev0",
];
const ERROR: &[&str] = &["error", "err", "major", "p2", "sev1"];
const WARNING: &[&str] = &["warning", "warn", "medium", "moderate", "p3", "sev2"];
const INFO: &[&str] = &[
    "info",
    "information",
    "informational",
    "low",
    "minor",
    "p4",
    "p5",
    "sev3",
    "sev4",
    "ok",
];

fn member(words: &[&str], text: &str) -> bool {
    words.iter().any(|w| w.eq_ignore_ascii_case(text))
}

/// Maps a status word; `None` when the word is not in the vocabulary.
pub fn status(text: &str) -> Option<Status> {
    let t = crate::text::trim(text);
    if member(TRIGGERED, t) {
        Some(Status::Triggered)
    } else if member(RESOLVED, t) {
        Some(Status::Resolved)
    } else if member(ACKNOWLEDGED, t) {
        Some(Status::Acknowledged)
    } else {
        None
    }
}

/// Maps a severity word; `None` when the word is not in the vocabulary.
pub fn severity(text: &str) -> Option<Severity> {
    let t = crate::text::trim(text);
    [
        (CRITICAL, Severity::Critical),
        (ERROR, Severity::Error),
        (WARNING, Severity::Warning),
        (INFO, Severity::Info),
    ]
    .into_iter()
    .find(|(words, _)| member(words, t))
    .map(|(_, s)| s)
}

/// The severity of an alert that carries no severity information.
pub fn default_severity(status: Status, availability: bool) -> Severity {
    match status {
        Status::Resolved => Severity::Info,
        _ if availability => Severity::Critical,
        _ => Severity::Warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_map_case_insensitively() {
        assert_eq!(status(" Firing "), Some(Status::Triggered));
        assert_eq!(status("RESOLVED"), Some(Status::Resolved));
        assert_eq!(status("Ack"), Some(Status::Acknowledged));
        assert_eq!(status("ok"), Some(Status::Resolved));
        assert_eq!(status("paused"), None);
        assert_eq!(status(""), None);
    }

    #[test]
    fn severity_words_map() {
        assert_eq!(severity("SEV0"), Some(Severity::Critical));
        assert_eq!(severity("sev1"), Some(Severity::Error));
        assert_eq!(severity("Moderate"), Some(Severity::Warning));
        assert_eq!(severity("ok"), Some(Severity::Info));
        assert_eq!(severity("disaster"), None);
    }

    #[test]
    fn default_severity_rules() {
        assert_eq!(
            default_severity(Status::Triggered, true),
            Severity::Critical
        );
        assert_eq!(
            default_severity(Status::Triggered, false),
            Severity::Warning
        );
        assert_eq!(default_severity(Status::Resolved, true), Severity::Info);
    }
}
