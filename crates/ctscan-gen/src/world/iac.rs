//! Infrastructure as code: a few times a day a workflow of the infrastructure repository signs in as the
//! `ci-deploy` role ([`cicd::ci_session`]) and either runs Terraform (a refresh of a few hundred
//! `Describe`/`Get`/`List` calls, then an apply of tens of changes, all within about five minutes from the
//! runner) or updates a CloudFormation stack, whose execution role then makes the reads and changes itself
//! (`invokedBy` and source `cloudformation.amazonaws.com`). The first run manages the organization's log
//! bucket too: a 365-day lifecycle and the policy that lets CloudTrail write. Runs follow the event
//! budget; each is an episode of its account and region (and `us-east-1`, where IAM logs).

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::cicd;
use super::common::{Call, Who, record, rng_of};
use super::episode::Part;
use super::iac_calls::{self as calls, Scope};
use super::org::Org;
use super::shapes;

/// Share of `--events` the runs take at most.
pub const SHARE: f64 = 0.06;

/// Fewest and most records of one run.
const RUN_SIZE: (usize, usize) = (30, 330);

/// The repository whose workflow runs them.
const REPO: &str = "acme-corp/infra-live";

/// Terraform's user agent (the AWS provider's SDK).
pub const TERRAFORM_AGENT: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.8.5 (+https://www.terraform.io) terraform-provider-aws/5.54.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.27.2 ua/2.0 os/linux lang/go#1.22.4 md/GOOS#linux md/GOARCH#amd64";

/// What the workflow itself calls in a CloudFormation run, before CloudFormation acts.
const STACK_UPDATE: &[Call] = &[
    ("sts.amazonaws.com", "GetCallerIdentity"),
    ("cloudformation.amazonaws.com", "CreateChangeSet"),
    ("cloudformation.amazonaws.com", "DescribeChangeSet"),
    ("cloudformation.amazonaws.com", "DescribeChangeSet"),
    ("cloudformation.amazonaws.com", "ExecuteChangeSet"),
    ("cloudformation.amazonaws.com", "DescribeStacks"),
    ("cloudformation.amazonaws.com", "DescribeStacks"),
    ("cloudformation.amazonaws.com", "DescribeStackEvents"),
];

/// The records of one run, split by where they are logged.
#[derive(Default)]
struct Logged {
    regional: Vec<Value>,
    global: Vec<Value>,
}

/// The reads and writes of a run by `who` in `s`: reads from `from` over `span`, then writes spread over
/// the next minute and a half; IAM's logged in `us-east-1`.
#[allow(clippy::too_many_arguments)]
fn plan_and_apply(
    rng: &mut SmallRng,
    s: &Scope,
    who: &Who,
    from: DateTime<Utc>,
    span: i64,
    reads: usize,
    writes: Vec<Call>,
    out: &mut Logged,
) {
    let account = &s.org.accounts[s.a];
    let mut log = |rng: &mut SmallRng, t: DateTime<Utc>, call: Call| {
        let api = calls::api(rng, s, call);
        let global = call.0 == "iam.amazonaws.com";
        let region = if global {
            &s.org.regions[0]
        } else {
            &s.org.regions[s.r]
        };
        let mut e = record(rng, t, account, region, who, api);
        if let Some((code, message)) = calls::missing_setting(call) {
            e["errorCode"] = code.into();
            e["errorMessage"] = message.into();
        }
        let list = if global {
            &mut out.global
        } else {
            &mut out.regional
        };
        list.push(e);
    };
    for _ in 0..reads {
        let t = from + Duration::milliseconds(rng.random_range(0..span * 1000));
        let call = calls::read(rng);
        log(rng, t, call);
    }
    let step = 90_000 / writes.len().max(1) as i64;
    for (i, call) in writes.into_iter().enumerate() {
        let t = from + Duration::seconds(span + 5) + Duration::milliseconds(step * i as i64);
        log(rng, t, call);
    }
}

/// The log bucket's two changes of the first run: a 365-day retention and the policy letting CloudTrail
/// write.
fn log_bucket_changes(rng: &mut SmallRng, org: &Org, who: &Who, t: DateTime<Utc>) -> Vec<Value> {
    let a = org.log_account();
    let account = &org.accounts[a];
    let bucket = org.log_bucket();
    let host = format!("{bucket}.s3.amazonaws.com");
    let retention = calls::lifecycle("retain-365-days", "", 365, Some(90));
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl", "Resource": format!("arn:aws:s3:::{bucket}")},
        {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/AWSLogs/*"),
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
    ]});
    let changes = [
        ("PutBucketLifecycle", ("LifecycleConfiguration", retention)),
        ("PutBucketPolicy", ("bucketPolicy", policy)),
    ];
    changes
        .into_iter()
        .enumerate()
        .map(|(i, (name, config))| {
            let api = calls::bucket_call(rng, account, &bucket, &host, name, Some(config));
            record(
                rng,
                t + Duration::seconds(3 * i as i64),
                account,
                &org.regions[0],
                who,
                api,
            )
        })
        .collect()
}

/// The changes an apply makes: `n` of them, a lifecycle rule and a bucket policy among them.
fn changes(rng: &mut SmallRng, n: usize) -> Vec<Call> {
    let mut out = vec![
        ("s3.amazonaws.com", "PutBucketLifecycle"),
        ("s3.amazonaws.com", "PutBucketPolicy"),
    ];
    while out.len() < n {
        out.push(calls::write(rng));
    }
    out
}

/// Terraform run `j` of `size` records in `s` from `start` (with the log bucket's changes when `logs`).
fn terraform(rng: &mut SmallRng, s: &Scope, start: DateTime<Utc>, size: usize, logs: bool) -> Logged {
    let (login, mut who) = cicd::ci_session(rng, s.org, s.a, s.r, REPO, start);
    who.agent = TERRAFORM_AGENT.to_string();
    let mut out = Logged::default();
    out.regional.push(login);
    let ctx = s.ctx();
    let api = shapes::api(rng, &ctx, "sts.amazonaws.com", "GetCallerIdentity");
    let region = &s.org.regions[s.r];
    let caller = record(
        rng,
        start + Duration::seconds(3),
        &s.org.accounts[s.a],
        region,
        &who,
        api,
    );
    out.regional.push(caller);
    let fixed = 2 + if logs { 2 } else { 0 };
    let body = size.saturating_sub(fixed);
    let writes = (body / 9).max(2);
    let reads = body.saturating_sub(writes);
    let from = start + Duration::seconds(5);
    let writes = changes(rng, writes);
    plan_and_apply(rng, s, &who, from, 190, reads, writes, &mut out);
    if logs {
        let t = from + Duration::seconds(190 + 95);
        out.regional.extend(log_bucket_changes(rng, s.org, &who, t));
    }
    out
}

/// CloudFormation run of `size` records in `s` from `start`: the workflow updates a stack, CloudFormation
/// reads and changes the resources.
fn stack_update(rng: &mut SmallRng, s: &Scope, start: DateTime<Utc>, size: usize) -> Logged {
    let (login, who) = cicd::ci_session(rng, s.org, s.a, s.r, REPO, start);
    let mut out = Logged::default();
    out.regional.push(login);
    let ctx = s.ctx();
    let account = &s.org.accounts[s.a];
    let region = &s.org.regions[s.r];
    let mut t = start;
    let mut executed = start;
    for &(source, name) in STACK_UPDATE {
        t += Duration::seconds(rng.random_range(2..6));
        let api = shapes::api(rng, &ctx, source, name);
        let mut w = who.clone();
        w.agent = cicd::cli_agent(source, name);
        out.regional.push(record(rng, t, account, region, &w, api));
        if name == "ExecuteChangeSet" {
            executed = t;
        }
    }
    let (assume, cfn) = cicd::cfn_session(rng, s.org, s.a, s.r, executed + Duration::seconds(2));
    out.regional.push(assume);
    let body = size.saturating_sub(STACK_UPDATE.len() + 2);
    let writes = (body / 8).max(2);
    let reads = body.saturating_sub(writes);
    let from = executed + Duration::seconds(4);
    let writes = changes(rng, writes);
    plan_and_apply(rng, s, &cfn, from, 150, reads, writes, &mut out);
    out
}

/// Runs the budget of `events` allows and records per run.
fn sizing(org: &Org, events: usize) -> (usize, usize) {
    let budget = (events as f64 * SHARE) as usize;
    let runs = (3 * org.days as usize).min(budget / RUN_SIZE.0);
    let size = budget.checked_div(runs).unwrap_or(0).min(RUN_SIZE.1);
    (runs, size)
}

/// Every run of the archive for a budget of `events`: three a day when the budget allows, in working
/// hours, alternating Terraform and CloudFormation; the first in the log bucket's account and
/// `us-east-1`.
pub fn schedule(org: &Org, events: usize) -> Vec<Part> {
    let (runs, size) = sizing(org, events);
    let mut out = Vec::new();
    for j in 0..runs {
        let mut rng = rng_of(&[org.seed, 263, j as u64]);
        let day = (j * org.days as usize / runs) as i64;
        let start = org.start
            + Duration::days(day)
            + Duration::hours(9 + (j as i64 * 7) % 9)
            + Duration::seconds(rng.random_range(0..3000));
        let (a, r) = if j == 0 {
            (org.log_account(), 0)
        } else {
            (j % org.accounts.len(), rng.random_range(0..org.regions.len()))
        };
        let s = Scope { org, a, r };
        let logged = if j % 2 == 0 {
            terraform(&mut rng, &s, start, size, j == 0)
        } else {
            stack_update(&mut rng, &s, start, size)
        };
        let Logged { mut regional, global } = logged;
        if r == 0 {
            regional.extend(global);
        } else if !global.is_empty() {
            out.push(Part {
                a,
                r: 0,
                time: start,
                events: global,
            });
        }
        out.push(Part {
            a,
            r,
            time: start,
            events: regional,
        });
    }
    out.sort_by_key(|p| p.time);
    out
}
