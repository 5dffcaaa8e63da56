//! Decode throughput on a generated archive: inflating alone (with libdeflate, as ctscan decodes whole
//! objects, and with flate2 on zlib-rs, as verify streams them), the floor (inflate + JSON tape), then ctscan's
//! decode into Arrow with all columns and with a two-column projection. Run with
//! `cargo bench --bench decode` (`CTSCAN_BENCH_EVENTS` sets the archive size, default 1,000,000;
//! `CTSCAN_BENCH_ARCHIVE` reads an existing archive instead).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ctscan::decode::{BatchBuilder, Provenance, decode_object, document, gunzip, tally};
use ctscan::schema::column_index;
use ctscan::source::s3::S3Access;
use ctscan::source::window::Scope;
use ctscan::source::{self, ObjectRef};
use ctscan_gen::{GenOptions, generate};
use flate2::read::MultiGzDecoder;
use rayon::prelude::*;

fn archive(events: usize) -> PathBuf {
    if let Some(dir) = std::env::var_os("CTSCAN_BENCH_ARCHIVE") {
        return PathBuf::from(dir);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("benches/data/decode-{events}"));
    if !dir.join("AWSLogs").is_dir() {
        eprintln!("generating {events} events into {}", dir.display());
        let opts = GenOptions {
            events,
            seed: 42,
            events_per_file: 200,
            ..GenOptions::default()
        };
        generate(&opts, &dir).expect("generate the benchmark archive");
    }
    dir
}

fn read_all(objects: &[ObjectRef]) -> Vec<Vec<u8>> {
    objects
        .par_iter()
        .map(|o| ctscan::events::scan::fetch(o, &S3Access::default()).expect("read"))
        .collect()
}

/// Inflates one object with flate2 on zlib-rs: what ctscan used before libdeflate, and what verify streams with.
fn flate2_inflate(raw: &[u8]) -> Vec<u8> {
    if !gunzip::is_gzip(raw) {
        return raw.to_vec();
    }
    let mut out = Vec::with_capacity(raw.len() * 8);
    MultiGzDecoder::new(raw).read_to_end(&mut out).expect("flate2");
    out
}

/// Runs `f` three times and returns the median seconds and its result.
fn median<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[1], last.expect("ran"))
}

fn main() {
    let events: usize = std::env::var("CTSCAN_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = archive(events);
    let listing = source::list(
        &[dir.display().to_string()],
        &Scope::default(),
        &S3Access::default(),
    )
    .expect("list");
    let raw = read_all(&listing.objects);
    let gz_bytes: usize = raw.iter().map(Vec::len).sum();
    let threads = rayon::current_num_threads();

    let (t_libdeflate, json_bytes) = median(|| {
        raw.par_iter()
            .map(|r| gunzip::inflate(r.clone(), u64::MAX).expect("gunzip").len())
            .sum::<usize>()
    });
    let (t_flate2, flate2_bytes) = median(|| raw.par_iter().map(|r| flate2_inflate(r).len()).sum::<usize>());
    assert_eq!(json_bytes, flate2_bytes);
    let (t_tape, n_tape) = median(|| {
        raw.par_iter()
            .map(|r| {
                let mut json = gunzip::inflate(r.clone(), u64::MAX).expect("gunzip");
                let mut n = 0usize;
                document::for_each_item(&mut json, &mut |_| n += 1).expect("parse");
                n
            })
            .sum::<usize>()
    });
    // What a query pays for an object its filter rules out: inflate, then count the records without a parse
    // (the objects only the parser can count are parsed, as the query does).
    let (t_count, n_count) = median(|| {
        raw.par_iter()
            .map(|r| {
                let mut json = gunzip::inflate(r.clone(), u64::MAX).expect("gunzip");
                match tally::delivery_records(&json) {
                    Some(records) => records.len(),
                    None => {
                        let mut n = 0usize;
                        document::for_each_item(&mut json, &mut |_| n += 1).expect("parse");
                        n
                    }
                }
            })
            .sum::<usize>()
    });
    let decode = |projection: Option<Vec<usize>>| {
        listing
            .objects
            .par_iter()
            .zip(raw.par_iter())
            .map(|(o, r)| {
                let mut b = BatchBuilder::new(projection.as_deref(), Scope::default());
                let prov = Provenance {
                    key: &o.key,
                    log: o.log.as_ref(),
                };
                decode_object(r.clone(), &prov, &mut b, u64::MAX).expect("decode");
                b.finish().expect("batch").num_rows()
            })
            .sum::<usize>()
    };
    let (t_all, n_all) = median(|| decode(None));
    let two = vec![
        column_index("eventTime").unwrap(),
        column_index("eventName").unwrap(),
    ];
    let (t_two, n_two) = median(|| decode(Some(two.clone())));
    assert_eq!(n_tape, n_all);
    assert_eq!(n_count, n_all);
    assert_eq!(n_all, n_two);

    let mb = json_bytes as f64 / 1e6;
    println!(
        "decode benchmark: {n_all} events, {} objects, {:.1} MB gzip, {mb:.1} MB JSON, {threads} threads",
        listing.objects.len(),
        gz_bytes as f64 / 1e6
    );
    println!("| stage | seconds | MB/s of JSON | events/s | vs tape floor |");
    println!("|---|---|---|---|---|");
    for (stage, t) in [
        ("inflate alone, libdeflate", t_libdeflate),
        ("inflate alone, flate2 + zlib-rs", t_flate2),
        ("gunzip + simd-json tape (floor)", t_tape),
        ("inflate + count without parsing (a ruled-out object)", t_count),
        ("decode to Arrow, all columns", t_all),
        ("decode to Arrow, eventTime + eventName", t_two),
    ] {
        println!(
            "| {stage} | {t:.2} | {:.0} | {:.0} | {:.2}x |",
            mb / t,
            n_all as f64 / t,
            t / t_tape
        );
    }
}
