//! Credential chains with known attribution, planted by `ctscan-gen --attacks` beside the attack scenarios
//! of [`super::attacks`], in both worlds.
//!
//! Why this exists: attribution (docs/attribution.md) follows issuing events (`AssumeRole`,
//! `AssumeRoleWithSAML`, `GetSessionToken`, `CreateAccessKey`...) from a credential back to the identity AWS
//! vouches for. Random benign traffic never forms such chains on purpose, so a resolver tested on it would
//! prove nothing. The six chains planted here are built from fixed principals and fixed key ids at fixed
//! times, and [`expected_chains`] says, for every credential they use, what the `sessions` table must hold
//! (kind, originType, originArn, hops, issuerAccessKeyId): integration tests assert the resolver against it.
//!
//! The chains, timed from [`anchor`] `T` (see [`expected_chains`] for the exact keys and ARNs):
//! 1. `T+30m`: IAM user `ana.ribeiro` (long-term key) assumes `deploy-hub` in account A; that session assumes
//!    `cross-account-deployer` in account B (logged in A and in B, one `sharedEventID`); the B session lists
//!    buckets, reads an object, lists users.
//! 2. `T+45m`: IAM Identity Center user `maya.okafor@acme.example` gets `AWSReservedSSO_DataScientist_*` in B
//!    (`AssumeRoleWithSAML` through the `AWSSSO_*` provider), then calls.
//! 3. `T+55m`: SAML user `tomas.berg@acme.example` (Okta) gets `okta-analyst` in A, then calls.
//! 4. `T+65m`: EC2 assumes `reporting-ec2` for instance `i-0c4a1e2b3d5f60718`; the instance calls from inside
//!    AWS (`ec2RoleDelivery` 2.0); at `T+80m` the same key is used from a laptop outside AWS (macOS CLI).
//! 5. `T+90m`: IAM user `priya.shah` creates an access key for user `build-agent` in account C; the new key
//!    calls and assumes `artifact-publisher`, whose session writes and reads artifacts.
//! 6. Before the window: `li.wei` gets a session token (`GetSessionToken`, `T-20h`) and assumes
//!    `billing-admin` (`T-6h`); both credentials (and the user's key) are used only after `T`, so with
//!    `--from T` only the 36-hour lookback finds their issuing events. Beside them, the session
//!    `legacy-batch/nightly-sync` in B, whose `AssumeRole` is in no trail of the archive, is used at `T+10m`.
//!
//! Accounts: A, B and C are the first three accounts ([`super::account_ids`]), repeating when the archive
//! has fewer (with one account the "cross-account" hop of chain 1 stays in A and is logged once).
//!
//! Tell-tales: the principals and addresses are realistic (offices, CI, AWS services), never
//! [`super::attacks::ATTACKER_IP`]; every chain event's `eventID` starts with [`EVENT_ID_PREFIX`]
//! (`c4a1000<chain>-`, see [`event_id_prefix`]) and every key id has `CHAIN` after its `AKIA`/`ASIA`. The
//! events go to delivery objects of their own, so the rest of an archive is the same with or without them.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::world::common::{
    Api, Who, assumed_role, expiration, hex, record, rng_of, role_context, role_issuer, s3_extra,
    s3_object_resources, session_token, uuid,
};
use super::{GenOptions, account_ids, day_dir, region_names, service_dir, write_gz};

/// Every planted chain event's `eventID` starts with this (then `000<chain>-`).
pub const EVENT_ID_PREFIX: &str = "c4a1";

/// Number of planted chains.
pub const CHAINS: u8 = 6;

/// How far before `--from` issuing events are looked up (docs/attribution.md, "Lookback").
pub const LOOKBACK_HOURS: i64 = 36;

/// The `eventID` prefix of chain `chain` (1..=[`CHAINS`]): `c4a1000<chain>-`.
pub fn event_id_prefix(chain: u8) -> String {
    format!("{EVENT_ID_PREFIX}000{chain}-")
}

/// `T`: the instant the chains are timed from, and the `--from` of scenario 6 (whose issuing events lie
/// 20 and 6 hours before it). Half-way through the archive, but at least 21 hours after its start so that
/// every issuing event is inside it: 2026-03-02T12:00:00Z for the default three days from 2026-03-01.
pub fn anchor(opts: &GenOptions) -> DateTime<Utc> {
    let start = opts.start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let hours = i64::from(opts.days.max(1)) * 24;
    start + Duration::hours((hours / 2).max(21))
}

