//! What AWS itself does in the accounts: Config, Security Hub, GuardDuty, Access Analyzer and Trusted
//! Advisor walk every service with Describe*/List*/Get* through their service-linked roles (source address
//! and user agent the service principal, `invokedBy` set); Auto Scaling and Elastic Load Balancing act
//! through theirs; services assume roles (`AssumeRole` by `AWSService` principals: Lambda for functions, EC2
//! for instance profiles, the scanners for their roles); CloudTrail asks KMS for a data key per log file and
//! checks its log bucket's ACL. Auto Scaling's launches and terminations of its workers are
//! [`super::asg`]'s.

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::apps;
use super::common::{
    Api, Call, Who, assumed_role, expiration, id, pick, record, rng_of, role_context, role_issuer,
    session_token, text, weighted,
};
use super::fleet_calls;
use super::lambda_calls;
use super::org::Org;
use super::shapes::{self, Ctx};

/// One service that acts through a service-linked role.
#[derive(Debug)]
pub struct Linked {
    /// The service principal (`invokedBy`, and the source address and user agent unless `internal`).
    pub principal: &'static str,
    /// The service-linked role.
    pub role: &'static str,
    /// Its session name (Trusted Advisor's gets the account and a run id appended).
    pub session: &'static str,
    /// Whether it calls as `AWS Internal` with an internal SDK's user agent (Trusted Advisor).
    pub internal: bool,
    /// Relative share of background traffic.
    pub weight: u32,
    /// What it calls.
    pub calls: &'static [(Call, u32)],
}

const EC2: &str = "ec2.amazonaws.com";
const S3: &str = "s3.amazonaws.com";
const IAM: &str = "iam.amazonaws.com";
const KMS: &str = "kms.amazonaws.com";

