//! The same hunt gives the same answer every time: on an archive full of duplicate deliveries (across
//! regions and across two trails), 20 hunts of the raw archive, of its lake and of its copy on S3 each
//! write the same findings, naming the same objects, in the same order, with the same exit code.

use serde_json::Value;

use crate::hunt_ids::archive_full_of_copies;
use crate::s3_server::{ctscan_s3, moto};
use crate::util::*;

const RUNS: usize = 20;

/// The arguments of every hunt here: every finding, one JSON line each.
const HUNT: &[&str] = &["hunt", "--format", "jsonl", "--min-level", "informational"];

/// When a finding happened: its event's time, or a correlation window's last event.
fn finding_time(f: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    let text = f["correlation"]["last"]
        .as_str()
        .or_else(|| f["eventTime"].as_str())
        .expect("a finding has a time");
    chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Runs one hunt `RUNS` times; every run must exit as the first did and write exactly what it wrote.
/// Returns the findings, which must be ordered by time.
fn same_every_time(label: &str, hunt: impl Fn() -> Run) -> Vec<Value> {
    let first = hunt();
    assert_eq!(first.code, 0, "{label}: {}", first.stderr);
    for i in 1..RUNS {
        let again = hunt();
        assert_eq!(again.code, first.code, "{label}, run {i}: {}", again.stderr);
        assert!(
            again.stdout == first.stdout,
            "{label}: run {i} wrote other findings or another order than run 0"
        );
    }
    let found = jsonl(&first.stdout);
    assert!(found.len() > 20, "{label}: {} findings", found.len());
    let times: Vec<_> = found.iter().map(finding_time).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "{label}: findings are not in time order"
    );
    found
}

/// Finding ids with the object each names, relative to the archive's root.
fn named(found: &[Value], root: &str) -> Vec<(String, String)> {
    found
        .iter()
        .map(|f| {
            let object = f["object"].as_str().unwrap_or_default();
            (
                f["findingId"].as_str().unwrap().to_string(),
                object.strip_prefix(root).unwrap_or(object).to_string(),
            )
        })
        .collect()
}

#[test]
fn twenty_hunts_of_an_archive_full_of_copies_write_the_same_findings_in_the_same_order() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive_full_of_copies(dir.path());
    let source = archive.to_str().unwrap();
    let hunt_of = |source: &str| {
        let mut args = HUNT.to_vec();
        args.push(source);
        ctscan(&args)
    };
    let raw = same_every_time("raw archive", || hunt_of(source));

    let lake = dir.path().join("lake");
    let r = ctscan(&["export", source, "--out", lake.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let on_lake = same_every_time("lake", || hunt_of(lake.to_str().unwrap()));
    // The lake holds the same events: the same findings, naming the same copies.
    let root = format!("{source}/");
    assert_eq!(named(&on_lake, &root), named(&raw, &root));

    let Some(moto) = moto() else { return };
    moto.upload("copies", &archive, "", &[]);
    let from_s3 = same_every_time("S3", || {
        let mut args = HUNT.to_vec();
        args.push("s3://copies/");
        ctscan_s3(&moto.endpoint, &args)
    });
    assert_eq!(named(&from_s3, "s3://copies/"), named(&raw, &root));
}
