//! Walking the chains: finding each digest's predecessor and successor, checking every link between
//! them, naming the restarts and the missing digests with the calls that explain them, and summing up
//! what each chain covers.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::EDGE;
use super::explain::explain;
use super::findings::{finding, hours};
use super::parse::{Parsed, rel};
use super::places::{OldestLogs, Places};
use super::types::ChainSpan;
use crate::verify::finding::{Finding, Status};
use crate::verify::log_hash::TrailEvent;

/// Each digest's neighbours in its chain, by index into the sorted digests.
pub(super) struct Links {
    /// The digest each one names as its previous (by key, else by content hash); `None` at a chain's
    /// start or when the previous digest is not in the archive.
    pub(super) pred: Vec<Option<usize>>,
    /// The first digest that names it as its previous.
    pub(super) succ: Vec<Option<usize>>,
}

/// Finds every digest's predecessor, by the key it names or else by the hash it gives, and from those
/// every digest's successor.
pub(super) fn link(parsed: &[Parsed]) -> Links {
    let by_key: HashMap<&str, usize> = parsed.iter().enumerate().map(|(i, p)| (rel(&p.key), i)).collect();
    let by_hash: HashMap<&str, usize> = parsed
        .iter()
        .enumerate()
        .map(|(i, p)| (p.sha256.as_str(), i))
        .collect();
    let pred: Vec<Option<usize>> = parsed
        .iter()
        .map(|p| {
            if p.body.starts_chain() {
                return None;
            }
            let by_name = p
                .body
                .previous_digest_s3_object
                .as_deref()
                .and_then(|o| by_key.get(rel(o)));
            let by_content = p
                .body
                .previous_digest_hash_value
                .as_deref()
                .and_then(|h| by_hash.get(h));
            by_name.or(by_content).copied()
        })
        .collect();
    let mut succ: Vec<Option<usize>> = vec![None; parsed.len()];
    for (i, p) in pred.iter().enumerate() {
        if let Some(p) = *p {
            succ[p].get_or_insert(i);
        }
    }
    Links { pred, succ }
}

/// Checks every link: a chain that starts again is a gap, a link whose hash, signature or times do not
/// match is broken, and a predecessor that is not there is missing (its window is marked missing in
/// `places`, so log files delivered in it are not called uncovered).
pub(super) fn check_links(
    parsed: &[Parsed],
    pred: &[Option<usize>],
    oldest_log: &OldestLogs,
    events: &[TrailEvent],
    places: &mut Places,
    out: &mut Vec<Finding>,
) {
    for (i, p) in parsed.iter().enumerate() {
        if p.body.starts_chain() {
            let before = i.checked_sub(1).filter(|&j| parsed[j].chain() == p.chain());
            if let Some(j) = before {
                out.push(restart(p, &parsed[j], events));
            }
            continue;
        }
        match pred[i] {
            Some(j) => out.extend(broken_link(p, &parsed[j])),
            None => {
                let Some(from) = missing_since(parsed, i, oldest_log) else {
                    continue;
                };
                let f = missing_predecessor(p, from, events);
                if let Some(place) = places.get_mut(&(p.name.account.clone(), p.name.region.clone())) {
                    place.missing.push((from, p.start));
                }
                out.push(f);
            }
        }
    }
}

/// The gap before a digest that starts its chain again after `q`, the chain's previous digest.
fn restart(p: &Parsed, q: &Parsed, events: &[TrailEvent]) -> Finding {
    let mut g = finding(Status::Gap, "", &p.name.account, &p.name.region);
    g.trail = Some(p.name.trail.clone());
    g.from = Some(q.end);
    g.to = Some(p.start);
    g.digest = Some(p.key.clone());
    g.detail = format!(
        "the chain starts again at {} after ending at {}{}",
        p.start.to_rfc3339(),
        q.end.to_rfc3339(),
        explain(
            events,
            &p.name,
            q.end - Duration::hours(1),
            p.start + Duration::minutes(5)
        )
    );
    g
}

