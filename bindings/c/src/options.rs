//! Ingest options: source hint, tier cap, strictness, explanation, mapping.

use std::ffi::c_char;
use std::ptr;

use alertgate::{Limits, Mapping, Options, Source};

use crate::ag_status::*;
use crate::*;

/// New default options (max tier 3, detection on). Free with `ag_options_free`.
#[unsafe(no_mangle)]
pub extern "C" fn ag_options_new() -> *mut ag_options {
    guard(ptr::null_mut(), || {
        Box::into_raw(Box::new(ag_options {
            inner: Options::default(),
        }))
    })
}

/// Frees options. NULL is a no-op.
///
/// # Safety
/// `opts` is NULL or from `ag_options_new`, freed at most once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_options_free(opts: *mut ag_options) {
    if !opts.is_null() {
        // SAFETY: created by Box::into_raw in ag_options_new, freed once.
        guard((), || drop(unsafe { Box::from_raw(opts) }));
    }
}

/// Reads payloads as this source id (e.g. "alertmanager"); NULL restores detection.
/// An unknown id is `AG_STATUS_CONFIG_ERROR` and leaves `opts` unchanged.
///
/// # Safety
/// `opts` is valid; `id` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_options_set_source(
    opts: *mut ag_options,
    id: *const c_char,
) -> ag_status {
    guard(AG_STATUS_PANIC, || {
        // SAFETY: NULL or valid per the contract.
        let Some(opts) = (unsafe { opts.as_mut() }) else {
            return AG_STATUS_INVALID_ARGUMENT;
        };
        // SAFETY: NULL or NUL-terminated per the contract.
        match unsafe { opt_str(id) } {
            Ok(None) => {
                opts.inner.source_hint = None;
                AG_STATUS_OK
            }
            Ok(Some(id)) => match id.parse::<Source>() {
                Ok(s) => {
                    opts.inner.source_hint = Some(s);
                    AG_STATUS_OK
                }
                Err(_) => AG_STATUS_CONFIG_ERROR,
            },
            Err(()) => AG_STATUS_INVALID_ARGUMENT,
        }
    })
}

/// The highest tier a payload's `tier` may ask for (at least 1; 0 makes `ag_ingest` fail with invalid_config).
///
/// # Safety
/// `opts` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_options_set_max_tier(
    opts: *mut ag_options,
    max_tier: u32,
) -> ag_status {
    guard(AG_STATUS_PANIC, || {
        // SAFETY: NULL or valid per the contract.
        match unsafe { opts.as_mut() } {
            Some(o) => {
                o.inner.max_tier = max_tier;
                AG_STATUS_OK
            }
            None => AG_STATUS_INVALID_ARGUMENT,
        }
    })
}

/// Rejects over-long fields (`field_too_long`) instead of cutting them.
///
/// # Safety
/// `opts` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_options_set_strict(opts: *mut ag_options, strict: bool) -> ag_status {
    guard(AG_STATUS_PANIC, || {
        // SAFETY: NULL or valid per the contract.
        match unsafe { opts.as_mut() } {
            Some(o) => {
                o.inner.limits = if strict {
                    Limits::strict()
                } else {
                    Limits::default()
                };
                AG_STATUS_OK
            }
            None => AG_STATUS_INVALID_ARGUMENT,
        }
    })
}

/// Adds an `explanation` (detection rules tried, field origins) to the JSON.
///
/// # Safety
/// `opts` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_options_set_explain(opts: *mut ag_options, explain: bool) -> ag_status {
    guard(AG_STATUS_PANIC, || {
        // SAFETY: NULL or valid per the contract.
        match unsafe { opts.as_mut() } {
            Some(o) => {
                o.inner.explain = explain;
                AG_STATUS_OK
            }
            None => AG_STATUS_INVALID_ARGUMENT,
        }
    })
}

/// Reads payloads with a custom mapping given as JSON (`len` bytes, UTF-8);
/// `json` NULL removes it. An invalid mapping is `AG_STATUS_CONFIG_ERROR` with
/// code `invalid_mapping` naming the field and pointer.
///
/// # Safety
/// `opts` is valid; `json` is NULL or valid for `len` bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_options_set_mapping_json(
    opts: *mut ag_options,
    json: *const c_char,
    len: usize,
    err: *mut *mut ag_error,
) -> ag_status {
    // SAFETY: every pointer is used within its documented contract.
    unsafe {
        guard_status(err, || {
            let Some(opts) = opts.as_mut() else {
                return invalid(err, "opts is NULL");
            };
            if json.is_null() {
                opts.inner.mapping = None;
                return AG_STATUS_OK;
            }
            let Some(text) = bytes(json.cast(), len).and_then(|b| std::str::from_utf8(b).ok())
            else {
                return invalid(err, "the mapping is not UTF-8");
            };
            match Mapping::from_json(text) {
                Ok(m) => {
                    opts.inner.mapping = Some(m);
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
