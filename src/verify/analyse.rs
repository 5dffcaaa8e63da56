//! The verdicts: every digest's signature and place, every link between digests, every log file a digest
//! lists, every log file none lists, and the windows no chain covers, from what was read (nothing here
//! touches the archive, so each rule can be tested on its own).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use rayon::prelude::*;

use super::digest::DigestBody;
use super::digest_name::{self, DigestName};
use super::finding::{Finding, Status};
use super::keys::KeySet;
use super::log_hash::{LogHash, TrailEvent};
use super::signature::{check, string_to_sign};
use crate::evidence::sha256_hex;
use crate::layout::layout_relative;
use crate::window::Window;

/// One digest object as read.
#[derive(Debug, Clone)]
pub struct DigestObject {
    /// Its key from the layout root.
    pub key: String,
    /// Its decompressed bytes, or why they could not be had.
    pub json: Result<Vec<u8>, String>,
    /// The signature from its S3 metadata or sidecar, with where it came from.
    pub signature: Option<(String, &'static str)>,
}

/// Why a log file's hash could not be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFault {
    /// The bytes could not be read (I/O, S3): nothing is known about them.
    Unreadable(String),
    /// The bytes are not a whole gzip stream: they are not what CloudTrail wrote.
    Corrupt(String),
}

/// One log file as read.
#[derive(Debug, Clone)]
pub struct LogObject {
    /// Its key from the layout root.
    pub key: String,
    /// Account from the layout.
    pub account: String,
    /// Region from the layout.
    pub region: String,
    /// Delivery time from its name.
    pub delivered: Option<DateTime<Utc>>,
    /// Its hash, members and trail calls.
    pub hash: Result<LogHash, LogFault>,
}

/// What to verify and how.
pub struct Inputs {
    /// Digest objects.
    pub digests: Vec<DigestObject>,
    /// Log objects.
    pub logs: Vec<LogObject>,
    /// `--from` / `--to`: findings outside it are dropped.
    pub window: Window,
    /// `--gap`: silences longer than this in digest-less places are reported.
    pub gap: Duration,
    /// Whether a log file a digest lists was within what was listed (by layout key).
    pub listed: Box<dyn Fn(&str) -> bool + Send + Sync>,
}

/// The outcome of a verification.
#[derive(Debug, Default)]
pub struct Verification {
    /// Every finding, ordered by account, region, time and object.
    pub findings: Vec<Finding>,
    /// Each chain's covered period and freshness.
    pub chains: Vec<ChainSpan>,
    /// The trail-changing calls found in the logs.
    pub trail_events: Vec<TrailEvent>,
    /// Digest objects read.
    pub digests_read: usize,
    /// Log files read.
    pub logs_read: usize,
}

/// What one (account, region, trail) chain covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpan {
    /// Account.
    pub account: String,
    /// Region.
    pub region: String,
    /// Trail.
    pub trail: String,
    /// Start of its oldest digest.
    pub first: DateTime<Utc>,
    /// End of its newest digest: how fresh the proof is.
    pub newest: DateTime<Utc>,
    /// Digests present.
    pub digests: u64,
}

/// Slack around hour boundaries: log names carry the minute of delivery, digests the second.
const EDGE: i64 = 2;
/// How much older than the archive's freshest digest a chain's newest may be before digests after it
/// are counted missing: an hour of cadence plus delivery delay.
const TAIL_SLACK_MINUTES: i64 = 75;

