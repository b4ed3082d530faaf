//! Authenticity: verify inbound credentials and signatures on the raw body
//! bytes, and sign outgoing webhooks the way receivers verify them.
//!
//! A [`Verifier`] is built once from a [`Scheme`], one or more secrets
//! (rotation: any one verifying passes) and [`VerifyOptions`], then reused.
//! There is no clock here: callers pass `now` in Unix seconds. Every secret
//! comparison is constant-time.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::Error;
use crate::request::find_header;

mod sns;
pub use sns::{sns_certificate_url, sns_subscribe_url};

type HmacSha256 = Hmac<Sha256>;

/// Length of an HMAC-SHA256 tag in bytes.
const TAG_LEN: usize = 32;

macro_rules! schemes {
    ($( $(#[$doc:meta])* $variant:ident => $id:literal ),+ $(,)?) => {
        /// How a sender proves who it is.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Scheme { $( $(#[$doc])* $variant ),+ }

        impl Scheme {
            /// Every scheme, in declaration order.
            pub const ALL: &'static [Scheme] = &[$(Scheme::$variant),+];

            /// The stable name used by the CLI, the bindings and config files.
            pub const fn as_str(self) -> &'static str {
                match self { $(Scheme::$variant => $id),+ }
            }
        }
    };
}

schemes! {
    /// `Authorization: Bearer <token>`.
    Bearer => "bearer",
    /// The secret itself in a header (`X-Webhook-Secret` by default).
    SharedSecret => "shared_secret",
    /// HMAC-SHA256 with a configurable header, prefix, timestamp and signed content.
    HmacSha256 => "hmac_sha256",
    /// GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body.
    Github => "github",
    /// OpsKnight: `X-Webhook-Signature` or `X-Signature: sha256=<hex>` over the body.
    Opsknight => "opsknight",
    /// OpShift: `X-Webhook-Signature: <hex>` over the body.
    Opshift => "opshift",
    /// Grafana: `X-Grafana-Alerting-Signature: <hex>` over the body, or `{ts}:{body}` with a timestamp header.
    Grafana => "grafana",
    /// PagerDuty: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>]` over the body.
    Pagerduty => "pagerduty",
    /// Sentry: `Sentry-Hook-Signature: <hex>` over the body.
    Sentry => "sentry",
    /// Slack: `X-Slack-Signature: v0=<hex>` over `v0:{ts}:{body}`.
    Slack => "slack",
    /// Stripe: `Stripe-Signature: t=…,v1=…` over `{t}.{body}`.
    Stripe => "stripe",
    /// Standard Webhooks: `webhook-signature: v1,<base64>` (HMAC) or `v1a,<base64>`
    /// (ed25519) over `{id}.{ts}.{body}`, with `webhook-id` and `webhook-timestamp`.
    StandardWebhooks => "standard_webhooks",
    /// Svix: Standard Webhooks whose headers are `svix-*`, or, when none is
    /// present, `webhook-*`; the two sets are never mixed.
    Svix => "svix",
    /// `Authorization: Basic base64(user:password)`; secrets are `user:password` pairs.
    Basic => "basic",
    /// AWS SNS: an RSA signature (SignatureVersion 1 or 2) inside the message,
    /// checked with the signing certificate the caller fetched.
    Sns => "sns",
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = Error;

    /// Parses a scheme name (`-` accepted for `_`).
    fn from_str(s: &str) -> Result<Self, Error> {
        let name = s.trim().to_ascii_lowercase().replace('-', "_");
        Scheme::ALL
            .iter()
            .copied()
            .find(|scheme| scheme.as_str() == name)
            .ok_or_else(|| config(format!("unknown scheme '{}'", crate::text::bounded(s, 64))))
    }
}

/// The unit of a timestamp header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampUnit {
    /// Unix seconds.
    #[default]
    Seconds,
    /// Unix milliseconds.
    Milliseconds,
}

impl FromStr for TimestampUnit {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim() {
            "s" => Ok(TimestampUnit::Seconds),
            "ms" => Ok(TimestampUnit::Milliseconds),
            other => Err(config(format!(
                "timestamp_unit must be 's' or 'ms', not '{}'",
                crate::text::bounded(other, 16)
            ))),
        }
    }
}

