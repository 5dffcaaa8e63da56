//! Recognises CloudTrail's delivery layout in object keys and paths, so that listing can prune by account,
//! region and day before any object is opened, and so every row can say where it came from.
//!
//! A log key is
//! `[prefix/][o-<org>/]AWSLogs/[o-<org>/]<12-digit account>/CloudTrail/<region>/<YYYY>/<MM>/<DD>/<file>.json[.gz]`:
//! Control Tower puts the organization id before `AWSLogs`, an organization trail after it.

use std::fmt;

use chrono::NaiveDate;

use crate::source::window::Scope;

/// Where a CloudTrail log object sits in the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    /// Account id from the path.
    pub account: String,
    /// Region from the path (not validated: anonymised archives use fictional names).
    pub region: String,
    /// Delivery day from the path.
    pub day: NaiveDate,
    /// Organization id when the key is in an organization layout.
    pub org_id: Option<String>,
}

/// Why an object found while listing is not read as CloudTrail events.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// `CloudTrail-Digest/`: integrity digests, input to `verify` only.
    Digest,
    /// `CloudTrail-Insight/`: Insights events, not management or data events.
    Insight,
    /// Another service's logs under `AWSLogs/<account>/` (Config, vpcflowlogs, ...).
    OtherService(String),
    /// Under `AWSLogs/` but not where CloudTrail delivers log files.
    UnexpectedPath,
    /// Not a `.json` or `.json.gz` file.
    NotJson,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Digest => f.write_str("CloudTrail digest file"),
            SkipReason::Insight => f.write_str("CloudTrail Insights file"),
            SkipReason::OtherService(s) => write!(f, "{s} log, not CloudTrail"),
            SkipReason::UnexpectedPath => f.write_str("unexpected path in the AWSLogs layout"),
            SkipReason::NotJson => f.write_str("not a .json or .json.gz file"),
        }
    }
}

/// What listing should do with one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClass {
    /// A CloudTrail log file in the delivery layout.
    Log(LogKey),
    /// A `.json`/`.json.gz` file outside the layout: read it, with no path provenance.
    Loose,
    /// Not read; counted by reason.
    Skip(SkipReason),
}

/// Whether a file name has an extension ctscan reads.
pub fn is_json_name(name: &str) -> bool {
    name.ends_with(".json.gz") || name.ends_with(".json")
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_org(s: &str) -> bool {
    s.len() > 2 && s.starts_with("o-") && s[2..].bytes().all(|b| b.is_ascii_alphanumeric())
}

fn num<T: std::str::FromStr>(s: &str, len: usize) -> Option<T> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// The parts of a (possibly partial) path after its last `AWSLogs` component.
struct AfterAwsLogs<'a> {
    org_id: Option<&'a str>,
    /// Components after the optional org id: account, service, region, year, month, day, file...
    rest: Vec<&'a str>,
}

fn after_awslogs(path: &str) -> Option<AfterAwsLogs<'_>> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    let pos = parts.iter().rposition(|p| *p == "AWSLogs")?;
    let before_org = pos.checked_sub(1).map(|i| parts[i]).filter(|p| is_org(p));
    let mut rest = parts[pos + 1..].to_vec();
    let mut org_id = before_org;
    if rest.first().is_some_and(|p| is_org(p)) {
        org_id = Some(rest.remove(0));
    }
    Some(AfterAwsLogs { org_id, rest })
}

/// The part of a key or path from the layout's root on (`AWSLogs/...`, or `o-<org>/AWSLogs/...` for
/// Control Tower): what a digest's `s3Object` and a local copy's path have in common, whatever bucket
/// prefix or copy folder sits before it.
pub fn layout_relative(key: &str) -> Option<&str> {
    let mut start = None;
    let mut offset = 0;
    for part in key.split('/') {
        if part == "AWSLogs" {
            start = Some(offset);
        }
        offset += part.len() + 1;
    }
    let start = start?;
    let before = key[..start].trim_end_matches('/');
    let org = before.rsplit('/').next().unwrap_or(before);
    if is_org(org) {
        return Some(&key[start - org.len() - 1..]);
    }
    Some(&key[start..])
}

