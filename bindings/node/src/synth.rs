//! `SynthConfig`, `synthesize`, `synthesizeSync` and `templateBrief`.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::args::{BodyArg, MAX_SAFE, Opts, body_bytes, given, object_of, string_of};
use crate::conversion::ingest_arg;
use crate::errors::{Fail, Fault, R};
use alertgate_synth::Provider;
use napi::bindgen_prelude::{AsyncTask, JsObjectValue, Object, Unknown};
use napi::{Env, Task};
use napi_derive::napi;

/// Options of the {@link SynthConfig} constructor.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SynthConfigOptions {
    /// `"anthropic"` (default) or `"openai"` (any OpenAI-compatible server: vLLM, Ollama …).
    #[napi(ts_type = "'anthropic' | 'openai'")]
    pub provider: Option<String>,
    /// Scheme and host (and optional path prefix), e.g. `http://127.0.0.1:11434`.
    pub base_url: Option<String>,
    /// The API key; without one, {@link synthesize} fails with `not_configured`.
    pub api_key: Option<String>,
    /// The model (default `claude-haiku-4-5-20251001`, or `gpt-4o-mini` for `openai`).
    pub model: Option<String>,
    /// Replaces the built-in system prompt entirely.
    pub system_prompt: Option<String>,
    /// Bound on the whole request, in seconds (default 20).
    pub timeout: Option<f64>,
    /// `max_tokens` of the request (default 300).
    pub max_tokens: Option<u32>,
    /// Largest payload excerpt sent, in bytes (default 16384).
    pub max_payload_bytes: Option<u32>,
}

/// How to reach the LLM. The API key is write-only: no getter, `toString` or
/// `toJSON` ever shows it (`hasApiKey` says whether one is set).
#[napi]
pub struct SynthConfig {
    inner: alertgate_synth::SynthConfig,
}

/// The options of `new SynthConfig`.
pub(crate) const SYNTH_OPTIONS: &[&str] = &[
    "provider",
    "baseUrl",
    "apiKey",
    "model",
    "systemPrompt",
    "timeout",
    "maxTokens",
    "maxPayloadBytes",
];

