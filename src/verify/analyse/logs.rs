//! Log files: each one a digest lists checked against the hash the digest gives, each one no digest lists
//! placed (added later, not yet digested, delivered while a digest is missing or while no chain ran), and
//! the long silences of places without digests.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use super::EDGE;
use super::explain::explain;
use super::findings::finding;
use super::parse::{Parsed, rel, time};
use super::places::{Class, Place, Places};
use super::types::{LogFault, LogObject};
use crate::verify::digest::LogFileRef;
use crate::verify::digest_name::DigestName;
use crate::verify::finding::{Finding, Status};
use crate::verify::log_hash::TrailEvent;

/// The delivery times of the log files of each place that has no digests.
pub(super) type Silent = BTreeMap<(String, String), Vec<DateTime<Utc>>>;

/// Checks every log file a digest lists (and that was within what was listed) against the digest's hash,
/// given each digest's signature `verdict`; returns the keys of the log files some digest lists.
pub(super) fn check_listed<'a>(
    parsed: &[Parsed],
    verdict: &[Status],
    logs: &'a [LogObject],
    listed: &dyn Fn(&str) -> bool,
    out: &mut Vec<Finding>,
) -> HashSet<&'a str> {
    let logs: HashMap<&str, &LogObject> = logs.iter().map(|l| (rel(&l.key), l)).collect();
    let mut referenced: HashSet<&str> = HashSet::new();
    for (i, p) in parsed.iter().enumerate() {
        let v = verdict[i];
        for lf in &p.body.log_files {
            let key = rel(&lf.s3_object);
            if !listed(key) {
                continue;
            }
            let log = logs.get(key).copied();
            if let Some(l) = log {
                referenced.insert(rel(&l.key));
            }
            let mut f = finding(Status::VerifiedLog, key, &p.name.account, &p.name.region);
            f.trail = Some(p.name.trail.clone());
            f.from = lf.oldest_event_time.as_deref().and_then(time).or(Some(p.start));
            f.to = lf.newest_event_time.as_deref().and_then(time).or(Some(p.end));
            f.digest = Some(p.key.clone());
            (f.status, f.detail) = listed_verdict(p, v, lf, log);
            out.push(f);
        }
    }
    referenced
}

/// The verdict on one log file `lf` that digest `p` (whose signature verdict is `v`) lists, and the log
/// file as read, if it was.
fn listed_verdict(p: &Parsed, v: Status, lf: &LogFileRef, log: Option<&LogObject>) -> (Status, String) {
    let unchecked = v != Status::ValidDigest;
    match (v, log) {
        (Status::InvalidSignature | Status::BadFormat, _) => (
            Status::UnverifiableLog,
            format!("listed only by {}, whose signature does not verify", p.key),
        ),
        (_, None) => (
            Status::MissingLog,
            format!(
                "{} lists it (SHA-256 {}){}",
                p.key,
                lf.hash_value,
                if unchecked {
                    "; that digest's signature could not be checked"
                } else {
                    ""
                }
            ),
        ),
        (_, Some(l)) => match &l.hash {
            Err(LogFault::Unreadable(e)) => (Status::UnverifiableLog, format!("cannot be read: {e}")),
            Err(LogFault::Corrupt(e)) => (
                Status::HashMismatch,
                format!("not the gzip file CloudTrail wrote: {e}"),
            ),
            Ok(h) if h.sha256 != lf.hash_value => {
                let detail = if h.first_member_sha256.as_deref() == Some(lf.hash_value.as_str()) {
                    format!(
                        "its first gzip member is what {} lists, but {} more member(s) were appended after it",
                        p.key,
                        h.members - 1
                    )
                } else {
                    format!(
                        "SHA-256 of its decompressed bytes is {}; {} lists {}",
                        h.sha256, p.key, lf.hash_value
                    )
                };
                (Status::HashMismatch, detail)
            }
            Ok(h) if h.members > 1 => (
                Status::HashMismatch,
                format!(
                    "its decompressed bytes match, but it is stored as {} gzip members where CloudTrail writes one: it was re-compressed",
                    h.members
                ),
            ),
            Ok(_) if unchecked => (
                Status::UnverifiableLog,
                format!(
                    "SHA-256 matches {}, whose signature could not be checked ({v})",
                    p.key
                ),
            ),
            Ok(_) => (Status::VerifiedLog, format!("SHA-256 matches {}", p.key)),
        },
    }
}

