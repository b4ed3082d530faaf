//! The schemes and the options that configure them.

use alloc::format;
use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use super::config;
use crate::Error;

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
    pub(super) fn uses_ts(self) -> bool {
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
