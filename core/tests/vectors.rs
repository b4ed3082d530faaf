//! Runs every shared vector in `tests/vectors/` through `ingest` and compares
//! the full canonical JSON. `BLESS=1 cargo test -p alertgate --test vectors`
//! writes missing or changed `*.expected.json` files for review.

mod support;

use std::collections::BTreeSet;
use std::fs;

use alertgate::{Options, Request, ingest};
use serde_json::Value;
use support::{cases, result_json};

#[test]
fn shared_vectors() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    let cases = cases();
    if std::env::var_os("VECTORS").is_none() && !cfg!(miri) {
        assert!(cases.len() >= 40, "only {} vectors found", cases.len());
    }
    for case in &cases {
        let got = result_json(&case.ingest());
        let expected_path = case
            .path
            .with_file_name(format!("{}.expected.json", case.name));
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
        } else {
            failures.push(format!(
                "{}/{}:\n  expected: {}\n  got:      {}",
                case.group,
                case.name,
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
#[cfg_attr(miri, ignore)] // a census of the files, and Miri runs a sample of them
fn every_sender_and_error_code_has_vectors() {
    if std::env::var_os("VECTORS").is_some() {
        return; // a partial run cannot judge coverage
    }
    let cases = cases();
    for source in alertgate::Source::ALL {
        let n = cases.iter().filter(|c| c.group == source.as_str()).count();
        assert!(n >= 3, "{source} has {n} vectors, want at least 3");
    }
    let codes: BTreeSet<String> = cases
        .iter()
        .filter(|c| c.group == "errors")
        .filter_map(|c| c.ingest().err().map(|e| e.code().to_owned()))
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
#[cfg_attr(miri, ignore)] // the same readers as shared_vectors; Miri's time goes there
fn detection_without_headers() {
    let mut wrong = Vec::new();
    for case in cases() {
        if matches!(case.group.as_str(), "errors" | "generic" | "mappings") {
            continue;
        }
        let req = case.request();
        if !req["options"]["source"].is_null() {
            continue;
        }
        let body = case.body();
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
        if !(got == case.group || (header_only && got == "generic")) {
            wrong.push(format!(
                "{}/{}: detected as {got} without headers",
                case.group, case.name
            ));
        }
        if header_only && got == case.group {
            wrong.push(format!(
                "{}/{}: marked header_only but the shape tells it",
                case.group, case.name
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The one-pass readers (a sender named by hint or headers) give exactly what
/// the general path gives; explain mode always takes the general path.
#[test]
fn one_pass_matches_general_path() {
    let mut compared = 0;
    for case in cases() {
        let fast = case.ingest();
        let general = case.ingest_with(|o| o.explain = true).map(|mut out| {
            out.explanation = None;
            out
        });
        assert_eq!(fast, general, "{}/{}", case.group, case.name);
        compared += usize::from(matches!(case.group.as_str(), "alertmanager" | "grafana"));
    }
    assert!(
        compared >= if cfg!(miri) { 2 } else { 10 },
        "only {compared} Alertmanager/Grafana vectors"
    );
}

/// Explain mode accounts for every field of every vector: each origin is a
/// pointer, a derivation or "absent", never the reader's unexplained default.
#[test]
#[cfg_attr(miri, ignore)] // explain mode's general path also runs in one_pass_matches_general_path
fn explain_mode_covers_every_field() {
    let mut gaps = Vec::new();
    for case in cases() {
        let req = case.request();
        let body = case.body();
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
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let mut opts = Options::default();
        opts.explain = true;
        if let Some(s) = req["options"]["source"]
            .as_str()
            .and_then(|s| s.parse().ok())
        {
            opts.source_hint = Some(s);
        }
        let request = Request {
            body: &body,
            content_type: req["content_type"].as_str(),
            headers: &refs,
        };
        let Ok(out) = ingest(&request, &opts) else {
            continue;
        };
        let explanation = out.explanation.unwrap();
        assert_eq!(
            explanation.fields.len(),
            out.alerts.len(),
            "{}/{}",
            case.group,
            case.name
        );
        for (i, fields) in explanation.fields.iter().enumerate() {
            for (field, origin) in fields {
                if origin.contains("set by the sender's reader") {
                    gaps.push(format!("{}/{} alerts[{i}].{field}", case.group, case.name));
                }
            }
        }
    }
    assert!(
        gaps.is_empty(),
        "fields without a recorded origin:\n{}",
        gaps.join("\n")
    );
}
