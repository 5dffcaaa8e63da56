//! What CloudTrail signs for each digest, and the check of one signature against it.
//!
//! The signed string is `digestEndTime \n digestS3Bucket/digestS3Object \n hex(SHA-256 of the
//! decompressed digest) \n previousDigestSignature` (the literal `null` for the first digest of a
//! chain), UTF-8, values verbatim from the digest's JSON, no trailing newline. The signature (hex,
//! RSA PKCS#1 v1.5 with SHA-256) lives in the object's S3 metadata and, for every digest but the
//! newest, also in its successor's `previousDigestSignature`.

use sha2::{Digest as _, Sha256};

use super::keys::PublicKey;

/// The string CloudTrail signs for a digest.
pub fn string_to_sign(
    end_time: &str,
    bucket: &str,
    object: &str,
    digest_sha256_hex: &str,
    previous_signature: Option<&str>,
) -> String {
    format!(
        "{end_time}\n{bucket}/{object}\n{digest_sha256_hex}\n{}",
        previous_signature.unwrap_or("null")
    )
}

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureFault {
    /// Not hex.
    NotHex,
    /// Hex, but not this key's signature of this string.
    Mismatch,
}

/// Decodes hex (either case).
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks a hex signature of `message` under `key`.
pub fn check(key: &PublicKey, message: &str, signature_hex: &str) -> Result<(), SignatureFault> {
    let sig = from_hex(signature_hex).ok_or(SignatureFault::NotHex)?;
    let sha: [u8; 32] = Sha256::digest(message.as_bytes()).into();
    if key.verifies(&sha, &sig) {
        Ok(())
    } else {
        Err(SignatureFault::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::keys::KeySet;
    use std::path::Path;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/digest-vectors");

    #[test]
    fn the_signed_string_is_four_lines_without_a_trailing_newline() {
        assert_eq!(
            string_to_sign("2026-03-02T13:00:00Z", "b", "AWSLogs/x.json.gz", "ab", None),
            "2026-03-02T13:00:00Z\nb/AWSLogs/x.json.gz\nab\nnull"
        );
        assert!(string_to_sign("t", "b", "o", "h", Some("99")).ends_with("\nh\n99"));
        assert_eq!(from_hex("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(from_hex("0a f"), None);
    }

    #[test]
    fn genuine_aws_signatures_verify_and_one_changed_byte_fails() {
        let dir = Path::new(VECTORS);
        if !dir.is_dir() {
            assert!(std::env::var_os("CI").is_none(), "{VECTORS} is missing");
            return;
        }
        let mut keys = KeySet::default();
        keys.load(&dir.join("aws-docs-list-public-keys.json")).unwrap();
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("aws-real-signatures-prehashed.json")).unwrap())
                .unwrap();
        let vectors = doc["vectors"].as_array().unwrap();
        assert_eq!(vectors.len(), 2);
        for v in vectors {
            let key = keys.get(v["fingerprint"].as_str().unwrap()).unwrap();
            let sha: [u8; 32] = from_hex(v["sha256_of_string_to_sign"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap();
            let mut sig = from_hex(v["signature_hex"].as_str().unwrap()).unwrap();
            assert!(key.verifies(&sha, &sig), "{}", v["name"]);
            let mut other = sha;
            other[0] ^= 1;
            assert!(!key.verifies(&other, &sig));
            sig[17] ^= 0x40;
            assert!(!key.verifies(&sha, &sig));
            // Under none of the other keys.
            for fp in [
                "8eba5db5bea9b640d1c96a77256fe7f2",
                "7f3f401420072e50a65a141430817ab3",
            ] {
                assert!(
                    !keys
                        .get(fp)
                        .unwrap()
                        .verifies(&sha, &from_hex(v["signature_hex"].as_str().unwrap()).unwrap())
                );
            }
        }
    }
}
