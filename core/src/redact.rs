//! Secret-looking keys: their values never reach the output (or an LLM).

use alloc::string::String;

use serde_json::Value;

/// What replaces a secret value.
pub const REDACTED: &str = "[redacted]";

/// Words that make a key secret-looking, compared without case, `-`, `_` and spaces.
const SECRET_WORDS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "apikey",
    "authorization",
    "signature",
    "privatekey",
];

/// Whether a key names a secret (`api_key`, `X-Api-Key`, `shared_secret`, `Authorization`, …).
///
/// ```
/// assert!(alertgate::is_secret_key("X-Api-Key"));
/// assert!(alertgate::is_secret_key("client_secret"));
/// assert!(!alertgate::is_secret_key("monitor"));
/// ```
pub fn is_secret_key(key: &str) -> bool {
    let norm: String = key
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_WORDS.iter().any(|w| norm.contains(w))
}

/// Replaces the values of secret-looking keys at any depth with `"[redacted]"`;
/// true if any was.
pub fn redact_json(v: &mut Value) -> bool {
    match v {
        Value::Object(map) => {
            let mut hit = false;
            for (k, val) in map.iter_mut() {
                if is_secret_key(k) {
                    *val = Value::String(String::from(REDACTED));
                    hit = true;
                } else {
                    hit |= redact_json(val);
                }
            }
            hit
        }
        Value::Array(items) => items.iter_mut().fold(false, |hit, i| redact_json(i) | hit),
        _ => false,
    }
}
