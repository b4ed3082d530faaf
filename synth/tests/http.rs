//! `synthesize` against a real HTTP server on 127.0.0.1, started per test:
//! the exact request for both providers, and every error mapping.
#![cfg(feature = "http")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use alertgate::{Ingest, Options, Request, ingest};
use alertgate_synth::{Provider, SynthConfig, SynthError, brief, synthesize};
use serde_json::Value;

/// What the server received.
#[derive(Debug)]
struct Received {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Serves one canned response after `delay`; returns the base URL and the recorded request.
fn serve(status: u16, body: &str, delay: Duration) -> (String, JoinHandle<Option<Received>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let body = body.to_owned();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().ok()?;
        let mut reader = BufReader::new(stream.try_clone().ok()?);
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).ok()?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (n, v) = h.split_once(':')?;
            headers.push((n.trim().to_owned(), v.trim().to_owned()));
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut raw = vec![0; len];
        reader.read_exact(&mut raw).ok()?;
        thread::sleep(delay);
        let mut stream = stream;
        // The client may have given up (timeout test): ignore write errors.
        let _ = write!(
            stream,
            "HTTP/1.1 {status} Canned\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        Some(Received {
            method,
            path,
            headers,
            body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
        })
    });
    (base, handle)
}

fn config(provider: Provider, base: &str) -> SynthConfig {
    let mut c = SynthConfig::new(provider);
    c.base_url = base.to_owned();
    c.api_key = Some("test-key-123".into());
    c.timeout = Duration::from_secs(5);
    c
}

const BODY: &str = r#"{"tier": 3, "summary": "Checkout latency p99 2.4s", "service": "checkout", "severity": "critical",
  "auth": {"api_key": "sk-live-SHOULD-NOT-LEAK", "user": "ops"}, "details": "pool exhausted"}"#;

fn alert() -> Ingest<'static> {
    ingest(&Request::new(BODY.as_bytes()), &Options::default()).unwrap()
}

