//! Three planted intrusions as small as real quiet ones (`--world realistic --attacks`), each a handful of
//! events a threshold tuned on bursts misses: twenty anonymous reads of a private bucket nobody reads
//! anonymously, a lone `ImportKeyPair` in a region only the scanner's read-only sweeps ever touch, and a
//! lifecycle rule that expires the organization's CloudTrail logs after a day. All from
//! [`crate::attacks::ATTACKER_IP`], late enough in the archive to have a day of history before them.

use chrono::Duration;
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::json;

use super::common::{Api, alnum, hex, record, rng_of, s3_extra, s3_object_resources, uuid};
use super::intrusion::{KALI_CLI, NEW_REGION, Scenario, anonymous, at_fraction, attacker};
use super::org::{Org, TABLES};
use super::scanner;
use crate::attacks::mallory_user;

/// Anonymous `GetObject` data events of the small S3 read (20 distinct keys of a private bucket).
pub const ANONYMOUS_S3_SMALL_EVENTS: usize = 20;

/// Events of the key-only new region scenario (one `ImportKeyPair`).
pub const NEW_REGION_KEY_ONLY_EVENTS: usize = 1;

/// Events of the lifecycle scenario (one `PutBucketLifecycle` on the log bucket).
pub const TRAIL_LIFECYCLE_EVENTS: usize = 1;

/// The regions the key-only scenario picks from, in order: the first the organization does not use.
const QUIET_REGIONS: &[&str] = &[
    "sa-east-1",
    "eu-north-1",
    "ap-northeast-3",
    "eu-west-3",
    "us-west-1",
];

/// The region of the key-only scenario: `sa-east-1` unless the organization uses it (with `--regions 6` or
/// more), then the next of a few others only the scanner reads. Never [`NEW_REGION`].
pub fn quiet_region(org: &Org) -> &'static str {
    QUIET_REGIONS
        .iter()
        .copied()
        .filter(|q| scanner::REGIONS.contains(q) && *q != NEW_REGION)
        .find(|q| !org.regions.iter().any(|r| r == q))
        .unwrap_or("us-west-1")
}

/// Twenty anonymous reads of distinct backups of a private bucket within a few minutes, at 0.75 of the
/// archive.
fn anonymous_s3_small(rng: &mut SmallRng, org: &Org) -> Scenario {
    let a = 2 % org.accounts.len();
    let r = 0;
    let region = &org.regions[r];
    let time = at_fraction(org, 0.75) + Duration::seconds(20);
    let account = &org.accounts[a];
    let bucket = org.bucket(a, r, "backups");
    let who = attacker(anonymous(), &format!("{KALI_CLI} prompt/off command/s3.cp"));
    let mut t = time;
    let events = (0..ANONYMOUS_S3_SMALL_EVENTS)
        .map(|i| {
            let key = format!(
                "db/{}/2026-03-{:02}/{}.sql.gz",
                TABLES[i % TABLES.len()],
                1 + i / TABLES.len(),
                hex(rng, 8)
            );
            let bytes = rng.random_range(2_000_000..90_000_000);
            let api = Api::new("s3.amazonaws.com", "GetObject", true)
                .params(json!({"bucketName": bucket, "key": key, "Host": format!("{bucket}.s3.{region}.amazonaws.com")}))
                .resources(s3_object_resources(account, &bucket, &key))
                .extra(s3_extra(rng, 0, bytes, false))
                .data();
            let e = record(rng, t, account, region, &who, api);
            t += Duration::seconds(rng.random_range(5..12));
            e
        })
        .collect();
    Scenario {
        name: "anonymous_s3_small",
        a,
        r: Some(r),
        region: region.clone(),
        time,
        events,
    }
}

/// A lone `ImportKeyPair` by mallory in [`quiet_region`], at 0.6 of the archive.
fn new_region_key_only(rng: &mut SmallRng, org: &Org) -> Scenario {
    let a = 1 % org.accounts.len();
    let region = quiet_region(org);
    let time = at_fraction(org, 0.6) + Duration::seconds(rng.random_range(30..240));
    let account = &org.accounts[a];
    let who = attacker(
        mallory_user(account),
        &format!("{KALI_CLI} prompt/off command/ec2.import-key-pair"),
    );
    let key_name = "maint-2026";
    let api = Api::new("ec2.amazonaws.com", "ImportKeyPair", false)
        .params(json!({"keyName": key_name, "publicKeyMaterial": format!("c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSU{}", alnum(rng, 40))}))
        .response(json!({"requestId": uuid(rng), "keyFingerprint": format!("SHA256:{}", alnum(rng, 43)),
            "keyName": key_name, "keyPairId": format!("key-0{}", hex(rng, 16))}));
    Scenario {
        name: "new_region_key_only",
        a,
        r: None,
        region: region.to_string(),
        time,
        events: vec![record(rng, time, account, region, &who, api)],
    }
}

/// Mallory's `PutBucketLifecycle` expiring every object of the CloudTrail log bucket after one day, at 0.8
/// of the archive.
fn lifecycle_on_trail_bucket(rng: &mut SmallRng, org: &Org) -> Scenario {
    let a = org.log_account();
    let r = 0;
    let region = &org.regions[r];
    let time = at_fraction(org, 0.8) + Duration::seconds(rng.random_range(30..240));
    let account = &org.accounts[a];
    let bucket = org.log_bucket();
    let who = attacker(
        mallory_user(account),
        &format!("{KALI_CLI} prompt/off command/s3api.put-bucket-lifecycle-configuration"),
    );
    let api = Api::new("s3.amazonaws.com", "PutBucketLifecycle", false)
        .params(json!({
            "bucketName": bucket,
            "Host": format!("{bucket}.s3.amazonaws.com"),
            "lifecycle": "",
            "LifecycleConfiguration": {
                "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                "Rule": {"ID": "cleanup", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}},
            },
        }))
        .resources(json!([{"accountId": account, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]))
        .extra(s3_extra(rng, 312, 0, true));
    Scenario {
        name: "lifecycle_on_trail_bucket",
        a,
        r: Some(r),
        region: region.clone(),
        time,
        events: vec![record(rng, time, account, region, &who, api)],
    }
}

/// The three quiet scenarios of `org`, deterministic by seed.
pub fn scenarios(org: &Org) -> Vec<Scenario> {
    let mut rng = rng_of(&[org.seed, 257]);
    vec![
        anonymous_s3_small(&mut rng, org),
        new_region_key_only(&mut rng, org),
        lifecycle_on_trail_bucket(&mut rng, org),
    ]
}
