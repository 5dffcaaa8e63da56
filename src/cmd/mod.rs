//! One module per subcommand, each taking its parsed flags and the run's settings; this module dispatches.

pub mod cluster;
pub mod export;
pub mod hunt;
pub mod ls;
pub mod query;
pub mod report;
pub mod rules;
pub mod summary;
pub mod trace;
pub mod verify;

use clap::Parser;

use crate::cli::context::RunContext;
use crate::cli::{Cli, Command};

/// Parses the command line, runs the subcommand and returns the process exit code.
pub fn run() -> anyhow::Result<i32> {
    let cli = Cli::parse();
    // An executor reads S3 the way each client's plan says, not with its own command line's options.
    let with_s3 = !matches!(cli.command, Command::Cluster(_));
    let ctx = RunContext::new(&cli.global, with_s3)?;
    match cli.command {
        Command::Ls(args) => ls::run(args, &ctx),
        Command::Query(args) => query::run(args, &ctx),
        Command::Export(args) => export::run(args, &ctx),
        Command::Hunt(args) => hunt::run(args, &ctx),
        Command::Rules(args) => rules::run(args, &ctx),
        Command::Trace(args) => trace::run(args, &ctx),
        Command::Summary(args) => summary::run(args, &ctx),
        Command::Report(args) => report::run(args, &ctx),
        Command::Verify(args) => verify::run(args, &ctx),
        Command::Cluster(args) => cluster::run(args, &ctx),
    }
}
