//! Authenticity: verifiers, header checks, SNS certificates and signing.

use std::ffi::c_char;
use std::ptr;

use alertgate::{Scheme, Verifier, VerifyOptions};

use crate::ag_status::*;
use crate::*;

/// Default verify options: tolerance 300 s, every header and template the scheme's default.
#[unsafe(no_mangle)]
pub extern "C" fn ag_verify_options_default() -> ag_verify_options {
    ag_verify_options {
        tolerance: 300,
        signature_header: ptr::null(),
        timestamp_header: ptr::null(),
        timestamp_unit: ptr::null(),
        id_header: ptr::null(),
        prefix: ptr::null(),
        signed_content: ptr::null(),
        topic_arn: ptr::null(),
    }
}

/// Rust options from the C struct (NULL → defaults).
///
/// # Safety
/// `o` is NULL or valid, with NULL or NUL-terminated strings.
unsafe fn verify_options(o: *const ag_verify_options) -> Result<VerifyOptions, ag_error> {
    let mut out = VerifyOptions::default();
    // SAFETY: NULL or valid per the contract.
    let Some(o) = (unsafe { o.as_ref() }) else {
        return Ok(out);
    };
    let text = |p: *const c_char, name: &str| {
        // SAFETY: NULL or NUL-terminated per the contract.
        unsafe { opt_str(p) }
            .map(|s| s.map(str::to_owned))
            .map_err(|()| error("invalid_argument", &format!("{name} is not UTF-8"), 500))
    };
    out.tolerance = o.tolerance;
    out.signature_header = text(o.signature_header, "signature_header")?;
    out.timestamp_header = text(o.timestamp_header, "timestamp_header")?;
    out.id_header = text(o.id_header, "id_header")?;
    out.prefix = text(o.prefix, "prefix")?;
    out.topic_arn = text(o.topic_arn, "topic_arn")?;
    let core = |e: alertgate::Error| core_error(&e).1;
    if let Some(unit) = text(o.timestamp_unit, "timestamp_unit")? {
        out.timestamp_unit = unit.parse().map_err(core)?;
    }
    if let Some(t) = text(o.signed_content, "signed_content")? {
        out.signed_content = Some(t.parse().map_err(core)?);
    }
    Ok(out)
}

/// A verifier for `scheme` (e.g. "github") with `n_secrets` secrets (rotation:
/// any one verifying passes). "basic" takes "user:password" pairs;
/// "standard_webhooks" and "svix" take whsec_ secrets and whpk_/whsk_ ed25519
/// keys; "sns" takes none (`secrets` may be NULL with `n_secrets` 0) and is
/// checked with `ag_verifier_verify_with_certificate`. NULL on failure, with
/// `*err` saying why (`invalid_config` for an unknown scheme, an empty secret,
/// an option the scheme does not use). Free with `ag_verifier_free`.
///
/// # Safety
/// `scheme` is NUL-terminated; `secrets` is valid for `n_secrets` NUL-terminated
/// strings; `opts` is NULL or valid; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_verifier_new(
    scheme: *const c_char,
    secrets: *const *const c_char,
    n_secrets: usize,
    opts: *const ag_verify_options,
    err: *mut *mut ag_error,
) -> *mut ag_verifier {
    // SAFETY: every pointer is used within its documented contract.
    unsafe {
        let mut out = ptr::null_mut();
        let status = guard_status(err, || {
            let Ok(Some(scheme)) = opt_str(scheme) else {
                return invalid(err, "scheme is NULL or not UTF-8");
            };
            if secrets.is_null() && n_secrets > 0 {
                return invalid(err, "secrets is NULL but n_secrets is not 0");
            }
            let list = if n_secrets == 0 {
                &[][..]
            } else {
                std::slice::from_raw_parts(secrets, n_secrets)
            };
            let mut owned = Vec::with_capacity(list.len());
            for s in list {
                match opt_str(*s) {
                    Ok(Some(s)) => owned.push(s),
                    _ => return invalid(err, "a secret is NULL or not UTF-8"),
                }
            }
            let options = match verify_options(opts) {
                Ok(o) => o,
                Err(e) => {
                    let status = if e.code.as_bytes() == b"invalid_argument" {
                        AG_STATUS_INVALID_ARGUMENT
                    } else {
                        AG_STATUS_CONFIG_ERROR
                    };
                    set_error(err, e);
                    return status;
                }
            };
            let verifier = scheme
                .parse::<Scheme>()
                .and_then(|s| Verifier::new(s, &owned, &options));
            match verifier {
                Ok(v) => {
                    out = Box::into_raw(Box::new(ag_verifier { inner: v }));
                    AG_STATUS_OK
                }
                Err(e) => {
                    let (status, e) = core_error(&e);
                    set_error(err, e);
                    status
                }
            }
        });
        if status == AG_STATUS_OK {
            out
        } else {
            ptr::null_mut()
        }
    }
}

