//! `s3://` SOURCEs against a real S3-compatible server (moto on 127.0.0.1): the same archive (every layout
//! S3 listing must handle) gives exactly the same listings, rows, lakes, inventories and findings from S3 as
//! from local disk, unsigned requests to a public bucket included.

use std::path::Path;

use crate::s3_server::{Proxy, ctscan_s3, moto};
use crate::util::*;

pub const BUCKET: &str = "evidence";

/// Queries whose answers must not depend on where the archive is (object keys are compared with the
/// archive's root replaced by `ROOT`).
pub const CHECKS: &[&str] = &[
    "SELECT count(*) AS n, count(DISTINCT eventID) AS ids FROM events",
    "SELECT objectKey, objectAccount, objectRegion, objectDay, count(*) AS n, min(eventTime) AS lo, max(eventTime) AS hi FROM events GROUP BY 1, 2, 3, 4 ORDER BY 1",
    "SELECT eventName, awsRegion, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT eventID, userIdentity.arn AS arn, requestParameters ->> 'bucketName' AS b, objectKey FROM events WHERE eventTime >= '2026-03-04T00:00:00Z' AND eventTime < '2026-03-05T06:00:00Z' ORDER BY eventID, objectKey",
];

fn events(prefix: &str, n: usize, day: &str, account: &str, region: &str) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            let mut e = event(
                &format!("Call{}", i % 5),
                &format!("{day}T{:02}:{:02}:00Z", i % 24, i % 60),
            );
            e["eventID"] = format!("{prefix}-{i}").into();
            e["recipientAccountId"] = account.into();
            e["awsRegion"] = region.into();
            e
        })
        .collect()
}

/// An archive with every shape S3 listing must handle: the plain layout, both organization layouts under
/// custom prefixes, siblings of the trail, a corrupt object, a key with unusual characters, a loose export,
/// and more than 1,000 objects under one day prefix.
fn rich_archive(root: &Path, big: usize) {
    synthetic_archive(&root.join("plain"), 24, 20);
    write(
        &root.join("o-abc123def4/AWSLogs/555566667777/CloudTrail/us-west-2/2026/03/04/555566667777_CloudTrail_us-west-2_20260304T1000Z_ct.json.gz"),
        &delivery(&events("ct", 30, "2026-03-04", "555566667777", "us-west-2")),
    );
    write(
        &root.join("org/trail/AWSLogs/o-abc123def4/888899990000/CloudTrail/ap-south-1/2026/03/05/888899990000_CloudTrail_ap-south-1_20260305T1000Z_org.json.gz"),
        &delivery(&events("org", 25, "2026-03-05", "888899990000", "ap-south-1")),
    );
    let plain = root.join("plain/AWSLogs/111122223333");
    write(
        &plain.join("CloudTrail-Digest/us-east-1/2026/03/04/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260304T1000Z.json.gz"),
        &gz(b"{\"digest\": true}"),
    );
    write(
        &plain.join("CloudTrail-Insight/us-east-1/2026/03/04/111122223333_CloudTrail-Insight_us-east-1_20260304T1000Z_i.json.gz"),
        &gz(b"{\"Records\": []}"),
    );
    write(
        &plain.join(
            "Config/us-east-1/2026/3/4/ConfigHistory/111122223333_Config_us-east-1_ConfigHistory_x.json.gz",
        ),
        &gz(b"{}"),
    );
    write(
        &log_path(
            &root.join("plain"),
            "111122223333",
            "us-east-1",
            "2026-03-04",
            "111122223333_CloudTrail_us-east-1_20260304T2355Z_corrupt.json.gz",
        ),
        b"this is not gzip",
    );
    write(
        &log_path(
            &root.join("plain"),
            "444455556666",
            "eu-west-1",
            "2026-03-05",
            "444455556666_CloudTrail_eu-west-1_20260305T1200Z_a b+c%20ü=&'(x)~.json.gz",
        ),
        &delivery(&events("odd", 7, "2026-03-05", "444455556666", "eu-west-1")),
    );
    write(
        &root.join("exports/incident.json"),
        serde_json::json!({ "Records": events("loose", 3, "2026-03-04", "111122223333", "us-east-1") })
            .to_string()
            .as_bytes(),
    );
    for i in 0..big {
        let name = format!("999988887777_CloudTrail_us-east-1_20260305T0000Z_{i:05}.json.gz");
        write(
            &root.join(format!(
                "big/AWSLogs/999988887777/CloudTrail/us-east-1/2026/03/05/{name}"
            )),
            &delivery(&events(
                &format!("big{i}"),
                1,
                "2026-03-05",
                "999988887777",
                "us-east-1",
            )),
        );
    }
}

/// Output with the archive's location replaced by `ROOT`, so local and S3 runs compare.
fn normal(text: &str, root: &Path, url: &str) -> String {
    text.replace(&root.display().to_string(), "ROOT")
        .replace(url.trim_end_matches('/'), "ROOT")
}

pub fn ls_args<'a>(source: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["ls", "--format", "jsonl"];
    a.extend_from_slice(extra);
    a.push(source);
    a
}

