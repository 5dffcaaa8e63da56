//! A table whose rows come from a plan run elsewhere (a cluster's executors), so that an operator which
//! must see every row of a run in one place runs here, on the client: a hunt folds duplicate deliveries
//! with the run's copy choice as a local hunt does, wherever the copies were read, without shuffling whole
//! rows between executors.

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
use futures::TryStreamExt;

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

/// The `events` table of an archive as a run reads it: the table itself, or, for a run answered here
/// while a cluster decodes ([`Exec::answering_here`]), the rows the cluster's executors decode. On a
/// cluster the archive is listed before planning, so listing failures are the client's to report.
pub fn archive_events(
    exec: &Exec,
    table: EventsTable,
    reporter: &Arc<Reporter>,
) -> anyhow::Result<Arc<dyn TableProvider>> {
    if let Some(remote) = exec.decoder_session() {
        table.list_ahead()?;
        let frame = remote?.read_table(Arc::new(table))?;
        return Ok(Arc::new(RemoteRows::new(frame, reporter.clone())));
    }
    if exec.is_cluster() {
        table.list_ahead()?;
    }
    Ok(Arc::new(table))
}

/// The rows of a remote DataFrame, read as one local partition.
#[derive(Debug)]
pub struct RemoteRows {
    frame: DataFrame,
    reporter: Arc<Reporter>,
}

impl RemoteRows {
    /// The rows `frame` (planned on a remote session) returns; `reporter` is told how many bytes came.
    pub fn new(frame: DataFrame, reporter: Arc<Reporter>) -> RemoteRows {
        RemoteRows { frame, reporter }
    }
}

#[async_trait]
impl TableProvider for RemoteRows {
    fn schema(&self) -> SchemaRef {
        Arc::new(self.frame.schema().as_arrow().clone())
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
        let frame = match projection {
            Some(columns) => {
                let schema = self.frame.schema();
                let names: Vec<&str> = columns.iter().map(|&i| schema.field(i).name().as_str()).collect();
                self.frame.clone().select_columns(&names)?
            }
            None => self.frame.clone(),
        };
        Ok(Arc::new(RemoteRowsExec::new(frame, self.reporter.clone())))
    }
}

/// Runs the remote plan when executed and streams its rows.
#[derive(Debug)]
pub struct RemoteRowsExec {
    frame: DataFrame,
    reporter: Arc<Reporter>,
    properties: Arc<PlanProperties>,
}

impl RemoteRowsExec {
    fn new(frame: DataFrame, reporter: Arc<Reporter>) -> RemoteRowsExec {
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        RemoteRowsExec {
            frame,
            reporter,
            properties,
        }
    }
}

impl DisplayAs for RemoteRowsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "RemoteRowsExec")
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
        let frame = self.frame.clone();
        let reporter = self.reporter.clone();
        let rows = futures::stream::once(async move { frame.execute_stream().await })
            .try_flatten()
            .inspect_ok(move |b| reporter.note_returned(batch_bytes(b)));
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema(), rows)))
    }
}
