//! The `detection` section of a rule: named selections (maps of field conditions, or lists of them) and
//! the condition that combines them.

use std::collections::BTreeMap;

use serde_norway::Value as Yaml;

use super::condition::{self, Cond};
use super::error::{SigmaError, invalid};
use super::modifier::{Modifiers, Value};
use super::pattern::{Matcher, StrOp};

/// One `field|modifiers: values` entry of a selection.
#[derive(Debug, Clone)]
pub struct Item {
    /// The field path as written (`requestParameters.bucketName`).
    pub field: String,
    /// What the values compare with.
    pub test: ItemTest,
}

/// The comparison one detection item makes.
#[derive(Debug, Clone)]
pub enum ItemTest {
    /// Values: the field matches any matcher (or, with `all`, every one).
    Values {
        /// One list per value written (`base64offset` yields several matchers for one value).
        matchers: Vec<Vec<Matcher>>,
        /// Whether every value must match.
        all: bool,
        /// The values as written, for messages.
        written: Vec<String>,
    },
    /// `fieldref`: the field compares with another field's value.
    FieldRef {
        /// The other fields (any of them).
        others: Vec<String>,
        /// The comparison.
        op: StrOp,
        /// Keep case.
        cased: bool,
    },
}

/// A selection: OR of AND-ed item groups, or field-less keywords.
#[derive(Debug, Clone)]
pub enum Selection {
    /// A map (one group) or a list of maps (any group): every item of a group must match.
    Groups(Vec<Vec<Item>>),
    /// A list of plain values searched in the whole event.
    Keywords(Vec<Matcher>),
}

/// A parsed `detection` section.
#[derive(Debug, Clone)]
pub struct Detection {
    /// Selections by name.
    pub selections: BTreeMap<String, Selection>,
    /// The condition (several conditions are OR-ed).
    pub condition: Cond,
    /// A Sigma 1 aggregation (`selection | count() by x > 5`), turned into a correlation by the loader.
    pub aggregation: Option<condition::Aggregation>,
}

/// A YAML scalar as a detection value.
pub fn scalar(v: &Yaml) -> Result<Value, SigmaError> {
    Ok(match v {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Plain(b.to_string()),
        Yaml::Number(n) => Value::Plain(n.to_string()),
        Yaml::String(s) => Value::Str(s.clone()),
        Yaml::Tagged(t) => return scalar(&t.value),
        other => return Err(invalid(format!("expected a value, found {other:?}"))),
    })
}

fn item(key: &str, value: &Yaml) -> Result<Item, SigmaError> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default().trim().to_string();
    let names: Vec<&str> = parts.collect();
    let mods = Modifiers::parse(&names).map_err(|e| match e {
        SigmaError::Invalid(m) => invalid(format!("{key}: {m}")),
        e => e,
    })?;
    if field.is_empty() {
        return Err(SigmaError::Unsupported(format!(
            "{key}: a detection item without a field name"
        )));
    }
    let values: Vec<Value> = match value {
        Yaml::Sequence(seq) => seq.iter().map(scalar).collect::<Result<_, _>>()?,
        v => vec![scalar(v)?],
    };
    if let Some(op) = mods.fieldref() {
        let others = values
            .iter()
            .map(|v| match v {
                Value::Str(s) | Value::Plain(s) => Ok(s.clone()),
                Value::Null => Err(invalid(format!("{key}: fieldref needs a field name"))),
            })
            .collect::<Result<_, _>>()?;
        return Ok(Item {
            field,
            test: ItemTest::FieldRef {
                others,
                op,
                cased: mods.cased(),
            },
        });
    }
    let matchers = values
        .iter()
        .map(|v| mods.matchers(v).map_err(|e| invalid(format!("{key}: {e}"))))
        .collect::<Result<_, _>>()?;
    let written = values
        .iter()
        .map(|v| match v {
            Value::Str(s) | Value::Plain(s) => s.clone(),
            Value::Null => "null".to_string(),
        })
        .collect();
    Ok(Item {
        field,
        test: ItemTest::Values {
            matchers,
            all: mods.all(),
            written,
        },
    })
}

fn group(map: &serde_norway::Mapping) -> Result<Vec<Item>, SigmaError> {
    map.iter()
        .map(|(k, v)| {
            let k = k
                .as_str()
                .ok_or_else(|| invalid(format!("field names are strings, found {k:?}")))?;
            item(k, v)
        })
        .collect()
}

/// Parses one named selection (a map, a list of maps, or keywords).
pub fn selection(name: &str, v: &Yaml) -> Result<Selection, SigmaError> {
    match v {
        Yaml::Mapping(m) => Ok(Selection::Groups(vec![group(m)?])),
        Yaml::Sequence(seq) if seq.iter().all(|x| matches!(x, Yaml::Mapping(_))) && !seq.is_empty() => {
            Ok(Selection::Groups(
                seq.iter()
                    .filter_map(Yaml::as_mapping)
                    .map(group)
                    .collect::<Result<_, _>>()?,
            ))
        }
        Yaml::Sequence(seq) => {
            let mods = Modifiers::parse(&["contains"])?;
            let mut out = Vec::new();
            for x in seq {
                out.extend(mods.matchers(&scalar(x)?)?);
            }
            Ok(Selection::Keywords(out))
        }
        Yaml::String(_) | Yaml::Number(_) => Ok(Selection::Keywords(
            Modifiers::parse(&["contains"])?.matchers(&scalar(v)?)?,
        )),
        other => Err(invalid(format!("selection {name}: unexpected {other:?}"))),
    }
}

impl Detection {
    /// Parses a `detection` mapping.
    pub fn parse(v: &Yaml) -> Result<Detection, SigmaError> {
        let map = v
            .as_mapping()
            .ok_or_else(|| invalid("detection must be a mapping"))?;
        let mut selections = BTreeMap::new();
        let mut conditions: Vec<String> = Vec::new();
        for (k, v) in map {
            let k = k.as_str().ok_or_else(|| invalid("selection names are strings"))?;
            match k {
                "condition" => match v {
                    Yaml::String(s) => conditions.push(s.clone()),
                    Yaml::Sequence(seq) => {
                        for c in seq {
                            conditions.push(
                                c.as_str()
                                    .ok_or_else(|| invalid("conditions are strings"))?
                                    .to_string(),
                            );
                        }
                    }
                    _ => return Err(invalid("condition must be a string")),
                },
                // Sigma 1 put the aggregation window here; the loader reads it from the rule too.
                "timeframe" => {}
                name => {
                    selections.insert(name.to_string(), selection(name, v)?);
                }
            }
        }
        if conditions.is_empty() {
            return Err(invalid("detection has no condition"));
        }
        let names: Vec<&str> = selections.keys().map(String::as_str).collect();
        let mut conds = Vec::new();
        let mut aggregation = None;
        for text in &conditions {
            let (cond, agg) = condition::parse(text, &names)?;
            if agg.is_some() {
                if conditions.len() > 1 {
                    return Err(SigmaError::Unsupported(
                        "an aggregation in a list of several conditions".into(),
                    ));
                }
                aggregation = agg;
            }
            conds.push(cond);
        }
        let condition = if conds.len() == 1 {
            conds.remove(0)
        } else {
            Cond::Or(conds)
        };
        Ok(Detection {
            selections,
            condition,
            aggregation,
        })
    }
}
