//! The applications of the realistic world and what they read routinely: each app owns one to three
//! secrets and parameters and reads only those, now and then (a cold start, a cache expiry), never many
//! distinct ones in minutes. EC2-hosted apps run on the fleets; Lambda functions call from the AWS-owned
//! addresses Lambda shares between functions.

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
    /// Its secrets' names (the organization gives each its ARN in each account and region).
    pub secrets: &'static [&'static str],
    /// Its SSM parameters.
    pub params: &'static [&'static str],
    /// The DynamoDB table it uses.
    pub table: &'static str,
    /// The kind of bucket it reads and writes (one of the kinds every account has in every region).
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
