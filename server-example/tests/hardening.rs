//! `alertgate serve` tried as an attacker and as a large outage would try it:
//! credentials on every route, limits judged from the headers, slow and stalled
//! clients, replays, floods, fan-out and retention, over real HTTP.

mod support;
use support::*;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use alertgate::{Scheme, Verifier, VerifyOptions};
use serde_json::{Value, json};

const READ_KEY: &str = "dashboard-read-key";

fn file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("integrations.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

fn host(s: &Server) -> String {
    s.base.trim_start_matches("http://").to_owned()
}

fn metric(s: &Server, name: &str) -> f64 {
    get(s, "/metrics")
        .text
        .lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[test]
fn every_read_needs_a_credential_and_read_keys_only_read() {
    let dir = temp_dir("access");
    let s = Server::start(
        &dir,
        &[],
        &[
            ("ALERTGATE_READ_KEYS", &format!("old-key, {READ_KEY}")),
            ("ALERTGATE_METRICS_KEY", "metrics-key"),
        ],
    );
    let reads = [
        "/api/v1/incidents",
        "/api/v1/incidents/1",
        "/api/v1/sessions",
        "/api/v1/sessions/1",
        "/api/v1/deliveries",
    ];
    for path in reads {
        for key in [None, Some("wrong")] {
            let r = get_as(&s, path, key);
            assert_eq!(
                (r.status, r.json["code"].as_str()),
                (401, Some("unauthorized")),
                "{path} with {key:?}"
            );
            assert!(!r.text.contains("prompt_text"), "{path}");
        }
        // The API key and either read key (rotation) read; an id that does not exist is 404.
        for key in [KEY, READ_KEY, "old-key"] {
            let r = get_as(&s, path, Some(key));
            assert!(matches!(r.status, 200 | 404), "{path} {key}: {}", r.text);
        }
    }
    // A read key cannot write.
    let r = post(
        &s,
        "/api/v1/sessions",
        &[("Authorization", &bearer(READ_KEY))],
        br#"{"prompt": "x"}"#,
    );
    assert_eq!(r.status, 401);
    let r = post(
        &s,
        "/api/v1/webhook",
        &[("Authorization", &bearer(READ_KEY))],
        b"disk full",
    );
    assert_eq!(r.status, 401);
    // /health is open and tells nothing stored.
    let h = get_as(&s, "/health", None);
    assert_eq!(h.status, 200);
    let keys: Vec<&String> = h.json.as_object().unwrap().keys().collect();
    // PostgreSQL's adds its pool's counts.
    if on_postgres() {
        assert_eq!(keys, ["backend", "db", "pool", "status", "version"]);
    } else {
        assert_eq!(keys, ["backend", "db", "status", "version"]);
    }
    // /metrics takes its own key.
    assert_eq!(get_as(&s, "/metrics", None).status, 401);
    assert_eq!(get_as(&s, "/metrics", Some(KEY)).status, 401);
    let m = get_as(&s, "/metrics", Some("metrics-key"));
    assert_eq!(m.status, 200);
    assert!(m.text.contains("alertgate_database_bytes"), "{}", m.text);
    drop(s);

    // Without an API key every /api/v1 route fails closed, read keys or not.
    let dir = temp_dir("closed");
    let s = Server::start(
        &dir,
        &[],
        &[("ALERTGATE_API_KEY", ""), ("ALERTGATE_READ_KEYS", READ_KEY)],
    );
    for path in reads {
        for key in [None, Some(READ_KEY)] {
            let r = get_as(&s, path, key);
            assert_eq!(
                (r.status, r.json["code"].as_str()),
                (503, Some("not_configured")),
                "{path}"
            );
        }
    }
    let r = post(&s, "/api/v1/sessions", &[], br#"{"prompt": "x"}"#);
    assert_eq!(r.status, 503);
    assert_eq!(get_as(&s, "/health", None).status, 200);
    assert_eq!(get_as(&s, "/metrics", None).status, 200);
}

#[test]
fn every_error_is_json() {
    let dir = temp_dir("errors");
    let s = Server::start(&dir, &[], &[]);
    let cases = [
        ("/api/v1/incidents?limit=abc", 400, "invalid_query"),
        ("/api/v1/incidents/abc", 400, "invalid_path"),
        ("/nowhere", 404, "not_found"),
    ];
    for (path, status, code) in cases {
        let r = get(&s, path);
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (status, Some(code)),
            "{path}: {}",
            r.text
        );
        assert!(
            r.json["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{path}"
        );
        assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
    }
    // A wrong method keeps its Allow header.
    let r = raw(
        &s,
        &format!(
            "DELETE /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nConnection: close"
        ),
        b"",
    );
    assert_eq!(r.status, 405);
    assert!(
        r.head.to_ascii_lowercase().contains("allow: get"),
        "{}",
        r.head
    );
    let json: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(json["code"], "method_not_allowed");
}

const BEARER_FILE: &str = r#"
[integrations.am]
source = "alertmanager"
auth = "bearer"
secrets = ["am-token"]

[integrations.gh]
auth = "github"
secrets = ["gh-secret"]

[integrations.limited]
auth = "bearer"
secrets = ["lim-token"]
rate_limit = "2/1m"

[integrations.small]
auth = "bearer"
secrets = ["small-token"]
max_body = "1KiB"
"#;

#[test]
fn credentials_and_sizes_are_judged_before_the_body() {
    let dir = temp_dir("before-body");
    let f = file(&dir, BEARER_FILE);
    let s = Server::start(&dir, &["--integrations", f.to_str().unwrap()], &[]);
    // Each refused with no body byte sent: the answer cannot have waited for it.
    let cases = [
        (
            "am",
            "Authorization: Bearer wrong\r\nContent-Length: 5000000",
            401,
        ),
        ("am", "Content-Length: 5000000", 401),
        ("gh", "Content-Length: 5000000", 401),
        (
            "gh",
            "X-Hub-Signature-256: sha256=nothex\r\nContent-Length: 5000000",
            401,
        ),
        (
            "am",
            "Authorization: Bearer am-token\r\nContent-Length: 104857600",
            413,
        ),
        (
            "small",
            "Authorization: Bearer small-token\r\nContent-Length: 2048",
            413,
        ),
    ];
    for (name, headers, status) in cases {
        let started = Instant::now();
        let r = raw(
            &s,
            &format!("POST /api/v1/integrations/{name} HTTP/1.1\r\nHost: x\r\n{headers}"),
            b"",
        );
        assert_eq!(r.status, status, "{name} {headers}: {}", r.head);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            r.head.to_ascii_lowercase().contains("connection: close"),
            "{}",
            r.head
        );
        let json: Value = serde_json::from_str(&r.body).unwrap();
        assert!(
            json["code"].is_string() && json["detail"].is_string(),
            "{}",
            r.body
        );
    }
    // The same on the session webhook.
    let r = raw(
        &s,
        "POST /api/v1/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000",
        b"",
    );
    assert_eq!(r.status, 401);
}

/// An Alertmanager group of `n` firing alerts, as a large outage sends it.
fn outage(n: usize) -> Vec<u8> {
    let alerts: Vec<Value> = (0..n)
        .map(|i| {
            json!({"status": "firing",
                "labels": {"alertname": "NodeDown", "instance": format!("node-{i:05}.example.internal:9100"), "job": "node", "severity": "critical", "zone": "zone-b"},
                "annotations": {"summary": format!("node-{i:05} is unreachable"), "description": "The node exporter has not answered for five minutes; check the host and its network path."},
                "startsAt": "2026-12-07T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example.internal/graph?g0.expr=up%3D%3D0",
                "fingerprint": format!("{i:016x}")})
        })
        .collect();
    json!({"version": "4", "groupKey": "{}:{alertname=\"NodeDown\"}", "status": "firing", "receiver": "alertgate",
        "groupLabels": {"alertname": "NodeDown"}, "commonLabels": {"alertname": "NodeDown"}, "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.internal", "truncatedAlerts": 0, "alerts": alerts})
    .to_string()
    .into_bytes()
}

#[test]
fn a_large_outage_is_accepted_whole_and_too_many_alerts_is_clear() {
    let dir = temp_dir("outage");
    let f = file(&dir, BEARER_FILE);
    let s = Server::start(&dir, &["--integrations", f.to_str().unwrap()], &[]);
    let body = outage(10_000);
    assert!(body.len() > 4_000_000, "{}", body.len());
    let r = post(
        &s,
        "/api/v1/integrations/am",
        &[("Authorization", "Bearer am-token")],
        &body,
    );
    assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(300)]);
    let results = r.json["results"].as_array().unwrap();
    assert_eq!(results.len(), 10_000);
    let mut ids: Vec<i64> = results
        .iter()
        .map(|x| {
            assert_eq!(x["outcome"], "created");
            x["incident_id"].as_i64().unwrap()
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 10_000, "one incident per alert");
    // Every one is stored.
    for id in [ids[0], ids[4_999], ids[9_999]] {
        assert_eq!(get(&s, &format!("/api/v1/incidents/{id}")).status, 200);
    }
    drop(s);

    let dir = temp_dir("too-many");
    let f = file(&dir, BEARER_FILE);
    let s = Server::start(
        &dir,
        &["--integrations", f.to_str().unwrap(), "--max-alerts", "100"],
        &[],
    );
    let r = post(
        &s,
        "/api/v1/integrations/am",
        &[("Authorization", "Bearer am-token")],
        &outage(101),
    );
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (413, Some("too_many_alerts"))
    );
    assert!(r.json["detail"].as_str().unwrap().contains("101"));
    assert!(
        get(&s, "/api/v1/incidents").json["incidents"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// Opens `n` connections that send part of a request's headers and then nothing.
fn stalled(s: &Server, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut c = TcpStream::connect(host(s)).unwrap();
            c.write_all(b"POST /api/v1/webhook HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            c
        })
        .collect()
}

/// Whether the server closed `c` within `within` (a read sees the end).
fn closed_within(c: &mut TcpStream, within: Duration) -> bool {
    c.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match c.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn stalled_clients_are_cut_off_and_health_still_answers() {
    let dir = temp_dir("slow");
    let s = Server::start(
        &dir,
        &[
            "--header-timeout",
            "2s",
            "--body-timeout",
            "2s",
            "--max-connections-per-ip",
            "1000",
        ],
        &[],
    );
    // Hundreds of stalled connections: /health still answers at once.
    let mut held = stalled(&s, 400);
    let started = Instant::now();
    assert_eq!(get_as(&s, "/health", None).status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // The header timer cuts them off.
    assert!(closed_within(&mut held[0], Duration::from_secs(8)));
    assert!(closed_within(&mut held[399], Duration::from_secs(2)));
    // A body that stalls gets its 408 at the body deadline.
    let mut c = TcpStream::connect(host(&s)).unwrap();
    c.write_all(
        format!("POST /api/v1/webhook HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Length: 100\r\n\r\npartial")
            .as_bytes(),
    )
    .unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 408"), "{out}");
    assert!(out.contains("request_timeout"), "{out}");
    // An idle keep-alive connection is closed too.
    let mut c = TcpStream::connect(host(&s)).unwrap();
    c.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(closed_within(&mut c, Duration::from_secs(8)));
}

#[test]
fn one_peer_cannot_take_every_connection() {
    let dir = temp_dir("per-ip");
    let s = Server::start(&dir, &["--max-connections-per-ip", "5"], &[]);
    let held = stalled(&s, 5);
    // A sixth connection from the same address is closed as it arrives, long
    // before the header timeout (10 s) would end it.
    let mut sixth = TcpStream::connect(host(&s)).unwrap();
    let _ = sixth.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(closed_within(&mut sixth, Duration::from_secs(3)));
    // Its slots come back as its connections end.
    drop(held);
    wait_for(|| {
        agent()
            .get(&format!("{}/health", s.base))
            .call()
            .is_ok_and(|r| r.status() == 200)
    });
}

#[test]
fn sigterm_finishes_despite_a_stalled_client() {
    let dir = temp_dir("sigterm");
    let s = Server::start(&dir, &["--shutdown-timeout", "2s"], &[]);
    // One request stalled inside its body (the handler waits on it), one in its headers.
    let mut body = TcpStream::connect(host(&s)).unwrap();
    body.write_all(
        format!("POST /api/v1/webhook HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Length: 100\r\n\r\nx")
            .as_bytes(),
    )
    .unwrap();
    let _held = stalled(&s, 1);
    thread::sleep(Duration::from_millis(300));
    let pid = s.child.id();
    let started = Instant::now();
    Command::new("kill").arg(pid.to_string()).status().unwrap();
    let mut s = s;
    loop {
        if s.child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running after SIGTERM"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

fn gh(s: &Server, body: &[u8], delivery: &str) -> Reply {
    let sig = alertgate::sign(Scheme::Github, "gh-secret", body, None, None).unwrap();
    post(
        s,
        "/api/v1/integrations/gh",
        &[
            ("X-Hub-Signature-256", &sig[0].1),
            ("X-GitHub-Delivery", delivery),
            ("Content-Type", "application/json"),
        ],
        body,
    )
}

#[test]
fn a_replayed_github_delivery_changes_nothing() {
    let dir = temp_dir("replay-gh");
    let f = file(&dir, BEARER_FILE);
    let s = Server::start(&dir, &["--integrations", f.to_str().unwrap()], &[]);
    let body = json!({"action": "completed", "workflow_run": {"id": 7, "name": "CI", "conclusion": "failure", "head_branch": "main",
        "html_url": "https://github.example/acme/shop/actions/runs/7"}, "repository": {"full_name": "acme/shop"}})
    .to_string()
    .into_bytes();
    let first = gh(&s, &body, "delivery-1");
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json["replayed"], false);
    let id = first.json["results"][0]["incident_id"].as_i64().unwrap();
    let replay = gh(&s, &body, "delivery-1");
    assert_eq!(replay.status, 200);
    assert_eq!(replay.json["replayed"], true);
    assert_eq!(replay.json["results"], first.json["results"]);
    let incident = get(&s, &format!("/api/v1/incidents/{id}")).json;
    assert_eq!(incident["occurrence_count"], 1);
    assert_eq!(incident["occurrences"].as_array().unwrap().len(), 1);
    // Another delivery of the same event is not a replay.
    let again = gh(&s, &body, "delivery-2");
    assert_eq!(again.json["replayed"], false);
    assert_eq!(
        get(&s, &format!("/api/v1/incidents/{id}")).json["occurrences"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The replay is remembered across a restart.
    s.stop();
    let s = Server::start(&dir, &["--integrations", f.to_str().unwrap()], &[]);
    assert_eq!(gh(&s, &body, "delivery-1").json["replayed"], true);
}

fn grafana_file(dir: &Path, receiver: &str) -> PathBuf {
    file(
        dir,
        &format!(
            r#"
[integrations.grafana]
source = "grafana"
auth = "grafana"
secrets = ["graf-secret"]
timestamp_header = "X-Grafana-Alerting-Signature-Timestamp"

[[outgoing]]
url = "{receiver}/hook"
secret = "out-secret"
events = ["incident.created", "incident.resolved"]
"#
        ),
    )
}

fn grafana_body(status: &str) -> Vec<u8> {
    json!({"receiver": "alertgate", "status": status, "orgId": 1, "version": "1",
        "alerts": [{"status": status, "labels": {"alertname": "HighLatency", "service": "checkout"},
            "annotations": {"summary": "p99 over 2 s"}, "startsAt": "2026-12-07T10:00:00Z",
            "fingerprint": "ab12cd34ef56ab78"}]})
    .to_string()
    .into_bytes()
}

fn grafana_headers(body: &[u8], ts: i64) -> Vec<(String, String)> {
    let mut o = VerifyOptions::default();
    o.timestamp_header = Some("X-Grafana-Alerting-Signature-Timestamp".into());
    Verifier::new(Scheme::Grafana, &["graf-secret"], &o)
        .unwrap()
        .sign(body, Some(ts), None)
        .unwrap()
}

fn send_grafana(s: &Server, body: &[u8], headers: &[(String, String)]) -> Reply {
    let h: Vec<(&str, &str)> = headers
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    post(s, "/api/v1/integrations/grafana", &h, body)
}

#[test]
fn a_grafana_firing_replayed_after_its_resolve_does_not_reopen() {
    let receiver = fake(vec![]);
    let dir = temp_dir("replay-grafana");
    let f = grafana_file(&dir, &receiver.base);
    let s = Server::start(
        &dir,
        &[
            "--integrations",
            f.to_str().unwrap(),
            "--delivery-backoff-ms",
            "100",
        ],
        &[],
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let firing = grafana_body("firing");
    let firing_headers = grafana_headers(&firing, now - 5);
    let r = send_grafana(&s, &firing, &firing_headers);
    assert_eq!(r.json["results"][0]["outcome"], "created", "{}", r.text);
    let id = r.json["results"][0]["incident_id"].as_i64().unwrap();
    let resolved = grafana_body("resolved");
    let r = send_grafana(&s, &resolved, &grafana_headers(&resolved, now - 2));
    assert_eq!(r.json["results"][0]["outcome"], "resolved");
    // The captured firing request, sent again.
    let r = send_grafana(&s, &firing, &firing_headers);
    assert_eq!(r.status, 200);
    assert_eq!(r.json["replayed"], true);
    assert_eq!(r.json["results"][0]["outcome"], "created");
    assert_eq!(
        get(&s, &format!("/api/v1/incidents/{id}")).json["status"],
        "resolved"
    );
    // Exactly one created and one resolved left the server.
    wait_for(|| receiver.seen.lock().unwrap().len() >= 2);
    thread::sleep(Duration::from_millis(1500));
    let mut events: Vec<String> = receiver
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, h, _)| {
            h.iter()
                .find(|(n, _)| n == "x-webhook-event")
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
        .collect();
    // Deliveries are sent concurrently: which arrives first is not promised.
    events.sort();
    assert_eq!(events, ["incident.created", "incident.resolved"]);
}

#[test]
fn floods_never_spend_an_authenticated_senders_quota() {
    let dir = temp_dir("flood");
    let f = file(&dir, BEARER_FILE);
    let s = Server::start(
        &dir,
        &[
            "--integrations",
            f.to_str().unwrap(),
            "--rate-limit-ip",
            "5",
            "--rate-limit-global",
            "5",
            "--rate-limit-unauthenticated",
            "3",
        ],
        &[],
    );
    let am = br#"{"alerts": [{"status": "firing", "labels": {"alertname": "X"}}]}"#;
    // Bad tokens and forged signatures from this IP: 401 while their bucket lasts, then 429.
    let mut statuses = Vec::new();
    for i in 0..20 {
        let r = if i % 2 == 0 {
            post(
                &s,
                "/api/v1/integrations/am",
                &[("Authorization", "Bearer nope")],
                am,
            )
        } else {
            post(
                &s,
                "/api/v1/integrations/gh",
                &[("X-Hub-Signature-256", &format!("sha256={}", "0".repeat(64)))],
                am,
            )
        };
        statuses.push(r.status);
    }
    assert_eq!(&statuses[..3], [401, 401, 401]);
    assert!(statuses[3..].iter().all(|&s| s == 429), "{statuses:?}");
    // The real sender, from the same IP, still has its whole quota.
    for expected in ["4", "3", "2", "1", "0"] {
        let r = post(
            &s,
            "/api/v1/integrations/am",
            &[("Authorization", "Bearer am-token")],
            am,
        );
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("x-ratelimit-remaining"), Some(expected));
    }
    // A per-integration limit holds on its own.
    let lim = |s: &Server| {
        post(
            s,
            "/api/v1/integrations/limited",
            &[("Authorization", "Bearer lim-token")],
            am,
        )
        .status
    };
    drop(s);
    let dir = temp_dir("flood-integration");
    let f = file(&dir, BEARER_FILE);
    let s = Server::start(&dir, &["--integrations", f.to_str().unwrap()], &[]);
    assert_eq!([lim(&s), lim(&s), lim(&s)], [200, 200, 429]);
}

#[test]
fn forwarded_for_counts_only_behind_a_trusted_proxy() {
    let dir = temp_dir("xff");
    let s = Server::start(
        &dir,
        &[
            "--rate-limit-unauthenticated",
            "1",
            "--trusted-proxies",
            "127.0.0.0/8",
        ],
        &[],
    );
    let bad = |ip: &str| {
        post(
            &s,
            "/api/v1/webhook",
            &[("Authorization", "Bearer nope"), ("X-Forwarded-For", ip)],
            b"x",
        )
        .status
    };
    // Each client behind the proxy has its own bucket.
    assert_eq!(
        [
            bad("198.51.100.1"),
            bad("198.51.100.1"),
            bad("198.51.100.2")
        ],
        [401, 429, 401]
    );
    drop(s);
    let dir = temp_dir("xff-untrusted");
    let s = Server::start(&dir, &["--rate-limit-unauthenticated", "1"], &[]);
    let bad = |ip: &str| {
        post(
            &s,
            "/api/v1/webhook",
            &[("Authorization", "Bearer nope"), ("X-Forwarded-For", ip)],
            b"x",
        )
        .status
    };
    // Without a trusted proxy the header is ignored: both are this peer.
    assert_eq!([bad("198.51.100.1"), bad("198.51.100.2")], [401, 429]);
}

/// A receiver that holds each request `hold` and counts how many it held at once.
fn slow_receiver(hold: Duration) -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (now, most, total) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let (m, t) = (most.clone(), total.clone());
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (now, most, total) = (now.clone(), m.clone(), t.clone());
            thread::spawn(move || {
                let mut stream = stream;
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                // Read the head and the body its Content-Length announces.
                loop {
                    let Ok(n) = stream.read(&mut chunk) else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len: usize = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                let at_once = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(at_once, Ordering::SeqCst);
                thread::sleep(hold);
                now.fetch_sub(1, Ordering::SeqCst);
                total.fetch_add(1, Ordering::SeqCst);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                );
            });
        }
    });
    (base, most, total)
}

#[test]
fn a_burst_of_incidents_is_delivered_with_bounded_concurrency() {
    let (receiver, most, total) = slow_receiver(Duration::from_millis(300));
    let dir = temp_dir("fanout");
    let f = file(
        &dir,
        &format!(
            "{BEARER_FILE}\n[[outgoing]]\nurl = \"{receiver}/hook\"\nsecret = \"s\"\nevents = [\"incident.created\"]\n"
        ),
    );
    let s = Server::start(
        &dir,
        &[
            "--integrations",
            f.to_str().unwrap(),
            "--delivery-concurrency",
            "4",
        ],
        &[],
    );
    let r = post(
        &s,
        "/api/v1/integrations/am",
        &[("Authorization", "Bearer am-token")],
        &outage(40),
    );
    assert_eq!(r.status, 200);
    wait_for(|| total.load(Ordering::SeqCst) >= 40);
    let at_once = most.load(Ordering::SeqCst);
    assert!((2..=4).contains(&at_once), "{at_once} deliveries at once");
    wait_for(|| metric(&s, "alertgate_deliveries_pending") == 0.0);
}

#[test]
fn old_rows_are_pruned_while_requests_keep_committing() {
    let dir = temp_dir("retention");
    let f = file(&dir, BEARER_FILE);
    let s = Server::start(
        &dir,
        &["--integrations", f.to_str().unwrap(), "--retention", "4s"],
        &[],
    );
    let post_am = |name: &str| {
        let body = json!({"alerts": [{"status": "firing", "labels": {"alertname": name}, "annotations": {"summary": "same text"}}]})
            .to_string();
        let r = post(
            &s,
            "/api/v1/integrations/am",
            &[("Authorization", "Bearer am-token")],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["results"][0]["incident_id"].as_i64().unwrap()
    };
    let first = post_am("Old");
    post_am("Old");
    // Requests keep committing for longer than the retention, repeats of one alert included.
    let started = Instant::now();
    let mut last = 0;
    while started.elapsed() < Duration::from_secs(9) {
        last = post_am("Busy");
        thread::sleep(Duration::from_millis(100));
    }
    wait_for(|| metric(&s, "alertgate_pruned_rows_total") >= 2.0);
    // The incident stays; its old occurrences are gone.
    let old = get(&s, &format!("/api/v1/incidents/{first}")).json;
    assert_eq!(old["title"], "Old");
    assert!(old["occurrences"].as_array().unwrap().is_empty(), "{old}");
    // The busy incident keeps its recent occurrences, each still readable.
    let busy = get(&s, &format!("/api/v1/incidents/{last}")).json;
    let occ = busy["occurrences"].as_array().unwrap();
    assert!(!occ.is_empty() && occ.len() < 90, "{}", occ.len());
    assert!(occ.iter().all(|o| o["alert"]["title"] == "Busy"), "{busy}");
}

#[test]
fn basic_auth_guards_an_integration() {
    let dir = temp_dir("basic");
    let f = file(
        &dir,
        "[integrations.am]\nsource = \"alertmanager\"\nauth = \"basic\"\nsecrets = [\"alertmanager:old-pass\", \"alertmanager:n3w pass\"]\n",
    );
    let s = Server::start(&dir, &["--integrations", f.to_str().unwrap()], &[]);
    let am = br#"{"alerts": [{"status": "firing", "labels": {"alertname": "DiskFull"}}]}"#;
    use base64::Engine;
    let basic = |pair: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    };
    let ok = post(
        &s,
        "/api/v1/integrations/am",
        &[("Authorization", &basic("alertmanager:n3w pass"))],
        am,
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["results"][0]["outcome"], "created");
    for (auth, code) in [
        (basic("alertmanager:wrong"), "invalid_token"),
        (basic("grafana:n3w pass"), "invalid_token"),
        (String::from("Basic !!!"), "malformed_signature"),
        (
            String::from("Bearer alertmanager:n3w pass"),
            "invalid_token",
        ),
    ] {
        let r = post(
            &s,
            "/api/v1/integrations/am",
            &[("Authorization", &auth)],
            am,
        );
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (401, Some(code)),
            "{auth}"
        );
    }
    let r = post(&s, "/api/v1/integrations/am", &[], am);
    assert_eq!(r.json["code"], "missing_credentials");
}
