//! Value modifiers (`field|contains|all: [...]`): how the values of one detection item become matchers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use regex::RegexBuilder;

use super::error::{SigmaError, invalid};
use super::pattern::{Cidr, Matcher, NumOp, StrOp, wildcard};

/// A detection value as written in YAML.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string (wildcards apply).
    Str(String),
    /// A number or boolean, compared by its text.
    Plain(String),
    /// `null`.
    Null,
}

/// The modifiers of one detection item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Modifiers {
    op: Option<StrOp>,
    all: bool,
    re: bool,
    re_flags: (bool, bool, bool),
    cidr: bool,
    exists: bool,
    fieldref: bool,
    base64: bool,
    base64offset: bool,
    cased: bool,
    num: Option<NumOp>,
    expand: bool,
    windash: bool,
    utf16: Option<Utf16>,
}

/// Text encodings applied before base64 (`utf16le`/`wide`, `utf16be`, `utf16` with a byte-order mark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Utf16 {
    Le,
    Be,
    WithBom,
}

fn encode_utf16(text: &str, e: Utf16) -> Vec<u8> {
    let mut out = Vec::new();
    if e == Utf16::WithBom {
        out.extend_from_slice(&[0xFF, 0xFE]);
    }
    for u in text.encode_utf16() {
        match e {
            Utf16::Be => out.extend_from_slice(&u.to_be_bytes()),
            _ => out.extend_from_slice(&u.to_le_bytes()),
        }
    }
    out
}

