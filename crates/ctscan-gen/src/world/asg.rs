//! Auto Scaling churn: every account and region has a group of short-lived batch workers that Auto Scaling
//! launches and terminates all day (each runs 10 to 60 minutes). Auto Scaling's service-linked role calls
//! `RunInstances` and `TerminateInstances` (`invokedBy` and source `autoscaling.amazonaws.com`); EC2 hands
//! each worker its instance profile's credentials, and the worker calls with its own session
//! (`assumed-role/batch-worker-asg/i-...`) through its zone's NAT gateway like any private instance. The
//! number of workers follows the event budget; launches go into objects with room ([`Slots`]) and the
//! workers' later calls are background ([`super::delivery`]).

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::common::{Api, hex, key, record, rng_of, uuid};
use super::fleet::{self, Instance};
use super::fleet_calls;
use super::objects::{FilePlan, Slots, WINDOW};
use super::org::{Org, Worker};
use super::services::{self, LINKED};

/// Share of `--events` the launches and terminations take (the workers' own calls come on top, from the
/// background).
pub const SHARE: f64 = 0.05;

/// Records of one launch: `RunInstances`, EC2's `AssumeRole` of the profile, two calls as the worker boots.
const LAUNCH_EVENTS: usize = 4;

/// Shortest and longest life of a worker, in seconds.
const LIFE: (i64, i64) = (600, 3600);

/// The Auto Scaling group of account `a` in region `r`.
pub fn group(org: &Org, a: usize, r: usize) -> String {
    format!(
        "batch-workers-{:08x}",
        key(&[org.seed, 239, a as u64, r as u64]) >> 32
    )
}

/// One worker to launch: the worker and the objects holding its launch and (if any) termination.
#[derive(Debug)]
pub struct Launch {
    /// The worker.
    pub worker: Worker,
    /// Its number in its group.
    pub k: usize,
    /// Index of the object its launch goes into.
    pub launch: usize,
    /// Index of the object its termination goes into, when an object of its account and region covers
    /// that moment.
    pub end: Option<usize>,
}

/// Workers per (account, region) the budget of `events` allows.
fn per_cell(org: &Org, events: usize) -> usize {
    let cells = org.accounts.len() * org.regions.len();
    (events as f64 * SHARE / (LAUNCH_EVENTS + 1) as f64) as usize / cells.max(1)
}

/// Chooses the workers' launches and terminations among `files`' windows (each launch where an object has
/// room for it, each termination 10 to 60 minutes later), for a budget of `events`.
pub fn book(org: &Org, events: usize, files: &[FilePlan]) -> Vec<Launch> {
    let slots = Slots::new(files);
    let mut room: Vec<usize> = files.iter().map(FilePlan::room).collect();
    let n = per_cell(org, events);
    let mut out = Vec::new();
    for a in 0..org.accounts.len() {
        for r in 0..org.regions.len() {
            let mut rng = rng_of(&[org.seed, 241, a as u64, r as u64]);
            let cell = slots.cell(a, r);
            for k in 0..n {
                let Some(launch) = (0..8)
                    .map(|_| cell.get(rng.random_range(0..cell.len().max(1))).copied())
                    .find(|i| i.is_some_and(|i| room[i] >= LAUNCH_EVENTS))
                    .flatten()
                else {
                    continue;
                };
                room[launch] -= LAUNCH_EVENTS;
                let start = files[launch].slot + Duration::seconds(rng.random_range(0..WINDOW / 2));
                let (lo, hi) = (
                    start + Duration::seconds(LIFE.0),
                    start + Duration::seconds(LIFE.1),
                );
                let later: Vec<usize> = slots
                    .within(files, (a, r), lo - Duration::seconds(WINDOW - 1), hi, 1)
                    .into_iter()
                    .filter(|&i| i != launch && room[i] >= 1)
                    .collect();
                let end_file = (!later.is_empty()).then(|| later[rng.random_range(0..later.len())]);
                let end = match end_file {
                    Some(i) => {
                        room[i] -= 1;
                        let from = files[i].slot.max(lo);
                        let to = files[i].end().min(hi);
                        from + Duration::seconds(rng.random_range(0..(to - from).num_seconds().max(1)))
                    }
                    None => start + Duration::seconds(rng.random_range(LIFE.0..=LIFE.1)),
                };
                let mut inst = fleet::worker(org.seed, a, r, k);
                inst.phase = (start - org.start).num_seconds().rem_euclid(inst.period);
                out.push(Launch {
                    worker: Worker { inst, start, end },
                    k,
                    launch,
                    end: end_file,
                });
            }
        }
    }
    out
}

/// The workers of `launches` by account, then region, sorted by launch: what [`Org::workers`] holds.
pub fn workers(org: &Org, launches: &[Launch]) -> Vec<Vec<Vec<Worker>>> {
    let mut out = vec![vec![Vec::new(); org.regions.len()]; org.accounts.len()];
    for l in launches {
        out[l.worker.inst.a][l.worker.inst.r].push(l.worker.clone());
    }
    for list in out.iter_mut().flatten() {
        list.sort_by_key(|w| w.start);
    }
    out
}

fn subnet(org: &Org, inst: &Instance) -> String {
    format!(
        "subnet-0{:016x}",
        key(&[org.seed, 243, inst.a as u64, inst.r as u64, inst.zone as u64]) >> 4
    )
}

