//! A third-party security scanner (a CSPM vendor) that sweeps every account once a day: from one of its
//! few fixed addresses, it assumes the account's `SecurityAuditScanner` role (the vendor's account calling
//! `AssumeRole`, logged in `us-east-1`) and calls read-only `Describe*`/`List*`/`Get*` in every commercial
//! region, those the organization never uses included: read-only sweeps that must not make a region look
//! used. Its calls in the organization's regions go into objects of those regions near the sweep
//! ([`Slots`]); the others fill objects of their own ([`Outside`]).

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::common::{
    Api, Call, Who, assumed_role, expiration, id, pick, record, rng_of, role_context, role_issuer,
    session_token,
};
use super::objects::{FilePlan, Outside, Slots, WINDOW};
use super::org::Org;

/// The role the vendor assumes in every account.
pub const ROLE: &str = "SecurityAuditScanner";

/// The vendor's AWS account (the `AssumeRole` caller).
pub const VENDOR_ACCOUNT: &str = "464622532012";

/// The vendor's scanning addresses.
pub const ADDRESSES: &[&str] = &["54.173.40.12", "3.214.87.201", "34.205.119.77"];

/// The vendor scanner's user agent.
pub const AGENT: &str =
    "CloudSentry-Scanner/5.3.1 aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64";

/// The commercial regions it sweeps (what `aws ec2 describe-regions` lists in an account without opt-in
/// regions).
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-south-1",
    "sa-east-1",
];

/// Share of `--events` the sweeps take at most.
pub const SHARE: f64 = 0.05;

/// Calls in one region of one sweep at most.
const MAX_PER_REGION: usize = 12;

/// What it calls in every region, in the order it calls them.
const REGIONAL: &[Call] = &[
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("ec2.amazonaws.com", "DescribeSecurityGroups"),
    ("ec2.amazonaws.com", "DescribeVpcs"),
    ("kms.amazonaws.com", "ListKeys"),
    ("lambda.amazonaws.com", "ListFunctions20150331"),
    ("ec2.amazonaws.com", "DescribeSnapshots"),
    ("ec2.amazonaws.com", "DescribeVolumes"),
    ("cloudtrail.amazonaws.com", "DescribeTrails"),
    ("guardduty.amazonaws.com", "ListDetectors"),
    ("config.amazonaws.com", "DescribeConfigurationRecorders"),
    ("rds.amazonaws.com", "DescribeDBInstances"),
    ("secretsmanager.amazonaws.com", "ListSecrets"),
    ("logs.amazonaws.com", "DescribeLogGroups"),
    ("ec2.amazonaws.com", "DescribeFlowLogs"),
    ("ec2.amazonaws.com", "GetEbsEncryptionByDefault"),
];

/// What it calls in `us-east-1` only (global services).
const GLOBAL: &[Call] = &[
    ("iam.amazonaws.com", "GetAccountAuthorizationDetails"),
    ("iam.amazonaws.com", "GetAccountPasswordPolicy"),
    ("iam.amazonaws.com", "GetAccountSummary"),
    ("s3.amazonaws.com", "ListBuckets"),
];

