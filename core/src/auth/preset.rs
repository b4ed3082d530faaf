//! Each scheme's preset: which headers it reads, how its signature is
//! written, what it signs, and the key material a secret gives.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use super::config;
use super::scheme::{Scheme, SignedContent, TimestampUnit, VerifyOptions};
use crate::Error;

/// How the signature header holds its signature(s).
#[derive(Debug, Clone)]
pub(super) enum SigFormat {
    /// One hex signature after an optional prefix.
    Hex { prefix: Cow<'static, str> },
    /// Comma-separated `v1=<hex>` (PagerDuty).
    PagerdutyList,
    /// `t=…,v1=…,v1=…,v0=…` (Stripe); the timestamp comes from the same header.
    Stripe,
    /// Space-separated `v1,<base64>` (Standard Webhooks).
    StandardList,
}

/// A header and the names it may arrive under, in order of preference.
pub(super) type Names = Vec<Cow<'static, str>>;

/// How a token arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: Basic base64(user:password)`.
    Basic,
    /// The header's whole value.
    Raw,
}

/// The names of a Standard Webhooks header set.
#[derive(Debug, Clone)]
pub(super) struct HeaderSet {
    pub(super) signature: Names,
    pub(super) timestamp: Names,
    pub(super) id: Names,
}

#[derive(Debug, Clone)]
pub(super) enum Method {
    /// A token compared with the secrets.
    Token {
        header: Cow<'static, str>,
        kind: TokenKind,
    },
    /// An HMAC-SHA256 (or, for Standard Webhooks' `v1a`, ed25519) signature.
    Hmac {
        signature: Names,
        format: SigFormat,
        timestamp: Option<Names>,
        unit: TimestampUnit,
        id: Option<Names>,
        content: SignedContent,
        /// Svix: the `webhook-*` set, read whole when no header of the first is present.
        fallback: Option<HeaderSet>,
    },
    /// An AWS SNS message, signed inside its body.
    Sns,
}

pub(super) fn names(list: &[&'static str]) -> Names {
    list.iter().map(|n| Cow::Borrowed(*n)).collect()
}

pub(super) fn custom(name: &Option<String>, default: &'static str) -> Names {
    alloc::vec![name.clone().map_or(Cow::Borrowed(default), Cow::Owned)]
}

/// Resolves a scheme's preset and the options it accepts.
pub(super) fn method(scheme: Scheme, o: &VerifyOptions) -> Result<Method, Error> {
    let allowed: &[&str] = match scheme {
        Scheme::SharedSecret => &["signature_header"],
        Scheme::HmacSha256 => &[
            "signature_header",
            "timestamp_header",
            "timestamp_unit",
            "id_header",
            "prefix",
            "signed_content",
        ],
        Scheme::Grafana => &["signature_header", "timestamp_header"],
        Scheme::Sns => &["topic_arn"],
        _ => &[],
    };
    let set = [
        ("signature_header", o.signature_header.is_some()),
        ("timestamp_header", o.timestamp_header.is_some()),
        ("timestamp_unit", o.timestamp_unit != TimestampUnit::Seconds),
        ("id_header", o.id_header.is_some()),
        ("prefix", o.prefix.is_some()),
        ("signed_content", o.signed_content.is_some()),
        ("topic_arn", o.topic_arn.is_some()),
    ];
    if let Some((name, _)) = set.iter().find(|(name, on)| *on && !allowed.contains(name)) {
        return Err(config(format!(
            "option {name} does not apply to scheme {scheme}"
        )));
    }
    for (name, value) in [
        ("signature_header", &o.signature_header),
        ("timestamp_header", &o.timestamp_header),
        ("id_header", &o.id_header),
        ("topic_arn", &o.topic_arn),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(config(format!("option {name} is empty")));
        }
    }
    let hex = |prefix: &'static str| SigFormat::Hex {
        prefix: Cow::Borrowed(prefix),
    };
    let hmac_body = |signature: Names, format: SigFormat| Method::Hmac {
        signature,
        format,
        timestamp: None,
        unit: TimestampUnit::Seconds,
        id: None,
        content: SignedContent::Body,
        fallback: None,
    };
    let standard = |prefix: &'static str, fallback: Option<HeaderSet>| {
        let n =
            |name: &'static str| -> Names { alloc::vec![Cow::Owned(format!("{prefix}-{name}"))] };
        Method::Hmac {
            signature: n("signature"),
            format: SigFormat::StandardList,
            timestamp: Some(n("timestamp")),
            unit: TimestampUnit::Seconds,
            id: Some(n("id")),
            content: SignedContent::IdDotTsDotBody,
            fallback,
        }
    };
    Ok(match scheme {
        Scheme::Bearer => Method::Token {
            header: Cow::Borrowed("Authorization"),
            kind: TokenKind::Bearer,
        },
        Scheme::Basic => Method::Token {
            header: Cow::Borrowed("Authorization"),
            kind: TokenKind::Basic,
        },
        Scheme::SharedSecret => Method::Token {
            header: custom(&o.signature_header, "X-Webhook-Secret").remove(0),
            kind: TokenKind::Raw,
        },
        Scheme::Sns => Method::Sns,
        Scheme::Github => hmac_body(names(&["X-Hub-Signature-256"]), hex("sha256=")),
        Scheme::Opsknight => hmac_body(
            names(&["X-Webhook-Signature", "X-Signature"]),
            hex("sha256="),
        ),
        Scheme::Opshift => hmac_body(names(&["X-Webhook-Signature"]), hex("")),
        Scheme::Sentry => hmac_body(names(&["Sentry-Hook-Signature"]), hex("")),
        Scheme::Pagerduty => hmac_body(names(&["X-PagerDuty-Signature"]), SigFormat::PagerdutyList),
        Scheme::Grafana => Method::Hmac {
            signature: custom(&o.signature_header, "X-Grafana-Alerting-Signature"),
            format: hex(""),
            timestamp: o
                .timestamp_header
                .clone()
                .map(|h| alloc::vec![Cow::Owned(h)]),
            unit: TimestampUnit::Seconds,
            id: None,
            content: if o.timestamp_header.is_some() {
                SignedContent::TsColonBody
            } else {
                SignedContent::Body
            },
            fallback: None,
        },
        Scheme::Slack => Method::Hmac {
            signature: names(&["X-Slack-Signature"]),
            format: hex("v0="),
            timestamp: Some(names(&["X-Slack-Request-Timestamp"])),
            unit: TimestampUnit::Seconds,
            id: None,
            content: SignedContent::V0TsBody,
            fallback: None,
        },
        Scheme::Stripe => Method::Hmac {
            signature: names(&["Stripe-Signature"]),
            format: SigFormat::Stripe,
            timestamp: None,
            unit: TimestampUnit::Seconds,
            id: None,
            content: SignedContent::TsDotBody,
            fallback: None,
        },
        // The SDKs read `svix-*` first and fall back to `webhook-*` as a whole
        // set; the unbranded scheme reads `webhook-*` only.
        Scheme::StandardWebhooks => standard("webhook", None),
        Scheme::Svix => standard(
            "svix",
            Some(HeaderSet {
                signature: names(&["webhook-signature"]),
                timestamp: names(&["webhook-timestamp"]),
                id: names(&["webhook-id"]),
            }),
        ),
        Scheme::HmacSha256 => {
            let content = o.signed_content.unwrap_or(if o.timestamp_header.is_some() {
                SignedContent::TsDotBody
            } else {
                SignedContent::Body
            });
            if content.uses_ts() && o.timestamp_header.is_none() {
                return Err(config(String::from(
                    "signed_content signs {ts}: set timestamp_header",
                )));
            }
            if !content.uses_ts() && o.timestamp_header.is_some() {
                // An unsigned timestamp would give a false sense of replay protection.
                return Err(config(String::from(
                    "timestamp_header is set but signed_content does not sign {ts}",
                )));
            }
            Method::Hmac {
                signature: custom(&o.signature_header, "X-Webhook-Signature"),
                format: SigFormat::Hex {
                    prefix: Cow::Owned(o.prefix.clone().unwrap_or_default()),
                },
                timestamp: o
                    .timestamp_header
                    .clone()
                    .map(|h| alloc::vec![Cow::Owned(h)]),
                unit: o.timestamp_unit,
                id: (content == SignedContent::IdDotTsDotBody)
                    .then(|| custom(&o.id_header, "webhook-id")),
                content,
                fallback: None,
            }
        }
    })
}

