//! Each digest's own verdict: whether its signature verifies under the given keys (checked in parallel,
//! as RSA dominates the run), and whether it still sits where CloudTrail wrote it.

use rayon::prelude::*;

use super::findings::finding;
use super::parse::{Parsed, rel};
use crate::verify::finding::{Finding, Status};
use crate::verify::keys::KeySet;
use crate::verify::signature::{check, string_to_sign};

/// Judges every digest's signature and place, pushing the findings; returns each digest's signature
/// verdict, by index, for the log files it lists. A digest without a signature of its own falls back on
/// the one its successor (`succ`) repeats.
pub(super) fn judge_all(
    parsed: &[Parsed],
    succ: &[Option<usize>],
    keys: &KeySet,
    out: &mut Vec<Finding>,
) -> Vec<Status> {
    let judged: Vec<(Finding, Option<Finding>)> = parsed
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            judge(
                p,
                succ[i].and_then(|s| parsed[s].body.previous_digest_signature.clone()),
                keys,
            )
        })
        .collect();
    let mut verdict: Vec<Status> = Vec::with_capacity(parsed.len());
    for (f, moved) in judged {
        verdict.push(f.status);
        out.push(f);
        out.extend(moved);
    }
    verdict
}

/// One digest's signature verdict, and a `moved` finding when it is not where it was written.
fn judge(p: &Parsed, successor_signature: Option<String>, keys: &KeySet) -> (Finding, Option<Finding>) {
    let mut f = finding(Status::ValidDigest, &p.key, &p.name.account, &p.name.region);
    f.trail = Some(p.name.trail.clone());
    f.from = Some(p.start);
    f.to = Some(p.end);
    let from_successor = successor_signature.map(|s| (s, "its successor's previousDigestSignature"));
    let signature = p.signature.clone().or(from_successor);
    f.status = if p.body.digest_signature_algorithm != "SHA256withRSA" {
        f.detail = format!(
            "unknown digestSignatureAlgorithm {:?}",
            p.body.digest_signature_algorithm
        );
        Status::BadFormat
    } else if let Some(key) = keys.get(&p.body.digest_public_key_fingerprint) {
        match signature {
            None => {
                f.detail =
                    "no S3 metadata or sidecar holds its signature, and no successor repeats it".into();
                Status::SignatureUnavailable
            }
            Some((sig, source)) => {
                let message = string_to_sign(
                    &p.body.digest_end_time,
                    &p.body.digest_s3_bucket,
                    &p.body.digest_s3_object,
                    &p.sha256,
                    p.body.previous_digest_signature.as_deref(),
                );
                match check(key, &message, &sig) {
                    Ok(()) => {
                        f.detail = format!(
                            "signed by key {} (signature from {source})",
                            p.body.digest_public_key_fingerprint
                        );
                        Status::ValidDigest
                    }
                    Err(_) => {
                        f.detail = format!(
                            "the signature from {source} does not verify under key {}: the digest or its signature was changed",
                            p.body.digest_public_key_fingerprint
                        );
                        Status::InvalidSignature
                    }
                }
            }
        }
    } else {
        f.detail = format!(
            "signed with key {}, which was not given (--public-keys)",
            p.body.digest_public_key_fingerprint
        );
        Status::KeyNotFound
    };
    let moved = {
        (rel(&p.key) != rel(&p.body.digest_s3_object)).then(|| {
            let mut m = finding(Status::Moved, &p.key, &p.name.account, &p.name.region);
            m.trail = Some(p.name.trail.clone());
            m.from = Some(p.start);
            m.to = Some(p.end);
            m.detail = format!("CloudTrail wrote it as {}", p.body.digest_s3_object);
            m
        })
    };
    (f, moved)
}
