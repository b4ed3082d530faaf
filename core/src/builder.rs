//! Turns each sender's `Draft` into a canonical `Alert`: one place for text
//! limits, NUL stripping, status and severity mapping, timestamps and dedup keys.

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::text::{self, bounded, cut, strip_nul, too_long};
use crate::{
    Alert, DedupBasis, Error, Link, Options, Severity, Source, Status, Warning, WarningCode, dedup,
    vocab,
};

/// How many warnings an `Ingest` reports before it says "and more".
const MAX_WARNINGS: usize = 100;

/// What a sender read for one alert, borrowed from the body where possible.
#[derive(Debug, Default)]
pub(crate) struct Draft<'a> {
    pub title: Option<Cow<'a, str>>,
    pub description: Option<Cow<'a, str>>,
    pub severity_raw: Option<Cow<'a, str>>,
    /// Severity the sender's own status implies, used when no severity was sent.
    pub implied_severity: Option<Severity>,
    /// An availability check (monitor, heartbeat): down means critical by default.
    pub availability: bool,
    pub status: Status,
    /// The sender's own key for the alert.
    pub vendor_key: Option<Cow<'a, str>>,
    /// Alertmanager-style alerts: without a vendor key, the labels identify the alert.
    pub label_identity: bool,
    pub service: Option<Cow<'a, str>>,
    pub host: Option<Cow<'a, str>>,
    pub labels: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub annotations: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub started_at: Option<Cow<'a, str>>,
    pub ended_at: Option<Cow<'a, str>>,
    pub links: Vec<(&'static str, Cow<'a, str>)>,
    pub source_ref: Option<Cow<'a, str>>,
}

/// Collects alerts and warnings for one request.
pub(crate) struct Builder<'o> {
    pub opts: &'o Options,
    pub source: Source,
    pub alerts: Vec<Alert>,
    pub warnings: Vec<Warning>,
    pub group_key: Option<String>,
    pub notice: Option<String>,
    dropped_warnings: usize,
}

impl<'o> Builder<'o> {
    pub fn new(opts: &'o Options, source: Source) -> Self {
        Builder {
            opts,
            source,
            alerts: Vec::new(),
            warnings: Vec::new(),
            group_key: None,
            notice: None,
            dropped_warnings: 0,
        }
    }

