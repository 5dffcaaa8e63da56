//! `s3://` SOURCEs against a real S3-compatible server (moto on 127.0.0.1): the same archive gives exactly
//! the same answers from S3 as from local disk, through throttling and refusals, reading only.

use std::path::Path;

use crate::s3_server::*;
use crate::util::*;

const BUCKET: &str = "evidence";

/// Queries whose answers must not depend on where the archive is (object keys are compared with the
/// archive's root replaced by `ROOT`).
const CHECKS: &[&str] = &[
    "SELECT count(*) AS n, count(DISTINCT eventID) AS ids FROM events",
    "SELECT objectKey, objectAccount, objectRegion, objectDay, count(*) AS n, min(eventTime) AS lo, max(eventTime) AS hi FROM events GROUP BY 1, 2, 3, 4 ORDER BY 1",
    "SELECT eventName, awsRegion, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT eventID, userIdentity.arn AS arn, requestParameters ->> 'bucketName' AS b, objectKey FROM events WHERE eventTime >= '2026-03-04T00:00:00Z' AND eventTime < '2026-03-05T06:00:00Z' ORDER BY eventID, objectKey",
];

fn events(prefix: &str, n: usize, day: &str, account: &str, region: &str) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            let mut e = event(
                &format!("Call{}", i % 5),
                &format!("{day}T{:02}:{:02}:00Z", i % 24, i % 60),
            );
            e["eventID"] = format!("{prefix}-{i}").into();
            e["recipientAccountId"] = account.into();
            e["awsRegion"] = region.into();
            e
        })
        .collect()
}

/// An archive with every shape S3 listing must handle: the plain layout, both organization layouts under
/// custom prefixes, siblings of the trail, a corrupt object, a key with unusual characters, a loose export,
/// and more than 1,000 objects under one day prefix.
fn rich_archive(root: &Path, big: usize) {
    synthetic_archive(&root.join("plain"), 24, 20);
    write(
        &root.join("o-abc123def4/AWSLogs/555566667777/CloudTrail/us-west-2/2026/03/04/555566667777_CloudTrail_us-west-2_20260304T1000Z_ct.json.gz"),
        &delivery(&events("ct", 30, "2026-03-04", "555566667777", "us-west-2")),
    );
    write(
        &root.join("org/trail/AWSLogs/o-abc123def4/888899990000/CloudTrail/ap-south-1/2026/03/05/888899990000_CloudTrail_ap-south-1_20260305T1000Z_org.json.gz"),
        &delivery(&events("org", 25, "2026-03-05", "888899990000", "ap-south-1")),
    );
    let plain = root.join("plain/AWSLogs/111122223333");
    write(
        &plain.join("CloudTrail-Digest/us-east-1/2026/03/04/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260304T1000Z.json.gz"),
        &gz(b"{\"digest\": true}"),
    );
    write(
        &plain.join("CloudTrail-Insight/us-east-1/2026/03/04/111122223333_CloudTrail-Insight_us-east-1_20260304T1000Z_i.json.gz"),
        &gz(b"{\"Records\": []}"),
    );
    write(
        &plain.join(
            "Config/us-east-1/2026/3/4/ConfigHistory/111122223333_Config_us-east-1_ConfigHistory_x.json.gz",
        ),
        &gz(b"{}"),
    );
    write(
        &log_path(
            &root.join("plain"),
            "111122223333",
            "us-east-1",
            "2026-03-04",
            "111122223333_CloudTrail_us-east-1_20260304T2355Z_corrupt.json.gz",
        ),
        b"this is not gzip",
    );
    write(
        &log_path(
            &root.join("plain"),
            "444455556666",
            "eu-west-1",
            "2026-03-05",
            "444455556666_CloudTrail_eu-west-1_20260305T1200Z_a b+c%20ü=&'(x)~.json.gz",
        ),
        &delivery(&events("odd", 7, "2026-03-05", "444455556666", "eu-west-1")),
    );
    write(
        &root.join("exports/incident.json"),
        serde_json::json!({ "Records": events("loose", 3, "2026-03-04", "111122223333", "us-east-1") })
            .to_string()
            .as_bytes(),
    );
    for i in 0..big {
        let name = format!("999988887777_CloudTrail_us-east-1_20260305T0000Z_{i:05}.json.gz");
        write(
            &root.join(format!(
                "big/AWSLogs/999988887777/CloudTrail/us-east-1/2026/03/05/{name}"
            )),
            &delivery(&events(
                &format!("big{i}"),
                1,
                "2026-03-05",
                "999988887777",
                "us-east-1",
            )),
        );
    }
}

