//! The builder every chain writes through: it records the chains' events, numbered per chain, and the
//! ground truth beside them, so that the two cannot drift apart.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::SmallRng;

use super::truth::{CHAINS, ExpectedCredential, PlantedEvent, event_id_prefix};
use crate::world::common::{Api, Who, record, uuid};

/// Builds the chains' events and their ground truth together, so the two cannot drift apart.
pub(super) struct Builder {
    /// Draws what is random in the records (request ids, tokens, sizes).
    pub(super) rng: SmallRng,
    /// The chains' anchor `T`, which every time is relative to.
    pub(super) t: DateTime<Utc>,
    /// The archive's account ids.
    pub(super) accounts: Vec<String>,
    /// The events recorded so far.
    pub(super) events: Vec<PlantedEvent>,
    /// The last event number of each chain.
    pub(super) counters: [u64; CHAINS as usize + 1],
    /// The ground truth recorded so far.
    pub(super) truth: Vec<ExpectedCredential>,
}

/// `t` plus `seconds`.
pub(super) fn at(t: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    t + Duration::seconds(seconds)
}

impl Builder {
    /// The next `eventID` of `chain`.
    pub(super) fn next_id(&mut self, chain: u8) -> String {
        let n = &mut self.counters[chain as usize];
        *n += 1;
        format!("{}0000-4000-8000-{:012}", event_id_prefix(chain), *n)
    }

    /// Records `w` calling `api` at `T + seconds` in account `a`, region `region`; returns the `eventID`.
    pub(super) fn emit(
        &mut self,
        chain: u8,
        a: usize,
        region: &str,
        seconds: i64,
        w: &Who,
        api: Api,
    ) -> String {
        let time = at(self.t, seconds);
        let account = self.accounts[a].clone();
        let mut e = record(&mut self.rng, time, &account, region, w, api);
        let id = self.next_id(chain);
        e["eventID"] = id.clone().into();
        if w.service {
            e["sharedEventID"] = uuid(&mut self.rng).into();
        }
        self.events.push(PlantedEvent { a, event: e });
        id
    }

    /// Records what attribution must say about credential `key` (times relative to `T`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn expect(
        &mut self,
        chain: u8,
        key: &'static str,
        kind: &'static str,
        origin: (&'static str, String),
        hops: u32,
        issuer: Option<&'static str>,
        role: Option<String>,
        principal_arn: String,
        a: usize,
        issued: Option<(i64, String)>,
        first_used: i64,
    ) {
        let issued_at = issued.as_ref().map(|(s, _)| at(self.t, *s));
        self.truth.push(ExpectedCredential {
            chain,
            access_key_id: key,
            kind,
            origin_type: origin.0,
            origin_arn: origin.1,
            hops,
            issuer_access_key_id: issuer,
            role_arn: role,
            principal_arn,
            account: self.accounts[a].clone(),
            issued_at,
            issued_by_event_id: issued.map(|(_, id)| id),
            first_used: at(self.t, first_used),
        });
    }
}

/// Seconds in a minute, for times relative to `T`.
pub(super) const MIN: i64 = 60;
/// Seconds in an hour, for times relative to `T`.
pub(super) const HOUR: i64 = 3600;
