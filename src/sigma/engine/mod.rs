//! The hunt engine: every selected rule evaluated in one pass over the events. Each row is tested only
//! against the rules that can match its `eventName` ([`NameIndex`]) and the few rules that look at every
//! event; a rule reads only its own columns. Matched rows become findings at once when the row is whole;
//! only the events a rule that looks at every event matched on a row the read left partial, and the few
//! events each correlation finding lists, are read again after the pass, so memory holds what findings
//! need rather than every matched event. This module compiles the pack and plans the read; [`pass`] runs
//! it.

mod activity;
mod pass;

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::TreeNode;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{Expr, ScalarUDF};
use datafusion::prelude::ident;

use super::allow::Allow;
use super::compile::detection_expr;
use super::correlation::{Activity, CorrType};
use super::error::SigmaError;
use super::field::{FieldValues, resolve};
use super::name_gate::{NameGate, NameIndex, NamedByRules};
use super::rule::{LoadFailure, Rule, RuleKind};
use super::select::find;
use crate::attribution::actor::{Actors, bind_actors};
use crate::decode::gate::{AnyOf, NameSet, RowGate};
use crate::schema::OBJECT_KEY;

/// The field that tells a read-only call from a write, for baselines that count only writes.
pub(crate) const READ_ONLY: &str = "readOnly";

/// How a hunt wants its events read: an archive decoder builds costly columns only for rows the gate
/// wants; a columnar source returns only rows the prefilter admits, decoding other columns for those only.
#[derive(Debug, Clone)]
pub struct ReadPlan {
    /// Every column for rows a gated rule may match, the always-needed columns for the rest.
    pub gate: RowGate,
    /// True for every row some rule may match (a superset of the matches).
    pub prefilter: Expr,
}

/// What a caller adds to a pass over a source that gates its rows: the rows of more names read whole, more
/// columns read on every row, and a look at every batch before the rules see it. A hunt gathers its
/// credential chains this way, so the window is read once.
pub struct Rider<'a> {
    /// Names whose rows are read whole besides those some rule may match.
    pub names: NameSet,
    /// What is read on every row besides what the rules need: columns, or members of them
    /// (`userIdentity.arn`).
    pub paths: Vec<&'static str>,
    /// Sees every batch of the pass, every column of the schema present.
    pub on_batch: &'a mut dyn FnMut(&RecordBatch) -> Result<(), SigmaError>,
}

/// Where a hunt reads its events.
#[async_trait]
pub trait HuntSource: Send + Sync {
    /// The events of the window. A source that honours the plan's gate returns every row (gated rows
    /// partial); one that applies the prefilter returns whole rows, only those it admits.
    async fn events(&self, plan: &ReadPlan) -> Result<DataFrame, SigmaError>;
    /// Whether [`HuntSource::events`] returns every row, gated (raw archives), rather than prefiltered
    /// whole rows (lakes).
    fn gates(&self) -> bool;
    /// The number of events in the window, for a source whose reads are prefiltered.
    async fn count(&self) -> Result<u64, SigmaError>;
    /// The whole events of these objects (at least those; the engine picks the rows it needs).
    async fn fetch(&self, objects: BTreeSet<String>) -> Result<DataFrame, SigmaError>;
}

/// A correlation ready to evaluate: the rule, and for each referenced rule its index among the detections.
struct CorrelationPlan {
    rule: Arc<Rule>,
    names: Vec<String>,
    allows: Vec<usize>,
}

/// Compiled rules, ready to run over any `events` table.
pub struct Engine {
    detections: Vec<Arc<Rule>>,
    exprs: Vec<Expr>,
    gates: Arc<Vec<NameGate>>,
    /// For each detection, the suppression entries that apply to it.
    det_allows: Vec<Vec<usize>>,
    /// For each detection, the correlations (index, position in their rule list) it feeds.
    feeds: Vec<Vec<(usize, usize)>>,
    correlations: Vec<CorrelationPlan>,
    allows: Vec<Allow>,
    /// The run's actors, which the `actor` field and the findings answer from.
    actors: Actors,
}

