//! Past one machine: `query`, `hunt` and `export` planned on an Apache DataFusion Ballista cluster whose
//! scheduler and executors are this same binary (`ctscan cluster`). The client lists the archive and
//! sends the object list to the scheduler, which gives each task its share; executors read their share
//! with the same decoder as a local run and report every object back; lakes go through DataFusion's own
//! Parquet scan.

#[cfg(feature = "cluster")]
pub mod codec;
pub mod dedup;
pub mod export;
pub mod feedback;
#[cfg(feature = "cluster")]
pub mod node;
pub mod scan;
pub mod share_source;
pub mod target;
pub mod wire;
pub mod worker;

pub use target::{ClusterChoice, Target};

/// The ctscan version a node claims. Client, scheduler and executors must agree: a plan is read the
/// same way only by the build that wrote it. `CTSCAN_CLUSTER_VERSION` makes a node claim another
/// version, to try a mixed cluster without building twice.
pub fn version() -> String {
    std::env::var("CTSCAN_CLUSTER_VERSION").unwrap_or_else(|_| env!("CARGO_PKG_VERSION").to_string())
}
