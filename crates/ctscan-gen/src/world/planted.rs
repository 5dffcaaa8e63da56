//! The seven attacks only the realistic world plants (`--world realistic --attacks`), on top of the ten of
//! [`crate::attacks`]. Each needs the coherent world around it to mean anything: a burst of distinct
//! secrets (where apps read one to three each), anonymous bulk S3 reads, a launch in a region the account
//! never uses, and instance credentials used from outside while the instance keeps working (a private
//! instance, whose own calls leave from its NAT gateway's addresses); and three as small as real quiet
//! intrusions ([`super::quiet`]). Every planted event comes from [`crate::attacks::ATTACKER_IP`].

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::json;

use super::common::{
    Api, alnum, assumed_role, hex, record, rng_of, role_context, role_issuer, s3_object_resources, uuid,
};
use super::fleet::Instance;
use super::fleet_calls;
use super::intrusion::{KALI_CLI, anonymous, at_fraction, attacker};
pub use super::intrusion::{NEW_REGION, Scenario};
use super::logins;
use super::org::Org;
use super::quiet;
pub use super::quiet::{
    ANONYMOUS_S3_SMALL_EVENTS, NEW_REGION_KEY_ONLY_EVENTS, TRAIL_LIFECYCLE_EVENTS, quiet_region,
};
use crate::attacks::mallory_user;

/// Number of scenarios only the realistic world plants.
pub const REALISTIC_SCENARIOS: usize = 7;

/// `GetSecretValue` calls of the secrets burst (25 distinct secrets within 3 minutes).
pub const SECRETS_BURST_EVENTS: usize = 25;

/// Anonymous `GetObject` data events of the S3 burst (200 distinct keys of one bucket within 5 minutes).
pub const ANONYMOUS_S3_EVENTS: usize = 200;

/// Events in the never-used region (`ImportKeyPair`, then `RunInstances`).
pub const NEW_REGION_EVENTS: usize = 2;

/// Calls made with the stolen instance credentials (`GetCallerIdentity`, `ListAttachedRolePolicies`,
/// `ListBuckets`).
pub const STOLEN_CREDENTIAL_EVENTS: usize = 3;

/// All events the seven scenarios plant.
pub const REALISTIC_ATTACK_EVENTS: usize = SECRETS_BURST_EVENTS
    + ANONYMOUS_S3_EVENTS
    + NEW_REGION_EVENTS
    + STOLEN_CREDENTIAL_EVENTS
    + ANONYMOUS_S3_SMALL_EVENTS
    + NEW_REGION_KEY_ONLY_EVENTS
    + TRAIL_LIFECYCLE_EVENTS;

/// The secrets the burst reads: the apps' own and others nobody reads routinely.
const SECRETS: &[&str] = &[
    "prod/orders-api/db",
    "prod/orders-api/stripe",
    "prod/checkout-web/session-key",
    "prod/batch-etl/warehouse",
    "prod/orders-worker/queue",
    "prod/invoice/smtp",
    "prod/invoice/pdf-api",
    "prod/audit/siem-token",
    "prod/rds/master",
    "prod/rds/replica",
    "prod/redshift/admin",
    "prod/github/deploy-token",
    "prod/datadog/api-key",
    "prod/pagerduty/token",
    "prod/slack/webhook",
    "prod/sendgrid/api-key",
    "prod/okta/scim-token",
    "prod/vpn/psk",
    "prod/jenkins/admin",
    "prod/elastic/superuser",
    "prod/payments/hmac",
    "prod/partner-sftp/key",
    "prod/snowflake/loader",
    "prod/backup/encryption-key",
    "prod/terraform/cloud-token",
];

const _: () = assert!(SECRETS.len() == SECRETS_BURST_EVENTS);

/// The instance whose credentials are stolen: the first private one (behind a NAT gateway, so its own calls
/// leave from the gateway's Elastic IPs) of the first account's first region.
pub fn stolen_instance(org: &Org) -> &Instance {
    let fleet = &org.fleets[0][0];
    fleet.iter().find(|i| !i.public).unwrap_or(&fleet[0])
}

/// When the stolen instance credentials are used.
pub fn stolen_at(org: &Org) -> DateTime<Utc> {
    at_fraction(org, 0.7) + Duration::seconds(40)
}

fn secrets_burst(rng: &mut SmallRng, org: &Org) -> Scenario {
    let (a, r) = (0, 0);
    let time = at_fraction(org, 0.42) + Duration::seconds(20);
    let account = &org.accounts[a];
    let (role, path) = logins::sso_role(org, a, "AdministratorAccess");
    let role_id = org.role_id(a, &role);
    let identity = assumed_role(
        account,
        &role,
        &role_id,
        "mallory",
        "ASIAMALLORYSESSION01",
        role_context(
            role_issuer(account, path, &role, &role_id),
            time - Duration::minutes(6),
            false,
        ),
    );
    let who = attacker(identity, KALI_CLI);
    let events = SECRETS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let api = Api::new("secretsmanager.amazonaws.com", "GetSecretValue", true)
                .params(json!({"secretId": org.secret_arn(a, r, name)}));
            let mut w = who.clone();
            w.agent = format!("{KALI_CLI} prompt/off command/secretsmanager.get-secret-value");
            record(
                rng,
                time + Duration::seconds(7 * i as i64),
                account,
                &org.regions[r],
                &w,
                api,
            )
        })
        .collect();
    Scenario {
        name: "secrets_burst",
        a,
        r: Some(r),
        region: org.regions[r].clone(),
        time,
        events,
    }
}

