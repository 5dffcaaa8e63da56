//! Reading what verification needs, each object once: digests with the signature that travels with them
//! (S3 metadata, or a `<digest>.metadata.json` sidecar beside a local copy), and every log file hashed
//! in parallel (local files on all cores, S3 objects many GETs at a time).

use std::collections::HashMap;

use rayon::prelude::*;

use super::analyse::{DigestObject, LogFault, LogObject};
use super::digest_name::log_delivery;
use super::finding::{Finding, Status};
use super::log_hash::hash_log;
use crate::decode::DecodeError;
use crate::decode::gunzip::inflate;
use crate::events::scan::fetch;
use crate::source::layout::{KeyClass, classify, layout_relative};
use crate::source::s3::{Metadata, Prefetch, S3Access, fetch_all_with_metadata};
use crate::source::window::Scope;
use crate::source::{Location, ObjectRef};

/// Largest digest accepted, decompressed (real ones are a few hundred KiB at most).
const DIGEST_LIMIT: u64 = 256 << 20;
/// The suffix of a local sidecar holding a digest's `head-object` output.
pub const SIDECAR_SUFFIX: &str = ".metadata.json";

fn rel(key: &str) -> String {
    let k = key
        .strip_prefix("s3://")
        .map_or(key, |k| k.split_once('/').map_or(k, |(_, k)| k));
    layout_relative(k).unwrap_or(k).to_string()
}

/// The signature in S3 metadata (`signature`, as `x-amz-meta-signature` arrives).
fn metadata_signature(m: &Metadata) -> Option<String> {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("signature") || k.eq_ignore_ascii_case("x-amz-meta-signature"))
        .map(|(_, v)| v.clone())
}

/// The signature in a sidecar shaped like `aws s3api head-object` output.
fn sidecar_signature(bytes: &[u8]) -> Result<Option<String>, String> {
    let doc: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let meta = doc
        .get("Metadata")
        .and_then(|m| m.as_object())
        .ok_or("no Metadata object")?;
    Ok(meta
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("signature"))
        .and_then(|(_, v)| v.as_str().map(str::to_string)))
}

/// An object's bytes with its S3 metadata (empty for local files), or why they could not be read.
type Stored = Result<(Vec<u8>, Metadata), DecodeError>;

fn fetch_all(s3: &S3Access, objects: &[&ObjectRef]) -> Vec<Stored> {
    let (remote, local): (Vec<usize>, Vec<usize>) =
        (0..objects.len()).partition(|&i| matches!(objects[i].location, Location::S3 { .. }));
    let mut results: Vec<Option<Stored>> = (0..objects.len()).map(|_| None).collect();
    let local_results: Vec<_> = local
        .par_iter()
        .map(|&i| fetch(objects[i], s3).map(|b| (b, Metadata::new())))
        .collect();
    for (i, r) in local.iter().zip(local_results) {
        results[*i] = Some(r);
    }
    let remote_objects: Vec<ObjectRef> = remote.iter().map(|&i| objects[i].clone()).collect();
    for (i, r) in remote.iter().zip(fetch_all_with_metadata(s3, &remote_objects)) {
        results[*i] = Some(r.map_err(DecodeError::from));
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or(Err(DecodeError::Read("not fetched".into()))))
        .collect()
}

