//! A hunt from start to finish, for every command that needs findings (`hunt` prints them, `report` turns
//! them into a page): the rule-pack flags, the pack loaded, filtered and compiled with its suppressions,
//! and the pass over an archive or lake ([`run`]) with credential chains resolved, so each finding names
//! its actor.

pub mod order;
mod run;
pub mod source;

pub use run::{HuntStats, run};

use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::sigma::allow;
use crate::sigma::engine::Engine;
use crate::sigma::load::load_rules;
use crate::sigma::rule::Level;
use crate::sigma::rule::LoadFailure;
use crate::sigma::select::{Filters, select};

/// The lowest level shown when neither `--min-level` nor `--rule` is given.
pub const DEFAULT_SHOWN: Level = Level::Medium;

/// Which rules run and what they may not flag, as the rule-pack flags say.
#[derive(Debug, Clone, Default)]
pub struct PackChoice {
    /// Rule files and folders loaded besides the built-in pack.
    pub rules: Vec<PathBuf>,
    /// Leave out the built-in rule pack.
    pub no_builtin: bool,
    /// Only rules at this level or above run and are shown.
    pub min_level: Option<Level>,
    /// Only these rule ids or names.
    pub rule: Vec<String>,
    /// Never these rule ids or names.
    pub exclude_rule: Vec<String>,
    /// Only rules with these tags (or sub-techniques of them).
    pub tag: Vec<String>,
    /// Suppressions for known-good activity.
    pub allow: Option<PathBuf>,
}

/// A compiled rule pack, ready to run.
pub struct Pack {
    /// The engine holding the chosen rules and suppressions.
    pub engine: Engine,
    /// Rule files or rules that could not be used, each with its reason.
    pub failures: Vec<LoadFailure>,
    /// The lowest level shown.
    pub show_from: Level,
    /// Rule files and folders given (besides the built-in pack).
    pub paths: Vec<PathBuf>,
    /// Whether the built-in pack is loaded.
    pub builtin: bool,
}

impl PackChoice {
    /// Loads, selects and compiles the pack; fails when no rule is left to run.
    pub fn pack(&self) -> anyhow::Result<Pack> {
        let (rules, mut failures) = load_rules(&self.rules, !self.no_builtin);
        let filters = Filters {
            min_level: self.min_level,
            include: self.rule.clone(),
            exclude: self.exclude_rule.clone(),
            tags: self.tag.clone(),
        };
        let (chosen, problems) = select(rules, &filters);
        failures.extend(problems);
        let allows = match &self.allow {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                allow::parse(&text).with_context(|| format!("{}", path.display()))?
            }
            None => Vec::new(),
        };
        let (engine, problems) = Engine::new(chosen, allows);
        failures.extend(problems);
        if engine.rule_count() == 0 {
            bail!("no rules to run (check --rules, --no-builtin and the rule filters)");
        }
        let show_from = self.min_level.unwrap_or(if self.rule.is_empty() {
            DEFAULT_SHOWN
        } else {
            // Rules asked for by name are shown whatever their level.
            Level::Informational
        });
        Ok(Pack {
            engine,
            failures,
            show_from,
            paths: self.rules.clone(),
            builtin: !self.no_builtin,
        })
    }
}
