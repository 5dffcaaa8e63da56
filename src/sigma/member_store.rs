//! What a correlation keeps, during the pass, of the events its base rules match. A base rule may match
//! most of an archive (every call made with an instance's credentials), so a member is not held in
//! memory: it is written aside as a compact record (in memory up to [`MEMORY_LIMIT`], then in a temporary
//! file), and each group keeps only a [`GroupSummary`]. After the pass the summaries rule out the groups
//! that cannot fire, and only the members of the others are rebuilt and windowed. Memory grows with
//! groups and distinct values, not with matched events; the findings are those of windowing every member.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use super::correlation::{CorrType, Correlation, FirstActivity, GroupSummary, Locator, Member};
use super::rarity::{Family, Holders, Rarity, Verdict};
use crate::interned::Interned;

/// Member records held in memory, per correlation, before they go to a temporary file.
pub const MEMORY_LIMIT: usize = 8 << 20;

/// Marks an absent number in a record.
const NONE32: u32 = u32::MAX;

/// The members of one correlation's base rules, gathered during a pass.
pub struct MemberStore {
    cap: usize,
    /// Group key (length-prefixed values) → group number.
    groups: HashMap<Box<[u8]>, u32>,
    keys: Vec<Arc<[String]>>,
    summaries: Vec<GroupSummary>,
    /// Counted values, event names and object keys, each held once.
    texts: Interned,
    spill: crate::spill::Spill,
    members: u64,
    key_buf: Vec<u8>,
    record: Vec<u8>,
    /// For a `rare_value` correlation: who holds each value, per population.
    rare: Option<RareState>,
}

/// What a `rare_value` correlation adds to the store: each group's population and the holders of values.
struct RareState {
    rarity: Rarity,
    /// Per group, its population (an id of the population text).
    populations: Vec<u32>,
    holders: Holders,
}

impl MemberStore {
    /// An empty store for `c`.
    pub fn new(c: &Correlation) -> MemberStore {
        MemberStore {
            cap: c.values_worth_counting(),
            groups: HashMap::new(),
            keys: Vec::new(),
            summaries: Vec::new(),
            texts: Interned::default(),
            spill: crate::spill::Spill::new(MEMORY_LIMIT),
            members: 0,
            key_buf: Vec::new(),
            record: Vec::new(),
            rare: (c.kind == CorrType::RareValue).then(|| RareState {
                rarity: c.rarity.clone(),
                populations: Vec::new(),
                holders: Holders::new(c.holders_worth_counting()),
            }),
        }
    }

    /// Members gathered.
    pub fn len(&self) -> u64 {
        self.members
    }

    /// Whether no member was gathered.
    pub fn is_empty(&self) -> bool {
        self.members == 0
    }

    fn group(&mut self, key: &[&str]) -> u32 {
        self.key_buf.clear();
        for k in key {
            self.key_buf.extend_from_slice(&(k.len() as u32).to_le_bytes());
            self.key_buf.extend_from_slice(k.as_bytes());
        }
        if let Some(&g) = self.groups.get(self.key_buf.as_slice()) {
            return g;
        }
        let g = self.keys.len() as u32;
        self.groups.insert(self.key_buf.clone().into_boxed_slice(), g);
        self.keys
            .push(key.iter().map(|k| k.to_string()).collect::<Vec<_>>().into());
        self.summaries.push(GroupSummary::default());
        if let Some(rare) = &mut self.rare {
            let population = rare.rarity.population_of(key);
            rare.populations.push(self.texts.id(&population));
        }
        g
    }