fn zone_name(org: &Org, inst: &Instance) -> String {
    format!("{}{}", org.regions[inst.r], ['a', 'b', 'c'][inst.zone % 3])
}

/// Auto Scaling's `RunInstances` of worker `w`.
fn run_instances(rng: &mut SmallRng, org: &Org, w: &Worker) -> Value {
    let inst = &w.inst;
    let account = &org.accounts[inst.a];
    let template = format!(
        "lt-0{:016x}",
        key(&[org.seed, 247, inst.a as u64, inst.r as u64]) >> 4
    );
    let profile = org
        .role_arn(inst.a, "/", fleet::WORKER_ROLE)
        .replace(":role/", ":instance-profile/");
    let api = Api::new("ec2.amazonaws.com", "RunInstances", false)
        .params(json!({
            "instancesSet": {"items": [{"minCount": 1, "maxCount": 1}]},
            "launchTemplate": {"launchTemplateId": template, "version": "12"},
            "subnetId": subnet(org, inst),
            "clientToken": uuid(rng),
            "tagSpecificationSet": {"items": [{"resourceType": "instance",
                "tags": [{"key": "aws:autoscaling:groupName", "value": group(org, inst.a, inst.r)}]}]},
        }))
        .response(json!({
            "requestId": uuid(rng), "reservationId": format!("r-0{}", hex(rng, 16)), "ownerId": account,
            "requesterId": "940372691376",
            "instancesSet": {"items": [{"instanceId": inst.id, "imageId": format!("ami-0{:016x}", key(&[org.seed, 251]) >> 4),
                "currentState": {"code": 0, "name": "pending"}, "privateIpAddress": inst.private_ip,
                "subnetId": subnet(org, inst), "vpcId": inst.vpc, "instanceType": "c6i.xlarge",
                "placement": {"availabilityZone": zone_name(org, inst), "tenancy": "default"},
                "iamInstanceProfile": {"arn": profile, "id": format!("AIPA{}", &org.role_id(inst.a, fleet::WORKER_ROLE)[4..])},
                "monitoring": {"state": "disabled"}, "architecture": "x86_64", "rootDeviceType": "ebs"}]},
        }));
    autoscaling_record(rng, org, inst, w.start, api)
}

/// Auto Scaling's `TerminateInstances` of worker `w`.
fn terminate_instances(rng: &mut SmallRng, org: &Org, w: &Worker) -> Value {
    let id = &w.inst.id;
    let api = Api::new("ec2.amazonaws.com", "TerminateInstances", false)
        .params(json!({"instancesSet": {"items": [{"instanceId": id}]}}))
        .response(json!({"requestId": uuid(rng), "instancesSet": {"items": [{"instanceId": id,
            "currentState": {"code": 32, "name": "shutting-down"}, "previousState": {"code": 16, "name": "running"}}]}}));
    autoscaling_record(rng, org, &w.inst, w.end, api)
}

fn autoscaling_record(
    rng: &mut SmallRng,
    org: &Org,
    inst: &Instance,
    time: DateTime<Utc>,
    api: Api,
) -> Value {
    let svc = LINKED
        .iter()
        .find(|s| s.principal == "autoscaling.amazonaws.com")
        .unwrap_or(&LINKED[0]);
    let who = services::linked_who(org, inst.a, inst.r, svc, time);
    record(rng, time, &org.accounts[inst.a], &org.regions[inst.r], &who, api)
}

/// The records of worker `w`'s launch: Auto Scaling launches it, EC2 assumes its profile's role, and the
/// worker reports to SSM and reads its tags as it boots.
fn launch_records(rng: &mut SmallRng, org: &Org, w: &Worker) -> Vec<Value> {
    let inst = &w.inst;
    let (a, r) = (inst.a, inst.r);
    let assume_at = w.start + Duration::seconds(rng.random_range(25..50));
    let (key, _) = fleet_calls::credentials(org, a, r, inst, assume_at);
    let arn = org.role_arn(a, "/", fleet::WORKER_ROLE);
    let boot = w.start + Duration::seconds(rng.random_range(60..90));
    let tags = boot + Duration::seconds(rng.random_range(5..40));
    vec![
        run_instances(rng, org, w),
        services::service_assume_role(
            rng,
            org,
            a,
            r,
            assume_at,
            "ec2.amazonaws.com",
            &arn,
            &inst.id,
            &key,
        ),
        fleet_calls::named_call(
            rng,
            org,
            inst,
            boot,
            ("ssm.amazonaws.com", "UpdateInstanceInformation"),
        ),
        fleet_calls::named_call(rng, org, inst, tags, ("ec2.amazonaws.com", "DescribeTags")),
    ]
}

/// Writes the launches and terminations of `launches` into the objects they were booked in.
pub fn write(org: &Org, launches: &[Launch], files: &mut [FilePlan]) {
    for l in launches {
        let inst = &l.worker.inst;
        let mut rng = rng_of(&[org.seed, 253, inst.a as u64, inst.r as u64, l.k as u64]);
        files[l.launch]
            .episodes
            .extend(launch_records(&mut rng, org, &l.worker));
        if let Some(i) = l.end {
            files[i]
                .episodes
                .push(terminate_instances(&mut rng, org, &l.worker));
        }
    }
}
