//! Properties of `auth`: sign-then-verify holds for every scheme; flipping a
//! bit of the body, signature or timestamp fails; odd headers never panic.

use alertgate::{Scheme, Verifier, VerifyOptions};
use proptest::prelude::*;

const NOW: i64 = 1_700_000_000;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// A secret valid for the scheme (Standard Webhooks wants `whsec_` + base64,
/// Basic a `user:password` pair).
fn secret_for(scheme: Scheme, raw: &str) -> String {
    if scheme == Scheme::Basic {
        format!("user:{}", raw.trim())
    } else if matches!(scheme, Scheme::StandardWebhooks | Scheme::Svix) {
        // Base64 alphabet, length a multiple of 4: always decodable.
        let mut b64: String = raw.chars().filter(char::is_ascii_alphanumeric).collect();
        b64.push_str("AAAA");
        b64.truncate(b64.len() / 4 * 4);
        format!("whsec_{b64}")
    } else {
        raw.to_owned()
    }
}

fn verifier(scheme: Scheme, secret: &str) -> Verifier {
    Verifier::new(scheme, &[secret], &VerifyOptions::default()).unwrap()
}

fn refs(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

fn signed_by_body(scheme: Scheme) -> bool {
    !matches!(
        scheme,
        Scheme::Bearer | Scheme::SharedSecret | Scheme::Basic
    )
}

/// Every scheme alertgate can sign for (SNS messages are signed by AWS; its
/// vectors are in tests/vectors/signatures/sns.jsonl).
fn signable() -> Vec<Scheme> {
    Scheme::ALL
        .iter()
        .copied()
        .filter(|s| *s != Scheme::Sns)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    #[cfg_attr(miri, ignore)]
    fn sign_then_verify_holds(
        scheme in prop::sample::select(signable()),
        raw in "[a-zA-Z0-9_+/ -]{1,40}".prop_filter("not blank", |s| !s.trim().is_empty()),
        body in prop::collection::vec(any::<u8>(), 0..512),
        skew in -300i64..=300,
        id in "[a-zA-Z0-9_]{1,20}",
    ) {
        let secret = secret_for(scheme, &raw);
        let v = verifier(scheme, &secret);
        let headers = v.sign(&body, Some(NOW + skew), Some(&id)).unwrap();
        prop_assert!(v.verify(&refs(&headers), &body, NOW).is_ok(), "{scheme} {headers:?}");
        // Rotation: the signing secret verifies in any position.
        let other = secret_for(scheme, "0ther");
        let rotated = Verifier::new(scheme, &[other, secret], &VerifyOptions::default()).unwrap();
        prop_assert!(rotated.verify(&refs(&headers), &body, NOW).is_ok());
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn v1a_sign_then_verify_holds(
        seed in any::<[u8; 32]>(),
        body in prop::collection::vec(any::<u8>(), 0..512),
        id in "[a-zA-Z0-9_]{1,20}",
        index in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let secret = format!("whsk_{}", b64.encode(seed));
        let signer = verifier(Scheme::StandardWebhooks, &secret);
        let headers = signer.sign(&body, Some(NOW), Some(&id)).unwrap();
        // Verified by the public key alone.
        let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        let v = verifier(Scheme::StandardWebhooks, &format!("whpk_{}", b64.encode(public.to_bytes())));
        prop_assert!(v.verify(&refs(&headers), &body, NOW).is_ok(), "{headers:?}");
        if !body.is_empty() {
            let mut tampered = body.clone();
            tampered[index.index(body.len())] ^= 1 << bit;
            prop_assert!(v.verify(&refs(&headers), &tampered, NOW).is_err());
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn a_flipped_body_bit_fails(
        scheme in prop::sample::select(signable()).prop_filter("signs the body", |s| signed_by_body(*s)),
        body in prop::collection::vec(any::<u8>(), 1..256),
        index in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let v = verifier(scheme, &secret_for(scheme, "k3y"));
        let headers = v.sign(&body, Some(NOW), Some("msg_1")).unwrap();
        let mut tampered = body.clone();
        tampered[index.index(body.len())] ^= 1 << bit;
        prop_assert!(v.verify(&refs(&headers), &tampered, NOW).is_err());
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn a_flipped_header_bit_fails(
        scheme in prop::sample::select(signable()),
        body in prop::collection::vec(any::<u8>(), 0..128),
        which in any::<prop::sample::Index>(),
        pos in any::<prop::sample::Index>(),
        bit in 0u8..7,
    ) {
        let v = verifier(scheme, &secret_for(scheme, "k3y"));
        let mut headers = v.sign(&body, Some(NOW), Some("msg_1")).unwrap();
        // Any signed header: signature, timestamp, or id.
        let h = which.index(headers.len());
        let mut bytes = headers[h].1.clone().into_bytes();
        let p = pos.index(bytes.len());
        // Hex is case-insensitive: a case flip of a letter is the same signature.
        let bit = if bit == 5 && bytes[p].is_ascii_alphabetic() { 0 } else { bit };
        bytes[p] ^= 1 << bit;
        headers[h].1 = String::from_utf8(bytes).unwrap();
        prop_assert!(v.verify(&refs(&headers), &body, NOW).is_err(), "{scheme} {headers:?}");
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn arbitrary_headers_never_panic(
        scheme in prop::sample::select(signable()),
        values in prop::collection::vec((
            prop::sample::select(vec![
                "Authorization", "X-Webhook-Secret", "X-Hub-Signature-256", "X-Webhook-Signature",
                "X-Signature", "X-Grafana-Alerting-Signature", "X-PagerDuty-Signature",
                "Sentry-Hook-Signature", "X-Slack-Signature", "X-Slack-Request-Timestamp",
                "Stripe-Signature", "webhook-id", "webhook-timestamp", "webhook-signature",
                "svix-signature",
            ]),
            prop_oneof![
                any::<String>(),
                "(v1[=,]|t=|sha256=|v0=|Bearer )[0-9a-fA-F+/=,]{0,80}",
                "[0-9]{0,25}",
            ],
        ), 0..6),
        body in prop::collection::vec(any::<u8>(), 0..64),
        now in any::<i64>(),
    ) {
        let v = verifier(scheme, &secret_for(scheme, "k3y"));
        let headers: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let _ = v.verify(&headers, &body, now);
    }
}
