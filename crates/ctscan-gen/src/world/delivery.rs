//! One delivery object of the realistic world: the records its plan entry calls for, in time order (its
//! episodes, background calls by fleets, Auto Scaling workers, functions, AWS services, the public bucket's
//! visitors and whoever of the account's people is at work in its window, and with `--attacks` the planted
//! ones), and the key CloudTrail would write it under; and the objects of regions outside the
//! organization's, which hold only their own records.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::Value;

use super::common::{self, pick, rng_of, weighted};
use super::objects::{FilePlan, Outside, WINDOW};
use super::org::{Org, Worker};
use super::people::Session;
use super::{fleet_calls, lambda_calls, people_calls, planted, services, visitors};
use crate::{GenOptions, attacks, day_dir, service_dir};

/// Who makes a background call.
#[derive(Debug, Clone, Copy)]
enum Actor {
    Fleet,
    Worker,
    Lambda,
    Linked,
    ServiceAssumeRole,
    Person,
    Visitor,
}

/// How long after its launch a worker makes its first background call, in seconds.
const WORKER_BOOT: i64 = 120;

/// One background call by a worker of `workers` at a moment of `f`'s window when it runs (a fleet
/// instance's when none runs long enough in it).
fn worker_call(rng: &mut SmallRng, org: &Org, f: &FilePlan, workers: &[&Worker]) -> Value {
    let w = *pick(rng, workers);
    let from = f.slot.max(w.start + Duration::seconds(WORKER_BOOT));
    let to = f.end().min(w.end);
    if to <= from {
        let t = f.slot + Duration::seconds(rng.random_range(0..WINDOW));
        return fleet_calls::call(rng, org, f.a, f.r, t);
    }
    let t = from + Duration::seconds(rng.random_range(0..(to - from).num_seconds().max(1)));
    fleet_calls::own_call(rng, org, &w.inst, t)
}

/// The background records of object `f`: `n` calls spread over its window by fleets, workers, functions,
/// services, the public bucket's visitors (in its account and region) and whoever of the account's people
/// is working; CloudTrail's own calls first.
fn background(rng: &mut SmallRng, org: &Org, f: &FilePlan, n: usize) -> Vec<Value> {
    let window_end = f.end();
    let working: Vec<(&Session, u32)> = org.sessions[f.a]
        .iter()
        .filter(|s| s.start < window_end && s.end > f.slot)
        .map(|s| (s, if s.r == f.r { 3 } else { 1 }))
        .collect();
    let people_weight = if working.is_empty() {
        0
    } else {
        8 * working.len().min(3) as u32
    };
    let workers: Vec<&Worker> = org.workers[f.a][f.r]
        .iter()
        .filter(|w| w.start + Duration::seconds(WORKER_BOOT) < window_end && w.end > f.slot)
        .collect();
    let public = f.a == 0 && f.r == 0;
    let log_bucket_home = f.a == org.log_account() && f.r == 0;
    let actors = [
        (Actor::Fleet, 36),
        (Actor::Worker, if workers.is_empty() { 0 } else { 8 }),
        (Actor::Lambda, 12),
        (Actor::Linked, 20),
        (Actor::ServiceAssumeRole, 3),
        (Actor::Person, people_weight),
        (Actor::Visitor, if public { 4 } else { 0 }),
    ];
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let t: DateTime<Utc> = f.slot + Duration::seconds(rng.random_range(0..WINDOW));
        if out.is_empty() && n >= 3 {
            out.push(services::cloudtrail_data_key(rng, org, f.a, f.r, t));
            continue;
        }
        // CloudTrail checks its bucket's ACL a few times an hour: once or twice in each of the bucket
        // account's objects.
        let check = match out.len() {
            1 => n >= 4,
            2 => n >= 12 && rng.random_bool(0.5),
            _ => false,
        };
        if check && log_bucket_home {
            out.push(services::cloudtrail_bucket_check(rng, org, t));
            continue;
        }
        let e = match weighted(rng, &actors) {
            Actor::Person => {
                let s = *weighted(rng, &working);
                if s.active(t) {
                    people_calls::call(rng, org, s, f.r, t)
                } else {
                    fleet_calls::call(rng, org, f.a, f.r, t)
                }
            }
            Actor::Visitor => {
                let start = f.slot + Duration::seconds(rng.random_range(0..WINDOW - 60));
                out.extend(visitors::visit(rng, org, start, n - out.len()));
                continue;
            }
            Actor::Fleet => fleet_calls::call(rng, org, f.a, f.r, t),
            Actor::Worker => worker_call(rng, org, f, &workers),
            Actor::Lambda => lambda_calls::call(rng, org, f.a, f.r, t),
            Actor::Linked => services::linked_call(rng, org, f.a, f.r, t),
            Actor::ServiceAssumeRole => services::assume_role_call(rng, org, f.a, f.r, t),
        };
        out.push(e);
    }
    out
}

