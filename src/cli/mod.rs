//! The command line: every clap argument struct ([`args`] for the flags several commands share, one
//! module per subcommand for its own) and their resolution into one run's settings ([`context`]). The
//! commands themselves (`cmd/`) sit above and take what this layer resolves.

pub mod args;
pub mod cluster;
pub mod context;
pub mod export;
pub mod hunt;
pub mod ls;
pub mod query;
pub mod report;
pub mod rules;
pub mod summary;
pub mod trace;
pub mod verify;

use clap::{Parser, Subcommand};

use crate::cli::args::GlobalArgs;

/// Offline forensic analysis of AWS CloudTrail archives.
#[derive(Debug, Parser)]
#[command(name = "ctscan", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// Flags every subcommand accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The subcommand and its own flags.
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 success; 1 finished, but some inputs could not be read (each is named on stderr); \
2 usage or fatal error; 3 (verify) tampering evidence.";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inventory of an archive: accounts, regions, first/last day, objects and bytes (lists, never reads).
    Ls(ls::LsArgs),
    /// Run SQL over the `events` table of an archive.
    Query(query::QueryArgs),
    /// Convert an archive (or a window of it) into a Parquet lake, resumably.
    Export(export::ExportArgs),
    /// Run Sigma detection rules (built-in pack and/or --rules) over an archive or lake.
    Hunt(hunt::HuntArgs),
    /// List, show, lint and test Sigma rule packs.
    Rules(rules::RulesArgs),
    /// Follow a credential: the chain that issued it and everything it and its descendants did.
    Trace(trace::TraceArgs),
    /// One row per actor (or principal, key, IP, account): what each did over the window.
    Summary(summary::SummaryArgs),
    /// Write a self-contained HTML incident report of a hunt (glance, integrity, timeline, findings).
    Report(report::ReportArgs),
    /// Prove an archive complete and untampered from its digest chains, offline.
    Verify(verify::VerifyArgs),
    /// Run a node of a Ballista cluster for `query`, `hunt` and `export --cluster`: a scheduler or an executor.
    Cluster(cluster::NodeArgs),
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