/// The IAM users of the chains: (name, `AIDA...` id, long-term `AKIA...` key).
mod cast {
    pub const ANA: (&str, &str, &str) = ("ana.ribeiro", "AIDACHAINANARIBEIRO2Q", "AKIACHAINANARIBEIRO2");
    pub const PRIYA: (&str, &str, &str) = ("priya.shah", "AIDACHAINPRIYASHAH234", "AKIACHAINPRIYASHAH23");
    pub const BUILD_AGENT: (&str, &str, &str) =
        ("build-agent", "AIDACHAINBUILDAGENT23", "AKIACHAINBUILDAGENT2");
    pub const LI: (&str, &str, &str) = ("li.wei", "AIDACHAINLIWEI234567Q", "AKIACHAINLIWEIUSER23");

    /// Roles: (name, IAM path, `AROA...` id).
    pub const DEPLOY_HUB: (&str, &str, &str) = ("deploy-hub", "/", "AROACHAINDEPLOYHUB234");
    pub const XACCT: (&str, &str, &str) = ("cross-account-deployer", "/", "AROACHAINXACCTDEPLOY2");
    pub const SSO: (&str, &str, &str) = (
        "AWSReservedSSO_DataScientist_3f6a9c2e8b1d4705",
        "/aws-reserved/sso.amazonaws.com/",
        "AROACHAINSSODATASCI23",
    );
    pub const OKTA: (&str, &str, &str) = ("okta-analyst", "/", "AROACHAINOKTAANALYST2");
    pub const EC2: (&str, &str, &str) = ("reporting-ec2", "/", "AROACHAINREPORTINGEC2");
    pub const PUBLISHER: (&str, &str, &str) = ("artifact-publisher", "/", "AROACHAINARTIFACTPUB2");
    pub const BILLING: (&str, &str, &str) = ("billing-admin", "/", "AROACHAINBILLINGADMIN");
    pub const LEGACY: (&str, &str, &str) = ("legacy-batch", "/", "AROACHAINLEGACYBATCH2");

    /// Temporary keys the chains hand out.
    pub const DEPLOY_HUB_KEY: &str = "ASIACHAINDEPLOYHUB23";
    pub const XACCT_KEY: &str = "ASIACHAINXACCTDEPLOY";
    pub const SSO_KEY: &str = "ASIACHAINSSOMAYAOKAF";
    pub const OKTA_KEY: &str = "ASIACHAINOKTATOMASB2";
    pub const EC2_KEY: &str = "ASIACHAINREPORTEC2IN";
    pub const PUBLISHER_KEY: &str = "ASIACHAINARTIFACTPUB";
    pub const TOKEN_KEY: &str = "ASIACHAINLIWEITOKEN2";
    pub const BILLING_KEY: &str = "ASIACHAINBILLINGADMN";
    pub const LEGACY_KEY: &str = "ASIACHAINLEGACYBATCH";

    pub const SSO_USER: &str = "maya.okafor@acme.example";
    pub const SSO_PROVIDER: &str = "AWSSSO_7d3c9a1e5b2f4068_DO_NOT_DELETE";
    pub const OKTA_USER: &str = "tomas.berg@acme.example";
    pub const INSTANCE: &str = "i-0c4a1e2b3d5f60718";
    pub const XACCT_SESSION: &str = "ana.ribeiro-release";
    pub const PUBLISHER_SESSION: &str = "build-agent-4711";
    pub const LEGACY_SESSION: &str = "nightly-sync";
}

use cast::*;

/// Where the chains' calls come from.
mod net {
    /// The office `ana.ribeiro` and `priya.shah` work from.
    pub const OFFICE: &str = "91.204.166.35";
    /// `maya.okafor`'s home.
    pub const MAYA: &str = "86.12.204.77";
    /// `tomas.berg`'s home.
    pub const TOMAS: &str = "92.118.10.54";
    /// IAM Identity Center calling STS for the SSO user (AWS-owned).
    pub const IDENTITY_CENTER: &str = "3.219.55.140";
    /// The instance's address in us-east-1 and elsewhere (AWS-owned EC2 ranges).
    pub const INSTANCE_US: &str = "44.202.17.93";
    pub const INSTANCE_EU: &str = "52.51.187.40";
    /// The laptop outside AWS the instance key is used from.
    pub const LAPTOP: &str = "71.198.44.203";
    /// The CI server `build-agent`'s key lives on.
    pub const CI: &str = "20.42.9.118";
    /// `li.wei`'s home.
    pub const LI: &str = "82.132.219.6";
    /// Where the batch job whose session has no issuance runs (AWS-owned).
    pub const BATCH: &str = "54.78.13.201";
}

