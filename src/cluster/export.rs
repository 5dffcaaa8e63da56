//! `export --cluster`: executors decode their share of the objects and write the lake's data files
//! themselves; each task returns the manifest entries of its objects, whose files are then complete,
//! and the client, which holds the lake's lock, commits them. A task that fails or is rerun leaves only
//! files no manifest line names, which the client removes at the end, so the no-loss, no-duplicate and
//! resume guarantees are those of a local export.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use serde::{Deserialize, Serialize};

use super::feedback::{self, Message};
use super::scan::{partitions, task_bytes};
use super::share_source;
use super::wire::WireObject;
use super::worker::Worker;
use crate::lake::convert::{Decoded, export_task};
use crate::lake::manifest::Entry;
use crate::lake::writer::{LakeFiles, run_id};
use crate::progress::Reporter;
use crate::source::s3::{S3Access, S3Options};
use crate::source::{Listing, Location, ObjectRef};

/// Bytes of objects per export task: one task's rows are held until its files are written.
const TASK_BYTES: u64 = 8 << 20;
/// The one column of an export's results: a manifest entry as JSON.
pub const ENTRY: &str = "entry";

/// What an export's tasks need.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemoteExport {
    objects: Vec<WireObject>,
    root: PathBuf,
    max_object_bytes: u64,
    s3: S3Options,
    scan: u64,
    feedback: String,
    run: String,
    /// Bytes of objects per task.
    task_bytes: u64,
}

impl RemoteExport {
    /// The export of `objects` into the lake at `root` (absolute), reporting to the client's scan `scan`.
    pub fn new(
        objects: &[ObjectRef],
        root: PathBuf,
        max_object_bytes: u64,
        s3: &S3Options,
        scan: u64,
        feedback: &str,
    ) -> Result<Self> {
        let cwd = std::env::current_dir()?;
        Ok(RemoteExport {
            objects: objects.iter().map(|o| WireObject::of(o, &cwd)).collect(),
            root,
            max_object_bytes,
            s3: s3.clone(),
            scan,
            feedback: feedback.to_string(),
            run: run_id(),
            task_bytes: task_bytes(TASK_BYTES),
        })
    }
}

impl RemoteExport {
    /// The export as an executor receives it: without the objects, which reach each task as its share.
    pub fn without_objects(&self) -> RemoteExport {
        RemoteExport {
            objects: Vec::new(),
            ..self.clone()
        }
    }

    /// The tasks the export is split into, and the bytes of the largest task's share.
    pub fn shares(&self) -> Result<(usize, u64)> {
        share_source::sizes(&partitions(&self.objects, self.task_bytes))
    }
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new(ENTRY, DataType::Utf8, false)]))
}

/// The export as a table: scanning it runs the export and yields the manifest entries.
#[derive(Debug)]
pub struct ExportTable {
    export: RemoteExport,
    /// The client's reporter, told what the plan costs (never sent).
    reporter: Option<Arc<Reporter>>,
}

impl ExportTable {
    /// The table of one export.
    pub fn new(export: RemoteExport) -> ExportTable {
        ExportTable {
            export,
            reporter: None,
        }
    }

    /// The table, telling `reporter` what its plan costs when it is sent.
    pub fn reporting_to(mut self, reporter: Arc<Reporter>) -> ExportTable {
        self.reporter = Some(reporter);
        self
    }

    /// The client's reporter, if any.
    pub fn reporter(&self) -> Option<&Arc<Reporter>> {
        self.reporter.as_ref()
    }

    /// What the export does: what travels to the scheduler.
    pub fn export(&self) -> &RemoteExport {
        &self.export
    }
}

#[async_trait]
impl TableProvider for ExportTable {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        _projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // Planned on the scheduler, never run there: an executor decodes it with its own S3 state.
        Ok(Arc::new(ExportExec::new(self.export.clone(), Arc::default())?))
    }
}

/// Exports its share of the objects per partition. Its input holds the shares
/// ([`super::share_source`]), so a task receives only its own.
#[derive(Debug)]
pub struct ExportExec {
    /// The export's settings (its objects are in `input`).
    export: RemoteExport,
    input: Arc<dyn ExecutionPlan>,
    /// The S3 options the executor running it serves.
    worker: Arc<Worker>,
    properties: Arc<PlanProperties>,
}

impl ExportExec {
    /// The tasks of one export, as the scheduler plans them.
    pub fn new(mut export: RemoteExport, worker: Arc<Worker>) -> Result<ExportExec> {
        let input = share_source::source(&partitions(&export.objects, export.task_bytes))?;
        export.objects = Vec::new();
        Ok(ExportExec::over(export, worker, input))
    }

