//! Opening what commands read: the async runtime, the DataFusion session with ctscan's SQL settings, and
//! a SOURCE as the `events` table (a raw archive or a lake written by `ctscan export`).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::lake::{
    self,
    table::{LakeTable, scope_filter},
};
use crate::window::Scope;

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

/// A DataFusion session whose SQL keeps identifier case, so CloudTrail's camelCase names work unquoted.
pub fn session(threads: usize) -> SessionContext {
    let mut config = SessionConfig::new()
        .with_target_partitions(threads)
        .with_information_schema(true);
    config.options_mut().sql_parser.enable_ident_normalization = false;
    // PostgreSQL's operator precedence makes `requestParameters ->> 'k' IS NOT NULL` mean what it says.
    config.options_mut().sql_parser.dialect = datafusion::config::Dialect::PostgreSQL;
    SessionContext::new_with_config(config)
}

/// The lake folder, when the one SOURCE is a lake written by `ctscan export`.
pub fn lake_source(sources: &[String]) -> Option<&Path> {
    match sources {
        [one] if lake::is_lake(Path::new(one)) => Some(Path::new(one)),
        _ => None,
    }
}

/// Registers a lake as `events`, with the scope flags applied as a filter the Parquet reader can prune on.
pub async fn register_lake(ctx: &mut SessionContext, root: &Path, scope: &Scope) -> anyhow::Result<()> {
    datafusion_functions_json::register_all(ctx)?;
    let table = Arc::new(LakeTable::open(root)?);
    match scope_filter(scope) {
        None => {
            ctx.register_table("events", table)?;
        }
        Some(filter) => {
            let view = ctx.read_table(table)?.filter(filter)?.into_view();
            ctx.register_table("events", view)?;
        }
    }
    Ok(())
}
