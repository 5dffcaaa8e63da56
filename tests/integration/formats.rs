//! Output formats: what people and machines get on stdout.

use crate::util::*;

fn sample() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let events: Vec<_> = (0..3)
        .map(|i| event(&format!("E{i}"), &format!("2026-03-03T10:0{i}:00Z")))
        .collect();
    write(
        &log_path(dir.path(), "111122223333", "us-east-1", "2026-03-03", "a.json.gz"),
        &delivery(&events),
    );
    dir
}

const SQL: &str =
    "SELECT eventTime, eventName, userIdentity.userName AS who, readOnly FROM events ORDER BY eventTime";

fn out(format: &str) -> String {
    let dir = sample();
    let r = ctscan(&["query", "--format", format, dir.path().to_str().unwrap(), SQL]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

#[test]
fn jsonl_is_one_object_per_line_with_utc_times() {
    let rows = jsonl(&out("jsonl"));
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["eventName"], "E0");
    assert_eq!(rows[0]["who"], "alice");
    assert_eq!(rows[0]["readOnly"], true);
    assert!(
        rows[0]["eventTime"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-03T10:00:00"),
        "{}",
        rows[0]
    );
}

#[test]
fn json_is_one_array() {
    let v: serde_json::Value = serde_json::from_str(&out("json")).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    let dir = sample();
    let r = ctscan(&[
        "query",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
        "SELECT * FROM events WHERE false",
    ]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap(),
        serde_json::json!([])
    );
}

#[test]
fn csv_has_a_header_and_iso_times() {
    let text = out("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "eventTime,eventName,who,readOnly");
    assert_eq!(lines[1], "2026-03-03T10:00:00Z,E0,alice,true");
}

#[test]
fn table_is_for_people() {
    let text = out("table");
    assert!(text.contains("| eventName"), "{text}");
    assert!(text.contains("| E2 "), "{text}");
    assert!(text.contains("2026-03-03T10:02:00Z"), "{text}");
}

#[test]
fn without_a_terminal_the_default_is_jsonl_and_stderr_is_quiet() {
    let dir = sample();
    let r = ctscan(&["query", dir.path().to_str().unwrap(), SQL]);
    assert_eq!(jsonl(&r.stdout).len(), 3);
    assert!(
        r.stderr.is_empty(),
        "no progress or summary when stderr is not a terminal: {}",
        r.stderr
    );
}
