//! Reading a webhook request, and the result handle's accessors.

use std::ffi::c_char;
use std::ptr;

use alertgate::{Ingest, Options, Request};

use crate::ag_status::*;
use crate::*;

/// Reads one webhook request. On success `*out` owns the result (`ag_ingest_free`).
/// `content_type` may be NULL (the Content-Type header is used, else the body is
/// sniffed); `headers` may be NULL when `n_headers` is 0; `opts` may be NULL for
/// the defaults. On failure `*out` is set to NULL and `*err` (if `err` is not NULL)
/// says why.
///
/// # Safety
/// `body` is valid for `body_len` bytes (NULL only when 0); `content_type` is NULL or
/// NUL-terminated; `headers` is valid for `n_headers` headers; `opts` is NULL or valid;
/// `out` is writable; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_ingest(
    body: *const u8,
    body_len: usize,
    content_type: *const c_char,
    headers_ptr: *const ag_header,
    n_headers: usize,
    opts: *const ag_options,
    out: *mut *mut ag_result,
    err: *mut *mut ag_error,
) -> ag_status {
    // SAFETY: every pointer is used within its documented contract.
    unsafe {
        guard_status(err, || {
            if out.is_null() {
                return invalid(err, "out is NULL");
            }
            *out = ptr::null_mut();
            let Some(body) = bytes(body, body_len) else {
                return invalid(err, "body is NULL but body_len is not 0");
            };
            let Ok(content_type) = opt_str(content_type) else {
                return invalid(err, "content_type is not UTF-8");
            };
            let hs = match headers(headers_ptr, n_headers) {
                Ok(h) => h,
                Err(m) => return invalid(err, m),
            };
            let default = Options::default();
            let options = opts.as_ref().map_or(&default, |o| &o.inner);
            let request = Request {
                body,
                content_type,
                headers: &hs,
            };
            match alertgate::ingest(&request, options) {
                Ok(ingest) => {
                    *out = Box::into_raw(Box::new(wrap(ingest)));
                    AG_STATUS_OK
                }
                Err(e) => {
                    let (status, e) = core_error(&e);
                    set_error(err, e);
                    status
                }
            }
        })
    }
}

fn wrap(ingest: Ingest<'_>) -> ag_result {
    let fields = ingest
        .alerts
        .iter()
        .map(|a| {
            [
                Some(cstring(&a.title)),
                Some(cstring(a.severity.as_str())),
                Some(cstring(a.status.as_str())),
                Some(cstring(&a.dedup_key)),
                a.service.as_deref().map(cstring),
            ]
        })
        .collect();
    ag_ingest {
        json: cstring(&ingest.to_json()),
        source: cstring(ingest.source.as_str()),
        fields,
        // Kept for `ag_template_brief` and the counts; the body is the caller's and may go.
        ingest: ingest.into_owned(),
    }
}

/// Frees a result. NULL is a no-op.
///
/// # Safety
/// `r` is NULL or from `ag_ingest`, freed at most once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_ingest_free(r: *mut ag_result) {
    if !r.is_null() {
        // SAFETY: created by Box::into_raw in ag_ingest, freed once.
        guard((), || drop(unsafe { Box::from_raw(r) }));
    }
}

/// The canonical JSON, byte-identical to the Rust `Ingest::to_json`; owned by `r`.
///
/// # Safety
/// `r` is NULL or a live result; `json` and `len` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_ingest_json(
    r: *const ag_result,
    json: *mut *const c_char,
    len: *mut usize,
) -> ag_status {
    guard(AG_STATUS_PANIC, || {
        // SAFETY: NULL or valid per the contract.
        let (Some(r), false) = (unsafe { r.as_ref() }, json.is_null()) else {
            return AG_STATUS_INVALID_ARGUMENT;
        };
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe {
            *json = r.json.as_ptr();
            if !len.is_null() {
                *len = r.json.as_bytes().len();
            }
        }
        AG_STATUS_OK
    })
}

/// The number of alerts (0 if `r` is NULL).
///
/// # Safety
/// `r` is NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_ingest_alert_count(r: *const ag_result) -> usize {
    // SAFETY: NULL or valid per the contract.
    guard(0, || {
        unsafe { r.as_ref() }.map_or(0, |r| r.ingest.alerts.len())
    })
}

/// The source id, e.g. "grafana"; owned by `r`; NULL if `r` is NULL.
///
/// # Safety
/// `r` is NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_ingest_source(r: *const ag_result) -> *const c_char {
    // SAFETY: NULL or valid per the contract.
    guard(ptr::null(), || {
        unsafe { r.as_ref() }.map_or(ptr::null(), |r| r.source.as_ptr())
    })
}

/// The requested tier, or 0 when none (or `r` is NULL).
///
/// # Safety
/// `r` is NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_ingest_tier(r: *const ag_result) -> i32 {
    guard(0, || {
        // SAFETY: NULL or valid per the contract.
        unsafe { r.as_ref() }
            .and_then(|r| r.ingest.tier)
            .and_then(|t| i32::try_from(t).ok())
            .unwrap_or(0)
    })
}

fn field(r: *const ag_result, i: usize, which: usize) -> *const c_char {
    guard(ptr::null(), || {
        // SAFETY: callers pass NULL or a live result (documented on each accessor).
        let Some(r) = (unsafe { r.as_ref() }) else {
            return ptr::null();
        };
        r.fields
            .get(i)
            .and_then(|f| f[which].as_ref())
            .map_or(ptr::null(), |s| s.as_ptr())
    })
}

/// Alert `i`'s title; owned by `r`; NULL when out of range.
///
/// # Safety
/// `r` is NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_ingest_alert_title(r: *const ag_result, i: usize) -> *const c_char {
    field(r, i, 0)
}

/// Alert `i`'s severity ("critical", "error", "warning", "info"); owned by `r`; NULL when out of range.
///
/// # Safety
/// `r` is NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_ingest_alert_severity(r: *const ag_result, i: usize) -> *const c_char {
    field(r, i, 1)
}

/// Alert `i`'s status ("triggered", "acknowledged", "resolved"); owned by `r`; NULL when out of range.
///
/// # Safety
/// `r` is NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_ingest_alert_status(r: *const ag_result, i: usize) -> *const c_char {
    field(r, i, 2)
}

/// Alert `i`'s dedup key; owned by `r`; NULL when out of range.
///
/// # Safety
/// `r` is NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_ingest_alert_dedup_key(r: *const ag_result, i: usize) -> *const c_char {
    field(r, i, 3)
}

/// Alert `i`'s service; owned by `r`; NULL when absent or out of range.
///
/// # Safety
/// `r` is NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_ingest_alert_service(r: *const ag_result, i: usize) -> *const c_char {
    field(r, i, 4)
}

/// A deterministic 2–4 sentence investigation brief from the result's fields
/// (the offline template). `*brief` is owned by the caller: `ag_string_free`.
///
/// # Safety
/// `r` is NULL or a live result; `brief` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_template_brief(
    r: *const ag_result,
    brief: *mut *mut c_char,
) -> ag_status {
    guard(AG_STATUS_PANIC, || {
        // SAFETY: NULL or valid per the contract.
        let (Some(r), false) = (unsafe { r.as_ref() }, brief.is_null()) else {
            return AG_STATUS_INVALID_ARGUMENT;
        };
        let text = cstring(&alertgate_synth::template_brief(&r.ingest));
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { *brief = text.into_raw() };
        AG_STATUS_OK
    })
}
