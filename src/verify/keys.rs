//! The public keys digest signatures are checked with: CloudTrail's own (`aws cloudtrail
//! list-public-keys` output, or PEM / DER files), each known by the MD5 fingerprint of its DER that a
//! digest names in `digestPublicKeyFingerprint`. Keys rotate, so a chain may need several.

use std::collections::BTreeMap;
use std::path::Path;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest as _, Md5};
use thiserror::Error;

/// A keys file that cannot be used; the run stops, since a wrong key set would make every verdict wrong.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The file cannot be read.
    #[error("{path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// What the operating system said.
        reason: String,
    },
    /// Not `list-public-keys` JSON, PEM or DER.
    #[error("{path}: {reason}")]
    BadFormat {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A `list-public-keys` entry whose `Fingerprint` is not the MD5 of its `Value`.
    #[error("{path}: key {listed} has fingerprint {actual}: the file does not hold the keys it claims")]
    FingerprintMismatch {
        /// The file.
        path: String,
        /// The fingerprint the file gives.
        listed: String,
        /// MD5 of the key it holds.
        actual: String,
    },
}

/// One public key.
#[derive(Debug)]
pub struct PublicKey {
    /// Where it came from (file name).
    pub origin: String,
    key: ParsedPublicKey,
}

impl PublicKey {
    /// Whether `signature` is this key's RSA PKCS#1 v1.5 signature of a message with this SHA-256.
    pub fn verifies(&self, sha256: &[u8; 32], signature: &[u8]) -> bool {
        let Ok(digest) = aws_lc_rs::digest::Digest::import_less_safe(sha256, &aws_lc_rs::digest::SHA256)
        else {
            return false;
        };
        self.key.verify_digest_sig(&digest, signature).is_ok()
    }
}

/// Keys by fingerprint (lowercase hex MD5 of the DER).
#[derive(Debug, Default)]
pub struct KeySet {
    keys: BTreeMap<String, PublicKey>,
}

/// Lowercase hex MD5 of bytes: CloudTrail's key fingerprint.
pub fn fingerprint(der: &[u8]) -> String {
    crate::source::evidence::hex(&Md5::digest(der))
}

fn parse_der(der: &[u8], origin: &str) -> Result<ParsedPublicKey, String> {
    ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der)
        .map_err(|e| format!("not an RSA public key ({e}) in {origin}"))
}

