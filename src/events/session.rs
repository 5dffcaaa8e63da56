//! The DataFusion side every command shares: the async runtime, the session with ctscan's SQL settings,
//! and the `events` table registered with its duplicate deliveries folded.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::Context;
use datafusion::catalog::TableProvider;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::events::copy_choice::{ChoiceMode, CopyChoice};
use crate::events::dedup::{Copies, DedupTable};

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

/// Builds sessions whose plans run elsewhere (a cluster). The cluster backend implements it above this
/// layer, so the code that reads events does not depend on it.
pub trait RemotePlanner: Send + Sync {
    /// A session with `config` whose plans go to the remote scheduler.
    fn session(&self, config: SessionConfig) -> datafusion::error::Result<SessionContext>;
}

/// How a run executes its plans: on how many threads, and here or on a cluster. Every reader of a run's
/// events gets it, so nothing needs to ask the process where plans go.
#[derive(Clone)]
pub struct Exec {
    /// Threads for decoding and queries.
    pub threads: usize,
    remote: Option<Arc<dyn RemotePlanner>>,
    /// A cluster that decodes archives whose rows are answered here (see [`Exec::answering_here`]).
    decoders: Option<Arc<dyn RemotePlanner>>,
}

impl std::fmt::Debug for Exec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exec")
            .field("threads", &self.threads)
            .field("cluster", &self.remote.is_some())
            .field("decoders", &self.decoders.is_some())
            .finish()
    }
}

impl Exec {
    /// Plans run in this process.
    pub fn local(threads: usize) -> Exec {
        Exec {
            threads,
            remote: None,
            decoders: None,
        }
    }

    /// Plans run on a cluster.
    pub fn remote(threads: usize, planner: Arc<dyn RemotePlanner>) -> Exec {
        Exec {
            threads,
            remote: Some(planner),
            decoders: None,
        }
    }

    /// Plans run here, while a cluster's executors still decode archives and send their rows here: for
    /// answers that need every row in one place (a hunt's pass, credential chains, `trace`, `summary`,
    /// the `sessions` table), where copies of an event read by different tasks must meet.
    pub fn answering_here(&self) -> Exec {
        Exec {
            threads: self.threads,
            remote: None,
            decoders: self.remote.clone().or_else(|| self.decoders.clone()),
        }
    }

    /// A session on the cluster that decodes archives for a run answered here, if there is one.
    pub fn decoder_session(&self) -> Option<anyhow::Result<SessionContext>> {
        let planner = self.decoders.as_ref()?;
        Some(
            planner
                .session(self.config())
                .context("cannot plan on the cluster"),
        )
    }

    /// Whether plans run on a cluster.
    pub fn is_cluster(&self) -> bool {
        self.remote.is_some()
    }

    fn config(&self) -> SessionConfig {
        let mut config = SessionConfig::new()
            .with_target_partitions(self.threads)
            .with_information_schema(true);
        config.options_mut().sql_parser.enable_ident_normalization = false;
        // PostgreSQL's operator precedence makes `requestParameters ->> 'k' IS NOT NULL` mean what it says.
        config.options_mut().sql_parser.dialect = datafusion::config::Dialect::PostgreSQL;
        config
    }

    /// A DataFusion session whose SQL keeps identifier case, so CloudTrail's camelCase names work unquoted.
    pub fn session(&self) -> anyhow::Result<SessionContext> {
        let config = self.config();
        match &self.remote {
            // A session on the cluster differs only in where its plans run.
            Some(planner) => planner.session(config).context("cannot plan on the cluster"),
            None => Ok(SessionContext::new_with_config(config)),
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
    register_dedup(ctx, DedupTable::new(table, copies))
}

/// [`register_events`] folding copies with the run's `choice` of which copy to keep, learning it or
/// keeping what was learned (see [`CopyChoice`]).
pub fn register_events_choosing(
    ctx: &mut SessionContext,
    table: Arc<dyn TableProvider>,
    choice: Option<(Arc<CopyChoice>, ChoiceMode)>,
) -> anyhow::Result<Arc<AtomicU64>> {
    let dedup = DedupTable::new(table, Copies::Fold);
    match choice {
        Some((choice, mode)) => register_dedup(ctx, dedup.with_choice(choice, mode)),
        None => register_dedup(ctx, dedup),
    }
}

fn register_dedup(ctx: &mut SessionContext, dedup: DedupTable) -> anyhow::Result<Arc<AtomicU64>> {
    datafusion_functions_json::register_all(ctx)?;
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
