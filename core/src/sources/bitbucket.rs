//! Bitbucket Cloud webhooks: build statuses (`repo:commit_status_created`,
//! `repo:commit_status_updated`, which is also how Bitbucket Pipelines
//! reports) become alerts; other events are well-formed requests with no alert.
//!
//! The event is named by the `X-Event-Key` header, but readers see only the
//! body, so the event is recognised by its top-level object.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;

use serde::Deserialize;

use super::{Headers, Sender};
use crate::Notice;
use crate::builder::Builder;
use crate::ingest::Payload;
use crate::json::{Kind, Text, cow};
use crate::{Error, Source, Status};

pub(crate) const SENDER: Sender = Sender {
    source: Source::Bitbucket,
    header_rule: "User-Agent starts with Bitbucket-Webhooks/, or X-Event-Key with X-Hook-UUID",
    by_header,
    shape_rule: "'commit_status' object with 'repository'",
    by_shape,
    parse,
};

fn by_header(req: &Headers<'_, '_>) -> Option<&'static str> {
    if req.user_agent_starts_with("Bitbucket-Webhooks/") {
        Some("User-Agent starts with Bitbucket-Webhooks/")
    } else if req.header("x-event-key").is_some() && req.header("x-hook-uuid").is_some() {
        Some("X-Event-Key with X-Hook-UUID")
    } else {
        None
    }
}

fn by_shape(p: &Payload<'_>) -> Option<&'static str> {
    let Payload::Json { probe, .. } = p else {
        return None;
    };
    (probe.is("commit_status", Kind::Object) && probe.is("repository", Kind::Object))
        .then_some("'commit_status' object with 'repository'")
}

/// Top-level objects that name the event they belong to (for the notice).
const EVENT_OBJECTS: &[(&str, &str)] = &[
    ("push", "repo:push"),
    ("pullrequest", "pullrequest"),
    ("fork", "repo:fork"),
    ("issue", "issue"),
    ("comment", "comment"),
    ("changes", "repo:updated"),
];

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    commit_status: CommitStatus<'a>,
    #[serde(borrow)]
    repository: Option<Repo<'a>>,
    #[serde(borrow)]
    actor: Option<Actor<'a>>,
}

#[derive(Deserialize)]
struct CommitStatus<'a> {
    #[serde(borrow)]
    uuid: Option<Text<'a>>,
    #[serde(borrow)]
    key: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    description: Option<Text<'a>>,
    #[serde(borrow)]
    state: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    refname: Option<Text<'a>>,
    #[serde(borrow)]
    created_on: Option<Text<'a>>,
    #[serde(borrow)]
    updated_on: Option<Text<'a>>,
    #[serde(borrow)]
    commit: Option<Commit<'a>>,
    #[serde(borrow)]
    repository: Option<Repo<'a>>,
}

#[derive(Deserialize)]
struct Commit<'a> {
    #[serde(borrow)]
    hash: Option<Text<'a>>,
    #[serde(borrow)]
    links: Option<Links<'a>>,
}

#[derive(Deserialize)]
struct Repo<'a> {
    #[serde(borrow)]
    full_name: Option<Text<'a>>,
    #[serde(borrow)]
    links: Option<Links<'a>>,
}

#[derive(Deserialize)]
struct Links<'a> {
    #[serde(borrow)]
    html: Option<Href<'a>>,
}

#[derive(Deserialize)]
struct Href<'a> {
    #[serde(borrow)]
    href: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Actor<'a> {
    #[serde(borrow)]
    display_name: Option<Text<'a>>,
}

fn html<'a>(links: Option<Links<'a>>) -> Option<Cow<'a, str>> {
    links.and_then(|l| l.html).and_then(|h| cow(h.href))
}

fn text<'a>(t: &Option<Text<'a>>) -> Option<Cow<'a, str>> {
    t.as_ref()
        .map(|t| t.0.clone())
        .filter(|t| !t.trim().is_empty())
}

fn parse<'a>(p: &Payload<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let (text, probe) = p.json(b)?;
    if probe.is("commit_status", Kind::Object) {
        let e: Event<'_> = b.typed(text)?;
        return commit_status(e, b);
    }
    if !probe.is("repository", Kind::Object) && !probe.is("actor", Kind::Object) {
        return Err(b.mismatch("missing required field 'commit_status'"));
    }
    // X-Event-Key names the event exactly; the payload's objects are the fallback.
    let event = b
        .header("X-Event-Key")
        .filter(|e| !e.is_empty())
        .or_else(|| {
            EVENT_OBJECTS
                .iter()
                .find(|(key, _)| probe.has(key))
                .map(|&(_, name)| name)
        })
        .unwrap_or("event");
    b.notice = Some(Notice::NotAnAlert);
    b.annotate("event", event);
    Ok(())
}

