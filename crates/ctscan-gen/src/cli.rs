//! The `ctscan-gen` command line: its arguments and one run of them. The binary parses the process's
//! arguments and calls [`run`]; other packages' tests and benchmarks, which Cargo does not tell where this
//! package's binary is, run the same command in-process with [`run_from`].

use std::ffi::OsString;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Parser;

use crate::digests::test_keys::list_public_keys_json;
use crate::{GenOptions, LayoutKind, World, generate};

/// Write a generated CloudTrail archive.
#[derive(Debug, Parser)]
#[command(name = "ctscan-gen", version, about)]
pub struct Args {
    /// Folder to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Number of benign events.
    #[arg(long, default_value_t = 10_000)]
    events: usize,
    /// Seed; the same arguments give byte-identical archives.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Events per delivery file (the median in the realistic world, where sizes vary from 1 to ~13x this).
    #[arg(long = "per-file", default_value_t = 200)]
    per_file: usize,
    /// Days the events spread over.
    #[arg(long, default_value_t = 3)]
    days: u32,
    /// First day (UTC).
    #[arg(long, default_value = "2026-03-01")]
    start: NaiveDate,
    /// Number of accounts.
    #[arg(long, default_value_t = 2)]
    accounts: usize,
    /// Number of regions per account.
    #[arg(long, default_value_t = 2)]
    regions: usize,
    /// Bucket layout.
    #[arg(long, value_enum, default_value_t = LayoutKind::Plain)]
    layout: LayoutKind,
    /// Also write digest, Insights and Config objects, which readers must skip.
    #[arg(long)]
    siblings: bool,
    /// Also write signed digest chains with their metadata sidecars, signed by the test-only keys in
    /// testdata/digest-test-key (never evidence of anything).
    #[arg(long)]
    digests: bool,
    /// Write the test keys' public halves there, as `aws cloudtrail list-public-keys` prints them (the
    /// committed testdata/digest-test-key/list-public-keys.json).
    #[arg(long = "keys-out", value_name = "FILE")]
    keys_out: Option<PathBuf>,
    /// Also plant attack scenarios (from 185.220.101.47, user mallory; ten, seventeen in the realistic world)
    /// and six credential chains with known attribution (eventIDs starting c4a1).
    #[arg(long)]
    attacks: bool,
    /// Benign world: `uniform` (random call and principal per event) or `realistic` (fleets, pipelines,
    /// people and AWS services of a coherent organization).
    #[arg(long, value_enum, default_value_t = World::Uniform)]
    world: World,
}

/// How a run ended: what the binary prints on standard error and exits with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The exit status: 0 when the archive is written, 2 when something could not be written (clap's own
    /// status for arguments it rejects).
    pub code: u8,
    /// The summary of what was written, or why not (one line, no newline at the end; clap's message for
    /// arguments it rejects).
    pub message: String,
}

/// Writes the archive `args` ask for and says what was written.
pub fn run(args: &Args) -> Outcome {
    let opts = GenOptions {
        events: args.events,
        seed: args.seed,
        events_per_file: args.per_file,
        days: args.days,
        start: args.start,
        accounts: args.accounts,
        regions: args.regions,
        layout: args.layout,
        siblings: args.siblings,
        digests: args.digests,
        attacks: args.attacks,
        world: args.world,
    };
    if let Some(path) = &args.keys_out
        && let Err(e) = std::fs::write(path, list_public_keys_json())
    {
        return failed(format!("ctscan-gen: {}: {e}", path.display()));
    }
    match generate(&opts, &args.out) {
        Ok(s) => Outcome {
            code: 0,
            message: format!(
                "ctscan-gen: {} events ({} planted) in {} files, {} sibling objects, {} digests, under {}",
                s.events,
                s.attack_events,
                s.log_files,
                s.sibling_files,
                s.digest_files,
                args.out.display()
            ),
        },
        Err(e) => failed(format!("ctscan-gen: {}: {e}", args.out.display())),
    }
}

/// Parses `args` (the program name first, as [`std::env::args_os`] gives them) and [`run`]s them: the
/// `ctscan-gen` command without a process.
pub fn run_from<I, T>(args: I) -> Outcome
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match Args::try_parse_from(args) {
        Ok(a) => run(&a),
        Err(e) => Outcome {
            code: u8::try_from(e.exit_code()).unwrap_or(2),
            message: e.render().to_string().trim_end().to_string(),
        },
    }
}

fn failed(message: String) -> Outcome {
    Outcome { code: 2, message }
}
