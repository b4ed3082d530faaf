//! Reading arguments from JavaScript values by hand, so a wrong type is
//! always `invalid_argument`.

use crate::errors::{R, bad};
use napi::bindgen_prelude::{
    Either3, Function, JsObjectValue, JsValue, Object, Uint8ArraySlice, Unknown,
};
use napi::{Env, JsString, KeyCollectionMode, KeyConversion, KeyFilter, ValueType};

/// A body argument: any `Uint8Array` (a `Buffer` is one), or a string.
/// napi picks the first variant that fits; `Unknown` catches everything else.
/// The usual `Buffer` comes first: a variant that does not fit costs napi a
/// formatted error message (about 0.1 µs for `String` on a `Buffer`).
pub(crate) type BodyArg<'e> = Either3<Uint8ArraySlice<'e>, String, Unknown<'e>>;

/// The bytes of a body argument (a `Uint8Array` is borrowed, not copied).
pub(crate) fn body_bytes<'a>(body: &'a BodyArg<'_>, what: &str) -> R<&'a [u8]> {
    match body {
        Either3::A(b) => Ok(b.as_ref()),
        Either3::B(s) => Ok(s.as_bytes()),
        Either3::C(_) => bad(format!("{what} must be a Buffer, a Uint8Array or a string")),
    }
}

/// `undefined` and `null` are both "not given".
pub(crate) fn given<'e>(v: Option<Unknown<'e>>) -> R<Option<(Unknown<'e>, ValueType)>> {
    let Some(v) = v else { return Ok(None) };
    match v.get_type()? {
        ValueType::Undefined | ValueType::Null => Ok(None),
        t => Ok(Some((v, t))),
    }
}

pub(crate) fn to_string(v: &Unknown<'_>) -> R<String> {
    Ok(v.coerce_to_string()?.into_utf8()?.into_owned()?)
}

pub(crate) fn string_of(v: &Unknown<'_>, t: ValueType, what: &str) -> R<String> {
    if t != ValueType::String {
        return bad(format!("{what} must be a string"));
    }
    to_string(v)
}

pub(crate) fn object_of<'e>(v: &Unknown<'e>, t: ValueType, what: &str) -> R<Object<'e>> {
    if t != ValueType::Object {
        return bad(format!("{what} must be an object"));
    }
    Ok(v.coerce_to_object()?)
}

/// The `Unknown` elements of a JavaScript array.
pub(crate) fn elements<'e>(array: &Object<'e>) -> R<Vec<Unknown<'e>>> {
    let n = array.get_array_length()?;
    (0..n)
        .map(|i| Ok(array.get_element::<Unknown>(i)?))
        .collect()
}

/// The own string-keyed properties of an object: each name, and the key to
/// look its value up with. Own-only is markedly cheaper than `for…in`
/// semantics, which walk the prototype chain.
pub(crate) fn own_keys<'e>(obj: &Object<'e>) -> R<Vec<(String, Unknown<'e>)>> {
    let names = obj.get_all_property_names(
        KeyCollectionMode::OwnOnly,
        KeyFilter::SkipSymbols,
        KeyConversion::NumbersToStrings,
    )?;
    elements(&names)?
        .into_iter()
        .map(|key| Ok((to_string(&key)?, key)))
        .collect()
}

/// An optional options object. Its own property names are read once (cheaper
/// than looking up every possible option), and a name that is not an option is
/// `invalid_argument`, so typos never pass silently.
pub(crate) struct Opts<'e> {
    obj: Option<Object<'e>>,
    /// The options given: name, and the key to read the value with.
    keys: Vec<(String, Unknown<'e>)>,
    name: &'static str,
}

impl<'e> Opts<'e> {
    pub(crate) fn new(v: Option<Unknown<'e>>, name: &'static str, allowed: &[&str]) -> R<Self> {
        let (obj, keys) = match given(v)? {
            None => (None, Vec::new()),
            Some((v, t)) => {
                let obj = object_of(&v, t, name)?;
                let keys = own_keys(&obj)?;
                if let Some((k, _)) = keys.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
                    return bad(format!(
                        "{name}.{k} is not an option here (expected one of: {})",
                        allowed.join(", ")
                    ));
                }
                (Some(obj), keys)
            }
        };
        Ok(Opts { obj, keys, name })
    }

    pub(crate) fn key(&self, key: &str) -> Option<(&Object<'e>, Unknown<'e>)> {
        let obj = self.obj.as_ref()?;
        self.keys
            .iter()
            .find(|(k, _)| k == key)
            .map(|&(_, k)| (obj, k))
    }

    /// The option's value, unless it is absent, `undefined` or `null`.
    pub(crate) fn get(&self, key: &str) -> R<Option<(Unknown<'e>, ValueType)>> {
        match self.key(key) {
            None => Ok(None),
            Some((obj, k)) => given(Some(obj.get_property(k)?)),
        }
    }

    pub(crate) fn what(&self, key: &str) -> String {
        format!("{}.{key}", self.name)
    }

    pub(crate) fn string(&self, key: &str) -> R<Option<String>> {
        let Some((obj, k)) = self.key(key) else {
            return Ok(None);
        };
        // The common case, a string, in one step; anything else is looked at again.
        if let Ok(s) = obj.get_property_unchecked::<_, String>(k) {
            return Ok(Some(s));
        }
        match self.get(key)? {
            None => Ok(None),
            Some((v, t)) => string_of(&v, t, &self.what(key)).map(Some),
        }
    }

    pub(crate) fn boolean(&self, key: &str) -> R<Option<bool>> {
        match self.get(key)? {
            None => Ok(None),
            Some((v, ValueType::Boolean)) => Ok(Some(v.coerce_to_bool()?)),
            Some(_) => bad(format!("{} must be a boolean", self.what(key))),
        }
    }

    pub(crate) fn number(&self, key: &str) -> R<Option<f64>> {
        match self.get(key)? {
            None => Ok(None),
            Some((v, t)) => number_of(&v, t, &self.what(key)).map(Some),
        }
    }

    /// A whole number in `min..=max`.
    pub(crate) fn integer(&self, key: &str, min: f64, max: f64) -> R<Option<i64>> {
        match self.number(key)? {
            None => Ok(None),
            Some(n) => integer_in(n, min, max, &self.what(key)).map(Some),
        }
    }
}

