//! The compiled rules' functions as they travel in a cluster's plans. Each Sigma function carries its
//! own parameters (the matchers of one item, the path into a JSON column, the event-name gates of a pack),
//! so a function is not found by name on an executor: it is rebuilt from these parameters, and then
//! matches exactly as the client's copy does.

use std::sync::Arc;

use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::ScalarUDF;
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::name_gate::{NameGate, NameIndex, NamedByRules};
use super::pattern::{Cidr, Matcher, NumOp, StrOp};
use super::udf::{FieldRef, JsonText, JsonValues, ListField, Match};
use crate::attribution::actor::{ACTOR_FUNCTION, ActorMap, Actors, actor_udf, actors_of_udf};

#[derive(Debug, Serialize, Deserialize)]
enum WireMatcher {
    Null,
    Exists(bool),
    Str { op: u8, needle: String, cased: bool },
    Regex { source: String, label: String },
    Cidr(String),
    Num { op: u8, value: f64 },
    Never,
}

#[derive(Debug, Serialize, Deserialize)]
enum WireGate {
    Any,
    Test {
        matchers: Vec<Vec<WireMatcher>>,
        all: bool,
    },
    And(Vec<WireGate>),
    Or(Vec<WireGate>),
}

#[derive(Debug, Serialize, Deserialize)]
enum WireUdf {
    JsonValues(Vec<String>),
    ListField(String),
    JsonText,
    Match {
        groups: Vec<Vec<WireMatcher>>,
        all: bool,
    },
    FieldRef {
        op: u8,
        cased: bool,
    },
    NamedByRules(Vec<WireGate>),
    /// The actor function with the run's actors.
    Actor(Box<ActorMap>),
}

const STR_OPS: [StrOp; 4] = [StrOp::Equals, StrOp::Contains, StrOp::StartsWith, StrOp::EndsWith];
const NUM_OPS: [NumOp; 4] = [NumOp::Gt, NumOp::Gte, NumOp::Lt, NumOp::Lte];

fn str_op(op: StrOp) -> u8 {
    STR_OPS.iter().position(|o| *o == op).unwrap_or_default() as u8
}

fn num_op(op: NumOp) -> u8 {
    NUM_OPS.iter().position(|o| *o == op).unwrap_or_default() as u8
}

fn bad(what: &str) -> DataFusionError {
    DataFusionError::Plan(format!("unreadable Sigma function in the plan: {what}"))
}

fn matcher_wire(m: &Matcher) -> WireMatcher {
    match m {
        Matcher::Null => WireMatcher::Null,
        Matcher::Exists(b) => WireMatcher::Exists(*b),
        Matcher::Str { op, needle, cased } => WireMatcher::Str {
            op: str_op(*op),
            needle: needle.clone(),
            cased: *cased,
        },
        Matcher::Regex(re, label) => WireMatcher::Regex {
            source: re.as_str().to_string(),
            label: label.clone(),
        },
        Matcher::Cidr(c) => WireMatcher::Cidr(c.text()),
        Matcher::Num(op, v) => WireMatcher::Num {
            op: num_op(*op),
            value: *v,
        },
        Matcher::Never => WireMatcher::Never,
    }
}

fn matcher_of(w: WireMatcher) -> Result<Matcher> {
    Ok(match w {
        WireMatcher::Null => Matcher::Null,
        WireMatcher::Exists(b) => Matcher::Exists(b),
        WireMatcher::Str { op, needle, cased } => Matcher::Str {
            op: *STR_OPS.get(op as usize).ok_or_else(|| bad("string comparison"))?,
            needle,
            cased,
        },
        WireMatcher::Regex { source, label } => {
            Matcher::Regex(Regex::new(&source).map_err(|e| bad(&e.to_string()))?, label)
        }
        WireMatcher::Cidr(text) => Matcher::Cidr(Cidr::parse(&text).ok_or_else(|| bad(&text))?),
        WireMatcher::Num { op, value } => Matcher::Num(
            *NUM_OPS
                .get(op as usize)
                .ok_or_else(|| bad("numeric comparison"))?,
            value,
        ),
        WireMatcher::Never => Matcher::Never,
    })
}

fn groups_wire(groups: &[Vec<Matcher>]) -> Vec<Vec<WireMatcher>> {
    groups
        .iter()
        .map(|g| g.iter().map(matcher_wire).collect())
        .collect()
}

fn groups_of(groups: Vec<Vec<WireMatcher>>) -> Result<Vec<Vec<Matcher>>> {
    groups
        .into_iter()
        .map(|g| g.into_iter().map(matcher_of).collect())
        .collect()
}

fn gate_wire(g: &NameGate) -> WireGate {
    match g {
        NameGate::Any => WireGate::Any,
        NameGate::Test { matchers, all } => WireGate::Test {
            matchers: groups_wire(matchers),
            all: *all,
        },
        NameGate::And(parts) => WireGate::And(parts.iter().map(gate_wire).collect()),
        NameGate::Or(parts) => WireGate::Or(parts.iter().map(gate_wire).collect()),
    }
}

fn gate_of(w: WireGate) -> Result<NameGate> {
    Ok(match w {
        WireGate::Any => NameGate::Any,
        WireGate::Test { matchers, all } => NameGate::Test {
            matchers: groups_of(matchers)?,
            all,
        },
        WireGate::And(parts) => NameGate::And(parts.into_iter().map(gate_of).collect::<Result<_>>()?),
        WireGate::Or(parts) => NameGate::Or(parts.into_iter().map(gate_of).collect::<Result<_>>()?),
    })
}

