//! Configuration, from code or from the environment (read per call, so a
//! rotated key or a changed model takes effect without a restart).

use std::time::Duration;

/// The default model (Anthropic's small, fast model).
pub const DEFAULT_MODEL: &str = "claude-haiku-4-5-20251001";

/// The model used with `openai` when none is configured.
const DEFAULT_OPENAI_MODEL: &str = "gpt-4o-mini";

/// The built-in system prompt; `ALERTGATE_WEBHOOK_SYSTEM_PROMPT` replaces it entirely.
pub const DEFAULT_SYSTEM_PROMPT: &str = "You triage alerts for an on-call engineer. \
You receive one inbound monitoring webhook: a one-line summary alertgate made of it, then the raw payload. \
Write one investigation brief of 2 to 4 plain sentences: name the affected service or system, \
say what appears to be wrong (with the numbers that matter), and say what to check first. \
Reply with the brief only: no preamble, no headings, no lists, no JSON, no markdown.";

/// Which API the LLM server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Anthropic's Messages API.
    Anthropic,
    /// OpenAI's Chat Completions API, or any compatible server (vLLM, Ollama, …).
    Openai,
}

impl Provider {
    /// `anthropic` or `openai`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::Openai => "openai",
        }
    }

    fn default_base_url(self) -> &'static str {
        match self {
            Provider::Anthropic => "https://api.anthropic.com",
            Provider::Openai => "https://api.openai.com",
        }
    }
}

/// How to reach the LLM. Cheap to build: a server may build one per request.
#[derive(Clone, PartialEq, Eq)]
pub struct SynthConfig {
    /// The API the server speaks.
    pub provider: Provider,
    /// Scheme and host (and optional path prefix), e.g. `http://127.0.0.1:11434`.
    pub base_url: String,
    /// The API key; `None` means not configured.
    pub api_key: Option<String>,
    /// The model name.
    pub model: String,
    /// The system prompt.
    pub system_prompt: String,
    /// Bound on the whole request, connect to last byte.
    pub timeout: Duration,
    /// `max_tokens` of the request.
    pub max_tokens: u32,
    /// Largest payload excerpt sent, in bytes.
    pub max_payload_bytes: usize,
}

impl std::fmt::Debug for SynthConfig {
    // The API key is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SynthConfig")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .field("max_tokens", &self.max_tokens)
            .field("max_payload_bytes", &self.max_payload_bytes)
            .finish_non_exhaustive()
    }
}

impl SynthConfig {
    /// Defaults for a provider, without an API key.
    pub fn new(provider: Provider) -> Self {
        SynthConfig {
            provider,
            base_url: String::from(provider.default_base_url()),
            api_key: None,
            model: String::from(match provider {
                Provider::Anthropic => DEFAULT_MODEL,
                Provider::Openai => DEFAULT_OPENAI_MODEL,
            }),
            system_prompt: String::from(DEFAULT_SYSTEM_PROMPT),
            timeout: crate::DEFAULT_TIMEOUT,
            max_tokens: 300,
            max_payload_bytes: 16 * 1024,
        }
    }

    /// Reads `ALERTGATE_LLM_PROVIDER`, `ALERTGATE_LLM_API_KEY` (else `ANTHROPIC_API_KEY`
    /// or `OPENAI_API_KEY` by provider), `ALERTGATE_LLM_BASE_URL`,
    /// `ALERTGATE_WEBHOOK_MODEL`, `ALERTGATE_WEBHOOK_SYSTEM_PROMPT` and
    /// `ALERTGATE_LLM_TIMEOUT_S`. Unset or empty variables keep the defaults; an
    /// unknown provider or a bad timeout is ignored in favour of the default.
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading variables through `get`.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let provider = match var("ALERTGATE_LLM_PROVIDER")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("openai") => Provider::Openai,
            _ => Provider::Anthropic,
        };
        let mut c = SynthConfig::new(provider);
        c.api_key = var("ALERTGATE_LLM_API_KEY").or_else(|| {
            var(match provider {
                Provider::Anthropic => "ANTHROPIC_API_KEY",
                Provider::Openai => "OPENAI_API_KEY",
            })
        });
        if let Some(url) = var("ALERTGATE_LLM_BASE_URL") {
            c.base_url = url;
        }
        if let Some(model) = var("ALERTGATE_WEBHOOK_MODEL") {
            c.model = model;
        }
        // The prompt is kept verbatim (not trimmed): it replaces the built-in one entirely.
        if let Some(prompt) =
            get("ALERTGATE_WEBHOOK_SYSTEM_PROMPT").filter(|p| !p.trim().is_empty())
        {
            c.system_prompt = prompt;
        }
        let timeout = var("ALERTGATE_LLM_TIMEOUT_S").and_then(|s| s.parse::<f64>().ok());
        if let Some(secs) = timeout.filter(|s| s.is_finite() && *s > 0.0) {
            c.timeout = Duration::from_secs_f64(secs.min(3600.0));
        }
        c
    }
}
