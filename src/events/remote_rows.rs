//! A table whose rows come from plans run elsewhere (a cluster's executors), so that an operator which
//! must see every row of a run in one place runs here, on the client: a hunt folds duplicate deliveries
//! with the run's copy choice as a local hunt does, wherever the copies were read, without shuffling whole
//! rows between executors. The archive is read as successive jobs, the next decoded by the cluster while
//! the rows of the current one are answered here.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::{StreamExt, TryStreamExt};

use crate::events::archive_table::EventsTable;
use crate::events::session::Exec;
use crate::progress::Reporter;

/// The bytes of a batch's own rows (not of the buffers it may share with others): about what it took on
/// the wire.
pub fn batch_bytes(batch: &RecordBatch) -> u64 {
    batch
        .columns()
        .iter()
        .map(|c| c.to_data().get_slice_memory_size().unwrap_or(0) as u64)
        .sum()
}

/// Bytes of objects per job of a run answered here: the executors decode one job while the rows of the
/// previous one are answered here (Ballista hands over a job's rows only once the whole job is done).
const WAVE_BYTES: u64 = 64 << 20;

/// The task size `CTSCAN_CLUSTER_TASK_BYTES` asks for, when set: to try many tasks (and jobs) on a small
/// archive, or fewer on a large one.
pub fn task_bytes_asked() -> Option<u64> {
    std::env::var("CTSCAN_CLUSTER_TASK_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
}

/// The `events` table of an archive as a run reads it: the table itself, or, for a run answered here
/// while a cluster decodes ([`Exec::answering_here`]), the rows the cluster's executors decode. On a
/// cluster the archive is listed before planning, so listing failures are the client's to report.
pub fn archive_events(
    exec: &Exec,
    table: EventsTable,
    reporter: &Arc<Reporter>,
) -> anyhow::Result<Arc<dyn TableProvider>> {
    if let Some(remote) = exec.decoder_session() {
        let remote = remote?;
        let frames = table
            .waves(task_bytes_asked().map_or(WAVE_BYTES, |t| t.saturating_mul(2)))?
            .into_iter()
            .map(|wave| remote.read_table(Arc::new(wave)))
            .collect::<Result<Vec<_>>>()?;
        return Ok(Arc::new(RemoteRows::new(frames, reporter.clone())));
    }
    if exec.is_cluster() {
        table.list_ahead()?;
    }
    Ok(Arc::new(table))
}

/// The rows of remote DataFrames (jobs run one after the other), read as one local partition.
#[derive(Debug)]
pub struct RemoteRows {
    frames: Vec<DataFrame>,
    schema: SchemaRef,
    reporter: Arc<Reporter>,
}

impl RemoteRows {
    /// The rows `frames` (planned on a remote session, of the events schema) return, in order;
    /// `reporter` is told how many bytes came.
    pub fn new(frames: Vec<DataFrame>, reporter: Arc<Reporter>) -> RemoteRows {
        let schema = match frames.first() {
            Some(f) => Arc::new(f.schema().as_arrow().clone()),
            None => crate::schema::events_schema(),
        };
        RemoteRows {
            frames,
            schema,
            reporter,
        }
    }
}

#[async_trait]
impl TableProvider for RemoteRows {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let (schema, frames) = match projection {
            Some(columns) => {
                let names: Vec<&str> = columns
                    .iter()
                    .map(|&i| self.schema.field(i).name().as_str())
                    .collect();
                let frames = self
                    .frames
                    .iter()
                    .map(|f| f.clone().select_columns(&names))
                    .collect::<Result<Vec<_>>>()?;
                (Arc::new(self.schema.project(columns)?), frames)
            }
            None => (self.schema.clone(), self.frames.clone()),
        };
        Ok(Arc::new(RemoteRowsExec::new(
            frames,
            schema,
            self.reporter.clone(),
        )))
    }
}

/// A job started: its first batch (once the job has run) and the rest of its rows.
async fn started(frame: DataFrame) -> Result<(Option<RecordBatch>, SendableRecordBatchStream)> {
    let mut rows = frame.execute_stream().await?;
    let first = rows.try_next().await?;
    Ok((first, rows))
}

/// Runs the remote plans when executed and streams their rows, in order; the next plan runs on the
/// cluster while the rows of the current one are read.
#[derive(Debug)]
pub struct RemoteRowsExec {
    frames: Vec<DataFrame>,
    reporter: Arc<Reporter>,
    properties: Arc<PlanProperties>,
}

impl RemoteRowsExec {
    fn new(frames: Vec<DataFrame>, schema: SchemaRef, reporter: Arc<Reporter>) -> RemoteRowsExec {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        RemoteRowsExec {
            frames,
            reporter,
            properties,
        }
    }
}

impl DisplayAs for RemoteRowsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "RemoteRowsExec: {} jobs", self.frames.len())
    }
}

impl ExecutionPlan for RemoteRowsExec {
    fn name(&self) -> &str {
        "RemoteRowsExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(&self, partition: usize, _context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "remote rows have one partition, not {partition}"
            )));
        }
        let reporter = self.reporter.clone();
        // A job starts (and on Ballista runs to its end) as soon as it is spawned; two are in flight,
        // so the cluster decodes the next while the current one's rows are read.
        let rows = futures::stream::iter(self.frames.clone())
            .map(|frame| tokio::spawn(started(frame)))
            .buffered(2)
            .map(|joined| joined.map_err(|e| DataFusionError::Execution(e.to_string()))?)
            .map_ok(|(first, rest)| futures::stream::iter(first.map(Ok)).chain(rest))
            .try_flatten()
            .inspect_ok(move |b| reporter.note_returned(batch_bytes(b)));
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema(), rows)))
    }
}
