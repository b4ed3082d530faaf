//! JSON plumbing: lenient borrowed text, the probe pass and `strip_tier`.
//!
//! A JSON body is read in two passes. The probe checks syntax and nesting depth
//! and records the top-level keys (and `tier`) without building a tree; the
//! chosen sender then deserializes its own typed, borrowed structs.

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::Cell;
use core::fmt;

use crate::tape::{Tape, TapeDe};
use alloc::rc::Rc;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::Error;

/// A text value borrowed from the body when it has no escapes.
///
/// Lenient on purpose: numbers and booleans become their JSON text, and nested
/// objects or arrays their compact JSON, so one odd field never rejects an alert.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Text<'a>(pub Cow<'a, str>);

impl<'a> Text<'a> {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text of an optional field, for `Draft::pick` candidates.
pub(crate) fn cow<'a>(t: Option<Text<'a>>) -> Option<Cow<'a, str>> {
    t.map(|t| t.0)
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v.into())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v)))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(if v { "true" } else { "false" })))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(
            serde_json::Number::from_f64(v).map_or_else(String::new, |n| n.to_string()),
        )))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Text(Cow::Owned(v.to_string())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Text(Cow::Owned(v.to_string())))
    }
}

/// A JSON object read as (key, text) pairs in document order; null values are skipped.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pairs<'a>(pub Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Pairs<'a> {
    /// The last value for `key` (JSON's duplicate-key rule: last wins).
    pub fn get(&self, key: &str) -> Option<&Cow<'a, str>> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The pairs as borrowed Cow pairs for a draft.
    pub fn to_cows(&self) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
        self.0.clone()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Pairs<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pairs<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((k, v)) = map.next_entry::<Text<'de>, Option<Text<'de>>>()? {
                    if let Some(v) = v {
                        out.push((k.0, v.0));
                    }
                }
                Ok(Pairs(out))
            }
            // An empty array is how some PHP/JS senders write an empty object.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Pairs(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The JSON type of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "boolean",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

/// A top-level number, kept for the `tier` field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    U(u64),
    I(i64),
    F(f64),
}

/// What the probe pass learned about a JSON object body.
#[derive(Debug)]
pub(crate) struct Probe<'a> {
    /// Top-level keys and the type of their values, in document order.
    pub keys: Vec<(Cow<'a, str>, Kind)>,
    /// The last top-level `tier` value: its type, and the number if it is one.
    pub tier: Option<(Kind, Option<Num>)>,
    /// The whole body as tokens, when the one-pass scanner made the probe
    /// (shared with the builder's typed parse).
    pub tape: Option<Rc<Tape>>,
    /// One bit per key (`key_bit`): detection asks about dozens of absent keys
    /// a request, and most are answered here without comparing strings.
    seen: u64,
}

/// A key's bit in `Probe::seen`, from its length and first and last bytes.
fn key_bit(key: &str) -> u64 {
    let b = key.as_bytes();
    let first = usize::from(b.first().copied().unwrap_or(0));
    let last = usize::from(b.last().copied().unwrap_or(0));
    1 << ((first * 7 + last * 3 + b.len()) & 63)
}

impl<'a> Probe<'a> {
    /// The probe of an object with these top-level keys (in document order).
    pub fn new(keys: Vec<(Cow<'a, str>, Kind)>, tier: Option<(Kind, Option<Num>)>) -> Self {
        let seen = keys.iter().fold(0, |seen, (k, _)| seen | key_bit(k));
        Probe {
            keys,
            tier,
            tape: None,
            seen,
        }
    }

    /// The probed `text` read as a `T`: from the tape when it has one and
    /// accepts, else by serde_json (which gives the error).
    pub fn typed<T: Deserialize<'a>>(&self, text: &'a str) -> Result<T, String> {
        if let Some(value) = self.tape.as_deref().and_then(|t| TapeDe::read(text, t)) {
            return Ok(value);
        }
        typed(text)
    }

    /// The type of the last top-level value named `key`.
    pub fn kind(&self, key: &str) -> Option<Kind> {
        if self.seen & key_bit(key) == 0 {
            return None;
        }
        self.keys
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|&(_, kind)| kind)
    }

    /// Whether a top-level key is present with a non-null value.
    pub fn has(&self, key: &str) -> bool {
        matches!(self.kind(key), Some(k) if k != Kind::Null)
    }

    /// Whether a top-level key is present with a value of this type.
    pub fn is(&self, key: &str, kind: Kind) -> bool {
        self.kind(key) == Some(kind)
    }
}

