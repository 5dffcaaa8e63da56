//! What the digests of a generated archive need from its log files, read once after they are all written:
//! where each lies and when it was delivered, the SHA-256 a digest commits to, its oldest and newest
//! events, and the successful `StopLogging` calls that break the chains.

use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};
use ctscan::source::evidence::sha256_hex;
use ctscan::source::layout::{KeyClass, classify};
use ctscan::verify::digest_name::log_delivery;
use flate2::read::MultiGzDecoder;
use rayon::prelude::*;
use serde::Deserialize;

/// An event time as written, with its parsed value for comparisons.
pub type Stamp = (DateTime<Utc>, String);

/// One log file of the archive.
#[derive(Debug, Clone)]
pub struct LogFile {
    /// Key relative to the archive's root, `/`-separated: the digest's `s3Object`.
    pub key: String,
    /// Account from the path.
    pub account: String,
    /// Region from the path.
    pub region: String,
    /// Delivery time from the name (to the minute).
    pub delivered: DateTime<Utc>,
    /// Hex SHA-256 of the decompressed bytes.
    pub sha256: String,
    /// Oldest `eventTime` of its records.
    pub oldest: Option<Stamp>,
    /// Newest `eventTime` of its records.
    pub newest: Option<Stamp>,
}

/// A successful `StopLogging` recorded in a log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// `recipientAccountId`: the account whose trail stopped.
    pub account: String,
    /// `eventTime`.
    pub time: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    event_time: Option<String>,
    event_source: Option<String>,
    event_name: Option<String>,
    error_code: Option<serde_json::Value>,
    recipient_account_id: Option<String>,
}

#[derive(Deserialize)]
struct Delivery {
    #[serde(rename = "Records")]
    records: Vec<Record>,
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Where a log file is and what its path and name say.
struct Found {
    path: std::path::PathBuf,
    rel: String,
    account: String,
    region: String,
    delivered: DateTime<Utc>,
}

/// Reads one log file.
fn read(f: Found) -> std::io::Result<(LogFile, Vec<Stop>)> {
    let Found {
        path,
        rel,
        account,
        region,
        delivered,
    } = f;
    let mut json = Vec::new();
    MultiGzDecoder::new(std::fs::File::open(&path)?).read_to_end(&mut json)?;
    let doc: Delivery =
        serde_json::from_slice(&json).map_err(|e| std::io::Error::other(format!("{rel}: {e}")))?;
    let mut times: Vec<Stamp> = Vec::new();
    let mut stops = Vec::new();
    for r in doc.records {
        let Some(t) = r
            .event_time
            .as_deref()
            .and_then(|s| parse_time(s).map(|p| (p, s.to_string())))
        else {
            continue;
        };
        if r.event_source.as_deref() == Some("cloudtrail.amazonaws.com")
            && r.event_name.as_deref() == Some("StopLogging")
            && r.error_code.as_ref().is_none_or(serde_json::Value::is_null)
            && let Some(account) = r.recipient_account_id
        {
            stops.push(Stop { account, time: t.0 });
        }
        times.push(t);
    }
    let log = LogFile {
        key: rel,
        account,
        region,
        delivered,
        sha256: sha256_hex(&json),
        oldest: times.iter().min_by_key(|t| t.0).cloned(),
        newest: times.iter().max_by_key(|t| t.0).cloned(),
    };
    Ok((log, stops))
}

/// Every CloudTrail log file under `root`, sorted by key, and every successful `StopLogging` in them.
pub fn scan(root: &Path) -> std::io::Result<(Vec<LogFile>, Vec<Stop>)> {
    let mut found: Vec<Found> = Vec::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.map_err(std::io::Error::other)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let rel = rel.join("/");
        // A file whose name gives no delivery time belongs to no hour, so to no digest.
        if let (KeyClass::Log(k), Some(delivered)) = (classify(&rel), log_delivery(&rel)) {
            found.push(Found {
                path: entry.path().to_path_buf(),
                rel,
                account: k.account,
                region: k.region,
                delivered,
            });
        }
    }
    found.sort_by(|a, b| a.rel.cmp(&b.rel));
    let read: Vec<(LogFile, Vec<Stop>)> = found.into_par_iter().map(read).collect::<std::io::Result<_>>()?;
    let mut stops: Vec<Stop> = read.iter().flat_map(|r| r.1.iter().cloned()).collect();
    stops.sort_by(|a, b| (&a.account, a.time).cmp(&(&b.account, b.time)));
    Ok((read.into_iter().map(|r| r.0).collect(), stops))
}
