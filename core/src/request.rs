//! What the caller passes in: the request (borrowed) and the options.

use alloc::string::String;
use alloc::vec::Vec;

use crate::{Mapping, Severity, Source};

/// One inbound webhook request, borrowed from the caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request<'a> {
    /// The raw body bytes, exactly as received.
    pub body: &'a [u8],
    /// The `Content-Type`; when `None`, the `Content-Type` header is used, and then the body is sniffed.
    pub content_type: Option<&'a str>,
    /// The request headers as (name, value) pairs; names compare case-insensitively.
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> Request<'a> {
    /// A request with only a body.
    pub fn new(body: &'a [u8]) -> Self {
        Request {
            body,
            content_type: None,
            headers: &[],
        }
    }

    /// The first header with this name (case-insensitive), if any.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        find_header(self.headers, name)
    }

    /// The explicit content type, else the `Content-Type` header.
    pub fn effective_content_type(&self) -> Option<&'a str> {
        self.content_type.or_else(|| self.header("content-type"))
    }
}

/// The first header with this name (ASCII case-insensitive), value trimmed.
pub(crate) fn find_header<'a>(headers: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| crate::text::trim(n).eq_ignore_ascii_case(name))
        .map(|(_, v)| crate::text::trim(v))
}

/// How a request is read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Read the payload as this sender instead of detecting it.
    pub source_hint: Option<Source>,
    /// The highest tier a payload's `tier` field may ask for (at least 1; default 3).
    pub max_tier: u32,
    /// Size limits, and whether over-long fields are cut or rejected.
    pub limits: Limits,
    /// Sender severity words mapped before the built-in vocabulary (case-insensitive, trimmed).
    pub severity_overrides: Vec<(String, Severity)>,
    /// Add an `explanation`: the detection rules tried, and where every field came from.
    pub explain: bool,
    /// Read the payload with this custom mapping (the result says `source: generic`).
    pub mapping: Option<Mapping>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            source_hint: None,
            max_tier: 3,
            limits: Limits::default(),
            severity_overrides: Vec::new(),
            explain: false,
            mapping: None,
        }
    }
}

impl Options {
    /// Default options that read the payload as `source`.
    pub fn with_source(source: Source) -> Self {
        Options {
            source_hint: Some(source),
            ..Options::default()
        }
    }
}

/// Size limits. Over-long text fields are cut with "…" and a warning, or
/// rejected with `field_too_long` when `strict` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest body accepted, in bytes (default 1 MiB).
    pub max_body_bytes: usize,
    /// Deepest JSON nesting accepted (default 64).
    pub max_depth: usize,
    /// Longest title, in characters (default 200).
    pub max_title_chars: usize,
    /// Longest description, in characters (default 2000).
    pub max_description_chars: usize,
    /// Longest label or annotation key, in characters (default 256).
    pub max_key_chars: usize,
    /// Longest label or annotation value and any other text field, in characters (default 4096).
    pub max_value_chars: usize,
    /// Reject over-long fields instead of cutting them.
    pub strict: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            max_depth: 64,
            max_title_chars: 200,
            max_description_chars: 2000,
            max_key_chars: 256,
            max_value_chars: 4096,
            strict: false,
        }
    }
}

impl Limits {
    /// The default limits, rejecting over-long fields instead of cutting them.
    pub fn strict() -> Self {
        Limits {
            strict: true,
            ..Limits::default()
        }
    }
}
