//! Turns each sender's `Draft` into a canonical `Alert`: one place for text
//! limits, NUL stripping, status and severity mapping, timestamps and dedup keys.

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::text::{self, bounded, cut, strip_nul, too_long, trim};
use crate::{
    Alert, DedupBasis, Error, Link, Options, Severity, Source, Status, StrMap, Warning,
    WarningCode, dedup, vocab,
};

/// How many warnings an `Ingest` reports before it says "and more".
const MAX_WARNINGS: usize = 100;

/// How many keys of a map the key memo remembers (kept inline: a one-alert
/// request pays no allocation for it).
const KEY_MEMO: usize = 16;

/// An alert's two string maps: which field, the warning for cut text, and
/// which key memo serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MapKind {
    Labels,
    Annotations,
}

impl MapKind {
    fn field(self) -> &'static str {
        match self {
            MapKind::Labels => "labels",
            MapKind::Annotations => "annotations",
        }
    }

    fn code(self) -> WarningCode {
        match self {
            MapKind::Labels => WarningCode::LabelTruncated,
            MapKind::Annotations => WarningCode::AnnotationTruncated,
        }
    }
}

/// The keys of the previous alert's labels (or annotations), each with whether
/// it names a secret, and whether they were in order. Alerts of one group
/// repeat their keys in the same order, so a map with the same keys skips both
/// the secret-key test and the sort check.
#[derive(Clone, Copy)]
struct KeyMemo<'a> {
    keys: [(&'a str, bool); KEY_MEMO],
    /// How many of `keys` the previous map had; `usize::MAX` when it cannot be reused.
    len: usize,
    /// Whether those keys were strictly ascending.
    sorted: bool,
}

impl<'a> KeyMemo<'a> {
    const EMPTY: Self = KeyMemo {
        keys: [("", false); KEY_MEMO],
        len: usize::MAX,
        sorted: false,
    };

    /// Whether `pairs` has exactly the remembered keys, in the same order.
    #[inline]
    fn matches(&self, pairs: &[(Cow<'a, str>, Cow<'a, str>)]) -> bool {
        pairs.len() == self.len
            && pairs
                .iter()
                .zip(&self.keys)
                .all(|((k, _), (m, _))| **k == **m)
    }
}

/// What a sender read for one alert, borrowed from the body where possible.
#[derive(Debug, Default)]
pub(crate) struct Draft<'a> {
    pub title: Option<Cow<'a, str>>,
    pub description: Option<Cow<'a, str>>,
    pub severity_raw: Option<Cow<'a, str>>,
    /// Severity the sender's own status implies, used when no severity was sent.
    pub implied_severity: Option<Severity>,
    /// Severity decided by the sender (e.g. a mapping's value table), winning over `severity_raw`.
    pub explicit_severity: Option<Severity>,
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
    /// Where fields came from, recorded only when explaining: (field, origin).
    /// An origin starting with `/` is a JSON Pointer relative to `base`, one
    /// starting with `#/` is relative to the document root, anything else is a
    /// derivation in words.
    pub origins: Vec<(&'static str, Cow<'static, str>)>,
    /// JSON Pointer of this alert's object in the payload ("" for the root).
    pub base: Cow<'static, str>,
    /// Whether to record origins (set by `Builder::draft`).
    pub explain: bool,
}

