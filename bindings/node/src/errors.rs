//! Errors: the core's, described in plain data, and failed napi calls.

use alertgate_synth::SynthError;
use napi::bindgen_prelude::{JsObjectValue, JsValue, Unknown};
use napi::{Env, JsError, JsTypeError};

/// An error described in plain data, so it can be made on any thread and
/// turned into a JavaScript `Error` on the main one.
#[derive(Debug)]
pub struct Fault {
    code: &'static str,
    message: String,
    http_status: u16,
    /// The `name` of the JavaScript error: the Python binding's exception class
    /// (`PayloadError`, `AuthError`, `ConfigError`, `SynthesisError`), or
    /// `TypeError` for a bad argument (then it is a real `TypeError`).
    name: &'static str,
    /// For `upstream_status`: the status the LLM server answered with.
    upstream_status: Option<u16>,
}

impl Fault {
    pub(crate) fn new(code: &'static str, message: String, http_status: u16) -> Self {
        let name = match (code, http_status) {
            (
                "not_configured" | "timeout" | "transport" | "upstream_status" | "bad_response",
                _,
            ) => "SynthesisError",
            ("invalid_config" | "invalid_mapping" | "unknown_source" | "unsupported_source", _) => {
                "ConfigError"
            }
            (_, 401) => "AuthError",
            _ => "PayloadError",
        };
        Fault {
            code,
            message,
            http_status,
            name,
            upstream_status: None,
        }
    }

    pub(crate) fn core(e: &alertgate::Error) -> Self {
        Fault::new(e.code(), e.to_string(), e.http_status())
    }

    pub(crate) fn synth(e: &SynthError) -> Self {
        let mut f = Fault::new(e.code(), e.to_string(), e.http_status());
        if let SynthError::UpstreamStatus { status, .. } = e {
            f.upstream_status = Some(*status);
        }
        f
    }

    /// A value of the wrong type or out of range: the caller's bug, like
    /// `invalid_config`, hence HTTP 500.
    pub(crate) fn argument(message: String) -> Self {
        Fault {
            code: "invalid_argument",
            message,
            http_status: 500,
            name: "TypeError",
            upstream_status: None,
        }
    }

    pub(crate) fn invalid_config(message: String) -> Self {
        Fault::new("invalid_config", message, 500)
    }

    /// The JavaScript `Error` (with `code`, `httpStatus` and `name`) wrapped so
    /// that napi throws or rejects with exactly this object.
    pub(crate) fn into_napi(self, env: &Env) -> napi::Error {
        match self.build(env) {
            Ok(value) => napi::Error::from(value),
            Err(e) => e,
        }
    }

    pub(crate) fn build<'e>(self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        let base = napi::Error::new(self.code, self.message);
        let value = if self.name == "TypeError" {
            JsTypeError::from(base).into_unknown(*env)
        } else {
            JsError::from(base).into_unknown(*env)
        };
        let mut obj = value.coerce_to_object()?;
        obj.set_named_property("httpStatus", u32::from(self.http_status))?;
        if self.name != "TypeError" {
            obj.set_named_property("name", self.name)?;
        }
        if let Some(status) = self.upstream_status {
            obj.set_named_property("upstreamStatus", u32::from(status))?;
        }
        Ok(value)
    }
}

/// Why a call failed: our own error, or a failed napi call (whose JavaScript
/// exception, if any, is already pending).
pub(crate) enum Fail {
    Fault(Fault),
    Napi(napi::Error),
}

impl From<napi::Error> for Fail {
    fn from(e: napi::Error) -> Self {
        Fail::Napi(e)
    }
}

impl From<Fault> for Fail {
    fn from(f: Fault) -> Self {
        Fail::Fault(f)
    }
}

impl Fail {
    pub(crate) fn into_napi(self, env: &Env) -> napi::Error {
        match self {
            Fail::Fault(f) => f.into_napi(env),
            Fail::Napi(e) => e,
        }
    }
}

pub(crate) type R<T> = std::result::Result<T, Fail>;

pub(crate) fn bad<T>(message: String) -> R<T> {
    Err(Fail::Fault(Fault::argument(message)))
}
