//! The delivery plan of the realistic world: how many records each object holds (a lognormal-like spread
//! from 1 to ~13 times `--per-file`, whose median is `--per-file`), and which account, region and 5-minute
//! window each object covers: densest in working hours, at least one object per account, region and hour
//! when there are enough, and one wherever an episode (a login, a deployment, a planted attack) happens.
//! Sequential and cheap; the records themselves are written in parallel afterwards.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::Value;

use super::cicd;
use super::common::{key, rng_of};
use super::episode::Part;
use super::logins;
use super::org::Org;
use super::planted::{self, Scenario};
use crate::GenOptions;

/// One delivery object to write.
#[derive(Debug, Clone, Default)]
pub struct FilePlan {
    /// Account index.
    pub a: usize,
    /// Region index.
    pub r: usize,
    /// Start of the 5-minute window its background records fall in.
    pub slot: DateTime<Utc>,
    /// Benign records in it (episode records included).
    pub count: usize,
    /// Episode records it carries.
    pub episodes: Vec<Value>,
    /// Whether it carries the stolen instance's own calls around the theft.
    pub cover: bool,
    /// Planted records it carries (beyond `count`).
    pub attacks: Vec<Value>,
}

/// Everything to write.
#[derive(Debug, Default)]
pub struct Plan {
    /// The delivery objects, in time order.
    pub files: Vec<FilePlan>,
    /// The planted launch in a never-used region (account index and records), written to its own object.
    pub new_region: Option<(usize, Vec<Value>)>,
}

/// Length of one delivery window.
pub const WINDOW: i64 = 300;

/// Share of `--per-file`-sized objects' lognormal spread (sigma of the log).
const SIGMA: f64 = 1.1;

/// Share of tiny objects (1 to 5 records: a quiet region's lone call).
const TINY: f64 = 0.03;

/// Benign records the stolen instance makes in the window of the theft.
pub const COVER_CALLS: usize = 4;

