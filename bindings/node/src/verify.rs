//! `Verifier`, `verify`, `sign` and the SNS URL helpers.

use crate::args::{
    BodyArg, MAX_SAFE, Opts, body_bytes, elements, given, header_pairs, integer_in, now_unix,
    number_of, refs, string_of, to_string,
};
use crate::errors::{Fail, Fault, R, bad};
use alertgate::{Scheme, VerifyOptions};
use napi::bindgen_prelude::{FromNapiValue, JsValue, Object, Unknown};
use napi::{Env, ValueType};
use napi_derive::napi;

/// Options of {@link Verifier}, {@link verify} and {@link sign}. Setting one the
/// scheme does not use is `invalid_config`, never silently ignored.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct VerifierOptions {
    /// Largest allowed |now − timestamp| in seconds (default 300).
    pub tolerance: Option<u32>,
    /// The signature header (`hmac_sha256`, `grafana`) or secret header (`shared_secret`).
    pub signature_header: Option<String>,
    /// The timestamp header (`hmac_sha256`, `grafana`).
    pub timestamp_header: Option<String>,
    /// The timestamp header's unit (`hmac_sha256`; default `"s"`).
    #[napi(ts_type = "'s' | 'ms'")]
    pub timestamp_unit: Option<String>,
    /// The id header for `{id}.{ts}.{body}` (`hmac_sha256`; default `webhook-id`).
    pub id_header: Option<String>,
    /// A prefix before the hex signature, e.g. `sha256=` (`hmac_sha256`).
    pub prefix: Option<String>,
    /// What is signed (`hmac_sha256`): `{body}`, `{ts}.{body}`, `{ts}:{body}`,
    /// `{id}.{ts}.{body}` or `v0:{ts}:{body}`.
    pub signed_content: Option<String>,
    /// The only SNS topic accepted (`sns`; any topic when unset).
    pub topic_arn: Option<String>,
}

/// The options of `new Verifier`.
pub(crate) const VERIFIER_OPTIONS: &[&str] = &[
    "tolerance",
    "signatureHeader",
    "timestampHeader",
    "timestampUnit",
    "idHeader",
    "prefix",
    "signedContent",
    "topicArn",
];

/// The options of the one-shot `verify`: a verifier's, `now` and (`sns`) `certificate`.
pub(crate) const VERIFY_OPTIONS: &[&str] = &[
    "tolerance",
    "signatureHeader",
    "timestampHeader",
    "timestampUnit",
    "idHeader",
    "prefix",
    "signedContent",
    "topicArn",
    "now",
    "certificate",
];

/// The options of `sign`: a verifier's (no tolerance: nothing is checked), `timestamp` and `id`.
pub(crate) const SIGN_OPTIONS: &[&str] = &[
    "signatureHeader",
    "timestampHeader",
    "timestampUnit",
    "idHeader",
    "prefix",
    "signedContent",
    "timestamp",
    "id",
];

pub(crate) fn verify_options(o: &Opts<'_>) -> R<VerifyOptions> {
    let mut v = VerifyOptions::default();
    if let Some(t) = o.integer("tolerance", 0.0, MAX_SAFE)? {
        v.tolerance = u64::try_from(t).unwrap_or(0);
    }
    v.signature_header = o.string("signatureHeader")?;
    v.timestamp_header = o.string("timestampHeader")?;
    v.id_header = o.string("idHeader")?;
    v.prefix = o.string("prefix")?;
    v.topic_arn = o.string("topicArn")?;
    if let Some(u) = o.string("timestampUnit")? {
        v.timestamp_unit = u.parse().map_err(|e| Fault::core(&e))?;
    }
    if let Some(c) = o.string("signedContent")? {
        v.signed_content = Some(c.parse().map_err(|e| Fault::core(&e))?);
    }
    Ok(v)
}

pub(crate) fn secrets_of(v: Option<Unknown<'_>>, what: &str) -> R<Vec<String>> {
    let message = || format!("{what} must be a string or a list of strings");
    let Some((v, t)) = given(v)? else {
        return bad(message());
    };
    match t {
        ValueType::String => Ok(vec![to_string(&v)?]),
        ValueType::Object if v.is_array()? => elements(&v.coerce_to_object()?)?
            .iter()
            .map(|s| {
                if s.get_type()? == ValueType::String {
                    to_string(s)
                } else {
                    bad(message())
                }
            })
            .collect(),
        _ => bad(message()),
    }
}

