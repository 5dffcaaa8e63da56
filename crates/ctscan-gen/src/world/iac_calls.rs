//! The calls an infrastructure-as-code run makes ([`super::iac`]), shaped like CloudTrail logs them and
//! naming the organization's resources: a refresh reads every managed resource's settings (roles and their
//! policies, security groups, functions, buckets and their many sub-resources, keys, log groups, tables,
//! with the "not found" errors Terraform expects for settings a bucket does not have), then the apply
//! creates, updates, tags and deletes a few dozen of them. Bucket lifecycle and policy changes are written
//! as S3 logs them (`LifecycleConfiguration`, `bucketPolicy`).

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::apps::{function_role, functions};
use super::common::{Api, Call, key, pick, s3_extra, text, uuid, weighted};
use super::net;
use super::org::{BUCKETS, Org, TABLES};
use super::shapes::Ctx;

/// The roles the runs manage.
const ROLES: &[&str] = &[
    "orders-api-ec2",
    "checkout-web-ec2",
    "batch-etl-ec2",
    "eks-node-group",
    "ops-tools-ec2",
    "batch-worker-asg",
    "cfn-exec-role",
];

/// The security groups the runs manage, by name.
const GROUPS: &[&str] = &[
    "orders-api-alb",
    "orders-api-app",
    "checkout-web-alb",
    "checkout-web-app",
    "batch-workers",
    "rds-orders",
    "eks-cluster",
    "vpc-endpoints",
];

/// AWS-managed policies the runs attach (never administrator access).
const MANAGED: &[&str] = &[
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
];

/// What a refresh reads, by weight (IAM's are global: logged in `us-east-1`).
pub const READS: &[(Call, u32)] = &[
    (("iam.amazonaws.com", "GetRole"), 6),
    (("iam.amazonaws.com", "ListRolePolicies"), 4),
    (("iam.amazonaws.com", "ListAttachedRolePolicies"), 4),
    (("iam.amazonaws.com", "GetRolePolicy"), 3),
    (("iam.amazonaws.com", "GetPolicy"), 2),
    (("iam.amazonaws.com", "GetPolicyVersion"), 2),
    (("iam.amazonaws.com", "ListInstanceProfilesForRole"), 1),
    (("s3.amazonaws.com", "GetBucketAcl"), 3),
    (("s3.amazonaws.com", "GetBucketPolicy"), 3),
    (("s3.amazonaws.com", "GetBucketVersioning"), 3),
    (("s3.amazonaws.com", "GetBucketEncryption"), 3),
    (("s3.amazonaws.com", "GetBucketLifecycle"), 3),
    (("s3.amazonaws.com", "GetBucketTagging"), 3),
    (("s3.amazonaws.com", "GetBucketLogging"), 2),
    (("s3.amazonaws.com", "GetBucketCors"), 2),
    (("s3.amazonaws.com", "GetBucketWebsite"), 2),
    (("s3.amazonaws.com", "GetBucketReplication"), 2),
    (("s3.amazonaws.com", "GetBucketRequestPayment"), 2),
    (("s3.amazonaws.com", "GetAccelerateConfiguration"), 2),
    (("s3.amazonaws.com", "GetBucketObjectLockConfiguration"), 2),
    (("s3.amazonaws.com", "GetBucketOwnershipControls"), 2),
    (("s3.amazonaws.com", "GetBucketPublicAccessBlock"), 2),
    (("ec2.amazonaws.com", "DescribeSecurityGroups"), 5),
    (("ec2.amazonaws.com", "DescribeSecurityGroupRules"), 4),
    (("ec2.amazonaws.com", "DescribeVpcs"), 2),
    (("ec2.amazonaws.com", "DescribeVpcAttribute"), 2),
    (("ec2.amazonaws.com", "DescribeSubnets"), 2),
    (("ec2.amazonaws.com", "DescribeRouteTables"), 2),
    (("ec2.amazonaws.com", "DescribeLaunchTemplateVersions"), 1),
    (("lambda.amazonaws.com", "GetFunction20150331v2"), 3),
    (("lambda.amazonaws.com", "GetPolicy20150331v2"), 2),
    (("lambda.amazonaws.com", "ListVersionsByFunction20150331"), 2),
    (("lambda.amazonaws.com", "GetFunctionCodeSigningConfig"), 1),
    (("kms.amazonaws.com", "DescribeKey"), 2),
    (("kms.amazonaws.com", "GetKeyPolicy"), 2),
    (("kms.amazonaws.com", "GetKeyRotationStatus"), 1),
    (("logs.amazonaws.com", "DescribeLogGroups"), 2),
    (("logs.amazonaws.com", "ListTagsLogGroup"), 1),
    (("dynamodb.amazonaws.com", "DescribeTable"), 2),
    (("dynamodb.amazonaws.com", "DescribeContinuousBackups"), 1),
    (("dynamodb.amazonaws.com", "DescribeTimeToLive"), 1),
];

