//! A strict, partial JSON reader for the one-pass readers.
//!
//! It walks a body already known to be UTF-8 and hands back text borrowed from
//! it, passing over what it does not need with one byte loop instead of serde's
//! typed machinery (which had been the one-pass path's largest cost). It
//! accepts only JSON that serde_json accepts: escapes are decoded as serde_json
//! decodes them (a property test holds the two decoders together), numbers are
//! judged by serde_json itself on their span, and on anything else (a syntax
//! error, a raw control character, a lone surrogate, a `\u0000`, nesting past
//! the limit, a value of an unexpected type) it stops with [`Bail`], and the
//! body goes to the general path, which gives the answer or the error. So this
//! reader is never the authority on what JSON is; the `ingest` fuzz target and
//! a property test hold the two paths to the same result.

use alloc::borrow::Cow;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;

use serde::de::DeserializeSeed;

use crate::json::{Kind, Num, Probe, Text, Walk};
use crate::tape::{Tape, Tok};

/// "Leave this body to the general path."
#[derive(Debug)]
pub(crate) struct Bail;

/// What a step of the reader gives: the value, or [`Bail`].
pub(crate) type Scanned<T> = Result<T, Bail>;

/// (key, text) pairs of an object, in document order.
pub(crate) type TextPairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Nesting beyond this is left to the general path whatever the limit (serde_json
/// stops at 128 on its own).
const MAX_LEVEL: usize = 100;

/// A position in a JSON text.
pub(crate) struct Scan<'a> {
    text: &'a str,
    at: usize,
    /// The deepest container allowed (the top-level value is level 1).
    limit: usize,
}

impl<'a> Scan<'a> {
    /// A reader at the start of `text`, allowing containers `limit` levels deep.
    pub fn new(text: &'a str, limit: usize) -> Self {
        Scan {
            text,
            at: 0,
            limit: limit.min(MAX_LEVEL),
        }
    }

