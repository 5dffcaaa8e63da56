//! The command line of `ctscan query`.

use crate::cli::args::ClusterArgs;
use crate::cli::args::{OutputArgs, ReadArgs, ScopeArgs};
use clap::Args;

/// Arguments of `ctscan query`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  ctscan query AWSLogs/ \"SELECT eventName, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC\"\n  \
ctscan query AWSLogs/ --name key-activity --param key=AKIAEXAMPLE\n  ctscan query --list"
)]
pub struct QueryArgs {
    /// SOURCE... then the SQL (unless -f or --name gives it).
    #[arg(value_name = "SOURCE... [SQL]", required_unless_present = "list")]
    pub args: Vec<String>,
    /// Read the SQL from a file.
    #[arg(short, long, value_name = "FILE", conflicts_with = "name")]
    pub file: Option<std::path::PathBuf>,
    /// Run a named query from the shipped collection (see --list).
    #[arg(short, long, value_name = "NAME")]
    pub name: Option<String>,
    /// A parameter of the named query, `key=value` (repeatable).
    #[arg(short, long = "param", value_name = "KEY=VALUE", requires = "name")]
    pub params: Vec<String>,
    /// List the named queries and their parameters.
    #[arg(long)]
    pub list: bool,
    /// Return at most N rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Count each event once: later copies of an (eventID, recipientAccountId) are left out of `events`.
    #[arg(long)]
    pub dedup: bool,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}
