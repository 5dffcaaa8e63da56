//! `ctscan verify`: can these logs be trusted? CloudTrail's digest chains checked offline, on a local
//! copy or in place on S3: signatures, links, every listed log file's hash, log files no digest lists,
//! and the windows no chain covers, with the trail calls that explain them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray, TimestampSecondArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};

use crate::args::{EXIT_OK, EXIT_PARTIAL, EXIT_TAMPERED, GlobalArgs, OutputArgs, ReadArgs, ScopeArgs};
use crate::output::{Format, write_batch};
use crate::source;
use crate::verify::analyse::Verification;
use crate::verify::finding::{Finding, Status, Weight};
use crate::verify::keys::KeySet;
use crate::verify::verify_listing;
use crate::window::parse_duration;

/// Arguments of `ctscan verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Archive: a local copy or `s3://bucket[/prefix]` (plain, organization and Control Tower layouts).
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    /// CloudTrail public keys: `aws cloudtrail list-public-keys` JSON, or PEM / DER files (repeatable).
    /// Without them, links and hashes are still checked but no signature can be.
    #[arg(long = "public-keys", value_name = "FILE")]
    pub public_keys: Vec<PathBuf>,
    /// Where an account and region has no digests at all, report silences longer than this between log
    /// files (a heuristic).
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub gap: String,
    /// Also list every verified log file (`verified-log`): an evidence register.
    #[arg(long)]
    pub all: bool,
}

/// Runs `ctscan verify`.
pub fn run(args: VerifyArgs, global: &GlobalArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    let scope = args.scope.scope()?;
    let gap = parse_duration(&args.gap).with_context(|| format!("--gap {}", args.gap))?;
    let keys = KeySet::load_all(&args.public_keys)?;
    let threads = global.init_threads()?;
    let (mut out, format) = args.output.open()?;
    let listing = source::list(&args.sources, &scope)?;
    for f in &listing.failures {
        eprintln!("ctscan: {}: {}", f.key, f.reason);
    }
    let outside = listing.objects.iter().filter(|o| o.log.is_none()).count();
    let result = verify_listing(&listing, &scope, &keys, gap, args.read.max_object_size, threads);
    let (n_digests, n_logs) = (result.digests_read, result.logs_read);

    let shown: Vec<&Finding> = result
        .findings
        .iter()
        .filter(|f| args.all || f.status != Status::VerifiedLog)
        .collect();
    match format {
        Format::Table => {
            write_batch(chains_batch(&result), format, &mut out)?;
            let problems: Vec<&Finding> = collapse(
                shown
                    .into_iter()
                    .filter(|f| f.status.weight() != Weight::Proven || args.all)
                    .collect(),
            );
            if !problems.is_empty() {
                write_batch(findings_batch(&problems), format, &mut out)?;
            }
        }
        _ => {
            write_batch(findings_batch(&shown), format, &mut out)?;
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
    if !global.quiet {
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

fn time_field(name: &str) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
        true,
    )
}

/// One record per finding.
fn findings_batch(findings: &[&Finding]) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("status", DataType::Utf8, false),
        Field::new("object", DataType::Utf8, false),
        Field::new("account", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("trail", DataType::Utf8, true),
        time_field("from"),
        time_field("to"),
        Field::new("count", DataType::UInt64, true),
        Field::new("digest", DataType::Utf8, true),
        Field::new("detail", DataType::Utf8, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            findings.iter().map(|f| f.status.name()),
        )),
        Arc::new(StringArray::from_iter_values(
            findings.iter().map(|f| f.object.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            findings.iter().map(|f| f.account.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            findings.iter().map(|f| f.region.as_str()),
        )),
        Arc::new(StringArray::from_iter(
            findings.iter().map(|f| f.trail.as_deref()),
        )),
        Arc::new(TimestampSecondArray::from_iter(findings.iter().map(|f| ts(f.from))).with_timezone("UTC")),
        Arc::new(TimestampSecondArray::from_iter(findings.iter().map(|f| ts(f.to))).with_timezone("UTC")),
        Arc::new(UInt64Array::from_iter(findings.iter().map(|f| f.count))),
        Arc::new(StringArray::from_iter(
            findings.iter().map(|f| f.digest.as_deref()),
        )),
        Arc::new(StringArray::from_iter_values(
            findings.iter().map(|f| f.detail.as_str()),
        )),
    ];
    RecordBatch::try_new(schema, columns).expect("columns match the findings schema")
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
    let col = |f: &dyn Fn(&ChainRow) -> u64| -> ArrayRef {
        Arc::new(UInt64Array::from_iter_values(list.iter().map(|(_, r)| f(r))))
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("account", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("trail", DataType::Utf8, false),
        time_field("coveredFrom"),
        time_field("newestDigest"),
        Field::new("digestsValid", DataType::UInt64, false),
        Field::new("digestsInvalid", DataType::UInt64, false),
        Field::new("digestsMissing", DataType::UInt64, false),
        Field::new("digestsUnchecked", DataType::UInt64, false),
        Field::new("logsVerified", DataType::UInt64, false),
        Field::new("logsMissing", DataType::UInt64, false),
        Field::new("logsModified", DataType::UInt64, false),
        Field::new("logsUnreferenced", DataType::UInt64, false),
        Field::new("logsUnproven", DataType::UInt64, false),
        Field::new("gaps", DataType::UInt64, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            list.iter().map(|(k, _)| k.0.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            list.iter().map(|(k, _)| k.1.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            list.iter().map(|(k, _)| k.2.as_str()),
        )),
        Arc::new(TimestampSecondArray::from_iter(list.iter().map(|(_, r)| ts(r.first))).with_timezone("UTC")),
        Arc::new(
            TimestampSecondArray::from_iter(list.iter().map(|(_, r)| ts(r.newest))).with_timezone("UTC"),
        ),
        col(&|r| n(r, &[Status::ValidDigest])),
        col(&|r| {
            n(
                r,
                &[
                    Status::InvalidSignature,
                    Status::BadFormat,
                    Status::Moved,
                    Status::BrokenLink,
                ],
            )
        }),
        col(&|r| r.missing_digests),
        col(&|r| n(r, &[Status::SignatureUnavailable, Status::KeyNotFound])),
        col(&|r| n(r, &[Status::VerifiedLog])),
        col(&|r| n(r, &[Status::MissingLog])),
        col(&|r| n(r, &[Status::HashMismatch])),
        col(&|r| n(r, &[Status::UnreferencedLog])),
        col(&|r| {
            n(
                r,
                &[
                    Status::UnverifiableLog,
                    Status::NotYetDigested,
                    Status::UncoveredLog,
                ],
            )
        }),
        col(&|r| n(r, &[Status::Gap, Status::DeliveryGap])),
    ];
    RecordBatch::try_new(schema, columns).expect("columns match the chains schema")
}
