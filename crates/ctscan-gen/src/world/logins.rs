//! How the people of the realistic world get in, day by day: IAM Identity Center users (portal events in the
//! first account, then `AWSReservedSSO_*` role sessions named after their e-mail, in the console or the
//! CLI), SAML users of an external IdP (`AssumeRoleWithSAML`, then the role's session), and contractors an
//! identity broker federates (`GetFederationToken`, then `FederatedUser` sessions); and the broker's own
//! nightly export. Each login is an episode whose session the background traffic then uses.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::common::{
    Api, Who, alnum, assumed_role, expiration, id, key, pick, record, rfc3339, rng_of, role_context,
    role_issuer, session_token, text, uuid,
};
use super::episode::Part;
use super::net;
use super::org::Org;
use super::people::{Kind, Session};

const BROKER_AGENT: &str = "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#4.18.0-513.24.1.el8_9.x86_64 md/arch#x86_64 lang/python#3.9.18 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.84";
const IDC_AGENT: &str = "aws-sdk-java/2.25.40 md/io#sync md/http#Apache md/internal ua/2.1 api/STS#2.25.x os/Linux#5.10.215-203.850.amzn2int.x86_64 lang/java#17.0.11 md/OpenJDK_64-Bit_Server_VM#17.0.11+9-LTS md/vendor#Amazon.com_Inc. md/en_US m/E,N";
const SAML2AWS: &str = "aws-sdk-go/1.51.21 (go1.22.2; darwin; arm64) saml2aws/2.36.15";

/// The IAM user of each account's identity broker.
pub const BROKER: &str = "federation-broker";

/// The SSO role of permission set `set` in account `a` (name, IAM path).
pub fn sso_role(org: &Org, a: usize, set: &str) -> (String, &'static str) {
    let h = key(&[org.seed, 101, a as u64, text(set)]);
    (
        format!("AWSReservedSSO_{set}_{h:016x}"),
        "/aws-reserved/sso.amazonaws.com/",
    )
}

fn name_qualifier(org: &Org, idp: u64) -> String {
    let mut rng = rng_of(&[org.seed, 103, idp]);
    format!("{}/{}=", alnum(&mut rng, 14), alnum(&mut rng, 12))
}

fn identity_center_user(org: &Org, p: usize) -> Value {
    let h = key(&[org.seed, 107, p as u64]);
    let store = format!("d-{:010x}", key(&[org.seed, 109]) % 0xff_ffff_ffff);
    let mut rng = rng_of(&[h]);
    json!({
        "type": "IdentityCenterUser",
        "accountId": org.accounts[0],
        "onBehalfOf": {
            "userId": format!("{}-{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", &store[2..], h >> 32, (h >> 16) & 0xffff, h & 0xfff, (h >> 40) & 0xfff, key(&[h]) & 0xffff_ffff_ffff),
            "identityStoreArn": format!("arn:aws:identitystore::{}:identitystore/{store}", org.accounts[0]),
        },
        "credentialId": format!("AAAAAG{}", alnum(&mut rng, 80)),
    })
}

/// The `userIdentity` of a session of role `role` (under `path`) named `session`.
#[allow(clippy::too_many_arguments)]
fn role_session(
    org: &Org,
    a: usize,
    path: &str,
    role: &str,
    session: &str,
    key_id: &str,
    start: DateTime<Utc>,
    mfa: bool,
) -> Value {
    let account = &org.accounts[a];
    let role_id = org.role_id(a, role);
    assumed_role(
        account,
        role,
        &role_id,
        session,
        key_id,
        role_context(role_issuer(account, path, role, &role_id), start, mfa),
    )
}

fn federated_user(org: &Org, a: usize, name: &str, key_id: &str, start: DateTime<Utc>) -> Value {
    let account = &org.accounts[a];
    json!({
        "type": "FederatedUser",
        "principalId": format!("{account}:{name}"),
        "arn": format!("arn:aws:sts::{account}:federated-user/{name}"),
        "accountId": account,
        "accessKeyId": key_id,
        "sessionContext": {
            "sessionIssuer": {"type": "IAMUser", "principalId": org.user_id(a, BROKER), "arn": format!("arn:aws:iam::{account}:user/{BROKER}"),
                "accountId": account, "userName": BROKER},
            "webIdFederationData": {},
            "attributes": {"creationDate": rfc3339(start), "mfaAuthenticated": "false"},
        },
    })
}

