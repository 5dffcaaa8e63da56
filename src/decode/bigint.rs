//! Integers beyond 64 bits (above `u64::MAX` or below `i64::MIN`), which are valid JSON.
//!
//! simd-json 0.19, with the features this crate uses, refuses such an integer with `InvalidNumber`, so the
//! whole text (every record of the object) would fail. Its `big-int-as-float` feature reads it as an `f64`
//! instead, silently dropping digits, and `128bit` only moves the limit to 128 bits (a 40-digit integer still
//! fails) while widening every number the parser returns. Neither keeps the digits, so such integers are found in
//! the raw text before parsing and written as JSON strings of their digits: the parser holds them as strings,
//! string columns store those digits as text, and [`write_json`] writes them back as bare numbers, exactly as
//! they were written.
//!
//! A quoted integer is told from a string that merely holds the same digits by where its text starts: the
//! parser's strings borrow the parsed buffer at the string's own position (it unescapes in place), and no two
//! strings start at the same byte. Should a parser keep its strings elsewhere, the integers would come out as
//! JSON strings of the same digits: still every digit, only quoted.

use std::ops::Range;

use simd_json::prelude::*;
use simd_json::tape::Value;

/// Below this many consecutive digits no integer overflows 64 bits (`-9223372036854775809` has 19).
const MIN_DIGITS: usize = 19;

/// The integers beyond 64 bits of one parsed text, held by the parser as strings of their digits.
#[derive(Debug, Default)]
pub struct BigInts {
    /// `(address, length)` of each quoted integer's text in the parsed buffer, sorted by address.
    spans: Vec<(usize, usize)>,
}

impl BigInts {
    /// Whether the text held none (the common case: values are written by simd-json directly).
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// How many the text held.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether a string the parser returned is one of the quoted integers.
    pub fn holds(&self, s: &str) -> bool {
        let addr = s.as_ptr() as usize;
        self.spans
            .binary_search_by_key(&addr, |&(a, _)| a)
            .is_ok_and(|i| self.spans[i].1 == s.len())
    }
}

/// Whether eight bytes are all ASCII digits (the test simd-json uses for its own digit blocks).
fn eight_digits(block: &[u8]) -> bool {
    let mut word = [0u8; 8];
    word.copy_from_slice(block);
    let v = u64::from_le_bytes(word);
    ((v & 0xF0F0_F0F0_F0F0_F0F0) | (((v.wrapping_add(0x0606_0606_0606_0606)) & 0xF0F0_F0F0_F0F0_F0F0) >> 4))
        == 0x3333_3333_3333_3333
}

/// Whether the text has a run of at least [`MIN_DIGITS`] digits anywhere, strings included. Any run of 15 or
/// more digits covers a whole 8-byte block, so only one block in eight bytes is tested until one is all digits.
fn has_long_digit_run(text: &[u8]) -> bool {
    let mut i = 0;
    while i + 8 <= text.len() {
        if !eight_digits(&text[i..i + 8]) {
            i += 8;
            continue;
        }
        let mut start = i;
        while start > 0 && text[start - 1].is_ascii_digit() {
            start -= 1;
        }
        let mut end = i + 8;
        while end < text.len() && text[end].is_ascii_digit() {
            end += 1;
        }
        if end - start >= MIN_DIGITS {
            return true;
        }
        i = end;
    }
    false
}

/// Whether a number token is a JSON integer (`-?[1-9][0-9]*`) beyond 64 bits.
fn beyond_64_bits(token: &[u8]) -> bool {
    let (negative, digits) = match token.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, token),
    };
    if digits.first().is_none_or(|d| !(b'1'..=b'9').contains(d)) || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    // Same-length decimal strings compare like the numbers they spell.
    let limit: &[u8] = if negative {
        b"9223372036854775808"
    } else {
        b"18446744073709551615"
    };
    digits.len() > limit.len() || (digits.len() == limit.len() && digits > limit)
}

/// Whether simd-json accepts this byte right after a number (whitespace or a structural character).
fn ends_number(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b'[' | b']' | b'{' | b'}'
    )
}

