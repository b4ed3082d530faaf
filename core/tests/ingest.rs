//! Behaviour of `ingest` beyond the shared vectors: limits, options, detection
//! corner cases and the dedup rules.

use alertgate::{
    DedupBasis, DetectedBy, Error, Limits, Options, Request, Severity, Source, Status, WarningCode,
    content_key, ingest, labels_fingerprint, strip_tier,
};

fn run(body: &str) -> alertgate::Ingest<'static> {
    ingest(&Request::new(body.as_bytes()), &Options::default())
        .unwrap()
        .into_owned()
}

fn run_err(body: &[u8], opts: &Options) -> Error {
    ingest(&Request::new(body), opts).unwrap_err()
}

fn codes(out: &alertgate::Ingest<'_>) -> Vec<WarningCode> {
    out.warnings.iter().map(|w| w.code).collect()
}

#[test]
#[cfg_attr(miri, ignore)] // 10 000 alerts: minutes under Miri, the same code paths as the smaller tests
fn a_group_of_ten_thousand_alerts_is_fine() {
    let alerts: Vec<String> = (0..10_000)
        .map(|i| format!(r#"{{"status":"firing","labels":{{"alertname":"A","instance":"n{i}"}}}}"#))
        .collect();
    let body = format!(
        r#"{{"version":"4","status":"firing","alerts":[{}]}}"#,
        alerts.join(",")
    );
    let out = run(&body);
    assert_eq!(out.alerts.len(), 10_000);
    let keys: std::collections::BTreeSet<_> = out.alerts.iter().map(|a| &a.dedup_key).collect();
    assert_eq!(
        keys.len(),
        10_000,
        "label fingerprints must differ per instance"
    );
}

/// An Alertmanager group of `n` alerts, the first `first` bytes of filler
/// longer or shorter than the rest, read by its one-pass reader.
fn am_group(n: usize, first: usize, rest: usize) -> Vec<u8> {
    let alerts: Vec<String> = (0..n)
        .map(|i| {
            let pad = "x".repeat(if i == 0 { first } else { rest });
            format!(r#"{{"status":"firing","labels":{{"alertname":"A{i}","pad":"{pad}"}}}}"#)
        })
        .collect();
    format!(
        r#"{{"status":"firing","alerts":[{}],"groupLabels":{{"alertname":"A"}}}}"#,
        alerts.join(",")
    )
    .into_bytes()
}

#[test]
fn a_group_of_alike_alerts_is_allocated_at_its_size_and_a_small_first_alert_reserves_nothing() {
    let headers = [("User-Agent", "Alertmanager/0.27.0")];
    let read = |body: &[u8]| {
        let req = Request {
            body,
            content_type: Some("application/json"),
            headers: &headers,
        };
        let alerts = ingest(&req, &Options::default()).unwrap().alerts;
        (alerts.len(), alerts.capacity())
    };
    // Alike alerts of 300-odd bytes: one allocation of room for them all.
    let (len, capacity) = read(&am_group(12, 300, 300));
    assert_eq!(len, 12);
    assert!((12..=13).contains(&capacity), "{capacity}");
    // A small first alert is no size to go by: the list grows as a Vec does,
    // not to the thousands of alerts the rest of the body could hold at its size.
    let (len, capacity) = read(&am_group(3, 0, 1000));
    assert_eq!(len, 3);
    assert!(capacity <= 8, "{capacity}");
    // Larger alerts after the first: the reserved room is used up and the list grows on.
    assert_eq!(read(&am_group(8, 300, 600)).0, 8);
}

#[test]
fn header_that_does_not_fit_falls_through_with_a_warning() {
    let body = br#"{"summary": "custom template", "severity": "low"}"#;
    let headers = [("user-agent", "Alertmanager/0.27.0")];
    let req = Request {
        body,
        content_type: Some("application/json"),
        headers: &headers,
    };
    let out = ingest(&req, &Options::default()).unwrap();
    assert_eq!(out.source, Source::Generic);
    assert_eq!(out.detected_by, DetectedBy::Fallback);
    assert_eq!(codes(&out), [WarningCode::HeaderMismatch]);
    assert_eq!(out.alerts[0].severity, Severity::Info);
}

#[test]
fn hint_mismatch_names_the_missing_field() {
    let e = run_err(
        br#"{"title": "x"}"#,
        &Options::with_source(Source::Alertmanager),
    );
    assert_eq!(e.code(), "payload_mismatch");
    assert_eq!(e.http_status(), 400);
    assert!(
        e.to_string().contains("missing required field 'alerts'"),
        "{e}"
    );

    let e = run_err(
        br#"{"alerts": "nope"}"#,
        &Options::with_source(Source::Alertmanager),
    );
    assert_eq!(e.code(), "payload_mismatch");
    assert!(e.to_string().contains("invalid type"), "{e}");

    let e = run_err(b"plain words", &Options::with_source(Source::Grafana));
    assert!(e.to_string().contains("plain text"), "{e}");
}

#[test]
fn every_source_id_has_a_reader() {
    // A hint never answers unsupported_source: each id reads (or rejects) the payload.
    for source in Source::ALL {
        let e = ingest(&Request::new(b"{\"x\": 1}"), &Options::with_source(*source));
        if let Err(e) = e {
            assert_ne!(e.code(), "unsupported_source", "{source}");
        }
    }
}

#[test]
fn a_shape_that_is_not_an_alertmanager_list_is_read_generically() {
    let out = run(r#"{"alerts": "three", "title": "odd"}"#);
    assert_eq!(out.source, Source::Generic);
    assert_eq!(out.alerts[0].annotations["alerts"], "three");
}

#[test]
fn severity_overrides_come_first() {
    let mut opts = Options::default();
    opts.severity_overrides = vec![
        ("Disaster".into(), Severity::Critical),
        ("warning".into(), Severity::Error),
    ];
    for (word, want) in [
        ("disaster", Severity::Critical),
        (" WARNING ", Severity::Error),
        ("low", Severity::Info),
    ] {
        let body = format!(r#"{{"title": "t", "severity": "{word}"}}"#);
        let out = ingest(&Request::new(body.as_bytes()), &opts).unwrap();
        assert_eq!(out.alerts[0].severity, want, "{word}");
        assert_eq!(out.alerts[0].severity_raw.as_deref(), Some(word));
    }
}

#[test]
fn status_fails_open_and_severity_defaults_follow_the_rules() {
    let out = run(r#"{"title": "t", "status": "flapping"}"#);
    assert_eq!(out.alerts[0].status, Status::Triggered);
    assert_eq!(codes(&out), [WarningCode::UnknownStatus]);
    assert_eq!(out.alerts[0].severity, Severity::Warning);

    let out = run(r#"{"title": "t", "status": "resolved"}"#);
    assert_eq!(out.alerts[0].severity, Severity::Info);

    // An explicit severity is kept on resolve.
    let out = run(r#"{"title": "t", "status": "resolved", "severity": "critical"}"#);
    assert_eq!(out.alerts[0].severity, Severity::Critical);

    // An unknown severity warns and uses the default rule.
    let out = run(r#"{"title": "t", "severity": "catastrophic"}"#);
    assert_eq!(out.alerts[0].severity, Severity::Warning);
    assert_eq!(codes(&out), [WarningCode::UnknownSeverity]);

    // An availability failure without severity is critical.
    let out = run(r#"{"heartbeat": {"status": 0}, "monitor": {"name": "web"}, "msg": "down"}"#);
    assert_eq!(out.alerts[0].severity, Severity::Critical);
}

#[test]
fn long_fields_are_cut_with_warnings_or_rejected_when_strict() {
    let body = format!(
        r#"{{"title": "t", "description": "{}", "labels": {{"{}": "{}"}}}}"#,
        "d".repeat(2500),
        "k".repeat(300),
        "v".repeat(5000)
    );
    let out = run(&body);
    let a = &out.alerts[0];
    assert_eq!(a.description.as_ref().unwrap().chars().count(), 2000);
    assert!(a.description.as_ref().unwrap().ends_with('…'));
    let (k, v) = a.labels.iter().next().unwrap();
    assert_eq!(k.chars().count(), 256);
    assert_eq!(v.chars().count(), 4096);
    assert_eq!(
        codes(&out),
        [
            WarningCode::DescriptionTruncated,
            WarningCode::LabelTruncated,
            WarningCode::LabelTruncated
        ]
    );

    let mut strict = Options::default();
    strict.limits = Limits::strict();
    match run_err(body.as_bytes(), &strict) {
        Error::FieldTooLong { field, limit } => {
            assert_eq!(field, "alerts[0].description");
            assert_eq!(limit, 2000);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn body_limit_is_checked_before_anything_else() {
    let mut opts = Options::default();
    opts.limits.max_body_bytes = 16;
    let e = run_err(&[b'{'; 17], &opts);
    assert_eq!(
        e,
        Error::PayloadTooLarge {
            size: 17,
            limit: 16
        }
    );
    assert_eq!(e.http_status(), 413);
}

#[test]
fn nul_characters_are_stripped_from_every_output_string() {
    let out =
        run(r#"{"title": "a\u0000b", "service": "s\u0000", "labels": {"k\u0000": "v\u0000"}}"#);
    let a = &out.alerts[0];
    assert_eq!(a.title, "ab");
    assert_eq!(a.service.as_deref(), Some("s"));
    assert_eq!(a.labels["k"], "v");
    assert!(!out.to_json().contains("\\u0000"));
}

#[test]
fn dedup_rules() {
    // Vendor keys over 255 bytes are hashed.
    let body = format!(r#"{{"title": "t", "dedup_key": "{}"}}"#, "k".repeat(300));
    let a = &run(&body).alerts[0];
    assert_eq!(a.dedup_basis, DedupBasis::Vendor);
    assert_eq!(a.dedup_key, "sha256:17b16d8ef494060fefa36a6a41567b8c");

    // Labels basis is the Alertmanager fingerprint of the output labels.
    let a = &run(r#"{"alerts": [{"labels": {"alertname": "X", "job": "j"}}]}"#).alerts[0];
    assert_eq!(a.dedup_basis, DedupBasis::Labels);
    let labels: Vec<(&str, &str)> = a.labels.iter().collect();
    assert_eq!(a.dedup_key, labels_fingerprint(&labels));

    // Content basis: the documented layout (vector computed independently).
    let a = &run(r#"{"title": "disk full", "service": "postgres", "host": "db1.example.net"}"#)
        .alerts[0];
    assert_eq!(a.dedup_basis, DedupBasis::Content);
    assert_eq!(a.dedup_key, "819882cf5bad6089fe02992ac82f640a");
    assert_eq!(
        content_key("generic", None, None, "disk full"),
        "a4de3b02e0202bc9300d31598540b34d"
    );
}

#[test]
fn content_type_rules() {
    // SNS posts JSON as text/plain.
    let req = Request {
        body: br#"{"summary": "from sns"}"#,
        content_type: Some("text/plain; charset=UTF-8"),
        headers: &[],
    };
    assert_eq!(
        ingest(&req, &Options::default()).unwrap().alerts[0].title,
        "from sns"
    );

    // Text that only looks like JSON stays text.
    let out = run("{not json} but an alert");
    assert_eq!(out.alerts[0].title, "{not json} but an alert");

    // Declared JSON must parse.
    let req = Request {
        body: b"{\n  \"a\": 1,\n  ]\n}",
        content_type: Some("application/vnd.api+json"),
        headers: &[],
    };
    match ingest(&req, &Options::default()).unwrap_err() {
        Error::InvalidJson { line, column, .. } => assert_eq!((line, column), (3, 3)),
        other => panic!("{other:?}"),
    }

    // The Content-Type header is used when no content type is passed.
    let headers = [("Content-Type", "application/x-www-form-urlencoded")];
    let req = Request {
        body: b"title=Queue+stuck&severity=err",
        content_type: None,
        headers: &headers,
    };
    let out = ingest(&req, &Options::default()).unwrap();
    assert_eq!(out.alerts[0].title, "Queue stuck");
    assert_eq!(out.alerts[0].severity, Severity::Error);
}

#[test]
fn multipart_without_a_data_field_is_read_as_a_form() {
    let body = b"--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nBackup failed\r\n--b\r\nContent-Disposition: form-data; name=\"level\"\r\n\r\ncrit\r\n--b--\r\n";
    let req = Request {
        body,
        content_type: Some("multipart/form-data; boundary=b"),
        headers: &[],
    };
    let out = ingest(&req, &Options::default()).unwrap();
    assert_eq!(out.alerts[0].title, "Backup failed");
    assert_eq!(out.alerts[0].severity, Severity::Critical);
}

#[test]
fn warnings_are_capped() {
    let alerts: Vec<&str> = (0..150)
        .map(|_| r#"{"labels": {"alertname": "A"}, "startsAt": "soon"}"#)
        .collect();
    let out = run(&format!(r#"{{"alerts": [{}]}}"#, alerts.join(",")));
    assert_eq!(out.warnings.len(), 101);
    assert_eq!(out.warnings[100].code, WarningCode::TooManyWarnings);
    assert!(out.warnings[100].message.starts_with("50 more"));
}

#[test]
fn invalid_config_are_a_server_error() {
    let mut opts = Options::default();
    opts.max_tier = 0;
    let e = run_err(b"{}", &opts);
    assert_eq!((e.code(), e.http_status()), ("invalid_config", 500));
}

#[test]
fn tier_rules() {
    for (tier, want, warning) in [
        ("2", Some(2), None),
        ("2.0", Some(2), None),
        ("9", Some(3), Some(WarningCode::TierClamped)),
        ("1e30", Some(3), Some(WarningCode::TierClamped)),
        ("-4", Some(1), Some(WarningCode::TierOutOfRange)),
        ("1.5", None, Some(WarningCode::TierInvalid)),
        ("\"2\"", None, Some(WarningCode::TierInvalid)),
        ("[2]", None, Some(WarningCode::TierInvalid)),
        ("null", None, None),
    ] {
        let out = run(&format!(
            r#"{{"tier": {tier}, "title": "t", "severity": "info"}}"#
        ));
        assert_eq!(out.tier, want, "{tier}");
        assert_eq!(
            codes(&out),
            warning.into_iter().collect::<Vec<_>>(),
            "{tier}"
        );
        assert_eq!(
            out.alerts[0].severity,
            Severity::Info,
            "tier never changes severity"
        );
    }
    // Tier only comes from JSON bodies.
    assert_eq!(run("tier=3&title=t").tier, None);
}

#[test]
fn strip_tier_is_public_and_leaves_other_bytes_alone() {
    let body = b"{\"tier\": 2, \"monitor\": {\"name\": \"Gitea\", \"tier\": 9}}";
    assert_eq!(
        &*strip_tier(body),
        b"{\"monitor\": {\"name\": \"Gitea\", \"tier\": 9}}"
    );
}

#[test]
fn source_ids_round_trip() {
    for s in Source::ALL {
        assert_eq!(s.as_str().parse::<Source>().unwrap(), *s);
    }
    assert_eq!("Uptime-Kuma".parse::<Source>().unwrap(), Source::UptimeKuma);
    assert_eq!(Source::ALL.len(), 25);
    assert_eq!(
        "nope".parse::<Source>().unwrap_err().code(),
        "unknown_source"
    );
}

#[test]
fn a_title_of_only_nul_characters_counts_as_missing() {
    let out = run("\u{0} \nsecond line");
    assert_eq!(out.alerts[0].title, "second line");
    assert_eq!(codes(&out), [WarningCode::TitleMissing]);
}

#[test]
fn explain_mode_says_where_fields_came_from() {
    let body = br#"{"alerts":[{"status":"firing","labels":{"alertname":"A","severity":"page"}},{"labels":{"alertname":"B"}}],"status":"resolved"}"#;
    assert!(
        run(std::str::from_utf8(body).unwrap())
            .explanation
            .is_none()
    );
    assert!(
        !run(std::str::from_utf8(body).unwrap())
            .to_json()
            .contains("explanation")
    );

    let mut opts = Options::default();
    opts.explain = true;
    let out = ingest(&Request::new(body), &opts).unwrap();
    let e = out.explanation.as_ref().unwrap();
    let matched: Vec<_> = e.detection.iter().filter(|s| s.matched).collect();
    assert_eq!(matched.len(), 1);
    assert_eq!(
        (matched[0].source, matched[0].by),
        (Source::Alertmanager, DetectedBy::Shape)
    );
    assert!(
        e.detection
            .iter()
            .any(|s| s.source == Source::Grafana && !s.matched)
    );

    let first = &e.fields[0];
    assert_eq!(first["title"], "/alerts/0/labels/alertname");
    assert_eq!(first["status"], "/alerts/0/status");
    assert_eq!(
        first["severity"],
        "/alerts/0/labels/severity via vocabulary"
    );
    assert_eq!(
        first["dedup_key"],
        "Alertmanager fingerprint of the labels (FNV-1a 64)"
    );
    assert_eq!(first["service"], "absent");
    // The second alert has no status of its own: the group's decides.
    assert_eq!(e.fields[1]["status"], "/status");
    assert_eq!(e.fields[1]["severity"], "default: resolved → info");
    // Every canonical field is explained for every alert.
    for fields in &e.fields {
        for key in [
            "title",
            "description",
            "severity",
            "severity_raw",
            "status",
            "dedup_key",
            "service",
            "host",
            "labels",
            "annotations",
            "started_at",
            "ended_at",
            "links",
            "source_ref",
        ] {
            assert!(fields.contains_key(key), "{key} missing from {fields:?}");
        }
    }
    assert!(out.to_json().contains(r#""explanation":{"detection":"#));
}

#[test]
fn explain_names_the_spelling_sent() {
    let mut opts = Options::default();
    opts.explain = true;
    let body = br#"{"monitor_id":"7","monitor_friendly_name":"Shop","alert.type":"1","alertTypeFriendlyName":"Down"}"#;
    let out = ingest(&Request::new(body), &opts).unwrap();
    let f = &out.explanation.as_ref().unwrap().fields[0];
    assert_eq!(f["title"], "/monitor_friendly_name");
    assert_eq!(f["source_ref"], "/monitor_id");
    assert_eq!(f["status"], "/alert.type (1 = down)");

    let body =
        br#"{"alertId":"9","alert.transition":"Recovered","eventTitle":"Disk","host":"db-1"}"#;
    let out = ingest(&Request::new(body), &opts).unwrap();
    let f = &out.explanation.as_ref().unwrap().fields[0];
    assert_eq!(f["source_ref"], "/alertId");
    assert_eq!(f["status"], "/alert.transition");
    assert_eq!(f["title"], "/eventTitle");
    assert_eq!(f["host"], "/host");
}

#[test]
fn explain_mode_shows_header_fallthrough() {
    let mut opts = Options::default();
    opts.explain = true;
    let headers = [("User-Agent", "Grafana")];
    let req = Request {
        body: b"CRITICAL: db down",
        content_type: None,
        headers: &headers,
    };
    let out = ingest(&req, &opts).unwrap();
    let e = out.explanation.unwrap();
    let grafana = e
        .detection
        .iter()
        .find(|s| s.source == Source::Grafana && s.by == DetectedBy::Header)
        .unwrap();
    assert!(grafana.matched);
    assert!(grafana.note.as_ref().unwrap().contains("plain text"));
    assert_eq!(e.fields[0]["title"], "the text's first non-empty line");
    assert_eq!(
        e.fields[0]["severity"],
        "the text's leading severity word via vocabulary"
    );
}

#[test]
fn secret_looking_fields_never_reach_the_output() {
    let body = br#"{"summary": "x", "api_key": "sk-live-1", "auth": {"password": "hunter2", "user": "ops"},
                   "labels": {"X-Token": "t0k", "env": "prod"}}"#;
    let out = run(std::str::from_utf8(body).unwrap());
    let json = out.to_json();
    for secret in ["sk-live-1", "hunter2", "t0k"] {
        assert!(!json.contains(secret), "{secret} leaked: {json}");
    }
    let a = &out.alerts[0];
    assert_eq!(a.annotations["api_key"], "[redacted]");
    assert_eq!(a.labels["X-Token"], "[redacted]");
    assert!(a.annotations["auth"].contains(r#""user":"ops""#));
}

#[test]
fn event_headers_name_the_event() {
    let body = br#"{"action": "created", "repository": {"full_name": "acme/api"}, "sender": {"login": "x"}, "workflow_run": {"id": 1}}"#;
    let headers = [("X-GitHub-Event", "deployment_status")];
    let req = Request {
        body,
        content_type: Some("application/json"),
        headers: &headers,
    };
    let out = ingest(&req, &Options::default()).unwrap();
    assert_eq!(out.source, Source::Github);
    assert_eq!(out.notice, Some(alertgate::Notice::NotAnAlert));
    assert_eq!(out.annotations["event"], "deployment_status");
    assert!(out.alerts.is_empty());
}

#[test]
fn a_wrong_typed_optional_field_is_skipped_and_the_alert_kept() {
    // Opsgenie documents responders as objects; some integrations send names.
    let body = br#"{"action": "Create", "integrationName": "ops-hook",
        "alert": {"alertId": "a-77", "message": "queue depth high", "priority": "P2",
                  "responders": ["night-shift", "db-team"], "tags": ["queue"]}}"#;
    let out = ingest(&Request::new(body), &Options::default()).unwrap();
    assert_eq!(out.source, Source::Opsgenie);
    assert_eq!(out.alerts.len(), 1);
    assert_eq!(out.alerts[0].title, "queue depth high");
    assert_eq!(out.alerts[0].status, Status::Triggered);
    assert_eq!(codes(&out), [WarningCode::FieldIgnored]);
    let w = &out.warnings[0].message;
    assert!(w.contains("'/alert/responders'"), "{w}");
    assert!(w.contains("expected struct"), "{w}");

    // PagerDuty's Python SDKs serialise a missing reference as "None".
    let body =
        br#"{"event": {"id": "E1", "event_type": "incident.triggered", "resource_type": "incident",
        "data": {"id": "Q1", "type": "incident", "title": "checkout latency", "status": "triggered",
                 "priority": "None", "service": {"id": "S1", "summary": "checkout"}}}}"#;
    let out = ingest(&Request::new(body), &Options::default()).unwrap();
    assert_eq!(out.source, Source::Pagerduty);
    assert_eq!(out.alerts[0].title, "checkout latency");
    assert_eq!(codes(&out), [WarningCode::FieldIgnored]);
    assert!(out.warnings[0].message.contains("'/event/data/priority'"));

    // A hint reads the same way: the field is optional.
    let out = ingest(
        &Request::new(body),
        &Options::with_source(Source::Pagerduty),
    )
    .unwrap();
    assert_eq!(out.alerts.len(), 1);
}

#[test]
fn a_body_of_a_detected_shape_that_cannot_be_read_falls_back_to_generic() {
    let body = br#"{"alerts": ["disk full on db-3", "still full"], "status": "firing"}"#;
    let out = ingest(&Request::new(body), &Options::default()).unwrap();
    assert_eq!(out.source, Source::Generic);
    assert_eq!(out.detected_by, DetectedBy::Fallback);
    assert_eq!(out.alerts.len(), 1);
    assert_eq!(out.warnings[0].code, WarningCode::ShapeMismatch);
    assert!(out.detection_reason.contains("alertmanager"));
    // Only an explicit hint refuses it.
    let e = run_err(body, &Options::with_source(Source::Alertmanager));
    assert_eq!(e.code(), "payload_mismatch");
}

#[test]
fn titles_come_from_the_human_text_before_any_placeholder() {
    let title = |body: &str| run(body).alerts[0].title.to_string();
    assert_eq!(
        title(r#"{"subject": "Backup job failed", "event": "firing", "host": "nas-2"}"#),
        "Backup job failed"
    );
    // A status word is not a title.
    assert_eq!(
        title(r#"{"event": "resolved", "trigger": "Disk I/O stalled on nas-2"}"#),
        "Disk I/O stalled on nas-2"
    );
    assert_eq!(
        title(r#"{"monitor_friendly_name": "Billing API", "alert_type_friendly_name": "Down"}"#),
        "Billing API"
    );
    let out = run(r#"{"message": "Replica lag above 30s\nsince 04:10", "service": "pg"}"#);
    assert_eq!(out.alerts[0].title, "Replica lag above 30s");
    assert!(codes(&out).is_empty(), "{:?}", out.warnings);
    // The description's first line before service and host.
    let out = run(r#"{"error": "OOM killed\nworker 3", "service": "queue", "host": "w3"}"#);
    assert_eq!(out.alerts[0].title, "OOM killed");
    assert_eq!(codes(&out), [WarningCode::TitleMissing]);
    // Only a body without any human text gets the placeholder.
    assert_eq!(title(r#"{"severity": "high"}"#), "generic alert");
}
