//! Reading arguments: bodies and headers.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

/// A body argument: `bytes` are read in place, anything else is copied.
pub(crate) enum Body<'py> {
    Bytes(Bound<'py, PyBytes>),
    Owned(Vec<u8>),
}

impl Body<'_> {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Body::Bytes(b) => b.as_bytes(),
            Body::Owned(v) => v,
        }
    }
}

/// Body bytes from `bytes`, `bytearray`, `memoryview` or `str`.
pub(crate) fn body_arg<'py>(body: &Bound<'py, PyAny>) -> PyResult<Body<'py>> {
    if let Ok(b) = body.cast::<PyBytes>() {
        return Ok(Body::Bytes(b.clone()));
    }
    body_bytes(body).map(Body::Owned)
}

/// Body bytes from `bytes`, `bytearray`, `memoryview` or `str`, copied.
pub(crate) fn body_bytes(body: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = body.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = body.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned().into_bytes());
    }
    body.extract::<Vec<u8>>()
        .map_err(|_| PyTypeError::new_err("body must be bytes or str"))
}

pub(crate) fn bad_headers() -> PyErr {
    PyTypeError::new_err("headers must be a mapping or pairs of (str, str)")
}

/// Headers from a mapping or an iterable of (name, value) pairs.
pub(crate) fn header_pairs(headers: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    let Some(h) = headers.filter(|h| !h.is_none()) else {
        return Ok(Vec::new());
    };
    // The usual argument, a dict of str: read directly, without `items()`
    // and a tuple per header. Only an exact dict: a subclass may define
    // `items()` its own way.
    if let Ok(d) = h.cast_exact::<PyDict>() {
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

pub(crate) fn refs(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
