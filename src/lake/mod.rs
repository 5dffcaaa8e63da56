//! A Parquet lake written by `ctscan export`: Hive-style `events/day=YYYY-MM-DD/` folders of zstd Parquet
//! files sorted by `eventTime`, plus `_ctscan/` holding the format marker, the manifest and the writer lock.
//! Any engine can read `events/**/*.parquet`; ctscan reads exactly the files the manifest lists.

pub mod convert;
pub mod lake_table;
pub mod manifest;
pub mod writer;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Folder inside the lake holding ctscan's own files.
pub const META_DIR: &str = "_ctscan";
/// Folder inside the lake holding the Parquet files.
pub const DATA_DIR: &str = "events";
/// Version of the lake layout and schema this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const FORMAT_NAME: &str = "ctscan-lake";

/// Why a lake cannot be read or written.
#[derive(Debug, Error)]
pub enum LakeError {
    /// A file-system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Another export holds the lake.
    #[error("{0}: another ctscan export is writing this lake (its lock is held); wait for it to finish")]
    Locked(String),
    /// The lake was written by a ctscan with another layout version.
    #[error(
        "{path}: lake format version {found} is not supported by this ctscan (it reads and writes version {expected})"
    )]
    Incompatible {
        /// The lake folder.
        path: String,
        /// Version found.
        found: u32,
        /// Version supported.
        expected: u32,
    },
    /// The marker or manifest does not parse.
    #[error("damaged lake metadata: {0}")]
    Corrupt(String),
    /// Writing Parquet failed.
    #[error("writing Parquet: {0}")]
    Parquet(String),
}

impl LakeError {
    /// An I/O error at a path.
    pub fn io(path: &Path, source: std::io::Error) -> LakeError {
        LakeError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// The marker file `_ctscan/lake.json`.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    format: String,
    version: u32,
}

fn marker_path(root: &Path) -> PathBuf {
    root.join(META_DIR).join("lake.json")
}

/// Path of the manifest of a lake.
pub fn manifest_path(root: &Path) -> PathBuf {
    root.join(META_DIR).join("manifest.jsonl")
}

/// Whether a directory is a ctscan lake.
pub fn is_lake(dir: &Path) -> bool {
    marker_path(dir).is_file()
}

/// Checks the marker of an existing lake.
pub fn check_version(root: &Path) -> Result<(), LakeError> {
    let path = marker_path(root);
    let text = std::fs::read_to_string(&path).map_err(|e| LakeError::io(&path, e))?;
    let m: Marker =
        serde_json::from_str(&text).map_err(|e| LakeError::Corrupt(format!("{}: {e}", path.display())))?;
    if m.format != FORMAT_NAME || m.version != FORMAT_VERSION {
        return Err(LakeError::Incompatible {
            path: root.display().to_string(),
            found: m.version,
            expected: FORMAT_VERSION,
        });
    }
    Ok(())
}

/// Writes the marker of a new lake.
fn write_marker(root: &Path) -> Result<(), LakeError> {
    let path = marker_path(root);
    let text = serde_json::to_string(&Marker {
        format: FORMAT_NAME.into(),
        version: FORMAT_VERSION,
    })
    .map_err(|e| LakeError::Corrupt(e.to_string()))?;
    writer::write_atomically(&path, text.as_bytes())
}
