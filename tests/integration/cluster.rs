//! `--cluster`: query, hunt and export on a real Ballista cluster (`ctscan cluster scheduler` and two
//! `ctscan cluster executor`s on 127.0.0.1) give exactly the answers of the same commands run locally, over
//! raw archives, lakes and S3; local paths need `--shared-fs`; an unreachable scheduler, a node of another
//! ctscan version and an executor killed mid-query end in clear errors, never in a wrong answer.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::s3_server::{ACCESS_KEY, SECRET_KEY, ctscan_s3, moto};
use crate::util::*;

/// Clusters are heavy on this machine: tests that start one run one after the other.
static LOCK: Mutex<()> = Mutex::new(());

/// How long one client command on the cluster may take before the test calls it hung.
const CLIENT_LIMIT: Duration = Duration::from_secs(180);

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Ports nothing listens on (all bound at once, so they differ, then released).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

/// The environment the S3 tests give ctscan: the test credentials and nothing from this machine's AWS
/// configuration. Cluster nodes get it too, so that they never pick up real credentials.
fn test_aws_env(cmd: &mut Command) -> &mut Command {
    for var in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "RUST_LOG",
        "CTSCAN_CLUSTER_VERSION",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/ctscan-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/ctscan-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
}

/// A command running in the background with its output going to files.
struct Running {
    child: Child,
    out: PathBuf,
    err: PathBuf,
    started: Instant,
    _dir: tempfile::TempDir,
}

