//! `ctscan ls`: what an archive holds, per account and region, from the listing alone (nothing is
//! downloaded or decompressed).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use std::path::Path;

use datafusion::arrow::array::RecordBatch;

use crate::cli::args::{EXIT_OK, EXIT_PARTIAL};
use crate::cli::context::RunContext;
use crate::cli::ls::LsArgs;
use crate::decode::DecodeError;
use crate::decode::batch::days_since_epoch;
use crate::events::scan::fetch;
use crate::lake::manifest::{Entry, Manifest};
use crate::output::{Format, write_batch};
use crate::progress::Reporter;
use crate::result_batch::ResultBatch;
use crate::source::evidence::{etag_of, mtime_of, sha256_hex};
use crate::source::layout::{KeyClass, classify};
use crate::source::s3::Prefetch;
use crate::source::{self, Failure, Listing, Location, ObjectRef};

/// One line of the inventory.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Row {
    /// First delivery day.
    pub first: Option<NaiveDate>,
    /// Last delivery day.
    pub last: Option<NaiveDate>,
    /// Number of log objects.
    pub objects: u64,
    /// Their total size.
    pub bytes: u64,
}

/// (account, region) of an inventory line; `None` for objects outside the layout.
pub type Place = (Option<String>, Option<String>);

/// Groups listed objects by (account, region).
pub fn inventory(listing: &Listing) -> BTreeMap<Place, Row> {
    let mut rows: BTreeMap<Place, Row> = BTreeMap::new();
    for o in &listing.objects {
        let key = (
            o.log.as_ref().map(|l| l.account.clone()),
            o.log.as_ref().map(|l| l.region.clone()),
        );
        let row = rows.entry(key).or_default();
        row.objects += 1;
        row.bytes += o.size;
        if let Some(l) = &o.log {
            row.first = Some(row.first.map_or(l.day, |f| f.min(l.day)));
            row.last = Some(row.last.map_or(l.day, |x| x.max(l.day)));
        }
    }
    rows
}

fn to_batch(rows: &[(Place, Row)]) -> RecordBatch {
    ResultBatch::of(rows)
        .text_or_null("account", |((a, _), _)| a.as_deref())
        .text_or_null("region", |((_, r), _)| r.as_deref())
        .day_or_null("firstDay", |(_, r)| r.first.map(days_since_epoch))
        .day_or_null("lastDay", |(_, r)| r.last.map(days_since_epoch))
        .count("objects", |(_, r)| r.objects)
        .count("bytes", |(_, r)| r.bytes)
        .finish()
}

/// The listing of a lake, from its manifest: the source objects it holds.
fn lake_listing(root: &Path) -> anyhow::Result<(Listing, Vec<Entry>)> {
    crate::lake::check_version(root)?;
    let manifest = Manifest::load(&crate::lake::manifest_path(root))?;
    let entries: Vec<Entry> = manifest
        .entries()
        .iter()
        .filter(|e| e.error.is_none())
        .cloned()
        .collect();
    let objects = entries
        .iter()
        .map(|e| ObjectRef {
            key: e.key.clone(),
            size: e.size,
            log: match classify(&e.key) {
                KeyClass::Log(k) => Some(k),
                _ => None,
            },
            location: Location::Local(root.join(&e.key)),
        })
        .collect();
    Ok((
        Listing {
            objects,
            ..Listing::default()
        },
        entries,
    ))
}

/// Evidence inventory rows: key, size, mtime, SHA-256 (and events when known).
fn objects_batch(entries: &[Entry]) -> RecordBatch {
    ResultBatch::of(entries)
        .text("key", |e| e.key.as_str())
        .count("bytes", |e| e.size)
        .int_or_null("mtime", |e| e.mtime)
        .text_or_null("sha256", |e| (!e.sha256.is_empty()).then_some(e.sha256.as_str()))
        .count_or_null("events", |e| {
            (e.error.is_none() && !e.files.is_empty()).then_some(e.events)
        })
        .text_or_null("error", |e| e.error.as_deref())
        .finish()
}

/// Hashes every listed object (bytes as stored, not decompressed); S3 objects are fetched many at a time.
fn hash_objects(listing: &Listing, reporter: &Reporter, ctx: &RunContext) -> Vec<Entry> {
    let s3 = &ctx.s3;
    use rayon::prelude::*;
    let entry = |o: &ObjectRef, fetched: Result<Vec<u8>, DecodeError>| {
        let mut e = Entry {
            key: o.key.clone(),
            size: o.size,
            mtime: mtime_of(o),
            etag: etag_of(o),
            sha256: String::new(),
            events: 0,
            files: Vec::new(),
            error: None,
        };
        match fetched {
            Ok(bytes) => {
                e.size = bytes.len() as u64;
                e.sha256 = sha256_hex(&bytes);
            }
            Err(err) => {
                reporter.failure(&Failure {
                    key: o.key.clone(),
                    category: err.category(),
                    reason: err.to_string(),
                });
                e.error = Some(err.to_string());
            }
        }
        e
    };
    let (remote, local): (Vec<&ObjectRef>, Vec<&ObjectRef>) = listing
        .objects
        .iter()
        .partition(|o| matches!(o.location, Location::S3 { .. }));
    let mut entries: Vec<Entry> = ctx.install(|| local.par_iter().map(|o| entry(o, fetch(o, s3))).collect());
    if !remote.is_empty() {
        let prefetch = Prefetch::start(s3, remote.into_iter().cloned().collect());
        while let Some((o, fetched)) = prefetch.next() {
            entries.push(entry(&o, fetched.map_err(DecodeError::from)));
        }
        entries.sort_by(|a, b| a.key.cmp(&b.key));
    }
    entries
}

/// Runs `ctscan ls`.
pub fn run(args: LsArgs, ctx: &RunContext) -> anyhow::Result<i32> {
    let scope = args.scope.scope()?;
    let reporter = ctx.reporter();
    let lake = crate::input::lake_source(&args.sources);
    let (listing, lake_entries) = match lake {
        Some(root) => lake_listing(root)?,
        None => (source::list(&args.sources, &scope, &ctx.s3)?, Vec::new()),
    };
    reporter.begin_scan(&listing);
    let (mut out, style) = args.output.open(ctx.zone)?;
    if args.objects {
        let entries = if lake.is_some() {
            lake_entries
        } else {
            hash_objects(&listing, &reporter, ctx)
        };
        write_batch(objects_batch(&entries), &style, &mut out)?;
        reporter.finish();
        return Ok(if reporter.had_problems() {
            EXIT_PARTIAL
        } else {
            EXIT_OK
        });
    }
    let mut rows: Vec<_> = inventory(&listing).into_iter().collect();
    if style.format == Format::Table {
        for ((account, _), _) in rows.iter_mut() {
            account.get_or_insert_with(|| "(outside AWSLogs layout)".into());
        }
        let total = rows.iter().fold(Row::default(), |acc, (_, r)| Row {
            first: acc.first.into_iter().chain(r.first).min(),
            last: acc.last.into_iter().chain(r.last).max(),
            objects: acc.objects + r.objects,
            bytes: acc.bytes + r.bytes,
        });
        rows.push(((Some("TOTAL".into()), None), total));
        for (reason, t) in &listing.skipped {
            let row = Row {
                objects: t.objects,
                bytes: t.bytes,
                ..Row::default()
            };
            rows.push(((Some(format!("skipped: {reason}")), None), row));
        }
    }
    write_batch(to_batch(&rows), &style, &mut out)?;
    reporter.finish();
    Ok(if reporter.had_problems() {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}
