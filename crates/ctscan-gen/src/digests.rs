//! Signed CloudTrail digest chains for a generated archive (`ctscan-gen --digests`), in the real format,
//! so `ctscan verify` and the AWS CLI's own validator can be tested on archives whose every log file,
//! hash, signature and gap is known.
//!
//! Every account and region gets one digest per hour, from the first day's midnight to the end of the hour
//! of the archive's newest delivery, each listing the log files delivered in its hour (by the time in their
//! name), and each signed ([`test_keys`]: the first day by one key, later ones by the other, as keys
//! rotate). A successful `StopLogging` in the logs silences its account's chains for the
//! [`STOPPED_HOURS`] after its hour; the logs delivered then are in no digest, and the next digest starts
//! a new chain, as when logging is turned back on.

pub mod body;
pub mod logs;
pub mod sidecar;
pub mod test_keys;

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use ctscan::source::evidence::sha256_hex;
use ctscan::verify::digest::{DigestBody, LogFileRef};
use ctscan::verify::signature::string_to_sign;
use rayon::prelude::*;

use crate::{GenOptions, account_ids, day_dir, region_names, rfc3339, service_dir, write_gz};
use logs::{LogFile, Stamp};
use test_keys::TestKey;

/// The bucket the digests say they and the logs are in.
pub const BUCKET: &str = "org-cloudtrail-archive";

/// The trail whose digests these are (the one the planted `StopLogging` names).
pub const TRAIL: &str = "org-trail";

/// The trail's home region, in every digest's name.
pub const HOME_REGION: &str = "us-east-1";

/// Hours after the hour of a `StopLogging` for which its account writes no digests.
pub const STOPPED_HOURS: i64 = 2;

/// What the next digest of a chain commits to.
struct Link {
    object: String,
    sha256: String,
    signature: String,
}

/// The hours of an archive: where they start, how many, and which (account, hour) pairs are stopped.
struct Hours {
    start: DateTime<Utc>,
    count: i64,
    stopped: HashSet<(String, i64)>,
}

impl Hours {
    fn of(&self, t: DateTime<Utc>) -> i64 {
        (t - self.start).num_seconds().div_euclid(3600)
    }
}

/// Writes the digests and sidecars of every account and region under `root` for the log files already
/// there; returns how many digests were written.
pub fn write(opts: &GenOptions, root: &Path) -> std::io::Result<usize> {
    let (logs, stops) = logs::scan(root)?;
    let start = opts.start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let Some(newest) = logs.iter().map(|l| l.delivered).max() else {
        return Ok(0);
    };
    let hour = |t: DateTime<Utc>| (t - start).num_seconds().div_euclid(3600);
    let hours = Hours {
        start,
        count: hour(newest) + 1,
        stopped: stops
            .iter()
            .flat_map(|s| (1..=STOPPED_HOURS).map(|i| (s.account.clone(), hour(s.time) + i)))
            .collect(),
    };
    let keys = [TestKey::load(0), TestKey::load(1)];
    let accounts = account_ids(opts.accounts.max(1));
    let regions = region_names(opts.regions.max(1));
    let chains: Vec<(usize, &String, &String)> = accounts
        .iter()
        .enumerate()
        .flat_map(|(a, account)| regions.iter().map(move |r| (a, account, r)))
        .collect();
    let written: Vec<usize> = chains
        .into_par_iter()
        .map(|(a, account, region)| {
            let mut by_hour: Vec<Vec<&LogFile>> = vec![Vec::new(); hours.count.max(0) as usize];
            for l in logs
                .iter()
                .filter(|l| &l.account == account && &l.region == region)
            {
                if let Some(slot) = usize::try_from(hours.of(l.delivered))
                    .ok()
                    .and_then(|h| by_hour.get_mut(h))
                {
                    slot.push(l);
                }
            }
            let base = service_dir(opts.layout, a, account, "CloudTrail-Digest");
            write_chain(root, &base, account, region, &by_hour, &hours, &keys)
        })
        .collect::<std::io::Result<_>>()?;
    Ok(written.iter().sum())
}

