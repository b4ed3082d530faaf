//! Small text helpers: cutting on char boundaries, NUL stripping, RFC 3339 checks.

use alloc::borrow::Cow;
use alloc::string::String;

/// The ellipsis appended to cut text.
pub const ELLIPSIS: char = '…';

/// `s` without NUL characters, borrowing when there are none.
pub fn strip_nul(s: Cow<'_, str>) -> Cow<'_, str> {
    if has_nul(s.as_bytes()) {
        Cow::Owned(s.chars().filter(|&c| c != '\0').collect())
    } else {
        s
    }
}

/// Whether `b` holds a NUL byte: eight bytes per step (the classic
/// "has a zero byte" word test), for the short texts of alerts cheaper than a
/// memchr call.
pub fn has_nul(b: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let word = |w: &[u8]| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(w);
        let x = u64::from_le_bytes(bytes);
        x.wrapping_sub(LO) & !x
    };
    // Two words a step, their tests OR-ed: one branch per 16 bytes.
    let mut pairs = b.chunks_exact(16);
    for p in &mut pairs {
        if (word(&p[..8]) | word(&p[8..])) & HI != 0 {
            return true;
        }
    }
    let mut words = pairs.remainder().chunks_exact(8);
    for w in &mut words {
        if word(w) & HI != 0 {
            return true;
        }
    }
    words.remainder().contains(&0)
}

/// `s.trim()`, with a shortcut for the usual case: text that neither starts nor
/// ends with whitespace (an ASCII printable byte at each end) is returned as is.
#[inline]
pub fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if (b'!'..0x80).contains(&f) && (b'!'..0x80).contains(&l) => s,
        _ => s.trim(),
    }
}

/// Byte index where the first `n` chars of `s` end, or `None` if `s` has at most `n` chars.
#[inline]
fn char_boundary_after(s: &str, n: usize) -> Option<usize> {
    // Fast path: a string of at most n bytes has at most n chars.
    if s.len() <= n {
        return None;
    }
    nth_char_at(s, n)
}

#[cold]
fn nth_char_at(s: &str, n: usize) -> Option<usize> {
    s.char_indices().nth(n).map(|(i, _)| i)
}

/// Whether `s` has more than `limit` chars.
#[inline]
pub fn too_long(s: &str, limit: usize) -> bool {
    char_boundary_after(s, limit).is_some()
}

/// `s` cut to at most `limit` chars, the last being "…", when it is longer.
pub fn cut(s: &str, limit: usize) -> String {
    if !too_long(s, limit) {
        return String::from(s);
    }
    if limit == 0 {
        return String::new();
    }
    let end = char_boundary_after(s, limit - 1).unwrap_or(s.len());
    let mut out = String::with_capacity(end + ELLIPSIS.len_utf8());
    out.push_str(&s[..end]);
    out.push(ELLIPSIS);
    out
}

/// `s` cut to `limit` chars without an ellipsis, for echoing user input in messages.
pub fn bounded(s: &str, limit: usize) -> String {
    match char_boundary_after(s, limit) {
        Some(end) => String::from(&s[..end]),
        None => String::from(s),
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return None;
    }
    // One pass: a byte outside '0'..='9' wraps to 10 or more.
    b.iter().try_fold(0u32, |n, &d| {
        let d = d.wrapping_sub(b'0');
        (d < 10).then_some(n * 10 + u32::from(d))
    })
}

/// Whether `s` is an RFC 3339 date-time (`T`, `t` or a space between date and time).
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return false;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return false;
    }
    let (Some(year), Some(month), Some(day), Some(hour), Some(min), Some(sec)) = (
        digits(&b[0..4]),
        digits(&b[5..7]),
        digits(&b[8..10]),
        digits(&b[11..13]),
        digits(&b[14..16]),
        digits(&b[17..19]),
    ) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days || hour > 23 || min > 59 || sec > 60 {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            matches!((digits(&[*h1, *h2]), digits(&[*m1, *m2])), (Some(h), Some(m)) if h < 24 && m < 60)
        }
        _ => false,
    }
}

