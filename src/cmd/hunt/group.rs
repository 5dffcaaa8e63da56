//! Finding groups: the findings of one rule for one principal (a correlation: one set of group-by values)
//! from one source IP, collapsed into counts, first and last time, capped lists of what varied and a few
//! sample events. Groups are built as findings arrive; their memory is per group, not per finding.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::sigma::correlation::CorrType;
use crate::sigma::event::format_time;
use crate::sigma::finding::{Finding, actor_of, key_of};
use crate::sigma::rule::Rule;

/// Most accounts, regions and event names a group lists.
pub const LIST_CAP: usize = 20;
/// Most access keys and user agents a group lists.
pub const SMALL_CAP: usize = 10;
/// Sample events a group keeps.
pub const SAMPLE_CAP: usize = 3;

/// Distinct values with the number of events that had each, at most `N` of them (the first seen);
/// events whose value came after the list was full are counted as unlisted. Empty values are skipped.
#[derive(Debug, Clone, Default)]
pub struct Capped<const N: usize> {
    values: Vec<(String, u64)>,
    unlisted: u64,
}

impl<const N: usize> Capped<N> {
    /// Counts one event's value.
    pub fn add(&mut self, v: String) {
        self.add_n(v, 1);
    }

    /// Counts `n` events with one value.
    pub fn add_n(&mut self, v: String, n: u64) {
        if v.is_empty() {
            return;
        }
        if let Some(e) = self.values.iter_mut().find(|(k, _)| *k == v) {
            e.1 += n;
        } else if self.values.len() < N {
            self.values.push((v, n));
        } else {
            self.unlisted += n;
        }
    }

    /// The listed values, sorted.
    pub fn sorted(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.values.iter().map(|(k, _)| k.as_str()).collect();
        v.sort_unstable();
        v
    }

    /// The listed values with their counts, most frequent first.
    pub fn by_count(&self) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.values.iter().map(|(k, c)| (k.as_str(), *c)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }

    /// Events whose value is not listed because the list was full.
    pub fn unlisted(&self) -> u64 {
        self.unlisted
    }
}

/// One sample event of a group.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Its eventID.
    pub event_id: String,
    /// Its eventTime as written in the event.
    pub event_time: String,
    /// The object it came from.
    pub object: Option<String>,
}

/// The findings of one rule for one principal from one source IP.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// Findings.
    pub count: u64,
    /// Events they cover (a correlation finding covers its whole window).
    pub events: u64,
    /// Time of the first event, in microseconds.
    pub first: Option<i64>,
    /// Time of the last event, in microseconds.
    pub last: Option<i64>,
    /// Accounts (recipientAccountId, else the caller's account).
    pub accounts: Capped<LIST_CAP>,
    /// Regions.
    pub regions: Capped<LIST_CAP>,
    /// Event names with counts.
    pub event_names: Capped<LIST_CAP>,
    /// Access key ids.
    pub access_keys: Capped<SMALL_CAP>,
    /// Actors: the origins of the credential chains behind the events (`TYPE ARN`).
    pub actors: Capped<SMALL_CAP>,
    /// User agents.
    pub user_agents: Capped<SMALL_CAP>,
    /// Error codes of the calls that failed (for the table; the group record leaves them out).
    pub errors: Capped<SMALL_CAP>,
    /// The first few events.
    pub samples: Vec<Sample>,
    /// For a correlation: its type and group-by fields and values.
    pub correlation: Option<(CorrType, Vec<(String, String)>)>,
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

impl Group {
    /// Adds one finding; with `detail` false only the counts and times are kept.
    pub fn add(&mut self, f: &Finding, detail: bool) {
        self.count += 1;
        self.first = min_opt(self.first, f.first_time());
        self.last = self.last.max(f.time);
        self.events += f.event_count();
        let events = f.events();
        if !detail {
            return;
        }
        if let Some(c) = &f.correlation {
            if self.correlation.is_none() {
                self.correlation = Some((c.kind, c.group.clone()));
            }
            // Names are counted over the whole window, the rest over the events it lists.
            for (name, n) in &c.event_names {
                self.event_names.add_n(name.clone(), *n);
            }
        }
        for (e, object) in events {
            self.accounts.add(key_of(e, "recipientAccountId"));
            self.regions.add(key_of(e, "awsRegion"));
            if f.correlation.is_none() {
                self.event_names.add(key_of(e, "eventName"));
            }
            self.access_keys.add(key_of(e, "userIdentity.accessKeyId"));
            self.actors
                .add(actor_of(&f.actors, e).map(|(o, _)| o.label()).unwrap_or_default());
            self.user_agents.add(key_of(e, "userAgent"));
            self.errors.add(key_of(e, "errorCode"));
            if self.samples.len() < SAMPLE_CAP {
                self.samples.push(Sample {
                    event_id: key_of(e, "eventID"),
                    event_time: key_of(e, "eventTime"),
                    object: object.map(str::to_string),
                });
            }
        }
    }

