//! Building and finishing findings: the blank finding every check fills in, the count of missing hourly
//! digests, and the window filter and order the result is handed back in.

use chrono::Duration;

use crate::source::window::Window;
use crate::verify::finding::{Finding, Status};

/// A finding about one object in one place, with everything else left for the check to fill in.
pub(super) fn finding(status: Status, object: &str, account: &str, region: &str) -> Finding {
    Finding {
        status,
        object: object.to_string(),
        account: account.to_string(),
        region: region.to_string(),
        trail: None,
        from: None,
        to: None,
        count: None,
        digest: None,
        detail: String::new(),
    }
}

/// How many hourly digests a span holds (at least one).
pub(super) fn hours(d: Duration) -> u64 {
    ((d.num_seconds() as f64 / 3600.0).round() as u64).max(1)
}

/// Drops the findings outside the window and orders the rest by account, region, time, object and
/// status.
pub(super) fn settle(out: &mut Vec<Finding>, window: &Window) {
    out.retain(|f| in_window(window, f));
    out.sort_by(|a, b| {
        (&a.account, &a.region, a.from, &a.object, a.status)
            .cmp(&(&b.account, &b.region, b.from, &b.object, b.status))
    });
}

/// Whether a finding's time overlaps the window (with an hour after it, where its last digest lies).
fn in_window(w: &Window, f: &Finding) -> bool {
    let (Some(from), Some(to)) = (f.from.or(f.to), f.to.or(f.from)) else {
        return true;
    };
    w.from.is_none_or(|s| to >= s) && w.to.is_none_or(|e| from < e + Duration::hours(1))
}
