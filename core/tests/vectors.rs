//! Runs every shared vector in `tests/vectors/` through `ingest` and compares
//! the full canonical JSON. `BLESS=1 cargo test -p alertgate --test vectors`
//! writes missing or changed `*.expected.json` files for review.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use alertgate::{Error, Limits, Mapping, Options, Request, Source, ingest};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// Every case: (source dir, case name, body path).
fn cases() -> Vec<(String, String, PathBuf)> {
    let mut out = Vec::new();
    for dir in fs::read_dir(vectors_dir()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let group = dir.file_name().unwrap().to_string_lossy().into_owned();
        // Signature vectors have their own runner (tests/signatures.rs).
        if group == "signatures" {
            continue;
        }
        for file in fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".expected.json") || name.ends_with(".request.json") {
                continue;
            }
            let case = name
                .rsplit_once('.')
                .map_or(name.clone(), |(c, _)| c.to_owned());
            out.push((group.clone(), case, path));
        }
    }
    out.sort();
    out
}

/// What a vector's `.request.json` says, applied the way every binding applies it.
fn run(body_path: &Path) -> Value {
    let body = fs::read(body_path).unwrap();
    let req_path = body_path.with_extension("request.json");
    let req: Value = fs::read(&req_path)
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Null);
    let content_type = req["content_type"].as_str();
    let headers: Vec<(String, String)> = req["headers"]
        .as_array()
        .map(|hs| {
            hs.iter()
                .map(|h| {
                    (
                        h[0].as_str().unwrap().to_owned(),
                        h[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();

    let opts = &req["options"];
    let mut options = Options::default();
    if let Some(src) = opts["source"].as_str() {
        match src.parse::<Source>() {
            Ok(s) => options.source_hint = Some(s),
            Err(e) => return error_json(&e),
        }
    }
    if let Some(t) = opts["max_tier"].as_u64() {
        options.max_tier = t as u32;
    }
    if opts["strict"].as_bool() == Some(true) {
        options.limits = Limits::strict();
    }
    // A mapping is passed as JSON text, as every binding passes it.
    if !opts["mapping"].is_null() {
        match Mapping::from_json(&opts["mapping"].to_string()) {
            Ok(m) => options.mapping = Some(m),
            Err(e) => return error_json(&e),
        }
    }
    let request = Request {
        body: &body,
        content_type,
        headers: &header_refs,
    };
    match ingest(&request, &options) {
        Ok(out) => serde_json::from_str(&out.to_json()).unwrap(),
        Err(e) => error_json(&e),
    }
}

fn error_json(e: &Error) -> Value {
    serde_json::from_str(&e.to_json()).unwrap()
}

#[test]
fn shared_vectors() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    let cases = cases();
    if std::env::var_os("VECTORS").is_none() {
        assert!(cases.len() >= 40, "only {} vectors found", cases.len());
    }
    for (group, case, path) in &cases {
        let got = run(path);
        let expected_path = path.with_file_name(format!("{case}.expected.json"));
        let expected: Option<Value> = fs::read(&expected_path)
            .ok()
            .map(|b| serde_json::from_slice(&b).unwrap());
        if expected.as_ref() == Some(&got) {
            continue;
        }
        if bless {
            let mut text = serde_json::to_string_pretty(&got).unwrap();
            text.push('\n');
            fs::write(&expected_path, text).unwrap();
            eprintln!("blessed {group}/{case}");
        } else {
            failures.push(format!(
                "{group}/{case}:\n  expected: {}\n  got:      {}",
                expected.map_or("<missing>".into(), |e| e.to_string()),
                got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} vectors differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_sender_and_error_code_has_vectors() {
    if std::env::var_os("VECTORS").is_some() {
        return; // a partial run cannot judge coverage
    }
    let cases = cases();
    for source in [
        "alertmanager",
        "grafana",
        "uptime_kuma",
        "healthchecks",
        "generic",
    ] {
        let n = cases.iter().filter(|(g, _, _)| g == source).count();
        assert!(n >= 4, "{source} has {n} vectors, want at least 4");
    }
    let codes: BTreeSet<String> = cases
        .iter()
        .filter(|(g, _, _)| g == "errors")
        .filter_map(|(_, _, p)| run(p)["error"]["code"].as_str().map(str::to_owned))
        .collect();
    for code in [
        "empty_body",
        "invalid_json",
        "invalid_utf8",
        "not_an_object",
        "payload_mismatch",
        "too_deep",
        "payload_too_large",
        "field_too_long",
        "unknown_source",
    ] {
        assert!(codes.contains(code), "no error vector yields {code}");
    }
}

/// Every sender vector, run with its headers removed (Content-Type kept), is
/// still attributed to its sender — except where its `.request.json` says
/// `"header_only": "<why>"`, and even then it is never taken for another sender.
#[test]
fn detection_without_headers() {
    let mut wrong = Vec::new();
    for (group, case, path) in cases() {
        if matches!(group.as_str(), "errors" | "generic" | "mappings") {
            continue;
        }
        let req: Value = fs::read(path.with_extension("request.json"))
            .map(|b| serde_json::from_slice(&b).unwrap())
            .unwrap_or(Value::Null);
        if !req["options"]["source"].is_null() {
            continue;
        }
        let body = fs::read(&path).unwrap();
        let request = Request {
            body: &body,
            content_type: req["content_type"].as_str(),
            headers: &[],
        };
        let got = match ingest(&request, &Options::default()) {
            Ok(out) => out.source.as_str().to_owned(),
            Err(e) => format!("error {}", e.code()),
        };
        let header_only = req["header_only"].as_str().is_some();
        let ok = got == group || (header_only && got == "generic");
        if !ok {
            wrong.push(format!("{group}/{case}: detected as {got} without headers"));
        }
        if header_only && got == group {
            wrong.push(format!(
                "{group}/{case}: marked header_only but the shape tells it"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
