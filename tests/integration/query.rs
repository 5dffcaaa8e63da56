//! `ctscan query` over generated and hand-made archives: counts, scope flags, pruning, schema and SQL.

use std::path::Path;

use crate::util::*;

fn archive(dir: &Path, extra: &[&str]) -> std::path::PathBuf {
    let mut args = vec![
        "--events",
        "3000",
        "--seed",
        "7",
        "--per-file",
        "60",
        "--days",
        "4",
        "--start",
        "2026-03-01",
    ];
    args.extend_from_slice(extra);
    generate(dir, &args)
}

#[test]
fn counts_every_generated_event_once() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path(), &["--layout", "mixed", "--siblings"]);
    assert_eq!(count(dir.path(), "SELECT count(*) AS n FROM events", &[]), 3000);
    assert_eq!(
        count(dir.path(), "SELECT count(DISTINCT eventID) AS n FROM events", &[]),
        3000
    );
    // Every row knows the object it came from, and path provenance agrees with the record.
    let n = count(
        dir.path(),
        "SELECT count(*) AS n FROM events WHERE objectAccount = recipientAccountId AND objectKey LIKE '%.json.gz'",
        &[],
    );
    assert_eq!(n, 3000);
}

#[test]
fn identifiers_keep_their_case_and_json_functions_work() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path(), &[]);
    let rows = query(
        dir.path(),
        "SELECT eventName, userIdentity.type AS t, userIdentity.sessionContext.sessionIssuer.arn AS issuer, \
         requestParameters ->> 'bucketName' AS bucket FROM events \
         WHERE eventSource = 's3.amazonaws.com' AND requestParameters ->> 'bucketName' IS NOT NULL LIMIT 5",
        &[],
    );
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter()
            .all(|r| r["bucket"].as_str().is_some_and(|b| !b.is_empty()))
    );
    let types = query(
        dir.path(),
        "SELECT DISTINCT userIdentity.type AS t FROM events ORDER BY t",
        &[],
    );
    assert!(types.len() >= 8, "every identity type decodes: {types:?}");
}

#[test]
fn every_event_version_decodes() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path(), &[]);
    let rows = query(
        dir.path(),
        "SELECT DISTINCT eventVersion AS v FROM events ORDER BY v",
        &[],
    );
    let versions: Vec<&str> = rows.iter().filter_map(|r| r["v"].as_str()).collect();
    for v in ["1.0", "1.05", "1.08", "1.11"] {
        assert!(versions.contains(&v), "{v} missing from {versions:?}");
    }
}

#[test]
fn window_and_scope_flags_match_the_same_filters_in_sql() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path(), &["--accounts", "3", "--regions", "3"]);
    let d = dir.path();
    let in_sql = count(
        d,
        "SELECT count(*) AS n FROM events WHERE eventTime >= '2026-03-02T00:00:00Z' AND eventTime < '2026-03-03T12:00:00Z'",
        &[],
    );
    let by_flags = count(
        d,
        "SELECT count(*) AS n FROM events",
        &["--from", "2026-03-02", "--to", "2026-03-03T12:00:00Z"],
    );
    assert!(in_sql > 0);
    assert_eq!(in_sql, by_flags);
    let accounts = query(
        d,
        "SELECT recipientAccountId AS a, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
        &[],
    );
    assert_eq!(accounts.len(), 3);
    let a = accounts[1]["a"].as_str().unwrap();
    assert_eq!(
        count(d, "SELECT count(*) AS n FROM events", &["--account", a]),
        accounts[1]["n"].as_i64().unwrap()
    );
    let regions = query(
        d,
        "SELECT awsRegion AS r, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
        &[],
    );
    let r = regions[0]["r"].as_str().unwrap();
    assert_eq!(
        count(d, "SELECT count(*) AS n FROM events", &["--region", r]),
        regions[0]["n"].as_i64().unwrap()
    );
    let since_everything = count(d, "SELECT count(*) AS n FROM events", &["--since", "3650d"]);
    assert_eq!(since_everything, 3000);
}

