//! The Python module `alertgate._alertgate` (re-exported by `alertgate`).
//!
//! The Rust work happens once per call; results keep the Rust `Ingest` and
//! build Python objects only when an attribute is read.

use std::sync::Arc;
use std::time::Duration;

use alertgate::{Limits, Mapping, Options, Request, Scheme, Source, Verifier, VerifyOptions};
use alertgate_synth::{Provider, SynthError};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

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
fn error(py: Python<'_>, code: &str, message: String, http_status: u16) -> PyErr {
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

fn core_error(py: Python<'_>, e: &alertgate::Error) -> PyErr {
    error(py, e.code(), e.to_string(), e.http_status())
}

fn synth_error(py: Python<'_>, e: &SynthError) -> PyErr {
    error(py, e.code(), e.to_string(), e.http_status())
}

/// A body argument: `bytes` are read in place, anything else is copied.
enum Body<'py> {
    Bytes(Bound<'py, PyBytes>),
    Owned(Vec<u8>),
}

impl Body<'_> {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Body::Bytes(b) => b.as_bytes(),
            Body::Owned(v) => v,
        }
    }
}

/// Body bytes from `bytes`, `bytearray`, `memoryview` or `str`.
fn body_arg<'py>(body: &Bound<'py, PyAny>) -> PyResult<Body<'py>> {
    if let Ok(b) = body.cast::<PyBytes>() {
        return Ok(Body::Bytes(b.clone()));
    }
    body_bytes(body).map(Body::Owned)
}

/// Body bytes from `bytes`, `bytearray`, `memoryview` or `str`, copied.
fn body_bytes(body: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = body.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = body.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned().into_bytes());
    }
    body.extract::<Vec<u8>>()
        .map_err(|_| PyTypeError::new_err("body must be bytes or str"))
}

fn bad_headers() -> PyErr {
    PyTypeError::new_err("headers must be a mapping or pairs of (str, str)")
}

/// Headers from a mapping or an iterable of (name, value) pairs.
fn header_pairs(headers: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    let Some(h) = headers.filter(|h| !h.is_none()) else {
        return Ok(Vec::new());
    };
    // The usual argument, a dict of str: read directly, without `items()`
    // and a tuple per header.
    if let Ok(d) = h.cast::<PyDict>() {
        let text = |v: &Bound<'_, PyAny>| -> PyResult<String> {
            Ok(v.cast::<PyString>()
                .map_err(|_| bad_headers())?
                .to_cow()?
                .into_owned())
        };
        let mut out = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            out.push((text(&k)?, text(&v)?));
        }
        return Ok(out);
    }
    let items = if h.hasattr("items")? {
        h.call_method0("items")?
    } else {
        h.clone()
    };
    items
        .try_iter()?
        .map(|pair| {
            let pair = pair?;
            // A tuple, or any 2-item sequence such as a JSON-decoded list.
            pair.extract::<(String, String)>().or_else(|_| {
                let v: Vec<String> = pair.extract().map_err(|_| bad_headers())?;
                <[String; 2]>::try_from(v)
                    .map(|[n, v]| (n, v))
                    .map_err(|_| bad_headers())
            })
        })
        .collect()
}

fn refs(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

// ---------------------------------------------------------------- results

/// A related URL.
#[pyclass(frozen, module = "alertgate", get_all)]
struct Link {
    rel: String,
    href: String,
}

#[pymethods]
impl Link {
    fn __repr__(&self) -> String {
        format!("Link(rel={:?}, href={:?})", self.rel, self.href)
    }
}

/// One canonical alert (read-only).
#[pyclass(frozen, module = "alertgate")]
struct Alert {
    ingest: Arc<alertgate::Ingest<'static>>,
    index: usize,
    /// The alert as Python objects, made at the first attribute read: every
    /// later read is a lookup, and `labels` is the same dict each time (as an
    /// attribute of a plain object would be). `to_dict()` still builds anew.
    fields: PyOnceLock<[Py<PyAny>; 15]>,
}

impl Alert {
    fn new(ingest: &Arc<alertgate::Ingest<'static>>, index: usize) -> Self {
        Alert {
            ingest: Arc::clone(ingest),
            index,
            fields: PyOnceLock::new(),
        }
    }

    fn a(&self) -> &alertgate::Alert<'static> {
        &self.ingest.alerts[self.index]
    }

    /// One canonical field (its index in `FIELDS`), from the alert's Python objects.
    fn field<'py>(&self, py: Python<'py>, index: usize) -> PyResult<Bound<'py, PyAny>> {
        let fields = self
            .fields
            .get_or_try_init(py, || alert_values(py, self.a()))?;
        Ok(fields[index].bind(py).clone())
    }
}

