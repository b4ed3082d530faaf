//! The one error type of the crate, with stable codes and HTTP statuses.

use alloc::string::{String, ToString};
use core::fmt;

use crate::Source;

/// Why a request could not be ingested or verified.
///
/// Every variant has a stable [`code`](Error::code) and the HTTP status
/// ([`http_status`](Error::http_status)) a web app should answer with, so that
/// every embedding answers the same status for the same fault.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The body is empty or whitespace only.
    EmptyBody,
    /// The body is larger than `Limits::max_body_bytes`.
    PayloadTooLarge {
        /// The body's size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The body (or a text part of it) is not UTF-8.
    InvalidUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The body was announced or recognised as JSON but does not parse.
    InvalidJson {
        /// 1-based line of the fault.
        line: usize,
        /// 1-based column of the fault.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// The top-level JSON value is not an object.
    NotAnObject {
        /// What it is instead: "array", "string", "number", "boolean" or "null".
        found: &'static str,
    },
    /// JSON nesting is deeper than `Limits::max_depth`.
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// The payload does not fit the sender it was read as.
    PayloadMismatch {
        /// The sender.
        source: Source,
        /// What is missing or wrong, e.g. "missing required field 'alerts'".
        message: String,
    },
    /// A field is longer than its limit and `Limits::strict` is set.
    FieldTooLong {
        /// The field, e.g. `alerts[0].title`.
        field: String,
        /// The limit in characters.
        limit: usize,
    },
    /// A source name that is not one of the stable ids.
    UnknownSource {
        /// The name given (cut to 64 characters).
        name: String,
    },
    /// A known source this version cannot read yet.
    UnsupportedSource {
        /// The source.
        source: Source,
    },
    /// The options or verifier configuration are invalid (found at construction,
    /// never caused by a request).
    InvalidConfig {
        /// What is wrong.
        message: String,
    },
    /// A custom mapping is invalid (found when it is loaded).
    InvalidMapping {
        /// What is wrong, naming the field and pointer.
        message: String,
    },
    /// A header the scheme requires is absent.
    MissingCredentials {
        /// The header that was expected.
        header: String,
    },
    /// A bearer token or shared secret did not match.
    InvalidToken,
    /// No signature matched any configured secret.
    SignatureMismatch,
    /// A signature or timestamp header could not be read (wrong length, empty,
    /// missing prefix, not digits …).
    MalformedSignature {
        /// What is wrong with it.
        message: String,
    },
    /// The signed timestamp is further from `now` than the tolerance allows.
    TimestampOutOfTolerance {
        /// The request's timestamp, Unix seconds.
        timestamp: i64,
        /// The caller's clock, Unix seconds.
        now: i64,
        /// The tolerance, seconds.
        tolerance: u64,
    },
}

impl Error {
    /// The stable snake_case code, the same in every binding.
    pub fn code(&self) -> &'static str {
        match self {
            Error::EmptyBody => "empty_body",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::InvalidUtf8 { .. } => "invalid_utf8",
            Error::InvalidJson { .. } => "invalid_json",
            Error::NotAnObject { .. } => "not_an_object",
            Error::TooDeep { .. } => "too_deep",
            Error::PayloadMismatch { .. } => "payload_mismatch",
            Error::FieldTooLong { .. } => "field_too_long",
            Error::UnknownSource { .. } => "unknown_source",
            Error::UnsupportedSource { .. } => "unsupported_source",
            Error::InvalidConfig { .. } => "invalid_config",
            Error::InvalidMapping { .. } => "invalid_mapping",
            Error::MissingCredentials { .. } => "missing_credentials",
            Error::InvalidToken => "invalid_token",
            Error::SignatureMismatch => "signature_mismatch",
            Error::MalformedSignature { .. } => "malformed_signature",
            Error::TimestampOutOfTolerance { .. } => "timestamp_out_of_tolerance",
        }
    }

    /// The HTTP status a web app should answer for this error.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::PayloadTooLarge { .. } => 413,
            // The caller's configuration is wrong, not the sender's request.
            Error::InvalidConfig { .. } | Error::InvalidMapping { .. } => 500,
            Error::MissingCredentials { .. }
            | Error::InvalidToken
            | Error::SignatureMismatch
            | Error::MalformedSignature { .. }
            | Error::TimestampOutOfTolerance { .. } => 401,
            _ => 400,
        }
    }
}

impl Error {
    /// The error as `{"error":{"code","message","http_status"}}`, the shape the
    /// CLI prints and web apps answer with.
    pub fn to_json(&self) -> String {
        let body = ErrorJson {
            error: ErrorBody {
                code: self.code(),
                message: self.to_string(),
                http_status: self.http_status(),
            },
        };
        serde_json::to_string(&body).unwrap_or_default()
    }
}

#[derive(serde::Serialize)]
struct ErrorJson {
    error: ErrorBody,
}

#[derive(serde::Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
    http_status: u16,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::EmptyBody => f.write_str("the body is empty"),
            Error::PayloadTooLarge { size, limit } => {
                write!(f, "the body is {size} bytes; the limit is {limit}")
            }
            Error::InvalidUtf8 { offset } => {
                write!(f, "the body is not valid UTF-8 (at byte {offset})")
            }
            Error::InvalidJson {
                line,
                column,
                message,
            } => write!(f, "invalid JSON at line {line} column {column}: {message}"),
            Error::NotAnObject { found } => {
                write!(f, "the JSON body must be an object, not {found}")
            }
            Error::TooDeep { limit } => {
                write!(f, "the JSON body is nested deeper than {limit} levels")
            }
            Error::PayloadMismatch { source, message } => {
                write!(f, "payload does not fit source '{source}': {message}")
            }
            Error::FieldTooLong { field, limit } => {
                write!(f, "{field} is longer than {limit} characters")
            }
            Error::UnknownSource { name } => write!(f, "unknown source '{name}'"),
            Error::UnsupportedSource { source } => {
                write!(f, "source '{source}' is not supported by this version")
            }
            Error::InvalidConfig { message } => write!(f, "invalid configuration: {message}"),
            Error::InvalidMapping { message } => write!(f, "invalid mapping: {message}"),
            Error::MissingCredentials { header } => write!(f, "missing header {header}"),
            Error::InvalidToken => f.write_str("the token does not match"),
            Error::SignatureMismatch => f.write_str("no signature matches"),
            Error::MalformedSignature { message } => write!(f, "malformed signature: {message}"),
            Error::TimestampOutOfTolerance {
                timestamp,
                now,
                tolerance,
            } => write!(
                f,
                "timestamp {timestamp} is more than {tolerance}s from now ({now})"
            ),
        }
    }
}

impl core::error::Error for Error {}
