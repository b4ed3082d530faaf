//! One draft into one canonical alert: title, severity, maps, times, links
//! and the dedup key.

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::explain::{explain_fields, fill_absent, note};
use super::maps::MapKind;
use super::{Builder, Draft, trim_cow};
use crate::text::{bounded, trim};
use crate::{
    Alert, DedupBasis, Error, Link, Severity, Source, Status, StrMap, WarningCode, dedup, vocab,
};

/// Per field, where it came from (explain mode only).
type Why = Option<BTreeMap<String, String>>;

impl<'a> Builder<'_, 'a> {
    /// Normalises and appends one alert.
    pub fn push(&mut self, d: Draft<'a>) -> Result<(), Error> {
        let i = self.alerts.len();
        let limits = self.opts.limits;
        // Field origins, resolved before the draft's fields are moved out.
        let mut why = d.explain.then(|| explain_fields(&d));

        let description = self.text(
            i,
            "description",
            d.description,
            limits.max_description_chars,
            WarningCode::DescriptionTruncated,
        )?;
        let service = self.trimmed(i, "service", d.service)?;
        let host = self.trimmed(i, "host", d.host)?;
        let title = self.title(
            i,
            d.title,
            (service.as_deref(), host.as_deref(), description.as_deref()),
            &mut why,
        )?;

        let severity_raw = self.trimmed_keep(i, "severity_raw", d.severity_raw)?;
        let severity = self.alert_severity(
            i,
            severity_raw.as_deref(),
            (d.implied_severity, d.explicit_severity),
            (d.status, d.availability),
            &mut why,
        );

        let labels = self.map(i, MapKind::Labels, d.labels)?;
        let annotations = self.map(i, MapKind::Annotations, d.annotations)?;

        let started_at = self.timestamp(i, "started_at", d.started_at);
        let ended_at = match d.status {
            Status::Resolved => self.timestamp(i, "ended_at", d.ended_at),
            _ => {
                note(
                    &mut why,
                    "ended_at",
                    "null: only resolved alerts have ended",
                );
                None
            }
        };

        let links = self.links(i, d.links)?;
        let source_ref = self.trimmed(i, "source_ref", d.source_ref)?;

        let (dedup_key, dedup_basis) = self.dedup_key(
            d.vendor_key,
            d.label_identity,
            &labels,
            (service.as_deref(), host.as_deref(), &title),
            &mut why,
        );

        let alert = Alert {
            title,
            description,
            severity,
            severity_raw,
            status: d.status,
            dedup_key,
            dedup_basis,
            service,
            host,
            labels,
            annotations,
            started_at,
            ended_at,
            links,
            source_ref,
        };
        if let Some(mut w) = why {
            fill_absent(&mut w, &alert);
            self.origins.push(w);
        }
        self.alerts.push(alert);
        Ok(())
    }

    /// The title: the sender's, else the body's human text, else one made up
    /// (with a warning) from the description, service and host.
    #[inline(always)]
    fn title(
        &mut self,
        i: usize,
        title: Option<Cow<'a, str>>,
        (service, host, description): (Option<&str>, Option<&str>, Option<&str>),
        why: &mut Why,
    ) -> Result<Cow<'a, str>, Error> {
        // NULs go first, so a title of only NULs counts as missing.
        let title = match title
            .map(|t| self.without_nul(t))
            .filter(|t| !trim(t).is_empty())
        {
            Some(t) => trim_cow(t),
            None => match self.body_title() {
                Some((key, text)) => {
                    note(
                        why,
                        "title",
                        &format!(
                            "{key}: the body's human text (the sender's own title fields were empty)"
                        ),
                    );
                    Cow::Owned(text)
                }
                None => {
                    let made = made_up_title(service, host, description, self.source);
                    self.warn(
                        WarningCode::TitleMissing,
                        format!(
                            "alerts[{i}]: no title in the payload; using '{}'",
                            bounded(&made, 64)
                        ),
                    );
                    note(
                        why,
                        "title",
                        "made up from the description's first line, else service and host",
                    );
                    Cow::Owned(made)
                }
            },
        };
        let limit = self.opts.limits.max_title_chars;
        Ok(self
            .text(i, "title", Some(title), limit, WarningCode::TitleTruncated)?
            .unwrap_or_default())
    }

    /// The severity: the sender's decision, else the raw word mapped, else
    /// the sender's implied severity or the default for the status.
    #[inline(always)]
    fn alert_severity(
        &mut self,
        i: usize,
        severity_raw: Option<&str>,
        (implied, explicit): (Option<Severity>, Option<Severity>),
        (status, availability): (Status, bool),
        why: &mut Why,
    ) -> Severity {
        let (fallback, fallback_how) = match implied {
            Some(s) => (s, "implied by the sender's status"),
            None => (
                vocab::default_severity(status, availability),
                match (status, availability) {
                    (Status::Resolved, _) => "default: resolved → info",
                    (_, true) => "default: availability failure → critical",
                    _ => "default: triggered → warning",
                },
            ),
        };
        let (severity, how) = match explicit {
            Some(s) => (s, "the mapping's value table"),
            None => self.severity(i, severity_raw, (fallback, fallback_how)),
        };
        if let Some(w) = why.as_mut() {
            let from = w.get("severity_raw").cloned();
            let text = match (how, from) {
                ("severity_overrides" | "vocabulary" | "the mapping's value table", Some(from)) => {
                    format!("{from} via {how}")
                }
                (how, _) => String::from(how),
            };
            w.insert(String::from("severity"), text);
            if status == Status::Triggered && !w.contains_key("status") {
                w.insert(String::from("status"), String::from("default: triggered"));
            }
        }
        severity
    }

    /// The draft's links, trimmed, blank ones dropped; the emptied draft list
    /// goes to the next `draft_reusing`.
    #[inline(always)]
    fn links(
        &mut self,
        i: usize,
        mut draft_links: Vec<(&'static str, Cow<'a, str>)>,
    ) -> Result<Vec<Link<'a>>, Error> {
        let mut links = Vec::with_capacity(draft_links.len() + self.link_slack);
        for (rel, href) in draft_links.drain(..) {
            if let Some(href) = self.trimmed(i, rel, Some(href))? {
                links.push(Link {
                    rel: Cow::Borrowed(rel),
                    href,
                });
            }
        }
        self.link_scratch = draft_links;
        Ok(links)
    }

    /// The dedup key and its basis: the sender's key (hashed when too long),
    /// else the labels' fingerprint where labels identify the alert, else a
    /// hash of source, service, host and title.
    #[inline(always)]
    fn dedup_key(
        &self,
        vendor_key: Option<Cow<'a, str>>,
        label_identity: bool,
        labels: &StrMap<'a>,
        (service, host, title): (Option<&str>, Option<&str>, &str),
        why: &mut Why,
    ) -> (Cow<'a, str>, DedupBasis) {
        let vendor_key = vendor_key
            .map(|k| self.without_nul(k))
            .filter(|k| !trim(k).is_empty());
        if let Some(key) = vendor_key {
            if key.len() > dedup::MAX_KEY_BYTES {
                note(
                    why,
                    "dedup_key",
                    "the sender's key, over 255 bytes, as sha256: + 32 hex digits",
                );
            }
            let key = if key.len() > dedup::MAX_KEY_BYTES {
                Cow::Owned(dedup::cap_key(&key))
            } else {
                key
            };
            (key, DedupBasis::Vendor)
        } else if label_identity && !labels.is_empty() {
            note(
                why,
                "dedup_key",
                "Alertmanager fingerprint of the labels (FNV-1a 64)",
            );
            let key = dedup::fingerprint_sorted(labels.iter());
            (Cow::Owned(key), DedupBasis::Labels)
        } else {
            note(
                why,
                "dedup_key",
                "SHA-256 of source, service, host and title",
            );
            let key = dedup::content_key(self.source.as_str(), service, host, title);
            (Cow::Owned(key), DedupBasis::Content)
        }
    }

    /// The severity, and which rule gave it.
    fn severity(
        &mut self,
        i: usize,
        raw: Option<&str>,
        (fallback, fallback_how): (Severity, &'static str),
    ) -> (Severity, &'static str) {
        let Some(raw) = raw.map(trim).filter(|s| !s.is_empty()) else {
            return (fallback, fallback_how);
        };
        if let Some(&(_, s)) = self
            .opts
            .severity_overrides
            .iter()
            .find(|(word, _)| word.trim().eq_ignore_ascii_case(raw))
        {
            return (s, "severity_overrides");
        }
        if let Some(s) = vocab::severity(raw) {
            return (s, "vocabulary");
        }
        self.warn(
            WarningCode::UnknownSeverity,
            format!(
                "alerts[{i}]: severity '{}' is not recognised; using {fallback}",
                bounded(raw, 64)
            ),
        );
        (fallback, "unknown severity word; default rule")
    }
}

/// A title for an alert that came without one: the description's first
/// line, else service and host, else a placeholder.
fn made_up_title(
    service: Option<&str>,
    host: Option<&str>,
    description: Option<&str>,
    source: Source,
) -> String {
    if let Some(line) = description.and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty())) {
        return String::from(line);
    }
    match (service, host) {
        (Some(s), Some(h)) => format!("{s} on {h}"),
        (Some(x), None) | (None, Some(x)) => String::from(x),
        (None, None) => format!("{source} alert"),
    }
}
