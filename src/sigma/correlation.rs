//! Sigma correlation rules: `event_count`, `value_count`, `temporal` and `temporal_ordered`, grouped by
//! fields and bounded by a timespan. They run after the single pass, over the events their base rules
//! matched (never over the archive), held in memory.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_norway::Value as Yaml;

use super::condition::CmpOp;
use super::error::{SigmaError, invalid};
use super::rule::parse_timespan;
use super::udf::{collect_path, collect_scalars};

/// The kind of correlation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrType {
    /// Number of events in the window.
    EventCount,
    /// Number of distinct values of a field in the window.
    ValueCount,
    /// Every referenced rule matched in the window, in any order.
    Temporal,
    /// Every referenced rule matched in the window, in the order listed.
    TemporalOrdered,
}

impl CorrType {
    /// The Sigma name.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrType::EventCount => "event_count",
            CorrType::ValueCount => "value_count",
            CorrType::Temporal => "temporal",
            CorrType::TemporalOrdered => "temporal_ordered",
        }
    }
}

/// A parsed `correlation` section.
#[derive(Debug, Clone)]
pub struct Correlation {
    /// The kind.
    pub kind: CorrType,
    /// Referenced rules, by id or name.
    pub rules: Vec<String>,
    /// Fields whose values form a group.
    pub group_by: Vec<String>,
    /// Window length in milliseconds (`None`: the whole hunt window).
    pub timespan_ms: Option<i64>,
    /// Comparisons the count must satisfy (all of them).
    pub condition: Vec<(CmpOp, u64)>,
    /// The field counted by `value_count`.
    pub field: Option<String>,
    /// Alias name → (rule id or name → field), for group-by fields named differently per rule.
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
    /// Whether the referenced rules also report their own matches.
    pub generate: bool,
}

fn strings(v: &Yaml) -> Vec<String> {
    match v {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Sequence(seq) => seq.iter().filter_map(|x| x.as_str().map(String::from)).collect(),
        _ => Vec::new(),
    }
}

impl Correlation {
    /// Parses a `correlation` mapping.
    pub fn parse(v: &Yaml) -> Result<Correlation, SigmaError> {
        let kind = match v.get("type").and_then(Yaml::as_str) {
            Some("event_count") => CorrType::EventCount,
            Some("value_count") => CorrType::ValueCount,
            Some("temporal") => CorrType::Temporal,
            Some("temporal_ordered") => CorrType::TemporalOrdered,
            Some(other) => return Err(SigmaError::Unsupported(format!("correlation type {other:?}"))),
            None => return Err(invalid("correlation has no type")),
        };
        let rules = v.get("rules").map(strings).unwrap_or_default();
        if rules.is_empty() {
            return Err(invalid("correlation lists no rules"));
        }
        let group_by = v.get("group-by").map(strings).unwrap_or_default();
        let timespan_ms = v
            .get("timespan")
            .or_else(|| v.get("timeframe"))
            .and_then(Yaml::as_str)
            .map(parse_timespan)
            .transpose()?;
        let mut condition = Vec::new();
        let mut field = None;
        if let Some(Yaml::Mapping(m)) = v.get("condition") {
            for (k, val) in m {
                let k = k.as_str().unwrap_or_default();
                if k == "field" {
                    field = val.as_str().map(String::from);
                    continue;
                }
                let op =
                    CmpOp::parse(k).ok_or_else(|| invalid(format!("unknown correlation condition {k:?}")))?;
                let n = val
                    .as_u64()
                    .ok_or_else(|| invalid(format!("correlation condition {k} needs a count")))?;
                condition.push((op, n));
            }
        }
        if let Some(f) = v.get("field").and_then(Yaml::as_str) {
            field = Some(f.to_string());
        }
        match kind {
            CorrType::EventCount | CorrType::ValueCount if condition.is_empty() => {
                return Err(invalid(format!("{} needs a condition", kind.as_str())));
            }
            CorrType::ValueCount if field.is_none() => return Err(invalid("value_count needs a field")),
            _ => {}
        }
        let mut aliases = BTreeMap::new();
        if let Some(Yaml::Mapping(m)) = v.get("aliases") {
            for (alias, per_rule) in m {
                let mut map = BTreeMap::new();
                if let Yaml::Mapping(pr) = per_rule {
                    for (r, f) in pr {
                        if let (Some(r), Some(f)) = (r.as_str(), f.as_str()) {
                            map.insert(r.to_string(), f.to_string());
                        }
                    }
                }
                aliases.insert(alias.as_str().unwrap_or_default().to_string(), map);
            }
        }
        let generate = v.get("generate").and_then(Yaml::as_bool).unwrap_or(false);
        Ok(Correlation {
            kind,
            rules,
            group_by,
            timespan_ms,
            condition,
            field,
            aliases,
            generate,
        })
    }