/// What exactly is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedContent {
    /// `{body}`
    Body,
    /// `{ts}.{body}`
    TsDotBody,
    /// `{ts}:{body}`
    TsColonBody,
    /// `{id}.{ts}.{body}`
    IdDotTsDotBody,
    /// `v0:{ts}:{body}` (Slack)
    V0TsBody,
}

impl SignedContent {
    fn uses_ts(self) -> bool {
        !matches!(self, SignedContent::Body)
    }
}

impl FromStr for SignedContent {
    type Err = Error;

    /// Parses a template: `{body}`, `{ts}.{body}`, `{ts}:{body}`, `{id}.{ts}.{body}` or `v0:{ts}:{body}`.
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s.trim() {
            "{body}" => SignedContent::Body,
            "{ts}.{body}" => SignedContent::TsDotBody,
            "{ts}:{body}" => SignedContent::TsColonBody,
            "{id}.{ts}.{body}" => SignedContent::IdDotTsDotBody,
            "v0:{ts}:{body}" => SignedContent::V0TsBody,
            other => {
                return Err(config(format!(
                    "signed_content '{}' is not one of {{body}}, {{ts}}.{{body}}, {{ts}}:{{body}}, {{id}}.{{ts}}.{{body}}, v0:{{ts}}:{{body}}",
                    crate::text::bounded(other, 64)
                )));
            }
        })
    }
}

/// Settings for the configurable parts of a scheme. Setting one a scheme does
/// not use is a configuration error, never silently ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// Largest allowed |now − timestamp| in seconds (default 300).
    pub tolerance: u64,
    /// The signature header (`hmac_sha256`, `grafana`) or secret header (`shared_secret`).
    pub signature_header: Option<String>,
    /// The timestamp header (`hmac_sha256`, `grafana`).
    pub timestamp_header: Option<String>,
    /// The timestamp header's unit (`hmac_sha256`).
    pub timestamp_unit: TimestampUnit,
    /// The id header for `{id}.{ts}.{body}` (`hmac_sha256`; default `webhook-id`).
    pub id_header: Option<String>,
    /// A prefix before the hex signature, e.g. `sha256=` (`hmac_sha256`).
    pub prefix: Option<String>,
    /// What is signed (`hmac_sha256`; default `{body}`, or `{ts}.{body}` with a timestamp header).
    pub signed_content: Option<SignedContent>,
    /// The only SNS topic accepted (`sns`; any topic when unset).
    pub topic_arn: Option<String>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            tolerance: 300,
            signature_header: None,
            timestamp_header: None,
            timestamp_unit: TimestampUnit::Seconds,
            id_header: None,
            prefix: None,
            signed_content: None,
            topic_arn: None,
        }
    }
}

/// How the signature header holds its signature(s).
#[derive(Debug, Clone)]
enum SigFormat {
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
type Names = Vec<Cow<'static, str>>;

/// How a token arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: Basic base64(user:password)`.
    Basic,
    /// The header's whole value.
    Raw,
}

/// The names of a Standard Webhooks header set.
#[derive(Debug, Clone)]
struct HeaderSet {
    signature: Names,
    timestamp: Names,
    id: Names,
}

