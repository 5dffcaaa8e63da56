//! One pass of the engine over a source: each batch's rows tested against the rules that can match them,
//! and findings on whole rows handed out at once. After the pass the correlations are settled on what the
//! pass kept of each matched event (time, group, counted values, where it is), and only two kinds of
//! event are read again: those a rule that looks at every event matched on a row the read left partial,
//! and the few events each correlation finding lists whole.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, UInt32Array, new_null_array,
};
use datafusion::arrow::compute::{cast, take, take_record_batch};
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::DFSchema;
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use serde_json::Value;

use super::{Engine, HuntSource, READ_ONLY, Rider, RunStats, Unjudgeable, Unjudged, columns_of};
use crate::decode::gate::{NameSet, WantedNames};
use crate::schema::OBJECT_KEY;
use crate::sigma::correlation::{Activity, CorrType, FirstActivity, Locator, Member};
use crate::sigma::error::SigmaError;
use crate::sigma::event::{EventRow, rows};
use crate::sigma::finding::{CorrelationInfo, Finding, listed_positions};
use crate::sigma::member_store::MemberStore;
use crate::sigma::name_gate::NameIndex;
use crate::sigma::rarity::VALUES_PER_GROUP;
use crate::sigma::rule::RuleKind;
use crate::sigma::udf::Values;

/// A rule expression compiled against the columns it reads.
struct Compiled {
    columns: Vec<usize>,
    expr: Arc<dyn PhysicalExpr>,
}

impl Compiled {
    fn new(ctx: &SessionContext, schema: &Schema, e: &Expr) -> Result<Compiled, SigmaError> {
        let columns: Vec<usize> = columns_of(e)
            .iter()
            .map(|name| schema.index_of(name))
            .collect::<Result<_, _>>()?;
        let projected = schema.project(&columns)?;
        let df_schema = DFSchema::try_from(projected)?;
        let expr = ctx.state().create_physical_expr(e.clone(), &df_schema)?;
        Ok(Compiled { columns, expr })
    }

    /// The rows of `batch` (all of them, or those in `rows`) for which the expression is true, as indices
    /// into `batch`.
    fn matching(&self, batch: &RecordBatch, rows: Option<&[u32]>) -> Result<Vec<u32>, SigmaError> {
        let projected = batch.project(&self.columns)?;
        let input = match rows {
            Some(r) => take_record_batch(&projected, &UInt32Array::from(r.to_vec()))?,
            None => projected,
        };
        let value = self.expr.evaluate(&input)?.into_array(input.num_rows())?;
        let flags = value
            .as_any()
            .downcast_ref::<BooleanArray>()
            .ok_or_else(|| SigmaError::Invalid("a rule did not evaluate to booleans".into()))?;
        Ok((0..flags.len())
            .filter(|&i| flags.is_valid(i) && flags.value(i))
            .map(|i| rows.map_or(i as u32, |r| r[i]))
            .collect())
    }
}

/// What the pass leaves for after it: detections on partial rows, and correlation inputs.
#[derive(Default)]
struct Pending {
    /// Detections on rows the read left partial, by where their event is read whole.
    partial: HashMap<Locator, Vec<usize>>,
    /// Per correlation (by index; `None` for plans that are not correlations), its base rules' matches.
    members: Vec<Option<MemberStore>>,
    /// Events that cannot be read again by object and id (no `eventID`), kept as the pass saw them.
    kept: HashMap<Locator, (Arc<Value>, Option<i64>)>,
    /// For each `first_seen` correlation (by index), when each group was first active.
    activity: HashMap<usize, FirstActivity>,
}

impl Engine {
    /// Runs over a source, handing each finding to `sink` as soon as it is known (findings on events that
    /// must be read again, and correlation findings, come after the pass).
    pub async fn run(
        &self,
        source: &dyn HuntSource,
        sink: &mut dyn FnMut(Finding) -> Result<(), SigmaError>,
    ) -> Result<RunStats, SigmaError> {
        self.run_with(source, None, sink).await
    }

