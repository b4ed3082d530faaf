//! AWS SNS message signatures (SignatureVersion 1: RSA-SHA1, 2: RSA-SHA256)
//! over the canonical string of each message type, verified with the signing
//! certificate the caller fetched from the message's `SigningCertURL`.
//!
//! The core stays pure: it never fetches anything. It says which URL may be
//! fetched ([`sns_certificate_url`]: https, host `sns.<region>.amazonaws.com`
//! or the `.amazonaws.com.cn` partition, a path ending in `.pem`, nothing
//! else) and checks the signature with the certificate handed back.

use alloc::format;
use alloc::string::String;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier as _;
use serde::Deserialize;
use x509_cert::Certificate;
use x509_cert::der::{Decode, DecodePem, Encode};

use crate::Error;

/// The members of an SNS message that are signed or say how.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Message<'a> {
    #[serde(rename = "Type", borrow)]
    kind: alloc::borrow::Cow<'a, str>,
    #[serde(borrow)]
    message_id: alloc::borrow::Cow<'a, str>,
    #[serde(borrow)]
    message: alloc::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    subject: Option<alloc::borrow::Cow<'a, str>>,
    #[serde(rename = "SubscribeURL", default, borrow)]
    subscribe_url: Option<alloc::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: alloc::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    token: Option<alloc::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    topic_arn: alloc::borrow::Cow<'a, str>,
    #[serde(borrow)]
    signature: alloc::borrow::Cow<'a, str>,
    #[serde(borrow)]
    signature_version: alloc::borrow::Cow<'a, str>,
    #[serde(rename = "SigningCertURL", borrow)]
    signing_cert_url: alloc::borrow::Cow<'a, str>,
}

fn malformed(message: String) -> Error {
    Error::MalformedSignature { message }
}

fn parse(body: &[u8]) -> Result<Message<'_>, Error> {
    serde_json::from_slice(body).map_err(|e| malformed(format!("not an SNS message: {e}")))
}

/// Whether `host` is SNS's in some region: `sns.<region>.amazonaws.com` or,
/// in the China partition, `sns.<region>.amazonaws.com.cn`.
fn sns_host(host: &str) -> bool {
    let region = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
        .and_then(|h| h.strip_prefix("sns."));
    region.is_some_and(|r| {
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

/// `https://<sns host><path>` and nothing else: no user, port, query or
/// fragment unless `query` allows one; the path as `path_ok` wants it.
fn sns_url(url: &str, query: bool, path_ok: impl Fn(&str) -> bool) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let (host, path_query) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (path, q) = match path_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_query, None),
    };
    sns_host(host)
        && !path_query.contains('#')
        && (query || q.is_none())
        && path.starts_with('/')
        && !path.contains("/../")
        && path_ok(path)
}

/// The message's `SigningCertURL`, once it is known to be SNS's: the URL the
/// caller fetches (with its own HTTP client) and hands to
/// [`crate::Verifier::verify_with_certificate`]. Anything else is refused,
/// so a forged message cannot make the caller fetch, or trust, a certificate
/// of its choosing.
///
/// ```
/// let body = br#"{"Type":"Notification","SigningCertURL":"https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem"}"#;
/// assert!(alertgate::sns_certificate_url(body).is_ok());
/// let forged = br#"{"Type":"Notification","SigningCertURL":"https://sns.eu-west-1.amazonaws.com.evil.com/x.pem"}"#;
/// assert_eq!(alertgate::sns_certificate_url(forged).unwrap_err().code(), "malformed_signature");
/// ```
pub fn sns_certificate_url(body: &[u8]) -> Result<String, Error> {
    #[derive(Deserialize)]
    struct Url<'a> {
        #[serde(rename = "SigningCertURL", borrow)]
        url: Option<alloc::borrow::Cow<'a, str>>,
    }
    let url: Url<'_> =
        serde_json::from_slice(body).map_err(|e| malformed(format!("not an SNS message: {e}")))?;
    let url = url
        .url
        .ok_or_else(|| malformed(String::from("the message has no SigningCertURL")))?;
    certificate_url_ok(&url)?;
    Ok(url.into_owned())
}

fn certificate_url_ok(url: &str) -> Result<(), Error> {
    if sns_url(url, false, |p| p.ends_with(".pem")) {
        Ok(())
    } else {
        Err(malformed(format!(
            "SigningCertURL '{}' is not an SNS certificate URL",
            crate::text::bounded(url, 200)
        )))
    }
}

/// A `SubscriptionConfirmation`'s `SubscribeURL`, once it is known to be SNS's
/// (https, an SNS host): the URL that confirms the subscription when fetched.
/// Check the message's signature first.
pub fn sns_subscribe_url(body: &[u8]) -> Result<String, Error> {
    let m = parse(body)?;
    let url = m
        .subscribe_url
        .ok_or_else(|| malformed(String::from("the message has no SubscribeURL")))?;
    if !sns_url(&url, true, |_| true) {
        return Err(malformed(format!(
            "SubscribeURL '{}' is not an SNS URL",
            crate::text::bounded(&url, 200)
        )));
    }
    Ok(url.into_owned())
}