struct Parsed {
    key: String,
    name: DigestName,
    body: DigestBody,
    sha256: String,
    signature: Option<(String, &'static str)>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Parsed {
    fn chain(&self) -> (&str, &str, &str) {
        (&self.name.account, &self.name.region, &self.name.trail)
    }
}

fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn rel(key: &str) -> &str {
    layout_relative(key).unwrap_or(key)
}

fn hours(d: Duration) -> u64 {
    ((d.num_seconds() as f64 / 3600.0).round() as u64).max(1)
}

fn finding(status: Status, object: &str, account: &str, region: &str) -> Finding {
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

fn parse(d: DigestObject) -> Result<Parsed, Box<Finding>> {
    let fail = |detail: String| {
        let name = digest_name::parse(&d.key);
        let (account, region) = digest_name::place_of(&d.key).unwrap_or_default();
        let mut f = finding(Status::BadFormat, &d.key, &account, &region);
        f.trail = name.map(|n| n.trail);
        f.detail = detail;
        Box::new(f)
    };
    let Some(name) = digest_name::parse(&d.key) else {
        return Err(fail("not a CloudTrail digest name".into()));
    };
    let json = d.json.as_ref().map_err(|e| fail(e.clone()))?;
    let body = DigestBody::parse(json).map_err(&fail)?;
    let (Some(start), Some(end)) = (time(&body.digest_start_time), time(&body.digest_end_time)) else {
        return Err(fail("digestStartTime or digestEndTime is not a time".into()));
    };
    if body.aws_account_id != name.account {
        return Err(fail(format!(
            "awsAccountId {} is not the account {} of its name",
            body.aws_account_id, name.account
        )));
    }
    Ok(Parsed {
        sha256: sha256_hex(json),
        key: d.key,
        name,
        body,
        signature: d.signature,
        start,
        end,
    })
}

/// Windows a place's digests say something about.
#[derive(Default)]
struct Place {
    covered: Vec<(DateTime<Utc>, DateTime<Utc>, String)>,
    missing: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    newest: Option<DateTime<Utc>>,
}

enum Class {
    Covered(String),
    Missing,
    NotYet,
    Uncovered,
}

impl Place {
    fn class_at(&self, t: DateTime<Utc>) -> Class {
        if self.missing.iter().any(|(a, b)| *a <= t && t < *b) {
            return Class::Missing;
        }
        if let Some((_, _, trail)) = self.covered.iter().find(|(a, b, _)| *a <= t && t < *b) {
            return Class::Covered(trail.clone());
        }
        match self.newest {
            Some(n) if t >= n => Class::NotYet,
            _ => Class::Uncovered,
        }
    }
}

/// Runs every check.
pub fn verify(input: Inputs, keys: &KeySet) -> Verification {
    let mut out: Vec<Finding> = Vec::new();
    let mut parsed: Vec<Parsed> = Vec::new();
    for r in input.digests.into_par_iter().map(parse).collect::<Vec<_>>() {
        match r {
            Ok(p) => parsed.push(p),
            Err(f) => out.push(*f),
        }
    }
    parsed.sort_by(|a, b| {
        a.chain()
            .cmp(&b.chain())
            .then(a.end.cmp(&b.end))
            .then(a.key.cmp(&b.key))
    });
    let trail_events: Vec<TrailEvent> = input
        .logs
        .iter()
        .filter_map(|l| l.hash.as_ref().ok())
        .flat_map(|h| h.trail_events.iter().cloned())
        .collect();

    let by_key: HashMap<&str, usize> = parsed.iter().enumerate().map(|(i, p)| (rel(&p.key), i)).collect();
    let by_hash: HashMap<&str, usize> = parsed
        .iter()
        .enumerate()
        .map(|(i, p)| (p.sha256.as_str(), i))
        .collect();
    let pred: Vec<Option<usize>> = parsed
        .iter()
        .map(|p| {
            if p.body.starts_chain() {
                return None;
            }
            let by_name = p
                .body
                .previous_digest_s3_object
                .as_deref()
                .and_then(|o| by_key.get(rel(o)));
            let by_content = p
                .body
                .previous_digest_hash_value
                .as_deref()
                .and_then(|h| by_hash.get(h));
            by_name.or(by_content).copied()
        })
        .collect();
    let mut succ: Vec<Option<usize>> = vec![None; parsed.len()];
    for (i, p) in pred.iter().enumerate() {
        if let Some(p) = *p {
            succ[p].get_or_insert(i);
        }
    }

    // Signatures (checked in parallel: RSA dominates) and places.
    let judged: Vec<(Finding, Option<Finding>)> = parsed
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            judge(
                p,
                succ[i].and_then(|s| parsed[s].body.previous_digest_signature.clone()),
                keys,
            )
        })
        .collect();
    let mut verdict: Vec<Status> = Vec::with_capacity(parsed.len());
    for (f, moved) in judged {
        verdict.push(f.status);
        out.push(f);
        out.extend(moved);
    }

