//! Objects a query's literals rule out are counted, not built: the answer and every count of the run
//! summary (events, events outside the window, duplicate copies, defective records, failed objects) are
//! the same as when every object is parsed (`--parse-all`), on an archive with the shapes that could tell
//! them apart.

use std::path::Path;

use serde_json::{Value, json};

use crate::util::*;

const DAY: &str = "2026-03-03";

fn at(minute: u32) -> String {
    format!("{DAY}T10:{minute:02}:00Z")
}

fn file(root: &Path, region: &str, name: &str, data: &[u8]) {
    write(&log_path(root, "111122223333", region, DAY, name), data);
}

fn events(prefix: &str, n: u32) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut e = event(&format!("Get{}", i % 3), &at(i % 60));
            e["eventID"] = format!("{prefix}-{i}").into();
            e
        })
        .collect()
}

/// Deliveries with and without the literal, duplicated across regions, with defects, escapes, numbers
/// only the parser judges, other shapes and a broken object.
fn archive(root: &Path) {
    let mut wanted = events("a", 40);
    wanted[7]["eventName"] = "CreateUser".into();
    file(root, "us-east-1", "a.json.gz", &delivery(&wanted));

    // A copy of the same delivery in another region, and a delivery without the literal copied twice.
    file(root, "eu-west-1", "a-copy.json.gz", &delivery(&wanted));
    let mut plain = events("b", 50);
    plain[3].as_object_mut().unwrap().remove("eventTime");
    plain[4]["eventTime"] = Value::Null;
    plain[5]["eventTime"] = "2026-03-05T10:00:00Z".into(); // outside the window
    file(root, "us-east-1", "b.json.gz", &delivery(&plain));
    file(root, "eu-west-1", "b-copy.json.gz", &delivery(&plain));

    // The literal hidden behind an escape, which only a parse reads as CreateUser.
    let mut hidden = events("c", 5);
    hidden[2]["eventName"] = "CreateUserX".into();
    let text = json!({ "Records": hidden })
        .to_string()
        .replace("\"CreateUserX\"", "\"\\u0043reateUser\"");
    file(root, "us-east-1", "c.json.gz", &gz(text.as_bytes()));

    // Shapes the count leaves to the parser: a float, a record that is not an object, an unparseable
    // time, JSON lines, and a gzip cut short.
    let mut float = events("d", 6);
    float[1]["requestParameters"] = json!({"ratio": 0.5});
    file(root, "us-east-1", "d.json.gz", &delivery(&float));
    let mut odd = events("e", 4);
    odd.push(json!(42));
    odd[0]["eventTime"] = "yesterday".into();
    file(root, "us-east-1", "e.json.gz", &delivery(&odd));
    let lines: String = events("f", 3).iter().map(|e| format!("{e}\n")).collect();
    file(root, "us-east-1", "f.json.gz", &gz(lines.as_bytes()));
    let broken = delivery(&events("g", 30));
    file(root, "us-east-1", "g.json.gz", &broken[..broken.len() / 2]);
}

/// stderr without the elapsed time, its lines sorted (objects are reported as threads finish them).
fn summary(stderr: &str) -> Vec<String> {
    let time = regex::Regex::new(r"\d+\.\d\d s").unwrap();
    let mut lines: Vec<String> = stderr
        .lines()
        .map(|l| time.replace_all(l, "").into_owned())
        .collect();
    lines.sort();
    lines
}

fn run(root: &Path, sql: &str, extra: &[&str]) -> (Vec<Value>, Vec<String>) {
    let mut args = vec![
        "query",
        "--stats",
        "--format",
        "jsonl",
        "--from",
        "2026-03-03T00:00:00Z",
        "--to",
        "2026-03-04T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    let root = root.display().to_string();
    args.extend([root.as_str(), sql]);
    let r = ctscan(&args);
    assert_eq!(r.code, 1, "a broken object makes the run partial: {}", r.stderr);
    (jsonl(&r.stdout), summary(&r.stderr))
}

#[test]
fn skipping_objects_by_their_literals_changes_no_answer_and_no_count() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let queries = [
        "SELECT eventName, eventID, objectRegion FROM events WHERE eventName = 'CreateUser' ORDER BY 2, 3",
        "SELECT count(*) AS n FROM events WHERE eventName IN ('CreateUser', 'DeleteUser') \
         AND userIdentity.arn LIKE '%:user/alice'",
        "SELECT eventID FROM events WHERE contains(userAgent, 'aws-cli/2.15') \
         AND sourceIPAddress = '203.0.113.9' ORDER BY 1",
    ];
    // `b` and its copy hold no CreateUser; no delivery holds the address. The others are parsed: the
    // name hides behind an escape in `c`, and `d` to `g` are shapes only the parser counts.
    let skipped = [2, 2, 4];
    for extra in [&[][..], &["--dedup"][..]] {
        for (sql, skipped) in queries.iter().zip(skipped) {
            let (rows, mut said) = run(dir.path(), sql, extra);
            let counted = format!("ctscan: {skipped} objects only counted");
            let told = said.iter().position(|l| l.starts_with(&counted));
            said.remove(told.unwrap_or_else(|| panic!("{sql}: no {counted:?} in {said:?}")));
            let parsing = run(dir.path(), sql, &[extra, &["--parse-all"]].concat());
            assert_eq!((rows, said.clone()), parsing, "{sql} {extra:?}");
            let said = said.join("\n");
            assert!(
                said.contains("1 failed") || said.contains("failed 1 objects"),
                "{said}"
            );
            assert!(said.contains("events outside the window"), "{said}");
            assert!(said.contains("defective records"), "{said}");
            assert!(said.contains("duplicate record"), "{said}");
        }
    }
    let (rows, _) = run(dir.path(), queries[0], &[]);
    let found: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["eventID"].as_str().unwrap(),
                r["objectRegion"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("a-7", "eu-west-1"), ("a-7", "us-east-1"), ("c-2", "us-east-1")]
    );
    let (rows, said) = run(dir.path(), queries[0], &["--dedup"]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    // 40 copies of `a`, and 47 of `b` (three of its records are outside the window).
    assert!(
        said.iter().any(|l| l.contains("87 duplicate records")),
        "{said:?}"
    );
}