/// The string SNS signs for `m`: each signed member's name and value on lines
/// of their own, in this order, the set depending on the type.
fn canonical(m: &Message<'_>) -> Result<String, Error> {
    let mut out = String::new();
    let mut push = |name: &str, value: &str| {
        out.push_str(name);
        out.push('\n');
        out.push_str(value);
        out.push('\n');
    };
    match m.kind.as_ref() {
        "Notification" => {
            push("Message", &m.message);
            push("MessageId", &m.message_id);
            if let Some(s) = &m.subject {
                push("Subject", s);
            }
            push("Timestamp", &m.timestamp);
            push("TopicArn", &m.topic_arn);
            push("Type", &m.kind);
        }
        "SubscriptionConfirmation" | "UnsubscribeConfirmation" => {
            let missing = |name: &str| malformed(format!("a {} has no {name}", m.kind));
            push("Message", &m.message);
            push("MessageId", &m.message_id);
            push(
                "SubscribeURL",
                m.subscribe_url
                    .as_deref()
                    .ok_or_else(|| missing("SubscribeURL"))?,
            );
            push("Timestamp", &m.timestamp);
            push("Token", m.token.as_deref().ok_or_else(|| missing("Token"))?);
            push("TopicArn", &m.topic_arn);
            push("Type", &m.kind);
        }
        other => {
            return Err(malformed(format!(
                "unknown SNS message type '{}'",
                crate::text::bounded(other, 64)
            )));
        }
    }
    Ok(out)
}

/// The RSA key of a PEM or DER certificate.
fn public_key(certificate: &[u8]) -> Result<RsaPublicKey, Error> {
    let bad = |what: &str| malformed(format!("the signing certificate {what}"));
    let cert = if certificate.starts_with(b"-----BEGIN") {
        Certificate::from_pem(certificate).map_err(|_| bad("is not a PEM certificate"))?
    } else {
        Certificate::from_der(certificate).map_err(|_| bad("is not a certificate"))?
    };
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|_| bad("has no readable public key"))?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|_| bad("has no RSA public key"))
}

/// Checks an SNS message's signature with its signing certificate, and its
/// topic against `topics` (any topic when empty).
pub(crate) fn verify(body: &[u8], certificate: &[u8], topics: &[String]) -> Result<(), Error> {
    let m = parse(body)?;
    // The URL is judged even though the caller fetched it: a certificate that
    // came from anywhere else must not be trusted by mistake.
    certificate_url_ok(&m.signing_cert_url)?;
    if !topics.is_empty() && !topics.iter().any(|t| *t == m.topic_arn) {
        return Err(Error::InvalidToken);
    }
    let text = canonical(&m)?;
    let signature = B64
        .decode(m.signature.as_bytes())
        .ok()
        .and_then(|s| Signature::try_from(s.as_slice()).ok())
        .ok_or_else(|| malformed(String::from("Signature is not base64 of an RSA signature")))?;
    let key = public_key(certificate)?;
    let ok = match m.signature_version.as_ref() {
        "1" => VerifyingKey::<sha1::Sha1>::new(key)
            .verify(text.as_bytes(), &signature)
            .is_ok(),
        "2" => VerifyingKey::<sha2::Sha256>::new(key)
            .verify(text.as_bytes(), &signature)
            .is_ok(),
        other => {
            return Err(malformed(format!(
                "SignatureVersion '{}' is not 1 or 2",
                crate::text::bounded(other, 16)
            )));
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Error::SignatureMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sns_urls_are_fetched() {
        let cert = |u: &str| sns_url(u, false, |p| p.ends_with(".pem"));
        for ok in [
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123.pem",
            "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem",
        ] {
            assert!(cert(ok), "{ok}");
        }
        for bad in [
            "http://sns.us-east-1.amazonaws.com/a.pem",
            "https://sns.evil.com/a.pem",
            "https://sns.us-east-1.amazonaws.com.evil.com/a.pem",
            "https://sns.us-east-1.amazonaws.com/a.txt",
            "https://sns.us-east-1.amazonaws.com/a.pem?x=1",
            "https://sns.us-east-1.amazonaws.com:8443/a.pem",
            "https://user@sns.us-east-1.amazonaws.com/a.pem",
            "https://sns..amazonaws.com/a.pem",
            "https://sns.us-east-1.amazonaws.com/../a.pem#x",
            "https://evil.com/sns.us-east-1.amazonaws.com/a.pem",
            "https://sns.US-EAST-1.amazonaws.com/a.pem",
        ] {
            assert!(!cert(bad), "{bad}");
        }
        assert!(sns_url(
            "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=x",
            true,
            |_| true
        ));
    }
}
