//! Where calls come from in the realistic world (IPv4): VPC address plans, NAT gateways (one per VPC and
//! availability zone, each with two or three Elastic IPs shared by every private instance behind it, a
//! connection leaving from any of them), instances' own public addresses (and the new one a stop and start
//! gives some of them), gateway VPC endpoints, CI runners, offices and homes, and the AWS-owned addresses
//! Lambda and IAM Identity Center call from. All public addresses are public-looking (no documentation
//! ranges, which the uniform world uses) and none is [`crate::attacks::ATTACKER_IP`]. IPv6 and interface
//! endpoints are per-VPC choices: [`super::vpc`].

use super::common::key;

/// Availability zones per VPC (and so NAT gateways per VPC).
pub const ZONES: usize = 3;

/// Public blocks of each generated region, in [`crate::region_names`] order (AWS-owned-looking
/// prefixes; regions past the table reuse the last entries).
const REGION_BLOCKS: &[[u8; 2]] = &[
    [44, 194],
    [34, 242],
    [44, 230],
    [13, 238],
    [3, 121],
    [18, 229],
    [13, 114],
    [15, 223],
];

/// The GitHub Actions runners the pipelines deploy from (larger runners with static egress addresses).
pub const CI_RUNNERS: &[&str] = &[
    "20.55.14.201",
    "20.57.79.13",
    "40.84.171.50",
    "52.234.37.112",
    "172.177.133.8",
    "20.81.116.95",
];

/// The offices' egress addresses, shared by everyone who works there.
pub const OFFICES: &[&str] = &["62.45.198.21", "81.109.34.177"];

/// Home broadband prefixes people's home addresses come from.
const HOMES: &[[u8; 2]] = &[
    [86, 147],
    [92, 41],
    [78, 22],
    [109, 150],
    [73, 162],
    [98, 207],
    [24, 130],
];

fn region_block(region: usize) -> [u8; 2] {
    REGION_BLOCKS[region.min(REGION_BLOCKS.len() - 1)]
}

/// Two octets in 1..=254 derived from `parts`.
fn tail(parts: &[u64]) -> (u8, u8) {
    let h = key(parts);
    ((h % 254 + 1) as u8, ((h >> 16) % 254 + 1) as u8)
}

/// The second octet of account `a`'s VPC in `region` (`10.<this>.0.0/16`).
pub fn vpc_octet(a: usize, region: usize) -> usize {
    (a * 16 + region * 2 + 16) % 250
}

/// The VPC id of account `a` in `region`.
pub fn vpc_id(seed: u64, a: usize, region: usize) -> String {
    format!("vpc-0{:016x}", key(&[seed, 71, a as u64, region as u64]) >> 4)
}

/// The private address of instance `i` in zone `zone` of account `a`'s VPC in `region`.
pub fn private_ip(a: usize, region: usize, zone: usize, i: usize) -> String {
    format!(
        "10.{}.{}.{}",
        vpc_octet(a, region),
        16 * zone + 1 + (i / 200) % 15,
        10 + i % 200
    )
}

/// How many Elastic IPs the NAT gateway of account `a`'s VPC in `region`, zone `zone` has: 2 or 3 (a
/// gateway with many connections to the same endpoints needs more than one address's ports).
pub fn nat_eips(seed: u64, a: usize, region: usize, zone: usize) -> usize {
    2 + (key(&[seed, 12, a as u64, region as u64, zone as u64]) % 2) as usize
}

/// Elastic IP `k` (0..[`nat_eips`]) of the NAT gateway of account `a`'s VPC in `region`, zone `zone`:
/// every private instance of the zone reaches public endpoints from one of them, connection by connection.
pub fn nat_ip(seed: u64, a: usize, region: usize, zone: usize, k: usize) -> String {
    let [b0, b1] = region_block(region);
    let (x, y) = tail(&[seed, 11, a as u64, region as u64, zone as u64, k as u64]);
    format!("{b0}.{}.{x}.{y}", b1.wrapping_add(1))
}

