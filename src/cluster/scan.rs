//! The `events` table of a raw archive on a cluster. The client lists the archive (so listing problems
//! and skipped objects are its own to report) and sends the object list to the scheduler inside the
//! plan; the scheduler narrows the window with the query's filters and splits the objects into shares,
//! one task each, which reach each task alone; every task reads its share with the same decoder as a
//! local run and reports each object back.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use super::feedback::{self, Message};
use super::share_source;
use super::wire::{WireConfig, WireObject};
use super::worker::Worker;
use crate::decode::BatchBuilder;
use crate::events::archive_table::{narrow_scope, pushes_down};
use crate::events::scan::stream_objects;
use crate::progress::Reporter;
use crate::schema;
use crate::source::Listing;
use crate::source::s3::S3Options;

/// Bytes of objects per task: large enough that a task's start-up is small beside its reading.
const TASK_BYTES: u64 = 32 << 20;
/// Tasks of one scan at most.
const MAX_TASKS: usize = 4096;

/// What a scan of a raw archive needs on the cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemoteScan {
    /// Objects to read, as the client listed them (from the client to the scheduler; the scheduler
    /// hands them to the tasks as their shares, see [`super::share_source`]).
    pub objects: Vec<WireObject>,
    /// Window, scope and read settings.
    pub config: WireConfig,
    /// How S3 objects are reached: the client's options, so every executor reads the same buckets the same
    /// way (credentials themselves never travel: each node resolves them from its own environment).
    pub s3: S3Options,
    /// Bytes of objects per task.
    #[serde(default)]
    pub task_bytes: u64,
    /// The client's scan the reports belong to.
    pub scan: u64,
    /// Where the client takes reports.
    pub feedback: String,
}

impl RemoteScan {
    /// The scan of a listing made by the client.
    pub fn of(
        listing: &Listing,
        config: &crate::events::scan::ScanConfig,
        scan: u64,
        feedback: &str,
    ) -> Result<RemoteScan> {
        let cwd = std::env::current_dir()?;
        Ok(RemoteScan {
            objects: listing.objects.iter().map(|o| WireObject::of(o, &cwd)).collect(),
            config: WireConfig::of(config),
            s3: config.s3.options().clone(),
            task_bytes: task_bytes(TASK_BYTES),
            scan,
            feedback: feedback.to_string(),
        })
    }
}

impl RemoteScan {
    /// The scan as an executor receives it: without the objects, which reach each task as its share.
    pub fn without_objects(&self) -> RemoteScan {
        RemoteScan {
            objects: Vec::new(),
            ..self.clone()
        }
    }

    /// The tasks the scan is split into, and the bytes of the largest task's share.
    pub fn shares(&self) -> Result<(usize, u64)> {
        share_source::sizes(&partitions(&self.objects, self.task_bytes))
    }
}

/// The `events` table as the scheduler sees it.
#[derive(Debug)]
pub struct RemoteEvents {
    scan: RemoteScan,
}

impl RemoteEvents {
    /// The table over a client's listing.
    pub fn new(scan: RemoteScan) -> RemoteEvents {
        RemoteEvents { scan }
    }

    /// What the table reads.
    pub fn scan(&self) -> &RemoteScan {
        &self.scan
    }
}

#[async_trait]
impl TableProvider for RemoteEvents {
    fn schema(&self) -> SchemaRef {
        schema::events_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters.iter().map(|f| pushes_down(f)).collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let config = self.scan.config.config().map_err(DataFusionError::Plan)?;
        let narrowed = crate::events::scan::ScanConfig {
            scope: narrow_scope(config.scope.clone(), filters),
            ..config
        };
        let scan = RemoteScan {
            config: WireConfig::of(&narrowed),
            ..self.scan.clone()
        };
        // Planned on the scheduler, never run there: an executor decodes it with its own S3 state.
        Ok(Arc::new(ArchiveScanExec::new(
            scan,
            projection.cloned(),
            Arc::default(),
        )?))
    }
}

/// Bytes of objects per task the client asks for: `CTSCAN_CLUSTER_TASK_BYTES` when set (to try many
/// tasks on a small archive, or fewer on a large one), else `default`.
pub fn task_bytes(default: u64) -> u64 {
    crate::events::remote_rows::task_bytes_asked().unwrap_or(default)
}

/// Splits objects into tasks of about `task_bytes` (any size when 0), in listing order.
pub fn partitions(objects: &[WireObject], task_bytes: u64) -> Vec<Vec<WireObject>> {
    let task_bytes = if task_bytes == 0 { TASK_BYTES } else { task_bytes };
    let total: u64 = objects.iter().map(WireObject::size).sum();
    let tasks = (total.div_ceil(task_bytes) as usize).clamp(1, MAX_TASKS.min(objects.len().max(1)));
    let per = total.div_ceil(tasks as u64).max(1);
    crate::source::runs_by_size(objects.iter().cloned(), WireObject::size, per, tasks)
}