/// The parameters of a Sigma function, or `None` for any other function (found by name).
pub fn encode_udf(udf: &ScalarUDF) -> Result<Option<Vec<u8>>> {
    let inner = udf.inner();
    let wire = if let Some(f) = inner.downcast_ref::<JsonValues>() {
        WireUdf::JsonValues(f.path().to_vec())
    } else if let Some(f) = inner.downcast_ref::<ListField>() {
        WireUdf::ListField(f.member().to_string())
    } else if inner.downcast_ref::<JsonText>().is_some() {
        WireUdf::JsonText
    } else if let Some(f) = inner.downcast_ref::<Match>() {
        let (groups, all) = f.parts();
        WireUdf::Match {
            groups: groups_wire(groups),
            all,
        }
    } else if let Some(f) = inner.downcast_ref::<FieldRef>() {
        let (op, cased) = f.parts();
        WireUdf::FieldRef {
            op: str_op(op),
            cased,
        }
    } else if let Some(f) = inner.downcast_ref::<NamedByRules>() {
        WireUdf::NamedByRules(f.gates().iter().map(gate_wire).collect())
    } else if let Some(actors) = actors_of_udf(udf) {
        WireUdf::Actor(Box::new((*actors.map()).clone()))
    } else {
        return Ok(None);
    };
    serde_json::to_vec(&wire)
        .map(Some)
        .map_err(|e| DataFusionError::Internal(format!("cannot encode a Sigma function: {e}")))
}

/// Rebuilds a Sigma function from its parameters; `None` when `name` is not one.
pub fn decode_udf(name: &str, buf: &[u8]) -> Option<Result<Arc<ScalarUDF>>> {
    if !(name.starts_with("sigma_") || name == "ctscan_named_by_rules" || name == ACTOR_FUNCTION)
        || buf.is_empty()
    {
        return None;
    }
    Some((|| {
        let wire: WireUdf = serde_json::from_slice(buf).map_err(|e| bad(&e.to_string()))?;
        let udf = match wire {
            WireUdf::JsonValues(path) => ScalarUDF::new_from_impl(JsonValues::new(path)),
            WireUdf::ListField(member) => ScalarUDF::new_from_impl(ListField::new(member)),
            WireUdf::JsonText => ScalarUDF::new_from_impl(JsonText::new()),
            WireUdf::Match { groups, all } => ScalarUDF::new_from_impl(Match::new(groups_of(groups)?, all)),
            WireUdf::FieldRef { op, cased } => ScalarUDF::new_from_impl(FieldRef::new(
                *STR_OPS.get(op as usize).ok_or_else(|| bad("string comparison"))?,
                cased,
            )),
            WireUdf::NamedByRules(gates) => {
                let gates = gates.into_iter().map(gate_of).collect::<Result<Vec<_>>>()?;
                ScalarUDF::new_from_impl(NamedByRules::new(NameIndex::new(Arc::new(gates))))
            }
            WireUdf::Actor(map) => actor_udf(Actors::of(*map)),
        };
        Ok(Arc::new(udf))
    })())
}

/// The names a rule pack wants whole, rebuilt from a row gate's recipe ([`NamesRecipe::Function`]); `None`
/// for a function that is not the pack's name gate.
///
/// [`NamesRecipe::Function`]: crate::decode::gate::NamesRecipe::Function
pub fn wanted_names(name: &str, parameters: &[u8]) -> Option<Box<dyn crate::decode::gate::WantedNames>> {
    let udf = decode_udf(name, parameters)?.ok()?;
    let named = udf.inner().downcast_ref::<NamedByRules>()?;
    Some(Box::new(named.index()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trip(udf: ScalarUDF) -> Arc<ScalarUDF> {
        let buf = encode_udf(&udf).unwrap().expect("a Sigma function");
        decode_udf(udf.name(), &buf).expect("known").unwrap()
    }

    #[test]
    fn matchers_match_the_same_after_the_trip() {
        let groups = vec![
            vec![Matcher::text(StrOp::StartsWith, "Delete", false)],
            vec![Matcher::Regex(
                Regex::new("(?i)^stop.*logging$").unwrap(),
                "re".into(),
            )],
            vec![Matcher::Cidr(Cidr::parse("10.0.0.0/8").unwrap()), Matcher::Null],
            vec![Matcher::Num(NumOp::Gte, 3.0)],
        ];
        let before = Match::new(groups, false);
        let after = trip(ScalarUDF::new_from_impl(Match::new(
            before.parts().0.to_vec(),
            false,
        )));
        let after = after.inner().downcast_ref::<Match>().unwrap();
        for (value, want) in [
            ("DeleteTrail", true),
            ("StopLogging", true),
            ("10.1.2.3", true),
            ("4", true),
            ("2", false),
            ("CreateTrail", false),
        ] {
            assert_eq!(before.row_matches(std::iter::once(value)), want, "{value}");
            assert_eq!(after.row_matches(std::iter::once(value)), want, "{value}");
        }
    }

    #[test]
    fn other_functions_go_by_name() {
        let udf = datafusion::functions::string::lower();
        assert!(encode_udf(&udf).unwrap().is_none());
        assert!(decode_udf("lower", b"").is_none());
        let path = trip(ScalarUDF::new_from_impl(JsonValues::new(vec![
            "a".into(),
            "b".into(),
        ])));
        assert_eq!(
            path.inner().downcast_ref::<JsonValues>().unwrap().path(),
            ["a", "b"]
        );
    }
}
