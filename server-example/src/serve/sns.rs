//! AWS SNS for the integrations with `auth = "sns"`: signing certificates
//! fetched from the URL the core has validated (and cached by it), and
//! subscriptions confirmed by fetching their validated `SubscribeURL`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::AppState;

/// Certificates kept; SNS signs with a handful per region.
const CACHE_MAX: usize = 64;
/// Largest certificate read.
const CERT_MAX: u64 = 64 * 1024;

/// Signing certificates by URL.
#[derive(Default)]
pub struct Certificates(Mutex<HashMap<String, Arc<[u8]>>>);

impl Certificates {
    fn get(&self, url: &str) -> Option<Arc<[u8]>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(url)
            .cloned()
    }

    fn keep(&self, url: String, cert: Arc<[u8]>) {
        let mut m = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if m.len() >= CACHE_MAX {
            m.clear();
        }
        m.insert(url, cert);
    }
}

fn failed(why: String) -> alertgate::Error {
    tracing::warn!(reason = %why, "SNS signing certificate unavailable");
    alertgate::Error::MalformedSignature {
        message: String::from("the SNS signing certificate could not be fetched"),
    }
}

/// Where a validated SNS URL is fetched from. Only a test build may send it
/// elsewhere (to a local stand-in for SNS); no configuration can.
fn fetch_url(url: &str) -> String {
    #[cfg(feature = "test-hooks")]
    if let Ok(origin) = std::env::var("ALERTGATE_TEST_SNS_ORIGIN")
        && let Some(rest) = url.strip_prefix("https://")
    {
        let path = rest.find('/').map_or("/", |i| &rest[i..]);
        return format!("{origin}{path}");
    }
    url.to_owned()
}

/// GET `url` (validated by the core) with the deliveries' bounded agent: the
/// body of a 200, at most `max` bytes.
async fn get(state: &Arc<AppState>, url: &str, max: u64) -> Result<Vec<u8>, String> {
    let agent = state.agent.clone();
    let url = fetch_url(url);
    tokio::task::spawn_blocking(move || {
        let mut r = agent.get(&url).call().map_err(|e| e.to_string())?;
        if r.status() != 200 {
            return Err(format!("HTTP {}", r.status()));
        }
        r.body_mut()
            .with_config()
            .limit(max)
            .read_to_vec()
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// The signing certificate of an SNS message: its URL validated by the core,
/// then fetched once and kept.
pub async fn certificate(
    state: &Arc<AppState>,
    body: &[u8],
) -> Result<Arc<[u8]>, alertgate::Error> {
    let url = alertgate::sns_certificate_url(body)?;
    if let Some(cert) = state.certificates.get(&url) {
        return Ok(cert);
    }
    let cert: Arc<[u8]> = get(state, &url, CERT_MAX)
        .await
        .map_err(|e| failed(format!("{url}: {e}")))?
        .into();
    state.certificates.keep(url, cert.clone());
    Ok(cert)
}

/// Confirms a verified `SubscriptionConfirmation`: fetches its validated
/// `SubscribeURL`. What happened, for the notice.
pub async fn confirm(state: &Arc<AppState>, body: &[u8]) -> Result<(), String> {
    let url = alertgate::sns_subscribe_url(body).map_err(|e| e.to_string())?;
    get(state, &url, 64 * 1024).await.map(|_| ())
}

/// The message's `TopicArn`, for notices.
pub fn topic(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["TopicArn"].as_str().map(String::from))
        .unwrap_or_default()
}
