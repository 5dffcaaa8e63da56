//! What the instances of the fleets ([`super::fleet`]) and the Auto Scaling workers call, and as whom: their
//! instance role's session, with credentials that change every few hours, from where the VPC routes each
//! call ([`super::egress`]); KMS logs the decryptions S3 makes for them as S3's.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::apps::{self, App};
use super::common::{
    Call, Who, assumed_role, id, pick, record, rng_of, role_context, role_issuer, text, weighted,
};
use super::egress;
use super::fleet::Instance;
use super::org::Org;
use super::shapes::{self, Ctx};

const SSM_AGENT: &str = "aws-sdk-go/1.44.260 (go1.21.6; linux; amd64) amazon-ssm-agent/3.3.40.0";

/// The access key and issue time of `inst`'s credentials at `time` (`a`, `r` locate the instance).
pub fn credentials(
    org: &Org,
    a: usize,
    r: usize,
    inst: &Instance,
    time: DateTime<Utc>,
) -> (String, DateTime<Utc>) {
    let secs = (time - org.start).num_seconds() - inst.phase;
    let k = secs.div_euclid(inst.period);
    let mut rng = rng_of(&[org.seed, 59, a as u64, r as u64, text(&inst.id), k as u64]);
    let issued = org.start + Duration::seconds(k * inst.period + inst.phase);
    (id(&mut rng, "ASIA", 16), issued)
}

/// `inst`'s role session's `userIdentity` at `time`.
pub fn identity(org: &Org, a: usize, r: usize, inst: &Instance, time: DateTime<Utc>) -> Value {
    let account = &org.accounts[a];
    let role = inst.fleet_role().name;
    let role_id = org.role_id(a, role);
    let (key, issued) = credentials(org, a, r, inst, time);
    let mut ctx = role_context(role_issuer(account, "/", role, &role_id), issued, false);
    ctx["ec2RoleDelivery"] = "2.0".into();
    ctx["ec2IssuedInVPC"] = inst.vpc.clone().into();
    assumed_role(account, role, &role_id, &inst.id, &key, ctx)
}

/// Who `inst` is when it calls `source` at `time`, from where its VPC routes the call ([`egress::route`]).
pub fn instance_who(
    org: &Org,
    a: usize,
    r: usize,
    inst: &Instance,
    time: DateTime<Utc>,
    source: &str,
) -> Who {
    let route = egress::route(org, inst, time, source);
    Who {
        identity: identity(org, a, r, inst, time),
        ip: route.ip,
        agent: inst.fleet_role().agent.to_string(),
        vpce: route.vpce,
        console: false,
        service: false,
    }
}

/// `who` with an AWS service calling on its behalf (`invokedBy`), as KMS logs S3's and Secrets Manager's
/// decryptions for the caller.
pub fn via_service(who: &Who, service: &str) -> Who {
    let mut identity = who.identity.clone();
    identity["invokedBy"] = service.into();
    Who {
        identity,
        ip: service.to_string(),
        agent: service.to_string(),
        vpce: None,
        console: false,
        service: true,
    }
}

/// One call by a random instance of the fleet of account `a` in region `r`.
pub fn call(rng: &mut SmallRng, org: &Org, a: usize, r: usize, time: DateTime<Utc>) -> Value {
    let inst = pick(rng, &org.fleets[a][r]);
    own_call(rng, org, inst, time)
}

/// One call by instance `inst` at `time`.
pub fn own_call(rng: &mut SmallRng, org: &Org, inst: &Instance, time: DateTime<Utc>) -> Value {
    let call = *weighted(rng, inst.fleet_role().calls);
    named_call(rng, org, inst, time, call)
}

/// Call `call` by instance `inst` at `time`.
pub fn named_call(
    rng: &mut SmallRng,
    org: &Org,
    inst: &Instance,
    time: DateTime<Utc>,
    (source, name): Call,
) -> Value {
    let (a, r) = (inst.a, inst.r);
    let role = inst.fleet_role();
    let app: Option<&'static App> = role.app.map(apps::app);
    let ctx = Ctx {
        org,
        a,
        r,
        instance: Some(&inst.id),
        app,
    };
    let api = shapes::api(rng, &ctx, source, name);
    let mut who = instance_who(org, a, r, inst, time, api.source);
    if api.source == "ssm.amazonaws.com"
        && matches!(api.name, "UpdateInstanceInformation" | "ListInstanceAssociations")
    {
        who.agent = SSM_AGENT.to_string();
    }
    // S3 decrypts SSE-KMS objects with the caller's identity: KMS logs it from S3, not from the instance.
    let for_s3 = api.params.pointer("/encryptionContext/aws:s3:arn").is_some();
    if api.source == "kms.amazonaws.com" && for_s3 && rng.random_bool(0.5) {
        who = via_service(&who, "s3.amazonaws.com");
    }
    let mut e = record(rng, time, &org.accounts[a], &org.regions[r], &who, api);
    if !who.service && rng.random_bool(0.006) {
        e["errorCode"] = "ThrottlingException".into();
        e["errorMessage"] = "Rate exceeded".into();
        e["responseElements"] = json!(null);
    }
    e
}
