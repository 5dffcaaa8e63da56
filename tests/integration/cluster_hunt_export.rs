//! `--cluster` hunts and exports: built-in and user rules (a correlation among them) find exactly the local
//! findings over an archive and its lake, and an export on the cluster writes the lake a local export
//! writes, in the same words, and a rerun adds nothing.

use std::path::{Path, PathBuf};

use crate::cluster_nodes::{Cluster, finding_set, read_counts, rules_line, s, sample};
use crate::util::*;

/// A SigmaHQ-style rule and an event-count correlation (with its base rule), both firing on the sample.
fn user_rules(dir: &Path) -> PathBuf {
    write(
        &dir.join("s3_bucket_configuration_changed.yml"),
        br#"title: S3 Bucket Configuration Changed Outside Automation
id: 0d7c3a52-8f4e-4b61-9a2d-5e1f7c9b3a10
status: experimental
description: A bucket's policy, ACL or public access block was changed by someone other than an assumed role.
references:
    - https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations.html
author: ctscan cluster tests
date: 2026-03-01
tags:
    - attack.defense-evasion
    - attack.t1562
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: s3.amazonaws.com
        eventName|startswith:
            - PutBucket
            - DeleteBucket
    filter_automation:
        userIdentity.type: AssumedRole
    condition: selection and not filter_automation
falsepositives:
    - Administrators changing buckets by hand
level: medium
"#,
    );
    write(
        &dir.join("correlations/denied_burst.yml"),
        br#"title: Denied call
id: 6a2f8e14-3c5b-4d7a-9e01-2b4c6d8f0a13
name: cluster_test_denied_call
status: test
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        errorCode:
            - AccessDenied
            - Client.UnauthorizedOperation
    condition: selection
level: low
---
title: Many Denied Calls From One Source Address
id: 6a2f8e14-3c5b-4d7a-9e01-2b4c6d8f0a14
status: test
author: ctscan cluster tests
correlation:
    type: event_count
    rules:
        - cluster_test_denied_call
    group-by:
        - sourceIPAddress
    timespan: 1h
    condition:
        gte: 5
level: high
"#,
    );
    dir.to_path_buf()
}

#[test]
fn hunts_on_the_cluster_find_exactly_the_local_findings_with_built_in_and_user_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = user_rules(&dir.path().join("rules"));
    let raw = sample();
    // The compiled rules travel to the executors, over the raw archive and over its lake alike.
    let lake = dir.path().join("lake");
    let r = ctscan(&["export", s(&raw), "--out", s(&lake)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cluster = Cluster::start();
    let runs: Vec<Vec<&str>> = [raw.as_path(), lake.as_path()]
        .into_iter()
        .flat_map(|source| {
            [
                vec!["hunt", "--stats", "--format", "jsonl", s(source)],
                vec![
                    "hunt",
                    "--stats",
                    "--format",
                    "jsonl",
                    "--min-level",
                    "informational",
                    "--rules",
                    s(&rules),
                    s(source),
                ],
            ]
        })
        .collect();
    for (i, args) in runs.iter().enumerate() {
        let local = ctscan(args);
        assert_eq!(local.code, 0, "{args:?}: {}", local.stderr);
        let want = finding_set(&local.stdout);
        assert!(want.len() >= 60, "{args:?}: only {} findings", want.len());
        if i % 2 == 1 {
            let titles: Vec<String> = jsonl(&local.stdout)
                .iter()
                .map(|f| f["ruleTitle"].as_str().unwrap_or_default().to_string())
                .collect();
            for title in [
                "S3 Bucket Configuration Changed Outside Automation",
                "Many Denied Calls From One Source Address",
            ] {
                assert!(titles.iter().any(|t| t == title), "{title} did not fire locally");
            }
        }
        let remote = cluster.ctscan(args, true);
        assert_eq!(
            remote.code,
            local.code,
            "{args:?}: exit codes differ\ncluster stderr: {}\n{}",
            remote.stderr,
            cluster.logs()
        );
        let got = finding_set(&remote.stdout);
        let missing: Vec<&String> = want.iter().filter(|f| !got.contains(f)).collect();
        let extra: Vec<&String> = got.iter().filter(|f| !want.contains(f)).collect();
        assert!(
            got == want,
            "{args:?}: {} local findings, {} on the cluster\nmissing on the cluster (first 3): {:#?}\nonly on the cluster (first 3): {:#?}\ncluster stderr: {}",
            want.len(),
            got.len(),
            &missing[..missing.len().min(3)],
            &extra[..extra.len().min(3)],
            remote.stderr
        );
        assert_eq!(
            rules_line(&remote.stderr),
            rules_line(&local.stderr),
            "{args:?}: summaries differ\nlocal: {}\ncluster: {}",
            local.stderr,
            remote.stderr
        );
        assert_eq!(
            read_counts(&remote.stderr),
            read_counts(&local.stderr),
            "{args:?}"
        );
    }
}

const LAKE_CHECKS: &[&str] = &[
    "SELECT count(*) AS n FROM events",
    "SELECT eventName, count(*) AS n FROM events GROUP BY eventName ORDER BY eventName",
    "SELECT count(DISTINCT eventID) AS n FROM events",
];

/// (key, sha256, events) of every object of a lake's inventory, sorted.
fn inventory(lake: &Path) -> Vec<(String, String, i64)> {
    let r = ctscan(&["ls", "--objects", "--format", "jsonl", s(lake)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut rows: Vec<(String, String, i64)> = jsonl(&r.stdout)
        .iter()
        .map(|o| {
            (
                o["key"].as_str().unwrap_or_default().to_string(),
                o["sha256"].as_str().unwrap_or_default().to_string(),
                o["events"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn an_export_on_the_cluster_writes_a_lake_that_answers_like_a_local_export_and_reruns_add_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let raw = sample();
    let local = ctscan(&["export", s(&raw), "--out", s(&a)]);
    assert_eq!(local.code, 0, "{}", local.stderr);
    let cluster = Cluster::start();
    let remote = cluster.ctscan(&["export", s(&raw), "--out", s(&b)], true);
    assert_eq!(remote.code, local.code, "{}\n{}", remote.stderr, cluster.logs());
    for sql in LAKE_CHECKS {
        assert_eq!(query(&b, sql, &[]), query(&a, sql, &[]), "{sql}");
    }
    assert_eq!(count(&b, LAKE_CHECKS[0], &[]), 1290);
    let objects = inventory(&a);
    assert_eq!(objects.len(), 32);
    assert_eq!(inventory(&b), objects);
    // A second cluster export finds everything already there.
    let again = cluster.ctscan(&["export", s(&raw), "--out", s(&b)], true);
    assert_eq!(again.code, 0, "{}\n{}", again.stderr, cluster.logs());
    let local_again = ctscan(&["export", s(&raw), "--out", s(&a)]);
    assert_eq!(count(&b, LAKE_CHECKS[0], &[]), 1290);
    assert_eq!(inventory(&b), objects);
    for sql in LAKE_CHECKS {
        assert_eq!(query(&b, sql, &[]), query(&a, sql, &[]), "after the rerun: {sql}");
    }
    let leftovers: Vec<PathBuf> = files_under(&b)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Both exports report what they did in the same words as the local ones.
    assert_eq!(
        remote.stdout.replace(s(&b), "LAKE"),
        local.stdout.replace(s(&a), "LAKE"),
        "{}",
        remote.stderr
    );
    assert_eq!(
        again.stdout.replace(s(&b), "LAKE"),
        local_again.stdout.replace(s(&a), "LAKE"),
        "{}",
        again.stderr
    );
}
