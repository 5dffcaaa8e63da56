//! The realistic world as a whole: deterministic by seed, counted right, and shaped like real trails
//! (instances calling from their own or their NAT gateway's shared addresses, object sizes, event sizes, who
//! calls what), with the seven realistic attacks where their ground truth says. What real organizations add
//! (dual-stack, interface endpoints, Auto Scaling churn, a multi-region scanner, infrastructure runs, a data
//! job, a public bucket, CloudTrail's own checks and the three quiet attacks) is tested in [`wide`].

mod wide;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::*;
use crate::{LayoutKind, World, attacks, generate, snapshot};

/// Events of the ten classic scenarios ([`attacks::SCENARIOS`]): nine single events and a burst of 45.
const CLASSIC_EVENTS: usize = 54;

fn opts(events: usize, seed: u64, attacks: bool) -> GenOptions {
    GenOptions {
        events,
        seed,
        events_per_file: 100,
        days: 2,
        accounts: 3,
        regions: 2,
        layout: LayoutKind::Mixed,
        attacks,
        world: World::Realistic,
        ..GenOptions::default()
    }
}

/// Every object `opts` would write (path, records, planted count), built in memory.
fn objects(opts: &GenOptions) -> Vec<(String, Vec<Value>, usize)> {
    let mut org = Org::new(opts);
    let plan = plan::build(opts, &mut org);
    let files = plan.files.len();
    let mut out: Vec<_> = plan
        .files
        .par_iter()
        .enumerate()
        .map(|(i, f)| deliver(opts, &org, f, i, files))
        .collect();
    for (k, o) in plan.outside.iter().enumerate() {
        out.push(deliver_outside(opts, &org, o, k));
    }
    out
}

fn records(objects: &[(String, Vec<Value>, usize)]) -> Vec<&Value> {
    objects.iter().flat_map(|o| &o.1).collect()
}

fn s<'a>(e: &'a Value, path: &str) -> &'a str {
    e.pointer(path).and_then(Value::as_str).unwrap_or_default()
}

fn time(e: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s(e, "/eventTime"))
        .unwrap()
        .with_timezone(&Utc)
}

fn is_ip(v: &str) -> bool {
    v.parse::<std::net::IpAddr>().is_ok()
}

fn instance_session(e: &Value) -> bool {
    let arn = s(e, "/userIdentity/arn");
    s(e, "/userIdentity/type") == "AssumedRole"
        && arn
            .rsplit('/')
            .next()
            .is_some_and(|n| n.starts_with("i-0") && n.len() == 19)
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let o = GenOptions {
        siblings: true,
        ..opts(4000, 5, true)
    };
    let sa = generate(&o, a.path()).unwrap();
    generate(&o, b.path()).unwrap();
    generate(&GenOptions { seed: 6, ..o.clone() }, c.path()).unwrap();
    assert_eq!(sa.events - sa.attack_events, 4000);
    let chain_events = crate::chains::events(&o).len();
    assert_eq!(sa.chain_events, chain_events);
    assert_eq!(
        sa.attack_events,
        CLASSIC_EVENTS + REALISTIC_ATTACK_EVENTS + chain_events
    );
    assert!(sa.sibling_files > 0);
    let (sa_, sb) = (snapshot(a.path()), snapshot(b.path()));
    assert_eq!(sa_.len(), sa.log_files + sa.sibling_files);
    assert_eq!(sa_, sb);
    assert_ne!(sa_, snapshot(c.path()));
}

#[test]
fn summary_counts_what_is_written() {
    let o = opts(3000, 9, true);
    let objs = objects(&o);
    let all = records(&objs);
    let planted: usize = objs.iter().map(|o| o.2).sum();
    assert_eq!(all.len() - planted, 3000);
    let from_attacker = all
        .iter()
        .filter(|e| s(e, "/sourceIPAddress") == attacks::ATTACKER_IP)
        .count();
    assert_eq!(from_attacker, planted);
    assert_eq!(planted, CLASSIC_EVENTS + REALISTIC_ATTACK_EVENTS);
    let o = opts(3000, 9, false);
    let all = objects(&o);
    assert!(
        records(&all)
            .iter()
            .all(|e| s(e, "/sourceIPAddress") != attacks::ATTACKER_IP)
    );
    // Nothing of the organization but the scanner's read-only sweeps goes there.
    for e in records(&all) {
        if s(e, "/awsRegion") == NEW_REGION {
            assert_eq!(e["readOnly"], json!(true), "{e}");
            assert!(scanner::ADDRESSES.contains(&s(e, "/sourceIPAddress")), "{e}");
        }
    }
}

