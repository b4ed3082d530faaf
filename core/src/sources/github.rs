//! GitHub repository and app webhooks: failed CI (`workflow_run`,
//! `check_run`, `check_suite`) and security alerts (`dependabot_alert`,
//! `code_scanning_alert`, `secret_scanning_alert`) become alerts; everything
//! else (`ping`, successful runs, other events) is a well-formed request with
//! no alert.
//!
//! The event is named by the `X-GitHub-Event` header, but readers see only
//! the body, so the event is recognised by its top-level object. Bodies come
//! as JSON, or as a form with the JSON in its `payload` field.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;

use serde::Deserialize;

use super::{Headers, Sender};
use crate::Notice;
use crate::builder::{Builder, Draft};
use crate::ingest::Payload;
use crate::json::{self, Kind, Probe, Text, cow};
use crate::{Error, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Github,
    header_rule: "X-GitHub-Event header, or User-Agent starts with GitHub-Hookshot/",
    by_header,
    shape_rule: "'workflow_run', 'check_run', 'check_suite' or security 'alert' object with 'repository', or 'zen' with 'hook_id'",
    by_shape,
    parse,
};

fn by_header(req: &Headers<'_, '_>) -> Option<&'static str> {
    if req.header("x-github-event").is_some() {
        Some("X-GitHub-Event header")
    } else if req.user_agent_starts_with("GitHub-Hookshot/") {
        Some("User-Agent starts with GitHub-Hookshot/")
    } else {
        None
    }
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    let repo = probe.is("repository", Kind::Object);
    if repo && probe.is("workflow_run", Kind::Object) {
        Some("'workflow_run' object with 'repository'")
    } else if repo && probe.is("check_run", Kind::Object) {
        Some("'check_run' object with 'repository'")
    } else if repo && probe.is("check_suite", Kind::Object) {
        Some("'check_suite' object with 'repository'")
    } else if repo && probe.is("alert", Kind::Object) && probe.has("action") {
        Some("security 'alert' object with 'action' and 'repository'")
    } else if probe.has("zen") && probe.has("hook_id") {
        Some("'zen' with 'hook_id'")
    } else {
        None
    }
}

/// The security-alert events, by their `X-GitHub-Event` name.
const SECURITY_EVENTS: &[&str] = &[
    "dependabot_alert",
    "code_scanning_alert",
    "secret_scanning_alert",
];

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    match p {
        Payload::Json { text, probe } => parse_json(text, probe, b),
        // "Content type: application/x-www-form-urlencoded": the JSON is in `payload`.
        Payload::Form(fields) => {
            let Some((_, body)) = fields.iter().find(|(k, _)| k == "payload") else {
                return Err(b.mismatch("missing required field 'payload'"));
            };
            let probe = match json::probe(body, b.opts.limits.max_depth) {
                Ok(probe) => probe,
                Err(e @ Error::TooDeep { .. }) => return Err(e),
                Err(e) => {
                    return Err(
                        b.mismatch(format!("form field 'payload' is not a JSON object: {e}"))
                    );
                }
            };
            // The decoded field lives in the payload, not the body: read it
            // with a builder of its own and take the alerts over as owned text.
            let mut sub = b.scoped();
            parse_json(body, &probe, &mut sub)?;
            b.absorb(sub);
            Ok(())
        }
        Payload::Text(_) => Err(b.mismatch("expected a JSON object, got plain text")),
    }
}

/// Top-level objects that name the event they belong to (for the notice).
const EVENT_OBJECTS: &[(&str, &str)] = &[
    ("deployment_status", "deployment_status"),
    ("deployment", "deployment"),
    ("workflow_job", "workflow_job"),
    ("pull_request", "pull_request"),
    ("issue", "issues"),
    ("release", "release"),
    ("discussion", "discussion"),
    ("pusher", "push"),
    ("forkee", "fork"),
    ("alert", "code_scanning_alert"),
    ("package", "package"),
    ("membership", "membership"),
];

