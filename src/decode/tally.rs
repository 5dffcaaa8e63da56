//! The records of a CloudTrail delivery counted and timed without parsing it into a tape: for an object a
//! query's literals rule out, the run summary still needs how many events it held, which of them fall in
//! the window, which have a defective `eventTime` and which are copies of one another (by `eventID` and
//! `recipientAccountId`), exactly as a full parse would say.
//!
//! The check is stricter than the parser: it answers only for the common shape (`{"Records":[{...},...]}`,
//! integers, the members read here as unescaped strings, no `\u` escape anywhere) and only when the text is
//! JSON the parser certainly accepts. Anything else (floats, control characters, deep nesting, another
//! shape) answers `None`, and the object is parsed in full as before, so skipping never changes what is
//! reported.
//!
//! It costs less than the parse it replaces, though not much less (the decode benchmark times both): like
//! the parser's first stage, it classifies 64 bytes at a time into bit masks (quotes, escapes, the inside
//! of strings, structural characters), then checks the grammar token by token, never copying or unescaping
//! a string.

use super::byte_classes;

/// The deepest nesting answered; deeper objects are parsed in full (the parser allows 1,024 levels).
const MAX_DEPTH: usize = 64;

/// The members read, in [`Counted`] order.
const NAMES: [&[u8]; 3] = [b"eventTime", b"eventID", b"recipientAccountId"];

/// What one record holds under a member's name (its first occurrence, as the parser reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member<'a> {
    /// No such member.
    Missing,
    /// `null`.
    Null,
    /// A string without escapes.
    Text(&'a str),
}

impl<'a> Member<'a> {
    /// The text, if there is one.
    pub fn text(self) -> Option<&'a str> {
        match self {
            Member::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// The members of one record a count needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted<'a> {
    /// `eventTime`.
    pub time: Member<'a>,
    /// `eventID`.
    pub event_id: Member<'a>,
    /// `recipientAccountId`.
    pub account: Member<'a>,
}

/// Every record of a delivery, in order, or `None` when only a full parse can say.
pub fn delivery_records(json: &[u8]) -> Option<Vec<Counted<'_>>> {
    simdutf8::basic::from_utf8(json).ok()?;
    let mut start = if json.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    // The parser is handed the text after any ASCII whitespace.
    while json.get(start).is_some_and(u8::is_ascii_whitespace) {
        start += 1;
    }
    let mut walk = Walk {
        text: json,
        stack: Vec::new(),
        expect: Expect::Value,
        records: Vec::new(),
        found: [None; 3],
        pending: None,
        has_records: false,
        done: false,
    };
    let mut carry = Carry::default();
    let mut padded = [b' '; 64];
    for (n, chunk) in json[start..].chunks(64).enumerate() {
        let block: &[u8; 64] = match chunk.try_into() {
            Ok(b) => b,
            Err(_) => {
                padded[..chunk.len()].copy_from_slice(chunk);
                &padded
            }
        };
        let mut tokens = classify(block, &mut carry)?;
        let base = start + n * 64;
        while tokens != 0 {
            let i = tokens.trailing_zeros() as usize;
            tokens &= tokens - 1;
            walk.token(base + i)?;
        }
    }
    (carry.in_string == 0 && carry.escape == 0 && walk.done && walk.has_records).then_some(walk.records)
}

/// What one block hands the next.
#[derive(Default)]
struct Carry {
    /// All ones when the block ended inside a string.
    in_string: u64,
    /// 1 when the block ended with a backslash that escapes the next block's first byte.
    escape: u64,
    /// 1 when the block ended inside a scalar (a number or a literal).
    scalar: u64,
}

/// Each bit set when an odd number of bits at or below it are set: the inside of strings from their quotes.
fn prefix_xor(mut x: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        x ^= x << shift;
    }
    x
}

