//! Opening what commands read: the async runtime, the DataFusion session with ctscan's SQL settings, and
//! a SOURCE as the `events` table (a raw archive or a lake written by `ctscan export`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::Context;
use datafusion::catalog::TableProvider;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::decode::gate::RowGate;
use crate::dedup::{Copies, DedupTable};
use crate::report::Reporter;
use crate::scan::ScanConfig;
use crate::table::EventsTable;

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
    match crate::cluster::active() {
        // A session on the cluster differs only in where its plans run.
        Some(target) => target.session(config).unwrap_or_else(|e| {
            // The scheduler's address was checked when the run connected; this cannot be worked around.
            eprintln!("ctscan: cannot plan on the cluster: {e}");
            std::process::exit(crate::args::EXIT_FATAL)
        }),
        None => SessionContext::new_with_config(config),
    }
}

/// The lake folder, when the one SOURCE is a lake written by `ctscan export`.
pub fn lake_source(sources: &[String]) -> Option<&Path> {
    match sources {
        [one] if lake::is_lake(Path::new(one)) => Some(Path::new(one)),
        _ => None,
    }
}

/// Where a command reads events: an archive (folders, files, `s3://` prefixes) or a lake. Commands that
/// read the same events more than once (the window, then a look back before it, then whole events)
/// open each read from here.
#[derive(Clone)]
pub enum Source {
    /// A CloudTrail archive.
    Archive {
        /// The SOURCE arguments.
        sources: Vec<String>,
        /// The run's read settings (its scope is the run's window).
        config: ScanConfig,
        /// The run's reporter; only a run's first pass is counted in its summary.
        reporter: Arc<Reporter>,
    },
    /// A lake written by `ctscan export`.
    Lake {
        /// The lake folder.
        root: PathBuf,
        /// The run's window and scope.
        scope: Scope,
    },
}

impl Source {
    /// The lake when the one SOURCE is a lake, else the archive.
    pub fn open(sources: &[String], config: ScanConfig, reporter: Arc<Reporter>) -> Source {
        match lake_source(sources) {
            Some(root) => Source::Lake {
                root: root.to_path_buf(),
                scope: config.scope,
            },
            None => Source::Archive {
                sources: sources.to_vec(),
                config,
                reporter,
            },
        }
    }

    /// The run's window and scope.
    pub fn scope(&self) -> &Scope {
        match self {
            Source::Archive { config, .. } => &config.scope,
            Source::Lake { scope, .. } => scope,
        }
    }

    /// Whether filters run inside a Parquet reader (a lake) rather than a row gate (an archive).
    pub fn is_lake(&self) -> bool {
        matches!(self, Source::Lake { .. })
    }

    /// The `events` table over `scope`. On an archive, a gate builds the costly columns only for the rows
    /// it wants; a lake ignores it (filters there run inside the Parquet reader).
    pub async fn table(&self, scope: Scope, gate: Option<RowGate>) -> anyhow::Result<Arc<dyn TableProvider>> {
        match self {
            Source::Archive {
                sources,
                config,
                reporter,
            } => {
                let config = ScanConfig {
                    scope,
                    gate,
                    ..config.clone()
                };
                let table = EventsTable::new(sources.clone(), config, reporter.clone());
                if crate::cluster::active().is_some() {
                    table.list_ahead()?;
                }
                Ok(Arc::new(table))
            }
            Source::Lake { root, .. } => {
                let table = Arc::new(LakeTable::open(root)?);
                match scope_filter(&scope) {
                    None => Ok(table),
                    Some(filter) => {
                        let ctx = SessionContext::new();
                        Ok(ctx.read_table(table)?.filter(filter)?.into_view())
                    }
                }
            }
        }
    }
}

/// Registers `table` as `events`, its duplicate deliveries folded or only counted, with the JSON
/// functions; returns the count of copies the run's scans see.
pub fn register_events(
    ctx: &mut SessionContext,
    table: Arc<dyn TableProvider>,
    copies: Copies,
) -> anyhow::Result<Arc<AtomicU64>> {
    datafusion_functions_json::register_all(ctx)?;
    let dedup = DedupTable::new(table, copies);
    let counter = dedup.counter();
    ctx.register_table("events", Arc::new(dedup))?;
    Ok(counter)
}

/// Lets a lake's filters run inside the Parquet reader, which then decodes the other columns of the
/// matching rows only.
pub async fn push_filters_into_parquet(ctx: &SessionContext) -> anyhow::Result<()> {
    for setting in [
        "SET datafusion.execution.parquet.pushdown_filters = true",
        "SET datafusion.execution.parquet.reorder_filters = true",
    ] {
        ctx.sql(setting).await?;
    }
    Ok(())
}
