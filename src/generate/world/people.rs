//! The people of the realistic world and how they get in: IAM Identity Center users (portal events in the
//! first account, then `AWSReservedSSO_*` role sessions named after their e-mail, in the console or the
//! CLI), SAML users of an external IdP (`AssumeRoleWithSAML`, then the role's session), and contractors an
//! identity broker federates (`GetFederationToken`, then `FederatedUser` sessions). Each person works from
//! their office (shared with colleagues) or their home address, one of the two per day, in working hours.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::common::{
    Api, Who, assumed_role, expiration, id, key, pick, record, rng_of, role_context, role_issuer,
    session_token, text, uuid, weighted,
};
use super::net;
use super::org::Org;
use super::plan::Part;
use super::shapes::{self, Call, Ctx};

/// How a person reaches the accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// IAM Identity Center (SSO): permission-set roles.
    Sso,
    /// An external SAML IdP federated into IAM roles.
    Saml,
    /// Federated by the identity broker with `GetFederationToken`.
    Federated,
}

/// One person.
#[derive(Debug, Clone)]
pub struct Person {
    /// `first.last`.
    pub name: &'static str,
    /// How they get in.
    pub kind: Kind,
    /// Their permission set (SSO) or role (SAML); what the broker grants (federated).
    pub access: &'static str,
    /// The office they work from.
    pub office: usize,
    /// Their home address, if they work from home some days.
    pub home: Option<String>,
    /// The accounts they work in.
    pub accounts: Vec<usize>,
    /// Hour (UTC) their day starts.
    pub start_hour: u32,
    /// Share of their sessions in the console rather than the CLI.
    pub console: f64,
    /// Their browser.
    pub browser: &'static str,
    /// Their laptop's CLI prefix (`aws-cli/... <os>`).
    pub cli: &'static str,
}

impl Person {
    /// Their e-mail address (SSO and SAML session names).
    pub fn email(&self) -> String {
        format!("{}@acme.example", self.name)
    }
}

const ROSTER: &[(&str, Kind, &str)] = &[
    ("alice.nguyen", Kind::Sso, "AdministratorAccess"),
    ("bob.martin", Kind::Sso, "PowerUserAccess"),
    ("carol.diaz", Kind::Sso, "PowerUserAccess"),
    ("dave.kowalski", Kind::Sso, "AdministratorAccess"),
    ("erin.walsh", Kind::Sso, "ReadOnlyAccess"),
    ("frank.osei", Kind::Sso, "PowerUserAccess"),
    ("grace.lee", Kind::Sso, "ReadOnlyAccess"),
    ("heidi.schmidt", Kind::Sso, "DataEngineer"),
    ("ivan.petrov", Kind::Saml, "okta-admin"),
    ("judy.chen", Kind::Saml, "okta-developer"),
    ("ken.adams", Kind::Saml, "okta-readonly"),
    ("lena.fischer", Kind::Federated, "contractor-readonly"),
    ("omar.haddad", Kind::Federated, "contractor-deploy"),
];

const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
];

const CLIS: &[&str] = &[
    "aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off",
    "aws-cli/2.15.38 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-28-generic md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off",
    "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off",
];

const BROKER_AGENT: &str = "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#4.18.0-513.24.1.el8_9.x86_64 md/arch#x86_64 lang/python#3.9.18 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.84";
const IDC_AGENT: &str = "aws-sdk-java/2.25.40 md/io#sync md/http#Apache md/internal ua/2.1 api/STS#2.25.x os/Linux#5.10.215-203.850.amzn2int.x86_64 lang/java#17.0.11 md/OpenJDK_64-Bit_Server_VM#17.0.11+9-LTS md/vendor#Amazon.com_Inc. md/en_US m/E,N";
const SAML2AWS: &str = "aws-sdk-go/1.51.21 (go1.22.2; darwin; arm64) saml2aws/2.36.15";

/// The IAM user of each account's identity broker.
pub const BROKER: &str = "federation-broker";