/// Output with the archive's location replaced by `ROOT`, so local and S3 runs compare.
fn normal(text: &str, root: &Path, url: &str) -> String {
    text.replace(&root.display().to_string(), "ROOT")
        .replace(url.trim_end_matches('/'), "ROOT")
}

fn ls_args<'a>(source: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["ls", "--format", "jsonl"];
    a.extend_from_slice(extra);
    a.push(source);
    a
}

fn query_args<'a>(source: &'a str, sql: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["query", "--format", "jsonl"];
    a.extend_from_slice(extra);
    a.push(source);
    a.push(sql);
    a
}

/// Asserts a local run and an S3 run agree: exit code and (normalised) stdout.
fn same(local: &Run, remote: &Run, root: &Path, url: &str, what: &str) {
    assert_eq!(
        remote.code, local.code,
        "{what}: exit codes differ\nlocal: {}\ns3: {}",
        local.stderr, remote.stderr
    );
    assert!(
        !remote.stdout.trim().is_empty(),
        "{what}: no output\n{}",
        remote.stderr
    );
    assert_eq!(
        normal(&remote.stdout, root, url),
        normal(&local.stdout, root, url),
        "{what}\ns3 stderr: {}",
        remote.stderr
    );
}

#[test]
fn s3_answers_exactly_like_local_disk() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    rich_archive(&root, 1005);
    let uploaded = moto.upload(BUCKET, &root, "cases/", &[]);
    assert_eq!(uploaded, 24 + 8 + 1005);
    let url = format!("s3://{BUCKET}/cases/");
    let local = root.to_str().unwrap();
    let e = moto.endpoint.as_str();

    // ls: the same inventory, whole archive and scoped; the S3 listing downloads nothing.
    for extra in [
        &[][..],
        &["--from", "2026-03-04", "--to", "2026-03-04"][..],
        &["--account", "111122223333,999988887777", "--region", "us-east-1"][..],
        &["--since", "3650d"][..],
    ] {
        let l = ctscan(&ls_args(local, extra));
        let r = ctscan_s3(e, &ls_args(&url, extra));
        same(&l, &r, &root, &url, &format!("ls {extra:?}"));
    }
    let rows = jsonl(&ctscan_s3(e, &ls_args(&url, &[])).stdout);
    let big = rows.iter().find(|r| r["account"] == "999988887777").unwrap();
    assert_eq!(big["objects"], 1005, "pagination past 1,000 keys");
    for account in ["555566667777", "888899990000", "444455556666"] {
        assert!(
            rows.iter().any(|r| r["account"] == account),
            "{account} missing: {rows:?}"
        );
    }
    let table = ctscan_s3(e, &["ls", "--format", "table", &url]);
    for skipped in [
        "skipped: CloudTrail digest file",
        "skipped: CloudTrail Insights file",
        "skipped: Config folder",
    ] {
        assert!(table.stdout.contains(skipped), "{skipped}: {}", table.stdout);
    }
    // A narrower SOURCE prefix works like a subfolder.
    let l = ctscan(&ls_args(root.join("org").to_str().unwrap(), &[]));
    let r = ctscan_s3(e, &ls_args("s3://evidence/cases/org", &[]));
    same(&l, &r, &root.join("org"), "s3://evidence/cases/org", "ls org/");
    // Public buckets: unsigned requests (moto lets anyone list).
    let proxy = Proxy::start(e, Box::new(|_, _| None));
    let unsigned = ctscan_s3(&proxy.endpoint, &ls_args(&url, &["--no-sign-request"]));
    same(
        &ctscan(&ls_args(local, &[])),
        &unsigned,
        &root,
        &url,
        "ls --no-sign-request",
    );
    let seen = proxy.seen();
    assert!(!seen.is_empty() && seen.iter().all(|s| !s.signed), "{seen:?}");

    // query: the same rows, the corrupt object reported by its S3 key in both.
    for sql in CHECKS {
        for extra in [
            &[][..],
            &["--from", "2026-03-05", "--region", "us-east-1,eu-west-1"][..],
        ] {
            let l = ctscan(&query_args(local, sql, extra));
            let r = ctscan_s3(e, &query_args(&url, sql, extra));
            same(&l, &r, &root, &url, &format!("{sql} {extra:?}"));
            assert_eq!(r.code, 1, "the corrupt object makes the run partial");
        }
    }
    let r = ctscan_s3(e, &query_args(&url, "SELECT count(*) AS n FROM events", &[]));
    assert!(
        r.stderr.contains(&format!(
            "{url}plain/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/04/111122223333_CloudTrail_us-east-1_20260304T2355Z_corrupt.json.gz: not JSON"
        )),
        "{}",
        r.stderr
    );
    assert_eq!(jsonl(&r.stdout)[0]["n"], 24 * 20 + 30 + 25 + 7 + 3 + 1005);
    // A small --concurrency gives the same answer.
    let r1 = ctscan_s3(e, &query_args(&url, CHECKS[1], &["--concurrency", "1"]));
    same(
        &ctscan(&query_args(local, CHECKS[1], &[])),
        &r1,
        &root,
        &url,
        "--concurrency 1",
    );

    // export: the lakes answer alike; the S3 lake's manifest records ETags, and re-runs skip or notice.
    let lake_l = dir.path().join("lake-local");
    let lake_s = dir.path().join("lake-s3");
    let el = ctscan(&["export", local, "--out", lake_l.to_str().unwrap()]);
    let es = ctscan_s3(e, &["export", &url, "--out", lake_s.to_str().unwrap()]);
    assert_eq!(es.code, el.code, "{}", es.stderr);
    assert_eq!(
        es.stdout.replace(lake_s.to_str().unwrap(), "LAKE"),
        el.stdout.replace(lake_l.to_str().unwrap(), "LAKE")
    );
    for sql in CHECKS {
        let l = ctscan(&query_args(lake_l.to_str().unwrap(), sql, &[]));
        let r = ctscan(&query_args(lake_s.to_str().unwrap(), sql, &[]));
        same(&l, &r, &root, &url, &format!("lake: {sql}"));
    }
    let manifest = std::fs::read_to_string(lake_s.join("_ctscan/manifest.jsonl")).unwrap();
    let entries = jsonl(&manifest);
    assert_eq!(
        entries.len(),
        rows.iter().map(|r| r["objects"].as_u64().unwrap()).sum::<u64>() as usize
    );
    for entry in &entries {
        let etag = entry["etag"]
            .as_str()
            .unwrap_or_else(|| panic!("no ETag: {entry}"));
        assert!(etag.len() == 32 && !etag.contains('"'), "{entry}");
    }
    let again = ctscan_s3(e, &["export", &url, "--out", lake_s.to_str().unwrap()]);
    assert!(
        again.stdout.contains("exported 0 objects (0 events)")
            && again.stdout.contains(&format!("{} already", entries.len() - 1)),
        "{}\n{}",
        again.stdout,
        again.stderr
    );
    let changed_key = "cases/o-abc123def4/AWSLogs/555566667777/CloudTrail/us-west-2/2026/03/04/555566667777_CloudTrail_us-west-2_20260304T1000Z_ct.json.gz";
    moto.put(
        BUCKET,
        changed_key,
        &delivery(&events("ct2", 2, "2026-03-04", "555566667777", "us-west-2")),
    );
    let changed = ctscan_s3(e, &["export", &url, "--out", lake_s.to_str().unwrap()]);
    assert_eq!(changed.code, 1, "{}", changed.stderr);
    assert!(
        changed.stderr.contains(&format!(
            "s3://{BUCKET}/{changed_key}: changed since it was exported"
        )),
        "{}",
        changed.stderr
    );

    // ls --objects: the same bytes (SHA-256) from both, with the S3 ETag.
    let inv_l = jsonl(
        &ctscan(&[
            "ls",
            "--objects",
            "--format",
            "jsonl",
            root.join("plain").to_str().unwrap(),
        ])
        .stdout,
    );
    let inv_s = jsonl(
        &ctscan_s3(
            e,
            &[
                "ls",
                "--objects",
                "--format",
                "jsonl",
                "s3://evidence/cases/plain/",
            ],
        )
        .stdout,
    );
    assert_eq!(inv_s.len(), inv_l.len());
    for (l, s) in inv_l.iter().zip(&inv_s) {
        assert_eq!(s["sha256"], l["sha256"], "{s}");
        assert_eq!(
            normal(
                s["key"].as_str().unwrap(),
                &root.join("plain"),
                "s3://evidence/cases/plain"
            ),
            normal(
                l["key"].as_str().unwrap(),
                &root.join("plain"),
                "s3://evidence/cases/plain"
            )
        );
    }
}

