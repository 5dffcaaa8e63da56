//! Finding ids and the copies findings name: the same finding has the same id in every run, whichever copy
//! of a duplicate delivery was read, no two findings of a run share one, and a finding on a duplicated
//! event names the copy whose object key sorts first, in every run.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::hunt_fixtures::{findings, hunt};
use crate::util::*;

/// The sample with every object of its `us-east-1` folders delivered again, byte for byte, into `us-west-2`.
fn sample_delivered_twice(root: &Path) -> std::path::PathBuf {
    let sample = Path::new("testdata/sample");
    for file in files_under(sample) {
        let rel = file.strip_prefix(sample).unwrap();
        let to = root.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&file, &to).unwrap();
        let text = rel.to_string_lossy();
        if text.contains("/CloudTrail/us-east-1/") {
            let again = root.join(text.replace("/CloudTrail/us-east-1/", "/CloudTrail/us-west-2/"));
            std::fs::create_dir_all(again.parent().unwrap()).unwrap();
            std::fs::copy(&file, &again).unwrap();
        }
    }
    root.to_path_buf()
}

/// Every finding of one hunt at every level, as JSON; the hunt must succeed.
fn every_finding(source: &Path) -> Vec<Value> {
    let r = hunt(&[
        "--format",
        "jsonl",
        "--min-level",
        "informational",
        source.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    findings(&r)
}

/// Finding id → (rule, eventID) of one hunt, failing on an id given twice.
fn ids(source: &Path) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for f in every_finding(source) {
        let id = f["findingId"]
            .as_str()
            .expect("every finding has an id")
            .to_string();
        assert_eq!(id.len(), 32, "{id}");
        let what = (
            f["ruleId"].as_str().unwrap().to_string(),
            f["eventID"].as_str().unwrap_or_default().to_string(),
        );
        if let Some(before) = out.insert(id.clone(), what.clone()) {
            // A correlation and its last event can share an eventID, never an id.
            panic!("id {id} given to {before:?} and {what:?}");
        }
    }
    out
}

#[test]
fn finding_ids_are_stable_across_runs_and_duplicate_deliveries() {
    let once = ids(Path::new("testdata/sample"));
    assert!(once.len() > 10, "{once:?}");
    assert_eq!(ids(Path::new("testdata/sample")), once);
    let dir = tempfile::tempdir().unwrap();
    let twice = sample_delivered_twice(dir.path());
    for _ in 0..3 {
        assert_eq!(ids(&twice), once);
    }
}

/// A generated archive whose `us-east-1` objects are delivered again, byte for byte, into `ap-south-1` of
/// the same account and into a second trail's folder: most events exist three times, in large objects.
pub fn archive_full_of_copies(root: &Path) -> std::path::PathBuf {
    let base = root.join("trail");
    generate(
        &base,
        &[
            "--events",
            "12000",
            "--world",
            "realistic",
            "--attacks",
            "--accounts",
            "2",
            "--regions",
            "2",
            "--days",
            "2",
            "--per-file",
            "400",
            "--seed",
            "7",
        ],
    );
    for file in files_under(&base) {
        let rel = file.strip_prefix(&base).unwrap().to_string_lossy().to_string();
        if !rel.contains("/CloudTrail/us-east-1/") {
            continue;
        }
        for to in [
            base.join(rel.replace("/CloudTrail/us-east-1/", "/CloudTrail/ap-south-1/")),
            base.join("second").join(&rel),
        ] {
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&file, &to).unwrap();
        }
    }
    base
}

/// Finding id → object named, of one hunt.
fn objects_named(source: &Path) -> BTreeMap<String, String> {
    every_finding(source)
        .iter()
        .map(|f| {
            (
                f["findingId"].as_str().unwrap().to_string(),
                f["object"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn findings_on_duplicated_events_name_the_copy_that_sorts_first_in_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive_full_of_copies(dir.path());
    let first = objects_named(&archive);
    assert!(first.len() > 20, "{first:?}");
    // Every us-east-1 event has a copy in ap-south-1, whose key sorts before both other copies.
    for (id, object) in &first {
        assert!(
            !object.contains("/CloudTrail/us-east-1/") && !object.contains("/second/"),
            "{id} names {object}, not the copy that sorts first"
        );
    }
    assert!(first.values().any(|o| o.contains("/CloudTrail/ap-south-1/")));
    for _ in 0..3 {
        assert_eq!(objects_named(&archive), first);
    }
}
