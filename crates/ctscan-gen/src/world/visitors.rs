//! The public bucket's visitors: the organization publishes open data and static assets in a bucket anyone
//! may read ([`Org::public_bucket`]), and all along the archive people and programs the world over fetch a
//! few objects each, anonymously (`userIdentity` an `AWSAccount` whose account is `anonymous`, the shape of
//! real anonymous S3 data events). Hundreds of addresses, none reading more than five objects a visit.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::common::{Api, Who, hex, pick, record, s3_extra, s3_object_resources};
use super::org::Org;

/// Objects a visit reads at most.
pub const MAX_READS: usize = 5;

/// What visitors fetch with.
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "curl/8.5.0",
    "Wget/1.21.4",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
    "aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-35-generic md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.cp",
];

/// First two octets of the broadband and hosting networks visitors come from (public, none the attacker's
/// or a documentation range).
const NETWORKS: &[[u8; 2]] = &[
    [81, 2],
    [90, 201],
    [176, 58],
    [24, 48],
    [67, 180],
    [49, 36],
    [121, 134],
    [189, 6],
    [41, 216],
    [2, 120],
    [5, 151],
    [213, 87],
    [95, 90],
    [68, 47],
    [151, 101],
    [161, 35],
];

/// The datasets and asset folders the bucket holds.
const FOLDERS: &[&str] = &[
    "datasets/store-locations",
    "datasets/product-catalogue",
    "datasets/energy-usage",
    "static/img",
    "static/js",
    "docs/whitepapers",
];

/// A visitor's address: drawn from [`NETWORKS`], so hundreds of visits come from hundreds of addresses.
fn address(rng: &mut SmallRng) -> String {
    let [a, b] = *pick(rng, NETWORKS);
    format!(
        "{a}.{b}.{}.{}",
        rng.random_range(1..255),
        rng.random_range(1..255)
    )
}

fn object_key(rng: &mut SmallRng) -> String {
    let folder = *pick(rng, FOLDERS);
    match folder.split('/').next() {
        Some("datasets") => format!("{folder}/2026/part-{:05}.csv.gz", rng.random_range(0..2_000)),
        Some("docs") => format!("{folder}/{}.pdf", hex(rng, 10)),
        _ => format!("{folder}/{}.{}", hex(rng, 12), pick(rng, &["webp", "js", "png"])),
    }
}

/// One visit starting at `start`: one to `max.min(MAX_READS)` anonymous reads from one address within a
/// minute (none when `max` is 0).
pub fn visit(rng: &mut SmallRng, org: &Org, start: DateTime<Utc>, max: usize) -> Vec<Value> {
    let n = rng.random_range(1..=MAX_READS).min(max);
    let account = &org.accounts[0];
    let region = &org.regions[0];
    let bucket = org.public_bucket();
    let who = Who {
        identity: json!({"type": "AWSAccount", "principalId": "", "accountId": "anonymous"}),
        ip: address(rng),
        agent: pick(rng, AGENTS).to_string(),
        vpce: None,
        console: false,
        service: false,
    };
    let mut t = start;
    (0..n)
        .map(|_| {
            t += Duration::seconds(rng.random_range(0..12));
            let key = object_key(rng);
            let bytes = rng.random_range(2_000..8_000_000);
            let api = Api::new("s3.amazonaws.com", "GetObject", true)
                .params(json!({"bucketName": bucket, "key": key, "Host": format!("{bucket}.s3.{region}.amazonaws.com")}))
                .resources(s3_object_resources(account, &bucket, &key))
                .extra(s3_extra(rng, 0, bytes, false))
                .data();
            record(rng, t, account, region, &who, api)
        })
        .collect()
}
