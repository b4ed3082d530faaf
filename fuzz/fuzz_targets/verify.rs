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
    if scheme == Scheme::Sns {
        // Arbitrary messages and certificate bytes: any answer but a panic.
        let v = Verifier::new(scheme, &[] as &[&str], &VerifyOptions::default()).unwrap();
        let _ = v.check_headers(&input.headers, input.now);
        let _ = v.delivery_id(&input.headers);
        let _ = v.verify_with_certificate(&input.headers, input.body, input.now, input.secret.as_bytes());
        let _ = alertgate::sns_certificate_url(input.body);
        let _ = alertgate::sns_subscribe_url(input.body);
        return;
    }
    let secret = match scheme {
        Scheme::StandardWebhooks | Scheme::Svix => "whsec_c2VjcmV0LWtleQ==",
        Scheme::Basic if !input.secret.contains(':') => "user:pass",
        _ => input.secret,
    };
    let Ok(v) = Verifier::new(scheme, &[secret], &VerifyOptions::default()) else {
        return;
    };
    // Arbitrary headers: any answer but a panic.
    let _ = v.check_headers(&input.headers, input.now);
    let _ = v.delivery_id(&input.headers);
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