impl<'a> Draft<'a> {
    /// The first non-blank candidate, recording the origin it came from.
    ///
    /// ```text
    /// d.title = d.pick("title", [("/labels/alertname", get("alertname")), ("/annotations/summary", get("summary"))]);
    /// ```
    #[inline(always)]
    pub fn pick<const N: usize>(
        &mut self,
        field: &'static str,
        mut candidates: [(&'static str, Option<Cow<'a, str>>); N],
    ) -> Option<Cow<'a, str>> {
        // By reference, not `into_iter`: the array's by-value iterator is not
        // inlined and copies every candidate through memory.
        for (origin, value) in &mut candidates {
            if value.as_deref().is_some_and(|v| !trim(v).is_empty()) {
                self.origin(field, origin);
                return value.take();
            }
        }
        None
    }

    /// Records where `field` came from (a pointer or a derivation), when explaining.
    pub fn origin(&mut self, field: &'static str, origin: &'static str) {
        if self.explain {
            self.origins.push((field, Cow::Borrowed(origin)));
        }
    }

    /// Records an origin built at run time (only evaluated when explaining).
    pub fn origin_with(&mut self, field: &'static str, origin: impl FnOnce() -> String) {
        if self.explain {
            self.origins.push((field, Cow::Owned(origin())));
        }
    }

    /// Rewrites the recorded origins so that each pointer `/NAME` names the key
    /// the body actually sent for that variable: `sent` pairs a variable's
    /// canonical name with the key found (`monitorFriendlyName` →
    /// `monitor_friendly_name`). For senders that read one variable under
    /// several spellings. Only whole pointer segments are rewritten
    /// (`/alertType` leaves `/alertTypeFriendlyName` alone).
    pub fn name_sent_keys(&mut self, sent: &[(&str, &str)]) {
        if !self.explain || sent.iter().all(|(name, key)| name == key) {
            return;
        }
        for (_, origin) in &mut self.origins {
            let mut out = String::with_capacity(origin.len());
            let mut rest: &str = origin;
            while let Some(i) = rest.find('/') {
                out.push_str(&rest[..=i]);
                rest = &rest[i + 1..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                let (name, tail) = rest.split_at(end);
                match sent.iter().find(|(n, _)| *n == name) {
                    Some((_, key)) => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
                    None => out.push_str(name),
                }
                rest = tail;
            }
            out.push_str(rest);
            *origin = Cow::Owned(out);
        }
    }

    /// The same draft owning its text, for a sender that read it from a value
    /// of its own making (a JSON document inside a string, say).
    pub fn into_owned(self) -> Draft<'static> {
        let owned = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        let pairs = |v: Vec<(Cow<'_, str>, Cow<'_, str>)>| {
            v.into_iter().map(|(k, v)| (owned(k), owned(v))).collect()
        };
        Draft {
            title: self.title.map(owned),
            description: self.description.map(owned),
            severity_raw: self.severity_raw.map(owned),
            implied_severity: self.implied_severity,
            explicit_severity: self.explicit_severity,
            availability: self.availability,
            status: self.status,
            vendor_key: self.vendor_key.map(owned),
            label_identity: self.label_identity,
            service: self.service.map(owned),
            host: self.host.map(owned),
            labels: pairs(self.labels),
            annotations: pairs(self.annotations),
            started_at: self.started_at.map(owned),
            ended_at: self.ended_at.map(owned),
            links: self
                .links
                .into_iter()
                .map(|(rel, href)| (rel, owned(href)))
                .collect(),
            source_ref: self.source_ref.map(owned),
            origins: self.origins,
            base: self.base,
            explain: self.explain,
        }
    }

    /// An origin made absolute against `base`.
    fn resolve(&self, origin: &str) -> String {
        if let Some(root) = origin.strip_prefix('#') {
            String::from(root)
        } else if origin.starts_with('/') {
            format!("{}{origin}", self.base)
        } else {
            String::from(origin)
        }
    }
}

/// Collects alerts and warnings for one request; the alerts borrow from the
/// request (`'a`), the options are only read (`'o`).
pub(crate) struct Builder<'o, 'a> {
    pub opts: &'o Options,
    /// The request's headers, for senders whose event type travels in a header.
    headers: &'a [(&'a str, &'a str)],
    pub source: Source,
    pub alerts: Vec<Alert<'a>>,
    pub warnings: Vec<Warning>,
    pub group_key: Option<String>,
    pub notice: Option<crate::Notice>,
    /// Request-level annotations (`Ingest::annotations`).
    pub annotations: StrMap<'a>,
    /// Per alert, where each canonical field came from (explain mode only).
    pub origins: Vec<BTreeMap<String, String>>,
    dropped_warnings: usize,
    /// Set when no text pushed to this builder holds a NUL (the one-pass
    /// readers: their scanner leaves raw control characters and `\u0000` to
    /// the general path), so none is scanned for one.
    no_nul: bool,
    /// Room kept in each alert's link list for links added after `push` (a
    /// group-level URL read after the alerts), so adding them never reallocates.
    pub link_slack: usize,
    /// A draft link list handed from one alert to the next (`draft_reusing`),
    /// so a stream of alerts allocates none.
    link_scratch: Vec<(&'static str, Cow<'a, str>)>,
    /// Per map kind (labels, annotations), what the previous alert's map
    /// taught about its keys (see [`KeyMemo`]).
    key_memo: [KeyMemo<'a>; 2],
    /// Where the last typed read of a whole body failed on a value's type:
    /// the body's address, line and column (see `ingest::parse_lenient`).
    pub type_error: Option<(usize, usize, usize)>,
    /// The top-level fields the sender said it requires (`Payload::require`).
    pub required: &'static [&'static str],
    /// The body's human text for a title (`generic::human_title`), looked for
    /// only when a sender found no title; `None` before it is looked for.
    pub body: Option<BodyText<'a>>,
}

