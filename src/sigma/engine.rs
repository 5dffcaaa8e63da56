//! The hunt engine: every selected rule evaluated in one pass over the events. One projection computes a
//! boolean column per detection rule (and per suppression entry) next to the event columns; rows where any
//! rule is true are turned back into events and fanned out to findings or to correlation inputs; after the
//! last batch, correlations run over the rows their base rules matched.

use std::sync::Arc;

use datafusion::arrow::array::{Array, BooleanArray, RecordBatch};
use datafusion::arrow::compute::{filter_record_batch, kernels::boolean::or};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::Expr;
use datafusion::prelude::ident;
use futures::StreamExt;

use super::allow::Allow;
use super::compile::detection_expr;
use super::correlation::Member;
use super::error::SigmaError;
use super::event::rows;
use super::finding::{CorrelationInfo, Finding};
use super::rule::{LoadFailure, Rule, RuleKind};
use super::select::find;
use crate::schema::events_schema;

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
    /// For each detection, the suppression entries that apply to it.
    det_allows: Vec<Vec<usize>>,
    /// For each detection, the correlations (index, position in their rule list) it feeds.
    feeds: Vec<Vec<(usize, usize)>>,
    correlations: Vec<CorrelationPlan>,
    allows: Vec<Allow>,
}

/// Counts of one run.
#[derive(Debug, Clone, Default)]
pub struct RunStats {
    /// Events read.
    pub events: u64,
    /// Findings written.
    pub findings: u64,
}

/// Rule name used in correlation aliases: the `name`, else the id.
fn alias_name(r: &Rule) -> String {
    r.name.clone().unwrap_or_else(|| r.id.clone())
}

impl Engine {
    /// Compiles rules (as [`super::select::select`] chose them); rules that cannot compile are returned as
    /// failures and left out, with the correlations that need them.
    pub fn new(rules: Vec<Rule>, allows: Vec<Allow>) -> (Engine, Vec<LoadFailure>) {
        let mut failures = Vec::new();
        let mut detections: Vec<Arc<Rule>> = Vec::new();
        let mut exprs = Vec::new();
        let mut corr_rules = Vec::new();
        for r in rules {
            match &r.kind {
                RuleKind::Detection(d) => match detection_expr(d) {
                    Ok(e) => {
                        exprs.push(e);
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
                det_allows,
                feeds,
                correlations,
                allows,
            },
            failures,
        )
    }

    /// Number of rules that will run (detections and correlations).
    pub fn rule_count(&self) -> usize {
        self.detections.len() + self.correlations.len()
    }

    /// Runs over a DataFrame of the events table, handing each finding to `sink` as soon as it is known
    /// (correlation findings come after the last batch).
    pub async fn run(
        &self,
        df: DataFrame,
        sink: &mut dyn FnMut(Finding) -> Result<(), SigmaError>,
    ) -> Result<RunStats, SigmaError> {
        let schema = events_schema();
        let width = schema.fields().len();
        let mut cols: Vec<Expr> = schema.fields().iter().map(|f| ident(f.name())).collect();
        for (i, e) in self.exprs.iter().enumerate() {
            cols.push(e.clone().alias(format!("__rule{i}")));
        }
        for (j, a) in self.allows.iter().enumerate() {
            cols.push(a.expr.clone().alias(format!("__allow{j}")));
        }
        let mut stream = df.select(cols)?.execute_stream().await?;
        let mut stats = RunStats::default();
        let mut members: Vec<Vec<Member>> = vec![Vec::new(); self.correlations.len()];
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            stats.events += batch.num_rows() as u64;
            self.handle_batch(&batch, width, &mut members, &mut stats, sink)?;
        }
        for (plan, ms) in self.correlations.iter().zip(members) {
            let RuleKind::Correlation(c) = &plan.rule.kind else {
                continue;
            };
            for hit in c.evaluate(ms, &plan.names) {
                let last = hit.events.last().cloned();
                let Some(last) = last else { continue };
                let first = hit.events.first().map(|m| m.time);
                let finding = Finding {
                    rule: plan.rule.clone(),
                    event: last.event.clone(),
                    object: last.object.clone(),
                    time: Some(last.time),
                    correlation: Some(CorrelationInfo {
                        kind: c.kind,
                        group: hit.group,
                        count: hit.count,
                        first,
                        events: hit
                            .events
                            .iter()
                            .map(|m| (m.event.clone(), m.object.clone()))
                            .collect(),
                    }),
                };
                stats.findings += 1;
                sink(finding)?;
            }
        }
        Ok(stats)
    }

    fn handle_batch(
        &self,
        batch: &RecordBatch,
        width: usize,
        members: &mut [Vec<Member>],
        stats: &mut RunStats,
        sink: &mut dyn FnMut(Finding) -> Result<(), SigmaError>,
    ) -> Result<(), SigmaError> {
        let flags: Vec<&BooleanArray> = (0..self.detections.len())
            .map(|i| {
                batch
                    .column(width + i)
                    .as_any()
                    .downcast_ref::<BooleanArray>()
                    .ok_or_else(|| SigmaError::Invalid("a rule column is not boolean".into()))
            })
            .collect::<Result<_, _>>()?;
        let Some(mut any) = flags.first().map(|f| (*f).clone()) else {
            return Ok(());
        };
        for f in &flags[1..] {
            any = or(&any, f)?;
        }
        if any.true_count() == 0 {
            return Ok(());
        }
        let any = BooleanArray::from(
            (0..any.len())
                .map(|i| Some(any.is_valid(i) && any.value(i)))
                .collect::<Vec<_>>(),
        );
        let matched = filter_record_batch(batch, &any)?;
        let events = rows(&matched.project(&(0..width).collect::<Vec<_>>())?)?;
        let flag = |col: usize, row: usize| -> bool {
            let a = matched.column(col);
            a.is_valid(row)
                && a.as_any()
                    .downcast_ref::<BooleanArray>()
                    .is_some_and(|b| b.value(row))
        };
        for (row, ev) in events.into_iter().enumerate() {
            let event = Arc::new(ev.event);
            for (i, rule) in self.detections.iter().enumerate() {
                if !flag(width + i, row) {
                    continue;
                }
                let allowed =
                    |list: &[usize]| list.iter().any(|&j| flag(width + self.detections.len() + j, row));
                if allowed(&self.det_allows[i]) {
                    continue;
                }
                if rule.generate {
                    stats.findings += 1;
                    sink(Finding {
                        rule: rule.clone(),
                        event: event.clone(),
                        object: ev.object.clone(),
                        time: ev.time,
                        correlation: None,
                    })?;
                }
                for &(ci, pos) in &self.feeds[i] {
                    if allowed(&self.correlations[ci].allows) {
                        continue;
                    }
                    if let Some(t) = ev.time {
                        members[ci].push(Member {
                            rule: pos,
                            time: t,
                            event: event.clone(),
                            object: ev.object.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}
