//! Bad input never stops a run and is never silent: each bad object is named with its reason, counted, and
//! the rest of the archive is still read.

use std::path::Path;

use crate::util::*;

const DAY: &str = "2026-03-03";
const ACCT: &str = "111122223333";

fn ev(name: &str) -> serde_json::Value {
    event(name, "2026-03-03T10:00:00Z")
}

/// Writes one object per kind of damage next to a good one; returns the number of events that survive.
fn damaged_archive(root: &Path) -> i64 {
    let p = |name: &str| log_path(root, ACCT, "us-east-1", DAY, name);
    write(&p("good.json.gz"), &delivery(&[ev("A"), ev("B"), ev("C")]));
    let full = delivery(&vec![ev("X"); 50]);
    let mut corrupt = full.clone();
    for b in corrupt.iter_mut().skip(20).take(40) {
        *b ^= 0x55;
    }
    write(&p("corrupt.json.gz"), &corrupt);
    write(&p("truncated.json.gz"), &full[..full.len() / 2]);
    write(&p("empty.json.gz"), b"");
    write(&p("text.json"), b"hello, this is not JSON at all\n");
    write(&p("norecords.json.gz"), &gz(br#"{"foo":1,"bar":[1,2]}"#));
    write(
        &p("nonobjects.json.gz"),
        &gz(serde_json::json!({"Records": [1, "x", ev("D")]})
            .to_string()
            .as_bytes()),
    );
    let mut no_time = ev("E");
    no_time.as_object_mut().unwrap().remove("eventTime");
    write(&p("notime.json.gz"), &delivery(&[no_time, ev("F")]));
    let mut bad_time = ev("G");
    bad_time["eventTime"] = "yesterday at noon".into();
    write(&p("badtime.json.gz"), &delivery(&[bad_time]));
    let deep = format!(
        r#"{{"Records":[{{"eventName":"H","x":{}{}}}]}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    write(&p("deep.json.gz"), &gz(deep.as_bytes()));
    let mut bad_utf8 =
        br#"{"Records":[{"eventName":"I","eventTime":"2026-03-03T10:00:00Z","userAgent":""#.to_vec();
    bad_utf8.extend([0xC3, 0x28, 0xFF]);
    bad_utf8.extend(br#""}]}"#);
    write(&p("badutf8.json.gz"), &gz(&bad_utf8));
    let mut bomb = serde_json::json!({"Records": [ev("J")]}).to_string().into_bytes();
    bomb.extend(vec![b' '; 3 << 20]);
    write(&p("bomb.json.gz"), &gz(&bomb));
    // A folder whose symlink points back at an ancestor.
    let loop_dir = root.join(format!("AWSLogs/{ACCT}/CloudTrail/us-east-1/2026/03/03/loop"));
    std::fs::create_dir_all(&loop_dir).unwrap();
    std::os::unix::fs::symlink(root.join("AWSLogs"), loop_dir.join("back")).unwrap();
    // good 3 + nonobjects 1 + notime 2 (one kept with a NULL time) + badtime 1 (kept, NULL time)
    7
}

const EXPECTED_REASONS: &[(&str, &str)] = &[
    ("corrupt.json.gz", "corrupt gzip"),
    ("truncated.json.gz", "corrupt gzip"),
    ("empty.json.gz", "empty file"),
    ("text.json", "not JSON"),
    ("norecords.json.gz", "no \"Records\" array"),
    ("nonobjects.json.gz", "is not a JSON object"),
    ("notime.json.gz", "no eventTime"),
    ("badtime.json.gz", "unparseable eventTime"),
    ("deep.json.gz", "invalid JSON"),
    ("badutf8.json.gz", "invalid JSON"),
    ("bomb.json.gz", "exceeds the limit"),
    ("loop", "symlink loop"),
];

#[test]
fn every_bad_object_is_named_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let want = damaged_archive(dir.path());
    let r = ctscan(&[
        "query",
        "--stats",
        "--format",
        "jsonl",
        "--max-object-size",
        "1M",
        dir.path().to_str().unwrap(),
        "SELECT count(*) AS n, count(eventTime) AS timed FROM events",
    ]);
    assert_eq!(r.code, 1, "partial read exits 1: {}", r.stderr);
    let rows = jsonl(&r.stdout);
    assert_eq!(rows[0]["n"], want, "{}", r.stderr);
    assert_eq!(
        rows[0]["timed"],
        want - 2,
        "records without a usable time are kept with NULL"
    );
    for (file, reason) in EXPECTED_REASONS {
        let line = r
            .stderr
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("{file} not named:\n{}", r.stderr));
        assert!(line.starts_with("ctscan: "), "{line}");
        assert!(line.contains(reason), "{file}: expected {reason:?} in {line:?}");
    }
    // The summary counts the failures by reason.
    assert!(r.stderr.contains("failed 9 objects"), "{}", r.stderr);
    assert!(r.stderr.contains("2 corrupt gzip"), "{}", r.stderr);
    assert!(
        r.stderr.contains("defective records in 3 objects"),
        "{}",
        r.stderr
    );
}

#[test]
fn unparseable_times_keep_their_text_in_extras() {
    let dir = tempfile::tempdir().unwrap();
    damaged_archive(dir.path());
    let r = ctscan(&[
        "query",
        "--format",
        "jsonl",
        "--max-object-size",
        "1M",
        dir.path().to_str().unwrap(),
        "SELECT eventTime, extras FROM events WHERE eventName = 'G'",
    ]);
    assert_eq!(r.code, 1);
    let rows = jsonl(&r.stdout);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].get("eventTime").is_none_or(|t| t.is_null()));
    let extras: serde_json::Value = serde_json::from_str(rows[0]["extras"].as_str().unwrap()).unwrap();
    assert_eq!(extras["eventTime"], "yesterday at noon");
}

