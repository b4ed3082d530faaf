//! `ingest` and its results: `Ingest`, `Alert`, `Link`, built into Python
//! objects when read.

use std::sync::Arc;

use crate::args::{body_arg, header_pairs, refs};
use crate::errors::core_error;
use alertgate::{Limits, Mapping, Options, Request, Source};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString};

/// A related URL.
#[pyclass(frozen, module = "alertgate", get_all)]
pub(crate) struct Link {
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
pub(crate) struct Alert {
    ingest: Arc<alertgate::Ingest<'static>>,
    index: usize,
    // The fields as Python objects, made with the `Alert` object (when
    // `Ingest.alerts`, iteration or indexing first reads it; `ingest()` makes
    // none). pyo3 exposes a frozen class's `#[pyo3(get)]` `Py` fields as
    // read-only struct members, which CPython reads straight from the object
    // (a specialised slot load since 3.11), with no getter call: cheaper than
    // a dict lookup. `labels` is the same dict at every read, as an attribute
    // of a plain object would be; `to_dict()` still builds anew.
    #[pyo3(get)]
    title: Py<PyAny>,
    #[pyo3(get)]
    description: Py<PyAny>,
    #[pyo3(get)]
    severity: Py<PyAny>,
    #[pyo3(get)]
    severity_raw: Py<PyAny>,
    #[pyo3(get)]
    status: Py<PyAny>,
    #[pyo3(get)]
    dedup_key: Py<PyAny>,
    #[pyo3(get)]
    dedup_basis: Py<PyAny>,
    #[pyo3(get)]
    service: Py<PyAny>,
    #[pyo3(get)]
    host: Py<PyAny>,
    #[pyo3(get)]
    labels: Py<PyAny>,
    #[pyo3(get)]
    annotations: Py<PyAny>,
    #[pyo3(get)]
    started_at: Py<PyAny>,
    #[pyo3(get)]
    ended_at: Py<PyAny>,
    #[pyo3(get)]
    source_ref: Py<PyAny>,
}

impl Alert {
    /// The `index`th alert of `ingest`, its fields made into Python objects.
    pub(crate) fn new(
        py: Python<'_>,
        ingest: &Arc<alertgate::Ingest<'static>>,
        index: usize,
    ) -> PyResult<Self> {
        let [
            title,
            description,
            severity,
            severity_raw,
            status,
            dedup_key,
            dedup_basis,
            service,
            host,
            labels,
            annotations,
            started_at,
            ended_at,
            _links,
            source_ref,
        ] = alert_values(py, &ingest.alerts[index], false)?;
        Ok(Alert {
            ingest: Arc::clone(ingest),
            index,
            title,
            description,
            severity,
            severity_raw,
            status,
            dedup_key,
            dedup_basis,
            service,
            host,
            labels,
            annotations,
            started_at,
            ended_at,
            source_ref,
        })
    }

    pub(crate) fn a(&self) -> &alertgate::Alert<'static> {
        &self.ingest.alerts[self.index]
    }
}

pub(crate) fn str_map<'py>(
    py: Python<'py>,
    m: &alertgate::StrMap<'_>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in m {
        d.set_item(PyString::new(py, k), PyString::new(py, v))?;
    }
    Ok(d)
}

/// A text or `None`.
pub(crate) fn opt_str<'py>(py: Python<'py>, s: Option<&str>) -> Bound<'py, PyAny> {
    match s {
        Some(s) => PyString::new(py, s).into_any(),
        None => py.None().into_bound(py),
    }
}

/// One Python string per word of a canonical enum, made once per process:
/// every result shares them instead of making one per field.
pub(crate) fn enum_word<'py, E: Copy>(
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
pub(crate) const FIELDS: [&str; 15] = [
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
pub(crate) fn field_keys(py: Python<'_>) -> &[Py<PyString>; 15] {
    static KEYS: PyOnceLock<[Py<PyString>; 15]> = PyOnceLock::new();
    KEYS.get_or_init(py, || FIELDS.map(|k| PyString::intern(py, k).unbind()))
}

/// An alert's links as the list of dicts of `to_dict()`.
fn link_dicts<'py>(py: Python<'py>, a: &alertgate::Alert) -> PyResult<Bound<'py, PyList>> {
    use pyo3::intern;
    let mut links = Vec::with_capacity(a.links.len());
    for l in &a.links {
        let ld = PyDict::new(py);
        ld.set_item(intern!(py, "rel"), PyString::new(py, &l.rel))?;
        ld.set_item(intern!(py, "href"), PyString::new(py, &l.href))?;
        links.push(ld);
    }
    PyList::new(py, links)
}

/// An alert's fields as Python objects, in the order of `FIELDS`; `links` as
/// a list of dicts, or `None` when `with_links` is false (`Alert.links` makes
/// `Link` objects of its own).
pub(crate) fn alert_values(
    py: Python<'_>,
    a: &alertgate::Alert,
    with_links: bool,
) -> PyResult<[Py<PyAny>; 15]> {
    let text = |s: &str| PyString::new(py, s).into_any().unbind();
    let opt = |s: Option<&str>| opt_str(py, s).unbind();
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
        if with_links {
            link_dicts(py, a)?.into_any().unbind()
        } else {
            py.None()
        },
        opt(a.source_ref.as_deref()),
    ])
}

pub(crate) fn alert_dict<'py>(
    py: Python<'py>,
    a: &alertgate::Alert,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (key, value) in field_keys(py).iter().zip(alert_values(py, a, true)?) {
        d.set_item(key.bind(py), value)?;
    }
    Ok(d)
}

#[pymethods]
impl Alert {
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
pub(crate) struct Ingest {
    pub(crate) inner: Arc<alertgate::Ingest<'static>>,
    /// The `Alert` objects, each made at its first read (`result[i]` makes
    /// only the `i`th; `alerts` and iteration make them all), so that an
    /// alert is the same object, with the same Python objects, at every read.
    alerts: PyOnceLock<Box<[PyOnceLock<Py<Alert>>]>>,
}

impl Ingest {
    /// The `index`th `Alert` object (`index` in range), made at the first read.
    pub(crate) fn alert_object(&self, py: Python<'_>, index: usize) -> PyResult<&Py<Alert>> {
        let slots = self.alerts.get_or_init(py, || {
            (0..self.inner.alerts.len())
                .map(|_| PyOnceLock::new())
                .collect()
        });
        slots[index].get_or_try_init(py, || Py::new(py, Alert::new(py, &self.inner, index)?))
    }
}

/// A serde_json value as Python objects (for the explanation).
pub(crate) fn py_value<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
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
        (0..self.inner.alerts.len())
            .map(|i| Ok(self.alert_object(py, i)?.clone_ref(py)))
            .collect()
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
        Ok(self.alert_object(py, i as usize)?.clone_ref(py))
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
pub(crate) fn ingest(
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
