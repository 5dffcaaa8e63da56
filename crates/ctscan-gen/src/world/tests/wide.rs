//! What real organizations have beyond the fleets, people and pipelines, each with its real shape:
//! dual-stack VPCs and interface endpoints.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv6Addr;

use super::*;

/// The organization's account and region indexes of `e`.
fn place(org: &Org, e: &Value) -> (usize, usize) {
    let a = org.accounts.iter().position(|x| x == s(e, "/recipientAccountId"));
    let r = org.regions.iter().position(|x| x == s(e, "/awsRegion"));
    (a.unwrap(), r.unwrap())
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