fn credentials(rng: &mut SmallRng, key_id: &str, until: DateTime<Utc>) -> Value {
    json!({"accessKeyId": key_id, "sessionToken": session_token(rng), "expiration": expiration(until)})
}

fn console_login(rng: &mut SmallRng, org: &Org, s: &Session, time: DateTime<Utc>, mfa: &str) -> Value {
    let mut identity = s.identity.clone();
    if let Some(o) = identity.as_object_mut() {
        o.remove("accessKeyId");
    }
    let who = Who {
        identity,
        ip: s.ip.clone(),
        agent: s.agent.clone(),
        vpce: None,
        console: false,
        service: false,
    };
    let mut api = Api::new("signin.amazonaws.com", "ConsoleLogin", false)
        .response(json!({"ConsoleLogin": "Success"}))
        .extra(json!({"LoginTo": format!("https://console.aws.amazon.com/console/home?region={}#", org.regions[s.r]),
            "MobileVersion": "No", "MFAUsed": mfa}));
    api.event_type = "AwsConsoleSignIn";
    record(rng, time, &org.accounts[s.a], &org.regions[0], &who, api)
}

fn portal_event(
    rng: &mut SmallRng,
    org: &Org,
    p: usize,
    s: &Session,
    name: &'static str,
    role: Option<&str>,
    time: DateTime<Utc>,
) -> Value {
    let who = Who {
        identity: identity_center_user(org, p),
        ip: s.ip.clone(),
        agent: s.agent.clone(),
        vpce: None,
        console: false,
        service: false,
    };
    let mut api = Api::new("sso.amazonaws.com", name, true);
    api.event_type = "AwsServiceEvent";
    let mut e = record(rng, time, &org.accounts[0], &org.regions[0], &who, api);
    let mut details = json!({"account_id": org.accounts[s.a]});
    if let Some(role) = role {
        details["role_name"] = role.into();
    }
    if name != "ListAccounts" {
        e["serviceEventDetails"] = details;
    }
    e
}

#[allow(clippy::too_many_arguments)]
fn assume_with_saml(
    rng: &mut SmallRng,
    org: &Org,
    s: &Session,
    email: &str,
    role_arn: &str,
    provider: &str,
    qualifier: &str,
    issuer: &str,
    who_ip: &str,
    agent: &str,
    time: DateTime<Utc>,
) -> Value {
    let account = &org.accounts[s.a];
    let role = role_arn.rsplit('/').next().unwrap_or_default();
    let key_id = s.identity["accessKeyId"].as_str().unwrap_or_default();
    let who = Who {
        identity: json!({"type": "SAMLUser", "principalId": format!("{qualifier}:{email}"), "userName": email, "identityProvider": qualifier}),
        ip: who_ip.to_string(),
        agent: agent.to_string(),
        vpce: None,
        console: false,
        service: false,
    };
    let api = Api::new("sts.amazonaws.com", "AssumeRoleWithSAML", true)
        .params(json!({"sAMLAssertionID": format!("_{}", uuid(rng)), "roleSessionName": email, "roleArn": role_arn,
            "principalArn": provider, "durationSeconds": if s.console { 43200 } else { 3600 }}))
        .response(json!({
            "credentials": credentials(rng, key_id, s.end),
            "assumedRoleUser": {"assumedRoleId": format!("{}:{email}", org.role_id(s.a, role)), "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{email}")},
            "subject": email, "subjectType": "persistent", "issuer": issuer, "audience": "https://signin.aws.amazon.com/saml", "nameQualifier": qualifier,
        }))
        .extra(json!({"RequestDetails": {"endpointType": "regional", "awsServingRegion": org.regions[0]}}))
        .resources(json!([
            {"accountId": account, "type": "AWS::IAM::Role", "ARN": role_arn},
            {"accountId": account, "type": "AWS::IAM::SAMLProvider", "ARN": provider},
        ]));
    record(rng, time, account, &org.regions[0], &who, api)
}

fn get_caller_identity(rng: &mut SmallRng, org: &Org, s: &Session, time: DateTime<Utc>) -> Value {
    let who = s.who("sts.amazonaws.com", "GetCallerIdentity");
    record(
        rng,
        time,
        &org.accounts[s.a],
        &org.regions[s.r],
        &who,
        Api::new("sts.amazonaws.com", "GetCallerIdentity", true),
    )
}

