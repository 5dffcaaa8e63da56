//! What the Lambda functions of the applications ([`super::apps`]) call, and as whom: each function keeps a
//! few execution environments warm, each with its own role credentials for hours and its own egress address
//! among the AWS-owned ones Lambda shares between functions.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::json;

use super::apps::{App, function_role, functions};
use super::common::{
    Api, Call, Who, assumed_role, id, key, pick, record, rng_of, role_context, role_issuer, text, weighted,
};
use super::net;
use super::org::Org;
use super::shapes::{self, Ctx};

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
    let mut krng = rng_of(&[org.seed, 53, a as u64, r as u64, text(app.name), env, epoch]);
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
        ip: net::lambda_egress(r, key(&[env, epoch, text(app.name)])),
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
    let mut e = record(rng, time, &org.accounts[a], &org.regions[r], &who, api);
    if rng.random_bool(0.004) {
        e["errorCode"] = "ThrottlingException".into();
        e["errorMessage"] = "Rate exceeded".into();
        e["responseElements"] = json!(null);
    }
    e
}