    // Places: what each (account, region) has digests for.
    let mut places: BTreeMap<(String, String), Place> = BTreeMap::new();
    for p in &parsed {
        let place = places
            .entry((p.name.account.clone(), p.name.region.clone()))
            .or_default();
        place.covered.push((p.start, p.end, p.name.trail.clone()));
        place.newest = place.newest.max(Some(p.end));
    }
    let oldest_log: HashMap<(String, String), DateTime<Utc>> =
        input.logs.iter().fold(HashMap::new(), |mut m, l| {
            if let Some(t) = l.delivered {
                let e = m.entry((l.account.clone(), l.region.clone())).or_insert(t);
                *e = (*e).min(t);
            }
            m
        });

    // Links, missing digests and gaps.
    for (i, p) in parsed.iter().enumerate() {
        let earlier = (0..i)
            .rev()
            .find(|&j| parsed[j].chain() == p.chain() && parsed[j].end <= p.start);
        let before = i.checked_sub(1).filter(|&j| parsed[j].chain() == p.chain());
        if p.body.starts_chain() {
            if let Some(j) = before {
                let q = &parsed[j];
                let mut g = finding(Status::Gap, "", &p.name.account, &p.name.region);
                g.trail = Some(p.name.trail.clone());
                g.from = Some(q.end);
                g.to = Some(p.start);
                g.digest = Some(p.key.clone());
                g.detail = format!(
                    "the chain starts again at {} after ending at {}{}",
                    p.start.to_rfc3339(),
                    q.end.to_rfc3339(),
                    explain(
                        &trail_events,
                        &p.name,
                        q.end - Duration::hours(1),
                        p.start + Duration::minutes(5)
                    )
                );
                out.push(g);
            }
            continue;
        }
        match pred[i] {
            Some(j) => {
                let q = &parsed[j];
                let mut reasons = Vec::new();
                if p.body.previous_digest_hash_value.as_deref() != Some(q.sha256.as_str()) {
                    reasons.push(format!(
                        "previousDigestHashValue {} is not the SHA-256 of {} ({})",
                        p.body.previous_digest_hash_value.as_deref().unwrap_or("null"),
                        q.key,
                        q.sha256
                    ));
                }
                if let Some((sig, source)) = &q.signature
                    && p.body.previous_digest_signature.as_deref() != Some(sig.as_str())
                {
                    reasons.push(format!(
                        "previousDigestSignature is not the signature in {}'s {source}",
                        q.key
                    ));
                }
                if q.body.digest_end_time != p.body.digest_start_time {
                    reasons.push(format!(
                        "digestStartTime {} is not the previous digest's digestEndTime {}",
                        p.body.digest_start_time, q.body.digest_end_time
                    ));
                }
                if !reasons.is_empty() {
                    let mut f = finding(Status::BrokenLink, &p.key, &p.name.account, &p.name.region);
                    f.trail = Some(p.name.trail.clone());
                    f.from = Some(q.end);
                    f.to = Some(p.start);
                    f.digest = Some(q.key.clone());
                    f.detail = reasons.join("; ");
                    out.push(f);
                }
            }
            None => {
                let named = p.body.previous_digest_s3_object.as_deref().unwrap_or_default();
                let from = match earlier {
                    Some(j) => parsed[j].end,
                    None => {
                        // The chain's oldest digest: its predecessor is only missed when the archive
                        // holds logs from before it (else the archive simply starts mid-chain).
                        let key = (p.name.account.clone(), p.name.region.clone());
                        match oldest_log.get(&key) {
                            Some(t) if *t < p.start - Duration::minutes(EDGE) => *t,
                            _ => continue,
                        }
                    }
                };
                let count = hours(p.start - from);
                let mut f = finding(Status::MissingDigest, rel(named), &p.name.account, &p.name.region);
                f.trail = Some(p.name.trail.clone());
                f.from = Some(from);
                f.to = Some(p.start);
                f.count = Some(count);
                f.digest = Some(p.key.clone());
                f.detail = format!(
                    "{} names it as its previous digest; about {count} digest(s) between {} and {} are gone{}",
                    p.key,
                    from.to_rfc3339(),
                    p.start.to_rfc3339(),
                    explain(&trail_events, &p.name, from - Duration::hours(1), p.start)
                );
                if let Some(place) = places.get_mut(&(p.name.account.clone(), p.name.region.clone())) {
                    place.missing.push((from, p.start));
                }
                out.push(f);
            }
        }
    }

