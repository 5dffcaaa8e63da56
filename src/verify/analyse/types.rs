//! The inputs `verify` takes (digest and log objects as read, the window, the gap, what was listed) and
//! the outcome it returns (findings, chain spans, trail calls).

use chrono::{DateTime, Duration, Utc};

use crate::source::window::Window;
use crate::verify::finding::Finding;
use crate::verify::log_hash::{LogHash, TrailEvent};

/// One digest object as read.
#[derive(Debug, Clone)]
pub struct DigestObject {
    /// Its key from the layout root.
    pub key: String,
    /// Its decompressed bytes, or why they could not be had.
    pub json: Result<Vec<u8>, String>,
    /// The signature from its S3 metadata or sidecar, with where it came from.
    pub signature: Option<(String, &'static str)>,
}

/// Why a log file's hash could not be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFault {
    /// The bytes could not be read (I/O, S3): nothing is known about them.
    Unreadable(String),
    /// The bytes are not a whole gzip stream: they are not what CloudTrail wrote.
    Corrupt(String),
}

/// One log file as read.
#[derive(Debug, Clone)]
pub struct LogObject {
    /// Its key from the layout root.
    pub key: String,
    /// Account from the layout.
    pub account: String,
    /// Region from the layout.
    pub region: String,
    /// Delivery time from its name.
    pub delivered: Option<DateTime<Utc>>,
    /// Its hash, members and trail calls.
    pub hash: Result<LogHash, LogFault>,
}

/// What to verify and how.
pub struct Inputs {
    /// Digest objects.
    pub digests: Vec<DigestObject>,
    /// Log objects.
    pub logs: Vec<LogObject>,
    /// `--from` / `--to`: findings outside it are dropped.
    pub window: Window,
    /// `--gap`: silences longer than this in digest-less places are reported.
    pub gap: Duration,
    /// Whether a log file a digest lists was within what was listed (by layout key).
    pub listed: Box<dyn Fn(&str) -> bool + Send + Sync>,
}

/// The outcome of a verification.
#[derive(Debug, Default)]
pub struct Verification {
    /// Every finding, ordered by account, region, time and object.
    pub findings: Vec<Finding>,
    /// Each chain's covered period and freshness.
    pub chains: Vec<ChainSpan>,
    /// The trail-changing calls found in the logs.
    pub trail_events: Vec<TrailEvent>,
    /// Digest objects read.
    pub digests_read: usize,
    /// Log files read.
    pub logs_read: usize,
}

/// What one (account, region, trail) chain covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpan {
    /// Account.
    pub account: String,
    /// Region.
    pub region: String,
    /// Trail.
    pub trail: String,
    /// Start of its oldest digest.
    pub first: DateTime<Utc>,
    /// End of its newest digest: how fresh the proof is.
    pub newest: DateTime<Utc>,
    /// Digests present.
    pub digests: u64,
}
