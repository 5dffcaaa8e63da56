//! The command line of `ctscan export`.

use crate::cli::args::ClusterArgs;
use crate::cli::args::{ReadArgs, ScopeArgs};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `ctscan export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Archive to convert: a directory, files, an `AWSLogs` tree, or `s3://bucket[/prefix]`.
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Lake folder to create or add to.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Count each event once: a record whose (eventID, recipientAccountId) is already in the lake, or
    /// was already exported in this run, is not written again (the objects are still recorded whole).
    #[arg(long)]
    pub dedup: bool,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}
