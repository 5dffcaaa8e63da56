//! What verification reports: one finding per digest, link, log file, gap or missing piece, each with a
//! status that says whether it proves, fails to prove, or contradicts the archive's integrity.

use std::fmt;

use chrono::{DateTime, Utc};

/// A finding's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// The digest's signature verifies under a CloudTrail key.
    ValidDigest,
    /// A log file whose SHA-256 a valid digest vouches for (listed with `--all`).
    VerifiedLog,
    /// The signature does not verify: the digest (or its successor's copy of the signature) was changed.
    InvalidSignature,
    /// No signature to check: no S3 metadata or sidecar, and no successor carries it.
    SignatureUnavailable,
    /// The digest names a public key that was not given.
    KeyNotFound,
    /// The digest is not where its own `digestS3Object` says it was written.
    Moved,
    /// Not a readable CloudTrail digest.
    BadFormat,
    /// A digest the chain proves existed is gone.
    MissingDigest,
    /// A digest's previous-digest fields disagree with the digest before it.
    BrokenLink,
    /// A log file a valid digest lists is gone.
    MissingLog,
    /// A log file's decompressed bytes are not those the digest vouches for.
    HashMismatch,
    /// A log file no checked digest vouches for (its digest is missing or unverified).
    UnverifiableLog,
    /// Delivered after the newest digest: normal in a live bucket.
    NotYetDigested,
    /// Delivered while no chain ran (logging or validation was off).
    UncoveredLog,
    /// Delivered inside a covered hour but listed by no digest: injected.
    UnreferencedLog,
    /// A chain stopped and started again.
    Gap,
    /// No digests at all here, and no log file for longer than `--gap` (a heuristic).
    DeliveryGap,
}

/// How a status bears on the archive, which sets the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Weight {
    /// Proves integrity.
    Proven,
    /// Leaves integrity unproven, contradicts nothing.
    Incomplete,
    /// Contradicts integrity.
    Tampering,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 17] = [
        Status::ValidDigest,
        Status::VerifiedLog,
        Status::InvalidSignature,
        Status::SignatureUnavailable,
        Status::KeyNotFound,
        Status::Moved,
        Status::BadFormat,
        Status::MissingDigest,
        Status::BrokenLink,
        Status::MissingLog,
        Status::HashMismatch,
        Status::UnverifiableLog,
        Status::NotYetDigested,
        Status::UncoveredLog,
        Status::UnreferencedLog,
        Status::Gap,
        Status::DeliveryGap,
    ];

    /// The name used in every output format.
    pub fn name(self) -> &'static str {
        match self {
            Status::ValidDigest => "valid-digest",
            Status::VerifiedLog => "verified-log",
            Status::InvalidSignature => "invalid-signature",
            Status::SignatureUnavailable => "signature-unavailable",
            Status::KeyNotFound => "key-not-found",
            Status::Moved => "moved",
            Status::BadFormat => "bad-format",
            Status::MissingDigest => "missing-digest",
            Status::BrokenLink => "broken-link",
            Status::MissingLog => "missing-log",
            Status::HashMismatch => "hash-mismatch",
            Status::UnverifiableLog => "unverifiable-log",
            Status::NotYetDigested => "not-yet-digested",
            Status::UncoveredLog => "uncovered-log",
            Status::UnreferencedLog => "unreferenced-log",
            Status::Gap => "gap",
            Status::DeliveryGap => "delivery-gap",
        }
    }

    /// Whether the status proves, leaves open, or contradicts integrity.
    pub fn weight(self) -> Weight {
        match self {
            Status::ValidDigest | Status::VerifiedLog => Weight::Proven,
            Status::InvalidSignature
            | Status::Moved
            | Status::MissingDigest
            | Status::BrokenLink
            | Status::MissingLog
            | Status::HashMismatch
            | Status::UnreferencedLog => Weight::Tampering,
            Status::SignatureUnavailable
            | Status::KeyNotFound
            | Status::BadFormat
            | Status::UnverifiableLog
            | Status::NotYetDigested
            | Status::UncoveredLog
            | Status::Gap
            | Status::DeliveryGap => Weight::Incomplete,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The verdict.
    pub status: Status,
    /// The object concerned, as its key from the layout root (`AWSLogs/...`); for a missing object, the
    /// key a digest gives it; empty for a gap.
    pub object: String,
    /// Account.
    pub account: String,
    /// Region.
    pub region: String,
    /// Trail, when known.
    pub trail: Option<String>,
    /// Start of the time the finding is about.
    pub from: Option<DateTime<Utc>>,
    /// End of it.
    pub to: Option<DateTime<Utc>>,
    /// Digests missing (estimated from the hourly cadence when not all are named).
    pub count: Option<u64>,
    /// The digest that lists a log file, for log findings.
    pub digest: Option<String>,
    /// What was found, in words.
    pub detail: String,
}
