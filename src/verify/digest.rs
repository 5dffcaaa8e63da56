//! One digest file's content: the hour it covers, the log files it vouches for, and its link to the
//! previous digest. Parsed from the decompressed bytes as stored; the SHA-256 of those same bytes is
//! what the next digest and the signature commit to.

use serde::Deserialize;

/// A log file a digest lists.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LogFileRef {
    /// Bucket the log was delivered to.
    pub s3_bucket: String,
    /// Its key there.
    pub s3_object: String,
    /// Hex SHA-256 of the decompressed log file.
    pub hash_value: String,
    /// Always `SHA-256` today.
    #[serde(default)]
    pub hash_algorithm: Option<String>,
    /// Newest event in the file.
    #[serde(default)]
    pub newest_event_time: Option<String>,
    /// Oldest event in the file.
    #[serde(default)]
    pub oldest_event_time: Option<String>,
}

/// The fields of a digest that validation uses.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DigestBody {
    /// Account the digest covers.
    pub aws_account_id: String,
    /// Start of the covered period.
    pub digest_start_time: String,
    /// End of the covered period; first line of the signed string.
    pub digest_end_time: String,
    /// Bucket CloudTrail wrote the digest to.
    pub digest_s3_bucket: String,
    /// Key CloudTrail wrote the digest to.
    pub digest_s3_object: String,
    /// MD5 of the public key that verifies the signature.
    pub digest_public_key_fingerprint: String,
    /// `SHA256withRSA`.
    pub digest_signature_algorithm: String,
    /// Newest event covered.
    #[serde(default)]
    pub newest_event_time: Option<String>,
    /// Oldest event covered.
    #[serde(default)]
    pub oldest_event_time: Option<String>,
    /// Bucket of the previous digest (null at the start of a chain).
    #[serde(default)]
    pub previous_digest_s3_bucket: Option<String>,
    /// Key of the previous digest.
    #[serde(default)]
    pub previous_digest_s3_object: Option<String>,
    /// Hex SHA-256 of the previous digest's decompressed bytes.
    #[serde(default)]
    pub previous_digest_hash_value: Option<String>,
    /// Always `SHA-256` today.
    #[serde(default)]
    pub previous_digest_hash_algorithm: Option<String>,
    /// The previous digest's signature.
    #[serde(default)]
    pub previous_digest_signature: Option<String>,
    /// Log files delivered in the period.
    pub log_files: Vec<LogFileRef>,
}

impl DigestBody {
    /// Parses decompressed digest bytes; the error says what is wrong.
    pub fn parse(json: &[u8]) -> Result<DigestBody, String> {
        serde_json::from_slice(json).map_err(|e| format!("not a CloudTrail digest: {e}"))
    }

    /// Whether this digest starts a chain (all previous-digest fields null).
    pub fn starts_chain(&self) -> bool {
        self.previous_digest_s3_object.is_none()
            && self.previous_digest_hash_value.is_none()
            && self.previous_digest_signature.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/digest-vectors");

    #[test]
    fn reads_real_digests() {
        let dir = std::path::Path::new(VECTORS);
        if !dir.is_dir() {
            assert!(std::env::var_os("CI").is_none(), "{VECTORS} is missing");
            return;
        }
        let body =
            DigestBody::parse(&std::fs::read(dir.join("real-format-digest-body.json")).unwrap()).unwrap();
        assert_eq!(body.aws_account_id, "327878933619");
        assert!(
            body.digest_s3_object
                .starts_with("AWSLogs/327878933619/CloudTrail-Digest/ap-northeast-1/")
        );
        assert!(!body.starts_chain());
        assert!(body.log_files.len() > 1);
        assert!(body.log_files.iter().all(|l| l.hash_value.len() == 64));
        let start =
            DigestBody::parse(&std::fs::read(dir.join("panther_starting_digest_anonymized.json")).unwrap())
                .unwrap();
        assert!(start.starts_chain() && start.log_files.is_empty());
        assert!(DigestBody::parse(b"{\"Records\":[]}").is_err());
    }
}
