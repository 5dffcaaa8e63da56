//! A finding: one rule matching one event (or, for a correlation, one window of events), with the columns a
//! responder reads first and the rule's identity (id, title, level, tags, author).

use std::sync::Arc;

use serde_json::{Value, json};

use super::correlation::CorrType;
use super::event::format_time;
use super::rule::{Level, Rule};
use crate::attribution::Origin;
use crate::attribution::actor::{Actors, Identity};
use crate::source::evidence::sha256_hex;

/// Most events a correlation finding lists whole in JSON output; every event of its window is still named
/// by id (`correlation.eventIDs`), so output stays small however large the window.
pub const LISTED_EVENTS: usize = 20;

/// The key columns of a finding, in output order: (output name, path in the event).
pub const KEY_COLUMNS: &[(&str, &str)] = &[
    ("eventTime", "eventTime"),
    ("account", "recipientAccountId"),
    ("region", "awsRegion"),
    ("eventSource", "eventSource"),
    ("eventName", "eventName"),
    ("errorCode", "errorCode"),
    ("principalArn", "userIdentity.arn"),
    ("principalType", "userIdentity.type"),
    ("accessKeyId", "userIdentity.accessKeyId"),
    ("sourceIPAddress", "sourceIPAddress"),
    ("userAgent", "userAgent"),
    ("eventID", "eventID"),
];

/// What a correlation finding adds.
#[derive(Debug, Clone)]
pub struct CorrelationInfo {
    /// The correlation type.
    pub kind: CorrType,
    /// Group-by field → value.
    pub group: Vec<(String, String)>,
    /// The count that met the condition (events, or distinct values).
    pub count: u64,
    /// Time of the first event of the window.
    pub first: Option<i64>,
    /// The events listed whole, with their objects: at most [`LISTED_EVENTS`] of the window, in window
    /// order, always the first, the last and the one that fired (see [`listed_positions`]).
    pub events: Vec<(Arc<Value>, Option<String>)>,
    /// The `eventID` of every event of the window, in window order (`None` for an event without one).
    pub event_ids: Vec<Option<String>>,
    /// The event names of the whole window with their counts, most frequent first.
    pub event_names: Vec<(String, u64)>,
}

/// Which events of a window of `n` a correlation finding lists whole: the first, the last and the one
/// that fired, then the earliest others up to [`LISTED_EVENTS`], in window order. Only these are read
/// whole, so a window of any size costs at most [`LISTED_EVENTS`] events.
pub fn listed_positions(n: usize, fired: usize) -> Vec<usize> {
    let mut keep = vec![false; n];
    for i in [
        (n > 0).then_some(0),
        n.checked_sub(1),
        (fired < n).then_some(fired),
    ]
    .into_iter()
    .flatten()
    {
        keep[i] = true;
    }
    let mut room = LISTED_EVENTS.saturating_sub(keep.iter().filter(|k| **k).count());
    for k in keep.iter_mut() {
        if room == 0 {
            break;
        }
        if !*k {
            *k = true;
            room -= 1;
        }
    }
    keep.iter()
        .enumerate()
        .filter(|(_, k)| **k)
        .map(|(i, _)| i)
        .collect()
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule that fired.
    pub rule: Arc<Rule>,
    /// The event (for a correlation: the last event of the window).
    pub event: Arc<Value>,
    /// The object the event came from.
    pub object: Option<String>,
    /// Event time in microseconds.
    pub time: Option<i64>,
    /// Set for correlation findings.
    pub correlation: Option<CorrelationInfo>,
    /// The run's actors, which name who is behind each event.
    pub actors: Actors,
}

