//! Chains 1 to 3, each starting from a person: an IAM user whose role session assumes a role in another
//! account, an IAM Identity Center user's permission-set role, and a SAML (Okta) user's role.

use serde_json::json;

use super::builder::{Builder, HOUR, MIN, at};
use super::calls::*;
use super::cast::*;
use super::truth::PlantedEvent;
use crate::GenOptions;
use crate::world::common::{Api, uuid};

/// 1. IAM user → role in A → role in B (cross-account, logged in both accounts) → calls in B.
pub(super) fn cross_account(b: &mut Builder, opts: &GenOptions) {
    let (a, bb, _) = abc(opts);
    let (us, r2) = regions(opts);
    let (acct_a, acct_b) = (b.accounts[a].clone(), b.accounts[bb].clone());
    let user_arn = format!("arn:aws:iam::{acct_a}:user/{}", ANA.0);
    let ana = who(iam_user(&acct_a, ANA), net::OFFICE, CLI_LINUX);

    let t1 = 30 * MIN;
    let api = assume_role(
        &mut b.rng,
        &acct_a,
        DEPLOY_HUB,
        ANA.0,
        DEPLOY_HUB_KEY,
        at(b.t, t1),
        None,
        HOUR,
    );
    let hub_issue = b.emit(1, a, &us, t1, &cli(&ana, "sts.assume-role"), api);
    let hub_created = at(b.t, t1);
    let hub = who(
        role_session(&acct_a, DEPLOY_HUB, ANA.0, DEPLOY_HUB_KEY, hub_created, false),
        net::OFFICE,
        CLI_LINUX,
    );
    b.emit(
        1,
        a,
        &us,
        t1 + 40,
        &cli(&hub, "sts.get-caller-identity"),
        Api::new("sts.amazonaws.com", "GetCallerIdentity", true),
    );

    // The cross-account hop: the caller's account logs the caller; the role's account logs only the
    // caller's account and principal id (type AWSAccount). One request, one sharedEventID, two eventIDs.
    let t2 = 32 * MIN;
    let api = assume_role(
        &mut b.rng,
        &acct_b,
        XACCT,
        XACCT_SESSION,
        XACCT_KEY,
        at(b.t, t2),
        Some(3600),
        HOUR,
    );
    let xacct_issue = b.emit(1, a, &us, t2, &cli(&hub, "sts.assume-role"), api);
    let shared = uuid(&mut b.rng);
    let caller_copy = b.events.len() - 1;
    b.events[caller_copy].event["sharedEventID"] = shared.into();
    if bb != a {
        let mut copy = b.events[caller_copy].event.clone();
        copy["userIdentity"] = json!({"type": "AWSAccount", "principalId": format!("{}:{}", DEPLOY_HUB.2, ANA.0),
            "accountId": acct_a});
        copy["recipientAccountId"] = acct_b.clone().into();
        copy["eventID"] = b.next_id(1).into();
        b.events.push(PlantedEvent { a: bb, event: copy });
    }

    let x = who(
        role_session(&acct_b, XACCT, XACCT_SESSION, XACCT_KEY, at(b.t, t2), false),
        net::OFFICE,
        CLI_LINUX,
    );
    let api = list_buckets(&mut b.rng);
    b.emit(1, bb, &us, 33 * MIN, &cli(&x, "s3.ls"), api);
    let bucket = bucket(&acct_b, "artifacts", &r2);
    let api = get_object(
        &mut b.rng,
        &acct_b,
        &bucket,
        "releases/2026.03/orders-api.tar.gz",
        &r2,
    );
    b.emit(1, bb, &r2, 34 * MIN, &cli(&x, "s3.cp"), api);
    b.emit(
        1,
        bb,
        &us,
        35 * MIN,
        &cli(&x, "iam.list-users"),
        Api::new("iam.amazonaws.com", "ListUsers", true),
    );

    b.expect(
        1,
        ANA.2,
        "long-term-key",
        ("IAMUser", user_arn.clone()),
        0,
        None,
        None,
        user_arn.clone(),
        a,
        None,
        t1,
    );
    b.expect(
        1,
        DEPLOY_HUB_KEY,
        "role-session",
        ("IAMUser", user_arn.clone()),
        1,
        Some(ANA.2),
        Some(role_arn(&acct_a, DEPLOY_HUB)),
        session_arn(&acct_a, DEPLOY_HUB, ANA.0),
        a,
        Some((t1, hub_issue)),
        t1 + 40,
    );
    b.expect(
        1,
        XACCT_KEY,
        "role-session",
        ("IAMUser", user_arn),
        2,
        Some(DEPLOY_HUB_KEY),
        Some(role_arn(&acct_b, XACCT)),
        session_arn(&acct_b, XACCT, XACCT_SESSION),
        bb,
        Some((t2, xacct_issue)),
        33 * MIN,
    );
}

