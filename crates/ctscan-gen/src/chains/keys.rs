//! Chains 4 to 6, credentials used away from where or when they were issued: an instance's role key used
//! from a laptop outside AWS, an access key one user creates for another, and credentials issued before the
//! window (and a role session whose issuing is in no trail at all).

use serde_json::json;

use super::builder::{Builder, HOUR, MIN, at};
use super::calls::*;
use super::cast::*;
use crate::GenOptions;
use crate::world::common::{Api, Who, expiration};

/// 4. EC2 assumes an instance role; the instance calls from inside AWS; then the key is used outside.
pub(super) fn instance_role(b: &mut Builder, opts: &GenOptions) {
    let (a, _, _) = abc(opts);
    let (us, r2) = regions(opts);
    let account = b.accounts[a].clone();
    let t0 = 65 * MIN;
    let service = Who {
        identity: json!({"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}),
        ip: "ec2.amazonaws.com".into(),
        agent: "ec2.amazonaws.com".into(),
        vpce: None,
        console: false,
        service: true,
    };
    let api = assume_role(
        &mut b.rng,
        &account,
        EC2,
        INSTANCE,
        EC2_KEY,
        at(b.t, t0),
        None,
        6 * HOUR,
    );
    let issue = b.emit(4, a, &r2, t0, &service, api);
    let mut identity = role_session(&account, EC2, INSTANCE, EC2_KEY, at(b.t, t0), false);
    identity["sessionContext"]["ec2RoleDelivery"] = "2.0".into();
    identity["sessionContext"]["ec2IssuedInVPC"] = "vpc-0c4a1f3e5d7b90246".into();
    let inside_ip = if r2 == "us-east-1" {
        net::INSTANCE_US
    } else {
        net::INSTANCE_EU
    };
    let inside = who(identity.clone(), inside_ip, INSTANCE_AGENT);
    let bucket = bucket(&account, "data-lake", &r2);
    b.emit(
        4,
        a,
        &r2,
        t0 + 70,
        &inside,
        Api::new("ec2.amazonaws.com", "DescribeTags", true).params(
            json!({"filterSet": {"items": [{"name": "resource-id", "valueSet": {"items": [{"value": INSTANCE}]}}]}}),
        ),
    );
    let api = get_object(
        &mut b.rng,
        &account,
        &bucket,
        "reports/daily/2026-03-01.parquet",
        &r2,
    );
    b.emit(4, a, &r2, t0 + 3 * MIN, &inside, api);
    let api = put_object(&mut b.rng, &account, &bucket, "reports/daily/summary.json", &r2);
    b.emit(4, a, &r2, t0 + 5 * MIN, &inside, api);
    // The same key from a laptop outside AWS: the instance's credentials have left it.
    let outside = who(identity, net::LAPTOP, CLI_MACOS);
    b.emit(
        4,
        a,
        &us,
        80 * MIN,
        &cli(&outside, "sts.get-caller-identity"),
        Api::new("sts.amazonaws.com", "GetCallerIdentity", true),
    );
    let api = list_buckets(&mut b.rng);
    b.emit(4, a, &us, 80 * MIN + 35, &cli(&outside, "s3.ls"), api);
    b.expect(
        4,
        EC2_KEY,
        "instance-role",
        ("AWSService", "ec2.amazonaws.com".into()),
        1,
        None,
        Some(role_arn(&account, EC2)),
        session_arn(&account, EC2, INSTANCE),
        a,
        Some((t0, issue)),
        t0 + 70,
    );
}

/// 5. User A creates a key for user B; B's key calls and assumes a role.
pub(super) fn key_for_another_user(b: &mut Builder, opts: &GenOptions) {
    let (_, _, a) = abc(opts);
    let (us, r2) = regions(opts);
    let account = b.accounts[a].clone();
    let priya_arn = format!("arn:aws:iam::{account}:user/{}", PRIYA.0);
    let agent_arn = format!("arn:aws:iam::{account}:user/{}", BUILD_AGENT.0);
    let priya = who(iam_user(&account, PRIYA), net::OFFICE, CLI_LINUX);
    let t0 = 90 * MIN;
    let api = Api::new("iam.amazonaws.com", "CreateAccessKey", false)
        .params(json!({"userName": BUILD_AGENT.0}))
        .response(
            json!({"accessKey": {"userName": BUILD_AGENT.0, "accessKeyId": BUILD_AGENT.2, "status": "Active",
            "createDate": expiration(at(b.t, t0))}}),
        );
    let issue = b.emit(5, a, &us, t0, &cli(&priya, "iam.create-access-key"), api);
    let agent = who(iam_user(&account, BUILD_AGENT), net::CI, BOTO3);
    b.emit(
        5,
        a,
        &us,
        95 * MIN,
        &agent,
        Api::new("sts.amazonaws.com", "GetCallerIdentity", true),
    );
    b.emit(
        5,
        a,
        &r2,
        95 * MIN + 20,
        &agent,
        Api::new("ecr.amazonaws.com", "GetAuthorizationToken", true),
    );
    let t1 = 98 * MIN;
    let api = assume_role(
        &mut b.rng,
        &account,
        PUBLISHER,
        PUBLISHER_SESSION,
        PUBLISHER_KEY,
        at(b.t, t1),
        Some(3600),
        HOUR,
    );
    let role_issue = b.emit(5, a, &us, t1, &agent, api);
    let publisher = who(
        role_session(
            &account,
            PUBLISHER,
            PUBLISHER_SESSION,
            PUBLISHER_KEY,
            at(b.t, t1),
            false,
        ),
        net::CI,
        BOTO3,
    );
    let bucket = bucket(&account, "artifacts", &r2);
    let api = put_object(&mut b.rng, &account, &bucket, "builds/4711/orders-api.jar", &r2);
    b.emit(5, a, &r2, t1 + 70, &publisher, api);
    let api = get_object(&mut b.rng, &account, &bucket, "builds/4711/manifest.json", &r2);
    b.emit(5, a, &r2, t1 + 110, &publisher, api);
    b.expect(
        5,
        PRIYA.2,
        "long-term-key",
        ("IAMUser", priya_arn.clone()),
        0,
        None,
        None,
        priya_arn.clone(),
        a,
        None,
        t0,
    );
    b.expect(
        5,
        BUILD_AGENT.2,
        "long-term-key",
        ("IAMUser", priya_arn.clone()),
        1,
        Some(PRIYA.2),
        None,
        agent_arn,
        a,
        Some((t0, issue)),
        95 * MIN,
    );
    b.expect(
        5,
        PUBLISHER_KEY,
        "role-session",
        ("IAMUser", priya_arn),
        2,
        Some(BUILD_AGENT.2),
        Some(role_arn(&account, PUBLISHER)),
        session_arn(&account, PUBLISHER, PUBLISHER_SESSION),
        a,
        Some((t1, role_issue)),
        t1 + 70,
    );
}

/// 6. Credentials issued before `T` and used after it, and a role session whose issuance is nowhere.
pub(super) fn before_the_window(b: &mut Builder, opts: &GenOptions) {
    let (a, bb, _) = abc(opts);
    let (us, r2) = regions(opts);
    let account = b.accounts[a].clone();
    let user_arn = format!("arn:aws:iam::{account}:user/{}", LI.0);
    let li = who(iam_user(&account, LI), net::LI, CLI_WINDOWS);

    let t_token = -20 * HOUR;
    let api = Api::new("sts.amazonaws.com", "GetSessionToken", true)
        .params(json!({"durationSeconds": 129_600, "serialNumber": format!("arn:aws:iam::{account}:mfa/{}", LI.0)}))
        .response(json!({"credentials": credentials(&mut b.rng, TOKEN_KEY, at(b.t, t_token + 36 * HOUR))}));
    let token_issue = b.emit(6, a, &us, t_token, &cli(&li, "sts.get-session-token"), api);
    let t_role = -6 * HOUR;
    let api = assume_role(
        &mut b.rng,
        &account,
        BILLING,
        LI.0,
        BILLING_KEY,
        at(b.t, t_role),
        Some(43_200),
        12 * HOUR,
    );
    let role_issue = b.emit(6, a, &us, t_role, &cli(&li, "sts.assume-role"), api);

    // After T: the user's own key, the session token, the role session.
    b.emit(
        6,
        a,
        &us,
        4 * MIN,
        &cli(&li, "iam.list-access-keys"),
        Api::new("iam.amazonaws.com", "ListAccessKeys", true).params(json!({"userName": LI.0})),
    );
    let mut token_identity = iam_user(&account, LI);
    token_identity["accessKeyId"] = TOKEN_KEY.into();
    token_identity["sessionContext"] = json!({"sessionIssuer": {}, "webIdFederationData": {},
        "attributes": {"creationDate": crate::rfc3339(at(b.t, t_token)), "mfaAuthenticated": "true"}});
    let token = who(token_identity, net::LI, CLI_WINDOWS);
    b.emit(
        6,
        a,
        &r2,
        5 * MIN,
        &cli(&token, "ec2.describe-instances"),
        Api::new("ec2.amazonaws.com", "DescribeInstances", true)
            .params(json!({"instancesSet": {}, "filterSet": {}})),
    );
    b.emit(
        6,
        a,
        &us,
        6 * MIN,
        &cli(&token, "ce.get-cost-and-usage"),
        Api::new("ce.amazonaws.com", "GetCostAndUsage", true).params(
            json!({"timePeriod": {"start": "2026-02-01", "end": "2026-03-01"}, "granularity": "MONTHLY", "metrics": ["UnblendedCost"]}),
        ),
    );
    let billing = who(
        role_session(&account, BILLING, LI.0, BILLING_KEY, at(b.t, t_role), false),
        net::LI,
        CLI_WINDOWS,
    );
    b.emit(
        6,
        a,
        &us,
        7 * MIN,
        &cli(&billing, "organizations.describe-organization"),
        Api::new("organizations.amazonaws.com", "DescribeOrganization", true),
    );
    b.emit(
        6,
        a,
        &us,
        8 * MIN,
        &cli(&billing, "ce.get-cost-and-usage"),
        Api::new("ce.amazonaws.com", "GetCostAndUsage", true).params(
            json!({"timePeriod": {"start": "2026-01-01", "end": "2026-03-01"}, "granularity": "DAILY", "metrics": ["BlendedCost"]}),
        ),
    );

    // The session nobody saw being issued (issued three hours before T, in no trail of the archive).
    let legacy_account = b.accounts[bb].clone();
    let legacy = who(
        role_session(
            &legacy_account,
            LEGACY,
            LEGACY_SESSION,
            LEGACY_KEY,
            at(b.t, -3 * HOUR),
            false,
        ),
        net::BATCH,
        BATCH_AGENT,
    );
    let bucket = bucket(&legacy_account, "backups", &r2);
    b.emit(
        6,
        bb,
        &r2,
        10 * MIN,
        &legacy,
        Api::new("s3.amazonaws.com", "ListObjects", true).params(
            json!({"bucketName": bucket, "prefix": "nightly/", "Host": format!("{bucket}.s3.{r2}.amazonaws.com")}),
        ),
    );
    let api = put_object(
        &mut b.rng,
        &legacy_account,
        &bucket,
        "nightly/2026-03-02.tar.zst",
        &r2,
    );
    b.emit(6, bb, &r2, 12 * MIN, &legacy, api);

    b.expect(
        6,
        LI.2,
        "long-term-key",
        ("IAMUser", user_arn.clone()),
        0,
        None,
        None,
        user_arn.clone(),
        a,
        None,
        4 * MIN,
    );
    b.expect(
        6,
        TOKEN_KEY,
        "session-token",
        ("IAMUser", user_arn.clone()),
        1,
        Some(LI.2),
        None,
        user_arn.clone(),
        a,
        Some((t_token, token_issue)),
        5 * MIN,
    );
    b.expect(
        6,
        BILLING_KEY,
        "role-session",
        ("IAMUser", user_arn),
        1,
        Some(LI.2),
        Some(role_arn(&account, BILLING)),
        session_arn(&account, BILLING, LI.0),
        a,
        Some((t_role, role_issue)),
        7 * MIN,
    );
    let own = session_arn(&legacy_account, LEGACY, LEGACY_SESSION);
    b.expect(
        6,
        LEGACY_KEY,
        "role-session",
        ("unresolved", own.clone()),
        0,
        None,
        Some(role_arn(&legacy_account, LEGACY)),
        own,
        bb,
        None,
        10 * MIN,
    );
}
