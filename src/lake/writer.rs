//! Writing a lake safely: one writer at a time (an OS file lock, released even if the process is killed),
//! every file written under a temporary name and renamed when complete, and on open, leftovers of an
//! interrupted run (temporary files, files no manifest line refers to) removed, so a re-run ends with
//! exactly the rows of an uninterrupted one.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::interleave_record_batch;
use datafusion::arrow::datatypes::TimestampMicrosecondType;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;

use super::manifest::{Entry, Manifest};
use super::{DATA_DIR, LakeError, META_DIR, check_version, is_lake, manifest_path, write_marker};
use crate::schema::{EVENT_TIME, OBJECT_KEY, events_schema};

/// Partition value for rows without a usable event time (Hive's convention).
pub const NO_DAY: &str = "__HIVE_DEFAULT_PARTITION__";
/// Columns whose values are (nearly) all distinct, written without a dictionary.
const UNIQUE_COLUMNS: &[&str] = &[
    "eventID",
    "requestID",
    "sharedEventID",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "extras",
];
/// High-cardinality pivots a responder looks up one value of (`trace KEY`, an address, the events a finding
/// names by id): each row group carries a bloom filter of them, so a lookup skips the row groups that cannot
/// hold the value.
const BLOOM_COLUMNS: &[&[&str]] = &[
    &["userIdentity", "accessKeyId"],
    &["sourceIPAddress"],
    &["eventID"],
];
/// False positives a bloom filter may give: 1 in 100 row groups read for nothing.
const BLOOM_FPP: f64 = 0.01;
/// Rows per Parquet row group: small enough that time, account, region and eventName statistics skip data.
const ROW_GROUP_ROWS: usize = 64 * 1024;

/// Writes `bytes` to `path` through a temporary file and a rename, so readers see all or nothing.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), LakeError> {
    let tmp = tmp_name(path);
    let mut f = File::create(&tmp).map_err(|e| LakeError::io(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| LakeError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| LakeError::io(path, e))
}

fn tmp_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Whether a folder that is not a lake may become one: it is empty, or holds only what a creation
/// killed before its marker was written leaves (the metadata folder with the lock file and the
/// marker's temporary file), so such a kill never makes the folder unusable.
fn holds_nothing_but_an_unfinished_creation(root: &Path) -> Result<bool, LakeError> {
    let names = |dir: &Path| -> Result<Vec<String>, LakeError> {
        std::fs::read_dir(dir)
            .map_err(|e| LakeError::io(dir, e))?
            .map(|e| {
                e.map(|e| e.file_name().to_string_lossy().into_owned())
                    .map_err(|e| LakeError::io(dir, e))
            })
            .collect()
    };
    let top = names(root)?;
    if top.is_empty() {
        return Ok(true);
    }
    let meta = root.join(META_DIR);
    if top != [META_DIR] || !meta.is_dir() {
        return Ok(false);
    }
    let marker_tmp = tmp_name(&super::marker_path(root));
    let marker_tmp = marker_tmp.file_name().unwrap_or_default().to_string_lossy();
    Ok(names(&meta)?.iter().all(|n| n == "lock" || *n == marker_tmp))
}

/// The one open writer of a lake.
pub struct LakeWriter {
    files: LakeFiles,
    manifest: Mutex<Manifest>,
    /// Held for the writer's lifetime; the OS releases it when the process ends, however it ends.
    _lock: File,
}

/// Writes a lake's data files, each under a name no other writer uses; the files count as part of the
/// lake only once the lake's writer records them in the manifest. An executor of a cluster export writes
/// through one of these while the client holds the lock and the manifest.
pub struct LakeFiles {
    root: PathBuf,
    seq: AtomicU64,
    run_id: String,
    /// Encodes files. Not the global pool: its threads may all be blocked handing decoded rows to the
    /// thread that is waiting for these files.
    encoders: rayon::ThreadPool,
}

impl LakeFiles {
    /// Files under `root` named after `run_id`, which must be unique to this writer, encoded on `threads`
    /// threads of their own.
    pub fn new(root: &Path, run_id: String, threads: usize) -> Result<LakeFiles, LakeError> {
        Ok(LakeFiles {
            root: root.to_path_buf(),
            seq: AtomicU64::new(0),
            run_id,
            encoders: rayon::ThreadPoolBuilder::new()
                .num_threads(threads.max(1))
                .thread_name(|i| format!("ctscan-encode-{i}"))
                .build()
                .map_err(|e| LakeError::Parquet(format!("cannot start encoder threads: {e}")))?,
        })
    }
}

