//! The verifier: tokens and signatures checked against the raw body.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::preset::{Method, Names, SigFormat, TokenKind, key, method};
use super::scheme::{Scheme, SignedContent, TimestampUnit, VerifyOptions};
use super::wire::{first_header, mac, malformed, parse_timestamp, signatures, stripe_timestamp};
use super::{ED_SIG_LEN, TAG_LEN, config, sns};
use crate::Error;
use crate::request::find_header;

/// What `sign` signs with: the first secret.
#[derive(Clone)]
enum Signer {
    /// `keys[0]` (an HMAC key or a token's digest; tokens keep their text).
    First,
    /// A Standard Webhooks `whsk_` secret key (boxed: it is large and rare).
    Ed25519(alloc::boxed::Box<ed25519_dalek::SigningKey>),
    /// A `whpk_` public key, or SNS: nothing to sign with.
    None,
}

/// A scheme with its secrets and settings, built once and reused for every request.
#[derive(Clone)]
pub struct Verifier {
    scheme: Scheme,
    method: Method,
    tolerance: u64,
    /// HMAC keys, or SHA-256 digests of tokens (so comparisons are fixed-length).
    keys: Vec<Vec<u8>>,
    /// Standard Webhooks `v1a` public keys.
    public_keys: Vec<ed25519_dalek::VerifyingKey>,
    /// The first token, kept for `sign` (token schemes only).
    token_secret: Option<String>,
    signer: Signer,
    /// SNS topics accepted (any when empty).
    topics: Vec<String>,
}

impl fmt::Debug for Verifier {
    // Never print secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("scheme", &self.scheme)
            .field("secrets", &(self.keys.len() + self.public_keys.len()))
            .finish_non_exhaustive()
    }
}

/// A signature scheme's headers, parsed: the candidate tags (HMAC and
/// ed25519), the signed timestamp and id (empty when the content does not
/// sign them).
struct Signed<'a> {
    candidates: Vec<[u8; TAG_LEN]>,
    ed_candidates: Vec<[u8; ED_SIG_LEN]>,
    ts: &'a str,
    id: &'a str,
}

impl Verifier {
    /// Builds a verifier. Fails with `invalid_config` for no secrets (except
    /// `sns`, which takes none), an empty or whitespace secret, an
    /// undecodable Standard Webhooks secret or key, a `basic` secret without
    /// `:`, or an option the scheme does not use.
    ///
    /// Standard Webhooks and Svix take `whsec_` HMAC secrets, `whpk_` ed25519
    /// public keys (`v1a`) and `whsk_` secret keys (which also sign), side by
    /// side; a raw base64 secret is an HMAC secret and, when it is 32 bytes, a
    /// public key too.
    pub fn new<S: AsRef<str>>(
        scheme: Scheme,
        secrets: &[S],
        options: &VerifyOptions,
    ) -> Result<Self, Error> {
        let method = method(scheme, options)?;
        if matches!(method, Method::Sns) {
            if !secrets.is_empty() {
                return Err(config(String::from(
                    "scheme sns takes no secrets: the certificate proves the sender (pin a topic with topic_arn)",
                )));
            }
        } else if secrets.is_empty() {
            return Err(config(String::from("at least one secret is required")));
        }
        let mut keys = Vec::new();
        let mut public_keys = Vec::new();
        let mut signer = Signer::None;
        for (i, secret) in secrets.iter().enumerate() {
            let (hmac_key, public, signing) = key(scheme, &method, secret.as_ref())?;
            if i == 0 {
                signer = match (&signing, &hmac_key) {
                    (Some(k), _) => Signer::Ed25519(alloc::boxed::Box::new(k.clone())),
                    (None, Some(_)) => Signer::First,
                    (None, None) => Signer::None,
                };
            }
            // A first secret with an HMAC key (or token digest) is keys[0], which `sign` uses.
            keys.extend(hmac_key);
            public_keys.extend(public);
        }
        let token_secret = match method {
            Method::Token { .. } => Some(String::from(secrets[0].as_ref().trim())),
            _ => None,
        };
        Ok(Verifier {
            scheme,
            method,
            tolerance: options.tolerance,
            keys,
            public_keys,
            token_secret,
            signer,
            topics: options.topic_arn.iter().cloned().collect(),
        })
    }