    /// The tasks exporting the shares `input` holds (as an executor decodes them).
    pub fn over(export: RemoteExport, worker: Arc<Worker>, input: Arc<dyn ExecutionPlan>) -> ExportExec {
        let tasks = input.properties().output_partitioning().partition_count();
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema()),
            Partitioning::UnknownPartitioning(tasks),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        ExportExec {
            export,
            input,
            worker,
            properties,
        }
    }

    /// What the export does: what travels to executors.
    pub fn export(&self) -> &RemoteExport {
        &self.export
    }
}

impl DisplayAs for ExportExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "ExportExec: {} tasks into {}",
            self.properties.output_partitioning().partition_count(),
            self.export.root.display()
        )
    }
}

/// One task: decode, write the files, hand in the reports, return the entries.
fn run_task(
    export: &RemoteExport,
    worker: &Worker,
    partition: usize,
    objects: Vec<ObjectRef>,
) -> Result<RecordBatch> {
    let s3 = if objects.iter().any(|o| matches!(o.location, Location::S3 { .. })) {
        worker
            .served
            .access_for(export.s3.clone())
            .map_err(DataFusionError::Execution)?
    } else {
        S3Access::default()
    };
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    let id = export.scan;
    let reporter = Reporter::observing(Box::new(move |obj, outcome| {
        sink.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Message::object(id, obj, outcome));
    }));
    let scan = reporter.begin_scan(&Listing::default());
    let lake_err = |e: crate::lake::LakeError| DataFusionError::External(Box::new(e));
    let (mut entries, batches) = decode_share(
        &objects,
        export.max_object_bytes,
        &s3,
        &reporter,
        scan,
        worker.threads,
    )
    .map_err(lake_err)?;
    // Named after the client's run, the task and this attempt: a rerun never overwrites a file.
    let name = format!("{}-t{partition}-{}", export.run, run_id());
    let files = LakeFiles::new(&export.root, name, worker.threads).map_err(lake_err)?;
    for (file, keys) in files.write_rows(&batches).map_err(lake_err)? {
        for e in entries.iter_mut().filter(|e| keys.contains(&e.key)) {
            e.files.push(file.clone());
        }
    }
    drop(batches);
    let messages = std::mem::take(&mut *reports.lock().unwrap_or_else(|e| e.into_inner()));
    feedback::deliver(&export.feedback, &messages)?;
    let json: Vec<String> = entries
        .iter()
        .map(serde_json::to_string)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| DataFusionError::Execution(e.to_string()))?;
    Ok(RecordBatch::try_new(
        schema(),
        vec![Arc::new(StringArray::from(json))],
    )?)
}

/// Decodes a task's objects on `threads` threads, each a contiguous run of them, and returns their
/// entries and rows in the objects' order, as one thread would.
fn decode_share(
    objects: &[ObjectRef],
    max_object_bytes: u64,
    s3: &S3Access,
    reporter: &Reporter,
    scan: crate::progress::ScanId,
    threads: usize,
) -> std::result::Result<Decoded, crate::lake::LakeError> {
    let runs: Vec<&[ObjectRef]> = objects
        .chunks(objects.len().div_ceil(threads.max(1)).max(1))
        .collect();
    if runs.len() <= 1 {
        return export_task(objects, max_object_bytes, s3, reporter, scan);
    }
    let decoded: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .iter()
            .map(|run| scope.spawn(move || export_task(run, max_object_bytes, s3, reporter, scan)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    let (mut entries, mut batches) = (Vec::new(), Vec::new());
    for d in decoded {
        let (e, b) = d?;
        entries.extend(e);
        batches.extend(b);
    }
    Ok((entries, batches))
}

impl ExecutionPlan for ExportExec {
    fn name(&self) -> &str {
        "ExportExec"
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
            .ok_or_else(|| DataFusionError::Internal("ExportExec needs its shares".into()))?;
        Ok(Arc::new(ExportExec::over(
            self.export.clone(),
            self.worker.clone(),
            input,
        )))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let export = self.export.clone();
        let worker = self.worker.clone();
        let input = self.input.clone();
        let batch = futures::stream::once(async move {
            let objects = share_source::objects(input, partition, context).await?;
            tokio::task::spawn_blocking(move || run_task(&export, &worker, partition, objects))
                .await
                .map_err(|e| DataFusionError::Execution(e.to_string()))?
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema(), batch)))
    }
}

/// The manifest entries in an export's result batch.
pub fn entries(batch: &RecordBatch) -> anyhow::Result<Vec<Entry>> {
    let column = batch
        .column_by_name(ENTRY)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| anyhow::anyhow!("an export task returned no entries"))?;
    column
        .iter()
        .flatten()
        .map(|text| serde_json::from_str(text).map_err(anyhow::Error::from))
        .collect()
}
