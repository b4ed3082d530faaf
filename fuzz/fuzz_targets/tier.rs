//! `strip_tier` and the tier rules: never a panic; on a JSON object the result
//! is the same object without its top-level `tier`.
#![no_main]

use alertgate::{Options, Request, ingest, strip_tier};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let out = strip_tier(data);
    if let Ok(Value::Object(mut before)) = serde_json::from_slice::<Value>(data) {
        // Duplicate keys are collapsed by the parser; only compare when there are none.
        let raw = String::from_utf8_lossy(data);
        if raw.matches("\"tier\"").count() <= 1 {
            before.remove("tier");
            let after: Value =
                serde_json::from_slice(&out).expect("strip_tier broke a JSON object");
            if let Value::Object(after) = after {
                assert!(!after.contains_key("tier") || before.contains_key("tier"));
            }
        }
    }
    let mut opts = Options::default();
    opts.max_tier = 3;
    if let Ok(res) = ingest(&Request::new(data), &opts) {
        if let Some(t) = res.tier {
            assert!((1..=3).contains(&t));
        }
    }
});
