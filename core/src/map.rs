//! `StrMap`: the labels and annotations of an alert.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;
use serde::ser::SerializeMap;

/// String keys to string values, sorted by key, each key once: an alert's
/// labels or annotations. A sorted list rather than a tree, since these maps
/// are small and read far more often than changed.
///
/// ```
/// use alertgate::StrMap;
///
/// let map: StrMap = [("team", "payments"), ("env", "prod"), ("team", "web")].into_iter().collect();
/// assert_eq!(map.get("team"), Some("web")); // the last value of a key wins
/// assert_eq!(map.keys().collect::<Vec<_>>(), ["env", "team"]);
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StrMap<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> StrMap<'a> {
    /// An empty map.
    pub const fn new() -> Self {
        StrMap(Vec::new())
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(key))
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key).ok().map(|i| &*self.0[i].1)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`; the previous value, if there was one.
    pub fn insert(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        value: impl Into<Cow<'a, str>>,
    ) -> Option<Cow<'a, str>> {
        let key = key.into();
        let value = value.into();
        match self.find(&key) {
            Ok(i) => Some(core::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes `key`; its value, if it was present.
    pub fn remove(&mut self, key: &str) -> Option<Cow<'a, str>> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The pairs in key order.
    pub fn iter(&self) -> Iter<'_, 'a> {
        Iter(self.0.iter())
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| &**k)
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| &**v)
    }

    /// The same map, owning its text.
    pub fn into_owned(self) -> StrMap<'static> {
        StrMap(
            self.0
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
        )
    }

    /// A map from pairs in any order; the last value of a repeated key wins.
    pub(crate) fn from_pairs(pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>) -> Self {
        Self::from_pairs_sorted(pairs).0
    }

    /// A map from pairs already strictly ascending by key (the caller knows).
    pub(crate) fn from_sorted(pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>) -> Self {
        debug_assert!(pairs.is_sorted_by(|a, b| a.0 < b.0));
        StrMap(pairs)
    }

    /// [`StrMap::from_pairs`], and whether the pairs were strictly ascending already.
    pub(crate) fn from_pairs_sorted(mut pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>) -> (Self, bool) {
        // Senders often send keys sorted already (Go's JSON encoder sorts map
        // keys): one look settles that, and there is nothing to sort or merge.
        if pairs.is_sorted_by(|a, b| a.0 < b.0) {
            return (StrMap(pairs), true);
        }
        // A stable sort keeps repeats in their order; the merge then keeps the last value.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.dedup_by(|later, kept| {
            if later.0 == kept.0 {
                core::mem::swap(&mut later.1, &mut kept.1);
                true
            } else {
                false
            }
        });
        (StrMap(pairs), false)
    }
}

impl<'a, K: Into<Cow<'a, str>>, V: Into<Cow<'a, str>>> FromIterator<(K, V)> for StrMap<'a> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        StrMap::from_pairs(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<'m, 'a> IntoIterator for &'m StrMap<'a> {
    type Item = (&'m str, &'m str);
    type IntoIter = Iter<'m, 'a>;
    fn into_iter(self) -> Iter<'m, 'a> {
        self.iter()
    }
}

/// The pairs of a [`StrMap`] in key order.
#[derive(Debug, Clone)]
pub struct Iter<'m, 'a>(core::slice::Iter<'m, (Cow<'a, str>, Cow<'a, str>)>);

impl<'m> Iterator for Iter<'m, '_> {
    type Item = (&'m str, &'m str);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&**k, &**v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_, '_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (&**k, &**v))
    }
}

impl ExactSizeIterator for Iter<'_, '_> {}

/// `map["key"]`, like `BTreeMap`: panics when the key is absent (use [`StrMap::get`] otherwise).
impl<'a> core::ops::Index<&str> for StrMap<'a> {
    type Output = Cow<'a, str>;
    fn index(&self, key: &str) -> &Cow<'a, str> {
        match self.find(key) {
            Ok(i) => &self.0[i].1,
            Err(_) => panic!("no key {key:?} in the map"),
        }
    }
}

impl fmt::Debug for StrMap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for StrMap<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    #[test]
    fn sorted_unique_last_wins() {
        let mut m: StrMap = [("b", "1"), ("a", "2"), ("b", "3"), ("c", "4"), ("a", "5")]
            .into_iter()
            .collect();
        assert_eq!(
            m.iter().collect::<Vec<_>>(),
            [("a", "5"), ("b", "3"), ("c", "4")]
        );
        assert_eq!(m.insert("b", String::from("9")).as_deref(), Some("3"));
        assert_eq!(m.insert("aa", "0"), None);
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "aa", "b", "c"]);
        assert_eq!(m.remove("a").as_deref(), Some("5"));
        assert!(!m.contains_key("a") && m.contains_key("aa"));
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"aa":"0","b":"9","c":"4"}"#
        );
        assert_eq!(
            alloc::format!("{m:?}"),
            r#"{"aa": "0", "b": "9", "c": "4"}"#
        );
        let owned: StrMap<'static> = m.clone().into_owned();
        assert_eq!(owned, m);
    }
}