/// Whether `e` is a call of an Auto Scaling worker's session.
fn worker_session(e: &Value) -> bool {
    instance_session(e) && s(e, "/userIdentity/arn").contains(&format!("/{}/", fleet::WORKER_ROLE))
}

#[test]
fn instances_call_from_their_own_or_their_nat_gateways_shared_addresses() {
    let objs = objects(&opts(12_000, 3, true));
    type Span = (DateTime<Utc>, DateTime<Utc>);
    // Per instance session: the public IPv4 addresses it calls from, with when.
    let mut addresses: BTreeMap<&str, BTreeMap<&str, Span>> = BTreeMap::new();
    let mut keys: BTreeMap<(&str, &str), Span> = BTreeMap::new();
    for e in records(&objs) {
        if !instance_session(e) || s(e, "/sourceIPAddress") == attacks::ATTACKER_IP {
            continue;
        }
        let arn = s(e, "/userIdentity/arn");
        let ip = s(e, "/sourceIPAddress");
        let k = keys
            .entry((arn, s(e, "/userIdentity/accessKeyId")))
            .or_insert((time(e), time(e)));
        k.0 = k.0.min(time(e));
        k.1 = k.1.max(time(e));
        if !is_ip(ip) {
            assert!(ip.ends_with(".amazonaws.com"), "{ip}");
            continue;
        }
        if e.get("vpcEndpointId").is_some() {
            assert!(ip.starts_with("10."), "{ip}");
            let source = s(e, "/eventSource");
            assert!(
                source == "s3.amazonaws.com" || vpc::INTERFACE.contains(&source),
                "{source}"
            );
            continue;
        }
        assert_eq!(s(e, "/userIdentity/sessionContext/ec2RoleDelivery"), "2.0");
        assert!(s(e, "/userIdentity/accessKeyId").starts_with("ASIA"));
        if ip.contains(':') {
            continue;
        }
        let span = addresses
            .entry(arn)
            .or_default()
            .entry(ip)
            .or_insert((time(e), time(e)));
        span.0 = span.0.min(time(e));
        span.1 = span.1.max(time(e));
    }
    assert!(addresses.len() > 50, "{} instances", addresses.len());
    let mut users: BTreeMap<&str, usize> = BTreeMap::new();
    for ips in addresses.values() {
        for ip in ips.keys() {
            *users.entry(ip).or_default() += 1;
        }
    }
    let mut behind_nat = 0;
    let mut moved = 0;
    for (arn, ips) in &addresses {
        assert!(ips.len() <= 3, "{arn} calls from {ips:?}");
        let shared = ips.keys().filter(|ip| users[*ip] > 1).count();
        let own: Vec<_> = ips.iter().filter(|(ip, _)| users[*ip] == 1).collect();
        // An instance is behind a NAT gateway or has its own address, never both.
        assert!(shared == 0 || own.is_empty(), "{arn} calls from {ips:?}");
        if shared >= 2 {
            behind_nat += 1;
        }
        // A public instance's address changes at most once: every call from the old one comes first.
        if let [(_, first), (_, second)] = own[..] {
            moved += 1;
            assert!(
                first.1 < second.0 || second.1 < first.0,
                "{arn} calls from {ips:?}"
            );
        }
    }
    assert!(
        behind_nat >= 10,
        "instances seen from 2+ NAT addresses: {behind_nat}"
    );
    assert!(moved >= 1, "no public instance changed its address");
    let shared = users.values().filter(|&&n| n >= 3).count();
    let own = users.values().filter(|&&n| n == 1).count();
    assert!(
        shared >= 10,
        "NAT addresses shared by 3+ instances: {shared} of {users:?}"
    );
    assert!(own >= 3, "instances with their own address: {own}");
    // Credentials change every few hours: no key is used over more than six hours.
    for ((arn, key), (first, last)) in &keys {
        assert!(
            *last - *first <= Duration::hours(6),
            "{arn} used {key} from {first} to {last}"
        );
    }
    let fleet: BTreeSet<&str> = keys
        .keys()
        .map(|(arn, _)| *arn)
        .filter(|arn| !arn.contains(&format!("/{}/", fleet::WORKER_ROLE)))
        .collect();
    let per_instance = keys.keys().filter(|(arn, _)| fleet.contains(arn)).count();
    assert!(
        per_instance > fleet.len() * 3 / 2,
        "{per_instance} keys for {} instances",
        fleet.len()
    );
}

