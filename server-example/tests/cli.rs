//! The `alertgate ingest` command as a user runs it: exit codes and output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn alertgate(args: &[&str], stdin: &[u8]) -> Output {
    alertgate_env(args, stdin, &[])
}

/// Runs the CLI with a clean LLM environment plus `env`.
fn alertgate_env(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_alertgate"));
    for var in [
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "ALERTGATE_LLM_API_KEY",
        "ALERTGATE_LLM_PROVIDER",
        "ALERTGATE_LLM_BASE_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The command may exit before reading stdin (a configuration error): a
    // broken pipe here is expected, not a failure.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn ingest_file_matches_the_shared_vector() {
    let body = vectors().join("alertmanager/firing_single.json");
    let out = alertgate(
        &[
            "ingest",
            "--content-type",
            "application/json",
            "-H",
            "User-Agent: Alertmanager/0.27.0",
            body.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0));
    let expected: Value = serde_json::from_slice(
        &std::fs::read(vectors().join("alertmanager/firing_single.expected.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json(&out), expected);
}

#[test]
fn ingest_reads_stdin_and_applies_options() {
    let out = alertgate(
        &["ingest", "--max-tier", "2", "-"],
        br#"{"tier": 3, "summary": "Disk full", "severity": "p1"}"#,
    );
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["tier"], 2);
    assert_eq!(v["alerts"][0]["severity"], "critical");
    assert_eq!(v["warnings"][0]["code"], "tier_clamped");
}

#[test]
fn pretty_output_is_the_same_document() {
    let body = br#"{"summary": "x", "status": "resolved"}"#;
    let compact = alertgate(&["ingest"], body);
    let pretty = alertgate(&["ingest", "--pretty"], body);
    assert!(pretty.stdout.len() > compact.stdout.len());
    assert_eq!(json(&compact), json(&pretty));
}

#[test]
fn rejected_input_prints_the_error_and_exits_1() {
    let out = alertgate(&["ingest"], b"  \n");
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["error"]["code"], "empty_body");
    assert_eq!(v["error"]["http_status"], 400);

    let out = alertgate(
        &["ingest", "--source", "alertmanager"],
        br#"{"title": "x"}"#,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["error"]["code"], "payload_mismatch");

    let out = alertgate(
        &["ingest", "--strict"],
        format!(r#"{{"title": "{}"}}"#, "x".repeat(201)).as_bytes(),
    );
    assert_eq!(json(&out)["error"]["code"], "field_too_long");

    let out = alertgate(&["ingest", "no/such/file.json"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["error"]["code"], "io_error");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        alertgate(&["ingest", "-H", "no-colon"], b"").status.code(),
        Some(2)
    );
    assert_eq!(
        alertgate(&["ingest", "--max-tier", "two"], b"")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(alertgate(&["frobnicate"], b"").status.code(), Some(2));
}

#[test]
fn sign_then_verify_round_trips_through_the_cli() {
    let body = br#"{"alerts":[]}"#;
    // (scheme, the signing secret, a rotated-out one, the secret that verifies)
    let v1a_seed = "whsk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let v1a_public = "whpk_A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=";
    for (scheme, secret, old, verify_with) in [
        ("github", "s3cret", "old", "s3cret"),
        ("slack", "s3cret", "old", "s3cret"),
        ("stripe", "s3cret", "old", "s3cret"),
        (
            "standard_webhooks",
            "whsec_c2VjcmV0LWtleS0wMTIz",
            "whsec_b2xkLWtleQ==",
            "whsec_c2VjcmV0LWtleS0wMTIz",
        ),
        (
            "svix",
            "whsec_c2VjcmV0LWtleS0wMTIz",
            "whsec_b2xkLWtleQ==",
            "whsec_c2VjcmV0LWtleS0wMTIz",
        ),
        // v1a: signed with the secret key, verified with the public key alone.
        (
            "standard_webhooks",
            v1a_seed,
            "whsec_b2xkLWtleQ==",
            v1a_public,
        ),
        ("pagerduty", "s3cret", "old", "s3cret"),
        ("bearer", "s3cret", "old", "s3cret"),
        ("basic", "ops:s3cret", "ops:old", "ops:s3cret"),
    ] {
        let signed = alertgate(
            &[
                "sign",
                "--scheme",
                scheme,
                "--secret",
                secret,
                "--timestamp",
                "1700000000",
            ],
            body,
        );
        assert_eq!(signed.status.code(), Some(0), "{scheme}");
        let headers = json(&signed);
        // A rotated-out secret first: any one verifying passes.
        let mut args = vec![
            "verify".to_owned(),
            "--scheme".into(),
            scheme.into(),
            "--secret".into(),
            old.into(),
        ];
        args.extend([
            "--secret".into(),
            verify_with.into(),
            "--now".into(),
            "1700000100".into(),
        ]);
        for (name, value) in headers.as_object().unwrap() {
            args.extend(["-H".into(), format!("{name}: {}", value.as_str().unwrap())]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = alertgate(&args, body);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{scheme}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(json(&out), serde_json::json!({"valid": true}));

        // The same headers on another body fail with a typed code.
        let out = alertgate(&args, br#"{"alerts":[1]}"#);
        assert_eq!(
            out.status.code(),
            Some(if matches!(scheme, "bearer" | "basic") {
                0
            } else {
                1
            }),
            "{scheme}"
        );
    }
}

#[test]
fn verify_checks_sns_messages_with_the_certificate_given() {
    let lines = std::fs::read_to_string(vectors().join("signatures/sns.jsonl")).unwrap();
    let dir = std::env::temp_dir().join(format!("alertgate-cli-sns-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = 0;
    for line in lines.lines() {
        let case: Value = serde_json::from_str(line).unwrap();
        let name = case["name"].as_str().unwrap();
        if !matches!(
            name,
            "notification_v2" | "wrong_certificate" | "cert_host_evil"
        ) {
            continue;
        }
        let cert = dir.join(format!("{name}.pem"));
        std::fs::write(&cert, case["certificate"].as_str().unwrap()).unwrap();
        let mut args = vec![
            "verify".to_owned(),
            "--scheme".into(),
            "sns".into(),
            "--cert".into(),
            cert.display().to_string(),
        ];
        for h in case["headers"].as_array().unwrap() {
            args.extend([
                "-H".into(),
                format!("{}: {}", h[0].as_str().unwrap(), h[1].as_str().unwrap()),
            ]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = alertgate(&args, case["body"].as_str().unwrap().as_bytes());
        let expect = case["expect"].as_str().unwrap();
        let got = json(&out);
        if expect == "valid" {
            assert_eq!(got, serde_json::json!({"valid": true}), "{name}");
        } else {
            assert_eq!(got["code"], expect, "{name}");
            assert_eq!(out.status.code(), Some(1), "{name}");
        }
        checked += 1;
    }
    assert_eq!(checked, 3);
    // Without a certificate, sns is a usage error, not a silent pass.
    let out = alertgate(&["verify", "--scheme", "sns"], b"{}");
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verify_reports_why() {
    let out = alertgate(
        &[
            "verify",
            "--scheme",
            "slack",
            "--secret",
            "k",
            "--now",
            "1700000000",
            "-H",
            "X-Slack-Request-Timestamp: 1600000000",
            "-H",
            "X-Slack-Signature: v0=00",
        ],
        b"x",
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["valid"], false);
    assert_eq!(v["code"], "timestamp_out_of_tolerance");

    let out = alertgate(&["verify", "--scheme", "github", "--secret", "k"], b"x");
    assert_eq!(json(&out)["code"], "missing_credentials");
}

#[test]
fn verify_configuration_errors_exit_2() {
    let cases: [&[&str]; 4] = [
        &["verify", "--scheme", "nope", "--secret", "k"],
        &["verify", "--scheme", "github", "--secret", " "],
        &[
            "verify", "--scheme", "github", "--secret", "k", "--prefix", "x",
        ],
        &[
            "verify",
            "--scheme",
            "hmac_sha256",
            "--secret",
            "k",
            "--signed-content",
            "{ts}.{body}",
        ],
    ];
    for args in cases {
        let out = alertgate(args, b"x");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(json(&out)["error"]["code"], "invalid_config", "{args:?}");
    }
    // No secret at all is a usage error.
    assert_eq!(
        alertgate(&["verify", "--scheme", "github"], b"x")
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn sign_matches_githubs_documented_example() {
    let out = alertgate(
        &[
            "sign",
            "--scheme",
            "github",
            "--secret",
            "It's a Secret to Everybody",
        ],
        b"Hello, World!",
    );
    assert_eq!(
        json(&out),
        serde_json::json!({"X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"})
    );
}

#[test]
fn ingest_with_a_mapping_file_and_explain() {
    let dir = std::env::temp_dir().join(format!("alertgate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mapping = dir.join("acme.json");
    std::fs::write(
        &mapping,
        r#"{"name": "acme", "title": "/check/name", "dedup": "/check/id"}"#,
    )
    .unwrap();
    let out = alertgate(
        &[
            "ingest",
            "--explain",
            "--mapping",
            mapping.to_str().unwrap(),
        ],
        br#"{"check": {"id": "c1", "name": "API down"}}"#,
    );
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["detection_reason"], "mapping acme");
    assert_eq!(v["alerts"][0]["title"], "API down");
    assert_eq!(v["explanation"]["fields"][0]["title"], "/check/name");

    std::fs::write(&mapping, r#"{"title": "check/name"}"#).unwrap();
    let out = alertgate(&["ingest", "--mapping", mapping.to_str().unwrap()], b"{}");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["error"]["code"], "invalid_mapping");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn brief_uses_the_template_offline() {
    let out = alertgate(
        &["ingest", "--brief"],
        br#"{"summary": "Disk full", "service": "db"}"#,
    );
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["synthesized_by"], "template");
    assert_eq!(v["model"], serde_json::Value::Null);
    assert!(v["brief"].as_str().unwrap().contains("Disk full"));
    // The canonical fields are all still there.
    assert_eq!(v["alerts"][0]["title"], "Disk full");
}

#[test]
fn brief_asks_the_configured_llm() {
    use std::io::{BufRead, BufReader, Read};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut len = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
            if line.trim().is_empty() {
                break;
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let reply = r#"{"content":[{"type":"text","text":"The db is full. Check /var."}]}"#;
        let mut stream = stream;
        write!(stream, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{reply}", reply.len()).unwrap();
        String::from_utf8(body).unwrap()
    });
    let out = alertgate_env(
        &["ingest", "--brief"],
        br#"{"summary": "Disk full", "tier": 2}"#,
        &[
            ("ALERTGATE_LLM_API_KEY", "k"),
            ("ALERTGATE_LLM_BASE_URL", &base),
            ("ALERTGATE_WEBHOOK_MODEL", "m1"),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = json(&out);
    assert_eq!(v["brief"], "The db is full. Check /var.");
    assert_eq!(v["synthesized_by"], "anthropic");
    assert_eq!(v["model"], "m1");
    let sent = server.join().unwrap();
    assert!(sent.contains(r#""model":"m1""#));
    assert!(!sent.contains("tier"), "{sent}");
}

#[test]
fn brief_errors_exit_1_with_the_error_json() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let out = alertgate_env(
        &["ingest", "--brief"],
        br#"{"summary": "x"}"#,
        &[
            ("ALERTGATE_LLM_API_KEY", "k"),
            ("ALERTGATE_LLM_BASE_URL", &base),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["error"]["code"], "transport");
    assert_eq!(v["error"]["http_status"], 502);
}
