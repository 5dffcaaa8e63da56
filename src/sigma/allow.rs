//! Suppressions for known-good activity (`--allow FILE`): a YAML list of entries, each naming a rule (or
//! `*`) and field conditions written like a Sigma selection. A finding is dropped when an entry for its rule
//! matches its event; for a correlation, matching events are left out before counting.
//!
//! ```yaml
//! - rule: 6a8f0b1e-...        # rule id or name; "*" for every rule
//!   reason: Terraform pipeline role
//!   match:
//!     userIdentity.arn|endswith: ':role/terraform-ci'
//!     sourceIPAddress|cidr: 10.0.0.0/8
//! ```

use datafusion::logical_expr::Expr;
use serde_norway::Value as Yaml;

use super::compile::selection_expr;
use super::detection::selection;
use super::error::{SigmaError, invalid};

/// One suppression entry, compiled.
#[derive(Debug, Clone)]
pub struct Allow {
    /// Rule id or name, or `*`.
    pub rule: String,
    /// Why the activity is known to be good.
    pub reason: Option<String>,
    /// True for the events the entry covers.
    pub expr: Expr,
}

impl Allow {
    /// Whether the entry applies to a rule.
    pub fn applies_to(&self, id: &str, name: Option<&str>) -> bool {
        self.rule == "*" || self.rule == id || Some(self.rule.as_str()) == name
    }
}

/// Parses and compiles a suppression file.
pub fn parse(text: &str) -> Result<Vec<Allow>, SigmaError> {
    let doc: Yaml = serde_norway::from_str(text).map_err(|e| SigmaError::Yaml(e.to_string()))?;
    let entries = doc
        .as_sequence()
        .ok_or_else(|| invalid("an allow file is a YAML list of entries"))?;
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let n = i + 1;
            let rule = e.get("rule").and_then(Yaml::as_str).unwrap_or("*").to_string();
            let reason = e.get("reason").and_then(Yaml::as_str).map(String::from);
            let m = e
                .get("match")
                .ok_or_else(|| invalid(format!("allow entry {n}: no match")))?;
            let sel = selection(&format!("allow entry {n}"), m)?;
            let expr = selection_expr(&sel).map_err(|err| invalid(format!("allow entry {n}: {err}")))?;
            Ok(Allow { rule, reason, expr })
        })
        .collect()
}