/// Writes one account and region's digests, hour by hour; `by_hour` holds the logs each lists, by key.
fn write_chain(
    root: &Path,
    base: &str,
    account: &str,
    region: &str,
    by_hour: &[Vec<&LogFile>],
    hours: &Hours,
    keys: &[TestKey; 2],
) -> std::io::Result<usize> {
    let rotation = hours.start + Duration::days(1);
    let mut previous: Option<Link> = None;
    let mut written = 0;
    for (h, files) in by_hour.iter().enumerate() {
        if hours.stopped.contains(&(account.to_string(), h as i64)) {
            previous = None;
            continue;
        }
        let from = hours.start + Duration::hours(h as i64);
        let end = from + Duration::hours(1);
        let key = if end < rotation { &keys[0] } else { &keys[1] };
        let object = format!(
            "{}/{account}_CloudTrail-Digest_{region}_{TRAIL}_{HOME_REGION}_{}.json.gz",
            day_dir(base, region, end.date_naive()),
            end.format("%Y%m%dT%H%M%SZ")
        );
        let body = DigestBody {
            aws_account_id: account.to_string(),
            digest_start_time: rfc3339(from),
            digest_end_time: rfc3339(end),
            digest_s3_bucket: BUCKET.to_string(),
            digest_s3_object: object.clone(),
            digest_public_key_fingerprint: key.fingerprint.clone(),
            digest_signature_algorithm: "SHA256withRSA".to_string(),
            newest_event_time: text(files.iter().filter_map(|f| f.newest.as_ref()).max_by_key(|t| t.0)),
            oldest_event_time: text(files.iter().filter_map(|f| f.oldest.as_ref()).min_by_key(|t| t.0)),
            previous_digest_s3_bucket: previous.as_ref().map(|_| BUCKET.to_string()),
            previous_digest_s3_object: previous.as_ref().map(|p| p.object.clone()),
            previous_digest_hash_value: previous.as_ref().map(|p| p.sha256.clone()),
            previous_digest_hash_algorithm: previous.as_ref().map(|_| "SHA-256".to_string()),
            previous_digest_signature: previous.as_ref().map(|p| p.signature.clone()),
            log_files: files.iter().map(|f| listed(f)).collect(),
        };
        let bytes = body::render(&body);
        let sha256 = sha256_hex(&bytes);
        let signed = string_to_sign(
            &body.digest_end_time,
            BUCKET,
            &object,
            &sha256,
            body.previous_digest_signature.as_deref(),
        );
        let signature = key.sign_hex(&signed);
        write_gz(root, &object, &bytes)?;
        let gz = std::fs::read(root.join(&object))?;
        std::fs::write(
            root.join(format!("{object}.metadata.json")),
            sidecar::render(&gz, end, &signature),
        )?;
        written += 1;
        previous = Some(Link {
            object,
            sha256,
            signature,
        });
    }
    Ok(written)
}

fn text(t: Option<&Stamp>) -> Option<String> {
    t.map(|t| t.1.clone())
}