/// Counts of one run.
#[derive(Debug, Clone, Default)]
pub struct RunStats {
    /// Events read.
    pub events: u64,
    /// Findings written.
    pub findings: u64,
    /// Events read a second time, whole, for findings (detections on partial rows, events a correlation
    /// finding lists).
    pub refetched: u64,
    /// Baselines that had too little history to judge some groups, so the hunt can say so.
    pub unjudged: Vec<Unjudged>,
}

/// The groups of one baseline rule that it could not judge: a `first_seen` group new in the data but with
/// too little earlier history to call it never seen before (the first day of an archive), or a
/// `rare_value` group holding too many distinct values to tell a rare one.
#[derive(Debug, Clone)]
pub struct Unjudged {
    /// The rule.
    pub rule: Arc<Rule>,
    /// Why they could not be judged.
    pub why: Unjudgeable,
    /// Groups not judged.
    pub groups: u64,
    /// The earliest of them: its group-by values and first base event (microseconds).
    pub first: (Vec<(String, String)>, i64),
}

/// Why a baseline rule could not judge some groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unjudgeable {
    /// The data holds less than this much (milliseconds) earlier history of the groups' first field.
    History {
        /// History the rule asks for, milliseconds.
        baseline_ms: i64,
    },
    /// The groups hold more distinct values than this.
    Roaming {
        /// Distinct values a group may hold and be judged.
        cap: usize,
    },
}

/// Rule name used in correlation aliases: the `name`, else the id.
fn alias_name(r: &Rule) -> String {
    r.name.clone().unwrap_or_else(|| r.id.clone())
}

/// The events-schema columns an expression reads.
fn columns_of(e: &Expr) -> BTreeSet<String> {
    e.column_refs().into_iter().map(|c| c.name.clone()).collect()
}

/// What an expression reads, as dotted paths: `userIdentity.arn` where it reads only that member of the
/// column, `userIdentity` where it reads the column as a whole.
fn paths_of(e: &Expr) -> BTreeSet<String> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    let mut paths = BTreeSet::new();
    let _ = e.apply(|x| {
        Ok(match member_path(x) {
            Some(p) => {
                paths.insert(p);
                TreeNodeRecursion::Jump
            }
            None => TreeNodeRecursion::Continue,
        })
    });
    paths
}

/// The dotted path of a column, or of a chain of `get_field` calls with literal names on one.
fn member_path(e: &Expr) -> Option<String> {
    match e {
        Expr::Column(c) => Some(c.name.clone()),
        Expr::ScalarFunction(f) if f.func.name() == "get_field" && f.args.len() == 2 => {
            let base = member_path(&f.args[0])?;
            match &f.args[1] {
                Expr::Literal(ScalarValue::Utf8(Some(m)), _) => Some(format!("{base}.{m}")),
                _ => None,
            }
        }
        _ => None,
    }
}

