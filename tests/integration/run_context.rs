//! One run's settings are its own: commands finish on a single thread (the run's pool is never waited on
//! from inside itself), and two runs in one process keep their own time zone, threads and S3 options.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use ctscan::cli::Cli;
use ctscan::cli::context::RunContext;
use ctscan::output::{Fit, Format, Style, write_batch};
use datafusion::arrow::array::{RecordBatch, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};

use crate::util::*;

const SAMPLE: &str = "testdata/sample";

/// Runs `ctscan` with `args`, failing the test if it has not finished within `limit` (a hang is a bug).
fn ctscan_within(limit: Duration, args: &[&str]) -> Run {
    let out_dir = tempfile::tempdir().unwrap();
    let (out, err) = (out_dir.path().join("out"), out_dir.path().join("err"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ctscan"))
        .args(args)
        .stdout(Stdio::from(std::fs::File::create(&out).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err).unwrap()))
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            panic!("ctscan {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(&out).unwrap(),
        stderr: std::fs::read_to_string(&err).unwrap(),
    }
}

fn with_threads(n: &str, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend(["--threads", n]);
    ctscan_within(Duration::from_secs(120), &all)
}

#[test]
fn parallel_commands_finish_on_one_thread_with_the_answers_of_two() {
    for args in [
        &["ls", "--objects", "--format", "jsonl", SAMPLE][..],
        &[
            "verify",
            "--format",
            "jsonl",
            "--public-keys",
            "testdata/digest-test-key/list-public-keys.json",
            SAMPLE,
        ][..],
    ] {
        let one = with_threads("1", args);
        let two = with_threads("2", args);
        assert_eq!(one.code, two.code, "{args:?}: {}", one.stderr);
        assert_eq!(one.stdout, two.stdout, "{args:?}");
        assert!(!one.stdout.is_empty(), "{args:?}");
    }
    let lakes = tempfile::tempdir().unwrap();
    let count = |lake: &Path| count(lake, "SELECT count(*) AS n FROM events", &[]);
    let mut exported = Vec::new();
    for n in ["1", "2"] {
        let lake = lakes.path().join(n);
        let r = with_threads(n, &["export", SAMPLE, "--out", lake.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        exported.push(count(&lake));
    }
    assert_eq!(exported[0], exported[1]);
    assert_eq!(exported[0], count(Path::new(SAMPLE)));
}

fn context(args: &[&str]) -> RunContext {
    let cli = Cli::try_parse_from(args).unwrap();
    RunContext::new(&cli.global, true).unwrap()
}

#[test]
fn two_runs_in_one_process_keep_their_own_settings() {
    let berlin = context(&[
        "ctscan",
        "--timezone",
        "Europe/Berlin",
        "--threads",
        "1",
        "--s3-concurrency",
        "3",
        "ls",
        SAMPLE,
    ]);
    // The old spelling of the S3 option still works.
    let utc = context(&["ctscan", "--threads", "2", "--concurrency", "5", "ls", SAMPLE]);
    assert_eq!((berlin.threads, utc.threads), (1, 2));
    assert_eq!(
        (berlin.s3.options().concurrency, utc.s3.options().concurrency),
        (3, 5)
    );
    let schema = Schema::new(vec![Field::new(
        "eventTime",
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        false,
    )]);
    let time = TimestampMicrosecondArray::from(vec![1_772_532_000_000_000]).with_timezone("UTC");
    let batch = RecordBatch::try_new(std::sync::Arc::new(schema), vec![std::sync::Arc::new(time)]).unwrap();
    let table = |ctx: &RunContext| {
        let style = Style {
            format: Format::Table,
            fit: Fit::default(),
            zone: ctx.zone,
        };
        let mut out = Vec::new();
        write_batch(batch.clone(), &style, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    // Written one after the other in one process, each run's table shows its own zone.
    let (b, u) = (table(&berlin), table(&utc));
    assert!(b.contains("2026-03-03T11:00:00+01:00"), "{b}");
    assert!(u.contains("2026-03-03T10:00:00Z"), "{u}");
    assert!(table(&berlin).contains("+01:00"));
}