fn anonymous_s3(rng: &mut SmallRng, org: &Org) -> Scenario {
    let a = 1 % org.accounts.len();
    let r = 1 % org.regions.len();
    let time = at_fraction(org, 0.58) + Duration::seconds(10);
    let account = &org.accounts[a];
    let bucket = org.bucket(a, r, "app-assets");
    let who = attacker(anonymous(), "python-requests/2.31.0");
    let events = (0..ANONYMOUS_S3_EVENTS)
        .map(|i| {
            let key = format!("exports/customers/{:04}-{}.csv.gz", i, alnum(rng, 8));
            let bytes = rng.random_range(40_000..4_000_000);
            let api = Api::new("s3.amazonaws.com", "GetObject", true)
                .params(json!({"bucketName": bucket, "key": key, "Host": format!("{bucket}.s3.{}.amazonaws.com", org.regions[r])}))
                .resources(s3_object_resources(account, &bucket, &key))
                .extra(super::common::s3_extra(rng, 0, bytes, false))
                .data();
            record(rng, time + Duration::milliseconds(1_400 * i as i64), account, &org.regions[r], &who, api)
        })
        .collect();
    Scenario {
        name: "anonymous_s3",
        a,
        r: Some(r),
        region: org.regions[r].clone(),
        time,
        events,
    }
}

fn new_region(rng: &mut SmallRng, org: &Org) -> Scenario {
    let a = 2 % org.accounts.len();
    let account = &org.accounts[a];
    let last_day = org.start + Duration::days(i64::from(org.days) - 1);
    let time = last_day + Duration::hours(15) + Duration::seconds(rng.random_range(0..1800));
    let who = attacker(mallory_user(account), KALI_CLI);
    let key_name = "ops-recovery";
    let import = Api::new("ec2.amazonaws.com", "ImportKeyPair", false)
        .params(json!({"keyName": key_name, "publicKeyMaterial": format!("c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSU{}", alnum(rng, 40))}))
        .response(json!({"requestId": uuid(rng), "keyFingerprint": format!("SHA256:{}", alnum(rng, 43)),
            "keyName": key_name, "keyPairId": format!("key-0{}", hex(rng, 16))}));
    let instance = format!("i-0{}", hex(rng, 16));
    let run = Api::new("ec2.amazonaws.com", "RunInstances", false)
        .params(json!({
            "instancesSet": {"items": [{"imageId": format!("ami-0{}", hex(rng, 16)), "minCount": 1, "maxCount": 1, "keyName": key_name}]},
            "instanceType": "c6i.4xlarge",
            "blockDeviceMapping": {},
            "monitoring": {"enabled": false},
            "disableApiTermination": false,
            "disableApiStop": false,
            "clientToken": uuid(rng),
            "networkInterfaceSet": {"items": [{"deviceIndex": 0, "associatePublicIpAddress": true}]},
        }))
        .response(json!({"requestId": uuid(rng), "reservationId": format!("r-0{}", hex(rng, 16)), "ownerId": account,
            "instancesSet": {"items": [{"instanceId": instance, "currentState": {"code": 0, "name": "pending"},
                "instanceType": "c6i.4xlarge", "keyName": key_name, "placement": {"availabilityZone": format!("{NEW_REGION}a")}}]}}));
    let later = time + Duration::seconds(rng.random_range(120..300));
    let events = vec![
        record(rng, time, account, NEW_REGION, &who, import),
        record(rng, later, account, NEW_REGION, &who, run),
    ];
    Scenario {
        name: "new_region",
        a,
        r: None,
        region: NEW_REGION.to_string(),
        time,
        events,
    }
}

fn stolen_credentials(rng: &mut SmallRng, org: &Org) -> Scenario {
    let (a, r) = (0, 0);
    let inst = stolen_instance(org);
    let time = stolen_at(org);
    let account = &org.accounts[a];
    let who = attacker(fleet_calls::identity(org, a, r, inst, time), KALI_CLI);
    let calls = [
        (
            Api::new("sts.amazonaws.com", "GetCallerIdentity", true),
            "sts.get-caller-identity",
            0,
        ),
        (
            Api::new("iam.amazonaws.com", "ListAttachedRolePolicies", true)
                .params(json!({"roleName": inst.fleet_role().name})),
            "iam.list-attached-role-policies",
            25,
        ),
        (
            Api::new("s3.amazonaws.com", "ListBuckets", true)
                .params(json!({"Host": format!("s3.{}.amazonaws.com", org.regions[r])}))
                .extra(super::common::s3_extra(rng, 0, 2900, true)),
            "s3.ls",
            50,
        ),
    ];
    let events = calls
        .into_iter()
        .map(|(api, command, after)| {
            let mut w = who.clone();
            w.identity = fleet_calls::identity(org, a, r, inst, time + Duration::seconds(after));
            w.agent = format!("{KALI_CLI} prompt/off command/{command}");
            record(
                rng,
                time + Duration::seconds(after),
                account,
                &org.regions[r],
                &w,
                api,
            )
        })
        .collect();
    Scenario {
        name: "stolen_instance_credentials",
        a,
        r: Some(r),
        region: org.regions[r].clone(),
        time,
        events,
    }
}

/// The seven scenarios of `org`, deterministic by seed.
pub fn scenarios(org: &Org) -> Vec<Scenario> {
    let mut rng = rng_of(&[org.seed, 181]);
    let mut out = vec![
        secrets_burst(&mut rng, org),
        anonymous_s3(&mut rng, org),
        new_region(&mut rng, org),
        stolen_credentials(&mut rng, org),
    ];
    out.extend(quiet::scenarios(org));
    out
}
