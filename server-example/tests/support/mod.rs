//! The harness of the server's end-to-end tests: the real binary on an
//! ephemeral port with a temporary database, plain HTTP clients, and local
//! fake receivers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The API key the servers are started with.
pub const KEY: &str = "test-api-key";

/// A running server; killed on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub dir: PathBuf,
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir =
        std::env::temp_dir().join(format!("alertgate-serve-{tag}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether the servers run on PostgreSQL (`ALERTGATE_TEST_DB=postgres`)
/// rather than a SQLite file.
pub fn on_postgres() -> bool {
    std::env::var("ALERTGATE_TEST_DB").is_ok_and(|v| v == "postgres")
}

/// The test cluster's URL: `ALERTGATE_TEST_POSTGRES_URL`, or a throwaway
/// cluster started once per test binary by `tests/pg-cluster.sh`, which stops
/// and removes it when this process ends, however it ends.
pub fn pg_cluster() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("ALERTGATE_TEST_POSTGRES_URL")
            && !url.is_empty()
        {
            return url;
        }
        pg_script(&["start", &std::process::id().to_string()])
    })
}

/// Runs `tests/pg-cluster.sh` with `args`: its output's last line.
pub fn pg_script(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pg-cluster.sh");
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(out.status.success(), "pg-cluster.sh {args:?} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .to_owned()
}

/// A fresh, empty database on the test cluster: each server (or group of
/// servers sharing one) gets its own, so tests run in parallel.
pub fn pg_database() -> String {
    pg_script(&["createdb", pg_cluster()])
}

/// The `--db` of a server in `dir`: its SQLite file, or on PostgreSQL a
/// database of its own, kept for the servers started again in `dir`.
pub fn db_for(dir: &Path) -> std::ffi::OsString {
    if !on_postgres() {
        return dir.join("alertgate.db").into_os_string();
    }
    let file = dir.join("pg-url");
    if let Ok(url) = std::fs::read_to_string(&file) {
        return url.into();
    }
    let url = pg_database();
    std::fs::write(&file, &url).unwrap();
    url.into()
}

impl Server {
    /// Starts the server with `ALERTGATE_API_KEY` set to [`KEY`] unless `env`
    /// sets it (to `""` for unset).
    pub fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        Server::start_on(dir, &db_for(dir), args, env)
    }

    /// [`Server::start`] on the database `db` (a path or a URL).
    pub fn start_on(
        dir: &Path,
        db: &std::ffi::OsStr,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_alertgate"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(args);
        // A killed process's session is released when its lease runs out: a
        // short one, so that the tests of a kill do not wait the default 30 s.
        if !args.contains(&"--lease") {
            cmd.args(["--lease", "2s"]);
        }
        for var in [
            "ALERTGATE_API_KEY",
            "ALERTGATE_READ_KEYS",
            "ALERTGATE_METRICS_KEY",
            "ANTHROPIC_API_KEY",
            "OPENAI_API_KEY",
            "ALERTGATE_LLM_API_KEY",
            "ALERTGATE_LLM_BASE_URL",
            "ALERTGATE_LLM_PROVIDER",
            "ALERTGATE_DB",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("ALERTGATE_API_KEY", KEY);
        for (k, v) in env {
            if v.is_empty() {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("alertgate listening on ")
            .unwrap_or_else(|| panic!("no address: {line:?}"))
            .to_owned();
        Server {
            child,
            base,
            dir: dir.to_path_buf(),
        }
    }

    pub fn stop(mut self) {
        // SIGTERM: graceful shutdown.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        std::mem::forget(self);
    }

    pub fn kill9(mut self) {
        let _ = Command::new("kill")
            .args(["-9", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        std::mem::forget(self);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub json: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

pub fn read(mut r: ureq::http::Response<ureq::Body>) -> Reply {
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    Reply {
        status,
        headers,
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

pub fn post(s: &Server, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut req = agent().post(&format!("{}{path}", s.base));
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    read(req.send(body).unwrap())
}

/// A GET with the API key.
pub fn get(s: &Server, path: &str) -> Reply {
    get_as(s, path, Some(KEY))
}

/// A GET with `Authorization: Bearer <key>`, or no credential.
pub fn get_as(s: &Server, path: &str, key: Option<&str>) -> Reply {
    let mut req = agent().get(&format!("{}{path}", s.base));
    if let Some(k) = key {
        req = req.header("Authorization", &format!("Bearer {k}"));
    }
    read(req.call().unwrap())
}

pub fn wait_for(mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// What a fake server saw: (path, lower-cased headers, body) per request.
pub type Seen = Arc<Mutex<Vec<(String, Vec<(String, String)>, Vec<u8>)>>>;

/// A one-route HTTP server answering each request with the next canned (status, body); records requests.
pub struct Fake {
    pub base: String,
    pub seen: Seen,
}

pub fn fake(replies: Vec<(u16, String)>) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    thread::spawn(move || {
        let mut replies = replies.into_iter();
        let mut last = (200, String::from("{}"));
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
            let mut headers = Vec::new();
            let mut len = 0;
            // A request cut off (its sender was killed) is skipped, not a panic
            // that would stop the receiver for the rest of the test.
            let mut whole = true;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() {
                    whole = false;
                    break;
                }
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                let Some((n, v)) = h.split_once(':') else {
                    whole = false;
                    break;
                };
                if n.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
            let mut body = vec![0; len];
            if !whole || reader.read_exact(&mut body).is_err() {
                continue;
            }
            log.lock().unwrap().push((path, headers, body));
            if let Some(r) = replies.next() {
                last = r;
            }
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                last.0,
                last.1.len(),
                last.1
            );
        }
    });
    Fake { base, seen }
}

/// What a raw request got back: the status line's code, the head and the body.
pub struct RawReply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// Sends `head` (a request's line and headers, `\r\n`-separated, without the
/// blank line) and `body` over a fresh connection, then reads what comes back
/// until the server closes the connection (or 10 s pass).
pub fn raw(s: &Server, head: &str, body: &[u8]) -> RawReply {
    let addr = s.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(format!("{head}\r\n\r\n").as_bytes())
        .unwrap();
    // The server may answer and close before it has read the body.
    let _ = stream.write_all(body);
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    RawReply {
        status: head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0),
        head: head.to_owned(),
        body: body.to_owned(),
    }
}
