//! What real organizations have beyond the fleets, people and pipelines, each with its real shape:
//! dual-stack VPCs, interface endpoints, Auto Scaling churn, a third-party scanner sweeping every region,
//! infrastructure runs, a nightly data job, a public bucket, CloudTrail checking its bucket; and the three
//! quiet planted attacks among them.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv6Addr;

use super::*;

/// The organization's account and region indexes of `e`.
fn place(org: &Org, e: &Value) -> (usize, usize) {
    let a = org.accounts.iter().position(|x| x == s(e, "/recipientAccountId"));
    let r = org.regions.iter().position(|x| x == s(e, "/awsRegion"));
    (a.unwrap(), r.unwrap())
}

fn scanner_event(e: &Value) -> bool {
    s(e, "/userIdentity/arn").contains(&format!(":assumed-role/{}/", scanner::ROLE))
        || s(e, "/userIdentity/accountId") == scanner::VENDOR_ACCOUNT
}

#[test]
fn dual_stack_vpcs_call_over_ipv6_from_inside_their_block() {
    let o = opts(12_000, 3, false);
    let org = Org::new(&o);
    let objs = objects(&o);
    let (mut v6, mut eligible) = (0, 0);
    let mut per_instance: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in records(&objs) {
        if !instance_session(e) {
            continue;
        }
        let (a, r) = place(&org, e);
        let (ip, source) = (s(e, "/sourceIPAddress"), s(e, "/eventSource"));
        let dual = vpc::dual_stack(o.seed, a, r);
        if dual
            && vpc::DUAL_STACK.contains(&source)
            && vpc::interface_endpoint(o.seed, a, r, source).is_none()
            && is_ip(ip)
        {
            eligible += 1;
        }
        if !ip.contains(':') {
            continue;
        }
        v6 += 1;
        let addr: Ipv6Addr = ip.parse().unwrap();
        assert_eq!(addr.to_string(), ip, "not the compressed form");
        assert!(dual, "{ip} in a VPC that is not dual-stack");
        assert!(e.get("vpcEndpointId").is_none(), "{e}");
        assert!(vpc::DUAL_STACK.contains(&source), "{source}");
        let block = vpc::ipv6_block(o.seed, a, r);
        let (net, _) = block.split_once('/').unwrap();
        let net: Ipv6Addr = net.parse().unwrap();
        assert_eq!(
            u128::from(addr) >> 72,
            u128::from(net) >> 72,
            "{ip} outside {block}"
        );
        assert_eq!(
            s(e, "/userIdentity/sessionContext/ec2IssuedInVPC"),
            net::vpc_id(o.seed, a, r)
        );
        per_instance
            .entry(s(e, "/userIdentity/arn"))
            .or_default()
            .insert(ip);
    }
    assert!(v6 >= 30, "{v6} IPv6 calls");
    let share = v6 as f64 / eligible as f64;
    assert!((0.15..=0.45).contains(&share), "IPv6 share {share:.2}");
    assert!(per_instance.len() >= 5);
    assert!(
        per_instance.values().all(|ips| ips.len() == 1),
        "{per_instance:?}"
    );
}

#[test]
fn some_vpcs_reach_some_services_through_interface_endpoints() {
    let o = opts(12_000, 3, false);
    let org = Org::new(&o);
    let objs = objects(&o);
    let (mut through, mut around) = (0, 0);
    for e in records(&objs) {
        let source = s(e, "/eventSource");
        if !instance_session(e) || !vpc::INTERFACE.contains(&source) || !is_ip(s(e, "/sourceIPAddress")) {
            continue;
        }
        let (a, r) = place(&org, e);
        match vpc::interface_endpoint(o.seed, a, r, source) {
            Some(id) => {
                through += 1;
                assert_eq!(s(e, "/vpcEndpointId"), id);
                assert!(s(e, "/sourceIPAddress").starts_with("10."), "{e}");
            }
            None => {
                around += 1;
                assert!(e.get("vpcEndpointId").is_none(), "{e}");
            }
        }
    }
    assert!(
        through >= 20 && around >= 20,
        "{through} through endpoints, {around} not"
    );
}

