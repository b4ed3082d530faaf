//! Arbitrary mapping JSON applied to arbitrary payloads: a bad mapping is an
//! error at load time, a good one never panics on any payload. Half the inputs
//! use one of the valid mappings of `tests/vectors/mappings` instead, so the
//! fuzzer spends its time in the mapping code rather than in rejecting JSON.
#![no_main]

use std::sync::OnceLock;

use alertgate::{Mapping, Options, Request, ingest};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

const REQUESTS: &[&str] = &[
    include_str!("../../tests/vectors/mappings/batched.request.json"),
    include_str!("../../tests/vectors/mappings/single_form.request.json"),
    include_str!("../../tests/vectors/mappings/alerts_missing.request.json"),
    include_str!("../../tests/vectors/mappings/bad_status_word.request.json"),
];

/// The vectors' valid mappings, as JSON text.
fn templates() -> &'static [String] {
    static T: OnceLock<Vec<String>> = OnceLock::new();
    T.get_or_init(|| {
        REQUESTS
            .iter()
            .filter_map(|r| {
                let v: serde_json::Value = serde_json::from_str(r).ok()?;
                let m = v.pointer("/options/mapping")?.to_string();
                Mapping::from_json(&m).ok().map(|_| m)
            })
            .collect()
    })
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    template: Option<u8>,
    mapping: &'a str,
    body: &'a [u8],
    explain: bool,
}

fuzz_target!(|input: Input<'_>| {
    let text = match input.template {
        Some(i) if !templates().is_empty() => {
            templates()[usize::from(i) % templates().len()].as_str()
        }
        _ => input.mapping,
    };
    let Ok(m) = Mapping::from_json(text) else {
        return;
    };
    let mut opts = Options::default();
    opts.mapping = Some(m);
    opts.explain = input.explain;
    if let Ok(out) = ingest(&Request::new(input.body), &opts) {
        assert!(
            out.alerts
                .iter()
                .all(|a| !a.title.is_empty() && !a.dedup_key.is_empty())
        );
    }
});
