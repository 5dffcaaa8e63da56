//! `rules lint`: problems that make a rule wrong or useless on CloudTrail, beyond YAML and Sigma errors:
//! fields CloudTrail records do not have, and `eventSource`/`eventName` values CloudTrail never logs
//! (the rule can never fire), plus missing metadata a responder needs.

use super::catalogue;
use super::detection::{ItemTest, Selection};
use super::field::is_known;
use super::pattern::{Matcher, StrOp};
use super::rule::{Rule, RuleKind};
use super::select::{Reference, ambiguous_title, resolve};

/// Plain (wildcard-free, unmodified) values of an item, as written.
fn literals(test: &ItemTest) -> Vec<String> {
    match test {
        ItemTest::Values {
            matchers, written, ..
        } => matchers
            .iter()
            .zip(written)
            .filter(|(m, _)| {
                matches!(
                    m.as_slice(),
                    [Matcher::Str {
                        op: StrOp::Equals,
                        ..
                    }]
                )
            })
            .map(|(_, w)| w.clone())
            .collect(),
        ItemTest::FieldRef { .. } => Vec::new(),
    }
}

/// The warnings for one rule; `metadata` asks for the checks of what a reported finding needs (a base rule
/// that only feeds a correlation does not report anything).
pub fn lint(rule: &Rule, metadata: bool) -> Vec<String> {
    let mut out = Vec::new();
    if metadata {
        out.extend(metadata_warnings(rule));
    }
    out.extend(field_warnings(rule));
    out
}

/// How a correlation names its base rules, resolved against `all` the rules linted with it: by title (a
/// ctscan extension other engines do not follow) or by a title several rules carry (refused by `hunt`).
pub fn reference_warnings(rule: &Rule, all: &[Rule]) -> Vec<String> {
    let RuleKind::Correlation(c) = &rule.kind else {
        return Vec::new();
    };
    c.rules
        .iter()
        .filter_map(|reference| match resolve(all, reference) {
            Reference::Named(_) | Reference::Missing => None,
            Reference::Titled(r) => Some(format!(
                "refers to rule {reference:?} by its title, which ctscan accepts but the Sigma specification \
                 does not (it names rules by id or name): write {}",
                r.name.as_deref().unwrap_or(&r.id)
            )),
            Reference::Ambiguous(rules) => Some(ambiguous_title(reference, &rules)),
        })
        .collect()
}

fn metadata_warnings(rule: &Rule) -> Vec<String> {
    let mut out = Vec::new();
    if rule.description.is_none() {
        out.push("no description".into());
    }
    if rule.references.is_empty() {
        out.push("no references".into());
    }
    if !rule.tags.iter().any(|t| t.starts_with("attack.")) {
        out.push("no MITRE ATT&CK tag (attack.*)".into());
    }
    out
}

fn field_warnings(rule: &Rule) -> Vec<String> {
    let mut out = Vec::new();
    match &rule.kind {
        RuleKind::Correlation(c) => {
            for g in c.group_by.iter().chain(c.field.iter()) {
                if !c.aliases.contains_key(g) && !is_known(g) {
                    out.push(format!("field {g:?} is not a CloudTrail field"));
                }
            }
        }
        RuleKind::Detection(d) => {
            for (name, sel) in &d.selections {
                let Selection::Groups(groups) = sel else {
                    out.push(format!(
                        "selection {name}: keyword searches are not supported; name a field"
                    ));
                    continue;
                };
                for g in groups {
                    let sources: Vec<String> = g
                        .iter()
                        .filter(|i| i.field == "eventSource")
                        .flat_map(|i| literals(&i.test))
                        .collect();
                    // Names are judged only against sources the catalogue knows all of: a source it lacks
                    // may log any name, so an unknown source is said, and its names are not called dead.
                    let mut judged = true;
                    for s in &sources {
                        if !catalogue::knows_source(s) {
                            judged = false;
                            out.push(format!(
                                "selection {name}: eventSource {s:?} is not in the catalogue of CloudTrail event sources, so its event names are not checked"
                            ));
                        }
                    }
                    for item in g {
                        if let ItemTest::Values {
                            matchers, written, ..
                        } = &item.test
                        {
                            for (m, w) in matchers.iter().zip(written) {
                                if matches!(m.as_slice(), [Matcher::Never]) {
                                    out.push(format!(
                                        "selection {name}: placeholder {w:?} has no value here, so {} never matches",
                                        item.field
                                    ));
                                }
                            }
                        }
                        if !is_known(&item.field) {
                            out.push(format!(
                                "selection {name}: field {:?} is not a CloudTrail field (it only matches records that carry it as an unknown member)",
                                item.field
                            ));
                        }
                        if let ItemTest::FieldRef { others, .. } = &item.test {
                            for o in others.iter().filter(|o| !is_known(o)) {
                                out.push(format!("selection {name}: field {o:?} is not a CloudTrail field"));
                            }
                        }
                        if item.field != "eventName" || !judged {
                            continue;
                        }
                        for n in literals(&item.test) {
                            if !catalogue::knows_event(&sources, &n) {
                                let hint = catalogue::logged_as(&n)
                                    .map(|r| format!(" (CloudTrail logs it as {r})"))
                                    .unwrap_or_default();
                                out.push(format!(
                                    "selection {name}: eventName {n:?} is not in the catalogue of CloudTrail event names{}{hint}: this rule can never fire",
                                    if sources.is_empty() { String::new() } else { format!(" of {}", sources.join(", ")) }
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}
