//! `ctscan verify`: can these logs be trusted? CloudTrail's digest chains checked offline, on a local
//! copy or in place on S3: signatures, links, every listed log file's hash, log files no digest lists,
//! and the windows no chain covers, with the trail calls that explain them.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use datafusion::arrow::array::RecordBatch;

use crate::cli::args::{EXIT_OK, EXIT_PARTIAL, EXIT_TAMPERED};
use crate::cli::context::RunContext;
use crate::cli::verify::VerifyArgs;
use crate::output::{Format, write_batch};
use crate::result_batch::ResultBatch;
use crate::source;
use crate::source::window::parse_duration;
use crate::verify::analyse::Verification;
use crate::verify::finding::{Finding, Status, Weight};
use crate::verify::keys::KeySet;
use crate::verify::verify_listing;

/// Runs `ctscan verify`.
pub fn run(args: VerifyArgs, ctx: &RunContext) -> anyhow::Result<i32> {
    let started = Instant::now();
    let scope = args.scope.scope()?;
    let gap = parse_duration(&args.gap).with_context(|| format!("--gap {}", args.gap))?;
    let keys = KeySet::load_all(&args.public_keys)?;
    let threads = ctx.threads;
    let (mut out, style) = args.output.open(ctx.zone)?;
    let listing = source::list(&args.sources, &scope, &ctx.s3)?;
    for f in &listing.failures {
        eprintln!("ctscan: {}: {}", f.key, f.reason);
    }
    let outside = listing.objects.iter().filter(|o| o.log.is_none()).count();
    let max = args.read.max_object_size;
    let result = ctx.install(|| verify_listing(&listing, &scope, &keys, gap, max, threads, &ctx.s3));
    let (n_digests, n_logs) = (result.digests_read, result.logs_read);

    let shown: Vec<&Finding> = result
        .findings
        .iter()
        .filter(|f| args.all || f.status != Status::VerifiedLog)
        .collect();
    match style.format {
        Format::Table => {
            write_batch(chains_batch(&result), &style, &mut out)?;
            let problems: Vec<&Finding> = collapse(
                shown
                    .into_iter()
                    .filter(|f| f.status.weight() != Weight::Proven || args.all)
                    .collect(),
            );
            if !problems.is_empty() {
                write_batch(findings_batch(&problems), &style, &mut out)?;
            }
        }
        _ => {
            write_batch(findings_batch(&shown), &style, &mut out)?;
        }
    }
    out.flush()?;

    let worst = result.findings.iter().map(|f| f.status.weight()).max();
    let nothing = n_digests == 0 && n_logs == 0;
    let code = match worst {
        Some(Weight::Tampering) => EXIT_TAMPERED,
        _ if nothing || !listing.failures.is_empty() => EXIT_PARTIAL,
        Some(Weight::Incomplete) => EXIT_PARTIAL,
        _ => EXIT_OK,
    };
    if !ctx.quiet {
        let mut counts: BTreeMap<Status, u64> = BTreeMap::new();
        for f in &result.findings {
            *counts.entry(f.status).or_default() += 1;
        }
        let tally: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        eprintln!(
            "verify: {n_digests} digests, {n_logs} log files{} in {:.1}s: {}",
            if outside > 0 {
                format!(" ({outside} objects outside the AWSLogs layout not checked)")
            } else {
                String::new()
            },
            started.elapsed().as_secs_f64(),
            if tally.is_empty() {
                "nothing found".into()
            } else {
                tally.join(", ")
            }
        );
        if keys.is_empty() && n_digests > 0 {
            eprintln!(
                "verify: no --public-keys given, so no signature was checked (aws cloudtrail list-public-keys > keys.json)"
            );
        }
        eprintln!(
            "verify: {}",
            match code {
                EXIT_OK => "every log file in the window is covered by a verified digest chain",
                EXIT_TAMPERED => "TAMPERING EVIDENCE: the archive contradicts its own digests",
                _ if nothing => "no digests or log files found",
                _ => "integrity not proven for everything (nothing contradicts it)",
            }
        );
    }
    Ok(code)
}

/// Log-level findings of one status in one place beyond this many are summed up in the table.
const TABLE_ROWS_PER_KIND: usize = 20;

