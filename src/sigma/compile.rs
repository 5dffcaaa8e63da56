//! Compiles a detection into one boolean DataFusion expression, evaluated over whole batches. Items of a
//! selection are AND-ed cheapest first (plain columns before JSON), so DataFusion's short-circuiting AND
//! reads JSON only for rows that already match the cheap parts.

use std::sync::Arc;

use datafusion::functions::string::expr_fn::lower;
use datafusion::logical_expr::{Expr, ScalarUDF, case};
use datafusion::prelude::lit;

use super::condition::Cond;
use super::detection::{Detection, Item, ItemTest, Selection};
use super::error::SigmaError;
use super::field::resolve;
use super::pattern::{Matcher, StrOp};
use super::udf::{FieldRef, Match};

/// The lower-cased literals of an item that only compares whole values, case-insensitively (the common
/// `eventName: [A, B]` shape), which DataFusion evaluates natively as `lower(field) IN (...)`; the lowered
/// column is a common subexpression that DataFusion computes once for all rules.
fn plain_equals(matchers: &[Vec<Matcher>], all: bool) -> Option<Vec<String>> {
    if all || matchers.is_empty() {
        return None;
    }
    matchers
        .iter()
        .map(|g| match g.as_slice() {
            [
                Matcher::Str {
                    op: StrOp::Equals,
                    needle,
                    cased: false,
                },
            ] => Some(needle.clone()),
            _ => None,
        })
        .collect()
}

fn item_expr(item: &Item) -> Result<(u8, Expr), SigmaError> {
    let field = resolve(&item.field);
    Ok(match &item.test {
        ItemTest::Values { matchers, all, .. }
            if field.cost <= 1 && plain_equals(matchers, *all).is_some() =>
        {
            let values = plain_equals(matchers, *all).unwrap_or_default();
            let lowered = lower(field.expr);
            let test = match values.as_slice() {
                [one] => lowered.eq(lit(one.clone())),
                _ => lowered.in_list(values.into_iter().map(lit).collect(), false),
            };
            (field.cost, Expr::IsTrue(Box::new(test)))
        }
        ItemTest::Values { matchers, all, .. } => {
            let udf = ScalarUDF::new_from_impl(Match::new(matchers.clone(), *all));
            (field.cost, Arc::new(udf).call(vec![field.expr]))
        }
        ItemTest::FieldRef { others, op, cased } => {
            let parts: Vec<Expr> = others
                .iter()
                .map(|o| {
                    let other = resolve(o);
                    let udf = ScalarUDF::new_from_impl(FieldRef::new(*op, *cased));
                    Arc::new(udf).call(vec![field.expr.clone(), other.expr])
                })
                .collect();
            (field.cost.max(2), any(parts))
        }
    })
}

fn all(parts: Vec<Expr>) -> Expr {
    parts.into_iter().reduce(Expr::and).unwrap_or_else(|| lit(true))
}

fn any(parts: Vec<Expr>) -> Expr {
    parts.into_iter().reduce(Expr::or).unwrap_or_else(|| lit(false))
}

/// The expression of one selection.
pub fn selection_expr(sel: &Selection) -> Result<Expr, SigmaError> {
    match sel {
        Selection::Groups(groups) => {
            let mut ors = Vec::new();
            for g in groups {
                let mut items = g.iter().map(item_expr).collect::<Result<Vec<_>, _>>()?;
                items.sort_by_key(|(cost, _)| *cost);
                ors.push(all(items.into_iter().map(|(_, e)| e).collect()));
            }
            Ok(any(ors))
        }
        Selection::Keywords(_) => Err(SigmaError::Unsupported(
            "keyword (field-less) selections; name the field to search".into(),
        )),
    }
}

fn cond_expr(c: &Cond, d: &Detection) -> Result<Expr, SigmaError> {
    Ok(match c {
        Cond::Sel(name) => {
            let sel = d
                .selections
                .get(name)
                .ok_or_else(|| SigmaError::Invalid(format!("unknown selection {name}")))?;
            selection_expr(sel)?
        }
        Cond::Not(inner) => Expr::Not(Box::new(cond_expr(inner, d)?)),
        Cond::And(parts) => all(parts.iter().map(|p| cond_expr(p, d)).collect::<Result<_, _>>()?),
        Cond::Or(parts) => any(parts.iter().map(|p| cond_expr(p, d)).collect::<Result<_, _>>()?),
        Cond::AtLeast(n, parts) => {
            let mut sum: Option<Expr> = None;
            for p in parts {
                let one = case(cond_expr(p, d)?)
                    .when(lit(true), lit(1i64))
                    .otherwise(lit(0i64))?;
                sum = Some(match sum {
                    None => one,
                    Some(s) => s + one,
                });
            }
            sum.unwrap_or_else(|| lit(0i64)).gt_eq(lit(*n as i64))
        }
    })
}

/// The boolean expression that is true for exactly the events a detection matches (never NULL).
pub fn detection_expr(d: &Detection) -> Result<Expr, SigmaError> {
    cond_expr(&d.condition, d)
}
