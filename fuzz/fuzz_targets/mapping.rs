//! Arbitrary mapping JSON applied to arbitrary payloads: a bad mapping is an
//! error at load time, a good one never panics on any payload.
#![no_main]

use alertgate::{Mapping, Options, Request, ingest};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    mapping: &'a str,
    body: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let Ok(m) = Mapping::from_json(input.mapping) else {
        return;
    };
    let mut opts = Options::default();
    opts.mapping = Some(m);
    opts.explain = true;
    if let Ok(out) = ingest(&Request::new(input.body), &opts) {
        assert!(
            out.alerts
                .iter()
                .all(|a| !a.title.is_empty() && !a.dedup_key.is_empty())
        );
    }
});