/// Unix seconds as RFC 3339 UTC (`2024-01-15T10:30:00Z`); `None` outside years 1..=9999.
pub fn unix_to_rfc3339(secs: i64) -> Option<String> {
    // Days to civil date: Howard Hinnant's algorithm.
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(1..=9999).contains(&year) {
        return None;
    }
    // Digits written in place: `format!` cost several times the arithmetic.
    let mut out = String::with_capacity(RFC3339_ROOM);
    push_digits(&mut out, year, 4);
    out.push('-');
    push_digits(&mut out, month, 2);
    out.push('-');
    push_digits(&mut out, day, 2);
    out.push('T');
    push_digits(&mut out, rem / 3600, 2);
    out.push(':');
    push_digits(&mut out, rem % 3600 / 60, 2);
    out.push(':');
    push_digits(&mut out, rem % 60, 2);
    out.push('Z');
    Some(out)
}

/// Room for `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, so a sub-second part needs no regrowth.
const RFC3339_ROOM: usize = 30;

/// `n` (`0 <= n < 10^width`) as exactly `width` decimal digits.
fn push_digits(out: &mut String, n: i64, width: u32) {
    let mut div = 10_i64.pow(width - 1);
    while div > 0 {
        // A digit 0..=9: the cast cannot truncate.
        out.push(char::from(b'0' + (n / div % 10) as u8));
        div /= 10;
    }
}

/// A Unix timestamp in seconds or milliseconds (told apart by size), as text
/// or a number, as RFC 3339 keeping any sub-second part; `None` when it is not one.
pub fn unix_text_to_rfc3339(text: &str) -> Option<String> {
    let t = text.trim();
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = int.parse().ok()?;
    // Past ~5e10 seconds is year 3554: such values are milliseconds.
    let (secs, millis) = if n.unsigned_abs() >= 50_000_000_000 {
        (n.div_euclid(1000), Some(n.rem_euclid(1000)))
    } else {
        (n, None)
    };
    let mut out = unix_to_rfc3339(secs)?;
    out.pop(); // the 'Z'
    out.push('.');
    match millis {
        Some(ms) => push_digits(&mut out, ms, 3),
        None => out.push_str(&frac[..frac.len().min(9)]),
    }
    // Trailing zeros of the sub-second part go, and its '.' when nothing is left.
    let kept = out.trim_end_matches('0').trim_end_matches('.').len();
    out.truncate(kept);
    out.push('Z');
    Some(out)
}

