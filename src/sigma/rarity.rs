//! ctscan's `rare_value` correlation: a value (say a source address) that at most a few groups (principals)
//! of a population (an account) hold, seen in a group that also holds a value many of the population share.
//! "An instance session seen from two addresses" is what a NAT gateway with several Elastic IPs does; "an
//! instance session seen from the account's shared egress and from an address no other workload of the
//! account uses" is what a thief does. The state is bounded per group: a group's distinct values are kept
//! up to [`VALUES_PER_GROUP`], and a group holding more is not judged (the hunt says so).

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

use serde_norway::Value as Yaml;

use super::error::{SigmaError, invalid};

/// Distinct values a group may hold and still be judged. A workload seen from more addresses than this
/// roams (a fleet of proxies, a laptop on the move); which of its values are rare says nothing.
pub const VALUES_PER_GROUP: usize = 64;

/// Prefix lengths by which values that are IP addresses are compared, so that one network counts as one
/// value: an IPv6 instance address is its own, but its VPC's /56 is shared by every dual-stack instance of
/// the VPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    /// IPv4 prefix length (32: each address on its own).
    pub v4: u8,
    /// IPv6 prefix length (128: each address on its own).
    pub v6: u8,
}

impl Network {
    /// The value as compared: an IP address masked to its network (`2600:1f18:4a2b:1c00::/56`), any other
    /// value (or an address kept whole) as it is.
    pub fn of<'a>(&self, value: &'a str) -> Cow<'a, str> {
        match value.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) if self.v4 < 32 => {
                let bits = u32::from(a) & u32::MAX.checked_shl(32 - u32::from(self.v4)).unwrap_or(0);
                Cow::Owned(format!("{}/{}", std::net::Ipv4Addr::from(bits), self.v4))
            }
            Ok(IpAddr::V6(a)) if self.v6 < 128 => {
                let bits = u128::from(a) & u128::MAX.checked_shl(128 - u32::from(self.v6)).unwrap_or(0);
                Cow::Owned(format!("{}/{}", std::net::Ipv6Addr::from(bits), self.v6))
            }
            _ => Cow::Borrowed(value),
        }
    }
}

/// What family a value belongs to: a rare value is judged against shared values of its own family, so an
/// instance's own IPv4 address is not made suspect by the IPv6 block it shares with its VPC, nor an IPv6
/// address by a NAT gateway's IPv4 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// An IPv4 address or network.
    V4,
    /// An IPv6 address or network.
    V6,
    /// Anything else.
    Other,
}

impl Family {
    /// The family of a value as compared (an address, `network/length`, or other text).
    pub fn of(value: &str) -> Family {
        let address = value.split_once('/').map_or(value, |(a, _)| a);
        match address.parse::<IpAddr>() {
            Ok(IpAddr::V4(_)) => Family::V4,
            Ok(IpAddr::V6(_)) => Family::V6,
            Err(_) => Family::Other,
        }
    }
}

/// The `rare_value` options of a correlation.
#[derive(Debug, Clone, Default)]
pub struct Rarity {
    /// Positions in `group-by` of the fields that make a group's population (the account of a principal).
    pub population: Vec<usize>,
    /// A group fires only if it also holds a value at least this many groups of its population hold (the
    /// shared egress); 0 asks for no such value.
    pub common: u64,
    /// How addresses are compared, if by network.
    pub network: Option<Network>,
}

