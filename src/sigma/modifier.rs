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
        let encoded: Vec<String> = if self.base64offset {
            base64_offsets(text.as_bytes())
        } else if self.base64 {
            vec![STANDARD.encode(text.as_bytes())]
        } else {
            vec![text.to_string()]
        };
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
        assert!(Modifiers::parse(&["windash"]).is_err());
        assert!(Modifiers::parse(&["contains", "startswith"]).is_err());
    }
}
