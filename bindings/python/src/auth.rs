//! `Verifier`, `verify`, `sign` and the SNS URL helpers.

use crate::args::{body_bytes, header_pairs, now_unix, refs};
use crate::errors::core_error;
use alertgate::{Scheme, Verifier, VerifyOptions};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

/// Verifies one sender's credentials; build once, reuse for every request.
#[pyclass(frozen, module = "alertgate", name = "Verifier")]
pub(crate) struct PyVerifier {
    inner: Verifier,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn build_verifier(
    py: Python<'_>,
    scheme: &str,
    secrets: &Bound<'_, PyAny>,
    tolerance: u64,
    signature_header: Option<String>,
    timestamp_header: Option<String>,
    timestamp_unit: &str,
    prefix: Option<String>,
    signed_content: Option<&str>,
    id_header: Option<String>,
    topic_arn: Option<String>,
) -> PyResult<Verifier> {
    let secrets: Vec<String> = match secrets.cast::<PyString>() {
        Ok(s) => vec![s.to_cow()?.into_owned()],
        Err(_) => secrets
            .extract()
            .map_err(|_| PyTypeError::new_err("secrets must be a str or a sequence of str"))?,
    };
    let mut o = VerifyOptions::default();
    o.tolerance = tolerance;
    o.signature_header = signature_header;
    o.timestamp_header = timestamp_header;
    o.id_header = id_header;
    o.prefix = prefix;
    o.topic_arn = topic_arn;
    o.timestamp_unit = timestamp_unit.parse().map_err(|e| core_error(py, &e))?;
    if let Some(t) = signed_content {
        o.signed_content = Some(t.parse().map_err(|e| core_error(py, &e))?);
    }
    let scheme = scheme.parse::<Scheme>().map_err(|e| core_error(py, &e))?;
    Verifier::new(scheme, &secrets, &o).map_err(|e| core_error(py, &e))
}

#[pymethods]
impl PyVerifier {
    /// Builds a verifier; `secrets` is one secret or several (rotation), and
    /// `[]` for `sns`, which `topic_arn` may pin to one topic.
    #[new]
    #[pyo3(signature = (scheme, secrets, *, tolerance=300, signature_header=None, timestamp_header=None, timestamp_unit="s", prefix=None, signed_content=None, id_header=None, topic_arn=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        scheme: &str,
        secrets: &Bound<'_, PyAny>,
        tolerance: u64,
        signature_header: Option<String>,
        timestamp_header: Option<String>,
        timestamp_unit: &str,
        prefix: Option<String>,
        signed_content: Option<&str>,
        id_header: Option<String>,
        topic_arn: Option<String>,
    ) -> PyResult<Self> {
        build_verifier(
            py,
            scheme,
            secrets,
            tolerance,
            signature_header,
            timestamp_header,
            timestamp_unit,
            prefix,
            signed_content,
            id_header,
            topic_arn,
        )
        .map(|inner| PyVerifier { inner })
    }

    /// Raises `AuthError` unless the request is authentic; `now` defaults to the clock.
    #[pyo3(signature = (headers, body, *, now=None))]
    fn verify(
        &self,
        py: Python<'_>,
        headers: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        now: Option<i64>,
    ) -> PyResult<()> {
        let headers = header_pairs(Some(headers))?;
        let body = body_bytes(body)?;
        let hs = refs(&headers);
        let now = now.unwrap_or_else(now_unix);
        // Hashing a large body needs no Python objects: let other threads run.
        py.detach(|| self.inner.verify(&hs, &body, now))
            .map_err(|e| core_error(py, &e))
    }

    /// Raises `AuthError` unless the AWS SNS message (`sns`) is authentic:
    /// its signature checked with `certificate` (PEM or DER, `bytes` or `str`),
    /// which the caller fetched from `sns_certificate_url(body)`.
    #[pyo3(signature = (headers, body, certificate, *, now=None))]
    fn verify_with_certificate(
        &self,
        py: Python<'_>,
        headers: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        certificate: &Bound<'_, PyAny>,
        now: Option<i64>,
    ) -> PyResult<()> {
        let headers = header_pairs(Some(headers))?;
        let body = body_bytes(body)?;
        let certificate = body_bytes(certificate)
            .map_err(|_| PyTypeError::new_err("certificate must be bytes or str"))?;
        let hs = refs(&headers);
        let now = now.unwrap_or_else(now_unix);
        // RSA needs no Python objects: let other threads run.
        py.detach(|| {
            self.inner
                .verify_with_certificate(&hs, &body, now, &certificate)
        })
        .map_err(|e| core_error(py, &e))
    }

    /// Judges what the headers alone tell, before the body is read; raises
    /// `AuthError` when they already fail. A pass still needs `verify`.
    #[pyo3(signature = (headers, *, now=None))]
    fn check_headers(
        &self,
        py: Python<'_>,
        headers: &Bound<'_, PyAny>,
        now: Option<i64>,
    ) -> PyResult<()> {
        let headers = header_pairs(Some(headers))?;
        self.inner
            .check_headers(&refs(&headers), now.unwrap_or_else(now_unix))
            .map_err(|e| core_error(py, &e))
    }

