//! `ctscan export`: convert the objects of a window into a Parquet lake once, so later hunts and queries
//! run on columnar data and any engine can read the same files. Resumable: objects already in the manifest
//! are skipped, changed ones are reported, and an interrupted run leaves nothing a re-run would duplicate.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};

use anyhow::Context;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::filter_record_batch;
use rayon::prelude::*;

use crate::cli::args::{EXIT_OK, EXIT_PARTIAL};
use crate::cli::context::RunContext;
use crate::cli::export::ExportArgs;
use crate::cluster::Target;
use crate::cluster::export::{ExportTable, RemoteExport, entries};
use crate::events::dedup::SeenEvents;
use crate::events::scan::chunks;
use crate::events::session::Exec;
use crate::lake::LakeError;
use crate::lake::convert::{Decoded, export_task};
use crate::lake::lake_table::LakeTable;
use crate::lake::manifest::Entry;
use crate::lake::writer::LakeWriter;
use crate::progress::Reporter;
use crate::schema::{EVENT_ID, RECIPIENT_ACCOUNT};
use crate::source::evidence::mtime_of;
use crate::source::{self, Failure, Location, ObjectRef};
use futures::StreamExt;

/// The events a lake already holds, so a resumed `--dedup` export does not write them again.
fn seen_in_lake(root: &std::path::Path, has_files: bool) -> anyhow::Result<SeenEvents> {
    let seen = SeenEvents::default();
    if !has_files {
        return Ok(seen);
    }
    let rt = crate::events::session::runtime(1)?;
    rt.block_on(async {
        let ctx = Exec::local(1).session()?;
        ctx.register_table("events", Arc::new(LakeTable::open(root)?))?;
        let batches = ctx
            .sql("SELECT eventID, recipientAccountId FROM events")
            .await?
            .collect()
            .await?;
        for b in batches {
            seen.first_rows(b.column(0).as_ref(), b.column(1).as_ref())?;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    seen.reset_count();
    Ok(seen)
}

/// The batches with later copies of an event left out (`fold`) or only counted in `seen`.
fn first_copies(
    seen: &SeenEvents,
    batches: Vec<RecordBatch>,
    fold: bool,
) -> anyhow::Result<Vec<RecordBatch>> {
    batches
        .into_iter()
        .map(|b| {
            let id = b.column(b.schema().index_of(EVENT_ID)?).clone();
            let account = b.column(b.schema().index_of(RECIPIENT_ACCOUNT)?).clone();
            let keep = seen.first_rows(id.as_ref(), account.as_ref())?;
            Ok(if fold && keep.false_count() > 0 {
                filter_record_batch(&b, &keep)?
            } else {
                b
            })
        })
        .collect()
}

/// Rows gathered before they are written: enough for files of a useful size (few files make fast lake
/// queries), few enough to keep memory well under a gigabyte.
const FLUSH_ROWS: usize = 96 * 1024;

/// Whether a source object is the one the manifest recorded: same ETag for S3 objects (their content's
/// identity), same size and modification time for local files.
fn unchanged(e: &Entry, obj: &ObjectRef) -> bool {
    e.size == obj.size
        && match &obj.location {
            Location::S3 { etag, .. } => e.etag.is_some() && e.etag == *etag,
            Location::Local(_) => e.mtime == mtime_of(obj),
        }
}

/// Decoded objects waiting to be written and committed together.
#[derive(Default)]
struct Pending {
    entries: Vec<Entry>,
    batches: Vec<RecordBatch>,
    rows: usize,
}

impl Pending {
    fn add(&mut self, (entries, batches): Decoded) {
        self.rows += batches.iter().map(RecordBatch::num_rows).sum::<usize>();
        self.entries.extend(entries);
        self.batches.extend(batches);
    }

    /// Writes the rows, then records the objects in the manifest: only now do their files count.
    fn flush(&mut self, writer: &LakeWriter) -> Result<(), LakeError> {
        let Pending {
            mut entries, batches, ..
        } = std::mem::take(self);
        for (file, keys) in writer.write_rows(&batches)? {
            for e in entries.iter_mut().filter(|e| keys.contains(&e.key)) {
                e.files.push(file.clone());
            }
        }
        drop(batches);
        writer.commit(entries)
    }
}

/// Exports `todo` on the cluster: executors write the files, and each task's entries are committed here
/// as they arrive, their files complete. Files of failed or repeated tasks are removed at the end.
#[allow(clippy::too_many_arguments)]
fn export_on_cluster(
    target: &Arc<Target>,
    writer: &LakeWriter,
    todo: &[ObjectRef],
    args: &ExportArgs,
    reporter: &Arc<Reporter>,
    scan: crate::progress::ScanId,
    run: &RunContext,
) -> anyhow::Result<(u64, u64)> {
    let id = target.feedback().register_scan(reporter.clone(), scan);
    let root = std::path::absolute(writer.root())?;
    let export = RemoteExport::new(
        todo,
        root,
        args.read.max_object_size,
        run.s3.options(),
        id,
        target.feedback().address(),
    )?;
    let (threads, strict) = (run.threads, run.strict);
    let rt = crate::events::session::runtime(threads)?;
    let result = rt.block_on(async {
        let ctx = run.exec(Some(target)).session()?;
        let mut stream = ctx
            .read_table(Arc::new(ExportTable::new(export).reporting_to(reporter.clone())))?
            .execute_stream()
            .await
            .context("the cluster export failed")?;
        let (mut exported, mut events) = (0u64, 0u64);
        while let Some(batch) = stream.next().await {
            let batch = batch.context("the cluster export failed")?;
            reporter.note_returned(crate::events::remote_rows::batch_bytes(&batch));
            let entries = entries(&batch)?;
            let failed = entries.iter().find(|e| e.error.is_some()).cloned();
            exported += entries.iter().filter(|e| e.error.is_none()).count() as u64;
            events += entries.iter().map(|e| e.events).sum::<u64>();
            writer.commit(entries)?;
            if let (true, Some(f)) = (strict, failed) {
                anyhow::bail!("{}: {} (stopped by --strict)", f.key, f.error.unwrap_or_default());
            }
        }
        Ok::<_, anyhow::Error>((exported, events))
    });
    writer
        .remove_leftovers()
        .context("cannot remove the files of unfinished tasks")?;
    result
}

/// Runs `ctscan export`.
pub fn run(args: ExportArgs, ctx: &RunContext) -> anyhow::Result<i32> {
    let threads = ctx.threads;
    let scope = args.scope.scope()?;
    let reporter = Arc::new(ctx.reporter());
    crate::events::session::check_sources(&args.sources)?;
    let out = args.out.to_string_lossy();
    let mut paths: Vec<&str> = args.sources.iter().map(String::as_str).collect();
    paths.push(&out);
    let cluster = args.cluster.connect(&paths)?;
    if cluster.is_some() && args.dedup {
        anyhow::bail!(
            "--dedup needs every event of the lake in one memory, which a cluster does not have; export without \
--dedup (queries and hunts fold copies with --dedup) or without --cluster"
        );
    }
    let writer = LakeWriter::open(&args.out, threads)
        .with_context(|| format!("cannot open the lake {}", args.out.display()))?;
    let listing = source::list(&args.sources, &scope, &ctx.s3)?;
    let out_abs = std::fs::canonicalize(&args.out).unwrap_or_else(|_| args.out.clone());
    let mut todo: Vec<ObjectRef> = Vec::new();
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
        digests: Vec::new(),
    });
    // Day by day, so each flush holds few days and writes few, large files.
    todo.sort_by(|a, b| {
        (a.log.as_ref().map(|l| l.day), &a.key).cmp(&(b.log.as_ref().map(|l| l.day), &b.key))
    });
    let has_files = writer.manifest().entries().iter().any(|e| !e.files.is_empty());
    // Without --dedup the copies are kept, and counted only for the run summary (counting costs a memory
    // of every event).
    let seen = match (args.dedup, ctx.progress.summary) {
        // On a cluster, counting copies would need every event in one memory: the summary says so.
        _ if cluster.is_some() => None,
        (true, _) => {
            Some(seen_in_lake(&args.out, has_files).context("cannot read the events already in the lake")?)
        }
        (false, true) => Some(SeenEvents::default()),
        (false, false) => None,
    };
    if let Some(target) = &cluster {
        let counted = export_on_cluster(target, &writer, &todo, &args, &reporter, scan, ctx);
        reporter.finish();
        let (exported, events) = counted?;
        let copies = if ctx.progress.summary {
            "; duplicate records not counted on a cluster"
        } else {
            ""
        };
        println!(
            "exported {exported} objects ({events} events) to {}; {already} already in the lake, {changed} changed \
since export{copies}",
            args.out.display()
        );
        return Ok(if reporter.had_problems() {
            EXIT_PARTIAL
        } else {
            EXIT_OK
        });
    }
    let tasks = chunks(todo, threads);
    let (tx, rx) = mpsc::sync_channel::<Result<Decoded, LakeError>>(2);
    let stop = AtomicBool::new(false);
    let mut exported = 0u64;
    let mut events = 0u64;
    let outcome = std::thread::scope(|s| -> anyhow::Result<()> {
        let (reporter_ref, stop_ref) = (&reporter, &stop);
        let max = args.read.max_object_size;
        let s3 = &ctx.s3;
        s.spawn(move || {
            ctx.install(|| {
                tasks.par_iter().for_each_with(tx, |tx, task| {
                    if !stop_ref.load(Ordering::Relaxed) {
                        let _ = tx.send(export_task(task, max, s3, reporter_ref, scan));
                    }
                });
            })
        });
        let mut pending = Pending::default();
        let result = (|| {
            for result in rx {
                let mut decoded = result?;
                if let Some(seen) = &seen {
                    decoded.1 = first_copies(seen, std::mem::take(&mut decoded.1), args.dedup)?;
                }
                let failed = decoded.0.iter().find(|e| e.error.is_some()).cloned();
                exported += decoded.0.iter().filter(|e| e.error.is_none()).count() as u64;
                events += decoded.0.iter().map(|e| e.events).sum::<u64>();
                pending.add(decoded);
                if let (true, Some(f)) = (ctx.strict, failed) {
                    pending.flush(&writer)?;
                    anyhow::bail!("{}: {} (stopped by --strict)", f.key, f.error.unwrap_or_default());
                }
                if pending.rows >= FLUSH_ROWS {
                    pending.flush(&writer)?;
                }
            }
            pending.flush(&writer)?;
            Ok(())
        })();
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        result
    });
    reporter.finish();
    outcome?;
    let folded = match (&seen, args.dedup) {
        (Some(s), true) => format!("; {} duplicate records not written again", s.duplicates()),
        (Some(s), false) => format!(
            "; {} duplicate records (same eventID and recipientAccountId) kept, --dedup writes each event once",
            s.duplicates()
        ),
        (None, _) => String::new(),
    };
    println!(
        "exported {exported} objects ({events} events) to {}; {already} already in the lake, {changed} changed since export{folded}",
        args.out.display()
    );
    Ok(if reporter.had_problems() {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}
