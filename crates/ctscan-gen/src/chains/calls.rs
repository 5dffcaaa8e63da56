//! The pieces the chains' events are made of: the accounts and regions they use, identities (IAM users, role
//! sessions) and the calls that issue and use credentials (`AssumeRole`, `AssumeRoleWithSAML`, S3 reads and
//! writes).

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use crate::world::common::{
    Api, Who, assumed_role, expiration, role_context, role_issuer, s3_extra, s3_object_resources,
    session_token, uuid,
};
use crate::{GenOptions, region_names};

/// The accounts the chains use: indexes of A, B and C.
pub(super) fn abc(opts: &GenOptions) -> (usize, usize, usize) {
    let n = opts.accounts.max(1);
    (0, 1 % n, 2 % n)
}

/// Regions: us-east-1 (where STS's global endpoint and IAM log) and a second one, when there is one.
pub(super) fn regions(opts: &GenOptions) -> (String, String) {
    let names = region_names(opts.regions.max(1));
    (names[0].clone(), names[1 % names.len()].clone())
}

/// The `userIdentity` of IAM user `user` (name, id, key) calling with its long-term key.
pub(super) fn iam_user(account: &str, user: (&str, &str, &str)) -> Value {
    json!({
        "type": "IAMUser",
        "principalId": user.1,
        "arn": format!("arn:aws:iam::{account}:user/{}", user.0),
        "accountId": account,
        "accessKeyId": user.2,
        "userName": user.0,
    })
}

/// The ARN of `role` (name, path, id) in `account`.
pub(super) fn role_arn(account: &str, role: (&str, &str, &str)) -> String {
    format!("arn:aws:iam::{account}:role{}{}", role.1, role.0)
}

/// The ARN of session `session` of `role` in `account`.
pub(super) fn session_arn(account: &str, role: (&str, &str, &str), session: &str) -> String {
    format!("arn:aws:sts::{account}:assumed-role/{}/{session}", role.0)
}

/// The `userIdentity` of session `session` of `role` in `account`, created at `created`, calling with
/// `key`.
pub(super) fn role_session(
    account: &str,
    role: (&str, &str, &str),
    session: &str,
    key: &str,
    created: DateTime<Utc>,
    mfa: bool,
) -> Value {
    let issuer = role_issuer(account, role.1, role.0, role.2);
    assumed_role(
        account,
        role.0,
        role.2,
        session,
        key,
        role_context(issuer, created, mfa),
    )
}

/// `identity` calling from `ip` with `agent`, as a client outside AWS.
pub(super) fn who(identity: Value, ip: &str, agent: &str) -> Who {
    Who {
        identity,
        ip: ip.to_string(),
        agent: agent.to_string(),
        vpce: None,
        console: false,
        service: false,
    }
}

/// `who` with the CLI's `command/<service>.<command>` suffix.
pub(super) fn cli(w: &Who, command: &str) -> Who {
    let mut w = w.clone();
    w.agent = format!("{} command/{command}", w.agent);
    w
}

/// The `credentials` an issuing call returns: `key`, a session token, and when they expire.
pub(super) fn credentials(rng: &mut SmallRng, key: &str, until: DateTime<Utc>) -> Value {
    json!({"accessKeyId": key, "sessionToken": session_token(rng), "expiration": expiration(until)})
}

/// `AssumeRole` of `role` in `account` as `session`, handing out `key` for `seconds`.
#[allow(clippy::too_many_arguments)]
pub(super) fn assume_role(
    rng: &mut SmallRng,
    account: &str,
    role: (&str, &str, &str),
    session: &str,
    key: &str,
    at: DateTime<Utc>,
    seconds: Option<i64>,
    lifetime: i64,
) -> Api {
    let arn = role_arn(account, role);
    let mut params = json!({"roleArn": arn, "roleSessionName": session});
    if let Some(s) = seconds {
        params["durationSeconds"] = s.into();
    }
    Api::new("sts.amazonaws.com", "AssumeRole", true)
        .params(params)
        .response(json!({
            "credentials": credentials(rng, key, at + Duration::seconds(lifetime)),
            "assumedRoleUser": {"assumedRoleId": format!("{}:{session}", role.2), "arn": session_arn(account, role, session)},
        }))
        .resources(json!([{"ARN": arn, "accountId": account, "type": "AWS::IAM::Role"}]))
}