fn parse_json<'a>(text: &'a str, probe: &Probe<'_>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let object = |key: &str| probe.is(key, Kind::Object);
    // The X-GitHub-Event header names the event exactly; the payload is the fallback.
    if let Some(event) = b.header("X-GitHub-Event").filter(|e| !e.is_empty()) {
        match event {
            "workflow_run" | "check_run" | "check_suite" | "ping" => {}
            e if SECURITY_EVENTS.contains(&e) && object("alert") => {
                let a: SecurityEvent<'_> = b.typed(text)?;
                return security_alert(a, Some(e), b);
            }
            other => {
                b.notice = Some(Notice::NotAnAlert);
                b.annotate("event", other);
                return Ok(());
            }
        }
    }
    // `deployment_status` also carries `workflow_run`: it is not a run event.
    if !object("deployment") {
        if object("workflow_run") {
            let e: WorkflowRunEvent<'_> = b.typed(text)?;
            return workflow_run(e, b);
        }
        if object("check_run") {
            let e: CheckRunEvent<'_> = b.typed(text)?;
            return check_run(e, b);
        }
        if object("check_suite") {
            let e: CheckSuiteEvent<'_> = b.typed(text)?;
            return check_suite(e, b);
        }
    }
    if object("alert") && object("repository") && probe.has("action") {
        let a: SecurityEvent<'_> = b.typed(text)?;
        return security_alert(a, None, b);
    }
    if probe.has("zen") && probe.has("hook_id") {
        let ping: Ping<'_> = b.typed(text)?;
        b.notice = Some(Notice::TestNotification);
        b.annotate("event", "ping");
        if let Some(id) = ping.hook_id {
            b.annotate("hook_id", id.as_str());
        }
        if let Some(zen) = ping.zen {
            b.annotate("zen", zen.as_str());
        }
        return Ok(());
    }
    let github_like = ["repository", "sender", "organization", "installation"]
        .iter()
        .any(|k| object(k));
    if !github_like {
        return Err(b.mismatch("missing required field 'repository'"));
    }
    let event = EVENT_OBJECTS
        .iter()
        .find(|(key, _)| probe.has(key))
        .map_or("event", |&(_, name)| name);
    b.notice = Some(Notice::NotAnAlert);
    b.annotate("event", event);
    Ok(())
}

#[derive(Deserialize)]
struct Ping<'a> {
    #[serde(borrow)]
    zen: Option<Text<'a>>,
    #[serde(borrow)]
    hook_id: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Repo<'a> {
    #[serde(borrow)]
    full_name: Option<Text<'a>>,
    #[serde(borrow)]
    html_url: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct User<'a> {
    #[serde(borrow)]
    login: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Commit<'a> {
    #[serde(borrow)]
    message: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct App<'a> {
    #[serde(borrow)]
    slug: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct WorkflowRunEvent<'a> {
    #[serde(borrow)]
    action: Option<Text<'a>>,
    #[serde(borrow)]
    workflow_run: Run<'a>,
    #[serde(borrow)]
    workflow: Option<Workflow<'a>>,
    #[serde(borrow)]
    repository: Option<Repo<'a>>,
}

#[derive(Deserialize)]
struct Run<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    display_title: Option<Text<'a>>,
    #[serde(borrow)]
    head_branch: Option<Text<'a>>,
    #[serde(borrow)]
    head_sha: Option<Text<'a>>,
    #[serde(borrow)]
    run_number: Option<Text<'a>>,
    #[serde(borrow)]
    run_attempt: Option<Text<'a>>,
    #[serde(borrow)]
    event: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    conclusion: Option<Text<'a>>,
    #[serde(borrow)]
    workflow_id: Option<Text<'a>>,
    #[serde(borrow)]
    path: Option<Text<'a>>,
    #[serde(borrow)]
    html_url: Option<Text<'a>>,
    #[serde(borrow)]
    run_started_at: Option<Text<'a>>,
    #[serde(borrow)]
    created_at: Option<Text<'a>>,
    #[serde(borrow)]
    actor: Option<User<'a>>,
    #[serde(borrow)]
    head_commit: Option<Commit<'a>>,
    #[serde(borrow)]
    repository: Option<Repo<'a>>,
}

