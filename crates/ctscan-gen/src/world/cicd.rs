//! CI/CD: GitHub Actions workflows assume each account's `ci-deploy` role with `AssumeRoleWithWebIdentity`
//! (OIDC, `token.actions.githubusercontent.com`) from a handful of runner addresses, several times a day,
//! and deploy: container images pushed to ECR and rolled out with CloudFormation change sets, Lambda code
//! and configuration updates with new versions, stacks updated, artifacts uploaded to S3. CloudFormation
//! then acts through its execution role (`invokedBy` `cloudformation.amazonaws.com`).

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::apps::{self, App};
use super::common::{
    Api, Who, assumed_role, expiration, hex, id, key, pick, record, rng_of, role_context, role_issuer,
    session_token,
};
use super::episode::Part;
use super::net;
use super::org::Org;
use super::services;
use super::shapes::{self, Ctx};

/// The deploying role of every account.
pub const ROLE: &str = "ci-deploy";

/// The session name GitHub's `configure-aws-credentials` action uses.
pub const SESSION: &str = "GitHubActions";

/// The OIDC provider's host.
pub const PROVIDER: &str = "token.actions.githubusercontent.com";

const STS_AGENT: &str = "aws-sdk-js/3.621.0 ua/2.1 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.15.1 api/sts#3.621.0 m/E,N configure-aws-credentials-for-github-actions";
const CLI_AGENT: &str = "aws-cli/2.17.18 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off";