/// What one secret gives: an HMAC key (or a token's digest), an ed25519
/// public key, and an ed25519 key that signs.
pub(super) type KeyMaterial = (
    Option<Vec<u8>>,
    Option<ed25519_dalek::VerifyingKey>,
    Option<ed25519_dalek::SigningKey>,
);

/// The key material for one secret.
pub(super) fn key(scheme: Scheme, method: &Method, secret: &str) -> Result<KeyMaterial, Error> {
    let secret = secret.trim();
    if secret.is_empty() {
        return Err(config(String::from("a secret is empty")));
    }
    let decode = |b64: &str, what: &str| {
        B64.decode(b64)
            .ok()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| config(format!("a {scheme} {what} is not base64")))
    };
    let public = |bytes: &[u8]| {
        <[u8; 32]>::try_from(bytes)
            .ok()
            .and_then(|b| ed25519_dalek::VerifyingKey::from_bytes(&b).ok())
    };
    Ok(match (scheme, method) {
        (Scheme::Basic, _) if !secret.contains(':') => {
            return Err(config(String::from(
                "a basic secret is a user:password pair",
            )));
        }
        (_, Method::Token { .. }) => (Some(Sha256::digest(secret.as_bytes()).to_vec()), None, None),
        (Scheme::StandardWebhooks | Scheme::Svix, _) => {
            if let Some(b64) = secret.strip_prefix("whpk_") {
                let key = public(&decode(b64, "public key (whpk_)")?).ok_or_else(|| {
                    config(String::from(
                        "a whpk_ key is not a 32-byte ed25519 public key",
                    ))
                })?;
                (None, Some(key), None)
            } else if let Some(b64) = secret.strip_prefix("whsk_") {
                // The 32-byte seed, or the seed followed by its public key.
                let bytes = decode(b64, "secret key (whsk_)")?;
                let seed = <[u8; 32]>::try_from(bytes.get(..32).unwrap_or_default())
                    .ok()
                    .filter(|_| bytes.len() == 32 || bytes.len() == 64)
                    .ok_or_else(|| config(String::from("a whsk_ key is not 32 or 64 bytes")))?;
                let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
                let verifying = signing.verifying_key();
                if bytes.len() == 64 && bytes[32..] != verifying.to_bytes() {
                    return Err(config(String::from(
                        "a whsk_ key's public half does not match its seed",
                    )));
                }
                (None, Some(verifying), Some(signing))
            } else {
                let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
                let key = decode(b64, "secret (whsec_)")?;
                // A raw 32-byte key may be either; each signature version tries its own.
                let as_public = if secret.starts_with("whsec_") {
                    None
                } else {
                    public(&key)
                };
                (Some(key), as_public, None)
            }
        }
        // Stripe's key is the whole `whsec_…` string; PagerDuty's looks like base64 but is used as is.
        _ => (Some(secret.as_bytes().to_vec()), None, None),
    })
}
