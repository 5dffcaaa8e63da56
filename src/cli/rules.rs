//! The command line of `ctscan rules`.

use crate::cli::args::OutputArgs;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Arguments of `ctscan rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// Where rules come from, for `list` and `show`.
#[derive(Debug, Args)]
pub struct PackArgs {
    /// A rule file or folder (repeatable), with the built-in pack.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Leave out the built-in pack.
    #[arg(long)]
    pub no_builtin: bool,
}

/// The `rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List rules: id, name, level, kind, title, tags, source file (a table unless --format says otherwise).
    List {
        #[command(flatten)]
        pack: PackArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Print one rule's file.
    Show {
        /// Rule id or name.
        id: String,
        #[command(flatten)]
        pack: PackArgs,
    },
    /// Check rule files: YAML and Sigma errors, fields CloudTrail does not have, event names it never logs.
    Lint {
        /// Rule files or folders [default: the built-in pack].
        paths: Vec<PathBuf>,
    },
    /// Run each rule on its test events and report pass/fail.
    Test {
        /// Rule files or folders [default: the built-in pack with its embedded test events].
        paths: Vec<PathBuf>,
        /// Folder of test event files, `<rule file stem>.json` [default: testdata/rules].
        #[arg(long, value_name = "DIR")]
        events: Option<PathBuf>,
    },
}
