//! `ctscan rules`: the built-in pack passes its own test events, lints clean, and is listed; the Sigma
//! features each have a rule with positive and negative events (testdata/sigma); lint catches rules that
//! can never fire.

use std::path::Path;

use crate::util::*;

fn manifest(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(p)
        .display()
        .to_string()
}

#[test]
fn the_builtin_pack_passes_its_test_events() {
    let r = ctscan(&["rules", "test"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let summary = r.stdout.lines().last().unwrap();
    let passed: usize = summary.split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 50, "{summary}");
    assert!(
        summary.ends_with("passed, 0 failed, 0 without test events"),
        "{summary}"
    );
    assert!(!r.stdout.contains("FAIL"));
}

#[test]
fn every_sigma_feature_behaves_as_specified() {
    let r = ctscan(&["rules", "test", &manifest("testdata/sigma")]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for feature in [
        "feature-map_is_and",
        "feature-list_is_or",
        "feature-list_of_maps_is_or",
        "feature-null_value",
        "feature-numbers",
        "feature-booleans",
        "feature-case_insensitive",
        "feature-wildcards",
        "feature-escaped_wildcards",
        "feature-string_modifiers",
        "feature-all_modifier",
        "feature-regex",
        "feature-cidr",
        "feature-exists",
        "feature-fieldref",
        "feature-fieldref_contains",
        "feature-base64",
        "feature-quantifiers",
        "feature-them",
        "feature-struct_paths",
        "feature-array_paths",
        "feature-json_object_contains",
        "feature-missing_fields",
        "feature-unknown_member",
        "feature-sigma1_count",
        "feature-temporal",
        "feature-expand_placeholder",
        "feature-struct_object_contains",
    ] {
        assert!(
            r.stdout.contains(&format!("PASS  {feature} ")),
            "{feature}: {}",
            r.stdout
        );
    }
}

#[test]
fn a_failing_rule_test_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("r.yml"),
        b"title: Stop\nid: stop\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName: StopLogging\n  condition: sel\n",
    );
    write(
        &dir.path().join("r.tests.json"),
        br#"{"positive": [{"eventName": "StartLogging"}], "negative": [{"eventName": "StopLogging"}]}"#,
    );
    write(
        &dir.path().join("untested.yml"),
        b"title: U\nid: u\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName: X\n  condition: sel\n",
    );
    let r = ctscan(&["rules", "test", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("FAIL  stop Stop"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("positive event positive-0 (StartLogging) was not flagged"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("negative event negative-0 (StopLogging) was flagged"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("untested.yml: no test events"), "{}", r.stdout);
}

#[test]
fn list_and_show() {
    let r = ctscan(&["rules", "list"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("CloudTrail Logging Stopped"));
    assert!(r.stdout.contains("builtin:rules/cloudtrail_logging_stopped.yml"));
    let n: usize = r
        .stdout
        .lines()
        .last()
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(n >= 50, "{n}");
    let r = ctscan(&["rules", "show", "cloudtrail_logging_stopped"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("eventName: StopLogging"), "{}", r.stdout);
    assert!(r.stdout.contains("references:"));
    assert_eq!(ctscan(&["rules", "show", "no-such-rule"]).code, 2);
}

#[test]
fn lint_catches_rules_that_can_never_fire() {
    assert_eq!(
        ctscan(&["rules", "lint"]).code,
        0,
        "the built-in pack lints clean"
    );
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("lifecycle.yml"),
        b"title: Lifecycle\nid: lc\ndescription: d\nreferences: [https://example.com]\ntags: [attack.t1070]\n\
logsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventSource: s3.amazonaws.com\n    eventName: PutLifecycleConfiguration\n  filter:\n    type: AssumedRole\n  condition: sel and not filter\n",
    );
    write(&dir.path().join("bad.yml"), b"title: Bad\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|nosuchmod: x\n  condition: sel\n");
    let r = ctscan(&["rules", "lint", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("eventName \"PutLifecycleConfiguration\" is not in the catalogue of CloudTrail event names of s3.amazonaws.com (CloudTrail logs it as PutBucketLifecycle): this rule can never fire"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("field \"type\" is not a CloudTrail field"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("bad.yml: error: unsupported: modifier \"nosuchmod\""),
        "{}",
        r.stdout
    );
}

/// `rules lint` over one rule file per (id, eventSource, eventName), each with the metadata a rule needs, so
/// only what lint says of the call is left.
fn lint_calls(rules: &[(&str, &str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    for (id, source, name) in rules {
        let yaml = format!(
            "title: Call {id}\nid: call-{id}\ndescription: d\nreferences: [https://example.com]\ntags: [attack.t1580]\n\
logsource: {{product: aws, service: cloudtrail}}\ndetection:\n  sel:\n    eventSource: {source}\n    eventName: {name}\n  condition: sel\n"
        );
        write(&dir.path().join(format!("{id}.yml")), yaml.as_bytes());
    }
    ctscan(&["rules", "lint", dir.path().to_str().unwrap()])
}

#[test]
fn lint_knows_rare_real_api_calls_and_flags_only_the_made_up_one() {
    // The catalogue holds every operation of every service in botocore, so rare calls that CloudTrail logs
    // are known; only the invented name is reported as unable to fire.
    let rules = [
        ("dhcp", "ec2.amazonaws.com", "DescribeDhcpOptions"),
        ("macie", "macie2.amazonaws.com", "CreateFindingsFilter"),
        ("fleet", "iot.amazonaws.com", "CreateFleetMetric"),
        ("report", "backup.amazonaws.com", "DeleteReportPlan"),
        ("scan", "ecr.amazonaws.com", "PutRegistryScanningConfiguration"),
        ("token", "sso.amazonaws.com", "CreateToken"),
        ("fake", "ec2.amazonaws.com", "DescribeDhcpOptionsEverywhere"),
    ];
    let r = lint_calls(&rules);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let never: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains("can never fire"))
        .collect();
    assert_eq!(never.len(), 1, "{}", r.stdout);
    assert!(
        never[0].contains("fake.yml")
            && never[0].contains("eventName \"DescribeDhcpOptionsEverywhere\" is not in the catalogue of CloudTrail event names of ec2.amazonaws.com"),
        "{}",
        r.stdout
    );
    for (id, _, name) in &rules[..rules.len() - 1] {
        assert!(!r.stdout.contains(&format!("\"{name}\"")), "{id}: {}", r.stdout);
    }
    assert!(
        !r.stdout
            .contains("is not in the catalogue of CloudTrail event sources"),
        "{}",
        r.stdout
    );
}

#[test]
fn lint_knows_logged_events_that_are_no_api_call_and_judges_no_name_of_an_unknown_source() {
    // Sign-in, Identity Center's directory and portal, and CloudShell log events no SDK has; a source the
    // catalogue lacks is said, and its names are not called dead.
    let rules = [
        ("recovery", "signin.amazonaws.com", "PasswordRecoveryRequested"),
        ("directory", "sso-directory.amazonaws.com", "CreateUser"),
        ("portal", "sso.amazonaws.com", "GetRoleCredentials"),
        ("shell", "cloudshell.amazonaws.com", "CreateEnvironment"),
        ("unknown", "newservice.amazonaws.com", "DoSomethingNew"),
    ];
    let r = lint_calls(&rules);
    assert!(!r.stdout.contains("can never fire"), "{}", r.stdout);
    let problems: Vec<&str> = r.stdout.lines().filter(|l| l.contains(".yml: ")).collect();
    assert_eq!(problems.len(), 1, "{}", r.stdout);
    assert!(
        problems[0].contains("unknown.yml")
            && problems[0].contains(
                "eventSource \"newservice.amazonaws.com\" is not in the catalogue of CloudTrail event sources, so its event names are not checked"
            ),
        "{}",
        r.stdout
    );
    assert_eq!(r.code, 1);
}
