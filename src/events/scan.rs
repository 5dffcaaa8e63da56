//! The parallel read: objects are fetched and decoded on a scan's own threads (as many as `--threads`), a
//! chunk of objects per task, and the batches flow through a bounded channel, so memory stays flat however
//! large the archive.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use tokio::sync::mpsc;

use crate::decode::gate::RowGate;
use crate::decode::needles::Needles;
use crate::decode::{BatchBuilder, DecodeError, Provenance, decode_object};
use crate::progress::{Reporter, ScanId};
use crate::source::s3::{Prefetch, S3Access};
use crate::source::window::Scope;
use crate::source::{Location, ObjectRef};

/// Settings of a read that do not depend on the query.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Which events to keep.
    pub scope: Scope,
    /// Per-object cap on decompressed bytes.
    pub max_object_bytes: u64,
    /// Stop at the first unreadable object.
    pub strict: bool,
    /// Rows per batch, roughly.
    pub batch_rows: usize,
    /// For hunts: build the costly columns only for rows some rule can match.
    pub gate: Option<RowGate>,
    /// Literals a row must hold for the query to keep it: objects without them are counted, not built.
    pub needles: Option<Arc<Needles>>,
    /// Whether a table may set `needles` from a query's filters (`--parse-all` says no).
    pub skip_by_literals: bool,
    /// Read only these objects (by key), when set: a hunt reading back the events it reports.
    pub only_objects: Option<Arc<BTreeSet<String>>>,
    /// Threads that decode (the run's `--threads`).
    pub threads: usize,
    /// How `s3://` objects are reached.
    pub s3: S3Access,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            scope: Scope::default(),
            max_object_bytes: 2 << 30,
            strict: false,
            batch_rows: 8192,
            gate: None,
            needles: None,
            skip_by_literals: true,
            only_objects: None,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            s3: S3Access::default(),
        }
    }
}

/// The error a `--strict` read stops with.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {source} (stopped by --strict)")]
pub struct StrictStop {
    /// The object that could not be read.
    pub key: String,
    /// Why.
    pub source: DecodeError,
}

/// Reads an object's bytes from wherever it is.
pub fn fetch(obj: &ObjectRef, s3: &S3Access) -> Result<Vec<u8>, DecodeError> {
    match &obj.location {
        Location::Local(path) => std::fs::read(path).map_err(|e| DecodeError::Read(e.to_string())),
        Location::S3 { .. } => Ok(s3.fetch_blocking(obj)?),
    }
}

