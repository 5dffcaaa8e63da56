//! A nightly data-processing job: an AWS Glue job whose role (`glue-orders-compaction`, session
//! `GlueJobRunnerSession`) lists the day's partitions and reads every object of the data lake bucket once,
//! thousands to tens of thousands of distinct keys within minutes, from its executors' private addresses
//! through the VPC's S3 gateway endpoint, then writes a few compacted files. Its size follows the event
//! budget; its records are episodes of a few hundred each, which the plan spreads over objects of the same
//! windows.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::common::{
    Api, Who, assumed_role, hex, id, record, rng_of, role_context, role_issuer, s3_extra, s3_object_resources,
};
use super::episode::Part;
use super::net;
use super::org::Org;
use super::services;

/// Share of `--events` the job's runs take at most.
pub const SHARE: f64 = 0.08;

/// The job's role.
pub const ROLE: &str = "glue-orders-compaction";

/// The session name Glue gives job runs.
pub const SESSION: &str = "GlueJobRunnerSession";

/// Glue's Spark executors' SDK.
const AGENT: &str = "aws-sdk-java/1.12.661 Linux/5.10.223-211.872.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/25.412-b08 java/1.8.0_412 scala/2.12.18 vendor/Amazon.com_Inc. cfg/retry-mode/standard exec-env/AWS_Glue";

/// Records of one episode at most.
const CHUNK: usize = 250;

/// Fewest reads worth a run.
const MIN_READS: usize = 20;

/// Objects read per second.
const RATE: usize = 60;

/// Executors (each with its own address).
const EXECUTORS: usize = 8;

/// The account and region the job runs in: the first account, its second region when it has one.
pub fn place(org: &Org) -> (usize, usize) {
    (0, 1.min(org.regions.len() - 1))
}

/// The bucket the job reads.
pub fn bucket(org: &Org) -> String {
    let (a, r) = place(org);
    org.bucket(a, r, "data-lake")
}

fn who(org: &Org, start: DateTime<Utc>, key: &str, executor: usize) -> Who {
    let (a, r) = place(org);
    let account = &org.accounts[a];
    let role_id = org.role_id(a, ROLE);
    let issuer = role_issuer(account, "/service-role/", ROLE, &role_id);
    Who {
        identity: assumed_role(
            account,
            ROLE,
            &role_id,
            SESSION,
            key,
            role_context(issuer, start, false),
        ),
        ip: format!(
            "10.{}.{}.{}",
            net::vpc_octet(a, r),
            16 * (executor % net::ZONES) + 15,
            40 + executor
        ),
        agent: AGENT.to_string(),
        vpce: Some(net::s3_endpoint(org.seed, a, r)),
        console: false,
        service: false,
    }
}

fn object(
    rng: &mut SmallRng,
    org: &Org,
    who: &Who,
    t: DateTime<Utc>,
    name: &'static str,
    key: &str,
) -> Value {
    let (a, r) = place(org);
    let account = &org.accounts[a];
    let region = &org.regions[r];
    let bucket = bucket(org);
    let (bytes_in, bytes_out) = match name {
        "PutObject" => (rng.random_range(50_000_000..400_000_000), 0),
        _ => (0, rng.random_range(200_000..12_000_000)),
    };
    let mut params =
        json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{region}.amazonaws.com"), "key": key});
    if name == "PutObject" {
        params["x-amz-server-side-encryption"] = "aws:kms".into();
    }
    let api = Api::new("s3.amazonaws.com", name, name != "PutObject")
        .params(params)
        .resources(s3_object_resources(account, &bucket, key))
        .extra(s3_extra(rng, bytes_in, bytes_out, true))
        .data();
    record(rng, t, account, region, who, api)
}