#[test]
fn the_scanner_reads_every_region_of_every_account_daily() {
    let o = opts(12_000, 3, false);
    let org = Org::new(&o);
    let objs = objects(&o);
    let mut regions: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut days: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for e in records(&objs) {
        let region = s(e, "/awsRegion");
        if !org.regions.iter().any(|r| r == region) {
            assert!(
                scanner_event(e),
                "not the scanner outside the organization's regions: {e}"
            );
        }
        if !scanner_event(e) {
            continue;
        }
        assert_eq!(e["readOnly"], json!(true), "{e}");
        assert!(scanner::ADDRESSES.contains(&s(e, "/sourceIPAddress")), "{e}");
        assert_eq!(s(e, "/userAgent"), scanner::AGENT);
        let name = s(e, "/eventName");
        assert!(
            ["Describe", "List", "Get", "AssumeRole"]
                .iter()
                .any(|p| name.starts_with(p)),
            "{name}"
        );
        let account = s(e, "/recipientAccountId");
        regions.entry(account).or_default().insert(region);
        days.entry(account)
            .or_default()
            .insert((time(e) - org.start).num_days());
    }
    assert_eq!(regions.len(), org.accounts.len());
    for (account, seen) in &regions {
        let want: BTreeSet<&str> = scanner::REGIONS.iter().copied().collect();
        assert_eq!(seen, &want, "{account}");
        assert!(seen.contains(NEW_REGION) && seen.contains("sa-east-1"));
    }
    for (account, d) in &days {
        assert_eq!(d.len(), 2, "{account} swept on days {d:?}");
    }
    // Regions outside the organization's get objects of their own, under their name.
    for (path, records, _) in &objs {
        let region = s(&records[0], "/awsRegion");
        assert!(path.contains(&format!("/CloudTrail/{region}/")), "{path}");
    }
}

#[test]
fn auto_scaling_workers_are_many_short_lived_and_launched_by_auto_scaling() {
    let o = opts(20_000, 5, false);
    let org = Org::new(&o);
    let objs = objects(&o);
    let mut launched: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    let mut ended: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    let mut calls: BTreeMap<String, (DateTime<Utc>, DateTime<Utc>, usize)> = BTreeMap::new();
    let mut nat: BTreeSet<String> = BTreeSet::new();
    for a in 0..org.accounts.len() {
        for r in 0..org.regions.len() {
            for z in 0..net::ZONES {
                nat.extend(net::nat_ips(o.seed, a, r, z));
            }
        }
    }
    for e in records(&objs) {
        let name = s(e, "/eventName");
        if s(e, "/userIdentity/invokedBy") == "autoscaling.amazonaws.com"
            && matches!(name, "RunInstances" | "TerminateInstances")
        {
            assert_eq!(s(e, "/sourceIPAddress"), "autoscaling.amazonaws.com");
            assert_eq!(s(e, "/userAgent"), "autoscaling.amazonaws.com");
            assert!(s(e, "/userIdentity/arn").contains(":assumed-role/AWSServiceRoleForAutoScaling/"));
            let id = s(e, "/responseElements/instancesSet/items/0/instanceId").to_string();
            if name == "RunInstances" {
                launched.insert(id, time(e));
            } else {
                ended.insert(id, time(e));
            }
            continue;
        }
        if !worker_session(e) {
            continue;
        }
        let id = s(e, "/userIdentity/arn").rsplit('/').next().unwrap().to_string();
        let c = calls.entry(id).or_insert((time(e), time(e), 0));
        c.0 = c.0.min(time(e));
        c.1 = c.1.max(time(e));
        c.2 += 1;
        let ip = s(e, "/sourceIPAddress");
        if is_ip(ip) && !ip.contains(':') && e.get("vpcEndpointId").is_none() {
            assert!(nat.contains(ip), "a worker outside its NAT gateway: {ip}");
        }
    }
    assert!(launched.len() >= 150, "{} launches", launched.len());
    assert!(calls.len() >= 150, "{} worker sessions", calls.len());
    assert!(
        ended.len() >= launched.len() / 4,
        "{} of {} terminated",
        ended.len(),
        launched.len()
    );
    for (id, (first, last, _)) in &calls {
        let start = launched[id];
        assert!(*first > start && *last - start <= Duration::minutes(60), "{id}");
        if let Some(end) = ended.get(id) {
            let life = *end - start;
            assert!(
                life >= Duration::minutes(10) && life <= Duration::minutes(60),
                "{id} lived {life}"
            );
            assert!(last < end, "{id} called after its termination");
        }
    }
    assert!(calls.values().filter(|c| c.2 > 2).count() >= 20);
}