    fn holds(&self, n: u64) -> bool {
        self.condition.iter().all(|(op, t)| op.holds(n, *t))
    }

    /// Whether the condition is a lower bound (`gt`/`gte`), checked on sliding windows; other comparisons
    /// are checked on consecutive windows of `timespan` from each group's first event.
    fn lower_bound(&self) -> bool {
        self.condition
            .iter()
            .all(|(op, _)| matches!(op, CmpOp::Gt | CmpOp::Gte))
    }
}

/// One event a base rule matched, as input to correlations.
#[derive(Debug, Clone)]
pub struct Member {
    /// Index into [`Correlation::rules`] of the rule that matched.
    pub rule: usize,
    /// Event time, microseconds since the epoch.
    pub time: i64,
    /// The whole event.
    pub event: Arc<serde_json::Value>,
    /// The object it came from.
    pub object: Option<String>,
}

/// A correlation that fired: the group, and the events of the window.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Group-by field → value.
    pub group: Vec<(String, String)>,
    /// Events counted (or distinct values, for `value_count`).
    pub count: u64,
    /// The events of the window, in time order.
    pub events: Vec<Member>,
}

fn first_value(event: &serde_json::Value, path: &str) -> String {
    let parts: Vec<String> = path.split('.').map(String::from).collect();
    let mut out = Vec::new();
    collect_path(event, &parts, &mut out);
    out.into_iter().next().unwrap_or_default()
}

impl Correlation {
    fn field_for(&self, alias: &str, rule: &str) -> String {
        self.aliases
            .get(alias)
            .and_then(|m| m.get(rule))
            .cloned()
            .unwrap_or_else(|| alias.to_string())
    }

    fn measure(&self, window: &[Member], names: &[String]) -> u64 {
        match self.kind {
            CorrType::ValueCount => {
                let field = self.field.as_deref().unwrap_or_default();
                let mut seen: HashMap<String, ()> = HashMap::new();
                for m in window {
                    let f = self.field_for(field, &names[m.rule]);
                    let parts: Vec<String> = f.split('.').map(String::from).collect();
                    let mut out = Vec::new();
                    collect_scalars(&m.event, &parts, &mut out);
                    for v in out {
                        seen.insert(v, ());
                    }
                }
                seen.len() as u64
            }
            _ => window.len() as u64,
        }
    }

    fn fires(&self, window: &[Member], names: &[String]) -> bool {
        match self.kind {
            CorrType::EventCount | CorrType::ValueCount => self.holds(self.measure(window, names)),
            CorrType::Temporal => {
                (0..self.rules.len()).all(|r| window.iter().any(|m| m.rule == r))
                    && (self.condition.is_empty() || self.holds(window.len() as u64))
            }
            CorrType::TemporalOrdered => {
                let mut expect = 0;
                for m in window {
                    if m.rule == expect {
                        expect += 1;
                        if expect == self.rules.len() {
                            return true;
                        }
                    }
                }
                false
            }
        }
    }

