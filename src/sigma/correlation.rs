//! Sigma correlation rules: `event_count`, `value_count`, `temporal` and `temporal_ordered`, grouped by
//! fields and bounded by a timespan, and ctscan's baselines `first_seen` and `rare_value`. They run after the single pass, over the events their base rules
//! matched (never over the archive): a [`GroupSummary`] per group rules out the groups that cannot fire,
//! and only the other groups' events are windowed.

use std::sync::Arc;

use serde_norway::Value as Yaml;
use std::collections::{BTreeMap, HashMap, HashSet};

use super::condition::CmpOp;
use super::error::{SigmaError, invalid};
use super::rarity::{Family, Rarity, VALUES_PER_GROUP, Verdict};
use super::rule::parse_timespan;

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
    /// A ctscan extension: a base event whose group (say account and region) had no activity at all
    /// before it, in an archive that holds enough history of the group's first field (the account).
    FirstSeen,
    /// A ctscan extension: events bringing a value of `field` that at most a few groups of the group's
    /// population hold (see [`super::rarity`]).
    RareValue,
}

/// Which earlier events make a `first_seen` group active, so that its first base event is not new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Activity {
    /// Every event of the group.
    #[default]
    Any,
    /// Only events that are not read-only (`readOnly` not true): a security scanner's daily read of every
    /// region does not make a region one the account uses.
    Writes,
}

impl CorrType {
    /// The type of a Sigma name.
    pub fn parse(name: &str) -> Option<CorrType> {
        Some(match name {
            "event_count" => CorrType::EventCount,
            "value_count" => CorrType::ValueCount,
            "temporal" => CorrType::Temporal,
            "temporal_ordered" => CorrType::TemporalOrdered,
            "first_seen" => CorrType::FirstSeen,
            "rare_value" => CorrType::RareValue,
            _ => return None,
        })
    }

