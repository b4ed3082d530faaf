//! `alertgate`: the reference CLI (and, later, server) around the alertgate core.
//!
//! `alertgate serve` runs the reference server; `alertgate ingest` reads one
//! webhook body and prints the canonical JSON (exit 0 ingested, 1 the input was
//! rejected with the error JSON on stdout, 2 the command line was wrong);
//! `verify` and `sign` check and make webhook signatures.

mod serve;

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use alertgate::{
    Error, Limits, Mapping, Options, Request, Scheme, Source, Verifier, VerifyOptions,
};
use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "alertgate",
    version,
    about = "Turn any alert webhook into one canonical alert"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: alert sessions, per-integration endpoints, incidents, outgoing webhooks.
    Serve(serve::ServeArgs),
    /// Read one webhook body and print the canonical JSON.
    Ingest(IngestArgs),
    /// Verify a webhook's credentials or signature against its raw body.
    Verify(VerifyArgs),
    /// Print the headers a sender of a scheme would send for a body.
    Sign(SignArgs),
}

/// A scheme and its secrets and settings, shared by `verify` and `sign`.
#[derive(clap::Args)]
struct SchemeArgs {
    /// The scheme: bearer, basic, shared_secret, hmac_sha256, github, opsknight, opshift,
    /// grafana, pagerduty, sentry, slack, stripe, standard_webhooks, svix, sns.
    #[arg(long, value_name = "NAME")]
    scheme: String,
    /// A secret; repeat for rotation (any one verifying passes; `sign` uses the first).
    /// basic: `user:password`; standard_webhooks/svix: `whsec_…`, or `whpk_…` /
    /// `whsk_…` ed25519 keys (v1a); sns takes none.
    #[arg(long = "secret", value_name = "S")]
    secrets: Vec<String>,
    /// The only SNS topic accepted (sns).
    #[arg(long, value_name = "ARN")]
    topic_arn: Option<String>,
    /// The signature header (hmac_sha256, grafana) or secret header (shared_secret).
    #[arg(long, value_name = "H")]
    signature_header: Option<String>,
    /// The timestamp header (hmac_sha256, grafana).
    #[arg(long, value_name = "H")]
    timestamp_header: Option<String>,
    /// The timestamp header's unit (hmac_sha256).
    #[arg(long, value_name = "s|ms")]
    timestamp_unit: Option<String>,
    /// The message id header for {id}.{ts}.{body} (hmac_sha256).
    #[arg(long, value_name = "H")]
    id_header: Option<String>,
    /// The prefix before the hex signature, e.g. sha256= (hmac_sha256).
    #[arg(long, value_name = "P")]
    prefix: Option<String>,
    /// What is signed: {body}, {ts}.{body}, {ts}:{body}, {id}.{ts}.{body} (hmac_sha256).
    #[arg(long, value_name = "TEMPLATE")]
    signed_content: Option<String>,
}

impl SchemeArgs {
    fn verifier(&self, tolerance: u64) -> Result<Verifier, Error> {
        let mut o = VerifyOptions::default();
        o.tolerance = tolerance;
        o.signature_header.clone_from(&self.signature_header);
        o.timestamp_header.clone_from(&self.timestamp_header);
        o.id_header.clone_from(&self.id_header);
        o.prefix.clone_from(&self.prefix);
        o.topic_arn.clone_from(&self.topic_arn);
        if let Some(unit) = &self.timestamp_unit {
            o.timestamp_unit = unit.parse()?;
        }
        if let Some(template) = &self.signed_content {
            o.signed_content = Some(template.parse()?);
        }
        Verifier::new(self.scheme.parse::<Scheme>()?, &self.secrets, &o)
    }
}

#[derive(clap::Args)]
struct VerifyArgs {
    #[command(flatten)]
    scheme: SchemeArgs,
    /// Largest allowed |now - timestamp|, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    tolerance: u64,
    /// The time to check timestamps against, Unix seconds (default: the system clock).
    #[arg(long, value_name = "UNIX")]
    now: Option<i64>,
    /// A request header, as 'Name: value'; repeatable.
    #[arg(short = 'H', long = "header", value_name = "'Name: value'", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// The signing certificate (PEM or DER) fetched from the message's
    /// SigningCertURL (sns; `alertgate verify` never fetches anything).
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// The raw body; `-` or nothing reads stdin.
    #[arg(value_name = "FILE|-")]
    file: Option<PathBuf>,
}