/// Frees a verifier. NULL is a no-op.
///
/// # Safety
/// `v` is NULL or from `ag_verifier_new`, freed at most once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_verifier_free(v: *mut ag_verifier) {
    if !v.is_null() {
        // SAFETY: created by Box::into_raw in ag_verifier_new, freed once.
        guard((), || drop(unsafe { Box::from_raw(v) }));
    }
}

/// Checks a request's credentials against its raw body; `now` is Unix seconds.
/// `AG_STATUS_OK`, or `AG_STATUS_AUTH_ERROR` with `*err` giving the code
/// (missing_credentials, invalid_token, signature_mismatch, malformed_signature,
/// timestamp_out_of_tolerance). "sns" needs its certificate:
/// `ag_verifier_verify_with_certificate` (here it is `AG_STATUS_CONFIG_ERROR`).
///
/// # Safety
/// `v` is a live verifier; `headers` is valid for `n` headers; `body` is valid for
/// `len` bytes (NULL only when 0); `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_verify(
    v: *const ag_verifier,
    headers_ptr: *const ag_header,
    n: usize,
    body: *const u8,
    len: usize,
    now: i64,
    err: *mut *mut ag_error,
) -> ag_status {
    // SAFETY: every pointer is used within its documented contract.
    unsafe {
        guard_status(err, || {
            let Some(v) = v.as_ref() else {
                return invalid(err, "verifier is NULL");
            };
            let Some(body) = bytes(body, len) else {
                return invalid(err, "body is NULL but len is not 0");
            };
            let hs = match headers(headers_ptr, n) {
                Ok(h) => h,
                Err(m) => return invalid(err, m),
            };
            match v.inner.verify(&hs, body, now) {
                Ok(()) => AG_STATUS_OK,
                Err(e) => {
                    let (status, e) = core_error(&e);
                    set_error(err, e);
                    status
                }
            }
        })
    }
}

/// Stores a core result: `AG_STATUS_OK`, or the error's status with `*err` set.
///
/// # Safety
/// `err` is NULL or valid for one write.
unsafe fn status_of(result: Result<(), alertgate::Error>, err: *mut *mut ag_error) -> ag_status {
    match result {
        Ok(()) => AG_STATUS_OK,
        Err(e) => {
            let (status, e) = core_error(&e);
            // SAFETY: forwarded contract.
            unsafe { set_error(err, e) };
            status
        }
    }
}

/// Checks an AWS SNS message ("sns") against the signing certificate (PEM or
/// DER, `cert_len` bytes) the caller fetched from `ag_sns_certificate_url`:
/// the signature, the certificate's URL and, when `topic_arn` was set, the
/// topic. Statuses as `ag_verify`; other schemes give `AG_STATUS_CONFIG_ERROR`.
///
/// # Safety
/// As `ag_verify`, and `cert` is valid for `cert_len` bytes (NULL only when 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_verifier_verify_with_certificate(
    v: *const ag_verifier,
    headers_ptr: *const ag_header,
    n: usize,
    body: *const u8,
    len: usize,
    now: i64,
    cert: *const u8,
    cert_len: usize,
    err: *mut *mut ag_error,
) -> ag_status {
    // SAFETY: every pointer is used within its documented contract.
    unsafe {
        guard_status(err, || {
            let Some(v) = v.as_ref() else {
                return invalid(err, "verifier is NULL");
            };
            let Some(body) = bytes(body, len) else {
                return invalid(err, "body is NULL but len is not 0");
            };
            let Some(cert) = bytes(cert, cert_len) else {
                return invalid(err, "cert is NULL but cert_len is not 0");
            };
            let hs = match headers(headers_ptr, n) {
                Ok(h) => h,
                Err(m) => return invalid(err, m),
            };
            status_of(v.inner.verify_with_certificate(&hs, body, now, cert), err)
        })
    }
}