pub fn query_args<'a>(source: &'a str, sql: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["query", "--format", "jsonl"];
    a.extend_from_slice(extra);
    a.push(source);
    a.push(sql);
    a
}

/// Asserts a local run and an S3 run agree: exit code and (normalised) stdout.
pub fn same(local: &Run, remote: &Run, root: &Path, url: &str, what: &str) {
    assert_eq!(
        remote.code, local.code,
        "{what}: exit codes differ\nlocal: {}\ns3: {}",
        local.stderr, remote.stderr
    );
    assert!(
        !remote.stdout.trim().is_empty(),
        "{what}: no output\n{}",
        remote.stderr
    );
    assert_eq!(
        normal(&remote.stdout, root, url),
        normal(&local.stdout, root, url),
        "{what}\ns3 stderr: {}",
        remote.stderr
    );
}

#[test]
fn s3_answers_exactly_like_local_disk() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    rich_archive(&root, 1005);
    let uploaded = moto.upload(BUCKET, &root, "cases/", &[]);
    assert_eq!(uploaded, 24 + 8 + 1005);
    let url = format!("s3://{BUCKET}/cases/");
    let local = root.to_str().unwrap();
    let e = moto.endpoint.as_str();

    // ls: the same inventory, whole archive and scoped; the S3 listing downloads nothing.
    for extra in [
        &[][..],
        &["--from", "2026-03-04", "--to", "2026-03-04"][..],
        &["--account", "111122223333,999988887777", "--region", "us-east-1"][..],
        &["--since", "3650d"][..],
    ] {
        let l = ctscan(&ls_args(local, extra));
        let r = ctscan_s3(e, &ls_args(&url, extra));
        same(&l, &r, &root, &url, &format!("ls {extra:?}"));
    }
    let rows = jsonl(&ctscan_s3(e, &ls_args(&url, &[])).stdout);
    let big = rows.iter().find(|r| r["account"] == "999988887777").unwrap();
    assert_eq!(big["objects"], 1005, "pagination past 1,000 keys");
    for account in ["555566667777", "888899990000", "444455556666"] {
        assert!(
            rows.iter().any(|r| r["account"] == account),
            "{account} missing: {rows:?}"
        );
    }
    let table = ctscan_s3(e, &["ls", "--format", "table", &url]);
    for skipped in [
        "skipped: CloudTrail digest file",
        "skipped: CloudTrail Insights file",
        "skipped: Config folder",
    ] {
        assert!(table.stdout.contains(skipped), "{skipped}: {}", table.stdout);
    }
    // A narrower SOURCE prefix works like a subfolder.
    let l = ctscan(&ls_args(root.join("org").to_str().unwrap(), &[]));
    let r = ctscan_s3(e, &ls_args("s3://evidence/cases/org", &[]));
    same(&l, &r, &root.join("org"), "s3://evidence/cases/org", "ls org/");
    // Public buckets: unsigned requests (moto lets anyone list).
    let proxy = Proxy::start(e, Box::new(|_, _| None));
    let unsigned = ctscan_s3(&proxy.endpoint, &ls_args(&url, &["--no-sign-request"]));
    same(
        &ctscan(&ls_args(local, &[])),
        &unsigned,
        &root,
        &url,
        "ls --no-sign-request",
    );
    let seen = proxy.seen();
    assert!(!seen.is_empty() && seen.iter().all(|s| !s.signed), "{seen:?}");

    // query: the same rows, the corrupt object reported by its S3 key in both.
    for sql in CHECKS {
        for extra in [
            &[][..],
            &["--from", "2026-03-05", "--region", "us-east-1,eu-west-1"][..],
        ] {
            let l = ctscan(&query_args(local, sql, extra));
            let r = ctscan_s3(e, &query_args(&url, sql, extra));
            same(&l, &r, &root, &url, &format!("{sql} {extra:?}"));
            assert_eq!(r.code, 1, "the corrupt object makes the run partial");
        }
    }
    let r = ctscan_s3(e, &query_args(&url, "SELECT count(*) AS n FROM events", &[]));
    assert!(
        r.stderr.contains(&format!(
            "{url}plain/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/04/111122223333_CloudTrail_us-east-1_20260304T2355Z_corrupt.json.gz: not JSON"
        )),
        "{}",
        r.stderr
    );
    assert_eq!(jsonl(&r.stdout)[0]["n"], 24 * 20 + 30 + 25 + 7 + 3 + 1005);
    // A small --concurrency gives the same answer.
    let r1 = ctscan_s3(e, &query_args(&url, CHECKS[1], &["--concurrency", "1"]));
    same(
        &ctscan(&query_args(local, CHECKS[1], &[])),
        &r1,
        &root,
        &url,
        "--concurrency 1",
    );

    // export: the lakes answer alike; the S3 lake's manifest records ETags, and re-runs skip or notice.
    let lake_l = dir.path().join("lake-local");
    let lake_s = dir.path().join("lake-s3");
    let el = ctscan(&["export", local, "--out", lake_l.to_str().unwrap()]);
    let es = ctscan_s3(e, &["export", &url, "--out", lake_s.to_str().unwrap()]);
    assert_eq!(es.code, el.code, "{}", es.stderr);
    assert_eq!(
        es.stdout.replace(lake_s.to_str().unwrap(), "LAKE"),
        el.stdout.replace(lake_l.to_str().unwrap(), "LAKE")
    );
    for sql in CHECKS {
        let l = ctscan(&query_args(lake_l.to_str().unwrap(), sql, &[]));
        let r = ctscan(&query_args(lake_s.to_str().unwrap(), sql, &[]));
        same(&l, &r, &root, &url, &format!("lake: {sql}"));
    }
    let manifest = std::fs::read_to_string(lake_s.join("_ctscan/manifest.jsonl")).unwrap();
    let entries = jsonl(&manifest);
    assert_eq!(
        entries.len(),
        rows.iter().map(|r| r["objects"].as_u64().unwrap()).sum::<u64>() as usize
    );
    for entry in &entries {
        let etag = entry["etag"]
            .as_str()
            .unwrap_or_else(|| panic!("no ETag: {entry}"));
        assert!(etag.len() == 32 && !etag.contains('"'), "{entry}");
    }
    let again = ctscan_s3(e, &["export", &url, "--out", lake_s.to_str().unwrap()]);
    assert!(
        again.stdout.contains("exported 0 objects (0 events)")
            && again.stdout.contains(&format!("{} already", entries.len() - 1)),
        "{}\n{}",
        again.stdout,
        again.stderr
    );
    let changed_key = "cases/o-abc123def4/AWSLogs/555566667777/CloudTrail/us-west-2/2026/03/04/555566667777_CloudTrail_us-west-2_20260304T1000Z_ct.json.gz";
    moto.put(
        BUCKET,
        changed_key,
        &delivery(&events("ct2", 2, "2026-03-04", "555566667777", "us-west-2")),
    );
    let changed = ctscan_s3(e, &["export", &url, "--out", lake_s.to_str().unwrap()]);
    assert_eq!(changed.code, 1, "{}", changed.stderr);
    assert!(
        changed.stderr.contains(&format!(
            "s3://{BUCKET}/{changed_key}: changed since it was exported"
        )),
        "{}",
        changed.stderr
    );

    // ls --objects: the same bytes (SHA-256) from both, with the S3 ETag.
    let inv_l = jsonl(
        &ctscan(&[
            "ls",
            "--objects",
            "--format",
            "jsonl",
            root.join("plain").to_str().unwrap(),
        ])
        .stdout,
    );
    let inv_s = jsonl(
        &ctscan_s3(
            e,
            &[
                "ls",
                "--objects",
                "--format",
                "jsonl",
                "s3://evidence/cases/plain/",
            ],
        )
        .stdout,
    );
    assert_eq!(inv_s.len(), inv_l.len());
    for (l, s) in inv_l.iter().zip(&inv_s) {
        assert_eq!(s["sha256"], l["sha256"], "{s}");
        assert_eq!(
            normal(
                s["key"].as_str().unwrap(),
                &root.join("plain"),
                "s3://evidence/cases/plain"
            ),
            normal(
                l["key"].as_str().unwrap(),
                &root.join("plain"),
                "s3://evidence/cases/plain"
            )
        );
    }
}

