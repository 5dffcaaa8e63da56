//! The realistic world (`ctscan-gen --world realistic`): the benign traffic of a coherent organization, so
//! that hunts tuned on generated archives meet the noise of real ones. Per account: EC2 fleets behind NAT
//! gateways with several Elastic IPs, in VPCs some of which are dual-stack or reach services through
//! interface endpoints ([`fleet`], [`vpc`], [`egress`]), an Auto Scaling group of short-lived workers
//! ([`asg`]), CI/CD pipelines federated from GitHub Actions ([`cicd`]) and infrastructure runs touching
//! hundreds of resources in minutes ([`iac`]), a nightly data job reading thousands of objects ([`datajob`]),
//! people through IAM Identity Center, SAML and an identity broker ([`people`], [`logins`]), AWS services
//! scanning and acting ([`services`]), a third-party scanner sweeping every commercial region daily
//! ([`scanner`]), applications reading their own secrets ([`apps`]), a public bucket read anonymously from
//! hundreds of addresses ([`visitors`]); delivered in objects whose sizes vary like real trails ([`plan`]),
//! with a daily rhythm. Deterministic by seed and written in parallel, like the uniform world. `--attacks`
//! adds seven scenarios ([`planted`], [`quiet`]) to the ten.
//!
//! The modules use each other in one direction only. From the bottom up, each line uses only lines above
//! it (and the crate root):
//! - [`common`] (hashing, ids, the record envelope), [`episode`] (what happens at one moment),
//!   [`objects`] (delivery objects and room in them);
//! - [`net`], [`vpc`]: where calls come from;
//! - [`apps`], [`fleet`], [`people`]: who is there, built from the seed alone;
//! - [`org`]: one archive's organization, holding its fleets, workers, people and their sessions;
//! - [`egress`], [`shapes`]: the route of an instance's call; the parameters and responses of calls,
//!   naming the organization's resources;
//! - [`fleet_calls`], [`lambda_calls`], [`people_calls`], [`logins`], [`visitors`]: what each kind of
//!   actor does;
//! - [`services`]: AWS itself, which also assumes the functions' and the instances' roles;
//! - [`cicd`] (deployments, which CloudFormation's service role carries on), [`asg`], [`scanner`],
//!   [`datajob`], [`iac_calls`], [`intrusion`] (what planted attacks share);
//! - [`iac`], [`quiet`] (the three small attacks), then [`planted`] (all seven);
//! - [`plan`]: which object holds what;
//! - `delivery`: the records and key of one object, which this module writes.

pub mod apps;
pub mod asg;
pub mod cicd;
pub mod common;
pub mod datajob;
mod delivery;
pub mod egress;
pub mod episode;
pub mod fleet;
pub mod fleet_calls;
pub mod iac;
pub mod iac_calls;
pub mod intrusion;
pub mod lambda_calls;
pub mod logins;
pub mod net;
pub mod objects;
pub mod org;
pub mod people;
pub mod people_calls;
pub mod plan;
pub mod planted;
pub mod quiet;
pub mod scanner;
pub mod services;
pub mod shapes;
#[cfg(test)]
mod tests;
pub mod visitors;
pub mod vpc;

use std::path::Path;

use rayon::prelude::*;
use serde_json::json;

pub use planted::{
    ANONYMOUS_S3_EVENTS, ANONYMOUS_S3_SMALL_EVENTS, NEW_REGION, NEW_REGION_EVENTS,
    NEW_REGION_KEY_ONLY_EVENTS, REALISTIC_ATTACK_EVENTS, REALISTIC_SCENARIOS, SECRETS_BURST_EVENTS,
    STOLEN_CREDENTIAL_EVENTS, Scenario, TRAIL_LIFECYCLE_EVENTS,
};

use crate::{GenOptions, GenSummary, write_gz};
use delivery::{deliver, deliver_outside};
use org::Org;

/// The ground truth of the seven realistic-only scenarios `opts` plants (with `opts.attacks`), computed
/// without writing anything: account and region, first event time and the events themselves.
pub fn planted(opts: &GenOptions) -> Vec<Scenario> {
    planted::scenarios(&Org::new(opts))
}

/// The organization trail's log bucket of the world `opts` describes (its name says nothing of logs),
/// which CloudTrail checks, an infrastructure run keeps 365 days and a planted attack expires after one.
pub fn log_bucket(opts: &GenOptions) -> String {
    Org::new(opts).log_bucket()
}

/// The deliberately public bucket of the world `opts` describes, read anonymously all along the archive.
pub fn public_bucket(opts: &GenOptions) -> String {
    Org::new(opts).public_bucket()
}

/// The region of the key-only planted scenario (`sa-east-1` unless `opts` uses it): one only the scanner's
/// read-only sweeps touch otherwise.
pub fn quiet_region(opts: &GenOptions) -> &'static str {
    planted::quiet_region(&Org::new(opts))
}

/// Writes the delivery objects of the realistic world under `root`.
pub fn write_logs(opts: &GenOptions, root: &Path) -> std::io::Result<GenSummary> {
    let mut org = Org::new(opts);
    let plan = plan::build(opts, &mut org);
    let org = &org;
    let files = plan.files.len();
    let mut written: Vec<(usize, usize)> = plan
        .files
        .par_iter()
        .enumerate()
        .map(|(i, f)| {
            let (path, records, planted) = deliver(opts, org, f, i, files);
            write_gz(root, &path, &serde_json::to_vec(&json!({ "Records": records }))?)?;
            Ok((records.len(), planted))
        })
        .collect::<std::io::Result<_>>()?;
    for (k, o) in plan.outside.iter().enumerate() {
        let (path, records, planted) = deliver_outside(opts, org, o, k);
        write_gz(root, &path, &serde_json::to_vec(&json!({ "Records": records }))?)?;
        written.push((records.len(), planted));
    }
    Ok(GenSummary {
        log_files: written.len(),
        events: written.iter().map(|w| w.0).sum(),
        attack_events: written.iter().map(|w| w.1).sum(),
        chain_events: 0,
        sibling_files: 0,
        digest_files: 0,
    })
}
