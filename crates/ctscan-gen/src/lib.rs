//! Realistic CloudTrail archives of any size, in the real delivery layout and deterministic by seed: the test
//! data and benchmark input of the project (the `ctscan-gen` command, [`cli`]). Every `userIdentity` type,
//! ~80 event names over ~25 services, nested request parameters, errors, data events, eventVersions
//! 1.0–1.11, plain, organization trail and Control Tower layouts, digest, Insights and Config siblings that
//! readers must skip, and signed digest chains ([`digests`]) that `verify` checks.

pub mod attacks;
pub mod catalogue;
pub mod chains;
pub mod cli;
pub mod digests;
pub mod identity;
pub mod world;

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde_json::{Value, json};

use catalogue::{details, error_for, pick_call};
use identity::{BENIGN_IDENTITY_TYPES, actor};

/// Where in the bucket the generated accounts' logs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LayoutKind {
    /// `AWSLogs/<account>/CloudTrail/...`
    Plain,
    /// An organization trail: `AWSLogs/<org>/<account>/CloudTrail/...`
    Org,
    /// Control Tower: `<org>/AWSLogs/<account>/CloudTrail/...`
    ControlTower,
    /// Each account in one of the three, in turn.
    Mixed,
}

/// What kind of organization the benign traffic comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum World {
    /// Every event picks a random API call and a random principal: cheap, varied, and what the committed
    /// sample and the tests were made with (its output must never change).
    #[default]
    Uniform,
    /// A coherent organization ([`world`]): EC2 fleets behind NAT gateways and VPC endpoints, CI/CD
    /// pipelines, SSO, SAML and federated people, AWS service scanners and applications, delivered in files
    /// whose sizes vary like real trails. Hunts tuned on it meet the noise real archives have.
    Realistic,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// Number of events.
    pub events: usize,
    /// Seed: the same options and seed give byte-identical archives.
    pub seed: u64,
    /// Events per delivery file (CloudTrail writes up to a few hundred).
    pub events_per_file: usize,
    /// Days the events spread over.
    pub days: u32,
    /// First day.
    pub start: NaiveDate,
    /// Number of accounts.
    pub accounts: usize,
    /// Number of regions per account.
    pub regions: usize,
    /// Bucket layout.
    pub layout: LayoutKind,
    /// Also write digest, Insights and Config objects beside the logs.
    pub siblings: bool,
    /// Also write signed digest chains with their metadata sidecars ([`digests`]); the siblings then leave
    /// out their unsigned digest.
    pub digests: bool,
    /// Also plant a handful of attack scenarios (see [`attacks`]; the realistic world adds seven more, see
    /// [`world::planted`]) and six credential chains with known attribution (see [`chains`]).
    pub attacks: bool,
    /// Which benign world to generate.
    pub world: World,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            events: 10_000,
            seed: 1,
            events_per_file: 200,
            days: 3,
            start: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default(),
            accounts: 2,
            regions: 2,
            layout: LayoutKind::Plain,
            siblings: false,
            digests: false,
            attacks: false,
            world: World::Uniform,
        }
    }
}

/// What was written.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GenSummary {
    /// Delivery files holding events.
    pub log_files: usize,
    /// Events in them (benign and planted).
    pub events: usize,
    /// Planted events among them: attack scenarios and credential chains.
    pub attack_events: usize,
    /// The credential chains' events among the planted ones ([`chains`]).
    pub chain_events: usize,
    /// Digest, Insights and Config objects.
    pub sibling_files: usize,
    /// Signed digests of [`digests`] (each with a metadata sidecar beside it).
    pub digest_files: usize,
}

/// The organization id used by organization layouts.
pub const ORG_ID: &str = "o-a1b2c3d4e5";

const REGIONS: &[&str] = &[
    "us-east-1",
    "eu-west-1",
    "us-west-2",
    "ap-southeast-2",
    "eu-central-1",
    "sa-east-1",
    "ap-northeast-1",
    "ca-central-1",
];

const VERSIONS: &[&str] = &[
    "1.0", "1.01", "1.02", "1.03", "1.04", "1.05", "1.06", "1.07", "1.08", "1.09", "1.10", "1.11",
];

/// The account ids of a generated organization, in order.
pub fn account_ids(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i {
            0 => "111122223333".to_string(),
            1 => "444455556666".to_string(),
            2 => "777788889999".to_string(),
            _ => format!("{:012}", 100_000_000_000u64 + i as u64 * 7_919_113),
        })
        .collect()
}

/// The region names of a generated account, in order (cycling past the real ones with numbered names).
pub fn region_names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match REGIONS.get(i) {
            Some(r) => r.to_string(),
            None => format!("xx-test-{}", i + 1),
        })
        .collect()
}

