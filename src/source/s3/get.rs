//! Reading S3 objects: one `GetObject` per object (the SDK retries throttling, timeouts and resets; a body
//! cut short is fetched again), and [`Prefetch`], which keeps many GETs in flight and hands the bytes to
//! the decoders through a bounded channel, so memory stays flat and fetching, not decoding, sets the pace.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use tokio::sync::mpsc;

use super::errors::{Problem, get_failure};
use super::{S3Access, Store, runtime};
use crate::source::FetchError;
use crate::source::{Location, ObjectRef};

/// Times a GET is repeated when its body breaks off after the response started.
const BODY_ATTEMPTS: usize = 3;

/// An object with its bytes, or why they could not be read.
pub type Fetched = (ObjectRef, Result<Vec<u8>, FetchError>);

fn failure(problem: &Problem) -> FetchError {
    let (category, reason) = get_failure(problem);
    FetchError::Refused { category, reason }
}

/// Reads one object's bytes.
pub async fn get(store: &Store, key: &str) -> Result<Vec<u8>, FetchError> {
    get_with_metadata(store, key).await.map(|(bytes, _)| bytes)
}

/// An object's user metadata (`x-amz-meta-*`, names without the prefix), e.g. a digest's `signature`.
pub type Metadata = HashMap<String, String>;

/// Reads one object's bytes and its user metadata, which come in the same reply.
pub async fn get_with_metadata(store: &Store, key: &str) -> Result<(Vec<u8>, Metadata), FetchError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let resp = store
            .client
            .get_object()
            .bucket(&store.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| failure(&Problem::of(&e)))?;
        let metadata = resp.metadata().cloned().unwrap_or_default();
        match resp.body.collect().await {
            Ok(bytes) => return Ok((bytes.into_bytes().to_vec(), metadata)),
            Err(_) if attempt < BODY_ATTEMPTS => continue,
            Err(e) => {
                return Err(FetchError::Refused {
                    category: "S3 error",
                    reason: format!("the download broke off {BODY_ATTEMPTS} times: {e}"),
                });
            }
        }
    }
}

/// The store of each bucket the objects are in (or why it cannot be reached), and the GETs to keep in
/// flight: the largest `--concurrency` among them.
fn stores_of(s3: &S3Access, objects: &[ObjectRef]) -> (HashMap<String, Result<Arc<Store>, String>>, usize) {
    let mut stores: HashMap<String, Result<Arc<Store>, String>> = HashMap::new();
    for o in objects {
        if let Location::S3 { bucket, .. } = &o.location {
            stores
                .entry(bucket.clone())
                .or_insert_with(|| s3.store(bucket).map_err(|e| e.to_string()));
        }
    }
    let concurrency = stores
        .values()
        .filter_map(|s| s.as_ref().ok())
        .map(|s| s.concurrency)
        .max()
        .unwrap_or(super::DEFAULT_CONCURRENCY);
    (stores, concurrency)
}

/// Reads many objects with their metadata, `--concurrency` at a time, in the order given.
pub fn fetch_all_with_metadata(
    s3: &S3Access,
    objects: &[ObjectRef],
) -> Vec<Result<(Vec<u8>, Metadata), FetchError>> {
    let jobs: Vec<(String, String)> = objects
        .iter()
        .map(|o| match &o.location {
            Location::S3 { bucket, key, .. } => (bucket.clone(), key.clone()),
            Location::Local(p) => (String::new(), p.display().to_string()),
        })
        .collect();
    let (stores, concurrency) = stores_of(s3, objects);
    super::block_on(async move {
        let stores = &stores;
        futures::stream::iter(jobs)
            .map(|(bucket, key)| async move {
                match stores.get(&bucket) {
                    Some(Ok(s)) => get_with_metadata(s, &key).await,
                    Some(Err(e)) => Err(FetchError::Read(e.clone())),
                    None => Err(FetchError::Read("not an S3 object".into())),
                }
            })
            .buffered(concurrency)
            .collect()
            .await
    })
}

/// Objects being fetched ahead of the decoders, many at a time; each call to [`Prefetch::next`] hands over
/// one fetched object, in completion order. Dropping it stops the fetching.
pub struct Prefetch {
    rx: Mutex<mpsc::Receiver<Fetched>>,
}

impl std::fmt::Debug for Prefetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prefetch")
    }
}

impl Prefetch {
    /// Starts fetching S3 objects with the run's `--concurrency` GETs in flight.
    pub fn start(s3: &S3Access, objects: Vec<ObjectRef>) -> Prefetch {
        let (stores, concurrency) = stores_of(s3, &objects);
        let (tx, rx) = mpsc::channel::<Fetched>(concurrency);
        runtime().spawn(async move {
            let stores = &stores;
            let mut fetched = futures::stream::iter(objects)
                .map(|o| async move {
                    let bytes = match &o.location {
                        Location::S3 { bucket, key, .. } => match stores.get(bucket) {
                            Some(Ok(s)) => get(s, key).await,
                            Some(Err(e)) => Err(FetchError::Read(e.clone())),
                            None => Err(FetchError::Read("unknown bucket".into())),
                        },
                        _ => Err(FetchError::Read("not an S3 object".into())),
                    };
                    (o, bytes)
                })
                .buffer_unordered(concurrency);
            while let Some(item) = fetched.next().await {
                if tx.send(item).await.is_err() {
                    break; // the decoders are gone (LIMIT reached or an error): stop fetching
                }
            }
        });
        Prefetch { rx: Mutex::new(rx) }
    }

    /// The next fetched object, waiting for one; `None` when all are handed over. Call from a thread
    /// outside any async runtime (rayon's).
    pub fn next(&self) -> Option<Fetched> {
        self.rx.lock().unwrap_or_else(|e| e.into_inner()).blocking_recv()
    }
}

/// Fetches the S3 objects among `objects` together (up to `--concurrency` at once) and returns their bytes
/// in order, with `None` for each object that is not in S3 (and without any work when none is).
pub fn fetch_remote(s3: &S3Access, objects: &[ObjectRef]) -> Vec<Option<Result<Vec<u8>, FetchError>>> {
    let mut out: Vec<Option<Result<Vec<u8>, FetchError>>> = (0..objects.len()).map(|_| None).collect();
    let mut jobs = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        if let Location::S3 { bucket, key, .. } = &o.location {
            match s3.store(bucket) {
                Ok(s) => jobs.push((i, s, key.clone())),
                Err(e) => out[i] = Some(Err(FetchError::Read(e.to_string()))),
            }
        }
    }
    if jobs.is_empty() {
        return out;
    }
    let concurrency = jobs.iter().map(|(_, s, _)| s.concurrency).max().unwrap_or(1);
    let results = super::block_on(async move {
        futures::stream::iter(jobs)
            .map(|(i, s, key)| async move { (i, get(&s, &key).await) })
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>()
            .await
    });
    for (i, r) in results {
        out[i] = Some(r);
    }
    out
}
