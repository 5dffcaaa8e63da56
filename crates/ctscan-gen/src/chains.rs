//! Credential chains with known attribution, planted by `ctscan-gen --attacks` beside the attack scenarios
//! of [`crate::attacks`], in both worlds.
//!
//! Why this exists: attribution (docs/attribution.md) follows issuing events (`AssumeRole`,
//! `AssumeRoleWithSAML`, `GetSessionToken`, `CreateAccessKey`...) from a credential back to the identity AWS
//! vouches for. Random benign traffic never forms such chains on purpose, so a resolver tested on it would
//! prove nothing. The six chains planted here are built from fixed principals and fixed key ids at fixed
//! times, and [`expected_chains`] says, for every credential they use, what the `sessions` table must hold
//! (kind, originType, originArn, hops, issuerAccessKeyId): integration tests assert the resolver against it.
//!
//! The chains, timed from [`anchor`] `T` (see [`expected_chains`] for the exact keys and ARNs):
//! 1. `T+30m`: IAM user `ana.ribeiro` (long-term key) assumes `deploy-hub` in account A; that session assumes
//!    `cross-account-deployer` in account B (logged in A and in B, one `sharedEventID`); the B session lists
//!    buckets, reads an object, lists users.
//! 2. `T+45m`: IAM Identity Center user `maya.okafor@acme.example` gets `AWSReservedSSO_DataScientist_*` in B
//!    (`AssumeRoleWithSAML` through the `AWSSSO_*` provider), then calls.
//! 3. `T+55m`: SAML user `tomas.berg@acme.example` (Okta) gets `okta-analyst` in A, then calls.
//! 4. `T+65m`: EC2 assumes `reporting-ec2` for instance `i-0c4a1e2b3d5f60718`; the instance calls from inside
//!    AWS (`ec2RoleDelivery` 2.0); at `T+80m` the same key is used from a laptop outside AWS (macOS CLI).
//! 5. `T+90m`: IAM user `priya.shah` creates an access key for user `build-agent` in account C; the new key
//!    calls and assumes `artifact-publisher`, whose session writes and reads artifacts.
//! 6. Before the window: `li.wei` gets a session token (`GetSessionToken`, `T-20h`) and assumes
//!    `billing-admin` (`T-6h`); both credentials (and the user's key) are used only after `T`, so with
//!    `--from T` only the 36-hour lookback finds their issuing events. Beside them, the session
//!    `legacy-batch/nightly-sync` in B, whose `AssumeRole` is in no trail of the archive, is used at `T+10m`.
//!
//! Accounts: A, B and C are the first three accounts ([`crate::account_ids`]), repeating when the archive
//! has fewer (with one account the "cross-account" hop of chain 1 stays in A and is logged once).
//!
//! Tell-tales: the principals and addresses are realistic (offices, CI, AWS services), never
//! [`crate::attacks::ATTACKER_IP`]; every chain event's `eventID` starts with [`EVENT_ID_PREFIX`]
//! (`c4a1000<chain>-`, see [`event_id_prefix`]) and every key id has `CHAIN` after its `AKIA`/`ASIA`. The
//! events go to delivery objects of their own, so the rest of an archive is the same with or without them.

mod builder;
mod calls;
mod cast;
mod keys;
mod people;
#[cfg(test)]
mod tests;
mod truth;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde_json::{Value, json};

pub use truth::{CHAINS, EVENT_ID_PREFIX, ExpectedCredential, LOOKBACK_HOURS, PlantedEvent, event_id_prefix};

use crate::world::common::{hex, rng_of};
use crate::{GenOptions, account_ids, day_dir, service_dir, write_gz};
use builder::Builder;
use keys::{before_the_window, instance_role, key_for_another_user};
use people::{cross_account, identity_center, saml};

/// `T`: the instant the chains are timed from, and the `--from` of scenario 6 (whose issuing events lie
/// 20 and 6 hours before it). Half-way through the archive, but at least 21 hours after its start so that
/// every issuing event is inside it: 2026-03-02T12:00:00Z for the default three days from 2026-03-01.
pub fn anchor(opts: &GenOptions) -> DateTime<Utc> {
    let start = opts.start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let hours = i64::from(opts.days.max(1)) * 24;
    start + Duration::hours((hours / 2).max(21))
}

/// Every chain of `opts`, built in one order: they draw from one generator, so the order is part of the
/// output.
fn build(opts: &GenOptions) -> Builder {
    let mut b = Builder {
        rng: rng_of(&[opts.seed, 211]),
        t: anchor(opts),
        accounts: account_ids(opts.accounts.max(1)),
        events: Vec::new(),
        counters: [0; CHAINS as usize + 1],
        truth: Vec::new(),
    };
    before_the_window(&mut b, opts);
    cross_account(&mut b, opts);
    identity_center(&mut b, opts);
    saml(&mut b, opts);
    instance_role(&mut b, opts);
    key_for_another_user(&mut b, opts);
    b
}

/// The ground truth: every credential the chains of `opts` use, with what the `sessions` table must say
/// about it (see [`ExpectedCredential`]). Scenario 6's issuing events lie before [`anchor`]: a run with
/// `--from <anchor>` must still resolve them through the lookback, except `legacy-batch`'s, which is in
/// no trail and must stay `unresolved`.
pub fn expected_chains(opts: &GenOptions) -> Vec<ExpectedCredential> {
    build(opts).truth
}

/// The events the chains of `opts` plant, with the account index whose trail delivers each.
pub fn events(opts: &GenOptions) -> Vec<PlantedEvent> {
    build(opts).events
}

/// The delivery objects of the chains of `opts`: one per account, region and five minutes, as CloudTrail
/// delivers (path under the archive root, records in time order).
pub fn deliveries(opts: &GenOptions) -> Vec<(String, Vec<Value>)> {
    let mut groups: BTreeMap<(usize, String, i64), Vec<Value>> = BTreeMap::new();
    for p in events(opts) {
        let region = p.event["awsRegion"].as_str().unwrap_or_default().to_string();
        let time = p.event["eventTime"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map_or(0, |t| t.timestamp());
        groups
            .entry((p.a, region, time.div_euclid(300)))
            .or_default()
            .push(p.event);
    }
    let accounts = account_ids(opts.accounts.max(1));
    groups
        .into_iter()
        .enumerate()
        .map(|(i, ((a, region, window), mut records))| {
            records.sort_by(|x, y| x["eventTime"].as_str().cmp(&y["eventTime"].as_str()));
            let mut rng = rng_of(&[opts.seed, 223, i as u64]);
            let end = DateTime::from_timestamp(window * 300 + 300, 0).unwrap_or_default();
            let delivered = end + Duration::minutes(rng.random_range(3..12));
            let account = &accounts[a];
            let base = service_dir(opts.layout, a, account, "CloudTrail");
            let name = format!(
                "{account}_CloudTrail_{region}_{}_{}.json.gz",
                delivered.format("%Y%m%dT%H%MZ"),
                hex(&mut rng, 16)
            );
            (
                format!("{}/{name}", day_dir(&base, &region, delivered.date_naive())),
                records,
            )
        })
        .collect()
}

/// Writes the chains' [`deliveries`] under `root` and returns (objects, events) written.
pub fn write(opts: &GenOptions, root: &Path) -> std::io::Result<(usize, usize)> {
    let objects = deliveries(opts);
    let mut events = 0;
    for (path, records) in &objects {
        write_gz(root, path, &serde_json::to_vec(&json!({ "Records": records }))?)?;
        events += records.len();
    }
    Ok((objects.len(), events))
}