#[derive(Deserialize)]
struct Workflow<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct CheckRunEvent<'a> {
    #[serde(borrow)]
    action: Option<Text<'a>>,
    #[serde(borrow)]
    check_run: CheckRun<'a>,
    #[serde(borrow)]
    repository: Option<Repo<'a>>,
}

#[derive(Deserialize)]
struct CheckRun<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    head_sha: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    conclusion: Option<Text<'a>>,
    #[serde(borrow)]
    html_url: Option<Text<'a>>,
    #[serde(borrow)]
    details_url: Option<Text<'a>>,
    #[serde(borrow)]
    started_at: Option<Text<'a>>,
    #[serde(borrow)]
    output: Option<Output<'a>>,
    #[serde(borrow)]
    check_suite: Option<SuiteRef<'a>>,
    #[serde(borrow)]
    app: Option<App<'a>>,
}

#[derive(Deserialize)]
struct Output<'a> {
    #[serde(borrow)]
    title: Option<Text<'a>>,
    #[serde(borrow)]
    summary: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct SuiteRef<'a> {
    #[serde(borrow)]
    head_branch: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct CheckSuiteEvent<'a> {
    #[serde(borrow)]
    action: Option<Text<'a>>,
    #[serde(borrow)]
    check_suite: CheckSuite<'a>,
    #[serde(borrow)]
    repository: Option<Repo<'a>>,
}

#[derive(Deserialize)]
struct CheckSuite<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    head_branch: Option<Text<'a>>,
    #[serde(borrow)]
    head_sha: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    conclusion: Option<Text<'a>>,
    #[serde(borrow)]
    created_at: Option<Text<'a>>,
    #[serde(borrow)]
    app: Option<App<'a>>,
    #[serde(borrow)]
    head_commit: Option<Commit<'a>>,
}

/// What a run's conclusion means here.
enum Outcome {
    /// A failure: an alert, with the verb for its title.
    Failed(&'static str),
    /// Not a failure (or not finished): no alert, only a notice.
    Quiet,
    /// A conclusion GitHub did not document when this was written: fail open.
    Unknown,
}

/// `failure`, `timed_out` and `startup_failure` alert; `success`, `neutral`,
/// `skipped`, `cancelled`, `action_required` and `stale` do not.
fn outcome(conclusion: &str) -> Outcome {
    match conclusion {
        "failure" => Outcome::Failed("failed"),
        "timed_out" => Outcome::Failed("timed out"),
        "startup_failure" => Outcome::Failed("failed to start"),
        "success" | "neutral" | "skipped" | "cancelled" | "action_required" | "stale" => {
            Outcome::Quiet
        }
        _ => Outcome::Unknown,
    }
}

/// The conclusion of a completed run, or the notice to give when there is no alert.
fn conclude(
    b: &mut Builder<'_, '_>,
    event: &str,
    action: Option<&Text<'_>>,
    status: Option<&Text<'_>>,
    conclusion: Option<&Text<'_>>,
) -> Option<&'static str> {
    let word = |t: Option<&Text<'_>>| {
        t.map(|t| t.as_str().trim())
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    // Only a completed run concludes; `rerequested`, `requested_action` and
    // the like repeat an earlier conclusion.
    if let Some(action) = word(action).filter(|a| a != "completed") {
        b.notice = Some(Notice::NotAnAlert);
        b.annotate("event", event);
        b.annotate("action", &action);
        return None;
    }
    let Some(conclusion) = word(conclusion) else {
        // Requested, queued, in progress: nothing has failed yet.
        let state = word(status).unwrap_or_default();
        b.notice = Some(Notice::NotAnAlert);
        b.annotate("event", event);
        if !state.is_empty() {
            b.annotate("status", &state);
        }
        return None;
    };
    match outcome(&conclusion.to_ascii_lowercase()) {
        Outcome::Failed(verb) => Some(verb),
        Outcome::Quiet => {
            b.notice = Some(Notice::NotAnAlert);
            b.annotate("event", event);
            b.annotate("conclusion", &conclusion);
            None
        }
        Outcome::Unknown => {
            // Fail open: warns `unknown_status` and gives triggered.
            b.status(Some(&conclusion));
            Some("concluded")
        }
    }
}

