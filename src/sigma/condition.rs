//! The detection condition: `and`, `or`, `not`, parentheses, `1 of x*`, `all of x*`, `1 of them`,
//! `all of them`, and the Sigma 1 aggregation suffix (`| count(field) by a, b > 5`).

use super::error::SigmaError;

/// A parsed condition over selection names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// A selection is true.
    Sel(String),
    /// Negation.
    Not(Box<Cond>),
    /// Every part.
    And(Vec<Cond>),
    /// Any part.
    Or(Vec<Cond>),
    /// At least `n` of the parts (`2 of sel_*`).
    AtLeast(usize, Vec<Cond>),
}

/// A comparison of a count with a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `>` / `gt`.
    Gt,
    /// `>=` / `gte`.
    Gte,
    /// `<` / `lt`.
    Lt,
    /// `<=` / `lte`.
    Lte,
    /// `==` / `eq`.
    Eq,
    /// `!=` / `neq`.
    Neq,
}

impl CmpOp {
    /// Whether `n op threshold` holds.
    pub fn holds(self, n: u64, threshold: u64) -> bool {
        match self {
            CmpOp::Gt => n > threshold,
            CmpOp::Gte => n >= threshold,
            CmpOp::Lt => n < threshold,
            CmpOp::Lte => n <= threshold,
            CmpOp::Eq => n == threshold,
            CmpOp::Neq => n != threshold,
        }
    }

    /// Parses a Sigma 2 condition key (`gte`) or a Sigma 1 operator (`>=`).
    pub fn parse(s: &str) -> Option<CmpOp> {
        Some(match s {
            ">" | "gt" => CmpOp::Gt,
            ">=" | "gte" => CmpOp::Gte,
            "<" | "lt" => CmpOp::Lt,
            "<=" | "lte" => CmpOp::Lte,
            "=" | "==" | "eq" => CmpOp::Eq,
            "!=" | "neq" => CmpOp::Neq,
            _ => return None,
        })
    }
}

/// A Sigma 1 aggregation: `count()` (events) or `count(field)` (distinct values), grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregation {
    /// The counted field (distinct values), or `None` for events.
    pub field: Option<String>,
    /// Group-by fields.
    pub group_by: Vec<String>,
    /// The comparison.
    pub op: CmpOp,
    /// The threshold.
    pub threshold: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Of,
    Them,
    All,
    Num(usize),
    Ident(String),
}

fn tokens(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' {
            chars.next();
            out.push(Tok::LParen);
        } else if c == ')' {
            chars.next();
            out.push(Tok::RParen);
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '(' || c == ')' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            out.push(match word.to_ascii_lowercase().as_str() {
                "and" => Tok::And,
                "or" => Tok::Or,
                "not" => Tok::Not,
                "of" => Tok::Of,
                "them" => Tok::Them,
                "all" => Tok::All,
                w if w.bytes().all(|b| b.is_ascii_digit()) => {
                    Tok::Num(w.parse().map_err(|_| format!("bad number {w}"))?)
                }
                _ => Tok::Ident(word),
            });
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    names: &'a [&'a str],
}

