//! The time zone of human-readable times (`--timezone`): tables show times there; machine formats
//! (csv, json, jsonl, timesketch) stay UTC RFC 3339 so that what they feed sorts and joins the same. A
//! run's zone is a value it hands to whatever writes for people.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;

/// A zone times are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// UTC, the default.
    #[default]
    Utc,
    /// An IANA zone.
    Named(Tz),
}

/// Parses `UTC`, `local` (the machine's zone, from the system or `$TZ`) or an IANA name such as
/// `Europe/Berlin`.
pub fn parse_zone(s: &str) -> Result<Zone, String> {
    let name = if s.eq_ignore_ascii_case("local") {
        iana_time_zone::get_timezone()
            .or_else(|_| std::env::var("TZ"))
            .map_err(|_| "the local time zone cannot be determined: give an IANA name".to_string())?
    } else {
        s.to_string()
    };
    if name.eq_ignore_ascii_case("utc") || name == "Etc/UTC" || name == "Z" {
        return Ok(Zone::Utc);
    }
    name.parse::<Tz>()
        .map(Zone::Named)
        .map_err(|_| format!("unknown time zone {s:?}: use an IANA name (Europe/Berlin), UTC or local"))
}

impl Zone {
    /// The Arrow time zone name of the zone, for casting timestamp columns.
    pub fn arrow_name(self) -> String {
        match self {
            Zone::Utc => "UTC".into(),
            Zone::Named(tz) => tz.name().to_string(),
        }
    }

    /// A time for people: `2026-03-03T10:00:00Z` in UTC, `2026-03-03T11:00:00+01:00` elsewhere
    /// (fractions of a second only when there are some).
    pub fn human(self, micros: i64) -> String {
        let Some(t) = DateTime::<Utc>::from_timestamp_micros(micros) else {
            return String::new();
        };
        match self {
            Zone::Utc => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            Zone::Named(tz) => t.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::AutoSi, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_by_name() {
        assert_eq!(parse_zone("UTC"), Ok(Zone::Utc));
        let berlin = parse_zone("Europe/Berlin").unwrap();
        // 2026-03-03T10:00:00Z is 11:00 in Berlin (CET, +01:00).
        assert_eq!(berlin.human(1_772_532_000_000_000), "2026-03-03T11:00:00+01:00");
        assert_eq!(Zone::Utc.human(1_772_532_000_000_000), "2026-03-03T10:00:00Z");
        assert!(parse_zone("Mars/Olympus").is_err());
    }
}
