//! Building the S3 client of a bucket: the standard credential chain (environment, shared files and
//! profiles, SSO, web identity, container and instance roles), an optional assumed role with an external ID,
//! an S3-compatible endpoint with path-style addressing, retries with backoff on throttling and timeouts,
//! and the bucket's own region, found with one `HeadBucket` when not given.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{ProvideCredentials, Region};

use super::errors::{S3Error, assume_role_reason, chain};
use super::{S3Options, Store};

/// Region used to start from when none is configured (any region can answer `HeadBucket` with the bucket's).
const FALLBACK_REGION: &str = "us-east-1";

/// Attempts per request, including the first: throttling (`SlowDown`, 503), timeouts and dropped
/// connections are retried with exponential backoff and jitter.
const MAX_ATTEMPTS: u32 = 10;

fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_secs(10))
}

fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(60))
        .operation_attempt_timeout(Duration::from_secs(120))
        .build()
}

/// Connects to a bucket with the run's options.
pub async fn connect(bucket: &str, opts: &S3Options) -> Result<Store, S3Error> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config());
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(u) = &opts.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if opts.no_sign_request {
        loader = loader.no_credentials();
    }
    let base = loader.load().await;
    let start_region = base
        .region()
        .cloned()
        .unwrap_or_else(|| Region::new(FALLBACK_REGION));
    let mut conf = aws_sdk_s3::config::Builder::from(&base).region(start_region.clone());
    if opts.endpoint_url.is_some() {
        conf = conf.force_path_style(true);
    }
    if let Some(role) = &opts.role_arn {
        let mut b = AssumeRoleProvider::builder(role.clone())
            .region(start_region.clone())
            .session_name(opts.role_session_name.clone().unwrap_or_else(|| "ctscan".into()));
        if let Some(id) = &opts.external_id {
            b = b.external_id(id.clone());
        }
        let provider = b.configure(&base).build().await;
        // Assume the role now, so a refusal is one clear error rather than one per request.
        provider
            .provide_credentials()
            .await
            .map_err(|e| S3Error::AssumeRole {
                role: role.clone(),
                reason: assume_role_reason(&e),
            })?;
        conf = conf.credentials_provider(provider);
    } else if !opts.no_sign_request {
        let Some(provider) = base.credentials_provider() else {
            return Err(S3Error::Credentials("no credential provider".into()));
        };
        provider
            .provide_credentials()
            .await
            .map_err(|e| S3Error::Credentials(chain(&e)))?;
    }
    let mut client = aws_sdk_s3::Client::from_conf(conf.clone().build());
    if opts.region.is_none()
        && opts.endpoint_url.is_none()
        && let Some(region) = bucket_region(&client, bucket).await
        && region != start_region.as_ref()
    {
        client = aws_sdk_s3::Client::from_conf(conf.region(Region::new(region)).build());
    }
    Ok(Store {
        bucket: bucket.to_string(),
        client,
        concurrency: opts.concurrency.max(1),
    })
}

/// The bucket's region as S3 reports it (`x-amz-bucket-region`, present even on redirects and refusals).
async fn bucket_region(client: &aws_sdk_s3::Client, bucket: &str) -> Option<String> {
    match client.head_bucket().bucket(bucket).send().await {
        Ok(out) => out.bucket_region().map(str::to_string),
        Err(e) => e
            .raw_response()
            .and_then(|r| r.headers().get("x-amz-bucket-region"))
            .map(str::to_string),
    }
}
