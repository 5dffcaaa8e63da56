//! The command line of `ctscan verify`.

use crate::cli::args::{OutputArgs, ReadArgs, ScopeArgs};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `ctscan verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Archive: a local copy or `s3://bucket[/prefix]` (plain, organization and Control Tower layouts).
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    /// CloudTrail public keys: `aws cloudtrail list-public-keys` JSON, or PEM / DER files (repeatable).
    /// Without them, links and hashes are still checked but no signature can be.
    #[arg(long = "public-keys", value_name = "FILE")]
    pub public_keys: Vec<PathBuf>,
    /// Where an account and region has no digests at all, report silences longer than this between log
    /// files (a heuristic).
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub gap: String,
    /// Also list every verified log file (`verified-log`): an evidence register.
    #[arg(long)]
    pub all: bool,
}