/// Splits objects into tasks of a few MiB each so batches are a useful size and all cores stay busy.
pub fn chunks(objects: Vec<ObjectRef>, threads: usize) -> Vec<Vec<ObjectRef>> {
    let total: u64 = objects.iter().map(|o| o.size).sum();
    let per_thread = total / (threads.max(1) as u64 * 4);
    let target = per_thread.clamp(64 << 10, 4 << 20);
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut size = 0;
    for o in objects {
        size += o.size;
        cur.push(o);
        if size >= target || cur.len() >= 256 {
            out.push(std::mem::take(&mut cur));
            size = 0;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// One decoder's state: its batch builder and where batches go.
struct Decoder<'a> {
    builder: BatchBuilder,
    config: &'a ScanConfig,
    reporter: &'a Reporter,
    scan: ScanId,
    tx: &'a mpsc::Sender<Result<RecordBatch, DataFusionError>>,
    stop: &'a AtomicBool,
}

impl Decoder<'_> {
    fn send(&self, r: Result<RecordBatch, DataFusionError>) {
        if self.tx.blocking_send(r).is_err() {
            // The consumer is gone (LIMIT reached or error): stop reading.
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    /// Decodes one fetched object; `false` when the read must stop.
    fn object(&mut self, obj: &ObjectRef, fetched: Result<Vec<u8>, DecodeError>) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return false;
        }
        let prov = Provenance {
            key: &obj.key,
            log: obj.log.as_ref(),
        };
        let max = self.config.max_object_bytes;
        let outcome = fetched.and_then(|raw| decode_object(raw, &prov, &mut self.builder, max));
        self.reporter.object_done(self.scan, obj, &outcome);
        if self.config.strict
            && let Err(e) = outcome
        {
            self.stop.store(true, Ordering::Relaxed);
            let err = StrictStop {
                key: obj.key.clone(),
                source: e,
            };
            let _ = self
                .tx
                .blocking_send(Err(DataFusionError::External(Box::new(err))));
            return false;
        }
        if self.builder.rows() >= self.config.batch_rows {
            let batch = self.builder.finish().map_err(DataFusionError::from);
            self.send(batch);
        }
        true
    }

    /// Sends the rows still in the builder.
    fn flush(&mut self) {
        if self.builder.rows() > 0 {
            let batch = self.builder.finish().map_err(DataFusionError::from);
            self.send(batch);
        }
    }
}

/// Starts reading `objects` in the background and returns the stream of their batches. Local files are
/// read by the decoding threads themselves; S3 objects are fetched ahead of them, many at a time.
pub fn stream_objects(
    objects: Vec<ObjectRef>,
    projection: Option<Vec<usize>>,
    config: ScanConfig,
    reporter: Arc<Reporter>,
    scan: ScanId,
) -> SendableRecordBatchStream {
    let schema: SchemaRef = BatchBuilder::new(projection.as_deref(), config.scope.clone()).schema();
    let threads = config.threads.max(1);
    let (tx, rx) = mpsc::channel::<Result<RecordBatch, DataFusionError>>(threads * 2);
    let (remote, local): (Vec<ObjectRef>, Vec<ObjectRef>) = objects
        .into_iter()
        .partition(|o| matches!(o.location, Location::S3 { .. }));
    let tasks = chunks(local, threads);
    let prefetch = (!remote.is_empty()).then(|| Arc::new(Prefetch::start(&config.s3, remote)));
    // Each scan decodes on threads of its own: when a consumer reads one scan before another (a join's build
    // side before its probe side), the other scan's threads wait on their full channel without taking any
    // thread the first scan needs.
    let spawned = std::thread::Builder::new()
        .name("ctscan-scan".into())
        .spawn(move || {
            let stop = AtomicBool::new(false);
            let next = AtomicUsize::new(0);
            let decoder = || Decoder {
                builder: BatchBuilder::new(projection.as_deref(), config.scope.clone())
                    .with_gate(config.gate.clone())
                    .with_needles(config.needles.clone()),
                config: &config,
                reporter: &reporter,
                scan,
                tx: &tx,
                stop: &stop,
            };
            let work = || {
                while let Some(task) = tasks.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let mut d = decoder();
                    for obj in task {
                        if !d.object(obj, fetch(obj, &config.s3)) {
                            return;
                        }
                    }
                    d.flush();
                }
                if let Some(prefetch) = &prefetch {
                    let mut d = decoder();
                    while let Some((obj, fetched)) = prefetch.next() {
                        if !d.object(&obj, fetched.map_err(DecodeError::from)) {
                            return;
                        }
                    }
                    d.flush();
                }
            };
            std::thread::scope(|s| {
                for i in 0..threads {
                    let spawned = std::thread::Builder::new()
                        .name(format!("ctscan-decode-{i}"))
                        .spawn_scoped(s, work);
                    if spawned.is_err() {
                        work(); // no more threads: this one does the work
                    }
                }
            });
        });
    if let Err(e) = spawned {
        let (tx, rx) = mpsc::channel(1);
        let _ = tx.try_send(Err(DataFusionError::Execution(format!(
            "cannot start a reading thread: {e}"
        ))));
        let stream =
            futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
        return Box::pin(RecordBatchStreamAdapter::new(schema, stream));
    }
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    Box::pin(RecordBatchStreamAdapter::new(schema, stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(size: u64) -> ObjectRef {
        ObjectRef {
            key: format!("k{size}"),
            size,
            log: None,
            location: Location::Local("x".into()),
        }
    }

    #[test]
    fn chunking_keeps_every_object_once() {
        let objects: Vec<ObjectRef> = (0..1000).map(|i| obj(1000 + i)).collect();
        let tasks = chunks(objects.clone(), 2);
        assert!(tasks.len() > 2);
        let flat: Vec<ObjectRef> = tasks.into_iter().flatten().collect();
        assert_eq!(flat, objects);
        assert!(chunks(vec![], 2).is_empty());
    }
}
