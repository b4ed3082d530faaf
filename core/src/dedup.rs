//! Dedup keys: the sender's own key, the Alertmanager label fingerprint, or a content hash.

use alloc::string::String;

use sha2::{Digest, Sha256};

/// Longest dedup key kept verbatim, in bytes.
pub const MAX_KEY_BYTES: usize = 255;

/// The Alertmanager-compatible fingerprint of a label set: FNV-1a 64 over the
/// labels sorted by name, each name and value followed by the byte 0xFF,
/// printed as 16 lowercase hex digits.
///
/// ```
/// assert_eq!(alertgate::labels_fingerprint::<&str>(&[]), "cbf29ce484222325");
/// assert_eq!(
///     alertgate::labels_fingerprint(&[("name", "garland, briggs"), ("fear", "love is not enough")]),
///     "507a62d79ee76c9a"
/// );
/// ```
pub fn labels_fingerprint<S: AsRef<str>>(labels: &[(S, S)]) -> String {
    let mut sorted: alloc::vec::Vec<(&str, &str)> = labels
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect();
    sorted.sort_unstable();
    fingerprint_sorted(sorted.iter().copied())
}

/// FNV-1a 64 over already-sorted labels.
pub(crate) fn fingerprint_sorted<'a>(labels: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes.iter().chain(&[0xFF]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
    };
    for (k, v) in labels {
        eat(k.as_bytes());
        eat(v.as_bytes());
    }
    // hex's table, not core::fmt: formatting costs more than the hash here.
    hex::encode(h.to_be_bytes())
}

/// The content key: SHA-256 over `source`, `service`, `host` and `title`, each
/// written as its UTF-8 byte length (8 bytes, big-endian) then its bytes (an
/// absent field is written as the empty string); the first 32 hex digits.
///
/// ```
/// let key = alertgate::content_key("generic", Some("postgres"), None, "disk full");
/// assert_eq!(key.len(), 32);
/// ```
pub fn content_key(source: &str, service: Option<&str>, host: Option<&str>, title: &str) -> String {
    let mut sha = Sha256::new();
    for part in [source, service.unwrap_or(""), host.unwrap_or(""), title] {
        sha.update((part.len() as u64).to_be_bytes());
        sha.update(part.as_bytes());
    }
    hex32(&sha.finalize())
}

/// A vendor key as used: verbatim up to 255 bytes, else `sha256:` + 32 hex digits of its SHA-256.
pub fn cap_key(key: &str) -> String {
    if key.len() <= MAX_KEY_BYTES {
        return String::from(key);
    }
    let mut out = String::from("sha256:");
    out.push_str(&hex32(&Sha256::digest(key.as_bytes())));
    out
}

fn hex32(digest: &[u8]) -> String {
    hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_matches_alertmanager_vectors() {
        assert_eq!(labels_fingerprint::<&str>(&[]), "cbf29ce484222325");
        assert_eq!(
            labels_fingerprint(&[("name", "garland, briggs"), ("fear", "love is not enough")]),
            "507a62d79ee76c9a"
        );
        // Order of the input does not matter.
        assert_eq!(
            labels_fingerprint(&[("fear", "love is not enough"), ("name", "garland, briggs")]),
            "507a62d79ee76c9a"
        );
    }

    #[test]
    fn content_key_layout_is_length_prefixed() {
        // Moving a byte between fields must change the key.
        assert_ne!(
            content_key("generic", Some("ab"), None, "c"),
            content_key("generic", Some("a"), None, "bc")
        );
        assert_eq!(
            content_key("generic", None, None, "t"),
            content_key("generic", Some(""), Some(""), "t")
        );
    }

    #[test]
    fn long_keys_are_hashed() {
        let long = "k".repeat(256);
        let capped = cap_key(&long);
        assert!(capped.starts_with("sha256:"));
        assert_eq!(capped.len(), 7 + 32);
        assert_eq!(cap_key(&"k".repeat(255)), "k".repeat(255));
    }
}