    // Log files the digests list.
    let logs: HashMap<&str, &LogObject> = input.logs.iter().map(|l| (rel(&l.key), l)).collect();
    let mut referenced: HashSet<&str> = HashSet::new();
    for (i, p) in parsed.iter().enumerate() {
        let v = verdict[i];
        for lf in &p.body.log_files {
            let key = rel(&lf.s3_object);
            if !(input.listed)(key) {
                continue;
            }
            let log = logs.get(key);
            if let Some(l) = log {
                referenced.insert(rel(&l.key));
            }
            let mut f = finding(Status::VerifiedLog, key, &p.name.account, &p.name.region);
            f.trail = Some(p.name.trail.clone());
            f.from = lf.oldest_event_time.as_deref().and_then(time).or(Some(p.start));
            f.to = lf.newest_event_time.as_deref().and_then(time).or(Some(p.end));
            f.digest = Some(p.key.clone());
            let unchecked = v != Status::ValidDigest;
            (f.status, f.detail) = match (v, log) {
                (Status::InvalidSignature | Status::BadFormat, _) => (
                    Status::UnverifiableLog,
                    format!("listed only by {}, whose signature does not verify", p.key),
                ),
                (_, None) => (
                    Status::MissingLog,
                    format!(
                        "{} lists it (SHA-256 {}){}",
                        p.key,
                        lf.hash_value,
                        if unchecked {
                            "; that digest's signature could not be checked"
                        } else {
                            ""
                        }
                    ),
                ),
                (_, Some(l)) => match &l.hash {
                    Err(LogFault::Unreadable(e)) => (Status::UnverifiableLog, format!("cannot be read: {e}")),
                    Err(LogFault::Corrupt(e)) => (
                        Status::HashMismatch,
                        format!("not the gzip file CloudTrail wrote: {e}"),
                    ),
                    Ok(h) if h.sha256 != lf.hash_value => {
                        let detail = if h.first_member_sha256.as_deref() == Some(lf.hash_value.as_str()) {
                            format!(
                                "its first gzip member is what {} lists, but {} more member(s) were appended after it",
                                p.key,
                                h.members - 1
                            )
                        } else {
                            format!(
                                "SHA-256 of its decompressed bytes is {}; {} lists {}",
                                h.sha256, p.key, lf.hash_value
                            )
                        };
                        (Status::HashMismatch, detail)
                    }
                    Ok(h) if h.members > 1 => (
                        Status::HashMismatch,
                        format!(
                            "its decompressed bytes match, but it is stored as {} gzip members where CloudTrail writes one: it was re-compressed",
                            h.members
                        ),
                    ),
                    Ok(_) if unchecked => (
                        Status::UnverifiableLog,
                        format!(
                            "SHA-256 matches {}, whose signature could not be checked ({v})",
                            p.key
                        ),
                    ),
                    Ok(_) => (Status::VerifiedLog, format!("SHA-256 matches {}", p.key)),
                },
            };
            out.push(f);
        }
    }