    /// How many bytes were read.
    pub fn offset(&self) -> usize {
        self.at
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.text.len().saturating_sub(self.at)
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        let b = self.text.as_bytes();
        while let Some(&c) = b.get(self.at) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(c);
            }
            self.at += 1;
        }
        None
    }

    /// Where the next value starts (whitespace consumed).
    fn at_next(&mut self) -> usize {
        self.peek();
        self.at
    }

    /// Opens an object (`{`) or array (`[`) at nesting `level`; whether it
    /// has members (an empty one is consumed whole).
    #[inline]
    pub fn open(&mut self, open: u8, level: usize) -> Scanned<bool> {
        if self.peek() != Some(open) || level > self.limit {
            return Err(Bail);
        }
        self.at += 1;
        // `}` and `]` are two code points after `{` and `[`.
        if self.peek() == Some(open + 2) {
            self.at += 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// After a member: `true` when another follows (a `,`), `false` at `close`.
    #[inline]
    pub fn more(&mut self, close: u8) -> Scanned<bool> {
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.at += 1;
                Ok(false)
            }
            _ => Err(Bail),
        }
    }

    /// An object member's key, and the `:` after it.
    #[inline(always)]
    pub fn key(&mut self) -> Scanned<Cow<'a, str>> {
        let mut key = Cow::Borrowed("");
        self.key_to(&mut key)?;
        Ok(key)
    }

    /// [`Scan::key`] written into `out`.
    #[inline(always)]
    fn key_to(&mut self, out: &mut Cow<'a, str>) -> Scanned<()> {
        self.string_to(out)?;
        if self.peek() != Some(b':') {
            return Err(Bail);
        }
        self.at += 1;
        Ok(())
    }

    /// A string: borrowed when it has no escapes, else decoded.
    #[inline]
    pub fn string(&mut self) -> Scanned<Cow<'a, str>> {
        let mut text = Cow::Borrowed("");
        self.string_to(&mut text)?;
        Ok(text)
    }

    /// [`Scan::string`] written into `out` (left as it was on [`Bail`]).
    ///
    /// The `_to` forms write a text where it is kept (a list's pair, an
    /// alert's field): a text returned and then moved there is copied with
    /// wide loads of the narrow stores that just made it, and the load waits
    /// for them (a store-forwarding stall, seen as the hottest instructions
    /// of the one-pass reader).
    #[inline(always)]
    fn string_to(&mut self, out: &mut Cow<'a, str>) -> Scanned<()> {
        if self.peek() != Some(b'"') {
            return Err(Bail);
        }
        let b = self.text.as_bytes();
        let start = self.at + 1;
        let mut i = start;
        // The decoded text, once an escape is met, and where the next run of
        // plain text starts: decoded in the same pass that finds the end.
        let mut decoded: Option<String> = None;
        let mut run = start;
        loop {
            i = special(b, i);
            match b.get(i) {
                Some(b'"') => break,
                Some(b'\\') => {
                    let out = decoded.get_or_insert_with(|| String::with_capacity(i - start + 64));
                    // `run` and `i` are ASCII positions, so character boundaries.
                    out.push_str(&self.text[run..i]);
                    i += unescape(b, i, out)?;
                    run = i;
                }
                // A raw control character, or the end of the text.
                _ => return Err(Bail),
            }
        }
        self.at = i + 1;
        *out = match decoded {
            None => Cow::Borrowed(&self.text[start..i]),
            Some(mut text) => {
                text.push_str(&self.text[run..i]);
                Cow::Owned(text)
            }
        };
        Ok(())
    }

    /// A scalar as [`Text`] reads it (numbers and booleans as their text);
    /// `None` for null. A nested value bails.
    #[inline]
    pub fn scalar(&mut self) -> Scanned<Option<Cow<'a, str>>> {
        let mut text = Cow::Borrowed("");
        Ok(self.scalar_to(&mut text)?.then_some(text))
    }

    /// [`Scan::scalar`] written into `out`; `false` for null (`out` untouched).
    #[inline(always)]
    fn scalar_to(&mut self, out: &mut Cow<'a, str>) -> Scanned<bool> {
        *out = match self.peek() {
            Some(b'"') => return self.string_to(out).map(|()| true),
            Some(b'n') => return self.literal("null").map(|()| false),
            Some(b't') => self.literal("true").map(|()| Cow::Borrowed("true"))?,
            Some(b'f') => self.literal("false").map(|()| Cow::Borrowed("false"))?,
            Some(b'-' | b'0'..=b'9') => {
                serde_json::from_str::<Text<'a>>(self.number())
                    .map_err(|_| Bail)?
                    .0
            }
            _ => return Err(Bail),
        };
        Ok(true)
    }

    /// An optional field's scalar, written into the field: `None` for null.
    #[inline]
    pub fn scalar_into(&mut self, field: &mut Option<Text<'a>>) -> Scanned<()> {
        let text = field.insert(Text(Cow::Borrowed("")));
        if !self.scalar_to(&mut text.0)? {
            *field = None;
        }
        Ok(())
    }

    /// An object of scalars as (key, text) pairs in document order, null
    /// values left out; `None` for null. The pairs are gathered in `scratch`,
    /// reused from object to object, and moved into a list of exactly their
    /// number (one allocation an object).
    pub fn scalar_pairs(
        &mut self,
        level: usize,
        scratch: &mut TextPairs<'a>,
    ) -> Scanned<Option<TextPairs<'a>>> {
        if self.null()? {
            return Ok(None);
        }
        // Pairs are read into the list's slots where they lie (see
        // `string_to`), its first `n` the object's so far; a null value's
        // slot is taken by the next pair.
        let mut n = 0;
        if self.open(b'{', level)? {
            loop {
                if n == scratch.len() {
                    scratch.push(Default::default());
                }
                let (key, value) = &mut scratch[n];
                self.key_to(key)?;
                if self.scalar_to(value)? {
                    n += 1;
                }
                if !self.more(b'}')? {
                    break;
                }
            }
        }
        let exact: TextPairs<'a> = scratch[..n].iter_mut().map(core::mem::take).collect();
        Ok(Some(exact))
    }

    /// A non-negative integer (as serde reads a `u64`), or `None` for null.
    pub fn u64_or_null(&mut self) -> Scanned<Option<u64>> {
        if self.null()? {
            return Ok(None);
        }
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => serde_json::from_str::<u64>(self.number())
                .map(Some)
                .map_err(|_| Bail),
            _ => Err(Bail),
        }
    }

    /// Any value, its containers counted from nesting `level`.
    pub fn skip(&mut self, level: usize) -> Scanned<()> {
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'{') => {
                if self.open(b'{', level)? {
                    loop {
                        self.key()?;
                        self.skip(level + 1)?;
                        if !self.more(b'}')? {
                            break;
                        }
                    }
                }
                Ok(())
            }
            Some(b'[') => {
                if self.open(b'[', level)? {
                    loop {
                        self.skip(level + 1)?;
                        if !self.more(b']')? {
                            break;
                        }
                    }
                }
                Ok(())
            }
            Some(b'n') => self.literal("null"),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'-' | b'0'..=b'9') => self.number_kind().map(drop),
            _ => Err(Bail),
        }
    }

    /// A number, read as the general path's walk reads it (a number out of
    /// range fails there, so it bails here).
    fn number_kind(&mut self) -> Scanned<(Kind, Option<Num>)> {
        let mut de = serde_json::Deserializer::from_str(self.number());
        let unused = Cell::new(false);
        Walk::at(0, 1, &unused)
            .deserialize(&mut de)
            .and_then(|v| de.end().map(|()| v))
            .map_err(|_| Bail)
    }

    /// Any value, as [`Scan::skip`] passes over it, written to `tape` as well;
    /// its type, and its number if it is one.
    fn record(&mut self, level: usize, tape: &mut Tape) -> Scanned<(Kind, Option<Num>)> {
        let (kind, tok) = match self.peek() {
            Some(b'-' | b'0'..=b'9') => {
                let start = self.at;
                let kind = self.number_kind()?;
                tape.toks.push(Tok::Num(start as u32, self.at as u32));
                return Ok(kind);
            }
            Some(b'"') => {
                let quote = self.at;
                let text = self.string()?;
                Self::record_text(quote, &text, tape);
                return Ok((Kind::String, None));
            }
            Some(b'{') => {
                let at = tape.toks.len();
                tape.toks.push(Tok::Obj(0));
                if self.open(b'{', level)? {
                    loop {
                        let quote = self.at_next();
                        let key = self.key()?;
                        Self::record_text(quote, &key, tape);
                        self.record(level + 1, tape)?;
                        if !self.more(b'}')? {
                            break;
                        }
                    }
                }
                tape.close(at);
                return Ok((Kind::Object, None));
            }
            Some(b'[') => {
                let at = tape.toks.len();
                tape.toks.push(Tok::Arr(0));
                if self.open(b'[', level)? {
                    loop {
                        self.record(level + 1, tape)?;
                        if !self.more(b']')? {
                            break;
                        }
                    }
                }
                tape.close(at);
                return Ok((Kind::Array, None));
            }
            Some(b'n') => (Kind::Null, Tok::Null),
            Some(b't') => (Kind::Bool, Tok::True),
            Some(b'f') => (Kind::Bool, Tok::False),
            _ => return Err(Bail),
        };
        self.literal(match tok {
            Tok::Null => "null",
            Tok::True => "true",
            _ => "false",
        })?;
        tape.toks.push(tok);
        Ok((kind, None))
    }

    /// A string read at `quote` (its opening quote): its span when it is
    /// borrowed from the text (so it has no escapes), else its decoded copy.
    #[allow(
        clippy::ptr_arg,
        reason = "whether the text is borrowed is what it reads"
    )]
    fn record_text(quote: usize, text: &Cow<'a, str>, tape: &mut Tape) {
        match text {
            Cow::Borrowed(t) => {
                let start = quote + 1;
                tape.toks
                    .push(Tok::Str(start as u32, (start + t.len()) as u32));
            }
            Cow::Owned(t) => {
                tape.toks.push(Tok::Esc(tape.decoded.len() as u32));
                tape.decoded.push(t.clone());
            }
        }
    }

    /// Consumes a `null`; whether there was one.
    #[inline]
    pub fn null(&mut self) -> Scanned<bool> {
        if self.peek() == Some(b'n') {
            self.literal("null").map(|()| true)
        } else {
            Ok(false)
        }
    }

    /// Only whitespace is left.
    pub fn end(&mut self) -> Scanned<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(Bail),
        }
    }

    fn literal(&mut self, word: &str) -> Scanned<()> {
        let rest = self.text.as_bytes().get(self.at..).unwrap_or_default();
        if rest.starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// The characters a number may hold, for serde_json to judge.
    fn number(&mut self) -> &'a str {
        let b = self.text.as_bytes();
        let start = self.at;
        while let Some(c) = b.get(self.at) {
            if !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                break;
            }
            self.at += 1;
        }
        &self.text[start..self.at]
    }
}

