//! Listing an S3 SOURCE the way the layout allows: `ListObjectsV2` with a `/` delimiter walks down to the
//! `AWSLogs/` roots (both organization layouts, any custom prefix), enumerates accounts and regions, and
//! skips every folder the scope rules out; inside a region, only the day prefixes of the window are listed,
//! directly when the window is short (up to a month), otherwise through the year folders and whole month
//! prefixes in scope. Many prefixes are listed at once; each is paginated to the end.
//! A prefix that cannot be listed is reported and the others go on; only the SOURCE's own prefix failing
//! stops the run.

use std::collections::{BTreeMap, VecDeque};

use chrono::{Datelike, Duration, NaiveDate};
use futures::StreamExt;
use futures::stream::FuturesUnordered;

use super::errors::{Problem, S3Error, list_failure};
use super::{Store, display_key};
use crate::source::layout::{KeyClass, SkipReason, classify, dir_in_scope};
use crate::source::window::Scope;
use crate::source::{Failure, Location, ObjectRef, Tally};

/// Longest window whose day prefixes are listed one by one; longer windows walk year and month folders.
const MAX_DIRECT_DAYS: i64 = 31;

/// What listing one SOURCE found.
#[derive(Debug, Default)]
pub struct Found {
    /// Objects to read.
    pub objects: Vec<ObjectRef>,
    /// Objects (or, for other services' folders, folders) not read, by reason.
    pub skipped: BTreeMap<String, Tally>,
    /// Prefixes that could not be listed.
    pub failures: Vec<Failure>,
    /// Digest objects (and their sidecars), for `verify`.
    pub digests: Vec<ObjectRef>,
}

/// One prefix to list.
#[derive(Debug, Clone)]
struct Job {
    prefix: String,
    /// With a `/` delimiter (one level) or without (everything below).
    delimited: bool,
    /// The SOURCE's own prefix: failing to list it stops the run.
    root: bool,
}

/// Where a prefix sits in the `AWSLogs` layout.
#[derive(Debug, PartialEq, Eq)]
enum Place<'a> {
    /// Not (yet) inside an account's folder.
    Other,
    /// `AWSLogs/<account>/<service>/`, with the service's name.
    Service(&'a str),
    /// `.../CloudTrail*/<region>/`.
    Region,
    /// `.../CloudTrail*/<region>/<YYYY>/<MM>/`.
    Month,
    /// `.../CloudTrail*/<region>/<YYYY>/<MM>/<DD>/`.
    Day,
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_org(s: &str) -> bool {
    s.len() > 2 && s.starts_with("o-") && s[2..].bytes().all(|b| b.is_ascii_alphanumeric())
}

fn place(prefix: &str) -> Place<'_> {
    let parts: Vec<&str> = prefix.split('/').filter(|p| !p.is_empty()).collect();
    let Some(pos) = parts.iter().rposition(|p| *p == "AWSLogs") else {
        return Place::Other;
    };
    let mut rest = &parts[pos + 1..];
    if rest.first().is_some_and(|p| is_org(p)) {
        rest = &rest[1..];
    }
    if rest.len() < 2 || !is_account(rest[0]) {
        return Place::Other;
    }
    let service = rest[1];
    if !service.starts_with("CloudTrail") {
        return if rest.len() == 2 {
            Place::Service(service)
        } else {
            Place::Other
        };
    }
    match rest.len() {
        2 => Place::Service(service),
        3 => Place::Region,
        5 => Place::Month,
        6 => Place::Day,
        _ => Place::Other,
    }
}

/// The day prefixes to list under a region folder, when the window is short enough to list them directly.
fn day_prefixes(region_prefix: &str, scope: &Scope) -> Option<Vec<String>> {
    let range = scope.day_range();
    let (first, last) = (range.first?, range.last?);
    if last < first {
        return Some(Vec::new());
    }
    if (last - first).num_days() >= MAX_DIRECT_DAYS {
        return None;
    }
    let mut out = Vec::new();
    let mut d: NaiveDate = first;
    while d <= last {
        out.push(format!(
            "{region_prefix}{:04}/{:02}/{:02}/",
            d.year(),
            d.month(),
            d.day()
        ));
        d += Duration::days(1);
    }
    Some(out)
}

/// One listed object: key, size, ETag, last-modified seconds.
type Listed = (String, u64, Option<String>, Option<i64>);

/// Lists one prefix to the end of its pages: its objects and (when delimited) its sub-prefixes.
async fn list_prefix(store: &Store, job: &Job) -> Result<(Vec<Listed>, Vec<String>), Problem> {
    let mut req = store
        .client
        .list_objects_v2()
        .bucket(&store.bucket)
        .prefix(&job.prefix);
    if job.delimited {
        req = req.delimiter("/");
    }
    let mut pages = req.into_paginator().send();
    let mut objects = Vec::new();
    let mut prefixes = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Problem::of(&e))?;
        for o in page.contents() {
            let Some(key) = o.key() else { continue };
            objects.push((
                key.to_string(),
                o.size().unwrap_or(0).max(0) as u64,
                o.e_tag().map(|t| t.trim_matches('"').to_string()),
                o.last_modified().map(|t| t.secs()),
            ));
        }
        prefixes.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix())
                .map(str::to_string),
        );
    }
    Ok((objects, prefixes))
}

