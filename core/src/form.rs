//! Form bodies: `application/x-www-form-urlencoded` and `multipart/form-data`.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use crate::Error;

/// Decoded (name, value) pairs of a urlencoded body, in order.
pub(crate) fn urlencoded(body: &[u8]) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    form_urlencoded::parse(body)
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// The `boundary` parameter of a multipart content type.
pub(crate) fn boundary(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        (!value.is_empty()).then_some(value)
    })
}

/// A multipart body's text fields: (name, value).
pub(crate) type Fields<'a> = Vec<(Cow<'a, str>, &'a str)>;

/// The text fields of a multipart body as (name, value); file parts are skipped.
/// Tolerates bare LF line endings. `None` when no part could be read.
pub(crate) fn multipart<'a>(body: &'a [u8], boundary: &str) -> Option<Result<Fields<'a>, Error>> {
    let mut delim = Vec::with_capacity(boundary.len() + 2);
    delim.extend_from_slice(b"--");
    delim.extend_from_slice(boundary.as_bytes());

    let mut pos = find(body, &delim, 0)? + delim.len();
    let mut fields = Vec::new();
    loop {
        if body[pos..].starts_with(b"--") {
            break; // the closing delimiter
        }
        let Some(start) = skip_newline(body, pos) else {
            break;
        };
        let Some(next) = find(body, &delim, start) else {
            break;
        };
        // The part ends before the newline that precedes the next delimiter.
        let mut end = next;
        if end > start && body[end - 1] == b'\n' {
            end -= 1;
            if end > start && body[end - 1] == b'\r' {
                end -= 1;
            }
        }
        let part = &body[start..end];
        if let Some((name, content)) = split_part(part) {
            match core::str::from_utf8(content) {
                Ok(text) => fields.push((name, text)),
                Err(e) => {
                    let offset = start + (part.len() - content.len()) + e.valid_up_to();
                    return Some(Err(Error::InvalidUtf8 { offset }));
                }
            }
        }
        pos = next + delim.len();
    }
    (!fields.is_empty()).then_some(Ok(fields))
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn skip_newline(b: &[u8], pos: usize) -> Option<usize> {
    let rest = b.get(pos..)?;
    if rest.starts_with(b"\r\n") {
        Some(pos + 2)
    } else if rest.starts_with(b"\n") {
        Some(pos + 1)
    } else {
        None
    }
}

/// A part's field name and content; `None` for file parts and parts without a name.
fn split_part(part: &[u8]) -> Option<(Cow<'_, str>, &[u8])> {
    let (head, content) = match find(part, b"\r\n\r\n", 0) {
        Some(i) => (&part[..i], &part[i + 4..]),
        None => {
            let i = find(part, b"\n\n", 0)?;
            (&part[..i], &part[i + 2..])
        }
    };
    let head = core::str::from_utf8(head).ok()?;
    let disposition = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-disposition")
            .then_some(value)
    })?;
    let mut name = None;
    for param in disposition.split(';').skip(1) {
        let Some((k, v)) = param.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        match k.trim() {
            "name" => name = Some(v),
            "filename" | "filename*" => return None,
            _ => {}
        }
    }
    let name = name.filter(|n| !n.is_empty())?;
    Some((Cow::Owned(name.into()), content))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn reads_boundary() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"abc def\""),
            Some("abc def")
        );
        assert_eq!(boundary("multipart/form-data;boundary=xyz"), Some("xyz"));
        assert_eq!(boundary("multipart/form-data"), None);
    }

    #[test]
    fn reads_text_fields_and_skips_files() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n{\"a\":1}\r\n--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n\r\n\xff\xfe\r\n--XX--\r\n";
        let fields = multipart(body, "XX").unwrap().unwrap();
        assert_eq!(fields, vec![(Cow::Borrowed("data"), "{\"a\":1}")]);
    }

    #[test]
    fn garbage_is_none_not_panic() {
        assert!(multipart(b"--XX", "XX").is_none());
        assert!(multipart(b"no delimiter", "XX").is_none());
        assert!(multipart(b"--XX\r\nbroken", "XX").is_none());
    }

    #[test]
    fn urlencoded_decodes() {
        let pairs = urlencoded(b"title=Disk+full%21&severity=high&=x");
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].1, "Disk full!");
    }
}