#[derive(Debug, Clone)]
enum Method {
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

/// Length of an ed25519 signature in bytes.
const ED_SIG_LEN: usize = 64;

fn config(message: String) -> Error {
    Error::InvalidConfig { message }
}

fn names(list: &[&'static str]) -> Names {
    list.iter().map(|n| Cow::Borrowed(*n)).collect()
}

fn custom(name: &Option<String>, default: &'static str) -> Names {
    alloc::vec![name.clone().map_or(Cow::Borrowed(default), Cow::Owned)]
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

/// Resolves a scheme's preset and the options it accepts.
fn method(scheme: Scheme, o: &VerifyOptions) -> Result<Method, Error> {
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
type KeyMaterial = (
    Option<Vec<u8>>,
    Option<ed25519_dalek::VerifyingKey>,
    Option<ed25519_dalek::SigningKey>,
);

/// The key material for one secret.
fn key(scheme: Scheme, method: &Method, secret: &str) -> Result<KeyMaterial, Error> {
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

/// The first of `names` present, as (name, trimmed value).
fn first_header<'n, 'v>(
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

fn malformed(message: String) -> Error {
    Error::MalformedSignature { message }
}

/// The `t=` of a Stripe-Signature header.
fn stripe_timestamp(raw: &str) -> Result<(String, &str), Error> {
    raw.split(',')
        .filter_map(|item| item.trim().split_once('='))
        .find(|(k, _)| *k == "t")
        .map(|(_, v)| (String::from("Stripe-Signature t"), v.trim()))
        .ok_or_else(|| malformed(String::from("Stripe-Signature has no t=")))
}

/// ASCII digits only, as Unix seconds.
fn parse_timestamp(name: &str, value: &str, unit: TimestampUnit) -> Result<i64, Error> {
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
type Candidates = (Vec<[u8; TAG_LEN]>, Vec<[u8; ED_SIG_LEN]>);

fn signatures(format: &SigFormat, raw: &str) -> Result<Candidates, Error> {
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

fn mac(key: &[u8], content: SignedContent, ts: &str, id: &str, body: &[u8]) -> [u8; TAG_LEN] {
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

/// Signs `body` as a sender of `scheme` with default options would: the
/// headers to send. See [`Verifier::sign`] for `timestamp` and `id`.
///
/// ```
/// use alertgate::{sign, Scheme, Verifier, VerifyOptions};
///
/// let headers = sign(Scheme::Github, "s3cret", b"{}", None, None).unwrap();
/// let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
/// let verifier = Verifier::new(Scheme::Github, &["s3cret"], &VerifyOptions::default()).unwrap();
/// assert!(verifier.verify(&pairs, b"{}", 0).is_ok());
/// ```
pub fn sign(
    scheme: Scheme,
    secret: &str,
    body: &[u8],
    timestamp: Option<i64>,
    id: Option<&str>,
) -> Result<Vec<(String, String)>, Error> {
    Verifier::new(scheme, &[secret], &VerifyOptions::default())?.sign(body, timestamp, id)
}

/// Headers as a JSON object, in order: `{"Name": "value", …}`.
pub fn headers_json(headers: &[(String, String)]) -> String {
    struct Ordered<'a>(&'a [(String, String)]);
    impl serde::Serialize for Ordered<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(self.0.len()))?;
            for (k, v) in self.0 {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }
    serde_json::to_string(&Ordered(headers)).unwrap_or_default()
}

/// An outgoing webhook: the body and the headers to POST with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingWebhook {
    /// `{"event": …, "timestamp": …, "data": …}`, compact.
    pub body: String,
    /// `Content-Type`, `X-Webhook-Event` and `X-Webhook-Signature: sha256=<hex>`.
    pub headers: Vec<(String, String)>,
}

/// Builds an OpsKnight-style event envelope and signs it, for outgoing webhooks.
/// `data_json` must be one JSON value; `timestamp` RFC 3339 (the core has no clock).
///
/// ```
/// let out = alertgate::outgoing_webhook("incident.created", "2024-01-15T10:30:00Z", r#"{"id":"42"}"#, "out-secret").unwrap();
/// assert_eq!(out.body, r#"{"event":"incident.created","timestamp":"2024-01-15T10:30:00Z","data":{"id":"42"}}"#);
/// assert!(out.headers.iter().any(|(n, v)| n == "X-Webhook-Signature" && v.starts_with("sha256=")));
/// ```
pub fn outgoing_webhook(
    event: &str,
    timestamp: &str,
    data_json: &str,
    secret: &str,
) -> Result<OutgoingWebhook, Error> {
    if event.trim().is_empty() {
        return Err(config(String::from("event is empty")));
    }
    if !crate::text::is_rfc3339(timestamp) {
        return Err(config(String::from("timestamp must be RFC 3339")));
    }
    let data: serde_json::Value =
        serde_json::from_str(data_json).map_err(|e| config(format!("data is not JSON: {e}")))?;
    let body = serde_json::json!({"event": event, "timestamp": timestamp, "data": data});
    // serde_json without preserve_order sorts keys; write the envelope in its documented order.
    let body = format!(
        r#"{{"event":{},"timestamp":{},"data":{}}}"#,
        body["event"], body["timestamp"], body["data"]
    );
    let mut headers = alloc::vec![
        (
            String::from("Content-Type"),
            String::from("application/json")
        ),
        (String::from("X-Webhook-Event"), String::from(event)),
    ];
    headers.extend(sign(
        Scheme::Opsknight,
        secret,
        body.as_bytes(),
        None,
        None,
    )?);
    Ok(OutgoingWebhook { body, headers })
}
