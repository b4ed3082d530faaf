//! AWS SNS on an integration with `auth = "sns"`: signing certificates fetched
//! from validated SNS URLs (here sent to a local stand-in, which only a
//! `test-hooks` build allows), subscriptions confirmed, forgeries refused.

mod support;
use support::*;

use std::path::Path;

use serde_json::Value;

/// The shared SNS vectors by name: (headers, body, certificate).
fn vector(name: &str) -> (Vec<(String, String)>, String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/signatures/sns.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    let case: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name}"));
    let headers = case["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h[0].as_str().unwrap().to_owned(),
                h[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (
        headers,
        case["body"].as_str().unwrap().to_owned(),
        case["certificate"].as_str().unwrap().to_owned(),
    )
}

fn send(s: &Server, integration: &str, name: &str) -> Reply {
    let (headers, body, _) = vector(name);
    let mut h: Vec<(&str, &str)> = headers
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    h.push(("Content-Type", "text/plain; charset=UTF-8"));
    post(
        s,
        &format!("/api/v1/integrations/{integration}"),
        &h,
        body.as_bytes(),
    )
}

#[test]
fn sns_subscriptions_are_confirmed_and_forgeries_refused() {
    let (_, _, cert) = vector("notification_v2");
    // The stand-in for SNS: the certificate first, then the confirmation.
    let sns = fake(vec![
        (200, cert),
        (200, String::from("<ConfirmSubscriptionResponse/>")),
    ]);
    let dir = temp_dir("sns");
    let file = dir.join("integrations.toml");
    std::fs::write(
        &file,
        r#"
[integrations.cloudwatch]
auth = "sns"
topic_arn = "arn:aws:sns:eu-west-1:123456789012:alerts"
sns_confirm = true

[integrations.manual]
auth = "sns"
"#,
    )
    .unwrap();
    let s = Server::start(
        &dir,
        &["--integrations", file.to_str().unwrap()],
        &[("ALERTGATE_TEST_SNS_ORIGIN", &sns.base)],
    );

    // A subscription confirmation: verified, then confirmed at its SubscribeURL.
    let r = send(&s, "cloudwatch", "subscription_confirmation_v2");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["notice"], "subscription_confirmation");
    let seen: Vec<String> = sns
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(p, _, _)| p.clone())
        .collect();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].ends_with(".pem"), "{seen:?}");
    assert!(
        seen[1].starts_with("/?Action=ConfirmSubscription"),
        "{seen:?}"
    );
    let notices = get(&s, "/api/v1/notices").json;
    assert_eq!(
        notices["notices"][0]["kind"], "subscription_confirmed",
        "{notices}"
    );
    assert_eq!(notices["notices"][0]["integration"], "cloudwatch");

    // A notification folds its alarm; the certificate is cached (no new fetch).
    let r = send(&s, "cloudwatch", "notification_v2");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["results"][0]["outcome"], "created", "{}", r.text);
    assert_eq!(sns.seen.lock().unwrap().len(), 2);

    // Forgeries: a changed message, another key, a certificate URL off SNS.
    for name in [
        "message_changed",
        "signed_by_another_key",
        "cert_host_evil",
        "cert_http",
    ] {
        let r = send(&s, "cloudwatch", name);
        assert_eq!(r.status, 401, "{name}: {}", r.text);
    }
    // Nothing was fetched from anywhere but SNS's validated URLs.
    assert_eq!(sns.seen.lock().unwrap().len(), 2);
    // A message of another topic than the pinned one is refused from its headers.
    let r = post(
        &s,
        "/api/v1/integrations/cloudwatch",
        &[
            ("x-amz-sns-message-type", "Notification"),
            (
                "x-amz-sns-topic-arn",
                "arn:aws:sns:eu-west-1:123456789012:other",
            ),
        ],
        b"{}",
    );
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (401, Some("invalid_token"))
    );

    // Without sns_confirm the confirmation is recorded, not confirmed.
    let r = send(&s, "manual", "subscription_confirmation_v1");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(sns.seen.lock().unwrap().len(), 2);
    let r = send(&s, "manual", "unsubscribe_confirmation");
    assert_eq!(r.status, 200, "{}", r.text);
    let kinds: Vec<String> = get(&s, "/api/v1/incidents").json["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "unsubscribed",
            "subscription_confirmation",
            "subscription_confirmed"
        ]
    );
}