    /// [`Engine::run`] with a rider on the pass (the source must gate its rows: a rider sees every row).
    pub async fn run_with(
        &self,
        source: &dyn HuntSource,
        mut rider: Option<Rider<'_>>,
        sink: &mut dyn FnMut(Finding) -> Result<(), SigmaError>,
    ) -> Result<RunStats, SigmaError> {
        let gated = source.gates();
        if rider.is_some() && !gated {
            return Err(SigmaError::Invalid(
                "a rider needs a source that reads every row".into(),
            ));
        }
        let plan = self.read_plan_with(rider.as_ref().map(|r| (&r.names, r.paths.as_slice())));
        // Every column: a row the read made whole becomes a finding at once. A gated read makes whole the
        // rows some name-gated rule (or the rider) may match and leaves the others partial; a prefiltered
        // read returns whole rows, only those some rule may match (measured faster on a lake than reading
        // the rules' columns and the matched events again).
        let df = source.events(&plan).await?;
        let schema: Schema = df.schema().as_arrow().clone();
        let ctx = SessionContext::new();
        let rules: Vec<Compiled> = self
            .exprs
            .iter()
            .map(|e| Compiled::new(&ctx, &schema, e))
            .collect::<Result<_, _>>()?;
        let allows: Vec<Compiled> = self
            .allows
            .iter()
            .map(|a| Compiled::new(&ctx, &schema, &a.expr))
            .collect::<Result<_, _>>()?;
        let name_col = schema.index_of("eventName")?;
        let time_col = schema.index_of("eventTime")?;
        let mut firsts = Vec::new();
        for (ci, plan) in self.correlations.iter().enumerate() {
            if let RuleKind::Correlation(c) = &plan.rule.kind
                && c.kind == CorrType::FirstSeen
            {
                let keys = c
                    .group_by
                    .iter()
                    .map(|g| Compiled::new(&ctx, &schema, &self.resolve(g).expr))
                    .collect::<Result<Vec<_>, _>>()?;
                let read_only = (c.activity == Activity::Writes)
                    .then(|| Compiled::new(&ctx, &schema, &self.resolve(READ_ONLY).expr))
                    .transpose()?;
                firsts.push(First { ci, keys, read_only });
            }
        }
        let mut index = NameIndex::new(self.gates.clone());
        let mut stream = df.execute_stream().await?;
        let mut stats = RunStats::default();
        let mut pending = Pending {
            members: self
                .correlations
                .iter()
                .map(|plan| match &plan.rule.kind {
                    RuleKind::Correlation(c) => Some(MemberStore::new(c)),
                    _ => None,
                })
                .collect(),
            ..Pending::default()
        };
        if !gated && !firsts.is_empty() {
            pending.activity = self.activity_by_query(source, &plan).await?;
        }
        let mut corr_fields = Vec::new();
        for plan in &self.correlations {
            let RuleKind::Correlation(c) = &plan.rule.kind else {
                corr_fields.push(Vec::new());
                continue;
            };
            let per_rule = plan
                .names
                .iter()
                .map(|name| {
                    c.fields_for(name)
                        .iter()
                        .map(|f| Compiled::new(&ctx, &schema, &self.resolve(f).expr))
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<Vec<_>, _>>()?;
            corr_fields.push(per_rule);
        }
        let mut narrow = vec![false; schema.fields().len()];
        for name in ["eventID", OBJECT_KEY] {
            narrow[schema.index_of(name)?] = true;
        }
        narrow[name_col] = true;
        narrow[time_col] = true;
        for c in allows.iter().chain(corr_fields.iter().flatten().flatten()) {
            for &i in &c.columns {
                narrow[i] = true;
            }
        }
        let pass = Pass {
            narrow: &narrow,
            gated,
            extra_whole: rider.as_ref().map(|r| r.names.clone()),
            rules: &rules,
            allows: &allows,
            name_col,
            time_col,
            firsts: &firsts,
            corr_fields: &corr_fields,
        };
        let mut written = 0u64;
        let mut counted = |f: Finding| {
            written += 1;
            sink(f)
        };
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            stats.events += batch.num_rows() as u64;
            if let Some(r) = rider.as_mut() {
                (r.on_batch)(&batch)?;
            }
            self.handle_batch(&batch, &pass, &mut index, &mut pending, &mut counted)?;
        }
        if !gated {
            stats.events = source.count().await?;
        }
        self.finish(source, pending, &mut stats, &mut counted).await?;
        stats.findings = written;
        Ok(stats)
    }

    fn handle_batch(
        &self,
        batch: &RecordBatch,
        pass: &Pass<'_>,
        index: &mut NameIndex,
        pending: &mut Pending,
        sink: &mut dyn FnMut(Finding) -> Result<(), SigmaError>,
    ) -> Result<(), SigmaError> {
        if pass.gated {
            // A prefiltered read sees only candidates: its activity comes from the source as a whole.
            note_activity(batch, pass, &mut pending.activity)?;
        }
        let names = cast(batch.column(pass.name_col), &DataType::Utf8)?;
        let names = names
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| SigmaError::Invalid("eventName is not a string column".into()))?;
        let mut candidates: Vec<Vec<u32>> = vec![Vec::new(); self.detections.len()];
        // A gated read made whole exactly the rows some name-gated rule may match.
        let mut whole = vec![!pass.gated; batch.num_rows()];
        let mut extra = pass.extra_whole.clone();
        for (row, is_whole) in whole.iter_mut().enumerate() {
            let name = names.is_valid(row).then(|| names.value(row));
            let list = index.rules(name);
            if !list.is_empty() || extra.as_mut().is_some_and(|e| e.wanted(name)) {
                *is_whole = true;
            }
            for &r in list.iter() {
                candidates[r as usize].push(row as u32);
            }
        }
        let mut matched: Vec<(usize, u32)> = Vec::new();
        for (r, compiled) in pass.rules.iter().enumerate() {
            let rows = if self.gates[r].is_any() {
                compiled.matching(batch, None)?
            } else if candidates[r].is_empty() {
                continue;
            } else {
                compiled.matching(batch, Some(&candidates[r]))?
            };
            matched.extend(rows.into_iter().map(|row| (r, row)));
        }
        if matched.is_empty() {
            return Ok(());
        }
        let hit_rows: Vec<u32> = matched
            .iter()
            .map(|(_, row)| *row)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let position: HashMap<u32, usize> = hit_rows.iter().enumerate().map(|(i, r)| (*r, i)).collect();
        // The matched rows, in the columns the rest of this batch's work reads (whole rows are taken
        // from `batch` only for the findings made of them).
        let hits = take_narrow(batch, &hit_rows, pass.narrow)?;
        let allowed: Vec<HashSet<usize>> = pass
            .allows
            .iter()
            .map(|a| {
                a.matching(&hits, None)
                    .map(|rows| rows.into_iter().map(|r| r as usize).collect())
            })
            .collect::<Result<_, _>>()?;
        let ids = string_column(&hits, "eventID")?;
        let objects = string_column(&hits, OBJECT_KEY)?;
        let times = cast(hits.column(pass.time_col), &DataType::Int64)?;
        let times = times
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or_else(|| SigmaError::Invalid("eventTime is not a timestamp".into()))?;
        let mut fields: HashMap<(usize, usize), Vec<Values>> = HashMap::new();
        let mut interned: HashMap<&str, Arc<str>> = HashMap::new();
        // Detections on whole rows, reported once the batch is done: (position in `hits`, rule).
        let mut now: Vec<(usize, usize)> = Vec::new();
        matched.sort_unstable_by_key(|(r, row)| (*row, *r));
        for (r, row) in matched {
            let pos = position[&row];
            let is_allowed = |list: &[usize]| list.iter().any(|&j| allowed[j].contains(&pos));
            if is_allowed(&self.det_allows[r]) {
                continue;
            }
            let object = (!objects.is_null(pos)).then(|| {
                let key = objects.value(pos);
                interned.entry(key).or_insert_with(|| Arc::from(key)).clone()
            });
            let id = (!ids.is_null(pos) && !ids.value(pos).is_empty()).then(|| Box::from(ids.value(pos)));
            let time = (!times.is_null(pos)).then(|| times.value(pos));
            let mut at = Locator {
                object,
                event_id: id,
                kept: None,
            };
            if at.object.is_none() || at.event_id.is_none() {
                // Not findable again: keep this event as the pass has it.
                at.event_id = None;
                at.kept = Some(pending.kept.len() as u64);
                let sub = take_record_batch(batch, &UInt32Array::from(vec![row]))?;
                if let Some(e) = rows(&sub)?.into_iter().next() {
                    pending.kept.insert(at.clone(), (Arc::new(e.event), time));
                }
            }
            let rule = &self.detections[r];
            if rule.generate {
                if whole[row as usize] {
                    now.push((pos, r));
                } else {
                    pending.partial.entry(at.clone()).or_default().push(r);
                }
            }
            for &(ci, rule_pos) in &self.feeds[r] {
                let plan = &self.correlations[ci];
                let Some(t) = time else { continue };
                if is_allowed(&plan.allows) {
                    continue;
                }
                let RuleKind::Correlation(c) = &plan.rule.kind else {
                    continue;
                };
                if let std::collections::hash_map::Entry::Vacant(slot) = fields.entry((ci, rule_pos)) {
                    let values = pass.corr_fields[ci][rule_pos]
                        .iter()
                        .map(|f| {
                            let v = f
                                .expr
                                .evaluate(&hits.project(&f.columns)?)?
                                .into_array(hits.num_rows())?;
                            Ok(Values::of(&v)?)
                        })
                        .collect::<Result<Vec<_>, SigmaError>>()?;
                    slot.insert(values);
                }
                let values = &fields[&(ci, rule_pos)];
                let groups = c.group_by.len();
                let key: Vec<&str> = values[..groups]
                    .iter()
                    .map(|v| v.row(pos).next().unwrap_or_default())
                    .collect();
                if key.iter().any(|k| k.is_empty()) {
                    // An event without a group-by value belongs to no group (principals without an
                    // ARN would otherwise all count as one).
                    continue;
                }
                let counted: Vec<&str> = values[groups..].iter().flat_map(|v| v.row(pos)).collect();
                let name = names.is_valid(row as usize).then(|| names.value(row as usize));
                if let Some(store) = pending.members[ci].as_mut() {
                    store
                        .push(rule_pos, t, &key, &counted, name, &at)
                        .map_err(|e| SigmaError::Output(format!("holding correlation members: {e}")))?;
                }
            }
        }
        let now: Vec<(u32, usize)> = now.into_iter().map(|(pos, r)| (hit_rows[pos], r)).collect();
        self.report_whole(batch, &now, sink)
    }

