//! The time window and account/region scope shared by every command that reads events.
//!
//! Folder dates in a CloudTrail archive are *delivery* dates, so a window prunes day folders one day wider
//! than asked at each end and then filters exactly on `eventTime`.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use thiserror::Error;

/// A flag value that could not be understood; shown to the user as a usage error.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WindowError {
    /// `--from`/`--to` was neither RFC 3339 nor a bare `YYYY-MM-DD` date.
    #[error("invalid time {0:?}: expected RFC 3339 (2026-03-03T10:00:00Z) or a date (2026-03-03)")]
    BadTime(String),
    /// `--since` was not a number followed by a unit.
    #[error("invalid duration {0:?}: expected a number and a unit, e.g. 90m, 12h, 7d, 2w")]
    BadDuration(String),
    /// The window ends before it starts.
    #[error("empty window: --from {from} is not before --to {to}")]
    Empty {
        /// Start of the window as given.
        from: String,
        /// End of the window as given.
        to: String,
    },
}

/// A half-open interval `[from, to)` of event times in UTC; an absent bound is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Inclusive start.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive end.
    pub to: Option<DateTime<Utc>>,
}

impl Window {
    /// Builds a window from the `--from`, `--to` and `--since` flags (`--since` is relative to `now`).
    pub fn from_flags(
        from: Option<&str>,
        to: Option<&str>,
        since: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Window, WindowError> {
        let mut from_t = from.map(parse_start).transpose()?;
        if let Some(s) = since {
            let since_t = now - parse_duration(s)?;
            from_t = Some(from_t.map_or(since_t, |f| f.max(since_t)));
        }
        let to_t = to.map(parse_end).transpose()?;
        if let (Some(f), Some(t)) = (from_t, to_t)
            && f >= t
        {
            return Err(WindowError::Empty {
                from: f.to_rfc3339(),
                to: t.to_rfc3339(),
            });
        }
        Ok(Window {
            from: from_t,
            to: to_t,
        })
    }

    /// Whether an event time, in microseconds since the epoch, lies inside the window.
    pub fn contains_micros(&self, micros: i64) -> bool {
        self.from.is_none_or(|f| micros >= f.timestamp_micros())
            && self.to.is_none_or(|t| micros < t.timestamp_micros())
    }

    /// Whether the window has no bound at all.
    pub fn is_unbounded(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// The delivery days whose folders can hold events of this window: one day wider at each end.
    pub fn day_range(&self) -> DayRange {
        DayRange {
            first: self.from.map(|f| f.date_naive() - Duration::days(1)),
            last: self.to.map(|t| {
                // `to` is exclusive: an end at midnight does not reach into that day.
                let last_instant = t - Duration::microseconds(1);
                last_instant.date_naive() + Duration::days(1)
            }),
        }
    }

    /// The intersection of two windows.
    pub fn intersect(&self, other: &Window) -> Window {
        let from = match (self.from, other.from) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let to = match (self.to, other.to) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Window { from, to }
    }
}

/// An inclusive range of delivery days used to prune day folders; an absent bound is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayRange {
    /// First day that may hold events.
    pub first: Option<NaiveDate>,
    /// Last day that may hold events.
    pub last: Option<NaiveDate>,
}

impl DayRange {
    /// Whether a day lies in the range.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.first.is_none_or(|f| day >= f) && self.last.is_none_or(|l| day <= l)
    }

    /// Whether any day between `lo` and `hi` (inclusive) lies in the range; used for year and month folders.
    pub fn overlaps(&self, lo: NaiveDate, hi: NaiveDate) -> bool {
        self.first.is_none_or(|f| hi >= f) && self.last.is_none_or(|l| lo <= l)
    }
}

/// Which events a command reads: a time window plus optional account and region lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Event-time window.
    pub window: Window,
    /// Accounts to read (empty: all).
    pub accounts: Vec<String>,
    /// Regions to read (empty: all).
    pub regions: Vec<String>,
    /// Delivery days to read, as asked for directly (e.g. a query's `objectDay` filter); not widened.
    pub folder_days: DayRange,
}

impl Scope {
    /// Whether an account is in scope.
    pub fn wants_account(&self, account: &str) -> bool {
        self.accounts.is_empty() || self.accounts.iter().any(|a| a == account)
    }

    /// Whether a region is in scope.
    pub fn wants_region(&self, region: &str) -> bool {
        self.regions.is_empty() || self.regions.iter().any(|r| r == region)
    }

    /// The delivery-day folders that can hold events of this scope.
    pub fn day_range(&self) -> DayRange {
        let w = self.window.day_range();
        DayRange {
            first: match (w.first, self.folder_days.first) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            },
            last: match (w.last, self.folder_days.last) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }

    /// Whether the scope selects every event (no record-level filtering needed).
    pub fn is_everything(&self) -> bool {
        self.window.is_unbounded() && self.accounts.is_empty() && self.regions.is_empty()
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            // "2026-03-03T10:00" or "2026-03-03 10:00:00" without an offset: UTC.
            [
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%d %H:%M",
            ]
            .iter()
            .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
            .map(|n| Utc.from_utc_datetime(&n))
        })
}