pub(crate) fn build_verifier(
    scheme: Option<Unknown<'_>>,
    secrets: &[String],
    options: &Opts<'_>,
) -> R<alertgate::Verifier> {
    let scheme = match given(scheme)? {
        Some((v, t)) => string_of(&v, t, "scheme")?,
        None => return bad(String::from("scheme must be a string")),
    };
    let o = verify_options(options)?;
    let scheme = scheme.parse::<Scheme>().map_err(|e| Fault::core(&e))?;
    alertgate::Verifier::new(scheme, secrets, &o).map_err(|e| Fail::Fault(Fault::core(&e)))
}

pub(crate) fn now_of(v: Option<(Unknown<'_>, ValueType)>, what: &str) -> R<i64> {
    match v {
        None => Ok(now_unix()),
        Some((v, t)) => integer_in(number_of(&v, t, what)?, -MAX_SAFE, MAX_SAFE, what),
    }
}

/// `verify`, or `verify_with_certificate` when a certificate is given (`sns`).
pub(crate) fn run_verify(
    env: &Env,
    verifier: &alertgate::Verifier,
    headers: Option<Unknown<'_>>,
    body: &BodyArg<'_>,
    now: i64,
    certificate: Option<&BodyArg<'_>>,
) -> R<()> {
    let headers = header_pairs(env, headers, "headers")?;
    let body = body_bytes(body, "body")?;
    let result = match certificate {
        Some(c) => {
            let c = body_bytes(c, "certificate")?;
            verifier.verify_with_certificate(&refs(&headers), body, now, c)
        }
        None => verifier.verify(&refs(&headers), body, now),
    };
    result.map_err(|e| Fail::Fault(Fault::core(&e)))
}

/// Verifies one sender's credentials; build it once and reuse it for every request.
///
/// ```js
/// const verifier = new Verifier('github', [process.env.NEW_SECRET, process.env.OLD_SECRET])
/// verifier.verify(req.headers, rawBody) // throws AuthError-named errors with code and httpStatus 401
/// ```
#[napi]
pub struct Verifier {
    inner: alertgate::Verifier,
}

#[napi]
impl Verifier {
    /// Builds a verifier for `scheme` (`bearer`, `basic`, `shared_secret`,
    /// `hmac_sha256`, `github`, `opsknight`, `opshift`, `grafana`, `pagerduty`,
    /// `sentry`, `slack`, `stripe`, `standard_webhooks`, `svix`, `sns`) with one
    /// secret or several (rotation: any may match): `basic` takes `user:password`
    /// pairs; `standard_webhooks`/`svix` take `whsec_` secrets, `whpk_` public
    /// and `whsk_` secret ed25519 keys (`v1a`); `sns` takes none (`[]`), and
    /// `topicArn` pins its topic. Throws `invalid_config` for an unknown scheme,
    /// an empty secret or an option the scheme does not use.
    #[napi(
        constructor,
        ts_args_type = "scheme: string, secrets: string | string[], options?: VerifierOptions | null"
    )]
    pub fn new(
        env: Env,
        scheme: Option<Unknown<'_>>,
        secrets: Option<Unknown<'_>>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<Self> {
        let run = || -> R<alertgate::Verifier> {
            let secrets = secrets_of(secrets, "secrets")?;
            build_verifier(
                scheme,
                &secrets,
                &Opts::new(options, "options", VERIFIER_OPTIONS)?,
            )
        };
        run()
            .map(|inner| Verifier { inner })
            .map_err(|f| f.into_napi(&env))
    }

    /// Throws unless the request is authentic: `missing_credentials`,
    /// `invalid_token`, `signature_mismatch`, `malformed_signature` or
    /// `timestamp_out_of_tolerance`, all with `httpStatus` 401. Pass the raw
    /// body bytes, before parsing. `now` (Unix seconds) defaults to the clock.
    #[napi(
        ts_args_type = "headers: HeaderInput, body: Buffer | Uint8Array | string, now?: number | null"
    )]
    pub fn verify(
        &self,
        env: Env,
        headers: Option<Unknown<'_>>,
        body: BodyArg<'_>,
        now: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        given(now)
            .and_then(|n| now_of(n, "now"))
            .and_then(|now| run_verify(&env, &self.inner, headers, &body, now, None))
            .map_err(|f| f.into_napi(&env))
    }

    /// Throws unless the AWS SNS message (`sns`) is authentic: its signature
    /// checked with `certificate` (PEM or DER), which the caller fetched from
    /// {@link snsCertificateUrl}`(body)` with its own HTTP client; the topic
    /// too when `topicArn` is set. Other schemes throw `invalid_config`.
    #[napi(
        ts_args_type = "headers: HeaderInput, body: Buffer | Uint8Array | string, certificate: Buffer | Uint8Array | string, now?: number | null"
    )]
    pub fn verify_with_certificate(
        &self,
        env: Env,
        headers: Option<Unknown<'_>>,
        body: BodyArg<'_>,
        certificate: BodyArg<'_>,
        now: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        given(now)
            .and_then(|n| now_of(n, "now"))
            .and_then(|now| run_verify(&env, &self.inner, headers, &body, now, Some(&certificate)))
            .map_err(|f| f.into_napi(&env))
    }

    /// Judges what the headers alone tell, before the body is read (a token
    /// scheme fully; a signature's presence, form and timestamp); throws as
    /// {@link Verifier.verify} does. A request that passes still needs `verify`.
    #[napi(ts_args_type = "headers: HeaderInput, now?: number | null")]
    pub fn check_headers(
        &self,
        env: Env,
        headers: Option<Unknown<'_>>,
        now: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        let run = || -> R<()> {
            let now = now_of(given(now)?, "now")?;
            let headers = header_pairs(&env, headers, "headers")?;
            self.inner
                .check_headers(&refs(&headers), now)
                .map_err(|e| Fail::Fault(Fault::core(&e)))
        };
        run().map_err(|f| f.into_napi(&env))
    }

    /// What identifies this delivery, for recognising a replay: the sender's
    /// delivery-id header, else a timestamped signature; `null` when the
    /// scheme gives neither.
    #[napi(ts_args_type = "headers: HeaderInput")]
    pub fn delivery_id(
        &self,
        env: Env,
        headers: Option<Unknown<'_>>,
    ) -> napi::Result<Option<String>> {
        header_pairs(&env, headers, "headers")
            .map(|h| self.inner.delivery_id(&refs(&h)).map(str::to_owned))
            .map_err(|f| f.into_napi(&env))
    }

    /// The raw value of the signature header (header signature schemes), else `null`.
    #[napi(ts_args_type = "headers: HeaderInput")]
    pub fn signature(
        &self,
        env: Env,
        headers: Option<Unknown<'_>>,
    ) -> napi::Result<Option<String>> {
        header_pairs(&env, headers, "headers")
            .map(|h| self.inner.signature(&refs(&h)).map(str::to_owned))
            .map_err(|f| f.into_napi(&env))
    }

    /// The scheme this verifier checks (its canonical name).
    #[napi(getter)]
    pub fn scheme(&self) -> &'static str {
        self.inner.scheme().as_str()
    }

    /// The timestamp tolerance in seconds, for schemes that sign a timestamp; else `null`.
    #[napi(getter)]
    pub fn tolerance(&self) -> Option<f64> {
        // Set from a JavaScript number, so it fits one exactly.
        self.inner.tolerance().map(|t| t as f64)
    }

    /// `Verifier(<scheme>)`; never the secrets.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        format!("Verifier({})", self.inner.scheme().as_str())
    }
}