/// Go's zero time, which Alertmanager and Grafana send for "not set".
pub fn is_zero_time(s: &str) -> bool {
    s.starts_with("0001-01-01")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_respects_char_boundaries() {
        assert_eq!(cut("héllo", 10), "héllo");
        assert_eq!(cut("héllo", 5), "héllo");
        assert_eq!(cut("héllo wörld", 5), "héll…");
        assert_eq!(cut("日本語テキスト", 3), "日本…");
        assert_eq!(cut("abc", 0), "");
        assert!(cut(&"x".repeat(300), 200).chars().count() == 200);
    }

    #[test]
    fn rfc3339_accepts_valid_and_rejects_invalid() {
        for ok in [
            "2024-01-15T10:30:00Z",
            "2024-01-15T10:30:00.000Z",
            "2024-02-29t23:59:60.123456789+05:30",
            "2024-01-15 10:30:00-08:00",
            "0001-01-01T00:00:00Z",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "yesterday",
            "2024-01-15",
            "2024-01-15T10:30:00",
            "2023-02-29T10:30:00Z",
            "2024-13-01T10:30:00Z",
            "2024-01-15T24:00:00Z",
            "2024-01-15T10:30:00.Z",
            "2024-01-15T10:30:00+0530",
            "2024-01-15T10:30:00Z ",
            "２０２４-01-15T10:30:00Z",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn unix_times_become_rfc3339() {
        assert_eq!(unix_to_rfc3339(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(
            unix_to_rfc3339(1_705_314_600).unwrap(),
            "2024-01-15T10:30:00Z"
        );
        assert_eq!(
            unix_to_rfc3339(951_782_400).unwrap(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(unix_to_rfc3339(-86_400).unwrap(), "1969-12-31T00:00:00Z");
        assert_eq!(unix_to_rfc3339(i64::MAX), None);
        assert_eq!(
            unix_text_to_rfc3339("1705314600123").unwrap(),
            "2024-01-15T10:30:00.123Z"
        );
        assert_eq!(
            unix_text_to_rfc3339("1705314600000").unwrap(),
            "2024-01-15T10:30:00Z"
        );
        assert_eq!(
            unix_text_to_rfc3339("1705314600.5").unwrap(),
            "2024-01-15T10:30:00.5Z"
        );
        assert_eq!(unix_text_to_rfc3339("1705314600.x"), None);
        assert_eq!(unix_text_to_rfc3339("soon"), None);
        assert_eq!(unix_text_to_rfc3339("-9223372036854775808"), None);
        assert_eq!(unix_text_to_rfc3339("9223372036854775807"), None);
        for s in [0, 1_705_314_600, 4_102_444_800, 253_402_300_799] {
            assert!(is_rfc3339(&unix_to_rfc3339(s).unwrap()));
        }
        // Milliseconds keep their leading zeros and lose their trailing ones.
        assert_eq!(
            unix_text_to_rfc3339("1705314600007").unwrap(),
            "2024-01-15T10:30:00.007Z"
        );
        assert_eq!(
            unix_text_to_rfc3339("1705314600120").unwrap(),
            "2024-01-15T10:30:00.12Z"
        );
        assert_eq!(
            unix_text_to_rfc3339("-62135596800000").unwrap(),
            "0001-01-01T00:00:00Z"
        );
        // The first and last second of the range, and one past each.
        assert_eq!(
            unix_to_rfc3339(-62_135_596_800).unwrap(),
            "0001-01-01T00:00:00Z"
        );
        assert_eq!(unix_to_rfc3339(-62_135_596_801), None);
        assert_eq!(
            unix_to_rfc3339(253_402_300_799).unwrap(),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(unix_to_rfc3339(253_402_300_800), None);
    }

    /// The digits written in place are `format!`'s (every field zero-padded to its
    /// width) and form a valid date, across the whole range.
    #[test]
    fn unix_times_match_the_formatted_reference() {
        let reference = |secs: i64| {
            let text = unix_to_rfc3339(secs).unwrap();
            let (date, time) = text.split_once('T').unwrap();
            let v: alloc::vec::Vec<i64> = date
                .split('-')
                .chain(time.trim_end_matches('Z').split(':'))
                .map(|n| n.parse().unwrap())
                .collect();
            let again = alloc::format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                v[0],
                v[1],
                v[2],
                v[3],
                v[4],
                v[5]
            );
            (text, again, v)
        };
        // A prime stride visits every hour, minute and second over the range.
        let stride = if cfg!(miri) { 7_919_999_999 } else { 7_919_993 };
        let mut secs = -62_135_596_800_i64;
        let mut last = 0;
        while secs <= 253_402_300_799 {
            let (text, again, v) = reference(secs);
            assert_eq!(text, again, "{secs}");
            assert!(is_rfc3339(&text), "{text}");
            // The time of day is what is left of the day; years never go back.
            assert_eq!(
                (v[3] * 3600 + v[4] * 60 + v[5]),
                secs.rem_euclid(86_400),
                "{secs}"
            );
            assert!(v[0] >= last, "{secs}");
            last = v[0];
            secs += stride;
        }
    }

    #[test]
    fn has_nul_finds_every_position() {
        for len in 0..40usize {
            // Bytes next to zero in value (1, 0x80, 0xff) must not look like one.
            let clean: alloc::vec::Vec<u8> =
                (0..len).map(|i| [1u8, 0x80, 0xff, b'a'][i % 4]).collect();
            assert!(!has_nul(&clean), "{len}");
            for at in 0..len {
                let mut b = clean.clone();
                b[at] = 0;
                assert!(has_nul(&b), "{len} {at}");
            }
        }
    }

    #[test]
    fn strip_nul_borrows_when_clean() {
        assert!(matches!(strip_nul(Cow::Borrowed("abc")), Cow::Borrowed(_)));
        assert_eq!(strip_nul(Cow::Borrowed("a\0b")), "ab");
    }
}
