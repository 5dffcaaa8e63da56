//! Finds the events in one decompressed object, whatever shape it came in: a CloudTrail delivery
//! `{"Records":[...]}`, a bare JSON array of events, a single event, or JSON lines of events.

use std::cell::RefCell;

use simd_json::tape::Value;
use simd_json::{Buffers, to_tape_with_buffers};

use super::bigint::{self, BigInts};
use super::error::DecodeError;

/// One element found in an object: an event to decode, or an element that could not be one.
pub enum Item<'t, 'i> {
    /// A JSON object: an event, with the integers beyond 64 bits of its text (held as strings of digits).
    Record(Value<'t, 'i>, &'t BigInts),
    /// An element of the records array that is not an object; it is skipped and reported.
    NotObject {
        /// Position in the array.
        index: usize,
        /// Its JSON text, cut short.
        preview: String,
    },
    /// A line of a JSON-lines file that does not parse; it is skipped and reported.
    BadLine {
        /// 1-based line number.
        line: usize,
        /// Parser message.
        error: String,
    },
}

// Parser scratch space, reused by each decoding thread across objects: it holds no run's settings or
// results between objects, only capacity.
thread_local! {
    static BUFFERS: RefCell<Buffers> = RefCell::new(Buffers::new(1 << 20));
}

/// Parses `bytes`, or a copy of them in `spare` with the integers beyond 64 bits quoted (see [`bigint`]).
fn parse<'i>(
    bytes: &'i mut [u8],
    spare: &'i mut Vec<u8>,
) -> Result<(simd_json::tape::Tape<'i>, BigInts), DecodeError> {
    let found = bigint::find(bytes);
    let (text, big) = if found.is_empty() {
        (bytes, BigInts::default())
    } else {
        let starts = bigint::quote(bytes, &found, spare);
        let big = bigint::at(spare, &starts, &found);
        (spare.as_mut_slice(), big)
    };
    let tape = BUFFERS
        .with(|b| to_tape_with_buffers(text, &mut b.borrow_mut()))
        .map_err(|e| DecodeError::Json(e.to_string()))?;
    Ok((tape, big))
}

