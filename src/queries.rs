//! The named incident-response queries shipped in `queries/`, embedded in the binary so `ctscan query
//! --name` works from anywhere. Each file starts with a header of `-- title:`, `-- description:` and
//! `-- param NAME [integer] [= DEFAULT]: what it is` lines; the SQL uses `${NAME}` where a value goes.
//! Values are inserted as SQL literals (strings quoted and escaped, integers checked), never as raw SQL.

use thiserror::Error;

/// Why a named query cannot be run as asked.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum QueryError {
    /// No query has this name.
    #[error("no named query {0:?} (see ctscan query --list)")]
    Unknown(String),
    /// A `--param` is not `key=value`.
    #[error("--param {0:?} is not key=value")]
    BadParam(String),
    /// A parameter the query does not have.
    #[error("query {query} has no parameter {param:?}")]
    UnknownParam {
        /// The query.
        query: String,
        /// The parameter given.
        param: String,
    },
    /// A required parameter was not given.
    #[error("query {query} needs --param {param}=...")]
    Missing {
        /// The query.
        query: String,
        /// The missing parameter.
        param: String,
    },
    /// An integer parameter got something else.
    #[error("--param {param}={value:?}: an integer is required")]
    NotInteger {
        /// The parameter.
        param: String,
        /// What was given.
        value: String,
    },
}

/// One parameter of a named query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryParam {
    /// Name used in `--param name=value` and `${name}`.
    pub name: String,
    /// What the value means.
    pub description: String,
    /// Value used when the parameter is not given; `None` makes it required.
    pub default: Option<String>,
    /// Whether the value is an integer (inserted unquoted) rather than a string literal.
    pub integer: bool,
}

/// A named, documented query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedQuery {
    /// File stem, used with `--name`.
    pub name: &'static str,
    /// One line: what it answers.
    pub title: String,
    /// Longer explanation.
    pub description: String,
    /// Its parameters.
    pub params: Vec<QueryParam>,
    /// The whole file, header included (SQL comments).
    pub sql: &'static str,
}

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../queries/", $name, ".sql")))),*]
    };
}

const SHIPPED: &[(&str, &str)] = shipped!(
    "key-activity",
    "principal-activity",
    "source-ip-activity",
    "console-logins",
    "access-denied-by-principal",
    "top-callers",
    "errors-by-api",
    "first-region-use",
    "iam-changes",
    "new-access-keys",
    "s3-access-changes",
    "assumed-role-chain",
);

fn parse_param(spec: &str) -> Option<QueryParam> {
    // NAME [integer] [= DEFAULT]: description
    let (head, description) = spec.split_once(':')?;
    let (head, default) = match head.split_once('=') {
        Some((h, d)) => (h, Some(d.trim().to_string())),
        None => (head, None),
    };
    let mut words = head.split_whitespace();
    let name = words.next()?.to_string();
    let integer = words.next() == Some("integer");
    Some(QueryParam {
        name,
        description: description.trim().to_string(),
        default,
        integer,
    })
}

fn parse(name: &'static str, sql: &'static str) -> NamedQuery {
    let mut q = NamedQuery {
        name,
        title: String::new(),
        description: String::new(),
        params: Vec::new(),
        sql,
    };
    for line in sql.lines().map_while(|l| l.strip_prefix("--")) {
        let line = line.trim();
        if let Some(t) = line.strip_prefix("title:") {
            q.title = t.trim().to_string();
        } else if let Some(d) = line.strip_prefix("description:") {
            q.description = d.trim().to_string();
        } else if let Some(p) = line.strip_prefix("param ").and_then(parse_param) {
            q.params.push(p);
        }
    }
    q
}

/// Every shipped query, in a stable order.
pub fn all() -> Vec<NamedQuery> {
    SHIPPED.iter().map(|(n, s)| parse(n, s)).collect()
}

/// The shipped query called `name`.
pub fn find(name: &str) -> Result<NamedQuery, QueryError> {
    all()
        .into_iter()
        .find(|q| q.name == name)
        .ok_or_else(|| QueryError::Unknown(name.to_string()))
}

/// Splits a `--param key=value` argument.
pub fn parse_param_arg(arg: &str) -> Result<(String, String), QueryError> {
    match arg.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(QueryError::BadParam(arg.to_string())),
    }
}

fn literal(param: &QueryParam, value: &str) -> Result<String, QueryError> {
    if param.integer {
        value
            .trim()
            .parse::<i64>()
            .map(|n| n.to_string())
            .map_err(|_| QueryError::NotInteger {
                param: param.name.clone(),
                value: value.to_string(),
            })
    } else {
        Ok(format!("'{}'", value.replace('\'', "''")))
    }
}

impl NamedQuery {
    /// The SQL with every `${name}` replaced by the given value (or the default) as a SQL literal.
    pub fn render(&self, given: &[(String, String)]) -> Result<String, QueryError> {
        if let Some((k, _)) = given
            .iter()
            .find(|(k, _)| !self.params.iter().any(|p| &p.name == k))
        {
            return Err(QueryError::UnknownParam {
                query: self.name.to_string(),
                param: k.clone(),
            });
        }
        let mut sql = self.sql.to_string();
        for p in &self.params {
            let value = given
                .iter()
                .rev()
                .find(|(k, _)| k == &p.name)
                .map(|(_, v)| v.as_str())
                .or(p.default.as_deref())
                .ok_or_else(|| QueryError::Missing {
                    query: self.name.to_string(),
                    param: p.name.clone(),
                })?;
            sql = sql.replace(&format!("${{{}}}", p.name), &literal(p, value)?);
        }
        Ok(sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_is_documented_and_every_placeholder_is_a_parameter() {
        let all = all();
        assert!(all.len() >= 8);
        for q in &all {
            assert!(!q.title.is_empty() && !q.description.is_empty(), "{}", q.name);
            let given: Vec<(String, String)> = q
                .params
                .iter()
                .filter(|p| p.default.is_none())
                .map(|p| (p.name.clone(), "x".to_string()))
                .collect();
            let sql = q.render(&given).unwrap();
            assert!(!sql.contains("${"), "{} leaves a placeholder: {sql}", q.name);
        }
    }

    #[test]
    fn values_become_literals_never_sql() {
        let q = find("key-activity").unwrap();
        let sql = q.render(&[("key".into(), "AKIA' OR 1=1 --".into())]).unwrap();
        assert!(sql.contains("= 'AKIA'' OR 1=1 --'"), "{sql}");
        assert!(sql.contains("LIMIT 1000"));
        assert_eq!(
            q.render(&[("key".into(), "k".into()), ("limit".into(), "5; DROP".into())]),
            Err(QueryError::NotInteger {
                param: "limit".into(),
                value: "5; DROP".into()
            })
        );
        assert!(matches!(q.render(&[]), Err(QueryError::Missing { .. })));
        assert!(matches!(
            q.render(&[("nope".into(), "1".into())]),
            Err(QueryError::UnknownParam { .. })
        ));
        assert_eq!(find("nope"), Err(QueryError::Unknown("nope".into())));
        assert_eq!(parse_param_arg("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_param_arg("novalue").is_err());
    }
}