fn normal(rng: &mut SmallRng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Records in one object: 3% tiny, the rest lognormal around `median` (the mixture's median is `median`),
/// never more than 13 times it.
pub fn draw_size(rng: &mut SmallRng, median: usize) -> usize {
    let m = median.max(1) as f64;
    if rng.random_bool(TINY) {
        return rng.random_range(1..=5usize.min(median.max(1)));
    }
    // The tiny share sits below the median, so the lognormal's own median moves up a little.
    let mu = m.ln() + 0.0388 * SIGMA;
    loop {
        let x = (mu + SIGMA * normal(rng)).exp().round();
        if x <= 13.0 * m {
            return (x as usize).max(1);
        }
    }
}

/// Approximate mean of [`draw_size`] over its median.
const MEAN_OVER_MEDIAN: f64 = 1.7;

/// How busy an hour is: working hours most, nights least, weekends less.
fn rhythm(t: DateTime<Utc>) -> f64 {
    let h = t.hour();
    let base = match h {
        8..=17 => 1.0,
        6..=7 | 18..=20 => 0.7,
        _ => 0.45,
    };
    if matches!(t.weekday(), Weekday::Sat | Weekday::Sun) {
        base * 0.7
    } else {
        base
    }
}

fn account_weight(a: usize) -> f64 {
    1.0 / (1.0 + 0.25 * a as f64)
}

fn region_weight(r: usize) -> f64 {
    match r {
        0 => 1.6,
        1 => 1.0,
        _ => 0.7,
    }
}

/// Spreads `m` items over cells by weight (systematic sampling: proportional, deterministic given `u`).
fn allocate(weights: &[f64], m: usize, u: f64) -> Vec<usize> {
    let total: f64 = weights.iter().sum();
    let mut out = vec![0; weights.len()];
    if m == 0 || total <= 0.0 {
        return out;
    }
    let step = total / m as f64;
    let mut cum = 0.0;
    let mut next = u * step;
    let mut placed = 0;
    for (i, w) in weights.iter().enumerate() {
        cum += w;
        while placed < m && next < cum {
            out[i] += 1;
            placed += 1;
            next += step;
        }
    }
    if let Some(last) = out.last_mut() {
        *last += m - placed;
    }
    out
}

fn slot_of(org: &Org, t: DateTime<Utc>) -> i64 {
    ((t - org.start).num_seconds().max(0) / WINDOW).min(i64::from(org.days) * 86_400 / WINDOW - 1)
}

fn keep(seed: u64, n: u64, fraction: f64) -> bool {
    fraction >= 1.0 || (key(&[seed, 191, n]) % 1_000_000) as f64 / 1e6 < fraction
}

/// Plans the archive of `opts` and fills `org.sessions` with the sessions whose logins it keeps.
pub fn build(opts: &GenOptions, org: &mut Org) -> Plan {
    let mut rng = rng_of(&[opts.seed, 193]);
    let median = opts.events_per_file.max(1);
    let estimate = (opts.events as f64 / (median as f64 * MEAN_OVER_MEDIAN)).max(1.0);

    // Episodes, thinned so that small archives stay mostly background.
    let logins = logins::schedule(org);
    let deploys = cicd::schedule(org);
    let episode_events: usize = logins
        .iter()
        .flat_map(|l| &l.0)
        .chain(&deploys)
        .map(|p| p.events.len())
        .sum();
    let episode_parts = logins.iter().map(|l| l.0.len()).sum::<usize>() + deploys.len();
    let fraction = (opts.events as f64 * 0.12 / episode_events.max(1) as f64)
        .min(estimate * 0.3 / episode_parts.max(1) as f64)
        .min(1.0);
    let mut parts: Vec<Part> = Vec::new();
    for (n, (login, session)) in logins.into_iter().enumerate() {
        if keep(opts.seed, n as u64, fraction) {
            org.sessions[session.a].push(session);
            parts.extend(login);
        }
    }
    for (n, deploy) in deploys.into_iter().enumerate() {
        if keep(opts.seed, 1_000_000 + n as u64, fraction) {
            parts.push(deploy);
        }
    }
    for sessions in &mut org.sessions {
        sessions.sort_by_key(|s| s.start);
    }
    let org: &Org = org;

    // Objects that must exist: one per (account, region, window) holding episode or planted records.
    let mut forced: BTreeMap<(usize, usize, i64), FilePlan> = BTreeMap::new();
    let mut entry = |org: &Org, a: usize, r: usize, t: DateTime<Utc>| -> (usize, usize, i64) {
        let s = slot_of(org, t);
        forced.entry((a, r, s)).or_insert_with(|| FilePlan {
            a,
            r,
            slot: org.start + Duration::seconds(s * WINDOW),
            ..FilePlan::default()
        });
        (a, r, s)
    };
    let mut keys = Vec::new();
    for p in &parts {
        keys.push((entry(org, p.a, p.r, p.time), p));
    }
    let mut new_region = None;
    let mut planted_keys = Vec::new();
    if opts.attacks {
        for Scenario {
            a,
            r,
            time,
            events,
            name,
        } in planted::scenarios(org)
        {
            match r {
                Some(r) => planted_keys.push((entry(org, a, r, time), events, name)),
                None => {
                    // However sparse the archive, the account has history from its first hour on.
                    entry(org, a, 0, org.start + Duration::seconds(WINDOW));
                    new_region = Some((a, events));
                }
            }
        }
    }
    for (k, p) in keys {
        if let Some(f) = forced.get_mut(&k) {
            f.episodes.extend(p.events.iter().cloned());
        }
    }
    for (k, events, name) in planted_keys {
        if let Some(f) = forced.get_mut(&k) {
            f.attacks.extend(events);
            f.cover |= name == "stolen_instance_credentials";
        }
    }

    // Sizes: forced objects first (at least what they carry), then the background objects.
    let mut forced: Vec<FilePlan> = forced.into_values().collect();
    let minimum = |f: &FilePlan| (f.episodes.len() + if f.cover { COVER_CALLS } else { 0 }).max(1);
    for f in &mut forced {
        f.count = draw_size(&mut rng, median).max(minimum(f));
    }
    let mut total: usize = forced.iter().map(|f| f.count).sum();
    for f in forced.iter_mut().rev() {
        if total <= opts.events {
            break;
        }
        let cut = (total - opts.events).min(f.count - minimum(f));
        f.count -= cut;
        total -= cut;
    }
    let remaining = opts.events.saturating_sub(total);
    let mut sizes = Vec::new();
    let mut sum = 0;
    while sum < remaining {
        let s = draw_size(&mut rng, median).min(remaining - sum);
        sizes.push(s);
        sum += s;
    }

    // Background objects over (account, region, hour) cells by weight, at least one per cell if possible.
    let (accounts, regions, hours) = (org.accounts.len(), org.regions.len(), org.days as usize * 24);
    let mut cells = Vec::with_capacity(accounts * regions * hours);
    let mut weights = Vec::with_capacity(cells.capacity());
    for h in 0..hours {
        let t = org.start + Duration::hours(h as i64);
        for a in 0..accounts {
            for r in 0..regions {
                cells.push((a, r, h));
                weights.push(rhythm(t) * account_weight(a) * region_weight(r));
            }
        }
    }
    let n = sizes.len();
    let mut counts = vec![0; cells.len()];
    let extra = if n >= cells.len() {
        counts.iter_mut().for_each(|c| *c = 1);
        n - cells.len()
    } else {
        n
    };
    let u: f64 = rng.random();
    for (c, e) in counts.iter_mut().zip(allocate(&weights, extra, u)) {
        *c += e;
    }
    let mut placed: Vec<(f64, FilePlan)> = Vec::with_capacity(n);
    for ((&(a, r, h), &k), &w) in cells.iter().zip(&counts).zip(&weights) {
        let mut minutes: Vec<i64> = (0..12).collect();
        for i in (1..12).rev() {
            minutes.swap(i, rng.random_range(0..=i));
        }
        for j in 0..k {
            let slot = org.start + Duration::hours(h as i64) + Duration::seconds(minutes[j % 12] * WINDOW);
            let score = w.ln() + 1.2 * normal(&mut rng);
            placed.push((
                score,
                FilePlan {
                    a,
                    r,
                    slot,
                    ..FilePlan::default()
                },
            ));
        }
    }
    // Busier hours get the bigger objects (more activity, not only more objects).
    placed.sort_by(|x, y| y.0.total_cmp(&x.0));
    sizes.sort_unstable_by(|x, y| y.cmp(x));
    let mut files: Vec<FilePlan> = placed
        .into_iter()
        .zip(sizes)
        .map(|((_, mut f), s)| {
            f.count = s;
            f
        })
        .chain(forced)
        .collect();
    files.sort_by_key(|f| (f.slot, f.a, f.r));
    Plan { files, new_region }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_proportional_and_complete() {
        let got = allocate(&[1.0, 3.0, 0.0, 4.0], 16, 0.5);
        assert_eq!(got.iter().sum::<usize>(), 16);
        assert_eq!(got, vec![2, 6, 0, 8]);
        assert_eq!(allocate(&[1.0, 1.0], 0, 0.3), vec![0, 0]);
    }

    #[test]
    fn sizes_have_the_requested_median_and_a_long_tail() {
        let mut rng = rng_of(&[5]);
        let mut s: Vec<usize> = (0..20_000).map(|_| draw_size(&mut rng, 100)).collect();
        s.sort_unstable();
        let median = s[s.len() / 2];
        assert!((90..=110).contains(&median), "median {median}");
        assert_eq!(s[0], 1);
        assert!(*s.last().unwrap() > 1000 && *s.last().unwrap() <= 1300);
        let mean = s.iter().sum::<usize>() as f64 / s.len() as f64 / 100.0;
        assert!(
            (MEAN_OVER_MEDIAN - 0.25..MEAN_OVER_MEDIAN + 0.25).contains(&mean),
            "mean/median {mean}"
        );
    }
}