/// One-shot verification: `new Verifier(scheme, secrets, options).verify(headers, body, options.now)`,
/// or `.verifyWithCertificate(headers, body, options.certificate, options.now)` when a certificate is given (`sns`).
#[napi(
    ts_args_type = "scheme: string, secrets: string | string[], headers: HeaderInput, body: Buffer | Uint8Array | string, options?: (VerifierOptions & { now?: number | null; certificate?: Buffer | Uint8Array | string | null }) | null"
)]
pub fn verify(
    env: Env,
    scheme: Option<Unknown<'_>>,
    secrets: Option<Unknown<'_>>,
    headers: Option<Unknown<'_>>,
    body: BodyArg<'_>,
    options: Option<Unknown<'_>>,
) -> napi::Result<()> {
    let run = || -> R<()> {
        let secrets = secrets_of(secrets, "secrets")?;
        let o = Opts::new(options, "options", VERIFY_OPTIONS)?;
        let verifier = build_verifier(scheme, &secrets, &o)?;
        let now = now_of(o.get("now")?, "options.now")?;
        let certificate = match o.get("certificate")? {
            Some((v, _)) => Some(BodyArg::from_unknown(v)?),
            None => None,
        };
        run_verify(&env, &verifier, headers, &body, now, certificate.as_ref())
    };
    run().map_err(|f| f.into_napi(&env))
}

