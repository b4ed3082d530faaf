//! The probed body as a list of tokens, so that a sender's typed parse reads it
//! without scanning the text a second time.
//!
//! The probe (`scan::probe`) walks the whole body anyway; when the one-pass
//! scanner accepts it, it also writes a [`Tape`]: one token per value, with
//! text spans, decoded escapes and where each container ends. [`TapeDe`] is a
//! serde `Deserializer` over it that answers as `serde_json::from_str` would
//! for every call a sender's types make; whatever it declines (an enum written
//! as an object, a `RawValue`, a value of the wrong type) is an error, and
//! `Builder::typed` then asks serde_json, which gives the answer or the
//! authoritative error. So the tape is never the authority on a body: it only
//! saves the second scan of the bodies that read cleanly. Numbers are handed
//! to serde_json on their span, as the scanner does. The `tape_reads_as_serde_json`
//! property test holds the two to the same values.

use alloc::string::String;
use alloc::vec::Vec;

use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, Visitor};
use serde_json::Error;

/// One token of a [`Tape`]. Spans are byte offsets into the probed text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Tok {
    Null,
    True,
    False,
    /// A number: its span, for serde_json to read.
    Num(u32, u32),
    /// A string without escapes: its span between the quotes.
    Str(u32, u32),
    /// A string with escapes: its index in [`Tape::decoded`].
    Esc(u32),
    /// An object's start: the index of the token after its [`Tok::End`].
    Obj(u32),
    /// An array's start: the index of the token after its [`Tok::End`].
    Arr(u32),
    /// The end of an object or array.
    End,
}

/// Every value of one JSON text, in document order (an object's keys are
/// strings before their values).
#[derive(Debug, Default)]
pub(crate) struct Tape {
    pub toks: Vec<Tok>,
    /// The decoded text of strings with escapes.
    pub decoded: Vec<String>,
}

impl Tape {
    /// Ends the container opened at token `at`: an [`Tok::End`], and its
    /// opening token pointed past it.
    pub fn close(&mut self, at: usize) {
        self.toks.push(Tok::End);
        let after = self.toks.len() as u32;
        if let Some(Tok::Obj(end) | Tok::Arr(end)) = self.toks.get_mut(at) {
            *end = after;
        }
    }
}

/// Reads a [`Tape`] of `text` as serde_json reads `text`.
pub(crate) struct TapeDe<'t, 'a> {
    text: &'a str,
    tape: &'t Tape,
    at: usize,
}

impl<'t, 'a> TapeDe<'t, 'a> {
    /// A reader of `tape`, which must have been recorded from `text`.
    pub fn new(text: &'a str, tape: &'t Tape) -> Self {
        TapeDe { text, tape, at: 0 }
    }

    /// Reads the whole text as a `T`, or declines (then ask serde_json).
    pub fn read<T: de::Deserialize<'a>>(text: &'a str, tape: &'t Tape) -> Option<T> {
        let mut de = TapeDe::new(text, tape);
        let value = T::deserialize(&mut de).ok()?;
        (de.at == tape.toks.len()).then_some(value)
    }

    fn peek(&self) -> Result<Tok, Error> {
        self.tape.toks.get(self.at).copied().ok_or_else(declined)
    }

    fn span(&self, start: u32, end: u32) -> Result<&'a str, Error> {
        self.text
            .get(start as usize..end as usize)
            .ok_or_else(declined)
    }

    fn decoded(&self, i: u32) -> Result<&'t str, Error> {
        self.tape
            .decoded
            .get(i as usize)
            .map(String::as_str)
            .ok_or_else(declined)
    }

    /// A string token, as serde_json gives strings to a visitor.
    fn string<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.peek()? {
            Tok::Str(s, e) => visitor.visit_borrowed_str(self.span(s, e)?),
            Tok::Esc(i) => visitor.visit_str(self.decoded(i)?),
            _ => return Err(declined()),
        };
        self.at += 1;
        value
    }

    /// A number token, read by serde_json on its span with the same call.
    fn number<V: Visitor<'a>>(
        &mut self,
        visitor: V,
        call: impl FnOnce(
            &mut serde_json::Deserializer<serde_json::de::StrRead<'a>>,
            V,
        ) -> Result<V::Value, Error>,
    ) -> Result<V::Value, Error> {
        let Tok::Num(s, e) = self.peek()? else {
            return Err(declined());
        };
        let span = self.span(s, e)?;
        self.at += 1;
        call(&mut serde_json::Deserializer::from_str(span), visitor)
    }

    /// An object, as serde_json gives it to a visitor; every member must be read.
    fn object<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        let Tok::Obj(after) = self.peek()? else {
            return Err(declined());
        };
        self.at += 1;
        let value = visitor.visit_map(Members { de: self })?;
        self.close(after)?;
        Ok(value)
    }

    /// An array, as serde_json gives it to a visitor; every element must be read.
    fn array<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        let Tok::Arr(after) = self.peek()? else {
            return Err(declined());
        };
        self.at += 1;
        let value = visitor.visit_seq(Members { de: self })?;
        self.close(after)?;
        Ok(value)
    }

    /// At a container's [`Tok::End`] (serde_json fails when members are left).
    fn close(&mut self, after: u32) -> Result<(), Error> {
        if self.peek()? != Tok::End || self.at + 1 != after as usize {
            return Err(declined());
        }
        self.at += 1;
        Ok(())
    }

    /// Past one value, without reading it.
    fn skip(&mut self) -> Result<(), Error> {
        self.at = match self.peek()? {
            Tok::Obj(after) | Tok::Arr(after) => after as usize,
            Tok::End => return Err(declined()),
            _ => self.at + 1,
        };
        Ok(())
    }
}

