//! The command line of `ctscan hunt`.

use crate::cli::args::ClusterArgs;
use crate::cli::args::RuleArgs;
use crate::cli::args::{OutputArgs, ReadArgs, ScopeArgs};
use clap::Args;
use std::path::PathBuf;

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
    /// Also write an ATT&CK Navigator layer (JSON) of the techniques the reported findings' rules are tagged
    /// with, scored by findings, to FILE.
    #[arg(long, value_name = "FILE")]
    pub navigator: Option<PathBuf>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}