/// The login events of session `s` of person `p`, as parts in the accounts and regions they are logged in.
fn login(rng: &mut SmallRng, org: &Org, p: Option<usize>, s: &Session) -> Vec<Part> {
    let t = |secs: i64| s.start + Duration::seconds(secs);
    let in_target = |events: Vec<Value>| Part {
        a: s.a,
        r: 0,
        time: s.start,
        events,
    };
    let Some(p) = p else {
        return vec![in_target(vec![
            broker_token(rng, org, s, "report-export", t(0)),
            get_caller_identity(rng, org, s, t(4)),
        ])];
    };
    let person = &org.people[p];
    let email = person.email();
    match person.kind {
        Kind::Sso => {
            let (role, path) = sso_role(org, s.a, person.access);
            let role_arn = format!("arn:aws:iam::{}:role{path}{role}", org.accounts[s.a]);
            let provider = format!(
                "arn:aws:iam::{}:saml-provider/AWSSSO_{:016x}_DO_NOT_DELETE",
                org.accounts[s.a],
                key(&[org.seed, 113])
            );
            let qualifier = name_qualifier(org, 1);
            let issuer = format!(
                "https://portal.sso.{}.amazonaws.com/saml/assertion/{}",
                org.regions[0],
                name_qualifier(org, 2).replace('/', "")
            );
            let fetch = if s.console {
                "Federate"
            } else {
                "GetRoleCredentials"
            };
            let portal = Part {
                a: 0,
                r: 0,
                time: s.start,
                events: vec![
                    portal_event(rng, org, p, s, "ListAccounts", None, t(0)),
                    portal_event(rng, org, p, s, "ListAccountRoles", None, t(2)),
                    portal_event(rng, org, p, s, fetch, Some(person.access), t(4)),
                ],
            };
            let idc_ip = net::identity_center_ip(key(&[s.start.timestamp() as u64]));
            let mut target = vec![assume_with_saml(
                rng,
                org,
                s,
                &email,
                &role_arn,
                &provider,
                &qualifier,
                &issuer,
                &idc_ip,
                IDC_AGENT,
                t(5),
            )];
            target.push(if s.console {
                console_login(rng, org, s, t(7), "Yes")
            } else {
                get_caller_identity(rng, org, s, t(8))
            });
            vec![portal, in_target(target)]
        }
        Kind::Saml => {
            let role_arn = org.role_arn(s.a, "/", person.access);
            let provider = format!("arn:aws:iam::{}:saml-provider/Okta", org.accounts[s.a]);
            let qualifier = name_qualifier(org, 3);
            let agent = if s.console { person.browser } else { SAML2AWS };
            let issuer = "http://www.okta.com/exk8a1b2c3d4e5f6g7h8";
            let mut events = vec![assume_with_saml(
                rng,
                org,
                s,
                &email,
                &role_arn,
                &provider,
                &qualifier,
                issuer,
                &s.ip,
                agent,
                t(0),
            )];
            events.push(if s.console {
                console_login(rng, org, s, t(3), "Yes")
            } else {
                get_caller_identity(rng, org, s, t(5))
            });
            vec![in_target(events)]
        }
        Kind::Federated => {
            let mut events = vec![broker_token(rng, org, s, person.name, t(0))];
            events.push(if s.console {
                console_login(rng, org, s, t(6), "No")
            } else {
                get_caller_identity(rng, org, s, t(9))
            });
            vec![in_target(events)]
        }
    }
}

/// The broker's `GetFederationToken` for `name`, handing out session `s`'s credentials.
fn broker_token(rng: &mut SmallRng, org: &Org, s: &Session, name: &str, time: DateTime<Utc>) -> Value {
    let account = &org.accounts[s.a];
    let key_id = s.identity["accessKeyId"].as_str().unwrap_or_default();
    let who = Who {
        identity: json!({"type": "IAMUser", "principalId": org.user_id(s.a, BROKER), "arn": format!("arn:aws:iam::{account}:user/{BROKER}"),
            "accountId": account, "accessKeyId": id(&mut rng_of(&[org.seed, 127, s.a as u64]), "AKIA", 16), "userName": BROKER}),
        ip: net::broker_ip(s.a),
        agent: BROKER_AGENT.to_string(),
        vpce: None,
        console: false,
        service: false,
    };
    let policy = if name == "report-export" {
        "ReadOnlyAccess"
    } else {
        "ViewOnlyAccess"
    };
    let api = Api::new("sts.amazonaws.com", "GetFederationToken", true)
        .params(json!({"name": name, "durationSeconds": 43200, "policyArns": [{"arn": format!("arn:aws:iam::aws:policy/{policy}")}]}))
        .response(json!({
            "credentials": credentials(rng, key_id, s.end),
            "federatedUser": {"federatedUserId": format!("{account}:{name}"), "arn": format!("arn:aws:sts::{account}:federated-user/{name}")},
            "packedPolicySize": 6,
        }));
    record(rng, time, account, &org.regions[0], &who, api)
}

