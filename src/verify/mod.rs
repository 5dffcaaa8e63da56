//! Proving an archive complete and untampered, offline: CloudTrail's digest chains checked link by link
//! (signatures, previous-digest hashes and signatures, times), every log file a digest lists hashed,
//! every log file no digest lists placed (not yet digested, outside any chain, or injected), and every
//! window no chain covers named with the trail calls that explain it.

pub mod analyse;
pub mod digest;
pub mod digest_name;
pub mod finding;
pub mod keys;
pub mod log_hash;
pub mod read;
pub mod signature;

use crate::source::Listing;
use crate::source::s3::S3Access;
use crate::source::window::Scope;

/// Everything `verify` and the report's integrity section do with a listing: its digests (with their
/// sidecars) and log files read once, and every check run on them.
pub fn verify_listing(
    listing: &Listing,
    scope: &Scope,
    keys: &keys::KeySet,
    gap: chrono::Duration,
    max_object_bytes: u64,
    threads: usize,
    s3: &S3Access,
) -> analyse::Verification {
    let (digests, sidecar_problems) = read::read_digests(s3, &listing.digests);
    let logs = read::read_logs(s3, &listing.objects, max_object_bytes, threads);
    let (digests_read, logs_read) = (digests.len(), logs.len());
    let mut result = analyse::verify(
        analyse::Inputs {
            digests,
            logs,
            window: scope.window,
            gap,
            listed: Box::new(read::listed_by(scope.clone())),
        },
        keys,
    );
    result.findings.extend(sidecar_problems);
    result.digests_read = digests_read;
    result.logs_read = logs_read;
    result
}
