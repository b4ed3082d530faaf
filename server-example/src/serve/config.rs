//! Server configuration: flags (with env equivalents) and the integrations file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use alertgate::{Mapping, Scheme, Severity, Source, Verifier, VerifyOptions};
use serde::Deserialize;

/// `alertgate serve` flags. Secrets (`ALERTGATE_API_KEY`, `ALERTGATE_READ_KEYS`,
/// `ALERTGATE_METRICS_KEY`, the LLM variables) are not flags: they are read from
/// the environment on every request, so rotating them needs no restart.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is logged).
    #[arg(long, env = "ALERTGATE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The database: a SQLite file (created and migrated at start), or a
    /// `postgres://user:password@host/dbname` URL shared by several instances.
    #[arg(long, env = "ALERTGATE_DB", default_value = "./alertgate.db")]
    pub db: PathBuf,
    /// PostgreSQL: connections in the pool, at most.
    #[arg(long, env = "ALERTGATE_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: usize,
    /// PostgreSQL: how long to wait for a connection (new or from the pool)
    /// before answering 503.
    #[arg(long, env = "ALERTGATE_DB_CONNECT_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub db_connect_timeout: Duration,
    /// PostgreSQL: the longest a statement (or a wait for a lock) may take.
    #[arg(long, env = "ALERTGATE_DB_STATEMENT_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub db_statement_timeout: Duration,
    /// PostgreSQL: how long an instance's claim on a running session or a
    /// delivery holds without renewal; an instance that dies releases its
    /// claims after this long.
    #[arg(long, env = "ALERTGATE_LEASE", default_value = "30s", value_parser = parse_duration)]
    pub lease: Duration,
    /// `full`: every acknowledged request is fsynced (survives a power loss);
    /// `process`: survives a killed process, not an OS crash (faster).
    #[arg(long, env = "ALERTGATE_DURABILITY", value_enum, default_value = "full")]
    pub durability: Durability,
    /// Integrations file (TOML): per-integration endpoints, auth, filters, outgoing webhooks.
    #[arg(long, env = "ALERTGATE_INTEGRATIONS", value_name = "FILE")]
    pub integrations: Option<PathBuf>,
    /// The highest tier a payload's `tier` may ask for.
    #[arg(long, env = "ALERTGATE_MAX_TIER", default_value_t = 3)]
    pub max_tier: u32,
    /// Run each session as this shell command, with the brief on stdin.
    #[arg(long, env = "ALERTGATE_SESSION_COMMAND", value_name = "CMD")]
    pub session_command: Option<String>,
    /// Seconds before a session command is killed.
    #[arg(long, env = "ALERTGATE_SESSION_TIMEOUT", default_value_t = 600)]
    pub session_timeout: u64,
    /// Authenticated webhook requests per minute per client IP.
    #[arg(long, env = "ALERTGATE_RATE_LIMIT_IP", default_value_t = 100)]
    pub rate_limit_ip: u32,
    /// Authenticated webhook requests per minute in all.
    #[arg(long, env = "ALERTGATE_RATE_LIMIT_GLOBAL", default_value_t = 1000)]
    pub rate_limit_global: u32,
    /// Requests that fail authentication, per minute per client IP (then 429).
    #[arg(
        long,
        env = "ALERTGATE_RATE_LIMIT_UNAUTHENTICATED",
        default_value_t = 30
    )]
    pub rate_limit_unauthenticated: u32,
    /// Read requests (`GET /api/v1/*`) per minute per client IP.
    #[arg(long, env = "ALERTGATE_RATE_LIMIT_READ", default_value_t = 600)]
    pub rate_limit_read: u32,
    /// Proxies whose `X-Forwarded-For` is believed (comma-separated CIDRs).
    #[arg(
        long,
        env = "ALERTGATE_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_name = "CIDR"
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Largest body on the integration routes (`max_body` per integration overrides it).
    #[arg(long, env = "ALERTGATE_MAX_BODY", default_value = "16MiB", value_parser = parse_size)]
    pub max_body: usize,
    /// Largest body on `/api/v1/webhook` and `/api/v1/sessions`.
    #[arg(long, env = "ALERTGATE_MAX_WEBHOOK_BODY", default_value = "1MiB", value_parser = parse_size)]
    pub max_webhook_body: usize,
    /// Most alerts one request may carry (413 `too_many_alerts` above).
    #[arg(long, env = "ALERTGATE_MAX_ALERTS", default_value_t = 20_000)]
    pub max_alerts: usize,
    /// Time a client has to send its request headers; also how long an idle
    /// keep-alive connection is kept (hyper's header timer runs while it waits).
    #[arg(long, env = "ALERTGATE_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_timeout: Duration,
    /// Time a client has to send its whole body, from its headers on.
    #[arg(long, env = "ALERTGATE_BODY_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub body_timeout: Duration,
    /// Most connections open at once; more are closed as they arrive.
    #[arg(long, env = "ALERTGATE_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Most connections open at once from one peer address (trusted proxies
    /// excepted), so one client cannot take every connection.
    #[arg(long, env = "ALERTGATE_MAX_CONNECTIONS_PER_IP", default_value_t = 64)]
    pub max_connections_per_ip: usize,
    /// On SIGTERM, how long open requests may take before their connections are dropped.
    #[arg(long, env = "ALERTGATE_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
    /// How long a delivery's identity is remembered to recognise replays (at
    /// least twice a scheme's timestamp tolerance).
    #[arg(long, env = "ALERTGATE_REPLAY_RETENTION", default_value = "24h", value_parser = parse_duration)]
    pub replay_retention: Duration,
    /// Received bodies, occurrences and finished deliveries older than this are
    /// pruned in the background; incidents and sessions stay.
    #[arg(long, env = "ALERTGATE_RETENTION", default_value = "30d", value_parser = parse_duration)]
    pub retention: Duration,
    /// Attempts per outgoing webhook delivery.
    #[arg(long, env = "ALERTGATE_DELIVERY_ATTEMPTS", default_value_t = 5)]
    pub delivery_attempts: u32,
    /// First retry delay of outgoing deliveries, in milliseconds (doubles each attempt).
    #[arg(long, env = "ALERTGATE_DELIVERY_BACKOFF_MS", default_value_t = 2000)]
    pub delivery_backoff_ms: u64,
    /// Outgoing deliveries sent at once.
    #[arg(long, env = "ALERTGATE_DELIVERY_CONCURRENCY", default_value_t = 16)]
    pub delivery_concurrency: usize,
}

