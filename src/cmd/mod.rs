//! One module per subcommand.

pub mod export;
pub mod hunt;
pub mod ls;
pub mod query;
pub mod rules;

/// The async runtime DataFusion runs on, sized like the decode pool.
pub fn runtime(threads: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?)
}
