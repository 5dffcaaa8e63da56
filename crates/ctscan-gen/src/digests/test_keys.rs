//! The two test-only RSA keys that sign generated digest chains (`testdata/digest-test-key/`), and their
//! public halves in `aws cloudtrail list-public-keys` shape, so a generated archive can be verified end to
//! end like a real one. They are published with the source: a signature by them proves nothing.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ctscan::verify::keys::fingerprint;
use serde::Serialize;

/// The PKCS#8 DER private keys, in rotation order.
const PKCS8: [&[u8]; 2] = [
    include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/digest-test-key/TEST-ONLY-signing-key-1.pk8"
    )),
    include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/digest-test-key/TEST-ONLY-signing-key-2.pk8"
    )),
];

/// How many test keys there are.
pub const COUNT: usize = PKCS8.len();

/// Validity the keys file announces: wide, so archives generated for any `--start` fall inside it.
const VALIDITY: (&str, &str) = ("2000-01-01T00:00:00+00:00", "2100-01-01T00:00:00+00:00");

/// One test key, ready to sign digests.
pub struct TestKey {
    pair: RsaKeyPair,
    /// Lowercase hex MD5 of the PKCS#1 public key DER: the digest's `digestPublicKeyFingerprint`.
    pub fingerprint: String,
}

impl TestKey {
    /// Test key `index` (0 or 1).
    pub fn load(index: usize) -> TestKey {
        // The keys are compiled in and checked by the tests: failing to parse them is a build defect.
        let pair = RsaKeyPair::from_pkcs8(PKCS8[index]).expect("the committed test key parses");
        let fingerprint = fingerprint(pair.public_key().as_ref());
        TestKey { pair, fingerprint }
    }

    /// The PKCS#1 `RSAPublicKey` DER of the key: what CloudTrail's `list-public-keys` returns.
    pub fn public_der(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// Lowercase hex RSA PKCS#1 v1.5 SHA-256 signature of `message` (deterministic).
    pub fn sign_hex(&self, message: &str) -> String {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message.as_bytes(),
                &mut sig,
            )
            .expect("RSA signing with a valid key does not fail");
        ctscan::source::evidence::hex(&sig)
    }
}

/// One entry of `list-public-keys` output, in the CLI's field order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PublicKeyEntry {
    value: String,
    validity_start_time: &'static str,
    validity_end_time: &'static str,
    fingerprint: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PublicKeyList {
    public_key_list: Vec<PublicKeyEntry>,
}

/// The test keys' public halves as `aws cloudtrail list-public-keys` prints them (four-space indent,
/// trailing newline): the content of `testdata/digest-test-key/list-public-keys.json` and of
/// `ctscan-gen --keys-out`.
pub fn list_public_keys_json() -> String {
    let list = PublicKeyList {
        public_key_list: (0..COUNT)
            .map(|i| {
                let key = TestKey::load(i);
                PublicKeyEntry {
                    value: STANDARD.encode(key.public_der()),
                    validity_start_time: VALIDITY.0,
                    validity_end_time: VALIDITY.1,
                    fingerprint: key.fingerprint,
                }
            })
            .collect(),
    };
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    list.serialize(&mut ser)
        .expect("serialising plain strings cannot fail");
    let mut text = String::from_utf8(out).expect("serde_json writes UTF-8");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use ctscan::verify::keys::KeySet;
    use ctscan::verify::signature::check;

    use super::*;

    const COMMITTED: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/digest-test-key/list-public-keys.json"
    );

    #[test]
    fn the_committed_keys_file_is_the_one_the_keys_give() {
        let committed = std::fs::read_to_string(COMMITTED).unwrap();
        assert_eq!(committed, list_public_keys_json());
        let mut keys = KeySet::default();
        assert_eq!(keys.add_bytes(committed.as_bytes(), COMMITTED).unwrap(), 2);
        assert_eq!(keys.len(), 2);
    }

    #[test]
    fn signatures_verify_under_their_own_key_only() {
        let mut keys = KeySet::default();
        keys.add_bytes(list_public_keys_json().as_bytes(), "test keys")
            .unwrap();
        let (one, two) = (TestKey::load(0), TestKey::load(1));
        assert_ne!(one.fingerprint, two.fingerprint);
        // PKCS#1 public key DER starts with a SEQUENCE of the modulus, not an algorithm identifier.
        assert_eq!(&one.public_der()[..4], &[0x30, 0x82, 0x01, 0x0a]);
        let sig = one.sign_hex("hello");
        assert_eq!(sig.len(), 512);
        assert_eq!(sig, one.sign_hex("hello"), "PKCS#1 v1.5 is deterministic");
        assert!(check(keys.get(&one.fingerprint).unwrap(), "hello", &sig).is_ok());
        assert!(check(keys.get(&two.fingerprint).unwrap(), "hello", &sig).is_err());
        assert!(check(keys.get(&one.fingerprint).unwrap(), "hello!", &sig).is_err());
    }
}
