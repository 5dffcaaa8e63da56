//! What the `ctscan verify` tests share: a clean archive with signed digest chains, generated once, fresh
//! copies of it to tamper with, and helpers that run `ctscan verify` and read the archive's digests.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::*;

pub const KEYS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/digest-test-key/list-public-keys.json"
);

/// A clean archive with digests, generated once; tests tamper with copies.
pub fn base() -> &'static Path {
    static BASE: OnceLock<tempfile::TempDir> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        generate(
            dir.path(),
            &[
                "--events",
                "12000",
                "--per-file",
                "60",
                "--days",
                "2",
                "--accounts",
                "2",
                "--regions",
                "2",
                "--layout",
                "mixed",
                "--digests",
                "--seed",
                "7",
            ],
        );
        dir
    })
    .path()
}

fn copy_dir(from: &Path, to: &Path) {
    for f in files_under(from) {
        let dest = to.join(f.strip_prefix(from).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, dest).unwrap();
    }
}

/// A fresh copy of the clean archive.
pub fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(base(), dir.path());
    dir
}

pub fn verify(source: &str, extra: &[&str]) -> (i32, Vec<Value>) {
    let mut args = vec!["verify", "--format", "jsonl", "--public-keys", KEYS, source];
    args.extend(extra);
    let r = ctscan(&args);
    assert!(r.code != 2, "verify failed: {}", r.stderr);
    (r.code, jsonl(&r.stdout))
}

pub fn verify_dir(dir: &Path, extra: &[&str]) -> (i32, Vec<Value>) {
    verify(dir.to_str().unwrap(), extra)
}

/// (status, object) of every finding that does not prove integrity.
pub fn problems(findings: &[Value]) -> BTreeSet<(String, String)> {
    findings
        .iter()
        .filter(|f| !matches!(f["status"].as_str(), Some("valid-digest" | "verified-log")))
        .map(|f| {
            (
                f["status"].as_str().unwrap().to_string(),
                f["object"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap().to_str().unwrap().replace('\\', "/")
}

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

/// A digest of the archive: its path from the root and its parsed body.
pub struct Digest {
    pub key: String,
    pub body: Value,
}

impl Digest {
    pub fn logs(&self) -> Vec<String> {
        self.body["logFiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["s3Object"].as_str().unwrap().to_string())
            .collect()
    }
}

/// Every digest by chain (account, region), oldest first.
pub fn chains(root: &Path) -> BTreeMap<(String, String), Vec<Digest>> {
    let mut out: BTreeMap<(String, String), Vec<Digest>> = BTreeMap::new();
    for f in files_under(root) {
        let key = rel(root, &f);
        if !key.contains("/CloudTrail-Digest/") || !key.ends_with(".json.gz") {
            continue;
        }
        let body: Value = serde_json::from_slice(&gunzip(&std::fs::read(&f).unwrap())).unwrap();
        let region = key
            .split("/CloudTrail-Digest/")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let account = body["awsAccountId"].as_str().unwrap().to_string();
        out.entry((account, region))
            .or_default()
            .push(Digest { key, body });
    }
    for c in out.values_mut() {
        c.sort_by(|a, b| {
            a.body["digestEndTime"]
                .as_str()
                .cmp(&b.body["digestEndTime"].as_str())
        });
    }
    out
}

/// The first chain, and a digest in its middle that lists log files.
pub fn middle(root: &Path) -> (Vec<Digest>, usize) {
    let chain = chains(root).into_values().next().unwrap();
    let i = (chain.len() / 3..chain.len() - 3)
        .find(|&i| !chain[i].logs().is_empty() && !chain[i + 1].logs().is_empty())
        .unwrap_or_else(|| {
            panic!(
                "no busy hour mid-chain: {:?}",
                chain.iter().map(|d| d.logs().len()).collect::<Vec<_>>()
            )
        });
    (chain, i)
}

pub fn log_files(root: &Path) -> Vec<PathBuf> {
    files_under(root)
        .into_iter()
        .filter(|p| rel(root, p).contains("/CloudTrail/"))
        .collect()
}
