//! A fixed amount of work for instruction-count profiling (callgrind counts
//! instructions, so the figures repeat on a noisy machine):
//!
//! `valgrind --tool=callgrind target/release/examples/profile am1 2000`
//! (add `--toggle-collect=profile::ingest_once` to count only the calls)
//!
//! Payloads: `am1` (Alertmanager, 1 alert), `am50`, `am1mb`; `ignored` instead of
//! `ingest` as the second argument's prefix runs the `IgnoredAny` baseline.

use alertgate::{Options, Request, ingest};
use alertgate_benches::{alertmanager, alertmanager_1mb, vector};
use serde::de::IgnoredAny;
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let payload = args.get(1).map_or("am1", String::as_str);
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let what = args.get(3).map_or("ingest", String::as_str);
    let body = match payload {
        "am50" => alertmanager(50),
        "am1mb" => alertmanager_1mb(),
        _ => vector("alertmanager/firing_single.json"),
    };
    let headers = [("User-Agent", "Alertmanager/0.27.0")];
    let opts = Options::default();
    for _ in 0..n {
        if what == "ignored" {
            ignored_once(&body);
        } else {
            ingest_once(&body, &headers, &opts);
        }
    }
}

/// One call and the drop of its result; `--toggle-collect=profile::ingest_once`
/// counts just this, without the payload's set-up.
#[inline(never)]
fn ingest_once(body: &[u8], headers: &[(&str, &str)], opts: &Options) {
    let req = Request {
        body: black_box(body),
        content_type: Some("application/json"),
        headers,
    };
    black_box(ingest(&req, opts).unwrap());
}

/// The `IgnoredAny` baseline, likewise (`--toggle-collect=profile::ignored_once`).
#[inline(never)]
fn ignored_once(body: &[u8]) {
    black_box(serde_json::from_slice::<IgnoredAny>(black_box(body)).unwrap());
}
