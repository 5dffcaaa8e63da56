//! `ctscan export`: the lake answers like the raw archive, survives being killed, and refuses to be damaged.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::*;

const CHECKS: &[&str] = &[
    "SELECT count(*) AS n, count(DISTINCT eventID) AS ids FROM events",
    "SELECT eventName, awsRegion, count(*) AS n, min(eventTime) AS lo, max(eventTime) AS hi FROM events GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT objectAccount, objectRegion, objectDay, count(*) AS n FROM events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    "SELECT eventID, userIdentity.arn AS arn, requestParameters ->> 'bucketName' AS b FROM events WHERE eventTime >= '2026-03-04T00:00:00Z' AND eventTime < '2026-03-05T06:00:00Z' ORDER BY eventID",
];

fn export(source: &Path, lake: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "export".to_string(),
        source.display().to_string(),
        "--out".into(),
        lake.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    ctscan(&args)
}

fn same_answers(raw: &Path, lake: &Path) {
    for sql in CHECKS {
        assert_eq!(query(lake, sql, &[]), query(raw, sql, &[]), "{sql}");
    }
}

#[test]
fn the_lake_answers_like_the_raw_archive_and_reruns_add_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let lake = dir.path().join("lake");
    let n = synthetic_archive(&raw, 24, 40);
    let r = export(&raw, &lake, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("exported 24 objects (960 events)"),
        "{}",
        r.stdout
    );
    same_answers(&raw, &lake);
    assert_eq!(count(&lake, "SELECT count(*) AS n FROM events", &[]), n as i64);
    // Files are Hive-partitioned by event day and named *.parquet.
    assert!(lake.join("events/day=2026-03-04").is_dir());
    let again = export(&raw, &lake, &[]);
    assert!(
        again.stdout.contains("exported 0 objects (0 events)") && again.stdout.contains("24 already"),
        "{}",
        again.stdout
    );
    same_answers(&raw, &lake);
    // Window flags and time filters read only the partitions they need and still answer exactly.
    let scoped = &[
        "--from",
        "2026-03-04",
        "--to",
        "2026-03-05",
        "--account",
        "111122223333",
    ];
    let sql = "SELECT count(*) AS n FROM events";
    assert_eq!(count(&lake, sql, scoped), count(&raw, sql, scoped));
    // The manifest is an evidence inventory.
    let inv = ctscan(&["ls", "--objects", "--format", "jsonl", lake.to_str().unwrap()]);
    let rows = jsonl(&inv.stdout);
    assert_eq!(rows.len(), 24);
    assert!(
        rows.iter()
            .all(|r| r["sha256"].as_str().is_some_and(|s| s.len() == 64) && r["events"] == 40)
    );
    let raw_inv = jsonl(&ctscan(&["ls", "--objects", "--format", "jsonl", raw.to_str().unwrap()]).stdout);
    let sha = |rows: &[serde_json::Value]| {
        let mut v: Vec<String> = rows
            .iter()
            .map(|r| r["sha256"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(sha(&rows), sha(&raw_inv));
}

#[test]
fn a_second_window_adds_to_the_lake() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let lake = dir.path().join("lake");
    synthetic_archive(&raw, 32, 10);
    assert_eq!(
        export(&raw, &lake, &["--from", "2026-03-03", "--to", "2026-03-03"]).code,
        0
    );
    let first = count(&lake, "SELECT count(*) AS n FROM events", &[]);
    assert!(first > 0 && first < 320, "{first}");
    assert_eq!(export(&raw, &lake, &["--from", "2026-03-04"]).code, 0);
    same_answers(&raw, &lake);
}

#[test]
fn changed_objects_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let lake = dir.path().join("lake");
    synthetic_archive(&raw, 4, 5);
    assert_eq!(export(&raw, &lake, &[]).code, 0);
    let victim = walkdir::WalkDir::new(&raw)
        .into_iter()
        .flatten()
        .find(|e| e.file_type().is_file())
        .unwrap();
    write(
        victim.path(),
        &delivery(&[event("Tampered", "2026-03-03T01:00:00Z")]),
    );
    let r = export(&raw, &lake, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("changed since it was exported"))
        .expect("named");
    assert!(line.contains(&victim.path().display().to_string()), "{line}");
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) AS n FROM events WHERE eventName = 'Tampered'",
            &[]
        ),
        0
    );
}

