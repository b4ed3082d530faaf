//! `alertgate serve` end to end: the real binary on an ephemeral port with a
//! temporary database, driven over HTTP, with local fake LLM and receiver servers.

mod support;
use support::*;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;

#[test]
fn webhook_statuses_and_sessions() {
    let dir = temp_dir("webhook");
    {
        let s = Server::start(&dir, &[], &[("ALERTGATE_API_KEY", "")]);
        let r = post(
            &s,
            "/api/v1/webhook",
            &[("Authorization", "Bearer x")],
            b"{}",
        );
        assert_eq!(
            (r.status, r.json["code"].as_str()),
            (503, Some("not_configured"))
        );
        s.stop();
    }
    let s = Server::start(&dir, &["--max-tier", "2"], &[("ALERTGATE_API_KEY", KEY)]);
    let auth = format!("Bearer {KEY}");
    let r = post(&s, "/api/v1/webhook", &[], b"{\"summary\": \"x\"}");
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json,
        json!({"detail": "Unauthorized", "code": "unauthorized"})
    );
    assert_eq!(
        post(
            &s,
            "/api/v1/webhook",
            &[("Authorization", "Bearer wrong")],
            b"x"
        )
        .status,
        401
    );
    let r = post(&s, "/api/v1/webhook", &[("Authorization", &auth)], b" \n ");
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (400, Some("empty_body"))
    );

    // Uptime Kuma with a tier above the max: clamped.
    let body = br#"{"tier": 9, "heartbeat": {"status": 0, "msg": "Connection timeout"}, "monitor": {"name": "Gitea", "url": "https://gitea.example.com"}, "msg": "Gitea is down!"}"#;
    let r = post(
        &s,
        "/api/v1/webhook",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body,
    );
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json["status"], "triggered");
    assert_eq!(r.json["tier"], 2);
    let id = r.json["session_id"].as_i64().unwrap();
    for h in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert!(r.header(h).is_some(), "{h}");
    }
    wait_for(|| get(&s, &format!("/api/v1/sessions/{id}")).json["status"] == "completed");
    let session = get(&s, &format!("/api/v1/sessions/{id}")).json;
    assert_eq!(session["trigger"], "alert");
    assert_eq!(session["tier"], 2);
    assert_eq!(session["synthesized_by"], "template");
    assert!(
        session["prompt_text"]
            .as_str()
            .unwrap()
            .starts_with("Uptime Kuma reports 1 firing alert")
    );
    assert_eq!(session["alerts"][0]["title"], "Gitea");

    // A manual session, then the list, newest first, filtered by trigger.
    let r = post(
        &s,
        "/api/v1/sessions",
        &[("Authorization", &auth)],
        br#"{"prompt": "check the backups"}"#,
    );
    assert_eq!(r.status, 202);
    wait_for(|| {
        get(&s, "/api/v1/sessions?trigger=manual").json["sessions"][0]["status"] == "completed"
    });
    let alerts = get(&s, "/api/v1/sessions?trigger=alert&limit=5").json;
    assert_eq!(alerts["sessions"].as_array().unwrap().len(), 1);
    let all = get(&s, "/api/v1/sessions").json;
    assert_eq!(all["sessions"][0]["trigger"], "manual");
    assert_eq!(get(&s, "/api/v1/sessions/999").status, 404);
    assert_eq!(get(&s, "/health").json["db"], "ok");
}