    // A chain whose newest digest is well behind the archive's freshest, with logs delivered after it,
    // has lost its newest digests.
    let freshest = parsed.iter().map(|p| p.end).max();
    let unreferenced: Vec<&LogObject> = input
        .logs
        .iter()
        .filter(|l| !referenced.contains(rel(&l.key)))
        .collect();
    if let Some(freshest) = freshest {
        for ((account, region), place) in places.iter_mut() {
            let Some(newest) = place.newest else { continue };
            let late = unreferenced.iter().any(|l| {
                &l.account == account
                    && &l.region == region
                    && l.delivered
                        .is_some_and(|t| t > newest && t + Duration::minutes(EDGE) < freshest)
            });
            if freshest - newest < Duration::minutes(TAIL_SLACK_MINUTES) || !late {
                continue;
            }
            let count = hours(freshest - newest);
            let trail = place
                .covered
                .iter()
                .rev()
                .find(|c| c.1 == newest)
                .map(|c| c.2.clone());
            let mut f = finding(Status::MissingDigest, "", account, region);
            f.trail = trail.clone();
            f.from = Some(newest);
            f.to = Some(freshest);
            f.count = Some(count);
            let name = DigestName {
                account: account.clone(),
                region: region.clone(),
                trail: trail.unwrap_or_default(),
                home_region: String::new(),
                end: newest,
                backfill: false,
            };
            f.detail = format!(
                "the newest digest here ends at {} while digests elsewhere in the archive run to {} and log files were delivered after it: about {count} newest digest(s) are gone{}",
                newest.to_rfc3339(),
                freshest.to_rfc3339(),
                explain(&trail_events, &name, newest - Duration::hours(1), freshest)
            );
            place.missing.push((newest, freshest));
            out.push(f);
        }
    }

    // Log files no digest lists.
    let mut silent: BTreeMap<(String, String), Vec<DateTime<Utc>>> = BTreeMap::new();
    for l in &unreferenced {
        let place = places.get(&(l.account.clone(), l.region.clone()));
        let mut f = finding(Status::UncoveredLog, &l.key, &l.account, &l.region);
        f.from = l.delivered;
        f.to = l.delivered;
        let Some(place) = place else {
            f.detail = "no digest exists for this account and region".into();
            if let Some(t) = l.delivered {
                silent
                    .entry((l.account.clone(), l.region.clone()))
                    .or_default()
                    .push(t);
            }
            out.push(f);
            continue;
        };
        let Some(t) = l.delivered else {
            f.detail = "its name gives no delivery time, so no digest period can be matched to it".into();
            out.push(f);
            continue;
        };
        let probes = [t, t + Duration::minutes(EDGE), t - Duration::minutes(EDGE)];
        let classes: Vec<Class> = probes.iter().map(|p| place.class_at(*p)).collect();
        let open = classes.iter().find(|c| !matches!(c, Class::Covered(_)));
        (f.status, f.detail) = match open {
            None => {
                let Class::Covered(trail) = &classes[0] else {
                    unreachable!()
                };
                f.trail = Some(trail.clone());
                (
                    Status::UnreferencedLog,
                    format!(
                        "delivered at {} inside a period a digest covers, but no digest lists it: it was added later",
                        t.to_rfc3339()
                    ),
                )
            }
            Some(Class::Missing) => (
                Status::UnverifiableLog,
                "delivered while a digest that is now missing was being written".into(),
            ),
            Some(Class::NotYet) => (
                Status::NotYetDigested,
                "delivered after the newest digest here".into(),
            ),
            _ => (
                Status::UncoveredLog,
                "delivered while no digest chain ran here (logging or log file validation was off)".into(),
            ),
        };
        out.push(f);
    }

    // Places without digests: long silences, as a heuristic.
    for ((account, region), mut times) in silent {
        times.sort();
        for w in times.windows(2) {
            if w[1] - w[0] > input.gap {
                let mut f = finding(Status::DeliveryGap, "", &account, &region);
                f.from = Some(w[0]);
                f.to = Some(w[1]);
                let name = DigestName {
                    account: account.clone(),
                    region: region.clone(),
                    trail: String::new(),
                    home_region: String::new(),
                    end: w[1],
                    backfill: false,
                };
                f.detail = format!(
                    "no log file for {} minutes (heuristic: without digests, a quiet period and a deletion look alike){}",
                    (w[1] - w[0]).num_minutes(),
                    explain(&trail_events, &name, w[0] - Duration::hours(1), w[1])
                );
                out.push(f);
            }
        }
    }

