//! The command line: the parser and the dispatch to one module per subcommand under `cmd/`. The flags
//! several commands share live in [`crate::args`].

use clap::{Parser, Subcommand};

use crate::args::GlobalArgs;
use crate::cmd;

/// Offline forensic analysis of AWS CloudTrail archives.
#[derive(Debug, Parser)]
#[command(name = "ctscan", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 success; 1 finished, but some inputs could not be read (each is named on stderr); \
2 usage or fatal error; 3 (verify) tampering evidence.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Inventory of an archive: accounts, regions, first/last day, objects and bytes (lists, never reads).
    Ls(cmd::ls::LsArgs),
    /// Run SQL over the `events` table of an archive.
    Query(cmd::query::QueryArgs),
    /// Convert an archive (or a window of it) into a Parquet lake, resumably.
    Export(cmd::export::ExportArgs),
    /// Run Sigma detection rules (built-in pack and/or --rules) over an archive or lake.
    Hunt(cmd::hunt::HuntArgs),
    /// List, show, lint and test Sigma rule packs.
    Rules(cmd::rules::RulesArgs),
    /// Follow a credential: the chain that issued it and everything it and its descendants did.
    Trace(cmd::trace::TraceArgs),
    /// One row per actor (or principal, key, IP, account): what each did over the window.
    Summary(cmd::summary::SummaryArgs),
    /// Write a self-contained HTML incident report of a hunt (glance, integrity, timeline, findings).
    Report(cmd::report::ReportArgs),
    /// Prove an archive complete and untampered from its digest chains, offline.
    Verify(cmd::verify::VerifyArgs),
    /// Run a node of a Ballista cluster for `query`, `hunt` and `export --cluster`: a scheduler or an executor.
    Cluster(cmd::cluster::ClusterArgs),
}

/// Parses the command line, runs the subcommand and returns the process exit code.
pub fn run() -> anyhow::Result<i32> {
    let cli = Cli::parse();
    let s3 = cli.global.s3.options()?;
    // An executor reads S3 the way each client's plan says, not with its own command line's options.
    if !matches!(cli.command, Command::Cluster(_)) {
        crate::source::s3::configure(s3);
    }
    crate::timezone::install(cli.global.timezone);
    match cli.command {
        Command::Ls(args) => cmd::ls::run(args, &cli.global),
        Command::Query(args) => cmd::query::run(args, &cli.global),
        Command::Export(args) => cmd::export::run(args, &cli.global),
        Command::Hunt(args) => cmd::hunt::run(args, &cli.global),
        Command::Rules(args) => cmd::rules::run(args, &cli.global),
        Command::Trace(args) => cmd::trace::run(args, &cli.global),
        Command::Summary(args) => cmd::summary::run(args, &cli.global),
        Command::Report(args) => cmd::report::run(args, &cli.global),
        Command::Verify(args) => cmd::verify::run(args, &cli.global),
        Command::Cluster(args) => cmd::cluster::run(args, &cli.global),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