    /// Gathers one matched event: the base rule (index into the correlation's rules), its time, group-by
    /// values, counted values, name and where it can be read again.
    pub fn push(
        &mut self,
        rule: usize,
        time: i64,
        key: &[&str],
        values: &[&str],
        name: Option<&str>,
        at: &Locator,
    ) -> std::io::Result<()> {
        let group = self.group(key);
        let network = self.rare.as_ref().and_then(|r| r.rarity.network);
        let mut ids: Vec<u32> = match network {
            Some(n) => values.iter().map(|v| self.texts.id(&n.of(v))).collect(),
            None => values.iter().map(|v| self.texts.id(v)).collect(),
        };
        ids.sort_unstable();
        ids.dedup();
        if let Some(rare) = &mut self.rare {
            let population = rare.populations[group as usize];
            for &v in &ids {
                rare.holders.note(population, v, group);
            }
        }
        let cap = self.cap;
        self.summaries[group as usize].note(rule, time, &ids, cap);
        let name = name.map_or(NONE32, |n| self.texts.id(n));
        let object = at.object.as_deref().map_or(NONE32, |o| self.texts.id(o));
        let r = &mut self.record;
        r.clear();
        r.extend_from_slice(&group.to_le_bytes());
        r.extend_from_slice(&(rule as u32).to_le_bytes());
        r.extend_from_slice(&time.to_le_bytes());
        r.extend_from_slice(&name.to_le_bytes());
        r.extend_from_slice(&object.to_le_bytes());
        r.extend_from_slice(&at.kept.unwrap_or(u64::MAX).to_le_bytes());
        match &at.event_id {
            Some(id) => {
                r.extend_from_slice(&(id.len() as u32).to_le_bytes());
                r.extend_from_slice(id.as_bytes());
            }
            None => r.extend_from_slice(&NONE32.to_le_bytes()),
        }
        r.extend_from_slice(&(ids.len() as u32).to_le_bytes());
        for v in ids {
            r.extend_from_slice(&v.to_le_bytes());
        }
        self.spill.push(&self.record)?;
        self.members += 1;
        Ok(())
    }

