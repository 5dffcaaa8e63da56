//! What the people of the realistic world do in their sessions: mostly look (instances, metrics, logs,
//! buckets, stacks), sometimes change something when their access allows it, now and then denied.

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::Value;

use super::common::{Call, hex, record, weighted};
use super::org::Org;
use super::people::Session;
use super::shapes::{self, Ctx};

/// What people look at and do, by weight.
const READS: &[(Call, u32)] = &[
    (("ec2.amazonaws.com", "DescribeInstances"), 8),
    (("ec2.amazonaws.com", "DescribeSecurityGroups"), 3),
    (("ec2.amazonaws.com", "DescribeVpcs"), 2),
    (("ec2.amazonaws.com", "DescribeSubnets"), 2),
    (("ec2.amazonaws.com", "DescribeVolumes"), 2),
    (("ec2.amazonaws.com", "DescribeInstanceStatus"), 2),
    (("ec2.amazonaws.com", "DescribeAddresses"), 1),
    (("monitoring.amazonaws.com", "GetMetricData"), 6),
    (("monitoring.amazonaws.com", "DescribeAlarms"), 3),
    (("logs.amazonaws.com", "DescribeLogGroups"), 2),
    (("logs.amazonaws.com", "FilterLogEvents"), 3),
    (("logs.amazonaws.com", "StartQuery"), 1),
    (("logs.amazonaws.com", "GetQueryResults"), 2),
    (("s3.amazonaws.com", "ListBuckets"), 3),
    (("s3.amazonaws.com", "GetBucketLocation"), 2),
    (("s3.amazonaws.com", "GetBucketPolicy"), 1),
    (("s3.amazonaws.com", "GetBucketVersioning"), 1),
    (("s3.amazonaws.com", "ListObjects"), 2),
    (("lambda.amazonaws.com", "ListFunctions20150331"), 2),
    (("lambda.amazonaws.com", "GetFunction20150331v2"), 2),
    (("cloudformation.amazonaws.com", "DescribeStacks"), 3),
    (("cloudformation.amazonaws.com", "DescribeStackEvents"), 2),
    (("cloudformation.amazonaws.com", "ListStacks"), 1),
    (("iam.amazonaws.com", "ListRoles"), 1),
    (("iam.amazonaws.com", "GetRole"), 1),
    (("iam.amazonaws.com", "ListPolicies"), 1),
    (("rds.amazonaws.com", "DescribeDBInstances"), 1),
    (("dynamodb.amazonaws.com", "DescribeTable"), 1),
    (("dynamodb.amazonaws.com", "ListTables"), 1),
    (("ecr.amazonaws.com", "DescribeRepositories"), 1),
    (("cloudtrail.amazonaws.com", "LookupEvents"), 1),
    (("health.amazonaws.com", "DescribeEventAggregates"), 1),
    (("ce.amazonaws.com", "GetCostAndUsage"), 1),
    (("kms.amazonaws.com", "ListAliases"), 1),
    (("ssm.amazonaws.com", "DescribeInstanceInformation"), 1),
    (("sts.amazonaws.com", "GetCallerIdentity"), 1),
];

const WRITES: &[(Call, u32)] = &[
    (("ec2.amazonaws.com", "CreateTags"), 3),
    (("ec2.amazonaws.com", "RebootInstances"), 1),
    (("ssm.amazonaws.com", "StartSession"), 1),
    (("s3.amazonaws.com", "PutObject"), 2),
];

/// Services whose calls log in `us-east-1` only.
fn global(source: &str) -> bool {
    matches!(
        source,
        "iam.amazonaws.com" | "health.amazonaws.com" | "ce.amazonaws.com"
    )
}

/// One call by session `s` in region `r` at `time`.
pub fn call(rng: &mut SmallRng, org: &Org, s: &Session, r: usize, time: DateTime<Utc>) -> Value {
    let table = if s.writes && rng.random_bool(0.05) {
        WRITES
    } else {
        READS
    };
    let mut call = *weighted(rng, table);
    while global(call.0) && r != 0 {
        call = *weighted(rng, READS);
    }
    let ctx = Ctx {
        org,
        a: s.a,
        r,
        instance: None,
        app: None,
    };
    let mut api = shapes::api(rng, &ctx, call.0, call.1);
    if api.name == "StartSession" {
        let name = s.identity["arn"]
            .as_str()
            .and_then(|a| a.rsplit('/').next())
            .unwrap_or_default();
        api.response["sessionId"] = format!("{name}-{}", hex(rng, 17)).into();
    }
    let who = s.who(api.source, api.name);
    let mut e = record(rng, time, &org.accounts[s.a], &org.regions[r], &who, api);
    if rng.random_bool(0.01) {
        e["errorCode"] = "AccessDenied".into();
        e["errorMessage"] = format!(
            "User: {} is not authorized to perform this operation because no identity-based policy allows it",
            s.identity["arn"].as_str().unwrap_or_default()
        )
        .into();
        e["responseElements"] = Value::Null;
    }
    e
}
