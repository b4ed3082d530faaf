//! The Node.js binding of alertgate (`require('alertgate')`), built with napi-rs.
//!
//! - `ingestJson` reads one webhook request into the canonical JSON text
//!   (`Ingest::to_json`). `ingest`, in the package entry (`alertgate.js`),
//!   returns the same value as plain objects: it calls the internal
//!   `__ingestWire`, whose compact text (see `wire`) JavaScript turns into
//!   objects in well under half the time `JSON.parse` of the JSON takes.
//! - `Verifier`, `verify` and `sign` check and produce webhook signatures;
//!   `snsCertificateUrl` and `snsSubscribeUrl` read the URLs an AWS SNS
//!   message names, once they are known to be SNS's (the caller fetches them).
//! - `SynthConfig`, `synthesize` (a Promise, run on the libuv thread pool),
//!   `synthesizeSync` and `templateBrief` write investigation briefs.
//!
//! Arguments are read by hand from JavaScript values, so that a wrong type is
//! always an `Error` with `code: "invalid_argument"` rather than one of napi's
//! generic conversion errors. Every other error carries the stable code and
//! HTTP status of the Rust core.

// No unsafe code here; `deny` rather than `forbid` because the `#[napi]`
// expansions allow it locally for their FFI glue.
#![deny(unsafe_code)]

mod args;
mod conversion;
mod errors;
mod ingest;
mod synth;
mod verify;

// The public items, at the crate root as napi declares them.
pub use conversion::{Alert, DetectionStep, Explanation, Ingest, Link, Warning};
pub use errors::Fault;
pub use ingest::{IngestOptions, ingest_json, ingest_wire};
pub use synth::{
    Brief, SynthConfig, SynthConfigOptions, Synthesis, synthesize, synthesize_sync, template_brief,
};
pub use verify::{Verifier, VerifierOptions, sign, sns_certificate_url, sns_subscribe_url, verify};

use napi_derive::napi;

// The core allocates a string or a list for most fields of a result, and with
// glibc's malloc those calls and frees were a fifth of `ingest`'s time on one
// alert. This allocator serves only this addon's Rust code (Node keeps its
// own), and everything allocated here is freed here.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The version of the alertgate binding (the crate version).
#[napi]
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
