//! The API calls a generated organization makes: about eighty event names over some twenty-five services,
//! weighted like ordinary background activity (mostly reads), each with nested, varying request parameters.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

/// One API call the generator can emit.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// `eventSource`.
    pub source: &'static str,
    /// `eventName`.
    pub name: &'static str,
    /// Whether the call only reads.
    pub read_only: bool,
    /// Whether it is a data event (S3 object, Lambda invoke, DynamoDB item...) rather than management.
    pub data: bool,
    /// Relative frequency.
    pub weight: u32,
}

const fn m(source: &'static str, name: &'static str, read_only: bool, weight: u32) -> Call {
    Call {
        source,
        name,
        read_only,
        data: false,
        weight,
    }
}

const fn d(source: &'static str, name: &'static str, read_only: bool, weight: u32) -> Call {
    Call {
        source,
        name,
        read_only,
        data: true,
        weight,
    }
}

/// Every call the generator emits.
pub const CALLS: &[Call] = &[
    m("ec2.amazonaws.com", "DescribeInstances", true, 60),
    m("ec2.amazonaws.com", "DescribeSecurityGroups", true, 25),
    m("ec2.amazonaws.com", "DescribeVolumes", true, 20),
    m("ec2.amazonaws.com", "DescribeSnapshots", true, 10),
    m("ec2.amazonaws.com", "DescribeImages", true, 10),
    m("ec2.amazonaws.com", "DescribeVpcs", true, 10),
    m("ec2.amazonaws.com", "DescribeSubnets", true, 10),
    m("ec2.amazonaws.com", "CreateTags", false, 6),
    m("ec2.amazonaws.com", "RunInstances", false, 2),
    m("ec2.amazonaws.com", "TerminateInstances", false, 1),
    m("ec2.amazonaws.com", "CreateSnapshot", false, 2),
    m("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", false, 1),
    m("s3.amazonaws.com", "ListBuckets", true, 15),
    m("s3.amazonaws.com", "GetBucketLocation", true, 20),
    m("s3.amazonaws.com", "GetBucketPolicy", true, 6),
    m("s3.amazonaws.com", "GetBucketAcl", true, 6),
    m("s3.amazonaws.com", "GetBucketVersioning", true, 5),
    m("s3.amazonaws.com", "CreateBucket", false, 1),
    d("s3.amazonaws.com", "GetObject", true, 80),
    d("s3.amazonaws.com", "PutObject", false, 40),
    d("s3.amazonaws.com", "HeadObject", true, 30),
    d("s3.amazonaws.com", "ListObjects", true, 20),
    m("iam.amazonaws.com", "GetUser", true, 8),
    m("iam.amazonaws.com", "ListUsers", true, 6),
    m("iam.amazonaws.com", "ListRoles", true, 6),
    m("iam.amazonaws.com", "GetRole", true, 8),
    m("iam.amazonaws.com", "ListAttachedRolePolicies", true, 6),
    m("iam.amazonaws.com", "GetPolicyVersion", true, 4),
    m("iam.amazonaws.com", "ListAccessKeys", true, 3),
    m("iam.amazonaws.com", "TagRole", false, 1),
    m("sts.amazonaws.com", "AssumeRole", false, 40),
    m("sts.amazonaws.com", "GetCallerIdentity", true, 25),
    m("sts.amazonaws.com", "AssumeRoleWithWebIdentity", false, 5),
    m("sts.amazonaws.com", "AssumeRoleWithSAML", false, 3),
    m("signin.amazonaws.com", "ConsoleLogin", false, 3),
    m("lambda.amazonaws.com", "ListFunctions20150331", true, 6),
    m("lambda.amazonaws.com", "GetFunction20150331v2", true, 5),
    d("lambda.amazonaws.com", "Invoke", false, 25),
    m("kms.amazonaws.com", "Decrypt", true, 45),
    m("kms.amazonaws.com", "GenerateDataKey", true, 25),
    m("kms.amazonaws.com", "DescribeKey", true, 8),
    m("kms.amazonaws.com", "Encrypt", true, 6),
    m("cloudtrail.amazonaws.com", "DescribeTrails", true, 3),
    m("cloudtrail.amazonaws.com", "GetTrailStatus", true, 3),
    m("cloudtrail.amazonaws.com", "LookupEvents", true, 2),
    m("logs.amazonaws.com", "CreateLogStream", false, 10),
    m("logs.amazonaws.com", "DescribeLogGroups", true, 6),
    m("logs.amazonaws.com", "FilterLogEvents", true, 3),
    m("monitoring.amazonaws.com", "GetMetricData", true, 15),
    m("monitoring.amazonaws.com", "PutMetricAlarm", false, 1),
    m("monitoring.amazonaws.com", "DescribeAlarms", true, 6),
    m("dynamodb.amazonaws.com", "DescribeTable", true, 6),
    m("dynamodb.amazonaws.com", "ListTables", true, 4),
    d("dynamodb.amazonaws.com", "GetItem", true, 15),
    d("dynamodb.amazonaws.com", "PutItem", false, 8),
    m("rds.amazonaws.com", "DescribeDBInstances", true, 6),
    m("rds.amazonaws.com", "DescribeDBClusters", true, 3),
    m("rds.amazonaws.com", "CreateDBSnapshot", false, 1),
    m("sns.amazonaws.com", "Publish", false, 6),
    m("sns.amazonaws.com", "ListTopics", true, 3),
    m("sqs.amazonaws.com", "ListQueues", true, 4),
    m("sqs.amazonaws.com", "GetQueueAttributes", true, 4),
    m("secretsmanager.amazonaws.com", "GetSecretValue", true, 6),
    m("secretsmanager.amazonaws.com", "DescribeSecret", true, 3),
    m("ssm.amazonaws.com", "GetParameter", true, 10),
    m("ssm.amazonaws.com", "DescribeInstanceInformation", true, 6),
    m("ssm.amazonaws.com", "UpdateInstanceInformation", false, 8),
    m("cloudformation.amazonaws.com", "DescribeStacks", true, 8),
    m("cloudformation.amazonaws.com", "DescribeStackEvents", true, 4),
    m("cloudformation.amazonaws.com", "UpdateStack", false, 1),
    m("ecr.amazonaws.com", "GetAuthorizationToken", true, 6),
    m("ecr.amazonaws.com", "BatchGetImage", true, 5),
    m("eks.amazonaws.com", "DescribeCluster", true, 4),
    m("eks.amazonaws.com", "ListClusters", true, 2),
    m(
        "elasticloadbalancing.amazonaws.com",
        "DescribeLoadBalancers",
        true,
        5,
    ),
    m(
        "elasticloadbalancing.amazonaws.com",
        "DescribeTargetHealth",
        true,
        5,
    ),
    m("autoscaling.amazonaws.com", "DescribeAutoScalingGroups", true, 4),
    m("route53.amazonaws.com", "ListHostedZones", true, 2),
    m("route53.amazonaws.com", "ChangeResourceRecordSets", false, 1),
    m("config.amazonaws.com", "PutEvaluations", false, 4),
    m("config.amazonaws.com", "DescribeConfigRules", true, 2),
    m("guardduty.amazonaws.com", "ListDetectors", true, 2),
    m("guardduty.amazonaws.com", "GetFindings", true, 2),
    m("securityhub.amazonaws.com", "BatchImportFindings", false, 2),
    m("organizations.amazonaws.com", "DescribeOrganization", true, 2),
    m("organizations.amazonaws.com", "ListAccounts", true, 1),
    m("sso.amazonaws.com", "ListAccountAssignments", true, 1),
    m("health.amazonaws.com", "DescribeEventAggregates", true, 2),
    m("athena.amazonaws.com", "StartQueryExecution", false, 2),
    m("athena.amazonaws.com", "GetQueryExecution", true, 4),
    m("glue.amazonaws.com", "GetTable", true, 3),
];

