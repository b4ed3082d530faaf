//! `SynthConfig`, `Brief`, `synthesize` and `template_brief`.

use std::sync::Arc;
use std::time::Duration;

use crate::args::body_bytes;
use crate::errors::{error, synth_error};
use crate::ingest::Ingest;
use alertgate_synth::Provider;
use pyo3::prelude::*;

/// How to reach the LLM; `SynthConfig.from_env()` reads the ALERTGATE_LLM_* variables.
#[pyclass(frozen, module = "alertgate", name = "SynthConfig")]
#[derive(Clone)]
pub(crate) struct PySynthConfig {
    inner: alertgate_synth::SynthConfig,
}

#[pymethods]
impl PySynthConfig {
    #[new]
    #[pyo3(signature = (*, provider="anthropic", base_url=None, api_key=None, model=None, system_prompt=None, timeout=20.0, max_tokens=300, max_payload_bytes=16384))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        provider: &str,
        base_url: Option<String>,
        api_key: Option<String>,
        model: Option<String>,
        system_prompt: Option<String>,
        timeout: f64,
        max_tokens: u32,
        max_payload_bytes: usize,
    ) -> PyResult<Self> {
        let provider = match provider {
            "anthropic" => Provider::Anthropic,
            "openai" => Provider::Openai,
            other => {
                return Err(error(
                    py,
                    "invalid_config",
                    format!("provider must be 'anthropic' or 'openai', not {other:?}"),
                    500,
                ));
            }
        };
        if !(timeout.is_finite() && timeout > 0.0) {
            return Err(error(
                py,
                "invalid_config",
                String::from("timeout must be a positive number of seconds"),
                500,
            ));
        }
        let mut c = alertgate_synth::SynthConfig::new(provider);
        if let Some(u) = base_url {
            c.base_url = u;
        }
        c.api_key = api_key;
        if let Some(m) = model {
            c.model = m;
        }
        if let Some(p) = system_prompt {
            c.system_prompt = p;
        }
        c.timeout = Duration::from_secs_f64(timeout);
        c.max_tokens = max_tokens;
        c.max_payload_bytes = max_payload_bytes;
        Ok(PySynthConfig { inner: c })
    }

    /// Reads the environment now (cheap: call it per request).
    #[staticmethod]
    fn from_env() -> Self {
        PySynthConfig {
            inner: alertgate_synth::SynthConfig::from_env(),
        }
    }

    #[getter]
    fn provider(&self) -> &'static str {
        self.inner.provider.as_str()
    }
    #[getter]
    fn base_url(&self) -> &str {
        &self.inner.base_url
    }
    #[getter]
    fn has_api_key(&self) -> bool {
        self.inner.api_key.is_some()
    }
    #[getter]
    fn model(&self) -> &str {
        &self.inner.model
    }
    #[getter]
    fn system_prompt(&self) -> &str {
        &self.inner.system_prompt
    }
    #[getter]
    fn timeout(&self) -> f64 {
        self.inner.timeout.as_secs_f64()
    }
    #[getter]
    fn max_tokens(&self) -> u32 {
        self.inner.max_tokens
    }
    #[getter]
    fn max_payload_bytes(&self) -> usize {
        self.inner.max_payload_bytes
    }
    fn __repr__(&self) -> String {
        // Never the key.
        format!(
            "SynthConfig(provider={:?}, model={:?}, base_url={:?}, has_api_key={})",
            self.provider(),
            self.inner.model,
            self.inner.base_url,
            self.has_api_key()
        )
    }
}

/// A brief and who wrote it.
#[pyclass(frozen, module = "alertgate", get_all)]
pub(crate) struct Brief {
    text: String,
    synthesized_by: String,
    model: Option<String>,
}

#[pymethods]
impl Brief {
    fn __repr__(&self) -> String {
        format!(
            "Brief(synthesized_by={:?}, text={:?})",
            self.synthesized_by, self.text
        )
    }
}

/// Asks the LLM for a brief (the GIL is released for the whole HTTP call).
#[pyfunction]
#[pyo3(signature = (ingest, body, config=None))]
pub(crate) fn synthesize(
    py: Python<'_>,
    ingest: &Ingest,
    body: &Bound<'_, PyAny>,
    config: Option<&PySynthConfig>,
) -> PyResult<Brief> {
    let body = body_bytes(body)?;
    let config = config.map_or_else(alertgate_synth::SynthConfig::from_env, |c| c.inner.clone());
    let inner = Arc::clone(&ingest.inner);
    py.detach(|| alertgate_synth::synthesize(&inner, &body, &config))
        .map(|b| Brief {
            text: b.text,
            synthesized_by: b.synthesized_by.to_owned(),
            model: b.model,
        })
        .map_err(|e| synth_error(py, &e))
}

/// A deterministic 2–4 sentence brief from the canonical fields alone.
#[pyfunction]
pub(crate) fn template_brief(ingest: &Ingest) -> String {
    alertgate_synth::template_brief(&ingest.inner)
}
