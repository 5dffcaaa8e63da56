//! `ctscan verify` on generated, signed digest chains: a clean archive is proven, each kind of tampering
//! (done here, on a copy) is reported with its status and object and nothing else is, S3 gives the same
//! verdicts as disk, and the AWS CLI's own validator accepts exactly the digests ctscan accepts.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::s3_server::*;
use crate::util::*;

const KEYS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/digest-test-key/list-public-keys.json"
);

/// A clean archive with digests, generated once; tests tamper with copies.
fn base() -> &'static Path {
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
fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(base(), dir.path());
    dir
}

fn verify(source: &str, extra: &[&str]) -> (i32, Vec<Value>) {
    let mut args = vec!["verify", "--format", "jsonl", "--public-keys", KEYS, source];
    args.extend(extra);
    let r = ctscan(&args);
    assert!(r.code != 2, "verify failed: {}", r.stderr);
    (r.code, jsonl(&r.stdout))
}

fn verify_dir(dir: &Path, extra: &[&str]) -> (i32, Vec<Value>) {
    verify(dir.to_str().unwrap(), extra)
}

/// (status, object) of every finding that does not prove integrity.
fn problems(findings: &[Value]) -> BTreeSet<(String, String)> {
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

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(s, o)| (s.to_string(), o.to_string()))
        .collect()
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap().to_str().unwrap().replace('\\', "/")
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

/// A digest of the archive: its path from the root and its parsed body.
struct Digest {
    key: String,
    body: Value,
}

