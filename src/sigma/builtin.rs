//! The built-in rule pack (`rules/`) and its test events (`testdata/rules/`), embedded in the binary so a
//! hunt needs nothing but the executable.

use include_dir::{Dir, include_dir};

use super::rule::{LoadFailure, Rule, parse_text};

/// The built-in rule pack and its test events, constant data compiled into the binary.
static RULES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/rules");
static TESTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/testdata/rules");

/// Prefix of the source of built-in rules.
pub const PREFIX: &str = "builtin:rules/";

/// Every embedded rule file: (path inside `rules/`, text), sorted by path.
pub fn files() -> Vec<(String, &'static str)> {
    fn walk(d: &'static Dir<'static>, out: &mut Vec<(String, &'static str)>) {
        for f in d.files() {
            let p = f.path().to_string_lossy().to_string();
            if (p.ends_with(".yml") || p.ends_with(".yaml"))
                && let Some(t) = f.contents_utf8()
            {
                out.push((p, t));
            }
        }
        for sub in d.dirs() {
            walk(sub, out);
        }
    }
    let mut out = Vec::new();
    walk(&RULES, &mut out);
    out.sort();
    out
}

/// Loads the built-in pack.
pub fn load() -> (Vec<Rule>, Vec<LoadFailure>) {
    let mut rules = Vec::new();
    let mut failures = Vec::new();
    for (path, text) in files() {
        let (r, f) = parse_text(text, &format!("{PREFIX}{path}"));
        rules.extend(r);
        failures.extend(f);
    }
    (rules, failures)
}

/// The embedded test events of a built-in rule file, by the file's stem.
pub fn tests_for(stem: &str) -> Option<&'static str> {
    TESTS
        .get_file(format!("{stem}.json"))
        .and_then(|f| f.contents_utf8())
}

/// The event names the built-in pack's detections look for (lower-cased): the calls a summary counts as
/// sensitive.
pub fn sensitive_event_names() -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    for r in load().0 {
        if let super::RuleKind::Detection(d) = &r.kind {
            super::name_gate::NameGate::of(d).exact_names(&mut names);
        }
    }
    names
}
