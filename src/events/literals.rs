//! The literals a query's filter on the `events` table cannot be true without: `eventName = 'X'`,
//! `eventSource IN (...)`, `userIdentity.arn LIKE '%bob%'`, `contains(userAgent, 'kali')`, and `AND`/`OR`
//! of them, over members kept as the record's text (strings and JSON). The scan skips building the rows of
//! objects without them (see [`crate::decode::needles`]); the filter still runs on every row it gets.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{BinaryExpr, Expr, Like, Operator};

use crate::decode::needles::AnyLiteral;
use crate::schema::{Kind, RECORD, Spec};

/// The literals, one of which any row `filter` keeps holds in its record's text; `None` when the filter
/// does not need one.
pub fn required(filter: &Expr) -> Option<AnyLiteral> {
    match filter {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::And => required(left).or_else(|| required(right)),
            Operator::Or => Some(required(left)?.or(required(right)?)),
            Operator::Eq => match (left.as_ref(), right.as_ref()) {
                (c, Expr::Literal(v, _)) | (Expr::Literal(v, _), c) if searchable(c) => {
                    AnyLiteral::new(vec![text(v)?])
                }
                _ => None,
            },
            _ => None,
        },
        Expr::InList(list) if !list.negated && searchable(&list.expr) => AnyLiteral::new(texts(&list.list)?),
        Expr::Like(Like {
            negated: false,
            expr,
            pattern,
            escape_char: None,
            case_insensitive: false,
        }) if searchable(expr) => {
            let Expr::Literal(p, _) = pattern.as_ref() else {
                return None;
            };
            let p = text(p)?;
            // A backslash escapes a wildcard; such patterns are not ruled on.
            if p.contains('\\') {
                return None;
            }
            let longest = p.split(['%', '_']).max_by_key(|s| s.len())?;
            AnyLiteral::new(vec![longest.to_string()])
        }
        Expr::ScalarFunction(f)
            if matches!(f.func.name(), "contains" | "starts_with" | "ends_with" | "strpos") =>
        {
            match f.args.as_slice() {
                [c, Expr::Literal(v, _)] if searchable(c) => AnyLiteral::new(vec![text(v)?]),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether `e` is a member of the record stored as its text.
fn searchable(e: &Expr) -> bool {
    member(e).is_some_and(|s| matches!(s.kind, Kind::Str | Kind::Json))
}

/// The member of the record `e` reads: a column, or a field of a struct column.
fn member(e: &Expr) -> Option<&'static Spec> {
    match e {
        Expr::Column(c) => RECORD.iter().find(|s| s.name == c.name),
        Expr::ScalarFunction(f) if f.func.name() == "get_field" => {
            let [base, Expr::Literal(name, _)] = f.args.as_slice() else {
                return None;
            };
            let Kind::Struct(fields) = member(base)?.kind else {
                return None;
            };
            let name = text(name)?;
            fields.iter().find(|s| s.name == name)
        }
        _ => None,
    }
}

/// The texts of a list of string literals, or `None` if one is anything else.
pub fn texts(list: &[Expr]) -> Option<Vec<String>> {
    list.iter()
        .map(|e| match e {
            Expr::Literal(v, _) => text(v),
            _ => None,
        })
        .collect()
}

/// The text of a string literal.
pub fn text(v: &ScalarValue) -> Option<String> {
    match v {
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            Some(s.clone())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::functions::core::expr_fn::get_field;
    use datafusion::functions::string::expr_fn::{contains, starts_with};
    use datafusion::prelude::{ident as col, lit};

    use super::*;

    fn literals(e: Expr) -> Option<Vec<String>> {
        required(&e).map(|a| a.literals().to_vec())
    }

    #[test]
    fn filters_name_the_literals_their_rows_hold() {
        assert_eq!(
            literals(col("eventName").eq(lit("CreateUser"))).unwrap(),
            ["CreateUser"]
        );
        assert_eq!(
            literals(col("eventName").in_list(vec![lit("A1"), lit("B2")], false)).unwrap(),
            ["A1", "B2"]
        );
        assert_eq!(
            literals(get_field(col("userIdentity"), "arn").like(lit("%iam::1:user/bob%"))).unwrap(),
            ["iam::1:user/bob"]
        );
        assert_eq!(
            literals(
                col("eventName")
                    .eq(lit("A1"))
                    .or(col("eventSource").eq(lit("s3.amazonaws.com")))
            )
            .unwrap(),
            ["A1", "s3.amazonaws.com"]
        );
        assert_eq!(
            literals(col("readOnly").eq(lit(false)).and(col("eventName").eq(lit("A1")))).unwrap(),
            ["A1"]
        );
        assert_eq!(
            literals(contains(col("userAgent"), lit("kali"))).unwrap(),
            ["kali"]
        );
        assert_eq!(literals(starts_with(col("requestParameters"), lit("{\"a"))), None);
    }

    #[test]
    fn filters_a_row_can_pass_without_a_literal_name_none() {
        for e in [
            col("eventName").not_eq(lit("CreateUser")),
            col("eventName").in_list(vec![lit("A1")], true),
            col("eventName").eq(lit("A1")).or(col("readOnly").eq(lit(false))),
            col("eventName").ilike(lit("%create%")),
            col("eventName").not_like(lit("%create%")),
            col("eventName").like(lit("%\\%x%")),
            col("objectKey").eq(lit("k")),
            col("eventTime").eq(lit("2026-03-03")),
            col("extras").like(lit("%x%")),
            col("eventName").eq(col("eventSource")),
            col("eventName").is_null(),
            col("recipientAccountId").eq(lit("111122223333")),
        ] {
            assert_eq!(literals(e.clone()), None, "{e}");
        }
    }
}