/// The listing of one partition.
fn list(rng: &mut SmallRng, org: &Org, who: &Who, t: DateTime<Utc>, prefix: &str) -> Value {
    let (a, r) = place(org);
    let bucket = bucket(org);
    let region = &org.regions[r];
    let bytes = rng.random_range(40_000..300_000);
    let api = Api::new("s3.amazonaws.com", "ListObjects", true)
        .params(json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{region}.amazonaws.com"),
            "list-type": "2", "prefix": prefix, "continuation-token": hex(rng, 24), "encoding-type": "url"}))
        .resources(json!([{"accountId": org.accounts[a], "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]))
        .extra(s3_extra(rng, 0, bytes, true))
        .data();
    record(rng, t, &org.accounts[a], region, who, api)
}

/// Run of day `day` reading `reads` objects: Glue assumes the role, the executors list the partitions, read
/// every object once and write the compacted output.
fn run(org: &Org, day: u32, reads: usize) -> Vec<Value> {
    let (a, r) = place(org);
    let mut rng = rng_of(&[org.seed, 267, u64::from(day)]);
    let start = org.start
        + Duration::days(i64::from(day))
        + Duration::hours(1)
        + Duration::seconds(rng.random_range(0..1800));
    let key = id(&mut rng, "ASIA", 16);
    let role_arn = org.role_arn(a, "/service-role/", ROLE);
    let mut out = vec![services::service_assume_role(
        &mut rng,
        org,
        a,
        r,
        start,
        "glue.amazonaws.com",
        &role_arn,
        SESSION,
        &key,
    )];
    let executors: Vec<Who> = (0..EXECUTORS).map(|e| who(org, start, &key, e)).collect();
    let date = (start - Duration::days(1)).format("%Y-%m-%d").to_string();
    let lists = (reads / 1000).max(1);
    let t0 = start + Duration::seconds(40);
    for p in 0..lists {
        let prefix = format!("raw/orders/dt={date}/");
        out.push(list(
            &mut rng,
            org,
            &executors[p % EXECUTORS],
            t0 + Duration::seconds(p as i64),
            &prefix,
        ));
    }
    let read_from = t0 + Duration::seconds(lists as i64 + 2);
    let span_ms = (reads * 1000 / RATE).max(30_000) as i64;
    for i in 0..reads {
        let t = read_from + Duration::milliseconds(span_ms * i as i64 / reads as i64);
        let key = format!(
            "raw/orders/dt={date}/part-{i:05}-{}.snappy.parquet",
            hex(&mut rng, 8)
        );
        out.push(object(
            &mut rng,
            org,
            &executors[i % EXECUTORS],
            t,
            "GetObject",
            &key,
        ));
    }
    let end = read_from + Duration::milliseconds(span_ms) + Duration::seconds(20);
    for w in 0..(reads / 400).clamp(1, 8) {
        let key = format!(
            "curated/orders/dt={date}/part-{w:05}-{}.snappy.parquet",
            hex(&mut rng, 8)
        );
        let t = end + Duration::seconds(3 * w as i64);
        out.push(object(
            &mut rng,
            org,
            &executors[w % EXECUTORS],
            t,
            "PutObject",
            &key,
        ));
    }
    out
}

/// Every run of the archive for a budget of `events` (one a night, 01:00 to 01:30), as episodes of at most
/// a few hundred records.
pub fn schedule(org: &Org, events: usize) -> Vec<Part> {
    let budget = (events as f64 * SHARE) as usize;
    let per_run = budget / org.days.max(1) as usize;
    let overhead = 1 + per_run / 1000 + 1 + (per_run / 400).clamp(1, 8);
    let reads = per_run.saturating_sub(overhead + 1);
    if reads < MIN_READS {
        return Vec::new();
    }
    let (a, r) = place(org);
    let mut out = Vec::new();
    for day in 0..org.days {
        let records = run(org, day, reads);
        for chunk in records.chunks(CHUNK) {
            out.push(Part {
                a,
                r,
                time: time_of(&chunk[0]),
                events: chunk.to_vec(),
            });
        }
    }
    out
}

fn time_of(e: &Value) -> DateTime<Utc> {
    e["eventTime"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(DateTime::<Utc>::UNIX_EPOCH, |t| t.with_timezone(&Utc))
}