/// How far an acknowledged write is carried before the answer is sent.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: on disk, through a power loss or OS crash.
    Full,
    /// `synchronous=NORMAL`: through a killed process, not an OS crash.
    Process,
}

/// `10s`, `500ms`, `5m`, `24h`, `30d`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("'{t}' is not a duration like 10s, 5m, 24h or 30d"))?;
    let secs = match unit.trim() {
        "ms" => return Ok(Duration::from_millis(n)),
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("'{t}': the unit is one of ms, s, m, h, d")),
    };
    Ok(Duration::from_secs(n.saturating_mul(secs)))
}

/// `16MiB`, `512KiB`, `1MB`, `4096`; a bare number is bytes.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: usize = n
        .parse()
        .map_err(|_| format!("'{t}' is not a size like 16MiB or 4096"))?;
    let scale: usize = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" | "kB" => 1000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => {
            return Err(format!(
                "'{t}': the unit is one of B, KiB, MiB, GiB, KB, MB, GB"
            ));
        }
    };
    n.checked_mul(scale)
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("'{t}' is not a usable size"))
}

/// A rate as the integrations file writes it: `300/5m` (requests per period), `60/m`.
pub fn parse_rate(text: &str) -> Result<governor::Quota, String> {
    let t = text.trim();
    let bad = || format!("rate_limit '{t}' is not like 300/5m or 60/1m");
    let (n, per) = t.split_once('/').ok_or_else(bad)?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    let per = per.trim();
    let period = if per.starts_with(|c: char| c.is_ascii_digit()) {
        parse_duration(per)?
    } else {
        parse_duration(&format!("1{per}"))?
    };
    let n = std::num::NonZeroU32::new(n).ok_or_else(bad)?;
    if period.is_zero() {
        return Err(bad());
    }
    governor::Quota::with_period(period / n.get())
        .map(|q| q.allow_burst(n))
        .ok_or_else(bad)
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    integrations: BTreeMap<String, IntegrationToml>,
    #[serde(default)]
    outgoing: Vec<OutgoingToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntegrationToml {
    #[serde(default = "auto")]
    source: String,
    auth: String,
    #[serde(default)]
    secrets: Vec<String>,
    signature_header: Option<String>,
    timestamp_header: Option<String>,
    timestamp_unit: Option<String>,
    id_header: Option<String>,
    prefix: Option<String>,
    signed_content: Option<String>,
    tolerance: Option<u64>,
    mapping: Option<PathBuf>,
    default_severity: Option<String>,
    #[serde(default)]
    filters: Vec<String>,
    max_body: Option<SizeToml>,
    rate_limit: Option<String>,
    replay: Option<String>,
    topic_arn: Option<String>,
    #[serde(default)]
    sns_confirm: bool,
}

/// A size as a number of bytes or a text like `32MiB`.
#[derive(Deserialize)]
#[serde(untagged)]
enum SizeToml {
    Bytes(u64),
    Text(String),
}

fn auto() -> String {
    String::from("auto")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutgoingToml {
    url: String,
    secret: String,
    events: Vec<String>,
}

/// The events an outgoing webhook may subscribe to.
pub const EVENTS: &[&str] = &[
    "incident.created",
    "incident.acknowledged",
    "incident.resolved",
    "session.completed",
];

/// One integration, ready to serve.
pub struct Integration {
    pub name: String,
    pub source: Option<Source>,
    /// `None` only when the file says `auth = "none"`.
    pub verifier: Option<Verifier>,
    pub mapping: Option<Mapping>,
    pub default_severity: Option<Severity>,
    pub filters: Vec<Filter>,
    /// Largest body accepted (`--max-body` unless the file sets `max_body`).
    pub max_body: usize,
    /// The integration's own rate limit, shared by all its senders.
    pub limit: Option<super::access::DirectLimiter>,
    /// The same limit as a bucket: its size and the time it takes to refill
    /// whole (a shared bucket on PostgreSQL).
    pub limit_rate: Option<(u32, Duration)>,
    /// How a replay of an accepted request is recognised.
    pub replay: Replay,
    /// SNS: confirm a subscription by fetching its `SubscribeURL` once the
    /// confirmation's signature holds.
    pub sns_confirm: bool,
}

/// How an integration recognises a replayed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// The scheme's delivery id, else its timestamped signature; nothing for
    /// schemes that have neither.
    Auto,
    /// Also the signature of schemes without id or timestamp: the same signed
    /// body within the retention window is a replay, even if sent on purpose.
    Signature,
    /// Never.
    Off,
}

/// One outgoing webhook target.
pub struct Outgoing {
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
}

/// Everything the integrations file configures.
#[derive(Default)]
pub struct Integrations {
    pub by_name: BTreeMap<String, Integration>,
    pub outgoing: Vec<Outgoing>,
}

/// A filter: `<field> <op> [<value>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    pub field: Field,
    pub op: Op,
}

