//! What identifies an object as evidence: the SHA-256 of its stored bytes, its S3 ETag, its modification
//! time. The lake manifest and `ctscan ls --hash` record them so a copy can be checked against its source.

use sha2::{Digest, Sha256};

use crate::source::{Location, ObjectRef};

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of bytes (hashes as CloudTrail and `sha256sum` print them).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