/// Classifies one object key or file path (components separated by `/`).
pub fn classify(key: &str) -> KeyClass {
    let name = key.rsplit('/').next().unwrap_or(key);
    let Some(a) = after_awslogs(key) else {
        return if is_json_name(name) {
            KeyClass::Loose
        } else {
            KeyClass::Skip(SkipReason::NotJson)
        };
    };
    let r = &a.rest;
    if r.len() < 2 || !is_account(r[0]) {
        return if is_json_name(name) {
            KeyClass::Loose
        } else {
            KeyClass::Skip(SkipReason::UnexpectedPath)
        };
    }
    match r[1] {
        "CloudTrail" => {}
        "CloudTrail-Digest" => return KeyClass::Skip(SkipReason::Digest),
        "CloudTrail-Insight" => return KeyClass::Skip(SkipReason::Insight),
        other => return KeyClass::Skip(SkipReason::OtherService(other.to_string())),
    }
    if !is_json_name(name) {
        return KeyClass::Skip(SkipReason::NotJson);
    }
    if r.len() != 7 {
        return KeyClass::Skip(SkipReason::UnexpectedPath);
    }
    let day = match (num::<i32>(r[3], 4), num::<u32>(r[4], 2), num::<u32>(r[5], 2)) {
        (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y, m, d),
        _ => None,
    };
    match day {
        Some(day) => KeyClass::Log(LogKey {
            account: r[0].to_string(),
            region: r[2].to_string(),
            day,
            org_id: a.org_id.map(str::to_string),
        }),
        None => KeyClass::Skip(SkipReason::UnexpectedPath),
    }
}

