//! A digest body written the way CloudTrail writes it: compact JSON, CloudTrail's field order, `/` escaped
//! as `\/`. The bytes matter: the signature and the next digest's `previousDigestHashValue` commit to their
//! SHA-256, so a generated digest must look like a real one down to the byte to test a verifier honestly.

use ctscan::verify::digest::{DigestBody, LogFileRef};
use serde::Serialize;

/// A digest's fields in CloudTrail's order (absent values are `null`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Ordered<'a> {
    aws_account_id: &'a str,
    digest_start_time: &'a str,
    digest_end_time: &'a str,
    digest_s3_bucket: &'a str,
    digest_s3_object: &'a str,
    digest_public_key_fingerprint: &'a str,
    digest_signature_algorithm: &'a str,
    newest_event_time: Option<&'a str>,
    oldest_event_time: Option<&'a str>,
    previous_digest_s3_bucket: Option<&'a str>,
    previous_digest_s3_object: Option<&'a str>,
    previous_digest_hash_value: Option<&'a str>,
    previous_digest_hash_algorithm: Option<&'a str>,
    previous_digest_signature: Option<&'a str>,
    log_files: Vec<OrderedLog<'a>>,
}

/// A listed log file's fields in CloudTrail's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderedLog<'a> {
    s3_bucket: &'a str,
    s3_object: &'a str,
    hash_value: &'a str,
    hash_algorithm: Option<&'a str>,
    newest_event_time: Option<&'a str>,
    oldest_event_time: Option<&'a str>,
}

fn log(l: &LogFileRef) -> OrderedLog<'_> {
    OrderedLog {
        s3_bucket: &l.s3_bucket,
        s3_object: &l.s3_object,
        hash_value: &l.hash_value,
        hash_algorithm: l.hash_algorithm.as_deref(),
        newest_event_time: l.newest_event_time.as_deref(),
        oldest_event_time: l.oldest_event_time.as_deref(),
    }
}

/// The decompressed bytes of a digest, log files in the order given.
pub fn render(d: &DigestBody) -> Vec<u8> {
    let ordered = Ordered {
        aws_account_id: &d.aws_account_id,
        digest_start_time: &d.digest_start_time,
        digest_end_time: &d.digest_end_time,
        digest_s3_bucket: &d.digest_s3_bucket,
        digest_s3_object: &d.digest_s3_object,
        digest_public_key_fingerprint: &d.digest_public_key_fingerprint,
        digest_signature_algorithm: &d.digest_signature_algorithm,
        newest_event_time: d.newest_event_time.as_deref(),
        oldest_event_time: d.oldest_event_time.as_deref(),
        previous_digest_s3_bucket: d.previous_digest_s3_bucket.as_deref(),
        previous_digest_s3_object: d.previous_digest_s3_object.as_deref(),
        previous_digest_hash_value: d.previous_digest_hash_value.as_deref(),
        previous_digest_hash_algorithm: d.previous_digest_hash_algorithm.as_deref(),
        previous_digest_signature: d.previous_digest_signature.as_deref(),
        log_files: d.log_files.iter().map(log).collect(),
    };
    let json = serde_json::to_string(&ordered).expect("serialising strings cannot fail");
    // Compact JSON has `/` only inside strings, where `\/` is the same character.
    json.replace('/', "\\/").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/digest-vectors");

    #[test]
    fn a_real_digest_re_renders_byte_for_byte() {
        let dir = std::path::Path::new(VECTORS);
        if !dir.is_dir() {
            assert!(std::env::var_os("CI").is_none(), "{VECTORS} is missing");
            return;
        }
        let real = std::fs::read(dir.join("real-format-digest-body.json")).unwrap();
        let body = DigestBody::parse(&real).unwrap();
        assert_eq!(
            String::from_utf8(render(&body)).unwrap(),
            String::from_utf8(real).unwrap()
        );
    }

    #[test]
    fn a_starting_digest_writes_its_links_as_null() {
        let body = DigestBody::parse(
            br#"{"awsAccountId":"1","digestStartTime":"s","digestEndTime":"e","digestS3Bucket":"b","digestS3Object":"A/B","digestPublicKeyFingerprint":"f","digestSignatureAlgorithm":"SHA256withRSA","logFiles":[]}"#,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(render(&body)).unwrap(),
            r#"{"awsAccountId":"1","digestStartTime":"s","digestEndTime":"e","digestS3Bucket":"b","digestS3Object":"A\/B","digestPublicKeyFingerprint":"f","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":null,"oldestEventTime":null,"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}"#
        );
    }
}
