//! One module per subcommand.

pub mod export;
pub mod hunt;
pub mod ls;
pub mod query;
pub mod rules;

use anyhow::Context;

/// The async runtime DataFusion runs on, sized like the decode pool.
pub fn runtime(threads: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?)
}

/// Fails at once when a local SOURCE does not exist: before a query that never reads the table succeeds on
/// it, and before an export creates its lake.
pub fn check_sources(sources: &[String]) -> anyhow::Result<()> {
    for s in sources.iter().filter(|s| !s.starts_with("s3://")) {
        std::fs::metadata(s).with_context(|| format!("cannot read SOURCE {s}"))?;
    }
    Ok(())
}
