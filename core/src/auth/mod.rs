//! Authenticity: verify inbound credentials and signatures on the raw body
//! bytes, and sign outgoing webhooks the way receivers verify them.
//!
//! A [`Verifier`] is built once from a [`Scheme`], one or more secrets
//! (rotation: any one verifying passes) and [`VerifyOptions`], then reused.
//! There is no clock here: callers pass `now` in Unix seconds. Every secret
//! comparison is constant-time.

use alloc::string::String;

use hmac::Hmac;
use sha2::Sha256;

use crate::Error;

mod outgoing;
mod preset;
mod scheme;
mod sns;
mod verifier;
mod wire;

pub use outgoing::{OutgoingWebhook, headers_json, outgoing_webhook, sign};
pub use scheme::{Scheme, SignedContent, TimestampUnit, VerifyOptions};
pub use sns::{sns_certificate_url, sns_subscribe_url};
pub use verifier::Verifier;

type HmacSha256 = Hmac<Sha256>;

/// Length of an HMAC-SHA256 tag in bytes.
const TAG_LEN: usize = 32;

/// Length of an ed25519 signature in bytes.
const ED_SIG_LEN: usize = 64;

fn config(message: String) -> Error {
    Error::InvalidConfig { message }
}