/// The services that act through service-linked roles, with what they call.
pub const LINKED: &[Linked] = &[
    Linked {
        principal: "config.amazonaws.com",
        role: "AWSServiceRoleForConfig",
        session: "AWSConfig-Describe",
        internal: false,
        weight: 30,
        calls: &[
            ((EC2, "DescribeInstances"), 6),
            ((EC2, "DescribeSecurityGroups"), 5),
            ((EC2, "DescribeNetworkInterfaces"), 5),
            ((EC2, "DescribeVolumes"), 4),
            ((EC2, "DescribeSubnets"), 3),
            ((EC2, "DescribeRouteTables"), 3),
            ((EC2, "DescribeVpcs"), 2),
            ((EC2, "DescribeVpcEndpoints"), 2),
            ((S3, "GetBucketAcl"), 3),
            ((S3, "GetBucketPolicy"), 3),
            ((S3, "GetBucketVersioning"), 2),
            ((S3, "GetBucketEncryption"), 2),
            ((S3, "GetBucketLogging"), 2),
            ((S3, "GetBucketTagging"), 2),
            ((IAM, "GetRole"), 3),
            ((IAM, "ListAttachedRolePolicies"), 3),
            ((IAM, "ListRolePolicies"), 2),
            ((IAM, "GetPolicyVersion"), 2),
            (("lambda.amazonaws.com", "GetFunction20150331v2"), 2),
            (("lambda.amazonaws.com", "GetPolicy20150331v2"), 1),
            ((KMS, "DescribeKey"), 2),
            ((KMS, "GetKeyRotationStatus"), 1),
            (("rds.amazonaws.com", "DescribeDBInstances"), 2),
            (("dynamodb.amazonaws.com", "DescribeTable"), 2),
            (("secretsmanager.amazonaws.com", "ListSecrets"), 1),
            (("cloudtrail.amazonaws.com", "DescribeTrails"), 1),
            (("config.amazonaws.com", "PutEvaluations"), 3),
        ],
    },
    Linked {
        principal: "securityhub.amazonaws.com",
        role: "AWSServiceRoleForSecurityHub",
        session: "securityhub",
        internal: false,
        weight: 12,
        calls: &[
            ((IAM, "GetAccountPasswordPolicy"), 2),
            ((IAM, "GetAccountSummary"), 2),
            ((IAM, "GenerateCredentialReport"), 1),
            ((IAM, "GetCredentialReport"), 1),
            ((IAM, "ListPolicies"), 1),
            (("cloudtrail.amazonaws.com", "DescribeTrails"), 2),
            (("cloudtrail.amazonaws.com", "GetTrailStatus"), 2),
            (("cloudtrail.amazonaws.com", "GetEventSelectors"), 1),
            ((S3, "GetBucketPolicy"), 2),
            ((S3, "GetBucketPublicAccessBlock"), 2),
            ((EC2, "DescribeSecurityGroups"), 3),
            ((EC2, "DescribeFlowLogs"), 1),
            ((KMS, "ListKeys"), 1),
            (("logs.amazonaws.com", "DescribeMetricFilters"), 1),
            (("monitoring.amazonaws.com", "DescribeAlarms"), 1),
            (("config.amazonaws.com", "DescribeConfigurationRecorders"), 1),
        ],
    },
    Linked {
        principal: "guardduty.amazonaws.com",
        role: "AWSServiceRoleForAmazonGuardDuty",
        session: "GuardDutyAssumeRole",
        internal: false,
        weight: 8,
        calls: &[
            ((EC2, "DescribeInstances"), 4),
            ((EC2, "DescribeImages"), 2),
            ((EC2, "DescribeVpcEndpoints"), 2),
            ((EC2, "DescribeRouteTables"), 1),
            ((S3, "ListBuckets"), 1),
            ((S3, "GetBucketPublicAccessBlock"), 2),
            ((S3, "GetBucketPolicyStatus"), 2),
            ((S3, "GetBucketAcl"), 1),
            (("eks.amazonaws.com", "ListClusters"), 1),
            (("organizations.amazonaws.com", "DescribeOrganization"), 1),
        ],
    },
    Linked {
        principal: "access-analyzer.amazonaws.com",
        role: "AWSServiceRoleForAccessAnalyzer",
        session: "access-analyzer",
        internal: false,
        weight: 6,
        calls: &[
            ((IAM, "GetRole"), 3),
            ((IAM, "ListRoles"), 1),
            ((S3, "GetBucketPolicy"), 2),
            ((S3, "GetBucketAcl"), 1),
            ((S3, "GetBucketLocation"), 1),
            ((S3, "GetBucketPolicyStatus"), 1),
            ((S3, "GetBucketPublicAccessBlock"), 1),
            ((KMS, "GetKeyPolicy"), 2),
            ((KMS, "ListKeys"), 1),
            (("lambda.amazonaws.com", "GetPolicy20150331v2"), 1),
            (("sqs.amazonaws.com", "GetQueueAttributes"), 1),
            (("secretsmanager.amazonaws.com", "GetResourcePolicy"), 1),
        ],
    },
    Linked {
        principal: "trustedadvisor.amazonaws.com",
        role: "AWSServiceRoleForTrustedAdvisor",
        session: "TrustedAdvisor",
        internal: true,
        weight: 4,
        calls: &[
            ((EC2, "DescribeInstances"), 2),
            ((EC2, "DescribeVolumes"), 2),
            ((EC2, "DescribeAddresses"), 1),
            ((EC2, "DescribeSecurityGroups"), 1),
            ((S3, "GetBucketAcl"), 1),
            ((S3, "GetBucketPolicy"), 1),
            ((S3, "GetBucketLocation"), 1),
            ((IAM, "GetAccountPasswordPolicy"), 1),
            ((IAM, "GetAccountSummary"), 1),
            (("rds.amazonaws.com", "DescribeDBInstances"), 1),
            (("cloudtrail.amazonaws.com", "DescribeTrails"), 1),
        ],
    },
    Linked {
        principal: "autoscaling.amazonaws.com",
        role: "AWSServiceRoleForAutoScaling",
        session: "AutoScaling",
        internal: false,
        weight: 8,
        calls: &[
            ((EC2, "DescribeInstanceStatus"), 10),
            ((EC2, "DescribeInstances"), 4),
            ((EC2, "CreateTags"), 1),
        ],
    },
    Linked {
        principal: "elasticloadbalancing.amazonaws.com",
        role: "AWSServiceRoleForElasticLoadBalancing",
        session: "ElasticLoadBalancing",
        internal: false,
        weight: 5,
        calls: &[
            ((EC2, "DescribeNetworkInterfaces"), 6),
            ((EC2, "DescribeSecurityGroups"), 3),
            ((EC2, "DescribeSubnets"), 2),
            ((EC2, "DescribeInstances"), 2),
        ],
    },
];