impl Engine {
    /// Compiles rules (as [`super::select::select`] chose them); rules that cannot compile are returned as
    /// failures and left out, with the correlations that need them.
    pub fn new(rules: Vec<Rule>, mut allows: Vec<Allow>) -> (Engine, Vec<LoadFailure>) {
        let actors = Actors::default();
        for a in &mut allows {
            a.expr = bind_actors(a.expr.clone(), &actors);
        }
        let mut failures = Vec::new();
        let mut detections: Vec<Arc<Rule>> = Vec::new();
        let mut exprs = Vec::new();
        let mut gates = Vec::new();
        let mut corr_rules = Vec::new();
        for r in rules {
            match &r.kind {
                RuleKind::Detection(d) => match detection_expr(d) {
                    Ok(e) => {
                        exprs.push(bind_actors(e, &actors));
                        gates.push(NameGate::of(d));
                        detections.push(Arc::new(r));
                    }
                    Err(e) => failures.push(LoadFailure {
                        file: r.source.clone(),
                        reason: format!("{}: {e}", r.id),
                    }),
                },
                RuleKind::Correlation(_) => corr_rules.push(r),
            }
        }
        let det_rules: Vec<Rule> = detections.iter().map(|r| (**r).clone()).collect();
        let mut feeds = vec![Vec::new(); detections.len()];
        let mut correlations = Vec::new();
        for r in corr_rules {
            let RuleKind::Correlation(c) = &r.kind else {
                continue;
            };
            let mut bases = Vec::new();
            let mut names = Vec::new();
            for reference in &c.rules {
                match find(&det_rules, reference) {
                    Some(b) => {
                        let idx = det_rules.iter().position(|x| x.id == b.id).expect("found above");
                        bases.push(idx);
                        names.push(alias_name(b));
                    }
                    None => break,
                }
            }
            if bases.len() != c.rules.len() {
                failures.push(LoadFailure {
                    file: r.source.clone(),
                    reason: format!("{}: a rule this correlation needs did not load", r.id),
                });
                continue;
            }
            let ci = correlations.len();
            for (pos, b) in bases.iter().enumerate() {
                feeds[*b].push((ci, pos));
            }
            let allow_idx = (0..allows.len())
                .filter(|&j| allows[j].applies_to(&r.id, r.name.as_deref()))
                .collect();
            correlations.push(CorrelationPlan {
                rule: Arc::new(r),
                names,
                allows: allow_idx,
            });
        }
        let det_allows = detections
            .iter()
            .map(|r| {
                (0..allows.len())
                    .filter(|&j| allows[j].applies_to(&r.id, r.name.as_deref()))
                    .collect()
            })
            .collect();
        (
            Engine {
                detections,
                exprs,
                gates: Arc::new(gates),
                det_allows,
                feeds,
                correlations,
                allows,
                actors,
            },
            failures,
        )
    }

    /// The actors the engine's rules and findings answer from: the run fills them once its credential chains
    /// are resolved.
    pub fn actors(&self) -> &Actors {
        &self.actors
    }

    /// A Sigma field's values, with the `actor` field answering from the run's actors.
    fn resolve(&self, path: &str) -> FieldValues {
        let mut values = resolve(path);
        values.expr = bind_actors(values.expr, &self.actors);
        values
    }

    /// Number of rules that will run (detections and correlations).
    pub fn rule_count(&self) -> usize {
        self.detections.len() + self.correlations.len()
    }

    /// What every row needs (columns, or members of them): what the rules that look at every event, the
    /// suppressions and the correlations read, and what locates and places an event.
    fn always_paths(&self) -> BTreeSet<String> {
        let mut paths: BTreeSet<String> = [
            "eventTime",
            "eventName",
            "eventID",
            "recipientAccountId",
            OBJECT_KEY,
        ]
        .into_iter()
        .map(String::from)
        .collect();
        for (e, g) in self.exprs.iter().zip(self.gates.iter()) {
            if g.is_any() {
                paths.extend(paths_of(e));
            }
        }
        for a in &self.allows {
            paths.extend(paths_of(&a.expr));
        }
        // `first_seen` notes the groups of every event (and, counting only writes, whether it is one).
        for plan in &self.correlations {
            if let RuleKind::Correlation(c) = &plan.rule.kind
                && c.kind == CorrType::FirstSeen
            {
                for g in &c.group_by {
                    paths.extend(paths_of(&self.resolve(g).expr));
                }
                if c.activity == Activity::Writes {
                    paths.extend(paths_of(&self.resolve(READ_ONLY).expr));
                }
            }
        }
        // A correlation fed by a rule that sees every row reads its fields on partial rows too.
        for (d, gate) in self.gates.iter().enumerate() {
            if !gate.is_any() {
                continue;
            }
            for &(ci, pos) in &self.feeds[d] {
                let plan = &self.correlations[ci];
                if let RuleKind::Correlation(c) = &plan.rule.kind {
                    for f in c.fields_for(&plan.names[pos]) {
                        paths.extend(paths_of(&self.resolve(&f).expr));
                    }
                }
            }
        }
        paths
    }

    /// Whether a rule, suppression or correlation reads the `actor` field, which answers from credential
    /// chains resolved before the pass.
    pub fn reads_actors(&self) -> bool {
        let uses = |e: &Expr| {
            e.exists(|x| {
                Ok(matches!(x, Expr::ScalarFunction(f) if crate::attribution::actor::is_actor_udf(&f.func)))
            })
            .unwrap_or(true)
        };
        self.exprs.iter().any(uses)
            || self.allows.iter().any(|a| uses(&a.expr))
            || self.correlations.iter().any(|plan| match &plan.rule.kind {
                RuleKind::Correlation(c) => plan
                    .names
                    .iter()
                    .flat_map(|n| c.fields_for(n))
                    .any(|f| uses(&self.resolve(&f).expr)),
                RuleKind::Detection(_) => false,
            })
    }

