//! `ctscan report`: a hunt turned into one self-contained HTML page to hand over (the archive at a glance,
//! whether its digests prove it, a timeline, a heat map, top actors, every finding group with its events).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;

use crate::args::{EXIT_OK, EXIT_PARTIAL, GlobalArgs, ReadArgs, ScopeArgs};
use crate::hunting::{self, RuleArgs};
use crate::incident::Incident;
use crate::report::Reporter;
use crate::session::{Source, check_sources, lake_source, runtime};
use crate::source;
use crate::verify::keys::KeySet;
use crate::verify::verify_listing;

/// Arguments of `ctscan report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Archive folders, files, `s3://` prefixes, or a lake written by `ctscan export`.
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<String>,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Where to write the HTML page.
    #[arg(long, value_name = "FILE", default_value = "report.html")]
    pub out: PathBuf,
    /// CloudTrail public keys for the integrity section (as `ctscan verify --public-keys`).
    #[arg(long = "public-keys", value_name = "FILE")]
    pub public_keys: Vec<PathBuf>,
    /// Leave out the integrity section (it reads every log file once more, to hash it).
    #[arg(long)]
    pub no_verify: bool,
}

/// Runs `ctscan report`.
pub fn run(args: ReportArgs, global: &GlobalArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    check_sources(&args.sources)?;
    let threads = global.init_threads()?;
    let scope = args.scope.scope()?;
    let reporter = Arc::new(Reporter::new(global.report_options()));
    let pack = args.rules.pack()?;
    for f in &pack.failures {
        reporter.println(&format!("ctscan: rule {}: {}", f.file, f.reason));
    }
    let mut page = Incident::new(&args.sources, &scope, &pack);
    if lake_source(&args.sources).is_none() {
        let listing = source::list(&args.sources, &scope)?;
        page.set_inventory(&listing);
        if !args.no_verify && !listing.digests.is_empty() {
            let keys = KeySet::load_all(&args.public_keys)?;
            // The delivery-gap threshold `verify` uses by default.
            let gap = chrono::Duration::hours(1);
            let verification =
                verify_listing(&listing, &scope, &keys, gap, args.read.max_object_size, threads);
            page.set_verification(&verification, keys.len());
        }
    }
    let config = args.read.scan_config(scope, global);
    let rt = runtime(threads)?;
    let source = Source::open(&args.sources, config, reporter.clone());
    let result = rt.block_on(hunting::run(&pack, &source, threads, &reporter, &mut |f| {
        page.push(&f);
        Ok(())
    }));
    reporter.finish();
    let stats = result?;
    page.finish(&stats, &reporter, started.elapsed());
    page.write(&args.out)?;
    if !global.quiet {
        eprintln!("ctscan: report written to {}", args.out.display());
    }
    Ok(if reporter.had_problems() || !pack.failures.is_empty() {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}