/// The organization's people, each working in a few of the accounts.
pub fn roster(seed: u64, accounts: usize) -> Vec<Person> {
    ROSTER
        .iter()
        .enumerate()
        .map(|(p, &(name, kind, access))| {
            let mut rng = rng_of(&[seed, 97, p as u64]);
            let mut mine: Vec<usize> = (0..accounts).filter(|_| rng.random_bool(0.6)).collect();
            // The first person administers the first account: its administrator role is always in use.
            if mine.is_empty() || (p == 0 && mine[0] != 0) {
                mine.insert(0, p % accounts);
            }
            Person {
                name,
                kind,
                access,
                office: p % net::OFFICES.len(),
                home: rng.random_bool(0.7).then(|| net::home_ip(seed, p)),
                accounts: mine,
                start_hour: rng.random_range(7..=10),
                console: if kind == Kind::Federated {
                    0.5
                } else {
                    rng.random_range(0.2..0.8)
                },
                browser: BROWSERS[rng.random_range(0..BROWSERS.len())],
                cli: CLIS[rng.random_range(0..CLIS.len())],
            }
        })
        .collect()
}

/// One working session of one person (or of the broker's nightly export) in one account.
#[derive(Debug, Clone)]
pub struct Session {
    /// Index into the roster; `None` for the broker's automation.
    pub person: Option<usize>,
    /// Account index.
    pub a: usize,
    /// Region index where most of its calls go.
    pub r: usize,
    /// When it starts (its login events).
    pub start: DateTime<Utc>,
    /// When it ends.
    pub end: DateTime<Utc>,
    /// Where its calls come from.
    pub ip: String,
    /// Whether it is a console session.
    pub console: bool,
    /// The `userIdentity` of its calls.
    pub identity: Value,
    /// Its user agent (a browser or a CLI prefix).
    pub agent: String,
    /// Whether it may write (not read-only access).
    pub writes: bool,
}

impl Session {
    /// Whether it is working at `t`.
    pub fn active(&self, t: DateTime<Utc>) -> bool {
        self.start + Duration::seconds(15) <= t && t < self.end
    }
}

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
    format!(
        "{}/{}=",
        super::common::alnum(&mut rng, 14),
        super::common::alnum(&mut rng, 12)
    )
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
        "credentialId": format!("AAAAAG{}", super::common::alnum(&mut rng, 80)),
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
            "attributes": {"creationDate": super::common::rfc3339(start), "mfaAuthenticated": "false"},
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

impl Session {
    /// Who the session is when it calls `source`/`name` (the CLI names its command in the user agent).
    pub fn who(&self, source: &str, name: &str) -> Who {
        let agent = if self.console || self.person.is_none() {
            self.agent.clone()
        } else {
            format!(
                "{} command/{}.{}",
                self.agent,
                source.trim_end_matches(".amazonaws.com"),
                kebab(name)
            )
        };
        Who {
            identity: self.identity.clone(),
            ip: self.ip.clone(),
            agent,
            vpce: None,
            console: self.console,
            service: false,
        }
    }
}