fn str_map<'py>(py: Python<'py>, m: &alertgate::StrMap<'_>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in m {
        d.set_item(PyString::new(py, k), PyString::new(py, v))?;
    }
    Ok(d)
}

/// A text or `None`.
fn opt_str<'py>(py: Python<'py>, s: Option<&str>) -> Bound<'py, PyAny> {
    match s {
        Some(s) => PyString::new(py, s).into_any(),
        None => py.None().into_bound(py),
    }
}

/// One Python string per word of a canonical enum, made once per process:
/// every result shares them instead of making one per field.
fn enum_word<'py, E: Copy>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Vec<Py<PyString>>>,
    all: &'static [E],
    name: fn(E) -> &'static str,
    index: usize,
) -> Bound<'py, PyString> {
    cell.get_or_init(py, || {
        all.iter()
            .map(|&e| PyString::intern(py, name(e)).unbind())
            .collect()
    })[index]
        .bind(py)
        .clone()
}

/// `enum_word` for a value of one of the core's string enums (its `ALL` is
/// in declaration order, so the discriminant indexes it).
macro_rules! word {
    ($py:expr, $ty:ty, $value:expr) => {{
        static CELL: PyOnceLock<Vec<Py<PyString>>> = PyOnceLock::new();
        enum_word($py, &CELL, <$ty>::ALL, <$ty>::as_str, $value as usize)
    }};
}

/// An alert's canonical fields, in canonical order (`alert_values`).
const FIELDS: [&str; 15] = [
    "title",
    "description",
    "severity",
    "severity_raw",
    "status",
    "dedup_key",
    "dedup_basis",
    "service",
    "host",
    "labels",
    "annotations",
    "started_at",
    "ended_at",
    "links",
    "source_ref",
];

/// The names of `FIELDS` as Python strings, made once per process.
fn field_keys(py: Python<'_>) -> &[Py<PyString>; 15] {
    static KEYS: PyOnceLock<[Py<PyString>; 15]> = PyOnceLock::new();
    KEYS.get_or_init(py, || FIELDS.map(|k| PyString::intern(py, k).unbind()))
}

/// An alert's fields as Python objects, in the order of `FIELDS`.
fn alert_values(py: Python<'_>, a: &alertgate::Alert) -> PyResult<[Py<PyAny>; 15]> {
    use pyo3::intern;
    let text = |s: &str| PyString::new(py, s).into_any().unbind();
    let opt = |s: Option<&str>| opt_str(py, s).unbind();
    let mut links = Vec::with_capacity(a.links.len());
    for l in &a.links {
        let ld = PyDict::new(py);
        ld.set_item(intern!(py, "rel"), PyString::new(py, &l.rel))?;
        ld.set_item(intern!(py, "href"), PyString::new(py, &l.href))?;
        links.push(ld);
    }
    Ok([
        text(&a.title),
        opt(a.description.as_deref()),
        word!(py, alertgate::Severity, a.severity)
            .into_any()
            .unbind(),
        opt(a.severity_raw.as_deref()),
        word!(py, alertgate::Status, a.status).into_any().unbind(),
        text(&a.dedup_key),
        word!(py, alertgate::DedupBasis, a.dedup_basis)
            .into_any()
            .unbind(),
        opt(a.service.as_deref()),
        opt(a.host.as_deref()),
        str_map(py, &a.labels)?.into_any().unbind(),
        str_map(py, &a.annotations)?.into_any().unbind(),
        opt(a.started_at.as_deref()),
        opt(a.ended_at.as_deref()),
        PyList::new(py, links)?.into_any().unbind(),
        opt(a.source_ref.as_deref()),
    ])
}

fn alert_dict<'py>(py: Python<'py>, a: &alertgate::Alert) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (key, value) in field_keys(py).iter().zip(alert_values(py, a)?) {
        d.set_item(key.bind(py), value)?;
    }
    Ok(d)
}

#[pymethods]
impl Alert {
    #[getter]
    fn title<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 0)
    }
    #[getter]
    fn description<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 1)
    }
    #[getter]
    fn severity<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 2)
    }
    #[getter]
    fn severity_raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 3)
    }
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 4)
    }
    #[getter]
    fn dedup_key<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 5)
    }
    #[getter]
    fn dedup_basis<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 6)
    }
    #[getter]
    fn service<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 7)
    }
    #[getter]
    fn host<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 8)
    }
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 9)
    }
    #[getter]
    fn annotations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 10)
    }
    #[getter]
    fn started_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 11)
    }
    #[getter]
    fn ended_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 12)
    }
    #[getter]
    fn links(&self) -> Vec<Link> {
        self.a()
            .links
            .iter()
            .map(|l| Link {
                rel: l.rel.to_string(),
                href: l.href.to_string(),
            })
            .collect()
    }
    #[getter]
    fn source_ref<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.field(py, 14)
    }
    /// The alert as the canonical JSON object.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        alert_dict(py, self.a())
    }
    fn __repr__(&self) -> String {
        let a = self.a();
        format!(
            "Alert(title={:?}, severity={:?}, status={:?}, dedup_key={:?})",
            a.title,
            a.severity.as_str(),
            a.status.as_str(),
            a.dedup_key
        )
    }
}

