//! The parallel read: objects are fetched and decoded on rayon's pool, a chunk of objects per task, and the
//! batches flow through a bounded channel, so memory stays flat however large the archive.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use rayon::prelude::*;
use tokio::sync::mpsc;

use crate::decode::{BatchBuilder, DecodeError, Provenance, decode_object};
use crate::report::{Reporter, ScanId};
use crate::source::{Location, ObjectRef};
use crate::window::Scope;

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
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            scope: Scope::default(),
            max_object_bytes: 2 << 30,
            strict: false,
            batch_rows: 8192,
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
pub fn fetch(obj: &ObjectRef) -> Result<Vec<u8>, DecodeError> {
    match &obj.location {
        Location::Local(path) => std::fs::read(path).map_err(|e| DecodeError::Read(e.to_string())),
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

/// Starts reading `objects` in the background and returns the stream of their batches.
pub fn stream_objects(
    objects: Vec<ObjectRef>,
    projection: Option<Vec<usize>>,
    config: ScanConfig,
    reporter: Arc<Reporter>,
    scan: ScanId,
) -> SendableRecordBatchStream {
    let schema: SchemaRef = BatchBuilder::new(projection.as_deref(), config.scope.clone()).schema();
    let threads = rayon::current_num_threads();
    let (tx, rx) = mpsc::channel::<Result<RecordBatch, DataFusionError>>(threads * 2);
    let tasks = chunks(objects, threads);
    rayon::spawn(move || {
        let stop = AtomicBool::new(false);
        tasks.par_iter().for_each(|task| {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let mut builder = BatchBuilder::new(projection.as_deref(), config.scope.clone());
            let send = |r: Result<RecordBatch, DataFusionError>| {
                if tx.blocking_send(r).is_err() {
                    // The consumer is gone (LIMIT reached or error): stop reading.
                    stop.store(true, Ordering::Relaxed);
                }
            };
            for obj in task {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let prov = Provenance {
                    key: &obj.key,
                    log: obj.log.as_ref(),
                };
                let outcome = fetch(obj)
                    .and_then(|raw| decode_object(raw, &prov, &mut builder, config.max_object_bytes));
                reporter.object_done(scan, obj, &outcome);
                if config.strict
                    && let Err(e) = outcome
                {
                    stop.store(true, Ordering::Relaxed);
                    let err = StrictStop {
                        key: obj.key.clone(),
                        source: e,
                    };
                    let _ = tx.blocking_send(Err(DataFusionError::External(Box::new(err))));
                    return;
                }
                if builder.rows() >= config.batch_rows {
                    send(builder.finish().map_err(DataFusionError::from));
                }
            }
            if builder.rows() > 0 {
                send(builder.finish().map_err(DataFusionError::from));
            }
        });
    });
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