#[test]
fn filters_on_time_and_provenance_prune_objects_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path(), &[]);
    let r = ctscan(&[
        "query",
        "--stats",
        "--format",
        "jsonl",
        dir.path().to_str().unwrap(),
        "SELECT count(*) AS n FROM events WHERE objectDay = DATE '2026-03-02'",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let all = ctscan(&[
        "query",
        "--stats",
        dir.path().to_str().unwrap(),
        "SELECT count(*) AS n FROM events",
    ]);
    let objects = |s: &str| -> u64 {
        let line = s.lines().find(|l| l.contains("objects read")).expect("summary");
        line.split(" of ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(
        objects(&r.stderr) * 2 < objects(&all.stderr),
        "{}\n{}",
        r.stderr,
        all.stderr
    );
}

#[test]
fn no_field_is_lost_and_wrong_types_are_normalised() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = event("GetObject", "2026-03-03T10:00:00Z");
    e["futureField"] = serde_json::json!({"a": [1, 2]});
    e["userIdentity"]["brandNewThing"] = "x".into();
    e["readOnly"] = "true".into();
    e["sessionCredentialFromConsole"] = "true".into();
    e["eventVersion"] = serde_json::json!(1.08);
    e["errorCode"] = serde_json::json!({"weird": true});
    e["resources"] = serde_json::json!([{"ARN": "arn:aws:s3:::b", "type": "AWS::S3::Bucket", "extra": 1}]);
    write(
        &log_path(dir.path(), "111122223333", "us-east-1", "2026-03-03", "x.json.gz"),
        &delivery(&[e]),
    );
    let rows = query(
        dir.path(),
        "SELECT readOnly, sessionCredentialFromConsole AS c, eventVersion, errorCode, extras, resources[1]['ARN'] AS arn FROM events",
        &[],
    );
    let r = &rows[0];
    assert_eq!(r["readOnly"], true);
    assert_eq!(r["c"], true);
    assert_eq!(r["eventVersion"], "1.08");
    assert_eq!(r["errorCode"], r#"{"weird":true}"#);
    assert_eq!(r["arn"], "arn:aws:s3:::b");
    let extras: serde_json::Value = serde_json::from_str(r["extras"].as_str().unwrap()).unwrap();
    assert_eq!(extras["futureField"], serde_json::json!({"a": [1, 2]}));
    assert_eq!(extras["userIdentity.brandNewThing"], "x");
    assert_eq!(extras["resources[0].extra"], 1);
}

#[test]
fn accepts_arrays_json_lines_plain_and_loose_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = event("A", "2026-03-03T10:00:00Z");
    let b = event("B", "2026-03-03T11:00:00Z");
    write(
        &d.join("loose/array.json"),
        serde_json::json!([a, b]).to_string().as_bytes(),
    );
    write(
        &d.join("loose/lines.json.gz"),
        &gz(format!("{a}\n{b}\n").as_bytes()),
    );
    write(
        &d.join("loose/plain.json"),
        serde_json::json!({"Records": [a]}).to_string().as_bytes(),
    );
    write(&d.join("loose/notes.txt"), b"not read");
    assert_eq!(count(d, "SELECT count(*) AS n FROM events", &[]), 5);
    assert_eq!(
        count(
            d,
            "SELECT count(*) AS n FROM events WHERE objectAccount IS NULL",
            &[]
        ),
        5
    );
    // A single file is a SOURCE too, and several SOURCEs add up.
    let one = d.join("loose/array.json");
    assert_eq!(count(&one, "SELECT count(*) AS n FROM events", &[]), 2);
    let r = ctscan(&[
        "query",
        "--format",
        "jsonl",
        one.to_str().unwrap(),
        d.join("loose/plain.json").to_str().unwrap(),
        "SELECT count(*) AS n FROM events",
    ]);
    assert_eq!(jsonl(&r.stdout)[0]["n"], 3, "{}", r.stderr);
}

#[test]
fn named_queries_are_listed_and_all_run() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path(), &[]);
    let list = ctscan(&["query", "--list"]);
    assert_eq!(list.code, 0);
    let names: Vec<&str> = list
        .stdout
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .collect();
    assert!(names.len() >= 8, "{names:?}");
    for name in &names {
        // Give every parameter a value; the defaults cover the optional ones.
        let params: Vec<String> = list
            .stdout
            .split(&format!("{name}\n"))
            .nth(1)
            .unwrap()
            .lines()
            .take_while(|l| l.starts_with(' '))
            .filter_map(|l| l.trim().strip_prefix("--param "))
            .filter(|l| !l.contains("(default"))
            .map(|l| format!("{}=x", l.split('=').next().unwrap()))
            .collect();
        let mut args = vec![
            "query".to_string(),
            "--format".into(),
            "jsonl".into(),
            "--name".into(),
            name.to_string(),
        ];
        for p in params {
            args.push("--param".into());
            args.push(p);
        }
        args.push(dir.path().display().to_string());
        let r = ctscan(&args);
        assert_eq!(r.code, 0, "named query {name} failed: {}", r.stderr);
    }
}

