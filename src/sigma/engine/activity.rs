//! `first_seen` activity on sources that hand the pass only the rows some rule may match (lakes, clusters).
//! A baseline needs every event of the window, not only the candidates: the account's history and each
//! group's earlier activity. There it is asked of the source as one aggregate per correlation (group-by
//! values → earliest time), which reads only the columns the group-by and `readOnly` need and runs where
//! the data is (in the Parquet reader, on the executors), instead of widening the prefilter to every row.

use std::collections::HashMap;

use datafusion::arrow::array::{Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::functions::expr_fn::{coalesce, lower};
use datafusion::functions_aggregate::expr_fn::min;
use datafusion::logical_expr::Expr;
use datafusion::prelude::{DataFrame, cast as cast_expr, ident, lit};

use super::pass::key_at;
use super::{Engine, HuntSource, READ_ONLY, ReadPlan};
use crate::sigma::correlation::{Activity, CorrType, FirstActivity};
use crate::sigma::error::SigmaError;
use crate::sigma::rule::RuleKind;

impl Engine {
    /// The activity every `first_seen` correlation needs (by correlation index), from every event of the
    /// window `source` holds.
    pub(super) async fn activity_by_query(
        &self,
        source: &dyn HuntSource,
        plan: &ReadPlan,
    ) -> Result<HashMap<usize, FirstActivity>, SigmaError> {
        let mut out = HashMap::new();
        let every = ReadPlan {
            gate: plan.gate.clone(),
            prefilter: lit(true),
        };
        let all = source.events(&every).await?;
        for (ci, corr) in self.correlations.iter().enumerate() {
            let RuleKind::Correlation(c) = &corr.rule.kind else {
                continue;
            };
            if c.kind != CorrType::FirstSeen {
                continue;
            }
            let df = all.clone();
            let keys: Vec<Expr> = c
                .group_by
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    coalesce(vec![cast_expr(self.resolve(g).expr, DataType::Utf8), lit("")])
                        .alias(format!("k{i}"))
                })
                .collect();
            let mut seen = FirstActivity::default();
            let active = match c.activity {
                Activity::Any => df.clone(),
                Activity::Writes => {
                    let read_only =
                        lower(cast_expr(self.resolve(READ_ONLY).expr, DataType::Utf8)).eq(lit("true"));
                    df.clone().filter(!coalesce(vec![read_only, lit(false)]))?
                }
            };
            for (key, t) in earliest(active, keys.clone()).await? {
                seen.note(key, t);
            }
            if c.activity == Activity::Writes
                && let Some(head) = keys.first()
            {
                // Read-only events are history of the first field all the same.
                for (key, t) in earliest(df, vec![head.clone()]).await? {
                    if let Some(head) = key.first() {
                        seen.note_history(head, t);
                    }
                }
            }
            out.insert(ci, seen);
        }
        Ok(out)
    }
}

/// Each distinct value tuple of `keys` over `df`, with its earliest `eventTime` (microseconds).
async fn earliest(df: DataFrame, keys: Vec<Expr>) -> Result<Vec<(Vec<String>, i64)>, SigmaError> {
    let n = keys.len();
    let batches = df
        .aggregate(keys, vec![min(ident("eventTime")).alias("t")])?
        .collect()
        .await?;
    let mut out = Vec::new();
    for batch in &batches {
        out.extend(rows_of(batch, n)?);
    }
    Ok(out)
}

fn rows_of(batch: &RecordBatch, n: usize) -> Result<Vec<(Vec<String>, i64)>, SigmaError> {
    let keys = (0..n)
        .map(|i| cast(batch.column(i), &DataType::Utf8))
        .collect::<Result<Vec<_>, _>>()?;
    let keys: Vec<&StringArray> = keys
        .iter()
        .filter_map(|k| k.as_any().downcast_ref::<StringArray>())
        .collect();
    let times = cast(batch.column(n), &DataType::Int64)?;
    let times = times
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| SigmaError::Invalid("eventTime is not a timestamp".into()))?;
    if keys.len() != n {
        return Err(SigmaError::Unsupported(
            "first_seen groups by fields holding one value each".into(),
        ));
    }
    Ok((0..batch.num_rows())
        .filter(|&row| times.is_valid(row))
        .map(|row| {
            let key = key_at(&keys, row).into_iter().map(String::from).collect();
            (key, times.value(row))
        })
        .collect())
}