/// The tokens of a block (structural characters, the quotes opening strings, the starts of scalars), or
/// `None` for a control character, a bad escape, or a byte no JSON token holds.
fn classify(block: &[u8; 64], carry: &mut Carry) -> Option<u64> {
    let m = byte_classes::of(block);
    // A backslash escapes the next byte unless it is escaped itself.
    let mut escaped = carry.escape;
    let mut starts = m.backslash & !escaped;
    carry.escape = 0;
    while starts != 0 {
        let i = starts.trailing_zeros();
        if i == 63 {
            carry.escape = 1;
        } else {
            escaped |= 1 << (i + 1);
        }
        starts &= starts - 1;
        starts &= !escaped;
    }
    let quote = m.quote & !escaped;
    let inside = prefix_xor(quote) ^ carry.in_string;
    carry.in_string = if inside >> 63 == 1 { u64::MAX } else { 0 };
    // Inside a string: no control character, every escape one of the two-character ones (a `\u` escape is
    // left to the parser, so no key or value read here can spell another by escapes). Outside: no escape.
    if (escaped & !inside) != 0 || (m.control & inside) != 0 {
        return None;
    }
    let mut each = escaped;
    while each != 0 {
        let c = block[each.trailing_zeros() as usize];
        if !matches!(c, b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') {
            return None;
        }
        each &= each - 1;
    }
    let outside = !inside & !quote;
    let structural = outside & m.structural;
    // Any other byte outside strings (a control character too) starts or continues a scalar, which the
    // grammar then refuses unless it is an integer or a literal.
    let scalar = outside & !structural & !m.space;
    let scalar_starts = scalar & !((scalar << 1) | carry.scalar);
    carry.scalar = scalar >> 63;
    Some(structural | (quote & inside) | scalar_starts)
}

/// What the next token may be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Value,
    /// After `[`: a value or `]`.
    ValueOrClose,
    /// After `{`: a key or `}`.
    KeyOrClose,
    Key,
    Colon,
    /// After a value: `,` or the container's close.
    Next,
}

/// The grammar, checked token by token, and the records found on the way.
struct Walk<'a> {
    text: &'a [u8],
    /// The open containers: the root object, `Records`, a record, then what is nested in it.
    stack: Vec<u8>,
    expect: Expect,
    records: Vec<Counted<'a>>,
    /// The current record's members read so far.
    found: [Option<Member<'a>>; 3],
    /// The member whose value comes next, when it is one read here.
    pending: Option<usize>,
    /// The root holds `Records` (a root without it is not a delivery).
    has_records: bool,
    /// The root object is closed.
    done: bool,
}

impl<'a> Walk<'a> {
    fn token(&mut self, at: usize) -> Option<()> {
        if self.done {
            return None;
        }
        let c = self.text[at];
        match (self.expect, c) {
            (Expect::ValueOrClose, b']') | (Expect::KeyOrClose, b'}') => self.close(c),
            (Expect::Value | Expect::ValueOrClose, _) => self.value(at, c),
            (Expect::Key | Expect::KeyOrClose, b'"') => self.key(at),
            (Expect::Colon, b':') => {
                self.expect = Expect::Value;
                Some(())
            }
            (Expect::Next, b',') => {
                // The root holds `Records` only.
                if self.stack.len() == 1 {
                    return None;
                }
                self.expect = if self.stack.last() == Some(&b'{') {
                    Expect::Key
                } else {
                    Expect::Value
                };
                Some(())
            }
            (Expect::Next, b'}' | b']') => self.close(c),
            _ => None,
        }
    }

    fn open(&mut self, c: u8) -> Option<()> {
        if self.stack.len() > MAX_DEPTH {
            return None;
        }
        self.stack.push(c);
        self.expect = if c == b'{' {
            Expect::KeyOrClose
        } else {
            Expect::ValueOrClose
        };
        Some(())
    }

    fn close(&mut self, c: u8) -> Option<()> {
        let open = self.stack.pop()?;
        if (open, c) != (b'{', b'}') && (open, c) != (b'[', b']') {
            return None;
        }
        match self.stack.len() {
            0 => self.done = true,
            2 => {
                let [time, event_id, account] = self.found.map(|m| m.unwrap_or(Member::Missing));
                self.records.push(Counted {
                    time,
                    event_id,
                    account,
                });
            }
            _ => {}
        }
        self.expect = Expect::Next;
        Some(())
    }

    fn value(&mut self, at: usize, c: u8) -> Option<()> {
        match self.stack.len() {
            // The root, `Records` and its elements: an object, an array, objects.
            0 | 2 if c != b'{' => return None,
            1 if c != b'[' => return None,
            2 => self.found = [None; 3],
            _ => {}
        }
        if let Some(slot) = self.pending.take() {
            let member = match c {
                b'"' => Member::Text(self.unescaped(at)?),
                b'n' if self.scalar(at) == b"null" => Member::Null,
                _ => return None,
            };
            self.found[slot] = Some(member);
            self.expect = Expect::Next;
            return Some(());
        }
        match c {
            b'{' | b'[' => self.open(c),
            b'"' => {
                self.expect = Expect::Next;
                Some(())
            }
            _ => {
                let token = self.scalar(at);
                if !(matches!(token, b"true" | b"false" | b"null") || is_integer(token)) {
                    return None;
                }
                self.expect = Expect::Next;
                Some(())
            }
        }
    }

