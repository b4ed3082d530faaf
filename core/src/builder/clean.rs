//! Text limits, NUL stripping and trimming of an alert's fields.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;

use super::Builder;
use crate::text::{self, bounded, cut, strip_nul, too_long, trim};
use crate::{Error, WarningCode};

impl<'a> Builder<'_, 'a> {
    /// Whether `s` may hold a NUL.
    #[inline]
    pub(super) fn may_hold_nul(&self, s: &str) -> bool {
        debug_assert!(!self.no_nul || !s.contains('\0'));
        !self.no_nul
    }

    /// `s` without NULs.
    pub(super) fn without_nul(&self, s: Cow<'a, str>) -> Cow<'a, str> {
        if self.may_hold_nul(&s) {
            strip_nul(s)
        } else {
            s
        }
    }

    /// NUL-stripped text cut to `limit` (or rejected when strict); empty becomes `None`.
    #[inline(always)]
    pub(super) fn text(
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
    pub(super) fn trimmed(
        &mut self,
        i: usize,
        field: &str,
        value: Option<Cow<'a, str>>,
    ) -> Result<Option<Cow<'a, str>>, Error> {
        self.trimmed_keep(i, field, value.map(trim_cow))
    }

    /// A short field kept verbatim, under the value limit.
    #[inline]
    pub(super) fn trimmed_keep(
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
    pub(super) fn is_clean(&self, s: &str, limit: usize) -> bool {
        !(too_long(s, limit) || self.may_hold_nul(s) && text::has_nul(s.as_bytes()))
    }

    pub(super) fn timestamp(
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
