//! Attribution end to end: the `sessions` table against the generator's planted chains (archive, lake and
//! S3 alike) and against an independent resolver on real data; `trace`, `summary`, `group-by: actor`,
//! one event counted once, and `--timezone`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::s3_server::{ctscan_s3, moto};
use crate::util::{count, ctscan, files_under, jsonl, query, realdata, sample_options};

const SESSIONS: &str = "SELECT accessKeyId, kind, originType, originArn, hops, issuerAccessKeyId, roleArn, \
issuedByEventID, arn, calls FROM sessions ORDER BY accessKeyId";

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample")
}

fn anchor() -> String {
    ctscan_gen::chains::anchor(&sample_options())
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The rows where two `sessions` results differ, for a readable failure.
fn differences(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .take(5)
        .map(|k| format!("{k}: {:?} vs {:?}", a.get(k), b.get(k)))
        .collect()
}

fn by_key(rows: Vec<Value>) -> BTreeMap<String, Value> {
    rows.into_iter()
        .map(|r| (r["accessKeyId"].as_str().unwrap().to_string(), r))
        .collect()
}

/// Every planted credential is resolved hop for hop as the generator's ground truth says.
fn assert_planted_chains(rows: &BTreeMap<String, Value>, lookback: bool) {
    let truth = ctscan_gen::chains::expected_chains(&sample_options());
    assert!(truth.len() >= 12, "{truth:?}");
    for want in truth {
        let got = rows
            .get(want.access_key_id)
            .unwrap_or_else(|| panic!("{} missing from sessions", want.access_key_id));
        let ctx = format!("{} (chain {}): {got}", want.access_key_id, want.chain);
        assert_eq!(got["kind"], want.kind, "{ctx}");
        assert_eq!(got["originType"], want.origin_type, "{ctx}");
        assert_eq!(got["originArn"], want.origin_arn.as_str(), "{ctx}");
        assert_eq!(got["hops"], want.hops, "{ctx}");
        assert_eq!(
            got["issuerAccessKeyId"].as_str(),
            want.issuer_access_key_id,
            "{ctx}"
        );
        assert_eq!(got["roleArn"].as_str(), want.role_arn.as_deref(), "{ctx}");
        assert_eq!(
            got["issuedByEventID"].as_str(),
            want.issued_by_event_id.as_deref(),
            "{ctx}"
        );
        assert!(got["calls"].as_i64().unwrap() >= 1, "{ctx}");
    }
    let _ = lookback;
}

#[test]
fn planted_chains_resolve_exactly_in_the_archive_with_and_without_a_window() {
    let whole = by_key(query(&sample(), SESSIONS, &[]));
    assert_planted_chains(&whole, false);
    // From the chains' anchor on, scenario 6's issuing events are only found by looking back.
    let from = anchor();
    let r = ctscan(&[
        "query",
        "--stats",
        "--format",
        "jsonl",
        "--from",
        &from,
        sample().to_str().unwrap(),
        SESSIONS,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("36 h before the window"), "{}", r.stderr);
    let windowed = by_key(jsonl(&r.stdout));
    assert_planted_chains(&windowed, true);
    assert!(
        !windowed.contains_key("AKIACHAINMISSING"),
        "only credentials of the window are rows"
    );
}

#[test]
fn planted_chains_resolve_the_same_on_a_lake() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let r = ctscan(&[
        "export",
        sample().to_str().unwrap(),
        "--out",
        lake.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let from = anchor();
    let on_lake = by_key(query(&lake, SESSIONS, &["--from", &from]));
    assert_planted_chains(&on_lake, true);
    let local = by_key(query(&sample(), SESSIONS, &["--from", &from]));
    assert!(on_lake == local, "{:#?}", differences(&on_lake, &local));
}

#[test]
fn planted_chains_resolve_the_same_over_s3() {
    let Some(m) = moto() else { return };
    m.upload("trail", &sample(), "", &[]);
    let from = anchor();
    let r = ctscan_s3(
        &m.endpoint,
        &[
            "query",
            "--format",
            "jsonl",
            "--from",
            &from,
            "s3://trail",
            SESSIONS,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let over_s3 = by_key(jsonl(&r.stdout));
    assert_planted_chains(&over_s3, true);
    let local = by_key(query(&sample(), SESSIONS, &["--from", &from]));
    assert!(over_s3 == local, "{:#?}", differences(&over_s3, &local));
}

/// The independent resolver in `tests/oracle/sessions.py` and ctscan agree on every credential of the real
/// sets (chains written down in `tests/oracle/REALDATA_CHAINS.md`).
#[test]
fn real_chains_match_the_independent_resolver() {
    let Some(root) = realdata() else { return };
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/sessions.py");
    let fields = [
        "kind",
        "originType",
        "originArn",
        "hops",
        "issuerAccessKeyId",
        "issuedByEventID",
        "roleArn",
        "calls",
        "accounts",
        "sourceIPs",
    ];
    let mut resolved = 0;
    for set in [
        "flaws2-cloud-defender",
        "otrf-ec2-proxy-s3-exfil",
        "stratus-red-team-detonations",
    ] {
        for window in [
            vec![],
            vec!["--from".to_string(), "2020-09-14T01:00:00Z".to_string()],
        ] {
            let dir = root.join(set);
            let out = std::process::Command::new("python3")
                .arg(&oracle)
                .args(&window)
                .arg(&dir)
                .output()
                .expect("python3 runs the oracle");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let theirs = by_key(jsonl(&String::from_utf8_lossy(&out.stdout)));
            let extra: Vec<&str> = window.iter().map(String::as_str).collect();
            let ours = by_key(query(&dir, "SELECT * FROM sessions", &extra));
            assert_eq!(
                ours.keys().collect::<Vec<_>>(),
                theirs.keys().collect::<Vec<_>>(),
                "{set} {window:?}"
            );
            for (k, o) in &ours {
                for f in fields {
                    assert_eq!(o[f], theirs[k][f], "{set} {window:?} {k} {f}");
                }
                resolved += usize::from(o["originType"] != "unresolved");
            }
        }
    }
    // The stolen OTRF instance credentials resolve to EC2; Stratus has 43 resolved keys.
    assert!(resolved >= 3 + 6 + 43, "{resolved}");
}

#[test]
fn trace_walks_back_to_the_user_and_forward_through_every_descendant() {
    let r = ctscan(&[
        "trace",
        "--format",
        "jsonl",
        sample().to_str().unwrap(),
        "ASIACHAINXACCTDEPLOY",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = jsonl(&r.stdout);
    let hops: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r["record"] == "hop")
        .map(|r| {
            (
                r["accessKeyId"].as_str().unwrap(),
                r["issuedAccessKeyId"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        hops,
        vec![
            ("AKIACHAINANARIBEIRO2", "ASIACHAINDEPLOYHUB23"),
            ("ASIACHAINDEPLOYHUB23", "ASIACHAINXACCTDEPLOY")
        ]
    );
    let calls: Vec<&str> = rows
        .iter()
        .filter(|r| r["record"] == "event")
        .map(|r| r["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(calls, vec!["ListBuckets", "GetObject", "ListUsers"]);
    assert!(
        rows.iter()
            .filter(|r| r["record"] == "event")
            .all(|r| r["account"] == "444455556666")
    );

    // From the user: every credential descended from ana's key, in both accounts, in time order.
    let r = ctscan(&[
        "trace",
        "--format",
        "jsonl",
        sample().to_str().unwrap(),
        "arn:aws:iam::111122223333:user/ana.ribeiro",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let events: Vec<Value> = jsonl(&r.stdout)
        .into_iter()
        .filter(|r| r["record"] == "event")
        .collect();
    let keys: std::collections::BTreeSet<&str> = events
        .iter()
        .map(|e| e["accessKeyId"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys.into_iter().collect::<Vec<_>>(),
        vec![
            "AKIACHAINANARIBEIRO2",
            "ASIACHAINDEPLOYHUB23",
            "ASIACHAINXACCTDEPLOY"
        ]
    );
    let times: Vec<&str> = events.iter().map(|e| e["eventTime"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    // Timesketch: its three required fields on every line.
    let r = ctscan(&[
        "trace",
        "--format",
        "timesketch",
        sample().to_str().unwrap(),
        "ASIACHAINXACCTDEPLOY",
    ]);
    for line in jsonl(&r.stdout) {
        assert!(line["datetime"].as_str().unwrap().ends_with('Z'), "{line}");
        assert_eq!(line["timestamp_desc"], "Event Time");
        assert!(!line["message"].as_str().unwrap().is_empty());
    }
    let r = ctscan(&["trace", sample().to_str().unwrap(), "AKIANOSUCHKEY0000000"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no credential in the window matches"),
        "{}",
        r.stderr
    );
}

#[test]
fn summary_by_actor_folds_a_users_sessions_into_one_row() {
    let r = ctscan(&[
        "summary",
        "--format",
        "jsonl",
        "--from",
        &anchor(),
        sample().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = jsonl(&r.stdout);
    let ana = rows
        .iter()
        .find(|r| r["group"] == "IAMUser arn:aws:iam::111122223333:user/ana.ribeiro")
        .expect("ana is one row");
    let keys: Vec<&str> = ana["accessKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        vec![
            "AKIACHAINANARIBEIRO2",
            "ASIACHAINDEPLOYHUB23",
            "ASIACHAINXACCTDEPLOY"
        ]
    );
    assert_eq!(ana["events"], 6);
    assert_eq!(
        ana["accounts"],
        serde_json::json!(["111122223333", "444455556666"])
    );
    // Of ana's calls the built-in pack watches GetObject (AssumeRole is not one of its names).
    assert_eq!(ana["sensitiveSucceeded"], 1, "{ana}");
    assert_eq!(
        ana["sensitiveCalls"],
        serde_json::json!([{"value": "GetObject", "count": 1}])
    );
    assert_eq!(ana["otherCalls"], 5);
    // The instance's stolen key is EC2's.
    assert!(rows.iter().any(|r| {
        r["group"] == "AWSService ec2.amazonaws.com"
            && r["accessKeys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k == "ASIACHAINREPORTEC2IN")
    }));
    let r = ctscan(&[
        "summary",
        "--by",
        "key",
        "--format",
        "csv",
        sample().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("group,actor,events,"), "{}", r.stdout);
    assert!(r.stdout.lines().any(|l| {
        l.starts_with("ASIACHAINXACCTDEPLOY,IAMUser arn:aws:iam::111122223333:user/ana.ribeiro,3,")
    }));
}

#[test]
fn a_burst_spread_over_a_users_sessions_is_one_burst_when_grouped_by_actor() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |group: &str| {
        format!(
            "title: chain one activity\nid: 7f1e0000-0000-4000-8000-000000000001\nname: chain_one\nstatus: test\n\
logsource: {{product: aws, service: cloudtrail}}\ndetection:\n  sel:\n    eventID|startswith: 'c4a10001-'\n  condition: sel\nlevel: low\n\
---\ntitle: chain one burst\nid: 7f1e0000-0000-4000-8000-000000000002\nstatus: test\ncorrelation:\n  type: event_count\n  rules: [chain_one]\n  group-by: [{group}]\n  timespan: 1h\n  condition: {{gte: 6}}\nlevel: high\n"
        )
    };
    let hunt = |group: &str| {
        let path = dir.path().join(format!("{}.yml", group.replace('.', "_")));
        std::fs::write(&path, rule(group)).unwrap();
        let r = ctscan(&[
            "hunt",
            "--no-builtin",
            "--rules",
            path.to_str().unwrap(),
            "--format",
            "jsonl",
            sample().to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        jsonl(&r.stdout)
    };
    let by_actor = hunt("actor");
    assert_eq!(by_actor.len(), 1, "{by_actor:?}");
    assert_eq!(
        by_actor[0]["correlation"]["group"]["actor"],
        "IAMUser arn:aws:iam::111122223333:user/ana.ribeiro"
    );
    assert_eq!(
        by_actor[0]["actor"]["hops"], 2,
        "the finding's own event is the cross-account session's"
    );
    // By principal ARN, the same six events are three groups of at most three.
    assert!(hunt("userIdentity.arn").is_empty());
}

/// Copies every object of the sample a second time under another trail's prefix (an overlapping trail).
fn doubled_sample(root: &Path) -> usize {
    let mut copied = 0;
    for entry in files_under(&sample()) {
        let rel = entry.strip_prefix(sample()).unwrap();
        for prefix in ["", "second-trail"] {
            let to = root.join(prefix).join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&entry, &to).unwrap();
        }
        copied += 1;
    }
    copied
}

#[test]
fn duplicate_deliveries_are_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    assert!(doubled_sample(dir.path()) > 10);
    let doubled = dir.path();
    let once = count(&sample(), "SELECT count(*) AS n FROM events", &[]);
    assert_eq!(
        count(doubled, "SELECT count(*) AS n FROM events", &[]),
        2 * once,
        "query keeps every record"
    );
    assert_eq!(
        count(doubled, "SELECT count(*) AS n FROM events", &["--dedup"]),
        once
    );
    let r = ctscan(&[
        "query",
        "--stats",
        "--format",
        "jsonl",
        doubled.to_str().unwrap(),
        "SELECT count(*) AS n FROM events",
    ]);
    assert!(
        r.stderr.contains(&format!("{once} duplicate records")),
        "{}",
        r.stderr
    );

    // Hunt findings are the same, apart from which copy's object they name.
    let findings = |root: &Path| {
        let r = ctscan(&["hunt", "--stats", "--format", "jsonl", root.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let mut f: Vec<String> = jsonl(&r.stdout)
            .into_iter()
            .map(|mut v| {
                v.as_object_mut().unwrap().remove("object");
                if let Some(evs) = v.get_mut("events").and_then(Value::as_array_mut) {
                    for e in evs {
                        e.as_object_mut().unwrap().remove("object");
                    }
                }
                v.to_string()
            })
            .collect();
        f.sort();
        (f, r.stderr)
    };
    let (single, _) = findings(&sample());
    let (double, stderr) = findings(doubled);
    assert!(!single.is_empty());
    assert_eq!(single, double);
    assert!(
        stderr.contains(&format!("{once} duplicate records folded")),
        "{stderr}"
    );
    // So are the credential chains and the summary.
    assert_eq!(
        by_key(query(doubled, SESSIONS, &[])),
        by_key(query(&sample(), SESSIONS, &[]))
    );
    let summary = |root: &Path| ctscan(&["summary", "--format", "jsonl", root.to_str().unwrap()]).stdout;
    assert_eq!(summary(doubled), summary(&sample()));
}

#[test]
fn tables_show_times_in_the_asked_zone_and_machine_formats_stay_utc() {
    let sql = "SELECT eventTime FROM events WHERE eventID = 'c4a10001-0000-4000-8000-000000000003'";
    let r = ctscan(&[
        "query",
        "--timezone",
        "Europe/Berlin",
        "--format",
        "table",
        sample().to_str().unwrap(),
        sql,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("2026-03-02T13:32:00+01:00"), "{}", r.stdout);
    let r = ctscan(&[
        "query",
        "--timezone",
        "Europe/Berlin",
        "--format",
        "jsonl",
        sample().to_str().unwrap(),
        sql,
    ]);
    assert!(r.stdout.contains("2026-03-02T12:32:00Z"), "{}", r.stdout);
    let r = ctscan(&[
        "trace",
        "--timezone",
        "Asia/Tokyo",
        "--format",
        "table",
        sample().to_str().unwrap(),
        "ASIACHAINXACCTDEPLOY",
    ]);
    assert!(r.stdout.contains("2026-03-02T21:33:00+09:00"), "{}", r.stdout);
    let r = ctscan(&[
        "query",
        "--timezone",
        "Mars/Olympus",
        sample().to_str().unwrap(),
        sql,
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown time zone"), "{}", r.stderr);
}

#[test]
fn export_dedup_writes_each_event_once_also_when_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let doubled = dir.path().join("archive");
    doubled_sample(&doubled);
    let once = count(&sample(), "SELECT count(*) AS n FROM events", &[]);
    let lake = dir.path().join("lake");
    let export = |extra: &[&str]| {
        let mut args = vec![
            "export",
            doubled.to_str().unwrap(),
            "--out",
            lake.to_str().unwrap(),
            "--dedup",
        ];
        args.extend_from_slice(extra);
        let r = ctscan(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    // First one day, then the rest: the second run knows what the first wrote.
    export(&["--to", "2026-03-02"]);
    let out = export(&[]);
    assert!(out.contains("duplicate records not written again"), "{out}");
    assert_eq!(count(&lake, "SELECT count(*) AS n FROM events", &[]), once);
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) AS n FROM (SELECT DISTINCT eventID, recipientAccountId FROM events)",
            &[]
        ),
        once
    );
    // Without --dedup every record is kept.
    let all = dir.path().join("all");
    let r = ctscan(&[
        "export",
        doubled.to_str().unwrap(),
        "--out",
        all.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(count(&all, "SELECT count(*) AS n FROM events", &[]), 2 * once);
}