#[test]
fn busy_sessions_acknowledge_and_commands_run() {
    let dir = temp_dir("busy");
    let s = Server::start(
        &dir,
        &[
            "--session-command",
            "sleep 1; tr a-z A-Z",
            "--session-timeout",
            "30",
        ],
        &[("ALERTGATE_API_KEY", KEY)],
    );
    let auth = format!("Bearer {KEY}");
    let first = post(
        &s,
        "/api/v1/webhook",
        &[("Authorization", &auth)],
        b"CRITICAL: db down",
    );
    assert_eq!(first.json["status"], "triggered");
    let second = post(
        &s,
        "/api/v1/webhook",
        &[("Authorization", &auth)],
        b"WARN: db slow",
    );
    assert_eq!(second.status, 202);
    assert_eq!(
        second.json,
        json!({"session_id": null, "status": "acknowledged", "message": "a session is already in progress; this alert was received but not queued"})
    );
    assert_eq!(
        get(&s, "/api/v1/sessions").json["sessions"][0]["status"],
        "running"
    );
    let id = first.json["session_id"].as_i64().unwrap();
    wait_for(|| get(&s, &format!("/api/v1/sessions/{id}")).json["status"] == "completed");
    let session = get(&s, &format!("/api/v1/sessions/{id}")).json;
    assert_eq!(session["exit_code"], 0);
    assert!(
        session["output"]
            .as_str()
            .unwrap()
            .starts_with("A WEBHOOK REPORTS"),
        "{session}"
    );
    assert!(session["duration_ms"].as_i64().unwrap() >= 900);
    drop(s);

    let dir = temp_dir("timeout");
    let s = Server::start(
        &dir,
        &["--session-command", "sleep 30", "--session-timeout", "1"],
        &[("ALERTGATE_API_KEY", KEY)],
    );
    let r = post(
        &s,
        "/api/v1/webhook",
        &[("Authorization", &auth)],
        b"disk full",
    );
    let id = r.json["session_id"].as_i64().unwrap();
    wait_for(|| get(&s, &format!("/api/v1/sessions/{id}")).json["status"] == "timed_out");
}

#[test]
fn the_llm_sees_no_tier_and_failures_are_502() {
    let llm = fake(vec![
        (200, json!({"content": [{"type": "text", "text": "Postgres is out of connections. Check the pool."}]}).to_string()),
        (500, String::from("{\"error\": \"overloaded\"}")),
    ]);
    let dir = temp_dir("llm");
    let s = Server::start(
        &dir,
        &[],
        &[
            ("ALERTGATE_API_KEY", KEY),
            ("ALERTGATE_LLM_API_KEY", "llm-key"),
            ("ALERTGATE_LLM_BASE_URL", &llm.base),
        ],
    );
    let auth = format!("Bearer {KEY}");
    let body = br#"{"tier": 2, "service": "postgres", "error": "FATAL: max connections reached", "password": "hunter2"}"#;
    let r = post(
        &s,
        "/api/v1/webhook",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body,
    );
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.json["session_id"].as_i64().unwrap();
    wait_for(|| get(&s, &format!("/api/v1/sessions/{id}")).json["status"] == "completed");
    let session = get(&s, &format!("/api/v1/sessions/{id}")).json;
    assert_eq!(
        session["prompt_text"],
        "Postgres is out of connections. Check the pool."
    );
    assert_eq!(session["synthesized_by"], "anthropic");
    let seen = llm.seen.lock().unwrap().clone();
    let sent: Value = serde_json::from_slice(&seen[0].2).unwrap();
    let content = sent["messages"][0]["content"].as_str().unwrap();
    assert!(!content.contains("\"tier\""), "{content}");
    assert!(!content.contains("hunter2"), "{content}");

    let r = post(
        &s,
        "/api/v1/webhook",
        &[("Authorization", &auth)],
        b"another alert",
    );
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (502, Some("upstream_status"))
    );
    // The provider's own error body is logged, not echoed to the caller.
    assert_eq!(r.json["upstream_status"], 500);
    assert!(!r.text.contains("overloaded"), "{}", r.text);
}

fn integrations_file(dir: &Path, receiver: &str) -> PathBuf {
    std::fs::write(
        dir.join("acme.json"),
        r#"{"name": "acme", "title": "/check/name", "status": "/state", "dedup": "/check/id"}"#,
    )
    .unwrap();
    let path = dir.join("integrations.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[integrations.prod-am]
source = "alertmanager"
auth = "github"
secrets = ["s3cret", "old-s3cret"]
filters = ["labels.env in [prod, staging]", "/commonLabels/team != noise"]

[integrations.kuma]
source = "auto"
auth = "bearer"
secrets = ["kuma-token"]

[integrations.slack-ish]
auth = "slack"
secrets = ["slack-secret"]

[integrations.acme]
auth = "opsknight"
secrets = ["acme-secret"]
mapping = "acme.json"
default_severity = "error"

[[outgoing]]
url = "{receiver}/hook"
secret = "out-secret"
events = ["incident.created", "incident.resolved"]
"#
        ),
    )
    .unwrap();
    path
}

fn am(status: &str, desc: &str, env: &str) -> Vec<u8> {
    json!({"version": "4", "status": status, "commonLabels": {"team": "db"}, "alerts": [
        {"status": status, "labels": {"alertname": "DiskFull", "env": env}, "annotations": {"description": desc}, "fingerprint": "fp1"}
    ]})
    .to_string()
    .into_bytes()
}

