//! `ctscan-gen`: writes a realistic CloudTrail archive in the real delivery layout, deterministic by seed,
//! for tests, benchmarks and demonstrations.

use std::process::ExitCode;

use clap::Parser;
use ctscan_gen::cli::{Args, run};

fn main() -> ExitCode {
    let outcome = run(&Args::parse());
    eprintln!("{}", outcome.message);
    ExitCode::from(outcome.code)
}
