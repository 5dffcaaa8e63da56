//! The chains checked against what they promise: ids shaped as AWS gives them, a ground truth that a
//! resolver written from docs/attribution.md alone agrees with, and deliveries shaped like CloudTrail's.

use std::collections::{BTreeMap, BTreeSet};

use super::cast::*;
use super::*;
use crate::attacks::ATTACKER_IP;
use crate::{LayoutKind, World};

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
                    _ if s(user, "/arn").contains(":assumed-role/AWSReservedSSO_") => "sso-role-credentials",
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
    assert_eq!(crate::rfc3339(t), "2026-03-02T12:00:00Z");
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