    let window = input.window;
    out.retain(|f| in_window(&window, f));
    out.sort_by(|a, b| {
        (&a.account, &a.region, a.from, &a.object, a.status)
            .cmp(&(&b.account, &b.region, b.from, &b.object, b.status))
    });
    let mut chains: Vec<ChainSpan> = Vec::new();
    for p in &parsed {
        match chains.last_mut() {
            Some(c) if (c.account.as_str(), c.region.as_str(), c.trail.as_str()) == p.chain() => {
                c.newest = c.newest.max(p.end);
                c.first = c.first.min(p.start);
                c.digests += 1;
            }
            _ => chains.push(ChainSpan {
                account: p.name.account.clone(),
                region: p.name.region.clone(),
                trail: p.name.trail.clone(),
                first: p.start,
                newest: p.end,
                digests: 1,
            }),
        }
    }
    Verification {
        findings: out,
        chains,
        trail_events,
        ..Verification::default()
    }
}

/// One digest's signature verdict, and a `moved` finding when it is not where it was written.
fn judge(p: &Parsed, successor_signature: Option<String>, keys: &KeySet) -> (Finding, Option<Finding>) {
    let mut f = finding(Status::ValidDigest, &p.key, &p.name.account, &p.name.region);
    f.trail = Some(p.name.trail.clone());
    f.from = Some(p.start);
    f.to = Some(p.end);
    let from_successor = successor_signature.map(|s| (s, "its successor's previousDigestSignature"));
    let signature = p.signature.clone().or(from_successor);
    f.status = if p.body.digest_signature_algorithm != "SHA256withRSA" {
        f.detail = format!(
            "unknown digestSignatureAlgorithm {:?}",
            p.body.digest_signature_algorithm
        );
        Status::BadFormat
    } else if let Some(key) = keys.get(&p.body.digest_public_key_fingerprint) {
        match signature {
            None => {
                f.detail =
                    "no S3 metadata or sidecar holds its signature, and no successor repeats it".into();
                Status::SignatureUnavailable
            }
            Some((sig, source)) => {
                let message = string_to_sign(
                    &p.body.digest_end_time,
                    &p.body.digest_s3_bucket,
                    &p.body.digest_s3_object,
                    &p.sha256,
                    p.body.previous_digest_signature.as_deref(),
                );
                match check(key, &message, &sig) {
                    Ok(()) => {
                        f.detail = format!(
                            "signed by key {} (signature from {source})",
                            p.body.digest_public_key_fingerprint
                        );
                        Status::ValidDigest
                    }
                    Err(_) => {
                        f.detail = format!(
                            "the signature from {source} does not verify under key {}: the digest or its signature was changed",
                            p.body.digest_public_key_fingerprint
                        );
                        Status::InvalidSignature
                    }
                }
            }
        }
    } else {
        f.detail = format!(
            "signed with key {}, which was not given (--public-keys)",
            p.body.digest_public_key_fingerprint
        );
        Status::KeyNotFound
    };
    let moved = {
        (rel(&p.key) != rel(&p.body.digest_s3_object)).then(|| {
            let mut m = finding(Status::Moved, &p.key, &p.name.account, &p.name.region);
            m.trail = Some(p.name.trail.clone());
            m.from = Some(p.start);
            m.to = Some(p.end);
            m.detail = format!("CloudTrail wrote it as {}", p.body.digest_s3_object);
            m
        })
    };
    (f, moved)
}

/// Whether a finding's time overlaps the window (with an hour after it, where its last digest lies).
fn in_window(w: &Window, f: &Finding) -> bool {
    let (Some(from), Some(to)) = (f.from.or(f.to), f.to.or(f.from)) else {
        return true;
    };
    w.from.is_none_or(|s| to >= s) && w.to.is_none_or(|e| from < e + Duration::hours(1))
}

/// The trail-changing calls of an account between two times, as a sentence tail.
fn explain(events: &[TrailEvent], place: &DigestName, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
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
