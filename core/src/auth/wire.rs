//! Reading headers: names, timestamps, and the signatures a header holds.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::Mac;

use super::preset::SigFormat;
use super::scheme::{SignedContent, TimestampUnit};
use super::{ED_SIG_LEN, HmacSha256, TAG_LEN};
use crate::Error;
use crate::request::find_header;

/// The first of `names` present, as (name, trimmed value).
pub(super) fn first_header<'n, 'v>(
    headers: &[(&str, &'v str)],
    names: &'n [Cow<'static, str>],
) -> Result<(&'n str, &'v str), Error> {
    names
        .iter()
        .find_map(|n| find_header(headers, n).map(|v| (n.as_ref(), v)))
        .ok_or_else(|| Error::MissingCredentials {
            header: names[0].to_string(),
        })
}

pub(super) fn malformed(message: String) -> Error {
    Error::MalformedSignature { message }
}

/// The `t=` of a Stripe-Signature header.
pub(super) fn stripe_timestamp(raw: &str) -> Result<(String, &str), Error> {
    raw.split(',')
        .filter_map(|item| item.trim().split_once('='))
        .find(|(k, _)| *k == "t")
        .map(|(_, v)| (String::from("Stripe-Signature t"), v.trim()))
        .ok_or_else(|| malformed(String::from("Stripe-Signature has no t=")))
}

/// ASCII digits only, as Unix seconds.
pub(super) fn parse_timestamp(name: &str, value: &str, unit: TimestampUnit) -> Result<i64, Error> {
    let ok = !value.is_empty() && value.len() <= 18 && value.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return Err(malformed(format!(
            "{name} '{}' is not a Unix timestamp",
            crate::text::bounded(value, 32)
        )));
    }
    let n: i64 = value
        .parse()
        .map_err(|_| malformed(format!("{name} is out of range")))?;
    Ok(match unit {
        TimestampUnit::Seconds => n,
        TimestampUnit::Milliseconds => n / 1000,
    })
}

/// The decodable signatures in the header; malformed entries are skipped,
/// and a header with none is `malformed_signature`.
/// The HMAC tags and the ed25519 signatures a signature header holds.
pub(super) type Candidates = (Vec<[u8; TAG_LEN]>, Vec<[u8; ED_SIG_LEN]>);

pub(super) fn signatures(format: &SigFormat, raw: &str) -> Result<Candidates, Error> {
    let hex_tag = |s: &str| {
        let mut tag = [0u8; TAG_LEN];
        hex::decode_to_slice(s.trim(), &mut tag).ok().map(|()| tag)
    };
    /// Exactly `N` bytes of base64: an empty or short signature never compares.
    fn b64_exact<const N: usize>(b64: &str) -> Option<[u8; N]> {
        // Room for one byte more, so that a longer one is not taken for its prefix.
        let mut buf = [0u8; 72];
        match B64.decode_slice(b64, &mut buf[..N + 1]) {
            Ok(n) if n == N => <[u8; N]>::try_from(&buf[..N]).ok(),
            _ => None,
        }
    }
    let mut ed = Vec::new();
    let out: Vec<[u8; TAG_LEN]> = match format {
        SigFormat::Hex { prefix } => {
            let Some(rest) = raw.strip_prefix(prefix.as_ref()) else {
                return Err(malformed(format!(
                    "signature does not start with '{prefix}'"
                )));
            };
            hex_tag(rest).into_iter().collect()
        }
        SigFormat::PagerdutyList | SigFormat::Stripe => raw
            .split(',')
            .filter_map(|item| item.trim().strip_prefix("v1="))
            .filter_map(hex_tag)
            .collect(),
        SigFormat::StandardList => {
            let items: Vec<&str> = raw.split_ascii_whitespace().collect();
            ed = items
                .iter()
                .filter_map(|item| item.strip_prefix("v1a,"))
                .filter_map(b64_exact::<ED_SIG_LEN>)
                .collect();
            items
                .iter()
                .filter_map(|item| item.strip_prefix("v1,"))
                .filter_map(b64_exact::<TAG_LEN>)
                .collect()
        }
    };
    if out.is_empty() && ed.is_empty() {
        return Err(malformed(String::from(
            "no well-formed signature of the expected length",
        )));
    }
    Ok((out, ed))
}

pub(super) fn mac(
    key: &[u8],
    content: SignedContent,
    ts: &str,
    id: &str,
    body: &[u8],
) -> [u8; TAG_LEN] {
    // new_from_slice never fails for HMAC: any key length is valid.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    match content {
        SignedContent::Body => {}
        SignedContent::TsDotBody => {
            m.update(ts.as_bytes());
            m.update(b".");
        }
        SignedContent::TsColonBody => {
            m.update(ts.as_bytes());
            m.update(b":");
        }
        SignedContent::IdDotTsDotBody => {
            m.update(id.as_bytes());
            m.update(b".");
            m.update(ts.as_bytes());
            m.update(b".");
        }
        SignedContent::V0TsBody => {
            m.update(b"v0:");
            m.update(ts.as_bytes());
            m.update(b":");
        }
    }
    m.update(body);
    m.finalize().into_bytes().into()
}