/// "CI failed on main", or without a branch "CI failed".
fn title(what: &str, verb: &str, branch: Option<&str>) -> String {
    match branch.map(str::trim).filter(|b| !b.is_empty()) {
        Some(branch) => format!("{what} {verb} on {branch}"),
        None => format!("{what} {verb}"),
    }
}

fn text<'a>(t: &Option<Text<'a>>) -> Option<Cow<'a, str>> {
    t.as_ref()
        .map(|t| t.0.clone())
        .filter(|t| !t.trim().is_empty())
}

/// A `dependabot_alert`, `code_scanning_alert` or `secret_scanning_alert` event.
#[derive(Deserialize)]
struct SecurityEvent<'a> {
    #[serde(borrow)]
    action: Option<Text<'a>>,
    #[serde(borrow)]
    alert: SecurityAlert<'a>,
    #[serde(borrow)]
    repository: Option<Repo<'a>>,
    #[serde(borrow, rename = "ref")]
    git_ref: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct SecurityAlert<'a> {
    #[serde(borrow)]
    number: Option<Text<'a>>,
    #[serde(borrow)]
    html_url: Option<Text<'a>>,
    #[serde(borrow)]
    created_at: Option<Text<'a>>,
    #[serde(borrow)]
    fixed_at: Option<Text<'a>>,
    #[serde(borrow)]
    dismissed_at: Option<Text<'a>>,
    #[serde(borrow)]
    resolved_at: Option<Text<'a>>,
    // dependabot_alert
    #[serde(borrow)]
    security_advisory: Option<Advisory<'a>>,
    #[serde(borrow)]
    security_vulnerability: Option<Vulnerability<'a>>,
    #[serde(borrow)]
    dependency: Option<Dependency<'a>>,
    // code_scanning_alert
    #[serde(borrow)]
    rule: Option<Rule<'a>>,
    #[serde(borrow)]
    tool: Option<Named<'a>>,
    #[serde(borrow, rename = "ref")]
    git_ref: Option<Text<'a>>,
    // secret_scanning_alert
    #[serde(borrow)]
    secret_type: Option<Text<'a>>,
    #[serde(borrow)]
    secret_type_display_name: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Advisory<'a> {
    #[serde(borrow)]
    ghsa_id: Option<Text<'a>>,
    #[serde(borrow)]
    cve_id: Option<Text<'a>>,
    #[serde(borrow)]
    summary: Option<Text<'a>>,
    #[serde(borrow)]
    severity: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Vulnerability<'a> {
    #[serde(borrow)]
    severity: Option<Text<'a>>,
    #[serde(borrow)]
    package: Option<Package<'a>>,
}

#[derive(Deserialize)]
struct Dependency<'a> {
    #[serde(borrow)]
    package: Option<Package<'a>>,
    #[serde(borrow)]
    manifest_path: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Package<'a> {
    #[serde(borrow)]
    ecosystem: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Rule<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    description: Option<Text<'a>>,
    #[serde(borrow)]
    severity: Option<Text<'a>>,
    #[serde(borrow)]
    security_severity_level: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Named<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
}

/// What a security alert's action does to it; `None` for actions that leave
/// it as it was (assignees changed, …).
fn security_lifecycle(action: &str) -> Option<Status> {
    let a = action.trim();
    let any = |words: &[&str]| words.iter().any(|w| a.eq_ignore_ascii_case(w));
    if any(&[
        "created",
        "reopened",
        "reopened_by_user",
        "auto_reopened",
        "reintroduced",
        "appeared_in_branch",
        "validated",
        "publicly_leaked",
    ]) {
        Some(Status::Triggered)
    } else if any(&[
        "fixed",
        "dismissed",
        "auto_dismissed",
        "resolved",
        "closed_by_user",
    ]) {
        Some(Status::Resolved)
    } else {
        None
    }
}

