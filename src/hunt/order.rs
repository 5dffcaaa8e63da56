//! The order findings come out in: by event time, then rule id, then finding id, whatever the order the
//! threads of the pass found them in, so two runs of the same hunt write the same lines in the same order
//! and build the same groups, samples and pages. Findings are held as serialised records, in memory up to
//! [`MEMORY_LIMIT`] and then in an unnamed temporary file; only a small sort key per finding stays in
//! memory (about 60 bytes), and findings are rebuilt one at a time as they are written.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::attribution::actor::Actors;
use crate::events::copy_choice::CopyChoice;
use crate::sigma::SigmaError;
use crate::sigma::correlation::CorrType;
use crate::sigma::finding::{CorrelationInfo, Finding};
use crate::sigma::rule::Rule;
use crate::spill::Spill;

/// Serialised findings held in memory before they go to a temporary file.
pub const MEMORY_LIMIT: usize = 64 << 20;

/// Where one finding sorts: event time, rule, finding id; then where its record is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    time: i64,
    rule: Arc<str>,
    id: [u8; 16],
    at: u64,
    len: u32,
    /// Index of the finding's rule in [`Ordered::rules`].
    rule_index: u32,
}

/// A finding as written aside.
#[derive(Serialize)]
struct RecordOut<'a> {
    event: &'a Value,
    object: &'a Option<String>,
    time: Option<i64>,
    correlation: Option<CorrelationOut<'a>>,
}

#[derive(Serialize)]
struct CorrelationOut<'a> {
    kind: &'a str,
    group: &'a [(String, String)],
    count: u64,
    first: Option<i64>,
    events: Vec<(&'a Value, &'a Option<String>)>,
    event_ids: &'a [Option<String>],
    event_names: &'a [(String, u64)],
}

/// A finding as read back.
#[derive(Deserialize)]
struct RecordIn {
    event: Value,
    object: Option<String>,
    time: Option<i64>,
    correlation: Option<CorrelationIn>,
}

#[derive(Deserialize)]
struct CorrelationIn {
    kind: String,
    group: Vec<(String, String)>,
    count: u64,
    first: Option<i64>,
    events: Vec<(Value, Option<String>)>,
    event_ids: Vec<Option<String>>,
    event_names: Vec<(String, u64)>,
}

/// Findings gathered in any order and handed on in the defined one.
pub struct Ordered {
    actors: Actors,
    rules: Vec<Arc<Rule>>,
    rule_index: HashMap<usize, u32>,
    keys: Vec<Key>,
    spill: Spill,
    /// The copies to name, when the pass kept the first copy met of each duplicated event.
    copies: Option<Arc<CopyChoice>>,
}

fn output_error(e: impl std::fmt::Display) -> SigmaError {
    SigmaError::Output(format!("holding findings to order them: {e}"))
}

/// The 16 bytes of a finding id (32 hexadecimal digits).
fn id_bytes(id: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = id
            .get(2 * i..2 * i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or_default();
    }
    out
}

impl Ordered {
    /// An empty set; findings handed on answer their actors from `actors`.
    pub fn new(actors: Actors) -> Ordered {
        Ordered {
            actors,
            rules: Vec::new(),
            rule_index: HashMap::new(),
            keys: Vec::new(),
            spill: Spill::new(MEMORY_LIMIT),
            copies: None,
        }
    }

    /// Names, in the findings handed on, the copy of each duplicated event that `choice` chose (the one
    /// whose object key sorts first), whichever copy the pass kept.
    pub fn name_copies(&mut self, choice: Arc<CopyChoice>) {
        self.copies = Some(choice);
    }

