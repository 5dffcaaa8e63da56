//! Sigma field paths on the events schema: `eventName` is a column, `userIdentity.sessionContext.
//! sessionIssuer.arn` walks struct members, `resources.ARN` reads a member of every array element, and
//! `requestParameters.bucketName` reads inside a JSON-text column. A field the schema does not name is
//! looked up in the `extras` JSON, where the decoder keeps unknown record members.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::{Expr, ScalarUDF};
use datafusion::prelude::{cast, ident, lit};
use datafusion::scalar::ScalarValue;

use super::udf::{JsonText, JsonValues, ListField};
use crate::schema::{self, EXTRAS};

/// Record members kept as JSON text, whose insides any path may reach.
const JSON_MEMBERS: &[&str] = &[
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "serviceEventDetails",
    "insightDetails",
    "addendum",
    "edgeDeviceDetails",
    "webIdFederationData",
    "inScopeOf",
];

/// Where a field's values come from, and how costly they are to read.
#[derive(Debug, Clone)]
pub struct FieldValues {
    /// An expression yielding Utf8 (one value or NULL) or List<Utf8> (any number of values).
    pub expr: Expr,
    /// Relative cost: plain columns 0, struct members 1, arrays 2, JSON parsing 3.
    pub cost: u8,
    /// Whether the path exists in the CloudTrail schema (false: read from `extras`, or never present).
    pub known: bool,
}

fn json_values(base: Expr, path: &[&str]) -> Expr {
    let udf = ScalarUDF::new_from_impl(JsonValues::new(path.iter().map(|s| s.to_string()).collect()));
    Arc::new(udf).call(vec![base])
}

/// The field name of an event's actor (the origin of its credential chain), e.g. for `group-by: [actor]`.
pub const ACTOR: &str = "actor";

/// Resolves a dotted Sigma field path.
pub fn resolve(path: &str) -> FieldValues {
    if path == ACTOR {
        return FieldValues {
            // Bound to the run's actors by the engine (see `attribution::actor::bind_actors`).
            expr: crate::attribution::actor::actor_expr(&crate::attribution::actor::Actors::default()),
            cost: 1,
            known: true,
        };
    }
    let parts: Vec<&str> = path.split('.').collect();
    let full = schema::events_schema();
    let Ok(top) = full.field_with_name(parts[0]) else {
        return FieldValues {
            expr: json_values(ident(EXTRAS), &parts),
            cost: 3,
            known: false,
        };
    };
    let mut expr = ident(parts[0]);
    let mut dt = top.data_type().clone();
    let mut cost = 0u8;
    for (i, part) in parts.iter().enumerate().skip(1) {
        match &dt {
            DataType::Struct(children) => match children.find(part) {
                Some((_, child)) => {
                    expr = get_field(expr, *part);
                    dt = child.data_type().clone();
                    cost = cost.max(1);
                }
                None => {
                    return FieldValues {
                        expr: lit(ScalarValue::Utf8(None)),
                        cost: 0,
                        known: false,
                    };
                }
            },
            DataType::List(item) => {
                let DataType::Struct(children) = item.data_type() else {
                    break;
                };
                let Some((_, child)) = children.find(part) else {
                    return FieldValues {
                        expr: lit(ScalarValue::Utf8(None)),
                        cost: 0,
                        known: false,
                    };
                };
                let udf = ScalarUDF::new_from_impl(ListField::new(part.to_string()));
                expr = Arc::new(udf).call(vec![expr]);
                if i + 1 < parts.len() || child.data_type() != &DataType::Utf8 {
                    // Members of array elements are plain strings in this schema; deeper paths do not exist.
                    return FieldValues {
                        expr: lit(ScalarValue::Utf8(None)),
                        cost: 0,
                        known: false,
                    };
                }
                return FieldValues {
                    expr,
                    cost: 2,
                    known: true,
                };
            }
            DataType::Utf8 => {
                // A JSON-text column (or a string column holding JSON): read inside it.
                return FieldValues {
                    expr: json_values(expr, &parts[i..]),
                    cost: 3,
                    known: JSON_MEMBERS.contains(&parts[i - 1]),
                };
            }
            _ => {
                return FieldValues {
                    expr: lit(ScalarValue::Utf8(None)),
                    cost: 0,
                    known: false,
                };
            }
        }
    }
    let expr = match dt {
        DataType::Utf8 => expr,
        DataType::Struct(_) | DataType::List(_) => {
            let udf = ScalarUDF::new_from_impl(JsonText::new());
            cost = cost.max(3);
            Arc::new(udf).call(vec![expr])
        }
        _ => cast(expr, DataType::Utf8),
    };
    FieldValues {
        expr,
        cost,
        known: true,
    }
}

/// Whether a path names something in the CloudTrail record (for lint): a column, a struct member, an
/// array-element member, or anything inside a JSON-text column.
pub fn is_known(path: &str) -> bool {
    resolve(path).known
}