/// Whether a directory (or key prefix) can hold objects that `scope` wants. Unknown shapes are kept:
/// pruning only ever removes folders the layout proves are out of scope.
pub fn dir_in_scope(dir: &str, scope: &Scope) -> bool {
    let Some(a) = after_awslogs(dir) else {
        return true;
    };
    let r = &a.rest;
    let Some(account) = r.first() else {
        return true;
    };
    if !is_account(account) {
        return true;
    }
    if !scope.wants_account(account) {
        return false;
    }
    // Only CloudTrail's own folders are pruned by region and day; siblings are listed to be counted.
    if r.get(1).is_some_and(|s| !s.starts_with("CloudTrail")) {
        return true;
    }
    if let Some(region) = r.get(2)
        && !scope.wants_region(region)
    {
        return false;
    }
    let days = scope.day_range();
    let Some(year) = r.get(3).and_then(|y| num::<i32>(y, 4)) else {
        return true;
    };
    let month = r.get(4).and_then(|m| num::<u32>(m, 2));
    let day = r.get(5).and_then(|d| num::<u32>(d, 2));
    let (lo, hi) = match (month, day) {
        (Some(m), Some(d)) => match NaiveDate::from_ymd_opt(year, m, d) {
            Some(x) => (x, x),
            None => return true,
        },
        (Some(m), None) => match (
            NaiveDate::from_ymd_opt(year, m, 1),
            NaiveDate::from_ymd_opt(year + (m / 12) as i32, m % 12 + 1, 1),
        ) {
            (Some(first), Some(next)) => (first, next.pred_opt().unwrap_or(first)),
            _ => return true,
        },
        _ => match (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) {
            (Some(first), Some(last)) => (first, last),
            _ => return true,
        },
    };
    days.overlaps(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::window::Window;
    use chrono::Utc;

    fn log(account: &str, region: &str, day: &str, org: Option<&str>) -> KeyClass {
        KeyClass::Log(LogKey {
            account: account.into(),
            region: region.into(),
            day: NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap(),
            org_id: org.map(Into::into),
        })
    }

    const FILE: &str = "111122223333_CloudTrail_us-east-1_20260303T1005Z_abcdEFGH12345678.json.gz";

    #[test]
    fn classifies_keys() {
        let cases: Vec<(String, KeyClass)> = vec![
            (
                format!("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/03/{FILE}"),
                log("111122223333", "us-east-1", "2026-03-03", None),
            ),
            (
                format!("some/prefix/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/03/{FILE}"),
                log("111122223333", "eu-west-1", "2026-03-03", None),
            ),
            (
                format!("AWSLogs/o-abc123def4/111122223333/CloudTrail/us-east-1/2026/03/03/{FILE}"),
                log("111122223333", "us-east-1", "2026-03-03", Some("o-abc123def4")),
            ),
            (
                format!("o-abc123def4/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/03/{FILE}"),
                log("111122223333", "us-east-1", "2026-03-03", Some("o-abc123def4")),
            ),
            (
                format!("/abs/dir/AWSLogs/111122223333/CloudTrail/sagov-westsouth-1r/2024/07/30/{FILE}"),
                log("111122223333", "sagov-westsouth-1r", "2024-07-30", None),
            ),
            (
                "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/03/x.json".into(),
                log("111122223333", "us-east-1", "2026-03-03", None),
            ),
            (
                "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/03/d.json.gz".into(),
                KeyClass::Skip(SkipReason::Digest),
            ),
            (
                "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/03/03/i.json.gz".into(),
                KeyClass::Skip(SkipReason::Insight),
            ),
            (
                "AWSLogs/111122223333/Config/us-east-1/2026/3/3/ConfigHistory/c.json.gz".into(),
                KeyClass::Skip(SkipReason::OtherService("Config".into())),
            ),
            (
                "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/03/notes.txt".into(),
                KeyClass::Skip(SkipReason::NotJson),
            ),
            (
                "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/x.json.gz".into(),
                KeyClass::Skip(SkipReason::UnexpectedPath),
            ),
            (
                "AWSLogs/111122223333/CloudTrail/us-east-1/2026/02/30/x.json.gz".into(),
                KeyClass::Skip(SkipReason::UnexpectedPath),
            ),
            (
                "AWSLogs/readme.txt".into(),
                KeyClass::Skip(SkipReason::UnexpectedPath),
            ),
            ("exports/incident.json".into(), KeyClass::Loose),
            ("incident.json.gz".into(), KeyClass::Loose),
            ("AWSLogs/events.jsonl.json".into(), KeyClass::Loose),
            ("photos/cat.png".into(), KeyClass::Skip(SkipReason::NotJson)),
            ("AWSLogs/1234/CloudTrail/x.json".into(), KeyClass::Loose),
        ];
        for (key, want) in cases {
            assert_eq!(classify(&key), want, "{key}");
        }
    }

    fn scope(from: Option<&str>, to: Option<&str>, accounts: &[&str], regions: &[&str]) -> Scope {
        Scope {
            window: Window::from_flags(from, to, None, Utc::now()).unwrap(),
            accounts: accounts.iter().map(|s| s.to_string()).collect(),
            regions: regions.iter().map(|s| s.to_string()).collect(),
            ..Scope::default()
        }
    }

    #[test]
    fn layout_relative_keys() {
        let k = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/03/d.json.gz";
        assert_eq!(layout_relative(k), Some(k));
        assert_eq!(layout_relative(&format!("/copy/prefix/{k}")), Some(k));
        let ct = format!("o-abc123def4/{k}");
        assert_eq!(layout_relative(&format!("x/{ct}")), Some(ct.as_str()));
        assert_eq!(layout_relative(&ct), Some(ct.as_str()));
        assert_eq!(layout_relative("loose/file.json"), None);
    }

    #[test]
    fn prunes_directories() {
        let s = scope(
            Some("2026-03-03"),
            Some("2026-03-05"),
            &["111122223333"],
            &["us-east-1"],
        );
        let cases = [
            ("/data/archive", true),
            ("/data/archive/AWSLogs", true),
            ("/data/archive/AWSLogs/o-abc123def4", true),
            ("/data/archive/AWSLogs/111122223333", true),
            ("/data/archive/AWSLogs/444455556666", false),
            ("/data/archive/AWSLogs/o-abc123def4/444455556666", false),
            ("o-abc123def4/AWSLogs/444455556666/CloudTrail", false),
            ("AWSLogs/111122223333/CloudTrail", true),
            ("AWSLogs/111122223333/CloudTrail/us-east-1", true),
            ("AWSLogs/111122223333/CloudTrail/eu-west-1", false),
            ("AWSLogs/111122223333/CloudTrail-Digest/eu-west-1", false),
            ("AWSLogs/111122223333/Config/eu-west-1", true),
            ("AWSLogs/111122223333/CloudTrail/us-east-1/2026", true),
            ("AWSLogs/111122223333/CloudTrail/us-east-1/2025", false),
            ("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03", true),
            ("AWSLogs/111122223333/CloudTrail/us-east-1/2026/02", false),
            ("AWSLogs/111122223333/CloudTrail/us-east-1/2026/04", false),
            ("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01", false),
            ("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02", true),
            ("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/06", true),
            ("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/07", false),
            ("AWSLogs/111122223333/CloudTrail/us-east-1/weird", true),
        ];
        for (dir, want) in cases {
            assert_eq!(dir_in_scope(dir, &s), want, "{dir}");
        }
        // A window that crosses a month boundary keeps both months (widened by a day).
        let s = scope(Some("2026-04-01"), Some("2026-04-01"), &[], &[]);
        assert!(dir_in_scope("AWSLogs/111122223333/CloudTrail/r/2026/03", &s));
        assert!(dir_in_scope("AWSLogs/111122223333/CloudTrail/r/2026/03/31", &s));
        assert!(!dir_in_scope("AWSLogs/111122223333/CloudTrail/r/2026/03/30", &s));
        // December folders compute their month end across the year boundary.
        let s = scope(Some("2026-12-31"), Some("2026-12-31"), &[], &[]);
        assert!(dir_in_scope("AWSLogs/111122223333/CloudTrail/r/2026/12", &s));
        assert!(dir_in_scope("AWSLogs/111122223333/CloudTrail/r/2027/01/01", &s));
        // No scope prunes nothing.
        let s = Scope::default();
        assert!(dir_in_scope(
            "AWSLogs/444455556666/CloudTrail/eu-west-1/1999/01/01",
            &s
        ));
    }
}
