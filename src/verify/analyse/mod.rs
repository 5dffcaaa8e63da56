//! The verdicts: every digest's signature and place, every link between digests, every log file a digest
//! lists, every log file none lists, and the windows no chain covers, from what was read (nothing here
//! touches the archive, so each rule can be tested on its own).

mod chains;
mod explain;
mod findings;
mod judge;
mod logs;
mod parse;
mod places;
mod types;

pub use types::{ChainSpan, DigestObject, Inputs, LogFault, LogObject, Verification};

use super::keys::KeySet;

/// Slack around hour boundaries: log names carry the minute of delivery, digests the second.
const EDGE: i64 = 2;
/// How much older than the archive's freshest digest a chain's newest may be before digests after it
/// are counted missing: an hour of cadence plus delivery delay.
const TAIL_SLACK_MINUTES: i64 = 75;

/// Runs every check.
pub fn verify(input: Inputs, keys: &KeySet) -> Verification {
    let mut out = Vec::new();
    let parsed = parse::parse_all(input.digests, &mut out);
    let trail_events = explain::trail_events(&input.logs);
    let links = chains::link(&parsed);
    let verdict = judge::judge_all(&parsed, &links.succ, keys, &mut out);
    let mut places = places::of_digests(&parsed);
    let oldest_log = places::oldest_logs(&input.logs);
    chains::check_links(
        &parsed,
        &links.pred,
        &oldest_log,
        &trail_events,
        &mut places,
        &mut out,
    );
    let referenced = logs::check_listed(&parsed, &verdict, &input.logs, input.listed.as_ref(), &mut out);
    let unreferenced = logs::unreferenced(&input.logs, &referenced);
    places::find_lost_tails(&parsed, &unreferenced, &trail_events, &mut places, &mut out);
    let silent = logs::place_unreferenced(&unreferenced, &places, &mut out);
    logs::delivery_gaps(silent, input.gap, &trail_events, &mut out);
    findings::settle(&mut out, &input.window);
    Verification {
        findings: out,
        chains: chains::spans(&parsed),
        trail_events,
        ..Verification::default()
    }
}