pub(crate) fn synth_config(o: &Opts<'_>) -> R<alertgate_synth::SynthConfig> {
    let provider = match o.string("provider")?.as_deref() {
        None | Some("anthropic") => Provider::Anthropic,
        Some("openai") => Provider::Openai,
        Some(other) => {
            return Err(Fault::invalid_config(format!(
                "provider must be 'anthropic' or 'openai', not {other:?}"
            ))
            .into());
        }
    };
    let mut c = alertgate_synth::SynthConfig::new(provider);
    if let Some(u) = o.string("baseUrl")? {
        c.base_url = u;
    }
    c.api_key = o.string("apiKey")?;
    if let Some(m) = o.string("model")? {
        c.model = m;
    }
    if let Some(p) = o.string("systemPrompt")? {
        c.system_prompt = p;
    }
    if let Some(t) = o.number("timeout")? {
        if !(t.is_finite() && t > 0.0 && t <= 86_400.0) {
            return Err(Fault::invalid_config(String::from(
                "timeout must be a positive number of seconds (at most 86400)",
            ))
            .into());
        }
        c.timeout = Duration::from_secs_f64(t);
    }
    if let Some(n) = o.integer("maxTokens", 1.0, f64::from(u32::MAX))? {
        c.max_tokens = u32::try_from(n).unwrap_or(u32::MAX);
    }
    if let Some(n) = o.integer("maxPayloadBytes", 0.0, MAX_SAFE)? {
        c.max_payload_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    Ok(c)
}

/// The variables `SynthConfig.fromEnv()` reads.
pub(crate) const ENV_VARS: &[&str] = &[
    "ALERTGATE_LLM_PROVIDER",
    "ALERTGATE_LLM_API_KEY",
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "ALERTGATE_LLM_BASE_URL",
    "ALERTGATE_WEBHOOK_MODEL",
    "ALERTGATE_WEBHOOK_SYSTEM_PROMPT",
    "ALERTGATE_LLM_TIMEOUT_S",
];

#[napi]
impl SynthConfig {
    /// A configuration from code; every option has the documented default.
    /// Throws `invalid_config` for an unknown provider or a bad timeout.
    #[napi(constructor, ts_args_type = "options?: SynthConfigOptions | null")]
    pub fn new(env: Env, options: Option<Unknown<'_>>) -> napi::Result<Self> {
        Opts::new(options, "options", SYNTH_OPTIONS)
            .and_then(|o| synth_config(&o))
            .map(|inner| SynthConfig { inner })
            .map_err(|f| f.into_napi(&env))
    }

    /// Reads `ALERTGATE_LLM_PROVIDER`, `ALERTGATE_LLM_API_KEY` (else
    /// `ANTHROPIC_API_KEY` / `OPENAI_API_KEY` by provider),
    /// `ALERTGATE_LLM_BASE_URL`, `ALERTGATE_WEBHOOK_MODEL`,
    /// `ALERTGATE_WEBHOOK_SYSTEM_PROMPT` and `ALERTGATE_LLM_TIMEOUT_S` from
    /// `env` (default `process.env`). Cheap: call it per request so rotated keys
    /// take effect without a restart. Unset or empty variables keep the defaults.
    #[napi(
        factory,
        ts_args_type = "env?: Record<string, string | undefined> | null"
    )]
    pub fn from_env(env: Env, vars: Option<Unknown<'_>>) -> napi::Result<Self> {
        let run = || -> R<Self> {
            let source = match given(vars)? {
                Some((v, t)) => object_of(&v, t, "env")?,
                None => {
                    let process: Object =
                        env.get_global()?.get_named_property_unchecked("process")?;
                    process.get_named_property_unchecked("env")?
                }
            };
            let mut values = BTreeMap::new();
            for name in ENV_VARS {
                if let Some((v, t)) = given(source.get::<Unknown>(name)?)? {
                    values.insert(*name, string_of(&v, t, &format!("env.{name}"))?);
                }
            }
            Ok(SynthConfig {
                inner: alertgate_synth::SynthConfig::from_vars(|n| values.get(n).cloned()),
            })
        };
        run().map_err(|f| f.into_napi(&env))
    }

    /// `"anthropic"` or `"openai"`.
    #[napi(getter, ts_return_type = "'anthropic' | 'openai'")]
    pub fn provider(&self) -> &'static str {
        self.inner.provider.as_str()
    }

    /// The server's base URL.
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    /// Whether an API key is set (the key itself is never readable).
    #[napi(getter)]
    pub fn has_api_key(&self) -> bool {
        self.inner
            .api_key
            .as_deref()
            .is_some_and(|k| !k.trim().is_empty())
    }

    /// The model name.
    #[napi(getter)]
    pub fn model(&self) -> String {
        self.inner.model.clone()
    }

    /// The system prompt.
    #[napi(getter)]
    pub fn system_prompt(&self) -> String {
        self.inner.system_prompt.clone()
    }

    /// The request timeout in seconds.
    #[napi(getter)]
    pub fn timeout(&self) -> f64 {
        self.inner.timeout.as_secs_f64()
    }

    /// `max_tokens` of the request.
    #[napi(getter)]
    pub fn max_tokens(&self) -> u32 {
        self.inner.max_tokens
    }

    /// Largest payload excerpt sent, in bytes.
    #[napi(getter)]
    pub fn max_payload_bytes(&self) -> f64 {
        // Exact for any realistic size (below 2^53).
        self.inner.max_payload_bytes as f64
    }

    /// The settings without the key (for logs and `JSON.stringify`).
    #[napi(
        js_name = "toJSON",
        ts_return_type = "Omit<SynthConfigOptions, 'apiKey'> & { hasApiKey: boolean }"
    )]
    pub fn to_json<'e>(&self, env: &'e Env) -> napi::Result<Object<'e>> {
        let mut o = Object::new(env)?;
        o.set("provider", self.provider())?;
        o.set("baseUrl", self.base_url())?;
        o.set("hasApiKey", self.has_api_key())?;
        o.set("model", self.model())?;
        o.set("systemPrompt", self.system_prompt())?;
        o.set("timeout", self.timeout())?;
        o.set("maxTokens", self.max_tokens())?;
        o.set("maxPayloadBytes", self.max_payload_bytes())?;
        Ok(o)
    }

    /// `SynthConfig(provider=…, model=…, baseUrl=…, hasApiKey=…)`; never the key.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        format!(
            "SynthConfig(provider={}, model={}, baseUrl={}, hasApiKey={})",
            self.provider(),
            self.inner.model,
            self.inner.base_url,
            self.has_api_key()
        )
    }
}

/// An investigation brief and who wrote it.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Brief {
    /// The 2–4 sentence brief.
    pub text: String,
    /// `"anthropic"`, `"openai"` or `"template"`.
    #[napi(
        js_name = "synthesized_by",
        ts_type = "'anthropic' | 'openai' | 'template'"
    )]
    pub synthesized_by: String,
    /// The model that wrote it (`null` for the template).
    pub model: Option<String>,
}

