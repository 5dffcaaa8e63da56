//! `ctscan report`: a hunt turned into one self-contained HTML page to hand over (the archive at a glance,
//! whether its digests prove it, a timeline, a heat map, top actors, every finding group with its events).

use std::sync::Arc;
use std::time::Instant;

use crate::cli::args::{EXIT_OK, EXIT_PARTIAL};
use crate::cli::context::RunContext;
use crate::cli::report::ReportArgs;
use crate::events::session::{check_sources, runtime};
use crate::hunt;
use crate::incident::Incident;
use crate::input::{Input, lake_source};
use crate::source;
use crate::verify::keys::KeySet;
use crate::verify::verify_listing;

/// Runs `ctscan report`.
pub fn run(args: ReportArgs, ctx: &RunContext) -> anyhow::Result<i32> {
    let started = Instant::now();
    check_sources(&args.sources)?;
    let threads = ctx.threads;
    let scope = args.scope.scope()?;
    let reporter = Arc::new(ctx.reporter());
    let pack = args.rules.pack()?;
    for f in &pack.failures {
        reporter.println(&format!("ctscan: rule {}: {}", f.file, f.reason));
    }
    let mut page = Incident::new(&args.sources, &scope, &pack);
    if lake_source(&args.sources).is_none() {
        let listing = source::list(&args.sources, &scope, &ctx.s3)?;
        page.set_inventory(&listing);
        if !args.no_verify && !listing.digests.is_empty() {
            let keys = KeySet::load_all(&args.public_keys)?;
            // The delivery-gap threshold `verify` uses by default.
            let gap = chrono::Duration::hours(1);
            let max = args.read.max_object_size;
            let verification =
                ctx.install(|| verify_listing(&listing, &scope, &keys, gap, max, threads, &ctx.s3));
            page.set_verification(&verification, keys.len());
        }
    }
    let config = ctx.scan_config(&args.read, scope);
    let rt = runtime(threads)?;
    let source = Input::open(&args.sources, config, reporter.clone(), ctx.exec(None));
    let result = rt.block_on(hunt::run(&pack, &source, &reporter));
    reporter.finish();
    let (stats, findings) = result?;
    findings.drain(&mut |f| {
        page.push(&f);
        Ok(())
    })?;
    page.finish(&stats, &reporter, started.elapsed());
    page.write(&args.out)?;
    if !ctx.quiet {
        eprintln!("ctscan: report written to {}", args.out.display());
    }
    Ok(if reporter.had_problems() || !pack.failures.is_empty() {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}
