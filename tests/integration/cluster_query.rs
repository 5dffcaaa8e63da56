//! `--cluster` queries answer exactly like local ones over a raw archive, its lake and an S3 bucket (read
//! without `--shared-fs`; there hunts and exports are compared too, and a local lake needs `--shared-fs`).

use std::process::Command;

use crate::cluster_nodes::{
    Cluster, finding_set, query_args, rules_line, s, same_rows, sample, test_aws_env,
};
use crate::s3_server::{SECRET_KEY, ctscan_s3, moto};
use crate::util::*;

/// Statements whose answers must not depend on where the plan runs.
const STATEMENTS: &[&str] = &[
    "SELECT count(*) AS n, count(DISTINCT eventID) AS ids FROM events",
    "SELECT eventName, count(*) AS n FROM events GROUP BY eventName ORDER BY eventName",
    "SELECT requestParameters ->> 'bucketName' AS bucket, count(*) AS n FROM events WHERE eventSource = 's3.amazonaws.com' AND requestParameters ->> 'bucketName' IS NOT NULL GROUP BY 1 ORDER BY 1",
    "SELECT userIdentity.arn AS arn, count(*) AS n, min(eventTime) AS first, max(eventTime) AS last FROM events WHERE userIdentity.arn LIKE '%mallory%' GROUP BY 1 ORDER BY 1",
    "SELECT eventID, eventTime, userIdentity.arn AS arn, sourceIPAddress, errorCode FROM events WHERE errorCode IS NOT NULL ORDER BY eventID",
    "SELECT objectAccount, objectRegion, objectDay, count(*) AS n FROM events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
];

#[test]
fn queries_on_the_cluster_answer_exactly_like_local_ones_over_an_archive_and_its_lake() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let r = ctscan(&["export", s(&sample()), "--out", s(&lake)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cluster = Cluster::start();
    let scheduler_log = std::fs::read_to_string(&cluster.nodes[0].2).unwrap();
    assert!(
        scheduler_log.contains(&format!("ctscan: scheduler listening on {}", cluster.addr)),
        "{scheduler_log}"
    );
    let raw = sample();
    for source in [raw.as_path(), lake.as_path()] {
        for sql in STATEMENTS {
            let local = ctscan(&query_args(s(source), sql, &[]));
            assert_eq!(local.code, 0, "{sql}: {}", local.stderr);
            let remote = cluster.ctscan(&query_args(s(source), sql, &[]), true);
            same_rows(&local, &remote, &format!("{} {sql}", source.display()), &cluster);
        }
        // Window flags narrow the cluster's scan exactly as they narrow a local one.
        let window = ["--from", "2026-03-02", "--account", "111122223333,444455556666"];
        let local = ctscan(&query_args(s(source), STATEMENTS[1], &window));
        let remote = cluster.ctscan(&query_args(s(source), STATEMENTS[1], &window), true);
        same_rows(&local, &remote, &format!("{} window", source.display()), &cluster);
    }
    // The answers are the sample's, not just the same on both sides.
    let r = cluster.ctscan(&query_args(s(&raw), STATEMENTS[0], &[]), true);
    assert_eq!(
        jsonl(&r.stdout),
        vec![serde_json::json!({"n": 1290, "ids": 1290})]
    );
}

#[test]
fn queries_hunts_and_exports_on_the_cluster_read_s3_without_shared_fs_and_answer_like_local_ones() {
    let Some(moto) = moto() else { return };
    let bucket = "evidence";
    let uploaded = moto.upload(bucket, &sample(), "", &[]);
    assert!(uploaded > 800, "{uploaded}");
    let url = format!("s3://{bucket}/");
    let e = moto.endpoint.as_str();
    let cluster = Cluster::start();
    for sql in STATEMENTS {
        let local = ctscan_s3(e, &query_args(&url, sql, &[]));
        assert_eq!(local.code, 0, "{sql}: {}", local.stderr);
        let remote = cluster.ctscan_s3(e, &query_args(&url, sql, &[]));
        same_rows(&local, &remote, &format!("s3 {sql}"), &cluster);
        for out in [&remote.stdout, &remote.stderr] {
            assert!(!out.contains(SECRET_KEY), "the secret key was printed: {out}");
        }
    }
    // The answers are the sample's (those of the local folder).
    let r = cluster.ctscan_s3(e, &query_args(&url, STATEMENTS[1], &[]));
    assert_eq!(
        jsonl(&r.stdout),
        query(&sample(), STATEMENTS[1], &[]),
        "{}",
        r.stderr
    );
    // Exporting from S3 into a local lake writes a local path: refused without --shared-fs, and with it
    // the lake answers like a local export of the same bucket.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let refused = cluster.ctscan_s3(e, &["export", &url, "--out", s(&b)]);
    assert_eq!(refused.code, 2, "{}\n{}", refused.stderr, cluster.logs());
    assert!(refused.stderr.contains("--shared-fs"), "{}", refused.stderr);
    let local = ctscan_s3(e, &["export", &url, "--out", s(&a)]);
    assert_eq!(local.code, 0, "{}", local.stderr);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctscan"));
    test_aws_env(&mut cmd)
        .arg("--endpoint-url")
        .arg(e)
        .args(cluster.args(&["export", &url, "--out", s(&b)], true));
    let remote = cluster.finish(&mut cmd, &["export", "s3", "--shared-fs"]);
    assert_eq!(remote.code, 0, "{}\n{}", remote.stderr, cluster.logs());
    for sql in STATEMENTS {
        assert_eq!(query(&b, sql, &[]), query(&a, sql, &[]), "lakes: {sql}");
    }
    assert!(
        !cluster.all_logs().contains(SECRET_KEY),
        "a node logged the secret key"
    );
    // A hunt over the bucket finds what it finds locally.
    let hunt = ["hunt", "--stats", "--format", "jsonl", url.as_str()];
    let local = ctscan_s3(e, &hunt);
    let remote = cluster.ctscan_s3(e, &hunt);
    assert_eq!(
        (local.code, remote.code),
        (0, 0),
        "{}\n{}",
        local.stderr,
        remote.stderr
    );
    assert!(finding_set(&local.stdout).len() >= 60, "{}", local.stderr);
    assert_eq!(finding_set(&remote.stdout), finding_set(&local.stdout));
    assert_eq!(rules_line(&remote.stderr), rules_line(&local.stderr));
    // A bucket that cannot be listed is named as locally, not as a planning failure.
    let missing = "SELECT count(*) AS n FROM events";
    let local = ctscan_s3(e, &query_args("s3://nosuchbucket/", missing, &[]));
    let remote = cluster.ctscan_s3(e, &query_args("s3://nosuchbucket/", missing, &[]));
    assert_eq!(
        (local.code, remote.code),
        (2, 2),
        "{}\n{}",
        local.stderr,
        remote.stderr
    );
    assert!(
        local.stderr.contains("cannot list s3://nosuchbucket/"),
        "{}",
        local.stderr
    );
    assert!(
        remote.stderr.contains("cannot list s3://nosuchbucket/"),
        "{}",
        remote.stderr
    );
    assert!(!remote.stderr.contains("bug report"), "{}", remote.stderr);
}