/// The findings a table shows: everything but long runs of log-level findings of one kind in one place.
fn collapse(findings: Vec<&Finding>) -> Vec<&Finding> {
    let mut seen: BTreeMap<(Status, &str, &str), usize> = BTreeMap::new();
    findings
        .into_iter()
        .filter(|f| {
            let n = seen.entry((f.status, &f.account, &f.region)).or_default();
            *n += 1;
            !f.object.contains("/CloudTrail/") || *n <= TABLE_ROWS_PER_KIND
        })
        .collect()
}

fn ts(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp())
}

/// One record per finding.
fn findings_batch(findings: &[&Finding]) -> RecordBatch {
    ResultBatch::of(findings)
        .text("status", |f| f.status.name())
        .text("object", |f| f.object.as_str())
        .text("account", |f| f.account.as_str())
        .text("region", |f| f.region.as_str())
        .text_or_null("trail", |f| f.trail.as_deref())
        .time_or_null("from", |f| ts(f.from))
        .time_or_null("to", |f| ts(f.to))
        .count_or_null("count", |f| f.count)
        .text_or_null("digest", |f| f.digest.as_deref())
        .text("detail", |f| f.detail.as_str())
        .finish()
}

/// Per chain: what its digests and log files came to.
#[derive(Default)]
struct ChainRow {
    first: Option<DateTime<Utc>>,
    newest: Option<DateTime<Utc>>,
    counts: BTreeMap<Status, u64>,
    missing_digests: u64,
}

/// One row per (account, region, trail): digests and logs by verdict, covered period, gaps.
fn chains_batch(v: &Verification) -> RecordBatch {
    let mut rows: BTreeMap<(String, String, String), ChainRow> = BTreeMap::new();
    for c in &v.chains {
        let r = rows
            .entry((c.account.clone(), c.region.clone(), c.trail.clone()))
            .or_default();
        r.first = Some(c.first);
        r.newest = Some(c.newest);
    }
    for f in &v.findings {
        let trail = f.trail.clone().unwrap_or_else(|| {
            rows.keys()
                .find(|(a, r, _)| a == &f.account && r == &f.region)
                .map(|k| k.2.clone())
                .unwrap_or_else(|| "(no digests)".into())
        });
        let r = rows
            .entry((f.account.clone(), f.region.clone(), trail))
            .or_default();
        *r.counts.entry(f.status).or_default() += 1;
        if f.status == Status::MissingDigest {
            r.missing_digests += f.count.unwrap_or(1);
        }
    }
    let n =
        |r: &ChainRow, s: &[Status]| -> u64 { s.iter().map(|s| r.counts.get(s).copied().unwrap_or(0)).sum() };
    let list: Vec<_> = rows.into_iter().collect();
    use Status::*;
    ResultBatch::of(&list)
        .text("account", |(k, _)| k.0.as_str())
        .text("region", |(k, _)| k.1.as_str())
        .text("trail", |(k, _)| k.2.as_str())
        .time_or_null("coveredFrom", |(_, r)| ts(r.first))
        .time_or_null("newestDigest", |(_, r)| ts(r.newest))
        .count("digestsValid", |(_, r)| n(r, &[ValidDigest]))
        .count("digestsInvalid", |(_, r)| {
            n(r, &[InvalidSignature, BadFormat, Moved, BrokenLink])
        })
        .count("digestsMissing", |(_, r)| r.missing_digests)
        .count("digestsUnchecked", |(_, r)| {
            n(r, &[SignatureUnavailable, KeyNotFound])
        })
        .count("logsVerified", |(_, r)| n(r, &[VerifiedLog]))
        .count("logsMissing", |(_, r)| n(r, &[MissingLog]))
        .count("logsModified", |(_, r)| n(r, &[HashMismatch]))
        .count("logsUnreferenced", |(_, r)| n(r, &[UnreferencedLog]))
        .count("logsUnproven", |(_, r)| {
            n(r, &[UnverifiableLog, NotYetDigested, UncoveredLog])
        })
        .count("gaps", |(_, r)| n(r, &[Gap, DeliveryGap]))
        .finish()
}