#[test]
fn infrastructure_runs_touch_hundreds_of_resources_in_minutes() {
    let o = opts(40_000, 6, false);
    let org = Org::new(&o);
    let objs = objects(&o);
    let mut runs: BTreeMap<(&str, &str), Vec<&Value>> = BTreeMap::new();
    let (mut cfn_writes, mut log_retention, mut other_lifecycles) = (0, 0, 0);
    for e in records(&objs) {
        if s(e, "/userAgent") == iac::TERRAFORM_AGENT {
            let k = (s(e, "/recipientAccountId"), s(e, "/userIdentity/accessKeyId"));
            runs.entry(k).or_default().push(e);
        }
        if s(e, "/userIdentity/invokedBy") == "cloudformation.amazonaws.com"
            && s(e, "/sourceIPAddress") == "cloudformation.amazonaws.com"
            && e["readOnly"] == json!(false)
        {
            cfn_writes += 1;
        }
        if s(e, "/eventName") == "PutBucketLifecycle" && s(e, "/sourceIPAddress") != attacks::ATTACKER_IP {
            let days = &e["requestParameters"]["LifecycleConfiguration"]["Rule"]["Expiration"]["Days"];
            if s(e, "/requestParameters/bucketName") == org.log_bucket() {
                assert_eq!(days, &json!(365));
                log_retention += 1;
            } else {
                assert!(days.as_u64().unwrap() >= 30);
                other_lifecycles += 1;
            }
        }
    }
    assert!(runs.len() >= 3, "{} Terraform runs", runs.len());
    for (k, events) in &runs {
        let first = events.iter().map(|e| time(e)).min().unwrap();
        let last = events.iter().map(|e| time(e)).max().unwrap();
        let writes = events.iter().filter(|e| e["readOnly"] == json!(false)).count();
        assert!(
            events.len() >= 200 && writes >= 20,
            "{k:?}: {} calls, {writes} writes",
            events.len()
        );
        assert!(
            last - first <= Duration::minutes(6),
            "{k:?} from {first} to {last}"
        );
        assert!(
            events
                .iter()
                .all(|e| net::CI_RUNNERS.contains(&s(e, "/sourceIPAddress")))
        );
    }
    assert!(cfn_writes >= 20, "{cfn_writes} CloudFormation changes");
    assert_eq!(log_retention, 1);
    assert!(other_lifecycles >= 2);
}

#[test]
fn a_data_job_reads_thousands_of_distinct_objects_in_minutes() {
    let o = opts(40_000, 6, false);
    let org = Org::new(&o);
    let objs = objects(&o);
    let mut by_day: BTreeMap<i64, Vec<&Value>> = BTreeMap::new();
    for e in records(&objs) {
        if s(e, "/userIdentity/arn").ends_with(&format!("/{}/{}", datajob::ROLE, datajob::SESSION))
            && s(e, "/eventName") == "GetObject"
        {
            by_day
                .entry((time(e) - org.start).num_days())
                .or_default()
                .push(e);
        }
    }
    assert_eq!(by_day.len(), 2);
    for reads in by_day.values() {
        let keys: BTreeSet<&str> = reads.iter().map(|e| s(e, "/requestParameters/key")).collect();
        let buckets: BTreeSet<&str> = reads
            .iter()
            .map(|e| s(e, "/requestParameters/bucketName"))
            .collect();
        assert!(
            keys.len() >= 1000 && keys.len() == reads.len(),
            "{} reads",
            reads.len()
        );
        assert_eq!(buckets.len(), 1);
        let first = reads.iter().map(|e| time(e)).min().unwrap();
        let last = reads.iter().map(|e| time(e)).max().unwrap();
        assert!(last - first <= Duration::minutes(10));
    }
}

