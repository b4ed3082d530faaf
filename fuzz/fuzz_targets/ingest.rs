//! `ingest` on arbitrary bodies, content types, headers and options: never a
//! panic, and every result keeps the canonical invariants.
#![no_main]

use alertgate::{Limits, Options, Request, Source, ingest};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "text/plain; charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=b",
    "application/vnd.x+json",
    "",
];
const USER_AGENTS: &[&str] = &[
    "Alertmanager/0.27.0",
    "Grafana",
    "healthchecks.io",
    "PagerDuty-Webhook/V3.0",
    "GitHub-Hookshot/1",
    "Amazon Simple Notification Service Agent",
];

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    body: &'a [u8],
    content_type: u8,
    user_agent: Option<u8>,
    extra_header: Option<(&'a str, &'a str)>,
    source: Option<u8>,
    max_tier: u8,
    strict: bool,
    explain: bool,
}

fuzz_target!(|input: Input<'_>| {
    let ct = CONTENT_TYPES[usize::from(input.content_type) % CONTENT_TYPES.len()];
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if let Some(ua) = input.user_agent {
        headers.push((
            "User-Agent",
            USER_AGENTS[usize::from(ua) % USER_AGENTS.len()],
        ));
    }
    headers.extend(input.extra_header);
    let mut opts = Options::default();
    opts.source_hint = input
        .source
        .map(|i| Source::ALL[usize::from(i) % Source::ALL.len()]);
    opts.max_tier = u32::from(input.max_tier % 8).max(1);
    opts.explain = input.explain;
    if input.strict {
        opts.limits = Limits::strict();
    }
    let req = Request {
        body: input.body,
        content_type: (!ct.is_empty()).then_some(ct),
        headers: &headers,
    };
    let result = ingest(&req, &opts);
    if !opts.explain {
        // Explain mode always takes the general path: the one-pass readers
        // must give exactly its answer, errors included.
        let mut general = opts.clone();
        general.explain = true;
        let general = ingest(&req, &general).map(|mut out| {
            out.explanation = None;
            out
        });
        assert_eq!(result, general);
    }
    if let Ok(out) = result {
        for a in &out.alerts {
            assert!(!a.title.is_empty());
            assert!(!a.dedup_key.is_empty() && a.dedup_key.len() <= 255);
        }
        if let Some(t) = out.tier {
            assert!((1..=opts.max_tier).contains(&t));
        }
        // The canonical JSON always parses back.
        serde_json::from_str::<serde_json::Value>(&out.to_json()).unwrap();
    }
});
