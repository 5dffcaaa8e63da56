//! The command line of `ctscan report`.

use crate::cli::args::RuleArgs;
use crate::cli::args::{ReadArgs, ScopeArgs};
use clap::Args;
use std::path::PathBuf;

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
