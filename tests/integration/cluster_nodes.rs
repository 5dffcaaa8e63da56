//! The cluster the `--cluster` tests run on: a Ballista scheduler and two executors (`ctscan cluster
//! scheduler` and `ctscan cluster executor` on 127.0.0.1, one cluster at a time, killed when dropped),
//! commands run in the background with a time limit, and the helpers that compare a cluster run's rows,
//! findings and summary with those of the same command run locally.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::s3_server::{ACCESS_KEY, SECRET_KEY, aws_test_env};
use crate::util::{Run, jsonl};

/// Clusters are heavy on this machine: tests that start one run one after the other.
static LOCK: Mutex<()> = Mutex::new(());

/// How long one client command on the cluster may take before the test calls it hung.
const CLIENT_LIMIT: Duration = Duration::from_secs(180);

pub fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample")
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Ports nothing listens on (all bound at once, so they differ, then released).
pub fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

/// The environment the S3 tests give ctscan ([`aws_test_env`] with the test credentials), without this
/// machine's log level or cluster version override. Cluster nodes get it too, so that they never pick up
/// real credentials.
pub fn test_aws_env(cmd: &mut Command) -> &mut Command {
    for var in ["RUST_LOG", "CTSCAN_CLUSTER_VERSION"] {
        cmd.env_remove(var);
    }
    aws_test_env(cmd, ACCESS_KEY, SECRET_KEY)
}

/// A command running in the background with its output going to files.
pub struct Running {
    child: Child,
    out: PathBuf,
    err: PathBuf,
    started: Instant,
    _dir: tempfile::TempDir,
}

impl Running {
    pub fn start(cmd: &mut Command) -> Running {
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

    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// What it printed and returned, or `Err` (after killing it) when it is still running after `limit`.
    pub fn finish(mut self, limit: Duration) -> Result<(Run, Duration), String> {
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
pub struct Cluster {
    /// (name, process, log file), the scheduler first.
    pub nodes: Vec<(String, Child, PathBuf)>,
    /// `127.0.0.1:PORT` of the scheduler.
    pub addr: String,
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
    pub fn start() -> Cluster {
        Cluster::start_with(&[])
    }

    /// Starts the cluster with `env` set on every node.
    pub fn start_with(env: &[(&str, &str)]) -> Cluster {
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
                    "--task-slots",
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
    pub fn logs(&self) -> String {
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
    pub fn all_logs(&self) -> String {
        self.nodes
            .iter()
            .map(|(_, _, log)| std::fs::read_to_string(log).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// SIGKILLs executor `n` (1 or 2).
    pub fn kill_executor(&mut self, n: usize) {
        let (name, child, _) = &mut self.nodes[n];
        assert_eq!(name, &format!("executor-{n}"));
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// `args` (a subcommand and its arguments) run on this cluster: `--cluster URL` (and `--shared-fs`)
    /// right after the subcommand.
    pub fn args(&self, args: &[&str], shared_fs: bool) -> Vec<String> {
        with_cluster(args, &self.url, shared_fs)
    }

    /// Runs `ctscan` with `args` on this cluster; panics with the logs when it hangs.
    pub fn ctscan(&self, args: &[&str], shared_fs: bool) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctscan"));
        cmd.env_remove("RUST_LOG").args(self.args(args, shared_fs));
        self.finish(&mut cmd, args)
    }

    /// Like [`Cluster::ctscan`] against an S3-compatible endpoint, with the S3 tests' credentials.
    pub fn ctscan_s3(&self, endpoint: &str, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ctscan"));
        test_aws_env(&mut cmd)
            .arg("--endpoint-url")
            .arg(endpoint)
            .args(self.args(args, false));
        self.finish(&mut cmd, args)
    }

    pub fn finish(&self, cmd: &mut Command, args: &[&str]) -> Run {
        match Running::start(cmd).finish(CLIENT_LIMIT) {
            Ok((run, _)) => run,
            Err(why) => panic!("{args:?} on the cluster: {why}\n{}", self.logs()),
        }
    }
}

pub fn with_cluster(args: &[&str], url: &str, shared_fs: bool) -> Vec<String> {
    let mut all = vec![args[0].to_string(), "--cluster".into(), url.to_string()];
    if shared_fs {
        all.push("--shared-fs".into());
    }
    all.extend(args[1..].iter().map(|a| a.to_string()));
    all
}

pub fn query_args<'a>(source: &'a str, sql: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["query", "--stats", "--format", "jsonl"];
    a.extend_from_slice(extra);
    a.push(source);
    a.push(sql);
    a
}

/// (objects read, objects, events) of the run summary's `N of M objects read (...), K events` line.
pub fn read_counts(stderr: &str) -> Option<(u64, u64, u64)> {
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
pub fn same_rows(local: &Run, remote: &Run, what: &str, cluster: &Cluster) {
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

/// Every finding as canonical JSON (keys sorted), sorted: hunts do not promise an order.
pub fn finding_set(stdout: &str) -> Vec<String> {
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
pub fn rules_line(stderr: &str) -> Option<&str> {
    stderr.lines().find(|l| l.contains("rules run"))
}