/// A log file as a digest lists it.
fn listed(f: &LogFile) -> LogFileRef {
    LogFileRef {
        s3_bucket: BUCKET.to_string(),
        s3_object: f.key.clone(),
        hash_value: f.sha256.clone(),
        hash_algorithm: Some("SHA-256".to_string()),
        newest_event_time: text(f.newest.as_ref()),
        oldest_event_time: text(f.oldest.as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Read;

    use ctscan::verify::digest_name;
    use ctscan::verify::keys::KeySet;
    use ctscan::verify::signature::check;

    use super::*;
    use crate::{LayoutKind, generate};

    /// One digest as stored.
    struct Stored {
        rel: String,
        json: Vec<u8>,
        body: DigestBody,
        signature: String,
    }

    fn opts() -> GenOptions {
        GenOptions {
            events: 2000,
            events_per_file: 20,
            days: 2,
            accounts: 2,
            regions: 2,
            layout: LayoutKind::Mixed,
            siblings: true,
            attacks: true,
            digests: true,
            ..GenOptions::default()
        }
    }

    fn gunzip(path: &Path) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// Every object under a `CloudTrail-Digest` folder but the sidecars, by key.
    fn digests(root: &Path) -> Vec<Stored> {
        let mut out: Vec<Stored> = crate::snapshot(root)
            .into_iter()
            .filter(|(rel, _)| rel.contains("/CloudTrail-Digest/") && rel.ends_with(".json.gz"))
            .map(|(rel, _)| {
                let json = gunzip(&root.join(&rel));
                let side: serde_json::Value = serde_json::from_slice(
                    &std::fs::read(root.join(format!("{rel}.metadata.json"))).unwrap(),
                )
                .unwrap();
                Stored {
                    body: DigestBody::parse(&json).unwrap(),
                    signature: side["Metadata"]["signature"].as_str().unwrap().to_string(),
                    rel,
                    json,
                }
            })
            .collect();
        out.sort_by(|a, b| a.rel.cmp(&b.rel));
        out
    }

    fn archive() -> (tempfile::TempDir, Vec<Stored>) {
        let dir = tempfile::tempdir().unwrap();
        let summary = generate(&opts(), dir.path()).unwrap();
        let stored = digests(dir.path());
        assert_eq!(summary.digest_files, stored.len());
        (dir, stored)
    }

    fn time(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Each chain's digests, oldest first, by (account, region).
    fn chains(stored: &[Stored]) -> BTreeMap<(String, String), Vec<&Stored>> {
        let mut out: BTreeMap<(String, String), Vec<&Stored>> = BTreeMap::new();
        for s in stored {
            let name = digest_name::parse(&s.rel).unwrap();
            out.entry((name.account, name.region)).or_default().push(s);
        }
        for list in out.values_mut() {
            list.sort_by_key(|s| time(&s.body.digest_end_time));
        }
        out
    }

    /// The planted `StopLogging`: its account and the start of its hour.
    fn the_stop(root: &Path) -> (String, DateTime<Utc>) {
        let (_, stops) = logs::scan(root).unwrap();
        assert_eq!(stops.len(), 1, "{stops:?}");
        let t = stops[0].time;
        (
            stops[0].account.clone(),
            t - Duration::seconds(t.timestamp().rem_euclid(3600)),
        )
    }

    #[test]
    fn every_digest_is_signed_by_a_committed_test_key() {
        let (_dir, stored) = archive();
        let mut keys = KeySet::default();
        keys.load(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../testdata/digest-test-key/list-public-keys.json"),
        )
        .unwrap();
        let rotation = time("2026-03-02T00:00:00Z");
        let (one, two) = (TestKey::load(0).fingerprint, TestKey::load(1).fingerprint);
        assert!(stored.len() > 150, "{}", stored.len());
        for s in &stored {
            let b = &s.body;
            assert_eq!(b.digest_s3_object, s.rel);
            let want = if time(&b.digest_end_time) < rotation {
                &one
            } else {
                &two
            };
            assert_eq!(&b.digest_public_key_fingerprint, want, "{}", s.rel);
            let message = string_to_sign(
                &b.digest_end_time,
                &b.digest_s3_bucket,
                &b.digest_s3_object,
                &sha256_hex(&s.json),
                b.previous_digest_signature.as_deref(),
            );
            let key = keys.get(&b.digest_public_key_fingerprint).unwrap();
            assert_eq!(check(key, &message, &s.signature), Ok(()), "{}", s.rel);
        }
    }

    #[test]
    fn each_digest_commits_to_the_one_before() {
        let (dir, stored) = archive();
        let (stopped, hour) = the_stop(dir.path());
        let chains = chains(&stored);
        assert_eq!(chains.len(), 4);
        let ends: Vec<&str> = chains
            .values()
            .map(|c| c.last().unwrap().body.digest_end_time.as_str())
            .collect();
        assert!(ends.iter().all(|e| *e == ends[0]), "{ends:?}");
        for ((account, region), list) in &chains {
            assert_eq!(list[0].body.digest_start_time, "2026-03-01T00:00:00Z");
            assert!(list[0].body.starts_chain());
            let mut starts = 1;
            for pair in list.windows(2) {
                let (prev, next) = (&pair[0].body, &pair[1].body);
                assert_eq!(
                    time(&next.digest_start_time) - time(&next.digest_end_time),
                    Duration::hours(-1)
                );
                if next.starts_chain() {
                    starts += 1;
                    assert_eq!(next.digest_start_time, rfc3339(hour + Duration::hours(3)));
                    assert_eq!(prev.digest_end_time, rfc3339(hour + Duration::hours(1)));
                    continue;
                }
                assert_eq!(next.digest_start_time, prev.digest_end_time);
                assert_eq!(next.previous_digest_s3_bucket.as_deref(), Some(BUCKET));
                assert_eq!(
                    next.previous_digest_s3_object.as_deref(),
                    Some(pair[0].rel.as_str())
                );
                assert_eq!(next.previous_digest_hash_value, Some(sha256_hex(&pair[0].json)));
                assert_eq!(next.previous_digest_hash_algorithm.as_deref(), Some("SHA-256"));
                assert_eq!(
                    next.previous_digest_signature.as_deref(),
                    Some(pair[0].signature.as_str())
                );
            }
            assert_eq!(
                starts,
                if account == &stopped { 2 } else { 1 },
                "{account} {region}"
            );
        }
    }

    #[test]
    fn every_log_file_is_listed_once_except_while_logging_was_stopped() {
        let (dir, stored) = archive();
        let (stopped, hour) = the_stop(dir.path());
        let silent = hour + Duration::hours(1)..hour + Duration::hours(3);
        let mut listed: BTreeMap<&str, Vec<&LogFileRef>> = BTreeMap::new();
        for s in &stored {
            for l in &s.body.log_files {
                listed.entry(l.s3_object.as_str()).or_default().push(l);
            }
            let keys: Vec<&str> = s.body.log_files.iter().map(|l| l.s3_object.as_str()).collect();
            assert!(keys.is_sorted(), "{}", s.rel);
        }
        let (mut unlisted, mut logs) = (0, 0);
        for (rel, _) in crate::snapshot(dir.path()) {
            let ctscan::source::layout::KeyClass::Log(k) = ctscan::source::layout::classify(&rel) else {
                continue;
            };
            logs += 1;
            let delivered = digest_name::log_delivery(&rel).unwrap();
            let refs = listed.remove(rel.as_str()).unwrap_or_default();
            if k.account == stopped && silent.contains(&delivered) {
                assert!(refs.is_empty(), "{rel} delivered while logging was stopped");
                unlisted += 1;
                continue;
            }
            assert_eq!(refs.len(), 1, "{rel}");
            let json = gunzip(&dir.path().join(&rel));
            assert_eq!(refs[0].hash_value, sha256_hex(&json));
            let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
            let mut times: Vec<&str> = doc["Records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["eventTime"].as_str().unwrap())
                .collect();
            times.sort();
            assert_eq!(refs[0].oldest_event_time.as_deref(), times.first().copied());
            assert_eq!(refs[0].newest_event_time.as_deref(), times.last().copied());
        }
        assert!(listed.is_empty(), "listed but not in the archive: {listed:?}");
        assert!(unlisted > 0 && logs > 100, "{unlisted} of {logs}");
    }

    #[test]
    fn a_chain_restarts_after_the_planted_stop_logging() {
        let (dir, stored) = archive();
        let (stopped, hour) = the_stop(dir.path());
        assert_eq!(stopped, "111122223333");
        let by_start: BTreeMap<(String, String, String), &Stored> = stored
            .iter()
            .map(|s| {
                let n = digest_name::parse(&s.rel).unwrap();
                ((n.account, n.region, s.body.digest_start_time.clone()), s)
            })
            .collect();
        let at = |region: &str, h: i64| {
            by_start.get(&(
                stopped.clone(),
                region.to_string(),
                rfc3339(hour + Duration::hours(h)),
            ))
        };
        for region in region_names(2) {
            assert!(
                at(&region, 0).is_some(),
                "{region}: the hour of the call has its digest"
            );
            assert!(at(&region, 1).is_none() && at(&region, 2).is_none(), "{region}");
            assert!(at(&region, 3).unwrap().body.starts_chain(), "{region}");
            assert!(!at(&region, 4).unwrap().body.starts_chain(), "{region}");
        }
        let empty = stored.iter().find(|s| s.body.log_files.is_empty()).unwrap();
        assert_eq!(
            (
                empty.body.newest_event_time.as_ref(),
                empty.body.oldest_event_time.as_ref()
            ),
            (None, None)
        );
    }
}