impl Running {
    fn start(cmd: &mut Command) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
        let child = cmd
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .expect("the binary runs");
        Running {
            child,
            out,
            err,
            started: Instant::now(),
            _dir: dir,
        }
    }

    fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// What it printed and returned, or `Err` (after killing it) when it is still running after `limit`.
    fn finish(mut self, limit: Duration) -> Result<(Run, Duration), String> {
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if self.started.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(format!(
                    "still running after {limit:?}; stderr so far:\n{}",
                    std::fs::read_to_string(&self.err).unwrap_or_default()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let took = self.started.elapsed();
        Ok((
            Run {
                code: status.code().unwrap_or(-1),
                stdout: std::fs::read_to_string(&self.out).unwrap_or_default(),
                stderr: std::fs::read_to_string(&self.err).unwrap_or_default(),
            },
            took,
        ))
    }
}

/// A scheduler and two executors, killed when dropped.
struct Cluster {
    /// (name, process, log file), the scheduler first.
    nodes: Vec<(String, Child, PathBuf)>,
    /// `127.0.0.1:PORT` of the scheduler.
    addr: String,
    /// `df://127.0.0.1:PORT`, for `--cluster`.
    url: String,
    dir: tempfile::TempDir,
    _lock: MutexGuard<'static, ()>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, child, _) in &mut self.nodes {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Cluster {
    fn start() -> Cluster {
        Cluster::start_with(&[])
    }

    /// Starts the cluster with `env` set on every node.
    fn start_with(env: &[(&str, &str)]) -> Cluster {
        let lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let ports = free_ports(5);
        let addr = format!("127.0.0.1:{}", ports[0]);
        let mut cluster = Cluster {
            nodes: Vec::new(),
            url: format!("df://{addr}"),
            addr: addr.clone(),
            dir,
            _lock: lock,
        };
        cluster.spawn("scheduler", &["cluster", "scheduler", "--bind", &addr], env);
        cluster.wait_for(ports[0]);
        for (i, (flight, grpc)) in [(ports[1], ports[2]), (ports[3], ports[4])]
            .into_iter()
            .enumerate()
        {
            let work = cluster.dir.path().join(format!("work-{}", i + 1));
            std::fs::create_dir_all(&work).unwrap();
            cluster.spawn(
                &format!("executor-{}", i + 1),
                &[
                    "cluster",
                    "executor",
                    "--scheduler",
                    &addr,
                    "--bind",
                    &format!("127.0.0.1:{flight}"),
                    "--grpc-port",
                    &grpc.to_string(),
                    "--concurrency",
                    "2",
                    "--work-dir",
                    s(&work),
                ],
                env,
            );
        }
        for port in &ports[1..] {
            cluster.wait_for(*port);
        }
        // Time for both executors to register with the scheduler.
        std::thread::sleep(Duration::from_secs(2));
        cluster.check_alive();
        cluster
    }

    fn spawn(&mut self, name: &str, args: &[&str], env: &[(&str, &str)]) {
        let log = self.dir.path().join(format!("{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctscan"));
        test_aws_env(&mut cmd);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .args(args)
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {name}: {e}"));
        self.nodes.push((name.to_string(), child, log));
    }

    /// Waits until `port` accepts connections; panics with the logs after 60 s or when a node exits.
    fn wait_for(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let at: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        loop {
            if TcpStream::connect_timeout(&at, Duration::from_millis(500)).is_ok() {
                return;
            }
            self.check_alive();
            if Instant::now() > deadline {
                panic!("nothing listens on 127.0.0.1:{port} after 60 s\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn check_alive(&mut self) {
        let mut dead = Vec::new();
        for (name, child, _) in &mut self.nodes {
            if let Some(status) = child.try_wait().unwrap() {
                dead.push(format!("{name} exited with {status}"));
            }
        }
        if !dead.is_empty() {
            panic!("{}\n{}", dead.join("; "), self.logs());
        }
    }

    /// The last lines of every node's log, for failure messages.
    fn logs(&self) -> String {
        let mut out = String::new();
        for (name, _, log) in &self.nodes {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(30)..];
            out.push_str(&format!(
                "--- {name} log (last {} lines):\n{}\n",
                tail.len(),
                tail.join("\n")
            ));
        }
        out
    }

    /// Everything every node logged.
    fn all_logs(&self) -> String {
        self.nodes
            .iter()
            .map(|(_, _, log)| std::fs::read_to_string(log).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// SIGKILLs executor `n` (1 or 2).
    fn kill_executor(&mut self, n: usize) {
        let (name, child, _) = &mut self.nodes[n];
        assert_eq!(name, &format!("executor-{n}"));
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// `args` (a subcommand and its arguments) run on this cluster: `--cluster URL` (and `--shared-fs`)
    /// right after the subcommand.
    fn args(&self, args: &[&str], shared_fs: bool) -> Vec<String> {
        with_cluster(args, &self.url, shared_fs)
    }

    /// Runs `ctscan` with `args` on this cluster; panics with the logs when it hangs.
    fn ctscan(&self, args: &[&str], shared_fs: bool) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctscan"));
        cmd.env_remove("RUST_LOG").args(self.args(args, shared_fs));
        self.finish(&mut cmd, args)
    }

    /// Like [`Cluster::ctscan`] against an S3-compatible endpoint, with the S3 tests' credentials.
    fn ctscan_s3(&self, endpoint: &str, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctscan"));
        test_aws_env(&mut cmd)
            .arg("--endpoint-url")
            .arg(endpoint)
            .args(self.args(args, false));
        self.finish(&mut cmd, args)
    }

    fn finish(&self, cmd: &mut Command, args: &[&str]) -> Run {
        match Running::start(cmd).finish(CLIENT_LIMIT) {
            Ok((run, _)) => run,
            Err(why) => panic!("{args:?} on the cluster: {why}\n{}", self.logs()),
        }
    }
}

fn with_cluster(args: &[&str], url: &str, shared_fs: bool) -> Vec<String> {
    let mut all = vec![args[0].to_string(), "--cluster".into(), url.to_string()];
    if shared_fs {
        all.push("--shared-fs".into());
    }
    all.extend(args[1..].iter().map(|a| a.to_string()));
    all
}

/// Statements whose answers must not depend on where the plan runs.
const STATEMENTS: &[&str] = &[
    "SELECT count(*) AS n, count(DISTINCT eventID) AS ids FROM events",
    "SELECT eventName, count(*) AS n FROM events GROUP BY eventName ORDER BY eventName",
    "SELECT requestParameters ->> 'bucketName' AS bucket, count(*) AS n FROM events WHERE eventSource = 's3.amazonaws.com' AND requestParameters ->> 'bucketName' IS NOT NULL GROUP BY 1 ORDER BY 1",
    "SELECT userIdentity.arn AS arn, count(*) AS n, min(eventTime) AS first, max(eventTime) AS last FROM events WHERE userIdentity.arn LIKE '%mallory%' GROUP BY 1 ORDER BY 1",
    "SELECT eventID, eventTime, userIdentity.arn AS arn, sourceIPAddress, errorCode FROM events WHERE errorCode IS NOT NULL ORDER BY eventID",
    "SELECT objectAccount, objectRegion, objectDay, count(*) AS n FROM events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
];

fn query_args<'a>(source: &'a str, sql: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["query", "--stats", "--format", "jsonl"];
    a.extend_from_slice(extra);
    a.push(source);
    a.push(sql);
    a
}

/// (objects read, objects, events) of the run summary's `N of M objects read (...), K events` line.
fn read_counts(stderr: &str) -> Option<(u64, u64, u64)> {
    let line = stderr.lines().find(|l| l.contains(" objects read"))?;
    let rest = line.trim_start_matches("ctscan: ");
    let mut words = rest.split_whitespace();
    let read = words.next()?.parse().ok()?;
    let _of = words.next()?;
    let total = words.next()?.parse().ok()?;
    let after = line.split("), ").nth(1)?;
    let events = after.split_whitespace().next()?.parse().ok()?;
    Some((read, total, events))
}

/// Asserts a local run and a cluster run of the same command agree: exit code, rows and, when the local
/// run prints its summary, the summary's counts.
fn same_rows(local: &Run, remote: &Run, what: &str, cluster: &Cluster) {
    assert_eq!(
        remote.code,
        local.code,
        "{what}: exit codes differ\nlocal stderr: {}\ncluster stderr: {}\n{}",
        local.stderr,
        remote.stderr,
        cluster.logs()
    );
    let (l, r) = (jsonl(&local.stdout), jsonl(&remote.stdout));
    assert!(!l.is_empty(), "{what}: no local rows: {}", local.stderr);
    assert_eq!(
        r, l,
        "{what}: the cluster's rows differ\ncluster stderr: {}",
        remote.stderr
    );
    if let Some(counts) = read_counts(&local.stderr) {
        assert_eq!(
            read_counts(&remote.stderr),
            Some(counts),
            "{what}: summary counts (objects read, objects, events) differ\nlocal: {}\ncluster: {}",
            local.stderr,
            remote.stderr
        );
    }
}

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

/// Every finding as canonical JSON (keys sorted), sorted: hunts do not promise an order.
fn finding_set(stdout: &str) -> Vec<String> {
    fn canon(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let sorted: BTreeMap<&String, Value> = m.iter().map(|(k, v)| (k, canon(v))).collect();
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(canon).collect()),
            other => other.clone(),
        }
    }
    let mut v: Vec<String> = jsonl(stdout).iter().map(|f| canon(f).to_string()).collect();
    v.sort();
    v
}

/// The summary's `... rules run, ... findings (...)` line.
fn rules_line(stderr: &str) -> Option<&str> {
    stderr.lines().find(|l| l.contains("rules run"))
}

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
fn killing_an_executor_mid_query_never_gives_a_wrong_answer() {
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
    // Seven more trails delivering the same objects: 240,000 events, several seconds of work for the
    // cluster, at the cost of copying files.
    for copy in 1..=7 {
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
    let mut cluster = Cluster::start();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctscan"));
    cmd.env_remove("RUST_LOG")
        .args(cluster.args(&["query", "--format", "jsonl", s(&archive), sql], true));
    let mut q = Running::start(&mut cmd);
    std::thread::sleep(Duration::from_secs(1));
    let mid_query = q.running();
    cluster.kill_executor(1);
    let (r, took) = q
        .finish(Duration::from_secs(300))
        .unwrap_or_else(|why| panic!("the query hung after the kill: {why}\n{}", cluster.logs()));
    eprintln!(
        "killed an executor 1 s into the query; it ended with {} after {took:?}",
        r.code
    );
    assert!(
        mid_query,
        "the query finished before the executor was killed: the archive is too small"
    );
    if r.code == 0 {
        assert_eq!(
            jsonl(&r.stdout),
            want,
            "exit 0 with another answer\nstderr: {}",
            r.stderr
        );
    } else {
        assert!(!r.stderr.trim().is_empty(), "exit {} without a word", r.code);
        assert!(!r.stderr.contains("panicked at"), "{}", r.stderr);
    }
}
