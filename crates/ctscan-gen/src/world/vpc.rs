//! What differs from one VPC to another in the realistic world: whether it is dual-stack (about a third
//! are: their instances reach services with dual-stack endpoints over IPv6 from their own address, inside
//! the VPC's `/56`), and which AWS services it reaches through interface endpoints (about half the VPCs
//! have some: calls to those services come from the caller's private address with `vpcEndpointId` set).
//! Real organizations mix both, so an instance's calls come from several kinds of address.

use std::net::Ipv6Addr;

use super::common::{key, text};

/// The services whose dual-stack endpoints instances of dual-stack VPCs reach over IPv6.
pub const DUAL_STACK: &[&str] = &[
    "s3.amazonaws.com",
    "ec2.amazonaws.com",
    "dynamodb.amazonaws.com",
    "sts.amazonaws.com",
    "ssm.amazonaws.com",
    "kms.amazonaws.com",
];

/// The services a VPC may reach through interface endpoints (SSM always, when it has any).
pub const INTERFACE: &[&str] = &[
    "ssm.amazonaws.com",
    "kms.amazonaws.com",
    "secretsmanager.amazonaws.com",
    "logs.amazonaws.com",
];

/// The digit after `2600:1f1` of each generated region's IPv6 pool, in [`crate::region_names`] order.
const REGION_DIGITS: &[u16] = &[0x8, 0xc, 0x4, 0xe, 0x2, 0x6, 0xa, 0x1];

/// Whether account `a`'s VPC in `region` is dual-stack: one VPC in three, at least one among three.
pub fn dual_stack(seed: u64, a: usize, region: usize) -> bool {
    (a as u64 + 2 * region as u64 + key(&[seed, 83]) % 3).is_multiple_of(3)
}

/// The first four 16-bit groups of the VPC's `/56` (the last byte zero): `2600:1f1X:HHHH:HH00`.
fn prefix(seed: u64, a: usize, region: usize) -> [u16; 4] {
    let h = key(&[seed, 89, a as u64, region as u64]);
    [
        0x2600,
        0x1f10 | REGION_DIGITS[region % REGION_DIGITS.len()],
        (h >> 16) as u16,
        ((h >> 8) as u16) & 0xff00,
    ]
}

/// The `/56` of account `a`'s VPC in `region`, as `2600:1f18:4a2b:1c00::/56`.
pub fn ipv6_block(seed: u64, a: usize, region: usize) -> String {
    let [p0, p1, p2, p3] = prefix(seed, a, region);
    format!("{}/56", Ipv6Addr::new(p0, p1, p2, p3, 0, 0, 0, 0))
}

/// The IPv6 address of the instance with id `instance` in zone `zone` of account `a`'s VPC in `region`:
/// its zone's `/64` (the VPC's `/56` and the zone number) and a host part of its own, in the compressed
/// lower-case form CloudTrail logs.
pub fn ipv6_address(seed: u64, a: usize, region: usize, zone: usize, instance: &str) -> String {
    let [p0, p1, p2, p3] = prefix(seed, a, region);
    let h = key(&[seed, 91, text(instance)]) | 1;
    let g = |s: u32| (h >> s) as u16;
    Ipv6Addr::new(p0, p1, p2, p3 | (zone as u16 + 1), g(48), g(32), g(16), g(0)).to_string()
}

/// Whether account `a`'s VPC in `region` has interface endpoints: about half the VPCs, one among two.
fn has_interface_endpoints(seed: u64, a: usize, region: usize) -> bool {
    (a as u64 + region as u64 + key(&[seed, 85]) % 2).is_multiple_of(2)
}

/// The interface endpoint account `a`'s VPC in `region` reaches `source` through, if it has one: SSM in
/// every VPC with interface endpoints, each of the other [`INTERFACE`] services in about two in three.
pub fn interface_endpoint(seed: u64, a: usize, region: usize, source: &str) -> Option<String> {
    let n = INTERFACE.iter().position(|s| *s == source)?;
    let h = key(&[seed, 87, a as u64, region as u64, text(source)]);
    (has_interface_endpoints(seed, a, region) && (n == 0 || !h.is_multiple_of(3)))
        .then(|| format!("vpce-0{:016x}", h >> 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_are_inside_their_vpc_block_and_compressed() {
        let ip = ipv6_address(3, 1, 0, 2, "i-0123456789abcdef0");
        assert_eq!(ip, ip.to_lowercase());
        let addr: Ipv6Addr = ip.parse().unwrap();
        assert_eq!(addr.to_string(), ip);
        let block = ipv6_block(3, 1, 0);
        let (net, len) = block.split_once('/').unwrap();
        assert_eq!(len, "56");
        let net: Ipv6Addr = net.parse().unwrap();
        assert_eq!(u128::from(addr) >> 72, u128::from(net) >> 72);
        assert_eq!(addr.segments()[0..2], [0x2600, 0x1f18]);
        assert_eq!(addr.segments()[3] & 0xff, 3);
        assert_ne!(ip, ipv6_address(3, 1, 0, 2, "i-0123456789abcdef1"));
    }

    #[test]
    fn a_third_of_vpcs_are_dual_stack_and_half_have_interface_endpoints() {
        for seed in 0..6 {
            let dual = (0..3).filter(|&a| dual_stack(seed, a, 1)).count();
            assert_eq!(dual, 1);
            let with = (0..2)
                .filter(|&a| interface_endpoint(seed, a, 0, "ssm.amazonaws.com").is_some())
                .count();
            assert_eq!(with, 1);
            assert!(interface_endpoint(seed, 0, 0, "s3.amazonaws.com").is_none());
        }
    }
}
