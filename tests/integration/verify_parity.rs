//! `ctscan verify` agrees with other readers: from S3 (signatures in object metadata) it gives the same
//! verdicts as from disk, and the AWS CLI's own validator accepts exactly the digests ctscan accepts.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::s3_server::{ctscan_s3, moto};
use crate::util::*;
use crate::verify_fixtures::{KEYS, chains, copy, gunzip, middle, verify_dir};

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