    /// How to read for these rules: the row gate of a raw read, and the prefilter of a columnar one.
    pub fn read_plan(&self) -> ReadPlan {
        self.read_plan_with(None)
    }

    /// [`Engine::read_plan`], its gate also reading what a rider needs: rows of `names` whole, `paths`
    /// (columns or members) on every row.
    fn read_plan_with(&self, rider: Option<(&NameSet, &[&str])>) -> ReadPlan {
        let mut always = self.always_paths();
        let index = NameIndex::new(self.gates.clone());
        let mut wanted: Box<dyn crate::decode::gate::WantedNames> = Box::new(index.clone());
        if let Some((names, paths)) = rider {
            always.extend(paths.iter().map(|p| p.to_string()));
            wanted = Box::new(AnyOf(vec![wanted, Box::new(names.clone())]));
        }
        let always: Vec<String> = always.into_iter().collect();
        let named = Arc::new(ScalarUDF::new_from_impl(NamedByRules::new(index.clone())));
        let prefilter = self
            .exprs
            .iter()
            .zip(self.gates.iter())
            .filter(|(_, g)| g.is_any())
            .map(|(e, _)| e.clone())
            .fold(named.call(vec![ident("eventName")]), Expr::or);
        ReadPlan {
            gate: RowGate::of_paths(wanted, &always),
            prefilter,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::rule::parse_text;

    fn engine(yaml: &str) -> Engine {
        let (rules, failures) = parse_text(yaml, "test");
        assert!(failures.is_empty(), "{failures:?}");
        let (engine, failures) = Engine::new(rules, Vec::new());
        assert!(failures.is_empty(), "{failures:?}");
        engine
    }

    const BASE: &str = "title: base\nid: base\nname: base\nlogsource: {product: aws, service: cloudtrail}\n\
detection:\n  s: {eventName: ListUsers}\n  condition: s\nlevel: low\n";

    #[test]
    fn a_pack_reads_actors_only_when_a_detection_or_a_correlation_field_is_the_actor() {
        assert!(!engine(BASE).reads_actors());
        let detection = BASE.replace("{eventName: ListUsers}", "{actor|contains: 'user/'}");
        assert!(engine(&detection).reads_actors());
        let grouped = format!(
            "{BASE}---\ntitle: burst\nid: burst\ncorrelation:\n  type: event_count\n  rules: [base]\n  \
group-by: [actor]\n  timespan: 1h\n  condition: {{gte: 3}}\nlevel: high\n"
        );
        assert!(engine(&grouped).reads_actors());
        let by_arn = grouped.replace("[actor]", "[userIdentity.arn]");
        assert!(!engine(&by_arn).reads_actors());
    }

    #[test]
    fn every_row_gets_only_the_members_rules_that_see_every_row_read() {
        let every_row = BASE.replace(
            "{eventName: ListUsers}",
            "{userIdentity.sessionContext.sessionIssuer.userName|contains: admin, userAgent: x}",
        );
        let paths = engine(&every_row).always_paths();
        for p in [
            "userIdentity.sessionContext.sessionIssuer.userName",
            "userAgent",
            "eventName",
        ] {
            assert!(paths.contains(p), "{p} in {paths:?}");
        }
        assert!(!paths.contains("userIdentity"), "{paths:?}");
        let actor = BASE.replace("{eventName: ListUsers}", "{actor|contains: 'user/'}");
        let paths = engine(&actor).always_paths();
        assert!(paths.contains("userIdentity.arn") && paths.contains("userIdentity.accessKeyId"));
        assert!(!paths.contains("userIdentity"), "{paths:?}");
        // A rule naming its events reads nothing of the others.
        assert!(
            !engine(BASE)
                .always_paths()
                .iter()
                .any(|p| p.starts_with("userIdentity"))
        );
    }
}
