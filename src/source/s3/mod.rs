//! `s3://bucket[/prefix]` SOURCEs: an archive read in place from S3 or an S3-compatible store, with the
//! standard AWS credential chain, an optional assumed role, layout-pruned listing and many GETs in flight.
//!
//! ctscan is read-only on evidence: this module only ever sends `ListObjectsV2`, `GetObject`, `HeadObject`
//! and `HeadBucket` requests (and STS `AssumeRole` when `--role-arn` is given).
//!
//! The options come from the command line once per process ([`configure`]); the clients they build are
//! shared by every listing and read of the run, on a small runtime of their own, so the synchronous
//! listing and rayon decoders can use S3 from any thread.

mod client;
mod errors;
mod get;
mod walk;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

pub use errors::S3Error;
pub use get::{Metadata, Prefetch, fetch_all_with_metadata, fetch_remote};

use super::{Listing, ObjectRef, SourceError};
use crate::decode::DecodeError;
use crate::window::Scope;

/// GETs in flight by default: S3 objects of a trail are small, so reading is latency-bound.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// How S3 SOURCEs are reached; set once from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Options {
    /// Named profile of the shared config and credentials files.
    pub profile: Option<String>,
    /// The bucket's region; found with `HeadBucket` when absent.
    pub region: Option<String>,
    /// A role to assume for reading (cross-account log archives).
    pub role_arn: Option<String>,
    /// The external ID the role's trust policy requires.
    pub external_id: Option<String>,
    /// Session name of the assumed role (shows in the archive account's own CloudTrail).
    pub role_session_name: Option<String>,
    /// Endpoint of an S3-compatible store (path-style addressing is used with it).
    pub endpoint_url: Option<String>,
    /// Send unsigned requests (public buckets).
    pub no_sign_request: bool,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            profile: None,
            region: None,
            role_arn: None,
            external_id: None,
            role_session_name: None,
            endpoint_url: None,
            no_sign_request: false,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

static OPTIONS: OnceLock<S3Options> = OnceLock::new();

/// Sets the options of this process's S3 SOURCEs (the first call wins).
pub fn configure(options: S3Options) {
    let _ = OPTIONS.set(options);
}

fn options() -> S3Options {
    OPTIONS.get().cloned().unwrap_or_default()
}

/// The options this process reads S3 with (the defaults until `configure` is called).
pub fn current_options() -> S3Options {
    options()
}

/// Sets the options of an executor from the client's plan. An executor keeps the options of its first
/// S3 scan; a later scan that asks for other ones is refused rather than read with the wrong
/// credentials or endpoint.
pub fn configure_for_cluster(wanted: S3Options) -> Result<(), String> {
    let held = OPTIONS.get_or_init(|| wanted.clone());
    // How many requests fly at once is the executor's business, not the client's identity.
    let same = S3Options {
        concurrency: held.concurrency,
        ..wanted.clone()
    };
    if *held == same {
        Ok(())
    } else {
        Err(format!(
            "this executor reads S3 with other options ({held:?}) than the client's ({wanted:?}); \
start an executor per set of S3 options"
        ))
    }
}

/// Whether a SOURCE names an S3 location.
pub fn is_s3(source: &str) -> bool {
    source.starts_with("s3://")
}

/// A parsed `s3://bucket[/prefix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix, possibly empty; never starts with `/`.
    pub prefix: String,
}

impl S3Url {
    /// Parses `s3://bucket[/prefix]`.
    pub fn parse(source: &str) -> Result<S3Url, S3Error> {
        let rest = source
            .strip_prefix("s3://")
            .ok_or_else(|| S3Error::BadUrl(source.to_string()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(S3Error::BadUrl(source.to_string()));
        }
        Ok(S3Url {
            bucket: bucket.to_string(),
            prefix: prefix.trim_start_matches('/').to_string(),
        })
    }
}

/// The user-facing name of an object: `s3://bucket/key`.
pub fn display_key(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ctscan-s3")
            .enable_all()
            .build()
            .expect("the S3 runtime starts")
    })
}

/// Runs a future on the S3 runtime and waits for it, from any thread (including another runtime's).
fn block_on<F>(f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handle = runtime().spawn(f);
    futures::executor::block_on(handle).unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// A bucket with the client that reads it.
#[derive(Debug)]
pub struct Store {
    bucket: String,
    client: aws_sdk_s3::Client,
    concurrency: usize,
}

/// The store of a bucket, connecting (credentials, role, region) on first use.
fn store(bucket: &str) -> Result<Arc<Store>, S3Error> {
    static STORES: OnceLock<Mutex<HashMap<String, Arc<Store>>>> = OnceLock::new();
    let stores = STORES.get_or_init(Mutex::default);
    if let Some(s) = stores.lock().unwrap_or_else(|e| e.into_inner()).get(bucket) {
        return Ok(s.clone());
    }
    let opts = options();
    let name = bucket.to_string();
    let store = Arc::new(block_on(async move { client::connect(&name, &opts).await })?);
    stores
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(bucket.to_string(), store.clone());
    Ok(store)
}

/// Adds what one `s3://` SOURCE holds to `listing`, listing only the prefixes `scope` can use.
pub fn list_into(source: &str, scope: &Scope, listing: &mut Listing) -> Result<(), SourceError> {
    let url = S3Url::parse(source)?;
    let store = store(&url.bucket)?;
    let scope = scope.clone();
    let found = block_on(async move { walk::list(&store, &url.prefix, &scope).await })?;
    listing.objects.extend(found.objects);
    for (reason, t) in found.skipped {
        let e = listing.skipped.entry(reason).or_default();
        e.objects += t.objects;
        e.bytes += t.bytes;
    }
    listing.failures.extend(found.failures);
    listing.digests.extend(found.digests);
    Ok(())
}

/// Reads one S3 object's bytes (one request at a time; [`Prefetch`] keeps many in flight).
pub fn fetch_blocking(obj: &ObjectRef) -> Result<Vec<u8>, DecodeError> {
    let super::Location::S3 { bucket, key, .. } = &obj.location else {
        return Err(DecodeError::Read("not an S3 object".into()));
    };
    let store = store(bucket).map_err(|e| DecodeError::Read(e.to_string()))?;
    let key = key.clone();
    block_on(async move { get::get(&store, &key).await })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let u = S3Url::parse("s3://archive/org/AWSLogs/").unwrap();
        assert_eq!(
            (u.bucket.as_str(), u.prefix.as_str()),
            ("archive", "org/AWSLogs/")
        );
        let u = S3Url::parse("s3://archive").unwrap();
        assert_eq!((u.bucket.as_str(), u.prefix.as_str()), ("archive", ""));
        let u = S3Url::parse("s3://archive/").unwrap();
        assert_eq!(u.prefix, "");
        assert!(S3Url::parse("s3:///x").is_err());
        assert!(S3Url::parse("/data/x").is_err());
        assert!(is_s3("s3://b") && !is_s3("./s3:/b"));
    }
}