/// A value at a dotted path of an event, as text ("" when absent).
pub fn get_text(event: &Value, path: &str) -> String {
    let mut v = event;
    for part in path.split('.') {
        match v.get(part) {
            Some(x) => v = x,
            None => return String::new(),
        }
    }
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A key column's value in one event ("" when absent); the account falls back to the caller's account.
pub fn key_of(event: &Value, path: &str) -> String {
    let v = get_text(event, path);
    if v.is_empty() && path == "recipientAccountId" {
        return get_text(event, "userIdentity.accountId");
    }
    v
}

/// The actor of one JSON event, from a run's resolved chains.
pub fn actor_of(actors: &Actors, event: &Value) -> Option<(Origin, u32)> {
    actors.map().actor(&Identity::of_event(event))
}

/// `{"type", "arn", "hops"}` of an actor, or null.
pub fn actor_json(a: Option<(Origin, u32)>) -> Value {
    match a {
        Some((o, hops)) => json!({"type": o.kind, "arn": o.arn, "hops": hops}),
        None => Value::Null,
    }
}

impl Finding {
    /// The rule's level.
    pub fn level(&self) -> Level {
        self.rule.level
    }

    /// A key column's value.
    pub fn key(&self, path: &str) -> String {
        key_of(&self.event, path)
    }

    /// Who the finding is about: the principal ARN, or for a correlation the values of its group-by fields
    /// (joined by ", "). "" when absent.
    pub fn principal(&self) -> String {
        match &self.correlation {
            Some(c) => c
                .group
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            None => self.key("userIdentity.arn"),
        }
    }

    /// The actor behind the finding's event: the origin of its credential chain and the hops from it.
    pub fn actor(&self) -> Option<(Origin, u32)> {
        actor_of(&self.actors, &self.event)
    }

    /// A stable id: the same finding gets the same id in every run over the same events, whichever copy of
    /// a duplicate delivery was read, so a consumer can drop repeats across runs. It is derived from the
    /// rule and the event (`recipientAccountId` and `eventID`, or the whole event when it has no id), or
    /// for a correlation from the rule, its group and the start of its window.
    pub fn id(&self) -> String {
        let mut text = format!("{}\u{0}", self.rule.id);
        match &self.correlation {
            Some(c) => {
                for (k, v) in &c.group {
                    text.push_str(&format!("{k}={v}\u{0}"));
                }
                text.push_str(&c.first.unwrap_or_default().to_string());
            }
            None => match self.event.get("eventID").and_then(Value::as_str) {
                Some(id) if !id.is_empty() => {
                    text.push_str(&format!("{}\u{0}{id}", key_of(&self.event, "recipientAccountId")))
                }
                _ => text.push_str(&self.event.to_string()),
            },
        }
        sha256_hex(text.as_bytes())[..32].to_string()
    }

    /// How many events the finding covers: one, or a correlation's whole window.
    pub fn event_count(&self) -> u64 {
        self.correlation.as_ref().map_or(1, |c| c.event_ids.len() as u64)
    }

    /// Time of the first event in microseconds (a plain finding has one event).
    pub fn first_time(&self) -> Option<i64> {
        self.correlation.as_ref().and_then(|c| c.first).or(self.time)
    }

    /// The events the finding holds whole, with their objects: the one event, or those a correlation lists.
    pub fn events(&self) -> Vec<(&Value, Option<&str>)> {
        match &self.correlation {
            Some(c) => c.events.iter().map(|(e, o)| (e.as_ref(), o.as_deref())).collect(),
            None => vec![(self.event.as_ref(), self.object.as_deref())],
        }
    }

    /// The finding as one JSON object: rule identity, key columns, object, and the event(s).
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("findingId".into(), json!(self.id()));
        m.insert("ruleId".into(), json!(self.rule.id));
        m.insert("ruleTitle".into(), json!(self.rule.title));
        m.insert("level".into(), json!(self.rule.level.as_str()));
        m.insert("tags".into(), json!(self.rule.tags));
        m.insert("author".into(), json!(self.rule.author));
        for (name, path) in KEY_COLUMNS {
            let v = self.key(path);
            m.insert((*name).into(), if v.is_empty() { Value::Null } else { json!(v) });
        }
        m.insert("actor".into(), actor_json(self.actor()));
        m.insert("object".into(), json!(self.object));
        match &self.correlation {
            None => {
                m.insert("event".into(), (*self.event).clone());
            }
            Some(c) => {
                let group: serde_json::Map<String, Value> =
                    c.group.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                let ids: Vec<Value> = c.event_ids.iter().map(|id| json!(id)).collect();
                m.insert(
                    "correlation".into(),
                    json!({
                        "type": c.kind.as_str(),
                        "group": group,
                        "count": c.count,
                        "first": c.first.map(format_time),
                        "last": self.time.map(format_time),
                        "eventCount": c.event_ids.len(),
                        "eventIDs": ids,
                    }),
                );
                m.insert(
                    "events".into(),
                    Value::Array(
                        c.events
                            .iter()
                            .map(|(e, o)| json!({"object": o, "event": e.as_ref()}))
                            .collect(),
                    ),
                );
            }
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::rule::parse_text;

    fn event(i: usize) -> Arc<Value> {
        Arc::new(json!({"eventID": format!("e{i}"), "eventTime": "2026-03-03T10:00:00Z"}))
    }

    #[test]
    fn a_window_lists_first_last_and_firing_events_in_order_and_no_more() {
        let listed = listed_positions(100, 57);
        assert_eq!(listed.len(), LISTED_EVENTS);
        for must in [0, 57, 99] {
            assert!(listed.contains(&must), "{listed:?}");
        }
        assert!(listed.windows(2).all(|w| w[0] < w[1]), "{listed:?}");
        assert_eq!(listed_positions(3, 1), vec![0, 1, 2]);
        assert_eq!(listed_positions(1, 0), vec![0]);
        assert!(listed_positions(0, 0).is_empty());
    }

    #[test]
    fn a_large_window_names_every_event_and_lists_only_the_chosen_ones() {
        let (rules, _) = parse_text(
            "title: t\nid: r\nlogsource: {product: aws, service: cloudtrail}\n\
detection:\n  s: {eventName: X}\n  condition: s\nlevel: high\n",
            "test",
        );
        let chosen = listed_positions(100, 57);
        let events: Vec<(Arc<Value>, Option<String>)> = chosen.iter().map(|&i| (event(i), None)).collect();
        let f = Finding {
            rule: Arc::new(rules.into_iter().next().unwrap()),
            event: event(57),
            object: None,
            time: None,
            correlation: Some(CorrelationInfo {
                kind: CorrType::EventCount,
                group: vec![("userIdentity.arn".into(), "a".into())],
                count: 100,
                first: None,
                events,
                event_ids: (0..100).map(|i| Some(format!("e{i}"))).collect(),
                event_names: vec![("X".into(), 100)],
            }),
            actors: Actors::default(),
        };
        assert_eq!(f.event_count(), 100);
        let j = f.to_json();
        let listed: Vec<&str> = j["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"]["eventID"].as_str().unwrap())
            .collect();
        assert_eq!(listed.len(), LISTED_EVENTS);
        assert!(listed.contains(&"e57"), "{listed:?}");
        assert_eq!(j["correlation"]["eventCount"], 100);
        let ids = j["correlation"]["eventIDs"].as_array().unwrap();
        assert_eq!(ids.len(), 100);
        assert_eq!(ids[99], "e99");
    }
}