/// Judges what the headers alone tell, before the body is read (a token scheme
/// fully; a signature's presence, form and timestamp; SNS's message type and
/// pinned topic). Statuses as `ag_verify`; a request that passes still needs it.
///
/// # Safety
/// `v` is a live verifier; `headers` is valid for `n` headers; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_verifier_check_headers(
    v: *const ag_verifier,
    headers_ptr: *const ag_header,
    n: usize,
    now: i64,
    err: *mut *mut ag_error,
) -> ag_status {
    // SAFETY: every pointer is used within its documented contract.
    unsafe {
        guard_status(err, || {
            let Some(v) = v.as_ref() else {
                return invalid(err, "verifier is NULL");
            };
            let hs = match headers(headers_ptr, n) {
                Ok(h) => h,
                Err(m) => return invalid(err, m),
            };
            status_of(v.inner.check_headers(&hs, now), err)
        })
    }
}

/// A value a verifier reads from the headers (`Verifier::delivery_id`, `Verifier::signature`).
type HeaderPick = for<'a> fn(&Verifier, &[(&str, &'a str)]) -> Option<&'a str>;

/// A header-derived value of `v` as a caller-owned copy in `*out` (NULL when none).
///
/// # Safety
/// As `ag_verifier_delivery_id`.
unsafe fn header_value(
    v: *const ag_verifier,
    headers_ptr: *const ag_header,
    n: usize,
    out: *mut *mut c_char,
    pick: HeaderPick,
) -> ag_status {
    // SAFETY: every pointer is used within its documented contract.
    unsafe {
        guard_status(ptr::null_mut(), || {
            if out.is_null() {
                return AG_STATUS_INVALID_ARGUMENT;
            }
            *out = ptr::null_mut();
            let Some(v) = v.as_ref() else {
                return AG_STATUS_INVALID_ARGUMENT;
            };
            let Ok(hs) = headers(headers_ptr, n) else {
                return AG_STATUS_INVALID_ARGUMENT;
            };
            if let Some(value) = pick(&v.inner, &hs) {
                *out = cstring(value).into_raw();
            }
            AG_STATUS_OK
        })
    }
}

/// What identifies this delivery, for recognising a replay: the sender's
/// delivery-id header, else a timestamped signature. `*id` is a caller-owned
/// copy (`ag_string_free`), or NULL when the scheme gives neither.
///
/// # Safety
/// `v` is NULL or a live verifier; `headers` is valid for `n` headers; `id` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_verifier_delivery_id(
    v: *const ag_verifier,
    headers_ptr: *const ag_header,
    n: usize,
    id: *mut *mut c_char,
) -> ag_status {
    // SAFETY: forwarded contract.
    unsafe { header_value(v, headers_ptr, n, id, Verifier::delivery_id) }
}

/// The raw value of the signature header (header signature schemes) as a
/// caller-owned copy in `*signature` (`ag_string_free`), or NULL when absent.
///
/// # Safety
/// `v` is NULL or a live verifier; `headers` is valid for `n` headers; `signature` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_verifier_signature(
    v: *const ag_verifier,
    headers_ptr: *const ag_header,
    n: usize,
    signature: *mut *mut c_char,
) -> ag_status {
    // SAFETY: forwarded contract.
    unsafe { header_value(v, headers_ptr, n, signature, Verifier::signature) }
}

/// The timestamp tolerance in seconds, for schemes that sign a timestamp:
/// true with `*tolerance` set; false (and `*tolerance` untouched) for other
/// schemes or NULL arguments.
///
/// # Safety
/// `v` is NULL or a live verifier; `tolerance` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_verifier_tolerance(v: *const ag_verifier, tolerance: *mut u64) -> bool {
    guard(false, || {
        // SAFETY: NULL or valid per the contract.
        let (Some(v), false) = (unsafe { v.as_ref() }, tolerance.is_null()) else {
            return false;
        };
        match v.inner.tolerance() {
            Some(t) => {
                // SAFETY: checked non-NULL; writable per the contract.
                unsafe { *tolerance = t };
                true
            }
            None => false,
        }
    })
}