#[test]
fn object_sizes_span_one_to_over_a_thousand_around_the_median() {
    let o = GenOptions {
        events: 450_000,
        regions: 3,
        ..opts(0, 4, false)
    };
    let mut org = Org::new(&o);
    let plan = plan::build(&o, &mut org);
    let mut sizes: Vec<usize> = plan.files.iter().map(|f| f.count).collect();
    // The scanner's objects of the regions the organization does not use hold the rest.
    let outside: usize = plan.outside.iter().map(|o| o.records.len()).sum();
    assert!(plan.outside.iter().all(|o| o.planted == 0));
    assert_eq!(sizes.iter().sum::<usize>() + outside, 450_000);
    assert!(sizes.len() > 2000, "{} objects", sizes.len());
    sizes.sort_unstable();
    let median = sizes[sizes.len() / 2];
    assert!((85..=115).contains(&median), "median {median}");
    assert_eq!(sizes[0], 1);
    assert!(sizes[sizes.len() - 1] > 1000, "max {}", sizes[sizes.len() - 1]);
    // Every account and region delivers every hour, busier in working hours.
    let mut per_hour: BTreeMap<(usize, usize, i64), usize> = BTreeMap::new();
    for f in &plan.files {
        *per_hour
            .entry((f.a, f.r, (f.slot - org.start).num_hours()))
            .or_default() += f.count;
    }
    assert_eq!(per_hour.len(), 3 * 3 * 48);
    let at = |h: i64| {
        per_hour
            .iter()
            .filter(|((_, _, x), _)| x % 24 == h)
            .map(|(_, n)| n)
            .sum::<usize>()
    };
    assert!(at(14) > 2 * at(3), "14h {} vs 3h {}", at(14), at(3));
}

#[test]
fn events_average_about_one_and_a_half_kilobytes() {
    let objs = objects(&opts(6000, 8, false));
    let all = records(&objs);
    let bytes: usize = all.iter().map(|e| serde_json::to_vec(e).unwrap().len() + 1).sum();
    let mean = bytes as f64 / all.len() as f64;
    assert!((1400.0..=1800.0).contains(&mean), "mean event {mean:.0} bytes");
}

#[test]
fn people_pipelines_and_services_look_like_themselves() {
    let objs = objects(&opts(20_000, 12, false));
    let all = records(&objs);
    let mut people: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let (mut web, mut saml, mut fed, mut portal, mut config) = (0, 0, 0, 0, 0);
    for e in &all {
        let arn = s(e, "/userIdentity/arn");
        if arn.ends_with("@acme.example") && s(e, "/eventSource") != "signin.amazonaws.com" {
            people
                .entry(arn.rsplit('/').next().unwrap())
                .or_default()
                .insert(s(e, "/sourceIPAddress"));
        }
        match (s(e, "/eventSource"), s(e, "/eventName")) {
            ("sts.amazonaws.com", "AssumeRoleWithWebIdentity") => {
                web += 1;
                assert!(net::CI_RUNNERS.contains(&s(e, "/sourceIPAddress")));
                assert_eq!(s(e, "/userIdentity/type"), "WebIdentityUser");
                assert!(s(e, "/userIdentity/identityProvider").ends_with(cicd::PROVIDER));
            }
            ("sts.amazonaws.com", "AssumeRoleWithSAML") => {
                saml += 1;
                assert_eq!(s(e, "/userIdentity/type"), "SAMLUser");
            }
            ("sts.amazonaws.com", "GetFederationToken") => fed += 1,
            ("sso.amazonaws.com", "GetRoleCredentials" | "Federate") => portal += 1,
            _ => {}
        }
        if s(e, "/userIdentity/invokedBy") == "config.amazonaws.com"
            && s(e, "/userIdentity/type") == "AssumedRole"
        {
            config += 1;
            assert_eq!(s(e, "/sourceIPAddress"), "config.amazonaws.com");
            assert!(s(e, "/userIdentity/arn").contains("/AWSServiceRoleForConfig/"));
            let name = s(e, "/eventName");
            assert!(
                ["Describe", "List", "Get", "Put"]
                    .iter()
                    .any(|p| name.starts_with(p)),
                "{name}"
            );
        }
    }
    assert!(
        web >= 6 && saml >= 3 && fed >= 3 && portal >= 2 && config > 100,
        "{web} {saml} {fed} {portal} {config}"
    );
    assert!(people.len() >= 5, "{people:?}");
    for (who, ips) in &people {
        assert!(ips.len() <= 2, "{who} works from {ips:?}");
    }
    // Apps read only their own one to three secrets.
    let mut secrets: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for e in &all {
        if s(e, "/eventName") == "GetSecretValue" {
            let role = s(e, "/userIdentity/sessionContext/sessionIssuer/arn");
            secrets
                .entry((role, s(e, "/awsRegion")))
                .or_default()
                .insert(s(e, "/requestParameters/secretId"));
        }
    }
    assert!(secrets.len() > 5);
    for (role, ids) in &secrets {
        assert!(ids.len() <= 3, "{role:?} read {ids:?}");
    }
}