/// What an apply changes, by weight.
pub const WRITES: &[(Call, u32)] = &[
    (("iam.amazonaws.com", "PutRolePolicy"), 4),
    (("iam.amazonaws.com", "AttachRolePolicy"), 2),
    (("iam.amazonaws.com", "TagRole"), 3),
    (("iam.amazonaws.com", "CreatePolicyVersion"), 2),
    (("iam.amazonaws.com", "DeletePolicyVersion"), 2),
    (("iam.amazonaws.com", "CreateRole"), 1),
    (("iam.amazonaws.com", "UpdateAssumeRolePolicy"), 1),
    (("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress"), 3),
    (("ec2.amazonaws.com", "RevokeSecurityGroupIngress"), 2),
    (("ec2.amazonaws.com", "CreateSecurityGroup"), 1),
    (("ec2.amazonaws.com", "CreateTags"), 4),
    (("ec2.amazonaws.com", "DeleteTags"), 1),
    (
        ("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2"),
        3,
    ),
    (("lambda.amazonaws.com", "AddPermission20150331v2"), 1),
    (("lambda.amazonaws.com", "TagResource20170331v2"), 2),
    (("s3.amazonaws.com", "PutBucketTagging"), 3),
    (("s3.amazonaws.com", "PutBucketVersioning"), 1),
    (("s3.amazonaws.com", "PutBucketEncryption"), 1),
    (("s3.amazonaws.com", "PutBucketPublicAccessBlock"), 1),
    (("s3.amazonaws.com", "PutBucketLifecycle"), 2),
    (("s3.amazonaws.com", "PutBucketPolicy"), 1),
    (("logs.amazonaws.com", "PutRetentionPolicy"), 2),
    (("dynamodb.amazonaws.com", "UpdateTimeToLive"), 1),
    (("kms.amazonaws.com", "EnableKeyRotation"), 1),
];

/// Where a run works: the account and region whose resources it manages.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The organization.
    pub org: &'a Org,
    /// Account index.
    pub a: usize,
    /// Region index.
    pub r: usize,
}

impl<'a> Scope<'a> {
    /// The context the call shapes need for a run's own calls (no instance, no application).
    pub fn ctx(&self) -> Ctx<'a> {
        Ctx {
            org: self.org,
            a: self.a,
            r: self.r,
            instance: None,
            app: None,
        }
    }

    fn account(&self) -> &str {
        &self.org.accounts[self.a]
    }

    fn region(&self) -> &str {
        &self.org.regions[self.r]
    }

    fn group_id(&self, name: &str) -> String {
        let h = key(&[self.org.seed, 261, self.a as u64, self.r as u64, text(name)]);
        format!("sg-0{:016x}", h >> 4)
    }

    fn policy_arn(&self, role: &str) -> String {
        format!("arn:aws:iam::{}:policy/{role}-policy", self.account())
    }

    fn vpc_cidr(&self) -> String {
        format!("10.{}.0.0/16", net::vpc_octet(self.a, self.r))
    }
}