/// Findings as sorted, location-independent lines (findings stream in the order objects finish).
fn findings(run: &Run, root: &Path, url: &str) -> Vec<String> {
    let mut lines: Vec<String> = normal(&run.stdout, root, url)
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[test]
fn s3_hunts_find_exactly_what_local_hunts_find() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    generate(
        &root,
        &[
            "--events",
            "1500",
            "--per-file",
            "100",
            "--accounts",
            "3",
            "--layout",
            "mixed",
            "--siblings",
            "--attacks",
        ],
    );
    moto.upload(BUCKET, &root, "hunt/", &[]);
    let url = format!("s3://{BUCKET}/hunt/");
    let local = ctscan(&["hunt", "--format", "jsonl", root.to_str().unwrap()]);
    let remote = ctscan_s3(&moto.endpoint, &["hunt", "--format", "jsonl", &url]);
    assert_eq!(local.code, 0, "{}", local.stderr);
    assert_eq!(remote.code, 0, "{}", remote.stderr);
    let (l, r) = (findings(&local, &root, &url), findings(&remote, &root, &url));
    assert!(l.len() >= 10, "the planted attacks are found: {l:?}");
    assert_eq!(r, l);
    let scoped = [
        "hunt",
        "--format",
        "jsonl",
        "--from",
        "2026-03-02",
        "--min-level",
        "high",
    ];
    let l = findings(
        &ctscan(&[&scoped[..], &[root.to_str().unwrap()]].concat()),
        &root,
        &url,
    );
    let r = findings(
        &ctscan_s3(&moto.endpoint, &[&scoped[..], &[url.as_str()]].concat()),
        &root,
        &url,
    );
    assert_eq!(r, l);
}