/// What a filter looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Title,
    Severity,
    Status,
    Service,
    Host,
    Source,
    Label(String),
    Annotation(String),
    Pointer(String),
}

/// How it compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Eq(String),
    Ne(String),
    In(Vec<String>),
    Exists,
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(s)
        .to_owned()
}

impl Filter {
    /// Parses `labels.env in [prod, staging]`, `/metadata/branch != main`, `service exists`.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let t = text.trim();
        let (field, rest) = t
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("filter '{t}': expected '<field> <op> [<value>]'"))?;
        let field = match field {
            "title" => Field::Title,
            "severity" => Field::Severity,
            "status" => Field::Status,
            "service" => Field::Service,
            "host" => Field::Host,
            "source" => Field::Source,
            f if f.starts_with('/') => Field::Pointer(f.to_owned()),
            f => match f.split_once('.') {
                Some(("labels", k)) if !k.is_empty() => Field::Label(k.to_owned()),
                Some(("annotations", k)) if !k.is_empty() => Field::Annotation(k.to_owned()),
                _ => {
                    return Err(format!(
                        "filter '{t}': unknown field '{f}' (title, severity, status, service, host, source, labels.<k>, annotations.<k> or a /json/pointer)"
                    ));
                }
            },
        };
        let rest = rest.trim();
        let (op, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let op = match (op, value.trim()) {
            ("==", v) if !v.is_empty() => Op::Eq(unquote(v)),
            ("!=", v) if !v.is_empty() => Op::Ne(unquote(v)),
            ("in", v) => {
                let inner = v
                    .strip_prefix('[')
                    .and_then(|v| v.strip_suffix(']'))
                    .ok_or_else(|| format!("filter '{t}': 'in' takes a list like [a, b]"))?;
                Op::In(
                    inner
                        .split(',')
                        .map(unquote)
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            }
            ("exists", "") => Op::Exists,
            _ => {
                return Err(format!(
                    "filter '{t}': expected an operator ==, !=, in or exists with its value"
                ));
            }
        };
        Ok(Filter {
            text: t.to_owned(),
            field,
            op,
        })
    }

    /// Whether the filter holds for this value (`None` when the field is absent).
    pub fn holds(&self, value: Option<&str>) -> bool {
        match (&self.op, value) {
            (Op::Exists, v) => v.is_some(),
            (Op::Eq(want), Some(v)) => v == want,
            (Op::Eq(_), None) => false,
            (Op::Ne(want), v) => v != Some(want.as_str()),
            (Op::In(list), Some(v)) => list.iter().any(|w| w == v),
            (Op::In(_), None) => false,
        }
    }
}