fn role(rng: &mut SmallRng) -> String {
    if rng.random_bool(0.3) {
        let fns: Vec<_> = functions().collect();
        function_role(pick(rng, &fns).name)
    } else {
        pick(rng, ROLES).to_string()
    }
}

fn trust(service: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
        .to_string()
}

fn inline_policy(s: &Scope, rng: &mut SmallRng) -> String {
    let kind: &str = BUCKETS[rng.random_range(0..BUCKETS.len())];
    let bucket = s.org.bucket(s.a, s.r, kind);
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": format!("arn:aws:s3:::{bucket}/*")},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": s.org.kms_key(s.a, s.r, 0)},
    ]})
    .to_string()
}

fn iam(rng: &mut SmallRng, s: &Scope, name: &'static str) -> Api {
    let role = role(rng);
    let params = match name {
        "GetPolicy" | "DeletePolicyVersion" | "GetPolicyVersion" | "CreatePolicyVersion" => {
            let mut p = json!({"policyArn": s.policy_arn(&role)});
            match name {
                "CreatePolicyVersion" => {
                    p["policyDocument"] = inline_policy(s, rng).into();
                    p["setAsDefault"] = true.into();
                }
                "GetPolicy" => {}
                _ => p["versionId"] = format!("v{}", rng.random_range(1..9)).into(),
            }
            p
        }
        "GetRolePolicy" | "PutRolePolicy" => {
            let mut p = json!({"roleName": role, "policyName": format!("{role}-inline")});
            if name == "PutRolePolicy" {
                p["policyDocument"] = inline_policy(s, rng).into();
            }
            p
        }
        "AttachRolePolicy" => json!({"roleName": role, "policyArn": pick(rng, MANAGED)}),
        "TagRole" => {
            json!({"roleName": role, "tags": [{"key": "managed-by", "value": "terraform"}, {"key": "team", "value": "platform"}]})
        }
        "UpdateAssumeRolePolicy" => json!({"roleName": role, "policyDocument": trust("ec2.amazonaws.com")}),
        "CreateRole" => {
            json!({"roleName": format!("{role}-v2"), "path": "/", "assumeRolePolicyDocument": trust("lambda.amazonaws.com"),
            "description": "Managed by Terraform", "maxSessionDuration": 3600,
            "tags": [{"key": "managed-by", "value": "terraform"}]})
        }
        _ => json!({"roleName": role}),
    };
    let response = match name {
        "CreateRole" => {
            let rn = params["roleName"].as_str().unwrap_or_default().to_string();
            json!({"role": {"path": "/", "roleName": rn, "roleId": s.org.role_id(s.a, &rn),
                "arn": s.org.role_arn(s.a, "/", &rn), "createDate": "Mar 2, 2026, 10:00:00 AM",
                "assumeRolePolicyDocument": params["assumeRolePolicyDocument"]}})
        }
        "CreatePolicyVersion" => {
            json!({"policyVersion": {"versionId": format!("v{}", rng.random_range(2..9)),
            "isDefaultVersion": true, "createDate": "Mar 2, 2026, 10:00:00 AM"}})
        }
        _ => Value::Null,
    };
    Api::new(
        "iam.amazonaws.com",
        name,
        name.starts_with("Get") || name.starts_with("List"),
    )
    .params(params)
    .response(response)
}

fn ip_permission(port: u16, cidr: &str, description: &str) -> Value {
    json!({"items": [{"ipProtocol": "tcp", "fromPort": port, "toPort": port, "groups": {},
        "ipRanges": {"items": [{"cidrIp": cidr, "description": description}]}, "ipv6Ranges": {}, "prefixListIds": {}}]})
}

fn ec2(rng: &mut SmallRng, s: &Scope, name: &'static str) -> Api {
    let group = *pick(rng, GROUPS);
    let sg = s.group_id(group);
    let vpc = net::vpc_id(s.org.seed, s.a, s.r);
    let (params, response) = match name {
        "DescribeSecurityGroups" => (
            json!({"securityGroupSet": {}, "securityGroupIdSet": {"items": [{"groupId": sg}]}, "filterSet": {}}),
            Value::Null,
        ),
        "DescribeSecurityGroupRules" => (
            json!({"DescribeSecurityGroupRulesRequest": {"Filter": {"Name": "group-id", "Value": {"content": sg, "tag": 1}}, "MaxResults": 1000}}),
            Value::Null,
        ),
        "DescribeVpcAttribute" => (
            json!({"vpcId": vpc, "attribute": pick(rng, &["enableDnsSupport", "enableDnsHostnames"])}),
            Value::Null,
        ),
        "AuthorizeSecurityGroupIngress" | "RevokeSecurityGroupIngress" => {
            let perms = if group.ends_with("-alb") {
                ip_permission(443, "0.0.0.0/0", "HTTPS from the internet")
            } else {
                ip_permission(*pick(rng, &[5432, 8080, 8443]), &s.vpc_cidr(), "From the VPC")
            };
            (
                json!({"groupId": sg, "ipPermissions": perms}),
                json!({"requestId": uuid(rng), "_return": true}),
            )
        }
        "CreateSecurityGroup" => {
            let new = format!("{group}-{:04x}", rng.random_range(0..0xffff));
            (
                json!({"groupName": new, "groupDescription": "Managed by Terraform", "vpcId": vpc}),
                json!({"requestId": uuid(rng), "_return": true, "groupId": s.group_id(&new)}),
            )
        }
        "CreateTags" | "DeleteTags" => (
            json!({"resourcesSet": {"items": [{"resourceId": sg}]},
                "tagSet": {"items": [{"key": pick(rng, &["team", "cost-center", "managed-by"]), "value": "platform"}]}}),
            json!({"requestId": uuid(rng), "_return": true}),
        ),
        "DescribeLaunchTemplateVersions" => (
            json!({"launchTemplateId": format!("lt-0{:016x}", key(&[s.org.seed, 247, s.a as u64, s.r as u64]) >> 4),
                "LaunchTemplateVersion": {"content": "$Latest", "tag": 1}}),
            Value::Null,
        ),
        _ => (
            json!({"filterSet": {"items": [{"name": "vpc-id", "valueSet": {"items": [{"value": vpc}]}}]}}),
            Value::Null,
        ),
    };
    Api::new("ec2.amazonaws.com", name, name.starts_with("Describe"))
        .params(params)
        .response(response)
}

fn lambda(rng: &mut SmallRng, s: &Scope, name: &'static str) -> Api {
    let fns: Vec<_> = functions().collect();
    let f = pick(rng, &fns).name;
    let arn = s.org.function_arn(s.a, s.r, f);
    let params = match name {
        "UpdateFunctionConfiguration20150331v2" => {
            json!({"functionName": f, "timeout": *pick(rng, &[30, 60, 120]),
            "memorySize": *pick(rng, &[512, 1024]), "environment": {}})
        }
        "AddPermission20150331v2" => {
            json!({"functionName": f, "statementId": format!("AllowEventBridge-{}", rng.random_range(1..9)),
            "action": "lambda:InvokeFunction", "principal": "events.amazonaws.com",
            "sourceArn": format!("arn:aws:events:{}:{}:rule/{f}-schedule", s.region(), s.account())})
        }
        "TagResource20170331v2" => {
            json!({"resource": arn, "tags": {"managed-by": "terraform", "team": "platform"}})
        }
        "ListVersionsByFunction20150331" => json!({"functionName": f, "maxItems": 50}),
        _ => json!({"functionName": f}),
    };
    Api::new(
        "lambda.amazonaws.com",
        name,
        name.starts_with("Get") || name.starts_with("List"),
    )
    .params(params)
}

/// S3's sub-resource query parameter of a bucket call, and the "not found" error a bucket without that
/// setting answers a read with.
fn s3_sub(name: &str) -> (&'static str, Option<&'static str>) {
    match name {
        "GetBucketAcl" => ("acl", None),
        "GetBucketPolicy" | "PutBucketPolicy" => ("policy", None),
        "GetBucketVersioning" | "PutBucketVersioning" => ("versioning", None),
        "GetBucketEncryption" | "PutBucketEncryption" => ("encryption", None),
        "GetBucketLifecycle" | "PutBucketLifecycle" => ("lifecycle", None),
        "GetBucketTagging" | "PutBucketTagging" => ("tagging", None),
        "GetBucketLogging" => ("logging", None),
        "GetBucketCors" => ("cors", Some("NoSuchCORSConfiguration")),
        "GetBucketWebsite" => ("website", Some("NoSuchWebsiteConfiguration")),
        "GetBucketReplication" => ("replication", Some("ReplicationConfigurationNotFoundError")),
        "GetBucketRequestPayment" => ("requestPayment", None),
        "GetAccelerateConfiguration" => ("accelerate", None),
        "GetBucketObjectLockConfiguration" => ("object-lock", Some("ObjectLockConfigurationNotFoundError")),
        "GetBucketOwnershipControls" => ("ownershipControls", None),
        _ => ("publicAccessBlock", None),
    }
}

const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// A call on bucket `bucket` (in the run's region, or the log bucket's), with its sub-resource and, for
/// writes, the configuration as S3 logs it; `errorCode` set by the caller for settings a bucket lacks.
pub fn bucket_call(
    rng: &mut SmallRng,
    account: &str,
    bucket: &str,
    host: &str,
    name: &'static str,
    config: Option<(&str, Value)>,
) -> Api {
    let (sub, _) = s3_sub(name);
    let mut params = json!({"bucketName": bucket, "Host": host});
    params[sub] = "".into();
    if let Some((k, v)) = config {
        params[k] = v;
    }
    let bytes_in = if name.starts_with("Put") {
        rng.random_range(150..1200)
    } else {
        0
    };
    Api::new("s3.amazonaws.com", name, !name.starts_with("Put"))
        .params(params)
        .resources(json!([{"accountId": account, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]))
        .extra(s3_extra(rng, bytes_in, 0, true))
}

/// A lifecycle configuration of one rule, as S3 logs `PutBucketLifecycle`.
pub fn lifecycle(id: &str, prefix: &str, days: u32, glacier_after: Option<u32>) -> Value {
    let mut rule =
        json!({"ID": id, "Status": "Enabled", "Filter": {"Prefix": prefix}, "Expiration": {"Days": days}});
    if let Some(d) = glacier_after {
        rule["Transition"] = json!({"Days": d, "StorageClass": "GLACIER"});
    }
    json!({"xmlns": XMLNS, "Rule": rule})
}

/// The usual bucket policy of the organization's buckets: deny any request not over TLS.
pub fn deny_insecure_transport(bucket: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
        "Action": "s3:*", "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
}

fn s3(rng: &mut SmallRng, s: &Scope, name: &'static str) -> Api {
    let kind = *pick(rng, BUCKETS);
    let bucket = s.org.bucket(s.a, s.r, kind);
    let host = format!("{bucket}.s3.{}.amazonaws.com", s.region());
    let config = match name {
        "PutBucketLifecycle" => Some((
            "LifecycleConfiguration",
            match kind {
                "logs" => lifecycle("expire-alb-logs", "alb/", 90, Some(30)),
                "artifacts" => lifecycle("expire-old-builds", "builds/", 30, None),
                _ => lifecycle("archive-old-objects", "", 730, Some(180)),
            },
        )),
        "PutBucketPolicy" => Some(("bucketPolicy", deny_insecure_transport(&bucket))),
        "PutBucketTagging" => Some((
            "Tagging",
            json!({"xmlns": XMLNS, "TagSet": {"Tag": [
            {"Key": "managed-by", "Value": "terraform"}, {"Key": "data-class", "Value": pick(rng, &["internal", "confidential"])}]}}),
        )),
        "PutBucketVersioning" => Some((
            "VersioningConfiguration",
            json!({"xmlns": XMLNS, "Status": "Enabled"}),
        )),
        "PutBucketEncryption" => Some((
            "ServerSideEncryptionConfiguration",
            json!({"xmlns": XMLNS, "Rule": {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": s.org.kms_key(s.a, s.r, 1)},
            "BucketKeyEnabled": true}}),
        )),
        "PutBucketPublicAccessBlock" => Some((
            "PublicAccessBlockConfiguration",
            json!({"xmlns": XMLNS,
            "BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true}),
        )),
        _ => None,
    };
    bucket_call(rng, s.account(), &bucket, &host, name, config)
}

fn other(rng: &mut SmallRng, s: &Scope, source: &'static str, name: &'static str) -> Api {
    let key_arn = s.org.kms_key(s.a, s.r, rng.random_range(0..3));
    let fns: Vec<_> = functions().collect();
    let group = format!("/aws/lambda/{}", pick(rng, &fns).name);
    let table = *pick(rng, TABLES);
    let params = match source {
        "kms.amazonaws.com" if name == "GetKeyPolicy" => json!({"keyId": key_arn, "policyName": "default"}),
        "kms.amazonaws.com" => json!({"keyId": key_arn}),
        "logs.amazonaws.com" => match name {
            "DescribeLogGroups" => json!({"logGroupNamePrefix": group}),
            "PutRetentionPolicy" => json!({"logGroupName": group, "retentionInDays": 90}),
            _ => json!({"logGroupName": group}),
        },
        _ => match name {
            "UpdateTimeToLive" => {
                json!({"tableName": table, "timeToLiveSpecification": {"enabled": true, "attributeName": "expiresAt"}})
            }
            _ => json!({"tableName": table}),
        },
    };
    let read = ["Describe", "Get", "List"].iter().any(|p| name.starts_with(p));
    Api::new(source, name, read).params(params)
}

/// One call `call` of a run in `s` (IAM's whatever the region: the caller logs them in `us-east-1`).
pub fn api(rng: &mut SmallRng, s: &Scope, call: Call) -> Api {
    let (source, name) = call;
    match source {
        "iam.amazonaws.com" => iam(rng, s, name),
        "ec2.amazonaws.com" => ec2(rng, s, name),
        "lambda.amazonaws.com" => lambda(rng, s, name),
        "s3.amazonaws.com" => s3(rng, s, name),
        _ => other(rng, s, source, name),
    }
}

/// The error S3 answers a read of a bucket setting the organization's buckets do not have (CORS, website,
/// replication, object lock): `errorCode` and `errorMessage`.
pub fn missing_setting((source, name): Call) -> Option<(&'static str, &'static str)> {
    let code = s3_sub(name).1.filter(|_| source == "s3.amazonaws.com")?;
    let message = match code {
        "NoSuchCORSConfiguration" => "The CORS configuration does not exist",
        "NoSuchWebsiteConfiguration" => "The specified bucket does not have a website configuration",
        "ReplicationConfigurationNotFoundError" => "The replication configuration was not found",
        _ => "Object Lock configuration does not exist for this bucket",
    };
    Some((code, message))
}

/// A random read of a refresh.
pub fn read(rng: &mut SmallRng) -> Call {
    *weighted(rng, READS)
}

/// A random change of an apply.
pub fn write(rng: &mut SmallRng) -> Call {
    *weighted(rng, WRITES)
}
