//! Where events come from: listing a SOURCE into the objects to read (pruned by layout and scope) and
//! the objects skipped or unlistable, each with its reason.

pub mod evidence;
pub mod layout;
pub mod local;
pub mod s3;
pub mod window;

use std::collections::BTreeMap;
use std::path::PathBuf;

use thiserror::Error;

use crate::source::layout::LogKey;
use crate::source::window::Scope;

/// A SOURCE that cannot be listed at all; the run stops.
#[derive(Debug, Error)]
pub enum SourceError {
    /// The path does not exist or cannot be opened.
    #[error("{path}: {reason}")]
    Unreadable {
        /// The path as given.
        path: String,
        /// What the operating system said.
        reason: String,
    },
    /// An `s3://` SOURCE cannot be listed (credentials, role, bucket).
    #[error(transparent)]
    S3(#[from] s3::S3Error),
}

/// Why an object's bytes could not be fetched; the object is named with this reason and the run goes on.
#[derive(Debug, Error)]
pub enum FetchError {
    /// The object could not be read from its source.
    #[error("cannot read: {0}")]
    Read(String),
    /// A remote store refused or failed the read, with a reason naming what to do (missing permission,
    /// deleted object, archived object...).
    #[error("{reason}")]
    Refused {
        /// Short category for the run summary.
        category: &'static str,
        /// Full explanation.
        reason: String,
    },
}

/// Where an object's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local file.
    Local(PathBuf),
    /// An object in S3 (or an S3-compatible store).
    S3 {
        /// Bucket name.
        bucket: String,
        /// Object key.
        key: String,
        /// ETag as listed, without quotes: identifies the content for `export`'s change detection.
        etag: Option<String>,
        /// Last-modified time as listed, seconds since the epoch.
        modified: Option<i64>,
    },
}

/// One object to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    /// The path or key shown to the user and stored in `objectKey`.
    pub key: String,
    /// Size in bytes as listed.
    pub size: u64,
    /// Layout position, when the object is in the delivery layout.
    pub log: Option<LogKey>,
    /// Where to read it.
    pub location: Location,
}

/// Objects and bytes not read for one reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Number of objects.
    pub objects: u64,
    /// Their total size.
    pub bytes: u64,
}

/// An object or folder that could not be listed or read, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Path or key.
    pub key: String,
    /// Short category for the summary.
    pub category: &'static str,
    /// Full explanation.
    pub reason: String,
}

/// The result of listing one or more SOURCEs.
#[derive(Debug, Default)]
pub struct Listing {
    /// Objects to read, sorted by key.
    pub objects: Vec<ObjectRef>,
    /// Objects seen but not read, by reason.
    pub skipped: BTreeMap<String, Tally>,
    /// Folders or objects that could not be listed.
    pub failures: Vec<Failure>,
    /// Digest objects and their sidecars (`<digest>.metadata.json`), sorted by key: counted as skipped
    /// by every command, read only by `verify`.
    pub digests: Vec<ObjectRef>,
}

impl Listing {
    /// Total size of the objects to read.
    pub fn bytes(&self) -> u64 {
        self.objects.iter().map(|o| o.size).sum()
    }
}

/// Splits `items` into runs, in order: a run takes items until it holds `per` bytes (as `size` counts
/// them), and the last of at most `max_runs` runs takes the rest. One run at least, maybe empty. Tasks of a
/// cluster's stage and the jobs of a run answered on the client are cut this way.
pub fn runs_by_size<T>(
    items: impl IntoIterator<Item = T>,
    size: impl Fn(&T) -> u64,
    per: u64,
    max_runs: usize,
) -> Vec<Vec<T>> {
    let mut runs: Vec<Vec<T>> = vec![Vec::new()];
    let mut held = 0;
    for item in items {
        if held >= per && runs.len() < max_runs {
            runs.push(Vec::new());
            held = 0;
        }
        held += size(&item);
        runs.last_mut().expect("one run at least").push(item);
    }
    runs
}

/// Lists every SOURCE, keeping the objects `scope` can use; `s3://` SOURCEs are reached through `s3`.
pub fn list(sources: &[String], scope: &Scope, s3: &s3::S3Access) -> Result<Listing, SourceError> {
    let mut listing = Listing::default();
    for source in sources {
        if s3::is_s3(source) {
            s3.list_into(source, scope, &mut listing)?;
        } else {
            local::list_into(source, scope, &mut listing)?;
        }
    }
    listing.objects.sort_by(|a, b| a.key.cmp(&b.key));
    listing.objects.dedup_by(|a, b| a.key == b.key);
    listing.digests.sort_by(|a, b| a.key.cmp(&b.key));
    listing.digests.dedup_by(|a, b| a.key == b.key);
    Ok(listing)
}