fn gh_sig(body: &[u8], secret: &str) -> String {
    let h = alertgate::sign(alertgate::Scheme::Github, secret, body, None, None).unwrap();
    h[0].1.clone()
}

#[test]
fn integrations_fold_filter_verify_and_deliver() {
    let receiver = fake(vec![(500, String::from("{}")), (200, String::from("{}"))]);
    let dir = temp_dir("integrations");
    let file = integrations_file(&dir, &receiver.base);
    let s = Server::start(
        &dir,
        &[
            "--integrations",
            file.to_str().unwrap(),
            "--delivery-backoff-ms",
            "100",
        ],
        &[],
    );

    let r = post(&s, "/api/v1/integrations/nope", &[], b"{}");
    assert_eq!(r.status, 404);
    assert_eq!(r.json["detail"], "Integration not found: nope");

    // Signature failures, per scheme, before anything is parsed.
    let body = am("firing", "90% full", "prod");
    let r = post(&s, "/api/v1/integrations/prod-am", &[], &body);
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (401, Some("missing_credentials"))
    );
    let r = post(
        &s,
        "/api/v1/integrations/prod-am",
        &[("X-Hub-Signature-256", &gh_sig(&body, "wrong"))],
        &body,
    );
    assert_eq!(r.json["code"], "signature_mismatch");
    let r = post(
        &s,
        "/api/v1/integrations/kuma",
        &[("Authorization", "Bearer nope")],
        b"{}",
    );
    assert_eq!(r.json["code"], "invalid_token");
    let r = post(
        &s,
        "/api/v1/integrations/slack-ish",
        &[
            ("X-Slack-Request-Timestamp", "1"),
            ("X-Slack-Signature", &format!("v0={}", "0".repeat(64))),
        ],
        b"x",
    );
    assert_eq!(r.json["code"], "timestamp_out_of_tolerance");
    let r = post(
        &s,
        "/api/v1/integrations/acme",
        &[("X-Signature", "sha256=zz")],
        b"{}",
    );
    assert_eq!(r.json["code"], "malformed_signature");

    // Folding: created, duplicate, occurrence_added, acknowledged?, resolved, reopened.
    let send = |body: &[u8], secret: &str| {
        post(
            &s,
            "/api/v1/integrations/prod-am",
            &[("X-Hub-Signature-256", &gh_sig(body, secret))],
            body,
        )
    };
    let outcome = |r: &Reply| r.json["results"][0]["outcome"].as_str().unwrap().to_owned();
    let r = send(&body, "s3cret");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(outcome(&r), "created");
    let incident = r.json["results"][0]["incident_id"].as_i64().unwrap();
    assert_eq!(
        r.json["results"][0]["report_url"],
        format!("/api/v1/incidents/{incident}")
    );
    assert_eq!(outcome(&send(&body, "old-s3cret")), "duplicate"); // rotated secret, same content within 60 s
    let r = send(&am("firing", "95% full", "prod"), "s3cret");
    assert_eq!(
        (
            outcome(&r).as_str(),
            r.json["results"][0]["occurrence_count"].as_i64()
        ),
        ("occurrence_added", Some(2))
    );
    assert_eq!(
        outcome(&send(&am("resolved", "ok", "prod"), "s3cret")),
        "resolved"
    );
    let r = send(&am("firing", "full again", "prod"), "s3cret");
    assert_eq!(
        (
            outcome(&r).as_str(),
            r.json["results"][0]["occurrence_count"].as_i64()
        ),
        ("reopened", Some(3))
    );
    // Filters.
    let r = send(&am("firing", "x", "dev"), "s3cret");
    assert_eq!(outcome(&r), "filtered");
    assert_eq!(
        r.json["results"][0]["reason"],
        "labels.env in [prod, staging]"
    );
    let mut noisy: Value = serde_json::from_slice(&am("firing", "y", "prod")).unwrap();
    noisy["commonLabels"]["team"] = json!("noise");
    let noisy = noisy.to_string().into_bytes();
    assert_eq!(
        send(&noisy, "s3cret").json["results"][0]["reason"],
        "/commonLabels/team != noise"
    );
    // A payload the source cannot read.
    let r = send(b"{\"title\": \"not alertmanager\"}", "s3cret");
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (400, Some("payload_mismatch"))
    );

    // Acknowledged through a bearer integration with auto detection (Uptime Kuma maintenance).
    let kuma = br#"{"heartbeat": {"status": 3, "msg": "maintenance"}, "monitor": {"id": 7, "name": "Gitea"}, "msg": "m"}"#;
    let r = post(
        &s,
        "/webhooks/kuma",
        &[("Authorization", "Bearer kuma-token")],
        kuma,
    );
    assert_eq!(outcome(&r), "created");
    let kuma_down = br#"{"heartbeat": {"status": 0, "msg": "down"}, "monitor": {"id": 7, "name": "Gitea"}, "msg": "m"}"#;
    assert_eq!(
        outcome(&post(
            &s,
            "/api/integrations/kuma",
            &[("Authorization", "Bearer kuma-token")],
            kuma_down
        )),
        "occurrence_added"
    );
    let r = post(
        &s,
        "/api/v1/integrations/kuma",
        &[("Authorization", "Bearer kuma-token")],
        kuma,
    );
    assert_eq!(outcome(&r), "acknowledged");

    // A custom mapping with a default severity.
    let acme = br#"{"check": {"id": "c1", "name": "API down"}, "state": "open"}"#;
    let sig = alertgate::sign(
        alertgate::Scheme::Opsknight,
        "acme-secret",
        acme,
        None,
        None,
    )
    .unwrap();
    let r = post(
        &s,
        "/api/v1/integrations/acme",
        &[("X-Webhook-Signature", &sig[0].1)],
        acme,
    );
    assert_eq!(outcome(&r), "created", "{}", r.text);

    // The incidents API.
    let detail = get(&s, &format!("/api/v1/incidents/{incident}")).json;
    assert_eq!(detail["status"], "triggered");
    assert_eq!(detail["occurrence_count"], 3);
    let timeline: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(timeline, ["triggered", "resolved", "triggered"]);
    assert_eq!(detail["occurrences"].as_array().unwrap().len(), 5);
    let open = get(&s, "/api/v1/incidents?status=open&source=alertmanager").json;
    assert_eq!(open["incidents"].as_array().unwrap().len(), 1);
    let acme_incident = &get(&s, "/api/v1/incidents?source=generic").json["incidents"][0];
    assert_eq!(acme_incident["severity"], "error");
    assert_eq!(get(&s, "/api/v1/incidents/999").status, 404);

    // Outgoing: created, resolved, created (reopen), created (kuma), created (acme); the first attempt fails and is retried.
    wait_for(|| {
        let d = get(&s, "/api/v1/deliveries").json;
        let rows = d["deliveries"].as_array().unwrap().clone();
        rows.len() >= 5 && rows.iter().all(|r| r["status"] == "delivered")
    });
    let deliveries = get(&s, "/api/v1/deliveries").json;
    let first = deliveries["deliveries"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(first["attempts"], 2);
    assert_eq!(first["log"][0]["http_status"], 500);
    let seen = receiver.seen.lock().unwrap().clone();
    let verifier = alertgate::Verifier::new(
        alertgate::Scheme::Opsknight,
        &["out-secret"],
        &alertgate::VerifyOptions::default(),
    )
    .unwrap();
    let mut events = Vec::new();
    for (path, headers, body) in &seen {
        assert_eq!(path, "/hook");
        let hs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        verifier.verify(&hs, body, 0).unwrap();
        let env: Value = serde_json::from_slice(body).unwrap();
        events.push(env["event"].as_str().unwrap().to_owned());
        assert_eq!(
            headers
                .iter()
                .find(|(n, _)| n == "x-webhook-event")
                .unwrap()
                .1,
            env["event"].as_str().unwrap()
        );
    }
    assert!(
        events.contains(&String::from("incident.resolved")),
        "{events:?}"
    );
    assert!(
        events.iter().filter(|e| *e == "incident.created").count() >= 4,
        "{events:?}"
    );

    // Metrics moved.
    let m = get(&s, "/metrics").text;
    assert!(
        m.contains(
            "alertgate_http_requests_total{route=\"/api/v1/integrations/{name}\",status=\"200\"}"
        ),
        "{m}"
    );
    assert!(
        m.contains("alertgate_alerts_total{source=\"alertmanager\""),
        "{m}"
    );
    assert!(m.contains("alertgate_incidents_open"), "{m}");
    assert!(m.contains("alertgate_deliveries_total"), "{m}");
}

