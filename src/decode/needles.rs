//! Literals a reader's filter cannot be true without: an object whose text holds none of them cannot hold a
//! row the filter keeps, so its rows need not be built (the "filter before you parse" idea of Sparser). The
//! object is still counted exactly (see [`super::tally`]).
//!
//! A literal is searched in the object's raw JSON text, so it only rules an object out when the text cannot
//! spell it another way. A column's text is the JSON string unescaped, or a value re-encoded without the
//! whitespace between tokens, so literals that could match across an escape or such a gap are not
//! accepted: those with quotes, backslashes, brackets, commas or control characters, or starting with a
//! colon; nor literals a re-encoded number could spell (`1e2` is written `100.0`). An object with a `\u`
//! escape (or a `\/` when a literal has a slash) is never ruled out.

use aho_corasick::AhoCorasick;

/// One or more literals, any of which a row the filter keeps must contain somewhere in its text.
#[derive(Debug, Clone)]
pub struct AnyLiteral {
    literals: Vec<String>,
}

impl AnyLiteral {
    /// The literals, or `None` when one of them cannot be searched for soundly (then nothing is ruled out).
    /// The search is case-sensitive: a case-insensitive filter is not ruled on, since Unicode folds some
    /// letters into ASCII ones (the Kelvin sign into `k`).
    pub fn new(literals: Vec<String>) -> Option<AnyLiteral> {
        let sound = |l: &String| {
            !l.is_empty()
                && !l
                    .bytes()
                    .any(|b| b < 0x20 || matches!(b, b'"' | b'\\' | b'{' | b'}' | b'[' | b']' | b','))
                && !l.starts_with(':')
                && !could_be_in_a_number(l)
        };
        (!literals.is_empty() && literals.iter().all(sound)).then_some(AnyLiteral { literals })
    }

    /// Either this or `other`.
    pub fn or(mut self, other: AnyLiteral) -> AnyLiteral {
        self.literals.extend(other.literals);
        self
    }

    /// The literals.
    pub fn literals(&self) -> &[String] {
        &self.literals
    }
}

/// Whether `l` could be part of a number's text, which re-encoding may spell differently: only number
/// characters, and at most one point and one exponent (an address like `203.0.113.9` cannot be).
fn could_be_in_a_number(l: &str) -> bool {
    let count = |set: &[u8]| l.bytes().filter(|b| set.contains(b)).count();
    l.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && count(b".") <= 1
        && count(b"eE") <= 1
}

/// Every literal set a reader's filters need, compiled for searching.
#[derive(Debug, Clone)]
pub struct Needles {
    all: Vec<AhoCorasick>,
    slash: bool,
}

impl Needles {
    /// Needles requiring one literal of each set; `None` when there is nothing to search for.
    pub fn new(sets: Vec<AnyLiteral>) -> Option<Needles> {
        let slash = sets.iter().any(|s| s.literals.iter().any(|l| l.contains('/')));
        let all = sets
            .into_iter()
            .filter_map(|s| AhoCorasick::new(&s.literals).ok())
            .collect::<Vec<_>>();
        (!all.is_empty()).then_some(Needles { all, slash })
    }

    /// Whether some row of this JSON text may pass the filter: `false` only when it certainly cannot.
    pub fn may_match(&self, json: &[u8]) -> bool {
        if memchr::memmem::find(json, b"\\u").is_some()
            || (self.slash && memchr::memmem::find(json, b"\\/").is_some())
        {
            return true;
        }
        self.all.iter().all(|set| set.is_match(json))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needles(sets: &[&[&str]]) -> Needles {
        Needles::new(
            sets.iter()
                .map(|l| AnyLiteral::new(l.iter().map(|s| s.to_string()).collect()).unwrap())
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn an_object_is_ruled_out_only_without_any_literal_of_a_set() {
        let n = needles(&[&["CreateUser", "DeleteUser"], &["iam.amazonaws.com"]]);
        assert!(n.may_match(br#"{"eventName":"DeleteUser","eventSource":"iam.amazonaws.com"}"#));
        assert!(!n.may_match(br#"{"eventName":"DeleteUser","eventSource":"s3.amazonaws.com"}"#));
        assert!(!n.may_match(br#"{"eventName":"createuser","eventSource":"iam.amazonaws.com"}"#));
    }

    #[test]
    fn escapes_that_could_spell_a_literal_keep_the_object() {
        let n = needles(&[&["CreateUser"]]);
        assert!(n.may_match(br#"{"eventName":"\u0043reateUser"}"#));
        let slash = needles(&[&["arn:aws:iam::1:user/bob"]]);
        assert!(slash.may_match(br#"{"arn":"arn:aws:iam::1:user\/bob"}"#));
        assert!(!slash.may_match(br#"{"arn":"arn:aws:iam::1:user/alice"}"#));
    }

    #[test]
    fn literals_the_text_could_spell_otherwise_are_refused() {
        for bad in [
            "", "a\"b", "a\\b", "{\"a\"", ":true", "a,b", "1.5", "100", "1e2", "\n",
        ] {
            assert!(AnyLiteral::new(vec![bad.into()]).is_none(), "{bad:?}");
        }
        assert!(AnyLiteral::new(vec!["123456789012".into()]).is_none());
        assert!(AnyLiteral::new(vec!["203.0.113.9".into()]).is_some());
        assert!(AnyLiteral::new(vec!["i-0abc".into(), "aws-cli/2 Python".into()]).is_some());
        assert!(AnyLiteral::new(vec![]).is_none());
    }
}
