//! Background work: the session runner (one session at a time) and the
//! outgoing-webhook delivery worker (bounded retries with backoff).

use std::collections::HashSet;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Semaphore, mpsc};

use super::AppState;
use super::db::now_unix;
use super::store::{Attempt, Due, SessionEnd};

/// Longest session output kept, in bytes.
const MAX_OUTPUT: usize = 1 << 20;

/// Runs queued sessions one after another until the channel closes.
pub async fn session_runner(state: Arc<AppState>, mut rx: mpsc::Receiver<i64>) {
    while let Some(id) = rx.recv().await {
        let Ok((prompt, trigger)) = state.store.begin_session(id).await else {
            tracing::error!(session = id, "session vanished before it ran");
            continue;
        };
        // The lease is renewed while the session runs, so other instances see it
        // running; a process that dies stops renewing and the lease runs out.
        let renew_every = state.args.lease / 3;
        let keeper = {
            let state = state.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(renew_every).await;
                    if let Err(e) = state.store.renew_session(id).await {
                        tracing::warn!(session = id, error = %e, "could not renew the session's lease");
                    }
                }
            })
        };
        let started = Instant::now();
        let (status, exit_code, output) = match &state.args.session_command {
            None => ("completed", None, prompt.clone()),
            Some(cmd) => {
                run_command(
                    cmd,
                    &prompt,
                    Duration::from_secs(state.args.session_timeout),
                )
                .await
            }
        };
        let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        metrics::counter!("alertgate_sessions_total", "trigger" => trigger.clone(), "outcome" => status).increment(1);
        keeper.abort();
        let end = SessionEnd {
            id,
            trigger,
            status,
            exit_code,
            output,
            ms,
        };
        let done = state
            .store
            .finish_session(end, state.outgoing.clone())
            .await;
        if let Err(e) = done {
            tracing::error!(session = id, error = %e, "could not record the session's end");
        }
        state.deliveries.notify_one();
        tracing::info!(session = id, status, duration_ms = ms, "session finished");
    }
}

/// Runs `cmd` through the shell with `prompt` on stdin; kills it at `timeout`.
async fn run_command(
    cmd: &str,
    prompt: &str,
    timeout: Duration,
) -> (&'static str, Option<i64>, String) {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return (
                "failed",
                None,
                format!("could not start the session command: {e}"),
            );
        }
    };
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take();
    let prompt = prompt.to_owned();
    let work = async move {
        if let Some(mut s) = stdin.take() {
            // A command that does not read its input is not an error.
            let _ = s.write_all(prompt.as_bytes()).await;
        }
        let mut out = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.take(MAX_OUTPUT as u64).read_to_end(&mut out).await;
        }
        out
    };
    match tokio::time::timeout(timeout, async {
        let out = work.await;
        let status = child.wait().await;
        (out, status)
    })
    .await
    {
        Ok((out, Ok(st))) => {
            let text = String::from_utf8_lossy(&out).into_owned();
            let code = st.code().map(i64::from);
            (
                if st.success() { "completed" } else { "failed" },
                code,
                text,
            )
        }
        Ok((out, Err(e))) => (
            "failed",
            None,
            format!("{e}: {}", String::from_utf8_lossy(&out)),
        ),
        Err(_) => (
            "timed_out",
            None,
            String::from("killed at the session timeout"),
        ),
    }
}

/// The longest one delivery attempt takes.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP agent of outgoing deliveries: every request bounded in time, no
/// status taken as a transport error.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(SEND_TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into()
}

/// Sends due deliveries until shutdown, up to `--delivery-concurrency` at once,
/// so one slow receiver or a burst of thousands of events does not hold the
/// rest back; each attempt is logged.
pub async fn delivery_worker(state: Arc<AppState>) {
    let slots = Arc::new(Semaphore::new(state.args.delivery_concurrency.max(1)));
    let in_flight: Arc<Mutex<HashSet<i64>>> = Arc::default();
    loop {
        let free = slots.available_permits();
        if free > 0 {
            let busy: Vec<i64> = lock(&in_flight).iter().copied().collect();
            // On PostgreSQL a claim with a lease: each delivery goes to one instance.
            let due = state
                .store
                .claim_deliveries(free, busy)
                .await
                .unwrap_or_default();
            for d in due {
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    break;
                };
                lock(&in_flight).insert(d.id);
                let (state, in_flight) = (state.clone(), in_flight.clone());
                tokio::spawn(async move {
                    let id = d.id;
                    attempt(&state, d).await;
                    lock(&in_flight).remove(&id);
                    drop(slot);
                    // A slot is free: look for more.
                    state.deliveries.notify_one();
                });
            }
        }
        // Wake on new work or a free slot, or poll for retries that have come due.
        let _ = tokio::time::timeout(Duration::from_millis(500), state.deliveries.notified()).await;
        if state
            .shutting_down
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            // Attempts under way finish (the caller bounds the wait).
            let all = u32::try_from(state.args.delivery_concurrency.max(1)).unwrap_or(u32::MAX);
            let _ = slots.acquire_many(all).await;
            return;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One attempt at a delivery, and its record.
async fn attempt(state: &Arc<AppState>, d: Due) {
    let Due {
        id,
        url,
        event,
        body,
        headers,
        attempts,
    } = d;
    let agent = state.agent.clone();
    let result = tokio::task::spawn_blocking(move || send(&agent, &url, &body, &headers)).await;
    let (http_status, error) = match result {
        Ok(Ok(code)) => (Some(i64::from(code)), None),
        Ok(Err(e)) => (None, Some(e)),
        Err(e) => (None, Some(e.to_string())),
    };
    let ok = http_status.is_some_and(|s| (200..300).contains(&s));
    let attempt = attempts + 1;
    let max = i64::from(state.args.delivery_attempts);
    let status = if ok {
        "delivered"
    } else if attempt >= max {
        "failed"
    } else {
        "pending"
    };
    let backoff_ms = state
        .args
        .delivery_backoff_ms
        .saturating_mul(1 << attempts.clamp(0, 16));
    let next = now_unix() + i64::try_from(backoff_ms.div_ceil(1000)).unwrap_or(i64::MAX / 2);
    metrics::counter!("alertgate_deliveries_total", "event" => event.clone(), "outcome" => status)
        .increment(1);
    let recorded = state
        .store
        .record_attempt(Attempt {
            id,
            status,
            attempt,
            http_status,
            error,
            next_unix: next,
        })
        .await;
    if let Err(e) = recorded {
        tracing::error!(delivery = id, error = %e, "could not record a delivery attempt");
    }
    tracing::info!(
        delivery = id,
        event,
        attempt,
        status,
        "outgoing webhook attempt"
    );
}

/// One POST; the HTTP status, or why there is none.
fn send(agent: &ureq::Agent, url: &str, body: &str, headers_json: &str) -> Result<u16, String> {
    let headers: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(headers_json).unwrap_or_default();
    let mut req = agent.post(url);
    for (k, v) in &headers {
        if let Some(v) = v.as_str() {
            req = req.header(k.as_str(), v);
        }
    }
    req.send(body)
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}