const INTERNAL_AGENT: &str = "AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java/1.12.661 Linux/5.10.210-178.855.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.402-b08 java/1.8.0_402 vendor/Oracle_Corporation cfg/retry-mode/standard";

/// The session name `svc` uses in account `a` at `time`.
fn session_name(org: &Org, a: usize, svc: &Linked, time: DateTime<Utc>) -> String {
    if svc.internal {
        let day = (time - org.start).num_days() as u64;
        let mut rng = rng_of(&[org.seed, 79, a as u64, day]);
        format!(
            "{}_{}_{}",
            svc.session,
            org.accounts[a],
            super::common::uuid(&mut rng)
        )
    } else {
        svc.session.to_string()
    }
}

/// The service-linked role session of `svc` in account `a`, region `r` at `time` (credentials renewed hourly).
pub fn linked_who(org: &Org, a: usize, r: usize, svc: &Linked, time: DateTime<Utc>) -> Who {
    let account = &org.accounts[a];
    let role_id = org.role_id(a, svc.role);
    let hour = (time - org.start).num_hours();
    let mut krng = rng_of(&[org.seed, 73, a as u64, r as u64, text(svc.role), hour as u64]);
    let issued =
        org.start + chrono::Duration::hours(hour) + chrono::Duration::seconds(krng.random_range(0..120));
    let path = format!("/aws-service-role/{}/", svc.principal);
    let session = session_name(org, a, svc, time);
    let mut identity = assumed_role(
        account,
        svc.role,
        &role_id,
        &session,
        &id(&mut krng, "ASIA", 16),
        role_context(
            role_issuer(account, &path, svc.role, &role_id),
            issued.min(time),
            false,
        ),
    );
    let by = if svc.internal {
        "AWS Internal"
    } else {
        svc.principal
    };
    identity["invokedBy"] = by.into();
    Who {
        identity,
        ip: by.to_string(),
        agent: if svc.internal {
            INTERNAL_AGENT.to_string()
        } else {
            svc.principal.to_string()
        },
        vpce: None,
        console: false,
        service: true,
    }
}

/// One call by a service-linked role in account `a`, region `r` (global IAM calls only in `us-east-1`).
pub fn linked_call(rng: &mut SmallRng, org: &Org, a: usize, r: usize, time: DateTime<Utc>) -> Value {
    let weights: Vec<(usize, u32)> = LINKED.iter().enumerate().map(|(i, s)| (i, s.weight)).collect();
    let svc = &LINKED[*weighted(rng, &weights)];
    let mut call = *weighted(rng, svc.calls);
    for _ in 0..8 {
        if r == 0 || call.0 != IAM {
            break;
        }
        call = *weighted(rng, svc.calls);
    }
    if r != 0 && call.0 == IAM {
        call = (EC2, "DescribeInstances");
    }
    let ctx = Ctx {
        org,
        a,
        r,
        instance: None,
        app: None,
    };
    let api = shapes::api(rng, &ctx, call.0, call.1);
    let who = linked_who(org, a, r, svc, time);
    let mut e = record(rng, time, &org.accounts[a], &org.regions[r], &who, api);
    if rng.random_bool(0.01) {
        e["errorCode"] = "ThrottlingException".into();
        e["errorMessage"] = "Rate exceeded".into();
    }
    e
}

/// `AssumeRole` by an AWS service principal (`userIdentity.type` `AWSService`) of `role_arn` as `session`,
/// handing out `key`.
#[allow(clippy::too_many_arguments)]
pub fn service_assume_role(
    rng: &mut SmallRng,
    org: &Org,
    a: usize,
    r: usize,
    time: DateTime<Utc>,
    principal: &str,
    role_arn: &str,
    session: &str,
    key: &str,
) -> Value {
    let account = &org.accounts[a];
    let role = role_arn.rsplit('/').next().unwrap_or_default().to_string();
    let role_id = org.role_id(a, &role);
    let who = Who {
        identity: json!({"type": "AWSService", "invokedBy": principal}),
        ip: principal.to_string(),
        agent: principal.to_string(),
        vpce: None,
        console: false,
        service: true,
    };
    let api = Api::new("sts.amazonaws.com", "AssumeRole", true)
        .params(json!({"roleArn": role_arn, "roleSessionName": session}))
        .response(json!({
            "credentials": {"accessKeyId": key, "sessionToken": session_token(rng), "expiration": expiration(time + chrono::Duration::hours(6))},
            "assumedRoleUser": {"assumedRoleId": format!("{role_id}:{session}"), "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{session}")},
        }))
        .resources(json!([{"ARN": role_arn, "accountId": account, "type": "AWS::IAM::Role"}]));
    let mut e = record(rng, time, account, &org.regions[r], &who, api);
    e["sharedEventID"] = super::common::uuid(rng).into();
    e
}

