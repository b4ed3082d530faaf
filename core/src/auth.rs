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
    /// Standard Webhooks (and Svix): `webhook-signature: v1,<base64>` over `{id}.{ts}.{body}`.
    StandardWebhooks => "standard_webhooks",
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = Error;

    /// Parses a scheme name (`-` accepted for `_`; `svix` is `standard_webhooks`).
    fn from_str(s: &str) -> Result<Self, Error> {
        let name = s.trim().to_ascii_lowercase().replace('-', "_");
        if name == "svix" {
            return Ok(Scheme::StandardWebhooks);
        }
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

#[derive(Debug, Clone)]
enum Method {
    /// A token compared with the secrets: bearer, or the raw header value.
    Token {
        header: Cow<'static, str>,
        bearer: bool,
    },
    /// An HMAC-SHA256 signature.
    Hmac {
        signature: Names,
        format: SigFormat,
        timestamp: Option<Names>,
        unit: TimestampUnit,
        id: Option<Names>,
        content: SignedContent,
    },
}

/// A scheme with its secrets and settings, built once and reused for every request.
#[derive(Clone)]
pub struct Verifier {
    scheme: Scheme,
    method: Method,
    tolerance: u64,
    /// HMAC keys, or SHA-256 digests of tokens (so comparisons are fixed-length).
    keys: Vec<Vec<u8>>,
    /// The first token, kept for `sign` (token schemes only).
    token_secret: Option<String>,
}

impl fmt::Debug for Verifier {
    // Never print secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("scheme", &self.scheme)
            .field("secrets", &self.keys.len())
            .finish_non_exhaustive()
    }
}