impl From<alertgate_synth::Brief> for Brief {
    fn from(b: alertgate_synth::Brief) -> Self {
        Brief {
            text: b.text,
            synthesized_by: b.synthesized_by.to_owned(),
            model: b.model,
        }
    }
}

/// What a synthesis needs, read on the main thread.
pub(crate) type Job = (
    alertgate::Ingest<'static>,
    Vec<u8>,
    alertgate_synth::SynthConfig,
);

pub(crate) fn synthesis_job(
    env: &Env,
    ingest: Option<Unknown<'_>>,
    body: &BodyArg<'_>,
    config: Option<&SynthConfig>,
) -> R<Job> {
    let ingest = ingest_arg(env, ingest)?;
    let body = body_bytes(body, "body")?.to_vec();
    let config = config.map_or_else(alertgate_synth::SynthConfig::from_env, |c| c.inner.clone());
    Ok((ingest, body, config))
}

/// The HTTP call of {@link synthesize}, run on the libuv thread pool.
pub struct Synthesis {
    /// The work, or the argument error to reject with (so the function always
    /// returns a Promise and never throws).
    job: Option<std::result::Result<Job, Fault>>,
}

impl Task for Synthesis {
    type Output = std::result::Result<alertgate_synth::Brief, Fault>;
    type JsValue = Brief;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(match self.job.take() {
            Some(Ok((ingest, body, config))) => {
                alertgate_synth::synthesize(&ingest, &body, &config).map_err(|e| Fault::synth(&e))
            }
            Some(Err(fault)) => Err(fault),
            None => Err(Fault::argument(String::from("synthesis already ran"))),
        })
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Brief> {
        output.map(Brief::from).map_err(|f| f.into_napi(&env))
    }
}

/// Asks the LLM for a 2–4 sentence investigation brief about `ingest` (a result
/// of {@link ingest}, as the object or its JSON text). `body` is the raw webhook
/// body: its top-level `tier` is removed, secret-looking values are redacted and
/// it is cut to `maxPayloadBytes` before it is sent. `config` defaults to
/// `SynthConfig.fromEnv()`.
///
/// The HTTP call runs on the libuv thread pool: the event loop is never blocked.
/// The Promise rejects with an `Error` whose `code` is `not_configured` (503),
/// `timeout`, `transport`, `upstream_status` (with `upstreamStatus`) or
/// `bad_response` (502), or `invalid_argument`. One request, no retries.
#[napi(
    ts_args_type = "ingest: Ingest | string, body: Buffer | Uint8Array | string, config?: SynthConfig | null",
    ts_return_type = "Promise<Brief>"
)]
pub fn synthesize(
    env: Env,
    ingest: Option<Unknown<'_>>,
    body: BodyArg<'_>,
    config: Option<&SynthConfig>,
) -> AsyncTask<Synthesis> {
    let job = synthesis_job(&env, ingest, &body, config).map_err(|f| match f {
        Fail::Fault(f) => f,
        Fail::Napi(e) => Fault::argument(e.reason.clone()),
    });
    AsyncTask::new(Synthesis { job: Some(job) })
}

/// As {@link synthesize}, but blocking: the calling thread (the event loop, on
/// the main thread) waits for the LLM. Prefer `synthesize` in servers.
#[napi(
    ts_args_type = "ingest: Ingest | string, body: Buffer | Uint8Array | string, config?: SynthConfig | null"
)]
pub fn synthesize_sync(
    env: Env,
    ingest: Option<Unknown<'_>>,
    body: BodyArg<'_>,
    config: Option<&SynthConfig>,
) -> napi::Result<Brief> {
    let run = || -> R<Brief> {
        let (ingest, body, config) = synthesis_job(&env, ingest, &body, config)?;
        alertgate_synth::synthesize(&ingest, &body, &config)
            .map(Brief::from)
            .map_err(|e| Fail::Fault(Fault::synth(&e)))
    };
    run().map_err(|f| f.into_napi(&env))
}

/// A deterministic 2–4 sentence brief from the canonical fields alone (no
/// network), e.g. "Uptime Kuma reports 1 firing alert for gitea.example.com:
/// Gitea (critical). …". `ingest` is a result of {@link ingest}, as the object
/// or its JSON text.
#[napi(ts_args_type = "ingest: Ingest | string")]
pub fn template_brief(env: Env, ingest: Option<Unknown<'_>>) -> napi::Result<String> {
    ingest_arg(&env, ingest)
        .map(|i| alertgate_synth::template_brief(&i))
        .map_err(|f| f.into_napi(&env))
}