/// Walks one value, failing past the depth limit; returns its type and number.
pub(crate) struct Walk<'c> {
    depth: usize,
    limit: usize,
    too_deep: &'c Cell<bool>,
}

impl<'c> Walk<'c> {
    /// A walk of a value nested `depth` containers deep (a top-level member is at 1).
    pub fn at(depth: usize, limit: usize, too_deep: &'c Cell<bool>) -> Self {
        Walk {
            depth,
            limit,
            too_deep,
        }
    }

    fn enter<E: de::Error>(&self) -> Result<Walk<'c>, E> {
        if self.depth >= self.limit {
            self.too_deep.set(true);
            return Err(E::custom("nesting limit exceeded"));
        }
        Ok(Walk {
            depth: self.depth + 1,
            limit: self.limit,
            too_deep: self.too_deep,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = (Kind, Option<Num>);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = (Kind, Option<Num>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok((Kind::Null, None))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok((Kind::Bool, None))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok((Kind::Number, Some(Num::U(v))))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok((Kind::Number, Some(Num::I(v))))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok((Kind::Number, Some(Num::F(v))))
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok((Kind::String, None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let inner = self.enter()?;
        while seq
            .next_element_seed(Walk {
                depth: inner.depth,
                limit: inner.limit,
                too_deep: inner.too_deep,
            })?
            .is_some()
        {}
        Ok((Kind::Array, None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let inner = self.enter()?;
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Walk {
                depth: inner.depth,
                limit: inner.limit,
                too_deep: inner.too_deep,
            })?;
        }
        Ok((Kind::Object, None))
    }
}

/// The top-level visitor: an object becomes a `Probe`; anything else reports its type.
struct Top<'c> {
    limit: usize,
    too_deep: &'c Cell<bool>,
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Result<Probe<'de>, Kind>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Err(Kind::Null))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err(Kind::Bool))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err(Kind::Number))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err(Kind::Number))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err(Kind::Number))
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err(Kind::String))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        // Still walked, so syntax and depth errors win over "not an object".
        Walk {
            depth: 0,
            limit: self.limit,
            too_deep: self.too_deep,
        }
        .visit_seq(seq)?;
        Ok(Err(Kind::Array))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let walk = Walk {
            depth: 0,
            limit: self.limit,
            too_deep: self.too_deep,
        }
        .enter()?;
        let mut keys = Vec::with_capacity(16);
        let mut tier = None;
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            let (kind, num) = map.next_value_seed(Walk {
                depth: walk.depth,
                limit: walk.limit,
                too_deep: walk.too_deep,
            })?;
            if key == "tier" {
                tier = Some((kind, num));
            }
            keys.push((key, kind));
        }
        Ok(Ok(Probe::new(keys, tier)))
    }
}

/// Checks a JSON document and probes its top-level object.
///
/// Works on `&str` so serde_json skips re-validating UTF-8 string by string.
pub(crate) fn probe(text: &str, max_depth: usize) -> Result<Probe<'_>, Error> {
    // The one-pass scanner answers for the bodies it accepts, in about half
    // the instructions; serde_json for the rest, and for every error.
    if let Some(probe) = crate::scan::probe(text, max_depth) {
        return Ok(probe);
    }
    probe_serde(text, max_depth)
}

/// [`probe`] by serde_json alone: the authority on what is valid JSON.
pub(crate) fn probe_serde(text: &str, max_depth: usize) -> Result<Probe<'_>, Error> {
    let too_deep = Cell::new(false);
    let mut de = serde_json::Deserializer::from_str(text);
    let top = Top {
        limit: max_depth,
        too_deep: &too_deep,
    };
    let parsed = de.deserialize_any(top).and_then(|r| de.end().map(|()| r));
    match parsed {
        Ok(Ok(probe)) => Ok(probe),
        Ok(Err(kind)) => Err(Error::NotAnObject { found: kind.name() }),
        Err(_) if too_deep.get() => Err(Error::TooDeep { limit: max_depth }),
        Err(e) => Err(invalid_json(&e)),
    }
}

