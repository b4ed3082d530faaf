//! The exception classes, and errors turned into them.

use alertgate_synth::SynthError;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    alertgate,
    AlertgateError,
    PyException,
    "Base of every alertgate error; has `.code` and `.http_status`."
);
create_exception!(
    alertgate,
    PayloadError,
    AlertgateError,
    "The payload was rejected (HTTP 4xx)."
);
create_exception!(
    alertgate,
    AuthError,
    AlertgateError,
    "Authentication failed (HTTP 401)."
);
create_exception!(
    alertgate,
    ConfigError,
    AlertgateError,
    "Options, mapping or verifier configuration are invalid."
);
create_exception!(
    alertgate,
    SynthesisError,
    AlertgateError,
    "No brief could be had from the LLM."
);

/// An exception of the right class, with `.code` and `.http_status` set.
pub(crate) fn error(py: Python<'_>, code: &str, message: String, http_status: u16) -> PyErr {
    let err = match (code, http_status) {
        ("not_configured" | "timeout" | "transport" | "upstream_status" | "bad_response", _) => {
            SynthesisError::new_err(message)
        }
        ("invalid_config" | "invalid_mapping" | "unknown_source" | "unsupported_source", _) => {
            ConfigError::new_err(message)
        }
        (_, 401) => AuthError::new_err(message),
        _ => PayloadError::new_err(message),
    };
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail.
    let _ = value.setattr("code", code);
    let _ = value.setattr("http_status", http_status);
    err
}

pub(crate) fn core_error(py: Python<'_>, e: &alertgate::Error) -> PyErr {
    error(py, e.code(), e.to_string(), e.http_status())
}

pub(crate) fn synth_error(py: Python<'_>, e: &SynthError) -> PyErr {
    error(py, e.code(), e.to_string(), e.http_status())
}