fn security_alert<'a>(
    e: SecurityEvent<'a>,
    event: Option<&str>,
    b: &mut Builder<'_, 'a>,
) -> Result<(), Error> {
    let a = e.alert;
    let kind: &'static str = match event {
        Some("dependabot_alert") => "dependabot",
        Some("secret_scanning_alert") => "secret_scanning",
        Some(_) => "code_scanning",
        None if a.security_advisory.is_some() || a.dependency.is_some() => "dependabot",
        None if a.secret_type.is_some() => "secret_scanning",
        None => "code_scanning",
    };
    let action = text(&e.action);
    let Some(status) = action.as_deref().and_then(security_lifecycle) else {
        b.notice = Some(Notice::NotAnAlert);
        b.annotate("event", &format!("{kind}_alert"));
        if let Some(action) = &action {
            b.annotate("action", action);
        }
        return Ok(());
    };
    let mut d = b.draft();
    d.status = status;
    d.origin("status", "/action");

    let (advisory, vulnerability) = (a.security_advisory, a.security_vulnerability);
    let (rule_name, rule_description, rule_severity, rule_security, rule_id) = match a.rule {
        Some(r) => (
            r.name,
            r.description,
            r.severity,
            r.security_severity_level,
            r.id,
        ),
        None => (None, None, None, None, None),
    };
    let package = a
        .dependency
        .as_ref()
        .and_then(|dep| dep.package.as_ref())
        .or(vulnerability.as_ref().and_then(|v| v.package.as_ref()));
    let package_name = package.and_then(|p| text(&p.name));
    let ecosystem = package.and_then(|p| text(&p.ecosystem));
    let manifest = a
        .dependency
        .as_ref()
        .and_then(|dep| text(&dep.manifest_path));
    let secret = text(&a.secret_type_display_name).or_else(|| text(&a.secret_type));
    let (summary, advisory_severity, ghsa, cve) = match advisory {
        Some(adv) => (
            text(&adv.summary),
            text(&adv.severity),
            text(&adv.ghsa_id),
            text(&adv.cve_id),
        ),
        None => (None, None, None, None),
    };
    d.title = d.pick(
        "title",
        [
            ("/alert/security_advisory/summary", summary),
            ("/alert/rule/description", text(&rule_description)),
            ("/alert/rule/name", text(&rule_name)),
            (
                "/alert/secret_type_display_name, else /alert/secret_type",
                secret
                    .clone()
                    .map(|s| Cow::Owned(format!("Secret exposed: {s}"))),
            ),
        ],
    );
    d.severity_raw = d.pick(
        "severity_raw",
        [
            ("/alert/security_advisory/severity", advisory_severity),
            (
                "/alert/security_vulnerability/severity",
                vulnerability.as_ref().and_then(|v| text(&v.severity)),
            ),
            ("/alert/rule/security_severity_level", text(&rule_security)),
            ("/alert/rule/severity", text(&rule_severity)),
        ],
    );
    // A leaked credential is exploitable as it stands.
    if secret.is_some() && d.severity_raw.is_none() {
        d.implied_severity = Some(crate::Severity::Critical);
    }

    let repo_name = repository(&mut d, e.repository, "/repository/full_name");
    let number = text(&a.number);
    if let Some(n) = &number {
        let key = match &repo_name {
            Some(r) => format!("{r}/{kind}/{n}"),
            None => format!("{kind}/{n}"),
        };
        d.vendor_key = Some(Cow::Owned(key));
        d.origin(
            "dedup_key",
            "/repository/full_name, the alert kind and /alert/number",
        );
        d.source_ref = Some(n.clone());
        d.origin("source_ref", "/alert/number");
    }
    d.started_at = d.pick("started_at", [("/alert/created_at", text(&a.created_at))]);
    if status == Status::Resolved {
        d.ended_at = d.pick(
            "ended_at",
            [
                ("/alert/fixed_at", text(&a.fixed_at)),
                ("/alert/dismissed_at", text(&a.dismissed_at)),
                ("/alert/resolved_at", text(&a.resolved_at)),
            ],
        );
    }
    d.labels
        .push((Cow::Borrowed("alert_kind"), Cow::Borrowed(kind)));
    for (k, v) in [
        ("package", package_name),
        ("ecosystem", ecosystem),
        ("tool", a.tool.as_ref().and_then(|t| text(&t.name))),
        ("rule_id", text(&rule_id)),
        // Not `secret_type`: that key's value would be redacted.
        ("pattern", text(&a.secret_type)),
    ] {
        if let Some(v) = v {
            d.labels.push((Cow::Borrowed(k), v));
        }
    }
    d.origin(
        "labels",
        "repository, the alert kind, and the package, tool, rule or secret type (as pattern)",
    );
    for (k, v) in [
        ("action", action.clone()),
        ("ghsa_id", ghsa),
        ("cve_id", cve),
        ("manifest_path", manifest),
        ("ref", text(&a.git_ref).or_else(|| text(&e.git_ref))),
    ] {
        if let Some(v) = v {
            d.annotations.push((Cow::Borrowed(k), v));
        }
    }
    d.origin(
        "annotations",
        "/action, the advisory's ghsa_id and cve_id, /alert/dependency/manifest_path, /alert/ref or /ref",
    );
    if let Some(url) = text(&a.html_url) {
        d.links.push(("alert", url));
    }
    d.origin(
        "links",
        "/alert/html_url (alert), /repository/html_url (repository)",
    );
    b.push(d)
}

