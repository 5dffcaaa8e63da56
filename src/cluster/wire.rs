//! The parts of a read that travel from the client to the scheduler and executors inside a plan: the
//! object list, the window and scope, the read settings and how S3 is reached. Plain serde mirrors of the
//! library's types, so the library's own types stay free of wire concerns.

use std::path::PathBuf;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::decode::gate::{GateRecipe, RowGate};
use crate::events::scan::ScanConfig;
use crate::source::layout::LogKey;
use crate::source::window::{DayRange, Scope, Window};
use crate::source::{Location, ObjectRef};

/// One object to read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireObject {
    key: String,
    size: u64,
    log: Option<(String, String, i32, Option<String>)>,
    path: Option<PathBuf>,
    s3: Option<(String, String, Option<String>, Option<i64>)>,
}

impl WireObject {
    /// The object as listed by the client; a relative local path is made absolute (the key shown to
    /// users stays as given), since executors do not share the client's working directory.
    pub fn of(o: &ObjectRef, cwd: &std::path::Path) -> WireObject {
        let (path, s3) = match &o.location {
            Location::Local(p) => (Some(cwd.join(p)), None),
            Location::S3 {
                bucket,
                key,
                etag,
                modified,
            } => (None, Some((bucket.clone(), key.clone(), etag.clone(), *modified))),
        };
        WireObject {
            key: o.key.clone(),
            size: o.size,
            log: o.log.as_ref().map(|l| {
                (
                    l.account.clone(),
                    l.region.clone(),
                    l.day.num_days_from_ce(),
                    l.org_id.clone(),
                )
            }),
            path,
            s3,
        }
    }

    /// Its size as listed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The object as the library reads it.
    pub fn object(&self) -> ObjectRef {
        let location = match (&self.path, &self.s3) {
            (_, Some((bucket, key, etag, modified))) => Location::S3 {
                bucket: bucket.clone(),
                key: key.clone(),
                etag: etag.clone(),
                modified: *modified,
            },
            (Some(p), None) => Location::Local(p.clone()),
            (None, None) => Location::Local(PathBuf::from(&self.key)),
        };
        ObjectRef {
            key: self.key.clone(),
            size: self.size,
            log: self.log.as_ref().and_then(|(account, region, day, org_id)| {
                Some(LogKey {
                    account: account.clone(),
                    region: region.clone(),
                    day: NaiveDate::from_num_days_from_ce_opt(*day)?,
                    org_id: org_id.clone(),
                })
            }),
            location,
        }
    }
}

/// The scope and read settings of a scan, with a hunt's row gate (the object filter is the client's).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireConfig {
    from: Option<i64>,
    to: Option<i64>,
    accounts: Vec<String>,
    regions: Vec<String>,
    first_day: Option<i32>,
    last_day: Option<i32>,
    max_object_bytes: u64,
    strict: bool,
    batch_rows: usize,
    /// The hunt's row gate, so executors build costly columns only for the rows some rule may match.
    #[serde(default)]
    gate: Option<GateRecipe>,
}

fn micros(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp_micros())
}

fn instant(t: Option<i64>) -> Option<DateTime<Utc>> {
    t.and_then(DateTime::from_timestamp_micros)
}

impl WireConfig {
    /// The settings of `config` that executors need.
    pub fn of(config: &ScanConfig) -> WireConfig {
        let s = &config.scope;
        WireConfig {
            from: micros(s.window.from),
            to: micros(s.window.to),
            accounts: s.accounts.clone(),
            regions: s.regions.clone(),
            first_day: s.folder_days.first.map(|d| d.num_days_from_ce()),
            last_day: s.folder_days.last.map(|d| d.num_days_from_ce()),
            max_object_bytes: config.max_object_bytes,
            strict: config.strict,
            batch_rows: config.batch_rows,
            gate: config.gate.as_ref().and_then(RowGate::recipe),
        }
    }

    /// The read settings, with the row gate rebuilt (a rule pack's names by the pack's own encoding);
    /// without the object filter.
    pub fn config(&self) -> Result<ScanConfig, String> {
        let gate = self
            .gate
            .as_ref()
            .map(|g| RowGate::of_recipe(g, &crate::sigma::wire::wanted_names))
            .transpose()?;
        Ok(ScanConfig {
            gate,
            scope: Scope {
                window: Window {
                    from: instant(self.from),
                    to: instant(self.to),
                },
                accounts: self.accounts.clone(),
                regions: self.regions.clone(),
                folder_days: DayRange {
                    first: self.first_day.and_then(NaiveDate::from_num_days_from_ce_opt),
                    last: self.last_day.and_then(NaiveDate::from_num_days_from_ce_opt),
                },
            },
            max_object_bytes: self.max_object_bytes,
            strict: self.strict,
            batch_rows: self.batch_rows,
            // The executor's own threads and S3 access are set where the scan runs.
            ..ScanConfig::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_and_settings_survive_the_trip() {
        let o = ObjectRef {
            key: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/03/x.json.gz".into(),
            size: 42,
            log: Some(LogKey {
                account: "111122223333".into(),
                region: "us-east-1".into(),
                day: NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(),
                org_id: Some("o-abc".into()),
            }),
            location: Location::Local("rel/x.json.gz".into()),
        };
        let wire: WireObject =
            serde_json::from_str(&serde_json::to_string(&WireObject::of(&o, "/cwd".as_ref())).unwrap())
                .unwrap();
        let back = wire.object();
        assert_eq!(back.key, o.key);
        assert_eq!(back.log, o.log);
        assert_eq!(back.location, Location::Local("/cwd/rel/x.json.gz".into()));
        let config = ScanConfig {
            scope: Scope {
                window: Window {
                    from: DateTime::from_timestamp(1_772_500_000, 0),
                    to: None,
                },
                accounts: vec!["111122223333".into()],
                ..Scope::default()
            },
            strict: true,
            ..ScanConfig::default()
        };
        let back = WireConfig::of(&config).config().unwrap();
        assert_eq!(back.scope, config.scope);
        assert!(back.strict);
    }
}
