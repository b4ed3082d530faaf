//! Properties: `ingest` never panics; dedup keys ignore JSON key order and
//! whitespace; a present tier is always within `1..=max_tier`.

use alertgate::{Options, Request, ingest};
use proptest::prelude::*;

const CONTENT_TYPES: &[&str] = &[
    "",
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=b",
    "multipart/form-data",
    "application/vnd.x+json; charset=utf-8",
];

const USER_AGENTS: &[&str] = &[
    "Alertmanager/0.27.0",
    "Grafana",
    "healthchecks.io",
    "Uptime-Kuma/1.23.0",
    "PagerDuty-Webhook/V3.0",
    "GitHub-Hookshot/abc123",
    "Bitbucket-Webhooks/2.0",
    "Amazon Simple Notification Service Agent",
    "IcMBroadcaster/1.0",
    "curl/8.0",
];

/// Event headers that steer some senders.
const EVENT_HEADERS: &[(&str, &str)] = &[
    ("X-GitHub-Event", "workflow_run"),
    ("X-GitHub-Event", "push"),
    ("X-Event-Key", "repo:commit_status_updated"),
    ("Sentry-Hook-Resource", "metric_alert"),
    ("x-amz-sns-message-type", "Notification"),
    ("X-SFX-Signature", "x"),
    ("X-Honeycomb-Webhook-Token", "x"),
];

/// Bytes that look a little like the payloads we read, so the fuzzing reaches past the first check.
fn bodies() -> impl Strategy<Value = Vec<u8>> {
    let fragments = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"alerts\"",
        "\"labels\"",
        "\"heartbeat\"",
        "\"monitor\"",
        "\"msg\"",
        "\"tier\"",
        "\"check\"",
        "\"ruleName\"",
        "\"orgId\"",
        "\"status\"",
        "null",
        "0",
        "-1",
        "1e400",
        "\"x\"",
        "\"\\u0000\"",
        "\"\\ud800\"",
        " ",
        "\n",
        "--b\r\n",
        "Content-Disposition: form-data; name=\"data\"\r\n\r\n",
        "\u{feff}",
        "é",
        "\u{0}",
    ]);
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(fragments, 0..60).prop_map(|f| f.concat().into_bytes()),
    ]
}

