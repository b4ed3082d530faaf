//! Several `alertgate serve` processes on one PostgreSQL database, as behind a
//! load balancer: folding, sessions, deliveries, rate limits and outages must
//! hold for the deployment, not for each process. The cluster is the test
//! harness's (`ALERTGATE_TEST_POSTGRES_URL`, or one started for this binary);
//! each test has databases of its own.

mod support;
use support::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

const TOKEN: &str = "am-token";

fn integrations(dir: &Path, receiver: Option<&str>) -> PathBuf {
    let mut text = format!(
        "[integrations.am]\nsource = \"alertmanager\"\nauth = \"bearer\"\nsecrets = [\"{TOKEN}\"]\n"
    );
    if let Some(r) = receiver {
        text.push_str(&format!(
            "\n[[outgoing]]\nurl = \"{r}/hook\"\nsecret = \"out\"\nevents = [\"incident.created\"]\n"
        ));
    }
    let path = dir.join("integrations.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// An Alertmanager request with one alert on `key`; `n` makes its content new.
fn alert(key: &str, n: usize) -> Vec<u8> {
    json!({"version": "4", "status": "firing", "alerts": [{"status": "firing",
        "labels": {"alertname": "DiskFull"}, "annotations": {"description": format!("#{n}")},
        "fingerprint": key}]})
    .to_string()
    .into_bytes()
}

fn send(s: &Server, key: &str, n: usize) -> Reply {
    post(
        s,
        "/api/v1/integrations/am",
        &[
            ("Authorization", &format!("Bearer {TOKEN}")),
            ("Content-Type", "application/json"),
        ],
        &alert(key, n),
    )
}

/// Two servers on the database `db`, each in a directory of its own.
fn pair(db: &str, receiver: Option<&str>, args: &[&str]) -> (Server, Server) {
    let start = |tag: &str| {
        let dir = temp_dir(tag);
        let file = integrations(&dir, receiver);
        let mut all = vec!["--integrations", file.to_str().unwrap()];
        all.extend_from_slice(args);
        Server::start_on(&dir, std::ffi::OsStr::new(db), &all, &[])
    };
    (start("pg-a"), start("pg-b"))
}

const UNLIMITED: &[&str] = &[
    "--rate-limit-ip",
    "1000000",
    "--rate-limit-global",
    "1000000",
];

/// Many requests folding a few keys through both processes at once: one
/// incident per key, each answer a step of one serial order (counts 1..=n,
/// each once), the stored count exactly the number of answers, no 5xx.
#[test]
fn two_instances_fold_the_same_keys_exactly() {
    let db = pg_database();
    let (a, b) = pair(&db, None, UNLIMITED);
    const KEYS: usize = 3;
    const THREADS: usize = 8;
    const EACH: usize = 30;
    let answers: Vec<(String, String, i64, i64)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (a, b) = (&a, &b);
                scope.spawn(move || {
                    (0..EACH)
                        .map(|i| {
                            let key = format!("key{}", (t + i) % KEYS);
                            let s = if (t + i) % 2 == 0 { a } else { b };
                            let r = send(s, &key, t * EACH + i);
                            assert_eq!(r.status, 200, "{}", r.text);
                            let res = &r.json["results"][0];
                            (
                                key,
                                res["outcome"].as_str().unwrap().to_owned(),
                                res["occurrence_count"].as_i64().unwrap(),
                                res["incident_id"].as_i64().unwrap(),
                            )
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
    assert_eq!(answers.len(), THREADS * EACH);
    let mut by_key: BTreeMap<String, Vec<(String, i64, i64)>> = BTreeMap::new();
    for (key, outcome, count, id) in answers {
        by_key.entry(key).or_default().push((outcome, count, id));
    }
    assert_eq!(by_key.len(), KEYS);
    for (key, mut got) in by_key {
        let n = i64::try_from(got.len()).unwrap();
        got.sort_by_key(|g| g.1);
        let counts: Vec<i64> = got.iter().map(|g| g.1).collect();
        assert_eq!(counts, (1..=n).collect::<Vec<_>>(), "{key}");
        assert_eq!(got[0].0, "created", "{key}");
        assert!(got[1..].iter().all(|g| g.0 == "occurrence_added"), "{key}");
        let id = got[0].2;
        assert!(got.iter().all(|g| g.2 == id), "{key}: one incident");
        let detail = get(&b, &format!("/api/v1/incidents/{id}")).json;
        assert_eq!(detail["occurrence_count"], n, "{key}");
        assert_eq!(
            detail["occurrences"].as_array().unwrap().len(),
            got.len(),
            "{key}"
        );
    }
    let list = get(&a, "/api/v1/incidents").json;
    assert_eq!(list["incidents"].as_array().unwrap().len(), KEYS);
}

fn start_session(s: &Server) -> Reply {
    post(
        s,
        "/api/v1/sessions",
        &[
            ("Authorization", &format!("Bearer {KEY}")),
            ("Content-Type", "application/json"),
        ],
        br#"{"prompt": "look"}"#,
    )
}

/// One session at a time holds across processes; a process killed with its
/// session running releases it when its lease runs out.
#[test]
fn one_session_at_a_time_across_instances_and_a_dead_ones_lease_runs_out() {
    let db = pg_database();
    let (a, b) = pair(
        &db,
        None,
        &["--session-command", "sleep 30", "--lease", "2s"],
    );
    let r = start_session(&a);
    assert_eq!(r.status, 202, "{}", r.text);
    let r = start_session(&b);
    assert_eq!(r.status, 409, "{}", r.text);
    // Renewed while it runs: still held after several lease times.
    thread::sleep(Duration::from_secs(5));
    assert_eq!(start_session(&b).status, 409);
    a.kill9();
    let started = Instant::now();
    let mut status = 0;
    while started.elapsed() < Duration::from_secs(15) {
        status = start_session(&b).status;
        if status == 202 {
            break;
        }
        assert_eq!(status, 409);
        thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(status, 202, "the dead process's lease was not released");
    let sessions = get(&b, "/api/v1/sessions").json;
    let statuses: Vec<&str> = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["running", "interrupted"]);
}

/// One process killed with -9 under load: every alert it or the other
/// acknowledged is stored, and every incident's delivery is sent, by the
/// survivor when the dead one had claimed it.
#[test]
fn a_killed_instance_loses_no_acknowledged_alert_and_its_deliveries_are_sent() {
    let receiver = fake(vec![]);
    let db = pg_database();
    let (a, b) = pair(
        &db,
        Some(&receiver.base),
        &[
            "--lease",
            "2s",
            "--rate-limit-ip",
            "1000000",
            "--rate-limit-global",
            "1000000",
        ],
    );
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let a = Arc::new(Mutex::new(Some(a)));
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|t| {
            let (acked, a, stop) = (acked.clone(), a.clone(), stop.clone());
            let b_base = b.base.clone();
            thread::spawn(move || {
                for i in 0..400 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let key = format!("k{t}-{i}");
                    let target = if i % 2 == 0 {
                        a.lock().unwrap().as_ref().map(|s| s.base.clone())
                    } else {
                        None
                    };
                    let base = target.unwrap_or_else(|| b_base.clone());
                    let r = agent()
                        .post(&format!("{base}/api/v1/integrations/am"))
                        .header("Authorization", &format!("Bearer {TOKEN}"))
                        .header("Content-Type", "application/json")
                        .send(&alert(&key, i));
                    // A refused or cut connection is the dead process: not acknowledged.
                    if let Ok(r) = r {
                        let r = read(r);
                        if r.status == 200 {
                            acked.lock().unwrap().push(key);
                        } else {
                            assert_eq!(r.status, 503, "{}", r.text);
                        }
                    }
                }
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(1500));
    if let Some(s) = a.lock().unwrap().take() {
        s.kill9();
    }
    thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 20, "only {} acknowledged", acked.len());
    let listed = get_as(&b, "/api/v1/incidents?limit=1000", Some(KEY)).json;
    let mut stored: Vec<String> = listed["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["dedup_key"].as_str().unwrap().to_owned())
        .collect();
    stored.sort();
    for key in &acked {
        assert!(
            stored.binary_search(key).is_ok(),
            "acknowledged {key} is missing"
        );
    }
    // Every incident's event is sent: those the dead process had claimed by the
    // survivor once their lease ran out.
    let started = Instant::now();
    let sent_ids = || -> std::collections::BTreeSet<i64> {
        receiver
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(_, _, body)| {
                let v: serde_json::Value = serde_json::from_slice(body).ok()?;
                v["data"]["incident_id"].as_i64()
            })
            .collect()
    };
    while sent_ids().len() < stored.len() && started.elapsed() < Duration::from_secs(30) {
        thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        sent_ids().len(),
        stored.len(),
        "some events were never sent"
    );
}

/// The database stopped and started under load: 503s while it is down, never
/// an acknowledged alert lost, and service again without a restart. The
/// cluster is this test's own, so stopping it disturbs no other test.
#[test]
fn a_database_outage_gives_503_and_the_server_recovers() {
    let cluster = pg_script(&["start", &std::process::id().to_string()]);
    let db = pg_script(&["createdb", &cluster]);
    let dir = temp_dir("pg-outage");
    let file = integrations(&dir, None);
    let mut args = vec![
        "--integrations",
        file.to_str().unwrap(),
        "--db-connect-timeout",
        "1s",
    ];
    args.extend_from_slice(UNLIMITED);
    let s = Server::start_on(&dir, std::ffi::OsStr::new(&db), &args, &[]);
    let mut acked = Vec::new();
    let mut unavailable = 0;
    let mut i = 0;
    let mut post_one = |acked: &mut Vec<String>, unavailable: &mut usize| {
        i += 1;
        let key = format!("o{i}");
        let r = send(&s, &key, i);
        match r.status {
            200 => acked.push(key),
            503 => {
                assert_eq!(r.json["code"], "database_unavailable", "{}", r.text);
                *unavailable += 1;
            }
            other => panic!("{other}: {}", r.text),
        }
        r.status
    };
    for _ in 0..20 {
        assert_eq!(post_one(&mut acked, &mut unavailable), 200);
    }
    pg_script(&["ctl", &cluster, "stop"]);
    for _ in 0..10 {
        assert_eq!(post_one(&mut acked, &mut unavailable), 503);
    }
    let health = get(&s, "/health");
    assert_eq!(health.status, 503, "{}", health.text);
    pg_script(&["ctl", &cluster, "start"]);
    let started = Instant::now();
    let mut back = false;
    while started.elapsed() < Duration::from_secs(20) {
        if post_one(&mut acked, &mut unavailable) == 200 {
            back = true;
            break;
        }
        thread::sleep(Duration::from_millis(200));
    }
    assert!(back, "the server did not recover");
    for _ in 0..10 {
        assert_eq!(post_one(&mut acked, &mut unavailable), 200);
    }
    assert!(unavailable >= 10);
    assert_eq!(get(&s, "/health").status, 200);
    let listed = get(&s, "/api/v1/incidents?limit=1000").json;
    let stored: Vec<&str> = listed["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["dedup_key"].as_str().unwrap())
        .collect();
    for key in &acked {
        assert!(
            stored.contains(&key.as_str()),
            "acknowledged {key} is missing"
        );
    }
    drop(s);
    pg_script(&["stop", &cluster]);
}

/// `--rate-limit-ip 100` is 100 a minute for the deployment: two processes
/// together answer about 100 of 150 requests, not 150.
#[test]
fn a_rate_limit_holds_across_instances() {
    let db = pg_database();
    let (a, b) = pair(&db, None, &["--rate-limit-ip", "100"]);
    let mut ok = 0;
    let mut limited = 0;
    for i in 0..150 {
        let s = if i % 2 == 0 { &a } else { &b };
        match send(s, &format!("r{i}"), i).status {
            200 => ok += 1,
            429 => limited += 1,
            other => panic!("{other}"),
        }
    }
    // The bucket refills at 100 a minute while the requests run: a few more.
    assert!((100..=110).contains(&ok), "{ok} answered");
    assert_eq!(ok + limited, 150);
}

/// Two live processes draining one delivery queue: each event is sent by one
/// of them, once (claims skip the rows the other holds).
#[test]
fn each_delivery_is_sent_once_by_one_of_two_instances() {
    let receiver = fake(vec![]);
    let db = pg_database();
    let (a, b) = pair(&db, Some(&receiver.base), UNLIMITED);
    const N: usize = 60;
    thread::scope(|scope| {
        for half in 0..2 {
            let (a, b) = (&a, &b);
            scope.spawn(move || {
                for i in (half..N).step_by(2) {
                    let s = if i % 3 == 0 { a } else { b };
                    assert_eq!(send(s, &format!("d{i}"), i).status, 200);
                }
            });
        }
    });
    let ids = || -> Vec<i64> {
        receiver
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(_, _, body)| {
                let v: serde_json::Value = serde_json::from_slice(body).ok()?;
                v["data"]["incident_id"].as_i64()
            })
            .collect()
    };
    wait_for(|| ids().len() >= N);
    // Time for a second send of anything, were one to come.
    thread::sleep(Duration::from_millis(1500));
    let mut got = ids();
    got.sort_unstable();
    let before = got.len();
    got.dedup();
    assert_eq!(got.len(), N);
    assert_eq!(before, N, "an event was sent twice");
}

/// SIGTERM hands the running session back at once: another process may start
/// one without waiting for the lease.
#[test]
fn a_stopped_instance_hands_its_session_back_at_once() {
    let db = pg_database();
    let (a, b) = pair(
        &db,
        None,
        &["--session-command", "sleep 30", "--lease", "60s"],
    );
    assert_eq!(start_session(&a).status, 202);
    assert_eq!(start_session(&b).status, 409);
    a.stop();
    let r = start_session(&b);
    assert_eq!(r.status, 202, "{}", r.text);
}

/// Instances started at the same moment on an empty database migrate it once
/// (an advisory lock around the migrations) and all serve.
#[test]
fn instances_starting_together_migrate_once() {
    let db = pg_database();
    let servers: Vec<Server> = thread::scope(|scope| {
        let started: Vec<_> = (0..3)
            .map(|i| {
                let db = db.clone();
                scope.spawn(move || {
                    let dir = temp_dir(&format!("pg-migrate-{i}"));
                    Server::start_on(&dir, std::ffi::OsStr::new(&db), &[], &[])
                })
            })
            .collect();
        started.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for s in &servers {
        let h = get(s, "/health");
        assert_eq!(h.status, 200, "{}", h.text);
        assert_eq!(h.json["backend"], "postgres");
    }
}

/// An integration's own `rate_limit` is the deployment's too.
#[test]
fn an_integrations_rate_limit_holds_across_instances() {
    let db = pg_database();
    let start = |tag: &str| {
        let dir = temp_dir(tag);
        let path = dir.join("integrations.toml");
        std::fs::write(
            &path,
            format!("[integrations.am]\nsource = \"alertmanager\"\nauth = \"bearer\"\nsecrets = [\"{TOKEN}\"]\nrate_limit = \"20/10m\"\n"),
        )
        .unwrap();
        let mut args = vec!["--integrations", path.to_str().unwrap()];
        args.extend_from_slice(UNLIMITED);
        Server::start_on(&dir, std::ffi::OsStr::new(&db), &args, &[])
    };
    let (a, b) = (start("pg-limit-a"), start("pg-limit-b"));
    let mut ok = 0;
    for i in 0..30 {
        let s = if i % 2 == 0 { &a } else { &b };
        match send(s, &format!("l{i}"), i).status {
            200 => ok += 1,
            429 => {}
            other => panic!("{other}"),
        }
    }
    // 20 in ten minutes: a refill of one token takes 30 s, longer than the test.
    assert_eq!(ok, 20);
}
