//! `ctscan hunt` rules and what selects them: the built-in pack flags the attacks of an archive and of its
//! lake alike (single events and correlations, the Sigma feature rules too), `--rule`, `--tag`,
//! `--min-level`, `--exclude-rule` and the time window choose what runs, suppressions drop known-good
//! activity, and user rule folders load beside broken rules.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use crate::hunt_fixtures::{
    ACCESS_DENIED_BURST, OFFENSIVE_UA, STOP_LOGGING, USER_DATA_SEQUENCE, api, at, attack_archive, findings,
    hunt, titles,
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

#[test]
fn correlations_may_name_their_rules_by_title_as_suzaku_packs_do() {
    let dir = tempfile::tempdir().unwrap();
    let src = attack_archive(&dir.path().join("src"));
    let rules = dir.path().join("rules");
    let base = |title: &str, id: &str, selection: &str| {
        format!(
            "title: {title}\nid: {id}\nstatus: test\nlogsource: {{product: aws, service: cloudtrail}}\n\
detection:\n  selection:\n    {selection}\n  condition: selection\nlevel: informational\n"
        )
    };
    // Suzaku's layout: each base rule in a file of its own, the correlation naming it by title.
    write(
        &rules.join("aws_access_denied.yml"),
        base(
            "AWS AccessDenied Error",
            "5ef4f1d6-0001",
            "errorCode: AccessDenied",
        )
        .as_bytes(),
    );
    write(
        &rules.join("correlation_access_denied.yml"),
        b"title: Many AccessDenied Errors From One Principal\nid: 5ef4f1d6-0002\nstatus: test\n\
correlation:\n  type: event_count\n  rules:\n    - AWS AccessDenied Error\n  group-by:\n    - userIdentity.arn\n  \
timespan: 10m\n  condition:\n    gte: 20\nlevel: high\n",
    );
    // Two rules share a title: a correlation naming it is refused with both named, and neither is silenced.
    write(
        &rules.join("twins.yml"),
        format!(
            "{}---\n{}---\ntitle: Twin Burst\nid: twin-burst\ncorrelation:\n  type: event_count\n  rules: [Twin]\n  \
group-by: [userIdentity.arn]\n  timespan: 10m\n  condition: {{gte: 1}}\nlevel: high\n",
            base("Twin", "twin-a", "eventName: StopLogging"),
            base("Twin", "twin-b", "eventName: StartInstances")
        )
        .as_bytes(),
    );
    // A correlation that cannot load still keeps silent the rule it does name (generate: false).
    write(
        &rules.join("half.yml"),
        format!(
            "{}---\ntitle: Half\nid: half\ncorrelation:\n  type: temporal\n  rules: [Caller Identity, Nowhere]\n  \
group-by: [userIdentity.arn]\n  timespan: 10m\nlevel: high\n",
            base("Caller Identity", "caller", "eventName: GetCallerIdentity")
        )
        .as_bytes(),
    );
    let r = hunt(&[
        "--format",
        "jsonl",
        "--min-level",
        "informational",
        "--no-builtin",
        "--rules",
        rules.to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "two correlations were refused: {}", r.stderr);
    let rows = jsonl(&r.stdout);
    let by_rule = |id: &str| rows.iter().filter(|f| f["ruleId"] == id).count();
    assert_eq!(by_rule("5ef4f1d6-0002"), 1, "{rows:?}");
    assert_eq!(
        by_rule("5ef4f1d6-0001"),
        0,
        "the base rule reports only through its correlation"
    );
    assert_eq!((by_rule("twin-a"), by_rule("twin-b")), (1, 1));
    assert_eq!(by_rule("twin-burst"), 0);
    assert_eq!((by_rule("caller"), by_rule("half")), (0, 0));
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        r.stderr.contains("twin-burst")
            && r.stderr
                .contains("\"Twin\" is the title of 2 rules (twin-a, twin-b)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("half refers to rules that are not loaded: \"Nowhere\"")
            && r.stderr
                .contains("stay silent, as it asks (generate: false): caller"),
        "{}",
        r.stderr
    );
    // `rules lint` says which references lean on titles.
    let lint = ctscan(&["rules", "lint", rules.to_str().unwrap()]);
    assert!(
        lint.stdout
            .contains("5ef4f1d6-0002: refers to rule \"AWS AccessDenied Error\" by its title"),
        "{}",
        lint.stdout
    );
    assert!(
        lint.stdout.contains("\"Twin\" is the title of 2 rules"),
        "{}",
        lint.stdout
    );
    assert!(
        !lint.stdout.contains("5ef4f1d6-0001: no references"),
        "a base rule needs no reporting metadata: {}",
        lint.stdout
    );
}