const BUCKETS: &[&str] = &[
    "acme-prod-assets",
    "acme-data-lake-raw",
    "acme-terraform-state",
    "acme-app-uploads",
    "acme-athena-results",
];
const INSTANCE_TYPES: &[&str] = &["t3.micro", "t3.large", "m6i.xlarge", "c6g.2xlarge", "r6i.large"];

fn pick<'a>(rng: &mut SmallRng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

fn hex(rng: &mut SmallRng, len: usize) -> String {
    (0..len)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// Picks a call by weight.
pub fn pick_call(rng: &mut SmallRng) -> &'static Call {
    static TOTAL: std::sync::LazyLock<u32> =
        std::sync::LazyLock::new(|| CALLS.iter().map(|c| c.weight).sum());
    let mut n = rng.random_range(0..*TOTAL);
    for c in CALLS {
        if n < c.weight {
            return c;
        }
        n -= c.weight;
    }
    &CALLS[0]
}

/// Request parameters, response elements and resources of one call, shaped like the real service writes them.
pub fn details(rng: &mut SmallRng, call: &Call, account: &str, region: &str) -> (Value, Value, Value) {
    let bucket = pick(rng, BUCKETS);
    let instance = format!("i-0{}", hex(rng, 16));
    let resources = Value::Null;
    let (params, response) = match call.name {
        "DescribeInstances" => (
            json!({"instancesSet": {"items": [{"instanceId": instance}]}, "filterSet": {"items": [
                {"name": "instance-state-name", "valueSet": {"items": [{"value": "running"}]}}]}}),
            Value::Null,
        ),
        "RunInstances" => (
            json!({
                "instancesSet": {"items": [{"imageId": format!("ami-0{}", hex(rng, 16)), "minCount": 1, "maxCount": 1}]},
                "instanceType": pick(rng, INSTANCE_TYPES),
                "blockDeviceMapping": {},
                "monitoring": {"enabled": false},
                "disableApiTermination": false,
                "iamInstanceProfile": {"name": "ec2-app-server"},
                "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [{"key": "team", "value": "orders"}]}]},
            }),
            json!({"instancesSet": {"items": [{"instanceId": instance, "currentState": {"code": 0, "name": "pending"}}]},
                   "ownerId": account, "requestId": format!("{}-{}", hex(rng, 8), hex(rng, 4))}),
        ),
        "AuthorizeSecurityGroupIngress" => (
            json!({"groupId": format!("sg-0{}", hex(rng, 16)), "ipPermissions": {"items": [{
                "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
                "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}}]}}),
            json!({"_return": true}),
        ),
        "CreateTags" => (
            json!({"resourcesSet": {"items": [{"resourceId": instance}]},
                   "tagSet": {"items": [{"key": "owner", "value": "platform"}]}}),
            json!({"_return": true}),
        ),
        "GetObject" | "PutObject" | "HeadObject" => (
            json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{region}.amazonaws.com"),
                   "key": format!("data/{}/{}.parquet", rng.random_range(2020..2027), hex(rng, 12))}),
            Value::Null,
        ),
        "ListObjects" => (
            json!({"bucketName": bucket, "prefix": "data/", "list-type": "2", "Host": format!("{bucket}.s3.amazonaws.com")}),
            Value::Null,
        ),
        "GetBucketLocation" | "GetBucketPolicy" | "GetBucketAcl" | "GetBucketVersioning" | "CreateBucket" => {
            (
                json!({"bucketName": bucket, "Host": format!("{bucket}.s3.amazonaws.com"), "acl": ""}),
                Value::Null,
            )
        }
        "AssumeRole" => {
            let role = format!("arn:aws:iam::{account}:role/ci-deploy");
            (
                json!({"roleArn": role, "roleSessionName": format!("session-{}", hex(rng, 8)), "durationSeconds": 3600}),
                json!({"credentials": {"accessKeyId": format!("ASIA{}", hex(rng, 16).to_uppercase()),
                        "sessionToken": hex(rng, 64), "expiration": "Mar 3, 2026, 11:00:00 AM"},
                       "assumedRoleUser": {"assumedRoleId": format!("AROA{}:session", hex(rng, 17).to_uppercase()),
                        "arn": format!("arn:aws:sts::{account}:assumed-role/ci-deploy/session")}}),
            )
        }
        "ConsoleLogin" => (Value::Null, json!({"ConsoleLogin": "Success"})),
        "Decrypt" | "GenerateDataKey" | "Encrypt" | "DescribeKey" => (
            json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                   "encryptionContext": {"aws:s3:arn": format!("arn:aws:s3:::{bucket}/data/{}", hex(rng, 8))},
                   "keyId": format!("arn:aws:kms:{region}:{account}:key/{}-{}-{}", hex(rng, 8), hex(rng, 4), hex(rng, 12))}),
            Value::Null,
        ),
        "Invoke" => (
            json!({"functionName": format!("arn:aws:lambda:{region}:{account}:function:orders-{}", pick(rng, &["api", "worker", "cron"])),
                   "invocationType": "RequestResponse"}),
            Value::Null,
        ),
        "GetItem" | "PutItem" | "DescribeTable" => (
            json!({"tableName": pick(rng, &["orders", "sessions", "inventory"]),
                   "key": {"pk": {"S": format!("order#{}", rng.random_range(1..100_000))}}, "consistentRead": rng.random_bool(0.5)}),
            Value::Null,
        ),
        "GetParameter" => (
            json!({"name": format!("/app/{}/db-host", pick(rng, &["prod", "staging"])), "withDecryption": false}),
            Value::Null,
        ),
        "GetSecretValue" | "DescribeSecret" => (
            json!({"secretId": format!("arn:aws:secretsmanager:{region}:{account}:secret:app/db-{}", hex(rng, 6))}),
            Value::Null,
        ),
        "CreateLogStream" => (
            json!({"logGroupName": format!("/aws/lambda/orders-{}", pick(rng, &["api", "worker"])),
                   "logStreamName": format!("2026/03/03/[$LATEST]{}", hex(rng, 32))}),
            Value::Null,
        ),
        "GetMetricData" => (
            json!({"metricDataQueries": [{"id": "m1", "metricStat": {"metric": {"namespace": "AWS/EC2", "metricName": "CPUUtilization",
                   "dimensions": [{"name": "InstanceId", "value": instance}]}, "period": 300, "stat": "Average"}}],
                   "startTime": "Mar 3, 2026, 9:00:00 AM", "endTime": "Mar 3, 2026, 10:00:00 AM"}),
            Value::Null,
        ),
        "Publish" => (
            json!({"topicArn": format!("arn:aws:sns:{region}:{account}:orders-events"), "messageAttributes": {"type": {"dataType": "String"}}}),
            json!({"messageId": format!("{}-{}-{}", hex(rng, 8), hex(rng, 4), hex(rng, 12))}),
        ),
        "UpdateStack" | "DescribeStacks" | "DescribeStackEvents" => (
            json!({"stackName": format!("orders-{}", pick(rng, &["api", "network", "data"])), "capabilities": ["CAPABILITY_IAM"]}),
            Value::Null,
        ),
        "StartQueryExecution" | "GetQueryExecution" => (
            json!({"queryString": "SELECT count(*) FROM orders WHERE day = current_date",
                   "resultConfiguration": {"outputLocation": "s3://acme-athena-results/"}, "workGroup": "primary"}),
            Value::Null,
        ),
        "UpdateInstanceInformation" => (
            json!({"instanceId": instance, "agentVersion": "3.3.40.0", "platformType": "Linux", "platformName": "Amazon Linux",
                   "iPAddress": "10.20.4.118", "computerName": format!("ip-10-20-4-{}.ec2.internal", rng.random_range(2..250))}),
            Value::Null,
        ),
        _ if call.read_only => (
            json!({
                "maxResults": rng.random_range(10..1000),
                "nextToken": if rng.random_bool(0.3) { Value::from(hex(rng, 96)) } else { Value::Null },
                "filters": [
                    {"name": "tag:team", "values": [pick(rng, &["orders", "payments", "platform", "data"])]},
                    {"name": "owner-id", "values": [account]},
                ],
            }),
            Value::Null,
        ),
        _ => (
            json!({"resourceName": format!("res-{}", hex(rng, 8)), "tags": [{"key": "env", "value": "prod"}]}),
            Value::Null,
        ),
    };
    let resources = if call.data && call.source == "s3.amazonaws.com" {
        json!([
            {"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/data/{}", hex(rng, 8))},
            {"accountId": account, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}
        ])
    } else if call.source == "kms.amazonaws.com" {
        json!([{"accountId": account, "type": "AWS::KMS::Key",
                "ARN": format!("arn:aws:kms:{region}:{account}:key/{}", hex(rng, 8))}])
    } else {
        resources
    };
    (params, response, resources)
}

/// An error this call could plausibly return.
pub fn error_for(rng: &mut SmallRng, call: &Call) -> (&'static str, String) {
    match rng.random_range(0..4) {
        0 => (
            "AccessDenied",
            format!("User is not authorized to perform: {}", call.name),
        ),
        1 => ("ThrottlingException", "Rate exceeded".to_string()),
        2 if call.source == "iam.amazonaws.com" => {
            ("NoSuchEntityException", "The role cannot be found.".to_string())
        }
        2 => (
            "ResourceNotFoundException",
            "Requested resource not found".to_string(),
        ),
        _ => (
            "Client.UnauthorizedOperation",
            "You are not authorized to perform this operation.".to_string(),
        ),
    }
}
