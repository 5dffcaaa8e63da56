//! `ctscan hunt`: run a Sigma rule pack (the built-in one and/or `--rules`) over an archive or a lake in
//! one pass, and report findings grouped by rule and by (principal, source IP) in a table, or one per line
//! (machine formats; one finding group per line with `--group`).

mod group;
mod render;
mod sections;

use std::sync::Arc;

use anyhow::Context;

use crate::cli::args::{EXIT_OK, EXIT_PARTIAL};
use crate::cli::context::RunContext;
use crate::events::session::{check_sources, runtime};
use crate::hunt;
use crate::incident::Incident;
use crate::input::{Input, lake_source};
use crate::sigma::{SigmaError, navigator};

use crate::cli::hunt::HuntArgs;
use render::{FindingWriter, Outcome, WriterOptions, is_noisy, left_out_note, share};

/// Runs `ctscan hunt`.
pub fn run(args: HuntArgs, ctx: &RunContext) -> anyhow::Result<i32> {
    let started = std::time::Instant::now();
    check_sources(&args.sources)?;
    let cluster = args
        .cluster
        .connect(&args.sources.iter().map(String::as_str).collect::<Vec<_>>())?;
    let threads = ctx.threads;
    let scope = args.scope.scope()?;
    let options = ctx.progress;
    let reporter = Arc::new(ctx.reporter());
    let pack = args.rules.pack()?;
    for f in &pack.failures {
        reporter.println(&format!("ctscan: rule {}: {}", f.file, f.reason));
    }
    let config = ctx.scan_config(&args.read, scope.clone());
    let (out, style) = args.output.open(ctx.zone)?;
    let mut writer = FindingWriter::new(
        WriterOptions {
            style,
            group: args.group,
            show_from: pack.show_from,
        },
        out,
    );
    let mut page = match &args.report {
        Some(_) => {
            let mut page = Incident::new(&args.sources, &scope, &pack);
            if lake_source(&args.sources).is_none() {
                page.set_inventory(&crate::source::list(&args.sources, &scope, &ctx.s3)?);
            }
            Some(page)
        }
        None => None,
    };
    let rt = runtime(threads)?;
    let source = Input::open(
        &args.sources,
        config,
        reporter.clone(),
        ctx.exec(cluster.as_ref()),
    );
    let result = rt.block_on(hunt::run(&pack, &source, &reporter));
    reporter.finish();
    let (stats, findings) = result?;
    if let Some(target) = &cluster {
        // See `Target::guard`: nothing is written, as the cluster may have counted some events twice.
        target.vouch("hunt")?;
    }
    findings.drain(&mut |f| {
        if let Some(p) = page.as_mut() {
            p.push(&f);
        }
        writer.push(f).map_err(|e| SigmaError::Output(e.to_string()))
    })?;
    let (events, duplicates) = (stats.run.events, stats.duplicates);
    let outcome = writer.finish(events)?;
    if let Some(path) = &args.navigator {
        let fired: Vec<(&crate::sigma::Rule, u64)> = outcome
            .rules
            .iter()
            .map(|r| (r.rule.as_ref(), r.findings))
            .collect();
        let layer = navigator::layer("ctscan hunt", &fired);
        std::fs::write(path, serde_json::to_vec_pretty(&layer)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let (Some(path), Some(mut page)) = (&args.report, page) {
        page.finish(&stats, &reporter, started.elapsed());
        page.write(path)?;
    }
    if !ctx.quiet {
        for u in &stats.run.unjudged {
            eprintln!("ctscan: {}", unjudged_note(u, ctx.zone));
        }
    }
    if options.summary {
        print_summary(&outcome, events, pack.engine.rule_count(), pack.failures.len());
        eprintln!(
            "ctscan: {duplicates} duplicate record{} folded (same eventID and recipientAccountId: each event counted once)",
            if duplicates == 1 { "" } else { "s" }
        );
    } else if !ctx.quiet {
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

/// What a baseline rule could not judge, and how to let it: said, not left silent.
fn unjudged_note(u: &crate::sigma::engine::Unjudged, zone: crate::timezone::Zone) -> String {
    use crate::sigma::engine::Unjudgeable;
    let (group, t) = &u.first;
    let when = zone.human(*t);
    let values: Vec<String> = group.iter().map(|(f, v)| format!("{f}={v}")).collect();
    let plural = if u.groups == 1 { "" } else { "s" };
    let head = format!(
        "rule {:?} ({}): {} group{plural}",
        u.rule.title, u.rule.id, u.groups
    );
    match u.why {
        Unjudgeable::History { baseline_ms } => {
            let span = match baseline_ms {
                ms if ms % 3_600_000 == 0 => format!("{} h", ms / 3_600_000),
                ms if ms % 60_000 == 0 => format!("{} min", ms / 60_000),
                ms => format!("{} s", ms / 1000),
            };
            let field = group.first().map_or("group", |(field, _)| field.as_str());
            format!(
                "{head} new in the data could not be judged: the data holds less than {span} of earlier \
events of their {field} (the first: {} at {when}); hunt over earlier logs too to judge them",
                values.join(", ")
            )
        }
        Unjudgeable::Roaming { cap } => format!(
            "{head} could not be judged: each holds more than {cap} distinct values, so none of them can be \
told rare (the first: {} from {when}); look at them with `ctscan query` or `ctscan trace`",
            values.join(", ")
        ),
    }
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
