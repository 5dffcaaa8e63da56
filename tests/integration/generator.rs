//! `ctscan-gen`: the uniform world still writes the committed sample byte for byte, the realistic world
//! writes archives ctscan reads cleanly, with every planted event where the ground truth says, and the
//! committed sample holds the credential chains of `ctscan_gen::chains`.

use std::path::Path;

use crate::util::*;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let bytes = std::fs::read(&p).unwrap();
            (rel, bytes)
        })
        .collect()
}

/// The README's command regenerates `testdata/sample` exactly: the uniform world has not moved.
#[test]
fn the_uniform_world_still_writes_the_committed_sample() {
    let dir = tempfile::tempdir().unwrap();
    let args = "--events 1200 --per-file 100 --days 3 --accounts 3 --regions 2 --layout mixed --siblings --attacks --digests --seed 2026";
    generate(dir.path(), &args.split(' ').collect::<Vec<_>>());
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample");
    let (got, want) = (files(dir.path()), files(&sample));
    assert_eq!(
        got.iter().map(|f| &f.0).collect::<Vec<_>>(),
        want.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(got == want, "same objects, different bytes");
}

#[test]
fn a_realistic_archive_reads_cleanly_with_its_planted_events() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_generator(
        dir.path(),
        &[
            "--world",
            "realistic",
            "--events",
            "3000",
            "--per-file",
            "60",
            "--days",
            "2",
            "--accounts",
            "3",
            "--regions",
            "2",
            "--layout",
            "mixed",
            "--siblings",
            "--attacks",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 3000 benign events, 306 planted by the attacker (54 classic, 252 realistic) and 36 by the credential
    // chains.
    assert!(r.stderr.contains("3342 events (342 planted)"), "{}", r.stderr);
    assert_eq!(count(dir.path(), "SELECT count(*) AS n FROM events", &[]), 3342);
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) AS n FROM events WHERE sourceIPAddress = '185.220.101.47'",
            &[]
        ),
        306
    );
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) AS n FROM events WHERE eventID LIKE 'c4a1%'",
            &[]
        ),
        36
    );
    // The launch in the never-used region is the only write there; the scanner's sweeps read there.
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) AS n FROM events WHERE awsRegion = 'ap-south-1' AND NOT readOnly",
            &[]
        ),
        2
    );
    assert!(
        count(
            dir.path(),
            "SELECT count(*) AS n FROM events WHERE awsRegion = 'ap-south-1' AND readOnly",
            &[]
        ) > 0
    );
    // Instance sessions call from a few addresses each: two or three Elastic IPs of their NAT gateway, or
    // their own address (a second after a stop and start), and an IPv6 address in dual-stack VPCs (VPC
    // endpoint calls and AWS-invoked calls aside; the planted ones, the attacker's and chain 4's instance
    // key used from a laptop, aside too).
    let instance_calls = "FROM events WHERE userIdentity.arn LIKE '%/i-0%' AND vpcEndpointId IS NULL \
         AND sourceIPAddress NOT LIKE '%.amazonaws.com' AND sourceIPAddress <> '185.220.101.47' \
         AND eventID NOT LIKE 'c4a1%'";
    let rows = query(
        dir.path(),
        &format!(
            "SELECT userIdentity.arn AS arn, count(DISTINCT sourceIPAddress) AS n {instance_calls} \
             GROUP BY userIdentity.arn HAVING count(DISTINCT sourceIPAddress) > 4"
        ),
        &[],
    );
    assert!(rows.is_empty(), "{rows:?}");
    let several = count(
        dir.path(),
        &format!(
            "SELECT count(*) AS n FROM (SELECT userIdentity.arn {instance_calls} \
             GROUP BY userIdentity.arn HAVING count(DISTINCT sourceIPAddress) > 1)"
        ),
        &[],
    );
    assert!(
        several > 0,
        "no instance session calls from more than one address"
    );
}

/// The committed sample holds every credential of the planted chains' ground truth, each one used after the
/// chains' anchor, which is the `--from` their lookback scenario is meant for.
#[test]
fn the_sample_holds_the_planted_credential_chains() {
    use ctscan_gen::chains;
    let opts = crate::util::sample_options();
    let from = chains::anchor(&opts).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert_eq!(from, "2026-03-02T12:00:00Z");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample");
    assert_eq!(
        count(
            &sample,
            "SELECT count(*) AS n FROM events WHERE eventID LIKE 'c4a1%'",
            &[]
        ),
        chains::events(&opts).len() as i64
    );
    let rows = query(
        &sample,
        "SELECT DISTINCT userIdentity.accessKeyId AS k FROM events \
         WHERE eventID LIKE 'c4a1%' AND userIdentity.accessKeyId IS NOT NULL",
        &["--from", &from],
    );
    let mut used: Vec<&str> = rows.iter().filter_map(|r| r["k"].as_str()).collect();
    used.sort_unstable();
    let truth = chains::expected_chains(&opts);
    let mut want: Vec<&str> = truth.iter().map(|c| c.access_key_id).collect();
    want.sort_unstable();
    assert_eq!(used, want);
    // Scenario 6's issuing events are before the window: only a lookback finds them.
    let before = count(
        &sample,
        "SELECT count(*) AS n FROM events WHERE eventID LIKE 'c4a10006-%' \
         AND eventName IN ('GetSessionToken', 'AssumeRole')",
        &["--to", &from],
    );
    assert_eq!(before, 2);
}
