//! The principals of a generated organization: every `userIdentity` type CloudTrail writes, with the
//! session context, access keys and user agents each one really carries.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// The `userIdentity.type`s of benign traffic: every type [`actor`] builds but `Root`, which is left to the
/// planted attacks (in a healthy organization nobody works as root).
pub const BENIGN_IDENTITY_TYPES: &[&str] = &[
    "IAMUser",
    "AssumedRole",
    "FederatedUser",
    "AWSService",
    "AWSAccount",
    "SAMLUser",
    "WebIdentityUser",
    "IdentityCenterUser",
    "Unknown",
];

const USERS: &[&str] = &["alice", "bob", "carol", "deploy-bot", "terraform", "backup-svc"];
const ROLES: &[&str] = &[
    "AWSReservedSSO_ReadOnly_9a8b7c6d5e4f3a2b",
    "AWSReservedSSO_PowerUser_1f2e3d4c5b6a7980",
    "ci-deploy",
    "lambda-orders-exec",
    "eks-node-group",
    "ec2-app-server",
    "OrganizationAccountAccessRole",
];
const SERVICES: &[&str] = &[
    "cloudformation.amazonaws.com",
    "autoscaling.amazonaws.com",
    "config.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "lambda.amazonaws.com",
];
const AGENTS: &[&str] = &[
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0-18-amd64 exe/x86_64.debian.12 prompt/off command/s3.ls",
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.149.1",
    "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.51",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "aws-internal/3 aws-sdk-java/1.12.670 Linux/5.10.210-178.855.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.402-b08 java/1.8.0_402 vendor/Oracle_Corporation cfg/retry-mode/standard",
    "console.amazonaws.com",
];
const IPS: &[&str] = &[
    "198.51.100.23",
    "203.0.113.77",
    "192.0.2.15",
    "10.20.4.118",
    "2001:db8:4f1e::21",
    "198.51.100.140",
];

/// One acting principal: the `userIdentity` object plus where its calls come from.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The `userIdentity` JSON object.
    pub identity: Value,
    /// `sourceIPAddress` of its calls.
    pub source_ip: String,
    /// `userAgent` of its calls.
    pub user_agent: String,
    /// Whether the principal is an AWS service acting on the account's behalf.
    pub service: bool,
}

/// FNV-1a over the parts: a hash that stays the same across Rust releases, unlike `DefaultHasher`.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in parts.iter().flat_map(|p| p.bytes().chain([0])) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn key_id(rng: &mut SmallRng, prefix: &str) -> String {
    id(rng, prefix, 16)
}

fn id(rng: &mut SmallRng, prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let tail: String = (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}{tail}")
}

fn session_context(rng: &mut SmallRng, issuer: Value, mfa: bool, creation: &str) -> Value {
    let mut ctx = json!({
        "sessionIssuer": issuer,
        "attributes": {"creationDate": creation, "mfaAuthenticated": if mfa { "true" } else { "false" }},
    });
    if rng.random_bool(0.2) {
        ctx["webIdFederationData"] = json!({});
    }
    ctx
}