/// `AssumeRoleWithSAML` of `role` through `provider` for `subject`, handing out `key` for an hour.
#[allow(clippy::too_many_arguments)]
pub(super) fn assume_with_saml(
    rng: &mut SmallRng,
    account: &str,
    role: (&str, &str, &str),
    provider: &str,
    subject: &str,
    qualifier: &str,
    issuer: &str,
    key: &str,
    at: DateTime<Utc>,
) -> (Who, Api) {
    let arn = role_arn(account, role);
    let provider_arn = format!("arn:aws:iam::{account}:saml-provider/{provider}");
    let identity = json!({"type": "SAMLUser", "principalId": format!("{qualifier}:{subject}"), "userName": subject,
        "identityProvider": qualifier});
    let api = Api::new("sts.amazonaws.com", "AssumeRoleWithSAML", true)
        .params(json!({"sAMLAssertionID": format!("_{}", uuid(rng)), "roleSessionName": subject, "roleArn": arn,
            "principalArn": provider_arn, "durationSeconds": 3600}))
        .response(json!({
            "credentials": credentials(rng, key, at + Duration::hours(1)),
            "assumedRoleUser": {"assumedRoleId": format!("{}:{subject}", role.2), "arn": session_arn(account, role, subject)},
            "subject": subject, "subjectType": "persistent", "issuer": issuer, "audience": "https://signin.aws.amazon.com/saml",
            "nameQualifier": qualifier,
        }))
        .extra(json!({"RequestDetails": {"endpointType": "global", "awsServingRegion": "us-east-1"}}))
        .resources(json!([
            {"accountId": account, "type": "AWS::IAM::Role", "ARN": arn},
            {"accountId": account, "type": "AWS::IAM::SAMLProvider", "ARN": provider_arn},
        ]));
    (who(identity, "", ""), api)
}

/// `ListBuckets`, as the CLI's `s3 ls` calls it.
pub(super) fn list_buckets(rng: &mut SmallRng) -> Api {
    Api::new("s3.amazonaws.com", "ListBuckets", true)
        .params(json!({"Host": "s3.amazonaws.com"}))
        .extra(s3_extra(rng, 0, 3100, true))
}

/// Bucket `kind` of `account` in `region`, named like the realistic world's buckets.
pub(super) fn bucket(account: &str, kind: &str, region: &str) -> String {
    format!(
        "acme-{}-{kind}-{region}",
        &account[account.len().saturating_sub(4)..]
    )
}

/// `GetObject` of `key` in `bucket` (a data event).
pub(super) fn get_object(rng: &mut SmallRng, account: &str, bucket: &str, key: &str, region: &str) -> Api {
    let bytes = rng.random_range(20_000..900_000);
    Api::new("s3.amazonaws.com", "GetObject", true)
        .params(
            json!({"bucketName": bucket, "key": key, "Host": format!("{bucket}.s3.{region}.amazonaws.com")}),
        )
        .resources(s3_object_resources(account, bucket, key))
        .extra(s3_extra(rng, 0, bytes, true))
        .data()
}

/// `PutObject` of `key` in `bucket`, encrypted with KMS (a data event).
pub(super) fn put_object(rng: &mut SmallRng, account: &str, bucket: &str, key: &str, region: &str) -> Api {
    let bytes = rng.random_range(200_000..40_000_000);
    Api::new("s3.amazonaws.com", "PutObject", false)
        .params(
            json!({"bucketName": bucket, "key": key, "Host": format!("{bucket}.s3.{region}.amazonaws.com"),
            "x-amz-server-side-encryption": "aws:kms"}),
        )
        .resources(s3_object_resources(account, bucket, key))
        .extra(s3_extra(rng, bytes, 0, true))
        .data()
}