    /// Hands out the findings on whole rows of a batch (`now`: row, rule).
    fn report_whole(
        &self,
        batch: &RecordBatch,
        now: &[(u32, usize)],
        sink: &mut dyn FnMut(Finding) -> Result<(), SigmaError>,
    ) -> Result<(), SigmaError> {
        if now.is_empty() {
            return Ok(());
        }
        let positions: Vec<u32> = now
            .iter()
            .map(|(row, _)| *row)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let events = rows(&take_record_batch(batch, &UInt32Array::from(positions.clone()))?)?;
        let events: HashMap<u32, Shared> = positions
            .into_iter()
            .zip(events)
            .map(|(pos, e)| (pos, Shared::from(e)))
            .collect();
        for &(row, r) in now {
            let e = &events[&row];
            sink(Finding {
                rule: self.detections[r].clone(),
                event: e.event.clone(),
                object: e.object.clone(),
                time: e.time,
                correlation: None,
                actors: self.actors.clone(),
            })?;
        }
        Ok(())
    }

    /// After the pass: settles the correlations, reads again the events that findings need whole (those
    /// of detections on partial rows, handed out as they are read, and those correlation findings list),
    /// and hands out the correlation findings.
    async fn finish(
        &self,
        source: &dyn HuntSource,
        pending: Pending,
        stats: &mut RunStats,
        sink: &mut dyn FnMut(Finding) -> Result<(), SigmaError>,
    ) -> Result<(), SigmaError> {
        let mut hits = Vec::new();
        for (ci, (plan, store)) in self.correlations.iter().zip(pending.members).enumerate() {
            let (RuleKind::Correlation(c), Some(store)) = (&plan.rule.kind, store) else {
                hits.push(Vec::new());
                continue;
            };
            let unjudged = match (c.kind, pending.activity.get(&ci)) {
                (CorrType::FirstSeen, Some(activity)) => Some((
                    store.unjudged(c, activity),
                    Unjudgeable::History {
                        baseline_ms: c.baseline_ms,
                    },
                )),
                (CorrType::RareValue, _) => Some((
                    store.roaming(c),
                    Unjudgeable::Roaming {
                        cap: VALUES_PER_GROUP,
                    },
                )),
                _ => None,
            };
            if let Some((unjudged, why)) = unjudged
                && let Some((key, t)) = unjudged.first()
            {
                stats.unjudged.push(Unjudged {
                    rule: plan.rule.clone(),
                    why,
                    groups: unjudged.len() as u64,
                    first: (c.group_by.iter().cloned().zip(key.iter().cloned()).collect(), *t),
                });
            }
            let members = store
                .members(c, pending.activity.get(&ci))
                .map_err(|e| SigmaError::Output(format!("reading correlation members back: {e}")))?;
            let settled = match c.kind {
                CorrType::FirstSeen => {
                    let none = FirstActivity::default();
                    c.evaluate_first_seen(members, pending.activity.get(&ci).unwrap_or(&none))
                }
                _ => c.evaluate(members),
            };
            hits.push(
                settled
                    .into_iter()
                    .map(|hit| {
                        let fired = c.trigger(&hit.events);
                        let listed = listed_positions(hit.events.len(), fired);
                        (hit, fired, listed)
                    })
                    .collect::<Vec<_>>(),
            );
        }
        let listed: HashSet<&Locator> = hits
            .iter()
            .flatten()
            .flat_map(|(h, _, listed)| listed.iter().map(|&i| &h.events[i].at))
            .collect();
        let mut found: HashMap<Locator, (Arc<Value>, Option<i64>)> = HashMap::new();
        let mut partial = pending.partial;
        // Detections on events kept aside need no read.
        for (at, (event, time)) in &pending.kept {
            if let Some(rules) = partial.remove(at) {
                self.report_read(&rules, event, at, *time, sink)?;
            }
            if listed.contains(at) {
                found.insert(at.clone(), (event.clone(), *time));
            }
        }
        let objects: BTreeSet<String> = partial
            .keys()
            .chain(listed.iter().copied())
            .filter(|l| l.kept.is_none())
            .filter_map(|l| l.object.as_deref().map(String::from))
            .collect();
        if !objects.is_empty() {
            let mut stream = source.fetch(objects).await?.execute_stream().await?;
            while let Some(batch) = stream.next().await {
                for e in rows(&batch?)? {
                    let at = Locator {
                        object: e.object.as_deref().map(Arc::from),
                        event_id: event_id(&e.event),
                        kept: None,
                    };
                    let rules = partial.remove(&at);
                    let list = listed.contains(&at) && !found.contains_key(&at);
                    if rules.is_none() && !list {
                        continue;
                    }
                    stats.refetched += 1;
                    let event = Arc::new(e.event);
                    if let Some(rules) = rules {
                        self.report_read(&rules, &event, &at, e.time, sink)?;
                    }
                    if list {
                        found.insert(at, (event, e.time));
                    }
                }
            }
        }
        if let Some(at) = partial.keys().min() {
            return Err(SigmaError::Invalid(format!(
                "event {} of {} could not be read again",
                at.event_id.as_deref().unwrap_or("?"),
                at.object.as_deref().unwrap_or("?")
            )));
        }
        for (plan, plan_hits) in self.correlations.iter().zip(hits) {
            let RuleKind::Correlation(c) = &plan.rule.kind else {
                continue;
            };
            for (hit, fired, listed) in plan_hits {
                let events: Vec<(Arc<Value>, Option<String>)> = listed
                    .iter()
                    .filter_map(|&i| {
                        let at = &hit.events[i].at;
                        found
                            .get(at)
                            .map(|(e, _)| (e.clone(), at.object.as_deref().map(String::from)))
                    })
                    .collect();
                let (Some(last), Some(first)) = (hit.events.last(), hit.events.first()) else {
                    continue;
                };
                let trigger = &hit.events[fired].at;
                let Some((event, object)) = found
                    .get(trigger)
                    .map(|(e, _)| (e.clone(), trigger.object.as_deref().map(String::from)))
                    .or_else(|| events.last().cloned())
                else {
                    continue;
                };
                sink(Finding {
                    rule: plan.rule.clone(),
                    event,
                    object,
                    time: Some(last.time),
                    correlation: Some(CorrelationInfo {
                        kind: c.kind,
                        group: hit.group,
                        count: hit.count,
                        first: Some(first.time),
                        event_ids: hit
                            .events
                            .iter()
                            .map(|m| m.at.event_id.as_deref().map(String::from))
                            .collect(),
                        event_names: name_counts(&hit.events),
                        events,
                    }),
                    actors: self.actors.clone(),
                })?;
            }
        }
        Ok(())
    }

