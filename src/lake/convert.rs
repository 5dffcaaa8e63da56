//! Source objects turned into what a lake holds: their rows and their manifest entries (size, time or
//! ETag, SHA-256 of the bytes as read, event count, or why they could not be read). Shared by a local
//! export and a cluster's export tasks.

use crate::decode::{BatchBuilder, DecodeError, Provenance, decode_object};
use crate::events::scan::fetch;
use crate::lake::LakeError;
use crate::lake::manifest::Entry;
use crate::progress::{Reporter, ScanId};
use crate::source::ObjectRef;
use crate::source::evidence::{etag_of, mtime_of, sha256_hex};
use crate::source::s3::S3Access;
use crate::source::window::Scope;
use datafusion::arrow::array::RecordBatch;

/// One task's decoded objects: their manifest entries (files still to fill in) and their rows.
pub type Decoded = (Vec<Entry>, Vec<RecordBatch>);

/// Decodes one task's objects and returns their manifest entries and rows.
pub fn export_task(
    task: &[ObjectRef],
    max_object_bytes: u64,
    s3: &S3Access,
    reporter: &Reporter,
    scan: ScanId,
) -> Result<Decoded, LakeError> {
    // Whole objects are exported: the window picks objects, so a lake never holds part of one.
    let mut builder = BatchBuilder::new(None, Scope::default());
    let mut entries = Vec::with_capacity(task.len());
    let mut batches = Vec::new();
    // S3 objects are fetched together, many GETs in flight; local files are read one by one below.
    let mut prefetched = crate::source::s3::fetch_remote(s3, task).into_iter();
    for obj in task {
        let mtime = mtime_of(obj);
        let mut entry = Entry {
            key: obj.key.clone(),
            size: obj.size,
            mtime,
            etag: etag_of(obj),
            sha256: String::new(),
            events: 0,
            files: Vec::new(),
            error: None,
        };
        let prov = Provenance {
            key: &obj.key,
            log: obj.log.as_ref(),
        };
        let fetched = match prefetched.next().flatten() {
            Some(fetched) => fetched.map_err(DecodeError::from),
            None => fetch(obj, s3),
        };
        let outcome = fetched.and_then(|raw| {
            entry.sha256 = sha256_hex(&raw);
            entry.size = raw.len() as u64;
            decode_object(raw, &prov, &mut builder, max_object_bytes)
        });
        reporter.object_done(scan, obj, &outcome);
        match outcome {
            Ok(o) => entry.events = o.rows as u64,
            Err(e) => entry.error = Some(e.to_string()),
        }
        entries.push(entry);
        if builder.rows() >= 64 * 1024 {
            batches.push(builder.finish().map_err(|e| LakeError::Parquet(e.to_string()))?);
        }
    }
    batches.push(builder.finish().map_err(|e| LakeError::Parquet(e.to_string()))?);
    Ok((entries, batches))
}
