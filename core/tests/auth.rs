//! `auth` behaviour beyond the shared signature vectors.

use alertgate::{
    Scheme, SignedContent, TimestampUnit, Verifier, VerifyOptions, outgoing_webhook, sign,
};

#[test]
fn outgoing_events_verify_as_opsknight() {
    let out = outgoing_webhook(
        "incident.resolved",
        "2024-01-15T10:30:00Z",
        r#"{"id": "42", "title": "API"}"#,
        "out-secret",
    )
    .unwrap();
    assert_eq!(
        out.body,
        r#"{"event":"incident.resolved","timestamp":"2024-01-15T10:30:00Z","data":{"id":"42","title":"API"}}"#
    );
    let names: Vec<&str> = out.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["Content-Type", "X-Webhook-Event", "X-Webhook-Signature"]
    );
    let headers: Vec<(&str, &str)> = out
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let v = Verifier::new(
        Scheme::Opsknight,
        &["out-secret"],
        &VerifyOptions::default(),
    )
    .unwrap();
    v.verify(&headers, out.body.as_bytes(), 0).unwrap();

    assert_eq!(
        outgoing_webhook("x", "yesterday", "{}", "k")
            .unwrap_err()
            .code(),
        "invalid_config"
    );
    assert_eq!(
        outgoing_webhook("x", "2024-01-15T10:30:00Z", "{", "k")
            .unwrap_err()
            .code(),
        "invalid_config"
    );
}

#[test]
fn debug_output_never_shows_secrets() {
    let v = Verifier::new(
        Scheme::Bearer,
        &["super-secret-token"],
        &VerifyOptions::default(),
    )
    .unwrap();
    let text = format!("{v:?}");
    assert!(!text.contains("super-secret"), "{text}");
    assert!(text.contains("bearer") || text.contains("Bearer"));
}

#[test]
fn scheme_names() {
    for s in Scheme::ALL {
        assert_eq!(s.as_str().parse::<Scheme>().unwrap(), *s);
    }
    assert_eq!("svix".parse::<Scheme>().unwrap(), Scheme::Svix);
    assert_eq!("basic".parse::<Scheme>().unwrap(), Scheme::Basic);
    assert_eq!(
        "Standard-Webhooks".parse::<Scheme>().unwrap(),
        Scheme::StandardWebhooks
    );
    assert_eq!(
        "hmac".parse::<Scheme>().unwrap_err().code(),
        "invalid_config"
    );
    assert_eq!(
        "ms".parse::<TimestampUnit>().unwrap(),
        TimestampUnit::Milliseconds
    );
    assert!("minutes".parse::<TimestampUnit>().is_err());
    assert_eq!(
        "{ts}:{body}".parse::<SignedContent>().unwrap(),
        SignedContent::TsColonBody
    );
}

#[test]
fn timestamped_schemes_need_a_timestamp_to_sign() {
    assert_eq!(
        sign(Scheme::Slack, "k", b"x", None, None)
            .unwrap_err()
            .code(),
        "invalid_config"
    );
    assert_eq!(
        sign(Scheme::StandardWebhooks, "whsec_a2V5", b"x", Some(1), None)
            .unwrap_err()
            .code(),
        "invalid_config"
    );
    // Millisecond headers carry milliseconds; the tolerance still works in seconds.
    let mut o = VerifyOptions::default();
    o.timestamp_header = Some("X-Ts".into());
    o.timestamp_unit = TimestampUnit::Milliseconds;
    let v = Verifier::new(Scheme::HmacSha256, &["k"], &o).unwrap();
    let headers = v.sign(b"x", Some(1_700_000_000), None).unwrap();
    assert!(
        headers
            .iter()
            .any(|(n, t)| n == "X-Ts" && t == "1700000000000")
    );
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert!(v.verify(&refs, b"x", 1_700_000_250).is_ok());
    assert_eq!(
        v.verify(&refs, b"x", 1_700_000_400).unwrap_err().code(),
        "timestamp_out_of_tolerance"
    );
}

#[test]
fn auth_errors_are_401_and_config_errors_500() {
    let v = Verifier::new(Scheme::Github, &["k"], &VerifyOptions::default()).unwrap();
    let e = v
        .verify(&[("X-Hub-Signature-256", "sha256=00")], b"x", 0)
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("malformed_signature", 401));
    let e = Verifier::new(Scheme::Github, &[] as &[&str], &VerifyOptions::default()).unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("invalid_config", 500));
}

fn pairs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