/// The stolen instance's own calls around the theft, from its usual address.
fn cover(rng: &mut SmallRng, org: &Org) -> Vec<Value> {
    let inst = planted::stolen_instance(org);
    let at = planted::stolen_at(org);
    [-90, -10, 30, 100]
        .iter()
        .map(|&s| fleet_calls::own_call(rng, org, inst, at + Duration::seconds(s)))
        .collect()
}

/// Sorts records by `eventTime`.
fn by_time(records: &mut [Value]) {
    records.sort_by(|a, b| a["eventTime"].as_str().cmp(&b["eventTime"].as_str()));
}

/// The key of an object of account `a` (index) in `region` whose last event is at `last`, named as
/// CloudTrail names it, a few minutes after that.
pub(super) fn object_path(
    opts: &GenOptions,
    rng: &mut SmallRng,
    a: usize,
    account: &str,
    region: &str,
    last: DateTime<Utc>,
) -> String {
    let delivered = last + Duration::minutes(rng.random_range(3..15));
    let base = service_dir(opts.layout, a, account, "CloudTrail");
    let name = format!(
        "{account}_CloudTrail_{region}_{}_{}.json.gz",
        delivered.format("%Y%m%dT%H%MZ"),
        &common::uuid(rng).replace('-', "")[..16]
    );
    format!("{}/{name}", day_dir(&base, region, delivered.date_naive()))
}

/// When the last of `records` happened (`fallback` when there are none).
pub(super) fn last_time(records: &[Value], fallback: DateTime<Utc>) -> DateTime<Utc> {
    records
        .last()
        .and_then(|r| r["eventTime"].as_str())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(fallback, |t| t.with_timezone(&Utc))
}

/// Object `k` of the objects outside the organization's regions: its path, records and how many of them are
/// planted.
pub(super) fn deliver_outside(
    opts: &GenOptions,
    org: &Org,
    o: &Outside,
    k: usize,
) -> (String, Vec<Value>, usize) {
    let mut rng = rng_of(&[opts.seed, 199, k as u64]);
    let mut records = o.records.clone();
    by_time(&mut records);
    let last = last_time(&records, org.start);
    let path = object_path(opts, &mut rng, o.a, &org.accounts[o.a], &o.region, last);
    (path, records, o.planted)
}

/// Object `i` of `files`: its path, records and how many of them are planted.
pub(super) fn deliver(
    opts: &GenOptions,
    org: &Org,
    f: &FilePlan,
    i: usize,
    files: usize,
) -> (String, Vec<Value>, usize) {
    let mut rng = rng_of(&[opts.seed, 197, i as u64]);
    let account = &org.accounts[f.a];
    let region = &org.regions[f.r];
    let mut records = f.episodes.clone();
    if f.cover {
        records.extend(cover(&mut rng, org));
    }
    let n = f.count.saturating_sub(records.len());
    records.extend(background(&mut rng, org, f, n));
    by_time(&mut records);
    let mut planted = 0;
    if opts.attacks {
        // The classic scenarios take their time from the object's first record: a benign one, or in a
        // budget too tiny for any here, a planted one.
        let bare = records.is_empty();
        if bare {
            records.extend(f.attacks.iter().cloned());
        }
        planted += attacks::plant(&mut rng, i, files, &mut records, account, region);
        planted += f.attacks.len();
        if !bare {
            records.extend(f.attacks.iter().cloned());
        }
        by_time(&mut records);
    }
    let last = last_time(&records, f.slot);
    (
        object_path(opts, &mut rng, f.a, account, region, last),
        records,
        planted,
    )
}