    /// The Sigma name.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrType::EventCount => "event_count",
            CorrType::ValueCount => "value_count",
            CorrType::Temporal => "temporal",
            CorrType::TemporalOrdered => "temporal_ordered",
            CorrType::FirstSeen => "first_seen",
            CorrType::RareValue => "rare_value",
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
    /// For `first_seen`: how much earlier history of the group's first field the archive must hold.
    pub baseline_ms: i64,
    /// For `first_seen`: which earlier events count as the group's activity.
    pub activity: Activity,
    /// For `rare_value`: the population, the shared value asked for, and how addresses compare.
    pub rarity: Rarity,
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
            Some(name) => CorrType::parse(name)
                .ok_or_else(|| SigmaError::Unsupported(format!("correlation type {name:?}")))?,
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
            CorrType::FirstSeen if group_by.is_empty() => return Err(invalid("first_seen needs a group-by")),
            CorrType::RareValue if field.is_none() => return Err(invalid("rare_value needs a field")),
            CorrType::RareValue if group_by.is_empty() => return Err(invalid("rare_value needs a group-by")),
            CorrType::RareValue if condition.is_empty() => condition.push((CmpOp::Lte, 1)),
            _ => {}
        }
        let activity = match v.get("activity").and_then(Yaml::as_str) {
            None | Some("any") => Activity::Any,
            Some("writes") => Activity::Writes,
            Some(other) => return Err(invalid(format!("activity is any or writes, not {other:?}"))),
        };
        let rarity = if kind == CorrType::RareValue {
            Rarity::parse(v, &group_by)?
        } else {
            Rarity::default()
        };
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
        let baseline_ms = v
            .get("baseline")
            .and_then(Yaml::as_str)
            .map(parse_timespan)
            .transpose()?
            .unwrap_or(24 * 3_600_000);
        Ok(Correlation {
            baseline_ms,
            activity,
            rarity,
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

/// Where a matched event can be read again whole: its object and `eventID`. Correlations keep this, not
/// the event, so their memory is a few strings per matched event; events are read back for findings only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Locator {
    /// The object (path or key) the event came from, shared by the events of one object.
    pub object: Option<Arc<str>>,
    /// The event's `eventID`.
    pub event_id: Option<Box<str>>,
    /// For an event that cannot be found again by object and id: its number in the run, the event kept aside.
    pub kept: Option<u64>,
}

/// One event a base rule matched, as input to correlations: only what the correlation reads of it.
#[derive(Debug, Clone)]
pub struct Member {
    /// Index into [`Correlation::rules`] of the rule that matched.
    pub rule: usize,
    /// Event time, microseconds since the epoch.
    pub time: i64,
    /// The group-by values, in `group-by` order, shared by the members of one group.
    pub key: Arc<[String]>,
    /// For `value_count`: the counted field's values, each shared by the members that have it.
    pub values: Box<[Arc<str>]>,
    /// The event's `eventName` (shared by the members of one name), for the window's name counts.
    pub name: Option<Arc<str>>,
    /// Where to read the event again.
    pub at: Locator,
}

/// The order of a window's members: by time, then by `eventID` (the same for every copy of a duplicated
/// event, so the order does not depend on which copy a read kept), then by where they are.
fn window_order(a: &Member, b: &Member) -> std::cmp::Ordering {
    a.time
        .cmp(&b.time)
        .then_with(|| a.at.event_id.cmp(&b.at.event_id))
        .then_with(|| a.at.cmp(&b.at))
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

impl Correlation {
    /// The fields this correlation reads of an event its base rule `rule` (alias name) matched.
    pub fn fields_for(&self, rule: &str) -> Vec<String> {
        let mut out: Vec<String> = self.group_by.iter().map(|g| self.field_for(g, rule)).collect();
        if let Some(f) = &self.field {
            out.push(self.field_for(f, rule));
        }
        out
    }

    fn field_for(&self, alias: &str, rule: &str) -> String {
        self.aliases
            .get(alias)
            .and_then(|m| m.get(rule))
            .cloned()
            .unwrap_or_else(|| alias.to_string())
    }

    fn measure(&self, window: &[Member]) -> u64 {
        match self.kind {
            CorrType::ValueCount | CorrType::RareValue => {
                let seen: HashSet<&str> = window
                    .iter()
                    .flat_map(|m| m.values.iter().map(|v| &**v))
                    .collect();
                seen.len() as u64
            }
            _ => window.len() as u64,
        }
    }

    fn fires(&self, window: &[Member]) -> bool {
        match self.kind {
            CorrType::EventCount | CorrType::ValueCount => self.holds(self.measure(window)),
            CorrType::Temporal => {
                self.completed_at(window).is_some()
                    && (self.condition.is_empty() || self.holds(window.len() as u64))
            }
            CorrType::TemporalOrdered => self.completed_at(window).is_some(),
            CorrType::FirstSeen => false,
            // Its members are already only the events bringing rare values.
            CorrType::RareValue => !window.is_empty(),
        }
    }

    /// For `temporal` and `temporal_ordered`: the position of the event that completed the set of rules
    /// (or the sequence, in order) in `window`, if it completes.
    fn completed_at(&self, window: &[Member]) -> Option<usize> {
        let n = self.rules.len();
        let mut seen = vec![false; n];
        let mut expect = 0;
        for (i, m) in window.iter().enumerate() {
            if self.kind == CorrType::TemporalOrdered {
                if m.rule == expect {
                    expect += 1;
                }
                if expect == n {
                    return Some(i);
                }
            } else if m.rule < n {
                seen[m.rule] = true;
                if seen.iter().all(|&s| s) {
                    return Some(i);
                }
            }
        }
        None
    }

    /// Evaluates the correlation over the members of its base rules (see [`Correlation::member`]).
    pub fn evaluate(&self, mut members: Vec<Member>) -> Vec<Hit> {
        members.sort_by(window_order);
        let mut groups: BTreeMap<Arc<[String]>, Vec<Member>> = BTreeMap::new();
        for m in members {
            groups.entry(m.key.clone()).or_default().push(m);
        }
        let span = self.timespan_ms.map_or(i64::MAX, |ms| ms.saturating_mul(1000));
        let mut hits = Vec::new();
        for (key, events) in groups {
            let group: Vec<(String, String)> =
                self.group_by.iter().cloned().zip(key.iter().cloned()).collect();
            let mut ranges: Vec<(usize, usize)> = Vec::new();
            let consecutive =
                matches!(self.kind, CorrType::EventCount | CorrType::ValueCount) && !self.lower_bound();
            if consecutive || self.kind == CorrType::RareValue {
                // Consecutive windows from the first event.
                let mut start = 0;
                while start < events.len() {
                    let t0 = events[start].time;
                    let end = events[start..]
                        .iter()
                        .position(|m| m.time - t0 > span)
                        .map_or(events.len(), |p| start + p);
                    if self.fires(&events[start..end]) {
                        ranges.push((start, end - 1));
                    }
                    start = end;
                }
                push_hits(self, &group, &events, ranges, &mut hits);
                continue;
            }
            let mut i = 0;
            // Distinct values of the sliding window, kept as it slides (not recounted per event).
            let counting = matches!(self.kind, CorrType::EventCount | CorrType::ValueCount);
            let mut in_window: HashMap<&str, usize> = HashMap::new();
            for j in 0..events.len() {
                if counting {
                    for v in &events[j].values {
                        *in_window.entry(&**v).or_default() += 1;
                    }
                }
                while events[j].time - events[i].time > span {
                    if counting {
                        for v in &events[i].values {
                            if let Some(n) = in_window.get_mut(&**v) {
                                *n -= 1;
                                if *n == 0 {
                                    in_window.remove(&**v);
                                }
                            }
                        }
                    }
                    i += 1;
                }
                let fires = match self.kind {
                    CorrType::ValueCount => self.holds(in_window.len() as u64),
                    CorrType::EventCount => self.holds((j - i + 1) as u64),
                    _ => self.fires(&events[i..=j]),
                };
                if fires {
                    match ranges.last_mut() {
                        Some(last) if i <= last.1 => last.1 = j,
                        _ => ranges.push((i, j)),
                    }
                }
            }
            push_hits(self, &group, &events, ranges, &mut hits);
        }
        hits
    }
}

impl Correlation {
    /// The event of a window that made the correlation fire: for counts, the first at which the count
    /// from the window's start meets the condition (the second address, the tenth secret); otherwise
    /// the last. A finding shows this event's principal, address and time.
    pub fn trigger(&self, window: &[Member]) -> usize {
        let last = window.len().saturating_sub(1);
        match self.kind {
            // The first event that brought a rare value.
            CorrType::RareValue => return 0,
            // The event that completed the set (or the sequence), not whatever followed it in the window.
            CorrType::Temporal | CorrType::TemporalOrdered => {
                return self.completed_at(window).unwrap_or(last);
            }
            _ => {}
        }
        if !matches!(self.kind, CorrType::EventCount | CorrType::ValueCount) || !self.lower_bound() {
            return last;
        }
        let mut seen: HashSet<&str> = HashSet::new();
        for (i, m) in window.iter().enumerate() {
            seen.extend(m.values.iter().map(|v| &**v));
            let n = match self.kind {
                CorrType::ValueCount => seen.len() as u64,
                _ => i as u64 + 1,
            };
            if self.holds(n) {
                return i;
            }
        }
        last
    }
}

/// What a correlation knows of one group without its events: enough to rule out, after the pass, the
/// groups that cannot fire, so that only the others' events are rebuilt and windowed.
#[derive(Debug, Clone, Default)]
pub struct GroupSummary {
    /// Events of the group.
    pub count: u64,
    /// Which base rules matched (bit `i`: rule `i`; rules past 64 are not tracked).
    pub rules: u64,
    /// Distinct counted values (as numbers), up to [`Correlation::values_worth_counting`].
    pub values: Vec<u32>,
    /// Earliest event time.
    pub first: i64,
}

impl GroupSummary {
    /// Notes one event of the group.
    pub fn note(&mut self, rule: usize, time: i64, values: &[u32], cap: usize) {
        if self.count == 0 || time < self.first {
            self.first = time;
        }
        self.count += 1;
        if rule < 64 {
            self.rules |= 1 << rule;
        }
        for v in values {
            if self.values.len() >= cap {
                break;
            }
            if !self.values.contains(v) {
                self.values.push(*v);
            }
        }
    }
}

impl Correlation {
    /// How many distinct values of a group are worth keeping in its summary: one more than the largest
    /// count the condition names, past which a lower bound holds whatever more values come.
    pub fn values_worth_counting(&self) -> usize {
        if self.kind == CorrType::RareValue {
            // One past the cap tells a roaming group from one holding exactly the cap.
            return VALUES_PER_GROUP + 1;
        }
        if self.kind != CorrType::ValueCount {
            return 0;
        }
        self.condition
            .iter()
            .map(|(_, n)| *n as usize)
            .max()
            .unwrap_or(0)
            .saturating_add(1)
    }

    /// Whether a group with this summary can fire. `false` only when no window of the group can: a
    /// window holds at most the group's events and values, and a lower bound that the whole group misses
    /// no part of it meets; a sequence needs every rule. Groups it cannot rule out are windowed exactly.
    pub fn may_fire(&self, s: &GroupSummary, key: &[String], activity: Option<&FirstActivity>) -> bool {
        match self.kind {
            CorrType::EventCount if self.lower_bound() => self.holds(s.count),
            CorrType::ValueCount if self.lower_bound() => self.holds(s.values.len() as u64),
            // Needs the whole population: judged by the store (see [`Correlation::judge`]).
            CorrType::EventCount | CorrType::ValueCount | CorrType::RareValue => true,
            CorrType::Temporal | CorrType::TemporalOrdered => {
                let n = self.rules.len();
                n > 64 || s.rules.count_ones() as usize == n
            }
            CorrType::FirstSeen => {
                let none = FirstActivity::default();
                let activity = activity.unwrap_or(&none);
                !self.first_seen_ruled_out(key, s.first, activity)
            }
        }
    }

    /// For a `first_seen` group whose first base event is at `t`: whether the group was quiet before it (no
    /// activity more than `timespan` earlier), and whether the pass holds `baseline` of earlier activity of
    /// the group's first field (so "never used before" can be told from "the logs start here").
    fn first_seen_state(&self, key: &[String], t: i64, activity: &FirstActivity) -> (bool, bool) {
        let grace = self.timespan_ms.unwrap_or(3_600_000).saturating_mul(1000);
        let baseline = self.baseline_ms.saturating_mul(1000);
        let began = activity.groups.get(key).copied().unwrap_or(t);
        let history = key
            .first()
            .and_then(|h| activity.heads.get(h))
            .copied()
            .unwrap_or(t);
        (
            began >= t.saturating_sub(grace),
            history <= t.saturating_sub(baseline),
        )
    }

    /// Whether a `first_seen` group whose first base event is at `t` does not fire: it was active before, or
    /// the archive holds too little earlier history of its first field.
    fn first_seen_ruled_out(&self, key: &[String], t: i64, activity: &FirstActivity) -> bool {
        let (quiet, judged) = self.first_seen_state(key, t, activity);
        !quiet || !judged
    }

    /// Whether a `first_seen` group whose first base event is at `t` cannot be judged: it was quiet before
    /// (so it would fire), but the pass holds too little earlier history of its first field.
    pub fn first_seen_unjudged(&self, key: &[String], t: i64, activity: &FirstActivity) -> bool {
        let (quiet, judged) = self.first_seen_state(key, t, activity);
        quiet && !judged
    }
}

impl Correlation {
    /// How many holders of a value are worth counting: one past the largest count the condition names, and
    /// the `common` count.
    pub fn holders_worth_counting(&self) -> usize {
        let bound = self.condition.iter().map(|(_, n)| *n as usize).max().unwrap_or(0);
        bound.saturating_add(1).max(self.rarity.common as usize)
    }

    /// Judges a `rare_value` group by its distinct values (`values`, ids; at most
    /// [`Correlation::values_worth_counting`] kept), `holders`, the number of groups of its population
    /// holding a value, and `family`, a value's family: a value is rare when its number of holders meets the
    /// condition, and counts only if `common` is not set or the group also holds a value of the same family
    /// that at least `common` groups hold. The group fires when some rare value counts.
    pub fn judge(
        &self,
        values: &[u32],
        holders: impl Fn(u32) -> usize,
        family: impl Fn(u32) -> Family,
    ) -> Verdict {
        if values.len() > VALUES_PER_GROUP {
            return Verdict::Roaming;
        }
        let common = self.rarity.common as usize;
        let shared: Vec<Family> = values
            .iter()
            .filter(|&&v| common > 0 && holders(v) >= common)
            .map(|&v| family(v))
            .collect();
        let rare: Vec<u32> = values
            .iter()
            .copied()
            .filter(|&v| self.holds(holders(v) as u64))
            .filter(|&v| common == 0 || shared.contains(&family(v)))
            .collect();
        if rare.is_empty() {
            Verdict::Quiet
        } else {
            Verdict::Rare(rare)
        }
    }
}

/// When each group of a `first_seen` correlation was first active, from every event of the pass (not only
/// its base rules' matches).
#[derive(Debug, Default, Clone)]
pub struct FirstActivity {
    /// Group-by values → earliest event time.
    pub groups: HashMap<Vec<String>, i64>,
    /// First group-by value → earliest event time (the history the baseline asks for).
    pub heads: HashMap<String, i64>,
}

impl FirstActivity {
    /// Notes an event that is history of the group's first field but not activity of the group (a
    /// read-only call, for a correlation that counts only writes).
    pub fn note_history(&mut self, head: &str, time: i64) {
        match self.heads.get_mut(head) {
            Some(h) => *h = (*h).min(time),
            None => {
                self.heads.insert(head.to_string(), time);
            }
        }
    }

    /// Notes one event of a group.
    pub fn note(&mut self, key: Vec<String>, time: i64) {
        if let Some(head) = key.first() {
            self.note_history(head, time);
        }
        let g = self.groups.entry(key).or_insert(time);
        *g = (*g).min(time);
    }
}

impl Correlation {
    /// Evaluates a `first_seen` correlation: per group, its first base event fires when the group had
    /// no activity more than `timespan` (default 1h) before it and the archive holds at least `baseline`
    /// of earlier activity of the group's first field. The window holds the group's base events of the
    /// `timespan` that follows.
    pub fn evaluate_first_seen(&self, mut members: Vec<Member>, activity: &FirstActivity) -> Vec<Hit> {
        members.sort_by(window_order);
        let mut groups: BTreeMap<Arc<[String]>, Vec<Member>> = BTreeMap::new();
        for m in members {
            groups.entry(m.key.clone()).or_default().push(m);
        }
        let grace = self.timespan_ms.unwrap_or(3_600_000).saturating_mul(1000);
        let mut hits = Vec::new();
        for (key, events) in groups {
            let t = events[0].time;
            if self.first_seen_ruled_out(&key, t, activity) {
                continue;
            }
            let window: Vec<Member> = events.into_iter().take_while(|m| m.time - t <= grace).collect();
            hits.push(Hit {
                group: self.group_by.iter().cloned().zip(key.iter().cloned()).collect(),
                count: window.len() as u64,
                events: window,
            });
        }
        hits
    }
}

fn push_hits(
    c: &Correlation,
    group: &[(String, String)],
    events: &[Member],
    ranges: Vec<(usize, usize)>,
    hits: &mut Vec<Hit>,
) {
    for (a, b) in ranges {
        let window = events[a..=b].to_vec();
        hits.push(Hit {
            group: group.to_vec(),
            count: c.measure(&window),
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

    /// A member as the engine builds it: grouped by `userIdentity.arn` (`who`), counting `eventName` (`what`).
    fn member(c: &Correlation, _names: &[String], rule: usize, secs: i64, who: &str, what: &str) -> Member {
        Member {
            rule,
            time: secs * 1_000_000,
            key: c.group_by.iter().map(|_| who.to_string()).collect(),
            values: c.field.iter().map(|_| Arc::from(what)).collect(),
            name: None,
            at: Locator {
                object: None,
                event_id: Some(format!("{who}-{secs}-{rule}").into()),
                kept: None,
            },
        }
    }

    #[test]
    fn event_count_bursts_by_group() {
        let c = corr(
            "type: event_count\nrules: [denied]\ngroup-by: [userIdentity.arn]\ntimespan: 5m\ncondition: {gte: 3}",
        );
        let names = vec!["denied".to_string()];
        let m = |secs, who| member(&c, &names, 0, secs, who, "X");
        let mut ms: Vec<Member> = (0..3).map(|i| m(i * 60, "alice")).collect();
        ms.extend((0..3).map(|i| m(i * 200, "bob")));
        let hits = c.evaluate(ms);
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
        let m = |secs, what| member(&c, &names, 0, secs, "a", what);
        assert!(c.evaluate(vec![m(0, "X"), m(1, "X")]).is_empty());
        assert_eq!(c.evaluate(vec![m(0, "X"), m(1, "Y")]).len(), 1);
        // The finding shows the event that brought the second value, not the window's last one.
        let hits = c.evaluate(vec![m(0, "X"), m(1, "X"), m(2, "Y"), m(3, "X")]);
        assert_eq!(c.trigger(&hits[0].events), 2);

        let o = corr(
            "type: temporal_ordered\nrules: [stop, modify, start]\ngroup-by: [userIdentity.arn]\ntimespan: 10m",
        );
        let names: Vec<String> = ["stop", "modify", "start"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let m = |rule, secs| member(&o, &names, rule, secs, "a", "");
        assert_eq!(o.evaluate(vec![m(0, 0), m(1, 10), m(2, 20)]).len(), 1);
        assert!(o.evaluate(vec![m(2, 0), m(1, 10), m(0, 20)]).is_empty());
        assert!(o.evaluate(vec![m(0, 0), m(1, 10), m(2, 2000)]).is_empty());
        let t = corr("type: temporal\nrules: [stop, modify, start]\ntimespan: 10m");
        let m = |rule, secs| member(&t, &names, rule, secs, "a", "");
        assert_eq!(t.evaluate(vec![m(2, 0), m(1, 10), m(0, 20)]).len(), 1);
        // A finding shows the event that completed the set or the sequence, not what followed it.
        let hits = t.evaluate(vec![m(2, 0), m(1, 10), m(0, 20), m(2, 30), m(1, 40)]);
        assert_eq!((hits.len(), t.trigger(&hits[0].events)), (1, 2));
        let m = |rule, secs| member(&o, &names, rule, secs, "a", "");
        let hits = o.evaluate(vec![m(0, 0), m(2, 5), m(1, 10), m(2, 20), m(2, 30)]);
        assert_eq!((hits.len(), o.trigger(&hits[0].events)), (1, 3));
    }

    #[test]
    fn first_seen_needs_a_quiet_group_and_enough_history() {
        let c = corr(
            "type: first_seen\nrules: [created]\ngroup-by: [recipientAccountId, awsRegion]\ntimespan: 1h\nbaseline: 24h",
        );
        let hour = 3_600_000_000i64;
        let member = |account: &str, region: &str, t: i64| Member {
            rule: 0,
            time: t,
            key: Arc::from(vec![account.to_string(), region.to_string()]),
            values: Box::default(),
            name: None,
            at: Locator {
                object: None,
                event_id: Some(format!("{account}{region}{t}").into()),
                kept: None,
            },
        };
        let mut seen = FirstActivity::default();
        seen.note(vec!["a".into(), "us-east-1".into()], 0);
        seen.note(vec!["a".into(), "ap-south-1".into()], 30 * hour);
        seen.note(vec!["a".into(), "eu-west-1".into()], 20 * hour);
        seen.note(vec!["b".into(), "us-east-1".into()], 25 * hour);
        seen.note(vec!["b".into(), "ap-south-1".into()], 30 * hour);
        let hits = c.evaluate_first_seen(
            vec![
                member("a", "ap-south-1", 30 * hour),
                member("a", "ap-south-1", 30 * hour + 60_000_000),
                member("a", "eu-west-1", 30 * hour),
                member("b", "ap-south-1", 30 * hour),
            ],
            &seen,
        );
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].group[1].1, "ap-south-1");
        assert_eq!(hits[0].count, 2);
    }
}