    /// Evaluates the correlation over the members of its base rules. `names` holds, for each entry of
    /// [`Correlation::rules`], the name used in aliases.
    pub fn evaluate(&self, mut members: Vec<Member>, names: &[String]) -> Vec<Hit> {
        members.sort_by_key(|m| m.time);
        let mut groups: BTreeMap<Vec<String>, Vec<Member>> = BTreeMap::new();
        for m in members {
            let key = self
                .group_by
                .iter()
                .map(|g| first_value(&m.event, &self.field_for(g, &names[m.rule])))
                .collect();
            groups.entry(key).or_default().push(m);
        }
        let span = self.timespan_ms.map_or(i64::MAX, |ms| ms.saturating_mul(1000));
        let mut hits = Vec::new();
        for (key, events) in groups {
            let group: Vec<(String, String)> = self.group_by.iter().cloned().zip(key).collect();
            let mut ranges: Vec<(usize, usize)> = Vec::new();
            if matches!(self.kind, CorrType::EventCount | CorrType::ValueCount) && !self.lower_bound() {
                // Consecutive windows from the first event.
                let mut start = 0;
                while start < events.len() {
                    let t0 = events[start].time;
                    let end = events[start..]
                        .iter()
                        .position(|m| m.time - t0 > span)
                        .map_or(events.len(), |p| start + p);
                    if self.fires(&events[start..end], names) {
                        ranges.push((start, end - 1));
                    }
                    start = end;
                }
                push_hits(self, &group, &events, ranges, names, &mut hits);
                continue;
            }
            let mut i = 0;
            for j in 0..events.len() {
                while events[j].time - events[i].time > span {
                    i += 1;
                }
                if self.fires(&events[i..=j], names) {
                    match ranges.last_mut() {
                        Some(last) if i <= last.1 => last.1 = j,
                        _ => ranges.push((i, j)),
                    }
                }
            }
            push_hits(self, &group, &events, ranges, names, &mut hits);
        }
        hits
    }
}

fn push_hits(
    c: &Correlation,
    group: &[(String, String)],
    events: &[Member],
    ranges: Vec<(usize, usize)>,
    names: &[String],
    hits: &mut Vec<Hit>,
) {
    for (a, b) in ranges {
        let window = events[a..=b].to_vec();
        hits.push(Hit {
            group: group.to_vec(),
            count: c.measure(&window, names),
            events: window,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corr(yaml: &str) -> Correlation {
        Correlation::parse(&serde_norway::from_str(yaml).unwrap()).unwrap()
    }

    fn member(rule: usize, secs: i64, who: &str, what: &str) -> Member {
        Member {
            rule,
            time: secs * 1_000_000,
            event: Arc::new(serde_json::json!({"userIdentity": {"arn": who}, "eventName": what})),
            object: None,
        }
    }

    #[test]
    fn event_count_bursts_by_group() {
        let c = corr(
            "type: event_count\nrules: [denied]\ngroup-by: [userIdentity.arn]\ntimespan: 5m\ncondition: {gte: 3}",
        );
        let names = vec!["denied".to_string()];
        let mut ms: Vec<Member> = (0..3).map(|i| member(0, i * 60, "alice", "X")).collect();
        ms.extend((0..3).map(|i| member(0, i * 200, "bob", "X")));
        let hits = c.evaluate(ms, &names);
        assert_eq!(hits.len(), 1);
        assert_eq!(
            hits[0].group,
            vec![("userIdentity.arn".to_string(), "alice".to_string())]
        );
        assert_eq!(hits[0].count, 3);
    }

    #[test]
    fn value_count_and_ordered_sequences() {
        let c = corr(
            "type: value_count\nrules: [r]\ngroup-by: [userIdentity.arn]\ntimespan: 1h\ncondition: {gte: 2, field: eventName}",
        );
        let names = vec!["r".to_string()];
        let same = vec![member(0, 0, "a", "X"), member(0, 1, "a", "X")];
        assert!(c.evaluate(same, &names).is_empty());
        let two = vec![member(0, 0, "a", "X"), member(0, 1, "a", "Y")];
        assert_eq!(c.evaluate(two, &names).len(), 1);

        let o = corr(
            "type: temporal_ordered\nrules: [stop, modify, start]\ngroup-by: [userIdentity.arn]\ntimespan: 10m",
        );
        let names: Vec<String> = ["stop", "modify", "start"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let good = vec![
            member(0, 0, "a", ""),
            member(1, 10, "a", ""),
            member(2, 20, "a", ""),
        ];
        assert_eq!(o.evaluate(good, &names).len(), 1);
        let wrong_order = vec![
            member(2, 0, "a", ""),
            member(1, 10, "a", ""),
            member(0, 20, "a", ""),
        ];
        assert!(o.evaluate(wrong_order, &names).is_empty());
        let too_slow = vec![
            member(0, 0, "a", ""),
            member(1, 10, "a", ""),
            member(2, 2000, "a", ""),
        ];
        assert!(o.evaluate(too_slow, &names).is_empty());
        let t = corr("type: temporal\nrules: [stop, modify, start]\ntimespan: 10m");
        let any_order = vec![
            member(2, 0, "a", ""),
            member(1, 10, "a", ""),
            member(0, 20, "a", ""),
        ];
        assert_eq!(t.evaluate(any_order, &names).len(), 1);
    }
}