    /// Records a warning, up to `MAX_WARNINGS`.
    pub fn warn(&mut self, code: WarningCode, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(Warning { code, message });
        } else {
            self.dropped_warnings += 1;
        }
    }

    /// The `PayloadMismatch` error for the current sender.
    pub fn mismatch(&self, message: impl Into<String>) -> Error {
        Error::PayloadMismatch {
            source: self.source,
            message: message.into(),
        }
    }

    /// Maps a status word, failing open to `Triggered` with a warning.
    pub fn status(&mut self, raw: Option<&str>) -> Status {
        let raw = raw.map(str::trim).filter(|s| !s.is_empty());
        match raw {
            None => Status::Triggered,
            Some(word) => vocab::status(word).unwrap_or_else(|| {
                let i = self.alerts.len();
                self.warn(
                    WarningCode::UnknownStatus,
                    format!(
                        "alerts[{i}]: status '{}' is not recognised; treated as triggered",
                        bounded(word, 64)
                    ),
                );
                Status::Triggered
            }),
        }
    }

    /// Normalises and appends one alert.
    pub fn push(&mut self, d: Draft<'_>) -> Result<(), Error> {
        let i = self.alerts.len();
        let limits = self.opts.limits;

        let description = self.text(
            i,
            "description",
            d.description,
            limits.max_description_chars,
            WarningCode::DescriptionTruncated,
        )?;
        let service = self.trimmed(i, "service", d.service)?;
        let host = self.trimmed(i, "host", d.host)?;
        // NULs go first, so a title of only NULs counts as missing.
        let title = match d.title.map(strip_nul).filter(|t| !t.trim().is_empty()) {
            Some(t) => Cow::Owned(String::from(t.trim())),
            None => {
                let made = made_up_title(
                    service.as_deref(),
                    host.as_deref(),
                    description.as_deref(),
                    self.source,
                );
                self.warn(
                    WarningCode::TitleMissing,
                    format!(
                        "alerts[{i}]: no title in the payload; using '{}'",
                        bounded(&made, 64)
                    ),
                );
                Cow::Owned(made)
            }
        };
        let title = self
            .text(
                i,
                "title",
                Some(title),
                limits.max_title_chars,
                WarningCode::TitleTruncated,
            )?
            .unwrap_or_default();

        let severity_raw = self.trimmed_keep(i, "severity_raw", d.severity_raw)?;
        let fallback = d
            .implied_severity
            .unwrap_or_else(|| vocab::default_severity(d.status, d.availability));
        let severity = self.severity(i, severity_raw.as_deref(), fallback);

        let labels = self.map(i, "labels", d.labels, WarningCode::LabelTruncated)?;
        let annotations = self.map(
            i,
            "annotations",
            d.annotations,
            WarningCode::AnnotationTruncated,
        )?;

        let started_at = self.timestamp(i, "started_at", d.started_at);
        let ended_at = match d.status {
            Status::Resolved => self.timestamp(i, "ended_at", d.ended_at),
            _ => None,
        };

        let mut links = Vec::with_capacity(d.links.len());
        for (rel, href) in d.links {
            if let Some(href) = self.trimmed(i, rel, Some(href))? {
                links.push(Link {
                    rel: Cow::Borrowed(rel),
                    href,
                });
            }
        }
        let source_ref = self.trimmed(i, "source_ref", d.source_ref)?;

        let vendor_key = d.vendor_key.map(strip_nul).filter(|k| !k.trim().is_empty());
        let (dedup_key, dedup_basis) = if let Some(key) = vendor_key {
            (dedup::cap_key(&key), DedupBasis::Vendor)
        } else if d.label_identity && !labels.is_empty() {
            let key =
                dedup::fingerprint_sorted(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            (key, DedupBasis::Labels)
        } else {
            let key = dedup::content_key(
                self.source.as_str(),
                service.as_deref(),
                host.as_deref(),
                &title,
            );
            (key, DedupBasis::Content)
        };

        self.alerts.push(Alert {
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
        });
        Ok(())
    }

    /// Closes the warning list ("… and N more").
    pub fn finish_warnings(&mut self) -> Vec<Warning> {
        let mut out = core::mem::take(&mut self.warnings);
        if self.dropped_warnings > 0 {
            out.push(Warning {
                code: WarningCode::TooManyWarnings,
                message: format!("{} more warnings were not reported", self.dropped_warnings),
            });
        }
        out
    }

    fn severity(&mut self, i: usize, raw: Option<&str>, fallback: Severity) -> Severity {
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return fallback;
        };
        let overridden = self
            .opts
            .severity_overrides
            .iter()
            .find(|(word, _)| word.trim().eq_ignore_ascii_case(raw))
            .map(|&(_, s)| s);
        overridden
            .or_else(|| vocab::severity(raw))
            .unwrap_or_else(|| {
                self.warn(
                    WarningCode::UnknownSeverity,
                    format!(
                        "alerts[{i}]: severity '{}' is not recognised; using {fallback}",
                        bounded(raw, 64)
                    ),
                );
                fallback
            })
    }

    /// NUL-stripped text cut to `limit` (or rejected when strict); empty becomes `None`.
    fn text(
        &mut self,
        i: usize,
        field: &str,
        value: Option<Cow<'_, str>>,
        limit: usize,
        code: WarningCode,
    ) -> Result<Option<String>, Error> {
        let Some(value) = value.map(strip_nul) else {
            return Ok(None);
        };
        if value.is_empty() {
            return Ok(None);
        }
        if too_long(&value, limit) {
            if self.opts.limits.strict {
                return Err(Error::FieldTooLong {
                    field: format!("alerts[{i}].{field}"),
                    limit,
                });
            }
            self.warn(
                code,
                format!("alerts[{i}].{field} cut to {limit} characters"),
            );
            return Ok(Some(cut(&value, limit)));
        }
        Ok(Some(value.into_owned()))
    }

    /// A short field, trimmed, under the value limit.
    fn trimmed(
        &mut self,
        i: usize,
        field: &str,
        value: Option<Cow<'_, str>>,
    ) -> Result<Option<String>, Error> {
        let value = value.map(|v| match v {
            Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
            Cow::Owned(s) if s.trim().len() == s.len() => Cow::Owned(s),
            Cow::Owned(s) => Cow::Owned(String::from(s.trim())),
        });
        self.trimmed_keep(i, field, value)
    }

    /// A short field kept verbatim, under the value limit.
    fn trimmed_keep(
        &mut self,
        i: usize,
        field: &str,
        value: Option<Cow<'_, str>>,
    ) -> Result<Option<String>, Error> {
        let limit = self.opts.limits.max_value_chars;
        self.text(i, field, value, limit, WarningCode::FieldTruncated)
    }

    fn map(
        &mut self,
        i: usize,
        field: &str,
        pairs: Vec<(Cow<'_, str>, Cow<'_, str>)>,
        code: WarningCode,
    ) -> Result<BTreeMap<String, String>, Error> {
        let limits = self.opts.limits;
        let mut out = BTreeMap::new();
        for (k, v) in pairs {
            let Some(key) = self.text(i, field, Some(k), limits.max_key_chars, code)? else {
                continue;
            };
            let value = self
                .text(i, field, Some(v), limits.max_value_chars, code)?
                .unwrap_or_default();
            out.insert(key, value);
        }
        Ok(out)
    }

    fn timestamp(&mut self, i: usize, field: &str, raw: Option<Cow<'_, str>>) -> Option<String> {
        let raw = raw?;
        let t = raw.trim();
        if t.is_empty() || text::is_zero_time(t) {
            return None;
        }
        if text::is_rfc3339(t) {
            return Some(String::from(t));
        }
        self.warn(
            WarningCode::InvalidTimestamp,
            format!(
                "alerts[{i}].{field} '{}' is not RFC 3339; set to null",
                bounded(t, 64)
            ),
        );
        None
    }
}

/// A title for an alert that came without one.
fn made_up_title(
    service: Option<&str>,
    host: Option<&str>,
    description: Option<&str>,
    source: Source,
) -> String {
    match (service, host) {
        (Some(s), Some(h)) => format!("{s} on {h}"),
        (Some(x), None) | (None, Some(x)) => String::from(x),
        (None, None) => description
            .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
            .map_or_else(|| format!("{source} alert"), String::from),
    }
}