/// An arbitrary JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(Into::into),
        any::<i64>().prop_map(Into::into),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Into::into),
        "[a-z0-9 \\-:.]{0,12}".prop_map(Into::into),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop::sample::select(vec![
            "alerts",
            "labels",
            "annotations",
            "status",
            "fingerprint",
            "alertname",
            "severity",
            "heartbeat",
            "monitor",
            "msg",
            "name",
            "check",
            "tier",
            "title",
            "summary",
            "startsAt",
            "orgId",
            "ruleName",
            "evalMatches",
            "tags",
            "values",
            "id",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys.prop_map(str::to_owned), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Labels as a JSON object written in the given key order with the given spacing.
fn object_text(pairs: &[(String, String)], order: &[usize], space: &str) -> String {
    let members: Vec<String> = order
        .iter()
        .map(|&i| {
            let (k, v) = &pairs[i];
            format!(
                "{}{space}:{space}{}",
                serde_json::Value::from(k.as_str()),
                serde_json::Value::from(v.as_str())
            )
        })
        .collect();
    format!("{{{space}{}{space}}}", members.join(&format!(",{space}")))
}

proptest! {
    // PROPTEST_CASES raises the count for a longer local run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    #[cfg_attr(miri, ignore)]
    fn ingest_never_panics_on_bytes(
        body in bodies(),
        ct in prop::sample::select(CONTENT_TYPES),
        ua in prop::option::of(prop::sample::select(USER_AGENTS)),
        event in prop::option::of(prop::sample::select(EVENT_HEADERS)),
        hint in prop::option::of(prop::sample::select(alertgate::Source::ALL)),
        strict in any::<bool>(),
    ) {
        let mut headers: Vec<(&str, &str)> = ua.iter().map(|ua| ("User-Agent", *ua)).collect();
        headers.extend(event);
        let req = Request { body: &body, content_type: (!ct.is_empty()).then_some(ct), headers: &headers };
        let mut opts = Options::default();
        opts.source_hint = hint;
        opts.limits.strict = strict;
        if let Ok(out) = ingest(&req, &opts) {
            for a in &out.alerts {
                prop_assert!(!a.title.is_empty());
                prop_assert!(!a.dedup_key.is_empty() && a.dedup_key.len() <= 255);
            }
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn ingest_never_panics_on_json(
        v in json_value(),
        ua in prop::option::of(prop::sample::select(USER_AGENTS)),
        hint in prop::option::of(prop::sample::select(alertgate::Source::ALL)),
    ) {
        let body = serde_json::to_vec(&v).unwrap();
        let headers: Vec<(&str, &str)> = ua.iter().map(|ua| ("User-Agent", *ua)).collect();
        let req = Request { body: &body, content_type: Some("application/json"), headers: &headers };
        let mut opts = Options::default();
        opts.source_hint = hint;
        if let Ok(out) = ingest(&req, &opts) {
            prop_assert!(out.alerts.iter().all(|a| !a.title.is_empty() && !a.dedup_key.is_empty()));
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn dedup_key_ignores_key_order_and_whitespace(
        labels in prop::collection::btree_map("[a-z_]{1,8}", "[ -~]{0,10}", 1..6),
        title in "[a-zA-Z ]{1,20}",
        space in prop::sample::select(vec!["", " ", "\n  ", "\t"]),
        seed in any::<u64>(),
    ) {
        let pairs: Vec<(String, String)> = labels.into_iter().collect();
        let forward: Vec<usize> = (0..pairs.len()).collect();
        let mut shuffled = forward.clone();
        // A deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let key = |order: &[usize], sp: &str| {
            // Alertmanager alert without fingerprint: the labels basis.
            let am = format!(r#"{{"alerts":[{{"labels":{}}}]}}"#, object_text(&pairs, order, sp));
            let am = ingest(&Request::new(am.as_bytes()), &Options::default()).unwrap();
            // Generic payload: the content basis.
            let g = format!(
                r#"{{{sp}"labels":{},{sp}"title":{}{sp}}}"#,
                object_text(&pairs, order, sp),
                serde_json::Value::from(title.as_str())
            );
            let g = ingest(&Request::new(g.as_bytes()), &Options::default()).unwrap();
            (am.alerts[0].dedup_key.to_string(), g.alerts[0].dedup_key.to_string())
        };
        prop_assert_eq!(key(&forward, ""), key(&shuffled, space));
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn tier_is_always_within_range(tier in json_value(), max_tier in 1u32..10) {
        let body = format!(r#"{{"title":"t","tier":{}}}"#, tier);
        let mut opts = Options::default();
        opts.max_tier = max_tier;
        let out = ingest(&Request::new(body.as_bytes()), &opts).unwrap();
        if let Some(t) = out.tier {
            prop_assert!((1..=max_tier).contains(&t));
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn integer_tiers_clamp(tier in any::<i64>(), max_tier in 1u32..10) {
        let body = format!(r#"{{"title":"t","tier":{tier}}}"#);
        let mut opts = Options::default();
        opts.max_tier = max_tier;
        let out = ingest(&Request::new(body.as_bytes()), &opts).unwrap();
        prop_assert_eq!(out.tier, Some(tier.clamp(1, i64::from(max_tier)) as u32));
    }

    /// The one-pass reader (sender named by its User-Agent) answers exactly as
    /// the general path (which explain mode always takes), errors included.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn one_pass_matches_general_path(
        body in am_group(),
        ua in prop::sample::select(vec!["Alertmanager/0.27.0", "Grafana/11"]),
        max_depth in 1usize..8,
        max_value_chars in prop::sample::select(vec![8usize, 2048]),
        strict in any::<bool>(),
    ) {
        let headers = [("User-Agent", ua)];
        let req = Request { body: body.as_bytes(), content_type: Some("application/json"), headers: &headers };
        let mut opts = Options::default();
        opts.limits.max_depth = max_depth;
        opts.limits.max_value_chars = max_value_chars;
        opts.limits.strict = strict;
        let fast = ingest(&req, &opts);
        opts.explain = true;
        let general = ingest(&req, &opts).map(|mut out| {
            out.explanation = None;
            out
        });
        prop_assert_eq!(fast, general, "{}", body);
    }
}

/// A JSON text for one member value the one-pass reader must judge: text,
/// numbers, null, nesting (to hand back), escapes and NULs.
fn member_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_owned()),
        Just("\"firing\"".to_owned()),
        Just("\"resolved\"".to_owned()),
        Just("\"  pending \"".to_owned()),
        Just("\"\\u0000crit\\u0000ical\"".to_owned()),
        Just("\"2024-05-14T10:02:16Z\"".to_owned()),
        Just("\"0001-01-01T00:00:00Z\"".to_owned()),
        Just("\"http://x.example/\\u00e9\"".to_owned()),
        Just("\"pair \\ud83d\\ude00 lone \\ud800\"".to_owned()),
        Just("\"\\ud83d\\ude00 \\\"q\\\" \\/ \\t\"".to_owned()),
        Just("\"raw\ttab\"".to_owned()),
        Just("\"bad \\x escape\"".to_owned()),
        Just("1e400".to_owned()),
        Just("01".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("3".to_owned()),
        Just("-2.5e3".to_owned()),
        Just("true".to_owned()),
        Just("[]".to_owned()),
        Just("{\"a\":[[[[[[1]]]]]]}".to_owned()),
        "[a-z ]{0,40}".prop_map(|s| format!("\"{s}\"")),
    ]
}

/// An object text from (key, value text) members, duplicates allowed.
fn members(
    keys: Vec<&'static str>,
    value: impl Strategy<Value = String>,
) -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(keys), value), 0..8).prop_map(|ms| {
        let inner: Vec<String> = ms.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", inner.join(","))
    })
}

fn am_alert() -> impl Strategy<Value = String> {
    let labels = members(
        vec![
            "alertname",
            "severity",
            "instance",
            "service",
            "api_key",
            "env",
        ],
        member_value(),
    );
    let scalar_keys = vec![
        "status",
        "startsAt",
        "endsAt",
        "generatorURL",
        "fingerprint",
        "dashboardURL",
        "panelURL",
        "silenceURL",
        "imageURL",
        "valueString",
        "extra",
        "st\\u0061tus",
    ];
    // Mostly distinct keys (as senders write them), sometimes a duplicate.
    (
        prop::collection::btree_map(prop::sample::select(scalar_keys), member_value(), 0..6),
        prop::collection::btree_map(
            prop::sample::select(vec!["labels", "annotations", "values"]),
            labels,
            0..3,
        ),
        prop::option::weighted(0.05, (Just("status"), member_value())),
        prop::bool::weighted(0.7),
    )
        .prop_map(|(scalars, maps, dup, own_status)| {
            let mut ms: Vec<String> = scalars
                .iter()
                .chain(maps.iter())
                .chain(dup.iter().map(|(k, v)| (k, v)))
                .map(|(k, v)| format!("\"{k}\":{v}"))
                .collect();
            if !scalars.contains_key("status") && own_status {
                ms.insert(0, "\"status\":\"firing\"".to_owned());
            }
            format!("{{{}}}", ms.join(","))
        })
}

fn am_group() -> impl Strategy<Value = String> {
    let keys = vec![
        "status",
        "groupKey",
        "externalURL",
        "receiver",
        "tier",
        "truncatedAlerts",
    ];
    let value = prop_oneof![member_value(), Just("7".to_owned()), Just("0".to_owned())];
    (
        prop::collection::btree_map(prop::sample::select(keys), value, 0..5),
        prop::collection::vec(am_alert(), 0..4),
        0usize..10,
        any::<bool>(),
    )
        .prop_map(|(top, alerts, at, spaced)| {
            let mut ms: Vec<String> = top.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let alerts = match at {
                9 => "\"alerts\":null".to_owned(),
                _ => format!("\"alerts\":[{}]", alerts.join(",")),
            };
            // `alerts` anywhere among the group's fields, or (rarely) missing or twice.
            match at {
                0 => {}
                1 => {
                    ms.push(alerts.clone());
                    ms.push(alerts);
                }
                _ => ms.insert(at.min(ms.len()), alerts),
            }
            let body = format!("{{{}}}", ms.join(","));
            // Whitespace wherever JSON allows it (and, harmlessly, in some texts).
            if spaced {
                format!(" \n{}\t\r", body.replace(',', " ,\n\t").replace(':', " : "))
            } else {
                body
            }
        })
}
