//! Every scheme against arbitrary headers and bodies: never a panic; what is
//! signed verifies, and nothing else does.
#![no_main]

use alertgate::{Scheme, Verifier, VerifyOptions};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    scheme: u8,
    secret: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
    now: i64,
    ts: u32,
}

fuzz_target!(|input: Input<'_>| {
    let scheme = Scheme::ALL[usize::from(input.scheme) % Scheme::ALL.len()];
    let secret = if scheme == Scheme::StandardWebhooks {
        "whsec_c2VjcmV0LWtleQ=="
    } else {
        input.secret
    };
    let Ok(v) = Verifier::new(scheme, &[secret], &VerifyOptions::default()) else {
        return;
    };
    // Arbitrary headers: any answer but a panic.
    let _ = v.verify(&input.headers, input.body, input.now);
    // What the scheme signs verifies at its own time.
    let ts = i64::from(input.ts);
    if let Ok(signed) = v.sign(input.body, Some(ts), Some("msg_fuzz")) {
        let hs: Vec<(&str, &str)> = signed
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert!(
            v.verify(&hs, input.body, ts).is_ok(),
            "{scheme}: signed request does not verify"
        );
    }
});