    /// Hands out the detections on one event read whole after the pass.
    fn report_read(
        &self,
        rules: &[usize],
        event: &Arc<Value>,
        at: &Locator,
        time: Option<i64>,
        sink: &mut dyn FnMut(Finding) -> Result<(), SigmaError>,
    ) -> Result<(), SigmaError> {
        for &r in rules {
            sink(Finding {
                rule: self.detections[r].clone(),
                event: event.clone(),
                object: at.object.as_deref().map(String::from),
                time,
                correlation: None,
                actors: self.actors.clone(),
            })?;
        }
        Ok(())
    }
}

/// Notes, for every `first_seen` correlation, when each group of this batch's events was active.
fn note_activity(
    batch: &RecordBatch,
    pass: &Pass<'_>,
    activity: &mut HashMap<usize, FirstActivity>,
) -> Result<(), SigmaError> {
    if pass.firsts.is_empty() {
        return Ok(());
    }
    let times = cast(batch.column(pass.time_col), &DataType::Int64)?;
    let times = times
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| SigmaError::Invalid("eventTime is not a timestamp".into()))?;
    let texts = |k: &Compiled| -> Result<ArrayRef, SigmaError> {
        let v = k
            .expr
            .evaluate(&batch.project(&k.columns)?)?
            .into_array(batch.num_rows())?;
        Ok(cast(&v, &DataType::Utf8)?)
    };
    for First { ci, keys, read_only } in pass.firsts {
        let columns = keys.iter().map(texts).collect::<Result<Vec<_>, SigmaError>>()?;
        let read_only = read_only.as_ref().map(texts).transpose()?;
        let read_only = read_only
            .as_ref()
            .and_then(|c| c.as_any().downcast_ref::<StringArray>());
        let columns: Vec<&StringArray> = columns
            .iter()
            .filter_map(|c| c.as_any().downcast_ref::<StringArray>())
            .collect();
        if columns.len() != keys.len() {
            return Err(SigmaError::Unsupported(
                "first_seen groups by fields holding one value each".into(),
            ));
        }
        // A batch holds few groups: find each one's earliest time here, then note it once.
        let mut earliest: HashMap<Vec<&str>, i64> = HashMap::new();
        let mut history: HashMap<&str, i64> = HashMap::new();
        for row in 0..batch.num_rows() {
            if times.is_null(row) {
                continue;
            }
            let key = key_at(&columns, row);
            let t = times.value(row);
            if read_only.is_some_and(|r| r.is_valid(row) && r.value(row).eq_ignore_ascii_case("true")) {
                let head = key.first().copied().unwrap_or_default();
                history.entry(head).and_modify(|e| *e = (*e).min(t)).or_insert(t);
                continue;
            }
            earliest.entry(key).and_modify(|e| *e = (*e).min(t)).or_insert(t);
        }
        let seen = activity.entry(*ci).or_default();
        for (key, t) in earliest {
            seen.note(key.into_iter().map(String::from).collect(), t);
        }
        for (head, t) in history {
            seen.note_history(head, t);
        }
    }
    Ok(())
}