/// The byte ranges of the integers beyond 64 bits that stand as values in `text` (never as object keys, and
/// never inside strings). A quick test for long digit runs keeps this to one cheap pass over ordinary text.
///
/// A number is replaced only where a string would be equally valid, so quoting the ranges found makes the text
/// parse exactly when the only thing wrong with it was their size.
pub fn find(text: &[u8]) -> Vec<Range<usize>> {
    if !has_long_digit_run(text) {
        return Vec::new();
    }
    let mut found = Vec::new();
    // For each open container, whether it is an array.
    let mut in_array: Vec<bool> = Vec::new();
    // The last byte outside strings and whitespace; `None` before the first value.
    let mut prev: Option<u8> = None;
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        match b {
            b'"' => {
                let mut j = i + 1;
                loop {
                    match text.get(j..).and_then(|rest| memchr::memchr2(b'"', b'\\', rest)) {
                        Some(k) if text[j + k] == b'\\' => j += k + 2,
                        Some(k) => {
                            j += k + 1;
                            break;
                        }
                        // An unterminated string: the parser will say so.
                        None => return found,
                    }
                }
                prev = Some(b'"');
                i = j;
                continue;
            }
            b'{' | b'[' => {
                in_array.push(b == b'[');
                prev = Some(b);
            }
            b'}' | b']' => {
                in_array.pop();
                prev = Some(b);
            }
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'-' | b'0'..=b'9' => {
                let end = text[i..]
                    .iter()
                    .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .map_or(text.len(), |n| i + n);
                let value_position = match prev {
                    None | Some(b':') => true,
                    Some(b'[' | b',') => in_array.last() == Some(&true),
                    _ => false,
                };
                if value_position
                    && text.get(end).is_none_or(|&c| ends_number(c))
                    && beyond_64_bits(&text[i..end])
                {
                    found.push(i..end);
                }
                prev = Some(b'0');
                i = end;
                continue;
            }
            _ => prev = Some(b),
        }
        i += 1;
    }
    found
}

/// Writes `text` into `out` with each range in `found` (sorted, from [`find`]) quoted; returns the offsets in
/// `out` where each quoted integer's digits start.
pub fn quote(text: &[u8], found: &[Range<usize>], out: &mut Vec<u8>) -> Vec<usize> {
    out.clear();
    out.reserve(text.len() + 2 * found.len());
    let mut starts = Vec::with_capacity(found.len());
    let mut copied = 0;
    for r in found {
        out.extend_from_slice(&text[copied..r.start]);
        out.push(b'"');
        starts.push(out.len());
        out.extend_from_slice(&text[r.clone()]);
        out.push(b'"');
        copied = r.end;
    }
    out.extend_from_slice(&text[copied..]);
    starts
}

/// The quoted integers of `buffer` (as written by [`quote`], before it is parsed in place).
pub fn at(buffer: &[u8], starts: &[usize], found: &[Range<usize>]) -> BigInts {
    let base = buffer.as_ptr() as usize;
    BigInts {
        spans: starts
            .iter()
            .zip(found)
            .map(|(&s, r)| (base + s, r.len()))
            .collect(),
    }
}

/// Appends a value's compact JSON text, with the quoted integers written back as the numbers they were.
pub fn write_json(v: Value<'_, '_>, big: &BigInts, out: &mut Vec<u8>) {
    if big.is_empty() {
        // Writing into a Vec cannot fail.
        let _ = v.write(out);
        return;
    }
    if let Some(s) = v.as_str() {
        if big.holds(s) {
            out.extend_from_slice(s.as_bytes());
        } else {
            let _ = v.write(out);
        }
    } else if let Some(arr) = v.as_array() {
        out.push(b'[');
        for (i, element) in arr.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_json(element, big, out);
        }
        out.push(b']');
    } else if let Some(obj) = v.as_object() {
        out.push(b'{');
        for (i, (k, member)) in obj.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // The same escaping simd-json applies to keys.
            let _ = simd_json::BorrowedValue::from(k).write(out);
            out.push(b':');
            write_json(member, big, out);
        }
        out.push(b'}');
    } else {
        let _ = v.write(out);
    }
}