/// Builds one principal of `kind` in `account`; `creation` is the session start time.
pub fn actor(rng: &mut SmallRng, kind: &str, account: &str, creation: &str) -> Actor {
    let user = USERS[rng.random_range(0..USERS.len())];
    let role = ROLES[rng.random_range(0..ROLES.len())];
    let ip = IPS[rng.random_range(0..IPS.len())].to_string();
    let agent = AGENTS[rng.random_range(0..AGENTS.len())].to_string();
    // Ids derive from who the principal is, so one user keeps one access key and one role one id;
    // session keys change with the hour the session started.
    let seed = |extra: &str| fnv1a(&[account, kind, user, role, extra]);
    let stable = &mut SmallRng::seed_from_u64(seed(""));
    let sess = &mut SmallRng::seed_from_u64(seed(creation.get(..13).unwrap_or(creation)));
    let role_issuer = json!({
        "type": "Role",
        "principalId": id(stable, "AROA", 17),
        "arn": format!("arn:aws:iam::{account}:role/{role}"),
        "accountId": account,
        "userName": role,
    });
    let session = format!("{user}@example.com");
    let (identity, source_ip, user_agent, service) = match kind {
        "IAMUser" => (
            json!({
                "type": "IAMUser",
                "principalId": id(stable, "AIDA", 17),
                "arn": format!("arn:aws:iam::{account}:user/{user}"),
                "accountId": account,
                "accessKeyId": key_id(stable, "AKIA"),
                "userName": user,
            }),
            ip,
            agent,
            false,
        ),
        "AssumedRole" => {
            let mfa = rng.random_bool(0.5);
            let mut ident = json!({
                "type": "AssumedRole",
                "principalId": format!("{}:{session}", role_issuer["principalId"].as_str().unwrap_or_default()),
                "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
                "accountId": account,
                "accessKeyId": key_id(sess, "ASIA"),
                "sessionContext": session_context(rng, role_issuer, mfa, creation),
            });
            if role.starts_with("ec2-") {
                let instance = format!("i-0{:016x}", stable.random::<u64>() >> 4);
                ident["arn"] = format!("arn:aws:sts::{account}:assumed-role/{role}/{instance}").into();
                ident["sessionContext"]["ec2RoleDelivery"] = "2.0".into();
                (ident, "10.20.4.118".to_string(), AGENTS[1].to_string(), false)
            } else {
                (ident, ip, agent, false)
            }
        }
        "Root" => (
            json!({
                "type": "Root",
                "principalId": account,
                "arn": format!("arn:aws:iam::{account}:root"),
                "accountId": account,
                "accessKeyId": key_id(sess, "ASIA"),
                "sessionContext": session_context(rng, json!({}), true, creation),
            }),
            ip,
            AGENTS[4].to_string(),
            false,
        ),
        "FederatedUser" => {
            let issuer = json!({
                "type": "IAMUser",
                "principalId": id(stable, "AIDA", 17),
                "arn": format!("arn:aws:iam::{account}:user/{user}"),
                "accountId": account,
                "userName": user,
            });
            (
                json!({
                    "type": "FederatedUser",
                    "principalId": format!("{account}:{user}"),
                    "arn": format!("arn:aws:sts::{account}:federated-user/{user}"),
                    "accountId": account,
                    "accessKeyId": key_id(sess, "ASIA"),
                    "sessionContext": session_context(rng, issuer, false, creation),
                }),
                ip,
                agent,
                false,
            )
        }
        "AWSService" => {
            let svc = SERVICES[rng.random_range(0..SERVICES.len())];
            (
                json!({"type": "AWSService", "invokedBy": svc}),
                svc.to_string(),
                svc.to_string(),
                true,
            )
        }
        "AWSAccount" => (
            json!({
                "type": "AWSAccount",
                "principalId": id(stable, "AIDA", 17),
                "accountId": "210987654321",
            }),
            ip,
            agent,
            false,
        ),
        "SAMLUser" => (
            json!({
                "type": "SAMLUser",
                "principalId": format!("SAMPLE_NAME_QUALIFIER:{session}"),
                "userName": session,
                "identityProvider": "bdGOnTesti4+ExamplexNameQualifier=",
            }),
            ip,
            agent,
            false,
        ),
        "WebIdentityUser" => (
            json!({
                "type": "WebIdentityUser",
                "principalId": format!("accounts.google.com:application-id.apps.googleusercontent.com:{user}"),
                "userName": user,
                "identityProvider": "accounts.google.com",
            }),
            ip,
            agent,
            false,
        ),
        "IdentityCenterUser" => (
            json!({
                "type": "IdentityCenterUser",
                "accountId": account,
                "onBehalfOf": {
                    "userId": format!("{:08x}-1234-5678-9abc-def012345678", rng.random::<u32>()),
                    "identityStoreArn": "arn:aws:identitystore::123456789012:identitystore/d-1234567890",
                },
                "credentialId": format!("{:032x}", rng.random::<u128>()),
            }),
            ip,
            AGENTS[4].to_string(),
            false,
        ),
        _ => (
            json!({"type": "Unknown", "principalId": "", "accountId": account, "userName": user}),
            ip,
            agent,
            false,
        ),
    };
    Actor {
        identity,
        source_ip,
        user_agent,
        service,
    }
}