/// What a repository deploys.
#[derive(Debug, Clone, Copy)]
enum Deploys {
    /// A container image for an EC2-hosted app, rolled out by a change set.
    Image(&'static str),
    /// A Lambda function's code.
    Function(&'static str),
    /// An infrastructure stack.
    Stack(&'static str),
}

const REPOS: &[(&str, Deploys)] = &[
    ("acme-corp/orders-api", Deploys::Image("orders-api")),
    ("acme-corp/checkout-web", Deploys::Image("checkout-web")),
    ("acme-corp/orders-worker", Deploys::Function("orders-worker")),
    ("acme-corp/invoice-cron", Deploys::Function("invoice-cron")),
    ("acme-corp/image-resize", Deploys::Function("image-resize")),
    ("acme-corp/infra-network", Deploys::Stack("network")),
    ("acme-corp/data-platform", Deploys::Stack("data-platform")),
];

fn oidc_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:oidc-provider/{PROVIDER}")
}

#[allow(clippy::too_many_arguments)]
fn web_identity(
    rng: &mut SmallRng,
    org: &Org,
    a: usize,
    r: usize,
    repo: &str,
    ip: &str,
    key_id: &str,
    time: DateTime<Utc>,
) -> Value {
    let account = &org.accounts[a];
    let subject = format!("repo:{repo}:environment:production");
    let role_arn = org.role_arn(a, "/", ROLE);
    let who = Who {
        identity: json!({"type": "WebIdentityUser", "principalId": format!("{}:sts.amazonaws.com:{subject}", oidc_arn(account)),
            "userName": subject, "identityProvider": oidc_arn(account)}),
        ip: ip.to_string(),
        agent: STS_AGENT.to_string(),
        vpce: None,
        console: false,
        service: false,
    };
    let api = Api::new("sts.amazonaws.com", "AssumeRoleWithWebIdentity", true)
        .params(json!({"roleArn": role_arn, "roleSessionName": SESSION, "durationSeconds": 3600}))
        .response(json!({
            "credentials": {"accessKeyId": key_id, "sessionToken": session_token(rng), "expiration": expiration(time + Duration::hours(1))},
            "subjectFromWebIdentityToken": subject,
            "assumedRoleUser": {"assumedRoleId": format!("{}:{SESSION}", org.role_id(a, ROLE)), "arn": format!("arn:aws:sts::{account}:assumed-role/{ROLE}/{SESSION}")},
            "provider": oidc_arn(account),
            "audience": "sts.amazonaws.com",
        }))
        .extra(json!({"identityProviderConnectionVerificationMethod": "IdPThumbprint", "RequestDetails": {"endpointType": "regional", "awsServingRegion": org.regions[r]}}))
        .resources(json!([
            {"accountId": account, "type": "AWS::IAM::Role", "ARN": role_arn},
            {"accountId": account, "type": "AWS::IAM::OidcProvider", "ARN": oidc_arn(account)},
        ]));
    record(rng, time, account, &org.regions[r], &who, api)
}

/// A workflow of `repo` signing in to account `a` in region `r` at `start`: its
/// `AssumeRoleWithWebIdentity` record and the `ci-deploy` session it gets, calling from one of the
/// runners with the CLI.
pub fn ci_session(
    rng: &mut SmallRng,
    org: &Org,
    a: usize,
    r: usize,
    repo: &str,
    start: DateTime<Utc>,
) -> (Value, Who) {
    let account = &org.accounts[a];
    let ip = net::CI_RUNNERS
        [(key(&[org.seed, 163, start.timestamp() as u64]) % net::CI_RUNNERS.len() as u64) as usize];
    let key_id = id(
        &mut rng_of(&[org.seed, 167, a as u64, start.timestamp() as u64]),
        "ASIA",
        16,
    );
    let login = web_identity(rng, org, a, r, repo, ip, &key_id, start);
    let role_id = org.role_id(a, ROLE);
    let mut ctx_json = role_context(role_issuer(account, "/", ROLE, &role_id), start, false);
    ctx_json["webIdFederationData"] = json!({"federatedProvider": oidc_arn(account), "attributes": {}});
    let identity = assumed_role(account, ROLE, &role_id, SESSION, &key_id, ctx_json);
    let who = Who {
        identity,
        ip: ip.to_string(),
        agent: CLI_AGENT.to_string(),
        vpce: None,
        console: false,
        service: false,
    };
    (login, who)
}

/// One deployment by a workflow of `repo` in account `a`, region `r`, starting at `start`.
fn deploy(rng: &mut SmallRng, org: &Org, a: usize, r: usize, start: DateTime<Utc>) -> Part {
    let account = org.accounts[a].clone();
    let region = org.regions[r].clone();
    let &(repo, deploys) = pick(rng, REPOS);
    let mut t = start;
    let (login, who) = ci_session(rng, org, a, r, repo, start);
    let mut events = vec![login];
    let app: Option<&'static App> = match deploys {
        Deploys::Image(n) | Deploys::Function(n) => Some(apps::app(n)),
        Deploys::Stack(_) => None,
    };
    let ctx = Ctx {
        org,
        a,
        r,
        instance: None,
        app,
    };
    let mut calls: Vec<(&'static str, &'static str)> = vec![("sts.amazonaws.com", "GetCallerIdentity")];
    match deploys {
        Deploys::Image(_) => {
            calls.push(("ecr.amazonaws.com", "GetAuthorizationToken"));
            calls.push(("ecr.amazonaws.com", "BatchCheckLayerAvailability"));
            for _ in 0..rng.random_range(1..=3) {
                calls.push(("ecr.amazonaws.com", "InitiateLayerUpload"));
                calls.push(("ecr.amazonaws.com", "UploadLayerPart"));
                calls.push(("ecr.amazonaws.com", "CompleteLayerUpload"));
            }
            calls.push(("ecr.amazonaws.com", "PutImage"));
            calls.extend([
                ("cloudformation.amazonaws.com", "CreateChangeSet"),
                ("cloudformation.amazonaws.com", "DescribeChangeSet"),
                ("cloudformation.amazonaws.com", "DescribeChangeSet"),
                ("cloudformation.amazonaws.com", "ExecuteChangeSet"),
            ]);
        }
        Deploys::Function(_) => calls.extend([
            ("s3.amazonaws.com", "PutObject"),
            ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2"),
            ("lambda.amazonaws.com", "GetFunction20150331v2"),
            ("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2"),
            ("lambda.amazonaws.com", "PublishVersion20150331"),
            ("lambda.amazonaws.com", "UpdateAlias20150331"),
        ]),
        Deploys::Stack(_) => calls.extend([
            ("s3.amazonaws.com", "PutObject"),
            ("cloudformation.amazonaws.com", "UpdateStack"),
        ]),
    }
    for _ in 0..rng.random_range(2..=4) {
        calls.push(("cloudformation.amazonaws.com", "DescribeStacks"));
    }
    calls.push(("cloudformation.amazonaws.com", "DescribeStackEvents"));
    let mut cfn_at = None;
    for (source, name) in calls {
        t += Duration::seconds(rng.random_range(2..=9));
        let mut api = shapes::api(rng, &ctx, source, name);
        if let (Deploys::Stack(stack), "cloudformation.amazonaws.com") = (deploys, source) {
            api.params["stackName"] = stack.into();
        }
        if source == "s3.amazonaws.com" {
            let bucket = org.bucket(a, r, "artifacts");
            let key = format!("builds/{repo}/{}.zip", hex(rng, 40));
            api.params = json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{region}.amazonaws.com"), "key": key,
                "x-amz-server-side-encryption": "aws:kms"});
            api.resources = super::common::s3_object_resources(&account, &bucket, &key);
        }
        if matches!(name, "ExecuteChangeSet" | "UpdateStack") {
            cfn_at = Some(t);
        }
        let mut w = who.clone();
        w.agent = cli_agent(source, name);
        events.push(record(rng, t, &account, &region, &w, api));
    }
    if let Some(at) = cfn_at {
        events.extend(cloudformation_acts(rng, org, a, r, at));
    }
    Part {
        a,
        r,
        time: start,
        events,
    }
}

