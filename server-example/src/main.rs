//! `alertgate`: the reference CLI (and, later, server) around the alertgate core.
//!
//! `alertgate ingest` reads one webhook body and prints the canonical JSON.
//! Exit codes: 0 ingested, 1 the input was rejected (the error JSON is on
//! stdout), 2 the command line was wrong.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use alertgate::{Error, Limits, Options, Request, Source};
use clap::{Parser, Subcommand};

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
    /// Read one webhook body and print the canonical JSON.
    Ingest(IngestArgs),
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
        Command::Ingest(args) => ingest(args),
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
    match alertgate::ingest(&request, &options) {
        Ok(out) => {
            let text = if args.pretty {
                serde_json::to_string_pretty(&out).unwrap_or_default()
            } else {
                out.to_json()
            };
            print_line(&text);
            ExitCode::SUCCESS
        }
        Err(e) => reject(&e),
    }
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