/// A `BrokenLink` finding when `p` does not commit to its predecessor `q` (hash, signature, times).
fn broken_link(p: &Parsed, q: &Parsed) -> Option<Finding> {
    let mut reasons = Vec::new();
    if p.body.previous_digest_hash_value.as_deref() != Some(q.sha256.as_str()) {
        reasons.push(format!(
            "previousDigestHashValue {} is not the SHA-256 of {} ({})",
            p.body.previous_digest_hash_value.as_deref().unwrap_or("null"),
            q.key,
            q.sha256
        ));
    }
    if let Some((sig, source)) = &q.signature
        && p.body.previous_digest_signature.as_deref() != Some(sig.as_str())
    {
        reasons.push(format!(
            "previousDigestSignature is not the signature in {}'s {source}",
            q.key
        ));
    }
    if q.body.digest_end_time != p.body.digest_start_time {
        reasons.push(format!(
            "digestStartTime {} is not the previous digest's digestEndTime {}",
            p.body.digest_start_time, q.body.digest_end_time
        ));
    }
    if reasons.is_empty() {
        return None;
    }
    let mut f = finding(Status::BrokenLink, &p.key, &p.name.account, &p.name.region);
    f.trail = Some(p.name.trail.clone());
    f.from = Some(q.end);
    f.to = Some(p.start);
    f.digest = Some(q.key.clone());
    f.detail = reasons.join("; ");
    Some(f)
}

/// Since when digests before the `i`th are missing: the end of the chain's latest earlier digest, or,
/// for the chain's oldest, the oldest log file of its place; `None` when nothing is missed.
fn missing_since(parsed: &[Parsed], i: usize, oldest_log: &OldestLogs) -> Option<DateTime<Utc>> {
    let p = &parsed[i];
    let earlier = (0..i)
        .rev()
        .find(|&j| parsed[j].chain() == p.chain() && parsed[j].end <= p.start);
    match earlier {
        Some(j) => Some(parsed[j].end),
        None => {
            // The chain's oldest digest: its predecessor is only missed when the archive
            // holds logs from before it (else the archive simply starts mid-chain).
            let key = (p.name.account.clone(), p.name.region.clone());
            match oldest_log.get(&key) {
                Some(t) if *t < p.start - Duration::minutes(EDGE) => Some(*t),
                _ => None,
            }
        }
    }
}

/// The `MissingDigest` finding for the digests between `from` and `p`, whose predecessor is gone.
fn missing_predecessor(p: &Parsed, from: DateTime<Utc>, events: &[TrailEvent]) -> Finding {
    let named = p.body.previous_digest_s3_object.as_deref().unwrap_or_default();
    let count = hours(p.start - from);
    let mut f = finding(Status::MissingDigest, rel(named), &p.name.account, &p.name.region);
    f.trail = Some(p.name.trail.clone());
    f.from = Some(from);
    f.to = Some(p.start);
    f.count = Some(count);
    f.digest = Some(p.key.clone());
    f.detail = format!(
        "{} names it as its previous digest; about {count} digest(s) between {} and {} are gone{}",
        p.key,
        from.to_rfc3339(),
        p.start.to_rfc3339(),
        explain(events, &p.name, from - Duration::hours(1), p.start)
    );
    f
}

/// What each chain covers (first start, newest end, digests present), in the digests' sorted order.
pub(super) fn spans(parsed: &[Parsed]) -> Vec<ChainSpan> {
    let mut chains: Vec<ChainSpan> = Vec::new();
    for p in parsed {
        match chains.last_mut() {
            Some(c) if (c.account.as_str(), c.region.as_str(), c.trail.as_str()) == p.chain() => {
                c.newest = c.newest.max(p.end);
                c.first = c.first.min(p.start);
                c.digests += 1;
            }
            _ => chains.push(ChainSpan {
                account: p.name.account.clone(),
                region: p.name.region.clone(),
                trail: p.name.trail.clone(),
                first: p.start,
                newest: p.end,
                digests: 1,
            }),
        }
    }
    chains
}
