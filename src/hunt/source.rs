//! Where a hunt reads: an archive (local or S3), read with the engine's row gate and read again
//! object by object for the events findings need whole, or a lake, read column by column.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{ident, lit};

use crate::events::archive_table::EventsTable;
use crate::events::dedup::Copies;
use crate::events::scan::ScanConfig;
use crate::events::session::{Exec, push_filters_into_parquet, register_events};
use crate::input::Input;
use crate::progress::Reporter;
use crate::schema::OBJECT_KEY;
use crate::sigma::SigmaError;
use crate::sigma::engine::{HuntSource, ReadPlan};

fn df_error(e: impl std::fmt::Display) -> SigmaError {
    SigmaError::Invalid(format!("{e:#}"))
}

/// A CloudTrail archive: folders, files or `s3://` prefixes.
pub struct ArchiveSource {
    /// The SOURCE arguments.
    pub sources: Vec<String>,
    /// The read settings of the run.
    pub config: ScanConfig,
    /// The run's reporter (a second read of an object is not counted twice).
    pub reporter: Arc<Reporter>,
    /// Where and on how many threads plans run.
    pub exec: Exec,
}

impl ArchiveSource {
    async fn table(&self, config: ScanConfig) -> Result<DataFrame, SigmaError> {
        let mut ctx = self.exec.session().map_err(df_error)?;
        let table = EventsTable::new(self.sources.clone(), config, self.reporter.clone());
        if self.exec.is_cluster() {
            table.list_ahead().map_err(df_error)?;
        }
        let table = Arc::new(table);
        register_events(&mut ctx, table, Copies::Fold).map_err(df_error)?;
        Ok(ctx.table("events").await?)
    }
}

#[async_trait]
impl HuntSource for ArchiveSource {
    async fn events(&self, plan: &ReadPlan) -> Result<DataFrame, SigmaError> {
        if self.exec.is_cluster() {
            // On a cluster the executors run the prefilter, as a lake's reader does, and only the rows
            // some rule can match come back.
            let df = self.table(self.config.clone()).await?;
            return Ok(df.filter(plan.prefilter.clone())?);
        }
        let config = ScanConfig {
            gate: Some(plan.gate.clone()),
            ..self.config.clone()
        };
        self.table(config).await
    }

    fn gates(&self) -> bool {
        !self.exec.is_cluster()
    }

    async fn count(&self) -> Result<u64, SigmaError> {
        if self.exec.is_cluster() {
            return Ok(self.table(self.config.clone()).await?.count().await? as u64);
        }
        Ok(0)
    }

    async fn fetch(&self, objects: BTreeSet<String>) -> Result<DataFrame, SigmaError> {
        let config = ScanConfig {
            gate: None,
            only_objects: Some(Arc::new(objects)),
            ..self.config.clone()
        };
        self.table(config).await
    }
}

/// A Parquet lake written by `ctscan export`.
pub struct LakeSource {
    /// The lake ([`Input::Lake`]) with the run's window and scope.
    pub lake: Input,
}

impl LakeSource {
    async fn table(&self) -> Result<DataFrame, SigmaError> {
        let mut ctx = self.lake.session().map_err(df_error)?;
        push_filters_into_parquet(&ctx).await.map_err(df_error)?;
        let table = self
            .lake
            .table(self.lake.scope().clone(), None)
            .await
            .map_err(df_error)?;
        register_events(&mut ctx, table, Copies::Fold).map_err(df_error)?;
        Ok(ctx.table("events").await?)
    }
}

#[async_trait]
impl HuntSource for LakeSource {
    async fn events(&self, plan: &ReadPlan) -> Result<DataFrame, SigmaError> {
        Ok(self.table().await?.filter(plan.prefilter.clone())?)
    }

    fn gates(&self) -> bool {
        false
    }

    async fn count(&self) -> Result<u64, SigmaError> {
        Ok(self.table().await?.count().await? as u64)
    }

    async fn fetch(&self, objects: BTreeSet<String>) -> Result<DataFrame, SigmaError> {
        let list = objects.into_iter().map(lit).collect();
        Ok(self
            .table()
            .await?
            .filter(ident(OBJECT_KEY).in_list(list, false))?)
    }
}
