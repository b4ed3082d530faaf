//! Signing as a sender would, and outgoing webhook envelopes.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::config;
use super::scheme::{Scheme, VerifyOptions};
use super::verifier::Verifier;
use crate::Error;

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