fn params(call: Call, region: &str) -> Value {
    match call {
        ("ec2.amazonaws.com", "DescribeInstances") => json!({"instancesSet": {}, "filterSet": {}}),
        ("ec2.amazonaws.com", "DescribeSecurityGroups") => {
            json!({"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}})
        }
        ("ec2.amazonaws.com", "DescribeVpcs") => json!({"vpcSet": {}, "filterSet": {}}),
        ("ec2.amazonaws.com", "DescribeSnapshots") => {
            json!({"snapshotSet": {}, "ownersSet": {"items": [{"owner": "self"}]},
            "sharedUsersSet": {}, "filterSet": {}})
        }
        ("ec2.amazonaws.com", "DescribeVolumes") => json!({"volumeSet": {}, "filterSet": {}}),
        ("ec2.amazonaws.com", "DescribeFlowLogs") => json!({"flowLogIds": {}, "filterSet": {}}),
        ("kms.amazonaws.com", "ListKeys") => json!({"limit": 1000}),
        ("lambda.amazonaws.com", _) => json!({"functionVersion": "ALL"}),
        ("cloudtrail.amazonaws.com", _) => json!({"includeShadowTrails": true}),
        ("guardduty.amazonaws.com", _) => json!({"maxResults": 50}),
        ("secretsmanager.amazonaws.com", _) => json!({"maxResults": 100}),
        ("logs.amazonaws.com", _) => json!({"limit": 50}),
        ("iam.amazonaws.com", "GetAccountAuthorizationDetails") => {
            json!({"filter": ["User", "Role", "Group", "LocalManagedPolicy"], "maxItems": 1000})
        }
        ("s3.amazonaws.com", _) => json!({"Host": format!("s3.{region}.amazonaws.com")}),
        _ => Value::Null,
    }
}

/// One sweep of one account: when it starts and with which session.
struct Sweep {
    a: usize,
    day: u32,
    start: DateTime<Utc>,
    who: Who,
    key: String,
    session: String,
    address: &'static str,
}

fn sweep(org: &Org, a: usize, day: u32) -> Sweep {
    let mut rng = rng_of(&[org.seed, 231, a as u64, u64::from(day)]);
    let start = org.start
        + Duration::days(i64::from(day))
        + Duration::hours(2)
        + Duration::minutes(17 * a as i64 % 120)
        + Duration::seconds(rng.random_range(0..600));
    let account = &org.accounts[a];
    let role_id = org.role_id(a, ROLE);
    let session = format!("cloudsentry-{}", start.format("%Y%m%d%H%M"));
    let key = id(&mut rng, "ASIA", 16);
    let identity = assumed_role(
        account,
        ROLE,
        &role_id,
        &session,
        &key,
        role_context(role_issuer(account, "/", ROLE, &role_id), start, false),
    );
    let address = *pick(&mut rng, ADDRESSES);
    Sweep {
        a,
        day,
        start,
        who: Who {
            identity,
            ip: address.to_string(),
            agent: AGENT.to_string(),
            vpce: None,
            console: false,
            service: false,
        },
        key,
        session,
        address,
    }
}

/// The vendor's `AssumeRole` of the account's scanner role that opens sweep `s` at `time`.
fn assume(rng: &mut SmallRng, org: &Org, s: &Sweep, time: DateTime<Utc>) -> Value {
    let account = &org.accounts[s.a];
    let role_arn = org.role_arn(s.a, "/", ROLE);
    let who = Who {
        identity: json!({"type": "AWSAccount", "principalId": format!("AROAWXCSPMVENDOR7Q2ZR:{}", s.session),
            "accountId": VENDOR_ACCOUNT}),
        ip: s.address.to_string(),
        agent: AGENT.to_string(),
        vpce: None,
        console: false,
        service: false,
    };
    let api = Api::new("sts.amazonaws.com", "AssumeRole", true)
        .params(json!({"roleArn": role_arn, "roleSessionName": s.session, "externalId": "cs-7f3a9e21", "durationSeconds": 3600}))
        .response(json!({
            "credentials": {"accessKeyId": s.key, "sessionToken": session_token(rng), "expiration": expiration(time + Duration::hours(1))},
            "assumedRoleUser": {"assumedRoleId": format!("{}:{}", org.role_id(s.a, ROLE), s.session),
                "arn": format!("arn:aws:sts::{account}:assumed-role/{ROLE}/{}", s.session)},
        }))
        .resources(json!([{"accountId": account, "type": "AWS::IAM::Role", "ARN": role_arn}]));
    let mut e = record(rng, time, account, "us-east-1", &who, api);
    e["sharedEventID"] = super::common::uuid(rng).into();
    e
}

/// The `n` calls of sweep `s` in `region` from `start`, a few seconds apart (with the global ones first in
/// `us-east-1`).
fn region_calls(
    rng: &mut SmallRng,
    org: &Org,
    s: &Sweep,
    region: &str,
    start: DateTime<Utc>,
    n: usize,
) -> Vec<Value> {
    let global = if region == "us-east-1" { GLOBAL } else { &[] };
    let account = &org.accounts[s.a];
    let mut t = start;
    global
        .iter()
        .chain(REGIONAL)
        .take(n)
        .map(|&call| {
            t += Duration::seconds(rng.random_range(1..=6));
            let api = Api::new(call.0, call.1, true).params(params(call, region));
            record(rng, t, account, region, &s.who, api)
        })
        .collect()
}

/// Sweeps the budget allows (each account once a day, as many days and accounts as fit) and calls per
/// region.
fn sizing(org: &Org, events: usize) -> (usize, usize) {
    let budget = (events as f64 * SHARE) as usize;
    let wanted = org.accounts.len() * org.days as usize;
    let per_sweep = REGIONS.len() + 1;
    let sweeps = wanted.min(budget / per_sweep);
    let per_region = budget.checked_div(sweeps).map_or(0, |per_sweep| {
        (per_sweep.saturating_sub(1) / REGIONS.len()).clamp(1, MAX_PER_REGION)
    });
    (sweeps, per_region)
}

/// The sweeps of the archive, for an `events` budget.
fn sweeps(org: &Org, events: usize) -> (Vec<Sweep>, usize) {
    let (n, per_region) = sizing(org, events);
    let list = (0..org.days)
        .flat_map(|d| (0..org.accounts.len()).map(move |a| (a, d)))
        .take(n)
        .map(|(a, d)| sweep(org, a, d))
        .collect();
    (list, per_region)
}

/// When sweep `s` reaches region `i` of [`REGIONS`].
fn region_time(s: &Sweep, i: usize) -> DateTime<Utc> {
    s.start + Duration::seconds(5 + 75 * i as i64)
}

/// The sweeps' objects in the regions the organization does not use (benign records, counted in the
/// budget of `events`).
pub fn outside(org: &Org, events: usize) -> Vec<Outside> {
    let (list, per_region) = sweeps(org, events);
    let mut out = Vec::new();
    for s in &list {
        for (i, region) in REGIONS.iter().enumerate() {
            if org.regions.iter().any(|r| r == region) {
                continue;
            }
            let mut rng = rng_of(&[org.seed, 233, s.a as u64, u64::from(s.day), i as u64]);
            out.push(Outside {
                a: s.a,
                region: region.to_string(),
                records: region_calls(&mut rng, org, s, region, region_time(s, i), per_region),
                planted: 0,
            });
        }
    }
    out
}

/// Puts the sweeps' calls in the organization's regions into objects of those regions with room, in the
/// window nearest the sweep's passage (within twelve hours; a region without such an object is left
/// unswept that day, which only happens in tiny archives).
pub fn attach(org: &Org, events: usize, files: &mut [FilePlan]) {
    let (list, per_region) = sweeps(org, events);
    let slots = Slots::new(files);
    for s in &list {
        for (i, region) in REGIONS.iter().enumerate() {
            let Some(r) = org.regions.iter().position(|x| x == region) else {
                continue;
            };
            let opens = r == 0;
            let need = per_region + usize::from(opens);
            let at = region_time(s, i);
            let Some(f) = slots.nearest(files, (s.a, r), at, Duration::hours(12), need) else {
                continue;
            };
            let mut rng = rng_of(&[org.seed, 237, s.a as u64, u64::from(s.day), i as u64]);
            let start = files[f].slot + Duration::seconds(rng.random_range(0..WINDOW / 2));
            if opens {
                files[f].episodes.push(assume(&mut rng, org, s, start));
            }
            let calls = region_calls(&mut rng, org, s, region, start + Duration::seconds(2), per_region);
            files[f].episodes.extend(calls);
        }
    }
}