const CLI_LINUX: &str = "aws-cli/2.15.38 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-28-generic md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off";
const CLI_MACOS: &str = "aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off";
const CLI_WINDOWS: &str = "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off";
const SAML2AWS: &str = "aws-sdk-go/1.51.21 (go1.22.2; darwin; arm64) saml2aws/2.36.15";
const IDC_AGENT: &str = "aws-sdk-java/2.25.40 md/io#sync md/http#Apache md/internal ua/2.1 api/STS#2.25.x os/Linux#5.10.215-203.850.amzn2int.x86_64 lang/java#17.0.11 md/OpenJDK_64-Bit_Server_VM#17.0.11+9-LTS md/vendor#Amazon.com_Inc. md/en_US m/E,N";
const INSTANCE_AGENT: &str = "aws-sdk-java/2.25.40 Linux/6.1.84-99.169.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.3+9-LTS Java/21.0.3 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy";
const BOTO3: &str = "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.15.0-1057-azure md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.84";
const BATCH_AGENT: &str =
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.1";

/// What attribution must say about one credential the chains use: the ground truth of its row in the
/// `sessions` table (docs/attribution.md), plus where and when it appears so tests can pick windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedCredential {
    /// Which chain (1..=[`CHAINS`]) it belongs to.
    pub chain: u8,
    /// `userIdentity.accessKeyId` of its calls.
    pub access_key_id: &'static str,
    /// `instance-role`, `role-session`, `sso-role-credentials`, `session-token` or `long-term-key`.
    pub kind: &'static str,
    /// `IAMUser`, `IdentityCenterUser`, `SAMLUser`, `AWSService` or `unresolved`.
    pub origin_type: &'static str,
    /// The origin: a user's ARN, `<principalArn>:<subject>`, `ec2.amazonaws.com`, or (unresolved) the
    /// credential's own assumed-role ARN.
    pub origin_arn: String,
    /// Issuing events walked from the origin to the credential.
    pub hops: u32,
    /// The key that called the issuing event (`None` for federation, services, long-term keys used
    /// directly and unresolved credentials).
    pub issuer_access_key_id: Option<&'static str>,
    /// The IAM role of a role session (`None` for users' keys and session tokens).
    pub role_arn: Option<String>,
    /// `userIdentity.arn` of its calls.
    pub principal_arn: String,
    /// The account its calls are made in (and the credential belongs to).
    pub account: String,
    /// When it was issued, if its issuing event is in the archive.
    pub issued_at: Option<DateTime<Utc>>,
    /// The issuing event's `eventID` (the copy in the caller's account for a cross-account `AssumeRole`).
    pub issued_by_event_id: Option<String>,
    /// Its first call at or after [`anchor`] (issuing calls it makes count); every chain credential is
    /// used after `T`, so a hunt from `T` sees every one of them.
    pub first_used: DateTime<Utc>,
}

/// One planted event and the account index whose trail delivers it.
#[derive(Debug, Clone)]
pub struct PlantedEvent {
    /// Index into [`super::account_ids`] of the delivering account (`recipientAccountId`).
    pub a: usize,
    /// The record.
    pub event: Value,
}

/// The accounts the chains use: indexes of A, B and C.
fn abc(opts: &GenOptions) -> (usize, usize, usize) {
    let n = opts.accounts.max(1);
    (0, 1 % n, 2 % n)
}

/// Regions: us-east-1 (where STS's global endpoint and IAM log) and a second one, when there is one.
fn regions(opts: &GenOptions) -> (String, String) {
    let names = region_names(opts.regions.max(1));
    (names[0].clone(), names[1 % names.len()].clone())
}

fn iam_user(account: &str, user: (&str, &str, &str)) -> Value {
    json!({
        "type": "IAMUser",
        "principalId": user.1,
        "arn": format!("arn:aws:iam::{account}:user/{}", user.0),
        "accountId": account,
        "accessKeyId": user.2,
        "userName": user.0,
    })
}

fn role_arn(account: &str, role: (&str, &str, &str)) -> String {
    format!("arn:aws:iam::{account}:role{}{}", role.1, role.0)
}

fn session_arn(account: &str, role: (&str, &str, &str), session: &str) -> String {
    format!("arn:aws:sts::{account}:assumed-role/{}/{session}", role.0)
}