fn anthropic_reply(text: &str) -> String {
    serde_json::json!({"id": "msg_1", "type": "message", "role": "assistant",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn"})
    .to_string()
}

fn openai_reply(text: &str) -> String {
    serde_json::json!({"id": "c1", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})
    .to_string()
}

#[test]
fn anthropic_request_is_exact() {
    let (base, server) = serve(
        200,
        &anthropic_reply("Checkout is slow. Check the DB pool."),
        Duration::ZERO,
    );
    let mut c = config(Provider::Anthropic, &base);
    c.system_prompt = "CUSTOM PROMPT".into();
    c.model = "claude-test".into();
    let brief = synthesize(&alert(), BODY.as_bytes(), &c).unwrap();
    assert_eq!(brief.text, "Checkout is slow. Check the DB pool.");
    assert_eq!(
        (brief.synthesized_by, brief.model.as_deref()),
        ("anthropic", Some("claude-test"))
    );

    let r = server.join().unwrap().unwrap();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/messages")
    );
    assert_eq!(r.header("x-api-key"), Some("test-key-123"));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.body["model"], "claude-test");
    assert_eq!(r.body["max_tokens"], 300);
    assert_eq!(r.body["system"], "CUSTOM PROMPT");
    let content = r.body["messages"][0]["content"].as_str().unwrap();
    assert_eq!(r.body["messages"][0]["role"], "user");
    assert!(content.starts_with("alertgate summary: source=generic alerts=1 firing=1 highest_severity=critical titles=Checkout latency p99 2.4s\n"), "{content}");
    assert!(
        !content.contains("\"tier\""),
        "tier must be stripped: {content}"
    );
    assert!(
        !content.contains("SHOULD-NOT-LEAK"),
        "secrets must be redacted: {content}"
    );
    assert!(content.contains(r#""api_key":"[redacted]""#), "{content}");
    assert!(content.contains("pool exhausted"));
}

#[test]
fn openai_request_is_exact() {
    let (base, server) = serve(
        200,
        &openai_reply("Brief: Checkout is slow."),
        Duration::ZERO,
    );
    let c = config(Provider::Openai, &base);
    let brief = synthesize(&alert(), BODY.as_bytes(), &c).unwrap();
    assert_eq!(brief.text, "Checkout is slow.");
    assert_eq!(brief.synthesized_by, "openai");

    let r = server.join().unwrap().unwrap();
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.header("authorization"), Some("Bearer test-key-123"));
    assert_eq!(r.header("x-api-key"), None);
    assert_eq!(r.body["model"], "gpt-4o-mini");
    assert_eq!(r.body["messages"][0]["role"], "system");
    assert_eq!(
        r.body["messages"][0]["content"],
        alertgate_synth::DEFAULT_SYSTEM_PROMPT
    );
    assert_eq!(r.body["messages"][1]["role"], "user");
}

#[test]
fn long_payloads_are_cut_with_a_marker() {
    let (base, server) = serve(200, &anthropic_reply("ok."), Duration::ZERO);
    let mut c = config(Provider::Anthropic, &base);
    c.max_payload_bytes = 40;
    let body = format!("ERROR: {} héllo", "é".repeat(100));
    let alert = ingest(&Request::new(body.as_bytes()), &Options::default()).unwrap();
    synthesize(&alert, body.as_bytes(), &c).unwrap();
    let r = server.join().unwrap().unwrap();
    let content = r.body["messages"][0]["content"].as_str().unwrap();
    assert!(content.contains("[… payload truncated: 39 of"), "{content}");
}

#[test]
fn plain_text_bodies_are_redacted_by_key() {
    let (base, server) = serve(200, &anthropic_reply("ok."), Duration::ZERO);
    let body = "DB down\ntoken=abc123&host=db1\nAuthorization: Bearer zzz";
    let alert = ingest(&Request::new(body.as_bytes()), &Options::default()).unwrap();
    synthesize(&alert, body.as_bytes(), &config(Provider::Anthropic, &base)).unwrap();
    let content = server.join().unwrap().unwrap().body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(content.contains("token=[redacted]&host=db1"), "{content}");
    assert!(content.contains("Authorization: [redacted]"), "{content}");
    assert!(!content.contains("abc123") && !content.contains("zzz"));
}

#[test]
fn preambles_and_fences_are_removed() {
    let (base, _server) = serve(
        200,
        &anthropic_reply(
            "Here is the investigation brief:\n```\nCheckout p99 is 2.4s. Check the pool.\n```",
        ),
        Duration::ZERO,
    );
    let brief = synthesize(
        &alert(),
        BODY.as_bytes(),
        &config(Provider::Anthropic, &base),
    )
    .unwrap();
    assert_eq!(brief.text, "Checkout p99 is 2.4s. Check the pool.");
}

fn expect_err(status: u16, body: &str, provider: Provider) -> SynthError {
    let (base, _server) = serve(status, body, Duration::ZERO);
    synthesize(&alert(), BODY.as_bytes(), &config(provider, &base)).unwrap_err()
}

#[test]
fn upstream_statuses_carry_status_and_body() {
    for status in [401, 429, 500] {
        let e = expect_err(
            status,
            r#"{"error": {"message": "nope"}}"#,
            Provider::Anthropic,
        );
        assert_eq!((e.code(), e.http_status()), ("upstream_status", 502));
        match e {
            SynthError::UpstreamStatus { status: s, body } => {
                assert_eq!(s, status);
                assert!(body.contains("nope"));
            }
            other => panic!("{other:?}"),
        }
    }
    let long = "x".repeat(1000);
    match expect_err(500, &long, Provider::Openai) {
        SynthError::UpstreamStatus { body, .. } => assert_eq!(body.len(), 300),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_responses() {
    for (body, provider) in [
        ("<html>gateway</html>", Provider::Anthropic),
        (r#"{"content": []}"#, Provider::Anthropic),
        (&anthropic_reply("   ") as &str, Provider::Anthropic),
        (r#"{"choices": []}"#, Provider::Openai),
        (&openai_reply("```\n```") as &str, Provider::Openai),
    ] {
        let e = expect_err(200, body, provider);
        assert_eq!((e.code(), e.http_status()), ("bad_response", 502), "{body}");
    }
}

#[test]
fn a_slow_server_times_out() {
    let (base, _server) = serve(200, &anthropic_reply("late"), Duration::from_secs(3));
    let mut c = config(Provider::Anthropic, &base);
    c.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let e = synthesize(&alert(), BODY.as_bytes(), &c).unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("timeout", 502));
    // Bounded by the timeout, not by the server (generous margin: shared CI machines).
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_refused_connection_is_transport() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = config(Provider::Anthropic, &format!("http://127.0.0.1:{port}"));
    let e = synthesize(&alert(), BODY.as_bytes(), &c).unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("transport", 502));
}

#[test]
fn without_a_key_it_is_not_configured_and_brief_falls_back() {
    let mut c = SynthConfig::new(Provider::Anthropic);
    c.base_url = "http://127.0.0.1:9".into();
    let e = synthesize(&alert(), BODY.as_bytes(), &c).unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("not_configured", 503));
    let b = brief(&alert(), BODY.as_bytes(), &c).unwrap();
    assert_eq!(b.synthesized_by, "template");
    assert!(b.text.contains("checkout"), "{}", b.text);
}

#[test]
fn config_from_vars() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let c = SynthConfig::from_vars(vars(&[]));
    assert_eq!(
        (c.provider, c.model.as_str(), c.api_key.clone()),
        (Provider::Anthropic, "claude-haiku-4-5-20251001", None)
    );
    assert_eq!(c.timeout, Duration::from_secs(20));

    let c = SynthConfig::from_vars(vars(&[
        ("ALERTGATE_LLM_PROVIDER", "OpenAI"),
        ("OPENAI_API_KEY", "sk-1"),
        ("ANTHROPIC_API_KEY", "wrong-provider"),
        ("ALERTGATE_LLM_BASE_URL", "http://127.0.0.1:11434"),
        ("ALERTGATE_WEBHOOK_MODEL", "llama3.1"),
        ("ALERTGATE_WEBHOOK_SYSTEM_PROMPT", "Be brief."),
        ("ALERTGATE_LLM_TIMEOUT_S", "2.5"),
    ]));
    assert_eq!(c.provider, Provider::Openai);
    assert_eq!(c.api_key.as_deref(), Some("sk-1"));
    assert_eq!(c.base_url, "http://127.0.0.1:11434");
    assert_eq!(c.model, "llama3.1");
    assert_eq!(c.system_prompt, "Be brief.");
    assert_eq!(c.timeout, Duration::from_millis(2500));
    assert!(!format!("{c:?}").contains("sk-1"));

    let c = SynthConfig::from_vars(vars(&[
        ("ALERTGATE_LLM_API_KEY", "k"),
        ("ANTHROPIC_API_KEY", "other"),
        ("ALERTGATE_LLM_TIMEOUT_S", "soon"),
    ]));
    assert_eq!(c.api_key.as_deref(), Some("k"));
    assert_eq!(c.timeout, Duration::from_secs(20));
}