    fn key(&mut self, at: usize) -> Option<()> {
        let after = &self.text[at + 1..];
        let is = |name: &[u8]| after.starts_with(name) && after.get(name.len()) == Some(&b'"');
        match self.stack.len() {
            1 if !is(b"Records") => return None,
            1 => self.has_records = true,
            // Only `eventTime`, `eventID` and `recipientAccountId` are read.
            3 if matches!(after.first(), Some(b'e' | b'r')) => {
                self.pending = NAMES
                    .iter()
                    .position(|n| is(n))
                    .filter(|&i| self.found[i].is_none());
            }
            _ => {}
        }
        self.expect = Expect::Colon;
        Some(())
    }

    /// The text of the string opening at `at`, when it has no escape.
    fn unescaped(&self, at: usize) -> Option<&'a str> {
        let rest = &self.text[at + 1..];
        let end = memchr::memchr2(b'"', b'\\', rest)?;
        if rest[end] != b'"' {
            return None;
        }
        // The whole text is valid UTF-8, and a quote never falls inside a character.
        std::str::from_utf8(&rest[..end]).ok()
    }

    /// The bytes of the scalar starting at `at`, up to the next whitespace, structural character or quote.
    fn scalar(&self, at: usize) -> &'a [u8] {
        let rest = &self.text[at..];
        let len = rest
            .iter()
            .position(|b| {
                matches!(
                    b,
                    b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b'{' | b'}' | b'[' | b']' | b'"'
                )
            })
            .unwrap_or(rest.len());
        &rest[..len]
    }
}