/// The detection probe (`json::probe`) by this reader: the body's top-level
/// keys and the type of each value (and the last `tier`'s number), for an
/// object body the reader accepts whole. `None` leaves the body to
/// serde_json's probe, which gives the same answer or the error. The nesting
/// limit is counted as there (the top-level object is level 1).
///
/// The walk also writes the body's [`Tape`], for `Builder::typed` to read
/// instead of the text.
pub(crate) fn probe(text: &str, limit: usize) -> Option<Probe<'_>> {
    // Spans are kept as u32.
    if u32::try_from(text.len()).is_err() {
        return None;
    }
    let mut s = Scan::new(text, limit);
    let mut keys = Vec::with_capacity(16);
    let mut tier = None;
    let mut tape = Tape {
        // About one token per 12 bytes of a typical alert body.
        toks: Vec::with_capacity(text.len() / 12 + 4),
        decoded: Vec::new(),
    };
    tape.toks.push(Tok::Obj(0));
    if s.open(b'{', 1).ok()? {
        loop {
            let quote = s.at_next();
            let key = s.key().ok()?;
            Scan::record_text(quote, &key, &mut tape);
            let (kind, num) = s.record(2, &mut tape).ok()?;
            if key == "tier" {
                tier = Some((kind, num));
            }
            keys.push((key, kind));
            if !s.more(b'}').ok()? {
                break;
            }
        }
    }
    s.end().ok()?;
    tape.close(0);
    let mut probe = Probe::new(keys, tier);
    probe.tape = Some(Rc::new(tape));
    Some(probe)
}