#[test]
fn killed_exports_resume_to_exactly_the_uninterrupted_rows() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let lake = dir.path().join("lake");
    // Large enough that a loaded machine does not finish it between two kills.
    synthetic_archive(&raw, 1000, 50);
    let mut interrupted = 0;
    for delay_ms in [30u64, 80, 150, 250, 400, 600] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ctscan"))
            .args([
                "export",
                "--threads",
                "1",
                raw.to_str().unwrap(),
                "--out",
                lake.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        match child.try_wait().unwrap() {
            None => interrupted += 1,
            // A run that got to the end on its own, after earlier kills, must have succeeded.
            Some(status) => assert!(status.success(), "after a kill at {delay_ms} ms: {status}"),
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    assert!(interrupted >= 2, "the export finished too fast to be interrupted");
    let r = export(&raw, &lake, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    same_answers(&raw, &lake);
    // No file outside the manifest is left behind for other engines to double count.
    let listed =
        jsonl(&ctscan(&["ls", "--objects", "--format", "jsonl", lake.to_str().unwrap()]).stdout).len();
    assert_eq!(listed, 1000);
    let tmp = walkdir::WalkDir::new(&lake)
        .into_iter()
        .flatten()
        .filter(|e| e.path().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(tmp, 0);
}

#[test]
fn a_second_writer_is_refused_while_the_lock_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let lake = dir.path().join("lake");
    synthetic_archive(&raw, 4, 5);
    assert_eq!(export(&raw, &lake, &[]).code, 0);
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(lake.join("_ctscan/lock"))
        .unwrap();
    lock.lock().unwrap();
    let r = export(&raw, &lake, &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("another ctscan export is writing this lake"),
        "{}",
        r.stderr
    );
    drop(lock);
    assert_eq!(export(&raw, &lake, &[]).code, 0);
}

#[test]
fn bad_destinations_and_incompatible_lakes_leave_the_lake_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    synthetic_archive(&raw, 4, 5);
    // A destination under a regular file cannot be created.
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let r = export(&raw, &file.join("lake"), &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("ctscan: cannot open the lake"),
        "{}",
        r.stderr
    );
    // A non-empty folder that is not a lake is refused.
    let r = export(&raw, &raw, &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a ctscan lake"), "{}", r.stderr);
    // A lake from another format version is refused by export and query alike, untouched.
    let lake = dir.path().join("lake");
    assert_eq!(export(&raw, &lake, &[]).code, 0);
    std::fs::write(
        lake.join("_ctscan/lake.json"),
        br#"{"format":"ctscan-lake","version":99}"#,
    )
    .unwrap();
    let before = std::fs::read(lake.join("_ctscan/manifest.jsonl")).unwrap();
    let r = export(&raw, &lake, &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("version 99 is not supported"), "{}", r.stderr);
    let q = ctscan(&["query", lake.to_str().unwrap(), "SELECT count(*) FROM events"]);
    assert_eq!(q.code, 2);
    assert!(q.stderr.contains("version 99"), "{}", q.stderr);
    assert_eq!(
        std::fs::read(lake.join("_ctscan/manifest.jsonl")).unwrap(),
        before
    );
}

#[test]
fn a_full_disk_fails_clearly_and_keeps_the_committed_lake() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small");
    let big = dir.path().join("big");
    synthetic_archive(&small, 4, 5);
    // Incompressible payloads, so the big export cannot fit however well Parquet compresses.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for f in 0..40 {
        let events: Vec<serde_json::Value> = (0..200)
            .map(|i| {
                let noise: String = (0..32)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        format!("{state:016x}")
                    })
                    .collect();
                let mut e = event("PutObject", "2026-03-03T10:00:00Z");
                e["eventID"] = format!("big-{f}-{i}").into();
                e["requestParameters"]["noise"] = noise.into();
                e
            })
            .collect();
        write(
            &log_path(
                &big,
                "111122223333",
                "us-east-1",
                "2026-03-03",
                &format!("big{f}.json.gz"),
            ),
            &delivery(&events),
        );
    }
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let bin = env!("CARGO_BIN_EXE_ctscan");
    // A 1 MiB tmpfs in a private mount namespace: the real ENOSPC, cleaned up with the namespace.
    let script = format!(
        "set -u; mount -t tmpfs -o size=1m tmpfs {m} || exit 99; \
         {bin} export {small} --out {m}/lake >/dev/null 2>&1; echo first=$?; \
         {bin} export {big} --out {m}/lake 2>{err} >/dev/null; echo second=$?; head -c 400 {err}; echo; \
         {bin} query --format jsonl {m}/lake 'SELECT count(*) AS n FROM events'; \
         {bin} ls --objects --format jsonl {m}/lake | wc -l | sed 's/^/objects=/'; \
         {bin} export {small} --out {m}/lake; echo third=$?",
        m = mnt.display(),
        err = dir.path().join("err").display(),
        small = small.display(),
        big = big.display()
    );
    let r = run(Command::new("unshare").args(["-rm", "sh", "-c", &script]));
    if r.code == 99 || r.stdout.is_empty() {
        assert!(
            std::env::var("CI").is_err(),
            "cannot mount a tmpfs to simulate a full disk: {}",
            r.stderr
        );
        eprintln!("skipped: cannot mount a tmpfs here: {}", r.stderr);
        return;
    }
    assert!(r.stdout.contains("first=0"), "{}", r.stdout);
    assert!(r.stdout.contains("second=2"), "{}", r.stdout);
    assert!(r.stdout.contains("No space left on device"), "{}", r.stdout);
    // Whatever was committed before the disk filled is whole: 5 rows per small object, 200 per big one.
    let value = |prefix: &str| -> i64 {
        let line = r
            .stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix}: {}", r.stdout));
        line.trim_start_matches(prefix)
            .trim_end_matches('}')
            .trim()
            .parse()
            .unwrap()
    };
    let objects = value("objects=");
    assert!(objects < 44, "the big export cannot have fit: {}", r.stdout);
    assert_eq!(value(r#"{"n":"#), 20 + 200 * (objects - 4), "{}", r.stdout);
    assert!(
        r.stdout.contains("exported 0 objects") && r.stdout.contains("third=0"),
        "{}",
        r.stdout
    );
}

#[test]
fn duckdb_reads_the_lake_with_the_same_rows() {
    let Some(python) = std::env::var_os("CTSCAN_PYTHON") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set CTSCAN_PYTHON to a Python with duckdb (.ci/run does)"
        );
        eprintln!("skipped: set CTSCAN_PYTHON to a Python with the duckdb package to run this test");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let lake = dir.path().join("lake");
    synthetic_archive(&raw, 16, 25);
    assert_eq!(export(&raw, &lake, &[]).code, 0);
    let script = format!(
        "import duckdb, json\n\
         rel = \"read_parquet('{}/events/**/*.parquet', hive_partitioning=true)\"\n\
         n, ids = duckdb.sql(f'SELECT count(*), count(DISTINCT eventID) FROM {{rel}}').fetchall()[0]\n\
         by = duckdb.sql(f'SELECT eventName, count(*) FROM {{rel}} GROUP BY 1 ORDER BY 1').fetchall()\n\
         arn = duckdb.sql(f'SELECT count(*) FROM {{rel}} WHERE userIdentity.arn LIKE \\'%alice\\'').fetchall()[0][0]\n\
         print(json.dumps({{'n': n, 'ids': ids, 'arn': arn, 'by': by}}))",
        lake.display()
    );
    let r = run(Command::new(python).arg("-c").arg(&script));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let duck: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(duck["n"], 400);
    assert_eq!(duck["ids"], 400);
    assert_eq!(duck["arn"], 400);
    let ours = query(
        &lake,
        "SELECT eventName, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
        &[],
    );
    let ours: Vec<serde_json::Value> = ours
        .iter()
        .map(|r| serde_json::json!([r["eventName"], r["n"]]))
        .collect();
    assert_eq!(duck["by"], serde_json::Value::Array(ours));
}