/// The login episodes and sessions of everybody over the archive, in time order.
pub fn schedule(org: &Org) -> Vec<(Vec<Part>, Session)> {
    let mut out = Vec::new();
    for d in 0..org.days {
        let day = org.start + Duration::days(i64::from(d));
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        for (p, person) in org.people.iter().enumerate() {
            let mut rng = rng_of(&[org.seed, 131, p as u64, u64::from(d)]);
            if !rng.random_bool(if weekend { 0.12 } else { 0.9 }) {
                continue;
            }
            let ip = match &person.home {
                Some(home) if rng.random_bool(0.35) => home.clone(),
                _ => net::OFFICES[person.office].to_string(),
            };
            let day_end = day + Duration::hours(i64::from(person.start_hour) + 10);
            let mut t = day
                + Duration::hours(i64::from(person.start_hour))
                + Duration::minutes(rng.random_range(0..60));
            for _ in 0..rng.random_range(1..=3) {
                let console = rng.random_bool(person.console);
                let minutes = if console {
                    rng.random_range(40..=210)
                } else {
                    rng.random_range(15..=60)
                };
                let a = *pick(&mut rng, &person.accounts);
                let r = if rng.random_bool(0.6) {
                    0
                } else {
                    rng.random_range(0..org.regions.len())
                };
                let s = session(
                    org,
                    Some(p),
                    a,
                    r,
                    t,
                    t + Duration::minutes(minutes),
                    ip.clone(),
                    console,
                );
                out.push((login(&mut rng, org, Some(p), &s), s));
                t += Duration::minutes(minutes + rng.random_range(20..=90));
                if t > day_end {
                    break;
                }
            }
        }
        // The broker's nightly export federates a reporting user in every account.
        for a in 0..org.accounts.len() {
            let mut rng = rng_of(&[org.seed, 137, a as u64, u64::from(d)]);
            for hour in [5, 17] {
                let t = day + Duration::hours(hour) + Duration::minutes(rng.random_range(0..50));
                let s = session(
                    org,
                    None,
                    a,
                    0,
                    t,
                    t + Duration::minutes(20),
                    net::broker_ip(a),
                    false,
                );
                out.push((login(&mut rng, org, None, &s), s));
            }
        }
    }
    out.sort_by_key(|(_, s)| s.start);
    out
}

#[allow(clippy::too_many_arguments)]
fn session(
    org: &Org,
    p: Option<usize>,
    a: usize,
    r: usize,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    ip: String,
    console: bool,
) -> Session {
    let mut krng = rng_of(&[
        org.seed,
        139,
        p.map_or(999, |p| p as u64),
        a as u64,
        start.timestamp() as u64,
    ]);
    let key_id = id(&mut krng, "ASIA", 16);
    let Some(pi) = p else {
        return Session {
            person: None,
            a,
            r,
            start,
            end,
            ip,
            console,
            identity: federated_user(org, a, "report-export", &key_id, start),
            agent: BROKER_AGENT.to_string(),
            writes: false,
        };
    };
    let person = &org.people[pi];
    let identity = match person.kind {
        Kind::Sso => {
            let (role, path) = sso_role(org, a, person.access);
            role_session(org, a, path, &role, &person.email(), &key_id, start, console)
        }
        Kind::Saml => role_session(
            org,
            a,
            "/",
            person.access,
            &person.email(),
            &key_id,
            start,
            console,
        ),
        Kind::Federated => federated_user(org, a, person.name, &key_id, start),
    };
    Session {
        person: p,
        a,
        r,
        start,
        end,
        ip,
        console,
        identity,
        agent: if console { person.browser } else { person.cli }.to_string(),
        writes: !person.access.contains("ReadOnly") && !person.access.contains("readonly"),
    }
}