#[derive(clap::Args)]
struct SignArgs {
    #[command(flatten)]
    scheme: SchemeArgs,
    /// The timestamp to sign, Unix seconds (default: the system clock).
    #[arg(long, value_name = "T")]
    timestamp: Option<i64>,
    /// The message id (standard_webhooks; default: derived from the body and timestamp).
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// The raw body; `-` or nothing reads stdin.
    #[arg(value_name = "FILE|-")]
    file: Option<PathBuf>,
}

#[derive(clap::Args)]
struct IngestArgs {
    /// The body's content type (default: the Content-Type header, else sniffed).
    #[arg(long, value_name = "CT")]
    content_type: Option<String>,
    /// A request header, as 'Name: value'; repeatable.
    #[arg(short = 'H', long = "header", value_name = "'Name: value'", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Read the payload as this source instead of detecting it (e.g. alertmanager).
    #[arg(long, value_name = "ID")]
    source: Option<String>,
    /// The highest tier a payload's `tier` field may ask for.
    #[arg(long, value_name = "N", default_value_t = 3)]
    max_tier: u32,
    /// Reject over-long fields instead of cutting them.
    #[arg(long)]
    strict: bool,
    /// Pretty-print the JSON.
    #[arg(long)]
    pretty: bool,
    /// Add an `explanation`: the detection rules tried and where every field came from.
    #[arg(long)]
    explain: bool,
    /// Add an investigation brief: from the LLM configured by ALERTGATE_LLM_* when a
    /// key is set, else the offline template.
    #[arg(long)]
    brief: bool,
    /// Read the payload with a custom mapping (a JSON file; see the README).
    #[arg(long, value_name = "FILE", conflicts_with = "source")]
    mapping: Option<PathBuf>,
    /// The body; `-` or nothing reads stdin.
    #[arg(value_name = "FILE|-")]
    file: Option<PathBuf>,
}

fn parse_header(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(format!("expected 'Name: value', got '{s}'")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve_main(args),
        Command::Ingest(args) => ingest(args),
        Command::Verify(args) => verify(args),
        Command::Sign(args) => sign(args),
    }
}

