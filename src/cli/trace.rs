//! The command line of `ctscan trace`.

use crate::cli::args::{ClusterArgs, ReadArgs, ScopeArgs, TableArgs};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Output formats of `trace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// The chain and the timeline as tables.
    Table,
    /// One JSON object per hop and per event (`record`: `hop` or `event`).
    Jsonl,
    /// The same records as CSV.
    Csv,
    /// JSON lines Timesketch imports as is (`datetime`, `timestamp_desc`, `message`, the event's fields).
    Timesketch,
}

/// Arguments of `ctscan trace`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  ctscan trace AWSLogs/ ASIAEXAMPLEKEY\n  \
ctscan trace AWSLogs/ arn:aws:iam::111122223333:user/alice --format timesketch > alice.jsonl\n  \
ctscan trace lake/ 203.0.113.7 --from 2026-03-03")]
pub struct TraceArgs {
    /// SOURCE... then what to trace: an access key id, an ARN (user, role or session), a source IP or a
    /// role session name.
    #[arg(value_name = "SOURCE... TARGET", required = true, num_args = 2..)]
    pub args: Vec<String>,
    /// Output format [default: table on a terminal, jsonl otherwise].
    #[arg(long, value_enum)]
    pub format: Option<TraceFormat>,
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub table: TableArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}
