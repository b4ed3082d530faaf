//! `alertgate::ingest` next to its baselines on the same bytes in the same run:
//! `serde_json::from_slice::<IgnoredAny>` (the parse lower bound) and `::<Value>`.

use alertgate::{Options, Request, ingest};
use alertgate_benches::{alertmanager, alertmanager_1mb, one_per_sender, vector};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde::de::IgnoredAny;
use std::hint::black_box;

fn group(
    c: &mut Criterion,
    name: &str,
    body: &[u8],
    content_type: Option<&str>,
    headers: &[(&str, &str)],
) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(body.len() as u64));
    let opts = Options::default();
    g.bench_function(BenchmarkId::new("alertgate_ingest", body.len()), |b| {
        b.iter(|| {
            let req = Request {
                body: black_box(body),
                content_type,
                headers,
            };
            black_box(ingest(&req, &opts).unwrap())
        })
    });
    if content_type.is_none_or(|ct| ct.contains("json")) && body.first() == Some(&b'{') {
        g.bench_function(
            BenchmarkId::new("serde_json_ignored_any", body.len()),
            |b| {
                b.iter(|| black_box(serde_json::from_slice::<IgnoredAny>(black_box(body)).unwrap()))
            },
        );
        g.bench_function(BenchmarkId::new("serde_json_value", body.len()), |b| {
            b.iter(|| {
                black_box(serde_json::from_slice::<serde_json::Value>(black_box(body)).unwrap())
            })
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let am = [("User-Agent", "Alertmanager/0.27.0")];
    let ct = Some("application/json");
    group(
        c,
        "alertmanager_1_alert",
        &vector("alertmanager/firing_single.json"),
        ct,
        &am,
    );
    group(c, "alertmanager_50_alerts", &alertmanager(50), ct, &am);
    group(c, "alertmanager_1mb", &alertmanager_1mb(), ct, &am);
    group(
        c,
        "grafana_2_alerts",
        &vector("grafana/unified_multi.json"),
        ct,
        &[("User-Agent", "Grafana")],
    );
    for (name, body, content_type, headers) in one_per_sender() {
        if matches!(name.as_str(), "alertmanager" | "grafana") {
            continue;
        }
        let hs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        group(
            c,
            &format!("sender_{name}"),
            &body,
            content_type.as_deref(),
            &hs,
        );
    }
}

criterion_group!(ingest_benches, benches);
criterion_main!(ingest_benches);