/// A signature scheme's headers, parsed: the candidate tags, the signed
/// timestamp and id (empty when the content does not sign them).
struct Signed<'a> {
    candidates: Vec<[u8; TAG_LEN]>,
    ts: &'a str,
    id: &'a str,
}

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
    /// Builds a verifier. Fails with `invalid_config` for no secrets, an empty
    /// or whitespace secret, an undecodable Standard Webhooks secret, or an
    /// option the scheme does not use.
    pub fn new<S: AsRef<str>>(
        scheme: Scheme,
        secrets: &[S],
        options: &VerifyOptions,
    ) -> Result<Self, Error> {
        let method = method(scheme, options)?;
        if secrets.is_empty() {
            return Err(config(String::from("at least one secret is required")));
        }
        let keys = secrets
            .iter()
            .map(|s| key(scheme, &method, s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let token_secret = match method {
            Method::Token { .. } => Some(String::from(secrets[0].as_ref().trim())),
            Method::Hmac { .. } => None,
        };
        Ok(Verifier {
            scheme,
            method,
            tolerance: options.tolerance,
            keys,
            token_secret,
        })
    }

    /// The scheme this verifier checks.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Checks the request's credentials against the raw body bytes. Call it
    /// before parsing: only the exact bytes received are ever verified.
    pub fn verify(&self, headers: &[(&str, &str)], body: &[u8], now: i64) -> Result<(), Error> {
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
        Err(Error::SignatureMismatch)
    }

    /// Judges what the headers alone can tell, before the body is read: a token
    /// scheme is checked fully; a signature scheme's headers must be present and
    /// well formed, and a signed timestamp inside the tolerance. A request that
    /// passes still needs [`Verifier::verify`] on its body.
    pub fn check_headers(&self, headers: &[(&str, &str)], now: i64) -> Result<(), Error> {
        self.judge_headers(headers, now).map(|_| ())
    }

    /// What identifies this delivery, for recognising a replay of it: the
    /// sender's delivery-id header (`X-GitHub-Delivery`, `webhook-id`/`svix-id`,
    /// Sentry's `Request-ID`, PagerDuty's `X-Webhook-Id`, the configured id
    /// header), else the signature itself when the signed content carries a
    /// timestamp (a replay repeats it exactly). `None` when the scheme gives
    /// neither: a replay cannot be told from a deliberate repeat.
    pub fn delivery_id<'a>(&self, headers: &[(&str, &'a str)]) -> Option<&'a str> {
        let Method::Hmac {
            id,
            content,
            format,
            ..
        } = &self.method
        else {
            return None;
        };
        let named = match (self.scheme, id) {
            (_, Some(names)) => first_header(headers, names).ok().map(|(_, v)| v),
            (Scheme::Github, _) => find_header(headers, "X-GitHub-Delivery"),
            (Scheme::Sentry, _) => find_header(headers, "Request-ID"),
            (Scheme::Pagerduty, _) => find_header(headers, "X-Webhook-Id"),
            _ => None,
        };
        let timestamped = content.uses_ts() || matches!(format, SigFormat::Stripe);
        named
            .filter(|v| !v.is_empty())
            .or_else(|| timestamped.then(|| self.signature(headers)).flatten())
    }

    /// The raw value of the signature header (signature schemes only).
    pub fn signature<'a>(&self, headers: &[(&str, &'a str)]) -> Option<&'a str> {
        match &self.method {
            Method::Hmac { signature, .. } => first_header(headers, signature)
                .ok()
                .map(|(_, v)| v)
                .filter(|v| !v.is_empty()),
            Method::Token { .. } => None,
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

    /// The header part of `verify`: a token scheme checked whole (`None`), or a
    /// signature scheme's parsed candidates, timestamp and id (`Some`).
    fn judge_headers<'a>(
        &self,
        headers: &[(&str, &'a str)],
        now: i64,
    ) -> Result<Option<Signed<'a>>, Error> {
        let Method::Hmac {
            signature,
            format,
            timestamp,
            unit,
            id,
            content,
        } = &self.method
        else {
            let Method::Token { header, bearer } = &self.method else {
                return Ok(None);
            };
            return self.verify_token(headers, header, *bearer).map(|()| None);
        };
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
        Ok(Some(Signed {
            candidates: signatures(format, raw)?,
            ts: ts.map_or("", |(_, v)| v),
            id: id_value,
        }))
    }

    fn verify_token(
        &self,
        headers: &[(&str, &str)],
        header: &str,
        bearer: bool,
    ) -> Result<(), Error> {
        let value = find_header(headers, header).ok_or_else(|| Error::MissingCredentials {
            header: header.to_string(),
        })?;
        let token = if bearer {
            match value.split_once(' ') {
                Some((kind, token)) if kind.eq_ignore_ascii_case("bearer") => token.trim(),
                _ => return Err(Error::InvalidToken),
            }
        } else {
            value
        };
        if token.is_empty() {
            return Err(Error::InvalidToken);
        }
        // Comparing digests keeps the comparison fixed-length: no length leak.
        let digest = Sha256::digest(token.as_bytes());
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
            Method::Token { header, bearer } => {
                let secret = self.token_secret.as_deref().unwrap_or_default();
                let value = if *bearer {
                    format!("Bearer {secret}")
                } else {
                    String::from(secret)
                };
                Ok(alloc::vec![(header.to_string(), value)])
            }
            Method::Hmac {
                signature,
                format,
                timestamp: ts_names,
                unit,
                id: id_names,
                content,
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
                let tag = mac(&self.keys[0], *content, ts_str, id_str, body);
                let sig_value = match format {
                    SigFormat::Hex { prefix } => format!("{prefix}{}", hex::encode(tag)),
                    SigFormat::PagerdutyList => format!("v1={}", hex::encode(tag)),
                    SigFormat::Stripe => format!("t={ts_str},v1={}", hex::encode(tag)),
                    SigFormat::StandardList => format!("v1,{}", B64.encode(tag)),
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
        _ => &[],
    };
    let set = [
        ("signature_header", o.signature_header.is_some()),
        ("timestamp_header", o.timestamp_header.is_some()),
        ("timestamp_unit", o.timestamp_unit != TimestampUnit::Seconds),
        ("id_header", o.id_header.is_some()),
        ("prefix", o.prefix.is_some()),
        ("signed_content", o.signed_content.is_some()),
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
    };
    Ok(match scheme {
        Scheme::Bearer => Method::Token {
            header: Cow::Borrowed("Authorization"),
            bearer: true,
        },
        Scheme::SharedSecret => Method::Token {
            header: custom(&o.signature_header, "X-Webhook-Secret").remove(0),
            bearer: false,
        },
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
        },
        Scheme::Slack => Method::Hmac {
            signature: names(&["X-Slack-Signature"]),
            format: hex("v0="),
            timestamp: Some(names(&["X-Slack-Request-Timestamp"])),
            unit: TimestampUnit::Seconds,
            id: None,
            content: SignedContent::V0TsBody,
        },
        Scheme::Stripe => Method::Hmac {
            signature: names(&["Stripe-Signature"]),
            format: SigFormat::Stripe,
            timestamp: None,
            unit: TimestampUnit::Seconds,
            id: None,
            content: SignedContent::TsDotBody,
        },
        Scheme::StandardWebhooks => Method::Hmac {
            signature: names(&["webhook-signature", "svix-signature"]),
            format: SigFormat::StandardList,
            timestamp: Some(names(&["webhook-timestamp", "svix-timestamp"])),
            unit: TimestampUnit::Seconds,
            id: Some(names(&["webhook-id", "svix-id"])),
            content: SignedContent::IdDotTsDotBody,
        },
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
            }
        }
    })
}

