//! `ctscan verify` on tampered copies of a signed archive: each kind of tampering (a log deleted, edited,
//! split into gzip members or injected; digests deleted, edited or moved; a sidecar missing) is reported
//! with its status and object, and nothing else is.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::util::*;
use crate::verify_fixtures::{Digest, chains, copy, gunzip, middle, problems, verify_dir};

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(s, o)| (s.to_string(), o.to_string()))
        .collect()
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