fn add_object(store: &Store, listed: Listed, scope: &Scope, found: &mut Found) {
    let (key, size, etag, modified) = listed;
    let log = match classify(&key) {
        KeyClass::Log(k) => {
            let in_scope = scope.day_range().contains(k.day)
                && scope.wants_account(&k.account)
                && scope.wants_region(&k.region);
            if !in_scope {
                return;
            }
            Some(k)
        }
        KeyClass::Loose => None,
        KeyClass::Skip(reason) => {
            let t = found.skipped.entry(reason.to_string()).or_default();
            t.objects += 1;
            t.bytes += size;
            if reason == SkipReason::Digest {
                found.digests.push(ObjectRef {
                    key: display_key(&store.bucket, &key),
                    size,
                    log: None,
                    location: Location::S3 {
                        bucket: store.bucket.clone(),
                        key,
                        etag,
                        modified,
                    },
                });
            }
            return;
        }
    };
    found.objects.push(ObjectRef {
        key: display_key(&store.bucket, &key),
        size,
        log,
        location: Location::S3 {
            bucket: store.bucket.clone(),
            key,
            etag,
            modified,
        },
    });
}

/// Decides what to do with a sub-prefix found by a delimited listing.
fn descend(prefix: String, scope: &Scope, queue: &mut VecDeque<Job>, found: &mut Found) {
    if !dir_in_scope(&prefix, scope) {
        return;
    }
    let job = |prefix: String, delimited: bool| Job {
        prefix,
        delimited,
        root: false,
    };
    match place(&prefix) {
        Place::Service(s) if !s.starts_with("CloudTrail") => {
            // Other services' logs (Config, VPC flow logs...) can be huge: counted as folders, never listed.
            let t = found
                .skipped
                .entry(format!("{s} folder, not CloudTrail (not listed)"))
                .or_default();
            t.objects += 1;
        }
        Place::Region => match day_prefixes(&prefix, scope) {
            Some(days) => queue.extend(days.into_iter().map(|d| job(d, false))),
            None => queue.push_back(job(prefix, true)),
        },
        // A month is listed whole (a few pages for a busy region) rather than as up to 31 day prefixes.
        Place::Month | Place::Day => queue.push_back(job(prefix, false)),
        _ => queue.push_back(job(prefix, true)),
    }
}

/// Lists everything `scope` can use under `prefix`.
pub async fn list(store: &Store, prefix: &str, scope: &Scope) -> Result<Found, S3Error> {
    let mut found = Found::default();
    let mut queue = VecDeque::from([Job {
        prefix: prefix.to_string(),
        delimited: true,
        root: true,
    }]);
    let mut running = FuturesUnordered::new();
    loop {
        while running.len() < store.concurrency {
            let Some(job) = queue.pop_front() else { break };
            running.push(async move {
                let result = list_prefix(store, &job).await;
                (job, result)
            });
        }
        let Some((job, result)) = running.next().await else {
            break;
        };
        let url = display_key(&store.bucket, &job.prefix);
        match result {
            Ok((objects, prefixes)) => {
                for o in objects {
                    add_object(store, o, scope, &mut found);
                }
                for p in prefixes {
                    descend(p, scope, &mut queue, &mut found);
                }
            }
            Err(problem) if job.root || problem.is_credentials() => {
                return Err(S3Error::List {
                    url,
                    reason: problem.message,
                });
            }
            Err(problem) => {
                let (category, reason) = list_failure(&problem, &url);
                found.failures.push(Failure {
                    key: url,
                    category,
                    reason,
                });
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::window::Window;
    use chrono::Utc;

    #[test]
    fn places_in_the_layout() {
        assert_eq!(place("AWSLogs/"), Place::Other);
        assert_eq!(place("x/o-abc123/AWSLogs/111122223333/"), Place::Other);
        assert_eq!(
            place("AWSLogs/111122223333/CloudTrail/"),
            Place::Service("CloudTrail")
        );
        assert_eq!(
            place("p/AWSLogs/o-abc123/111122223333/Config/"),
            Place::Service("Config")
        );
        assert_eq!(
            place("o-abc123/AWSLogs/111122223333/CloudTrail/us-east-1/"),
            Place::Region
        );
        assert_eq!(
            place("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/04/"),
            Place::Day
        );
        assert_eq!(
            place("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/"),
            Place::Month
        );
        assert_eq!(
            place("AWSLogs/111122223333/Config/us-east-1/2026/3/4/"),
            Place::Other
        );
        assert_eq!(place("AWSLogs/readme/"), Place::Other);
    }

    #[test]
    fn short_windows_list_their_days_directly() {
        let scope = Scope {
            window: Window::from_flags(Some("2026-02-28"), Some("2026-03-01"), None, Utc::now()).unwrap(),
            ..Scope::default()
        };
        let days = day_prefixes("AWSLogs/111122223333/CloudTrail/r/", &scope).unwrap();
        assert_eq!(
            days,
            vec![
                "AWSLogs/111122223333/CloudTrail/r/2026/02/27/",
                "AWSLogs/111122223333/CloudTrail/r/2026/02/28/",
                "AWSLogs/111122223333/CloudTrail/r/2026/03/01/",
                "AWSLogs/111122223333/CloudTrail/r/2026/03/02/",
            ]
        );
        assert!(day_prefixes("r/", &Scope::default()).is_none());
        let long = Scope {
            window: Window::from_flags(Some("2026-01-01"), Some("2026-03-01"), None, Utc::now()).unwrap(),
            ..Scope::default()
        };
        assert!(day_prefixes("r/", &long).is_none());
    }
}