/// The log files no digest lists, in the order they were read.
pub(super) fn unreferenced<'a>(logs: &'a [LogObject], referenced: &HashSet<&str>) -> Vec<&'a LogObject> {
    logs.iter()
        .filter(|l| !referenced.contains(rel(&l.key)))
        .collect()
}

/// Places every log file no digest lists by what its place's digests say about its delivery time;
/// returns the delivery times of those in places without digests, for [`delivery_gaps`].
pub(super) fn place_unreferenced(
    unreferenced: &[&LogObject],
    places: &Places,
    out: &mut Vec<Finding>,
) -> Silent {
    let mut silent: Silent = BTreeMap::new();
    for l in unreferenced {
        let place = places.get(&(l.account.clone(), l.region.clone()));
        let mut f = finding(Status::UncoveredLog, &l.key, &l.account, &l.region);
        f.from = l.delivered;
        f.to = l.delivered;
        let Some(place) = place else {
            f.detail = "no digest exists for this account and region".into();
            if let Some(t) = l.delivered {
                silent
                    .entry((l.account.clone(), l.region.clone()))
                    .or_default()
                    .push(t);
            }
            out.push(f);
            continue;
        };
        let Some(t) = l.delivered else {
            f.detail = "its name gives no delivery time, so no digest period can be matched to it".into();
            out.push(f);
            continue;
        };
        place_at(place, t, &mut f);
        out.push(f);
    }
    silent
}

/// Sets the status, detail (and, when covered, trail) of finding `f` about a log file delivered at `t` in
/// `place`, probing a few minutes either side since log names carry only the minute.
fn place_at(place: &Place, t: DateTime<Utc>, f: &mut Finding) {
    let probes = [t, t + Duration::minutes(EDGE), t - Duration::minutes(EDGE)];
    let classes: Vec<Class> = probes.iter().map(|p| place.class_at(*p)).collect();
    let open = classes.iter().find(|c| !matches!(c, Class::Covered(_)));
    (f.status, f.detail) = match open {
        None => {
            let Class::Covered(trail) = &classes[0] else {
                unreachable!()
            };
            f.trail = Some(trail.clone());
            (
                Status::UnreferencedLog,
                format!(
                    "delivered at {} inside a period a digest covers, but no digest lists it: it was added later",
                    t.to_rfc3339()
                ),
            )
        }
        Some(Class::Missing) => (
            Status::UnverifiableLog,
            "delivered while a digest that is now missing was being written".into(),
        ),
        Some(Class::NotYet) => (
            Status::NotYetDigested,
            "delivered after the newest digest here".into(),
        ),
        _ => (
            Status::UncoveredLog,
            "delivered while no digest chain ran here (logging or log file validation was off)".into(),
        ),
    };
}

/// Places without digests: silences between log files longer than `gap` are reported, as a heuristic.
pub(super) fn delivery_gaps(silent: Silent, gap: Duration, events: &[TrailEvent], out: &mut Vec<Finding>) {
    for ((account, region), mut times) in silent {
        times.sort();
        for w in times.windows(2) {
            if w[1] - w[0] > gap {
                let mut f = finding(Status::DeliveryGap, "", &account, &region);
                f.from = Some(w[0]);
                f.to = Some(w[1]);
                let name = DigestName {
                    account: account.clone(),
                    region: region.clone(),
                    trail: String::new(),
                    home_region: String::new(),
                    end: w[1],
                    backfill: false,
                };
                f.detail = format!(
                    "no log file for {} minutes (heuristic: without digests, a quiet period and a deletion look alike){}",
                    (w[1] - w[0]).num_minutes(),
                    explain(events, &name, w[0] - Duration::hours(1), w[1])
                );
                out.push(f);
            }
        }
    }
}
