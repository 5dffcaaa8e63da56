//! What the realistic world's planted intrusions share ([`super::planted`], [`super::quiet`]): the shape
//! of a scenario's ground truth, when in the archive it happens, and the attacker (every planted event
//! comes from [`ATTACKER_IP`], with the attacker's tools).

use chrono::{DateTime, Duration, Timelike, Utc};
use serde_json::{Value, json};

use super::common::Who;
use super::org::Org;
use crate::attacks::ATTACKER_IP;

/// The region the new-region scenario launches in (never one of [`crate::region_names`]; the scanner's
/// read-only sweeps read there, nothing else of the organization does).
pub const NEW_REGION: &str = "ap-south-1";

pub use crate::attacks::KALI_CLI;

/// One planted scenario: where and when it happens and its events.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name: `secrets_burst`, `anonymous_s3`, `new_region`, `stolen_instance_credentials`,
    /// `anonymous_s3_small`, `new_region_key_only`, `lifecycle_on_trail_bucket`.
    pub name: &'static str,
    /// Account index.
    pub a: usize,
    /// Region index, or `None` for a region outside the organization's (see `region`).
    pub r: Option<usize>,
    /// The region's name.
    pub region: String,
    /// When its first event happens.
    pub time: DateTime<Utc>,
    /// Its events.
    pub events: Vec<Value>,
}

/// The instant `fraction` of the way through the archive, at the start of its 5-minute window.
pub fn at_fraction(org: &Org, fraction: f64) -> DateTime<Utc> {
    let span = (org.end() - org.start).num_seconds() as f64;
    let t = org.start + Duration::seconds((span * fraction) as i64);
    t - Duration::seconds(i64::from(t.minute() % 5) * 60 + i64::from(t.second()))
}

/// The attacker calling as `identity` with `agent`.
pub fn attacker(identity: Value, agent: &str) -> Who {
    Who {
        identity,
        ip: ATTACKER_IP.to_string(),
        agent: agent.to_string(),
        vpce: None,
        console: false,
        service: false,
    }
}

/// The anonymous principal of unauthenticated S3 requests.
pub fn anonymous() -> Value {
    json!({"type": "AWSAccount", "principalId": "", "accountId": "anonymous"})
}
