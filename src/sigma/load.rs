//! Loading a rule pack as commands take it: the built-in pack unless left out, then every `--rules` path,
//! with each file that cannot be used named rather than fatal.

use std::path::PathBuf;

use super::builtin;
use super::rule::{LoadFailure, Rule, load_path};

/// Loads the built-in pack (unless left out) and every `--rules` path.
pub fn load_rules(paths: &[PathBuf], builtin_pack: bool) -> (Vec<Rule>, Vec<LoadFailure>) {
    let (mut rules, mut failures) = if builtin_pack {
        builtin::load()
    } else {
        (Vec::new(), Vec::new())
    };
    for p in paths {
        if !p.exists() {
            failures.push(LoadFailure {
                file: p.display().to_string(),
                reason: "no such file or folder".into(),
            });
            continue;
        }
        let (r, f) = load_path(p);
        rules.extend(r);
        failures.extend(f);
    }
    (rules, failures)
}
