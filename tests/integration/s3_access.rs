//! How `s3://` SOURCEs are read (moto on 127.0.0.1, behind a recording proxy): only GET and HEAD requests,
//! through throttling, with each refused, deleted or archived object named and the rest read, and through
//! an assumed role without leaking credentials.

use crate::s3_parity::{BUCKET, CHECKS, ls_args, query_args, same};
use crate::s3_server::{Proxy, ctscan_s3, ctscan_s3_as, moto};
use crate::util::*;

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
