//! An alert's labels and annotations: the fast path for clean maps, with a
//! memo of the previous alert's keys, and the cleaning path for the rest.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::Builder;
use crate::{Error, StrMap, WarningCode};

/// How many keys of a map the key memo remembers (kept inline: a one-alert
/// request pays no allocation for it).
const KEY_MEMO: usize = 16;

/// An alert's two string maps: which field, the warning for cut text, and
/// which key memo serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MapKind {
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
pub(super) struct KeyMemo<'a> {
    keys: [(&'a str, bool); KEY_MEMO],
    /// How many of `keys` the previous map had; `usize::MAX` when it cannot be reused.
    len: usize,
    /// Whether those keys were strictly ascending.
    sorted: bool,
}

impl<'a> KeyMemo<'a> {
    pub(super) const EMPTY: Self = KeyMemo {
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

impl<'a> Builder<'_, 'a> {
    pub(super) fn map(
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, Source};
    use alloc::string::{String, ToString};
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
