//! Rule test events (`ctscan rules test`): each rule file may have a JSON file of positive events (each must
//! be flagged; for a correlation, together they must fire) and negative events (none may be flagged).
//! Events are written as the members that matter and completed from a plain IAM-user API call, so a test
//! file says what the rule is about and nothing else.
//!
//! ```json
//! {"rule": "optional id (default: the correlation of the file, else its first rule)",
//!  "positive": [{"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging"}],
//!  "negative": [{"eventSource": "cloudtrail.amazonaws.com", "eventName": "StartLogging"},
//!               {"eventName": "GetSecretValue", "_repeat": 40, "_every": "5s"}]}
//! ```
//! `_repeat` makes n copies `_every` seconds apart; a member set to `null` is removed from the base event.

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::dataframe::DataFrame;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use serde_json::{Value, json};

use super::engine::{Engine, HuntSource, ReadPlan};
use super::error::{SigmaError, invalid};
use super::finding::Finding;
use super::rule::{Rule, RuleKind, parse_timespan};
use super::select::{Filters, select};
use crate::decode::{BatchBuilder, Provenance, decode_object};
use crate::source::window::Scope;

/// The test events of one rule.
#[derive(Debug, Clone)]
pub struct TestCase {
    /// The rule under test.
    pub rule: Option<String>,
    /// Events that must be flagged.
    pub positive: Vec<Value>,
    /// Events that must not be flagged.
    pub negative: Vec<Value>,
}

/// The outcome of testing one rule.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The rule id.
    pub rule: String,
    /// The rule title.
    pub title: String,
    /// Problems (empty: pass).
    pub failures: Vec<String>,
}

fn base_event() -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDATESTUSER", "arn": "arn:aws:iam::111122223333:user/alice",
                         "accountId": "111122223333", "accessKeyId": "AKIATESTKEY", "userName": "alice"},
        "eventTime": "2026-03-03T10:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "ListUsers",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
        "requestParameters": null,
        "responseElements": null,
        "requestID": "11111111-2222-3333-4444-555555555555",
        "eventID": "",
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management"
    })
}

fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(k);
                } else if let Some(slot) = b.get_mut(k)
                    && slot.is_object()
                    && v.is_object()
                {
                    merge(slot, v);
                } else {
                    b.insert(k.clone(), v.clone());
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Completes the written events: base members, `_repeat`/`_every`, distinct times and event ids.
pub fn expand(events: &[Value], label: &str) -> Result<Vec<Value>, SigmaError> {
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-03T10:00:00Z").expect("valid time");
    let mut out = Vec::new();
    let mut clock = 0i64;
    for e in events {
        let repeat = e.get("_repeat").and_then(Value::as_u64).unwrap_or(1);
        let every_ms = match e.get("_every").and_then(Value::as_str) {
            Some(s) => parse_timespan(s)?,
            None => 1000,
        };
        let mut written = e.clone();
        if let Some(m) = written.as_object_mut() {
            m.remove("_repeat");
            m.remove("_every");
        }
        for k in 0..repeat {
            let mut ev = base_event();
            let t = start + chrono::Duration::milliseconds(clock);
            ev["eventTime"] = json!(
                t.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            merge(&mut ev, &written);
            if ev
                .get("eventID")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
                || repeat > 1
            {
                ev["eventID"] = json!(format!("{label}-{}", out.len()));
            }
            out.push(ev);
            clock += if k + 1 < repeat { every_ms } else { 1000 };
        }
    }
    Ok(out)
}

/// Parses a test file.
pub fn parse(text: &str) -> Result<TestCase, SigmaError> {
    let v: Value = serde_json::from_str(text).map_err(|e| invalid(format!("test events: {e}")))?;
    let list = |k: &str| v.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
    Ok(TestCase {
        rule: v.get("rule").and_then(Value::as_str).map(String::from),
        positive: list("positive"),
        negative: list("negative"),
    })
}

/// The rule a test file is about, among the rules of its rule file.
pub fn subject<'a>(case: &TestCase, file_rules: &'a [Rule]) -> Option<&'a Rule> {
    match &case.rule {
        Some(id) => file_rules
            .iter()
            .find(|r| &r.id == id || r.name.as_ref() == Some(id)),
        None => file_rules
            .iter()
            .find(|r| matches!(r.kind, RuleKind::Correlation(_)))
            .or_else(|| file_rules.first()),
    }
}

/// Test events held in memory, read whole.
struct MemSource(Arc<MemTable>);

