//! Episodes: what happens at one moment rather than all along (a person logging in, a pipeline deploying).
//! Their actors write them as parts, each bound to one account and region, so that the plan can put each
//! part it keeps into an object of that account, region and five minutes.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// Events of one episode logged in one account and region, close together in time.
#[derive(Debug, Clone)]
pub struct Part {
    /// Account index.
    pub a: usize,
    /// Region index.
    pub r: usize,
    /// When the part starts.
    pub time: DateTime<Utc>,
    /// Its (benign) records.
    pub events: Vec<Value>,
}
