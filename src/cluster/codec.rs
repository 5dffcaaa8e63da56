//! How ctscan's tables and operators travel inside Ballista plans. The client encodes the `events`
//! table (a raw archive with its object list, a lake, the dedup around either), the scheduler decodes it
//! and plans, and executors decode the operators of their tasks. Every node carries the ctscan version
//! that encoded it; a node built from another version refuses the plan instead of reading it
//! differently. Everything else goes through Ballista's own codecs.

use std::path::PathBuf;
use std::sync::Arc;

use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF, WindowUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use serde::{Deserialize, Serialize};

use super::dedup::ClusterDedup;
use super::export::{ExportExec, ExportTable, RemoteExport};
use super::feedback::Feedback;
use super::scan::{ArchiveScanExec, RemoteEvents, RemoteScan};
use super::version;
use super::worker::Worker;
use crate::events::archive_table::EventsTable;
use crate::events::dedup::{Copies, DedupExec, DedupTable};
use crate::lake::lake_table::LakeTable;

/// First byte of an encoding: Ballista's own, or ctscan's JSON.
const BALLISTA: u8 = 0;
const CTSCAN: u8 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Envelope<T> {
    version: String,
    body: T,
}

#[derive(Debug, Serialize, Deserialize)]
enum WireTable {
    Archive(RemoteScan),
    Export(RemoteExport),
    Lake(PathBuf),
    /// Rows built on the client (the `sessions` table), as Arrow IPC.
    Rows(Vec<u8>),
    Dedup {
        inner: Box<WireTable>,
        fold: bool,
        id: u64,
        feedback: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
enum WireExec {
    Export(RemoteExport),
    Scan {
        scan: RemoteScan,
        projection: Option<Vec<usize>>,
    },
    Dedup {
        key: (usize, usize),
        keep: Vec<usize>,
        fold: bool,
        id: u64,
        feedback: String,
    },
}

/// zstd level of a node's JSON: object lists repeat their folder prefixes and shrink about tenfold, and
/// every task of a stage receives the whole stage's plan.
const ZSTD_LEVEL: i32 = 3;

fn encode<T: Serialize>(body: T, buf: &mut Vec<u8>) -> Result<()> {
    let json = serde_json::to_vec(&Envelope {
        version: version(),
        body,
    })
    .map_err(|e| DataFusionError::Internal(format!("cannot encode a ctscan plan node: {e}")))?;
    let packed = zstd::bulk::compress(&json, ZSTD_LEVEL)
        .map_err(|e| DataFusionError::Internal(format!("cannot compress a ctscan plan node: {e}")))?;
    buf.push(CTSCAN);
    buf.extend_from_slice(&packed);
    Ok(())
}

/// The bytes a node takes in a plan.
fn encoded_len<T: Serialize>(body: &T) -> Result<u64> {
    let mut buf = Vec::new();
    encode(body, &mut buf)?;
    Ok(buf.len() as u64)
}

fn decode<T: for<'de> Deserialize<'de>>(packed: &[u8]) -> Result<T> {
    let buf = zstd::stream::decode_all(packed)
        .map_err(|e| DataFusionError::Plan(format!("unreadable ctscan plan node: {e}")))?;
    let buf = buf.as_slice();
    // The version is read on its own first, so that a node of another version is named as such even
    // when the rest of its encoding has changed.
    #[derive(Deserialize)]
    struct Version {
        version: String,
    }
    let mine = version();
    let theirs: Version = serde_json::from_slice(buf).map_err(|e| {
        DataFusionError::Plan(format!(
            "unreadable ctscan plan node ({e}); is every node ctscan {mine}?"
        ))
    })?;
    if theirs.version != mine {
        return Err(DataFusionError::Plan(format!(
            "ctscan version skew: the plan comes from ctscan {} and this node is ctscan {mine}; run the same \
ctscan version on the client, the scheduler and every executor",
            theirs.version
        )));
    }
    let e: Envelope<T> = serde_json::from_slice(buf)
        .map_err(|e| DataFusionError::Plan(format!("unreadable ctscan plan node: {e}")))?;
    Ok(e.body)
}

fn table_wire(node: &Arc<dyn TableProvider>, feedback: Option<&Feedback>) -> Result<Option<WireTable>> {
    let no_cluster = || DataFusionError::Internal("no cluster is connected".into());
    if let Some(t) = node.downcast_ref::<DedupTable>() {
        let Some(inner) = table_wire(t.inner(), feedback)? else {
            return Ok(None);
        };
        let feedback = feedback.ok_or_else(no_cluster)?;
        let id = feedback.register_dedup(t.counter());
        return Ok(Some(WireTable::Dedup {
            inner: Box::new(inner),
            fold: t.copies() == Copies::Fold,
            id,
            feedback: feedback.address().to_string(),
        }));
    }
    if let Some(t) = node.downcast_ref::<EventsTable>() {
        let feedback = feedback.ok_or_else(no_cluster)?;
        let (listing, scan) = t.listing(t.config())?;
        let id = feedback.register_scan(t.reporter().clone(), scan);
        let remote = RemoteScan::of(&listing, t.config(), id, feedback.address())?;
        if t.reporter().summarises() {
            // Packing every share costs a pass over the list: only for the summary that tells it.
            let (tasks, largest) = remote.shares()?;
            let reader = encoded_len(&WireExec::Scan {
                scan: remote.without_objects(),
                projection: None,
            })?;
            t.reporter().note_cluster_plan(tasks as u64, reader + largest);
        }
        return Ok(Some(WireTable::Archive(remote)));
    }
    if let Some(t) = node.downcast_ref::<ExportTable>() {
        let export = t.export();
        if let Some(reporter) = t.reporter().filter(|r| r.summarises()) {
            let (tasks, largest) = export.shares()?;
            let reader = encoded_len(&WireExec::Export(export.without_objects()))?;
            reporter.note_cluster_plan(tasks as u64, reader + largest);
        }
        return Ok(Some(WireTable::Export(export.clone())));
    }
    if let Some(t) = node.downcast_ref::<LakeTable>() {
        return Ok(Some(WireTable::Lake(std::path::absolute(t.root())?)));
    }
    if let Some(t) = node.downcast_ref::<crate::attribution::sessions_table::SessionsTable>() {
        // Built on the client (from rows the executors decoded) before the query was planned; its rows
        // travel in the plan.
        let batch = t.built().ok_or_else(|| {
            DataFusionError::Internal("the sessions table was not built before planning".into())
        })?;
        return Ok(Some(WireTable::Rows(ipc_bytes(batch)?)));
    }
    if let Some(t) = node.downcast_ref::<RemoteEvents>() {
        return Ok(Some(WireTable::Archive(t.scan().clone())));
    }
    Ok(None)
}

/// A batch as Arrow IPC stream bytes.
fn ipc_bytes(batch: &RecordBatch) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut writer = StreamWriter::try_new(&mut out, &batch.schema())?;
    writer.write(batch)?;
    writer.finish()?;
    drop(writer);
    Ok(out)
}

/// The rows of [`ipc_bytes`] as a table.
fn rows_table(bytes: &[u8]) -> Result<Arc<dyn TableProvider>> {
    let reader = StreamReader::try_new(bytes, None)?;
    let schema = reader.schema();
    let batches = reader.collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
}

fn table_of(wire: WireTable) -> Result<Arc<dyn TableProvider>> {
    Ok(match wire {
        WireTable::Rows(bytes) => rows_table(&bytes)?,
        WireTable::Archive(scan) => Arc::new(RemoteEvents::new(scan)),
        WireTable::Export(export) => Arc::new(ExportTable::new(export)),
        WireTable::Lake(root) => {
            Arc::new(LakeTable::open(&root).map_err(|e| DataFusionError::External(Box::new(e)))?)
        }
        WireTable::Dedup {
            inner,
            fold,
            id,
            feedback,
        } => Arc::new(DedupTable::remote(
            table_of(*inner)?,
            if fold { Copies::Fold } else { Copies::Count },
            Arc::new(ClusterDedup { id, feedback }),
        )),
    })
}

/// A Sigma function rebuilt from its parameters, or `other` for any other function.
fn decode_udf_or(
    name: &str,
    buf: &[u8],
    other: impl FnOnce() -> Result<Arc<ScalarUDF>>,
) -> Result<Arc<ScalarUDF>> {
    crate::sigma::wire::decode_udf(name, buf).unwrap_or_else(other)
}

/// A Sigma function's parameters, or what `other` writes for any other function.
fn encode_udf_or(
    node: &ScalarUDF,
    buf: &mut Vec<u8>,
    other: impl FnOnce(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    match crate::sigma::wire::encode_udf(node)? {
        Some(params) => {
            buf.extend_from_slice(&params);
            Ok(())
        }
        None => other(buf),
    }
}

/// Encodes ctscan's tables; Ballista's codec does the rest.
#[derive(Debug, Default)]
pub struct LogicalCodec {
    ballista: BallistaLogicalExtensionCodec,
    /// On a client: the listener its tables' reads report to (nodes only decode, and need none).
    feedback: Option<Arc<Feedback>>,
}

impl LogicalCodec {
    /// The codec of a client whose executors report to `feedback`.
    pub fn client(feedback: Arc<Feedback>) -> LogicalCodec {
        LogicalCodec {
            feedback: Some(feedback),
            ..LogicalCodec::default()
        }
    }
}

impl PhysicalCodec {
    /// The codec of an executor with these settings.
    pub fn executor(worker: Worker) -> PhysicalCodec {
        PhysicalCodec {
            worker: Arc::new(worker),
            ..PhysicalCodec::default()
        }
    }
}

impl LogicalExtensionCodec for LogicalCodec {
    fn try_decode(&self, buf: &[u8], inputs: &[LogicalPlan], ctx: &TaskContext) -> Result<Extension> {
        self.ballista.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.ballista.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        match buf.split_first() {
            Some((&CTSCAN, rest)) => table_of(decode(rest)?),
            Some((&BALLISTA, rest)) => self
                .ballista
                .try_decode_table_provider(rest, table_ref, schema, ctx),
            _ => Err(DataFusionError::Plan(format!(
                "unknown table encoding for {table_ref}"
            ))),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        match table_wire(&node, self.feedback.as_deref())? {
            Some(wire) => encode(wire, buf),
            None => {
                buf.push(BALLISTA);
                self.ballista.try_encode_table_provider(table_ref, node, buf)
            }
        }
    }

    fn try_decode_file_format(&self, buf: &[u8], ctx: &TaskContext) -> Result<Arc<dyn FileFormatFactory>> {
        self.ballista.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(&self, buf: &mut Vec<u8>, node: Arc<dyn FileFormatFactory>) -> Result<()> {
        self.ballista.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_udf_or(name, buf, || self.ballista.try_decode_udf(name, buf))
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udf_or(node, buf, |buf| self.ballista.try_encode_udf(node, buf))
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        self.ballista.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.ballista.try_encode_udaf(node, buf)
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.ballista.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.ballista.try_encode_udwf(node, buf)
    }
}

/// The input of a reading operator: its tasks' shares.
fn shares(inputs: &[Arc<dyn ExecutionPlan>]) -> Result<Arc<dyn ExecutionPlan>> {
    inputs
        .first()
        .cloned()
        .ok_or_else(|| DataFusionError::Plan("a ctscan reader needs its shares".into()))
}

/// Encodes ctscan's operators; Ballista's codec does the rest (its shuffles among them).
#[derive(Debug, Default)]
pub struct PhysicalCodec {
    ballista: BallistaPhysicalExtensionCodec,
    /// On an executor: its threads and the S3 options it serves, which the operators it decodes use.
    worker: Arc<Worker>,
}

impl PhysicalExtensionCodec for PhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match buf.split_first() {
            Some((&CTSCAN, rest)) => match decode(rest)? {
                WireExec::Export(export) => Ok(Arc::new(ExportExec::over(
                    export,
                    self.worker.clone(),
                    shares(inputs)?,
                ))),
                WireExec::Scan { scan, projection } => Ok(Arc::new(ArchiveScanExec::over(
                    scan,
                    projection,
                    self.worker.clone(),
                    shares(inputs)?,
                )?)),
                WireExec::Dedup {
                    key,
                    keep,
                    fold,
                    id,
                    feedback,
                } => {
                    let input = inputs
                        .first()
                        .cloned()
                        .ok_or_else(|| DataFusionError::Plan("a dedup needs its input".into()))?;
                    Ok(Arc::new(DedupExec::new(
                        input,
                        key,
                        keep,
                        if fold { Copies::Fold } else { Copies::Count },
                        Arc::default(),
                        Some(Arc::new(ClusterDedup { id, feedback })),
                    )?))
                }
            },
            Some((&BALLISTA, rest)) => self.ballista.try_decode(rest, inputs, ctx, proto_converter),
            _ => Err(DataFusionError::Plan("unknown operator encoding".into())),
        }
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        if let Some(scan) = node.downcast_ref::<ArchiveScanExec>() {
            let (scan, projection) = scan.parts();
            return encode(
                WireExec::Scan {
                    scan: scan.clone(),
                    projection: projection.cloned(),
                },
                buf,
            );
        }
        if let Some(export) = node.downcast_ref::<ExportExec>() {
            return encode(WireExec::Export(export.export().clone()), buf);
        }
        if let Some(dedup) = node.downcast_ref::<DedupExec>() {
            let (key, keep, copies, remote) = dedup.wire();
            let remote = remote
                .and_then(|r| r.as_any().downcast_ref::<ClusterDedup>())
                .ok_or_else(|| DataFusionError::Internal("a local dedup on a cluster".into()))?;
            return encode(
                WireExec::Dedup {
                    key,
                    keep: keep.to_vec(),
                    fold: copies == Copies::Fold,
                    id: remote.id,
                    feedback: remote.feedback.clone(),
                },
                buf,
            );
        }
        buf.push(BALLISTA);
        self.ballista.try_encode(node, buf, proto_converter)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_udf_or(name, buf, || self.ballista.try_decode_udf(name, buf))
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udf_or(node, buf, |buf| self.ballista.try_encode_udf(node, buf))
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        self.ballista.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.ballista.try_encode_udaf(node, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_of_another_version_is_refused_by_name() {
        let mut buf = Vec::new();
        encode(WireTable::Lake("/lake".into()), &mut buf).unwrap();
        let text = String::from_utf8(zstd::stream::decode_all(&buf[1..]).unwrap()).unwrap();
        let other = text.replace(&format!("\"{}\"", version()), "\"0.0.0-other\"");
        let other = zstd::bulk::compress(other.as_bytes(), ZSTD_LEVEL).unwrap();
        let err = decode::<WireTable>(&other).unwrap_err().to_string();
        assert!(err.contains("version skew"), "{err}");
        assert!(err.contains("0.0.0-other") && err.contains(&version()), "{err}");
        assert!(matches!(
            decode::<WireTable>(&buf[1..]).unwrap(),
            WireTable::Lake(_)
        ));
    }
}
