//! A fixed amount of work for instruction-count profiling (callgrind counts
//! instructions, so the figures repeat on a noisy machine):
//!
//! `valgrind --tool=callgrind target/release/examples/profile am1 2000`
//! (add `--toggle-collect=profile::ingest_once` to count only the calls)
//!
//! Payloads: `am1` (Alertmanager, 1 alert), `am50`, `am1mb`, or any sender's
//! benchmark sample by its vector directory (`datadog`, `generic`, ...); `ignored`
//! as the third argument runs the `IgnoredAny` baseline instead of `ingest`.

use alertgate::{Options, Request, ingest};
use alertgate_benches::{alertmanager, alertmanager_1mb, one_per_sender, vector};
use serde::de::IgnoredAny;
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let payload = args.get(1).map_or("am1", String::as_str);
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let what = args.get(3).map_or("ingest", String::as_str);
    let am = || {
        vec![(
            String::from("User-Agent"),
            String::from("Alertmanager/0.27.0"),
        )]
    };
    let (body, content_type, headers) = match payload {
        "am1" => (vector("alertmanager/firing_single.json"), None, am()),
        "am50" => (alertmanager(50), None, am()),
        "am1mb" => (alertmanager_1mb(), None, am()),
        name => {
            let Some((_, body, content_type, headers)) =
                one_per_sender().into_iter().find(|s| s.0 == name)
            else {
                eprintln!("no payload named {name}");
                std::process::exit(2);
            };
            (body, content_type, headers)
        }
    };
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let content_type = content_type.as_deref().or(Some("application/json"));
    let opts = Options::default();
    for _ in 0..n {
        if what == "ignored" {
            ignored_once(&body);
        } else {
            ingest_once(&body, content_type, &headers, &opts);
        }
    }
}

/// One call and the drop of its result; `--toggle-collect=profile::ingest_once`
/// counts just this, without the payload's set-up.
#[inline(never)]
fn ingest_once(body: &[u8], content_type: Option<&str>, headers: &[(&str, &str)], opts: &Options) {
    let req = Request {
        body: black_box(body),
        content_type,
        headers,
    };
    black_box(ingest(&req, opts).unwrap());
}

/// The `IgnoredAny` baseline, likewise (`--toggle-collect=profile::ignored_once`).
#[inline(never)]
fn ignored_once(body: &[u8]) {
    black_box(serde_json::from_slice::<IgnoredAny>(black_box(body)).unwrap());
}