/// The result of `ingest` (read-only); `len()` and iteration give its alerts.
#[pyclass(frozen, module = "alertgate")]
struct Ingest {
    inner: Arc<alertgate::Ingest<'static>>,
    /// The `Alert` objects, made at the first read, so that each keeps the
    /// Python objects it has made.
    alerts: PyOnceLock<Vec<Py<Alert>>>,
}

impl Ingest {
    fn alert_objects(&self, py: Python<'_>) -> PyResult<&Vec<Py<Alert>>> {
        self.alerts.get_or_try_init(py, || {
            (0..self.inner.alerts.len())
                .map(|index| Py::new(py, Alert::new(&self.inner, index)))
                .collect()
        })
    }
}

/// A serde_json value as Python objects (for the explanation).
fn py_value<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value;
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into_pyobject(py)?.into_any(),
            None => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let l = PyList::empty(py);
            for i in items {
                l.append(py_value(py, i)?)?;
            }
            l.into_any()
        }
        Value::Object(map) => {
            let d = PyDict::new(py);
            for (k, v) in map {
                d.set_item(k, py_value(py, v)?)?;
            }
            d.into_any()
        }
    })
}

#[pymethods]
impl Ingest {
    #[getter]
    fn source(&self) -> &'static str {
        self.inner.source.as_str()
    }
    #[getter]
    fn detected_by(&self) -> &'static str {
        self.inner.detected_by.as_str()
    }
    #[getter]
    fn detection_reason(&self) -> &str {
        &self.inner.detection_reason
    }
    #[getter]
    fn tier(&self) -> Option<u32> {
        self.inner.tier
    }
    #[getter]
    fn group_key(&self) -> Option<&str> {
        self.inner.group_key.as_deref()
    }
    #[getter]
    fn notice(&self) -> Option<&'static str> {
        self.inner.notice.map(|n| n.as_str())
    }
    #[getter]
    fn annotations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        str_map(py, &self.inner.annotations)
    }
    #[getter]
    fn alerts(&self, py: Python<'_>) -> PyResult<Vec<Py<Alert>>> {
        Ok(self
            .alert_objects(py)?
            .iter()
            .map(|a| a.clone_ref(py))
            .collect())
    }
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let l = PyList::empty(py);
        for w in &self.inner.warnings {
            let d = PyDict::new(py);
            d.set_item("code", w.code.as_str())?;
            d.set_item("message", &w.message)?;
            l.append(d)?;
        }
        Ok(l)
    }
    /// The explanation (explain mode), else None.
    #[getter]
    fn explanation<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(e) = &self.inner.explanation else {
            return Ok(None);
        };
        let v = serde_json::to_value(e).unwrap_or(serde_json::Value::Null);
        py_value(py, &v).map(Some)
    }
    /// The canonical JSON text, byte-identical to Rust's.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// The canonical JSON as Python objects.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        use pyo3::intern;
        let i = &self.inner;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "source"), PyString::new(py, i.source.as_str()))?;
        d.set_item(
            intern!(py, "detected_by"),
            word!(py, alertgate::DetectedBy, i.detected_by),
        )?;
        d.set_item(
            intern!(py, "detection_reason"),
            PyString::new(py, &i.detection_reason),
        )?;
        d.set_item(intern!(py, "tier"), i.tier)?;
        d.set_item(
            intern!(py, "group_key"),
            opt_str(py, i.group_key.as_deref()),
        )?;
        d.set_item(intern!(py, "notice"), i.notice.map(|n| n.as_str()))?;
        d.set_item(intern!(py, "annotations"), str_map(py, &i.annotations)?)?;
        let mut alerts = Vec::with_capacity(i.alerts.len());
        for a in &i.alerts {
            alerts.push(alert_dict(py, a)?);
        }
        d.set_item(intern!(py, "alerts"), PyList::new(py, alerts)?)?;
        d.set_item(intern!(py, "warnings"), self.warnings(py)?)?;
        if let Some(e) = self.explanation(py)? {
            d.set_item(intern!(py, "explanation"), e)?;
        }
        Ok(d)
    }
    fn __len__(&self) -> usize {
        self.inner.alerts.len()
    }
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyIterator>> {
        PyList::new(py, self.alerts(py)?)?.try_iter()
    }
    fn __getitem__(&self, py: Python<'_>, index: isize) -> PyResult<Py<Alert>> {
        let n = self.inner.alerts.len() as isize;
        let i = if index < 0 { index + n } else { index };
        if !(0..n).contains(&i) {
            return Err(pyo3::exceptions::PyIndexError::new_err(
                "alert index out of range",
            ));
        }
        Ok(self.alert_objects(py)?[i as usize].clone_ref(py))
    }
    fn __repr__(&self) -> String {
        format!(
            "Ingest(source={:?}, alerts={}, tier={:?})",
            self.inner.source.as_str(),
            self.inner.alerts.len(),
            self.inner.tier
        )
    }
}