/// Where [`Builder::body_title`] looks for a title a person wrote.
#[derive(Debug, Clone)]
pub(crate) enum BodyText<'a> {
    /// A JSON object body, not yet searched.
    Json(&'a str),
    /// What a search found (in any body format), or `None`.
    Found(Option<(String, String)>),
}

impl<'o, 'a> Builder<'o, 'a> {
    pub fn new(opts: &'o Options, headers: &'a [(&'a str, &'a str)], source: Source) -> Self {
        Builder {
            opts,
            headers,
            source,
            alerts: Vec::new(),
            warnings: Vec::new(),
            group_key: None,
            notice: None,
            annotations: StrMap::new(),
            origins: Vec::new(),
            dropped_warnings: 0,
            no_nul: false,
            link_slack: 0,
            link_scratch: Vec::new(),
            key_memo: [KeyMemo::EMPTY; 2],
            type_error: None,
            required: &[],
            body: None,
        }
    }

    /// The body's human text, searched once: `(origin, text)`. Not for
    /// Alertmanager-style groups, whose one-pass reader has no body to search.
    fn body_title(&mut self) -> Option<(String, String)> {
        if matches!(self.source, Source::Alertmanager | Source::Grafana) {
            return None;
        }
        let found = match self.body.take()? {
            BodyText::Json(text) => crate::sources::human_title_json(text),
            BodyText::Found(found) => found,
        };
        self.body = Some(BodyText::Found(found.clone()));
        found.map(|(k, v)| (k, String::from(strip_nul(Cow::Owned(v)))))
    }

    /// Declares that no text pushed to this builder holds a NUL.
    pub fn text_has_no_nul(&mut self) {
        self.no_nul = true;
    }

    /// Whether `s` may hold a NUL.
    #[inline]
    fn may_hold_nul(&self, s: &str) -> bool {
        debug_assert!(!self.no_nul || !s.contains('\0'));
        !self.no_nul
    }

    /// `s` without NULs.
    fn without_nul(&self, s: Cow<'a, str>) -> Cow<'a, str> {
        if self.may_hold_nul(&s) {
            strip_nul(s)
        } else {
            s
        }
    }

    /// A request header's value (case-insensitive name, trimmed), if present.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        crate::request::find_header(self.headers, name)
    }

    /// Whether field origins are being recorded.
    pub fn explaining(&self) -> bool {
        self.opts.explain
    }

    /// A new draft for an alert at the payload root.
    #[inline]
    pub fn draft<'d>(&self) -> Draft<'d> {
        Draft {
            explain: self.opts.explain,
            ..Draft::default()
        }
    }