    /// The object to name for an event read from `object`.
    fn object_of(&self, event: &Value, object: Option<String>) -> Option<String> {
        let chosen = self.copies.as_ref().and_then(|c| {
            let id = event.get("eventID").and_then(Value::as_str)?;
            let account = event
                .get("recipientAccountId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            c.chosen_object(id, account)
        });
        chosen.map(|o| o.to_string()).or(object)
    }

    /// Findings held so far.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no finding is held.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Holds one finding.
    pub fn push(&mut self, f: Finding) -> Result<(), SigmaError> {
        let next = self.rules.len() as u32;
        let rule_index = *self
            .rule_index
            .entry(Arc::as_ptr(&f.rule) as usize)
            .or_insert(next);
        if rule_index == next {
            self.rules.push(f.rule.clone());
        }
        let record = RecordOut {
            event: &f.event,
            object: &f.object,
            time: f.time,
            correlation: f.correlation.as_ref().map(|c| CorrelationOut {
                kind: c.kind.as_str(),
                group: &c.group,
                count: c.count,
                first: c.first,
                events: c.events.iter().map(|(e, o)| (e.as_ref(), o)).collect(),
                event_ids: &c.event_ids,
                event_names: &c.event_names,
            }),
        };
        let bytes = serde_json::to_vec(&record).map_err(output_error)?;
        let at = self.spill.push(&bytes).map_err(output_error)?;
        self.keys.push(Key {
            time: f.time.unwrap_or(i64::MIN),
            rule: Arc::from(f.rule.id.as_str()),
            id: id_bytes(&f.id()),
            at,
            len: bytes.len() as u32,
            rule_index,
        });
        Ok(())
    }

    /// Hands every finding held to `sink`, in order.
    pub fn drain(
        mut self,
        sink: &mut dyn FnMut(Finding) -> Result<(), SigmaError>,
    ) -> Result<(), SigmaError> {
        self.spill.seal().map_err(output_error)?;
        let mut keys = std::mem::take(&mut self.keys);
        keys.sort_unstable();
        for k in keys {
            let bytes = self.spill.read(k.at, k.len).map_err(output_error)?;
            let r: RecordIn = serde_json::from_slice(&bytes).map_err(output_error)?;
            let correlation = match r.correlation {
                Some(c) => Some(CorrelationInfo {
                    kind: CorrType::parse(&c.kind)
                        .ok_or_else(|| output_error(format!("correlation type {:?}", c.kind)))?,
                    group: c.group,
                    count: c.count,
                    first: c.first,
                    events: c
                        .events
                        .into_iter()
                        .map(|(e, o)| {
                            let o = self.object_of(&e, o);
                            (Arc::new(e), o)
                        })
                        .collect(),
                    event_ids: c.event_ids,
                    event_names: c.event_names,
                }),
                None => None,
            };
            let object = self.object_of(&r.event, r.object);
            sink(Finding {
                rule: self.rules[k.rule_index as usize].clone(),
                event: Arc::new(r.event),
                object,
                time: r.time,
                correlation,
                actors: self.actors.clone(),
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::sigma::rule::parse_text;

    fn rule(id: &str) -> Arc<Rule> {
        let (rules, _) = parse_text(
            &format!(
                "title: t\nid: {id}\nlogsource: {{product: aws, service: cloudtrail}}\n\
detection:\n  s: {{eventName: X}}\n  condition: s\nlevel: high\n"
            ),
            "test",
        );
        Arc::new(rules.into_iter().next().unwrap())
    }

    fn finding(rule: &Arc<Rule>, id: &str, time: i64) -> Finding {
        Finding {
            rule: rule.clone(),
            event: Arc::new(json!({"eventID": id, "recipientAccountId": "111122223333"})),
            object: Some(format!("o-{id}")),
            time: Some(time),
            correlation: None,
            actors: Actors::default(),
        }
    }

    fn drained(o: Ordered) -> Vec<(String, String, Option<String>)> {
        let mut out = Vec::new();
        o.drain(&mut |f| {
            out.push((
                f.rule.id.clone(),
                f.event["eventID"].as_str().unwrap().to_string(),
                f.object.clone(),
            ));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn findings_come_out_by_time_then_rule_whatever_order_they_went_in() {
        let (a, b) = (rule("a"), rule("b"));
        let all = [
            finding(&b, "e2", 20),
            finding(&a, "e2", 20),
            finding(&a, "e1", 10),
            finding(&b, "e3", 5),
        ];
        let mut outs = Vec::new();
        for rotation in 0..all.len() {
            let mut o = Ordered::new(Actors::default());
            for i in 0..all.len() {
                o.push(all[(i + rotation) % all.len()].clone()).unwrap();
            }
            assert_eq!(o.len(), 4);
            outs.push(drained(o));
        }
        let want = vec![
            ("b".to_string(), "e3".to_string(), Some("o-e3".to_string())),
            ("a".into(), "e1".into(), Some("o-e1".into())),
            ("a".into(), "e2".into(), Some("o-e2".into())),
            ("b".into(), "e2".into(), Some("o-e2".into())),
        ];
        for out in outs {
            assert_eq!(out, want);
        }
    }

    #[test]
    fn correlation_findings_come_back_whole() {
        let r = rule("c");
        let mut f = finding(&r, "e9", 30);
        f.correlation = Some(CorrelationInfo {
            kind: CorrType::ValueCount,
            group: vec![("userIdentity.arn".into(), "arn:x".into())],
            count: 2,
            first: Some(10),
            events: vec![(f.event.clone(), Some("o1".into()))],
            event_ids: vec![Some("e1".into()), None, Some("e9".into())],
            event_names: vec![("X".into(), 3)],
        });
        let want = f.to_json();
        let mut o = Ordered::new(Actors::default());
        o.push(f).unwrap();
        let mut got = Vec::new();
        o.drain(&mut |f| {
            got.push(f.to_json());
            Ok(())
        })
        .unwrap();
        assert_eq!(got, vec![want]);
    }

    #[test]
    fn findings_past_the_memory_limit_are_read_back_from_the_file() {
        let r = rule("big");
        let padding = "x".repeat(1 << 20);
        let mut o = Ordered::new(Actors::default());
        let n = MEMORY_LIMIT / (1 << 20) + 8;
        for i in (0..n).rev() {
            let mut f = finding(&r, &format!("e{i:04}"), i as i64);
            f.event = Arc::new(json!({"eventID": format!("e{i:04}"), "pad": padding}));
            o.push(f).unwrap();
        }
        assert!(o.spill.on_disk());
        let ids: Vec<String> = drained(o).into_iter().map(|(_, id, _)| id).collect();
        let want: Vec<String> = (0..n).map(|i| format!("e{i:04}")).collect();
        assert_eq!(ids, want);
    }
}