/// Reads its share of an archive's objects per partition, on whichever executor runs the task. Its
/// input holds the shares ([`super::share_source`]), so a task receives only its own.
#[derive(Debug)]
pub struct ArchiveScanExec {
    /// The scan's settings (its objects are in `input`).
    scan: RemoteScan,
    input: Arc<dyn ExecutionPlan>,
    /// The S3 options the executor running it serves.
    worker: Arc<Worker>,
    projection: Option<Vec<usize>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl ArchiveScanExec {
    /// The scan of `scan`'s objects, `projection` of the events schema, as the scheduler plans it.
    pub fn new(
        mut scan: RemoteScan,
        projection: Option<Vec<usize>>,
        worker: Arc<Worker>,
    ) -> Result<ArchiveScanExec> {
        let input = share_source::source(&partitions(&scan.objects, scan.task_bytes))?;
        scan.objects = Vec::new();
        ArchiveScanExec::over(scan, projection, worker, input)
    }

    /// The scan reading the shares `input` holds (as an executor decodes it).
    pub fn over(
        scan: RemoteScan,
        projection: Option<Vec<usize>>,
        worker: Arc<Worker>,
        input: Arc<dyn ExecutionPlan>,
    ) -> Result<ArchiveScanExec> {
        let config = scan.config.config().map_err(DataFusionError::Plan)?;
        let schema = BatchBuilder::new(projection.as_deref(), config.scope).schema();
        let tasks = input.properties().output_partitioning().partition_count();
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(tasks),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(ArchiveScanExec {
            scan,
            input,
            worker,
            projection,
            schema,
            properties,
        })
    }

    /// What the scan reads (besides its shares), and the projection: what travels to executors.
    pub fn parts(&self) -> (&RemoteScan, Option<&Vec<usize>>) {
        (&self.scan, self.projection.as_ref())
    }
}

impl DisplayAs for ArchiveScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "ArchiveScanExec: {} tasks",
            self.properties.output_partitioning().partition_count()
        )
    }
}

impl ExecutionPlan for ArchiveScanExec {
    fn name(&self) -> &str {
        "ArchiveScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        // One share per task: splitting the shares further would only add a shuffle.
        vec![false]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = children
            .pop()
            .ok_or_else(|| DataFusionError::Internal("ArchiveScanExec needs its shares".into()))?;
        Ok(Arc::new(ArchiveScanExec::over(
            self.scan.clone(),
            self.projection.clone(),
            self.worker.clone(),
            input,
        )?))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let mut config = self.scan.config.config().map_err(DataFusionError::Execution)?;
        config.threads = self.worker.threads;
        let (input, s3, worker) = (self.input.clone(), self.scan.s3.clone(), self.worker.clone());
        let share = async move {
            let objects = share_source::objects(input, partition, context).await?;
            if objects
                .iter()
                .any(|o| matches!(o.location, crate::source::Location::S3 { .. }))
            {
                config.s3 = worker.served.access_for(s3).map_err(DataFusionError::Execution)?;
            }
            Ok::<_, DataFusionError>((objects, config))
        };
        let reports = Arc::new(Mutex::new(Vec::new()));
        let sink = reports.clone();
        let id = self.scan.scan;
        let reporter = Arc::new(Reporter::observing(Box::new(move |obj, outcome| {
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Message::object(id, obj, outcome));
        })));
        let scan_id = reporter.begin_scan(&Listing::default());
        let projection = self.projection.clone();
        let rows = futures::stream::once(async move {
            let (objects, config) = share.await?;
            Ok::<_, DataFusionError>(stream_objects(objects, projection, config, reporter, scan_id))
        })
        .try_flatten();
        // The reports go out after the last batch, before the stream ends: the task is complete only
        // once the client holds them.
        let tail = feedback::hand_in(self.scan.feedback.clone(), move || {
            std::mem::take(&mut *reports.lock().unwrap_or_else(|e| e.into_inner()))
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            rows.chain(tail),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_keep_every_object_once_and_in_order() {
        let objects: Vec<WireObject> = (0..100u64)
            .map(|i| {
                WireObject::of(
                    &crate::source::ObjectRef {
                        key: format!("k{i:03}"),
                        size: 8 << 20,
                        log: None,
                        location: crate::source::Location::Local(format!("k{i:03}").into()),
                    },
                    "/".as_ref(),
                )
            })
            .collect();
        let parts = partitions(&objects, TASK_BYTES);
        assert_eq!(parts.len(), 25);
        let keys: Vec<String> = parts.iter().flatten().map(|o| o.object().key).collect();
        let want: Vec<String> = (0..100).map(|i| format!("k{i:03}")).collect();
        assert_eq!(keys, want);
        assert_eq!(partitions(&[], TASK_BYTES).len(), 1);
    }
}