/// A name for one run's files: its start time and process.
pub fn run_id() -> String {
    format!(
        "{:x}-{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
        std::process::id()
    )
}

impl LakeWriter {
    /// Opens (or creates) a lake for writing, its files encoded on `threads` threads.
    pub fn open(root: &Path, threads: usize) -> Result<LakeWriter, LakeError> {
        let meta = root.join(META_DIR);
        let existed = is_lake(root);
        if existed {
            check_version(root)?;
        } else if root.is_dir() && !holds_nothing_but_an_unfinished_creation(root)? {
            return Err(LakeError::Corrupt(format!(
                "{} is not empty and not a ctscan lake; choose an empty or new folder",
                root.display()
            )));
        }
        std::fs::create_dir_all(&meta).map_err(|e| LakeError::io(&meta, e))?;
        let lock_path = meta.join("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| LakeError::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(LakeError::Locked(root.display().to_string()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(LakeError::io(&lock_path, e)),
        }
        if !existed {
            write_marker(root)?;
        }
        let mpath = manifest_path(root);
        let manifest = Manifest::load(&mpath)?;
        manifest.repair(&mpath)?;
        let w = LakeWriter {
            files: LakeFiles::new(root, run_id(), threads)?,
            manifest: Mutex::new(manifest),
            _lock: lock,
        };
        w.remove_leftovers()?;
        Ok(w)
    }

    /// The manifest as it stands.
    pub fn manifest(&self) -> MutexGuard<'_, Manifest> {
        self.manifest.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The lake folder.
    pub fn root(&self) -> &Path {
        &self.files.root
    }

    /// Writes rows as one sorted Parquet file per event day; see [`LakeFiles::write_rows`].
    pub fn write_rows(&self, batches: &[RecordBatch]) -> Result<Vec<(String, BTreeSet<String>)>, LakeError> {
        self.files.write_rows(batches)
    }