/// Repeats of an alert store its JSON once; every occurrence still reads back its alert.
#[test]
fn folded_repeats_read_back_their_alert() {
    let receiver = fake(vec![]);
    let dir = temp_dir("repeats");
    let file = integrations_file(&dir, &receiver.base);
    let s = Server::start(&dir, &["--integrations", file.to_str().unwrap()], &[]);
    let send = |body: &[u8]| {
        let r = post(
            &s,
            "/api/v1/integrations/prod-am",
            &[("X-Hub-Signature-256", &gh_sig(body, "s3cret"))],
            body,
        );
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["results"][0].clone()
    };
    let first = am("firing", "90% full", "prod");
    let changed = am("firing", "95% full", "prod");
    let outcomes: Vec<String> = [&first, &first, &first, &changed, &first, &first]
        .iter()
        .map(|b| send(b)["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        outcomes,
        [
            "created",
            "duplicate",
            "duplicate",
            "occurrence_added",
            "occurrence_added",
            "duplicate"
        ]
    );
    let id = send(&first)["incident_id"].as_i64().unwrap();
    let detail = get(&s, &format!("/api/v1/incidents/{id}")).json;
    let occurrences = detail["occurrences"].as_array().unwrap();
    assert_eq!(occurrences.len(), 7);
    let descriptions: Vec<&str> = occurrences
        .iter()
        .map(|o| o["alert"]["description"].as_str().unwrap())
        .collect();
    assert_eq!(
        descriptions,
        [
            "90% full", "90% full", "90% full", "95% full", "90% full", "90% full", "90% full"
        ]
    );
    for o in occurrences {
        let same = if o["alert"]["description"] == "90% full" {
            &occurrences[0]["alert"]
        } else {
            &occurrences[3]["alert"]
        };
        assert_eq!(&o["alert"], same);
        assert_eq!(o["alert"]["dedup_key"], "fp1");
        assert_eq!(o["alert"]["labels"]["env"], "prod");
    }
    // Stored once: a repeat of the latest stored alert (or ingest) keeps ''.
    s.stop();
    // SQLite only: this reads the file, and the pointer-to-a-repeat storage is
    // SQLite's (PostgreSQL stores each occurrence's JSON).
    if support::on_postgres() {
        return;
    }
    let db = rusqlite::Connection::open(dir.join("alertgate.db")).unwrap();
    let empty = |sql: &str| -> Vec<bool> {
        let mut st = db.prepare(sql).unwrap();
        st.query_map([], |r| r.get::<_, String>(0).map(|t| t.is_empty()))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let stored_once = [false, true, true, false, false, true, true];
    assert_eq!(
        empty("SELECT alert_json FROM occurrences ORDER BY id"),
        stored_once
    );
    assert_eq!(
        empty("SELECT ingest_json FROM received_alerts WHERE route = 'integration' ORDER BY id"),
        stored_once
    );
    drop(db);
    // And after a restart (the stored copies are in the file, not in memory).
    let s = Server::start(&dir, &["--integrations", file.to_str().unwrap()], &[]);
    let r = post(
        &s,
        "/api/v1/integrations/prod-am",
        &[("X-Hub-Signature-256", &gh_sig(&first, "s3cret"))],
        &first,
    );
    assert_eq!(r.json["results"][0]["outcome"], "duplicate");
    let after = get(&s, &format!("/api/v1/incidents/{id}")).json;
    let occurrences = after["occurrences"].as_array().unwrap();
    assert_eq!(occurrences.len(), 8);
    assert_eq!(occurrences[7]["alert"], occurrences[0]["alert"]);
}

/// A request whose alerts the filters split answers each in order; many signed
/// posts at once (folded in shared transactions) are all stored and acknowledged.
#[test]
fn filtered_and_folded_alerts_of_one_request_and_concurrent_posts() {
    let receiver = fake(vec![]);
    let dir = temp_dir("concurrent");
    let file = integrations_file(&dir, &receiver.base);
    let s = Server::start(
        &dir,
        &[
            "--integrations",
            file.to_str().unwrap(),
            "--rate-limit-ip",
            "100000",
            "--rate-limit-global",
            "100000",
        ],
        &[],
    );
    let body = json!({"version": "4", "status": "firing", "commonLabels": {"team": "db"}, "alerts": [
        {"status": "firing", "labels": {"alertname": "A", "env": "dev"}, "fingerprint": "dev1"},
        {"status": "firing", "labels": {"alertname": "B", "env": "prod"}, "fingerprint": "prod1"},
        {"status": "firing", "labels": {"alertname": "C", "env": "qa"}, "fingerprint": "qa1"}
    ]})
    .to_string()
    .into_bytes();
    let r = post(
        &s,
        "/api/v1/integrations/prod-am",
        &[("X-Hub-Signature-256", &gh_sig(&body, "s3cret"))],
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let results = r.json["results"].as_array().unwrap();
    let seen: Vec<(&str, &str)> = results
        .iter()
        .map(|x| {
            (
                x["dedup_key"].as_str().unwrap(),
                x["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("dev1", "filtered"),
            ("prod1", "created"),
            ("qa1", "filtered")
        ]
    );
    assert_eq!(results[0]["reason"], "labels.env in [prod, staging]");
    assert!(
        results[1]["report_url"]
            .as_str()
            .unwrap()
            .starts_with("/api/v1/incidents/")
    );

    const THREADS: usize = 16;
    const EACH: usize = 10;
    let storm = am("firing", "storm", "prod");
    let sig = gh_sig(&storm, "s3cret");
    let ids: Vec<i64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    (0..EACH)
                        .map(|_| {
                            let r = post(
                                &s,
                                "/api/v1/integrations/prod-am",
                                &[("X-Hub-Signature-256", &sig)],
                                &storm,
                            );
                            assert_eq!(r.status, 200, "{}", r.text);
                            r.json["results"][0]["incident_id"].as_i64().unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert_eq!(ids.len(), THREADS * EACH);
    assert!(ids.iter().all(|&id| id == ids[0]));
    let detail = get(&s, &format!("/api/v1/incidents/{}", ids[0])).json;
    let occurrences = detail["occurrences"].as_array().unwrap();
    assert_eq!(occurrences.len(), THREADS * EACH);
    assert!(
        occurrences
            .iter()
            .all(|o| o["alert"]["description"] == "storm" && o["alert"]["dedup_key"] == "fp1")
    );
    s.stop();
    // SQLite only: this reads the file, and the once-stored ingest is SQLite's.
    if support::on_postgres() {
        return;
    }
    // Every acknowledged post is in the file, its ingest stored once.
    let db = rusqlite::Connection::open(dir.join("alertgate.db")).unwrap();
    let rows: Vec<(String, Option<i64>)> = db
        .prepare(
            "SELECT ingest_json, ingest_from FROM received_alerts
              WHERE route = 'integration' ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 1 + THREADS * EACH);
    let first: i64 = db
        .query_row(
            "SELECT id FROM received_alerts WHERE route = 'integration' ORDER BY id LIMIT 1 OFFSET 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!rows[1].0.is_empty());
    assert!(
        rows[2..]
            .iter()
            .all(|(json, from)| json.is_empty() && *from == Some(first))
    );
}

#[test]
fn rate_limits_and_body_limit() {
    let dir = temp_dir("limits");
    let s = Server::start(
        &dir,
        &["--rate-limit-ip", "3", "--rate-limit-unauthenticated", "2"],
        &[],
    );
    let auth = format!("Bearer {KEY}");
    // A flood of bad credentials spends its own bucket: 401, then 429 ...
    let refused: Vec<u16> = (0..6)
        .map(|_| {
            post(
                &s,
                "/api/v1/webhook",
                &[("Authorization", "Bearer wrong")],
                b"x",
            )
            .status
        })
        .collect();
    assert_eq!(refused, [401, 401, 429, 429, 429, 429]);
    // ... and never the authenticated sender's quota.
    let remaining: Vec<String> = (0..3)
        .map(|_| {
            let r = post(&s, "/api/v1/webhook", &[("Authorization", &auth)], b"x");
            assert_eq!(r.status, 202, "{}", r.text);
            r.header("x-ratelimit-remaining").unwrap().to_owned()
        })
        .collect();
    assert_eq!(remaining, ["2", "1", "0"]);
    let r = post(&s, "/api/v1/webhook", &[("Authorization", &auth)], b"x");
    assert_eq!(r.status, 429);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    assert_eq!(
        r.json["detail"],
        format!("Rate limit exceeded. Try again in {wait} seconds.")
    );
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    drop(s);

    // A body over the webhook route's limit is refused from its declared length.
    let dir = temp_dir("big");
    let s = Server::start(&dir, &[], &[]);
    let r = raw(
        &s,
        &format!(
            "POST /api/v1/webhook HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Length: {}",
            (1 << 20) + 10
        ),
        b"",
    );
    assert_eq!(r.status, 413, "{}", r.head);
    let json: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(json["code"], "payload_too_large");
}

#[test]
fn restarts_keep_everything_and_kill_9_loses_nothing_acknowledged() {
    let receiver = fake(vec![]);
    let dir = temp_dir("persist");
    let file = integrations_file(&dir, &receiver.base);
    let s = Server::start(
        &dir,
        &[
            "--integrations",
            file.to_str().unwrap(),
            "--session-command",
            "sleep 30",
        ],
        &[("ALERTGATE_API_KEY", KEY)],
    );
    let auth = format!("Bearer {KEY}");
    let session = post(
        &s,
        "/api/v1/webhook",
        &[("Authorization", &auth)],
        b"disk full",
    )
    .json["session_id"]
        .as_i64()
        .unwrap();

    // Load from another thread, then kill -9 mid-way.
    let base = s.base.clone();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let acked2 = acked.clone();
    let load = thread::spawn(move || {
        for i in 0..400 {
            let body = json!({"alerts": [{"status": "firing", "labels": {"alertname": format!("A{i}"), "env": "prod"}, "fingerprint": format!("fp-{i}")}]})
                .to_string()
                .into_bytes();
            let Ok(resp) = agent()
                .post(&format!("{base}/api/v1/integrations/prod-am"))
                .header("X-Hub-Signature-256", gh_sig(&body, "s3cret"))
                .send(&body[..])
            else {
                return;
            };
            let r = read(resp);
            if r.status == 200 {
                acked2
                    .lock()
                    .unwrap()
                    .push(r.json["results"][0]["incident_id"].as_i64().unwrap());
            }
        }
    });
    wait_for(|| acked.lock().unwrap().len() >= 20);
    s.kill9();
    load.join().unwrap();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 20);

    let s = Server::start(
        &dir,
        &["--integrations", file.to_str().unwrap()],
        &[("ALERTGATE_API_KEY", KEY)],
    );
    for id in &acked {
        assert_eq!(
            get(&s, &format!("/api/v1/incidents/{id}")).status,
            200,
            "acknowledged incident {id} was lost"
        );
    }
    // The session that was running when the process died is marked interrupted:
    // at the restart on SQLite, once its lease has run out on PostgreSQL.
    wait_for(|| get(&s, &format!("/api/v1/sessions/{session}")).json["status"] == "interrupted");
    s.stop();

    // A graceful restart keeps everything too.
    // (A request committed as the process died may exist without having been acknowledged.)
    let s = Server::start(&dir, &["--integrations", file.to_str().unwrap()], &[]);
    assert!(
        get(&s, "/api/v1/incidents?limit=1000").json["incidents"]
            .as_array()
            .unwrap()
            .len()
            >= acked.len()
    );
}

#[test]
fn an_invalid_integrations_file_stops_start_up_naming_the_line() {
    let dir = temp_dir("badfile");
    let path = dir.join("integrations.toml");
    std::fs::write(&path, "[integrations.a]\nauth = \"github\"\nsecrets = [\"s\"]\n\n[integrations.b]\nauth = \"nope\"\nsecrets = [\"s\"]\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_alertgate"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.join("a.db"))
        .arg("--integrations")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "integrations.toml:5: integration 'b': invalid configuration: unknown scheme 'nope'"
        ),
        "{err}"
    );

    std::fs::write(&path, "[integrations.a]\nauth = \"github\"\nfilters = [\"labels.env ~ prod\"]\nsecrets = [\"s\"]\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_alertgate"))
        .args(["serve", "--db"])
        .arg(dir.join("a.db"))
        .arg("--integrations")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("integrations.toml:1: integration 'a': filter")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_example_integrations_file_is_valid() {
    let dir = temp_dir("example");
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("integrations.example.toml");
    let s = Server::start(&dir, &["--integrations", example.to_str().unwrap()], &[]);
    let r = post(&s, "/api/v1/integrations/uptime", &[("X-Webhook-Secret", "kuma-secret")],
        br#"{"heartbeat": {"status": 0, "msg": "timeout"}, "monitor": {"id": 1, "name": "web"}, "msg": "down"}"#);
    assert_eq!(r.json["results"][0]["outcome"], "created", "{}", r.text);
}
