//! String matchers: the compiled form of one Sigma value with its modifiers. Matching is on text: every
//! field value (string, number, boolean, or the compact JSON of an object) is compared as a string.

use std::fmt;
use std::net::IpAddr;

use regex::Regex;

/// How a plain string is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StrOp {
    /// The whole value.
    Equals,
    /// Anywhere in the value.
    Contains,
    /// At the start.
    StartsWith,
    /// At the end.
    EndsWith,
}

/// A numeric comparison (`gt`, `gte`, `lt`, `lte` modifiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumOp {
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
}

/// One compiled value of a detection item.
#[derive(Clone)]
pub enum Matcher {
    /// `null`: the field is absent, JSON null, or an empty list.
    Null,
    /// `exists: true|false`.
    Exists(bool),
    /// A literal compared as [`StrOp`] says; `needle` is lower-cased unless `cased`.
    Str {
        /// The comparison.
        op: StrOp,
        /// The text to find.
        needle: String,
        /// Case-sensitive comparison.
        cased: bool,
    },
    /// A pattern with `*`/`?` wildcards or a `re` regular expression (kept with its source text).
    Regex(Regex, String),
    /// `cidr`: an IPv4 or IPv6 network.
    Cidr(Cidr),
    /// A numeric comparison; values that are not numbers never match.
    Num(NumOp, f64),
    /// Nothing matches (an `expand` placeholder with no value).
    Never,
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::Null => f.write_str("null"),
            Matcher::Exists(b) => write!(f, "exists({b})"),
            Matcher::Str { op, needle, cased } => write!(f, "{op:?}({needle:?}, cased={cased})"),
            Matcher::Regex(_, src) => write!(f, "re({src:?})"),
            Matcher::Cidr(c) => write!(f, "cidr({}/{})", c.net, c.prefix),
            Matcher::Num(op, n) => write!(f, "{op:?}({n})"),
            Matcher::Never => f.write_str("never"),
        }
    }
}

/// An IP network for the `cidr` modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// The network as written back: `address/prefix`.
    pub fn text(&self) -> String {
        format!("{}/{}", self.net, self.prefix)
    }

    /// Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address (a /32 or /128).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (s.trim(), None),
        };
        let net: IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { net, prefix })
    }

    /// Whether the text is an IP address inside this network.
    pub fn contains(&self, text: &str) -> bool {
        let Ok(ip) = text.trim().parse::<IpAddr>() else {
            return false;
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

fn ascii_prefix_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_ascii_lowercase() == *y)
}

impl Matcher {
    /// A case-insensitive literal comparison (the Sigma default).
    pub fn text(op: StrOp, needle: &str, cased: bool) -> Matcher {
        let needle = if cased {
            needle.to_string()
        } else {
            needle.to_lowercase()
        };
        if !cased && op == StrOp::Contains {
            // The regex engine searches case-insensitive literals without lower-casing every value.
            let re = Regex::new(&format!("(?i){}", regex::escape(&needle)))
                .expect("an escaped literal is a valid regex");
            return Matcher::Regex(re, format!("*{needle}*"));
        }
        Matcher::Str { op, needle, cased }
    }

    /// Whether this matcher is about presence rather than a value.
    pub fn is_presence(&self) -> bool {
        matches!(self, Matcher::Null | Matcher::Exists(_))
    }

    /// Whether one present value matches (presence matchers are decided by the caller).
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Null | Matcher::Exists(_) | Matcher::Never => false,
            Matcher::Str { op, needle, cased } => {
                let (v, n) = (value.as_bytes(), needle.as_bytes());
                if *cased {
                    return match op {
                        StrOp::Equals => v == n,
                        StrOp::Contains => value.contains(needle.as_str()),
                        StrOp::StartsWith => v.starts_with(n),
                        StrOp::EndsWith => v.ends_with(n),
                    };
                }
                if needle.is_ascii() && value.is_ascii() {
                    match op {
                        StrOp::Equals => ascii_prefix_eq(v, n),
                        StrOp::StartsWith => v.len() >= n.len() && ascii_prefix_eq(&v[..n.len()], n),
                        StrOp::EndsWith => v.len() >= n.len() && ascii_prefix_eq(&v[v.len() - n.len()..], n),
                        StrOp::Contains => value.to_ascii_lowercase().contains(needle.as_str()),
                    }
                } else {
                    let lower = value.to_lowercase();
                    match op {
                        StrOp::Equals => lower == *needle,
                        StrOp::StartsWith => lower.starts_with(needle.as_str()),
                        StrOp::EndsWith => lower.ends_with(needle.as_str()),
                        StrOp::Contains => lower.contains(needle.as_str()),
                    }
                }
            }
            Matcher::Regex(re, _) => re.is_match(value),
            Matcher::Cidr(c) => c.contains(value),
            Matcher::Num(op, n) => match value.trim().parse::<f64>() {
                Ok(v) => match op {
                    NumOp::Gt => v > *n,
                    NumOp::Gte => v >= *n,
                    NumOp::Lt => v < *n,
                    NumOp::Lte => v <= *n,
                },
                Err(_) => false,
            },
        }
    }

    /// Whether a field with these values matches: presence matchers look at whether there are values,
    /// the others need one value to match.
    pub fn matches_any<'a>(&self, mut values: impl Iterator<Item = &'a str>) -> bool {
        match self {
            Matcher::Null => values.next().is_none(),
            Matcher::Exists(want) => values.next().is_some() == *want,
            m => values.any(|v| m.matches(v)),
        }
    }
}