/// The `windash` variants of a command line: a leading `-` of each word may also be `/` or a dash look-alike.
fn windash_variants(text: &str) -> Vec<String> {
    ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"]
        .iter()
        .map(|d| {
            text.split(' ')
                .map(|w| match w.strip_prefix('-') {
                    Some(rest) => format!("{d}{rest}"),
                    None => w.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

impl Modifiers {
    /// Parses the `|`-separated modifier names after a field name.
    pub fn parse(names: &[&str]) -> Result<Modifiers, SigmaError> {
        let mut m = Modifiers::default();
        for name in names {
            let set_op = |m: &mut Modifiers, op| {
                if m.op.is_some() {
                    return Err(invalid(format!(
                        "modifier {name:?} conflicts with another string modifier"
                    )));
                }
                m.op = Some(op);
                Ok(())
            };
            match name.to_ascii_lowercase().as_str() {
                "contains" => set_op(&mut m, StrOp::Contains)?,
                "startswith" => set_op(&mut m, StrOp::StartsWith)?,
                "endswith" => set_op(&mut m, StrOp::EndsWith)?,
                "all" => m.all = true,
                "re" => m.re = true,
                "i" => m.re_flags.0 = true,
                "m" => m.re_flags.1 = true,
                "s" => m.re_flags.2 = true,
                "cidr" => m.cidr = true,
                "exists" => m.exists = true,
                "fieldref" => m.fieldref = true,
                "base64" => m.base64 = true,
                "base64offset" => m.base64offset = true,
                "cased" => m.cased = true,
                "gt" => m.num = Some(NumOp::Gt),
                "gte" => m.num = Some(NumOp::Gte),
                "expand" => m.expand = true,
                "windash" => m.windash = true,
                "utf16le" | "wide" => m.utf16 = Some(Utf16::Le),
                "utf16be" => m.utf16 = Some(Utf16::Be),
                "utf16" => m.utf16 = Some(Utf16::WithBom),
                "lt" => m.num = Some(NumOp::Lt),
                "lte" => m.num = Some(NumOp::Lte),
                other => return Err(SigmaError::Unsupported(format!("modifier {other:?}"))),
            }
        }
        if (m.re_flags != (false, false, false)) && !m.re {
            return Err(invalid("regex flags i/m/s need the re modifier"));
        }
        if m.re && (m.op.is_some() || m.cidr || m.base64 || m.base64offset) {
            return Err(invalid(
                "re cannot be combined with string, cidr or base64 modifiers",
            ));
        }
        if m.base64offset && m.op != Some(StrOp::Contains) {
            return Err(invalid("base64offset needs contains"));
        }
        Ok(m)
    }

    /// Whether every value must match (`all`), rather than any.
    pub fn all(&self) -> bool {
        self.all
    }

    /// `fieldref`: the values name other fields, compared with this operation.
    pub fn fieldref(&self) -> Option<StrOp> {
        self.fieldref.then(|| self.op.unwrap_or(StrOp::Equals))
    }

    /// Whether comparisons keep case.
    pub fn cased(&self) -> bool {
        self.cased
    }

    /// The matchers for one value (several for `base64offset`: any of them).
    pub fn matchers(&self, value: &Value) -> Result<Vec<Matcher>, SigmaError> {
        let text = match value {
            Value::Null => {
                return if self.op.is_some() || self.re || self.cidr {
                    Err(invalid("null cannot be combined with string modifiers"))
                } else {
                    Ok(vec![Matcher::Null])
                };
            }
            Value::Str(s) | Value::Plain(s) => s.as_str(),
        };
        if self.expand && text.contains('%') {
            // Placeholders are filled in by a deployment's configuration; none is configured here, so the
            // item cannot match (`rules lint` says so).
            return Ok(vec![Matcher::Never]);
        }
        if self.exists {
            return match text.to_ascii_lowercase().as_str() {
                "true" | "yes" => Ok(vec![Matcher::Exists(true)]),
                "false" | "no" => Ok(vec![Matcher::Exists(false)]),
                _ => Err(invalid(format!("exists takes true or false, not {text:?}"))),
            };
        }
        if let Some(op) = self.num {
            let n: f64 = text
                .parse()
                .map_err(|_| invalid(format!("{text:?} is not a number")))?;
            return Ok(vec![Matcher::Num(op, n)]);
        }
        if self.re {
            let (i, m, s) = self.re_flags;
            let re = RegexBuilder::new(text)
                .case_insensitive(i)
                .multi_line(m)
                .dot_matches_new_line(s)
                .build()
                .map_err(|e| invalid(format!("bad regular expression {text:?}: {e}")))?;
            return Ok(vec![Matcher::Regex(re, text.to_string())]);
        }
        if self.cidr {
            return Cidr::parse(text)
                .map(|c| vec![Matcher::Cidr(c)])
                .ok_or_else(|| invalid(format!("{text:?} is not a CIDR network")));
        }
        if self.utf16.is_some() && !(self.base64 || self.base64offset) {
            return Err(invalid("utf16 encodings need base64 or base64offset"));
        }
        let texts: Vec<String> = if self.windash {
            windash_variants(text)
        } else {
            vec![text.to_string()]
        };
        let mut encoded: Vec<String> = Vec::new();
        for t in &texts {
            let bytes = match self.utf16 {
                Some(e) => encode_utf16(t, e),
                None => t.as_bytes().to_vec(),
            };
            if self.base64offset {
                encoded.extend(base64_offsets(&bytes));
            } else if self.base64 {
                encoded.push(STANDARD.encode(&bytes));
            } else {
                encoded.push(t.clone());
            }
        }
        let literal = matches!(value, Value::Plain(_)) || self.base64 || self.base64offset;
        Ok(encoded
            .iter()
            .map(|v| {
                let v = if literal { escape_wildcards(v) } else { v.clone() };
                let pattern = match self.op {
                    None | Some(StrOp::Equals) => v,
                    Some(StrOp::Contains) => format!("*{v}*"),
                    Some(StrOp::StartsWith) => format!("{v}*"),
                    Some(StrOp::EndsWith) => format!("*{v}"),
                };
                wildcard(&pattern, self.cased)
            })
            .collect())
    }
}

fn escape_wildcards(s: &str) -> String {
    s.replace('\\', "\\\\").replace('*', "\\*").replace('?', "\\?")
}

/// The three base64 encodings of `value` at each byte offset, trimmed to the characters that do not depend
/// on the surrounding bytes (as the Sigma specification defines `base64offset`).
pub fn base64_offsets(value: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|i| {
            let mut padded = vec![b' '; i];
            padded.extend_from_slice(value);
            let enc = STANDARD.encode(&padded);
            let cut_end = END[(value.len() + i) % 3];
            enc[START[i]..enc.len() - cut_end].to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(mods: &[&str], v: &str) -> Matcher {
        Modifiers::parse(mods)
            .unwrap()
            .matchers(&Value::Str(v.into()))
            .unwrap()
            .remove(0)
    }

    #[test]
    fn string_modifiers() {
        assert!(one(&["contains"], "Logging").matches("StopLOGGINGnow"));
        assert!(one(&["startswith"], "Stop").matches("stoplogging"));
        assert!(!one(&["startswith"], "Stop").matches("xstop"));
        assert!(one(&["endswith"], "ging").matches("StopLogging"));
        assert!(one(&["contains", "cased"], "Log").matches("StopLog"));
        assert!(!one(&["contains", "cased"], "Log").matches("stoplog"));
    }

    #[test]
    fn regex_flags() {
        assert!(!one(&["re"], "^stop").matches("StopLogging"));
        assert!(one(&["re", "i"], "^stop").matches("StopLogging"));
        assert!(one(&["re", "s"], "a.b").matches("a\nb"));
        assert!(one(&["re", "m"], "^b$").matches("a\nb"));
        assert!(Modifiers::parse(&["i"]).is_err());
    }

    #[test]
    fn base64() {
        assert!(one(&["base64"], "hello").matches("aGVsbG8="));
        let offs = base64_offsets(b"/bin/sh");
        assert_eq!(offs, vec!["L2Jpbi9za", "9iaW4vc2", "vYmluL3No"]);
        let m = Modifiers::parse(&["base64offset", "contains"]).unwrap();
        let ms = m.matchers(&Value::Str("/bin/sh".into())).unwrap();
        // "xx/bin/sh" in base64.
        let encoded = STANDARD.encode("xx/bin/sh -c id");
        assert!(ms.iter().any(|m| m.matches(&encoded)), "{encoded}");
    }

    #[test]
    fn numbers_exists_cidr_null() {
        let m = Modifiers::parse(&[]).unwrap();
        assert!(m.matchers(&Value::Plain("443".into())).unwrap()[0].matches("443"));
        assert!(matches!(m.matchers(&Value::Null).unwrap()[0], Matcher::Null));
        let e = Modifiers::parse(&["exists"]).unwrap();
        assert!(matches!(
            e.matchers(&Value::Plain("true".into())).unwrap()[0],
            Matcher::Exists(true)
        ));
        let g = Modifiers::parse(&["gte"]).unwrap();
        assert!(g.matchers(&Value::Plain("40".into())).unwrap()[0].matches("41"));
        assert!(one(&["cidr"], "192.168.0.0/16").matches("192.168.4.4"));
        assert!(Modifiers::parse(&["nosuch"]).is_err());
        let w = Modifiers::parse(&["contains", "windash"]).unwrap();
        let ms = w.matchers(&Value::Str("-enc".into())).unwrap();
        assert!(ms.iter().any(|m| m.matches("powershell /enc AAA")));
        let x = Modifiers::parse(&["expand"]).unwrap();
        assert!(matches!(
            x.matchers(&Value::Str("%Admins%".into())).unwrap()[0],
            Matcher::Never
        ));
        let u = Modifiers::parse(&["utf16le", "base64"]).unwrap();
        assert!(u.matchers(&Value::Str("ab".into())).unwrap()[0].matches("YQBiAA=="));
        assert!(Modifiers::parse(&["contains", "startswith"]).is_err());
    }
}