/// Decodes the escape at `b[at]` (a backslash) onto `out` as serde_json
/// decodes it (the eight one-letter escapes and `\uXXXX`, a surrogate pair
/// joined); its length in bytes. A lone surrogate, `\u0000` or any other
/// escape bails.
fn unescape(b: &[u8], at: usize, out: &mut String) -> Scanned<usize> {
    let (c, len) = match b.get(at + 1) {
        Some(b'"') => ('"', 2),
        Some(b'\\') => ('\\', 2),
        Some(b'/') => ('/', 2),
        Some(b'b') => ('\u{8}', 2),
        Some(b'f') => ('\u{c}', 2),
        Some(b'n') => ('\n', 2),
        Some(b'r') => ('\r', 2),
        Some(b't') => ('\t', 2),
        Some(b'u') => match hex4(b, at + 2)? {
            hi @ 0xD800..=0xDBFF => {
                if b.get(at + 6..at + 8) != Some(b"\\u") {
                    return Err(Bail);
                }
                let lo = hex4(b, at + 8)?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return Err(Bail);
                }
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                (char::from_u32(c).ok_or(Bail)?, 12)
            }
            // A NUL is left to the general path, so that no text this
            // reader gives holds one (`Builder::text_has_no_nul`).
            0 => return Err(Bail),
            cp => (char::from_u32(cp).ok_or(Bail)?, 6),
        },
        _ => return Err(Bail),
    };
    out.push(c);
    Ok(len)
}

/// Four hex digits at `at` (either case), as serde_json reads a `\u` escape.
fn hex4(b: &[u8], at: usize) -> Scanned<u32> {
    let digits = b.get(at..at + 4).ok_or(Bail)?;
    digits.iter().try_fold(0, |n, &d| {
        let v = (d as char).to_digit(16).ok_or(Bail)?;
        Ok(n << 4 | v)
    })
}

