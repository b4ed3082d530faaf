//! # alertgate-synth
//!
//! Turns an inbound alert into a 2–4 sentence investigation brief: what is
//! affected, what seems wrong, what to check first. [`synthesize`] asks an
//! LLM (Anthropic's Messages API or any OpenAI-compatible server) with a
//! blocking `ureq` client; [`template_brief`] writes one from the canonical
//! fields alone, so a deployment without an API key still works offline.
//!
//! ```
//! use alertgate::{ingest, Options, Request};
//!
//! let body = br#"{"summary": "Disk /var 98% full", "service": "billing-db", "host": "db-3", "severity": "critical"}"#;
//! let alert = ingest(&Request::new(body), &Options::default()).unwrap();
//! let brief = alertgate_synth::template_brief(&alert);
//! assert!(brief.contains("billing-db"));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "http")]
mod config;
#[cfg(feature = "http")]
mod error;
mod prompt;
mod template;

#[cfg(feature = "http")]
use std::time::Duration;

#[cfg(feature = "http")]
use serde_json::{Value, json};

#[cfg(feature = "http")]
pub use config::{DEFAULT_MODEL, DEFAULT_SYSTEM_PROMPT, Provider, SynthConfig};
#[cfg(feature = "http")]
pub use error::SynthError;
pub use prompt::{clean_reply, redact_text, user_content};
pub use template::template_brief;

#[cfg(feature = "http")]
/// Longest reply body read from the LLM server.
const MAX_RESPONSE_BYTES: u64 = 1 << 20;

/// A brief and who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brief {
    /// The 2–4 sentence brief.
    pub text: String,
    /// `anthropic`, `openai` or `template`.
    pub synthesized_by: &'static str,
    /// The model that wrote it (`None` for the template).
    pub model: Option<String>,
}

impl Brief {
    /// A template brief for `ingest`.
    pub fn template(ingest: &alertgate::Ingest) -> Self {
        Brief {
            text: template_brief(ingest),
            synthesized_by: "template",
            model: None,
        }
    }
}

#[cfg(feature = "http")]
/// Asks the configured LLM for a brief about this alert. `body` is the raw
/// webhook body: its top-level `tier` is removed, secret-looking values are
/// redacted and it is cut to `max_payload_bytes` before it is sent.
///
/// One request, no retries; the whole call is bounded by `config.timeout`.
pub fn synthesize(
    ingest: &alertgate::Ingest,
    body: &[u8],
    config: &SynthConfig,
) -> Result<Brief, SynthError> {
    let key = config
        .api_key
        .as_deref()
        .filter(|k| !k.trim().is_empty())
        .ok_or(SynthError::NotConfigured)?;
    let content = user_content(ingest, body, config.max_payload_bytes);
    let base = config.base_url.trim_end_matches('/');
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(config.timeout))
        .http_status_as_error(false)
        .user_agent(concat!("alertgate-synth/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();

    let request = match config.provider {
        Provider::Anthropic => agent
            .post(&format!("{base}/v1/messages"))
            .header("x-api-key", key)
            .header("anthropic-version", "2023-06-01"),
        Provider::Openai => agent
            .post(&format!("{base}/v1/chat/completions"))
            .header("authorization", &format!("Bearer {key}")),
    };
    let payload = match config.provider {
        Provider::Anthropic => json!({
            "model": config.model,
            "max_tokens": config.max_tokens,
            "system": config.system_prompt,
            "messages": [{"role": "user", "content": content}],
        }),
        Provider::Openai => json!({
            "model": config.model,
            "max_tokens": config.max_tokens,
            "messages": [
                {"role": "system", "content": config.system_prompt},
                {"role": "user", "content": content},
            ],
        }),
    };
    let mut response = request
        .header("content-type", "application/json")
        .send(payload.to_string())
        .map_err(|e| SynthError::from_ureq(e, config.timeout))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_string()
        .map_err(|e| match SynthError::from_ureq(e, config.timeout) {
            SynthError::Transport { message } if status < 300 => {
                SynthError::BadResponse { message }
            }
            other => other,
        })?;
    if !(200..300).contains(&status) {
        return Err(SynthError::upstream(status, &text));
    }
    let reply = extract(config.provider, &text)?;
    let brief = clean_reply(&reply).ok_or_else(|| SynthError::BadResponse {
        message: String::from("the reply has no text"),
    })?;
    Ok(Brief {
        text: brief,
        synthesized_by: config.provider.as_str(),
        model: Some(config.model.clone()),
    })
}

#[cfg(feature = "http")]
/// The brief text in a provider's response body.
fn extract(provider: Provider, body: &str) -> Result<String, SynthError> {
    let bad = |message: &str| SynthError::BadResponse {
        message: String::from(message),
    };
    let v: Value = serde_json::from_str(body).map_err(|_| bad("the reply is not JSON"))?;
    match provider {
        Provider::Anthropic => {
            let blocks = v["content"]
                .as_array()
                .ok_or_else(|| bad("the reply has no content blocks"))?;
            Ok(blocks
                .iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join(""))
        }
        Provider::Openai => v["choices"][0]["message"]["content"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| bad("the reply has no choices[0].message.content")),
    }
}

#[cfg(feature = "http")]
/// A brief from the LLM when a key is configured, else the template.
/// Errors from a configured LLM are returned, not hidden behind the template.
pub fn brief(
    ingest: &alertgate::Ingest,
    body: &[u8],
    config: &SynthConfig,
) -> Result<Brief, SynthError> {
    match synthesize(ingest, body, config) {
        Err(SynthError::NotConfigured) => Ok(Brief::template(ingest)),
        other => other,
    }
}

/// The Rust examples of docs/briefs.md run as doctests here, where every crate they use is in scope.
#[cfg(doctest)]
#[doc = include_str!("../../docs/briefs.md")]
struct DocsDoctests;

#[cfg(feature = "http")]
/// Default request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
