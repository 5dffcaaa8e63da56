//! `ctscan hunt` rules and what selects them: the built-in pack flags the attacks of an archive and of its
//! lake alike (single events and correlations, the Sigma feature rules too), `--rule`, `--tag`,
//! `--min-level`, `--exclude-rule` and the time window choose what runs, suppressions drop known-good
//! activity, and user rule folders load beside broken rules.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::hunt_fixtures::{
    ACCESS_DENIED_BURST, OFFENSIVE_UA, STOP_LOGGING, USER_DATA_SEQUENCE, attack_archive, findings, hunt,
    titles,
};
use crate::util::*;

/// (rule name, eventID) of every finding, via the built-in rule's name looked up from its id.
fn rule_events(rows: &[Value]) -> BTreeSet<(String, String)> {
    rows.iter()
        .map(|r| {
            (
                r["ruleTitle"].as_str().unwrap_or_default().to_string(),
                r["eventID"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn hunt_flags_attacks_in_an_archive_and_in_its_lake_alike() {
    let dir = tempfile::tempdir().unwrap();
    let src = attack_archive(&dir.path().join("src"));
    let rows = findings(&hunt(&[
        "--format",
        "jsonl",
        "--min-level",
        "informational",
        src.to_str().unwrap(),
    ]));
    let t = titles(&rows);
    for want in [
        "CloudTrail Logging Stopped",
        "Burst Of Access Denied Errors From One Principal",
        "Instance Stopped, User Data Changed, Instance Started",
        "EC2 User Data Modified",
        "Request From An Offensive Security Tool Or Distribution",
    ] {
        assert!(t.contains(want), "{want} missing from {t:?}");
    }
    let ids: BTreeSet<&str> = rows.iter().filter_map(|r| r["eventID"].as_str()).collect();
    assert!(!ids.contains("benign-1") && !ids.contains("benign-2"), "{ids:?}");
    // A plain finding carries the rule identity, key columns, the object and the whole event.
    let stop = rows
        .iter()
        .find(|r| r["ruleTitle"] == "CloudTrail Logging Stopped")
        .unwrap();
    assert_eq!(stop["level"], "high");
    assert_eq!(stop["author"], "ctscan project");
    assert!(
        stop["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "attack.t1562.008")
    );
    assert_eq!(stop["eventName"], "StopLogging");
    assert_eq!(stop["account"], "111122223333");
    assert_eq!(stop["principalArn"], "arn:aws:iam::111122223333:user/alice");
    assert_eq!(stop["eventTime"], "2026-03-03T10:00:00Z");
    assert!(
        stop["object"]
            .as_str()
            .unwrap()
            .ends_with("111122223333_CloudTrail_us-east-1_a.json.gz")
    );
    assert_eq!(stop["event"]["eventSource"], "cloudtrail.amazonaws.com");
    assert_eq!(stop["event"]["userIdentity"]["userName"], "alice");
    // The burst is one correlation finding over the 40 events, grouped by principal.
    let burst: Vec<&Value> = rows
        .iter()
        .filter(|r| r["ruleTitle"] == "Burst Of Access Denied Errors From One Principal")
        .collect();
    assert_eq!(burst.len(), 1);
    assert_eq!(burst[0]["correlation"]["count"], 40);
    assert_eq!(burst[0]["correlation"]["type"], "event_count");
    assert_eq!(
        burst[0]["correlation"]["group"]["userIdentity.arn"],
        "arn:aws:iam::111122223333:user/intruder"
    );
    // The window's 40 events are all named by id; at most 20 are listed whole.
    assert_eq!(burst[0]["correlation"]["eventCount"], 40);
    assert_eq!(burst[0]["correlation"]["eventIDs"].as_array().unwrap().len(), 40);
    assert_eq!(burst[0]["events"].as_array().unwrap().len(), 20);
    // Base rules of correlations report nothing on their own.
    assert!(!t.contains("Access denied error"), "{t:?}");

    let lake = dir.path().join("lake");
    let r = ctscan(&["export", src.to_str().unwrap(), "--out", lake.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let from_lake = findings(&hunt(&[
        "--format",
        "jsonl",
        "--min-level",
        "informational",
        lake.to_str().unwrap(),
    ]));
    assert_eq!(rule_events(&from_lake), rule_events(&rows));
    // The Sigma feature rules (struct, array and JSON paths among them) agree between the archive and its lake.
    let features = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sigma");
    let f = features.to_str().unwrap();
    let raw_f = findings(&hunt(&[
        "--format",
        "jsonl",
        "--min-level",
        "informational",
        "--no-builtin",
        "--rules",
        f,
        src.to_str().unwrap(),
    ]));
    let lake_f = findings(&hunt(&[
        "--format",
        "jsonl",
        "--min-level",
        "informational",
        "--no-builtin",
        "--rules",
        f,
        lake.to_str().unwrap(),
    ]));
    assert_eq!(rule_events(&lake_f), rule_events(&raw_f));
    assert!(
        raw_f
            .iter()
            .any(|r| r["ruleId"] == "feature-array_paths" && r["eventID"] == "stop-1"),
        "{:?}",
        rule_events(&raw_f)
    );
    let stop_lake = from_lake
        .iter()
        .find(|r| r["ruleTitle"] == "CloudTrail Logging Stopped")
        .unwrap();
    assert_eq!(stop_lake["event"], stop["event"]);
}

#[test]
fn the_window_and_rule_filters_choose_what_runs() {
    let dir = tempfile::tempdir().unwrap();
    let src = attack_archive(dir.path());
    let s = src.to_str().unwrap();
    let only = findings(&hunt(&["--format", "jsonl", "--rule", STOP_LOGGING, s]));
    assert_eq!(
        titles(&only),
        BTreeSet::from(["CloudTrail Logging Stopped".to_string()])
    );
    let high = findings(&hunt(&["--format", "jsonl", "--min-level", "high", s]));
    assert!(
        high.iter()
            .all(|r| r["level"] == "high" || r["level"] == "critical")
    );
    assert!(!titles(&high).contains("Burst Of Access Denied Errors From One Principal"));
    let tagged = findings(&hunt(&["--format", "jsonl", "--tag", "attack.t1562", s]));
    assert!(titles(&tagged).contains("CloudTrail Logging Stopped"));
    assert!(!titles(&tagged).contains("EC2 User Data Modified"));
    let excluded = findings(&hunt(&[
        "--format",
        "jsonl",
        "--exclude-rule",
        OFFENSIVE_UA,
        "--exclude-rule",
        STOP_LOGGING,
        s,
    ]));
    let t = titles(&excluded);
    assert!(
        !t.contains("CloudTrail Logging Stopped")
            && !t.contains("Request From An Offensive Security Tool Or Distribution")
    );
    // The correlation still runs when only it is selected: its base rule is evaluated silently.
    let seq = findings(&hunt(&["--format", "jsonl", "--rule", USER_DATA_SEQUENCE, s]));
    assert_eq!(
        titles(&seq),
        BTreeSet::from(["Instance Stopped, User Data Changed, Instance Started".to_string()])
    );
    let burst = findings(&hunt(&["--format", "jsonl", "--rule", ACCESS_DENIED_BURST, s]));
    assert_eq!(burst.len(), 1);
    // A window that ends before the burst completes leaves too few events for it.
    let early = findings(&hunt(&[
        "--format",
        "jsonl",
        "--from",
        "2026-03-03T10:00:00Z",
        "--to",
        "2026-03-03T10:01:30Z",
        s,
    ]));
    let t = titles(&early);
    assert!(t.contains("CloudTrail Logging Stopped"));
    assert!(
        !t.contains("Burst Of Access Denied Errors From One Principal"),
        "{t:?}"
    );
    assert!(!t.contains("EC2 User Data Modified"));
}

#[test]
fn suppressions_drop_known_good_activity() {
    let dir = tempfile::tempdir().unwrap();
    let src = attack_archive(&dir.path().join("src"));
    let allow = dir.path().join("allow.yml");
    std::fs::write(
        &allow,
        format!(
            "- rule: {STOP_LOGGING}\n  reason: maintenance window\n  match:\n    userIdentity.arn|endswith: ':user/alice'\n\
- rule: '*'\n  reason: the red team\n  match:\n    userAgent|contains: kali\n\
- rule: {ACCESS_DENIED_BURST}\n  match:\n    eventID|startswith: denied-1\n"
        ),
    )
    .unwrap();
    let rows = findings(&hunt(&[
        "--format",
        "jsonl",
        "--allow",
        allow.to_str().unwrap(),
        src.to_str().unwrap(),
    ]));
    let t = titles(&rows);
    assert!(!t.contains("CloudTrail Logging Stopped"), "{t:?}");
    assert!(
        !t.contains("Request From An Offensive Security Tool Or Distribution"),
        "{t:?}"
    );
    // Suppressed events do not count towards the burst (ids denied-1x are 11 of the 40).
    assert!(
        !t.contains("Burst Of Access Denied Errors From One Principal"),
        "{t:?}"
    );
    assert!(t.contains("EC2 User Data Modified"));
    std::fs::write(&allow, "not: [a list").unwrap();
    let bad = hunt(&["--allow", allow.to_str().unwrap(), src.to_str().unwrap()]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("allow.yml"), "{}", bad.stderr);
}

#[test]
fn user_rules_load_beside_broken_ones() {
    let dir = tempfile::tempdir().unwrap();
    let src = attack_archive(&dir.path().join("src"));
    let rules = dir.path().join("rules");
    write(
        &rules.join("good.yml"),
        b"title: Kali caller\nid: my-kali\nlevel: critical\nauthor: me\nlogsource: {product: aws, service: cloudtrail}\n\
detection:\n  sel:\n    userAgent|contains: kali\n    eventName: GetCallerIdentity\n  condition: sel\n",
    );
    write(&rules.join("sub/broken.yml"), b"title: Broken\ndetection: [\n");
    write(
        &rules.join("keywords.yml"),
        b"title: Keywords\nid: kw\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  words:\n    - evil\n  condition: words\n",
    );
    write(
        &rules.join("windows.yml"),
        b"title: Windows\nid: win\nlogsource: {product: windows}\ndetection: {sel: {EventID: 1}, condition: sel}\n",
    );
    let r = hunt(&[
        "--format",
        "jsonl",
        "--no-builtin",
        "--rules",
        rules.to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "some rules were skipped: {}", r.stderr);
    let rows = jsonl(&r.stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["ruleId"], "my-kali");
    assert_eq!(rows[0]["level"], "critical");
    assert_eq!(rows[0]["author"], "me");
    assert!(r.stderr.contains("broken.yml: invalid YAML"), "{}", r.stderr);
    assert!(
        r.stderr.contains("keywords.yml") && r.stderr.contains("keyword"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("windows.yml") && r.stderr.contains("logsource"),
        "{}",
        r.stderr
    );
    let none = hunt(&["--no-builtin", src.to_str().unwrap()]);
    assert_eq!(none.code, 2);
    assert!(none.stderr.contains("no rules"), "{}", none.stderr);
}
