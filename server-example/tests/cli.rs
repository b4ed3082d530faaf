//! The `alertgate ingest` command as a user runs it: exit codes and output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn alertgate(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_alertgate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
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