    /// Deletes temporary files and data files no manifest line refers to (an interrupted run's output).
    pub fn remove_leftovers(&self) -> Result<(), LakeError> {
        let manifest = self.manifest();
        let known = manifest.files();
        let root = self.root();
        let data = root.join(DATA_DIR);
        if !data.exists() {
            return Ok(());
        }
        for entry in walkdir::WalkDir::new(&data) {
            let entry = entry.map_err(|e| LakeError::Corrupt(e.to_string()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .into_owned();
            if !known.contains(rel.as_str()) {
                std::fs::remove_file(entry.path()).map_err(|e| LakeError::io(entry.path(), e))?;
            }
        }
        Ok(())
    }

    /// Records exported objects; only now do their files count as part of the lake.
    pub fn commit(&self, entries: Vec<Entry>) -> Result<(), LakeError> {
        let path = manifest_path(self.root());
        self.manifest().append(&path, entries)
    }
}

impl LakeFiles {
    /// Writes rows as one sorted Parquet file per event day (the days in parallel); returns each file
    /// (relative to the root) with the source objects (`objectKey`) that have rows in it.
    pub fn write_rows(&self, batches: &[RecordBatch]) -> Result<Vec<(String, BTreeSet<String>)>, LakeError> {
        if batches.iter().all(|b| b.num_rows() == 0) {
            return Ok(Vec::new());
        }
        let schema = events_schema();
        let time_idx = schema.index_of(EVENT_TIME).expect("events schema has eventTime");
        let key_idx = schema.index_of(OBJECT_KEY).expect("events schema has objectKey");
        // (batch, row) of every row, by day: each day's file is gathered once, already in time order.
        let mut by_day: BTreeMap<Option<i64>, Vec<(usize, usize)>> = BTreeMap::new();
        let times: Vec<_> = batches
            .iter()
            .map(|b| b.column(time_idx).as_primitive::<TimestampMicrosecondType>())
            .collect();
        for (b, t) in times.iter().enumerate() {
            for i in 0..t.len() {
                let day = t.is_valid(i).then(|| t.value(i).div_euclid(86_400_000_000));
                by_day.entry(day).or_default().push((b, i));
            }
        }
        let refs: Vec<&RecordBatch> = batches.iter().collect();
        let parquet_err = |e: datafusion::arrow::error::ArrowError| LakeError::Parquet(e.to_string());
        self.encoders.install(|| {
            by_day
                .into_par_iter()
                .map(|(day, mut rows)| {
                    // Stable, so rows of equal time keep their delivery order; NULL times sort first.
                    rows.sort_by_key(|&(b, i)| times[b].is_valid(i).then(|| times[b].value(i)));
                    let sorted = interleave_record_batch(&refs, &rows).map_err(parquet_err)?;
                    drop(rows);
                    let folder = match day {
                        Some(d) => {
                            let date = chrono::DateTime::from_timestamp(d * 86_400, 0)
                                .map(|t| t.date_naive().to_string());
                            format!("day={}", date.unwrap_or_else(|| NO_DAY.into()))
                        }
                        None => format!("day={NO_DAY}"),
                    };
                    let seq = self.seq.fetch_add(1, Ordering::Relaxed);
                    let rel = format!("{DATA_DIR}/{folder}/part-{}-{seq:05}.parquet", self.run_id);
                    self.write_parquet(&rel, &sorted, time_idx)?;
                    let keys = sorted.column(key_idx).as_string::<i32>();
                    Ok((rel, keys.iter().flatten().map(str::to_string).collect()))
                })
                .collect()
        })
    }

    fn write_parquet(&self, rel: &str, batch: &RecordBatch, time_idx: usize) -> Result<(), LakeError> {
        let path = self.root.join(rel);
        let dir = path.parent().expect("lake files live in a partition folder");
        std::fs::create_dir_all(dir).map_err(|e| LakeError::io(dir, e))?;
        let tmp = tmp_name(&path);
        let file = File::create(&tmp).map_err(|e| LakeError::io(&tmp, e))?;
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(1).expect("valid zstd level"),
            ))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_sorting_columns(Some(vec![SortingColumn {
                column_idx: time_idx as i32,
                descending: false,
                nulls_first: true,
            }]));
        // Nearly every value of these is unique: a dictionary only costs time before it is abandoned.
        for column in UNIQUE_COLUMNS {
            props = props.set_column_dictionary_enabled(ColumnPath::from(*column), false);
        }
        for column in BLOOM_COLUMNS {
            let path = ColumnPath::new(column.iter().map(|c| c.to_string()).collect());
            props = props
                .set_column_bloom_filter_enabled(path.clone(), true)
                .set_column_bloom_filter_max_ndv(path.clone(), ROW_GROUP_ROWS as u64)
                .set_column_bloom_filter_fpp(path, BLOOM_FPP);
        }
        let props = props.build();
        let written = (|| {
            let fail =
                |e: parquet::errors::ParquetError| LakeError::Parquet(format!("{}: {e}", tmp.display()));
            let mut w =
                ArrowWriter::try_new(file, Arc::clone(batch.schema_ref()), Some(props)).map_err(fail)?;
            w.write(batch).map_err(fail)?;
            let file = w.into_inner().map_err(fail)?;
            file.sync_all().map_err(|e| LakeError::io(&tmp, e))
        })();
        if let Err(e) = written {
            // Free the space at once; a later open would remove it anyway.
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, &path).map_err(|e| LakeError::io(&path, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_creation_killed_before_its_marker_leaves_a_usable_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("lake");
        std::fs::create_dir_all(root.join(META_DIR)).unwrap();
        std::fs::write(root.join(META_DIR).join("lock"), b"").unwrap();
        std::fs::write(root.join(META_DIR).join("lake.json.tmp"), b"{\"form").unwrap();
        drop(LakeWriter::open(&root, 1).unwrap());
        assert!(is_lake(&root));
        check_version(&root).unwrap();
    }

    #[test]
    fn anything_else_in_the_folder_is_still_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("lake");
        std::fs::create_dir_all(root.join(META_DIR)).unwrap();
        std::fs::write(root.join(META_DIR).join("lock"), b"").unwrap();
        std::fs::write(root.join(META_DIR).join("notes.txt"), b"mine").unwrap();
        assert!(matches!(LakeWriter::open(&root, 1), Err(LakeError::Corrupt(_))));
        std::fs::remove_file(root.join(META_DIR).join("notes.txt")).unwrap();
        std::fs::write(root.join("evidence.json"), b"{}").unwrap();
        assert!(matches!(LakeWriter::open(&root, 1), Err(LakeError::Corrupt(_))));
        assert!(!is_lake(&root));
    }
}