#[test]
fn lake_files_hold_one_day_in_time_order_with_statistics_and_bloom_filters() {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::TimestampMicrosecondType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let lake = dir.path().join("lake");
    generate(
        &raw,
        &[
            "--events",
            "3000",
            "--per-file",
            "50",
            "--days",
            "3",
            "--accounts",
            "3",
        ],
    );
    assert_eq!(export(&raw, &lake, &[]).code, 0);
    let mut rows = 0;
    for entry in walkdir::WalkDir::new(lake.join("events")) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let day = entry
            .path()
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let day = day.strip_prefix("day=").expect("Hive partition folder");
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(entry.path()).unwrap()).unwrap();
        let meta = builder.metadata().clone();
        let time_col = builder.schema().index_of("eventTime").unwrap();
        for rg in meta.row_groups() {
            assert!(
                rg.column(time_col).statistics().is_some(),
                "row groups carry time statistics"
            );
            assert_eq!(
                rg.sorting_columns().map(|s| s[0].column_idx as usize),
                Some(time_col)
            );
            // Lookups of one key, address or event skip row groups by their bloom filters.
            let bloomed: std::collections::BTreeSet<String> = rg
                .columns()
                .iter()
                .filter(|c| c.bloom_filter_offset().is_some())
                .map(|c| c.column_path().string())
                .collect();
            assert_eq!(
                bloomed,
                ["eventID", "sourceIPAddress", "userIdentity.accessKeyId"]
                    .into_iter()
                    .map(String::from)
                    .collect(),
                "{}",
                entry.path().display()
            );
        }
        let mut last = i64::MIN;
        for batch in builder.build().unwrap() {
            let batch = batch.unwrap();
            let times = batch.column(time_col).as_primitive::<TimestampMicrosecondType>();
            for i in 0..times.len() {
                let t = times.value(i);
                assert!(t >= last, "{} is sorted by eventTime", entry.path().display());
                last = t;
                let d = chrono::DateTime::from_timestamp_micros(t)
                    .unwrap()
                    .date_naive()
                    .to_string();
                assert_eq!(d, day);
            }
            rows += batch.num_rows();
        }
    }
    assert_eq!(rows, 3000);
}

#[test]
fn a_missing_source_is_fatal_and_creates_no_lake() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let missing = dir.path().join("not-here");
    let r = export(&missing, &lake, &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("ctscan: cannot read SOURCE") && r.stderr.contains("not-here"),
        "{}",
        r.stderr
    );
    assert!(!lake.exists(), "nothing is created for a run that cannot start");
    let h = ctscan(&["hunt", missing.to_str().unwrap()]);
    assert_eq!(h.code, 2);
    assert_eq!(h.stderr.lines().count(), 1, "one clear line: {}", h.stderr);
}