fn role_session(
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

fn who(identity: Value, ip: &str, agent: &str) -> Who {
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
fn cli(w: &Who, command: &str) -> Who {
    let mut w = w.clone();
    w.agent = format!("{} command/{command}", w.agent);
    w
}

fn credentials(rng: &mut SmallRng, key: &str, until: DateTime<Utc>) -> Value {
    json!({"accessKeyId": key, "sessionToken": session_token(rng), "expiration": expiration(until)})
}

/// `AssumeRole` of `role` in `account` as `session`, handing out `key` for `seconds`.
#[allow(clippy::too_many_arguments)]
fn assume_role(
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
fn assume_with_saml(
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

fn list_buckets(rng: &mut SmallRng) -> Api {
    Api::new("s3.amazonaws.com", "ListBuckets", true)
        .params(json!({"Host": "s3.amazonaws.com"}))
        .extra(s3_extra(rng, 0, 3100, true))
}

fn bucket(account: &str, kind: &str, region: &str) -> String {
    format!(
        "acme-{}-{kind}-{region}",
        &account[account.len().saturating_sub(4)..]
    )
}

fn get_object(rng: &mut SmallRng, account: &str, bucket: &str, key: &str, region: &str) -> Api {
    let bytes = rng.random_range(20_000..900_000);
    Api::new("s3.amazonaws.com", "GetObject", true)
        .params(
            json!({"bucketName": bucket, "key": key, "Host": format!("{bucket}.s3.{region}.amazonaws.com")}),
        )
        .resources(s3_object_resources(account, bucket, key))
        .extra(s3_extra(rng, 0, bytes, true))
        .data()
}

fn put_object(rng: &mut SmallRng, account: &str, bucket: &str, key: &str, region: &str) -> Api {
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

/// Builds the chains' events and their ground truth together, so the two cannot drift apart.
struct Builder {
    rng: SmallRng,
    t: DateTime<Utc>,
    accounts: Vec<String>,
    events: Vec<PlantedEvent>,
    counters: [u64; CHAINS as usize + 1],
    truth: Vec<ExpectedCredential>,
}

/// `t` plus `seconds`.
fn at(t: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    t + Duration::seconds(seconds)
}

impl Builder {
    fn next_id(&mut self, chain: u8) -> String {
        let n = &mut self.counters[chain as usize];
        *n += 1;
        format!("{}0000-4000-8000-{:012}", event_id_prefix(chain), *n)
    }

    /// Records `w` calling `api` at `T + seconds` in account `a`, region `region`; returns the `eventID`.
    fn emit(&mut self, chain: u8, a: usize, region: &str, seconds: i64, w: &Who, api: Api) -> String {
        let time = at(self.t, seconds);
        let account = self.accounts[a].clone();
        let mut e = record(&mut self.rng, time, &account, region, w, api);
        let id = self.next_id(chain);
        e["eventID"] = id.clone().into();
        if w.service {
            e["sharedEventID"] = uuid(&mut self.rng).into();
        }
        self.events.push(PlantedEvent { a, event: e });
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn expect(
        &mut self,
        chain: u8,
        key: &'static str,
        kind: &'static str,
        origin: (&'static str, String),
        hops: u32,
        issuer: Option<&'static str>,
        role: Option<String>,
        principal_arn: String,
        a: usize,
        issued: Option<(i64, String)>,
        first_used: i64,
    ) {
        let issued_at = issued.as_ref().map(|(s, _)| at(self.t, *s));
        self.truth.push(ExpectedCredential {
            chain,
            access_key_id: key,
            kind,
            origin_type: origin.0,
            origin_arn: origin.1,
            hops,
            issuer_access_key_id: issuer,
            role_arn: role,
            principal_arn,
            account: self.accounts[a].clone(),
            issued_at,
            issued_by_event_id: issued.map(|(_, id)| id),
            first_used: at(self.t, first_used),
        });
    }
}

const MIN: i64 = 60;
const HOUR: i64 = 3600;

/// 1. IAM user → role in A → role in B (cross-account, logged in both accounts) → calls in B.
fn cross_account(b: &mut Builder, opts: &GenOptions) {
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
fn identity_center(b: &mut Builder, opts: &GenOptions) {
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
fn saml(b: &mut Builder, opts: &GenOptions) {
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

/// 4. EC2 assumes an instance role; the instance calls from inside AWS; then the key is used outside.
fn instance_role(b: &mut Builder, opts: &GenOptions) {
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
fn key_for_another_user(b: &mut Builder, opts: &GenOptions) {
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
fn before_the_window(b: &mut Builder, opts: &GenOptions) {
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
        "attributes": {"creationDate": super::rfc3339(at(b.t, t_token)), "mfaAuthenticated": "true"}});
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

fn build(opts: &GenOptions) -> Builder {
    let mut b = Builder {
        rng: rng_of(&[opts.seed, 211]),
        t: anchor(opts),
        accounts: account_ids(opts.accounts.max(1)),
        events: Vec::new(),
        counters: [0; CHAINS as usize + 1],
        truth: Vec::new(),
    };
    before_the_window(&mut b, opts);
    cross_account(&mut b, opts);
    identity_center(&mut b, opts);
    saml(&mut b, opts);
    instance_role(&mut b, opts);
    key_for_another_user(&mut b, opts);
    b
}

/// The ground truth: every credential the chains of `opts` use, with what the `sessions` table must say
/// about it (see [`ExpectedCredential`]). Scenario 6's issuing events lie before [`anchor`]: a run with
/// `--from <anchor>` must still resolve them through the lookback, except `legacy-batch`'s, which is in
/// no trail and must stay `unresolved`.
pub fn expected_chains(opts: &GenOptions) -> Vec<ExpectedCredential> {
    build(opts).truth
}

/// The events the chains of `opts` plant, with the account index whose trail delivers each.
pub fn events(opts: &GenOptions) -> Vec<PlantedEvent> {
    build(opts).events
}

/// The delivery objects of the chains of `opts`: one per account, region and five minutes, as CloudTrail
/// delivers (path under the archive root, records in time order).
pub fn deliveries(opts: &GenOptions) -> Vec<(String, Vec<Value>)> {
    let mut groups: BTreeMap<(usize, String, i64), Vec<Value>> = BTreeMap::new();
    for p in events(opts) {
        let region = p.event["awsRegion"].as_str().unwrap_or_default().to_string();
        let time = p.event["eventTime"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map_or(0, |t| t.timestamp());
        groups
            .entry((p.a, region, time.div_euclid(300)))
            .or_default()
            .push(p.event);
    }
    let accounts = account_ids(opts.accounts.max(1));
    groups
        .into_iter()
        .enumerate()
        .map(|(i, ((a, region, window), mut records))| {
            records.sort_by(|x, y| x["eventTime"].as_str().cmp(&y["eventTime"].as_str()));
            let mut rng = rng_of(&[opts.seed, 223, i as u64]);
            let end = DateTime::from_timestamp(window * 300 + 300, 0).unwrap_or_default();
            let delivered = end + Duration::minutes(rng.random_range(3..12));
            let account = &accounts[a];
            let base = service_dir(opts.layout, a, account, "CloudTrail");
            let name = format!(
                "{account}_CloudTrail_{region}_{}_{}.json.gz",
                delivered.format("%Y%m%dT%H%MZ"),
                hex(&mut rng, 16)
            );
            (
                format!("{}/{name}", day_dir(&base, &region, delivered.date_naive())),
                records,
            )
        })
        .collect()
}

/// Writes the chains' [`deliveries`] under `root` and returns (objects, events) written.
pub fn write(opts: &GenOptions, root: &Path) -> std::io::Result<(usize, usize)> {
    let objects = deliveries(opts);
    let mut events = 0;
    for (path, records) in &objects {
        write_gz(root, path, &serde_json::to_vec(&json!({ "Records": records }))?)?;
        events += records.len();
    }
    Ok((objects.len(), events))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::super::attacks::ATTACKER_IP;
    use super::super::{LayoutKind, World};
    use super::*;

    fn opts(accounts: usize) -> GenOptions {
        GenOptions {
            events: 600,
            seed: 7,
            events_per_file: 100,
            accounts,
            regions: 2,
            layout: LayoutKind::Mixed,
            attacks: true,
            ..GenOptions::default()
        }
    }

    fn s<'a>(e: &'a Value, path: &str) -> &'a str {
        e.pointer(path).and_then(Value::as_str).unwrap_or_default()
    }

    fn time(e: &Value) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s(e, "/eventTime"))
            .unwrap()
            .with_timezone(&Utc)
    }

    /// What a resolver following docs/attribution.md says about one key.
    #[derive(Debug, PartialEq, Eq)]
    struct Resolved {
        kind: String,
        origin_type: String,
        origin_arn: String,
        hops: u32,
        issuer: Option<String>,
    }

    /// A small resolver written from docs/attribution.md alone, to check that the ground truth is what
    /// the rules say (and not only what the generator meant).
    fn resolve(events: &[&Value]) -> BTreeMap<String, Resolved> {
        let mut issued: BTreeMap<String, &Value> = BTreeMap::new();
        for e in events {
            if e.get("errorCode").is_some_and(|c| !c.is_null()) {
                continue;
            }
            let key = match s(e, "/eventName") {
                "AssumeRole"
                | "AssumeRoleWithSAML"
                | "AssumeRoleWithWebIdentity"
                | "GetSessionToken"
                | "GetFederationToken" => s(e, "/responseElements/credentials/accessKeyId"),
                "CreateAccessKey" => s(e, "/responseElements/accessKey/accessKeyId"),
                _ => "",
            };
            if key.is_empty() {
                continue;
            }
            // One issuance per key: the copy in the caller's account when there is one.
            let callers = |e: &Value| s(e, "/recipientAccountId") == s(e, "/userIdentity/accountId");
            match issued.get(key) {
                Some(prev) if callers(prev) || !callers(e) => {}
                _ => {
                    issued.insert(key.to_string(), e);
                }
            }
        }
        fn walk(key: &str, user: &Value, issued: &BTreeMap<String, &Value>) -> (String, String, u32) {
            let Some(e) = issued.get(key) else {
                return match s(user, "/type") {
                    t @ ("IAMUser" | "Root") => (
                        t.to_string(),
                        s(user, "/arn").to_string(),
                        u32::from(key.starts_with("ASIA")),
                    ),
                    _ => ("unresolved".into(), s(user, "/arn").to_string(), 0),
                };
            };
            let caller = &e["userIdentity"];
            let provider = s(e, "/requestParameters/principalArn");
            match (s(e, "/eventName"), s(caller, "/type")) {
                (_, "AWSService") => ("AWSService".into(), s(caller, "/invokedBy").to_string(), 1),
                ("AssumeRoleWithSAML", _) => {
                    let t = if provider.contains(":saml-provider/AWSSSO_") {
                        "IdentityCenterUser"
                    } else {
                        "SAMLUser"
                    };
                    (
                        t.into(),
                        format!("{provider}:{}", s(e, "/responseElements/subject")),
                        1,
                    )
                }
                (_, "AWSAccount") => ("AWSAccount".into(), s(caller, "/accountId").to_string(), 1),
                _ => {
                    let (t, arn, hops) = walk(s(caller, "/accessKeyId"), caller, issued);
                    (t, arn, hops + 1)
                }
            }
        }
        let mut out = BTreeMap::new();
        for e in events {
            let user = &e["userIdentity"];
            let key = s(user, "/accessKeyId");
            if key.is_empty() || out.contains_key(key) {
                continue;
            }
            let (origin_type, origin_arn, hops) = walk(key, user, &issued);
            let (kind, issuer) = match issued.get(key) {
                Some(i) => {
                    let caller = &i["userIdentity"];
                    let kind = match (s(i, "/eventName"), s(caller, "/type")) {
                        ("AssumeRole", "AWSService") if s(caller, "/invokedBy") == "ec2.amazonaws.com" => {
                            "instance-role"
                        }
                        ("AssumeRole", "AWSService") => "service-issued",
                        ("AssumeRoleWithSAML", _)
                            if s(i, "/requestParameters/principalArn").contains(":saml-provider/AWSSSO_") =>
                        {
                            "sso-role-credentials"
                        }
                        ("GetSessionToken", _) => "session-token",
                        ("GetFederationToken", _) => "federation-token",
                        ("CreateAccessKey", _) => "long-term-key",
                        _ => "role-session",
                    };
                    let issuer = Some(s(caller, "/accessKeyId")).filter(|k| !k.is_empty());
                    (kind, issuer.map(str::to_string))
                }
                None => {
                    let kind = match s(user, "/type") {
                        _ if key.starts_with("AKIA") => "long-term-key",
                        "IAMUser" | "Root" => "session-token",
                        "FederatedUser" => "federation-token",
                        _ if user.pointer("/sessionContext/ec2RoleDelivery").is_some() => "instance-role",
                        _ if s(user, "/arn").contains(":assumed-role/AWSReservedSSO_") => {
                            "sso-role-credentials"
                        }
                        _ => "role-session",
                    };
                    (kind, None)
                }
            };
            out.insert(
                key.to_string(),
                Resolved {
                    kind: kind.into(),
                    origin_type,
                    origin_arn,
                    hops,
                    issuer,
                },
            );
        }
        out
    }

    fn want(c: &ExpectedCredential) -> Resolved {
        Resolved {
            kind: c.kind.into(),
            origin_type: c.origin_type.into(),
            origin_arn: c.origin_arn.clone(),
            hops: c.hops,
            issuer: c.issuer_access_key_id.map(str::to_string),
        }
    }

    #[test]
    fn ids_have_the_shapes_aws_gives_them() {
        const BASE32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let keys = [
            ANA.2,
            PRIYA.2,
            BUILD_AGENT.2,
            LI.2,
            DEPLOY_HUB_KEY,
            XACCT_KEY,
            SSO_KEY,
            OKTA_KEY,
            EC2_KEY,
            PUBLISHER_KEY,
            TOKEN_KEY,
            BILLING_KEY,
            LEGACY_KEY,
        ];
        for k in keys {
            assert_eq!(k.len(), 20, "{k}");
            assert!(k.starts_with("AKIACHAIN") || k.starts_with("ASIACHAIN"), "{k}");
            assert!(k[4..].chars().all(|c| BASE32.contains(c)), "{k}");
        }
        assert_eq!(keys.iter().collect::<BTreeSet<_>>().len(), keys.len());
        let ids = [ANA.1, PRIYA.1, BUILD_AGENT.1, LI.1];
        let roles = [DEPLOY_HUB, XACCT, SSO, OKTA, EC2, PUBLISHER, BILLING, LEGACY];
        for id in ids.iter().chain(roles.iter().map(|r| &r.2)) {
            assert_eq!(id.len(), 21, "{id}");
            assert!(id.starts_with("AIDA") || id.starts_with("AROA"), "{id}");
            assert!(id[4..].chars().all(|c| BASE32.contains(c)), "{id}");
        }
        assert_eq!(INSTANCE.len(), 19);
        assert!(INSTANCE[2..].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn the_ground_truth_is_what_the_attribution_rules_give() {
        for accounts in [1, 2, 3, 5] {
            let o = opts(accounts);
            let all = events(&o);
            let records: Vec<&Value> = all.iter().map(|p| &p.event).collect();
            let got = resolve(&records);
            let truth = expected_chains(&o);
            assert_eq!(truth.len(), 13);
            for c in &truth {
                assert_eq!(
                    got.get(c.access_key_id),
                    Some(&want(c)),
                    "{} ({accounts} accounts)",
                    c.access_key_id
                );
            }
            // Every key the chains use is in the ground truth.
            let used: BTreeSet<&str> = got.keys().map(String::as_str).collect();
            let expected: BTreeSet<&str> = truth.iter().map(|c| c.access_key_id).collect();
            assert_eq!(used, expected);

            // From T with the 36-hour lookback, the same; from T without it, scenario 6 loses its issuers.
            let t = anchor(&o);
            let lookback: Vec<&Value> = records
                .iter()
                .copied()
                .filter(|e| time(e) >= t - Duration::hours(LOOKBACK_HOURS))
                .collect();
            assert_eq!(resolve(&lookback), got);
            let window: Vec<&Value> = records.iter().copied().filter(|e| time(e) >= t).collect();
            let blind = resolve(&window);
            assert_eq!(blind[BILLING_KEY].origin_type, "unresolved");
            assert_eq!(blind[TOKEN_KEY].issuer, None);
            for c in truth.iter().filter(|c| c.chain != 6) {
                assert_eq!(blind.get(c.access_key_id), Some(&want(c)), "{}", c.access_key_id);
            }
        }
    }

    #[test]
    fn times_ids_and_accounts_agree_with_the_ground_truth() {
        let o = opts(3);
        let t = anchor(&o);
        assert_eq!(super::super::rfc3339(t), "2026-03-02T12:00:00Z");
        let all = events(&o);
        let accounts = account_ids(3);
        let by_id: BTreeMap<&str, &PlantedEvent> = all.iter().map(|p| (s(&p.event, "/eventID"), p)).collect();
        assert_eq!(by_id.len(), all.len(), "eventIDs are unique");
        for p in &all {
            let e = &p.event;
            let chain = s(e, "/eventID").as_bytes()[7] - b'0';
            assert!(s(e, "/eventID").starts_with(&event_id_prefix(chain)));
            assert!((1..=CHAINS).contains(&chain));
            assert_eq!(s(e, "/recipientAccountId"), accounts[p.a]);
            assert_ne!(s(e, "/sourceIPAddress"), ATTACKER_IP);
            let hours = (time(e) - t).num_minutes() as f64 / 60.0;
            assert!((-21.0..=2.0).contains(&hours), "{hours}");
        }
        for c in expected_chains(&o) {
            let uses: Vec<&Value> = all
                .iter()
                .map(|p| &p.event)
                .filter(|e| s(e, "/userIdentity/accessKeyId") == c.access_key_id)
                .collect();
            assert!(uses.iter().all(|e| s(e, "/userIdentity/arn") == c.principal_arn));
            assert!(uses.iter().all(|e| s(e, "/recipientAccountId") == c.account));
            let first = uses.iter().map(|e| time(e)).filter(|x| *x >= t).min();
            assert_eq!(first, Some(c.first_used), "{}", c.access_key_id);
            if let Some(role) = &c.role_arn {
                assert!(
                    uses.iter()
                        .all(|e| s(e, "/userIdentity/sessionContext/sessionIssuer/arn") == role)
                );
            }
            match (&c.issued_by_event_id, c.issued_at) {
                (Some(id), Some(at)) => {
                    let e = &by_id[id.as_str()].event;
                    assert_eq!(time(e), at);
                    let key = match s(e, "/eventName") {
                        "CreateAccessKey" => s(e, "/responseElements/accessKey/accessKeyId"),
                        _ => s(e, "/responseElements/credentials/accessKeyId"),
                    };
                    assert_eq!(key, c.access_key_id);
                    assert!(uses.iter().all(|u| time(u) > at));
                }
                (None, None) => {}
                other => panic!("{other:?}"),
            }
            // Scenario 6's issuing events lie 20 and 6 hours before T, its uses after.
            if c.chain == 6 {
                if c.access_key_id != LI.2 {
                    assert!(uses.iter().all(|u| time(u) >= t), "{}", c.access_key_id);
                }
                if let Some(at) = c.issued_at {
                    assert!(at < t && at >= t - Duration::hours(LOOKBACK_HOURS));
                }
            }
        }
    }

    #[test]
    fn the_cross_account_assume_role_is_logged_in_both_accounts() {
        let all = events(&opts(3));
        let copies: Vec<&Value> = all
            .iter()
            .map(|p| &p.event)
            .filter(|e| s(e, "/responseElements/credentials/accessKeyId") == XACCT_KEY)
            .collect();
        assert_eq!(copies.len(), 2);
        let (a, b) = (copies[0], copies[1]);
        assert_eq!(s(a, "/recipientAccountId"), "111122223333");
        assert_eq!(s(b, "/recipientAccountId"), "444455556666");
        assert_eq!(s(a, "/userIdentity/type"), "AssumedRole");
        assert_eq!(s(a, "/userIdentity/accessKeyId"), DEPLOY_HUB_KEY);
        assert_eq!(
            b["userIdentity"],
            json!({"type": "AWSAccount", "principalId": "AROACHAINDEPLOYHUB234:ana.ribeiro", "accountId": "111122223333"})
        );
        assert_eq!(a["responseElements"], b["responseElements"]);
        assert_eq!(s(a, "/sharedEventID"), s(b, "/sharedEventID"));
        assert!(!s(a, "/sharedEventID").is_empty());
        assert_eq!(s(a, "/requestID"), s(b, "/requestID"));
        assert_ne!(s(a, "/eventID"), s(b, "/eventID"));
        // One account: the hop stays in it and is logged once.
        let one = events(&opts(1));
        let n = one
            .iter()
            .filter(|p| s(&p.event, "/responseElements/credentials/accessKeyId") == XACCT_KEY)
            .count();
        assert_eq!(n, 1);
    }

    #[test]
    fn deliveries_hold_one_account_region_and_five_minutes_each() {
        let o = opts(3);
        let objects = deliveries(&o);
        assert_eq!(objects.iter().map(|d| d.1.len()).sum::<usize>(), events(&o).len());
        for (path, records) in &objects {
            let account = s(&records[0], "/recipientAccountId");
            let region = s(&records[0], "/awsRegion");
            assert!(
                path.contains(&format!("/{account}/CloudTrail/{region}/")),
                "{path}"
            );
            assert!(path.ends_with(".json.gz"));
            assert!(
                records
                    .iter()
                    .all(|e| s(e, "/recipientAccountId") == account && s(e, "/awsRegion") == region)
            );
            let span = time(&records[records.len() - 1]) - time(&records[0]);
            assert!(span < Duration::minutes(5));
        }
        // Same in both worlds, and deterministic.
        let realistic = GenOptions {
            world: World::Realistic,
            ..o.clone()
        };
        assert_eq!(deliveries(&realistic), objects);
        assert_eq!(expected_chains(&realistic), expected_chains(&o));
    }
}