/// The parts of a Sigma string value: literal text and unescaped wildcards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters.
    Star,
    /// `?`: one character.
    One,
}

/// Splits a Sigma string into literal text and wildcards. `\*`, `\?` and `\\` are literal; a backslash
/// before any other character is itself literal.
pub fn pieces(s: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    lit.push(n);
                    chars.next();
                }
                _ => lit.push('\\'),
            },
            '*' | '?' => {
                if !lit.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                out.push(if c == '*' { Piece::Star } else { Piece::One });
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    out
}

/// The matcher for a Sigma string with wildcards: a plain comparison when the wildcards are only at the
/// ends, else an anchored regular expression.
pub fn wildcard(s: &str, cased: bool) -> Matcher {
    let p = pieces(s);
    let lit_only = |p: &[Piece]| -> Option<String> {
        match p {
            [] => Some(String::new()),
            [Piece::Lit(l)] => Some(l.clone()),
            _ => None,
        }
    };
    let (lead, trail) = (
        p.first() == Some(&Piece::Star),
        p.len() > 1 && p.last() == Some(&Piece::Star),
    );
    let inner = &p[usize::from(lead)..p.len() - usize::from(trail)];
    if let Some(l) = lit_only(inner) {
        let op = match (lead, trail) {
            (false, false) => StrOp::Equals,
            (true, true) => StrOp::Contains,
            (true, false) => StrOp::EndsWith,
            (false, true) => StrOp::StartsWith,
        };
        if (lead || trail) && l.is_empty() {
            // `*` alone: any present value.
            return Matcher::Regex(Regex::new("(?s)^").expect("valid"), "*".into());
        }
        return Matcher::text(op, &l, cased);
    }
    let mut re = String::from(if cased { "(?s)^" } else { "(?is)^" });
    for piece in &p {
        match piece {
            Piece::Lit(l) => re.push_str(&regex::escape(l)),
            Piece::Star => re.push_str(".*"),
            Piece::One => re.push('.'),
        }
    }
    re.push('$');
    Matcher::Regex(
        Regex::new(&re).expect("escaped pieces form a valid regex"),
        s.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_escapes() {
        assert!(wildcard("Stop*", false).matches("stoplogging"));
        assert!(!wildcard("Stop*", false).matches("xStop"));
        assert!(wildcard("*logging", false).matches("StopLogging"));
        assert!(wildcard("*OPL*", false).matches("StopLogging"));
        assert!(wildcard("a?c", false).matches("ABC"));
        assert!(!wildcard("a?c", false).matches("abbc"));
        assert!(wildcard("a*c*e", false).matches("abcde"));
        assert!(wildcard(r"a\*b", false).matches("a*b"));
        assert!(!wildcard(r"a\*b", false).matches("axb"));
        assert!(wildcard(r"a\?", false).matches("a?"));
        assert!(!wildcard(r"a\?", false).matches("ab"));
        assert!(wildcard(r"c:\\windows", false).matches(r"C:\windows"));
        assert!(wildcard(r"c:\windows", false).matches(r"C:\windows"));
        assert!(wildcard("*", false).matches(""));
        assert!(wildcard("ÄBC", false).matches("äbc"));
        assert!(!wildcard("ABC", true).matches("abc"));
    }

    #[test]
    fn cidr() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains("10.200.1.1"));
        assert!(!c.contains("11.0.0.1"));
        assert!(!c.contains("AWS Internal"));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::5"));
        assert!(!v6.contains("10.0.0.1"));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8"));
        assert!(Cidr::parse("10.0.0.0/40").is_none());
    }

    #[test]
    fn presence() {
        let none: [&str; 0] = [];
        assert!(Matcher::Null.matches_any(none.iter().copied()));
        assert!(!Matcher::Null.matches_any(["x"].into_iter()));
        assert!(Matcher::Exists(true).matches_any(["x"].into_iter()));
        assert!(Matcher::Exists(false).matches_any(none.iter().copied()));
    }
}