    /// The scheme this verifier checks.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Checks the request's credentials against the raw body bytes. Call it
    /// before parsing: only the exact bytes received are ever verified. `sns`
    /// needs the signing certificate: use [`Verifier::verify_with_certificate`].
    pub fn verify(&self, headers: &[(&str, &str)], body: &[u8], now: i64) -> Result<(), Error> {
        if matches!(self.method, Method::Sns) {
            return Err(config(String::from(
                "scheme sns is verified with the signing certificate (verify_with_certificate)",
            )));
        }
        let Some(signed) = self.judge_headers(headers, now)? else {
            return Ok(());
        };
        let Method::Hmac { content, .. } = &self.method else {
            return Ok(());
        };
        for key in &self.keys {
            let tag = mac(key, *content, signed.ts, signed.id, body);
            if signed.candidates.iter().any(|c| bool::from(c.ct_eq(&tag))) {
                return Ok(());
            }
        }
        if !signed.ed_candidates.is_empty() && !self.public_keys.is_empty() {
            let mut message =
                Vec::with_capacity(signed.id.len() + signed.ts.len() + body.len() + 2);
            for part in [signed.id.as_bytes(), b".", signed.ts.as_bytes(), b".", body] {
                message.extend_from_slice(part);
            }
            for sig in &signed.ed_candidates {
                let sig = ed25519_dalek::Signature::from_bytes(sig);
                if self
                    .public_keys
                    .iter()
                    .any(|k| k.verify_strict(&message, &sig).is_ok())
                {
                    return Ok(());
                }
            }
        }
        Err(Error::SignatureMismatch)
    }

    /// Checks an AWS SNS message (`sns`) against the signing certificate (PEM
    /// or DER) the caller fetched from [`crate::sns_certificate_url`]: the
    /// signature over the message type's canonical string, the certificate's
    /// URL, and the topic when one is pinned. Other schemes take no certificate.
    pub fn verify_with_certificate(
        &self,
        headers: &[(&str, &str)],
        body: &[u8],
        now: i64,
        certificate: &[u8],
    ) -> Result<(), Error> {
        if !matches!(self.method, Method::Sns) {
            return Err(config(format!(
                "scheme {} takes no certificate",
                self.scheme
            )));
        }
        self.judge_headers(headers, now)?;
        sns::verify(body, certificate, &self.topics)
    }

    /// Judges what the headers alone can tell, before the body is read: a token
    /// scheme is checked fully; a signature scheme's headers must be present and
    /// well formed, and a signed timestamp inside the tolerance; an SNS request
    /// must carry its message-type header (and its topic, when one is pinned,
    /// must be that one). A request that passes still needs
    /// [`Verifier::verify`] on its body.
    pub fn check_headers(&self, headers: &[(&str, &str)], now: i64) -> Result<(), Error> {
        self.judge_headers(headers, now).map(|_| ())
    }