/// A URL from an SNS message body into `*url` (caller-owned: `ag_string_free`).
///
/// # Safety
/// As `ag_sns_certificate_url`.
unsafe fn sns_url(
    body: *const u8,
    len: usize,
    url: *mut *mut c_char,
    err: *mut *mut ag_error,
    read: fn(&[u8]) -> Result<String, alertgate::Error>,
) -> ag_status {
    // SAFETY: every pointer is used within its documented contract.
    unsafe {
        guard_status(err, || {
            if url.is_null() {
                return invalid(err, "url is NULL");
            }
            *url = ptr::null_mut();
            let Some(body) = bytes(body, len) else {
                return invalid(err, "body is NULL but len is not 0");
            };
            match read(body) {
                Ok(u) => {
                    *url = cstring(&u).into_raw();
                    AG_STATUS_OK
                }
                Err(e) => status_of(Err(e), err),
            }
        })
    }
}

/// The SNS message's SigningCertURL, once it is known to be SNS's (https, an
/// SNS host, a .pem path): fetch it with your own HTTP client and pass the
/// certificate to `ag_verifier_verify_with_certificate`. Anything else is
/// `AG_STATUS_AUTH_ERROR` (malformed_signature), so a forged message cannot
/// choose what is fetched. `*url` is caller-owned (`ag_string_free`).
///
/// # Safety
/// `body` is valid for `len` bytes (NULL only when 0); `url` is writable; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_sns_certificate_url(
    body: *const u8,
    len: usize,
    url: *mut *mut c_char,
    err: *mut *mut ag_error,
) -> ag_status {
    // SAFETY: forwarded contract.
    unsafe { sns_url(body, len, url, err, alertgate::sns_certificate_url) }
}

/// A SubscriptionConfirmation's SubscribeURL, once it is known to be SNS's:
/// fetching it confirms the subscription (verify the message first). As
/// `ag_sns_certificate_url` otherwise.
///
/// # Safety
/// As `ag_sns_certificate_url`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_sns_subscribe_url(
    body: *const u8,
    len: usize,
    url: *mut *mut c_char,
    err: *mut *mut ag_error,
) -> ag_status {
    // SAFETY: forwarded contract.
    unsafe { sns_url(body, len, url, err, alertgate::sns_subscribe_url) }
}

/// The headers a sender of `scheme` sends for `body`, as a JSON object
/// (`{"Name": "value", …}`), in `*headers_json` (caller-owned: `ag_string_free`).
/// `timestamp` (Unix seconds) may be NULL for schemes that sign none; `id` may be
/// NULL except for {id}.{ts}.{body}; `opts` may be NULL.
///
/// # Safety
/// `scheme` and `secret` are NUL-terminated; `body` is valid for `len` bytes (NULL only
/// when 0); `timestamp` is NULL or valid; `id` is NULL or NUL-terminated; `opts` is NULL
/// or valid; `headers_json` is writable; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ag_sign(
    scheme: *const c_char,
    secret: *const c_char,
    body: *const u8,
    len: usize,
    timestamp: *const i64,
    id: *const c_char,
    opts: *const ag_verify_options,
    headers_json: *mut *mut c_char,
    err: *mut *mut ag_error,
) -> ag_status {
    // SAFETY: every pointer is used within its documented contract.
    unsafe {
        guard_status(err, || {
            if headers_json.is_null() {
                return invalid(err, "headers_json is NULL");
            }
            *headers_json = ptr::null_mut();
            let secret_list = [secret];
            let v = ag_verifier_new(scheme, secret_list.as_ptr(), 1, opts, err);
            let Some(v) = v.as_mut() else {
                // ag_verifier_new has set *err; classify from it.
                return match err.as_ref().and_then(|e| e.as_ref()) {
                    Some(e) if e.code.as_bytes() == b"invalid_argument" => {
                        AG_STATUS_INVALID_ARGUMENT
                    }
                    _ => AG_STATUS_CONFIG_ERROR,
                };
            };
            let verifier = Box::from_raw(v);
            let Some(body) = bytes(body, len) else {
                return invalid(err, "body is NULL but len is not 0");
            };
            let Ok(id) = opt_str(id) else {
                return invalid(err, "id is not UTF-8");
            };
            match verifier.inner.sign(body, timestamp.as_ref().copied(), id) {
                Ok(h) => {
                    *headers_json = cstring(&alertgate::headers_json(&h)).into_raw();
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
