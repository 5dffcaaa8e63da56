//! `ctscan hunt` output: the CSV, JSON, JSON Lines and table formats and `--output`, low findings left out
//! by default and counted, `--group` records (one per rule, principal and address) and rules flagged noisy.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::hunt_fixtures::{
    ACCESS_DENIED_BURST, STOP_LOGGING, api, at, attack_archive, findings, hunt, titles,
};
use crate::util::*;

#[test]
fn output_formats() {
    let dir = tempfile::tempdir().unwrap();
    let src = attack_archive(dir.path());
    let s = src.to_str().unwrap();
    let r = hunt(&["--format", "csv", "--rule", STOP_LOGGING, s]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0]
            .starts_with("ruleId,ruleTitle,level,tags,author,eventTime,account,region,eventSource,eventName")
    );
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(
        lines[1].contains(",CloudTrail Logging Stopped,high,"),
        "{}",
        lines[1]
    );
    let r = hunt(&["--format", "json", "--min-level", "high", s]);
    let v: Value = serde_json::from_str(&r.stdout).expect("one JSON array");
    assert!(v.as_array().unwrap().len() >= 3);
    let r = hunt(&[
        "--format",
        "json",
        "--rule",
        STOP_LOGGING,
        "--from",
        "2027-01-01",
        s,
    ]);
    let v: Value = serde_json::from_str(&r.stdout).expect("an empty JSON array");
    assert_eq!(v, json!([]));
    let r = hunt(&["--format", "table", s]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let high = r
        .stdout
        .find("[HIGH] CloudTrail Logging Stopped  (1 finding)")
        .expect(&r.stdout);
    let medium = r
        .stdout
        .find("[MEDIUM] Burst Of Access Denied Errors From One Principal")
        .expect(&r.stdout);
    assert!(high < medium, "sections are ordered by level");
    assert!(
        r.stdout
            .contains("top principals: arn:aws:iam::111122223333:user/intruder (1)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("stop-1"));
    let out = dir.path().join("findings.jsonl");
    let r = hunt(&[
        "--stats",
        "--output",
        out.to_str().unwrap(),
        "--rule",
        STOP_LOGGING,
        s,
    ]);
    assert_eq!(r.code, 0);
    assert_eq!(jsonl(&std::fs::read_to_string(&out).unwrap()).len(), 1);
    assert!(r.stderr.contains("events in the window"), "{}", r.stderr);
    assert!(r.stderr.contains("1 findings (1 high)"), "{}", r.stderr);
}

/// Writes `records` as one delivery of account 111122223333 in us-east-1.
fn archive_of(root: &Path, records: &[Value]) -> PathBuf {
    write(
        &log_path(
            root,
            "111122223333",
            "us-east-1",
            "2026-03-03",
            "111122223333_CloudTrail_us-east-1_a.json.gz",
        ),
        &delivery(records),
    );
    root.to_path_buf()
}

/// Writes one user rule file into `dir` and returns `dir`.
fn rule_file(dir: &Path, name: &str, title: &str, level: &str, event_names: &[&str]) -> PathBuf {
    let names: Vec<String> = event_names.iter().map(|n| format!("      - {n}\n")).collect();
    write(
        &dir.join(format!("{name}.yml")),
        format!(
            "title: {title}\nid: {name}\nlevel: {level}\nauthor: me\nlogsource: {{product: aws, service: cloudtrail}}\n\
detection:\n  sel:\n    eventName:\n{}  condition: sel\n",
            names.concat()
        )
        .as_bytes(),
    );
    dir.to_path_buf()
}

fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn low_findings_are_left_out_by_default_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let src = archive_of(
        dir.path(),
        &[
            api("cloudtrail.amazonaws.com", "StopLogging", &at(0, 0), "stop-1"),
            api("ssm.amazonaws.com", "StartSession", &at(1, 0), "session-1"),
            api("iam.amazonaws.com", "CreateUser", &at(2, 0), "user-1"),
            api("s3.amazonaws.com", "ListBuckets", &at(3, 0), "benign-1"),
        ],
    );
    let s = src.to_str().unwrap();
    let r = hunt(&["--format", "jsonl", "--stats", s]);
    let rows = findings(&r);
    assert_eq!(
        titles(&rows),
        BTreeSet::from(["CloudTrail Logging Stopped".to_string()])
    );
    assert!(r.stderr.contains("1 findings (1 high)"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("2 findings left out by default (2 low); --min-level low shows them"),
        "{}",
        r.stderr
    );
    // The rules ran: asking for low shows both, and nothing is left out.
    let r = hunt(&["--format", "jsonl", "--stats", "--min-level", "low", s]);
    let rows = findings(&r);
    let t = titles(&rows);
    assert!(
        t.contains("SSM Session Started On An Instance") && t.contains("IAM User Created"),
        "{t:?}"
    );
    assert_eq!(rows.len(), 3);
    assert!(r.stderr.contains("3 findings (1 high, 2 low)"), "{}", r.stderr);
    assert!(!r.stderr.contains("left out"), "{}", r.stderr);
    // An explicit level keeps its meaning: only rules at that level or above run.
    let r = hunt(&["--format", "jsonl", "--stats", "--min-level", "high", s]);
    assert_eq!(findings(&r).len(), 1);
    assert!(!r.stderr.contains("left out"), "{}", r.stderr);
    // The table says so too, also when nothing is left to show.
    let r = hunt(&["--format", "table", s]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("SSM Session Started"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("Not shown: 2 findings left out by default (2 low)"),
        "{}",
        r.stdout
    );
    // A rule asked for by name is shown whatever its level.
    let r = hunt(&["--format", "table", "--rule", "ssm_start_session", s]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("SSM Session Started On An Instance"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("left out"), "{}", r.stdout);
}

/// One principal deletes buckets 30 times from one address and 12 times from another; the 42 findings
/// make two groups.
fn deletion_archive(root: &Path) -> PathBuf {
    let mut records = Vec::new();
    for i in 0..12 {
        let mut e = api(
            "s3.amazonaws.com",
            "DeleteBucket",
            &at(30 + i, 30),
            &format!("b-{i}"),
        );
        e["sourceIPAddress"] = "198.51.100.7".into();
        records.push(e);
    }
    for i in (0..30).rev() {
        let name = if i % 3 == 0 {
            "DeleteBucketPolicy"
        } else {
            "DeleteBucket"
        };
        let mut e = api("s3.amazonaws.com", name, &at(i, 0), &format!("a-{i}"));
        e["sourceIPAddress"] = "203.0.113.5".into();
        if i % 2 == 0 {
            e["awsRegion"] = "eu-west-1".into();
        }
        if i == 7 {
            e["userAgent"] = "Boto3/1.34.0".into();
        }
        records.push(e);
    }
    records.push(api("s3.amazonaws.com", "ListBuckets", &at(50, 0), "benign-1"));
    archive_of(root, &records)
}

#[test]
fn group_gives_one_record_per_rule_principal_and_address() {
    let dir = tempfile::tempdir().unwrap();
    let src = deletion_archive(&dir.path().join("src"));
    let rules = rule_file(
        &dir.path().join("rules"),
        "bucket-deleted",
        "Buckets Deleted",
        "high",
        &["DeleteBucket", "DeleteBucketPolicy"],
    );
    let base = [
        "--no-builtin",
        "--rules",
        rules.to_str().unwrap(),
        src.to_str().unwrap(),
    ];
    let with = |extra: &[&str]| hunt(&[extra, &base[..]].concat());
    // Without --group every finding is its own line, as before.
    assert_eq!(findings(&with(&["--format", "jsonl"])).len(), 42);
    let groups = findings(&with(&["--format", "jsonl", "--group"]));
    assert_eq!(groups.len(), 2, "{groups:?}");
    let alice = "arn:aws:iam::111122223333:user/alice";
    let a = &groups[0];
    assert_eq!(a["ruleId"], "bucket-deleted");
    assert_eq!(a["ruleTitle"], "Buckets Deleted");
    assert_eq!(a["level"], "high");
    assert_eq!(a["author"], "me");
    assert_eq!(a["principal"], alice);
    assert_eq!(a["sourceIPAddress"], "203.0.113.5");
    assert_eq!(a["count"], 30);
    assert_eq!(a["events"], 30);
    assert_eq!(a["first"], "2026-03-03T10:00:00Z");
    assert_eq!(a["last"], "2026-03-03T10:29:00Z");
    assert_eq!(a["accounts"], json!(["111122223333"]));
    assert_eq!(a["regions"], json!(["eu-west-1", "us-east-1"]));
    assert_eq!(
        a["eventNames"],
        json!({"DeleteBucket": 20, "DeleteBucketPolicy": 10})
    );
    assert_eq!(a["accessKeys"], json!(["AKIAEXAMPLE"]));
    assert_eq!(a["userAgents"], json!(["Boto3/1.34.0", "aws-cli/2.15.0"]));
    assert_eq!(a["unlisted"]["userAgents"], 0);
    let samples = a["samples"].as_array().unwrap();
    assert!(!samples.is_empty() && samples.len() <= 3, "{samples:?}");
    assert!(samples[0]["eventID"].as_str().unwrap().starts_with("a-"));
    assert!(
        samples[0]["object"]
            .as_str()
            .unwrap()
            .ends_with("111122223333_CloudTrail_us-east-1_a.json.gz")
    );
    assert_eq!(a["correlation"], Value::Null);
    let b = &groups[1];
    assert_eq!(b["principal"], alice);
    assert_eq!(b["sourceIPAddress"], "198.51.100.7");
    assert_eq!(b["count"], 12);
    assert_eq!(b["first"], "2026-03-03T10:30:30Z");
    assert_eq!(b["last"], "2026-03-03T10:41:30Z");
    assert_eq!(b["regions"], json!(["us-east-1"]));
    assert_eq!(b["eventNames"], json!({"DeleteBucket": 12}));
    // The same groups as one JSON array and as CSV.
    let r = with(&["--format", "json", "--group"]);
    let v: Value = serde_json::from_str(&r.stdout).expect("one JSON array");
    assert_eq!(v, Value::Array(groups.clone()));
    let r = with(&["--format", "csv", "--group"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(
        lines[0].starts_with(
            "ruleId,ruleTitle,level,tags,author,principal,sourceIPAddress,count,events,first,last"
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(&format!(
            "bucket-deleted,Buckets Deleted,high,,me,{alice},203.0.113.5,30,30,2026-03-03T10:00:00Z,"
        )),
        "{}",
        lines[1]
    );
    // The table has one row per group, the bigger first.
    let r = with(&["--format", "table"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("[HIGH] Buckets Deleted  (42 findings)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("2 groups"), "{}", r.stdout);
    let rows: Vec<&str> = lines_with(&r.stdout, alice)
        .into_iter()
        .filter(|l| l.starts_with('│'))
        .collect();
    assert_eq!(rows.len(), 2, "{}", r.stdout);
    assert!(
        rows[0].contains("│ 30 ") && rows[0].contains("203.0.113.5"),
        "{}",
        rows[0]
    );
    assert!(
        rows[0].contains("DeleteBucket (20), DeleteBucketPolicy (10)"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("│ 12 ") && rows[1].contains("198.51.100.7"),
        "{}",
        rows[1]
    );
    assert!(
        r.stdout.contains(&format!("top principals: {alice} (42)")),
        "{}",
        r.stdout
    );
    // A correlation's group is its group-by values, and it covers the events of its window.
    let attack = attack_archive(&dir.path().join("attack"));
    let burst = findings(&hunt(&[
        "--format",
        "jsonl",
        "--group",
        "--rule",
        ACCESS_DENIED_BURST,
        attack.to_str().unwrap(),
    ]));
    assert_eq!(burst.len(), 1);
    assert_eq!(burst[0]["principal"], "arn:aws:iam::111122223333:user/intruder");
    assert_eq!(burst[0]["count"], 1);
    assert_eq!(burst[0]["events"], 40);
    assert_eq!(burst[0]["eventNames"], json!({"ListUsers": 40}));
    assert_eq!(burst[0]["first"], "2026-03-03T10:01:00Z");
    assert_eq!(burst[0]["correlation"]["type"], "event_count");
    assert_eq!(
        burst[0]["correlation"]["group"]["userIdentity.arn"],
        "arn:aws:iam::111122223333:user/intruder"
    );
}

#[test]
fn rules_over_one_percent_of_the_events_are_flagged_noisy() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = Vec::new();
    for i in 0..200u32 {
        let name = match i {
            0..3 => "GetBucketAcl",
            3..5 => "GetBucketPolicy",
            _ => "HeadBucket",
        };
        records.push(api(
            "s3.amazonaws.com",
            name,
            &at(i / 60, i % 60),
            &format!("e-{i}"),
        ));
    }
    let src = archive_of(&dir.path().join("src"), &records);
    let rules = dir.path().join("rules");
    rule_file(&rules, "acl-read", "Bucket ACL Read", "medium", &["GetBucketAcl"]);
    rule_file(
        &rules,
        "policy-read",
        "Bucket Policy Read",
        "medium",
        &["GetBucketPolicy"],
    );
    let sources = [
        "--no-builtin",
        "--rules",
        rules.to_str().unwrap(),
        src.to_str().unwrap(),
    ];
    let base = [&["--format", "jsonl"], &sources[..]].concat();
    // 3 findings over 200 events is 1.5%: noisy; 2 is exactly 1%: not.
    let r = hunt(&[&["--stats"], &base[..]].concat());
    assert_eq!(findings(&r).len(), 5);
    assert!(r.stderr.contains("200 events in the window"), "{}", r.stderr);
    let acl = lines_with(&r.stderr, "Bucket ACL Read");
    assert_eq!(acl.len(), 1, "{}", r.stderr);
    assert!(
        acl[0].contains("3 findings in 1 group") && acl[0].contains("noisy: review or suppress"),
        "{}",
        r.stderr
    );
    let policy = lines_with(&r.stderr, "Bucket Policy Read");
    assert_eq!(policy.len(), 1, "{}", r.stderr);
    assert!(
        policy[0].contains("2 findings in 1 group") && !policy[0].contains("noisy"),
        "{}",
        r.stderr
    );
    // Without the summary the warning is still printed, for the noisy rule only; -q silences it.
    let r = hunt(&base);
    assert_eq!(findings(&r).len(), 5);
    let noisy = lines_with(&r.stderr, "noisy: review or suppress");
    assert_eq!(noisy.len(), 1, "{}", r.stderr);
    assert!(noisy[0].contains("Bucket ACL Read"), "{}", r.stderr);
    assert!(!r.stderr.contains("Bucket Policy Read"), "{}", r.stderr);
    let r = hunt(&[&["-q"], &base[..]].concat());
    assert_eq!(findings(&r).len(), 5);
    assert!(!r.stderr.contains("noisy"), "{}", r.stderr);
    // The table marks the noisy section.
    let r = hunt(&[&["--format", "table"], &sources[..]].concat());
    let at_acl = r.stdout.find("Bucket ACL Read").expect(&r.stdout);
    let at_policy = r.stdout.find("Bucket Policy Read").expect(&r.stdout);
    let marked = r.stdout.find("noisy: review or suppress").expect(&r.stdout);
    assert!(at_acl < marked && marked < at_policy, "{}", r.stdout);
    assert_eq!(r.stdout.matches("noisy").count(), 1, "{}", r.stdout);
}