/// The index of the first `"`, `\` or control character in `b` from `i`
/// (or an index at or past the end).
///
/// Eight bytes a step: `x - 0x20…` borrows into the top bit of a byte below
/// 0x20, and `(x ^ c) - 0x01…` into that of a byte equal to `c`; all three
/// share the `!x` mask, since every byte sought is below 0x80 (and one
/// that is not a hit, below 0x80, sets no top bit). A borrow can only carry
/// a false hit above a true one, so the lowest set bit marks the first.
#[inline]
fn special(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOP: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
        let x = u64::from_le_bytes(chunk);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let hits =
            (x.wrapping_sub(ONES * 0x20) | quote.wrapping_sub(ONES) | backslash.wrapping_sub(ONES))
                & !x
                & TOP;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn special_slow(b: &[u8], i: usize) -> usize {
        (i..b.len())
            .find(|&j| b[j] == b'"' || b[j] == b'\\' || b[j] < 0x20)
            .unwrap_or(b.len().max(i))
    }

    #[test]
    #[cfg_attr(miri, ignore)] // half a million searches: minutes under Miri, and no unsafe code
    fn special_finds_the_first_quote_backslash_or_control() {
        // Every position and every kind of stop, in and out of an 8-byte step,
        // with bytes around 0x20 and above 0x80 as neighbours.
        for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for fill in [b'a', b' ', 0x21, 0x7f, 0x80, 0xff, 0x5b] {
                for len in 0..24 {
                    for at in 0..=len {
                        let mut v = alloc::vec![fill; len];
                        if at < len {
                            v[at] = stop;
                        }
                        for from in 0..=len {
                            assert_eq!(
                                special(&v, from),
                                special_slow(&v, from),
                                "{v:?} from {from}"
                            );
                        }
                    }
                }
            }
        }
        assert_eq!(special(b"ab", 5), 5);
    }

    /// `text` as one string value and nothing after it.
    fn strings(text: &str) -> Scanned<Cow<'_, str>> {
        let mut s = Scan::new(text, 8);
        let v = s.string()?;
        s.end().map(|()| v)
    }

    #[test]
    fn strings_borrow_unless_escaped_and_refuse_what_json_refuses() {
        assert!(matches!(
            strings(r#" "plain text""#),
            Ok(Cow::Borrowed("plain text"))
        ));
        let decoded = strings(r#""a\u0026b\n\"q\" \\ \/ \ud83d\ude00""#).unwrap();
        assert!(matches!(&decoded, Cow::Owned(_)));
        assert_eq!(decoded, "a&b\n\"q\" \\ / \u{1f600}");
        for bad in [
            "\"unterminated",
            "\"ends in a backslash\\",
            "\"raw\ttab\"",
            "\"raw\u{0}nul\"",
            r#""bad escape \x""#,
            r#""lone surrogate \ud800""#,
            r#""lone low surrogate \udc00""#,
            r#""escaped NUL \u0000""#,
            r#""high then not low \ud800\u0041""#,
            r#""short \u12""#,
            "'single'",
        ] {
            assert!(strings(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The decoder agrees with serde_json on strings made mostly of escapes
        /// and escape fragments: the same text, or both refuse (a NUL, which
        /// serde_json decodes, is refused here).
        #[test]
        #[cfg_attr(miri, ignore)]
        fn unescape_matches_serde_json(
            parts in proptest::collection::vec(proptest::sample::select(alloc::vec![
                "\\u", "\\", "d8", "D9", "dc", "DF", "00", "0a", "e9", "ff", "fF", "3d",
                "\\n", "\\\"", "\\/", "\\b", "\\x", "\\ud83d\\ude00", "é", "ab", "u", "z",
            ]), 0..12),
        ) {
            let raw: String = parts.concat();
            let quoted = alloc::format!("\"{raw}\"");
            // A NUL is the one text serde_json gives that this reader leaves to it.
            let serde = serde_json::from_str::<String>(&quoted).ok().filter(|s| !s.contains('\0'));
            let ours = strings(&quoted).ok().map(Cow::into_owned);
            proptest::prop_assert_eq!(ours, serde, "{}", quoted);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// The scanner's probe, when it answers, answers as serde_json's:
        /// the same keys (escapes decoded), the same kinds, the same `tier`;
        /// and it answers for every plain object within the limit.
        #[test]
        #[cfg_attr(miri, ignore)]
        fn probe_matches_serde_json(
            parts in proptest::collection::vec(proptest::sample::select(alloc::vec![
                "\"a\":", "\"b\\u0041\":", "\"tier\":", "\"c\\n\":", "\"\":",
                "1", "-2.5e3", "1e400", "01", "true", "fals", "null", "\"x\"", "\"\\u0000\"",
                "\"\\ud800\"", "{", "}", "[", "]", ",", " ", "\n", "\"é\"", "{}", "[]",
                "\"raw\ttab\"",
            ]), 0..16),
            wrap in proptest::bool::ANY,
            limit in 1usize..5,
        ) {
            let inner: String = parts.concat();
            let text = if wrap { alloc::format!("{{{inner}}}") } else { inner };
            let serde = crate::json::probe_serde(&text, limit);
            match probe(&text, limit) {
                Some(ours) => {
                    let theirs = serde.expect("the scanner accepted what serde_json refuses");
                    proptest::prop_assert_eq!(&ours.keys, &theirs.keys, "{}", text);
                    proptest::prop_assert_eq!(ours.tier, theirs.tier, "{}", text);
                }
                None => {
                    // Only what the scanner leaves to serde_json (escapes of
                    // NUL or lone surrogates, raw control characters, numbers
                    // out of range) may go there.
                    if serde.is_ok() {
                        let left = text.contains("\\u0000")
                            || text.contains("\\ud800") || text.contains('\t')
                            || text.contains("1e400");
                        proptest::prop_assert!(left, "the scanner refused {}", text);
                    }
                }
            }
        }
    }

    #[test]
    fn probe_answers_for_plain_objects_as_serde_json() {
        let bodies = [
            r#"{}"#,
            r#"{"tier": 2, "a": "x", "tier": -1.5}"#,
            r#"{"tier": "2"}"#,
            r#" { "a": 1, "b\u0041": "x", "c": [1, {"d": null}], "e": {"f": true}, "g": null, "a": -2.5 } "#,
            r#"{"s": "caf\u00e9 \ud83d\ude00", "n": 1e3, "f": false, "o": {}}"#,
        ];
        for text in bodies {
            let ours = probe(text, 3).expect(text);
            let theirs = crate::json::probe_serde(text, 3).unwrap();
            assert_eq!(ours.keys, theirs.keys, "{text}");
            assert_eq!(ours.tier, theirs.tier, "{text}");
        }
        // Left to serde_json: nesting past the limit, a bad body.
        for (text, limit) in [
            (r#"{"a": {"b": {}}}"#, 2),
            (r#"{"a": 1,}"#, 3),
            (r#"[1]"#, 3),
            (r#"{"a": "\u0000"}"#, 3),
        ] {
            assert!(probe(text, limit).is_none(), "{text}");
        }
    }

    #[test]
    fn scalars_read_as_text_reads_them() {
        fn all(text: &str) -> Scanned<Vec<Option<Cow<'_, str>>>> {
            let mut s = Scan::new(text, 8);
            let mut out = Vec::new();
            if s.open(b'[', 1)? {
                loop {
                    out.push(s.scalar()?);
                    if !s.more(b']')? {
                        break;
                    }
                }
            }
            s.end()?;
            Ok(out)
        }
        let got = all(r#"[ "x", 12, -3, 1.50, 1e3, true, false, null ]"#).unwrap();
        let want = ["x", "12", "-3", "1.5", "1000.0", "true", "false"];
        let got: Vec<_> = got.iter().map(|v| v.as_deref()).collect();
        let mut expected: Vec<_> = want.iter().map(|w| Some(*w)).collect();
        expected.push(None);
        assert_eq!(got, expected);
        for bad in [
            "[1e400]", "[01]", "[1.]", "[-]", "[{}]", "[[]]", "[nul]", "[1,]", "[1 2]",
        ] {
            assert!(all(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn skip_follows_the_depth_limit_and_the_grammar() {
        let skip = |text: &str, limit: usize| {
            let mut s = Scan::new(text, limit);
            s.skip(1)?;
            s.end()
        };
        assert!(skip(r#"{"a": [1, {"b": null}, "c\n"], "d": -0.5e-3}"#, 3).is_ok());
        assert!(skip(r#"{"a": [1, {"b": null}]}"#, 2).is_err());
        assert!(skip(&"[".repeat(150), 1000).is_err());
        for bad in [
            r#"{"a" 1}"#,
            r#"{"a": 1,}"#,
            r#"{a: 1}"#,
            "[1] x",
            "[true false]",
            "01",
            "1e400",
        ] {
            assert!(skip(bad, 8).is_err(), "{bad}");
        }
        assert!(skip(" [ ] ", 1).is_ok() && skip("{}", 1).is_ok());
    }

    #[test]
    fn scalar_pairs_keep_document_order_and_drop_nulls() {
        let mut scratch = Vec::new();
        let mut s = Scan::new(r#"{"b": "2", "a": null, "b": 3, "c": true}"#, 4);
        let pairs = s.scalar_pairs(1, &mut scratch).unwrap().unwrap();
        let flat: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (&**k, &**v)).collect();
        assert_eq!(flat, [("b", "2"), ("b", "3"), ("c", "true")]);
        assert_eq!(pairs.capacity(), 3);
        assert!(
            Scan::new("null", 4)
                .scalar_pairs(1, &mut scratch)
                .unwrap()
                .is_none()
        );
        assert!(
            Scan::new(r#"{"a": {}}"#, 4)
                .scalar_pairs(1, &mut scratch)
                .is_err()
        );
        assert!(Scan::new("[]", 4).scalar_pairs(1, &mut scratch).is_err());
    }
}