#[test]
fn the_four_loud_realistic_attacks_are_planted_with_their_shapes() {
    let o = opts(8000, 21, true);
    let objs = objects(&o);
    let all = records(&objs);
    let attacker: Vec<&Value> = all
        .iter()
        .copied()
        .filter(|e| s(e, "/sourceIPAddress") == attacks::ATTACKER_IP)
        .collect();
    let span = |es: &[&Value]| time(es[es.len() - 1]) - time(es[0]);

    // a. 25 distinct secrets within 3 minutes by mallory's role session, no errors.
    let burst: Vec<&Value> = attacker
        .iter()
        .copied()
        .filter(|e| s(e, "/eventName") == "GetSecretValue" && s(e, "/userIdentity/type") == "AssumedRole")
        .collect();
    assert_eq!(burst.len(), SECRETS_BURST_EVENTS);
    assert!(
        burst
            .iter()
            .all(|e| s(e, "/userIdentity/arn").ends_with("/mallory") && e.get("errorCode").is_none())
    );
    assert!(
        burst
            .iter()
            .all(|e| s(e, "/eventSource") == "secretsmanager.amazonaws.com")
    );
    assert!(
        burst
            .iter()
            .all(|e| s(e, "/userIdentity/arn").starts_with("arn:aws:sts::")
                && s(e, "/userIdentity/arn").contains(":assumed-role/AWSReservedSSO_"))
    );
    let ids: BTreeSet<&str> = burst
        .iter()
        .map(|e| s(e, "/requestParameters/secretId"))
        .collect();
    assert_eq!(ids.len(), 25);
    assert!(ids.iter().all(|i| i.starts_with("arn:aws:secretsmanager:")));
    assert!(span(&burst) <= Duration::minutes(3));

    // b. 200 anonymous GetObject data events on distinct keys of one bucket within 5 minutes.
    let truth = planted(&o);
    let burst_bucket = truth
        .iter()
        .find(|t| t.name == "anonymous_s3")
        .map(|t| s(&t.events[0], "/requestParameters/bucketName").to_string())
        .unwrap();
    let anon: Vec<&Value> = attacker
        .iter()
        .copied()
        .filter(|e| s(e, "/userIdentity/accountId") == "anonymous")
        .filter(|e| s(e, "/requestParameters/bucketName") == burst_bucket)
        .collect();
    assert_eq!(anon.len(), ANONYMOUS_S3_EVENTS);
    for e in &anon {
        assert_eq!(
            e["userIdentity"],
            json!({"type": "AWSAccount", "principalId": "", "accountId": "anonymous"})
        );
        assert_eq!(
            (s(e, "/eventName"), s(e, "/eventCategory")),
            ("GetObject", "Data")
        );
        assert_eq!(
            (e["managementEvent"].clone(), e["readOnly"].clone()),
            (json!(false), json!(true))
        );
        assert!(e.get("errorCode").is_none());
        assert_eq!(e["resources"].as_array().unwrap().len(), 2);
        assert!(e["requestParameters"]["Host"].is_string());
    }
    let buckets: BTreeSet<&str> = anon
        .iter()
        .map(|e| s(e, "/requestParameters/bucketName"))
        .collect();
    let keys: BTreeSet<&str> = anon.iter().map(|e| s(e, "/requestParameters/key")).collect();
    assert_eq!((buckets.len(), keys.len()), (1, 200));
    assert!(span(&anon) <= Duration::minutes(5));

    // c. ImportKeyPair then RunInstances in a region the account never uses (but for the scanner's
    // read-only sweeps), on the last day.
    let fresh: Vec<&Value> = all
        .iter()
        .copied()
        .filter(|e| s(e, "/awsRegion") == NEW_REGION && e["readOnly"] == json!(false))
        .collect();
    assert_eq!(fresh.len(), NEW_REGION_EVENTS);
    assert_eq!(
        (s(fresh[0], "/eventName"), s(fresh[1], "/eventName")),
        ("ImportKeyPair", "RunInstances")
    );
    assert_eq!(s(fresh[0], "/userIdentity/arn"), s(fresh[1], "/userIdentity/arn"));
    assert!(s(fresh[0], "/userIdentity/arn").ends_with(":user/mallory"));
    assert!(span(&fresh) <= Duration::minutes(10));
    let account = s(fresh[0], "/recipientAccountId");
    let first = all
        .iter()
        .filter(|e| s(e, "/recipientAccountId") == account)
        .map(|e| time(e))
        .min()
        .unwrap();
    assert!(time(fresh[0]) - first > Duration::days(1));
    let holder = objs
        .iter()
        .find(|o| o.1.iter().any(|e| s(e, "/awsRegion") == NEW_REGION && o.2 > 0))
        .unwrap();
    assert!(
        holder.0.contains(&format!("/CloudTrail/{NEW_REGION}/")),
        "{}",
        holder.0
    );
    assert_eq!(holder.1.len(), NEW_REGION_EVENTS);

    // d. The stolen instance session, same key as the instance uses then, while it keeps working.
    let stolen: Vec<&Value> = attacker.iter().copied().filter(|e| instance_session(e)).collect();
    let names: Vec<&str> = stolen.iter().map(|e| s(e, "/eventName")).collect();
    assert_eq!(
        names,
        ["GetCallerIdentity", "ListAttachedRolePolicies", "ListBuckets"]
    );
    let arn = s(stolen[0], "/userIdentity/arn");
    assert!(s(stolen[0], "/userAgent").starts_with("aws-cli/"));
    let own: Vec<&Value> = all
        .iter()
        .copied()
        .filter(|e| s(e, "/userIdentity/arn") == arn && s(e, "/sourceIPAddress") != attacks::ATTACKER_IP)
        .filter(|e| (time(e) - time(stolen[0])).num_minutes().abs() <= 5)
        .collect();
    assert!(own.len() >= 3, "{} own calls around the theft", own.len());
    let key = s(stolen[0], "/userIdentity/accessKeyId");
    assert!(own.iter().any(|e| s(e, "/userIdentity/accessKeyId") == key));
    assert!(
        own.iter()
            .all(|e| s(e, "/sourceIPAddress") != attacks::ATTACKER_IP)
    );

    // The stolen instance is behind a NAT gateway: its own calls leave from the gateway's addresses.
    let org = Org::new(&o);
    let inst = planted::stolen_instance(&org);
    assert!(!inst.public && inst.nat.len() >= 2);
    let from_nat = all
        .iter()
        .filter(|e| s(e, "/userIdentity/arn") == arn)
        .filter(|e| inst.nat.iter().any(|ip| ip == s(e, "/sourceIPAddress")))
        .count();
    assert!(
        from_nat >= 1,
        "the stolen instance never calls through its NAT gateway"
    );

    // The ground truth agrees.
    assert_eq!(truth.len(), REALISTIC_SCENARIOS);
    assert_eq!(
        truth.iter().map(|t| t.events.len()).sum::<usize>(),
        REALISTIC_ATTACK_EVENTS
    );
}
