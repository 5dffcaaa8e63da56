//! What the chains promise the tests: every chain event's `eventID` prefix, and for every credential the
//! chains use, what attribution must say about it.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// Every planted chain event's `eventID` starts with this (then `000<chain>-`).
pub const EVENT_ID_PREFIX: &str = "c4a1";

/// Number of planted chains.
pub const CHAINS: u8 = 6;

/// How far before `--from` issuing events are looked up (docs/attribution.md, "Lookback").
pub const LOOKBACK_HOURS: i64 = 36;

/// The `eventID` prefix of chain `chain` (1..=[`CHAINS`]): `c4a1000<chain>-`.
pub fn event_id_prefix(chain: u8) -> String {
    format!("{EVENT_ID_PREFIX}000{chain}-")
}

/// What attribution must say about one credential the chains use: the ground truth of its row in the
/// `sessions` table (docs/attribution.md), plus where and when it appears so tests can pick windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedCredential {
    /// Which chain (1..=[`CHAINS`]) it belongs to.
    pub chain: u8,
    /// `userIdentity.accessKeyId` of its calls.
    pub access_key_id: &'static str,
    /// `instance-role`, `role-session`, `sso-role-credentials`, `session-token` or `long-term-key`.
    pub kind: &'static str,
    /// `IAMUser`, `IdentityCenterUser`, `SAMLUser`, `AWSService` or `unresolved`.
    pub origin_type: &'static str,
    /// The origin: a user's ARN, `<principalArn>:<subject>`, `ec2.amazonaws.com`, or (unresolved) the
    /// credential's own assumed-role ARN.
    pub origin_arn: String,
    /// Issuing events walked from the origin to the credential.
    pub hops: u32,
    /// The key that called the issuing event (`None` for federation, services, long-term keys used
    /// directly and unresolved credentials).
    pub issuer_access_key_id: Option<&'static str>,
    /// The IAM role of a role session (`None` for users' keys and session tokens).
    pub role_arn: Option<String>,
    /// `userIdentity.arn` of its calls.
    pub principal_arn: String,
    /// The account its calls are made in (and the credential belongs to).
    pub account: String,
    /// When it was issued, if its issuing event is in the archive.
    pub issued_at: Option<DateTime<Utc>>,
    /// The issuing event's `eventID` (the copy in the caller's account for a cross-account `AssumeRole`).
    pub issued_by_event_id: Option<String>,
    /// Its first call at or after [`super::anchor`] (issuing calls it makes count); every chain credential is
    /// used after `T`, so a hunt from `T` sees every one of them.
    pub first_used: DateTime<Utc>,
}

/// One planted event and the account index whose trail delivers it.
#[derive(Debug, Clone)]
pub struct PlantedEvent {
    /// Index into [`crate::account_ids`] of the delivering account (`recipientAccountId`).
    pub a: usize,
    /// The record.
    pub event: Value,
}
