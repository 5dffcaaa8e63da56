//! Which rules a hunt runs: the `--min-level`, `--rule`, `--exclude-rule` and `--tag` filters, duplicate
//! ids, and the base rules that selected correlations need (evaluated, but silent unless asked to generate).

use std::collections::HashSet;

use super::rule::{Level, LoadFailure, Rule, RuleKind};

/// Rule filters from the command line.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Only rules at this level or above.
    pub min_level: Option<Level>,
    /// Only these rule ids or names (empty: all).
    pub include: Vec<String>,
    /// Never these rule ids or names.
    pub exclude: Vec<String>,
    /// Only rules with one of these tags (or a sub-technique of one).
    pub tags: Vec<String>,
}

fn norm_tag(t: &str) -> String {
    t.trim().to_ascii_lowercase().replace('_', "-")
}

fn named(r: &Rule, names: &[String]) -> bool {
    names
        .iter()
        .any(|n| n == &r.id || r.name.as_deref() == Some(n.as_str()))
}

impl Filters {
    /// Whether the filters select a rule for reporting.
    pub fn wants(&self, r: &Rule) -> bool {
        if named(r, &self.exclude) {
            return false;
        }
        if !self.include.is_empty() && !named(r, &self.include) {
            return false;
        }
        if self.min_level.is_some_and(|m| r.level < m) {
            return false;
        }
        if !self.tags.is_empty() {
            let tags: Vec<String> = r.tags.iter().map(|t| norm_tag(t)).collect();
            let hit = self.tags.iter().map(|t| norm_tag(t)).any(|want| {
                tags.iter()
                    .any(|t| *t == want || t.starts_with(&format!("{want}.")))
            });
            if !hit {
                return false;
            }
        }
        true
    }
}

/// Finds the rule a correlation refers to, by id or name.
pub fn find<'a>(rules: &'a [Rule], reference: &str) -> Option<&'a Rule> {
    rules
        .iter()
        .find(|r| r.id == reference || r.name.as_deref() == Some(reference))
}

/// The rules to run, with failures for duplicates and correlations whose base rules are missing.
pub fn select(all: Vec<Rule>, filters: &Filters) -> (Vec<Rule>, Vec<LoadFailure>) {
    let mut failures = Vec::new();
    let mut seen = HashSet::new();
    let mut unique = Vec::new();
    for r in all {
        if seen.insert(r.id.clone()) {
            unique.push(r);
        } else {
            failures.push(LoadFailure {
                file: r.source.clone(),
                reason: format!(
                    "rule id {} is already loaded from another file; this copy is skipped",
                    r.id
                ),
            });
        }
    }
    // Rules whose matches feed a correlation that does not let them generate stay silent.
    let mut silent: HashSet<String> = HashSet::new();
    for r in &unique {
        if let RuleKind::Correlation(c) = &r.kind
            && !c.generate
        {
            for reference in &c.rules {
                if let Some(base) = find(&unique, reference) {
                    silent.insert(base.id.clone());
                }
            }
        }
    }
    let mut chosen: Vec<Rule> = Vec::new();
    let mut chosen_ids = HashSet::new();
    for r in &unique {
        if !filters.wants(r) {
            continue;
        }
        if let RuleKind::Correlation(c) = &r.kind {
            let missing: Vec<&String> = c.rules.iter().filter(|x| find(&unique, x).is_none()).collect();
            if !missing.is_empty() {
                failures.push(LoadFailure {
                    file: r.source.clone(),
                    reason: format!(
                        "correlation {} refers to rules that are not loaded: {missing:?}",
                        r.id
                    ),
                });
                continue;
            }
        }
        let mut r = r.clone();
        let explicit = named(&r, &filters.include);
        if silent.contains(&r.id) && !explicit {
            r.generate = false;
        }
        chosen_ids.insert(r.id.clone());
        chosen.push(r);
    }
    // Add the base rules of chosen correlations that the filters left out, silently.
    let mut extra = Vec::new();
    for r in &chosen {
        if let RuleKind::Correlation(c) = &r.kind {
            for reference in &c.rules {
                if let Some(base) = find(&unique, reference)
                    && chosen_ids.insert(base.id.clone())
                {
                    let mut b = base.clone();
                    b.generate = false;
                    extra.push(b);
                }
            }
        }
    }
    chosen.extend(extra);
    // Silent detections nobody needs are dropped: they would cost evaluation for nothing.
    let needed: HashSet<String> = chosen
        .iter()
        .filter_map(|r| match &r.kind {
            RuleKind::Correlation(c) => Some(
                c.rules
                    .iter()
                    .filter_map(|x| find(&chosen, x).map(|b| b.id.clone())),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    chosen.retain(|r| r.generate || needed.contains(&r.id) || matches!(r.kind, RuleKind::Correlation(_)));
    (chosen, failures)
}
