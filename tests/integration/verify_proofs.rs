//! `ctscan verify` proofs and gaps: a clean archive is proven (every log listed with `--all`, a window
//! inside it without edge effects), without keys nothing is proven but hashes and links are still checked,
//! and the gap the sample's StopLogging opened and the delivery gaps of an archive without digests are
//! reported.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::util::*;
use crate::verify_fixtures::{
    KEYS, base, chains, copy, log_files, middle, problems, rel, verify, verify_dir,
};

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
