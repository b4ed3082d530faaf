//! The Python module `alertgate._alertgate` (re-exported by `alertgate`).
//!
//! The Rust work happens once per call; results keep the Rust `Ingest` and
//! build Python objects only when an attribute is read.
mod args;
mod auth;
mod errors;
mod ingest;
mod synth;

use pyo3::prelude::*;

use auth::{PyVerifier, sign, sns_certificate_url, sns_subscribe_url, verify};
use errors::{AlertgateError, AuthError, ConfigError, PayloadError, SynthesisError};
use ingest::{Alert, Ingest, Link};
use synth::{Brief, PySynthConfig, synthesize, template_brief};

#[pymodule]
fn _alertgate(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(ingest::ingest, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(sign, m)?)?;
    m.add_function(wrap_pyfunction!(sns_certificate_url, m)?)?;
    m.add_function(wrap_pyfunction!(sns_subscribe_url, m)?)?;
    m.add_function(wrap_pyfunction!(synthesize, m)?)?;
    m.add_function(wrap_pyfunction!(template_brief, m)?)?;
    m.add_class::<Ingest>()?;
    m.add_class::<Alert>()?;
    m.add_class::<Link>()?;
    m.add_class::<PyVerifier>()?;
    m.add_class::<PySynthConfig>()?;
    m.add_class::<Brief>()?;
    m.add("AlertgateError", py.get_type::<AlertgateError>())?;
    m.add("PayloadError", py.get_type::<PayloadError>())?;
    m.add("AuthError", py.get_type::<AuthError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("SynthesisError", py.get_type::<SynthesisError>())?;
    Ok(())
}