    /// A new draft for element `index` of the array at `array` (a JSON Pointer).
    #[inline]
    pub fn draft_in<'d>(&self, array: &'static str, index: usize) -> Draft<'d> {
        let mut d = self.draft();
        if d.explain {
            d.base = Cow::Owned(format!("{array}/{index}"));
        }
        d
    }

    /// [`Builder::draft_in`] for a draft of the request's own text, whose link
    /// list is the one the previous alert's `push` gave back.
    #[inline]
    pub fn draft_reusing(&mut self, array: &'static str, index: usize) -> Draft<'a> {
        let mut d = self.draft_in(array, index);
        d.links = core::mem::take(&mut self.link_scratch);
        d
    }

    /// Records a warning, up to `MAX_WARNINGS`.
    pub fn warn(&mut self, code: WarningCode, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(Warning { code, message });
        } else {
            self.dropped_warnings += 1;
        }
    }

    /// Records a warning ahead of the others (a group-level fact read after
    /// the alerts), keeping the `MAX_WARNINGS` cap.
    pub fn warn_first(&mut self, code: WarningCode, message: String) {
        self.warnings.insert(0, Warning { code, message });
        if self.warnings.len() > MAX_WARNINGS {
            self.warnings.pop();
            self.dropped_warnings += 1;
        }
    }

    /// Adds a request-level annotation (NUL-stripped, cut to the value limit).
    pub fn annotate(&mut self, key: &str, value: &str) {
        let limit = self.opts.limits.max_value_chars;
        let value = strip_nul(Cow::Borrowed(value));
        self.annotations
            .insert(String::from(key), cut(value.trim(), limit));
    }

    /// Deserializes the sender's typed struct from the whole body; a value of
    /// the wrong type is remembered (where it sits) so that the caller can
    /// skip that field and read the body again.
    pub fn typed<'t, T: serde::Deserialize<'t>>(&mut self, text: &'t str) -> Result<T, Error> {
        serde_json::from_str(text).map_err(|e| {
            if e.classify() == serde_json::error::Category::Data {
                self.type_error = Some((text.as_ptr() as usize, e.line(), e.column()));
            }
            self.mismatch(alloc::string::ToString::to_string(&e))
        })
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
        let raw = raw.map(trim).filter(|s| !s.is_empty());
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
        // NULs go first, so a title of only NULs counts as missing.
        let title = match d
            .title
            .map(|t| self.without_nul(t))
            .filter(|t| !trim(t).is_empty())
        {
            Some(t) => trim_cow(t),
            None => match self.body_title() {
                Some((key, text)) => {
                    note(
                        &mut why,
                        "title",
                        &format!(
                            "{key}: the body's human text (the sender's own title fields were empty)"
                        ),
                    );
                    Cow::Owned(text)
                }
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
                    note(
                        &mut why,
                        "title",
                        "made up from the description's first line, else service and host",
                    );
                    Cow::Owned(made)
                }
            },
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
        let (fallback, fallback_how) = match d.implied_severity {
            Some(s) => (s, "implied by the sender's status"),
            None => (
                vocab::default_severity(d.status, d.availability),
                match (d.status, d.availability) {
                    (Status::Resolved, _) => "default: resolved → info",
                    (_, true) => "default: availability failure → critical",
                    _ => "default: triggered → warning",
                },
            ),
        };
        let (severity, how) = match d.explicit_severity {
            Some(s) => (s, "the mapping's value table"),
            None => self.severity(i, severity_raw.as_deref(), (fallback, fallback_how)),
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
            if d.status == Status::Triggered && !w.contains_key("status") {
                w.insert(String::from("status"), String::from("default: triggered"));
            }
        }

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

        let mut links = Vec::with_capacity(d.links.len() + self.link_slack);
        let mut draft_links = d.links;
        for (rel, href) in draft_links.drain(..) {
            if let Some(href) = self.trimmed(i, rel, Some(href))? {
                links.push(Link {
                    rel: Cow::Borrowed(rel),
                    href,
                });
            }
        }
        // The emptied list goes to the next `draft_reusing`.
        self.link_scratch = draft_links;
        let source_ref = self.trimmed(i, "source_ref", d.source_ref)?;

        let vendor_key = d
            .vendor_key
            .map(|k| self.without_nul(k))
            .filter(|k| !trim(k).is_empty());
        let (dedup_key, dedup_basis) = if let Some(key) = vendor_key {
            if key.len() > dedup::MAX_KEY_BYTES {
                note(
                    &mut why,
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
        } else if d.label_identity && !labels.is_empty() {
            note(
                &mut why,
                "dedup_key",
                "Alertmanager fingerprint of the labels (FNV-1a 64)",
            );
            let key = dedup::fingerprint_sorted(labels.iter());
            (Cow::Owned(key), DedupBasis::Labels)
        } else {
            note(
                &mut why,
                "dedup_key",
                "SHA-256 of source, service, host and title",
            );
            let key = dedup::content_key(
                self.source.as_str(),
                service.as_deref(),
                host.as_deref(),
                &title,
            );
            (Cow::Owned(key), DedupBasis::Content)
        };

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

    /// An empty builder for text that lives shorter than the request (a
    /// document decoded from a form field, say); see [`Builder::absorb`].
    pub fn scoped<'x>(&self) -> Builder<'o, 'x>
    where
        'a: 'x,
    {
        let mut sub = Builder::new(self.opts, self.headers, self.source);
        sub.body = self.body.clone();
        sub
    }

    /// Takes over what a [`Builder::scoped`] builder collected, copying its text.
    pub fn absorb(&mut self, sub: Builder<'o, '_>) {
        let sub_dropped = sub.dropped_warnings;
        // `Alert<'static>` coerces to `Alert<'a>` one by one.
        for alert in sub.alerts {
            self.alerts.push(alert.into_owned());
        }
        for w in sub.warnings {
            self.warn(w.code, w.message);
        }
        self.dropped_warnings += sub_dropped;
        if sub.group_key.is_some() {
            self.group_key = sub.group_key;
        }
        if sub.notice.is_some() {
            self.notice = sub.notice;
        }
        for (k, v) in sub.annotations.iter() {
            self.annotations.insert(String::from(k), String::from(v));
        }
        self.origins.extend(sub.origins);
    }

    /// Normalises and appends a draft whose text does not live as long as the
    /// request (it is copied).
    pub fn push_owned(&mut self, d: Draft<'_>) -> Result<(), Error> {
        self.push(d.into_owned())
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

    /// NUL-stripped text cut to `limit` (or rejected when strict); empty becomes `None`.
    #[inline(always)]
    fn text(
        &mut self,
        i: usize,
        field: &str,
        value: Option<Cow<'a, str>>,
        limit: usize,
        code: WarningCode,
    ) -> Result<Option<Cow<'a, str>>, Error> {
        let Some(value) = value.map(|v| self.without_nul(v)) else {
            return Ok(None);
        };
        if value.is_empty() {
            return Ok(None);
        }
        // Inlined for the usual case, a short text; cutting stays out of line.
        if too_long(&value, limit) {
            return self.cut(i, field, &value, limit, code).map(Some);
        }
        Ok(Some(value))
    }

    /// `value` cut to `limit` chars with a warning, or the strict mode's error.
    #[cold]
    fn cut(
        &mut self,
        i: usize,
        field: &str,
        value: &str,
        limit: usize,
        code: WarningCode,
    ) -> Result<Cow<'a, str>, Error> {
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
        Ok(Cow::Owned(cut(value, limit)))
    }

    /// A short field, trimmed, under the value limit.
    #[inline]
    fn trimmed(
        &mut self,
        i: usize,
        field: &str,
        value: Option<Cow<'a, str>>,
    ) -> Result<Option<Cow<'a, str>>, Error> {
        self.trimmed_keep(i, field, value.map(trim_cow))
    }

    /// A short field kept verbatim, under the value limit.
    #[inline]
    fn trimmed_keep(
        &mut self,
        i: usize,
        field: &str,
        value: Option<Cow<'a, str>>,
    ) -> Result<Option<Cow<'a, str>>, Error> {
        let limit = self.opts.limits.max_value_chars;
        self.text(i, field, value, limit, WarningCode::FieldTruncated)
    }

    /// Whether `s` needs no cleaning: within `limit` chars and free of NULs.
    #[inline]
    fn is_clean(&self, s: &str, limit: usize) -> bool {
        !(too_long(s, limit) || self.may_hold_nul(s) && text::has_nul(s.as_bytes()))
    }

    fn map(
        &mut self,
        i: usize,
        kind: MapKind,
        mut pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    ) -> Result<StrMap<'a>, Error> {
        let limits = self.opts.limits;
        // The usual map: every key non-empty and every text within its limit
        // and free of NULs, so only secret values change.
        let clean = pairs.iter().all(|(k, v)| {
            !k.is_empty()
                && self.is_clean(k, limits.max_key_chars)
                && self.is_clean(v, limits.max_value_chars)
        });
        if !clean {
            return self.map_cleaning(i, kind, pairs);
        }
        let memo = &mut self.key_memo[kind as usize];
        if memo.matches(&pairs) {
            // The previous alert's keys again: their answers still hold.
            for ((_, v), &(_, secret)) in pairs.iter_mut().zip(&memo.keys) {
                if secret {
                    *v = Cow::Borrowed(crate::REDACTED);
                }
            }
            return Ok(if memo.sorted {
                StrMap::from_sorted(pairs)
            } else {
                StrMap::from_pairs(pairs)
            });
        }
        let mut memoable = pairs.len() <= KEY_MEMO;
        for (r, (k, v)) in pairs.iter_mut().enumerate() {
            let secret = crate::is_secret_key(k);
            match (memo.keys.get_mut(r), &*k) {
                (Some(slot), Cow::Borrowed(k)) => *slot = (k, secret),
                _ => memoable = false,
            }
            if secret {
                *v = Cow::Borrowed(crate::REDACTED);
            }
        }
        let n = pairs.len();
        let (map, sorted) = StrMap::from_pairs_sorted(pairs);
        memo.len = if memoable { n } else { usize::MAX };
        memo.sorted = sorted;
        Ok(map)
    }

    /// [`Builder::map`] for any map: NULs stripped, empty keys dropped, long
    /// text cut (or refused when strict), secret values redacted.
    fn map_cleaning(
        &mut self,
        i: usize,
        kind: MapKind,
        mut pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    ) -> Result<StrMap<'a>, Error> {
        let limits = self.opts.limits;
        let (field, code) = (kind.field(), kind.code());
        // Cleaned in place: the draft's list becomes the map's, one allocation.
        let mut kept = 0;
        for r in 0..pairs.len() {
            let (k, v) = core::mem::take(&mut pairs[r]);
            let Some(key) = self.text(i, field, Some(k), limits.max_key_chars, code)? else {
                continue;
            };
            // A secret-looking key keeps its name but never its value.
            let value = if crate::is_secret_key(&key) {
                Cow::Borrowed(crate::REDACTED)
            } else {
                self.text(i, field, Some(v), limits.max_value_chars, code)?
                    .unwrap_or_default()
            };
            pairs[kept] = (key, value);
            kept += 1;
        }
        pairs.truncate(kept);
        Ok(StrMap::from_pairs(pairs))
    }

    fn timestamp(
        &mut self,
        i: usize,
        field: &str,
        raw: Option<Cow<'a, str>>,
    ) -> Option<Cow<'a, str>> {
        let raw = trim_cow(raw?);
        let t = &*raw;
        if t.is_empty() || text::is_zero_time(t) {
            return None;
        }
        if text::is_rfc3339(t) {
            return Some(raw);
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

/// The text trimmed, still borrowed when it was.
pub(crate) fn trim_cow(v: Cow<'_, str>) -> Cow<'_, str> {
    match v {
        Cow::Borrowed(s) => Cow::Borrowed(trim(s)),
        Cow::Owned(s) if trim(&s).len() == s.len() => Cow::Owned(s),
        Cow::Owned(s) => Cow::Owned(String::from(trim(&s))),
    }
}

/// Field → origin for an alert's draft, pointers made absolute.
fn explain_fields(d: &Draft<'_>) -> BTreeMap<String, String> {
    d.origins
        .iter()
        .map(|(field, origin)| (String::from(*field), d.resolve(origin)))
        .collect()
}

fn note(why: &mut Option<BTreeMap<String, String>>, field: &str, text: &str) {
    if let Some(w) = why {
        w.insert(String::from(field), String::from(text));
    }
}

/// Every canonical field gets an entry: what was recorded, or why it is empty.
fn fill_absent(w: &mut BTreeMap<String, String>, a: &Alert<'_>) {
    let empty = [
        ("description", a.description.is_none()),
        ("severity_raw", a.severity_raw.is_none()),
        ("service", a.service.is_none()),
        ("host", a.host.is_none()),
        ("labels", a.labels.is_empty()),
        ("annotations", a.annotations.is_empty()),
        ("started_at", a.started_at.is_none()),
        ("ended_at", a.ended_at.is_none()),
        ("links", a.links.is_empty()),
        ("source_ref", a.source_ref.is_none()),
    ];
    for (field, is_empty) in empty {
        if is_empty {
            let text = match w.get(field) {
                // A derivation that already says why it is null.
                Some(why) if why.starts_with("null") => continue,
                Some(origin) => {
                    format!("{origin}: present but unusable (empty or invalid), so null")
                }
                None => String::from("absent"),
            };
            w.insert(String::from(field), text);
        } else {
            w.entry(String::from(field))
                .or_insert_with(|| String::from("set by the sender's reader"));
        }
    }
    for field in ["title", "status", "dedup_key"] {
        w.entry(String::from(field))
            .or_insert_with(|| String::from("set by the sender's reader"));
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;
    use proptest::prelude::*;

    /// Keys and values that take every branch: secret words, repeats, empty
    /// text, NULs, text over the limits, non-ASCII.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "alertname",
                "severity",
                "api_key",
                "X-Api-Token",
                "description",
                "",
                "a\0b",
                "\0",
                "é",
                "ünïcödé-long-text",
                "secret",
                "env",
            ])
            .prop_map(String::from),
            "[a-z_]{0,12}",
        ]
    }

    fn pairs() -> impl Strategy<Value = Vec<(String, String, bool)>> {
        prop::collection::vec((text(), text(), any::<bool>()), 0..6)
    }

    fn cows(ps: &[(String, String, bool)]) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
        // The flag makes a value owned, as an escaped JSON string would be.
        ps.iter()
            .map(|(k, v, owned)| {
                let v = if *owned {
                    Cow::Owned(v.clone())
                } else {
                    Cow::Borrowed(v.as_str())
                };
                (Cow::Borrowed(k.as_str()), v)
            })
            .collect()
    }

    proptest! {
        /// The fast path with its secret-key memo, over a run of maps as a
        /// group's alerts bring them, answers as the cleaning path does.
        #[test]
        #[cfg_attr(miri, ignore)]
        fn map_fast_path_matches_cleaning(
            pool in prop::collection::vec(pairs(), 1..4),
            order in prop::collection::vec(0usize..4, 1..8),
            key_limit in prop::sample::select(vec![4usize, 256]),
            value_limit in prop::sample::select(vec![6usize, 2048]),
            strict in any::<bool>(),
            json in any::<bool>(),
        ) {
            // A group's alerts repeat their key lists: draw the maps from a small pool.
            let maps: Vec<_> = order.iter().map(|&i| pool[i % pool.len()].clone()).collect();
            let mut opts = Options::default();
            opts.limits.max_key_chars = key_limit;
            opts.limits.max_value_chars = value_limit;
            opts.limits.strict = strict;
            // Text is only declared NUL-free when it is.
            let json = json && maps.iter().flatten().all(|(k, v, _)| !k.contains('\0') && !v.contains('\0'));
            let mut fast = Builder::new(&opts, &[], Source::Generic);
            let mut slow = Builder::new(&opts, &[], Source::Generic);
            if json {
                fast.text_has_no_nul();
                slow.text_has_no_nul();
            }
            for (i, m) in maps.iter().enumerate() {
                for kind in [MapKind::Labels, MapKind::Annotations] {
                    let a = fast.map(i, kind, cows(m));
                    let b = slow.map_cleaning(i, kind, cows(m));
                    prop_assert_eq!(a, b);
                }
            }
            prop_assert_eq!(fast.warnings, slow.warnings);
        }
    }

    #[test]
    fn secret_memo_follows_the_key_at_each_place() {
        let opts = Options::default();
        let mut b = Builder::new(&opts, &[], Source::Generic);
        let map = |b: &mut Builder<'_, '_>, k: &'static str| {
            b.map(
                0,
                MapKind::Labels,
                vec![("a".into(), "1".into()), (k.into(), "v".into())],
            )
            .unwrap()
            .get(k)
            .map(ToString::to_string)
        };
        assert_eq!(map(&mut b, "api_token").as_deref(), Some(crate::REDACTED));
        assert_eq!(map(&mut b, "team").as_deref(), Some("v"));
        assert_eq!(map(&mut b, "password").as_deref(), Some(crate::REDACTED));
        assert_eq!(map(&mut b, "password").as_deref(), Some(crate::REDACTED));
    }
}
