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
    // The keys nearly every alert carries are settled by name.
    if COMMON_KEYS.contains(&key) {
        return false;
    }
    // Every label and annotation key passes here, so most keys must be settled
    // cheaply. A key can only hold a secret word if it has all of that word's
    // letters: one pass gathers the key's set of letters as bits, and the full
    // test runs only when some word's set is covered (`description` covers
    // `secret`; `instance`, `severity`, `runbook_url` cover none).
    let mut letters = 0u32;
    let mut high = 0u8;
    for &b in key.as_bytes() {
        high |= b;
        letters |= LETTER[usize::from(b & 0x7f)];
    }
    if high >= 0x80 {
        return is_secret_key_slow(key);
    }
    if SECRET_LETTERS.iter().all(|&w| letters & w != w) {
        return false;
    }
    // Normalised in a stack buffer, with no allocation.
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

/// Label and annotation keys seen on most alerts (Prometheus, Grafana,
/// Kubernetes), none secret: matched whole before any letter is looked at.
const COMMON_KEYS: &[&str] = &[
    "alertname",
    "severity",
    "instance",
    "job",
    "service",
    "env",
    "team",
    "summary",
    "description",
    "runbook_url",
    "namespace",
    "pod",
    "cluster",
];

/// The bit of each ASCII letter, either case (`a` is bit 0); 0 for other bytes.
const LETTER: [u32; 128] = {
    let mut t = [0u32; 128];
    let mut c = 0;
    while c < 26 {
        t[b'a' as usize + c] = 1 << c;
        t[b'A' as usize + c] = 1 << c;
        c += 1;
    }
    t
};

/// Each secret word's set of letters, as [`LETTER`] bits.
const SECRET_LETTERS: [u32; SECRET_WORDS.len()] = {
    let mut out = [0u32; SECRET_WORDS.len()];
    let mut i = 0;
    while i < SECRET_WORDS.len() {
        let w = SECRET_WORDS[i].as_bytes();
        let mut j = 0;
        while j < w.len() {
            out[i] |= LETTER[w[j] as usize];
            j += 1;
        }
        i += 1;
    }
    out
};

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
    fn letter_filter_never_hides_a_word() {
        // Every word with a separator at each place, in both cases, with a
        // letter left out at each place, inside longer keys: the fast path
        // agrees with the plain one on all of them.
        for w in SECRET_WORDS {
            let mut keys = alloc::vec::Vec::new();
            for i in 0..=w.len() {
                for sep in ["_", "-", " ", ""] {
                    keys.push(alloc::format!("{}{sep}{}", &w[..i], &w[i..]));
                }
                if i < w.len() {
                    keys.push(alloc::format!("{}{}", &w[..i], &w[i + 1..]));
                }
            }
            for k in keys {
                for key in [
                    k.clone(),
                    k.to_uppercase(),
                    alloc::format!("x_{k}_id"),
                    alloc::format!("9{k}"),
                ] {
                    assert_eq!(is_secret_key(&key), is_secret_key_slow(&key), "{key}");
                }
            }
        }
    }

    #[test]
    fn common_keys_are_not_secret() {
        for key in COMMON_KEYS {
            assert!(!is_secret_key_slow(key), "{key}");
        }
    }

    #[test]
    fn every_secret_word_is_tried() {
        for w in SECRET_WORDS {
            // Only ASCII letters: the letter-set filter sees all of a word.
            assert!(w.bytes().all(|b| b.is_ascii_lowercase()), "{w}");
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