/// Parses a window start: an instant, or a bare date meaning its first second.
pub fn parse_start(s: &str) -> Result<DateTime<Utc>, WindowError> {
    let s = s.trim();
    parse_instant(s)
        .or_else(|| parse_date(s).map(|d| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN))))
        .ok_or_else(|| WindowError::BadTime(s.to_string()))
}

/// Parses a window end: an instant (exclusive), or a bare date meaning through the end of that day.
pub fn parse_end(s: &str) -> Result<DateTime<Utc>, WindowError> {
    let s = s.trim();
    parse_instant(s)
        .or_else(|| {
            parse_date(s).map(|d| Utc.from_utc_datetime(&(d + Duration::days(1)).and_time(NaiveTime::MIN)))
        })
        .ok_or_else(|| WindowError::BadTime(s.to_string()))
}

/// Parses a `--since` duration such as `90m`, `12h`, `7d` or `2w`.
pub fn parse_duration(s: &str) -> Result<Duration, WindowError> {
    let bad = || WindowError::BadDuration(s.to_string());
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let d = match unit {
        "s" => Duration::try_seconds(n),
        "m" | "min" => Duration::try_minutes(n),
        "h" => Duration::try_hours(n),
        "d" => Duration::try_days(n),
        "w" => Duration::try_weeks(n),
        _ => None,
    };
    d.filter(|d| *d > Duration::zero()).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn starts_and_ends() {
        let cases = [
            ("2026-03-03", "2026-03-03T00:00:00Z", "2026-03-04T00:00:00Z"),
            (
                "2026-03-03T10:15:00Z",
                "2026-03-03T10:15:00Z",
                "2026-03-03T10:15:00Z",
            ),
            (
                "2026-03-03T12:15:00+02:00",
                "2026-03-03T10:15:00Z",
                "2026-03-03T10:15:00Z",
            ),
            ("2026-03-03T10:15", "2026-03-03T10:15:00Z", "2026-03-03T10:15:00Z"),
            (
                "2026-03-03 10:15:30",
                "2026-03-03T10:15:30Z",
                "2026-03-03T10:15:30Z",
            ),
        ];
        for (input, start, end) in cases {
            assert_eq!(parse_start(input).unwrap(), t(start), "start of {input}");
            assert_eq!(parse_end(input).unwrap(), t(end), "end of {input}");
        }
        for bad in ["yesterday", "2026-13-01", "", "2026/03/03"] {
            assert!(parse_start(bad).is_err(), "{bad}");
            assert!(parse_end(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        let cases = [
            ("90m", Duration::minutes(90)),
            ("12h", Duration::hours(12)),
            ("7d", Duration::days(7)),
            ("2w", Duration::weeks(2)),
            ("30s", Duration::seconds(30)),
        ];
        for (input, want) in cases {
            assert_eq!(parse_duration(input).unwrap(), want, "{input}");
        }
        for bad in ["7", "d", "7y", "-7d", "0d", "7 d x"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn since_is_relative_and_combines_with_from() {
        let now = t("2026-03-10T00:00:00Z");
        let w = Window::from_flags(None, None, Some("7d"), now).unwrap();
        assert_eq!(w.from, Some(t("2026-03-03T00:00:00Z")));
        assert_eq!(w.to, None);
        // The later of --from and --since wins.
        let w = Window::from_flags(Some("2026-03-05"), None, Some("7d"), now).unwrap();
        assert_eq!(w.from, Some(t("2026-03-05T00:00:00Z")));
        assert!(Window::from_flags(Some("2026-03-05"), Some("2026-03-04"), None, now).is_err());
    }

    #[test]
    fn window_is_half_open() {
        let w = Window::from_flags(Some("2026-03-03"), Some("2026-03-03"), None, Utc::now()).unwrap();
        assert!(w.contains_micros(t("2026-03-03T00:00:00Z").timestamp_micros()));
        assert!(w.contains_micros(t("2026-03-03T23:59:59Z").timestamp_micros()));
        assert!(!w.contains_micros(t("2026-03-04T00:00:00Z").timestamp_micros()));
        assert!(!w.contains_micros(t("2026-03-02T23:59:59Z").timestamp_micros()));
    }

    #[test]
    fn day_range_is_widened_by_one_day() {
        let w = Window::from_flags(Some("2026-03-03"), Some("2026-03-05"), None, Utc::now()).unwrap();
        let r = w.day_range();
        assert_eq!(r.first, Some(d("2026-03-02")));
        assert_eq!(r.last, Some(d("2026-03-06")));
        assert!(!r.contains(d("2026-03-01")));
        assert!(r.contains(d("2026-03-02")));
        assert!(r.contains(d("2026-03-06")));
        assert!(!r.contains(d("2026-03-07")));
        assert!(r.overlaps(d("2026-03-01"), d("2026-03-31")));
        assert!(!r.overlaps(d("2026-04-01"), d("2026-04-30")));
        let open = Window::default().day_range();
        assert!(open.contains(d("1999-01-01")));
    }

    #[test]
    fn intersect_narrows() {
        let a = Window::from_flags(Some("2026-03-01"), Some("2026-03-10"), None, Utc::now()).unwrap();
        let b = Window::from_flags(Some("2026-03-05"), None, None, Utc::now()).unwrap();
        let i = a.intersect(&b);
        assert_eq!(i.from, b.from);
        assert_eq!(i.to, a.to);
    }
}
