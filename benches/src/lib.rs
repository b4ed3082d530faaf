//! Payloads for the benchmarks, built from the shared vectors.

use std::path::{Path, PathBuf};

/// The repository's `tests/vectors`.
pub fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// A vector's body bytes.
pub fn vector(path: &str) -> Vec<u8> {
    std::fs::read(vectors().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An Alertmanager group of `n` distinct alerts (about 850 bytes each).
pub fn alertmanager(n: usize) -> Vec<u8> {
    let alerts: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"status":"firing","labels":{{"alertname":"HighRequestLatency","env":"prod","instance":"checkout-api-{i:04}.prod.internal:8080","job":"checkout-api","service":"checkout","severity":"warning","team":"payments"}},"annotations":{{"description":"p99 latency for checkout-api instance {i} was 1.84s over the last 10 minutes (threshold 1s); upstream payment-gateway responses dominate the tail.","runbook_url":"https://runbooks.internal.example.org/checkout/latency","summary":"checkout-api p99 latency above 1s on instance {i}"}},"startsAt":"2024-05-14T10:02:16.907Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus-0.mon.internal:9090/graph?g0.expr=histogram_quantile%280.99%2C+sum+by+%28le%29+%28rate%28http_request_duration_seconds_bucket%7Bjob%3D%22checkout-api%22%7D%5B5m%5D%29%29%29+%3E+1\u0026g0.tab=1","fingerprint":"{i:016x}"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"receiver":"ops","status":"firing","alerts":[{}],"groupLabels":{{"alertname":"HighRequestLatency"}},"commonLabels":{{"alertname":"HighRequestLatency","env":"prod"}},"commonAnnotations":{{}},"externalURL":"http://alertmanager.mon.internal:9093","version":"4","groupKey":"{{}}:{{alertname=\"HighRequestLatency\"}}","truncatedAlerts":0}}"#,
        alerts.join(",")
    )
    .into_bytes()
}

/// The largest Alertmanager group under the 1 MiB body limit.
pub fn alertmanager_1mb() -> Vec<u8> {
    let per = alertmanager(2).len() - alertmanager(1).len();
    let mut n = (1 << 20) / per;
    while alertmanager(n).len() > 1 << 20 {
        n -= 1;
    }
    alertmanager(n)
}

/// A sender's sample: (sender id, body, content type, headers).
pub type Sample = (String, Vec<u8>, Option<String>, Vec<(String, String)>);

/// One vector per sender (its first in name order), with the headers it comes with.
pub fn one_per_sender() -> Vec<Sample> {
    let mut out = Vec::new();
    let mut groups: Vec<_> = std::fs::read_dir(vectors())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    groups.sort();
    for dir in groups {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if !dir.is_dir() || ["errors", "signatures", "mappings"].contains(&name.as_str()) {
            continue;
        }
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        files.sort();
        let Some(body) = files.iter().find(|p| {
            let f = p.file_name().unwrap().to_string_lossy();
            !f.ends_with(".expected.json") && !f.ends_with(".request.json")
        }) else {
            continue;
        };
        let req_path = body.with_extension("request.json");
        let req: serde_json::Value = std::fs::read(&req_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        if !req["options"].is_null() {
            continue;
        }
        let headers = req["headers"]
            .as_array()
            .map(|h| {
                h.iter()
                    .map(|p| {
                        (
                            p[0].as_str().unwrap().to_owned(),
                            p[1].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push((
            name,
            std::fs::read(body).unwrap(),
            req["content_type"].as_str().map(String::from),
            headers,
        ));
    }
    out
}