/// A value's compact JSON text, with the quoted integers written back as the numbers they were.
pub fn encode(v: Value<'_, '_>, big: &BigInts) -> String {
    if big.is_empty() {
        return v.encode();
    }
    let mut out = Vec::new();
    write_json(v, big, &mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Quotes and parses `text`, returning its compact JSON as written back and the number of integers found.
    fn round_trip(text: &str) -> Result<(String, usize), simd_json::Error> {
        let found = find(text.as_bytes());
        let mut buf = Vec::new();
        let starts = quote(text.as_bytes(), &found, &mut buf);
        let big = at(&buf, &starts, &found);
        let tape = simd_json::to_tape(&mut buf)?;
        Ok((encode(tape.as_value(), &big), big.len()))
    }

    #[test]
    fn simd_json_refuses_integers_beyond_64_bits() {
        for text in [
            "18446744073709551616",
            "-9223372036854775809",
            "[1234567890123456789012345678901234567890]",
        ] {
            let mut bytes = text.as_bytes().to_vec();
            let err = simd_json::to_tape(&mut bytes).expect_err(text);
            assert_eq!(*err.error(), simd_json::ErrorType::InvalidNumber, "{text}");
        }
        let mut edge = b"[18446744073709551615,-9223372036854775808]".to_vec();
        assert!(simd_json::to_tape(&mut edge).is_ok());
    }

    #[test]
    fn limits() {
        assert!(!beyond_64_bits(b"18446744073709551615"));
        assert!(beyond_64_bits(b"18446744073709551616"));
        assert!(beyond_64_bits(b"99999999999999999999"));
        assert!(beyond_64_bits(b"100000000000000000000"));
        assert!(!beyond_64_bits(b"-9223372036854775808"));
        assert!(beyond_64_bits(b"-9223372036854775809"));
        assert!(!beyond_64_bits(b"9223372036854775809"));
        assert!(
            !beyond_64_bits(b"018446744073709551616"),
            "a leading zero is not JSON"
        );
        assert!(!beyond_64_bits(b"-"));
        assert!(!beyond_64_bits(b"18446744073709551616.5"));
        assert!(!beyond_64_bits(b"18446744073709551616e3"));
    }

    #[test]
    fn long_digit_runs() {
        assert!(!has_long_digit_run(b""));
        assert!(!has_long_digit_run(b"{\"a\":123456789012345678}"));
        for pad in 0..9 {
            let text = format!("{}1234567890123456789,", " ".repeat(pad));
            assert!(has_long_digit_run(text.as_bytes()), "{pad}");
            let short = format!("{}123456789012345678,", " ".repeat(pad));
            assert!(!has_long_digit_run(short.as_bytes()), "{pad}");
        }
        assert!(!has_long_digit_run(b"12345678901234567 12345678901234567"));
    }

    #[test]
    fn digits_come_back_as_written() {
        let text = r#"{"a":18446744073709551616,"b":[-9223372036854775809, 1234567890123456789012345678901234567890],"c":18446744073709551615,"d":"18446744073709551616"}"#;
        let (json, n) = round_trip(text).unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            json,
            r#"{"a":18446744073709551616,"b":[-9223372036854775809,1234567890123456789012345678901234567890],"c":18446744073709551615,"d":"18446744073709551616"}"#
        );
        let (json, n) = round_trip("-100000000000000000000000").unwrap();
        assert_eq!((json.as_str(), n), ("-100000000000000000000000", 1));
        // Escaped keys and strings are written as simd-json writes them.
        let (json, _) = round_trip(r#"{"k\"\u00e9\n":"v\t\\","n":123456789012345678901}"#).unwrap();
        assert_eq!(
            json,
            "{\"k\\\"\u{e9}\\n\":\"v\\t\\\\\",\"n\":123456789012345678901}"
        );
    }

    #[test]
    fn nothing_else_is_touched() {
        // Inside strings (even after escaped quotes), as keys, as floats, with leading zeros or junk after.
        for text in [
            r#"{"a":"x\"18446744073709551616"}"#,
            r#"{"a":"\\",  "b":"18446744073709551616"}"#,
            r#"{18446744073709551616:1}"#,
            r#"{"a":1,18446744073709551616:1}"#,
            r#"[18446744073709551616.0, 18446744073709551616e2, 018446744073709551616]"#,
            r#"[18446744073709551616x]"#,
            r#"["a" 18446744073709551616]"#,
            r#"{"a":"18446744073709551616"#,
        ] {
            assert!(find(text.as_bytes()).is_empty(), "{text}");
        }
        assert_eq!(find(b"[1,18446744073709551616]"), vec![3..23]);
        // A key-position number stays invalid JSON.
        assert!(round_trip(r#"{18446744073709551616:1}"#).is_err());
        assert!(round_trip(r#"{"a":18446744073709551616 18446744073709551616}"#).is_err());
    }

    #[test]
    fn a_string_of_the_same_digits_stays_a_string() {
        let text = r#"["18446744073709551616",18446744073709551616]"#;
        let found = find(text.as_bytes());
        let mut buf = Vec::new();
        let starts = quote(text.as_bytes(), &found, &mut buf);
        let big = at(&buf, &starts, &found);
        let tape = simd_json::to_tape(&mut buf).unwrap();
        let arr = tape.as_value();
        let arr = arr.as_array().unwrap();
        let items: Vec<_> = arr.iter().collect();
        assert_eq!(items[0].as_str(), Some("18446744073709551616"));
        assert_eq!(items[1].as_str(), Some("18446744073709551616"));
        assert!(!big.holds(items[0].as_str().unwrap()));
        assert!(big.holds(items[1].as_str().unwrap()));
    }
}
