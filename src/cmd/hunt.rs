//! `ctscan hunt`: run a Sigma rule pack (the built-in one and/or `--rules`) over an archive or a lake in
//! one pass, and report findings grouped by rule and by (principal, source IP) in a table, or one per line
//! (machine formats; one finding group per line with `--group`).

mod group;
mod render;
mod source;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;

use crate::args::{EXIT_OK, EXIT_PARTIAL, GlobalArgs, OutputArgs, ReadArgs, ScopeArgs};
use crate::attribution::{
    self,
    actor::{self, ActorMap},
};
use crate::report::Reporter;
use crate::session::{Source, check_sources, runtime};
use crate::sigma::engine::{Engine, HuntSource};
use crate::sigma::load::load_rules;
use crate::sigma::rule::Level;
use crate::sigma::select::{Filters, select};
use crate::sigma::{SigmaError, allow};

use render::{FindingWriter, Outcome, WriterOptions, is_noisy, left_out_note, share};
use source::{ArchiveSource, LakeSource};

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
    /// A Sigma rule file or a folder of them (repeatable); loaded with the built-in pack.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Leave out the built-in rule pack.
    #[arg(long)]
    pub no_builtin: bool,
    /// Only rules at this level or above run and are shown. Without it every rule runs, but low and
    /// informational findings are left out of the output (the summary counts them).
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub min_level: Option<Level>,
    /// With jsonl, json or csv: one record per finding group (rule, principal or correlation group, source
    /// IP) with counts, first and last time, accounts, regions, event names and samples, instead of one per
    /// finding. The table is always grouped.
    #[arg(long)]
    pub group: bool,
    /// Only this rule id or name (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    /// Never this rule id or name (repeatable).
    #[arg(long = "exclude-rule", value_name = "ID")]
    pub exclude_rule: Vec<String>,
    /// Only rules with this tag or a sub-technique of it, e.g. attack.t1562 (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    pub tag: Vec<String>,
    /// Suppressions for known-good activity: YAML list of {rule, reason, match} entries.
    #[arg(long, value_name = "FILE")]
    pub allow: Option<PathBuf>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The lowest level shown when neither `--min-level` nor `--rule` is given.
const DEFAULT_SHOWN: Level = Level::Medium;

/// Runs `ctscan hunt`.
pub fn run(args: HuntArgs, global: &GlobalArgs) -> anyhow::Result<i32> {
    check_sources(&args.sources)?;
    let threads = global.init_threads()?;
    let scope = args.scope.scope()?;
    let options = global.report_options();
    let reporter = Arc::new(Reporter::new(options));
    let (rules, mut failures) = load_rules(&args.rules, !args.no_builtin);
    let filters = Filters {
        min_level: args.min_level,
        include: args.rule.clone(),
        exclude: args.exclude_rule.clone(),
        tags: args.tag.clone(),
    };
    let (chosen, problems) = select(rules, &filters);
    failures.extend(problems);
    let allows = match &args.allow {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            allow::parse(&text).with_context(|| format!("{}", path.display()))?
        }
        None => Vec::new(),
    };
    let (engine, problems) = Engine::new(chosen, allows);
    failures.extend(problems);
    for f in &failures {
        reporter.println(&format!("ctscan: rule {}: {}", f.file, f.reason));
    }
    if engine.rule_count() == 0 {
        bail!("no rules to run (check --rules, --no-builtin and the rule filters)");
    }
    let config = args.read.scan_config(scope, global);
    let (out, format) = args.output.open()?;
    let mut writer = FindingWriter::new(
        WriterOptions {
            format,
            group: args.group,
            show_from: args.min_level.unwrap_or(if args.rule.is_empty() {
                DEFAULT_SHOWN
            } else {
                // Rules asked for by name are shown whatever their level.
                Level::Informational
            }),
        },
        out,
    );
    let rt = runtime(threads)?;
    let chains = Source::open(&args.sources, config.clone(), reporter.clone());
    let result: anyhow::Result<(u64, u64)> = rt.block_on(async {
        // Chains first: findings and `group-by: actor` correlations name the origin of each credential.
        let sessions = attribution::build(&chains, threads)
            .await
            .context("resolving credential chains failed")?;
        for n in &sessions.notes {
            reporter.println(&format!("ctscan: actors: {n}"));
        }
        let duplicates = sessions.duplicates;
        actor::install(ActorMap::of(&sessions));
        let source: Box<dyn HuntSource> = match &chains {
            Source::Lake { .. } => Box::new(LakeSource {
                lake: chains.clone(),
                threads,
            }),
            Source::Archive {
                sources,
                config,
                reporter,
            } => Box::new(ArchiveSource {
                sources: sources.clone(),
                config: config.clone(),
                reporter: reporter.clone(),
                threads,
            }),
        };
        let stats = engine
            .run(source.as_ref(), &mut |f| {
                writer.push(f).map_err(|e| SigmaError::Output(e.to_string()))
            })
            .await
            .context("hunt failed")?;
        Ok((stats.events, duplicates))
    });
    reporter.finish();
    let (events, duplicates) = result?;
    let outcome = writer.finish(events)?;
    if options.summary {
        print_summary(&outcome, events, engine.rule_count(), failures.len());
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
    Ok(if reporter.had_problems() || !failures.is_empty() {
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