impl KeySet {
    /// The key a digest names, if known.
    pub fn get(&self, fingerprint: &str) -> Option<&PublicKey> {
        self.keys.get(&fingerprint.to_ascii_lowercase())
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Adds one key from its DER (PKCS#1 `RSAPublicKey` or `SubjectPublicKeyInfo`); returns its fingerprint.
    pub fn add_der(&mut self, der: &[u8], origin: &str) -> Result<String, String> {
        let key = parse_der(der, origin)?;
        let fp = fingerprint(der);
        self.keys.insert(
            fp.clone(),
            PublicKey {
                origin: origin.to_string(),
                key,
            },
        );
        Ok(fp)
    }

    /// Adds the keys of one file: `list-public-keys` JSON, PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`
    /// blocks) or a DER key.
    pub fn load(&mut self, path: &Path) -> Result<usize, KeyError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| KeyError::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        self.add_bytes(&bytes, &shown)
    }

    /// The keys of every file given (see [`KeySet::load`]).
    pub fn load_all(paths: &[std::path::PathBuf]) -> Result<KeySet, KeyError> {
        let mut keys = KeySet::default();
        for path in paths {
            keys.load(path)?;
        }
        Ok(keys)
    }

    /// Adds the keys of a file's contents (see [`KeySet::load`]).
    pub fn add_bytes(&mut self, bytes: &[u8], origin: &str) -> Result<usize, KeyError> {
        let bad = |reason: String| KeyError::BadFormat {
            path: origin.to_string(),
            reason,
        };
        let text = std::str::from_utf8(bytes).ok().map(str::trim_start);
        match text {
            Some(t) if t.starts_with('{') => {
                let doc: serde_json::Value =
                    serde_json::from_str(t).map_err(|e| bad(format!("not JSON: {e}")))?;
                let list = doc
                    .get("PublicKeyList")
                    .and_then(|l| l.as_array())
                    .ok_or_else(|| {
                        bad("no PublicKeyList (expected `aws cloudtrail list-public-keys` output)".into())
                    })?;
                for (i, entry) in list.iter().enumerate() {
                    let value = entry
                        .get("Value")
                        .and_then(|v| v.as_str())
                        .ok_or_else(|| bad(format!("PublicKeyList[{i}] has no Value")))?;
                    let der = STANDARD
                        .decode(value.trim())
                        .map_err(|e| bad(format!("PublicKeyList[{i}].Value is not base64: {e}")))?;
                    // The API's Value is a blob; some tools print it base64-encoded twice.
                    let der = match STANDARD.decode(&der) {
                        Ok(inner) if parse_der(&der, origin).is_err() => inner,
                        _ => der,
                    };
                    let actual = fingerprint(&der);
                    if let Some(listed) = entry.get("Fingerprint").and_then(|v| v.as_str())
                        && !listed.eq_ignore_ascii_case(&actual)
                    {
                        return Err(KeyError::FingerprintMismatch {
                            path: origin.to_string(),
                            listed: listed.to_string(),
                            actual,
                        });
                    }
                    self.add_der(&der, origin).map_err(bad)?;
                }
                Ok(list.len())
            }
            Some(t) if t.starts_with("-----BEGIN") => {
                let mut added = 0;
                let mut block: Option<String> = None;
                for line in t.lines().map(str::trim) {
                    if line.starts_with("-----BEGIN") {
                        if !line.contains("PUBLIC KEY") {
                            return Err(bad(format!("{line}: only public keys are accepted")));
                        }
                        block = Some(String::new());
                    } else if line.starts_with("-----END") {
                        let b64 = block.take().unwrap_or_default();
                        let der = STANDARD
                            .decode(b64)
                            .map_err(|e| bad(format!("PEM block is not base64: {e}")))?;
                        self.add_der(&der, origin).map_err(bad)?;
                        added += 1;
                    } else if let Some(b) = block.as_mut() {
                        b.push_str(line);
                    }
                }
                if added == 0 {
                    return Err(bad("no complete PEM block".into()));
                }
                Ok(added)
            }
            _ => {
                self.add_der(bytes, origin).map_err(bad)?;
                Ok(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/digest-vectors");

    fn vectors_present() -> bool {
        let present = Path::new(VECTORS).is_dir();
        assert!(
            present || std::env::var_os("CI").is_none(),
            "{VECTORS} is missing"
        );
        present
    }

    #[test]
    fn real_aws_keys_load_in_both_encodings() {
        if !vectors_present() {
            return;
        }
        let mut keys = KeySet::default();
        let n = keys
            .load(&Path::new(VECTORS).join("aws-docs-list-public-keys.json"))
            .unwrap();
        assert_eq!((n, keys.len()), (4, 4));
        for fp in [
            "8eba5db5bea9b640d1c96a77256fe7f2",
            "8933b39ddc64d26d8e14ffbf6566fee4",
            "31e8b5433410dfb61a9dc45cc65b22ff",
            "7f3f401420072e50a65a141430817ab3",
        ] {
            assert!(keys.get(fp).is_some(), "{fp}");
        }
    }

    #[test]
    fn a_keys_file_that_lies_about_its_fingerprints_is_refused() {
        if !vectors_present() {
            return;
        }
        let text = std::fs::read_to_string(Path::new(VECTORS).join("aws-docs-list-public-keys.json"))
            .unwrap()
            .replace(
                "8eba5db5bea9b640d1c96a77256fe7f2",
                "00000000000000000000000000000000",
            );
        let err = KeySet::default()
            .add_bytes(text.as_bytes(), "keys.json")
            .unwrap_err();
        assert!(matches!(err, KeyError::FingerprintMismatch { .. }), "{err}");
        assert!(KeySet::default().add_bytes(b"{\"x\":1}", "k.json").is_err());
        assert!(KeySet::default().add_bytes(b"garbage", "k.der").is_err());
    }

    #[test]
    fn pem_and_der_files_are_read() {
        if !vectors_present() {
            return;
        }
        let doc: serde_json::Value = serde_json::from_slice(
            &std::fs::read(Path::new(VECTORS).join("aws-docs-list-public-keys.json")).unwrap(),
        )
        .unwrap();
        let b64 = doc["PublicKeyList"][2]["Value"].as_str().unwrap();
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n");
        let mut keys = KeySet::default();
        assert_eq!(keys.add_bytes(pem.as_bytes(), "k.pem").unwrap(), 1);
        assert!(keys.get("31e8b5433410dfb61a9dc45cc65b22ff").is_some());
        let twice = serde_json::json!({"PublicKeyList": [{"Value": STANDARD.encode(b64), "Fingerprint": "7f3f401420072e50a65a141430817ab3"}]});
        let doc3 = doc["PublicKeyList"][3]["Value"].as_str().unwrap();
        let twice = twice
            .to_string()
            .replace(&STANDARD.encode(b64), &STANDARD.encode(doc3));
        assert_eq!(keys.add_bytes(twice.as_bytes(), "twice.json").unwrap(), 1);
        assert!(keys.get("7f3f401420072e50a65a141430817ab3").is_some());
        let der = STANDARD
            .decode(doc["PublicKeyList"][0]["Value"].as_str().unwrap())
            .unwrap();
        assert_eq!(keys.add_bytes(&der, "k.der").unwrap(), 1);
        assert!(keys.get("8eba5db5bea9b640d1c96a77256fe7f2").is_some());
    }
}
