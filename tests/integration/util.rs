//! Helpers shared by the end-to-end tests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of a binary printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `ctscan` with arguments.
pub fn ctscan<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    run(Command::new(env!("CARGO_BIN_EXE_ctscan")).args(args))
}

/// Runs a prepared command and captures its output.
pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.env_remove("RUST_LOG").output().expect("the binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Generates an archive with `ctscan-gen` into `dir` and returns `dir`.
pub fn generate(dir: &Path, args: &[&str]) -> PathBuf {
    let r = run_generator(dir, args);
    assert_eq!(r.code, 0, "ctscan-gen failed: {}", r.stderr);
    dir.to_path_buf()
}

/// Runs `ctscan-gen --out <dir>` with more arguments, in this process (Cargo tells the tests where the
/// `ctscan` binary is, not where another package's is); `stderr` is what the binary would print there.
pub fn run_generator(dir: &Path, args: &[&str]) -> Run {
    let mut argv: Vec<std::ffi::OsString> = vec!["ctscan-gen".into(), "--out".into(), dir.into()];
    argv.extend(args.iter().map(Into::into));
    let outcome = ctscan_gen::cli::run_from(argv);
    Run {
        code: i32::from(outcome.code),
        stdout: String::new(),
        stderr: outcome.message,
    }
}

/// Parses JSON-lines output.
pub fn jsonl(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// Runs a query over a source and returns its rows as JSON objects (asserting a clean exit).
pub fn query(source: &Path, sql: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args: Vec<String> = vec!["query".into(), "--format".into(), "jsonl".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(source.display().to_string());
    args.push(sql.into());
    let r = ctscan(&args);
    assert_eq!(r.code, 0, "query {sql:?} failed: {}", r.stderr);
    jsonl(&r.stdout)
}

/// The single integer a `SELECT count(*) AS n ...` query returns.
pub fn count(source: &Path, sql: &str, extra: &[&str]) -> i64 {
    let rows = query(source, sql, extra);
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows[0]["n"]
        .as_i64()
        .unwrap_or_else(|| panic!("{sql}: no n in {:?}", rows[0]))
}

/// Gzips bytes.
pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Writes a file, creating its folders.
pub fn write(path: &Path, data: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

/// A log key path inside `root` for one account/region/day.
pub fn log_path(root: &Path, account: &str, region: &str, day: &str, name: &str) -> PathBuf {
    let (y, rest) = day.split_at(4);
    let (m, d) = rest[1..].split_at(2);
    root.join(format!(
        "AWSLogs/{account}/CloudTrail/{region}/{y}/{m}/{}/{name}",
        &d[1..]
    ))
}

/// One small, valid CloudTrail event.
pub fn event(name: &str, time: &str) -> serde_json::Value {
    serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": "arn:aws:iam::111122223333:user/alice",
                          "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLE", "userName": "alice"},
        "eventTime": time,
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": {"bucketName": "evidence-bucket", "Host": "evidence-bucket.s3.amazonaws.com"},
        "responseElements": null,
        "requestID": "REQ1",
        "eventID": format!("{name}-{time}"),
        "readOnly": true,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management"
    })
}

/// A gzipped CloudTrail delivery holding `records`.
pub fn delivery(records: &[serde_json::Value]) -> Vec<u8> {
    gz(serde_json::json!({ "Records": records }).to_string().as_bytes())
}

/// Where the shared real-data corpus is, or `None` (with a note) when this checkout has none beside it.
/// Under `CI=true` its absence fails the test.
pub fn realdata() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
    if dir.join("FACTS.json").is_file() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{} is missing, and CI=true requires it", dir.display());
    }
    eprintln!("skipped: {} is not present beside this checkout", dir.display());
    None
}

/// Writes `files` deliveries of `per_file` events each, spread over two accounts, two regions and four
/// days (events near midnight land in the next day's folder, as CloudTrail delivers them).
pub fn synthetic_archive(root: &Path, files: usize, per_file: usize) -> usize {
    let accounts = ["111122223333", "444455556666"];
    let regions = ["us-east-1", "eu-west-1"];
    for f in 0..files {
        let account = accounts[f % 2];
        let region = regions[(f / 2) % 2];
        let day = 3 + (f / 4) % 4;
        let events: Vec<serde_json::Value> = (0..per_file)
            .map(|i| {
                let minute = (f * 7 + i) % 60;
                let hour = (f * 3 + i / 60) % 24;
                let mut e = event(
                    &format!("Call{}", (f + i) % 13),
                    &format!("2026-03-0{day}T{hour:02}:{minute:02}:00Z"),
                );
                e["eventID"] = format!("{f}-{i}").into();
                e["recipientAccountId"] = account.into();
                e["awsRegion"] = region.into();
                e
            })
            .collect();
        let folder_day = format!("2026-03-0{day}");
        write(
            &log_path(
                root,
                account,
                region,
                &folder_day,
                &format!("{account}_CloudTrail_{region}_{f:05}.json.gz"),
            ),
            &delivery(&events),
        );
    }
    files * per_file
}

/// The options `testdata/sample` was generated with (see `generator.rs`), for the planted chains' truth.
pub fn sample_options() -> ctscan_gen::GenOptions {
    use ctscan_gen::{GenOptions, LayoutKind};
    GenOptions {
        events: 1200,
        events_per_file: 100,
        days: 3,
        accounts: 3,
        regions: 2,
        layout: LayoutKind::Mixed,
        siblings: true,
        digests: true,
        attacks: true,
        seed: 2026,
        ..GenOptions::default()
    }
}

/// Every file below a folder, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

/// The test Python (`CTSCAN_PYTHON`, set up by `.ci/run`) when it can import `module`; `None` (with a note)
/// outside CI, a panic under CI, where every oracle must run.
pub fn python_with(module: &str) -> Option<std::ffi::OsString> {
    let found = std::env::var_os("CTSCAN_PYTHON").filter(|p| {
        Command::new(p)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set CTSCAN_PYTHON to a Python with {module} (.ci/run does)"
        );
        eprintln!("skipped: set CTSCAN_PYTHON to a Python with {module} to run this test");
    }
    found
}