/// Reads the listed digests and sidecars; bad sidecars come back as findings.
pub fn read_digests(s3: &S3Access, listed: &[ObjectRef]) -> (Vec<DigestObject>, Vec<Finding>) {
    let (sidecars, digests): (Vec<&ObjectRef>, Vec<&ObjectRef>) = listed
        .iter()
        .filter(|o| o.key.ends_with(".json.gz") || o.key.ends_with(SIDECAR_SUFFIX))
        .partition(|o| o.key.ends_with(SIDECAR_SUFFIX));
    let mut problems = Vec::new();
    let mut from_sidecar: HashMap<String, String> = HashMap::new();
    for (o, r) in sidecars.iter().zip(fetch_all(s3, &sidecars)) {
        let digest_key = rel(o.key.trim_end_matches(SIDECAR_SUFFIX));
        match r
            .map_err(|e| e.to_string())
            .and_then(|(b, _)| sidecar_signature(&b))
        {
            Ok(Some(sig)) => {
                from_sidecar.insert(digest_key, sig);
            }
            Ok(None) => {}
            Err(e) => {
                let name = super::digest_name::parse(&digest_key);
                problems.push(Finding {
                    status: Status::BadFormat,
                    object: rel(&o.key),
                    account: name.as_ref().map(|n| n.account.clone()).unwrap_or_default(),
                    region: name.as_ref().map(|n| n.region.clone()).unwrap_or_default(),
                    trail: name.map(|n| n.trail),
                    from: None,
                    to: None,
                    count: None,
                    digest: Some(digest_key),
                    detail: format!("unreadable sidecar: {e}"),
                });
            }
        }
    }
    let objects = digests
        .iter()
        .zip(fetch_all(s3, &digests))
        .map(|(o, r)| {
            let key = rel(&o.key);
            let (json, meta) = match r {
                Ok((bytes, meta)) => (
                    inflate(bytes, DIGEST_LIMIT).map_err(|e| format!("cannot decompress: {e}")),
                    metadata_signature(&meta).map(|s| (s, "its S3 metadata")),
                ),
                Err(e) => (Err(e.to_string()), None),
            };
            let signature = meta.or_else(|| from_sidecar.get(&key).map(|s| (s.clone(), "its sidecar")));
            DigestObject { key, json, signature }
        })
        .collect();
    (objects, problems)
}

fn log_object(o: &ObjectRef, bytes: Result<Vec<u8>, DecodeError>, limit: u64) -> Option<LogObject> {
    let place = o.log.as_ref()?;
    let hash = match bytes {
        Ok(b) => hash_log(&b, limit).map_err(LogFault::Corrupt),
        Err(e) => Err(LogFault::Unreadable(e.to_string())),
    };
    Some(LogObject {
        key: rel(&o.key),
        account: place.account.clone(),
        region: place.region.clone(),
        delivered: log_delivery(&o.key),
        hash,
    })
}

/// Whether a log key a digest names is within what a run with this scope listed (a digest at the edge of
/// the listing names log files beyond it, which are not missing).
pub fn listed_by(scope: Scope) -> impl Fn(&str) -> bool + Send + Sync {
    move |key| match classify(key) {
        KeyClass::Log(k) => {
            scope.day_range().contains(k.day)
                && scope.wants_account(&k.account)
                && scope.wants_region(&k.region)
        }
        _ => false,
    }
}

/// Hashes every listed log file in the layout (objects outside it cannot be tied to a digest).
pub fn read_logs(s3: &S3Access, objects: &[ObjectRef], limit: u64, threads: usize) -> Vec<LogObject> {
    let (remote, local): (Vec<&ObjectRef>, Vec<&ObjectRef>) = objects
        .iter()
        .filter(|o| o.log.is_some())
        .partition(|o| matches!(o.location, Location::S3 { .. }));
    let mut logs: Vec<LogObject> = local
        .par_iter()
        .filter_map(|o| log_object(o, fetch(o, s3), limit))
        .collect();
    if !remote.is_empty() {
        let prefetch = Prefetch::start(s3, remote.into_iter().cloned().collect());
        let hashed: Vec<Vec<LogObject>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads.max(1))
                .map(|_| {
                    s.spawn(|| {
                        let mut mine = Vec::new();
                        while let Some((o, bytes)) = prefetch.next() {
                            mine.extend(log_object(&o, bytes.map_err(DecodeError::from), limit));
                        }
                        mine
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_default())
                .collect()
        });
        logs.extend(hashed.into_iter().flatten());
    }
    logs.sort_by(|a, b| a.key.cmp(&b.key));
    logs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_come_from_metadata_or_sidecars() {
        let m: Metadata = [("signature".to_string(), "ab".to_string())].into();
        assert_eq!(metadata_signature(&m).as_deref(), Some("ab"));
        let side = br#"{"AcceptRanges":"bytes","Metadata":{"signature":"cd","signature-algorithm":"SHA256withRSA"}}"#;
        assert_eq!(sidecar_signature(side).unwrap().as_deref(), Some("cd"));
        assert_eq!(sidecar_signature(br#"{"Metadata":{}}"#).unwrap(), None);
        assert!(sidecar_signature(b"[").is_err());
        assert_eq!(
            rel("s3://bucket/prefix/AWSLogs/1/x.json.gz"),
            "AWSLogs/1/x.json.gz"
        );
        assert_eq!(rel("/copy/o-abc123def4/AWSLogs/1/x"), "o-abc123def4/AWSLogs/1/x");
    }
}