pub(crate) fn invalid_json(e: &serde_json::Error) -> Error {
    let mut message = e.to_string();
    // serde_json appends " at line L column C"; the fields carry that already.
    if let Some(at) = message.rfind(" at line ") {
        message.truncate(at);
    }
    Error::InvalidJson {
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// Deserializes a sender's typed struct from an already-probed body.
pub(crate) fn typed<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// The JSON object body with every top-level `tier` member removed, every
/// other byte kept as it was; the body itself when there is nothing to remove
/// or it is not a JSON object.
///
/// ```
/// let out = alertgate::strip_tier(br#"{"tier": 2, "service": "db"}"#);
/// assert_eq!(&*out, br#"{"service": "db"}"#);
/// ```
pub fn strip_tier(body: &[u8]) -> Cow<'_, [u8]> {
    members(body)
        .filter(|m| m.iter().any(|&(_, _, is_tier)| is_tier))
        .map_or(Cow::Borrowed(body), |m| Cow::Owned(rebuild(body, &m)))
}

/// Rebuilds an object from its kept members, reusing the original separators.
fn rebuild(body: &[u8], members: &[(usize, usize, bool)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    out.extend_from_slice(&body[..members[0].0]);
    let mut prev: Option<usize> = None;
    for (i, &(start, end, is_tier)) in members.iter().enumerate() {
        if is_tier {
            continue;
        }
        if let Some(p) = prev {
            // The separator that followed the previous kept member.
            out.extend_from_slice(&body[members[p].1..members[p + 1].0]);
        }
        out.extend_from_slice(&body[start..end]);
        prev = Some(i);
    }
    out.extend_from_slice(&body[members[members.len() - 1].1..]);
    out
}

/// Spans (start, end, is_tier) of the top-level members of a JSON object, or
/// `None` when `body` is not a well-formed object as far as this scan sees.
fn members(body: &[u8]) -> Option<Vec<(usize, usize, bool)>> {
    let mut i = body.strip_prefix(b"\xEF\xBB\xBF").map_or(0, |_| 3);
    let ws = |b: &[u8], mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    i = ws(body, i);
    if body.get(i) != Some(&b'{') {
        return None;
    }
    let mut out = Vec::new();
    i = ws(body, i + 1);
    if body.get(i) == Some(&b'}') {
        return Some(out);
    }
    loop {
        let start = i;
        let key_end = skip_string(body, i)?;
        let key: String = serde_json::from_slice(&body[start..key_end]).ok()?;
        i = ws(body, key_end);
        if body.get(i) != Some(&b':') {
            return None;
        }
        i = ws(body, i + 1);
        let end = skip_value(body, i)?;
        out.push((start, end, key == "tier"));
        i = ws(body, end);
        match body.get(i) {
            Some(b',') => i = ws(body, i + 1),
            Some(b'}') => return Some(out),
            _ => return None,
        }
    }
}

/// One value of a JSON document: its JSON Pointer and byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    pub pointer: String,
    pub start: usize,
    pub end: usize,
}

/// The byte offset of serde_json's one-based `line` and `column` (the count
/// of bytes after the line's start) in `text`.
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.bytes()
            .enumerate()
            .filter(|&(_, c)| c == b'\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    (line_start + column).min(text.len())
}

/// The values that enclose the error serde_json reports at `offset` (just
/// after the byte it stopped on), outermost first: the root, then each member
/// or element down to the innermost value there. A position between values
/// (a type error found by peeking) counts for the value that follows.
pub(crate) fn values_at(text: &str, offset: usize) -> Vec<Span> {
    let b = text.as_bytes();
    let ws = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let target = offset.saturating_sub(1);
    let mut out = Vec::new();
    let mut start = ws(0);
    let mut pointer = String::new();
    while let Some(end) = skip_value(b, start) {
        out.push(Span {
            pointer: pointer.clone(),
            start,
            end,
        });
        let open = b[start];
        if open != b'{' && open != b'[' {
            break;
        }
        // The child whose span holds the target, or starts right after it.
        let mut i = ws(start + 1);
        let mut index = 0usize;
        let mut next = None;
        while i < end - 1 {
            let mut key = None;
            if open == b'{' {
                let Some(key_end) = skip_string(b, i) else {
                    break;
                };
                key = serde_json::from_str::<String>(&text[i..key_end]).ok();
                i = ws(key_end);
                if b.get(i) != Some(&b':') {
                    break;
                }
                i = ws(i + 1);
            }
            let Some(child_end) = skip_value(b, i) else {
                break;
            };
            let gap_before = b[target.min(i)..i]
                .iter()
                .all(|c| c.is_ascii_whitespace() || matches!(c, b':' | b',' | b'[' | b'{'));
            let inside = start < target;
            if (i <= target && target < child_end) || (inside && target < i && gap_before) {
                let segment = key.unwrap_or_else(|| index.to_string());
                next = Some((i, segment));
                break;
            }
            if target < i {
                break;
            }
            i = ws(child_end);
            if b.get(i) == Some(&b',') {
                i = ws(i + 1);
            }
            index += 1;
        }
        let Some((child, segment)) = next else { break };
        pointer.push('/');
        pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
        start = child;
    }
    out
}

/// End (exclusive) of the JSON string starting at `i`.
fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    loop {
        match b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// End (exclusive) of the JSON value starting at `i`.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let n = b[i..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']') || c.is_ascii_whitespace())
                .unwrap_or(b.len() - i);
            (n > 0).then_some(i + n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    fn strip(s: &str) -> String {
        String::from_utf8(strip_tier(s.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn strip_tier_keeps_other_bytes() {
        assert_eq!(strip(r#"{"tier":2,"a":1}"#), r#"{"a":1}"#);
        assert_eq!(strip(r#"{"a":1, "tier":2}"#), r#"{"a":1}"#);
        assert_eq!(
            strip(r#"{ "a": [1,{"tier":3}], "tier": 2 ,"b" : "x"}"#),
            r#"{ "a": [1,{"tier":3}], "b" : "x"}"#
        );
        assert_eq!(strip(r#"{"tier":2}"#), r#"{}"#);
        assert_eq!(
            strip(r#"{"t\u0069er":2,"tier":{"x":"}"},"z":null}"#),
            r#"{"z":null}"#
        );
        assert_eq!(strip(r#"{"a":1}"#), r#"{"a":1}"#);
        assert_eq!(strip("not json"), "not json");
        assert_eq!(strip(r#"{"tier":2"#), r#"{"tier":2"#);
    }

    #[test]
    fn values_at_names_the_value_serde_stopped_on() {
        let at = |text: &str, line, column| {
            values_at(text, offset_of(text, line, column))
                .into_iter()
                .map(|v| v.pointer)
                .collect::<Vec<_>>()
        };
        let text = "{\"a\": {\"b/c\": \"None\"},\n \"d\": [1, {\"e\": 2}]}";
        for (line, column, want) in [
            (1, 20, "/a/b~1c"),
            (2, 7, "/d"),
            (2, 8, "/d/0"),
            (2, 16, "/d/1/e"),
        ] {
            let chain = at(text, line, column);
            assert_eq!(
                chain.first().map(String::as_str),
                Some(""),
                "{line}:{column}"
            );
            assert_eq!(
                chain.last().map(String::as_str),
                Some(want),
                "{line}:{column}"
            );
        }
        // serde's own position for a string where a list was expected.
        let bad = serde_json::from_str::<BadList>(r#"{"list": "x", "n": 1}"#).unwrap_err();
        let text = r#"{"list": "x", "n": 1}"#;
        assert_eq!(
            at(text, bad.line(), bad.column())
                .last()
                .map(String::as_str),
            Some("/list")
        );
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct BadList {
        list: Option<Vec<u8>>,
    }

    #[test]
    fn probe_reports_depth_and_type() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(70), "]".repeat(70));
        assert_eq!(probe(&deep, 64).unwrap_err(), Error::TooDeep { limit: 64 });
        let ok = format!("{{\"a\":{}{}}}", "[".repeat(63), "]".repeat(63));
        assert!(probe(&ok, 64).is_ok());
        let over = format!("{{\"a\":{}{}}}", "[".repeat(64), "]".repeat(64));
        assert!(probe(&over, 64).is_err());
        assert_eq!(
            probe("[1]", 64).unwrap_err(),
            Error::NotAnObject { found: "array" }
        );
        assert!(matches!(
            probe("{\"a\":1} x", 64),
            Err(Error::InvalidJson { .. })
        ));
        let p = probe(r#"{"tier":2,"alerts":[]}"#, 64).unwrap();
        assert_eq!(p.tier, Some((Kind::Number, Some(Num::U(2)))));
        assert!(p.is("alerts", Kind::Array));
    }

    proptest::proptest! {
        /// The key filter never hides a key that is there: `kind` answers as a
        /// plain search of the keys would.
        #[test]
        #[cfg_attr(miri, ignore)]
        fn key_filter_answers_as_a_search(
            keys in proptest::collection::vec("[a-zA-Z_.]{0,6}", 0..24),
            asked in proptest::collection::vec("[a-zA-Z_.]{0,6}", 0..24),
        ) {
            let probe = Probe::new(
                keys.iter().map(|k| (Cow::Owned(k.clone()), Kind::String)).collect(),
                None,
            );
            for k in keys.iter().chain(&asked) {
                let searched = keys.iter().any(|key| key == k).then_some(Kind::String);
                proptest::prop_assert_eq!(probe.kind(k), searched);
            }
        }
    }
}
