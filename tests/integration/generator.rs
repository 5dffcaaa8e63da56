//! `ctscan-gen`: the uniform world still writes the committed sample byte for byte, and the realistic world
//! writes archives ctscan reads cleanly, with every planted event where the ground truth says.

use std::path::Path;

use crate::util::*;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// The README's command regenerates `testdata/sample` exactly: the uniform world has not moved.
#[test]
fn the_uniform_world_still_writes_the_committed_sample() {
    let dir = tempfile::tempdir().unwrap();
    let args = "--events 1200 --per-file 100 --days 3 --accounts 3 --regions 2 --layout mixed --siblings --attacks --seed 2026";
    generate(dir.path(), &args.split(' ').collect::<Vec<_>>());
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample");
    let (got, want) = (files(dir.path()), files(&sample));
    assert_eq!(
        got.iter().map(|f| &f.0).collect::<Vec<_>>(),
        want.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(got == want, "same objects, different bytes");
}

#[test]
fn a_realistic_archive_reads_cleanly_with_its_planted_events() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        std::process::Command::new(env!("CARGO_BIN_EXE_ctscan-gen")).args([
            "--out",
            dir.path().to_str().unwrap(),
            "--world",
            "realistic",
            "--events",
            "3000",
            "--per-file",
            "60",
            "--days",
            "2",
            "--accounts",
            "3",
            "--regions",
            "2",
            "--layout",
            "mixed",
            "--siblings",
            "--attacks",
        ]),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("3284 events (284 planted)"), "{}", r.stderr);
    assert_eq!(count(dir.path(), "SELECT count(*) AS n FROM events", &[]), 3284);
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) AS n FROM events WHERE sourceIPAddress = '185.220.101.47'",
            &[]
        ),
        284
    );
    // The launch in the never-used region is alone in its region.
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) AS n FROM events WHERE awsRegion = 'ap-south-1'",
            &[]
        ),
        2
    );
    // Instance sessions call from one address each (VPC endpoint calls and AWS-invoked calls aside).
    let rows = query(
        dir.path(),
        "SELECT userIdentity.arn AS arn, count(DISTINCT sourceIPAddress) AS n FROM events \
         WHERE userIdentity.arn LIKE '%/i-0%' AND vpcEndpointId IS NULL AND sourceIPAddress NOT LIKE '%.amazonaws.com' \
         AND sourceIPAddress <> '185.220.101.47' GROUP BY userIdentity.arn HAVING count(DISTINCT sourceIPAddress) > 1",
        &[],
    );
    assert!(rows.is_empty(), "{rows:?}");
}
