//! What is sent to the LLM, and what is kept of its reply.

use alertgate::{Ingest, Severity, Status};
use serde_json::Value;

const REDACTED: &str = alertgate::REDACTED;

/// Longest brief kept, in characters.
const MAX_BRIEF_CHARS: usize = 1200;

fn secret_key(key: &str) -> bool {
    alertgate::is_secret_key(key)
}

/// Redacts `key=value` and `key: value` pairs with secret-looking keys in text.
/// A `=` value ends at `&`, whitespace, `,` or `;`; a `:` value at the end of the line.
///
/// ```
/// let text = alertgate_synth::redact_text("user=ops&api_key=abc123&x=1\nAuthorization: Bearer xyz");
/// assert_eq!(text, "user=ops&api_key=[redacted]&x=1\nAuthorization: [redacted]");
/// ```
pub fn redact_text(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let is_key = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    while i < b.len() {
        if !is_key(b[i]) || (i > 0 && is_key(b[i - 1])) {
            let c = text[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8().max(1);
            continue;
        }
        let key_end = i + b[i..].iter().take_while(|&&c| is_key(c)).count();
        let mut j = key_end;
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        let sep = b.get(j).copied();
        if !matches!(sep, Some(b'=' | b':')) || !secret_key(&text[i..key_end]) {
            out.push_str(&text[i..key_end]);
            i = key_end;
            continue;
        }
        j += 1;
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        let value_len = b[j..]
            .iter()
            .take_while(|&&c| match sep {
                Some(b'=') => !matches!(c, b'&' | b' ' | b'\t' | b'\r' | b'\n' | b',' | b';'),
                _ => !matches!(c, b'\r' | b'\n'),
            })
            .count();
        out.push_str(&text[i..j]);
        out.push_str(REDACTED);
        i = j + value_len;
    }
    out
}

/// Applies [`redact_text`] to every string value; whether any changed.
fn redact_strings(v: &mut Value) -> bool {
    match v {
        Value::String(s) => {
            let redacted = redact_text(s);
            let changed = redacted != *s;
            if changed {
                *s = redacted;
            }
            changed
        }
        Value::Array(items) => items.iter_mut().fold(false, |c, i| redact_strings(i) | c),
        Value::Object(map) => map.values_mut().fold(false, |c, i| redact_strings(i) | c),
        _ => false,
    }
}

/// One line summarising the normalized alert, for the model's orientation.
fn summary_line(ingest: &Ingest) -> String {
    let highest = ingest
        .alerts
        .iter()
        .map(|a| a.severity)
        .min_by_key(|s| match s {
            Severity::Critical => 0,
            Severity::Error => 1,
            Severity::Warning => 2,
            Severity::Info => 3,
        });
    let firing = ingest
        .alerts
        .iter()
        .filter(|a| a.status != Status::Resolved)
        .count();
    let titles: Vec<&str> = ingest.alerts.iter().take(3).map(|a| &*a.title).collect();
    format!(
        "alertgate summary: source={} alerts={} firing={} highest_severity={} titles={}",
        ingest.source,
        ingest.alerts.len(),
        firing,
        highest.map_or("none", Severity::as_str),
        if titles.is_empty() {
            String::from("none")
        } else {
            titles.join(" | ")
        }
    )
}

/// The user message: the summary line, then the payload without its top-level
/// `tier`, with secret-looking values redacted, cut to `max_bytes` on a UTF-8
/// boundary with a marker.
pub fn user_content(ingest: &Ingest, body: &[u8], max_bytes: usize) -> String {
    let stripped = alertgate::strip_tier(body);
    let text = String::from_utf8_lossy(&stripped);
    let payload = match serde_json::from_str::<Value>(&text) {
        Ok(mut v) if v.is_object() || v.is_array() => {
            // Both passes run: secret-named members, then `key=value` secrets
            // written inside string values (`"note": "token=abc"`).
            let by_key = alertgate::redact_json(&mut v);
            if redact_strings(&mut v) | by_key {
                v.to_string()
            } else {
                text.into_owned()
            }
        }
        _ => redact_text(&text),
    };
    let payload = payload.trim();
    let mut out = summary_line(ingest);
    out.push_str("\n\n");
    if payload.len() <= max_bytes {
        out.push_str(payload);
    } else {
        let mut end = max_bytes;
        while !payload.is_char_boundary(end) {
            end -= 1;
        }
        out.push_str(&payload[..end]);
        out.push_str(&format!(
            "\n[… payload truncated: {end} of {} bytes shown]",
            payload.len()
        ));
    }
    out
}

/// The brief from a raw reply: trimmed, code fences and a leading preamble
/// ("Here is …:", "Brief:") removed, capped at 1,200 characters; `None` if empty.
///
/// ```
/// let reply = "Here is the brief:\n```\nCheck the DB.\n```";
/// assert_eq!(alertgate_synth::clean_reply(reply).as_deref(), Some("Check the DB."));
/// ```
pub fn clean_reply(reply: &str) -> Option<String> {
    let mut lines: Vec<&str> = reply
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("```"))
        .collect();
    while lines.first().is_some_and(|l| l.is_empty()) {
        lines.remove(0);
    }
    if let Some(first) = lines.first() {
        let lower = first.to_ascii_lowercase();
        let preamble = first.ends_with(':')
            && (lower.starts_with("here")
                || lower.starts_with("sure")
                || lower.contains("brief")
                || lower.starts_with("investigation"));
        if preamble {
            lines.remove(0);
        }
    }
    let mut text = lines.join("\n").trim().to_owned();
    for prefix in ["Investigation brief:", "Brief:", "**Brief:**"] {
        if text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix) {
            text = text[prefix.len()..].trim().to_owned();
        }
    }
    if text.chars().count() > MAX_BRIEF_CHARS {
        text = text.chars().take(MAX_BRIEF_CHARS - 1).collect::<String>();
        text.push('…');
    }
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys() {
        for k in [
            "token",
            "X-Api-Key",
            "api_key",
            "shared_secret",
            "PRIVATE_KEY",
            "Authorization",
            "webhookSignature",
            "passwd",
        ] {
            assert!(secret_key(k), "{k}");
        }
        for k in ["title", "tier", "monitor", "key", "description"] {
            assert!(!secret_key(k), "{k}");
        }
    }

    #[test]
    fn json_redaction_reaches_every_depth() {
        let mut v: Value = serde_json::from_str(
            r#"{"a": {"b": [{"password": "p", "ok": 1}]}, "Token": {"nested": "x"}, "keep": "me"}"#,
        )
        .unwrap();
        assert!(alertgate::redact_json(&mut v));
        assert_eq!(
            v.to_string(),
            r#"{"Token":"[redacted]","a":{"b":[{"ok":1,"password":"[redacted]"}]},"keep":"me"}"#
        );
    }

    #[test]
    fn secrets_inside_json_strings_are_redacted() {
        let ingest = alertgate::ingest(
            &alertgate::Request {
                body: br#"{"title": "db down", "note": "retry with token=abc123&x=1", "list": ["password: hunter2"]}"#,
                content_type: Some("application/json"),
                headers: &[],
            },
            &alertgate::Options::default(),
        )
        .unwrap();
        let body = br#"{"title": "db down", "note": "retry with token=abc123&x=1", "list": ["password: hunter2"]}"#;
        let content = user_content(&ingest, body, 10_000);
        assert!(!content.contains("abc123"), "{content}");
        assert!(!content.contains("hunter2"), "{content}");
        assert!(content.contains("token=[redacted]&x=1"), "{content}");
        assert!(content.contains("db down"), "{content}");
    }

    #[test]
    fn text_redaction_forms() {
        assert_eq!(
            redact_text("secret = s3 ; next=1"),
            "secret = [redacted] ; next=1"
        );
        assert_eq!(redact_text("mytoken=abc"), "mytoken=[redacted]");
        assert_eq!(redact_text("no problems: here"), "no problems: here");
        // Over-redaction is the safe side: "secrets" looks like a secret key.
        assert_eq!(redact_text("secrets: rotated"), "secrets: [redacted]");
        assert_eq!(
            redact_text("déjà password: ünïcode\nok"),
            "déjà password: [redacted]\nok"
        );
    }

    #[test]
    fn replies_are_cleaned() {
        assert_eq!(
            clean_reply("  Brief: Check the disk.  ").as_deref(),
            Some("Check the disk.")
        );
        assert_eq!(
            clean_reply("Sure, here's an investigation brief:\n\nA. B.").as_deref(),
            Some("A. B.")
        );
        assert_eq!(clean_reply("```text\n```"), None);
        assert_eq!(clean_reply("   "), None);
        let long = "x".repeat(5000);
        assert_eq!(clean_reply(&long).unwrap().chars().count(), 1200);
    }
}