    /// The groups of a `first_seen` correlation that [`Correlation::first_seen_unjudged`] could not judge,
    /// with the time of each one's first base event, earliest first.
    pub fn unjudged(&self, c: &Correlation, activity: &FirstActivity) -> Vec<(Arc<[String]>, i64)> {
        let mut out: Vec<(Arc<[String]>, i64)> = self
            .summaries
            .iter()
            .zip(&self.keys)
            .filter(|(s, k)| c.first_seen_unjudged(k, s.first, activity))
            .map(|(s, k)| (k.clone(), s.first))
            .collect();
        out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// What a `rare_value` correlation makes of each group (`None` for other correlations).
    fn verdicts(&self, c: &Correlation) -> Option<Vec<Verdict>> {
        let rare = self.rare.as_ref()?;
        Some(
            self.summaries
                .iter()
                .zip(&rare.populations)
                .map(|(s, &p)| {
                    let family = |v: u32| self.texts.text(v).map_or(Family::Other, |t| Family::of(t));
                    c.judge(&s.values, |v| rare.holders.count(p, v), family)
                })
                .collect(),
        )
    }

    /// The groups of a `rare_value` correlation holding too many distinct values to be judged, with the
    /// time of each one's first base event, earliest first.
    pub fn roaming(&self, c: &Correlation) -> Vec<(Arc<[String]>, i64)> {
        let Some(verdicts) = self.verdicts(c) else {
            return Vec::new();
        };
        let mut out: Vec<(Arc<[String]>, i64)> = verdicts
            .iter()
            .zip(self.summaries.iter().zip(&self.keys))
            .filter(|(v, _)| **v == Verdict::Roaming)
            .map(|(_, (s, k))| (k.clone(), s.first))
            .collect();
        out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// The members of the groups that may fire (every other group's events could not make a finding),
    /// in the order they were gathered. `activity` is what a `first_seen` correlation needs. Of a
    /// `rare_value` correlation, only the events bringing a rare value, with only their rare values.
    pub fn members(
        mut self,
        c: &Correlation,
        activity: Option<&FirstActivity>,
    ) -> std::io::Result<Vec<Member>> {
        let rare: Option<Vec<Option<Vec<u32>>>> = self.verdicts(c).map(|vs| {
            vs.into_iter()
                .map(|v| match v {
                    Verdict::Rare(values) => Some(values),
                    _ => None,
                })
                .collect()
        });
        let may: Vec<bool> = match &rare {
            Some(rare) => rare.iter().map(Option::is_some).collect(),
            None => self
                .summaries
                .iter()
                .zip(&self.keys)
                .map(|(s, k)| c.may_fire(s, k, activity))
                .collect(),
        };
        if !may.iter().any(|&m| m) {
            return Ok(Vec::new());
        }
        self.spill.seal()?;
        let mut input = self.spill.reader();
        let mut out = Vec::new();
        let mut id = Vec::new();
        let mut values = Vec::new();
        for _ in 0..self.members {
            let group = u32_of(&mut input)?;
            let rule = u32_of(&mut input)? as usize;
            let time = i64::from_le_bytes(bytes(&mut input)?);
            let name = u32_of(&mut input)?;
            let object = u32_of(&mut input)?;
            let kept = u64::from_le_bytes(bytes(&mut input)?);
            let id_len = u32_of(&mut input)?;
            id.resize(if id_len == NONE32 { 0 } else { id_len as usize }, 0);
            input.read_exact(&mut id)?;
            let n = u32_of(&mut input)?;
            values.clear();
            for _ in 0..n {
                values.push(u32_of(&mut input)?);
            }
            // Records of groups that cannot fire are read past, not rebuilt.
            if !may[group as usize] {
                continue;
            }
            if let Some(rare) = &rare {
                let keep = rare[group as usize].as_deref().unwrap_or_default();
                values.retain(|v| keep.contains(v));
                if values.is_empty() {
                    continue;
                }
            }
            let text = |id: u32| (id != NONE32).then(|| self.texts.text(id).cloned()).flatten();
            out.push(Member {
                rule,
                time,
                key: self.keys[group as usize].clone(),
                values: values.iter().filter_map(|&v| text(v)).collect(),
                name: text(name),
                at: Locator {
                    object: text(object),
                    event_id: (id_len != NONE32)
                        .then(|| String::from_utf8_lossy(&id).into_owned().into_boxed_str()),
                    kept: (kept != u64::MAX).then_some(kept),
                },
            });
        }
        Ok(out)
    }
}

fn bytes<const N: usize>(input: &mut dyn Read) -> std::io::Result<[u8; N]> {
    let mut b = [0; N];
    input.read_exact(&mut b)?;
    Ok(b)
}

fn u32_of(input: &mut dyn Read) -> std::io::Result<u32> {
    Ok(u32::from_le_bytes(bytes(input)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::correlation::Hit;
    use crate::sigma::rarity::VALUES_PER_GROUP;
    use std::collections::BTreeSet;

    fn corr(yaml: &str) -> Correlation {
        Correlation::parse(&serde_norway::from_str(yaml).unwrap()).unwrap()
    }

    /// A small deterministic generator (xorshift), so every run tries the same inputs.
    struct Dice(u64);

    impl Dice {
        fn roll(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// What a hit says, comparable: group, count, and the ids of its window's events in order.
    type Said = (Vec<(String, String)>, u64, Vec<String>);

    fn summary(hits: Vec<Hit>) -> Vec<Said> {
        let mut out: Vec<_> = hits
            .into_iter()
            .map(|h| {
                let ids = h
                    .events
                    .iter()
                    .map(|m| m.at.event_id.as_deref().unwrap_or_default().to_string())
                    .collect();
                (h.group, h.count, ids)
            })
            .collect();
        out.sort();
        out
    }

    const TYPES: &[&str] = &[
        "type: event_count\nrules: [a]\ngroup-by: [g]\ntimespan: 10m\ncondition: {gte: 4}",
        "type: event_count\nrules: [a, b]\ngroup-by: [g]\ntimespan: 5m\ncondition: {gt: 2}",
        "type: event_count\nrules: [a]\ngroup-by: [g]\ntimespan: 10m\ncondition: {lt: 3}",
        "type: value_count\nrules: [a]\ngroup-by: [g]\ntimespan: 6h\ncondition: {gte: 2, field: v}",
        "type: value_count\nrules: [a]\ngroup-by: [g]\ntimespan: 10m\ncondition: {gt: 2, field: v}",
        "type: value_count\nrules: [a]\ngroup-by: [g]\ntimespan: 10m\ncondition: {lte: 1, field: v}",
        "type: temporal\nrules: [a, b, c]\ngroup-by: [g]\ntimespan: 10m",
        "type: temporal_ordered\nrules: [a, b, c]\ngroup-by: [g]\ntimespan: 10m",
        "type: first_seen\nrules: [a]\ngroup-by: [g, h]\ntimespan: 1h\nbaseline: 2h",
    ];

    /// Random members whose times sit on and around window edges (multiples of five and ten minutes, one
    /// second either side), in few groups, with few values, some events without an id.
    fn members(c: &Correlation, dice: &mut Dice, n: usize) -> Vec<Member> {
        let objects: Vec<Arc<str>> = ["b/2", "a/1", "a/2"].iter().map(|o| Arc::from(*o)).collect();
        (0..n)
            .map(|i| {
                let edge = dice.roll(40) as i64 * 300 + dice.roll(3) as i64 - 1;
                let secs = if dice.roll(4) == 0 {
                    dice.roll(12_000) as i64
                } else {
                    edge
                };
                let group = format!("g{}", dice.roll(6));
                let key: Vec<String> = c
                    .group_by
                    .iter()
                    .enumerate()
                    .map(|(k, _)| {
                        if k == 0 {
                            group.clone()
                        } else {
                            format!("r{}", dice.roll(2))
                        }
                    })
                    .collect();
                let values: Vec<Arc<str>> = (0..dice.roll(3))
                    .map(|_| Arc::from(format!("v{}", dice.roll(4))))
                    .collect();
                let mut values = values;
                values.sort();
                values.dedup();
                Member {
                    rule: dice.roll(c.rules.len() as u64) as usize,
                    time: secs * 1_000_000,
                    key: key.into(),
                    values: values.into(),
                    name: Some(Arc::from(["Get", "Put"][dice.roll(2) as usize])),
                    at: Locator {
                        object: Some(objects[dice.roll(3) as usize].clone()),
                        event_id: (dice.roll(10) != 0).then(|| format!("e{i:04}").into()),
                        kept: None,
                    },
                }
            })
            .collect()
    }

    /// A store for `c` holding `all`.
    fn stored(c: &Correlation, all: &[Member]) -> MemberStore {
        let mut store = MemberStore::new(c);
        for m in all {
            let key: Vec<&str> = m.key.iter().map(String::as_str).collect();
            let values: Vec<&str> = m.values.iter().map(|v| &**v).collect();
            store
                .push(m.rule, m.time, &key, &values, m.name.as_deref(), &m.at)
                .unwrap();
        }
        store
    }

    fn settle(c: &Correlation, members: Vec<Member>, activity: &FirstActivity) -> Vec<Hit> {
        match c.kind {
            CorrType::FirstSeen => c.evaluate_first_seen(members, activity),
            _ => c.evaluate(members),
        }
    }

    #[test]
    fn the_store_settles_every_correlation_type_as_windowing_every_member_does() {
        let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
        let mut pruned = 0;
        for yaml in TYPES {
            let mut fired = 0;
            let c = corr(yaml);
            for round in 0..1000 {
                let n = 1 + dice.roll([6, 40][round % 2]) as usize;
                let all = members(&c, &mut dice, n);
                let mut activity = FirstActivity::default();
                for m in &all {
                    activity.note(m.key.to_vec(), m.time - dice.roll(2) as i64 * 3_600_000_000);
                }
                let store = stored(&c, &all);
                assert_eq!(store.len(), all.len() as u64);
                let kept = store.members(&c, Some(&activity)).unwrap();
                pruned += all.len() - kept.len();
                let expected = summary(settle(&c, all.clone(), &activity));
                let got = summary(settle(&c, kept, &activity));
                fired += usize::from(!expected.is_empty());
                assert_eq!(got, expected, "{yaml} round {round}");
            }
            // Every type fired in some rounds.
            assert!(fired > 0, "{yaml}: no round fired");
        }
        // The summaries did rule groups out (else the store would only have moved memory to a file).
        assert!(pruned > 0);
    }

    #[test]
    fn members_past_the_memory_limit_come_back_from_the_file() {
        let c =
            corr("type: value_count\nrules: [a]\ngroup-by: [g]\ntimespan: 1h\ncondition: {gte: 2, field: v}");
        let mut store = MemberStore::new(&c);
        let object = Some(Arc::from("AWSLogs/1/CloudTrail/us-east-1/2026/01/01/x.json.gz"));
        let n = MEMORY_LIMIT / 60 + 10;
        for i in 0..n {
            let at = Locator {
                object: object.clone(),
                event_id: Some(format!("{i:036}").into()),
                kept: None,
            };
            let group = if i % 1000 == 0 {
                "two-addresses"
            } else {
                "one-address"
            };
            let value = if group == "two-addresses" {
                format!("10.0.0.{}", i % 2000 / 1000)
            } else {
                "10.0.0.9".into()
            };
            store
                .push(0, i as i64, &[group], &[&value], Some("Get"), &at)
                .unwrap();
        }
        assert!(store.spill.on_disk());
        let kept = store.members(&c, None).unwrap();
        // Only the group with two addresses can fire; its members come back whole and in order.
        assert_eq!(kept.len(), n.div_ceil(1000));
        assert!(kept.iter().all(|m| *m.key == ["two-addresses".to_string()]));
        assert_eq!(
            kept[1].at.event_id.as_deref(),
            Some(format!("{:036}", 1000).as_str())
        );
        assert_eq!(kept[1].values[0].as_ref(), "10.0.0.1");
        assert_eq!(kept[1].at.object, object);
        let hits = c.evaluate(kept);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].count, 2);
    }

    const RARE: &str = "type: rare_value\nrules: [a]\ngroup-by: [acct, arn]\nfield: ip\n\
network: {ipv4: 32, ipv6: 56}\ncondition: {lte: 1}\ncommon: 3\ntimespan: 6h";

    /// Gathers `(account, session, address, seconds)` calls in a store for `c`.
    fn gathered(c: &Correlation, calls: &[(&str, &str, &str, i64)]) -> MemberStore {
        let mut store = MemberStore::new(c);
        for (i, (acct, arn, ip, secs)) in calls.iter().enumerate() {
            let at = Locator {
                object: Some(Arc::from("o")),
                event_id: Some(format!("e{i:03}").into()),
                kept: None,
            };
            store
                .push(0, secs * 1_000_000, &[acct, arn], &[ip], Some("X"), &at)
                .unwrap();
        }
        store
    }

    /// The ids of the events of each hit, by group.
    fn fired(c: &Correlation, store: MemberStore) -> Vec<(String, Vec<String>)> {
        let hits = c.evaluate(store.members(c, None).unwrap());
        hits.into_iter()
            .map(|h| {
                let ids = h
                    .events
                    .iter()
                    .map(|m| m.at.event_id.as_deref().unwrap().to_string());
                (h.group[1].1.clone(), ids.collect())
            })
            .collect()
    }

    #[test]
    fn rare_value_fires_on_an_address_only_one_session_uses_beside_shared_egress() {
        let c = corr(RARE);
        let nat = ["52.14.7.9", "52.14.7.10", "3.90.1.2"];
        let mut calls: Vec<(&str, &str, &str, i64)> = Vec::new();
        // Three sessions behind one NAT gateway with three addresses, every session from each of them.
        for (s, arn) in ["i-a", "i-b", "i-c"].iter().enumerate() {
            for (k, ip) in nat.iter().enumerate() {
                calls.push(("1", arn, ip, (s * 10 + k) as i64));
            }
        }
        // Dual-stack: two sessions' own IPv6 addresses, in their VPC's /56.
        calls.push(("1", "i-a", "2600:1f18:4a2b:1c02:8d3e:91f0:2b4c:7a11", 40));
        calls.push(("1", "i-b", "2600:1f18:4a2b:1c05::b", 41));
        // A public instance seen from two addresses of its own (stopped and started): no shared egress.
        calls.push(("1", "i-d", "54.201.7.9", 50));
        calls.push(("1", "i-d", "35.88.2.41", 60));
        // A public dual-stack instance: its own IPv4 address is rare, and the IPv6 block it shares with two
        // other sessions is common, but of the other family: no shared IPv4 egress.
        calls.push(("1", "i-e", "54.201.9.1", 70));
        calls.push(("1", "i-e", "2600:1f18:4a2b:1c07::e", 71));
        calls.push(("1", "i-c", "2600:1f18:4a2b:1c09::c", 72));
        assert!(fired(&c, gathered(&c, &calls)).is_empty());

        // The thief: session i-b's credentials from an address nobody else uses, three calls, then again
        // a day later (a second window).
        let mut stolen = calls.clone();
        for t in [100, 110, 120, 100_000] {
            stolen.push(("1", "i-b", "185.220.101.47", t));
        }
        // The same address in another account is another population: it is rare there too, but that
        // account has no shared egress.
        stolen.push(("2", "i-z", "185.220.101.47", 130));
        let hits = fired(&c, gathered(&c, &stolen));
        let n = calls.len();
        let ids = |r: std::ops::Range<usize>| -> Vec<String> { r.map(|i| format!("e{i:03}")).collect() };
        assert_eq!(
            hits,
            vec![
                ("i-b".to_string(), ids(n..n + 3)),
                ("i-b".to_string(), ids(n + 3..n + 4))
            ]
        );

        // Two sessions from the thief's address: no longer rare under `lte: 1`.
        let mut two = stolen.clone();
        two.push(("1", "i-c", "185.220.101.47", 140));
        assert!(fired(&c, gathered(&c, &two)).is_empty());

        // Without `common`, the public instance's own addresses are rare too.
        let loose = corr(&RARE.replace("common: 3\n", ""));
        let groups: BTreeSet<String> = fired(&loose, gathered(&loose, &calls))
            .into_iter()
            .map(|h| h.0)
            .collect();
        assert_eq!(groups, BTreeSet::from(["i-d".to_string(), "i-e".to_string()]));
    }

    #[test]
    fn a_group_past_the_value_cap_is_not_judged_but_counts_as_a_holder() {
        let c = corr(RARE);
        let roamer: Vec<String> = (0..=VALUES_PER_GROUP).map(|i| format!("198.18.0.{i}")).collect();
        let mut calls: Vec<(&str, &str, &str, i64)> = Vec::new();
        for (k, ip) in roamer.iter().enumerate() {
            calls.push(("1", "proxy", ip, k as i64));
        }
        for arn in ["i-a", "i-b", "i-c"] {
            calls.push(("1", arn, "52.14.7.9", 1000));
        }
        // i-a's second address is also one of the roamer's: held by two groups, not rare.
        calls.push(("1", "i-a", "198.18.0.3", 1001));
        let store = gathered(&c, &calls);
        let roaming = store.roaming(&c);
        assert_eq!(roaming.len(), 1);
        assert_eq!(roaming[0].0[1], "proxy");
        assert!(fired(&c, store).is_empty());
        // Exactly at the cap, a group is judged.
        let mut capped = calls.clone();
        capped.retain(|(_, arn, ip, _)| !(*arn == "proxy" && *ip == roamer[VALUES_PER_GROUP]));
        assert!(gathered(&c, &capped).roaming(&c).is_empty());
    }

    /// Rare values worked out from every member directly, for comparison with the store's summaries.
    fn rare_by_brute_force(c: &Correlation, all: &[Member]) -> Vec<Member> {
        let mut holders: HashMap<(String, String), BTreeSet<Arc<[String]>>> = HashMap::new();
        let mut values: HashMap<Arc<[String]>, BTreeSet<String>> = HashMap::new();
        for m in all {
            for v in m.values.iter() {
                holders
                    .entry((m.key[0].clone(), v.to_string()))
                    .or_default()
                    .insert(m.key.clone());
                values.entry(m.key.clone()).or_default().insert(v.to_string());
            }
        }
        let count = |k: &Arc<[String]>, v: &str| holders[&(k[0].clone(), v.to_string())].len() as u64;
        // A rare value counts when the group also holds a shared value of its family.
        let counts = |k: &Arc<[String]>, v: &str| {
            let vs = &values[k];
            vs.len() <= VALUES_PER_GROUP
                && c.condition.iter().all(|(op, n)| op.holds(count(k, v), *n))
                && (c.rarity.common == 0
                    || vs
                        .iter()
                        .any(|w| count(k, w) >= c.rarity.common && Family::of(w) == Family::of(v)))
        };
        all.iter()
            .filter(|m| values.contains_key(&m.key))
            .filter_map(|m| {
                let rare: Vec<Arc<str>> = m.values.iter().filter(|v| counts(&m.key, v)).cloned().collect();
                (!rare.is_empty()).then(|| Member {
                    values: rare.into(),
                    ..m.clone()
                })
            })
            .collect()
    }

    #[test]
    fn rare_value_through_the_store_matches_working_it_out_from_every_member() {
        let mut dice = Dice(0x2545_f491_4f6c_dd1d);
        for yaml in [
            "type: rare_value\nrules: [a]\ngroup-by: [g, h]\nfield: v\ncondition: {lte: 1}\ncommon: 2\ntimespan: 10m",
            "type: rare_value\nrules: [a]\ngroup-by: [g, h]\nfield: v\ncondition: {lt: 3}\ntimespan: 1h",
        ] {
            let c = corr(yaml);
            let mut fired = 0;
            for round in 0..500 {
                let n = 1 + dice.roll([8, 60][round % 2]) as usize;
                let all = members(&c, &mut dice, n);
                let store = stored(&c, &all);
                let expected = summary(c.evaluate(rare_by_brute_force(&c, &all)));
                let got = summary(c.evaluate(store.members(&c, None).unwrap()));
                fired += usize::from(!expected.is_empty());
                assert_eq!(got, expected, "{yaml} round {round}");
            }
            assert!(fired > 0, "{yaml}: no round fired");
        }
    }
}