pub(crate) fn number_of(v: &Unknown<'_>, t: ValueType, what: &str) -> R<f64> {
    if t != ValueType::Number {
        return bad(format!("{what} must be a number"));
    }
    Ok(v.coerce_to_number()?.get_double()?)
}

pub(crate) fn integer_in(n: f64, min: f64, max: f64, what: &str) -> R<i64> {
    if n.is_finite() && n.fract() == 0.0 && (min..=max).contains(&n) {
        // In range and integral: the conversion is exact.
        Ok(n as i64)
    } else {
        bad(format!("{what} must be an integer from {min} to {max}"))
    }
}

/// Largest integer a JavaScript number holds exactly.
pub(crate) const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// Headers from a record (`req.headers`: values a string or a list of strings),
/// a list of `[name, value]` pairs, or any iterable of pairs (`Map`, `Headers`).
pub(crate) fn header_pairs(
    env: &Env,
    v: Option<Unknown<'_>>,
    what: &str,
) -> R<Vec<(String, String)>> {
    let Some((v, t)) = given(v)? else {
        return Ok(Vec::new());
    };
    let obj = object_of(&v, t, what)?;
    let mut out = Vec::new();
    if v.is_array()? {
        return pairs(&obj, what);
    }
    let keys = own_keys(&obj)?;
    // A Map, a fetch Headers or URLSearchParams has no own keys but `entries`:
    // Array.from gives its pairs.
    if keys.is_empty()
        && let Some(e) = obj.get::<Unknown>("entries")?
        && e.get_type()? == ValueType::Function
    {
        let array: Object = env.get_global()?.get_named_property_unchecked("Array")?;
        let from: Function<Unknown, Object> = array.get_named_property_unchecked("from")?;
        let list = from.apply(array, v)?;
        return pairs(&list, what);
    }
    for (name, key) in keys {
        // The common case, a string, in one step; anything else is looked at again.
        if let Ok(value) = obj.get_property_unchecked::<_, String>(key) {
            out.push((name, value));
            continue;
        }
        let value: Unknown = obj.get_property(key)?;
        match value.get_type()? {
            ValueType::Undefined => {}
            ValueType::String => out.push((name, to_string(&value)?)),
            ValueType::Object if value.is_array()? => {
                for item in elements(&value.coerce_to_object()?)? {
                    let t = item.get_type()?;
                    out.push((
                        name.clone(),
                        string_of(&item, t, &format!("{what}[{name:?}][]"))?,
                    ));
                }
            }
            _ => {
                return bad(format!(
                    "{what}[{name:?}] must be a string or a list of strings"
                ));
            }
        }
    }
    Ok(out)
}

pub(crate) fn pairs(list: &Object<'_>, what: &str) -> R<Vec<(String, String)>> {
    let message = || format!("{what} must be a record of strings or a list of [name, value] pairs");
    let mut out = Vec::new();
    for item in elements(list)? {
        if item.get_type()? != ValueType::Object || !item.is_array()? {
            return bad(message());
        }
        let pair = elements(&item.coerce_to_object()?)?;
        let [n, v] = pair.as_slice() else {
            return bad(message());
        };
        let (tn, tv) = (n.get_type()?, v.get_type()?);
        if tn != ValueType::String || tv != ValueType::String {
            return bad(message());
        }
        out.push((to_string(n)?, to_string(v)?));
    }
    Ok(out)
}

pub(crate) fn refs(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `JSON.stringify(value)` in V8.
pub(crate) fn stringify(env: &Env, value: Unknown<'_>) -> R<String> {
    let json: Object = env.get_global()?.get_named_property_unchecked("JSON")?;
    let f: Function<Unknown, Unknown> = json.get_named_property_unchecked("stringify")?;
    let text = f.apply(json, value)?;
    match text.get_type()? {
        ValueType::String => to_string(&text),
        _ => bad(String::from("the value cannot be serialised to JSON")),
    }
}

/// A JavaScript string from Rust text. The canonical JSON is nearly always
/// ASCII, which V8 takes as Latin-1 with a plain copy instead of UTF-8 decoding.
pub(crate) fn js_string<'e>(env: &'e Env, text: &str) -> napi::Result<JsString<'e>> {
    if text.is_ascii() {
        env.create_string_latin1(text.as_bytes())
    } else {
        env.create_string(text)
    }
}
