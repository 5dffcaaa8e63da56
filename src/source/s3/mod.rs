//! `s3://bucket[/prefix]` SOURCEs: an archive read in place from S3 or an S3-compatible store, with the
//! standard AWS credential chain, an optional assumed role, layout-pruned listing and many GETs in flight.
//!
//! ctscan is read-only on evidence: this module only ever sends `ListObjectsV2`, `GetObject`, `HeadObject`
//! and `HeadBucket` requests (and STS `AssumeRole` when `--role-arn` is given).
//!
//! A run's options and the clients they build travel as one [`S3Access`] value, shared by every listing
//! and read of the run; requests run on a small runtime of their own, so the synchronous listing and
//! rayon decoders can use S3 from any thread.

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
use crate::source::FetchError;
use crate::source::window::Scope;

/// GETs in flight by default: S3 objects of a trail are small, so reading is latency-bound.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// How S3 SOURCEs are reached, as the command line says; cluster plans carry it to the executors.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// A run's way into S3: its options and the clients built from them, one per bucket, connected on first
/// use. Clones share the clients; another set of options is another `S3Access`, so a client is never used
/// with options other than the ones it was built from.
#[derive(Debug, Clone, Default)]
pub struct S3Access {
    options: S3Options,
    stores: Arc<Mutex<HashMap<String, Arc<Store>>>>,
}

impl S3Access {
    /// Access with these options; nothing connects until a bucket is used.
    pub fn new(options: S3Options) -> S3Access {
        S3Access {
            options,
            stores: Arc::default(),
        }
    }

    /// The options this access reads S3 with.
    pub fn options(&self) -> &S3Options {
        &self.options
    }

    /// The store of a bucket, connecting (credentials, role, region) on first use.
    fn store(&self, bucket: &str) -> Result<Arc<Store>, S3Error> {
        if let Some(s) = self.stores.lock().unwrap_or_else(|e| e.into_inner()).get(bucket) {
            return Ok(s.clone());
        }
        let opts = self.options.clone();
        let name = bucket.to_string();
        let store = Arc::new(block_on(async move { client::connect(&name, &opts).await })?);
        self.stores
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(bucket.to_string(), store.clone());
        Ok(store)
    }

    /// Adds what one `s3://` SOURCE holds to `listing`, listing only the prefixes `scope` can use.
    pub fn list_into(&self, source: &str, scope: &Scope, listing: &mut Listing) -> Result<(), SourceError> {
        let url = S3Url::parse(source)?;
        let store = self.store(&url.bucket)?;
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
    pub fn fetch_blocking(&self, obj: &ObjectRef) -> Result<Vec<u8>, FetchError> {
        let super::Location::S3 { bucket, key, .. } = &obj.location else {
            return Err(FetchError::Read("not an S3 object".into()));
        };
        let store = self.store(bucket).map_err(|e| FetchError::Read(e.to_string()))?;
        let key = key.clone();
        block_on(async move { get::get(&store, &key).await })
    }
}

/// The S3 options an executor serves. An executor keeps the options of its first S3 scan; a later scan
/// that asks for other ones is refused rather than read with the wrong credentials or endpoint.
#[derive(Debug, Default)]
pub struct ServedS3 {
    held: Mutex<Option<S3Access>>,
}

impl ServedS3 {
    /// The access to read a client's plan with: the one held, when the client asks for the same options.
    pub fn access_for(&self, wanted: S3Options) -> Result<S3Access, String> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let access = held.get_or_insert_with(|| S3Access::new(wanted.clone()));
        // How many requests fly at once is the executor's business, not the client's identity.
        let same = S3Options {
            concurrency: access.options.concurrency,
            ..wanted.clone()
        };
        if access.options == same {
            Ok(access.clone())
        } else {
            Err(format!(
                "this executor reads S3 with other options ({:?}) than the client's ({wanted:?}); \
start an executor per set of S3 options",
                access.options
            ))
        }
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

/// The runtime S3 requests run on. One per process: it holds no run's settings, only threads, and
/// starting one per run would leave idle threads behind.
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

    #[test]
    fn an_executor_serves_one_set_of_s3_options_and_another_executor_its_own() {
        let a = S3Options {
            endpoint_url: Some("http://127.0.0.1:9000".into()),
            ..S3Options::default()
        };
        let b = S3Options {
            profile: Some("other".into()),
            ..S3Options::default()
        };
        let first = ServedS3::default();
        assert_eq!(first.access_for(a.clone()).unwrap().options(), &a);
        // How many requests fly at once is the executor's own business.
        let busier = S3Options {
            concurrency: 1,
            ..a.clone()
        };
        assert_eq!(first.access_for(busier).unwrap().options(), &a);
        let err = first.access_for(b.clone()).unwrap_err();
        assert!(err.contains("start an executor per set of S3 options"), "{err}");
        // The state is the executor's, not the process's: another executor serves other options.
        let second = ServedS3::default();
        assert_eq!(second.access_for(b.clone()).unwrap().options(), &b);
    }
}