/// The SNS message's `SigningCertURL`, once it is known to be SNS's (https, an
/// SNS host, a `.pem` path): fetch it with your own HTTP client and pass the
/// certificate to {@link Verifier.verifyWithCertificate}. Anything else throws
/// `malformed_signature` (401), so a forged message cannot choose what you fetch.
///
/// ```js
/// const url = snsCertificateUrl(rawBody)
/// const certificate = Buffer.from(await (await fetch(url)).arrayBuffer())
/// new Verifier('sns', []).verifyWithCertificate(req.headers, rawBody, certificate)
/// ```
#[napi(ts_args_type = "body: Buffer | Uint8Array | string")]
pub fn sns_certificate_url(env: Env, body: BodyArg<'_>) -> napi::Result<String> {
    body_bytes(&body, "body")
        .and_then(|b| alertgate::sns_certificate_url(b).map_err(|e| Fail::Fault(Fault::core(&e))))
        .map_err(|f| f.into_napi(&env))
}

/// A `SubscriptionConfirmation`'s `SubscribeURL`, once it is known to be SNS's:
/// fetching it confirms the subscription. Verify the message first.
#[napi(ts_args_type = "body: Buffer | Uint8Array | string")]
pub fn sns_subscribe_url(env: Env, body: BodyArg<'_>) -> napi::Result<String> {
    body_bytes(&body, "body")
        .and_then(|b| alertgate::sns_subscribe_url(b).map_err(|e| Fail::Fault(Fault::core(&e))))
        .map_err(|f| f.into_napi(&env))
}

/// The headers a sender of `scheme` would send for `body`, signed with
/// `secret`: sign-then-verify round-trips for every scheme. `timestamp` (Unix
/// seconds) defaults to now; `id` (Standard Webhooks) to one derived from the
/// body and timestamp, like the Python binding.
///
/// ```js
/// sign('github', "It's a Secret to Everybody", 'Hello, World!')
/// // { 'X-Hub-Signature-256': 'sha256=757107ea…' }
/// ```
#[napi(
    ts_args_type = "scheme: string, secret: string, body: Buffer | Uint8Array | string, options?: (VerifierOptions & { timestamp?: number | null; id?: string | null }) | null",
    ts_return_type = "Record<string, string>"
)]
pub fn sign<'e>(
    env: &'e Env,
    scheme: Option<Unknown<'e>>,
    secret: Option<Unknown<'e>>,
    body: BodyArg<'e>,
    options: Option<Unknown<'e>>,
) -> napi::Result<Object<'e>> {
    let run = || -> R<Object<'e>> {
        let secret = match given(secret)? {
            Some((v, t)) => string_of(&v, t, "secret")?,
            None => return bad(String::from("secret must be a string")),
        };
        let o = Opts::new(options, "options", SIGN_OPTIONS)?;
        let verifier = build_verifier(scheme, &[secret], &o)?;
        let bytes = body_bytes(&body, "body")?;
        let ts = now_of(o.get("timestamp")?, "options.timestamp")?;
        let id = o.string("id")?.unwrap_or_else(|| {
            let digest = alertgate::content_key(
                "sign",
                None,
                None,
                &format!("{ts}:{}", String::from_utf8_lossy(bytes)),
            );
            format!("msg_{}", &digest[..24])
        });
        let headers = verifier
            .sign(bytes, Some(ts), Some(&id))
            .map_err(|e| Fault::core(&e))?;
        let mut out = Object::new(env)?;
        for (name, value) in headers {
            out.set(name, value)?;
        }
        Ok(out)
    };
    run().map_err(|f| f.into_napi(env))
}
