//! Which address one call of an instance leaves from, as a real VPC routes it: through an interface
//! endpoint when the VPC has one for the service (the instance's private address, `vpcEndpointId` set);
//! over IPv6 from the instance's own address for part of its calls to dual-stack endpoints in dual-stack
//! VPCs (never through an endpoint); S3 through the subnet's gateway endpoint; everything else from its own
//! public address (the new one after a stop and start) or one of its zone's NAT gateway Elastic IPs, the
//! same for the few minutes one connection lasts.

use chrono::{DateTime, Utc};

use super::common::{key, text};
use super::fleet::Instance;
use super::org::Org;
use super::vpc;

/// How long one connection (and so one NAT mapping, one address family) lasts, in seconds.
const CONNECTION: i64 = 180;

/// Where one call comes from: `sourceIPAddress` and the VPC endpoint it went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `sourceIPAddress`.
    pub ip: String,
    /// `vpcEndpointId`, if the call went through an endpoint.
    pub vpce: Option<String>,
}

/// The public IPv4 address `inst`'s connections to the internet leave from at `time` (`conn` picks one
/// of a NAT gateway's Elastic IPs).
pub fn public_address(org: &Org, inst: &Instance, time: DateTime<Utc>, conn: u64) -> String {
    if let Some(own) = &inst.public_ip {
        let secs = (time - org.start).num_seconds();
        return match &inst.moved {
            Some((at, new)) if secs >= *at => new.clone(),
            _ => own.clone(),
        };
    }
    match inst.nat.len() {
        0 => inst.private_ip.clone(),
        n => inst.nat[(conn % n as u64) as usize].clone(),
    }
}

/// Where `inst`'s call to `source` at `time` comes from.
pub fn route(org: &Org, inst: &Instance, time: DateTime<Utc>, source: &str) -> Route {
    let private = |vpce: Option<String>| Route {
        ip: inst.private_ip.clone(),
        vpce,
    };
    if let Some(vpce) = vpc::interface_endpoint(org.seed, inst.a, inst.r, source) {
        return private(Some(vpce));
    }
    let window = (time - org.start).num_seconds().div_euclid(CONNECTION) as u64;
    let conn = key(&[org.seed, 223, text(&inst.id), text(source), window]);
    if let Some(v6) = &inst.ipv6
        && vpc::DUAL_STACK.contains(&source)
        && (conn >> 32) % 100 < inst.ipv6_percent
    {
        return Route {
            ip: v6.clone(),
            vpce: None,
        };
    }
    if source == "s3.amazonaws.com" && inst.endpoint.is_some() {
        return private(inst.endpoint.clone());
    }
    Route {
        ip: public_address(org, inst, time, conn),
        vpce: None,
    }
}