/// Every Elastic IP of the NAT gateway of account `a`'s VPC in `region`, zone `zone`.
pub fn nat_ips(seed: u64, a: usize, region: usize, zone: usize) -> Vec<String> {
    (0..nat_eips(seed, a, region, zone))
        .map(|k| nat_ip(seed, a, region, zone, k))
        .collect()
}

/// The public (elastic) address of a public instance: its own, used by nothing else.
pub fn instance_public_ip(seed: u64, a: usize, region: usize, i: usize) -> String {
    let [b0, b1] = region_block(region);
    let (x, y) = tail(&[seed, 13, a as u64, region as u64, i as u64]);
    format!("{b0}.{b1}.{x}.{y}")
}

/// The address a public instance without an Elastic IP gets when it is stopped and started again: from
/// another block of the region's pool, its own too.
pub fn instance_new_public_ip(seed: u64, a: usize, region: usize, i: usize) -> String {
    let [b0, b1] = region_block(region);
    let (x, y) = tail(&[seed, 14, a as u64, region as u64, i as u64]);
    format!("{b0}.{}.{x}.{y}", b1.wrapping_add(2))
}

/// The S3 gateway endpoint of account `a`'s VPC in `region`.
pub fn s3_endpoint(seed: u64, a: usize, region: usize) -> String {
    format!("vpce-0{:016x}", key(&[seed, 17, a as u64, region as u64]) >> 4)
}

/// One of the addresses Lambda functions outside a VPC call from in `region` (AWS-owned, shared by
/// many functions and changing between invocations).
pub fn lambda_egress(region: usize, n: u64) -> String {
    let [b0, b1] = region_block(region);
    let (x, y) = tail(&[19, region as u64, n % 24]);
    format!("{b0}.{}.{x}.{y}", b1.wrapping_add(3))
}

/// One of the addresses IAM Identity Center calls STS from when it federates a user (AWS-owned).
pub fn identity_center_ip(n: u64) -> String {
    let (x, y) = tail(&[23, n % 4]);
    format!("3.{}.{x}.{y}", 216 + (n % 4))
}

/// Person `p`'s home address: theirs alone.
pub fn home_ip(seed: u64, p: usize) -> String {
    let [b0, b1] = HOMES[p % HOMES.len()];
    let (x, y) = tail(&[seed, 29, p as u64]);
    format!("{b0}.{b1}.{x}.{y}")
}

/// The address account `a`'s identity broker calls STS from (a server in the company's data centre).
pub fn broker_ip(a: usize) -> String {
    format!("62.45.199.{}", 10 + a % 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_public_looking_and_never_the_attackers() {
        let attacker = crate::attacks::ATTACKER_IP;
        let mut all = vec![];
        for a in 0..12 {
            for r in 0..10 {
                for z in 0..ZONES {
                    let eips = nat_ips(3, a, r, z);
                    assert!((2..=3).contains(&eips.len()));
                    all.extend(eips);
                }
                for i in 0..60 {
                    all.push(instance_public_ip(3, a, r, i));
                    all.push(instance_new_public_ip(3, a, r, i));
                }
                all.push(lambda_egress(r, a as u64));
            }
            all.push(home_ip(3, a));
            all.push(broker_ip(a));
        }
        all.extend(CI_RUNNERS.iter().chain(OFFICES).map(|s| s.to_string()));
        for ip in &all {
            assert_ne!(ip, attacker);
            let o: Vec<u8> = ip.split('.').map(|x| x.parse().unwrap()).collect();
            assert_eq!(o.len(), 4, "{ip}");
            assert!(
                o[0] != 10 && o[0] != 192 && o[0] != 198 && o[0] != 203 && o[0] != 185,
                "{ip}"
            );
        }
        assert!(private_ip(3, 2, 1, 150).starts_with("10."));
    }
}
