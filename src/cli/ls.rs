//! The command line of `ctscan ls`.

use crate::cli::args::{OutputArgs, ScopeArgs};
use clap::Args;

/// Arguments of `ctscan ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Archive: a directory, files, an `AWSLogs` tree, or `s3://bucket[/prefix]`.
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// One line per object with its size, modification time and SHA-256 (an evidence inventory; reads
    /// every object's bytes, but never decompresses them).
    #[arg(long)]
    pub objects: bool,
}