/// The CLI's user agent on a runner when it calls `source`/`name`.
pub fn cli_agent(source: &str, name: &str) -> String {
    format!("{CLI_AGENT} command/{}", command(source, name))
}

fn command(source: &str, name: &str) -> String {
    let service = source.trim_end_matches(".amazonaws.com");
    let verb = match name {
        "UploadLayerPart"
        | "InitiateLayerUpload"
        | "CompleteLayerUpload"
        | "BatchCheckLayerAvailability"
        | "PutImage" => "push",
        "GetAuthorizationToken" => "get-login-password",
        "PutObject" => "cp",
        "CreateChangeSet" | "DescribeChangeSet" | "ExecuteChangeSet" => "deploy",
        _ => "call",
    };
    if verb == "call" {
        format!("{service}.{}", super::people::kebab(name))
    } else {
        format!("{service}.{verb}")
    }
}

/// The role CloudFormation acts through.
pub const CFN_ROLE: &str = "cfn-exec-role";

/// CloudFormation taking its execution role in account `a`, region `r` at `t`: the `AssumeRole` record and
/// the session it then acts as (`invokedBy`, source address and user agent `cloudformation.amazonaws.com`).
pub fn cfn_session(rng: &mut SmallRng, org: &Org, a: usize, r: usize, t: DateTime<Utc>) -> (Value, Who) {
    let account = &org.accounts[a];
    let role = CFN_ROLE;
    let role_arn = org.role_arn(a, "/", role);
    let key_id = id(
        &mut rng_of(&[org.seed, 173, a as u64, t.timestamp() as u64]),
        "ASIA",
        16,
    );
    let assume = services::service_assume_role(
        rng,
        org,
        a,
        r,
        t,
        "cloudformation.amazonaws.com",
        &role_arn,
        "AWSCloudFormation",
        &key_id,
    );
    let role_id = org.role_id(a, role);
    let mut identity = assumed_role(
        account,
        role,
        &role_id,
        "AWSCloudFormation",
        &key_id,
        role_context(role_issuer(account, "/", role, &role_id), t, false),
    );
    identity["invokedBy"] = "cloudformation.amazonaws.com".into();
    let who = Who {
        identity,
        ip: "cloudformation.amazonaws.com".to_string(),
        agent: "cloudformation.amazonaws.com".to_string(),
        vpce: None,
        console: false,
        service: true,
    };
    (assume, who)
}

/// CloudFormation rolling out a change: it assumes its execution role, then acts through it.
fn cloudformation_acts(rng: &mut SmallRng, org: &Org, a: usize, r: usize, at: DateTime<Utc>) -> Vec<Value> {
    let account = &org.accounts[a];
    let mut t = at + Duration::seconds(2);
    let (assume, who) = cfn_session(rng, org, a, r, t);
    let mut out = vec![assume];
    let ctx = Ctx {
        org,
        a,
        r,
        instance: None,
        app: None,
    };
    let acts: &[(&str, &str)] = &[
        ("ec2.amazonaws.com", "DescribeSecurityGroups"),
        ("ec2.amazonaws.com", "DescribeLaunchTemplateVersions"),
        ("ec2.amazonaws.com", "CreateLaunchTemplateVersion"),
        ("autoscaling.amazonaws.com", "DescribeAutoScalingGroups"),
        ("autoscaling.amazonaws.com", "UpdateAutoScalingGroup"),
        ("lambda.amazonaws.com", "GetFunction20150331v2"),
    ];
    for &(source, name) in acts.iter().take(rng.random_range(3..=acts.len())) {
        t += Duration::seconds(rng.random_range(1..=6));
        let api = shapes::api(rng, &ctx, source, name);
        out.push(record(rng, t, account, &org.regions[r], &who, api));
    }
    out
}

/// Every deployment of the archive: four to eight a working day per account (two to four on weekends),
/// mostly in working hours, half of them in the first region.
pub fn schedule(org: &Org) -> Vec<Part> {
    let mut out = Vec::new();
    for d in 0..org.days {
        let day = org.start + Duration::days(i64::from(d));
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        for a in 0..org.accounts.len() {
            let mut rng = rng_of(&[org.seed, 179, a as u64, u64::from(d)]);
            let n = if weekend {
                rng.random_range(2..=4)
            } else {
                rng.random_range(4..=8)
            };
            for _ in 0..n {
                let hour = if rng.random_bool(0.85) {
                    rng.random_range(8..18)
                } else {
                    rng.random_range(0..24)
                };
                let start = day + Duration::hours(hour) + Duration::seconds(rng.random_range(0..3600));
                let r = if rng.random_bool(0.5) {
                    0
                } else {
                    rng.random_range(0..org.regions.len())
                };
                out.push(deploy(&mut rng, org, a, r, start));
            }
        }
    }
    out.sort_by_key(|p| p.time);
    out
}
