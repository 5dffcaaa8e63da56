//! The delivery plan of the realistic world: how many records each object holds (a lognormal-like spread
//! from 1 to ~13 times `--per-file`, whose median is `--per-file`), and which account, region and 5-minute
//! window each object covers: densest in working hours, at least one object per account, region and hour
//! when there are enough, and one wherever an episode (a login, a deployment, an infrastructure run, the
//! nightly data job, a planted attack) happens, several side by side when an episode is large. The budget
//! of `--events` goes to episodes first (logins and deployments thinned to about 12%, infrastructure runs
//! up to [`iac::SHARE`], the data job up to [`datajob::SHARE`]), to the scanner's objects in regions the
//! organization does not use ([`scanner::SHARE`] with its sweeps elsewhere), and the rest to background
//! objects; then the scanner's sweeps in the organization's regions and the Auto Scaling launches
//! ([`asg::SHARE`]) take room in objects near their moment. Sequential and cheap; the records themselves
//! are written in parallel afterwards.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use rand::Rng;
use rand::rngs::SmallRng;

use super::common::{key, rng_of};
use super::episode::Part;
use super::objects::{COVER_CALLS, FilePlan, Outside, WINDOW};
use super::org::Org;
use super::planted::{self, Scenario};
use super::{asg, cicd, datajob, iac, logins, scanner};
use crate::GenOptions;

/// Everything to write.
#[derive(Debug, Default)]
pub struct Plan {
    /// The delivery objects, in time order.
    pub files: Vec<FilePlan>,
    /// The objects of regions outside the organization's: the scanner's sweeps there, and the planted
    /// events there (each planted scenario outside in an object of its own).
    pub outside: Vec<Outside>,
}

/// Share of `--per-file`-sized objects' lognormal spread (sigma of the log).
const SIGMA: f64 = 1.1;

/// Share of tiny objects (1 to 5 records: a quiet region's lone call).
const TINY: f64 = 0.03;

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

/// Objects side by side in one window hold up to this many times `--per-file` episode records each.
const LANE: usize = 6;

/// The logins and deployments of the archive, thinned so that small archives stay mostly background; the
/// sessions of the logins kept go into `org.sessions`.
fn thinned_episodes(opts: &GenOptions, org: &mut Org) -> Vec<Part> {
    let median = opts.events_per_file.max(1);
    let estimate = (opts.events as f64 / (median as f64 * MEAN_OVER_MEDIAN)).max(1.0);
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
    parts
}

/// The objects that must exist, keyed by account, region, window and lane: one per window holding
/// episode or planted records, more side by side when a window's episodes exceed `cap` records.
#[derive(Default)]
struct Forced {
    files: BTreeMap<(usize, usize, i64, usize), FilePlan>,
    lanes: BTreeMap<(usize, usize, i64), (usize, usize)>,
}

impl Forced {
    /// The object of account `a`, region `r` at `t` taking `records` more episode records.
    fn entry(
        &mut self,
        org: &Org,
        a: usize,
        r: usize,
        t: DateTime<Utc>,
        records: usize,
        cap: usize,
    ) -> &mut FilePlan {
        let s = slot_of(org, t);
        let (lane, load) = self.lanes.entry((a, r, s)).or_insert((0, 0));
        if *load > 0 && *load + records > cap {
            *lane += 1;
            *load = 0;
        }
        *load += records;
        self.files.entry((a, r, s, *lane)).or_insert_with(|| FilePlan {
            a,
            r,
            slot: org.start + Duration::seconds(s * WINDOW),
            ..FilePlan::default()
        })
    }
}

/// Plans the archive of `opts`: fills `org.sessions` with the sessions whose logins it keeps and
/// `org.workers` with the Auto Scaling workers it launches.
pub fn build(opts: &GenOptions, org: &mut Org) -> Plan {
    let parts = thinned_episodes(opts, org);
    let mut plan = layout(opts, org, parts);
    scanner::attach(org, opts.events, &mut plan.files);
    let launches = asg::book(org, opts.events, &plan.files);
    org.workers = asg::workers(org, &launches);
    asg::write(org, &launches, &mut plan.files);
    plan
}

/// Lays out the objects: the forced ones around `parts` (and the infrastructure runs, the data job and,
/// with `--attacks`, the planted scenarios), the scanner's outside the organization's regions, and the
/// background ones over every account, region and hour; sized to `--events` benign records in all.
fn layout(opts: &GenOptions, org: &Org, mut parts: Vec<Part>) -> Plan {
    let mut rng = rng_of(&[opts.seed, 193]);
    let median = opts.events_per_file.max(1);
    parts.extend(iac::schedule(org, opts.events));
    parts.extend(datajob::schedule(org, opts.events));
    let mut outside = scanner::outside(org, opts.events);
    let outside_benign: usize = outside.iter().map(|o| o.records.len()).sum();

    let cap = LANE * median;
    let mut forced = Forced::default();
    for p in parts {
        let n = p.events.len();
        forced
            .entry(org, p.a, p.r, p.time, n, cap)
            .episodes
            .extend(p.events);
    }
    if opts.attacks {
        for Scenario {
            a,
            r,
            region,
            time,
            events,
            name,
        } in planted::scenarios(org)
        {
            match r {
                Some(r) => {
                    let f = forced.entry(org, a, r, time, 0, cap);
                    f.attacks.extend(events);
                    f.cover |= name == "stolen_instance_credentials";
                }
                None => {
                    // However sparse the archive, the account has history from its first hour on.
                    forced.entry(org, a, 0, org.start + Duration::seconds(WINDOW), 0, cap);
                    outside.push(Outside {
                        a,
                        region,
                        planted: events.len(),
                        records: events,
                    });
                }
            }
        }
    }

    // Sizes: forced objects first (at least what they carry), then the background objects.
    let mut forced: Vec<FilePlan> = forced.files.into_values().collect();
    let minimum = |f: &FilePlan| (f.episodes.len() + if f.cover { COVER_CALLS } else { 0 }).max(1);
    for f in &mut forced {
        f.count = draw_size(&mut rng, median).max(minimum(f));
    }
    let budget = opts.events.saturating_sub(outside_benign);
    let mut total: usize = forced.iter().map(|f| f.count).sum();
    // In a tiny budget, objects carrying planted records may hold no benign record at all.
    let bare = |f: &FilePlan| {
        let carried = f.episodes.len() + if f.cover { COVER_CALLS } else { 0 };
        if f.attacks.is_empty() {
            carried.max(1)
        } else {
            carried
        }
    };
    for floor in [&minimum as &dyn Fn(&FilePlan) -> usize, &bare] {
        for f in forced.iter_mut().rev() {
            if total <= budget {
                break;
            }
            let cut = (total - budget).min(f.count - floor(f));
            f.count -= cut;
            total -= cut;
        }
    }
    let remaining = budget.saturating_sub(total);
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
    Plan { files, outside }
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