/// One `AssumeRole` by a service: Lambda for a function's role, EC2 for an instance's profile, or a
/// scanner for its service-linked role.
pub fn assume_role_call(rng: &mut SmallRng, org: &Org, a: usize, r: usize, time: DateTime<Utc>) -> Value {
    match rng.random_range(0..10) {
        0..=3 => {
            let fns: Vec<_> = apps::functions().collect();
            let app = *pick(rng, &fns);
            let who = lambda_calls::function_who(org, a, r, app, time, rng.random_range(0..3));
            let key = who.identity["accessKeyId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let arn = org.role_arn(a, "/", &apps::function_role(app.name));
            service_assume_role(rng, org, a, r, time, "lambda.amazonaws.com", &arn, app.name, &key)
        }
        4..=7 => {
            let inst = pick(rng, &org.fleets[a][r]);
            let (key, _) = fleet_calls::credentials(org, a, r, inst, time);
            let arn = org.role_arn(a, "/", inst.fleet_role().name);
            service_assume_role(rng, org, a, r, time, "ec2.amazonaws.com", &arn, &inst.id, &key)
        }
        _ => {
            let svc = pick(rng, &LINKED[..5]);
            let who = linked_who(org, a, r, svc, time);
            let key = who.identity["accessKeyId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let session = session_name(org, a, svc, time);
            let arn = org.role_arn(a, &format!("/aws-service-role/{}/", svc.principal), svc.role);
            service_assume_role(rng, org, a, r, time, svc.principal, &arn, &session, &key)
        }
    }
}

/// CloudTrail itself, calling as the `AWSService` principal.
fn cloudtrail_who() -> Who {
    Who {
        identity: json!({"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"}),
        ip: "cloudtrail.amazonaws.com".to_string(),
        agent: "cloudtrail.amazonaws.com".to_string(),
        vpce: None,
        console: false,
        service: true,
    }
}

/// CloudTrail checking the ACL of its log bucket before it delivers (a few times an hour), logged in the
/// account owning the bucket.
pub fn cloudtrail_bucket_check(rng: &mut SmallRng, org: &Org, time: DateTime<Utc>) -> Value {
    let a = org.log_account();
    let account = &org.accounts[a];
    let bucket = org.log_bucket();
    let api = Api::new(S3, "GetBucketAcl", true)
        .params(json!({"bucketName": bucket, "Host": format!("{bucket}.s3.amazonaws.com"), "acl": ""}))
        .resources(json!([{"accountId": account, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]))
        .extra(super::common::s3_extra(rng, 0, 0, true));
    record(rng, time, account, &org.regions[0], &cloudtrail_who(), api)
}

/// CloudTrail asking KMS for the data key that encrypts one log file of account `a` in region `r`.
pub fn cloudtrail_data_key(rng: &mut SmallRng, org: &Org, a: usize, r: usize, time: DateTime<Utc>) -> Value {
    let account = &org.accounts[a];
    let key = org.kms_key(0, 0, 2);
    let who = cloudtrail_who();
    let trail = format!("arn:aws:cloudtrail:us-east-1:{}:trail/org-trail", org.accounts[0]);
    let api = Api::new(KMS, "GenerateDataKey", true)
        .params(json!({
            "keyId": key,
            "keySpec": "AES_256",
            "encryptionContext": {
                "aws:cloudtrail:arn": trail,
                "aws:s3:arn": format!("arn:aws:s3:::{}/AWSLogs/{account}/CloudTrail/{}/{}", org.log_bucket(), org.regions[r], time.format("%Y/%m/%d")),
            },
        }))
        .resources(json!([{"accountId": org.accounts[0], "type": "AWS::KMS::Key", "ARN": key}]));
    let mut e = record(rng, time, account, &org.regions[r], &who, api);
    e["sharedEventID"] = super::common::uuid(rng).into();
    e
}