    /// What identifies this delivery, for recognising a replay of it: the
    /// sender's delivery-id header (`X-GitHub-Delivery`, `webhook-id`/`svix-id`,
    /// Sentry's `Request-ID`, PagerDuty's `X-Webhook-Id`, SNS's
    /// `x-amz-sns-message-id`, the configured id header), else the signature
    /// itself when the signed content carries a timestamp (a replay repeats it
    /// exactly). `None` when the scheme gives neither: a replay cannot be told
    /// from a deliberate repeat.
    pub fn delivery_id<'a>(&self, headers: &[(&str, &'a str)]) -> Option<&'a str> {
        let named = match &self.method {
            Method::Token { .. } => return None,
            Method::Sns => find_header(headers, "x-amz-sns-message-id"),
            Method::Hmac { .. } => match (self.scheme, self.header_set(headers).2) {
                (_, Some(names)) => first_header(headers, names).ok().map(|(_, v)| v),
                (Scheme::Github, _) => find_header(headers, "X-GitHub-Delivery"),
                (Scheme::Sentry, _) => find_header(headers, "Request-ID"),
                (Scheme::Pagerduty, _) => find_header(headers, "X-Webhook-Id"),
                _ => None,
            },
        };
        named
            .filter(|v| !v.is_empty())
            .or_else(|| self.tolerance().and_then(|_| self.signature(headers)))
    }

    /// The raw value of the signature header (header signature schemes only).
    pub fn signature<'a>(&self, headers: &[(&str, &'a str)]) -> Option<&'a str> {
        match &self.method {
            Method::Hmac { .. } => first_header(headers, self.header_set(headers).0)
                .ok()
                .map(|(_, v)| v)
                .filter(|v| !v.is_empty()),
            Method::Token { .. } | Method::Sns => None,
        }
    }

    /// The timestamp tolerance in seconds, for schemes that sign a timestamp.
    pub fn tolerance(&self) -> Option<u64> {
        match &self.method {
            Method::Hmac {
                content, format, ..
            } if content.uses_ts() || matches!(format, SigFormat::Stripe) => Some(self.tolerance),
            _ => None,
        }
    }

    /// The signature, timestamp and id header names this request is read
    /// with: Svix's `svix-*` set, or, when none of it is present, `webhook-*`.
    fn header_set(&self, headers: &[(&str, &str)]) -> (&Names, Option<&Names>, Option<&Names>) {
        let Method::Hmac {
            signature,
            timestamp,
            id,
            fallback,
            ..
        } = &self.method
        else {
            unreachable!("header_set is asked of signature schemes only")
        };
        let first = (signature, timestamp.as_ref(), id.as_ref());
        let Some(set) = fallback else {
            return first;
        };
        let present = |names: &Names| names.iter().any(|n| find_header(headers, n).is_some());
        if present(signature)
            || timestamp.as_ref().is_some_and(present)
            || id.as_ref().is_some_and(present)
        {
            first
        } else {
            (&set.signature, Some(&set.timestamp), Some(&set.id))
        }
    }

    /// The header part of `verify`: a token scheme checked whole (`None`), or a
    /// signature scheme's parsed candidates, timestamp and id (`Some`).
    fn judge_headers<'a>(
        &self,
        headers: &[(&str, &'a str)],
        now: i64,
    ) -> Result<Option<Signed<'a>>, Error> {
        let (format, unit, content) = match &self.method {
            Method::Token { header, kind } => {
                return self.verify_token(headers, header, *kind).map(|()| None);
            }
            Method::Sns => {
                find_header(headers, "x-amz-sns-message-type").ok_or_else(|| {
                    Error::MissingCredentials {
                        header: String::from("x-amz-sns-message-type"),
                    }
                })?;
                if let Some(topic) = find_header(headers, "x-amz-sns-topic-arn")
                    && !self.topics.is_empty()
                    && !self.topics.iter().any(|t| t == topic)
                {
                    return Err(Error::InvalidToken);
                }
                return Ok(None);
            }
            Method::Hmac {
                format,
                unit,
                content,
                ..
            } => (format, unit, content),
        };
        let (signature, timestamp, id) = self.header_set(headers);
        let (sig_name, raw) = first_header(headers, signature)?;
        if raw.is_empty() {
            return Err(malformed(format!("header {sig_name} is empty")));
        }
        // The timestamp is checked first: a stale request costs no hashing.
        let ts = match (format, timestamp) {
            (SigFormat::Stripe, _) => Some(stripe_timestamp(raw)?),
            (_, Some(ts_names)) if content.uses_ts() => {
                let (name, value) = first_header(headers, ts_names)?;
                Some((name.to_string(), value))
            }
            _ => None,
        };
        if let Some((name, value)) = &ts {
            let secs = parse_timestamp(name, value, *unit)?;
            self.check_window(secs, now)?;
        }
        let id_value = match id {
            Some(id_names) if *content == SignedContent::IdDotTsDotBody => {
                let (name, value) = first_header(headers, id_names)?;
                if value.is_empty() {
                    return Err(malformed(format!("header {name} is empty")));
                }
                value
            }
            _ => "",
        };
        let (candidates, ed_candidates) = signatures(format, raw)?;
        Ok(Some(Signed {
            candidates,
            ed_candidates,
            ts: ts.map_or("", |(_, v)| v),
            id: id_value,
        }))
    }

    fn verify_token(
        &self,
        headers: &[(&str, &str)],
        header: &str,
        kind: TokenKind,
    ) -> Result<(), Error> {
        let value = find_header(headers, header).ok_or_else(|| Error::MissingCredentials {
            header: header.to_string(),
        })?;
        let scheme_word = |word: &str| match value.split_once(' ') {
            Some((k, token)) if k.eq_ignore_ascii_case(word) => Ok(token.trim()),
            _ => Err(Error::InvalidToken),
        };
        let decoded;
        let token: &[u8] = match kind {
            TokenKind::Bearer => scheme_word("bearer")?.as_bytes(),
            TokenKind::Raw => value.as_bytes(),
            TokenKind::Basic => {
                decoded = B64
                    .decode(scheme_word("basic")?)
                    .ok()
                    .filter(|pair| pair.contains(&b':'))
                    .ok_or_else(|| {
                        malformed(String::from(
                            "Authorization: Basic is not base64 of user:password",
                        ))
                    })?;
                &decoded
            }
        };
        if token.is_empty() {
            return Err(Error::InvalidToken);
        }
        // Comparing digests keeps the comparison fixed-length: no length leak.
        let digest = Sha256::digest(token);
        let mut ok = subtle::Choice::from(0);
        for key in &self.keys {
            ok |= key.as_slice().ct_eq(digest.as_slice());
        }
        if bool::from(ok) {
            Ok(())
        } else {
            Err(Error::InvalidToken)
        }
    }

    fn check_window(&self, ts: i64, now: i64) -> Result<(), Error> {
        let skew = (i128::from(now) - i128::from(ts)).unsigned_abs();
        if skew > u128::from(self.tolerance) {
            return Err(Error::TimestampOutOfTolerance {
                timestamp: ts,
                now,
                tolerance: self.tolerance,
            });
        }
        Ok(())
    }

    /// The headers a sender of this scheme sends for `body`, signed with the
    /// first secret. `timestamp` (Unix seconds) is required by timestamped
    /// schemes, `id` by `{id}.{ts}.{body}`; the core has no clock or randomness.
    pub fn sign(
        &self,
        body: &[u8],
        timestamp: Option<i64>,
        id: Option<&str>,
    ) -> Result<Vec<(String, String)>, Error> {
        match &self.method {
            Method::Token { header, kind } => {
                let secret = self.token_secret.as_deref().unwrap_or_default();
                let value = match kind {
                    TokenKind::Bearer => format!("Bearer {secret}"),
                    TokenKind::Basic => format!("Basic {}", B64.encode(secret)),
                    TokenKind::Raw => String::from(secret),
                };
                Ok(alloc::vec![(header.to_string(), value)])
            }
            Method::Sns => Err(config(String::from(
                "scheme sns is signed by AWS, not by alertgate",
            ))),
            Method::Hmac {
                signature,
                format,
                timestamp: ts_names,
                unit,
                id: id_names,
                content,
                ..
            } => {
                let needs_ts = content.uses_ts() || matches!(format, SigFormat::Stripe);
                let ts = match (needs_ts, timestamp) {
                    (false, _) => None,
                    (true, Some(t)) if t >= 0 => Some(t),
                    (true, _) => {
                        return Err(config(format!(
                            "scheme {} signs a timestamp: pass one (Unix seconds, not negative)",
                            self.scheme
                        )));
                    }
                };
                let ts_text = ts.map(|t| match unit {
                    TimestampUnit::Seconds => t.to_string(),
                    TimestampUnit::Milliseconds => (i128::from(t) * 1000).to_string(),
                });
                let ts_str = ts_text.as_deref().unwrap_or("");
                let id_str = match (content, id) {
                    (SignedContent::IdDotTsDotBody, Some(id)) if !id.trim().is_empty() => id.trim(),
                    (SignedContent::IdDotTsDotBody, _) => {
                        return Err(config(format!(
                            "scheme {} signs a message id: pass one",
                            self.scheme
                        )));
                    }
                    _ => "",
                };
                let sig_value = match (&self.signer, format) {
                    (Signer::Ed25519(k), _) => {
                        use ed25519_dalek::Signer as _;
                        let mut message = Vec::new();
                        for part in [id_str.as_bytes(), b".", ts_str.as_bytes(), b".", body] {
                            message.extend_from_slice(part);
                        }
                        format!("v1a,{}", B64.encode(k.sign(&message).to_bytes()))
                    }
                    (Signer::None, _) => {
                        return Err(config(String::from(
                            "the first secret is a public key: it verifies, it cannot sign",
                        )));
                    }
                    (Signer::First, format) => {
                        let tag = mac(&self.keys[0], *content, ts_str, id_str, body);
                        match format {
                            SigFormat::Hex { prefix } => format!("{prefix}{}", hex::encode(tag)),
                            SigFormat::PagerdutyList => format!("v1={}", hex::encode(tag)),
                            SigFormat::Stripe => format!("t={ts_str},v1={}", hex::encode(tag)),
                            SigFormat::StandardList => format!("v1,{}", B64.encode(tag)),
                        }
                    }
                };
                let mut out = Vec::with_capacity(3);
                if let Some(id_names) = id_names.as_ref().filter(|_| !id_str.is_empty()) {
                    out.push((id_names[0].to_string(), String::from(id_str)));
                }
                // Stripe carries its timestamp inside the signature header.
                if let Some(ts_names) = ts_names.as_ref().filter(|_| !ts_str.is_empty()) {
                    out.push((ts_names[0].to_string(), String::from(ts_str)));
                }
                out.push((signature[0].to_string(), sig_value));
                Ok(out)
            }
        }
    }
}