/// The folder of `account`'s CloudTrail logs for `service` (`CloudTrail`, `CloudTrail-Digest`, `Config`...).
pub fn service_dir(layout: LayoutKind, index: usize, account: &str, service: &str) -> String {
    let kind = match layout {
        LayoutKind::Mixed => [LayoutKind::Plain, LayoutKind::Org, LayoutKind::ControlTower][index % 3],
        k => k,
    };
    match kind {
        LayoutKind::Org => format!("AWSLogs/{ORG_ID}/{account}/{service}"),
        LayoutKind::ControlTower => format!("{ORG_ID}/AWSLogs/{account}/{service}"),
        _ => format!("AWSLogs/{account}/{service}"),
    }
}

/// The folder of one region's objects of one day under a service folder.
pub(crate) fn day_dir(base: &str, region: &str, day: NaiveDate) -> String {
    format!("{base}/{region}/{}", day.format("%Y/%m/%d"))
}

/// `eventTime` as CloudTrail writes it (seconds, `Z`).
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A random version-4 UUID, the shape of `eventID` and most `requestID`s.
pub(crate) fn uuid(rng: &mut SmallRng) -> String {
    let v: u128 = rng.random();
    let h = format!("{v:032x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..]
    )
}

/// One benign event at `time` in `account`/`region`.
fn event(rng: &mut SmallRng, time: DateTime<Utc>, account: &str, region: &str) -> Value {
    // Global services (IAM, sign-in) log in us-east-1, so other regions' files never hold them.
    let call = loop {
        let c = pick_call(rng);
        if region == "us-east-1" || !matches!(c.source, "iam.amazonaws.com" | "signin.amazonaws.com") {
            break c;
        }
    };
    let kind = if call.name == "ConsoleLogin" {
        ["IAMUser", "AssumedRole", "SAMLUser"][rng.random_range(0..3)]
    } else if rng.random_bool(0.6) {
        // Most of today's traffic comes from role sessions.
        "AssumedRole"
    } else {
        BENIGN_IDENTITY_TYPES[rng.random_range(0..BENIGN_IDENTITY_TYPES.len())]
    };
    let creation = rfc3339(time - Duration::minutes(rng.random_range(1..600)));
    let who = actor(rng, kind, account, &creation);
    // Today's archives are mostly recent versions; older ones stay common in long retention.
    let version = if rng.random_bool(0.75) {
        VERSIONS[rng.random_range(8..VERSIONS.len())]
    } else {
        VERSIONS[rng.random_range(0..8)]
    };
    let minor: u32 = version[2..].parse().unwrap_or(0);
    let (params, response, resources) = details(rng, call, account, region);
    let mut e = json!({
        "eventVersion": version,
        "userIdentity": who.identity,
        "eventTime": rfc3339(time),
        "eventSource": call.source,
        "eventName": call.name,
        "awsRegion": region,
        "sourceIPAddress": who.source_ip,
        "userAgent": who.user_agent,
        "requestParameters": params,
        "responseElements": response,
        "requestID": uuid(rng),
        "eventID": uuid(rng),
        "readOnly": call.read_only,
        "eventType": if call.name == "ConsoleLogin" { "AwsConsoleSignIn" } else { "AwsApiCall" },
        "managementEvent": !call.data,
        "recipientAccountId": account,
    });
    if call.name == "ConsoleLogin" {
        e["additionalEventData"] = json!({
            "LoginTo": "https://console.aws.amazon.com/console/home",
            "MobileVersion": "No",
            "MFAUsed": "Yes",
        });
        e["requestParameters"] = Value::Null;
    }
    if !resources.is_null() {
        e["resources"] = resources;
    }
    if minor >= 8 {
        e["eventCategory"] = if call.data { "Data" } else { "Management" }.into();
        e["tlsDetails"] = json!({
            "tlsVersion": if rng.random_bool(0.8) { "TLSv1.3" } else { "TLSv1.2" },
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": format!("{}.{region}.amazonaws.com", call.source.trim_end_matches(".amazonaws.com")),
        });
        if who.user_agent.starts_with("Mozilla") {
            e["sessionCredentialFromConsole"] = "true".into();
        }
    }
    if minor >= 11 && rng.random_bool(0.2) {
        e["vpcEndpointId"] = format!("vpce-0{:016x}", rng.random::<u64>() >> 4).into();
        e["vpcEndpointAccountId"] = account.into();
    }
    if call.data && call.source == "s3.amazonaws.com" {
        e["additionalEventData"] = json!({
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": 0,
            "bytesTransferredOut": rng.random_range(100..5_000_000),
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": format!("{:x}", rng.random::<u128>()),
        });
        e["sharedEventID"] = uuid(rng).into();
    }
    if !who.service && rng.random_bool(0.04) {
        let (code, message) = error_for(rng, call);
        e["errorCode"] = code.into();
        e["errorMessage"] = message.into();
        e["responseElements"] = Value::Null;
    }
    // Some services wrote booleans as strings in older versions; readers must cope.
    if minor < 5 && rng.random_bool(0.3) {
        e["readOnly"] = call.read_only.to_string().into();
    }
    e
}