fn glob_match(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((pre, rest)) => {
            if !name.starts_with(pre) {
                return false;
            }
            let tail = &name[pre.len()..];
            (0..=tail.len()).any(|i| tail.is_char_boundary(i) && glob_match(rest, &tail[i..]))
        }
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.next();
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut parts = vec![self.not()?];
        while self.peek() == Some(&Tok::And) {
            self.next();
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::And(parts)
        })
    }

    fn not(&mut self) -> Result<Cond, String> {
        if self.peek() == Some(&Tok::Not) {
            self.next();
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn matching(&self, pattern: Option<&str>) -> Result<Vec<Cond>, String> {
        let found: Vec<Cond> = self
            .names
            .iter()
            .filter(|n| match pattern {
                Some(p) => glob_match(p, n),
                None => !n.starts_with('_'),
            })
            .map(|n| Cond::Sel((*n).to_string()))
            .collect();
        if found.is_empty() {
            return Err(format!("no selection matches {}", pattern.unwrap_or("them")));
        }
        Ok(found)
    }

    fn primary(&mut self) -> Result<Cond, String> {
        match self.next() {
            Some(Tok::LParen) => {
                let c = self.or()?;
                match self.next() {
                    Some(Tok::RParen) => Ok(c),
                    _ => Err("missing )".into()),
                }
            }
            Some(q @ (Tok::Num(_) | Tok::All)) => {
                if self.next() != Some(Tok::Of) {
                    return Err("expected `of` after a quantifier".into());
                }
                let parts = match self.next() {
                    Some(Tok::Them) => self.matching(None)?,
                    Some(Tok::Ident(p)) => self.matching(Some(&p))?,
                    _ => return Err("expected a selection pattern or `them` after `of`".into()),
                };
                Ok(match q {
                    Tok::All => Cond::And(parts),
                    Tok::Num(1) => Cond::Or(parts),
                    Tok::Num(0) => return Err("`0 of` is not a quantifier".into()),
                    Tok::Num(n) => Cond::AtLeast(n, parts),
                    _ => unreachable!("matched above"),
                })
            }
            Some(Tok::Ident(name)) => {
                if self.names.contains(&name.as_str()) {
                    Ok(Cond::Sel(name))
                } else {
                    Err(format!("unknown selection {name:?}"))
                }
            }
            Some(t) => Err(format!("unexpected {t:?}")),
            None => Err("unexpected end".into()),
        }
    }
}

fn parse_aggregation(s: &str) -> Result<Aggregation, String> {
    let s = s.trim();
    let rest = s
        .strip_prefix("count")
        .ok_or_else(|| format!("only count() aggregations are supported, not {s:?}"))?
        .trim_start();
    let rest = rest.strip_prefix('(').ok_or("expected ( after count")?;
    let (inner, rest) = rest.split_once(')').ok_or("expected ) after count(")?;
    let field = Some(inner.trim().to_string()).filter(|f| !f.is_empty());
    let mut rest = rest.trim();
    let mut group_by = Vec::new();
    if let Some(after) = rest.strip_prefix("by ") {
        let op_at = after
            .find(['<', '>', '=', '!'])
            .ok_or("expected a comparison after the group-by fields")?;
        group_by = after[..op_at]
            .split(',')
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .collect();
        rest = &after[op_at..];
    }
    let op_len = rest
        .find(|c: char| c.is_ascii_digit() || c.is_whitespace())
        .ok_or("expected a number")?;
    let op = CmpOp::parse(&rest[..op_len]).ok_or_else(|| format!("bad comparison {:?}", &rest[..op_len]))?;
    let threshold = rest[op_len..]
        .trim()
        .parse()
        .map_err(|_| format!("bad threshold {:?}", rest[op_len..].trim()))?;
    Ok(Aggregation {
        field,
        group_by,
        op,
        threshold,
    })
}

/// Parses one condition over the given selection names.
pub fn parse(text: &str, names: &[&str]) -> Result<(Cond, Option<Aggregation>), SigmaError> {
    let err = |message: String| SigmaError::Condition {
        condition: text.to_string(),
        message,
    };
    let (expr, agg) = match text.split_once('|') {
        Some((e, a)) => (e, Some(parse_aggregation(a).map_err(err)?)),
        None => (text, None),
    };
    let mut p = Parser {
        toks: tokens(expr).map_err(err)?,
        pos: 0,
        names,
    };
    let cond = p.or().map_err(err)?;
    if p.pos < p.toks.len() {
        return Err(err(format!("unexpected {:?}", p.toks[p.pos])));
    }
    Ok((cond, agg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(s: &str) -> Cond {
        Cond::Sel(s.into())
    }

    #[test]
    fn precedence_and_quantifiers() {
        let names = ["sel", "filter_a", "filter_b", "_hidden"];
        let (c, _) = parse("sel and not 1 of filter_*", &names).unwrap();
        assert_eq!(
            c,
            Cond::And(vec![
                sel("sel"),
                Cond::Not(Box::new(Cond::Or(vec![sel("filter_a"), sel("filter_b")])))
            ])
        );
        let (c, _) = parse("sel or filter_a and filter_b", &names).unwrap();
        assert_eq!(
            c,
            Cond::Or(vec![
                sel("sel"),
                Cond::And(vec![sel("filter_a"), sel("filter_b")])
            ])
        );
        let (c, _) = parse("(sel or filter_a) and not filter_b", &names).unwrap();
        assert!(matches!(c, Cond::And(_)));
        let (c, _) = parse("all of them", &names).unwrap();
        assert_eq!(c, Cond::And(vec![sel("sel"), sel("filter_a"), sel("filter_b")]));
        let (c, _) = parse("1 of them", &names).unwrap();
        assert_eq!(c, Cond::Or(vec![sel("sel"), sel("filter_a"), sel("filter_b")]));
        let (c, _) = parse("2 of filter_*", &names).unwrap();
        assert!(matches!(c, Cond::AtLeast(2, _)));
        assert!(parse("sel and", &names).is_err());
        assert!(parse("nope", &names).is_err());
        assert!(parse("1 of x*", &names).is_err());
        assert!(parse("(sel", &names).is_err());
    }

    #[test]
    fn sigma1_aggregations() {
        let (_, a) = parse("selection | count() by userIdentity.arn > 20", &["selection"]).unwrap();
        let a = a.unwrap();
        assert_eq!(
            (a.field, a.group_by, a.op, a.threshold),
            (None, vec!["userIdentity.arn".to_string()], CmpOp::Gt, 20)
        );
        let (_, a) = parse("selection | count(eventName) by a, b >= 6", &["selection"]).unwrap();
        let a = a.unwrap();
        assert_eq!(a.field.as_deref(), Some("eventName"));
        assert_eq!(a.group_by, vec!["a", "b"]);
        assert_eq!(a.op, CmpOp::Gte);
        let (_, a) = parse("selection | count() > 3", &["selection"]).unwrap();
        assert!(a.unwrap().group_by.is_empty());
        assert!(parse("selection | near x", &["selection"]).is_err());
    }
}
