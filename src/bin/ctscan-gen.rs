//! `ctscan-gen`: writes a realistic CloudTrail archive in the real delivery layout, deterministic by seed,
//! for tests, benchmarks and demonstrations.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Parser;
use ctscan::generate::digests::test_keys::list_public_keys_json;
use ctscan::generate::{GenOptions, LayoutKind, World, generate};

/// Write a generated CloudTrail archive.
#[derive(Debug, Parser)]
#[command(name = "ctscan-gen", version, about)]
struct Args {
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
    /// Also plant attack scenarios (from 185.220.101.47, user mallory; ten, fourteen in the realistic world)
    /// and six credential chains with known attribution (eventIDs starting c4a1).
    #[arg(long)]
    attacks: bool,
    /// Benign world: `uniform` (random call and principal per event) or `realistic` (fleets, pipelines,
    /// people and AWS services of a coherent organization).
    #[arg(long, value_enum, default_value_t = World::Uniform)]
    world: World,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let opts = GenOptions {
        events: a.events,
        seed: a.seed,
        events_per_file: a.per_file,
        days: a.days,
        start: a.start,
        accounts: a.accounts,
        regions: a.regions,
        layout: a.layout,
        siblings: a.siblings,
        digests: a.digests,
        attacks: a.attacks,
        world: a.world,
    };
    if let Some(path) = &a.keys_out
        && let Err(e) = std::fs::write(path, list_public_keys_json())
    {
        eprintln!("ctscan-gen: {}: {e}", path.display());
        return ExitCode::from(2);
    }
    match generate(&opts, &a.out) {
        Ok(s) => {
            eprintln!(
                "ctscan-gen: {} events ({} planted) in {} files, {} sibling objects, {} digests, under {}",
                s.events,
                s.attack_events,
                s.log_files,
                s.sibling_files,
                s.digest_files,
                a.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ctscan-gen: {}: {e}", a.out.display());
            ExitCode::from(2)
        }
    }
}
