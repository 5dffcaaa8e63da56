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

/// What a correlation's reference to a rule names.
#[derive(Debug)]
pub enum Reference<'a> {
    /// One rule, by its `id` or `name` (the Sigma specification's ways).
    Named(&'a Rule),
    /// One rule, by its `title`: a compatibility extension for packs (Suzaku's) whose correlations name
    /// their base rules by title; `rules lint` warns about it.
    Titled(&'a Rule),
    /// No rule.
    Missing,
    /// No `id` or `name`, and several rules carry this title: refused, with all of them named.
    Ambiguous(Vec<&'a Rule>),
}

/// Resolves a correlation's reference: an `id` or `name` first, else a title no other rule carries.
pub fn resolve<'a>(rules: &'a [Rule], reference: &str) -> Reference<'a> {
    if let Some(r) = rules
        .iter()
        .find(|r| r.id == reference || r.name.as_deref() == Some(reference))
    {
        return Reference::Named(r);
    }
    let titled: Vec<&Rule> = rules.iter().filter(|r| r.title == reference).collect();
    match titled.as_slice() {
        [] => Reference::Missing,
        [one] => Reference::Titled(one),
        _ => Reference::Ambiguous(titled),
    }
}

/// Why a reference to a title several rules carry is refused, naming them all (`hunt` and `rules lint` say
/// the same).
pub fn ambiguous_title(reference: &str, rules: &[&Rule]) -> String {
    format!(
        "{reference:?} is the title of {} rules ({}): refer to one by id or name",
        rules.len(),
        rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", ")
    )
}

/// Finds the rule a correlation refers to (see [`resolve`]); `None` when none or several could be meant.
pub fn find<'a>(rules: &'a [Rule], reference: &str) -> Option<&'a Rule> {
    match resolve(rules, reference) {
        Reference::Named(r) | Reference::Titled(r) => Some(r),
        Reference::Missing | Reference::Ambiguous(_) => None,
    }
}

/// Why a correlation's references do not resolve, or `None` when they all do.
fn unresolved(rules: &[Rule], references: &[String]) -> Option<String> {
    let mut missing = Vec::new();
    let mut ambiguous = Vec::new();
    for reference in references {
        match resolve(rules, reference) {
            Reference::Named(_) | Reference::Titled(_) => {}
            Reference::Missing => missing.push(format!("{reference:?}")),
            Reference::Ambiguous(all) => ambiguous.push(ambiguous_title(reference, &all)),
        }
    }
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!(
            "refers to rules that are not loaded: {}",
            missing.join(", ")
        ));
    }
    parts.extend(ambiguous);
    (!parts.is_empty()).then(|| parts.join("; "))
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
        if let RuleKind::Correlation(c) = &r.kind
            && let Some(why) = unresolved(&unique, &c.rules)
        {
            let silenced: Vec<&str> = c
                .rules
                .iter()
                .filter_map(|x| find(&unique, x))
                .filter(|b| silent.contains(&b.id))
                .map(|b| b.id.as_str())
                .collect();
            let still = if silenced.is_empty() {
                String::new()
            } else {
                format!(
                    "; the rules it does name stay silent, as it asks (generate: false): {}",
                    silenced.join(", ")
                )
            };
            failures.push(LoadFailure {
                file: r.source.clone(),
                reason: format!("correlation {} {why}{still}", r.id),
            });
            continue;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::rule::parse_text;

    fn rules(yaml: &str) -> Vec<Rule> {
        let (rules, failures) = parse_text(yaml, "test");
        assert!(failures.is_empty(), "{failures:?}");
        rules
    }

    fn detection(title: &str, id: &str, name: Option<&str>) -> String {
        let name = name.map(|n| format!("name: {n}\n")).unwrap_or_default();
        format!(
            "title: {title}\nid: {id}\n{name}logsource: {{product: aws, service: cloudtrail}}\n\
detection:\n  s: {{eventName: ListUsers}}\n  condition: s\nlevel: low\n"
        )
    }

    #[test]
    fn an_id_or_name_wins_over_a_title_and_a_shared_title_is_ambiguous() {
        let all = rules(&format!(
            "{}---\n{}---\n{}---\n{}",
            detection("Listing", "a", Some("listing")),
            detection("listing", "b", None),
            detection("Twin", "c", None),
            detection("Twin", "d", None),
        ));
        assert!(matches!(resolve(&all, "a"), Reference::Named(r) if r.id == "a"));
        // `listing` is a's name and b's title: the name wins.
        assert!(matches!(resolve(&all, "listing"), Reference::Named(r) if r.id == "a"));
        assert!(matches!(resolve(&all, "Listing"), Reference::Titled(r) if r.id == "a"));
        let Reference::Ambiguous(twins) = resolve(&all, "Twin") else {
            panic!("two rules carry the title")
        };
        assert_eq!(
            twins.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["c", "d"]
        );
        assert!(find(&all, "Twin").is_none());
        // Titles match exactly, as ids and names do.
        assert!(matches!(resolve(&all, "twin"), Reference::Missing));
    }

    #[test]
    fn bases_named_by_title_stay_silent_and_a_refused_correlation_keeps_them_silent() {
        let correlation = |id: &str, refs: &str| {
            format!(
                "title: {id}\nid: {id}\ncorrelation:\n  type: event_count\n  rules: [{refs}]\n  \
group-by: [userIdentity.arn]\n  timespan: 1h\n  condition: {{gte: 2}}\nlevel: high\n"
            )
        };
        let all = rules(&format!(
            "{}---\n{}---\n{}---\n{}---\n{}",
            detection("Base One", "one", None),
            detection("Base Two", "two", None),
            correlation("by-title", "Base One"),
            correlation("half", "Base Two, Nowhere"),
            detection("Alone", "alone", None),
        ));
        let (chosen, failures) = select(all, &Filters::default());
        let ids: Vec<(&str, bool)> = chosen.iter().map(|r| (r.id.as_str(), r.generate)).collect();
        assert_eq!(ids, [("one", false), ("by-title", true), ("alone", true)]);
        assert_eq!(failures.len(), 1);
        assert_eq!(
            failures[0].reason,
            "correlation half refers to rules that are not loaded: \"Nowhere\"; the rules it does name stay \
silent, as it asks (generate: false): two"
        );
    }
}
