//! What a digest's object name says before it is opened: account, region, trail, home region and the end
//! of the hour it covers, so chains can be grouped and ordered, and a digest found elsewhere can be
//! told apart from one stored where CloudTrail put it.
//!
//! `<account>_CloudTrail-Digest_<region>_<trail>_<homeRegion>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz`:
//! trail names may hold `_` and `.`, so the name is read from both ends.

use chrono::{DateTime, NaiveDateTime, Utc};

/// The parts of a digest object's file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestName {
    /// Account the digest covers.
    pub account: String,
    /// Region the digest covers.
    pub region: String,
    /// Trail name.
    pub trail: String,
    /// The trail's home region.
    pub home_region: String,
    /// End of the covered period (to the second).
    pub end: DateTime<Utc>,
    /// A digest CloudTrail delivered later for a period it had missed.
    pub backfill: bool,
}

/// Parses a digest's file name (the last path component, or a whole key).
pub fn parse(key: &str) -> Option<DigestName> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let stem = name.strip_suffix(".json.gz")?;
    let (stem, backfill) = match stem.strip_suffix("_backfill") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    let (account, rest) = stem.split_once("_CloudTrail-Digest_")?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (region, rest) = rest.split_once('_')?;
    let (rest, stamp) = rest.rsplit_once('_')?;
    let (trail, home_region) = rest.rsplit_once('_')?;
    if region.is_empty() || trail.is_empty() || home_region.is_empty() {
        return None;
    }
    let end = NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ")
        .ok()?
        .and_utc();
    Some(DigestName {
        account: account.to_string(),
        region: region.to_string(),
        trail: trail.to_string(),
        home_region: home_region.to_string(),
        end,
        backfill,
    })
}

/// Account and region from a digest's folders
/// (`AWSLogs/[o-id/]<account>/CloudTrail-Digest/<region>/...`), for digests whose name is unreadable.
pub fn place_of(key: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = key.split('/').collect();
    let i = parts.iter().rposition(|p| *p == "CloudTrail-Digest")?;
    Some((
        parts.get(i.checked_sub(1)?)?.to_string(),
        parts.get(i + 1)?.to_string(),
    ))
}

/// When a log file was delivered, from its name
/// (`<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<unique>.json.gz`), to the minute.
pub fn log_delivery(key: &str) -> Option<DateTime<Utc>> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let mut parts = name.rsplit('_');
    parts.next()?;
    let stamp = parts.next()?;
    NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%MZ")
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_from_both_ends() {
        let d = parse("AWSLogs/111122223333/CloudTrail-Digest/ap-northeast-1/2024/05/13/111122223333_CloudTrail-Digest_ap-northeast-1_llm_guard.trail_us-west-2_20240513T112233Z.json.gz").unwrap();
        assert_eq!(d.account, "111122223333");
        assert_eq!(d.region, "ap-northeast-1");
        assert_eq!(d.trail, "llm_guard.trail");
        assert_eq!(d.home_region, "us-west-2");
        assert_eq!(d.end.to_rfc3339(), "2024-05-13T11:22:33+00:00");
        assert!(!d.backfill);
        let b =
            parse("111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240513T112233Z_backfill.json.gz")
                .unwrap();
        assert!(b.backfill);
        assert_eq!(b.trail, "t");
        for bad in [
            "111122223333_CloudTrail-Digest_us-east-1_us-east-1_20240513T112233Z.json.gz",
            "1111_CloudTrail-Digest_us-east-1_t_us-east-1_20240513T112233Z.json.gz",
            "111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_2024.json.gz",
            "111122223333_CloudTrail_us-east-1_20240513T1122Z_abc.json.gz",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn log_names_give_delivery_minutes() {
        let t = log_delivery("x/111122223333_CloudTrail_us-east-1_20260303T1005Z_abcdEFGH12345678.json.gz");
        assert_eq!(t.unwrap().to_rfc3339(), "2026-03-03T10:05:00+00:00");
        assert_eq!(log_delivery("incident.json"), None);
    }
}