fn serve_main(args: serve::ServeArgs) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ALERTGATE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("alertgate: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(serve::run(args));
    // Connections past the shutdown deadline and blocking calls still under way
    // (an LLM request, a delivery) are not waited for again.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("alertgate: {e}");
            ExitCode::from(1)
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A configuration error: the error JSON on stdout, exit 2.
fn config_error(e: &Error) -> ExitCode {
    print_line(&e.to_json());
    ExitCode::from(2)
}

fn verify(args: VerifyArgs) -> ExitCode {
    let verifier = match args.scheme.verifier(args.tolerance) {
        Ok(v) => v,
        Err(e) => return config_error(&e),
    };
    let body = match read_body(args.file.as_deref()) {
        Ok(body) => body,
        Err(e) => return fail(&io_error_json(&format!("cannot read the body: {e}"))),
    };
    let headers: Vec<(&str, &str)> = args
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let now = args.now.unwrap_or_else(unix_now);
    let verified = match (&args.cert, verifier.scheme()) {
        (Some(path), _) => match std::fs::read(path) {
            Ok(cert) => verifier.verify_with_certificate(&headers, &body, now, &cert),
            Err(e) => {
                return fail(&io_error_json(&format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        },
        (None, Scheme::Sns) => {
            return config_error(&Error::InvalidConfig {
                message: String::from(
                    "scheme sns needs the signing certificate: fetch the message's SigningCertURL and pass the file with --cert",
                ),
            });
        }
        (None, _) => verifier.verify(&headers, &body, now),
    };
    match verified {
        Ok(()) => {
            print_line(r#"{"valid":true}"#);
            ExitCode::SUCCESS
        }
        Err(e) => {
            let out =
                serde_json::json!({"valid": false, "code": e.code(), "message": e.to_string()});
            print_line(&format!(
                r#"{{"valid":false,"code":{},"message":{}}}"#,
                out["code"], out["message"]
            ));
            ExitCode::from(1)
        }
    }
}

fn sign(args: SignArgs) -> ExitCode {
    let signer = match args.scheme.verifier(300) {
        Ok(v) => v,
        Err(e) => return config_error(&e),
    };
    let body = match read_body(args.file.as_deref()) {
        Ok(body) => body,
        Err(e) => return fail(&io_error_json(&format!("cannot read the body: {e}"))),
    };
    let timestamp = args.timestamp.unwrap_or_else(unix_now);
    // A stable id for the same body and time, so retries of one message share it.
    let id = args.id.clone().unwrap_or_else(|| {
        let mut seed = body.clone();
        seed.extend_from_slice(timestamp.to_string().as_bytes());
        format!(
            "msg_{}",
            &alertgate::content_key("sign", None, None, &String::from_utf8_lossy(&seed))[..24]
        )
    });
    match signer.sign(&body, Some(timestamp), Some(&id)) {
        Ok(headers) => {
            print_line(&alertgate::headers_json(&headers));
            ExitCode::SUCCESS
        }
        Err(e) => config_error(&e),
    }
}

fn ingest(args: IngestArgs) -> ExitCode {
    let body = match read_body(args.file.as_deref()) {
        Ok(body) => body,
        Err(e) => {
            let name = args
                .file
                .as_deref()
                .map_or_else(|| "stdin".to_owned(), |p| p.display().to_string());
            return fail(&io_error_json(&format!("cannot read {name}: {e}")));
        }
    };
    let mut options = Options::default();
    if let Some(name) = &args.source {
        match name.parse::<Source>() {
            Ok(source) => options.source_hint = Some(source),
            Err(e) => return reject(&e),
        }
    }
    options.max_tier = args.max_tier;
    options.explain = args.explain;
    if let Some(path) = &args.mapping {
        let loaded = std::fs::read_to_string(path)
            .map_err(|e| io_error_json(&format!("cannot read {}: {e}", path.display())))
            .and_then(|text| Mapping::from_json(&text).map_err(|e| e.to_json()));
        match loaded {
            Ok(m) => options.mapping = Some(m),
            // A bad mapping is configuration, like a bad verifier: exit 2.
            Err(json) => {
                print_line(&json);
                return ExitCode::from(2);
            }
        }
    }
    if args.strict {
        options.limits = Limits::strict();
    }
    let headers: Vec<(&str, &str)> = args
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let request = Request {
        body: &body,
        content_type: args.content_type.as_deref(),
        headers: &headers,
    };
    let out = match alertgate::ingest(&request, &options) {
        Ok(out) => out,
        Err(e) => return reject(&e),
    };
    let text = if args.brief {
        let config = alertgate_synth::SynthConfig::from_env();
        let brief = match alertgate_synth::brief(&out, &body, &config) {
            Ok(b) => b,
            Err(e) => return fail(&e.to_json()),
        };
        let with = WithBrief {
            ingest: &out,
            brief: &brief.text,
            synthesized_by: brief.synthesized_by,
            model: brief.model.as_deref(),
        };
        if args.pretty {
            serde_json::to_string_pretty(&with)
        } else {
            serde_json::to_string(&with)
        }
        .unwrap_or_default()
    } else if args.pretty {
        serde_json::to_string_pretty(&out).unwrap_or_default()
    } else {
        out.to_json()
    };
    print_line(&text);
    ExitCode::SUCCESS
}

/// The canonical fields, then the brief (same object, extra keys).
#[derive(serde::Serialize)]
struct WithBrief<'a> {
    #[serde(flatten)]
    ingest: &'a alertgate::Ingest<'a>,
    brief: &'a str,
    synthesized_by: &'a str,
    model: Option<&'a str>,
}

fn read_body(file: Option<&std::path::Path>) -> io::Result<Vec<u8>> {
    match file {
        Some(path) if path.as_os_str() != "-" => std::fs::read(path),
        _ => {
            let mut body = Vec::new();
            io::stdin().lock().read_to_end(&mut body)?;
            Ok(body)
        }
    }
}

fn reject(e: &Error) -> ExitCode {
    fail(&e.to_json())
}

fn fail(json: &str) -> ExitCode {
    print_line(json);
    ExitCode::from(1)
}

/// The error shape of `Error::to_json` for a file that could not be read.
fn io_error_json(message: &str) -> String {
    let message = serde_json::Value::from(message);
    format!(r#"{{"error":{{"code":"io_error","message":{message},"http_status":500}}}}"#)
}

fn print_line(text: &str) {
    let mut out = io::stdout().lock();
    // A closed pipe (`alertgate ingest … | head`) is not worth a panic.
    let _ = writeln!(out, "{text}");
}