/// The key material for one secret.
fn key(scheme: Scheme, method: &Method, secret: &str) -> Result<Vec<u8>, Error> {
    if secret.trim().is_empty() {
        return Err(config(String::from("a secret is empty")));
    }
    Ok(match (scheme, method) {
        (_, Method::Token { .. }) => Sha256::digest(secret.trim().as_bytes()).to_vec(),
        (Scheme::StandardWebhooks, _) => {
            let b64 = secret.trim();
            let b64 = b64.strip_prefix("whsec_").unwrap_or(b64);
            let key = B64.decode(b64).map_err(|_| {
                config(String::from(
                    "a standard_webhooks secret is not base64 after whsec_",
                ))
            })?;
            if key.is_empty() {
                return Err(config(String::from("a secret is empty")));
            }
            key
        }
        // Stripe's key is the whole `whsec_…` string; PagerDuty's looks like base64 but is used as is.
        _ => secret.as_bytes().to_vec(),
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
fn signatures(format: &SigFormat, raw: &str) -> Result<Vec<[u8; TAG_LEN]>, Error> {
    let hex_tag = |s: &str| {
        let mut tag = [0u8; TAG_LEN];
        hex::decode_to_slice(s.trim(), &mut tag).ok().map(|()| tag)
    };
    let out: Vec<[u8; TAG_LEN]> = match format {
        SigFormat::Hex { prefix } => {
            let Some(rest) = raw.strip_prefix(prefix.as_ref()) else {
                return Err(malformed(format!(
                    "signature does not start with '{prefix}'"
                )));
            };
            hex_tag(rest).into_iter().collect()
        }
        SigFormat::PagerdutyList => raw
            .split(',')
            .filter_map(|item| item.trim().strip_prefix("v1="))
            .filter_map(hex_tag)
            .collect(),
        SigFormat::Stripe => raw
            .split(',')
            .filter_map(|item| item.trim().strip_prefix("v1="))
            .filter_map(hex_tag)
            .collect(),
        SigFormat::StandardList => raw
            .split_ascii_whitespace()
            .filter_map(|item| item.strip_prefix("v1,"))
            .filter_map(|b64| {
                let mut tag = [0u8; TAG_LEN];
                // Exactly 32 bytes: an empty or short signature never compares.
                match B64.decode_slice(b64, &mut tag) {
                    Ok(TAG_LEN) => Some(tag),
                    _ => None,
                }
            })
            .collect(),
    };
    if out.is_empty() {
        return Err(malformed(String::from(
            "no well-formed signature of the expected length",
        )));
    }
    Ok(out)
}

/// HMAC-SHA256 over the signed content, fed piecewise so the body is never copied.
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
