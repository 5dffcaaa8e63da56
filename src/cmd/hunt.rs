//! `ctscan hunt`: run a Sigma rule pack (the built-in one and/or `--rules`) over an archive or a lake in
//! one pass, and report findings grouped by rule and by (principal, source IP) in a table, or one per line
//! (machine formats; one finding group per line with `--group`).

mod group;
mod render;

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use crate::args::{EXIT_OK, EXIT_PARTIAL, GlobalArgs, OutputArgs, ReadArgs, ScopeArgs};
use crate::cluster::ClusterArgs;
use crate::hunting::{self, RuleArgs};
use crate::incident::Incident;
use crate::report::Reporter;
use crate::session::{Source, check_sources, lake_source, runtime};
use crate::sigma::SigmaError;

use render::{FindingWriter, Outcome, WriterOptions, is_noisy, left_out_note, share};

/// Arguments of `ctscan hunt`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  ctscan hunt AWSLogs/ --from 2026-03-03 --to 2026-03-05\n  \
ctscan hunt lake/ --min-level high --format jsonl\n  ctscan hunt AWSLogs/ --format jsonl --group\n  \
ctscan hunt AWSLogs/ --rules sigma/rules/cloud/aws/cloudtrail --no-builtin\n\n\
Levels: by default low and informational findings are left out (the rules still run and the summary counts \
them); --min-level low or --min-level informational shows them; rules named with --rule are shown at any level.\n\n\
Exit codes: 0 the hunt ran (findings are not an error); 1 it ran, but some objects or rule files could not be read \
(each is named on stderr); 2 usage or fatal error."
)]
pub struct HuntArgs {
    /// Archive folders, files, or a lake written by `ctscan export`.
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<String>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// With jsonl, json or csv: one record per finding group (rule, principal or correlation group, source
    /// IP) with counts, first and last time, accounts, regions, event names and samples, instead of one per
    /// finding. The table is always grouped.
    #[arg(long)]
    pub group: bool,
    /// Also write the self-contained HTML incident report of this hunt to FILE (see `ctscan report`).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Runs `ctscan hunt`.
pub fn run(args: HuntArgs, global: &GlobalArgs) -> anyhow::Result<i32> {
    let started = std::time::Instant::now();
    check_sources(&args.sources)?;
    args.cluster
        .connect(&args.sources.iter().map(String::as_str).collect::<Vec<_>>())?;
    let threads = global.init_threads()?;
    let scope = args.scope.scope()?;
    let options = global.report_options();
    let reporter = Arc::new(Reporter::new(options));
    let pack = args.rules.pack()?;
    for f in &pack.failures {
        reporter.println(&format!("ctscan: rule {}: {}", f.file, f.reason));
    }
    let config = args.read.scan_config(scope.clone(), global);
    let (out, format) = args.output.open()?;
    let mut writer = FindingWriter::new(
        WriterOptions {
            format,
            group: args.group,
            show_from: pack.show_from,
        },
        out,
    );
    let mut page = match &args.report {
        Some(_) => {
            let mut page = Incident::new(&args.sources, &scope, &pack);
            if lake_source(&args.sources).is_none() {
                page.set_inventory(&crate::source::list(&args.sources, &scope)?);
            }
            Some(page)
        }
        None => None,
    };
    let rt = runtime(threads)?;
    let source = Source::open(&args.sources, config, reporter.clone());
    let result = rt.block_on(hunting::run(&pack, &source, threads, &reporter, &mut |f| {
        if let Some(p) = page.as_mut() {
            p.push(&f);
        }
        writer.push(f).map_err(|e| SigmaError::Output(e.to_string()))
    }));
    reporter.finish();
    let stats = result?;
    let (events, duplicates) = (stats.run.events, stats.duplicates);
    let outcome = writer.finish(events)?;
    if let (Some(path), Some(mut page)) = (&args.report, page) {
        page.finish(&stats, &reporter, started.elapsed());
        page.write(path)?;
    }
    if options.summary {
        print_summary(&outcome, events, pack.engine.rule_count(), pack.failures.len());
        eprintln!(
            "ctscan: {duplicates} duplicate record{} folded (same eventID and recipientAccountId: each event counted once)",
            if duplicates == 1 { "" } else { "s" }
        );
    } else if !global.quiet {
        for r in outcome.rules.iter().filter(|r| is_noisy(r.findings, events)) {
            eprintln!(
                "ctscan: rule {:?} ({}): {} findings, {:.1}% of the {events} events in the window: \
noisy: review or suppress",
                r.rule.title,
                r.rule.id,
                r.findings,
                share(r.findings, events)
            );
        }
    }
    Ok(if reporter.had_problems() || !pack.failures.is_empty() {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}

/// The run summary on stderr: events, rules, findings by level, what was left out, and findings per rule
/// with noisy rules flagged.
fn print_summary(outcome: &Outcome, events: u64, rules: usize, skipped: usize) {
    let levels: Vec<String> = outcome
        .by_level
        .iter()
        .rev()
        .map(|(l, n)| format!("{n} {l}"))
        .collect();
    eprintln!(
        "ctscan: {events} events in the window; {rules} rules run, {skipped} skipped; {} findings{}",
        outcome.findings,
        if levels.is_empty() {
            String::new()
        } else {
            format!(" ({})", levels.join(", "))
        }
    );
    if let Some(note) = left_out_note(&outcome.left_out) {
        eprintln!("ctscan: {note}");
    }
    if outcome.rules.is_empty() {
        return;
    }
    eprintln!("ctscan: findings by rule:");
    for r in &outcome.rules {
        let noisy = if is_noisy(r.findings, events) {
            format!(
                "  noisy: review or suppress ({:.1}% of the events)",
                share(r.findings, events)
            )
        } else {
            String::new()
        };
        eprintln!(
            "  {:<8} {}: {} finding{} in {} group{}{noisy}",
            r.rule.level.as_str(),
            r.rule.title,
            r.findings,
            if r.findings == 1 { "" } else { "s" },
            r.groups,
            if r.groups == 1 { "" } else { "s" },
        );
    }
}
