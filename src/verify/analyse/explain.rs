//! The trail-changing calls (StopLogging, DeleteTrail, ...) the logs hold, and the sentence tail that
//! names those around a gap, so each gap comes with what may explain it.

use chrono::{DateTime, Utc};

use super::parse::time;
use super::types::LogObject;
use crate::verify::digest_name::DigestName;
use crate::verify::log_hash::TrailEvent;

/// Every trail-changing call found in the log files that could be hashed.
pub(super) fn trail_events(logs: &[LogObject]) -> Vec<TrailEvent> {
    logs.iter()
        .filter_map(|l| l.hash.as_ref().ok())
        .flat_map(|h| h.trail_events.iter().cloned())
        .collect()
}

/// The trail-changing calls of an account between two times, as a sentence tail.
pub(super) fn explain(
    events: &[TrailEvent],
    place: &DigestName,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> String {
    let mut found: Vec<&TrailEvent> = events
        .iter()
        .filter(|e| e.account == place.account)
        .filter(|e| {
            e.trail.as_deref().is_none_or(|t| {
                place.trail.is_empty() || t == place.trail || t.ends_with(&format!(":trail/{}", place.trail))
            })
        })
        .filter(|e| time(&e.time).is_some_and(|t| t >= from && t <= to))
        .collect();
    if found.is_empty() {
        return "; no StopLogging, StartLogging, DeleteTrail, UpdateTrail or PutEventSelectors call found around it".into();
    }
    found.sort_by(|a, b| a.time.cmp(&b.time));
    let calls: Vec<String> = found
        .iter()
        .map(|e| {
            format!(
                "{} by {} from {} at {} in {}{}",
                e.name,
                e.who,
                e.ip,
                e.time,
                e.region,
                e.error
                    .as_ref()
                    .map(|c| format!(" (failed: {c})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    format!("; {}", calls.join("; "))
}
