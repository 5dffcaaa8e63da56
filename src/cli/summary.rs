//! The command line of `ctscan summary`.

use crate::cli::args::{ClusterArgs, OutputArgs, ReadArgs, ScopeArgs};
use clap::{Args, ValueEnum};

/// What one row of the summary stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// The origin of the credential chain (`TYPE ARN`).
    Actor,
    /// The principal ARN the calls show.
    Principal,
    /// The access key id.
    Key,
    /// The source IP address.
    Ip,
    /// The account the events were delivered to.
    Account,
}

/// Arguments of `ctscan summary`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  ctscan summary AWSLogs/ --from 2026-03-03\n  \
ctscan summary lake/ --by ip --format csv > by-ip.csv")]
pub struct SummaryArgs {
    /// Archive folders, files, `s3://` prefixes, or a lake.
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<String>,
    /// What a row stands for.
    #[arg(long, value_enum, default_value = "actor")]
    pub by: By,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}