#[async_trait::async_trait]
impl HuntSource for MemSource {
    async fn events(&self, _plan: &ReadPlan) -> Result<DataFrame, SigmaError> {
        Ok(SessionContext::new().read_table(self.0.clone())?)
    }
    fn gates(&self) -> bool {
        true
    }
    async fn count(&self) -> Result<u64, SigmaError> {
        Ok(0)
    }
    async fn fetch(&self, _objects: BTreeSet<String>) -> Result<DataFrame, SigmaError> {
        Ok(SessionContext::new().read_table(self.0.clone())?)
    }
}

/// Runs rules over in-memory events and returns the findings.
pub async fn run_events(engine: &Engine, events: &[Value]) -> Result<Vec<Finding>, SigmaError> {
    let doc = json!({ "Records": events }).to_string().into_bytes();
    let mut builder = BatchBuilder::new(None, Scope::default());
    let prov = Provenance {
        key: "test-events.json",
        log: None,
    };
    decode_object(doc, &prov, &mut builder, 1 << 30).map_err(|e| invalid(format!("test events: {e}")))?;
    let batch = builder.finish()?;
    let source = MemSource(Arc::new(MemTable::try_new(batch.schema(), vec![vec![batch]])?));
    let mut found = Vec::new();
    engine
        .run(&source, &mut |f| {
            found.push(f);
            Ok(())
        })
        .await?;
    Ok(found)
}

/// Tests one rule (with every loaded rule available as a correlation base).
pub async fn test_rule(rule: &Rule, all: &[Rule], case: &TestCase) -> Outcome {
    let mut outcome = Outcome {
        rule: rule.id.clone(),
        title: rule.title.clone(),
        failures: Vec::new(),
    };
    let filters = Filters {
        include: vec![rule.id.clone()],
        ..Filters::default()
    };
    let (chosen, problems) = select(all.to_vec(), &filters);
    outcome.failures.extend(
        problems
            .into_iter()
            .filter(|p| p.reason.contains(&rule.id))
            .map(|p| p.reason),
    );
    let (engine, problems) = Engine::new(chosen, Vec::new());
    outcome.failures.extend(problems.into_iter().map(|p| p.reason));
    if !outcome.failures.is_empty() {
        return outcome;
    }
    if case.positive.is_empty() {
        outcome.failures.push("no positive test events".into());
    }
    if case.negative.is_empty() {
        outcome.failures.push("no negative test events".into());
    }
    let is_corr = matches!(rule.kind, RuleKind::Correlation(_));
    for (label, events, want) in [
        ("positive", &case.positive, true),
        ("negative", &case.negative, false),
    ] {
        let events = match expand(events, label) {
            Ok(e) => e,
            Err(e) => {
                outcome.failures.push(e.to_string());
                continue;
            }
        };
        if events.is_empty() {
            continue;
        }
        let findings = match run_events(&engine, &events).await {
            Ok(f) => f,
            Err(e) => {
                outcome.failures.push(format!("{label} events: {e}"));
                continue;
            }
        };
        let mine: Vec<&Finding> = findings.iter().filter(|f| f.rule.id == rule.id).collect();
        if is_corr {
            match (want, mine.len()) {
                (true, 0) => outcome
                    .failures
                    .push("positive events did not fire the correlation".into()),
                (false, n) if n > 0 => outcome
                    .failures
                    .push(format!("negative events fired the correlation {n} time(s)")),
                _ => {}
            }
            continue;
        }
        let flagged: BTreeSet<String> = mine.iter().map(|f| f.key("eventID")).collect();
        for e in &events {
            let id = e.get("eventID").and_then(Value::as_str).unwrap_or_default();
            let hit = flagged.contains(id);
            if hit != want {
                outcome.failures.push(format!(
                    "{label} event {id} ({}) was {}",
                    e.get("eventName").and_then(Value::as_str).unwrap_or_default(),
                    if hit { "flagged" } else { "not flagged" }
                ));
            }
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion() {
        let ev = expand(
            &[json!({"eventName": "X", "_repeat": 3, "_every": "5s", "userIdentity": {"type": "Root", "userName": null}})],
            "p",
        )
        .unwrap();
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[1]["eventTime"], "2026-03-03T10:00:05Z");
        assert_eq!(ev[2]["eventID"], "p-2");
        assert_eq!(ev[0]["userIdentity"]["type"], "Root");
        assert!(ev[0]["userIdentity"].get("userName").is_none());
        assert_eq!(ev[0]["userIdentity"]["accountId"], "111122223333");
    }
}