fn preview(v: Value<'_, '_>, big: &BigInts) -> String {
    let mut s = bigint::encode(v, big);
    if s.len() > 60 {
        let mut cut = 60;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

fn is_event(v: Value<'_, '_>) -> bool {
    ["eventTime", "eventName", "eventID", "eventSource"]
        .iter()
        .any(|k| v.contains_key(k))
}

fn each_element<'t, 'i>(arr: Value<'t, 'i>, big: &BigInts, f: &mut dyn FnMut(Item<'_, '_>)) {
    if let Some(arr) = arr.as_array() {
        for (index, v) in arr.iter().enumerate() {
            if v.is_object() {
                f(Item::Record(v, big));
            } else {
                f(Item::NotObject {
                    index,
                    preview: preview(v, big),
                });
            }
        }
    }
}

fn each_in_delivery(
    root: Value<'_, '_>,
    big: &BigInts,
    f: &mut dyn FnMut(Item<'_, '_>),
) -> Result<(), DecodeError> {
    if let Some(records) = root.get("Records") {
        if !records.is_array() {
            return Err(DecodeError::RecordsNotArray);
        }
        each_element(records, big, f);
        Ok(())
    } else if is_event(root) {
        f(Item::Record(root, big));
        Ok(())
    } else {
        Err(DecodeError::NoRecords)
    }
}

fn starts_with_records_key(rest: &[u8]) -> bool {
    let after_brace = rest[1..]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &rest[1 + i..]);
    after_brace.is_some_and(|r| r.starts_with(b"\"Records\""))
}

fn each_line(bytes: &mut [u8], f: &mut dyn FnMut(Item<'_, '_>)) -> Result<(), DecodeError> {
    let mut parsed_any = false;
    let mut first_error = None;
    let mut spare = Vec::new();
    for (n, line) in bytes.split_mut(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse(line, &mut spare) {
            Ok((tape, big)) => {
                parsed_any = true;
                let v = tape.as_value();
                if v.is_object() {
                    f(Item::Record(v, &big));
                } else {
                    f(Item::NotObject {
                        index: n,
                        preview: preview(v, &big),
                    });
                }
            }
            Err(e) => {
                let error = e.to_string();
                first_error.get_or_insert_with(|| error.clone());
                f(Item::BadLine { line: n + 1, error });
            }
        }
    }
    if parsed_any {
        Ok(())
    } else {
        Err(first_error.map_or(DecodeError::Empty, |_| DecodeError::NoValidLines))
    }
}

/// Calls `f` for every element of the object's JSON text; object-level problems are returned as errors
/// before any element is passed on, so a failed object contributes no rows.
pub fn for_each_item(json: &mut [u8], f: &mut dyn FnMut(Item<'_, '_>)) -> Result<(), DecodeError> {
    // A UTF-8 byte-order mark is tolerated.
    let bom = if json.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let start = bom
        + json[bom..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .ok_or(DecodeError::Empty)?;
    let body = &mut json[start..];
    let mut spare = Vec::new();
    match body.first() {
        Some(b'[') => {
            let (tape, big) = parse(body, &mut spare)?;
            each_element(tape.as_value(), &big, f);
            Ok(())
        }
        Some(b'{') if starts_with_records_key(body) => {
            let (tape, big) = parse(body, &mut spare)?;
            each_in_delivery(tape.as_value(), &big, f)
        }
        Some(b'{') => {
            // Either one pretty-printed document or JSON lines: try the whole document on a copy first,
            // because the parser unescapes strings in place.
            let mut copy = body.to_vec();
            match parse(&mut copy, &mut spare) {
                Ok((tape, big)) => each_in_delivery(tape.as_value(), &big, f),
                Err(whole) => {
                    if body.iter().filter(|b| **b == b'\n').take(2).count() == 0 {
                        return Err(whole);
                    }
                    each_line(body, f)
                }
            }
        }
        Some(_) => {
            let head = String::from_utf8_lossy(&body[..body.len().min(16)]).into_owned();
            Err(DecodeError::NotJson(head))
        }
        None => Err(DecodeError::Empty),
    }
}

#[cfg(test)]
mod tests {
    use simd_json::prelude::*;

    use super::*;

    /// Decodes a document into (event names, problems) for assertions.
    fn run(text: &str) -> Result<(Vec<String>, Vec<String>), DecodeError> {
        let mut bytes = text.as_bytes().to_vec();
        let mut names = Vec::new();
        let mut problems = Vec::new();
        for_each_item(&mut bytes, &mut |item| match item {
            Item::Record(v, _) => names.push(v.get_str("eventName").unwrap_or("?").to_string()),
            Item::NotObject { index, preview } => problems.push(format!("{index}:{preview}")),
            Item::BadLine { line, .. } => problems.push(format!("line {line}")),
        })?;
        Ok((names, problems))
    }

    #[test]
    fn shapes() {
        let (n, p) = run(r#"{"Records":[{"eventName":"A"},{"eventName":"B"}]}"#).unwrap();
        assert_eq!((n, p.len()), (vec!["A".to_string(), "B".to_string()], 0));
        let (n, _) = run("\u{feff}\n  [{\"eventName\":\"A\"}]").unwrap();
        assert_eq!(n, vec!["A"]);
        let (n, _) = run("{\n  \"foo\": 1,\n  \"Records\": [ {\"eventName\": \"P\"} ]\n}").unwrap();
        assert_eq!(n, vec!["P"]);
        let (n, p) = run("{\"eventName\":\"A\"}\n{\"eventName\":\"B\"}\n\n{bad\n").unwrap();
        assert_eq!(n, vec!["A", "B"]);
        assert_eq!(p, vec!["line 4"]);
        let (n, _) = run(r#"{"eventName":"Solo","eventTime":"2026-03-03T00:00:00Z"}"#).unwrap();
        assert_eq!(n, vec!["Solo"]);
        let (n, p) = run(r#"{"Records":[1,{"eventName":"A"},"x"]}"#).unwrap();
        assert_eq!(n, vec!["A"]);
        assert_eq!(p, vec!["0:1", "2:\"x\""]);
    }

    #[test]
    fn object_level_failures() {
        assert!(matches!(run("   "), Err(DecodeError::Empty)));
        assert!(matches!(run("hello world"), Err(DecodeError::NotJson(_))));
        assert!(matches!(run(r#"{"foo":1}"#), Err(DecodeError::NoRecords)));
        assert!(matches!(
            run(r#"{"Records":{"a":1}}"#),
            Err(DecodeError::RecordsNotArray)
        ));
        assert!(matches!(run(r#"{"Records":[{"a":1}"#), Err(DecodeError::Json(_))));
        assert!(matches!(run("{bad\n{worse\n"), Err(DecodeError::NoValidLines)));
        let deep = format!(
            "{{\"Records\":[{{\"x\":{}{}}}]}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert!(matches!(run(&deep), Err(DecodeError::Json(_))));
        let mut bad_utf8 = br#"{"Records":[{"eventName":"A"#.to_vec();
        bad_utf8.extend([0xff, 0xfe]);
        bad_utf8.extend(br#""}]}"#);
        let mut names = 0;
        let r = for_each_item(&mut bad_utf8, &mut |_| names += 1);
        assert!(matches!(r, Err(DecodeError::Json(_))), "{r:?}");
        assert_eq!(names, 0);
    }
}