#[test]
fn the_public_bucket_is_read_anonymously_by_hundreds_of_addresses() {
    let o = opts(40_000, 6, false);
    let org = Org::new(&o);
    let objs = objects(&o);
    let mut by_address: BTreeMap<&str, Vec<DateTime<Utc>>> = BTreeMap::new();
    for e in records(&objs) {
        if s(e, "/userIdentity/accountId") != "anonymous" {
            continue;
        }
        assert_eq!(s(e, "/requestParameters/bucketName"), org.public_bucket());
        assert_eq!(
            e["userIdentity"],
            json!({"type": "AWSAccount", "principalId": "", "accountId": "anonymous"})
        );
        assert_eq!(
            (s(e, "/eventName"), s(e, "/eventCategory")),
            ("GetObject", "Data")
        );
        by_address
            .entry(s(e, "/sourceIPAddress"))
            .or_default()
            .push(time(e));
    }
    assert!(by_address.len() >= 150, "{} addresses", by_address.len());
    let first = by_address.values().flatten().min().unwrap();
    assert!(*first - org.start <= Duration::hours(6), "first read at {first}");
    for (ip, times) in &mut by_address {
        assert_ne!(*ip, attacks::ATTACKER_IP);
        times.sort();
        for (i, t) in times.iter().enumerate() {
            let within = times[i..]
                .iter()
                .take_while(|u| **u - *t <= Duration::minutes(15))
                .count();
            assert!(within <= 10, "{ip} read {within} objects in 15 minutes");
        }
    }
}

#[test]
fn cloudtrail_checks_its_log_bucket_a_few_times_an_hour() {
    let o = opts(40_000, 6, false);
    let org = Org::new(&o);
    let bucket = log_bucket(&o);
    for word in ["trail", "log", "audit"] {
        assert!(!bucket.contains(word), "{bucket}");
    }
    let objs = objects(&o);
    let checks: Vec<&Value> = records(&objs)
        .into_iter()
        .filter(|e| {
            s(e, "/eventName") == "GetBucketAcl"
                && s(e, "/userIdentity/invokedBy") == "cloudtrail.amazonaws.com"
        })
        .collect();
    assert!(checks.len() >= 24, "{} checks", checks.len());
    for e in &checks {
        assert_eq!(
            e["userIdentity"],
            json!({"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"})
        );
        assert_eq!(s(e, "/sourceIPAddress"), "cloudtrail.amazonaws.com");
        assert_eq!(s(e, "/userAgent"), "cloudtrail.amazonaws.com");
        assert_eq!(s(e, "/requestParameters/bucketName"), bucket);
        assert_eq!(e["requestParameters"]["acl"], json!(""));
        assert!(e["requestParameters"]["Host"].is_string());
        assert_eq!(s(e, "/recipientAccountId"), org.accounts[org.log_account()]);
    }
}