/// Reads one webhook request into an `Ingest`.
#[pyfunction]
#[pyo3(signature = (body, *, content_type=None, headers=None, source=None, max_tier=3, strict=false, mapping=None, explain=false))]
#[allow(clippy::too_many_arguments)] // mirrors the documented keyword-only signature
fn ingest(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    content_type: Option<&str>,
    headers: Option<&Bound<'_, PyAny>>,
    source: Option<&str>,
    max_tier: u32,
    strict: bool,
    mapping: Option<&Bound<'_, PyAny>>,
    explain: bool,
) -> PyResult<Ingest> {
    let body = body_arg(body)?;
    let headers = header_pairs(headers)?;
    let mut options = Options::default();
    if let Some(s) = source {
        options.source_hint = Some(s.parse::<Source>().map_err(|e| core_error(py, &e))?);
    }
    options.max_tier = max_tier;
    if strict {
        options.limits = Limits::strict();
    }
    options.explain = explain;
    if let Some(m) = mapping.filter(|m| !m.is_none()) {
        let text: String = match m.cast::<PyString>() {
            Ok(s) => s.to_cow()?.into_owned(),
            Err(_) => py.import("json")?.call_method1("dumps", (m,))?.extract()?,
        };
        options.mapping = Some(Mapping::from_json(&text).map_err(|e| core_error(py, &e))?);
    }
    let hs = refs(&headers);
    let request = Request {
        body: body.as_bytes(),
        content_type,
        headers: &hs,
    };
    alertgate::ingest(&request, &options)
        .map(|i| Ingest {
            inner: Arc::new(i.into_owned()),
            alerts: PyOnceLock::new(),
        })
        .map_err(|e| core_error(py, &e))
}

// ---------------------------------------------------------------- auth

/// Verifies one sender's credentials; build once, reuse for every request.
#[pyclass(frozen, module = "alertgate", name = "Verifier")]
struct PyVerifier {
    inner: Verifier,
}

#[allow(clippy::too_many_arguments)]
fn build_verifier(
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
fn verify(
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
fn sns_certificate_url(py: Python<'_>, body: &Bound<'_, PyAny>) -> PyResult<String> {
    alertgate::sns_certificate_url(&body_bytes(body)?).map_err(|e| core_error(py, &e))
}

/// A `SubscriptionConfirmation`'s `SubscribeURL`, once it is known to be SNS's:
/// fetching it confirms the subscription. Verify the message first.
#[pyfunction]
fn sns_subscribe_url(py: Python<'_>, body: &Bound<'_, PyAny>) -> PyResult<String> {
    alertgate::sns_subscribe_url(&body_bytes(body)?).map_err(|e| core_error(py, &e))
}

/// The headers a sender of `scheme` would send for `body`. `timestamp` defaults
/// to now; `id` (Standard Webhooks) to one derived from the body and time.
#[pyfunction]
#[pyo3(signature = (scheme, secret, body, *, timestamp=None, id=None, signature_header=None, timestamp_header=None, timestamp_unit="s", prefix=None, signed_content=None, id_header=None))]
#[allow(clippy::too_many_arguments)]
fn sign<'py>(
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

// ---------------------------------------------------------------- synthesis

/// How to reach the LLM; `SynthConfig.from_env()` reads the ALERTGATE_LLM_* variables.
#[pyclass(frozen, module = "alertgate", name = "SynthConfig")]
#[derive(Clone)]
struct PySynthConfig {
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
struct Brief {
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
fn synthesize(
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
fn template_brief(ingest: &Ingest) -> String {
    alertgate_synth::template_brief(&ingest.inner)
}

#[pymodule]
fn _alertgate(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(ingest, m)?)?;
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