/// The reader's own refusal: `Builder::typed` then asks serde_json.
fn declined() -> Error {
    de::Error::custom("declined by the tape reader")
}

/// serde_json's marker for `RawValue`, which only serde_json can give.
const RAW_VALUE: &str = "$serde_json::private::RawValue";

macro_rules! numbers {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
            self.number(visitor, |de, v| de.$method(v))
        }
    )*};
}

impl<'a> Deserializer<'a> for &mut TapeDe<'_, 'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.peek()? {
            Tok::Null => {
                self.at += 1;
                visitor.visit_unit()
            }
            Tok::True | Tok::False => self.deserialize_bool(visitor),
            Tok::Num(..) => self.number(visitor, |de, v| de.deserialize_any(v)),
            Tok::Str(..) | Tok::Esc(_) => self.string(visitor),
            Tok::Obj(_) => self.object(visitor),
            Tok::Arr(_) => self.array(visitor),
            Tok::End => Err(declined()),
        }
    }

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let b = match self.peek()? {
            Tok::True => true,
            Tok::False => false,
            _ => return Err(declined()),
        };
        self.at += 1;
        visitor.visit_bool(b)
    }

    numbers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    }

    fn deserialize_char<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.string(visitor)
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.string(visitor)
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.peek()? {
            Tok::Str(s, e) => visitor.visit_borrowed_bytes(self.span(s, e)?.as_bytes()),
            Tok::Esc(i) => visitor.visit_bytes(self.decoded(i)?.as_bytes()),
            Tok::Arr(_) => return self.array(visitor),
            _ => return Err(declined()),
        };
        self.at += 1;
        value
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.peek()? == Tok::Null {
            self.at += 1;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.peek()? != Tok::Null {
            return Err(declined());
        }
        self.at += 1;
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == RAW_VALUE {
            return Err(declined());
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.array(visitor)
    }

    fn deserialize_tuple<V: Visitor<'a>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.array(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.array(visitor)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.object(visitor)
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.peek()? {
            Tok::Obj(_) => self.object(visitor),
            Tok::Arr(_) => self.array(visitor),
            _ => Err(declined()),
        }
    }

    /// A unit variant written as a string; any other enum is declined.
    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let value = match self.peek()? {
            Tok::Str(s, e) => visitor.visit_enum(BorrowedStrDeserializer::new(self.span(s, e)?)),
            Tok::Esc(i) => visitor.visit_enum(StrDeserializer::new(self.decoded(i)?)),
            _ => return Err(declined()),
        };
        self.at += 1;
        value
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip()?;
        visitor.visit_unit()
    }
}

/// An object's members or an array's elements.
struct Members<'d, 't, 'a> {
    de: &'d mut TapeDe<'t, 'a>,
}

impl Members<'_, '_, '_> {
    fn at_end(&self) -> Result<bool, Error> {
        Ok(self.de.peek()? == Tok::End)
    }
}

impl<'a> de::MapAccess<'a> for Members<'_, '_, 'a> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.at_end()? {
            return Ok(None);
        }
        seed.deserialize(Key { de: &mut *self.de }).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(&mut *self.de)
    }
}

impl<'a> de::SeqAccess<'a> for Members<'_, '_, 'a> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'a>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        if self.at_end()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

/// An object key: text for the calls that take text; anything else (a
/// number or a bool read out of a key, as serde_json can) is declined.
struct Key<'d, 't, 'a> {
    de: &'d mut TapeDe<'t, 'a>,
}

macro_rules! key_declines {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'a>>(self, _visitor: V) -> Result<V::Value, Error> {
            Err(declined())
        }
    )*};
}