/// 2. An IAM Identity Center user's permission-set role in B, then calls.
pub(super) fn identity_center(b: &mut Builder, opts: &GenOptions) {
    let (_, a, _) = abc(opts);
    let (us, r2) = regions(opts);
    let account = b.accounts[a].clone();
    let t0 = 45 * MIN;
    let (mut w, api) = assume_with_saml(
        &mut b.rng,
        &account,
        SSO,
        SSO_PROVIDER,
        SSO_USER,
        "Qm9vdHN0cmFwSWQ/x7KpL2mNvWq3Zs=",
        "https://portal.sso.us-east-1.amazonaws.com/saml/assertion/Mjc4OTEyMzQ1Njc4X2lucy0zZjZh",
        SSO_KEY,
        at(b.t, t0),
    );
    w.ip = net::IDENTITY_CENTER.into();
    w.agent = IDC_AGENT.into();
    let issue = b.emit(2, a, &us, t0, &w, api);
    let maya = who(
        role_session(&account, SSO, SSO_USER, SSO_KEY, at(b.t, t0), false),
        net::MAYA,
        CLI_MACOS,
    );
    let api = list_buckets(&mut b.rng);
    b.emit(2, a, &us, t0 + 50, &cli(&maya, "s3.ls"), api);
    b.emit(
        2,
        a,
        &r2,
        t0 + 2 * MIN,
        &cli(&maya, "ec2.describe-instances"),
        Api::new("ec2.amazonaws.com", "DescribeInstances", true)
            .params(json!({"instancesSet": {}, "filterSet": {}})),
    );
    b.emit(
        2,
        a,
        &r2,
        t0 + 3 * MIN,
        &cli(&maya, "athena.list-work-groups"),
        Api::new("athena.amazonaws.com", "ListWorkGroups", true).params(json!({"maxResults": 50})),
    );
    let provider_arn = format!("arn:aws:iam::{account}:saml-provider/{SSO_PROVIDER}");
    b.expect(
        2,
        SSO_KEY,
        "sso-role-credentials",
        ("IdentityCenterUser", format!("{provider_arn}:{SSO_USER}")),
        1,
        None,
        Some(role_arn(&account, SSO)),
        session_arn(&account, SSO, SSO_USER),
        a,
        Some((t0, issue)),
        t0 + 50,
    );
}

/// 3. A SAML (Okta) user's role in A, then calls.
pub(super) fn saml(b: &mut Builder, opts: &GenOptions) {
    let (a, _, _) = abc(opts);
    let (us, r2) = regions(opts);
    let account = b.accounts[a].clone();
    let t0 = 55 * MIN;
    let (mut w, api) = assume_with_saml(
        &mut b.rng,
        &account,
        OKTA,
        "Okta",
        OKTA_USER,
        "T2t0YUNoYWluUXVhbGlm/aW5kZXI3=",
        "http://www.okta.com/exk9c4a1b2d3e4f5g6h7",
        OKTA_KEY,
        at(b.t, t0),
    );
    w.ip = net::TOMAS.into();
    w.agent = SAML2AWS.into();
    let issue = b.emit(3, a, &us, t0, &w, api);
    let tomas = who(
        role_session(&account, OKTA, OKTA_USER, OKTA_KEY, at(b.t, t0), false),
        net::TOMAS,
        CLI_MACOS,
    );
    b.emit(
        3,
        a,
        &us,
        t0 + 30,
        &cli(&tomas, "sts.get-caller-identity"),
        Api::new("sts.amazonaws.com", "GetCallerIdentity", true),
    );
    b.emit(
        3,
        a,
        &r2,
        t0 + 90,
        &cli(&tomas, "logs.describe-log-groups"),
        Api::new("logs.amazonaws.com", "DescribeLogGroups", true).params(json!({"limit": 50})),
    );
    b.emit(
        3,
        a,
        &r2,
        t0 + 3 * MIN,
        &cli(&tomas, "cloudwatch.describe-alarms"),
        Api::new("monitoring.amazonaws.com", "DescribeAlarms", true).params(json!({"maxRecords": 100})),
    );
    let provider_arn = format!("arn:aws:iam::{account}:saml-provider/Okta");
    b.expect(
        3,
        OKTA_KEY,
        "role-session",
        ("SAMLUser", format!("{provider_arn}:{OKTA_USER}")),
        1,
        None,
        Some(role_arn(&account, OKTA)),
        session_arn(&account, OKTA, OKTA_USER),
        a,
        Some((t0, issue)),
        t0 + 30,
    );
}
