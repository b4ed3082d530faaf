//! # alertgate
//!
//! Turns any inbound alert webhook (Prometheus Alertmanager, Grafana, Uptime
//! Kuma, Healthchecks.io, … or a plain `curl`) into one canonical, deduplicated
//! [`Ingest`]. The crate is pure: no clock, no I/O, no globals, `no_std` with
//! `alloc`. Callers pass the body, content type and headers; the result is
//! plain data whose JSON form ([`Ingest::to_json`]) is the contract shared by
//! every binding.
//!
//! ```
//! use alertgate::{ingest, Options, Request, Source};
//!
//! let body = br#"{"receiver":"ops","status":"firing","alerts":[{"status":"firing",
//!   "labels":{"alertname":"HighCPU","severity":"warning","instance":"node-1:9100"},
//!   "annotations":{"summary":"CPU above 80%"},"startsAt":"2024-01-15T10:30:00Z",
//!   "fingerprint":"abc123"}],"version":"4","groupKey":"{}:{alertname=\"HighCPU\"}"}"#;
//! let headers = [("User-Agent", "Alertmanager/0.27.0")];
//! let req = Request { body, content_type: Some("application/json"), headers: &headers };
//! let out = ingest(&req, &Options::default()).unwrap();
//! assert_eq!(out.source, Source::Alertmanager);
//! assert_eq!(out.alerts[0].title, "HighCPU");
//! assert_eq!(out.alerts[0].dedup_key, "abc123");
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod auth;
mod builder;
mod dedup;
mod error;
mod form;
mod ingest;
mod json;
mod map;
mod mapping;
mod model;
mod redact;
mod request;
mod scan;
mod sources;
mod tape;
mod text;
mod vocab;

pub use auth::{
    OutgoingWebhook, Scheme, SignedContent, TimestampUnit, Verifier, VerifyOptions, headers_json,
    outgoing_webhook, sign, sns_certificate_url, sns_subscribe_url,
};
pub use dedup::{cap_key, content_key, labels_fingerprint};
pub use error::Error;
pub use ingest::ingest;
pub use json::strip_tier;
pub use map::StrMap;
pub use mapping::Mapping;
pub use model::{
    Alert, DedupBasis, DetectedBy, DetectionStep, Explanation, Ingest, Link, Notice, Severity,
    Source, Status, Warning, WarningCode,
};
pub use redact::{REDACTED, is_secret_key, redact_json};
pub use request::{Limits, Options, Request};
pub use text::{is_rfc3339, unix_to_rfc3339};

/// The Rust examples of the README and of docs/ run as doc tests (`cargo test --doc`);
/// `make docs-check` runs their other examples.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../README.md")]
#[doc = include_str!("../../docs/canonical.md")]
#[doc = include_str!("../../docs/security.md")]
struct DocsDoctests;
