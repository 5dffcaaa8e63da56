//! What the `ctscan hunt` tests share: a hand-made archive that trips a handful of built-in rules (a stopped
//! trail, an access-denied burst, the stop/user-data/start sequence, a kali user agent), the ids of those
//! rules, and helpers that run `ctscan hunt` and read its findings.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::util::*;

pub const STOP_LOGGING: &str = "cloudtrail_logging_stopped";
pub const ACCESS_DENIED_BURST: &str = "access_denied_burst";
pub const USER_DATA_SEQUENCE: &str = "ec2_user_data_sequence";
pub const OFFENSIVE_UA: &str = "offensive_user_agent";

pub fn at(minute: u32, second: u32) -> String {
    format!("2026-03-03T10:{minute:02}:{second:02}Z")
}

pub fn api(source: &str, name: &str, time: &str, id: &str) -> Value {
    let mut e = event(name, time);
    e["eventSource"] = source.into();
    e["eventID"] = id.into();
    e["requestParameters"] = Value::Null;
    e
}

/// An archive with a stopped trail, an access-denied burst, the stop/user-data/start sequence, a kali user
/// agent, and benign calls around them.
pub fn attack_archive(root: &Path) -> PathBuf {
    let mut stop = api("cloudtrail.amazonaws.com", "StopLogging", &at(0, 0), "stop-1");
    stop["resources"] =
        json!([{"ARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/org", "accountId": "111122223333"}]);
    let mut records = vec![
        stop,
        api("s3.amazonaws.com", "ListBuckets", &at(0, 5), "benign-1"),
        api("ec2.amazonaws.com", "DescribeInstances", &at(0, 6), "benign-2"),
    ];
    for i in 0..40 {
        let mut e = api(
            "iam.amazonaws.com",
            "ListUsers",
            &at(1 + i / 20, (i % 20) * 3),
            &format!("denied-{i}"),
        );
        e["errorCode"] = "AccessDenied".into();
        e["userIdentity"]["arn"] = "arn:aws:iam::111122223333:user/intruder".into();
        records.push(e);
    }
    records.push(api("ec2.amazonaws.com", "StopInstances", &at(5, 0), "seq-1"));
    let mut modify = api("ec2.amazonaws.com", "ModifyInstanceAttribute", &at(6, 0), "seq-2");
    modify["requestParameters"] = json!({"instanceId": "i-1", "userData": "<sensitiveDataRemoved>"});
    records.push(modify);
    records.push(api("ec2.amazonaws.com", "StartInstances", &at(7, 0), "seq-3"));
    let mut kali = api("sts.amazonaws.com", "GetCallerIdentity", &at(8, 0), "kali-1");
    kali["userAgent"] = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-kali3-amd64".into();
    records.push(kali);
    write(
        &log_path(
            root,
            "111122223333",
            "us-east-1",
            "2026-03-03",
            "111122223333_CloudTrail_us-east-1_a.json.gz",
        ),
        &delivery(&records),
    );
    root.to_path_buf()
}

pub fn hunt(args: &[&str]) -> Run {
    let mut all = vec!["hunt"];
    all.extend_from_slice(args);
    ctscan(&all)
}

pub fn findings(r: &Run) -> Vec<Value> {
    assert_eq!(r.code, 0, "hunt failed: {}", r.stderr);
    jsonl(&r.stdout)
}

pub fn titles(rows: &[Value]) -> BTreeSet<String> {
    rows.iter()
        .map(|r| r["ruleTitle"].as_str().unwrap().to_string())
        .collect()
}