    /// The group as one JSON record (see the README's Hunting section for the fields).
    pub fn to_json(&self, rule: &Rule, principal: &str, source_ip: &str) -> Value {
        let text = |s: &str| if s.is_empty() { Value::Null } else { json!(s) };
        let names: serde_json::Map<String, Value> = self
            .event_names
            .by_count()
            .into_iter()
            .map(|(k, c)| (k.to_string(), json!(c)))
            .collect();
        let correlation = match &self.correlation {
            Some((kind, group)) => {
                let g: serde_json::Map<String, Value> =
                    group.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                json!({"type": kind.as_str(), "group": g})
            }
            None => Value::Null,
        };
        json!({
            "ruleId": rule.id,
            "ruleTitle": rule.title,
            "level": rule.level.as_str(),
            "tags": rule.tags,
            "author": rule.author,
            "principal": text(principal),
            "sourceIPAddress": text(source_ip),
            "count": self.count,
            "events": self.events,
            "first": self.first.map(format_time),
            "last": self.last.map(format_time),
            "accounts": self.accounts.sorted(),
            "regions": self.regions.sorted(),
            "eventNames": names,
            "accessKeys": self.access_keys.sorted(),
            "actors": self.actors.sorted(),
            "userAgents": self.user_agents.sorted(),
            "unlisted": {
                "accounts": self.accounts.unlisted(),
                "regions": self.regions.unlisted(),
                "eventNames": self.event_names.unlisted(),
                "accessKeys": self.access_keys.unlisted(),
                "actors": self.actors.unlisted(),
                "userAgents": self.user_agents.unlisted(),
            },
            "samples": self.samples.iter().map(|s| json!({
                "eventID": text(&s.event_id),
                "eventTime": text(&s.event_time),
                "object": s.object,
            })).collect::<Vec<_>>(),
            "correlation": correlation,
        })
    }
}

/// Who and from where: (principal, source IP).
pub type GroupKey = (String, String);

/// The groups of one rule.
#[derive(Debug)]
pub struct RuleGroups {
    /// The rule.
    pub rule: Arc<Rule>,
    /// Its findings.
    pub findings: u64,
    /// Its groups.
    pub groups: HashMap<GroupKey, Group>,
}

/// One rule's groups in output order (most findings first, then earliest, principal, source IP).
#[derive(Debug)]
pub struct Section {
    /// The rule.
    pub rule: Arc<Rule>,
    /// Its findings.
    pub findings: u64,
    /// Its groups.
    pub groups: Vec<(GroupKey, Group)>,
}

/// Builds groups as findings arrive.
#[derive(Debug, Default)]
pub struct Grouper {
    detail: bool,
    rules: HashMap<String, RuleGroups>,
}

impl Grouper {
    /// A grouper that keeps the lists and samples (`detail`) or only counts and times.
    pub fn new(detail: bool) -> Grouper {
        Grouper {
            detail,
            rules: HashMap::new(),
        }
    }

    /// Adds one finding to its group.
    pub fn add(&mut self, f: &Finding) {
        let r = self.rules.entry(f.rule.id.clone()).or_insert_with(|| RuleGroups {
            rule: f.rule.clone(),
            findings: 0,
            groups: HashMap::new(),
        });
        r.findings += 1;
        r.groups
            .entry((f.principal(), f.key("sourceIPAddress")))
            .or_default()
            .add(f, self.detail);
    }

    /// The rules with findings by level (highest first), then title and id, each with its groups sorted.
    pub fn sections(self) -> Vec<Section> {
        let mut out: Vec<Section> = self
            .rules
            .into_values()
            .map(|r| {
                let mut groups: Vec<(GroupKey, Group)> = r.groups.into_iter().collect();
                groups.sort_by(|(ka, a), (kb, b)| {
                    b.count
                        .cmp(&a.count)
                        .then_with(|| a.first.cmp(&b.first))
                        .then_with(|| ka.cmp(kb))
                });
                Section {
                    rule: r.rule,
                    findings: r.findings,
                    groups,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.rule
                .level
                .cmp(&a.rule.level)
                .then_with(|| a.rule.title.cmp(&b.rule.title))
                .then_with(|| a.rule.id.cmp(&b.rule.id))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_lists_count_what_they_cannot_hold() {
        let mut c: Capped<2> = Capped::default();
        for v in ["b", "a", "b", "", "c", "c", "a"] {
            c.add(v.to_string());
        }
        assert_eq!(c.sorted(), vec!["a", "b"]);
        assert_eq!(c.by_count(), vec![("a", 2), ("b", 2)]);
        assert_eq!(c.unlisted(), 2);
    }
}
