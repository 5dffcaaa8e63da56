//! The records of a CloudTrail delivery counted and timed without parsing it into a tape: for an object a
//! query's literals rule out, the run summary still needs how many events it held, which of them fall in
//! the window, which have a defective `eventTime` and which are copies of one another (by `eventID` and
//! `recipientAccountId`), exactly as a full parse would say.
//!
//! The check is stricter than the parser: it answers only for the common shape (`{"Records":[{...},...]}`,
//! integers, the members read here as unescaped strings) and only when the text is JSON the parser
//! certainly accepts. Anything else (floats, surrogate escapes, control characters, deep nesting, another shape)
//! answers `None`, and the object is parsed in full as before, so skipping never changes what is reported.

use memchr::memchr2;

/// The deepest nesting answered; deeper objects are parsed in full (the parser allows 1,024 levels).
const MAX_DEPTH: usize = 64;

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
    let mut c = Cursor { text: json, at: 0 };
    if json.starts_with(&[0xEF, 0xBB, 0xBF]) {
        c.at = 3;
    }
    // The parser is handed the text after any ASCII whitespace, and itself accepts JSON's four.
    while c.peek().is_some_and(|b| b.is_ascii_whitespace()) {
        c.at += 1;
    }
    c.eat(b'{')?;
    c.space();
    c.literal(b"\"Records\"")?;
    c.space();
    c.eat(b':')?;
    c.space();
    c.eat(b'[')?;
    c.space();
    let mut records = Vec::new();
    if c.peek() == Some(b']') {
        c.at += 1;
    } else {
        loop {
            records.push(c.record()?);
            c.space();
            match c.next()? {
                b',' => c.space(),
                b']' => break,
                _ => return None,
            }
        }
    }
    c.space();
    c.eat(b'}')?;
    c.space();
    (c.at == json.len()).then_some(records)
}

struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    fn literal(&mut self, want: &[u8]) -> Option<()> {
        let end = self.at.checked_add(want.len())?;
        (self.text.get(self.at..end)? == want).then(|| self.at = end)
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// One element of `Records`, which must be an object.
    fn record(&mut self) -> Option<Counted<'a>> {
        self.eat(b'{')?;
        self.space();
        let mut found = [None; 3];
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            loop {
                let key = self.string()?;
                // An escaped key could unescape to a name read here; only the parser can say.
                if key.contains('\\') {
                    return None;
                }
                self.space();
                self.eat(b':')?;
                self.space();
                let slot = ["eventTime", "eventID", "recipientAccountId"]
                    .iter()
                    .position(|n| *n == key)
                    .filter(|&i| found[i].is_none());
                match slot {
                    Some(i) => found[i] = Some(self.member()?),
                    None => self.value(1)?,
                }
                self.space();
                match self.next()? {
                    b',' => self.space(),
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        let [time, event_id, account] = found.map(|m| m.unwrap_or(Member::Missing));
        Some(Counted {
            time,
            event_id,
            account,
        })
    }

    /// A member read here: an unescaped string or null.
    fn member(&mut self) -> Option<Member<'a>> {
        match self.peek()? {
            b'"' => {
                let s = self.string()?;
                (!s.contains('\\')).then_some(Member::Text(s))
            }
            b'n' => self.literal(b"null").map(|()| Member::Null),
            _ => None,
        }
    }

    /// Skips one value nested `depth` levels below a record.
    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => {
                self.at += 1;
                self.space();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    self.string()?;
                    self.space();
                    self.eat(b':')?;
                    self.space();
                    self.value(depth + 1)?;
                    self.space();
                    match self.next()? {
                        b',' => self.space(),
                        b'}' => return Some(()),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.at += 1;
                self.space();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    self.value(depth + 1)?;
                    self.space();
                    match self.next()? {
                        b',' => self.space(),
                        b']' => return Some(()),
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    /// An integer of any length (those beyond 64 bits are read as text of digits); a fraction or an
    /// exponent is left to the parser.
    fn integer(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => {
                while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    self.at += 1;
                }
            }
            _ => return None,
        }
        match self.peek() {
            Some(b'.' | b'e' | b'E') | Some(b'0'..=b'9') => None,
            _ => Some(()),
        }
    }

    /// A string's raw text between its quotes, escapes checked but left as they are.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        loop {
            let rest = &self.text[self.at..];
            let found = memchr2(b'"', b'\\', rest)?;
            if has_control(&rest[..found]) {
                return None;
            }
            self.at += found + 1;
            if rest[found] == b'"' {
                // Valid UTF-8 was checked for the whole text, and a quote is never inside a character.
                return std::str::from_utf8(&self.text[start..self.at - 1]).ok();
            }
            self.escape()?;
        }
    }

    /// The rest of an escape after its backslash; a `\u` surrogate is left to the parser.
    fn escape(&mut self) -> Option<()> {
        match self.next()? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(()),
            b'u' => {
                let end = self.at.checked_add(4)?;
                let hex = std::str::from_utf8(self.text.get(self.at..end)?).ok()?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                let unit = u16::from_str_radix(hex, 16).ok()?;
                self.at = end;
                (!(0xD800..=0xDFFF).contains(&unit)).then_some(())
            }
            _ => None,
        }
    }
}

/// Whether bytes hold a control character, which JSON forbids unescaped in a string.
fn has_control(bytes: &[u8]) -> bool {
    bytes
        .chunks(32)
        .any(|c| c.iter().fold(false, |seen, &b| seen | (b < 0x20)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_is_counted_with_each_time_and_identity() {
        let doc = br#" {"Records": [
            {"eventVersion":"1.08","eventTime":"2026-03-03T10:00:00Z","n":[1,-2,0,{"a":null}],"b":true,
             "eventID":"e1","recipientAccountId":"111122223333"},
            {"eventName":"X","eventTime":null,"x":"a\"b\\c\/d\u00e9\n","eventID":null},
            {},
            {"eventTime":"later","eventTime":"2026-03-03T10:00:00Z","big":123456789012345678901234567890}
        ]}
"#;
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

    /// Whatever the count answers, the parser agrees with: on thousands of damaged deliveries, each
    /// answered one parses to as many objects, with the same members.
    #[test]
    fn every_answer_agrees_with_the_parser() {
        use crate::decode::document::{Item, for_each_item};
        use simd_json::prelude::*;

        let base = br#"{"Records":[{"eventTime":"2026-03-03T10:00:00Z","eventID":"e-1","n":[1,-20,{"a":null,"b":true}],
"s":"x\"y\u00e9\/","recipientAccountId":"111122223333"},{"eventName":"A","eventTime":null,"big":123456789012345678901234},
{"eventID":"e-3","eventTime":"t","o":{"k":[false,"v",0]}}]}"#;
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
            let mut doc = base.to_vec();
            for _ in 0..1 + round % 3 {
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
        assert!(answered > 400, "only {answered} damaged deliveries were answered");
    }
}
