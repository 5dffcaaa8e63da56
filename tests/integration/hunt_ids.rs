//! Finding ids: the same finding has the same id in every run, whichever copy of a duplicate delivery was
//! read, and no two findings of a run share one.

use std::collections::BTreeMap;
use std::path::Path;

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

/// Finding id → (rule, eventID) of one hunt, failing on an id given twice.
fn ids(source: &Path) -> BTreeMap<String, (String, String)> {
    let r = hunt(&[
        "--format",
        "jsonl",
        "--min-level",
        "informational",
        source.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut out = BTreeMap::new();
    for f in findings(&r) {
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