/// The line where `[integrations.<name>]` starts, for error messages.
fn line_of(text: &str, name: &str) -> usize {
    let quoted = format!("[integrations.\"{name}\"]");
    let plain = format!("[integrations.{name}]");
    text.lines()
        .position(|l| {
            let l = l.trim();
            l.starts_with(&plain) || l.starts_with(&quoted)
        })
        .map_or(1, |i| i + 1)
}

fn severity(word: &str) -> Option<Severity> {
    Severity::ALL
        .iter()
        .copied()
        .find(|s| s.as_str().eq_ignore_ascii_case(word.trim()))
}

/// Loads and checks the integrations file; an error names the file and line.
pub fn load(path: &Path, args: &ServeArgs) -> Result<Integrations, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: File = toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(1, |s| {
            text[..s.start.min(text.len())].lines().count().max(1)
        });
        format!("{}:{line}: {}", path.display(), e.message())
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut out = Integrations::default();
    for (name, t) in file.integrations {
        let at = |msg: String| {
            format!(
                "{}:{}: integration '{name}': {msg}",
                path.display(),
                line_of(&text, &name)
            )
        };
        let source = match t.source.as_str() {
            "auto" => None,
            id => Some(id.parse::<Source>().map_err(|e| at(e.to_string()))?),
        };
        let verifier = if t.auth == "none" {
            None
        } else {
            let scheme = t.auth.parse::<Scheme>().map_err(|e| at(e.to_string()))?;
            let mut o = VerifyOptions::default();
            if let Some(tol) = t.tolerance {
                o.tolerance = tol;
            }
            o.signature_header = t.signature_header;
            o.timestamp_header = t.timestamp_header;
            o.id_header = t.id_header;
            o.prefix = t.prefix;
            o.topic_arn = t.topic_arn;
            if let Some(u) = &t.timestamp_unit {
                o.timestamp_unit = u.parse().map_err(|e: alertgate::Error| at(e.to_string()))?;
            }
            if let Some(c) = &t.signed_content {
                o.signed_content =
                    Some(c.parse().map_err(|e: alertgate::Error| at(e.to_string()))?);
            }
            Some(Verifier::new(scheme, &t.secrets, &o).map_err(|e| at(e.to_string()))?)
        };
        let mapping = match &t.mapping {
            Some(p) => {
                let p = base.join(p);
                let json =
                    std::fs::read_to_string(&p).map_err(|e| at(format!("{}: {e}", p.display())))?;
                Some(Mapping::from_json(&json).map_err(|e| at(e.to_string()))?)
            }
            None => None,
        };
        if mapping.is_some() && source.is_some() {
            return Err(at(String::from(
                "set either a source or a mapping, not both",
            )));
        }
        let default_severity = match &t.default_severity {
            Some(w) => Some(severity(w).ok_or_else(|| {
                at(format!(
                    "default_severity '{w}' is not critical, error, warning or info"
                ))
            })?),
            None => None,
        };
        let filters = t
            .filters
            .iter()
            .map(|f| Filter::parse(f).map_err(at))
            .collect::<Result<_, _>>()?;
        let max_body = match &t.max_body {
            None => args.max_body,
            Some(SizeToml::Bytes(n)) => usize::try_from(*n)
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| at(format!("max_body {n} is not a usable size")))?,
            Some(SizeToml::Text(text)) => parse_size(text).map_err(at)?,
        };
        let quota = match &t.rate_limit {
            Some(r) => Some(parse_rate(r).map_err(at)?),
            None => None,
        };
        let limit_rate = quota.map(|q| {
            let n = q.burst_size().get();
            (n, q.replenish_interval() * n)
        });
        let limit = quota.map(super::access::direct);
        let replay = match t.replay.as_deref().unwrap_or("auto") {
            "auto" => Replay::Auto,
            "signature" => Replay::Signature,
            "off" => Replay::Off,
            other => {
                return Err(at(format!(
                    "replay '{other}' is not auto, signature or off"
                )));
            }
        };
        if replay == Replay::Signature
            && verifier
                .as_ref()
                .is_none_or(|v| matches!(v.scheme(), Scheme::Bearer | Scheme::SharedSecret))
        {
            return Err(at(String::from(
                "replay = \"signature\" needs a signature scheme",
            )));
        }
        let is_sns = verifier.as_ref().is_some_and(|v| v.scheme() == Scheme::Sns);
        if t.sns_confirm && !is_sns {
            return Err(at(String::from("sns_confirm needs auth = \"sns\"")));
        }
        out.by_name.insert(
            name.clone(),
            Integration {
                name,
                source,
                verifier,
                mapping,
                default_severity,
                filters,
                max_body,
                limit,
                limit_rate,
                replay,
                sns_confirm: t.sns_confirm,
            },
        );
    }
    for (i, o) in file.outgoing.into_iter().enumerate() {
        let at = |msg: String| format!("{}: outgoing[{i}]: {msg}", path.display());
        if !o.url.starts_with("http://") && !o.url.starts_with("https://") {
            return Err(at(format!("url '{}' is not http(s)", o.url)));
        }
        if o.secret.trim().is_empty() {
            return Err(at(String::from("secret is empty")));
        }
        if let Some(bad) = o.events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
            return Err(at(format!(
                "unknown event '{bad}' (one of {})",
                EVENTS.join(", ")
            )));
        }
        out.outgoing.push(Outgoing {
            url: o.url,
            secret: o.secret,
            events: o.events,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_and_hold() {
        let f = Filter::parse("labels.env in [prod, 'staging']").unwrap();
        assert_eq!(f.field, Field::Label("env".into()));
        assert!(f.holds(Some("staging")) && !f.holds(Some("dev")) && !f.holds(None));
        let f = Filter::parse("/metadata/branch != main").unwrap();
        assert!(f.holds(Some("dev")) && f.holds(None) && !f.holds(Some("main")));
        assert!(Filter::parse("service exists").unwrap().holds(Some("x")));
        assert!(
            Filter::parse("severity == \"critical\"")
                .unwrap()
                .holds(Some("critical"))
        );
        for bad in [
            "service",
            "nope == 1",
            "title ~= x",
            "labels. == x",
            "title in prod",
            "title ==",
        ] {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
    }
}