#[test]
fn the_headers_are_judged_before_the_body() {
    let now = 1_700_000_000;
    // A token scheme is judged whole from its header.
    let bearer = Verifier::new(Scheme::Bearer, &["t"], &VerifyOptions::default()).unwrap();
    assert!(
        bearer
            .check_headers(&[("Authorization", "Bearer t")], now)
            .is_ok()
    );
    assert_eq!(
        bearer
            .check_headers(&[("Authorization", "Bearer x")], now)
            .unwrap_err()
            .code(),
        "invalid_token"
    );
    // A signature scheme: present, well formed and in time, but not yet checked
    // against a body; verify still refuses a wrong MAC.
    let slack = Verifier::new(Scheme::Slack, &["k"], &VerifyOptions::default()).unwrap();
    let signed = slack.sign(b"body", Some(now), None).unwrap();
    assert!(slack.check_headers(&pairs(&signed), now).is_ok());
    assert!(slack.verify(&pairs(&signed), b"body", now).is_ok());
    assert_eq!(
        slack
            .verify(&pairs(&signed), b"other", now)
            .unwrap_err()
            .code(),
        "signature_mismatch"
    );
    assert_eq!(
        slack
            .check_headers(&pairs(&signed), now + 3600)
            .unwrap_err()
            .code(),
        "timestamp_out_of_tolerance"
    );
    assert_eq!(
        slack.check_headers(&[], now).unwrap_err().code(),
        "missing_credentials"
    );
    let github = Verifier::new(Scheme::Github, &["k"], &VerifyOptions::default()).unwrap();
    assert_eq!(
        github
            .check_headers(&[("X-Hub-Signature-256", "sha256=zz")], now)
            .unwrap_err()
            .code(),
        "malformed_signature"
    );
    let forged = format!("sha256={}", "0".repeat(64));
    assert!(
        github
            .check_headers(&[("X-Hub-Signature-256", &forged)], now)
            .is_ok()
    );
}

#[test]
fn a_delivery_is_identified_by_its_id_or_timestamped_signature() {
    let now = 1_700_000_000;
    let github = Verifier::new(Scheme::Github, &["k"], &VerifyOptions::default()).unwrap();
    let sig = format!("sha256={}", "a".repeat(64));
    let with_id = [
        ("X-Hub-Signature-256", sig.as_str()),
        ("X-GitHub-Delivery", "d-1"),
    ];
    assert_eq!(github.delivery_id(&with_id), Some("d-1"));
    // GitHub signs no timestamp: without its id, nothing tells a replay.
    assert_eq!(github.delivery_id(&with_id[..1]), None);
    assert_eq!(github.signature(&with_id[..1]), Some(sig.as_str()));
    assert_eq!(github.tolerance(), None);

    let svix = Verifier::new(
        Scheme::StandardWebhooks,
        &["whsec_a2V5a2V5a2V5"],
        &VerifyOptions::default(),
    )
    .unwrap();
    let signed = svix.sign(b"{}", Some(now), Some("msg_1")).unwrap();
    assert_eq!(svix.delivery_id(&pairs(&signed)), Some("msg_1"));
    assert_eq!(svix.tolerance(), Some(300));

    // Stripe and Slack: the timestamped signature is the identity.
    let stripe = Verifier::new(Scheme::Stripe, &["whsec_x"], &VerifyOptions::default()).unwrap();
    let signed = stripe.sign(b"{}", Some(now), None).unwrap();
    let p = pairs(&signed);
    assert_eq!(stripe.delivery_id(&p), Some(signed[0].1.as_str()));
    let slack = Verifier::new(Scheme::Slack, &["k"], &VerifyOptions::default()).unwrap();
    let signed = slack.sign(b"{}", Some(now), None).unwrap();
    let sig = signed
        .iter()
        .find(|(n, _)| n == "X-Slack-Signature")
        .map(|(_, v)| v.as_str());
    assert_eq!(slack.delivery_id(&pairs(&signed)), sig);

    // OpShift signs the body alone and has no id: none.
    let opshift = Verifier::new(Scheme::Opshift, &["k"], &VerifyOptions::default()).unwrap();
    let signed = opshift.sign(b"{}", None, None).unwrap();
    assert_eq!(opshift.delivery_id(&pairs(&signed)), None);
    // Token schemes have neither.
    let bearer = Verifier::new(Scheme::Bearer, &["t"], &VerifyOptions::default()).unwrap();
    assert_eq!(bearer.delivery_id(&[("Authorization", "Bearer t")]), None);
    assert_eq!(bearer.signature(&[("Authorization", "Bearer t")]), None);
}