/// An integer of any length (those beyond 64 bits are read as text of digits); a fraction or an exponent
/// is left to the parser.
fn is_integer(token: &[u8]) -> bool {
    let digits = token.strip_prefix(b"-").unwrap_or(token);
    match digits {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_is_counted_with_each_time_and_identity() {
        let doc = r#" {"Records": [
            {"eventVersion":"1.08","eventTime":"2026-03-03T10:00:00Z","n":[1,-2,0,{"a":null}],"b":true,
             "eventID":"e1","recipientAccountId":"111122223333"},
            {"eventName":"X","eventTime":null,"x":"a\"b\\c\/dé\n","eventID":null},
            {},
            {"eventTime":"later","eventTime":"2026-03-03T10:00:00Z","big":123456789012345678901234567890}
        ]}
"#
        .as_bytes();
        let records = delivery_records(doc).unwrap();
        let times: Vec<Member> = records.iter().map(|r| r.time).collect();
        assert_eq!(
            times,
            [
                Member::Text("2026-03-03T10:00:00Z"),
                Member::Null,
                Member::Missing,
                Member::Text("later"),
            ]
        );
        assert_eq!(records[0].event_id, Member::Text("e1"));
        assert_eq!(records[0].account, Member::Text("111122223333"));
        assert_eq!(
            (records[1].event_id, records[1].account),
            (Member::Null, Member::Missing)
        );
        assert_eq!(delivery_records(br#"{"Records":[]}"#).unwrap(), []);
    }

    #[test]
    fn anything_unsure_is_left_to_the_parser() {
        for doc in [
            // other shapes
            r#"[{"eventTime":"t"}]"#,
            r#"{"eventTime":"t"}"#,
            r#"{"Records":[{"eventTime":"t"}],"x":1}"#,
            r#"{"Records":[1]}"#,
            r#"{"Records":[{}]}{"Records":[]}"#,
            r#"{"Records":{}}"#,
            r#"{}"#,
            r#"{"x":[]}"#,
            r#"{"Records":[{"s":"\u00e9"}]}"#,
            // what only the parser judges
            r#"{"Records":[{"eventTime":"t","n":1.5}]}"#,
            r#"{"Records":[{"eventTime":"t","n":1e5}]}"#,
            r#"{"Records":[{"eventTime":"t","s":"\ud83d\ude00"}]}"#,
            r#"{"Records":[{"event\u0054ime":"t"}]}"#,
            r#"{"Records":[{"eventTime":"2026\u002d03"}]}"#,
            r#"{"Records":[{"eventTime":123}]}"#,
            r#"{"Records":[{"eventID":"a\u0062"}]}"#,
            r#"{"Records":[{"recipientAccountId":111122223333}]}"#,
            // what is not JSON
            r#"{"Records":[{"eventTime":"t",}]}"#,
            r#"{"Records":[{"eventTime":"t"},]}"#,
            r#"{"Records":[{"n":01}]}"#,
            r#"{"Records":[{"n":-}]}"#,
            r#"{"Records":[{"s":"a\x"}]}"#,
            r#"{"Records":[{"s":"\u12"}]}"#,
            r#"{"Records":[{"s":tru}]}"#,
            r#"{"Records":[{"s":"open}]}"#,
            r#"{"Records":[{"s":[1 2]}]}"#,
            r#"{"Records":[{"s":1}]"#,
            r#"{"Records":[{"s":1}]} x"#,
        ] {
            assert_eq!(delivery_records(doc.as_bytes()), None, "{doc}");
        }
        assert_eq!(delivery_records(b"{\"Records\":[{\"s\":\"a\tb\"}]}"), None);
        assert_eq!(delivery_records(b"{\"Records\":[{\"s\":\"\xff\"}]}"), None);
        let deep = format!("{{\"Records\":[{{\"d\":{}{}}}]}}", "[".repeat(70), "]".repeat(70));
        assert_eq!(delivery_records(deep.as_bytes()), None);
        let shallow = format!("{{\"Records\":[{{\"d\":{}{}}}]}}", "[".repeat(60), "]".repeat(60));
        assert_eq!(delivery_records(shallow.as_bytes()).unwrap().len(), 1);
    }

    /// Whatever the count answers, the parser agrees with: on thousands of deliveries, whole or damaged,
    /// each one answered parses to as many objects, with the same members.
    #[test]
    fn every_answer_agrees_with_the_parser() {
        use crate::decode::document::{Item, for_each_item};
        use simd_json::prelude::*;

        let base = r#"{"Records":[{"eventTime":"2026-03-03T10:00:00Z","eventID":"e-1","n":[1,-20,{"a":null,"b":true}],
"s":"x\"yé\/","recipientAccountId":"111122223333"},{"eventName":"A","eventTime":null,"big":123456789012345678901234},
{"eventID":"e-3","eventTime":"t","o":{"k":[false,"v",0]}}]}"#
            .as_bytes();
        let alphabet = b"\"\\{}[],:0123456789eE.-+unlt \t\n\r\x01\x7f\xc3\xa9\xff";
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut answered = 0;
        for round in 0..4000 {
            // Leading spaces move every token across the 64-byte blocks.
            let mut doc = [" ".repeat(round % 64).as_bytes(), base].concat();
            for _ in 0..round % 4 {
                let at = next(doc.len());
                match next(3) {
                    0 => {
                        doc.remove(at);
                    }
                    1 => doc.insert(at, alphabet[next(alphabet.len())]),
                    _ => doc[at] = alphabet[next(alphabet.len())],
                }
            }
            let Some(counted) = delivery_records(&doc) else {
                continue;
            };
            answered += 1;
            let text = String::from_utf8_lossy(&doc).into_owned();
            let mut parsed = Vec::new();
            let mut copy = doc.clone();
            for_each_item(&mut copy, &mut |item| match item {
                Item::Record(v, _) => {
                    let member = |k: &str| match v.get(k) {
                        None => Member::Missing,
                        Some(m) if m.is_null() => Member::Null,
                        Some(m) => Member::Text(m.as_str().map(|s| &*s.to_string().leak()).unwrap_or("?")),
                    };
                    parsed.push((
                        member("eventTime"),
                        member("eventID"),
                        member("recipientAccountId"),
                    ));
                }
                _ => parsed.push((Member::Text("not a record"), Member::Missing, Member::Missing)),
            })
            .unwrap_or_else(|e| panic!("counted but the parser refuses ({e}): {text}"));
            let counted: Vec<_> = counted.iter().map(|c| (c.time, c.event_id, c.account)).collect();
            assert_eq!(counted, parsed, "{text}");
        }
        assert!(answered > 1000, "only {answered} deliveries were answered");
    }
}