const SLOW_DOWN: &str = "Please reduce your request rate.";

#[test]
fn s3_reads_only_and_rides_out_throttling() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    synthetic_archive(&root, 40, 10);
    moto.upload(BUCKET, &root, "", &[]);
    let url = format!("s3://{BUCKET}/");
    // Every third request is refused with 503 SlowDown, listings and GETs alike.
    let proxy = Proxy::start(
        &moto.endpoint,
        Box::new(|n, _| (n % 3 == 1).then(|| (503, "SlowDown", SLOW_DOWN.to_string()))),
    );
    let (direct, throttled) = (moto.endpoint.as_str(), proxy.endpoint.as_str());
    let r = ctscan_s3(throttled, &ls_args(&url, &[]));
    same(&ctscan_s3(direct, &ls_args(&url, &[])), &r, &root, &url, "ls");
    for sql in CHECKS {
        let r = ctscan_s3(throttled, &query_args(&url, sql, &[]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        same(
            &ctscan(&query_args(root.to_str().unwrap(), sql, &[])),
            &r,
            &root,
            &url,
            sql,
        );
    }
    let lake = dir.path().join("lake");
    let r = ctscan_s3(throttled, &["export", &url, "--out", lake.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("exported 40 objects (400 events)"),
        "{}",
        r.stdout
    );
    let r = ctscan_s3(throttled, &["ls", "--objects", "--format", "jsonl", &url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(jsonl(&r.stdout).len(), 40);
    assert!(proxy.faults() > 20, "throttled {} times", proxy.faults());

    // Read-only: nothing but GET (ListObjectsV2, GetObject) and HEAD reached the server.
    let seen = proxy.seen();
    assert!(seen.len() > 200, "{}", seen.len());
    for s in &seen {
        assert!(s.signed, "{s:?}");
        assert!(s.method == "GET" || s.method == "HEAD", "{s:?}");
        let query = s.target.split_once('?').map_or("", |(_, q)| q);
        assert!(
            query.is_empty() || query.contains("list-type=2") || query.starts_with("x-id=GetObject"),
            "unexpected request {s:?}"
        );
    }

    // A scoped ls lists only the prefixes of its accounts and days, and reads no object.
    let proxy = Proxy::start(&moto.endpoint, Box::new(|_, _| None));
    let r = ctscan_s3(
        &proxy.endpoint,
        &ls_args(
            &url,
            &[
                "--from",
                "2026-03-05",
                "--to",
                "2026-03-05",
                "--account",
                "111122223333",
            ],
        ),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for s in proxy.seen() {
        let t = s.target.replace("%2F", "/");
        assert!(t.contains("list-type=2"), "ls read an object: {s:?}");
        assert!(
            !t.contains("444455556666/"),
            "listed an account out of scope: {t}"
        );
        assert!(!t.contains("2026/03/03/"), "listed a day out of the window: {t}");
    }
}

#[test]
fn s3_failures_are_named_and_the_rest_is_read() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    synthetic_archive(&root, 16, 10);
    let special = ["kms-denied", "s3-denied", "deleted", "glacier"];
    for name in special {
        write(
            &log_path(
                &root,
                "111122223333",
                "us-east-1",
                "2026-03-04",
                &format!("111122223333_CloudTrail_us-east-1_20260304T1200Z_{name}.json.gz"),
            ),
            &delivery(&[event("Special", "2026-03-04T12:00:00Z")]),
        );
    }
    let glacier = "111122223333_CloudTrail_us-east-1_20260304T1200Z_glacier.json.gz";
    moto.upload(BUCKET, &root, "", &[glacier]);
    let proxy = Proxy::start(
        &moto.endpoint,
        Box::new(|_, s| {
            let t = s.target.replace("%2F", "/");
            if t.contains("list-type=2") && t.contains("prefix=AWSLogs/444455556666/") {
                Some((403, "AccessDenied", "Access Denied".into()))
            } else if t.contains("kms-denied") {
                Some((
                    403,
                    "AccessDenied",
                    "User: arn:aws:sts::123456789012:assumed-role/reader/ctscan is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:123456789012:key/0c1d".into(),
                ))
            } else if t.contains("s3-denied") {
                Some((403, "AccessDenied", "Access Denied".into()))
            } else if t.contains("_deleted.json") {
                Some((404, "NoSuchKey", "The specified key does not exist.".into()))
            } else {
                None
            }
        }),
    );
    let url = format!("s3://{BUCKET}/");
    let r = ctscan_s3(
        &proxy.endpoint,
        &query_args(&url, "SELECT count(*) AS n FROM events", &["--stats"]),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    // Everything the refusals leave readable is read: the other account's events are all there.
    let expected = count(
        &root,
        "SELECT count(*) AS n FROM events WHERE eventName <> 'Special'",
        &["--account", "111122223333"],
    );
    assert_eq!(jsonl(&r.stdout)[0]["n"], expected);
    let key = |name: &str| {
        format!(
            "{url}AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/04/111122223333_CloudTrail_us-east-1_20260304T1200Z_{name}.json.gz"
        )
    };
    for (what, reason) in [
        (
            format!("{url}AWSLogs/444455556666/"),
            "s3:ListBucket is not allowed",
        ),
        (
            key("kms-denied"),
            "kms:Decrypt is not allowed on the trail's KMS key",
        ),
        (key("s3-denied"), "s3:GetObject is not allowed on this key"),
        (key("deleted"), "deleted between listing and reading"),
        (key("glacier"), "restore it first"),
    ] {
        let line = r
            .stderr
            .lines()
            .find(|l| l.contains(&format!("{what}: ")))
            .unwrap_or_else(|| panic!("{what} not reported:\n{}", r.stderr));
        assert!(line.contains(reason), "{line}");
    }
    assert!(
        r.stderr.contains("archived (restore first)") && r.stderr.contains("deleted since listing"),
        "{}",
        r.stderr
    );
    // The bucket itself missing is fatal, with S3's reason.
    let r = ctscan_s3(&moto.endpoint, &ls_args("s3://no-such-bucket/", &[]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cannot list s3://no-such-bucket/: NoSuchBucket"),
        "{}",
        r.stderr
    );
}

const IAM_SETUP: &str = r#"
iam = boto3.client("iam", **KW)
iam.create_user(UserName="responder")
key = iam.create_access_key(UserName="responder")["AccessKey"]
allow = lambda action, resource: json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
iam.put_user_policy(UserName="responder", PolicyName="assume-reader", PolicyDocument=allow("sts:AssumeRole", "arn:aws:iam::123456789012:role/reader"))
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/responder"}, "Action": "sts:AssumeRole"}]})
for role in ["reader", "other"]:
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName=role, PolicyName="read", PolicyDocument=allow(["s3:ListBucket", "s3:GetObject"], "*"))
import urllib.request
urllib.request.urlopen(urllib.request.Request(E + "/moto-api/reset-auth", data=b"0", headers={"Content-Type": "text/plain"}, method="POST"))
print(json.dumps({"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}))
"#;

#[test]
fn s3_through_an_assumed_role_without_leaking_credentials() {
    let Some(moto) = moto() else { return };
    // Older moto (5.2.1 seen) answers the assumed role's signed requests with SignatureDoesNotMatch.
    if !moto.at_least(&[5, 2, 5], "signs assumed-role requests as AWS does") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    synthetic_archive(&root, 8, 5);
    moto.upload(BUCKET, &root, "", &[]);
    // From here on moto checks IAM: the responder may only assume `reader`, which may read the bucket.
    let key: serde_json::Value = serde_json::from_str(moto.boto(IAM_SETUP, &[]).trim()).unwrap();
    let (id, secret) = (key["id"].as_str().unwrap(), key["secret"].as_str().unwrap());
    let proxy = Proxy::start(&moto.endpoint, Box::new(|_, _| None));
    let e = proxy.endpoint.as_str();
    let url = format!("s3://{BUCKET}/");
    let reader = [
        "--role-arn",
        "arn:aws:iam::123456789012:role/reader",
        "--external-id",
        "ext-4711",
        "--role-session-name",
        "incident-42",
    ];
    let mut runs = Vec::new();

    let direct = ctscan_s3_as(e, id, secret, &ls_args(&url, &[]));
    assert_eq!(direct.code, 2, "{}", direct.stderr);
    assert!(
        direct.stderr.contains("cannot list s3://evidence/: AccessDenied"),
        "{}",
        direct.stderr
    );
    runs.push(direct);

    let ls = ctscan_s3_as(e, id, secret, &ls_args(&url, &reader));
    same(
        &ctscan(&ls_args(root.to_str().unwrap(), &[])),
        &ls,
        &root,
        &url,
        "ls as reader",
    );
    runs.push(ls);
    let sql = "SELECT count(*) AS n FROM events";
    let q = ctscan_s3_as(e, id, secret, &query_args(&url, sql, &reader));
    assert_eq!(q.code, 0, "{}", q.stderr);
    assert_eq!(jsonl(&q.stdout)[0]["n"], 40);
    runs.push(q);

    let refused = ctscan_s3_as(
        e,
        id,
        secret,
        &ls_args(
            &url,
            &[
                "--role-arn",
                "arn:aws:iam::123456789012:role/other",
                "--external-id",
                "ext-4711",
            ],
        ),
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("cannot assume role arn:aws:iam::123456789012:role/other")
            && refused
                .stderr
                .contains("not authorized to perform: sts:AssumeRole"),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.is_empty());
    runs.push(refused);

    // The role was asked for with the external ID and session name; S3 saw only reads.
    let seen = proxy.seen();
    let assume: Vec<_> = seen
        .iter()
        .filter(|s| s.body.contains("Action=AssumeRole"))
        .collect();
    assert!(!assume.is_empty());
    for s in &assume {
        assert_eq!(s.method, "POST");
        assert!(s.body.contains("ExternalId=ext-4711"), "{}", s.body);
    }
    assert!(
        assume
            .iter()
            .any(|s| s.body.contains("RoleSessionName=incident-42"))
    );
    for s in seen.iter().filter(|s| !s.body.contains("Action=AssumeRole")) {
        assert!(s.method == "GET" || s.method == "HEAD", "{s:?}");
    }

    // Credentials and signatures never show.
    for r in &runs {
        for secret_text in [
            secret,
            "Signature=",
            "X-Amz-Security-Token",
            "SessionToken",
            "x-amz-security-token",
        ] {
            assert!(
                !r.stdout.contains(secret_text) && !r.stderr.contains(secret_text),
                "{secret_text} leaked:\n{}\n{}",
                r.stdout,
                r.stderr
            );
        }
    }
}

/// Findings as sorted, location-independent lines (findings stream in the order objects finish).
fn findings(run: &Run, root: &Path, url: &str) -> Vec<String> {
    let mut lines: Vec<String> = normal(&run.stdout, root, url)
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[test]
fn s3_hunts_find_exactly_what_local_hunts_find() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    generate(
        &root,
        &[
            "--events",
            "1500",
            "--per-file",
            "100",
            "--accounts",
            "3",
            "--layout",
            "mixed",
            "--siblings",
            "--attacks",
        ],
    );
    moto.upload(BUCKET, &root, "hunt/", &[]);
    let url = format!("s3://{BUCKET}/hunt/");
    let local = ctscan(&["hunt", "--format", "jsonl", root.to_str().unwrap()]);
    let remote = ctscan_s3(&moto.endpoint, &["hunt", "--format", "jsonl", &url]);
    assert_eq!(local.code, 0, "{}", local.stderr);
    assert_eq!(remote.code, 0, "{}", remote.stderr);
    let (l, r) = (findings(&local, &root, &url), findings(&remote, &root, &url));
    assert!(l.len() >= 10, "the planted attacks are found: {l:?}");
    assert_eq!(r, l);
    let scoped = [
        "hunt",
        "--format",
        "jsonl",
        "--from",
        "2026-03-02",
        "--min-level",
        "high",
    ];
    let l = findings(
        &ctscan(&[&scoped[..], &[root.to_str().unwrap()]].concat()),
        &root,
        &url,
    );
    let r = findings(
        &ctscan_s3(&moto.endpoint, &[&scoped[..], &[url.as_str()]].concat()),
        &root,
        &url,
    );
    assert_eq!(r, l);
}