/// The repository as service and label, and its page as a link.
fn repository<'a>(
    d: &mut Draft<'a>,
    repo: Option<Repo<'a>>,
    pointer: &'static str,
) -> Option<Cow<'a, str>> {
    let repo = repo?;
    let name = text(&repo.full_name);
    d.service = d.pick("service", [(pointer, name.clone())]);
    if let Some(name) = &name {
        d.labels.push((Cow::Borrowed("repository"), name.clone()));
    }
    if let Some(url) = text(&repo.html_url) {
        d.links.push(("repository", url));
    }
    name
}

fn workflow_run<'a>(e: WorkflowRunEvent<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let r = e.workflow_run;
    let Some(verb) = conclude(
        b,
        "workflow_run",
        e.action.as_ref(),
        r.status.as_ref(),
        r.conclusion.as_ref(),
    ) else {
        return Ok(());
    };
    let mut d = b.draft();
    d.status = Status::Triggered;
    d.origin(
        "status",
        "/workflow_run/conclusion (failure, timed_out, startup_failure)",
    );

    let (workflow_id, workflow_name) = match e.workflow {
        Some(w) => (text(&w.id), text(&w.name)),
        None => (None, None),
    };
    let name = text(&r.name).or(workflow_name);
    let branch = text(&r.head_branch);
    d.title = Some(Cow::Owned(title(
        name.as_deref().unwrap_or("workflow"),
        verb,
        branch.as_deref(),
    )));
    d.origin(
        "title",
        "made from /workflow_run/name, /workflow_run/conclusion and /workflow_run/head_branch",
    );
    d.description = d.pick(
        "description",
        [
            ("/workflow_run/display_title", text(&r.display_title)),
            (
                "/workflow_run/head_commit/message",
                r.head_commit.and_then(|c| cow(c.message)),
            ),
        ],
    );

    let (repo, origin) = match e.repository {
        Some(repo) => (Some(repo), "/repository/full_name"),
        None => (r.repository, "/workflow_run/repository/full_name"),
    };
    let repo_name = repository(&mut d, repo, origin);
    let workflow = text(&r.workflow_id)
        .or(workflow_id)
        .or_else(|| text(&r.path))
        .or(name.clone());
    let at = branch.clone().or_else(|| text(&r.head_sha));
    d.vendor_key = Some(Cow::Owned(format!(
        "{}:workflow_run:{}:{}",
        repo_name.as_deref().unwrap_or(""),
        workflow.as_deref().unwrap_or(""),
        at.as_deref().unwrap_or(""),
    )));
    d.origin(
        "dedup_key",
        "repository:workflow_run:workflow id:branch (/repository/full_name, /workflow_run/workflow_id, /workflow_run/head_branch)",
    );
    d.source_ref = d.pick("source_ref", [("/workflow_run/id", cow(r.id))]);
    d.started_at = d.pick(
        "started_at",
        [
            ("/workflow_run/run_started_at", cow(r.run_started_at)),
            ("/workflow_run/created_at", cow(r.created_at)),
        ],
    );
    if let Some(url) = cow(r.html_url) {
        d.links.insert(0, ("run", url));
    }
    d.origin(
        "links",
        "/workflow_run/html_url (run), /repository/html_url (repository)",
    );

    for (key, value) in [("branch", branch), ("workflow", name)] {
        if let Some(v) = value {
            d.labels.push((Cow::Borrowed(key), v));
        }
    }
    d.origin(
        "labels",
        "/repository/full_name, /workflow_run/head_branch, /workflow_run/name",
    );
    for (key, value) in [
        ("conclusion", cow(r.conclusion)),
        ("run_number", cow(r.run_number)),
        ("run_attempt", cow(r.run_attempt)),
        ("head_sha", cow(r.head_sha)),
        ("trigger", cow(r.event)),
        ("actor", r.actor.and_then(|a| cow(a.login))),
    ] {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            d.annotations.push((Cow::Borrowed(key), v));
        }
    }
    d.origin(
        "annotations",
        "/workflow_run/conclusion, run_number, run_attempt, head_sha, event (trigger), actor/login",
    );
    b.push(d)
}

