//! Turns each sender's `Draft` into a canonical `Alert`: one place for text
//! limits, NUL stripping, status and severity mapping, timestamps and dedup keys.
//!
//! `draft` holds what a sender reads, `push` turns it into an alert, `clean`
//! applies the text limits and NUL stripping, `maps` builds labels and
//! annotations, `explain` records where each field came from.

mod clean;
mod draft;
mod explain;
mod maps;
mod push;

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::text::{bounded, cut, strip_nul, trim};
use crate::{Alert, Error, Options, Source, Status, StrMap, Warning, WarningCode, vocab};

pub(crate) use clean::trim_cow;
pub(crate) use draft::Draft;
use maps::KeyMemo;

/// How many warnings an `Ingest` reports before it says "and more".
const MAX_WARNINGS: usize = 100;

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
    /// The body's tokens, from its probe (see `typed`), and the text they record.
    pub tape: Option<(&'a str, alloc::rc::Rc<crate::tape::Tape>)>,
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
            tape: None,
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
    ///
    /// The body's tape answers first (no second scan of the text); whatever it
    /// declines, serde_json reads, and its error is the one reported.
    pub fn typed<'t, T: serde::Deserialize<'t>>(&mut self, text: &'t str) -> Result<T, Error> {
        if let Some((taped, tape)) = &self.tape
            && core::ptr::eq(taped.as_ptr(), text.as_ptr())
            && taped.len() == text.len()
            && let Some(value) = crate::tape::TapeDe::read(text, tape)
        {
            return Ok(value);
        }
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
}