fn commit_status<'a>(e: Event<'a>, b: &mut Builder<'_, 'a>) -> Result<(), Error> {
    let s = e.commit_status;
    let state = text(&s.state);
    let upper = state.as_deref().map(|t| t.trim().to_ascii_uppercase());
    let status = match upper.as_deref() {
        Some("FAILED") => Status::Triggered,
        Some("SUCCESSFUL") => Status::Resolved,
        // Running, or stopped by hand: neither failed nor passed.
        Some("INPROGRESS" | "STOPPED") => {
            let word = state.as_deref().unwrap_or("").trim();
            b.notice = Some(Notice::NotAnAlert);
            b.annotate("event", "commit_status");
            b.annotate("state", word);
            return Ok(());
        }
        _ => b.status(state.as_deref()),
    };
    let mut d = b.draft();
    d.status = status;
    d.origin(
        "status",
        "/commit_status/state (FAILED → triggered, SUCCESSFUL → resolved)",
    );

    let name = text(&s.name).or_else(|| text(&s.key));
    let refname = text(&s.refname);
    let branch = refname
        .as_deref()
        .map(|r| r.trim().trim_start_matches("refs/heads/"))
        .map(|r| Cow::<'_, str>::Owned(String::from(r)));
    let verb = match d.status {
        Status::Resolved => "passed",
        _ => "failed",
    };
    let what = name.as_deref().unwrap_or("build");
    // Pipelines names its statuses "Pipeline #42 for main": no need to repeat the branch.
    d.title = Some(Cow::Owned(match branch.as_deref() {
        Some(br) if !br.is_empty() && !what.contains(br) => format!("{what} {verb} on {br}"),
        _ => format!("{what} {verb}"),
    }));
    d.origin(
        "title",
        "made from /commit_status/name, /commit_status/state and /commit_status/refname",
    );
    d.description = d.pick(
        "description",
        [("/commit_status/description", text(&s.description))],
    );

    let (repo, repo_origin) = match e.repository {
        Some(r) => (Some(r), "/repository/full_name"),
        None => (s.repository, "/commit_status/repository/full_name"),
    };
    let (repo_name, repo_url) = match repo {
        Some(r) => (text(&r.full_name), html(r.links)),
        None => (None, None),
    };
    d.service = d.pick("service", [(repo_origin, repo_name.clone())]);
    let (hash, commit_url) = match s.commit {
        Some(c) => (text(&c.hash), html(c.links)),
        None => (None, None),
    };
    let key = text(&s.key);
    // Same repository, status key and branch: the next SUCCESSFUL resolves the FAILED.
    let (at, at_origin) = match (&refname, &hash) {
        (Some(r), _) => (r.trim(), "/commit_status/refname"),
        (None, Some(h)) => (h.trim(), "/commit_status/commit/hash (no refname)"),
        (None, None) => ("", "nothing (no refname, no commit)"),
    };
    d.vendor_key = Some(Cow::Owned(format!(
        "{}:{}:{}",
        repo_name.as_deref().unwrap_or("").trim(),
        key.as_deref().unwrap_or("").trim(),
        at
    )));
    d.origin_with("dedup_key", || {
        format!("repository:key:ref ({repo_origin}, /commit_status/key, {at_origin})")
    });
    d.source_ref = d.pick(
        "source_ref",
        [
            ("/commit_status/uuid", text(&s.uuid)),
            ("/commit_status/key", key.clone()),
        ],
    );
    match d.status {
        Status::Resolved => {
            d.ended_at = d.pick(
                "ended_at",
                [
                    ("/commit_status/updated_on", text(&s.updated_on)),
                    ("/commit_status/created_on", text(&s.created_on)),
                ],
            );
        }
        _ => {
            d.started_at = d.pick(
                "started_at",
                [
                    ("/commit_status/created_on", text(&s.created_on)),
                    ("/commit_status/updated_on", text(&s.updated_on)),
                ],
            );
        }
    }

    for (rel, url) in [
        ("run", text(&s.url)),
        ("commit", commit_url),
        ("repository", repo_url),
    ] {
        if let Some(url) = url {
            d.links.push((rel, url));
        }
    }
    d.origin(
        "links",
        "/commit_status/url (run), /commit_status/commit/links/html/href (commit), /repository/links/html/href (repository)",
    );
    for (k, v) in [
        ("repository", repo_name),
        ("branch", branch),
        ("status_key", key),
    ] {
        if let Some(v) = v {
            d.labels.push((Cow::Borrowed(k), v));
        }
    }
    d.origin(
        "labels",
        "/repository/full_name, /commit_status/refname (branch), /commit_status/key (status_key)",
    );
    for (k, v) in [
        ("state", state),
        ("commit", hash),
        ("actor", e.actor.and_then(|a| text(&a.display_name))),
    ] {
        if let Some(v) = v {
            d.annotations.push((Cow::Borrowed(k), v));
        }
    }
    d.origin(
        "annotations",
        "/commit_status/state, /commit_status/commit/hash, /actor/display_name",
    );
    b.push(d)
}