    /// What identifies this delivery, for spotting a replay; None when the
    /// scheme gives nothing that does.
    fn delivery_id(&self, headers: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        let headers = header_pairs(Some(headers))?;
        Ok(self.inner.delivery_id(&refs(&headers)).map(str::to_owned))
    }

    /// The raw signature header's value (header signature schemes), else None.
    fn signature(&self, headers: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        let headers = header_pairs(Some(headers))?;
        Ok(self.inner.signature(&refs(&headers)).map(str::to_owned))
    }

    /// The scheme's canonical name.
    #[getter]
    fn scheme(&self) -> &'static str {
        self.inner.scheme().as_str()
    }

    /// The timestamp tolerance in seconds, for schemes that sign a timestamp; else None.
    #[getter]
    fn tolerance(&self) -> Option<u64> {
        self.inner.tolerance()
    }

    fn __repr__(&self) -> String {
        format!("Verifier(scheme={:?})", self.inner.scheme().as_str())
    }
}

/// One-shot verification; raises `AuthError` on failure. `certificate` (`sns`
/// only) makes it `Verifier.verify_with_certificate`.
#[pyfunction]
#[pyo3(signature = (scheme, secrets, headers, body, *, now=None, tolerance=300, signature_header=None, timestamp_header=None, timestamp_unit="s", prefix=None, signed_content=None, id_header=None, topic_arn=None, certificate=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify(
    py: Python<'_>,
    scheme: &str,
    secrets: &Bound<'_, PyAny>,
    headers: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    now: Option<i64>,
    tolerance: u64,
    signature_header: Option<String>,
    timestamp_header: Option<String>,
    timestamp_unit: &str,
    prefix: Option<String>,
    signed_content: Option<&str>,
    id_header: Option<String>,
    topic_arn: Option<String>,
    certificate: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let v = build_verifier(
        py,
        scheme,
        secrets,
        tolerance,
        signature_header,
        timestamp_header,
        timestamp_unit,
        prefix,
        signed_content,
        id_header,
        topic_arn,
    )?;
    let v = PyVerifier { inner: v };
    match certificate.filter(|c| !c.is_none()) {
        Some(c) => v.verify_with_certificate(py, headers, body, c, now),
        None => v.verify(py, headers, body, now),
    }
}

/// The SNS message's `SigningCertURL`, once it is known to be SNS's (https, an
/// SNS host, a `.pem` path): fetch it with your own HTTP client and pass the
/// certificate to `Verifier.verify_with_certificate`. Anything else raises
/// `AuthError` (`malformed_signature`), so a forged message cannot choose it.
#[pyfunction]
pub(crate) fn sns_certificate_url(py: Python<'_>, body: &Bound<'_, PyAny>) -> PyResult<String> {
    alertgate::sns_certificate_url(&body_bytes(body)?).map_err(|e| core_error(py, &e))
}

/// A `SubscriptionConfirmation`'s `SubscribeURL`, once it is known to be SNS's:
/// fetching it confirms the subscription. Verify the message first.
#[pyfunction]
pub(crate) fn sns_subscribe_url(py: Python<'_>, body: &Bound<'_, PyAny>) -> PyResult<String> {
    alertgate::sns_subscribe_url(&body_bytes(body)?).map_err(|e| core_error(py, &e))
}

/// The headers a sender of `scheme` would send for `body`. `timestamp` defaults
/// to now; `id` (Standard Webhooks) to one derived from the body and time.
#[pyfunction]
#[pyo3(signature = (scheme, secret, body, *, timestamp=None, id=None, signature_header=None, timestamp_header=None, timestamp_unit="s", prefix=None, signed_content=None, id_header=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn sign<'py>(
    py: Python<'py>,
    scheme: &str,
    secret: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    timestamp: Option<i64>,
    id: Option<String>,
    signature_header: Option<String>,
    timestamp_header: Option<String>,
    timestamp_unit: &str,
    prefix: Option<String>,
    signed_content: Option<&str>,
    id_header: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let v = build_verifier(
        py,
        scheme,
        secret,
        300,
        signature_header,
        timestamp_header,
        timestamp_unit,
        prefix,
        signed_content,
        id_header,
        None,
    )?;
    let body = body_bytes(body)?;
    let ts = timestamp.unwrap_or_else(now_unix);
    let id = id.unwrap_or_else(|| {
        let digest = alertgate::content_key(
            "sign",
            None,
            None,
            &format!("{ts}:{}", String::from_utf8_lossy(&body)),
        );
        format!("msg_{}", &digest[..24])
    });
    let headers = v
        .sign(&body, Some(ts), Some(&id))
        .map_err(|e| core_error(py, &e))?;
    let d = PyDict::new(py);
    for (name, value) in headers {
        d.set_item(name, value)?;
    }
    Ok(d)
}