#[test]
fn a_window_drops_records_it_cannot_place_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    damaged_archive(dir.path());
    let r = ctscan(&[
        "query",
        "--format",
        "jsonl",
        "--from",
        "2026-03-01",
        "--max-object-size",
        "1M",
        dir.path().to_str().unwrap(),
        "SELECT count(*) AS n FROM events",
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(jsonl(&r.stdout)[0]["n"], 5);
    assert!(
        r.stderr.contains("cannot be placed in the time window"),
        "{}",
        r.stderr
    );
}

#[test]
fn strict_stops_at_the_first_bad_object() {
    let dir = tempfile::tempdir().unwrap();
    damaged_archive(dir.path());
    let r = ctscan(&[
        "query",
        "--strict",
        "--max-object-size",
        "1M",
        dir.path().to_str().unwrap(),
        "SELECT count(*) FROM events",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("stopped by --strict"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[test]
fn an_unreadable_file_is_named_and_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &log_path(root, ACCT, "us-east-1", DAY, "good.json.gz"),
        &delivery(&[ev("A"), ev("B")]),
    );
    let locked = log_path(root, ACCT, "us-east-1", DAY, "locked.json.gz");
    write(&locked, &delivery(&[ev("C")]));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let sql = "SELECT count(*) AS n FROM events";
    let is_root = run(std::process::Command::new("id").arg("-u")).stdout.trim() == "0";
    let r = if is_root {
        // Root reads any file, so run ctscan as an unprivileged user on a world-readable copy of the tree.
        let bin = root.join("bin/ctscan");
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::copy(env!("CARGO_BIN_EXE_ctscan"), &bin).unwrap();
        for entry in walkdir::WalkDir::new(root) {
            let e = entry.unwrap();
            // Folders and the copied binary need the execute bit; data files only need reading.
            let mode = if e.path() == locked { 0o000 } else { 0o755 };
            std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        }
        run(std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin)
            .args(["query", "--format", "jsonl"])
            .arg(root.join("AWSLogs"))
            .arg(sql))
    } else {
        ctscan(&["query", "--format", "jsonl", root.to_str().unwrap(), sql])
    };
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(jsonl(&r.stdout)[0]["n"], 2);
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("locked.json.gz"))
        .expect("the locked file is named");
    assert!(line.contains("Permission denied"), "{line}");
}

#[test]
fn integers_beyond_64_bits_keep_their_object_and_digits() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut big = ev("Big");
    big["requestParameters"] = serde_json::json!({"maxItems": "@BIG@", "min": "@NEG@", "wide": "@WIDE@"});
    big["eventVersion"] = "@WIDE@".into();
    let text = serde_json::json!({"Records": [big, ev("A"), ev("B")]})
        .to_string()
        .replace(r#""@BIG@""#, "18446744073709551616")
        .replace(r#""@NEG@""#, "-9223372036854775809")
        .replace(r#""@WIDE@""#, "1234567890123456789012345678901234567890");
    write(
        &log_path(root, ACCT, "us-east-1", DAY, "big.json.gz"),
        &gz(text.as_bytes()),
    );
    assert_eq!(count(root, "SELECT count(*) AS n FROM events", &[]), 3);
    let rows = query(
        root,
        "SELECT requestParameters AS p, requestParameters ->> 'maxItems' AS m, \
         requestParameters ->> 'min' AS lo, requestParameters ->> 'wide' AS w, eventVersion AS v \
         FROM events WHERE eventName = 'Big'",
        &[],
    );
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["m"], "18446744073709551616");
    assert_eq!(r["lo"], "-9223372036854775809");
    assert_eq!(r["w"], "1234567890123456789012345678901234567890");
    assert_eq!(r["v"], "1234567890123456789012345678901234567890");
    assert_eq!(
        r["p"],
        r#"{"maxItems":18446744073709551616,"min":-9223372036854775809,"wide":1234567890123456789012345678901234567890}"#
    );
}

/// Runs ctscan with a 60-second guard: a run that blocks (on a FIFO) is killed and fails the test.
fn ctscan_within_a_minute(args: &[&std::ffi::OsStr]) -> Run {
    use std::io::Read;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let mut child = Command::new(env!("CARGO_BIN_EXE_ctscan"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain the pipes while waiting so a chatty run cannot block on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).map(|_| s)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("ctscan {args:?} still running after 60 s (blocked on a FIFO?)");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap().unwrap(),
        stderr: err.join().unwrap().unwrap(),
    }
}

#[test]
fn a_fifo_is_named_and_skipped_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let archive = generate(
        &dir.path().join("archive"),
        &[
            "--events",
            "300",
            "--per-file",
            "50",
            "--days",
            "1",
            "--seed",
            "7",
        ],
    );
    let sql = "SELECT count(*) AS n FROM events";
    let want = count(&archive, sql, &[]);
    assert!(want > 0);
    let a_log = files_under(&archive)
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with(".json.gz") && p.to_string_lossy().contains("/CloudTrail/"))
        .expect("a log file");
    let inside = a_log.with_file_name("x.json.gz");
    let direct = dir.path().join("direct.json.gz");
    for fifo in [&inside, &direct] {
        let r = run(std::process::Command::new("mkfifo").arg(fifo));
        assert_eq!(r.code, 0, "mkfifo: {}", r.stderr);
    }
    let r = ctscan_within_a_minute(&[
        "query".as_ref(),
        "--stats".as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        archive.as_os_str(),
        direct.as_os_str(),
        sql.as_ref(),
    ]);
    assert_eq!(r.code, 1, "an input that cannot be read exits 1: {}", r.stderr);
    assert_eq!(jsonl(&r.stdout)[0]["n"], want, "{}", r.stderr);
    for fifo in [&inside, &direct] {
        let line = r
            .stderr
            .lines()
            .find(|l| l.contains(&*fifo.to_string_lossy()))
            .unwrap_or_else(|| panic!("{} not named:\n{}", fifo.display(), r.stderr));
        assert!(line.contains("not a regular file: FIFO"), "{line}");
    }
    assert!(
        r.stderr.contains("failed 2 objects: 2 not a regular file"),
        "{}",
        r.stderr
    );

    let r = ctscan_within_a_minute(&["ls".as_ref(), archive.as_os_str(), direct.as_os_str()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("not a regular file: FIFO"), "{}", r.stderr);
    assert!(!r.stdout.is_empty());
}
