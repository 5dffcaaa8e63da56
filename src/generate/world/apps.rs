//! The applications of the realistic world and what they read routinely: each app owns one to three
//! secrets and parameters and reads only those, now and then (a cold start, a cache expiry), never many
//! distinct ones in minutes. EC2-hosted apps run on the fleets ([`super::fleet`]); Lambda functions run
//! here, calling from the AWS-owned addresses Lambda shares between functions.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::json;

use super::common::{Api, Who, assumed_role, id, key, pick, rng_of, role_context, role_issuer, weighted};
use super::net;
use super::org::Org;
use super::shapes::{self, Call, Ctx};

/// Where an application runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// On an EC2 fleet, under an instance role.
    Ec2,
    /// As a Lambda function (its role's session is named after the function).
    Lambda,
}

/// One application: what it is called, where it runs, and the few secrets and parameters it owns.
#[derive(Debug)]
pub struct App {
    /// Name (also the Lambda function's name and the prefix of its secrets).
    pub name: &'static str,
    /// Where it runs.
    pub host: Host,
    /// Its secrets' names (their ARNs come from [`Org::secret_arn`]).
    pub secrets: &'static [&'static str],
    /// Its SSM parameters.
    pub params: &'static [&'static str],
    /// The DynamoDB table it uses.
    pub table: &'static str,
    /// The kind of bucket it reads and writes ([`super::org::BUCKETS`]).
    pub bucket: &'static str,
    /// Its SDK's user agent.
    pub agent: &'static str,
}

const PY_LAMBDA: &str = "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.10.214-223.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.84";
const NODE_LAMBDA: &str = "aws-sdk-js/3.575.0 ua/2.1 os/linux#5.10.214-223.855.amzn2.x86_64 lang/js md/nodejs#20.13.1 exec-env/AWS_Lambda_nodejs20.x api/dynamodb#3.575.0";
const JAVA_APP: &str = "aws-sdk-java/2.25.40 Linux/6.1.84-99.169.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.3+9-LTS Java/21.0.3 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_EC2 io/sync http/Apache cfg/retry-mode/legacy";
const GO_APP: &str =
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.1";

/// The organization's applications.
pub const APPS: &[App] = &[
    App {
        name: "orders-api",
        host: Host::Ec2,
        secrets: &["prod/orders-api/db", "prod/orders-api/stripe"],
        params: &["/prod/orders-api/config"],
        table: "orders",
        bucket: "app-assets",
        agent: JAVA_APP,
    },
    App {
        name: "checkout-web",
        host: Host::Ec2,
        secrets: &["prod/checkout-web/session-key"],
        params: &["/prod/checkout-web/feature-flags", "/prod/checkout-web/db-host"],
        table: "sessions",
        bucket: "app-assets",
        agent: JAVA_APP,
    },
    App {
        name: "batch-etl",
        host: Host::Ec2,
        secrets: &["prod/batch-etl/warehouse"],
        params: &["/prod/batch-etl/source-bucket"],
        table: "inventory",
        bucket: "data-lake",
        agent: GO_APP,
    },
    App {
        name: "orders-worker",
        host: Host::Lambda,
        secrets: &["prod/orders-worker/queue"],
        params: &["/prod/orders-worker/config"],
        table: "orders",
        bucket: "data-lake",
        agent: PY_LAMBDA,
    },
    App {
        name: "invoice-cron",
        host: Host::Lambda,
        secrets: &["prod/invoice/smtp", "prod/invoice/pdf-api"],
        params: &["/prod/invoice/template"],
        table: "invoices",
        bucket: "backups",
        agent: PY_LAMBDA,
    },
    App {
        name: "image-resize",
        host: Host::Lambda,
        secrets: &[],
        params: &["/prod/image-resize/sizes", "/prod/image-resize/quality"],
        table: "inventory",
        bucket: "app-assets",
        agent: NODE_LAMBDA,
    },
    App {
        name: "audit-forwarder",
        host: Host::Lambda,
        secrets: &["prod/audit/siem-token"],
        params: &[],
        table: "sessions",
        bucket: "logs",
        agent: NODE_LAMBDA,
    },
];

/// The app called `name`.
pub fn app(name: &str) -> &'static App {
    APPS.iter().find(|a| a.name == name).unwrap_or(&APPS[0])
}

/// The Lambda functions (the apps hosted on Lambda).
pub fn functions() -> impl Iterator<Item = &'static App> {
    APPS.iter().filter(|a| a.host == Host::Lambda)
}

/// The execution role of function `name`.
pub fn function_role(name: &str) -> String {
    format!("{name}-role")
}

/// What a Lambda function calls, by weight (its own secrets and parameters only now and then).
const LAMBDA_CALLS: &[(Call, u32)] = &[
    (("dynamodb.amazonaws.com", "GetItem"), 30),
    (("dynamodb.amazonaws.com", "PutItem"), 14),
    (("dynamodb.amazonaws.com", "Query"), 12),
    (("s3.amazonaws.com", "GetObject"), 14),
    (("s3.amazonaws.com", "PutObject"), 8),
    (("kms.amazonaws.com", "Decrypt"), 6),
    (("sns.amazonaws.com", "Publish"), 6),
    (("sts.amazonaws.com", "GetCallerIdentity"), 1),
    (("secretsmanager.amazonaws.com", "GetSecretValue"), 3),
    (("ssm.amazonaws.com", "GetParameter"), 3),
];

/// The session of function `app` in account `a`, region `r` at `time`: Lambda keeps a few execution
/// environments warm, each with its own credentials (valid for hours) and egress address.
pub fn function_who(org: &Org, a: usize, r: usize, app: &App, time: DateTime<Utc>, env: u64) -> Who {
    let account = &org.accounts[a];
    let role = function_role(app.name);
    let role_id = org.role_id(a, &role);
    let hours = (time - org.start).num_hours().max(0) as u64;
    let epoch = (hours + env * 3) / 5;
    let mut krng = rng_of(&[
        org.seed,
        53,
        a as u64,
        r as u64,
        super::common::text(app.name),
        env,
        epoch,
    ]);
    let created = org.start + Duration::hours((epoch * 5) as i64 - (env * 3) as i64);
    let issuer = role_issuer(account, "/", &role, &role_id);
    Who {
        identity: assumed_role(
            account,
            &role,
            &role_id,
            app.name,
            &id(&mut krng, "ASIA", 16),
            role_context(issuer, created, false),
        ),
        ip: net::lambda_egress(r, key(&[env, epoch, super::common::text(app.name)])),
        agent: app.agent.to_string(),
        vpce: None,
        console: false,
        service: false,
    }
}

/// One call by one of the account's Lambda functions.
pub fn call(rng: &mut SmallRng, org: &Org, a: usize, r: usize, time: DateTime<Utc>) -> serde_json::Value {
    let fns: Vec<&App> = functions().collect();
    let app = *pick(rng, &fns);
    let who = function_who(org, a, r, app, time, rng.random_range(0..3));
    let ctx = Ctx {
        org,
        a,
        r,
        instance: None,
        app: Some(app),
    };
    let &(source, name) = weighted(rng, LAMBDA_CALLS);
    let api: Api = shapes::api(rng, &ctx, source, name);
    let mut e = super::common::record(rng, time, &org.accounts[a], &org.regions[r], &who, api);
    if rng.random_bool(0.004) {
        e["errorCode"] = "ThrottlingException".into();
        e["errorMessage"] = "Rate exceeded".into();
        e["responseElements"] = json!(null);
    }
    e
}
