//! Attack activity planted in generated archives (`ctscan-gen --attacks`): what a compromised access key
//! typically does, so a sample archive gives a hunt something to find. Every planted scenario event comes
//! from [`ATTACKER_IP`] and the user `mallory`; benign traffic never does, so tests can tell the two apart.
//!
//! `--attacks` also plants the credential chains of [`super::chains`], whose principals and addresses are
//! realistic on purpose (attribution has to resolve them, and some are not attacks at all). They have their
//! own tell-tale instead: an `eventID` starting with [`super::chains::EVENT_ID_PREFIX`] (and `CHAIN` in
//! every key id). A planted event is one from [`ATTACKER_IP`] or with that `eventID` prefix; benign
//! traffic has neither.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

/// The source address of every planted event (a public address, unlike the benign traffic's).
pub const ATTACKER_IP: &str = "185.220.101.47";

/// Number of planted scenarios.
pub const SCENARIOS: usize = 10;

/// The attacker's tools: the AWS CLI on Kali Linux.
pub const KALI_CLI: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2024";

/// The `userIdentity` of the IAM user `mallory` of `account` (long-term access key), whom every planted
/// scenario acts as unless it needs another identity.
pub fn mallory_user(account: &str) -> Value {
    json!({
        "type": "IAMUser",
        "principalId": "AIDAMALLORYEXAMPLE01",
        "arn": format!("arn:aws:iam::{account}:user/mallory"),
        "accountId": account,
        "accessKeyId": "AKIAMALLORYEXAMPLE01",
        "userName": "mallory",
    })
}

fn base(time: &str, account: &str, region: &str, source: &str, name: &str, n: usize) -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": mallory_user(account),
        "eventTime": time,
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ATTACKER_IP,
        "userAgent": KALI_CLI,
        "requestParameters": null,
        "responseElements": null,
        "requestID": format!("00000000-0000-4000-8000-{n:012}"),
        "eventID": format!("a77ac000-0000-4000-8000-{n:012}"),
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": account,
        "eventCategory": "Management",
    })
}

/// The events of scenario `which`, timed from `time` on.
fn scenario(which: usize, time: &str, account: &str, region: &str, rng: &mut SmallRng) -> Vec<Value> {
    let n = which * 100;
    match which {
        0 => {
            let mut e = base(
                time,
                account,
                region,
                "cloudtrail.amazonaws.com",
                "StopLogging",
                n,
            );
            e["requestParameters"] =
                json!({"name": format!("arn:aws:cloudtrail:{region}:{account}:trail/org-trail")});
            vec![e]
        }
        1 => {
            let mut e = base(time, account, region, "signin.amazonaws.com", "ConsoleLogin", n);
            e["userIdentity"] = json!({"type": "Root", "principalId": account, "arn": format!("arn:aws:iam::{account}:root"), "accountId": account});
            e["eventType"] = "AwsConsoleSignIn".into();
            e["responseElements"] = json!({"ConsoleLogin": "Success"});
            e["additionalEventData"] = json!({"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "No"});
            vec![e]
        }
        2 => {
            let mut e = base(time, account, region, "iam.amazonaws.com", "CreateAccessKey", n);
            e["requestParameters"] = json!({"userName": "alice"});
            e["responseElements"] = json!({"accessKey": {"accessKeyId": "AKIAPLANTEDKEY000001", "status": "Active", "userName": "alice"}});
            vec![e]
        }
        3 => {
            let mut e = base(time, account, region, "iam.amazonaws.com", "AttachUserPolicy", n);
            e["requestParameters"] =
                json!({"userName": "mallory", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"});
            vec![e]
        }
        4 => {
            let mut e = base(time, account, region, "s3.amazonaws.com", "PutBucketPolicy", n);
            let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::acme-app-uploads/*"}]});
            e["requestParameters"] =
                json!({"bucketName": "acme-app-uploads", "bucketPolicy": policy, "policy": ""});
            vec![e]
        }
        5 => {
            let mut e = base(
                time,
                account,
                region,
                "ec2.amazonaws.com",
                "AuthorizeSecurityGroupIngress",
                n,
            );
            e["requestParameters"] = json!({"groupId": "sg-0123456789abcdef0", "ipPermissions": {"items": [{"ipProtocol": "tcp",
                "fromPort": 22, "toPort": 22, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}});
            vec![e]
        }
        6 => (0..45)
            .map(|i| {
                let mut e = base(
                    time,
                    account,
                    region,
                    "secretsmanager.amazonaws.com",
                    "GetSecretValue",
                    n + i,
                );
                e["readOnly"] = true.into();
                e["requestParameters"] = json!({"secretId": format!("prod/db-{}", rng.random_range(0..50))});
                e["errorCode"] = "AccessDenied".into();
                e["errorMessage"] =
                    "User: mallory is not authorized to perform: secretsmanager:GetSecretValue".into();
                e
            })
            .collect(),
        7 => {
            let mut e = base(
                time,
                account,
                region,
                "guardduty.amazonaws.com",
                "DeleteDetector",
                n,
            );
            e["requestParameters"] = json!({"detectorId": "12abc34d567e8fa901bc2d34e56789f0"});
            vec![e]
        }
        8 => {
            let mut e = base(time, account, region, "ec2.amazonaws.com", "GetPasswordData", n);
            e["readOnly"] = true.into();
            e["requestParameters"] = json!({"instanceId": "i-0a1b2c3d4e5f67890"});
            vec![e]
        }
        _ => {
            let mut e = base(
                time,
                account,
                region,
                "s3.amazonaws.com",
                "PutBucketPublicAccessBlock",
                n,
            );
            e["requestParameters"] = json!({"bucketName": "acme-app-uploads", "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": false, "IgnorePublicAcls": false, "BlockPublicPolicy": false, "RestrictPublicBuckets": false}});
            vec![e]
        }
    }
}

/// Adds the scenarios assigned to delivery file `index` of `files` to its records and returns how many
/// events were added. Scenarios are spread evenly over the archive.
pub fn plant(
    rng: &mut SmallRng,
    index: usize,
    files: usize,
    records: &mut Vec<Value>,
    account: &str,
    region: &str,
) -> usize {
    let Some(time) = records
        .first()
        .and_then(|r| r["eventTime"].as_str())
        .map(str::to_string)
    else {
        return 0;
    };
    let mut added = 0;
    for which in (0..SCENARIOS).filter(|w| w * files / SCENARIOS == index) {
        let events = scenario(which, &time, account, region, rng);
        added += events.len();
        records.extend(events);
    }
    records.sort_by(|a, b| a["eventTime"].as_str().cmp(&b["eventTime"].as_str()));
    added
}
