//! What a sender reads for one alert, before the builder normalises it.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::text::trim;
use crate::{Severity, Status};

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
    pub(super) fn resolve(&self, origin: &str) -> String {
        if let Some(root) = origin.strip_prefix('#') {
            String::from(root)
        } else if origin.starts_with('/') {
            format!("{}{origin}", self.base)
        } else {
            String::from(origin)
        }
    }
}
