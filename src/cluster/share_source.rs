//! Each task's share of a stage's objects, held as one partition of an in-memory source below the
//! operator that reads it. Ballista sends every task its stage's plan cut down to the task's own
//! partitions, but it can cut only the sources it knows: an operator of ours at the leaf would reach
//! every task whole, and each task would read every share. A share held as a partition of DataFusion's
//! in-memory source is cut like any other, so a task receives, and reads, only its own objects: the plan
//! a task receives grows with its share, not with the stage.

use std::sync::Arc;

use datafusion::arrow::array::{Array, BinaryArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use futures::TryStreamExt;

use super::wire::WireObject;
use crate::source::ObjectRef;

/// The one column of a share: its objects as zstd-compressed JSON, one row per share.
const OBJECTS: &str = "objects";
/// zstd level of a share: object lists repeat their folder prefixes and shrink about tenfold.
const ZSTD_LEVEL: i32 = 3;

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new(OBJECTS, DataType::Binary, false)]))
}

fn pack(share: &[WireObject]) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(share).map_err(|e| DataFusionError::Internal(e.to_string()))?;
    Ok(zstd::bulk::compress(&json, ZSTD_LEVEL)?)
}

/// The in-memory source of `parts`, one partition (one task) per share.
pub fn source(parts: &[Vec<WireObject>]) -> Result<Arc<dyn ExecutionPlan>> {
    let partitions = parts
        .iter()
        .map(|share| {
            let packed = pack(share)?;
            let column = BinaryArray::from_vec(vec![packed.as_slice()]);
            Ok(vec![RecordBatch::try_new(schema(), vec![Arc::new(column)])?])
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(MemorySourceConfig::try_new_exec(&partitions, schema(), None)?)
}

/// How many shares there are, and the bytes of the largest as it travels in a task's plan.
pub fn sizes(parts: &[Vec<WireObject>]) -> Result<(usize, u64)> {
    let mut largest = 0;
    for share in parts {
        largest = largest.max(pack(share)?.len() as u64);
    }
    Ok((parts.len(), largest))
}

/// The objects of the share `partition` of `input` (a [`source`], cut down to this task's partitions).
pub async fn objects(
    input: Arc<dyn ExecutionPlan>,
    partition: usize,
    context: Arc<TaskContext>,
) -> Result<Vec<ObjectRef>> {
    let batches: Vec<RecordBatch> = input.execute(partition, context)?.try_collect().await?;
    let mut objects = Vec::new();
    for batch in &batches {
        let column = batch
            .column_by_name(OBJECTS)
            .and_then(|c| c.as_any().downcast_ref::<BinaryArray>())
            .ok_or_else(|| DataFusionError::Internal("a task's share has no object list".into()))?;
        for packed in column.iter().flatten() {
            let json = zstd::stream::decode_all(packed)?;
            let share: Vec<WireObject> =
                serde_json::from_slice(&json).map_err(|e| DataFusionError::Internal(e.to_string()))?;
            objects.extend(share.iter().map(WireObject::object));
        }
    }
    Ok(objects)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Location;

    fn objects_named(names: &[&str]) -> Vec<WireObject> {
        names
            .iter()
            .map(|n| {
                WireObject::of(
                    &ObjectRef {
                        key: n.to_string(),
                        size: 1,
                        log: None,
                        location: Location::Local(n.into()),
                    },
                    "/".as_ref(),
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn each_partition_holds_exactly_its_share() {
        let parts = vec![
            objects_named(&["a", "b"]),
            objects_named(&[]),
            objects_named(&["c"]),
        ];
        let source = source(&parts).unwrap();
        assert_eq!(source.properties().output_partitioning().partition_count(), 3);
        let context = Arc::new(TaskContext::default());
        let mut got = Vec::new();
        for p in 0..3 {
            let share = objects(source.clone(), p, context.clone()).await.unwrap();
            got.push(share.into_iter().map(|o| o.key).collect::<Vec<_>>());
        }
        assert_eq!(got, vec![vec!["a", "b"], vec![], vec!["c"]]);
    }
}