impl<'a> Deserializer<'a> for Key<'_, '_, 'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.de.string(visitor)
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.de.string(visitor)
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.de.string(visitor)
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.de.string(visitor)
    }

    fn deserialize_char<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.de.string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        self.de.skip()?;
        visitor.visit_unit()
    }

    key_declines! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_bytes
        deserialize_byte_buf deserialize_option deserialize_unit deserialize_seq
        deserialize_map
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(declined())
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(declined())
    }

    fn deserialize_tuple<V: Visitor<'a>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(declined())
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(declined())
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(declined())
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(declined())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Text;
    use alloc::boxed::Box;
    use alloc::collections::BTreeMap;
    use alloc::string::ToString;
    use alloc::vec;
    use proptest::prelude::*;
    use serde::Deserialize;

    /// Reads `text` both ways: the tape's answer, when it gives one, must be
    /// serde_json's.
    fn same<'a, T>(text: &'a str, tape: &Tape) -> Result<Option<T>, TestCaseError>
    where
        T: Deserialize<'a> + PartialEq + core::fmt::Debug,
    {
        let taped = TapeDe::read::<T>(text, tape);
        if let Some(v) = &taped {
            let serde: T = serde_json::from_str(text)
                .map_err(|e| TestCaseError::fail(alloc::format!("{e} for {text}")))?;
            prop_assert_eq!(v, &serde, "{}", text);
        }
        Ok(taped)
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum Either<'a> {
        Pair(#[serde(borrow)] Text<'a>, #[serde(borrow)] Text<'a>),
        Num(f64),
        Named {
            #[serde(borrow)]
            name: Text<'a>,
        },
        Other(serde::de::IgnoredAny),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Word {
        Alpha,
        Beta,
    }

    /// Fields as the senders' types have them: lenient texts, lists, nested
    /// structs, numbers, maps, untagged enums and unit enums.
    #[derive(Debug, PartialEq, Deserialize)]
    struct Sender<'a> {
        #[serde(borrow)]
        a: Option<Text<'a>>,
        #[serde(borrow)]
        b: Option<Vec<Option<Text<'a>>>>,
        #[serde(borrow)]
        c: Option<Box<Sender<'a>>>,
        d: Option<u64>,
        e: Option<i32>,
        f: Option<f64>,
        #[serde(borrow)]
        g: Option<BTreeMap<alloc::borrow::Cow<'a, str>, Text<'a>>>,
        #[serde(borrow)]
        h: Option<Vec<Either<'a>>>,
        i: Option<Word>,
        j: Option<(bool, String)>,
        k: Option<serde_json::Value>,
        #[serde(borrow)]
        l: Option<&'a str>,
    }

    fn json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(Into::into),
            any::<i64>().prop_map(Into::into),
            any::<u64>().prop_map(Into::into),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Into::into),
            prop::sample::select(vec!["alpha", "beta", "gamma", "", "1", "true"])
                .prop_map(Into::into),
            "[a-z\"\\\\/\\n\\t\\u{e9}\\u{1F600}]{0,6}".prop_map(Into::into),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            let key = prop::sample::select(vec![
                "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "name", "x\"y",
            ]);
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(key, inner, 0..6)
                    .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
            ]
        })
    }

    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn tape_reads_as_serde_json(
            members in prop::collection::btree_map("[a-l]|name", json(), 0..8),
            spaced in any::<bool>(),
        ) {
            let object: serde_json::Map<String, serde_json::Value> = members.into_iter().collect();
            let value = serde_json::Value::Object(object);
            let text = if spaced {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                value.to_string()
            };
            let probe = crate::scan::probe(&text, 64);
            // The scanner declines some texts (a NUL); serde_json reads those.
            let Some(tape) = probe.and_then(|p| p.tape) else {
                return Ok(());
            };
            // Every value reads through the tape as a plain JSON value.
            prop_assert!(same::<serde_json::Value>(&text, &tape)?.is_some(), "{}", text);
            same::<Sender<'_>>(&text, &tape)?;
            same::<BTreeMap<String, Either<'_>>>(&text, &tape)?;
            same::<BTreeMap<&str, serde::de::IgnoredAny>>(&text, &tape)?;
        }
    }

    #[test]
    fn declines_what_only_serde_json_reads() {
        let read = |text: &str| {
            let tape = crate::scan::probe(text, 64).and_then(|p| p.tape).unwrap();
            TapeDe::read::<BTreeMap<String, Word>>(text, &tape)
        };
        assert_eq!(
            read(r#"{"x": "alpha"}"#),
            Some(BTreeMap::from([(String::from("x"), Word::Alpha)]))
        );
        // An enum written as an object, and a value of the wrong type.
        assert_eq!(read(r#"{"x": {"alpha": null}}"#), None);
        assert_eq!(read(r#"{"x": 3}"#), None);
    }
}