fn check_run<'a>(e: CheckRunEvent<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let c = e.check_run;
    let Some(verb) = conclude(
        b,
        "check_run",
        e.action.as_ref(),
        c.status.as_ref(),
        c.conclusion.as_ref(),
    ) else {
        return Ok(());
    };
    let mut d = b.draft();
    d.status = Status::Triggered;
    d.origin(
        "status",
        "/check_run/conclusion (failure, timed_out, startup_failure)",
    );

    let name = text(&c.name);
    let branch = c.check_suite.and_then(|s| text(&s.head_branch));
    d.title = Some(Cow::Owned(title(
        name.as_deref().unwrap_or("check"),
        verb,
        branch.as_deref(),
    )));
    d.origin(
        "title",
        "made from /check_run/name, /check_run/conclusion and /check_run/check_suite/head_branch",
    );
    let (out_title, summary) = match c.output {
        Some(o) => (text(&o.title), text(&o.summary)),
        None => (None, None),
    };
    d.description = match (out_title, summary) {
        (Some(t), Some(s)) => {
            d.origin(
                "description",
                "/check_run/output/title and /check_run/output/summary",
            );
            Some(Cow::Owned(format!("{t}\n\n{s}")))
        }
        (t, s) => d.pick(
            "description",
            [
                ("/check_run/output/title", t),
                ("/check_run/output/summary", s),
            ],
        ),
    };

    let repo_name = repository(&mut d, e.repository, "/repository/full_name");
    let app = c.app.and_then(|a| text(&a.slug));
    let at = branch.clone().or_else(|| text(&c.head_sha));
    d.vendor_key = Some(Cow::Owned(format!(
        "{}:check_run:{}:{}:{}",
        repo_name.as_deref().unwrap_or(""),
        app.as_deref().unwrap_or(""),
        name.as_deref().unwrap_or(""),
        at.as_deref().unwrap_or(""),
    )));
    d.origin(
        "dedup_key",
        "repository:check_run:app:check name:branch (/repository/full_name, /check_run/app/slug, /check_run/name, /check_run/check_suite/head_branch)",
    );
    d.source_ref = d.pick("source_ref", [("/check_run/id", cow(c.id))]);
    d.started_at = d.pick("started_at", [("/check_run/started_at", cow(c.started_at))]);

    let html = text(&c.html_url);
    let details = text(&c.details_url).filter(|u| Some(u) != html.as_ref());
    let mut links = alloc::vec::Vec::new();
    if let Some(url) = html {
        links.push(("run", url));
    }
    if let Some(url) = details {
        links.push(("details", url));
    }
    links.append(&mut d.links);
    d.links = links;
    d.origin("links", "/check_run/html_url (run), /check_run/details_url (details), /repository/html_url (repository)");

    for (key, value) in [("branch", branch), ("check", name), ("app", app)] {
        if let Some(v) = value {
            d.labels.push((Cow::Borrowed(key), v));
        }
    }
    d.origin("labels", "/repository/full_name, /check_run/check_suite/head_branch, /check_run/name, /check_run/app/slug");
    for (key, value) in [
        ("conclusion", cow(c.conclusion)),
        ("head_sha", cow(c.head_sha)),
    ] {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            d.annotations.push((Cow::Borrowed(key), v));
        }
    }
    d.origin("annotations", "/check_run/conclusion, /check_run/head_sha");
    b.push(d)
}

