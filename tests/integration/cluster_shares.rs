//! Each task of a cluster run reads only its own share of the objects. With many small tasks, over an
//! archive whose every event was delivered twice (by two trails, so the two copies are read by different
//! tasks), hunts (correlations whose windows span tasks among them), exports and folded queries give
//! exactly the local answers, each object is read once, and each task receives a plan holding its own
//! share only.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cluster_nodes::{Cluster, finding_set, read_counts, rules_line, s, sample};
use crate::util::*;

/// Tasks of 16 KiB of objects: the sample is read by dozens of tasks.
const SMALL_TASKS: (&str, &str) = ("CTSCAN_CLUSTER_TASK_BYTES", "16384");

fn copy_tree(from: &Path, to: &Path) {
    for file in files_under(from) {
        let dest = to.join(file.strip_prefix(from).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&file, &dest).unwrap();
    }
}

/// The sample as two trails delivered it: every event in two objects under two prefixes.
fn doubled_sample(root: &Path) -> PathBuf {
    copy_tree(&sample(), &root.join("trail-a"));
    copy_tree(&sample(), &root.join("trail-b"));
    root.to_path_buf()
}

fn on_cluster(cluster: &Cluster, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctscan"));
    cmd.env(SMALL_TASKS.0, SMALL_TASKS.1)
        .args(cluster.args(args, true));
    cluster.finish(&mut cmd, args)
}

/// `(tasks, plan bytes per task)` of the `--stats` line about the cluster's traffic.
fn traffic(stderr: &str) -> (u64, u64) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("ctscan: cluster: "))
        .unwrap_or_else(|| panic!("no cluster line in:\n{stderr}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    (words[2].parse().unwrap(), words[5].parse().unwrap())
}

fn duplicates_line(stderr: &str) -> Option<&str> {
    stderr.lines().find(|l| l.contains("duplicate record"))
}

#[test]
fn many_small_tasks_over_duplicate_deliveries_answer_exactly_like_a_local_run() {
    let dir = tempfile::tempdir().unwrap();
    let archive = doubled_sample(&dir.path().join("archive"));
    let cluster = Cluster::start();

    let hunt = [
        "hunt",
        "--stats",
        "--format",
        "jsonl",
        "--min-level",
        "informational",
        s(&archive),
    ];
    let local = ctscan(&hunt);
    assert_eq!(local.code, 0, "{}", local.stderr);
    let remote = on_cluster(&cluster, &hunt);
    assert_eq!(remote.code, 0, "{}\n{}", remote.stderr, cluster.logs());
    let want = finding_set(&local.stdout);
    assert!(want.len() >= 60, "only {} findings", want.len());
    let correlated = jsonl(&local.stdout)
        .iter()
        .filter(|f| f.get("correlation").is_some_and(|c| !c.is_null()))
        .count();
    assert!(correlated > 0, "no correlation fired locally");
    assert_eq!(finding_set(&remote.stdout), want, "{}", remote.stderr);
    assert_eq!(rules_line(&remote.stderr), rules_line(&local.stderr));
    let folded = duplicates_line(&local.stderr).unwrap();
    assert!(!folded.starts_with("ctscan: 0 "), "{folded}");
    assert_eq!(duplicates_line(&remote.stderr), Some(folded));
    assert_eq!(read_counts(&remote.stderr), read_counts(&local.stderr));
    let objects = read_counts(&local.stderr).unwrap().1;
    let (tasks, plan) = traffic(&remote.stderr);
    assert!(tasks >= 20, "{tasks} tasks for {objects} objects");
    assert!(plan > 0);

    let sql = "SELECT count(*) AS n, count(DISTINCT eventID) AS ids FROM events";
    let folded_query = [
        "query",
        "--dedup",
        "--stats",
        "--format",
        "jsonl",
        s(&archive),
        sql,
    ];
    let local = ctscan(&folded_query);
    let remote = on_cluster(&cluster, &folded_query);
    assert_eq!(remote.code, local.code, "{}\n{}", remote.stderr, cluster.logs());
    assert_eq!(jsonl(&remote.stdout), jsonl(&local.stdout));
    assert_eq!(read_counts(&remote.stderr), read_counts(&local.stderr));

    let (local_lake, remote_lake) = (dir.path().join("local-lake"), dir.path().join("remote-lake"));
    let local = ctscan(&["export", "--stats", s(&archive), "--out", s(&local_lake)]);
    assert_eq!(local.code, 0, "{}", local.stderr);
    let remote = on_cluster(
        &cluster,
        &["export", "--stats", s(&archive), "--out", s(&remote_lake)],
    );
    assert_eq!(remote.code, 0, "{}\n{}", remote.stderr, cluster.logs());
    assert_eq!(read_counts(&remote.stderr), read_counts(&local.stderr));
    for sql in [
        "SELECT count(*) AS n FROM events",
        "SELECT objectKey, count(*) AS n FROM events GROUP BY objectKey ORDER BY objectKey",
    ] {
        assert_eq!(
            query(&remote_lake, sql, &[]),
            query(&local_lake, sql, &[]),
            "{sql}"
        );
    }
}

#[test]
fn trace_summary_and_the_sessions_table_on_a_cluster_answer_exactly_like_locally() {
    let dir = tempfile::tempdir().unwrap();
    let archive = doubled_sample(&dir.path().join("archive"));
    let cluster = Cluster::start();
    let runs: Vec<Vec<&str>> = vec![
        vec![
            "trace",
            "--stats",
            "--format",
            "jsonl",
            s(&archive),
            "ASIACHAINXACCTDEPLOY",
        ],
        vec!["summary", "--stats", "--format", "jsonl", s(&archive)],
        vec!["summary", "--format", "jsonl", "--by", "key", s(&archive)],
        vec![
            "query",
            "--stats",
            "--format",
            "jsonl",
            s(&archive),
            "SELECT s.originType, s.originArn, count(*) AS calls FROM events e JOIN sessions s \
             ON e.userIdentity.accessKeyId = s.accessKeyId GROUP BY 1, 2 ORDER BY 1, 2",
        ],
    ];
    for args in runs {
        let local = ctscan(&args);
        assert_eq!(local.code, 0, "{args:?}: {}", local.stderr);
        let rows = jsonl(&local.stdout);
        assert!(rows.len() >= 3, "{args:?}: {} rows", rows.len());
        let remote = on_cluster(&cluster, &args);
        assert_eq!(remote.code, 0, "{args:?}: {}\n{}", remote.stderr, cluster.logs());
        let mut got = jsonl(&remote.stdout);
        let mut want = rows;
        if args[0] == "summary" {
            // Rows of equal counts may come in either order.
            let key = |v: &serde_json::Value| v.to_string();
            got.sort_by_key(key);
            want.sort_by_key(key);
        }
        assert_eq!(got, want, "{args:?}\n{}", remote.stderr);
        if args.contains(&"--stats") {
            assert_eq!(
                read_counts(&remote.stderr),
                read_counts(&local.stderr),
                "{args:?}"
            );
        }
        if args[0] != "query" {
            // (A query on a cluster counts copies only with --dedup.)
            assert_eq!(
                duplicates_line(&remote.stderr),
                duplicates_line(&local.stderr),
                "{args:?}"
            );
        }
    }
}