/// `GetFunction20150331v2` → `get-function`, as the CLI names commands.
pub fn kebab(name: &str) -> String {
    let base = name
        .trim_end_matches("v2")
        .trim_end_matches(|c: char| c.is_ascii_digit());
    let mut out = String::with_capacity(base.len() + 4);
    for (i, c) in base.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// What people look at and do, by weight.
const READS: &[(Call, u32)] = &[
    (("ec2.amazonaws.com", "DescribeInstances"), 8),
    (("ec2.amazonaws.com", "DescribeSecurityGroups"), 3),
    (("ec2.amazonaws.com", "DescribeVpcs"), 2),
    (("ec2.amazonaws.com", "DescribeSubnets"), 2),
    (("ec2.amazonaws.com", "DescribeVolumes"), 2),
    (("ec2.amazonaws.com", "DescribeInstanceStatus"), 2),
    (("ec2.amazonaws.com", "DescribeAddresses"), 1),
    (("monitoring.amazonaws.com", "GetMetricData"), 6),
    (("monitoring.amazonaws.com", "DescribeAlarms"), 3),
    (("logs.amazonaws.com", "DescribeLogGroups"), 2),
    (("logs.amazonaws.com", "FilterLogEvents"), 3),
    (("logs.amazonaws.com", "StartQuery"), 1),
    (("logs.amazonaws.com", "GetQueryResults"), 2),
    (("s3.amazonaws.com", "ListBuckets"), 3),
    (("s3.amazonaws.com", "GetBucketLocation"), 2),
    (("s3.amazonaws.com", "GetBucketPolicy"), 1),
    (("s3.amazonaws.com", "GetBucketVersioning"), 1),
    (("s3.amazonaws.com", "ListObjects"), 2),
    (("lambda.amazonaws.com", "ListFunctions20150331"), 2),
    (("lambda.amazonaws.com", "GetFunction20150331v2"), 2),
    (("cloudformation.amazonaws.com", "DescribeStacks"), 3),
    (("cloudformation.amazonaws.com", "DescribeStackEvents"), 2),
    (("cloudformation.amazonaws.com", "ListStacks"), 1),
    (("iam.amazonaws.com", "ListRoles"), 1),
    (("iam.amazonaws.com", "GetRole"), 1),
    (("iam.amazonaws.com", "ListPolicies"), 1),
    (("rds.amazonaws.com", "DescribeDBInstances"), 1),
    (("dynamodb.amazonaws.com", "DescribeTable"), 1),
    (("dynamodb.amazonaws.com", "ListTables"), 1),
    (("ecr.amazonaws.com", "DescribeRepositories"), 1),
    (("cloudtrail.amazonaws.com", "LookupEvents"), 1),
    (("health.amazonaws.com", "DescribeEventAggregates"), 1),
    (("ce.amazonaws.com", "GetCostAndUsage"), 1),
    (("kms.amazonaws.com", "ListAliases"), 1),
    (("ssm.amazonaws.com", "DescribeInstanceInformation"), 1),
    (("sts.amazonaws.com", "GetCallerIdentity"), 1),
];

const WRITES: &[(Call, u32)] = &[
    (("ec2.amazonaws.com", "CreateTags"), 3),
    (("ec2.amazonaws.com", "RebootInstances"), 1),
    (("ssm.amazonaws.com", "StartSession"), 1),
    (("s3.amazonaws.com", "PutObject"), 2),
];

/// Services whose calls log in `us-east-1` only.
fn global(source: &str) -> bool {
    matches!(
        source,
        "iam.amazonaws.com" | "health.amazonaws.com" | "ce.amazonaws.com"
    )
}

/// One call by session `s` in region `r` at `time`.
pub fn call(rng: &mut SmallRng, org: &Org, s: &Session, r: usize, time: DateTime<Utc>) -> Value {
    let table = if s.writes && rng.random_bool(0.05) {
        WRITES
    } else {
        READS
    };
    let mut call = *weighted(rng, table);
    while global(call.0) && r != 0 {
        call = *weighted(rng, READS);
    }
    let ctx = Ctx {
        org,
        a: s.a,
        r,
        instance: None,
        app: None,
    };
    let mut api = shapes::api(rng, &ctx, call.0, call.1);
    if api.name == "StartSession" {
        let name = s.identity["arn"]
            .as_str()
            .and_then(|a| a.rsplit('/').next())
            .unwrap_or_default();
        api.response["sessionId"] = format!("{name}-{}", super::common::hex(rng, 17)).into();
    }
    let who = s.who(api.source, api.name);
    let mut e = record(rng, time, &org.accounts[s.a], &org.regions[r], &who, api);
    if rng.random_bool(0.01) {
        e["errorCode"] = "AccessDenied".into();
        e["errorMessage"] = format!(
            "User: {} is not authorized to perform this operation because no identity-based policy allows it",
            s.identity["arn"].as_str().unwrap_or_default()
        )
        .into();
        e["responseElements"] = Value::Null;
    }
    e
}