impl Digest {
    fn logs(&self) -> Vec<String> {
        self.body["logFiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["s3Object"].as_str().unwrap().to_string())
            .collect()
    }
}

/// Every digest by chain (account, region), oldest first.
fn chains(root: &Path) -> BTreeMap<(String, String), Vec<Digest>> {
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
fn middle(root: &Path) -> (Vec<Digest>, usize) {
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

fn log_files(root: &Path) -> Vec<PathBuf> {
    files_under(root)
        .into_iter()
        .filter(|p| rel(root, p).contains("/CloudTrail/"))
        .collect()
}

#[test]
fn a_clean_archive_is_proven_and_with_all_lists_every_log() {
    let (code, findings) = verify_dir(base(), &["--all"]);
    assert_eq!(problems(&findings), BTreeSet::new());
    assert_eq!(code, 0);
    let digests: usize = chains(base()).values().map(Vec::len).sum();
    let count = |s: &str| findings.iter().filter(|f| f["status"] == s).count();
    assert_eq!(count("valid-digest"), digests);
    let logs: BTreeSet<String> = log_files(base()).iter().map(|p| rel(base(), p)).collect();
    let verified: BTreeSet<String> = findings
        .iter()
        .filter(|f| f["status"] == "verified-log")
        .map(|f| f["object"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(verified, logs);
    // Every record names its chain and time.
    for f in &findings {
        assert!(f["account"].as_str().is_some_and(|a| a.len() == 12), "{f}");
        assert!(
            f["trail"] == "org-trail" && f["from"].is_string() && f["to"].is_string(),
            "{f}"
        );
    }
    // Without --all the register is left out; the table shows one row per chain.
    let (_, quiet) = verify_dir(base(), &[]);
    assert_eq!(quiet.len(), digests);
    let r = ctscan(&[
        "verify",
        "--format",
        "table",
        "--public-keys",
        KEYS,
        base().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.matches("org-trail").count(),
        chains(base()).len(),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("covered by a verified digest chain"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_deleted_log_is_missing() {
    let dir = copy();
    let (chain, i) = middle(dir.path());
    let victim = chain[i].logs()[0].clone();
    std::fs::remove_file(dir.path().join(&victim)).unwrap();
    let (code, findings) = verify_dir(dir.path(), &[]);
    assert_eq!(problems(&findings), set(&[("missing-log", &victim)]));
    assert_eq!(code, 3);
}

#[test]
fn an_edited_record_breaks_its_hash() {
    let dir = copy();
    let (chain, i) = middle(dir.path());
    let victim = chain[i].logs()[0].clone();
    let path = dir.path().join(&victim);
    let text = String::from_utf8(gunzip(&std::fs::read(&path).unwrap())).unwrap();
    let at = text.find("\"sourceIPAddress\":\"").unwrap() + "\"sourceIPAddress\":\"".len();
    let edited = format!(
        "{}203.0.113.9{}",
        &text[..at],
        &text[at + text[at..].find('"').unwrap()..]
    );
    assert_ne!(edited, text);
    std::fs::write(&path, gz(edited.as_bytes())).unwrap();
    let (code, findings) = verify_dir(dir.path(), &[]);
    assert_eq!(problems(&findings), set(&[("hash-mismatch", &victim)]));
    assert_eq!(code, 3);
}

#[test]
fn a_log_split_into_two_gzip_members_is_caught() {
    let dir = copy();
    let (chain, i) = middle(dir.path());
    let victim = chain[i].logs()[0].clone();
    let path = dir.path().join(&victim);
    let json = gunzip(&std::fs::read(&path).unwrap());
    let (a, b) = json.split_at(json.len() / 2);
    let mut two = gz(a);
    two.extend(gz(b));
    std::fs::write(&path, two).unwrap();
    let (code, findings) = verify_dir(dir.path(), &[]);
    assert_eq!(problems(&findings), set(&[("hash-mismatch", &victim)]));
    let f = findings.iter().find(|f| f["status"] == "hash-mismatch").unwrap();
    assert!(f["detail"].as_str().unwrap().contains("2 gzip members"), "{f}");
    assert_eq!(code, 3);
}

#[test]
fn two_deleted_digests_are_counted_as_two() {
    let dir = copy();
    let (chain, i) = middle(dir.path());
    for d in &chain[i..i + 2] {
        std::fs::remove_file(dir.path().join(&d.key)).unwrap();
        std::fs::remove_file(dir.path().join(format!("{}.metadata.json", d.key))).unwrap();
    }
    let (code, findings) = verify_dir(dir.path(), &[]);
    let mut want = set(&[("missing-digest", &chain[i + 1].key)]);
    for d in &chain[i..i + 2] {
        for l in d.logs() {
            want.insert(("unverifiable-log".into(), l));
        }
    }
    assert_eq!(problems(&findings), want);
    let missing = findings.iter().find(|f| f["status"] == "missing-digest").unwrap();
    assert_eq!(missing["count"], 2, "{missing}");
    assert_eq!(missing["from"], chain[i - 1].body["digestEndTime"]);
    assert_eq!(missing["to"], chain[i + 2].body["digestStartTime"]);
    assert_eq!(code, 3);
}

#[test]
fn the_newest_digests_deleted_are_missing_too() {
    let dir = copy();
    // A chain whose two newest digests list log files.
    let chain = chains(dir.path())
        .into_values()
        .find(|c| c[c.len() - 2..].iter().all(|d| !d.logs().is_empty()))
        .expect("a chain busy to its end");
    let n = chain.len();
    for d in &chain[n - 2..] {
        std::fs::remove_file(dir.path().join(&d.key)).unwrap();
        std::fs::remove_file(dir.path().join(format!("{}.metadata.json", d.key))).unwrap();
    }
    let (code, findings) = verify_dir(dir.path(), &[]);
    let missing: Vec<&Value> = findings
        .iter()
        .filter(|f| f["status"] == "missing-digest")
        .collect();
    assert_eq!(missing.len(), 1, "{findings:?}");
    assert_eq!(missing[0]["count"], 2);
    assert_eq!(missing[0]["from"], chain[n - 3].body["digestEndTime"]);
    // Their log files are unproven, none is called verified.
    let orphans: BTreeSet<String> = chain[n - 2..].iter().flat_map(Digest::logs).collect();
    let unproven: BTreeSet<String> = findings
        .iter()
        .filter(|f| {
            matches!(
                f["status"].as_str(),
                Some("unverifiable-log" | "not-yet-digested")
            )
        })
        .map(|f| f["object"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(unproven, orphans);
    assert_eq!(code, 3);
}

#[test]
fn a_log_injected_into_a_covered_hour_is_unreferenced() {
    let dir = copy();
    let (chain, i) = middle(dir.path());
    let model = chain[i].logs()[0].clone();
    let start = chain[i].body["digestStartTime"].as_str().unwrap();
    // Delivered half way through the hour that digest covers.
    let stamp = format!(
        "{}{}{}T{}30Z",
        &start[0..4],
        &start[5..7],
        &start[8..10],
        &start[11..13]
    );
    let name = model.rsplit('/').next().unwrap();
    let parts: Vec<&str> = name.split('_').collect();
    let injected_name = format!(
        "{}_{}_{}_{stamp}_INJECTED00000000.json.gz",
        parts[0], parts[1], parts[2]
    );
    let injected = model.replace(name, &injected_name);
    std::fs::copy(dir.path().join(&model), dir.path().join(&injected)).unwrap();
    let (code, findings) = verify_dir(dir.path(), &[]);
    assert_eq!(problems(&findings), set(&[("unreferenced-log", &injected)]));
    assert_eq!(code, 3);
}

#[test]
fn an_edited_digest_fails_its_signature_and_breaks_the_next_link() {
    let dir = copy();
    let (chain, i) = middle(dir.path());
    let path = dir.path().join(&chain[i].key);
    let text = String::from_utf8(gunzip(&std::fs::read(&path).unwrap())).unwrap();
    let hash = chain[i].body["logFiles"][0]["hashValue"].as_str().unwrap();
    let edited = text.replacen(hash, &"0".repeat(64), 1);
    assert_ne!(edited, text);
    std::fs::write(&path, gz(edited.as_bytes())).unwrap();
    let (code, findings) = verify_dir(dir.path(), &[]);
    let mut want = set(&[
        ("invalid-signature", &chain[i].key),
        ("broken-link", &chain[i + 1].key),
    ]);
    for l in chain[i].logs() {
        want.insert(("unverifiable-log".into(), l));
    }
    assert_eq!(problems(&findings), want);
    assert_eq!(code, 3);
}

#[test]
fn a_moved_digest_is_reported_where_it_lies() {
    let dir = copy();
    let (chain, i) = middle(dir.path());
    let key = &chain[i].key;
    let day = key.split('/').rev().nth(1).unwrap();
    let moved = key.replacen(&format!("/{day}/"), "/28/", 1);
    for suffix in ["", ".metadata.json"] {
        let to = dir.path().join(format!("{moved}{suffix}"));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::rename(dir.path().join(format!("{key}{suffix}")), to).unwrap();
    }
    let (code, findings) = verify_dir(dir.path(), &[]);
    assert_eq!(problems(&findings), set(&[("moved", &moved)]));
    assert_eq!(code, 3);
}

#[test]
fn the_newest_digest_without_its_sidecar_cannot_be_proven() {
    let dir = copy();
    let chain = chains(dir.path()).into_values().next().unwrap();
    let newest = chain.last().unwrap();
    std::fs::remove_file(dir.path().join(format!("{}.metadata.json", newest.key))).unwrap();
    // An older digest without its sidecar is still proven by its successor.
    std::fs::remove_file(dir.path().join(format!("{}.metadata.json", chain[3].key))).unwrap();
    let (code, findings) = verify_dir(dir.path(), &[]);
    let mut want = set(&[("signature-unavailable", &newest.key)]);
    for l in newest.logs() {
        want.insert(("unverifiable-log".into(), l));
    }
    assert_eq!(problems(&findings), want);
    assert_eq!(code, 1);
}

#[test]
fn without_keys_nothing_is_proven_but_hashes_and_links_are_checked() {
    let dir = copy();
    let (chain, i) = middle(dir.path());
    let victim = chain[i].logs()[0].clone();
    std::fs::remove_file(dir.path().join(&victim)).unwrap();
    let r = ctscan(&["verify", "--format", "jsonl", dir.path().to_str().unwrap()]);
    let findings = jsonl(&r.stdout);
    assert!(findings.iter().all(|f| f["status"] != "valid-digest"));
    assert!(findings.iter().any(|f| f["status"] == "key-not-found"));
    assert!(problems(&findings).contains(&("missing-log".into(), victim)));
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("list-public-keys"), "{}", r.stderr);
    // A keys file that misstates a fingerprint is refused outright.
    let bad = dir.path().join("keys.json");
    let text = std::fs::read_to_string(KEYS).unwrap();
    let fp = serde_json::from_str::<Value>(&text).unwrap()["PublicKeyList"][0]["Fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(&bad, text.replace(&fp, &"f".repeat(32))).unwrap();
    let r = ctscan(&[
        "verify",
        "--public-keys",
        bad.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("fingerprint"), "{}", r.stderr);
}

#[test]
fn a_window_inside_the_archive_is_proven_without_edge_effects() {
    let (code, findings) = verify_dir(
        base(),
        &["--from", "2026-03-01T10:00:00Z", "--to", "2026-03-02T05:00:00Z"],
    );
    assert_eq!(problems(&findings), BTreeSet::new());
    assert_eq!(code, 0);
    assert!(findings.len() < chains(base()).values().map(Vec::len).sum::<usize>());
}

#[test]
fn the_sample_shows_the_gap_mallory_opened() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/sample");
    let (code, findings) = verify(sample, &[]);
    let statuses: BTreeSet<&str> = findings.iter().map(|f| f["status"].as_str().unwrap()).collect();
    assert!(statuses.contains("gap"), "{findings:?}");
    assert!(
        statuses.is_subset(&BTreeSet::from(["valid-digest", "gap", "uncovered-log"])),
        "{statuses:?}"
    );
    let gaps: Vec<&Value> = findings.iter().filter(|f| f["status"] == "gap").collect();
    assert!(!gaps.is_empty());
    for g in &gaps {
        let d = g["detail"].as_str().unwrap();
        assert!(
            d.contains("StopLogging by arn:aws:iam::") && d.contains(":user/mallory from 185.220.101.47"),
            "{d}"
        );
    }
    // Each uncovered log was delivered inside a gap of its account and region.
    for f in findings.iter().filter(|f| f["status"] == "uncovered-log") {
        assert!(
            gaps.iter().any(|g| g["account"] == f["account"]
                && g["region"] == f["region"]
                && g["from"].as_str() <= f["from"].as_str()
                && f["from"].as_str() <= g["to"].as_str()),
            "{f}"
        );
    }
    assert_eq!(code, 1);
}

#[test]
fn an_archive_without_digests_reports_delivery_gaps_as_a_heuristic() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        dir.path(),
        &[
            "--events",
            "600",
            "--per-file",
            "100",
            "--days",
            "3",
            "--accounts",
            "1",
            "--regions",
            "1",
        ],
    );
    let (code, findings) = verify_dir(dir.path(), &["--gap", "2h"]);
    let statuses: BTreeSet<&str> = findings.iter().map(|f| f["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, BTreeSet::from(["uncovered-log", "delivery-gap"]));
    for g in findings.iter().filter(|f| f["status"] == "delivery-gap") {
        assert!(g["detail"].as_str().unwrap().contains("heuristic"));
    }
    assert_eq!(code, 1);
}

#[test]
fn s3_with_metadata_gives_the_same_verdicts_as_disk() {
    let Some(moto) = moto() else { return };
    let dir = copy();
    let (chain, i) = middle(dir.path());
    std::fs::remove_file(dir.path().join(&chain[i].logs()[0])).unwrap();
    let uploaded = moto.upload_with_metadata("trail-archive", dir.path());
    assert!(uploaded > 0);
    let local = ctscan(&[
        "verify",
        "--format",
        "jsonl",
        "--all",
        "--public-keys",
        KEYS,
        dir.path().to_str().unwrap(),
    ]);
    let remote = ctscan_s3(
        &moto.endpoint,
        &[
            "verify",
            "--format",
            "jsonl",
            "--all",
            "--public-keys",
            KEYS,
            "s3://trail-archive",
        ],
    );
    assert_eq!((remote.code, local.code), (3, 3), "{}", remote.stderr);
    let strip = |out: &str| -> Vec<Value> {
        jsonl(out)
            .into_iter()
            .map(|mut f| {
                // The signature's source is named in the detail: S3 metadata there, a sidecar here.
                if f["status"] == "valid-digest" {
                    f["detail"] = Value::Null;
                }
                f
            })
            .collect()
    };
    assert_eq!(strip(&remote.stdout), strip(&local.stdout));
    assert!(
        jsonl(&remote.stdout)
            .iter()
            .any(|f| f["status"] == "valid-digest" && f["detail"].as_str().unwrap().contains("S3 metadata"))
    );
}

#[test]
fn the_aws_cli_validator_accepts_exactly_the_digests_ctscan_accepts() {
    let Some(python) = python_with("awscli") else {
        return;
    };
    let dir = copy();
    let (chain, i) = middle(dir.path());
    // An edited digest, a mid-chain digest without sidecar, and a newest digest without sidecar.
    let path = dir.path().join(&chain[i].key);
    let text = String::from_utf8(gunzip(&std::fs::read(&path).unwrap())).unwrap();
    std::fs::write(
        &path,
        gz(text
            .replacen("\"logFiles\":[{", "\"logFiles\":[{\"x\":1,", 1)
            .as_bytes()),
    )
    .unwrap();
    std::fs::remove_file(dir.path().join(format!("{}.metadata.json", chain[2].key))).unwrap();
    std::fs::remove_file(
        dir.path()
            .join(format!("{}.metadata.json", chain.last().unwrap().key)),
    )
    .unwrap();
    let oracle = run(std::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/oracle/aws_validate.py"
        ))
        .arg(dir.path())
        .arg(KEYS));
    assert_eq!(oracle.code, 0, "{}", oracle.stderr);
    let theirs: BTreeSet<String> = jsonl(&oracle.stdout)
        .iter()
        .filter(|d| d["accepted"] == true)
        .map(|d| d["object"].as_str().unwrap().to_string())
        .collect();
    let (_, findings) = verify_dir(dir.path(), &[]);
    let ours: BTreeSet<String> = findings
        .iter()
        .filter(|f| f["status"] == "valid-digest")
        .map(|f| f["object"].as_str().unwrap().to_string())
        .collect();
    let all: usize = chains(dir.path()).values().map(Vec::len).sum();
    assert_eq!(jsonl(&oracle.stdout).len(), all);
    assert_eq!(ours.len(), all - 2);
    assert_eq!(ours, theirs);
}