fn check_suite<'a>(e: CheckSuiteEvent<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let s = e.check_suite;
    let Some(verb) = conclude(
        b,
        "check_suite",
        e.action.as_ref(),
        s.status.as_ref(),
        s.conclusion.as_ref(),
    ) else {
        return Ok(());
    };
    let mut d = b.draft();
    d.status = Status::Triggered;
    d.origin(
        "status",
        "/check_suite/conclusion (failure, timed_out, startup_failure)",
    );

    let (app_slug, app_name) = match s.app {
        Some(a) => (text(&a.slug), text(&a.name)),
        None => (None, None),
    };
    let branch = text(&s.head_branch);
    let what = match app_name.as_deref().or(app_slug.as_deref()) {
        Some(app) => format!("{app} checks"),
        None => String::from("checks"),
    };
    d.title = Some(Cow::Owned(title(&what, verb, branch.as_deref())));
    d.origin(
        "title",
        "made from /check_suite/app/name, /check_suite/conclusion and /check_suite/head_branch",
    );
    d.description = d.pick(
        "description",
        [(
            "/check_suite/head_commit/message",
            s.head_commit.and_then(|c| cow(c.message)),
        )],
    );

    let repo_name = repository(&mut d, e.repository, "/repository/full_name");
    let at = branch.clone().or_else(|| text(&s.head_sha));
    d.vendor_key = Some(Cow::Owned(format!(
        "{}:check_suite:{}:{}",
        repo_name.as_deref().unwrap_or(""),
        app_slug.as_deref().unwrap_or(""),
        at.as_deref().unwrap_or(""),
    )));
    d.origin(
        "dedup_key",
        "repository:check_suite:app:branch (/repository/full_name, /check_suite/app/slug, /check_suite/head_branch)",
    );
    d.source_ref = d.pick("source_ref", [("/check_suite/id", cow(s.id))]);
    d.started_at = d.pick(
        "started_at",
        [("/check_suite/created_at", cow(s.created_at))],
    );
    d.origin("links", "/repository/html_url (repository)");

    for (key, value) in [("branch", branch), ("app", app_slug)] {
        if let Some(v) = value {
            d.labels.push((Cow::Borrowed(key), v));
        }
    }
    d.origin(
        "labels",
        "/repository/full_name, /check_suite/head_branch, /check_suite/app/slug",
    );
    for (key, value) in [
        ("conclusion", cow(s.conclusion)),
        ("head_sha", cow(s.head_sha)),
    ] {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            d.annotations.push((Cow::Borrowed(key), v));
        }
    }
    d.origin(
        "annotations",
        "/check_suite/conclusion, /check_suite/head_sha",
    );
    b.push(d)
}