/// One delivery file: its path and records.
struct Delivery {
    path: String,
    records: Vec<Value>,
    attack_events: usize,
}

fn deliveries_for(opts: &GenOptions, index: usize, files: usize) -> Delivery {
    let mut rng = SmallRng::seed_from_u64(opts.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let accounts = account_ids(opts.accounts.max(1));
    let regions = region_names(opts.regions.max(1));
    let a = index % accounts.len();
    let account = &accounts[a];
    let region = &regions[(index / accounts.len()) % regions.len()];
    let span = i64::from(opts.days.max(1)) * 86_400;
    let start = opts.start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let slot = start + Duration::seconds(span * index as i64 / files.max(1) as i64);
    let count = if index + 1 == files {
        opts.events - opts.events_per_file * (files - 1)
    } else {
        opts.events_per_file
    };
    let mut times: Vec<DateTime<Utc>> = (0..count)
        .map(|_| slot + Duration::seconds(rng.random_range(0..300)))
        .collect();
    times.sort();
    let mut records: Vec<Value> = times
        .iter()
        .map(|t| event(&mut rng, *t, account, region))
        .collect();
    let mut attack_events = 0;
    if opts.attacks {
        attack_events = attacks::plant(&mut rng, index, files, &mut records, account, region);
    }
    let last = times.last().copied().unwrap_or(slot);
    let delivered = last + Duration::minutes(rng.random_range(3..15));
    let base = service_dir(opts.layout, a, account, "CloudTrail");
    let name = format!(
        "{account}_CloudTrail_{region}_{}_{}.json.gz",
        delivered.format("%Y%m%dT%H%MZ"),
        &uuid(&mut rng).replace('-', "")[..16]
    );
    Delivery {
        path: format!("{}/{name}", day_dir(&base, region, delivered.date_naive())),
        records,
        attack_events,
    }
}

/// Writes `body` gzipped at `root/rel`, creating folders.
pub(crate) fn write_gz(root: &Path, rel: &str, body: &[u8]) -> std::io::Result<()> {
    let path: PathBuf = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut enc = GzEncoder::new(Vec::with_capacity(body.len() / 6), Compression::new(6));
    enc.write_all(body)?;
    std::fs::write(path, enc.finish()?)
}

/// Writes the digest, Insights and Config objects of one account, region and day (no digest when real,
/// signed ones are written).
fn write_siblings(
    root: &Path,
    opts: &GenOptions,
    a: usize,
    account: &str,
    region: &str,
    day: NaiveDate,
) -> std::io::Result<usize> {
    let stamp = day.format("%Y%m%dT2359Z");
    let digest = json!({
        "awsAccountId": account, "digestStartTime": format!("{day}T00:00:00Z"), "digestEndTime": format!("{day}T23:59:59Z"),
        "digestS3Bucket": "org-cloudtrail-archive", "digestPublicKeyFingerprint": "0123456789abcdef0123456789abcdef",
        "digestSignatureAlgorithm": "SHA256withRSA", "logFiles": [],
    });
    let insight = json!({"Records": [{"eventVersion": "1.08", "eventTime": format!("{day}T12:00:00Z"), "eventType": "AwsCloudTrailInsight",
        "eventCategory": "Insight", "insightDetails": {"state": "Start", "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
        "insightType": "ApiCallRateInsight"}}]});
    let config = json!({"fileVersion": "1.0", "configSnapshotId": "a1b2", "configurationItems": [{"resourceType": "AWS::S3::Bucket"}]});
    // (service folder, file name inside the day folder, content)
    let siblings = [
        (
            "CloudTrail-Digest",
            format!("{account}_CloudTrail-Digest_{region}_org-trail_{region}_{stamp}.json.gz"),
            digest,
        ),
        (
            "CloudTrail-Insight",
            format!("{account}_CloudTrail-Insight_{region}_{stamp}_abcdef0123456789.json.gz"),
            insight,
        ),
        (
            "Config",
            format!("ConfigSnapshot/{account}_Config_{region}_ConfigSnapshot_{stamp}_a1b2.json.gz"),
            config,
        ),
    ];
    let siblings: Vec<_> = siblings
        .into_iter()
        .filter(|s| !(opts.digests && s.0 == "CloudTrail-Digest"))
        .collect();
    for (service, name, body) in &siblings {
        let base = service_dir(opts.layout, a, account, service);
        write_gz(
            root,
            &format!("{}/{name}", day_dir(&base, region, day)),
            body.to_string().as_bytes(),
        )?;
    }
    Ok(siblings.len())
}

/// Writes an archive under `root`.
pub fn generate(opts: &GenOptions, root: &Path) -> std::io::Result<GenSummary> {
    if opts.events_per_file == 0 {
        return Err(std::io::Error::other("events per file must be at least 1"));
    }
    let mut summary = match opts.world {
        World::Uniform => uniform_logs(opts, root)?,
        World::Realistic => world::write_logs(opts, root)?,
    };
    if opts.attacks {
        // In objects of their own: everything else is written as without them.
        let (files, events) = chains::write(opts, root)?;
        summary.log_files += files;
        summary.events += events;
        summary.attack_events += events;
        summary.chain_events += events;
    }
    if opts.siblings {
        let accounts = account_ids(opts.accounts.max(1));
        let regions = region_names(opts.regions.max(1));
        for (a, account) in accounts.iter().enumerate() {
            for region in &regions {
                for d in 0..opts.days.max(1) {
                    let day = opts.start + Duration::days(i64::from(d));
                    summary.sibling_files += write_siblings(root, opts, a, account, region, day)?;
                }
            }
        }
    }
    if opts.digests {
        // Last: the digests list every log file, wherever it came from.
        summary.digest_files = digests::write(opts, root)?;
    }
    Ok(summary)
}

/// Writes the delivery files of the uniform world: `--per-file` events each, spread evenly over time.
fn uniform_logs(opts: &GenOptions, root: &Path) -> std::io::Result<GenSummary> {
    let files = opts.events.div_ceil(opts.events_per_file);
    let written: Vec<(usize, usize)> = (0..files)
        .into_par_iter()
        .map(|i| {
            let d = deliveries_for(opts, i, files);
            let body = serde_json::to_vec(&json!({ "Records": d.records }))?;
            write_gz(root, &d.path, &body)?;
            Ok((d.records.len(), d.attack_events))
        })
        .collect::<std::io::Result<_>>()?;
    Ok(GenSummary {
        log_files: files,
        events: written.iter().map(|w| w.0).sum(),
        attack_events: written.iter().map(|w| w.1).sum(),
        chain_events: 0,
        sibling_files: 0,
        digest_files: 0,
    })
}

/// Every file under a folder with its bytes, sorted by path: what determinism tests compare.
#[cfg(test)]
pub(crate) fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> GenOptions {
        GenOptions {
            events: 450,
            seed,
            events_per_file: 100,
            layout: LayoutKind::Mixed,
            siblings: true,
            digests: true,
            attacks: true,
            ..GenOptions::default()
        }
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let sa = generate(&small(5), a.path()).unwrap();
        generate(&small(5), b.path()).unwrap();
        generate(&small(6), c.path()).unwrap();
        assert_eq!(sa.events - sa.attack_events, 450);
        // Five delivery files of benign events (and the scenarios), then the chains' own objects.
        assert_eq!(sa.log_files, 5 + chains::deliveries(&small(5)).len());
        assert_eq!(sa.chain_events, chains::events(&small(5)).len());
        assert!(sa.attack_events > sa.chain_events);
        assert_eq!(snapshot(a.path()), snapshot(b.path()));
        assert_ne!(snapshot(a.path()), snapshot(c.path()));
    }

    #[test]
    fn layouts_put_the_org_id_where_real_trails_do() {
        assert_eq!(
            service_dir(LayoutKind::Plain, 0, "111122223333", "CloudTrail"),
            "AWSLogs/111122223333/CloudTrail"
        );
        assert_eq!(
            service_dir(LayoutKind::Org, 0, "111122223333", "CloudTrail"),
            format!("AWSLogs/{ORG_ID}/111122223333/CloudTrail")
        );
        assert_eq!(
            service_dir(LayoutKind::ControlTower, 0, "111122223333", "CloudTrail"),
            format!("{ORG_ID}/AWSLogs/111122223333/CloudTrail")
        );
        let mixed: Vec<String> = (0..3)
            .map(|i| service_dir(LayoutKind::Mixed, i, "111122223333", "Config"))
            .collect();
        assert_eq!(mixed.iter().collect::<std::collections::BTreeSet<_>>().len(), 3);
    }
}
