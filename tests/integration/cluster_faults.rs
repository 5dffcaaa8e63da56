//! `--cluster` failures end in clear errors, never in a wrong answer: objects no executor can read are
//! named and counted like locally, local paths need `--shared-fs`, an unreachable scheduler and a cluster
//! of another ctscan version are refused quickly, and an executor killed mid-query, mid-hunt or
//! mid-export never gives a wrong answer (and a rerun completes the export exactly).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::cluster_nodes::{
    Cluster, Running, finding_set, free_ports, query_args, s, same_rows, sample, with_cluster,
};
use crate::util::*;

/// The sample with two objects no reader can decode: a gzip cut short and a delivery whose `Records`
/// is not an array.
fn damaged_sample(root: &Path) -> [String; 2] {
    let status = Command::new("cp")
        .arg("-r")
        .arg(sample())
        .arg(root)
        .status()
        .unwrap();
    assert!(status.success());
    let day = root.join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/03");
    std::fs::create_dir_all(&day).unwrap();
    let cut = day.join("111122223333_CloudTrail_us-east-1_20260303T0000Z_cut.json.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, br#"{"Records":[{"eventName":"Lost"}]}"#).unwrap();
    let bytes = gz.finish().unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let odd = day.join("111122223333_CloudTrail_us-east-1_20260303T0005Z_odd.json");
    std::fs::write(&odd, br#"{"Records": 5}"#).unwrap();
    [cut.display().to_string(), odd.display().to_string()]
}

#[test]
fn objects_no_executor_can_read_are_named_and_counted_by_the_client_like_local_ones() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("damaged");
    let bad = damaged_sample(&root);
    let cluster = Cluster::start();
    let sql = "SELECT count(*) AS n FROM events";
    let local = ctscan(&query_args(s(&root), sql, &[]));
    let remote = cluster.ctscan(&query_args(s(&root), sql, &[]), true);
    assert_eq!(local.code, 1, "{}", local.stderr);
    same_rows(&local, &remote, "damaged query", &cluster);
    for run in [&local, &remote] {
        for key in &bad {
            assert_eq!(
                lines_naming(&run.stderr, key),
                1,
                "{key} is named once\n{}",
                run.stderr
            );
        }
        let failed = run
            .stderr
            .lines()
            .find(|l| l.contains("failed 2 objects"))
            .unwrap_or_default();
        assert!(
            failed.contains("1 corrupt gzip") && failed.contains("1 Records not an array"),
            "{}",
            run.stderr
        );
    }
    // A hunt and an export on the cluster say the same and end the same way.
    let local = ctscan(&["hunt", "--stats", "--format", "jsonl", s(&root)]);
    let remote = cluster.ctscan(&["hunt", "--stats", "--format", "jsonl", s(&root)], true);
    assert_eq!(
        (local.code, remote.code),
        (1, 1),
        "{}\n{}",
        local.stderr,
        remote.stderr
    );
    assert_eq!(finding_set(&remote.stdout), finding_set(&local.stdout));
    for key in &bad {
        assert!(remote.stderr.contains(key.as_str()), "{key}\n{}", remote.stderr);
    }
    let lake = dir.path().join("lake");
    let remote = cluster.ctscan(&["export", s(&root), "--out", s(&lake)], true);
    assert_eq!(remote.code, 1, "{}\n{}", remote.stderr, cluster.logs());
    for key in &bad {
        assert!(remote.stderr.contains(key.as_str()), "{key}\n{}", remote.stderr);
    }
    assert_eq!(
        query(&lake, sql, &[]),
        vec![serde_json::json!({"n": 1290})],
        "the readable objects are all in the lake"
    );
}

fn lines_naming(text: &str, key: &str) -> usize {
    text.lines()
        .filter(|l| l.contains(key) && l.starts_with("ctscan: "))
        .count()
}

#[test]
fn local_paths_are_refused_on_a_cluster_without_shared_fs() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let r = ctscan(&["export", s(&sample()), "--out", s(&lake)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let raw = sample();
    let out = dir.path().join("new-lake");
    let cluster = Cluster::start();
    let cases: [Vec<&str>; 4] = [
        vec![
            "query",
            "--format",
            "jsonl",
            s(&raw),
            "SELECT count(*) AS n FROM events",
        ],
        vec![
            "query",
            "--format",
            "jsonl",
            s(&lake),
            "SELECT count(*) AS n FROM events",
        ],
        vec!["hunt", "--format", "jsonl", s(&raw)],
        vec!["export", s(&raw), "--out", s(&out)],
    ];
    for args in &cases {
        let r = cluster.ctscan(args, false);
        assert_eq!(r.code, 2, "{args:?}: {}\n{}", r.stderr, cluster.logs());
        assert!(r.stderr.contains("--shared-fs"), "{args:?}: {}", r.stderr);
        assert!(r.stdout.trim().is_empty(), "{args:?}: {}", r.stdout);
        assert!(!r.stderr.contains("panicked at"), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn an_unreachable_scheduler_fails_at_once_and_says_so() {
    let port = free_ports(1)[0];
    let url = format!("df://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let raw = sample();
    let out = dir.path().join("lake");
    let cases: [Vec<&str>; 3] = [
        vec![
            "query",
            "--format",
            "jsonl",
            s(&raw),
            "SELECT count(*) AS n FROM events",
        ],
        vec!["hunt", "--format", "jsonl", s(&raw)],
        vec!["export", s(&raw), "--out", s(&out)],
    ];
    for args in &cases {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctscan"));
        cmd.env_remove("RUST_LOG").args(with_cluster(args, &url, true));
        let (r, took) = Running::start(&mut cmd)
            .finish(Duration::from_secs(60))
            .unwrap_or_else(|why| panic!("{args:?}: {why}"));
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(took < Duration::from_secs(30), "{args:?} took {took:?}");
        assert!(
            r.stderr
                .contains(&format!("cannot reach the scheduler at 127.0.0.1:{port}")),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked at"), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn a_cluster_of_another_ctscan_version_refuses_the_plan_quickly_naming_both_versions() {
    let v = ctscan(&["--version"]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    let ours = v
        .stdout
        .split_whitespace()
        .nth(1)
        .expect("ctscan VERSION")
        .to_string();
    assert_ne!(ours, "0.0.0-other");
    let cluster = Cluster::start_with(&[("CTSCAN_CLUSTER_VERSION", "0.0.0-other")]);
    let raw = sample();
    let cases: [Vec<&str>; 2] = [
        vec![
            "query",
            "--format",
            "jsonl",
            s(&raw),
            "SELECT count(*) AS n FROM events",
        ],
        vec!["hunt", "--format", "jsonl", s(&raw)],
    ];
    for args in &cases {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctscan"));
        cmd.env_remove("RUST_LOG")
            .env_remove("CTSCAN_CLUSTER_VERSION")
            .args(cluster.args(args, true));
        let (r, took) = Running::start(&mut cmd)
            .finish(Duration::from_secs(120))
            .unwrap_or_else(|why| panic!("{args:?}: {why}\n{}", cluster.logs()));
        assert_eq!(r.code, 2, "{args:?}: {}\n{}", r.stderr, cluster.logs());
        assert!(took < Duration::from_secs(60), "{args:?} took {took:?}");
        assert!(r.stdout.trim().is_empty(), "{args:?}: {}", r.stdout);
        for needle in ["version", "0.0.0-other", ours.as_str()] {
            assert!(
                r.stderr.contains(needle),
                "{args:?}: no {needle:?} in {}",
                r.stderr
            );
        }
        assert!(!r.stderr.contains("panicked at"), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn killing_an_executor_mid_query_hunt_or_export_never_gives_a_wrong_answer() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let base = generate(
        &archive.join("base"),
        &[
            "--events",
            "30000",
            "--per-file",
            "100",
            "--days",
            "3",
            "--accounts",
            "3",
            "--regions",
            "2",
            "--seed",
            "11",
        ],
    );
    // Fifteen more trails delivering the same objects: 480,000 events, a few seconds of work for the
    // cluster (about twice the second the kill waits), at the cost of copying files.
    for copy in 1..=15 {
        for file in files_under(&base) {
            let to = archive
                .join(format!("copy-{copy}"))
                .join(file.strip_prefix(&base).unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&file, &to).unwrap();
        }
    }
    let sql = "SELECT eventName, count(*) AS n FROM events GROUP BY eventName ORDER BY eventName";
    let want = query(&archive, sql, &[]);
    assert!(want.len() > 10, "{want:?}");
    let r = killed_mid_run(&["query", "--format", "jsonl", s(&archive), sql]);
    if r.code == 0 {
        assert_eq!(
            jsonl(&r.stdout),
            want,
            "exit 0 with another answer\nstderr: {}",
            r.stderr
        );
    }

    let hunt = ["hunt", "--format", "jsonl", s(&archive)];
    let local = ctscan(&hunt);
    assert_eq!(local.code, 0, "{}", local.stderr);
    let r = killed_mid_run(&hunt);
    if r.code == 0 {
        assert_eq!(
            finding_set(&r.stdout),
            finding_set(&local.stdout),
            "exit 0 with other findings\nstderr: {}",
            r.stderr
        );
    }

    let lake = dir.path().join("lake");
    let r = killed_mid_run(&["export", s(&archive), "--out", s(&lake)]);
    let events = "SELECT count(*) AS n FROM events";
    if r.code == 0 {
        assert_eq!(
            query(&lake, events, &[]),
            query(&archive, events, &[]),
            "{}",
            r.stderr
        );
    }
    // Whatever the first run's fate, a rerun completes the lake exactly.
    let cluster = Cluster::start();
    let rerun = cluster.ctscan(&["export", s(&archive), "--out", s(&lake)], true);
    assert_eq!(rerun.code, 0, "{}\n{}", rerun.stderr, cluster.logs());
    assert_eq!(query(&lake, events, &[]), query(&archive, events, &[]));
}

/// Runs `args` on a fresh cluster, SIGKILLs one executor a second in, and returns the run: an exact
/// answer (which the caller checks) or a failure that says why.
fn killed_mid_run(args: &[&str]) -> Run {
    let mut cluster = Cluster::start();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctscan"));
    cmd.env_remove("RUST_LOG").args(cluster.args(args, true));
    let mut run = Running::start(&mut cmd);
    std::thread::sleep(Duration::from_secs(1));
    let mid_run = run.running();
    cluster.kill_executor(1);
    let (r, took) = run
        .finish(Duration::from_secs(300))
        .unwrap_or_else(|why| panic!("{args:?} hung after the kill: {why}\n{}", cluster.logs()));
    eprintln!(
        "{}: killed an executor 1 s in; it ended with {} after {took:?}",
        args[0], r.code
    );
    assert!(
        mid_run,
        "{} finished before the executor was killed: the archive is too small",
        args[0]
    );
    if r.code != 0 {
        assert!(!r.stderr.trim().is_empty(), "exit {} without a word", r.code);
        assert!(!r.stderr.contains("panicked at"), "{}", r.stderr);
    }
    r
}