#[test]
fn the_three_quiet_attacks_are_small_and_where_their_truth_says() {
    let o = opts(12_000, 21, true);
    let org = Org::new(&o);
    let objs = objects(&o);
    let all = records(&objs);
    let truth = planted(&o);
    let names: Vec<&str> = truth.iter().map(|t| t.name).collect();
    assert_eq!(
        names[4..],
        [
            "anonymous_s3_small",
            "new_region_key_only",
            "lifecycle_on_trail_bucket"
        ]
    );
    let attacker: Vec<&Value> = all
        .iter()
        .copied()
        .filter(|e| s(e, "/sourceIPAddress") == attacks::ATTACKER_IP)
        .collect();

    // 20 anonymous reads of distinct keys of a private bucket nobody else reads anonymously, after a day.
    let small = &truth[4];
    let bucket = s(&small.events[0], "/requestParameters/bucketName");
    assert_ne!(bucket, org.public_bucket());
    let reads: Vec<&Value> = all
        .iter()
        .copied()
        .filter(|e| {
            s(e, "/requestParameters/bucketName") == bucket && s(e, "/userIdentity/accountId") == "anonymous"
        })
        .collect();
    assert_eq!(reads.len(), ANONYMOUS_S3_SMALL_EVENTS);
    assert!(
        reads
            .iter()
            .all(|e| s(e, "/sourceIPAddress") == attacks::ATTACKER_IP)
    );
    let keys: BTreeSet<&str> = reads.iter().map(|e| s(e, "/requestParameters/key")).collect();
    assert_eq!(keys.len(), 20);
    let first = reads.iter().map(|e| time(e)).min().unwrap();
    let last = reads.iter().map(|e| time(e)).max().unwrap();
    assert!(last - first <= Duration::minutes(5));
    assert!(first - org.start >= Duration::hours(24));

    // A lone ImportKeyPair where only the scanner has read before.
    let region = quiet_region(&o);
    assert_eq!(region, "sa-east-1");
    assert!(!org.regions.iter().any(|r| r == region));
    let there: Vec<&Value> = all
        .iter()
        .copied()
        .filter(|e| s(e, "/awsRegion") == region)
        .collect();
    let writes: Vec<&&Value> = there.iter().filter(|e| e["readOnly"] == json!(false)).collect();
    assert_eq!(writes.len(), NEW_REGION_KEY_ONLY_EVENTS);
    assert_eq!(s(writes[0], "/eventName"), "ImportKeyPair");
    assert!(s(writes[0], "/userIdentity/arn").ends_with(":user/mallory"));
    let account = s(writes[0], "/recipientAccountId");
    assert!(
        there
            .iter()
            .any(|e| scanner_event(e) && s(e, "/recipientAccountId") == account && time(e) < time(writes[0]))
    );
    assert!(
        there
            .iter()
            .all(|e| scanner_event(e) || s(e, "/sourceIPAddress") == attacks::ATTACKER_IP)
    );

    // A one-day lifecycle on the log bucket.
    let lifecycle: Vec<&Value> = attacker
        .iter()
        .copied()
        .filter(|e| s(e, "/eventName") == "PutBucketLifecycle")
        .collect();
    assert_eq!(lifecycle.len(), TRAIL_LIFECYCLE_EVENTS);
    let p = &lifecycle[0]["requestParameters"];
    assert_eq!(p["bucketName"], json!(log_bucket(&o)));
    assert_eq!(p["lifecycle"], json!(""));
    assert_eq!(
        p["LifecycleConfiguration"]["xmlns"],
        json!("http://s3.amazonaws.com/doc/2006-03-01/")
    );
    assert_eq!(
        p["LifecycleConfiguration"]["Rule"]["Expiration"],
        json!({"Days": 1})
    );
    assert_eq!(
        p["LifecycleConfiguration"]["Rule"]["Filter"],
        json!({"Prefix": ""})
    );
    assert!(time(lifecycle[0]) - org.start >= Duration::hours(36));

    // Every planted event is counted, and each scenario is where its truth says.
    assert_eq!(
        truth.iter().map(|t| t.events.len()).sum::<usize>(),
        REALISTIC_ATTACK_EVENTS
    );
    for t in &truth {
        for e in &t.events {
            assert_eq!(s(e, "/awsRegion"), t.region);
            assert_eq!(s(e, "/recipientAccountId"), org.accounts[t.a]);
        }
    }
}

#[test]
fn any_budget_is_met_exactly_and_the_same_seed_gives_the_same_world() {
    // Objects carrying planted records may hold no benign one when the budget is that small.
    let tiny = objects(&opts(7, 1, true));
    let planted: usize = tiny.iter().map(|o| o.2).sum();
    assert_eq!(records(&tiny).len() - planted, 7);
    assert_eq!(planted, super::CLASSIC_EVENTS + REALISTIC_ATTACK_EVENTS);
    for events in [40, 400, 1_500, 5_000] {
        for attacks in [false, true] {
            let objs = objects(&opts(events, 11, attacks));
            let planted: usize = objs.iter().map(|o| o.2).sum();
            assert_eq!(records(&objs).len() - planted, events, "{events} {attacks}");
        }
    }
    assert_eq!(objects(&opts(6_000, 13, true)), objects(&opts(6_000, 13, true)));
    let six = GenOptions {
        regions: 6,
        ..opts(1_000, 1, true)
    };
    assert_eq!(quiet_region(&six), "eu-north-1");
}
