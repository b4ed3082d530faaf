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
    // Every label and annotation key passes here. Every secret word has a k,
    // c, w, z or g, and most keys have none: a quick look settles them. The
    // rest, if ASCII, are normalised in a stack buffer, with no allocation.
    let mut hint = false;
    for &b in key.as_bytes() {
        if b >= 0x80 {
            return is_secret_key_slow(key);
        }
        hint |= matches!(b | 0x20, b'k' | b'c' | b'w' | b'z' | b'g');
    }
    if !hint {
        return false;
    }
    let mut buf = [0u8; 64];
    let mut n = 0;
    for b in key.bytes().filter(|b| !matches!(b, b'-' | b'_' | b' ')) {
        let Some(slot) = buf.get_mut(n) else {
            return is_secret_key_slow(key);
        };
        *slot = b.to_ascii_lowercase();
        n += 1;
    }
    let norm = &buf[..n];
    (0..n).any(|i| {
        let rest = &norm[i..];
        // SECRET_WORDS by their first two letters (the tests hold the two in step).
        match (rest[0], rest.get(1)) {
            (b't', Some(b'o')) => rest.starts_with(b"token"),
            (b's', Some(b'e')) => rest.starts_with(b"secret"),
            (b's', Some(b'i')) => rest.starts_with(b"signature"),
            (b'p', Some(b'a')) => rest.starts_with(b"password") || rest.starts_with(b"passwd"),
            (b'p', Some(b'r')) => rest.starts_with(b"privatekey"),
            (b'a', Some(b'p')) => rest.starts_with(b"apikey"),
            (b'a', Some(b'u')) => rest.starts_with(b"authorization"),
            _ => false,
        }
    })
}

/// Unicode-aware (`'\u{212A}'` lowercases to `k`) and for long keys.
#[cold]
fn is_secret_key_slow(key: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_and_slow_paths_agree() {
        for key in [
            "token",
            "X-Api-Key",
            "api_key",
            "shared_secret",
            "PRIVATE_KEY",
            "Authorization",
            "webhookSignature",
            "passwd",
            "title",
            "tier",
            "monitor",
            "key",
            "description",
            "TO\u{212A}EN",
            "a_very_long_key_name_that_goes_on_and_on_and_on_and_then_says_password",
            "a_very_long_key_name_that_goes_on_and_on_and_on_and_on_and_is_harmless",
            "",
        ] {
            assert_eq!(is_secret_key(key), is_secret_key_slow(key), "{key}");
        }
        assert!(is_secret_key("TO\u{212A}EN"));
        assert!(!is_secret_key("tier"));
    }

    #[test]
    fn every_secret_word_is_tried() {
        // The ASCII path needs a k, c, w, z or g, and spells every word out.
        for w in SECRET_WORDS {
            assert!(
                w.bytes()
                    .any(|b| matches!(b, b'k' | b'c' | b'w' | b'z' | b'g')),
                "{w}"
            );
            assert!(is_secret_key(&alloc::format!("x{w}")), "{w}");
            assert!(is_secret_key(w), "{w}");
            assert!(
                is_secret_key(&alloc::format!("x-{}_id", w.to_uppercase())),
                "{w}"
            );
        }
        assert!(!is_secret_key("passage"));
        assert!(!is_secret_key("status"));
    }
}
