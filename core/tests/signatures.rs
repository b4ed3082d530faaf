//! Runs `tests/vectors/signatures/*.jsonl` (computed independently by `gen.py`
//! there: Python's hmac/hashlib/base64, and `cryptography` for ed25519 and
//! SNS's RSA) through `Verifier` (with the case's certificate for SNS), and
//! checks that `sign` reproduces the headers where a case asks for it.

use std::fs;
use std::path::Path;

use alertgate::{Error, Scheme, Verifier, VerifyOptions};
use serde_json::Value;

fn options(o: &Value) -> Result<VerifyOptions, Error> {
    let mut opts = VerifyOptions::default();
    let text = |k: &str| o[k].as_str().map(str::to_owned);
    if let Some(t) = o["tolerance"].as_u64() {
        opts.tolerance = t;
    }
    opts.signature_header = text("signature_header");
    opts.timestamp_header = text("timestamp_header");
    opts.id_header = text("id_header");
    opts.prefix = text("prefix");
    opts.topic_arn = text("topic_arn");
    if let Some(unit) = text("timestamp_unit") {
        opts.timestamp_unit = unit.parse()?;
    }
    if let Some(t) = text("signed_content") {
        opts.signed_content = Some(t.parse()?);
    }
    Ok(opts)
}

fn verifier(case: &Value) -> Result<Verifier, Error> {
    let scheme: Scheme = case["scheme"].as_str().unwrap().parse()?;
    let secrets: Vec<&str> = case["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    Verifier::new(scheme, &secrets, &options(&case["options"])?)
}

fn headers(case: &Value) -> Vec<(String, String)> {
    case["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h[0].as_str().unwrap().to_owned(),
                h[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn signature_vectors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/signatures");
    let mut failures = Vec::new();
    let mut count = 0;
    let mut schemes = std::collections::BTreeSet::new();
    // Under Miri (minutes per HMAC) every 8th case: the same code on fewer bytes.
    let step = if cfg!(miri) { 8 } else { 1 };
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "jsonl") {
            continue;
        }
        for line in fs::read_to_string(&path).unwrap().lines().step_by(step) {
            let case: Value = serde_json::from_str(line).unwrap();
            let label = format!(
                "{}/{}",
                path.file_stem().unwrap().to_string_lossy(),
                case["name"].as_str().unwrap()
            );
            count += 1;
            let hs = headers(&case);
            let refs: Vec<(&str, &str)> =
                hs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let body = case["body"].as_str().unwrap().as_bytes();
            let now = case["now"].as_i64().unwrap();
            let result = verifier(&case).and_then(|v| {
                schemes.insert(v.scheme());
                match case["certificate"].as_str() {
                    Some(cert) => v.verify_with_certificate(&refs, body, now, cert.as_bytes()),
                    None => v.verify(&refs, body, now),
                }
            });
            let got = result.as_ref().map_or_else(|e| e.code(), |()| "valid");
            if got != case["expect"].as_str().unwrap() {
                failures.push(format!(
                    "{label}: expected {}, got {got} ({result:?})",
                    case["expect"]
                ));
            }
            if let Some(sign) = case.get("sign") {
                let signed = verifier(&case)
                    .unwrap()
                    .sign(body, sign["timestamp"].as_i64(), sign["id"].as_str())
                    .unwrap();
                let norm = |v: &[(String, String)]| {
                    let mut v: Vec<_> = v
                        .iter()
                        .map(|(n, x)| (n.to_ascii_lowercase(), x.clone()))
                        .collect();
                    v.sort();
                    v
                };
                if norm(&signed) != norm(&hs) {
                    failures.push(format!("{label}: sign gave {signed:?}, vector has {hs:?}"));
                }
            }
        }
    }
    assert!(count >= 200 / step, "only {count} signature vectors");
    // A sample (Miri) need not reach every scheme.
    if step == 1 {
        assert_eq!(
            schemes.len(),
            Scheme::ALL.len(),
            "every scheme has vectors: {schemes:?}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
