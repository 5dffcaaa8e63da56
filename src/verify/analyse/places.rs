//! Places, each (account, region): the windows its digests cover and those they are known to miss, the
//! oldest log file delivered there, and the newest digests a place has lost (a chain that stops well
//! before the rest of the archive while log files keep arriving).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};

use super::explain::explain;
use super::findings::{finding, hours};
use super::parse::Parsed;
use super::types::LogObject;
use super::{EDGE, TAIL_SLACK_MINUTES};
use crate::verify::digest_name::DigestName;
use crate::verify::finding::{Finding, Status};
use crate::verify::log_hash::TrailEvent;

/// Every place with digests, by (account, region).
pub(super) type Places = BTreeMap<(String, String), Place>;

/// The oldest delivery time of a log file in each (account, region).
pub(super) type OldestLogs = HashMap<(String, String), DateTime<Utc>>;

/// Windows a place's digests say something about.
#[derive(Default)]
pub(super) struct Place {
    /// Each digest's period, with its trail.
    pub(super) covered: Vec<(DateTime<Utc>, DateTime<Utc>, String)>,
    /// Periods whose digests are gone.
    pub(super) missing: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// End of the newest digest.
    pub(super) newest: Option<DateTime<Utc>>,
}

/// What a place's digests say about one moment.
pub(super) enum Class {
    /// A digest of this trail covers it.
    Covered(String),
    /// A digest that is now missing covered it.
    Missing,
    /// It is after the place's newest digest.
    NotYet,
    /// No chain ran then.
    Uncovered,
}

impl Place {
    /// What the place's digests say about the moment `t`.
    pub(super) fn class_at(&self, t: DateTime<Utc>) -> Class {
        if self.missing.iter().any(|(a, b)| *a <= t && t < *b) {
            return Class::Missing;
        }
        if let Some((_, _, trail)) = self.covered.iter().find(|(a, b, _)| *a <= t && t < *b) {
            return Class::Covered(trail.clone());
        }
        match self.newest {
            Some(n) if t >= n => Class::NotYet,
            _ => Class::Uncovered,
        }
    }
}

/// What each (account, region) has digests for.
pub(super) fn of_digests(parsed: &[Parsed]) -> Places {
    let mut places: Places = BTreeMap::new();
    for p in parsed {
        let place = places
            .entry((p.name.account.clone(), p.name.region.clone()))
            .or_default();
        place.covered.push((p.start, p.end, p.name.trail.clone()));
        place.newest = place.newest.max(Some(p.end));
    }
    places
}

/// The oldest delivered log file of each (account, region): how far back a chain's oldest digest is
/// expected to reach.
pub(super) fn oldest_logs(logs: &[LogObject]) -> OldestLogs {
    logs.iter().fold(HashMap::new(), |mut m, l| {
        if let Some(t) = l.delivered {
            let e = m.entry((l.account.clone(), l.region.clone())).or_insert(t);
            *e = (*e).min(t);
        }
        m
    })
}

/// A chain whose newest digest is well behind the archive's freshest, with logs delivered after it,
/// has lost its newest digests: each such place gets a `MissingDigest` finding, and the window is
/// marked missing.
pub(super) fn find_lost_tails(
    parsed: &[Parsed],
    unreferenced: &[&LogObject],
    events: &[TrailEvent],
    places: &mut Places,
    out: &mut Vec<Finding>,
) {
    let Some(freshest) = parsed.iter().map(|p| p.end).max() else {
        return;
    };
    for ((account, region), place) in places.iter_mut() {
        let Some(newest) = place.newest else { continue };
        let late = unreferenced.iter().any(|l| {
            &l.account == account
                && &l.region == region
                && l.delivered
                    .is_some_and(|t| t > newest && t + Duration::minutes(EDGE) < freshest)
        });
        if freshest - newest < Duration::minutes(TAIL_SLACK_MINUTES) || !late {
            continue;
        }
        let count = hours(freshest - newest);
        let trail = place
            .covered
            .iter()
            .rev()
            .find(|c| c.1 == newest)
            .map(|c| c.2.clone());
        let mut f = finding(Status::MissingDigest, "", account, region);
        f.trail = trail.clone();
        f.from = Some(newest);
        f.to = Some(freshest);
        f.count = Some(count);
        let name = DigestName {
            account: account.clone(),
            region: region.clone(),
            trail: trail.unwrap_or_default(),
            home_region: String::new(),
            end: newest,
            backfill: false,
        };
        f.detail = format!(
            "the newest digest here ends at {} while digests elsewhere in the archive run to {} and log files were delivered after it: about {count} newest digest(s) are gone{}",
            newest.to_rfc3339(),
            freshest.to_rfc3339(),
            explain(events, &name, newest - Duration::hours(1), freshest)
        );
        place.missing.push((newest, freshest));
        out.push(f);
    }
}