impl Rarity {
    /// Reads `population`, `common` and `network` of a correlation mapping grouped by `group_by`.
    pub fn parse(v: &Yaml, group_by: &[String]) -> Result<Rarity, SigmaError> {
        let population = match v.get("population") {
            None => (0..group_by.len().saturating_sub(1)).collect(),
            Some(p) => {
                let names: Vec<&str> = match p {
                    Yaml::String(s) => vec![s.as_str()],
                    Yaml::Sequence(seq) => seq.iter().filter_map(Yaml::as_str).collect(),
                    _ => return Err(invalid("population lists group-by fields")),
                };
                names
                    .iter()
                    .map(|n| {
                        group_by.iter().position(|g| g == n).ok_or_else(|| {
                            invalid(format!(
                                "population field {n:?} is not one of the group-by fields"
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        if population.len() >= group_by.len() {
            return Err(invalid(
                "rare_value needs a group-by field that is not part of the population",
            ));
        }
        let common = match v.get("common") {
            None => 0,
            Some(n) => n
                .as_u64()
                .ok_or_else(|| invalid("common takes a number of groups"))?,
        };
        let network = match v.get("network") {
            None => None,
            Some(Yaml::Mapping(m)) => {
                let len =
                    |k: &str, max: u64| -> Result<u8, SigmaError> {
                        match m.get(k) {
                            None => Ok(max as u8),
                            Some(n) => n.as_u64().filter(|&n| n <= max).map(|n| n as u8).ok_or_else(|| {
                                invalid(format!("network {k} takes a prefix length up to {max}"))
                            }),
                        }
                    };
                Some(Network {
                    v4: len("ipv4", 32)?,
                    v6: len("ipv6", 128)?,
                })
            }
            Some(_) => return Err(invalid("network takes {ipv4: LENGTH, ipv6: LENGTH}")),
        };
        Ok(Rarity {
            population,
            common,
            network,
        })
    }

    /// The population part of a group key, as one text.
    pub fn population_of(&self, key: &[&str]) -> String {
        let parts: Vec<&str> = self
            .population
            .iter()
            .filter_map(|&i| key.get(i).copied())
            .collect();
        parts.join("\u{1f}")
    }
}

/// For each (population, value): the distinct groups holding it, counted up to a cap (past which the
/// exact number does not change any verdict).
#[derive(Debug, Default)]
pub struct Holders {
    cap: usize,
    held: HashMap<(u32, u32), Vec<u32>>,
}

impl Holders {
    /// Counts holders up to `cap`.
    pub fn new(cap: usize) -> Holders {
        Holders {
            cap: cap.max(1),
            held: HashMap::new(),
        }
    }

    /// Notes that `group` of `population` holds `value`.
    pub fn note(&mut self, population: u32, value: u32, group: u32) {
        let groups = self.held.entry((population, value)).or_default();
        if groups.len() < self.cap && !groups.contains(&group) {
            groups.push(group);
        }
    }

    /// How many groups of `population` hold `value` (at most the cap).
    pub fn count(&self, population: u32, value: u32) -> usize {
        self.held.get(&(population, value)).map_or(0, Vec::len)
    }
}

/// What a `rare_value` correlation makes of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// More than [`VALUES_PER_GROUP`] distinct values: not judged.
    Roaming,
    /// No rare value, or no common one where one is asked for.
    Quiet,
    /// The rare values (ids) of a group that fires.
    Rare(Vec<u32>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_compare_by_network_and_other_values_as_they_are() {
        let n = Network { v4: 32, v6: 56 };
        assert_eq!(n.of("198.51.100.7"), "198.51.100.7");
        assert_eq!(
            n.of("2600:1f18:4a2b:1c02:8d3e:91f0:2b4c:7a11"),
            "2600:1f18:4a2b:1c00::/56"
        );
        assert_eq!(n.of("s3.amazonaws.com"), "s3.amazonaws.com");
        let n = Network { v4: 24, v6: 128 };
        assert_eq!(n.of("198.51.100.7"), "198.51.100.0/24");
        assert_eq!(n.of("2600:1f18::1"), "2600:1f18::1");
        let n = Network { v4: 0, v6: 0 };
        assert_eq!(n.of("198.51.100.7"), "0.0.0.0/0");
        assert_eq!(n.of("::1"), "::/0");
    }

    #[test]
    fn families_tell_ipv4_from_ipv6_from_anything_else() {
        assert_eq!(Family::of("52.14.7.9"), Family::V4);
        assert_eq!(Family::of("198.51.100.0/24"), Family::V4);
        assert_eq!(Family::of("2600:1f18:4a2b:1c00::/56"), Family::V6);
        assert_eq!(Family::of("s3.amazonaws.com"), Family::Other);
        assert_eq!(Family::of("AWS Internal"), Family::Other);
    }

    #[test]
    fn holders_count_distinct_groups_up_to_the_cap() {
        let mut h = Holders::new(3);
        for g in [1, 1, 2, 3, 4, 5] {
            h.note(0, 7, g);
        }
        h.note(1, 7, 9);
        assert_eq!(h.count(0, 7), 3);
        assert_eq!(h.count(1, 7), 1);
        assert_eq!(h.count(0, 8), 0);
    }

    #[test]
    fn population_defaults_to_every_group_field_but_the_last() {
        let g = |s: &str| -> Vec<String> { s.split(',').map(String::from).collect() };
        let y = |s: &str| -> Yaml { serde_norway::from_str(s).unwrap() };
        let r = Rarity::parse(&y("{}"), &g("acct,arn")).unwrap();
        assert_eq!(r.population, vec![0]);
        assert_eq!(r.population_of(&["1", "x"]), "1");
        let r = Rarity::parse(&y("{population: [b]}"), &g("a,b,c")).unwrap();
        assert_eq!(r.population, vec![1]);
        assert!(Rarity::parse(&y("{population: [z]}"), &g("a,b")).is_err());
        assert!(Rarity::parse(&y("{population: [a, b]}"), &g("a,b")).is_err());
        assert!(Rarity::parse(&y("{network: {ipv4: 33}}"), &g("a,b")).is_err());
        let r = Rarity::parse(&y("{common: 3, network: {ipv6: 56}}"), &g("a")).unwrap();
        assert_eq!(r.population, Vec::<usize>::new());
        assert_eq!(r.common, 3);
        assert_eq!(r.network, Some(Network { v4: 32, v6: 56 }));
    }
}
