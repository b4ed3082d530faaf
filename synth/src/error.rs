//! Errors of the synthesis step, with stable codes and the HTTP status a web
//! app should answer with.

use std::fmt;
use std::time::Duration;

/// Why no brief could be had from the LLM.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SynthError {
    /// No API key is configured.
    NotConfigured,
    /// The server did not answer within the timeout.
    Timeout {
        /// The timeout that ran out.
        after: Duration,
    },
    /// DNS, connect or TLS failed.
    Transport {
        /// What failed.
        message: String,
    },
    /// The server answered with a non-2xx status.
    UpstreamStatus {
        /// The status.
        status: u16,
        /// The first 300 bytes of its body.
        body: String,
    },
    /// The answer was not JSON, or had no text.
    BadResponse {
        /// What was wrong.
        message: String,
    },
}

impl SynthError {
    /// The stable snake_case code, the same in every binding.
    pub fn code(&self) -> &'static str {
        match self {
            SynthError::NotConfigured => "not_configured",
            SynthError::Timeout { .. } => "timeout",
            SynthError::Transport { .. } => "transport",
            SynthError::UpstreamStatus { .. } => "upstream_status",
            SynthError::BadResponse { .. } => "bad_response",
        }
    }

    /// The HTTP status a web app should answer with.
    pub fn http_status(&self) -> u16 {
        match self {
            SynthError::NotConfigured => 503,
            _ => 502,
        }
    }

    /// `{"error":{"code","message","http_status"}}`, like `alertgate::Error::to_json`.
    pub fn to_json(&self) -> String {
        serde_json::json!({"error": {"code": self.code(), "message": self.to_string(), "http_status": self.http_status()}})
            .to_string()
    }

    pub(crate) fn upstream(status: u16, body: &str) -> Self {
        let mut end = body.len().min(300);
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        SynthError::UpstreamStatus {
            status,
            body: String::from(&body[..end]),
        }
    }

    pub(crate) fn from_ureq(e: ureq::Error, timeout: Duration) -> Self {
        match e {
            ureq::Error::Timeout(_) => SynthError::Timeout { after: timeout },
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                SynthError::Timeout { after: timeout }
            }
            ureq::Error::BodyExceedsLimit(n) => SynthError::BadResponse {
                message: format!("the reply is larger than {n} bytes"),
            },
            other => SynthError::Transport {
                message: other.to_string(),
            },
        }
    }
}

impl fmt::Display for SynthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SynthError::NotConfigured => f.write_str("no LLM API key is configured"),
            SynthError::Timeout { after } => {
                write!(
                    f,
                    "the LLM server did not answer within {}s",
                    after.as_secs_f64()
                )
            }
            SynthError::Transport { message } => {
                write!(f, "cannot reach the LLM server: {message}")
            }
            SynthError::UpstreamStatus { status, body } => {
                write!(f, "the LLM server answered {status}: {body}")
            }
            SynthError::BadResponse { message } => write!(f, "unusable LLM reply: {message}"),
        }
    }
}

impl std::error::Error for SynthError {}