/// The group-by values of `row` (an absent value is empty text, as a member's key has it).
pub(super) fn key_at<'a>(columns: &[&'a StringArray], row: usize) -> Vec<&'a str> {
    columns
        .iter()
        .map(|c| if c.is_null(row) { "" } else { c.value(row) })
        .collect()
}

/// An event rebuilt from a row, shared by the findings of the rules it matched.
struct Shared {
    event: Arc<Value>,
    object: Option<String>,
    time: Option<i64>,
}

impl From<EventRow> for Shared {
    fn from(e: EventRow) -> Shared {
        Shared {
            event: Arc::new(e.event),
            object: e.object,
            time: e.time,
        }
    }
}

/// The event names of a window with how many events had each, most frequent first.
fn name_counts(window: &[Member]) -> Vec<(String, u64)> {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for m in window {
        if let Some(n) = &m.name {
            *counts.entry(n).or_default() += 1;
        }
    }
    let mut out: Vec<(String, u64)> = counts.into_iter().map(|(n, c)| (n.to_string(), c)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// A string column of a batch, as UTF-8.
fn string_column(batch: &RecordBatch, name: &str) -> Result<StringArray, SigmaError> {
    let c = cast(batch.column(batch.schema().index_of(name)?), &DataType::Utf8)?;
    c.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| SigmaError::Invalid(format!("{name} is not a string column")))
}

/// An event's `eventID`, when it has a usable one.
fn event_id(event: &Value) -> Option<Box<str>> {
    event
        .get("eventID")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(Box::from)
}

/// A `first_seen` correlation, as the pass notes its activity.
struct First {
    /// Index among the engine's correlations.
    ci: usize,
    /// Its group-by expressions.
    keys: Vec<Compiled>,
    /// For one counting only writes: the `readOnly` expression (a read-only event is history of the
    /// group's first field, not activity of the group).
    read_only: Option<Compiled>,
}

/// What one pass evaluates with.
struct Pass<'a> {
    /// Whether the read is gated: rows some name-gated rule (or the rider) wants are whole, the others
    /// partial. Rows of a prefiltered read are all whole.
    gated: bool,
    /// Names a rider had read whole besides those the rules want.
    extra_whole: Option<NameSet>,
    rules: &'a [Compiled],
    allows: &'a [Compiled],
    name_col: usize,
    time_col: usize,
    /// `first_seen` correlations with their group-by expressions.
    firsts: &'a [First],
    /// Per correlation and base rule: the fields it reads (group-by fields, then the counted field).
    corr_fields: &'a [Vec<Vec<Compiled>>],
    /// Per column of the schema: whether the work on matched rows reads it (ids, objects, times, names,
    /// suppressions, correlation fields).
    narrow: &'a [bool],
}

/// The rows `rows` of `batch`, with only the columns `keep` marks taken; the others are null.
fn take_narrow(batch: &RecordBatch, rows: &[u32], keep: &[bool]) -> Result<RecordBatch, SigmaError> {
    let indices = UInt32Array::from(rows.to_vec());
    let schema = batch.schema();
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .zip(keep)
        .map(|((c, field), keep)| {
            if *keep || !field.is_nullable() {
                Ok(take(c, &indices, None)?)
            } else {
                Ok(new_null_array(c.data_type(), rows.len()))
            }
        })
        .collect::<Result<Vec<_>, SigmaError>>()?;
    Ok(RecordBatch::try_new(schema, columns)?)
}