#[test]
fn named_query_finds_one_access_keys_activity() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path(), &[]);
    let top = query(
        dir.path(),
        "SELECT userIdentity.accessKeyId AS k, count(*) AS n FROM events WHERE userIdentity.accessKeyId IS NOT NULL \
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
        &[],
    );
    let key = top[0]["k"].as_str().unwrap();
    let n = top[0]["n"].as_i64().unwrap();
    let r = ctscan(&[
        "query",
        "--format",
        "jsonl",
        "--name",
        "key-activity",
        "--param",
        &format!("key={key}"),
        "--param",
        "limit=100000",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(jsonl(&r.stdout).len() as i64, n);
}

#[test]
fn usage_and_fatal_errors_exit_2() {
    let r = ctscan(&["query", "/definitely/not/here", "SELECT 1"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("ctscan: "), "{}", r.stderr);
    assert!(r.stderr.contains("/definitely/not/here"), "{}", r.stderr);
    let dir = tempfile::tempdir().unwrap();
    let r = ctscan(&["query", dir.path().to_str().unwrap(), "SELEC nonsense"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("ctscan: "), "{}", r.stderr);
    assert_eq!(
        ctscan(&[
            "query",
            "--from",
            "tuesday",
            dir.path().to_str().unwrap(),
            "SELECT 1"
        ])
        .code,
        2
    );
    assert_eq!(ctscan(&["frobnicate"]).code, 2);
}

#[test]
fn limit_stops_early_and_output_goes_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path(), &[]);
    let out = dir.path().join("out.csv");
    let r = ctscan(&[
        "query",
        "--limit",
        "7",
        "--format",
        "csv",
        "--output",
        out.to_str().unwrap(),
        dir.path().to_str().unwrap(),
        "SELECT eventTime, eventName, userIdentity FROM events",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let text = std::fs::read_to_string(out).unwrap();
    assert_eq!(text.lines().count(), 8, "{text}");
    assert!(text.starts_with("eventTime,eventName,userIdentity\n"));
}

#[test]
fn the_bundled_sample_answers_the_readme_query() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample");
    let rows = query(
        &sample,
        "SELECT eventName, count(*) AS n FROM events GROUP BY eventName ORDER BY n DESC LIMIT 10",
        &[],
    );
    assert_eq!(rows.len(), 10);
    assert_eq!(count(&sample, "SELECT count(*) AS n FROM events", &[]), 1290);
    // The planted intrusion is there for a hunt to find: one address, one user.
    assert_eq!(
        count(
            &sample,
            "SELECT count(*) AS n FROM events WHERE sourceIPAddress = '185.220.101.47' AND userIdentity.arn LIKE '%mallory' \
             OR userIdentity.type = 'Root'",
            &[]
        ),
        54
    );
}
