//! `ctscan export`: convert the objects of a window into a Parquet lake once, so later hunts and queries
//! run on columnar data and any engine can read the same files. Resumable: objects already in the manifest
//! are skipped, changed ones are reported, and an interrupted run leaves nothing a re-run would duplicate.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use anyhow::Context;
use clap::Args;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::cli::{EXIT_OK, EXIT_PARTIAL, GlobalArgs, ReadArgs, ScopeArgs};
use crate::decode::{BatchBuilder, Provenance, decode_object};
use crate::lake::LakeError;
use crate::lake::manifest::Entry;
use crate::lake::writer::LakeWriter;
use crate::report::{Reporter, ScanId};
use crate::scan::{chunks, fetch};
use crate::source::{self, Failure, Location, ObjectRef};
use crate::window::Scope;

/// Arguments of `ctscan export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Archive to convert: a directory, files, an `AWSLogs` tree, or `s3://bucket[/prefix]`.
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Lake folder to create or add to.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Seconds since the epoch of a local file's modification time, or of an S3 object's as listed.
pub fn mtime_of(obj: &ObjectRef) -> Option<i64> {
    let path = match &obj.location {
        Location::Local(path) => path,
        Location::S3 { modified, .. } => return *modified,
    };
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
    modified
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs() as i64)
}

/// The ETag of an S3 object as listed (`None` for local files).
pub fn etag_of(obj: &ObjectRef) -> Option<String> {
    match &obj.location {
        Location::S3 { etag, .. } => etag.clone(),
        Location::Local(_) => None,
    }
}

/// Whether a source object is the one the manifest recorded: same ETag for S3 objects (their content's
/// identity), same size and modification time for local files.
fn unchanged(e: &Entry, obj: &ObjectRef) -> bool {
    e.size == obj.size
        && match &obj.location {
            Location::S3 { etag, .. } => e.etag.is_some() && e.etag == *etag,
            Location::Local(_) => e.mtime == mtime_of(obj),
        }
}

/// Exports one task's objects: decodes them, writes their rows, and returns their manifest entries.
fn export_task(
    task: &[ObjectRef],
    writer: &LakeWriter,
    max_object_bytes: u64,
    reporter: &Reporter,
    scan: ScanId,
) -> Result<Vec<Entry>, LakeError> {
    // Whole objects are exported: the window picks objects, so a lake never holds part of one.
    let mut builder = BatchBuilder::new(None, Scope::default());
    let mut entries = Vec::with_capacity(task.len());
    let mut batches = Vec::new();
    // S3 objects are fetched together, many GETs in flight; local files are read one by one below.
    let mut prefetched = crate::source::s3::fetch_remote(task).into_iter();
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
        let fetched = prefetched.next().flatten().unwrap_or_else(|| fetch(obj));
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
    for (file, keys) in writer.write_rows(&batches)? {
        for e in entries.iter_mut().filter(|e| keys.contains(&e.key)) {
            e.files.push(file.clone());
        }
    }
    Ok(entries)
}

/// Runs `ctscan export`.
pub fn run(args: ExportArgs, global: &GlobalArgs) -> anyhow::Result<i32> {
    global.init_threads()?;
    let scope = args.scope.scope()?;
    let reporter = Reporter::new(global.report_options());
    let writer = LakeWriter::open(&args.out)
        .with_context(|| format!("cannot open the lake {}", args.out.display()))?;
    let listing = source::list(&args.sources, &scope)?;
    let out_abs = std::fs::canonicalize(&args.out).unwrap_or_else(|_| args.out.clone());
    let mut todo = Vec::new();
    let mut already = 0u64;
    let mut changed = 0u64;
    for obj in &listing.objects {
        if let Location::Local(p) = &obj.location
            && std::fs::canonicalize(p).is_ok_and(|p| p.starts_with(&out_abs))
        {
            continue; // never read the lake being written
        }
        match writer.manifest().get(&obj.key) {
            Some(e) if e.error.is_none() && unchanged(e, obj) => already += 1,
            Some(e) if e.error.is_none() => {
                changed += 1;
                let etag = e
                    .etag
                    .as_deref()
                    .map(|t| format!(", ETag {t}"))
                    .unwrap_or_default();
                reporter.failure(&Failure {
                    key: obj.key.clone(),
                    category: "changed since export",
                    reason: format!(
                        "changed since it was exported (then {} bytes{etag}, sha256 {}); not exported again",
                        e.size, e.sha256
                    ),
                });
            }
            _ => todo.push(obj.clone()),
        }
    }
    let scan = reporter.begin_scan(&source::Listing {
        objects: todo.clone(),
        skipped: listing.skipped.clone(),
        failures: listing.failures.clone(),
    });
    let tasks = chunks(todo, rayon::current_num_threads());
    let (tx, rx) = mpsc::sync_channel::<Result<Vec<Entry>, LakeError>>(2);
    let stop = AtomicBool::new(false);
    let mut exported = 0u64;
    let mut events = 0u64;
    let outcome = std::thread::scope(|s| -> anyhow::Result<()> {
        let (w, reporter_ref, stop_ref) = (&writer, &reporter, &stop);
        let max = args.read.max_object_size;
        s.spawn(move || {
            tasks.par_iter().for_each_with(tx, |tx, task| {
                if !stop_ref.load(Ordering::Relaxed) {
                    let _ = tx.send(export_task(task, w, max, reporter_ref, scan));
                }
            });
        });
        let result = (|| {
            for result in rx {
                let entries = result?;
                let failed = entries.iter().find(|e| e.error.is_some()).cloned();
                exported += entries.iter().filter(|e| e.error.is_none()).count() as u64;
                events += entries.iter().map(|e| e.events).sum::<u64>();
                writer.commit(entries)?;
                if global.strict
                    && let Some(f) = failed
                {
                    anyhow::bail!("{}: {} (stopped by --strict)", f.key, f.error.unwrap_or_default());
                }
            }
            Ok(())
        })();
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        result
    });
    reporter.finish();
    outcome?;
    println!(
        "exported {exported} objects ({events} events) to {}; {already} already in the lake, {changed} changed since export",
        args.out.display()
    );
    Ok(if reporter.had_problems() {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}
