//! `ctscan ls`: the inventory comes from the listing alone.

use crate::util::*;

#[test]
fn inventory_per_account_and_region_with_skips_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = delivery(&[event("A", "2026-03-03T10:00:00Z")]);
    write(
        &log_path(d, "111122223333", "us-east-1", "2026-03-03", "a.json.gz"),
        &e,
    );
    write(
        &log_path(d, "111122223333", "us-east-1", "2026-03-05", "b.json.gz"),
        &e,
    );
    write(
        &log_path(d, "111122223333", "eu-west-1", "2026-03-04", "c.json.gz"),
        &e,
    );
    write(
        &d.join("o-abc123def4/AWSLogs/444455556666/CloudTrail/us-east-1/2026/03/04/d.json.gz"),
        &e,
    );
    write(
        &d.join("AWSLogs/o-abc123def4/777788889999/CloudTrail/us-east-1/2026/03/04/e.json.gz"),
        &e,
    );
    write(
        &d.join("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/03/x.json.gz"),
        b"digest",
    );
    write(
        &d.join("AWSLogs/111122223333/Config/us-east-1/2026/3/3/ConfigHistory/y.json.gz"),
        b"config",
    );
    // Objects that are not gzip at all are not opened by ls: it lists, it does not read.
    write(
        &log_path(d, "111122223333", "eu-west-1", "2026-03-04", "garbage.json.gz"),
        b"not gzip",
    );
    let r = ctscan(&["ls", "--format", "jsonl", d.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = jsonl(&r.stdout);
    let find = |a: &str, region: &str| {
        rows.iter()
            .find(|r| r["account"] == a && r["region"] == region)
            .cloned()
    };
    let use1 = find("111122223333", "us-east-1").unwrap();
    assert_eq!(use1["objects"], 2);
    assert_eq!(use1["firstDay"], "2026-03-03");
    assert_eq!(use1["lastDay"], "2026-03-05");
    assert_eq!(use1["bytes"], 2 * e.len() as u64);
    assert_eq!(find("111122223333", "eu-west-1").unwrap()["objects"], 2);
    assert!(
        find("444455556666", "us-east-1").is_some(),
        "Control Tower layout"
    );
    assert!(
        find("777788889999", "us-east-1").is_some(),
        "organization trail layout"
    );
    assert_eq!(rows.len(), 4);

    let table = ctscan(&["ls", "--format", "table", d.to_str().unwrap()]);
    assert!(table.stdout.contains("TOTAL"), "{}", table.stdout);
    assert!(
        table.stdout.contains("skipped: CloudTrail digest file"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("skipped: Config log, not CloudTrail"),
        "{}",
        table.stdout
    );

    let scoped = ctscan(&[
        "ls",
        "--format",
        "jsonl",
        "--from",
        "2026-03-05",
        "--account",
        "111122223333",
        d.to_str().unwrap(),
    ]);
    let rows = jsonl(&scoped.stdout);
    // The window is widened by a day for delivery lag: 03-04 and 03-05 folders remain.
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r["account"] == "111122223333"));
}