#[test]
fn navigator_layer_scores_the_techniques_of_the_reported_findings() {
    let dir = tempfile::tempdir().unwrap();
    let src = attack_archive(&dir.path().join("src"));
    let layer_path = dir.path().join("layer.json");
    let r = hunt(&[
        "--format",
        "jsonl",
        "--navigator",
        layer_path.to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = findings(&r);
    let layer: Value = serde_json::from_slice(&std::fs::read(&layer_path).unwrap()).unwrap();
    assert_eq!(layer["domain"], "enterprise-attack");
    let techniques = layer["techniques"].as_array().unwrap();
    let by_id = |id: &str| techniques.iter().find(|t| t["techniqueID"] == id);
    // StopLogging: one finding of the logging-stopped rule, with the detonation that reproduces it.
    let stop = by_id("T1562.008").expect("the logging-stopped technique");
    let stop_findings = rows
        .iter()
        .filter(|f| f["ruleTitle"] == "CloudTrail Logging Stopped")
        .count() as u64;
    assert_eq!(stop["score"].as_u64(), Some(stop_findings));
    assert!(
        stop["metadata"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "stratus" && m["value"] == "aws.defense-evasion.cloudtrail-stop"),
        "{stop}"
    );
    assert!(by_id("T1059.009").is_some(), "user data modified: {techniques:?}");
    // Rules left out below the level shown add nothing.
    assert!(!rows.iter().any(|f| f["level"] == "low"));
}

/// An archive of account 111122223333: a call in us-east-1 at `first`, then a key pair imported in
/// ap-south-1 (a region it never used) at `import`.
fn key_pair_archive(root: &Path, first: &str, import: &str) {
    let mut usual = api("ec2.amazonaws.com", "DescribeInstances", first, "usual-1");
    usual["awsRegion"] = "us-east-1".into();
    let mut key = api("ec2.amazonaws.com", "ImportKeyPair", import, "import-1");
    key["awsRegion"] = "ap-south-1".into();
    for (region, day, e) in [
        ("us-east-1", &first[..10], usual),
        ("ap-south-1", &import[..10], key),
    ] {
        write(
            &log_path(
                root,
                "111122223333",
                region,
                day,
                &format!("111122223333_CloudTrail_{region}_a.json.gz"),
            ),
            &delivery(&[e]),
        );
    }
}

#[test]
fn a_baseline_with_too_little_history_says_so_instead_of_staying_silent() {
    let dir = tempfile::tempdir().unwrap();
    // The archive's first day: the import comes 2 hours after the account's first event.
    let young = dir.path().join("young");
    key_pair_archive(&young, "2026-03-03T08:00:00Z", "2026-03-03T10:00:00Z");
    let r = hunt(&["--format", "jsonl", young.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !r.stdout.contains("Resources Created In A Region"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains(
            "rule \"Resources Created In A Region The Account Never Used\" (8c2d4e6f-1a3b-5c7d-9e0f-2b4d6f8a0c1e): \
1 group new in the data could not be judged: the data holds less than 24 h of earlier events of their \
recipientAccountId (the first: recipientAccountId=111122223333, awsRegion=ap-south-1 at 2026-03-03T10:00:00Z)"
        ),
        "{}",
        r.stderr
    );
    // With two days of history it is judged, and fires; nothing is said.
    let old = dir.path().join("old");
    key_pair_archive(&old, "2026-03-01T08:00:00Z", "2026-03-03T10:00:00Z");
    let r = hunt(&["--format", "jsonl", old.to_str().unwrap()]);
    assert!(
        r.stdout
            .contains("Resources Created In A Region The Account Never Used"),
        "{}",
        r.stdout
    );
    assert!(!r.stderr.contains("could not be judged"), "{}", r.stderr);
}

/// A read-only sweep of every region (security tooling) does not make a region used: the import after it is
/// still flagged, where a write there earlier makes it routine.
#[test]
fn a_scanners_reads_do_not_make_a_region_used() {
    let dir = tempfile::tempdir().unwrap();
    let archive = |name: &str, read_only: bool| {
        let root = dir.path().join(name);
        key_pair_archive(&root, "2026-03-01T08:00:00Z", "2026-03-03T10:00:00Z");
        let mut sweep = api(
            "ec2.amazonaws.com",
            "DescribeKeyPairs",
            "2026-03-02T06:00:00Z",
            "sweep-1",
        );
        sweep["awsRegion"] = "ap-south-1".into();
        sweep["readOnly"] = read_only.into();
        write(
            &log_path(
                &root,
                "111122223333",
                "ap-south-1",
                "2026-03-02",
                "111122223333_CloudTrail_ap-south-1_sweep.json.gz",
            ),
            &delivery(&[sweep]),
        );
        root
    };
    let title = "Resources Created In A Region The Account Never Used";
    let read = archive("read", true);
    let lake = dir.path().join("lake");
    let made = ctscan(&["export", read.to_str().unwrap(), "--out", lake.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    for source in [&read, &lake] {
        let r = hunt(&["--format", "jsonl", source.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(
            findings(&r).iter().filter(|f| f["ruleTitle"] == title).count(),
            1,
            "{}",
            r.stdout
        );
    }
    let written = archive("written", false);
    let r = hunt(&["--format", "jsonl", written.to_str().unwrap()]);
    assert!(!r.stdout.contains(title), "{}", r.stdout);
}

/// Instance sessions behind one NAT gateway with three addresses stay quiet; a session also seen from an
/// address no other session uses is flagged; a session seen from more addresses than the baseline keeps is
/// named on stderr as not judged, not silently passed over.
#[test]
fn an_instance_session_from_an_address_no_other_uses_is_flagged_and_a_roamer_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let session = |instance: &str| {
        json!({"type": "AssumedRole", "accountId": "111122223333", "principalId": format!("AROAAPP:{instance}"),
               "arn": format!("arn:aws:sts::111122223333:assumed-role/app/{instance}"),
               "accessKeyId": format!("ASIA{}", instance.to_uppercase().replace('-', ""))})
    };
    let mut records = Vec::new();
    let mut call = |instance: &str, ip: &str, minute: usize| {
        let id = format!("call-{}", records.len());
        let mut e = api("ec2.amazonaws.com", "DescribeTags", &at(minute as u32, 0), &id);
        e["userIdentity"] = session(instance);
        e["sourceIPAddress"] = ip.into();
        records.push(e);
    };
    let nat = ["52.14.7.9", "52.14.7.10", "3.90.1.2"];
    for (i, instance) in [
        "i-0aaaaaaaaaaaaaaa1",
        "i-0aaaaaaaaaaaaaaa2",
        "i-0aaaaaaaaaaaaaaa3",
    ]
    .iter()
    .enumerate()
    {
        for (k, ip) in nat.iter().enumerate() {
            call(instance, ip, i * 3 + k);
        }
    }
    call("i-0aaaaaaaaaaaaaaa2", "185.220.101.47", 30);
    call("i-0aaaaaaaaaaaaaaa9", "52.14.7.9", 31);
    let roaming: Vec<String> = (0..70)
        .map(|i| format!("198.18.{}.{}", i / 10, i % 10 + 1))
        .collect();
    for (i, ip) in roaming.iter().enumerate() {
        call("i-0aaaaaaaaaaaaaaa9", ip, 32 + i % 20);
    }
    write(
        &log_path(
            dir.path(),
            "111122223333",
            "us-east-1",
            "2026-03-03",
            "111122223333_CloudTrail_us-east-1_a.json.gz",
        ),
        &delivery(&records),
    );
    let lake = tempfile::tempdir().unwrap();
    let lake = lake.path().join("lake");
    let made = ctscan(&[
        "export",
        dir.path().to_str().unwrap(),
        "--out",
        lake.to_str().unwrap(),
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    for source in [dir.path(), lake.as_path()] {
        rare_address_found(source);
    }
}

fn rare_address_found(source: &Path) {
    let r = hunt(&["--format", "jsonl", source.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let flagged: Vec<Value> = findings(&r)
        .into_iter()
        .filter(|f| f["ruleTitle"] == "Instance Role Credentials Used From An Address No Other Workload Uses")
        .collect();
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert_eq!(flagged[0]["sourceIPAddress"], "185.220.101.47");
    assert_eq!(flagged[0]["correlation"]["count"], 1);
    assert!(
        r.stderr.contains(
            "rule \"Instance Role Credentials Used From An Address No Other Workload Uses\" \
(2f7c3b8e-5d41-5a96-8e0b-6c1d9f4a7e23): 1 group could not be judged: each holds more than 64 distinct \
values, so none of them can be told rare (the first: recipientAccountId=111122223333, \
userIdentity.arn=arn:aws:sts::111122223333:assumed-role/app/i-0aaaaaaaaaaaaaaa9 from"
        ),
        "{}",
        r.stderr
    );
}
