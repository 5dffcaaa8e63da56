//! Where a hunt reads: an archive (local or S3), read with the engine's row gate and read again
//! object by object for the events findings need whole, or a lake, read column by column. On a cluster
//! the archive's executors decode with the same gate and copies are folded where the rows arrive.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::catalog::TableProvider;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;
use datafusion::prelude::{ident, lit};

use crate::events::archive_table::EventsTable;
use crate::events::copy_choice::{ChoiceMode, CopyChoice};
use crate::events::dedup::Copies;
use crate::events::remote_rows::archive_events;
use crate::events::scan::ScanConfig;
use crate::events::session::{Exec, push_filters_into_parquet, register_events, register_events_choosing};
use crate::input::Input;
use crate::progress::Reporter;
use crate::schema::OBJECT_KEY;
use crate::sigma::SigmaError;
use crate::sigma::engine::{HuntSource, ReadPlan};

fn df_error(e: impl std::fmt::Display) -> SigmaError {
    SigmaError::Invalid(format!("{e:#}"))
}

/// Registers `events`: folded keeping the run's chosen copies (or, learning them, the first copy met), or
/// with every copy (for reading events again). Returns the count of copies folded.
fn register(
    ctx: &mut SessionContext,
    table: Arc<dyn TableProvider>,
    copies: Copies,
    choice: &Option<(Arc<CopyChoice>, ChoiceMode)>,
) -> Result<Arc<AtomicU64>, SigmaError> {
    match copies {
        Copies::Fold => register_events_choosing(ctx, table, choice.clone()).map_err(df_error),
        Copies::Count => register_events(ctx, table, Copies::Count).map_err(df_error),
    }
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
    /// Which copy of each duplicated event the run keeps, as the chains' read learned it (`Keep`), or
    /// as the pass itself learns it (`Learn`).
    pub choice: Option<(Arc<CopyChoice>, ChoiceMode)>,
    /// Copies the pass folded.
    pub folded: Mutex<Option<Arc<AtomicU64>>>,
}

impl ArchiveSource {
    async fn table(&self, config: ScanConfig, copies: Copies) -> Result<DataFrame, SigmaError> {
        // On a cluster the executors decode (and gate) their share and the rows come here, where
        // copies are folded with the run's copy choice as on one machine: no row crosses between
        // executors, and copies read by different tasks meet.
        let exec = self.exec.answering_here();
        let table = EventsTable::new(self.sources.clone(), config, self.reporter.clone());
        let table = archive_events(&exec, table, &self.reporter).map_err(df_error)?;
        let mut ctx = exec.session().map_err(df_error)?;
        let folded = register(&mut ctx, table, copies, &self.choice)?;
        if copies == Copies::Fold {
            *self.folded.lock().unwrap_or_else(|e| e.into_inner()) = Some(folded);
        }
        Ok(ctx.table("events").await?)
    }

    /// Copies of events the pass folded.
    pub fn duplicates(&self) -> u64 {
        self.folded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

#[async_trait]
impl HuntSource for ArchiveSource {
    async fn events(&self, plan: &ReadPlan) -> Result<DataFrame, SigmaError> {
        let config = ScanConfig {
            gate: Some(plan.gate.clone()),
            ..self.config.clone()
        };
        self.table(config, Copies::Fold).await
    }

    fn gates(&self) -> bool {
        true
    }

    async fn count(&self) -> Result<u64, SigmaError> {
        Ok(0)
    }

    async fn fetch(&self, objects: BTreeSet<String>) -> Result<DataFrame, SigmaError> {
        let config = ScanConfig {
            gate: None,
            only_objects: Some(Arc::new(objects)),
            ..self.config.clone()
        };
        // Every copy: the pass kept one copy of each event, and the engine looks for that copy by its
        // object. Folding again here could keep the other copy of a duplicate delivery.
        self.table(config, Copies::Count).await
    }
}

/// A Parquet lake written by `ctscan export`.
pub struct LakeSource {
    /// The lake ([`Input::Lake`]) with the run's window and scope.
    pub lake: Input,
    /// Which copy of each duplicated event the run keeps, as the chains' read learned it.
    pub choice: Option<(Arc<CopyChoice>, ChoiceMode)>,
}

impl LakeSource {
    async fn table(&self, copies: Copies) -> Result<DataFrame, SigmaError> {
        let mut ctx = self.lake.session().map_err(df_error)?;
        push_filters_into_parquet(&ctx).await.map_err(df_error)?;
        let table = self
            .lake
            .table(self.lake.scope().clone(), None)
            .await
            .map_err(df_error)?;
        register(&mut ctx, table, copies, &self.choice)?;
        Ok(ctx.table("events").await?)
    }
}

#[async_trait]
impl HuntSource for LakeSource {
    async fn events(&self, plan: &ReadPlan) -> Result<DataFrame, SigmaError> {
        Ok(self.table(Copies::Fold).await?.filter(plan.prefilter.clone())?)
    }

    fn gates(&self) -> bool {
        false
    }

    async fn count(&self) -> Result<u64, SigmaError> {
        Ok(self.table(Copies::Fold).await?.count().await? as u64)
    }

    async fn fetch(&self, objects: BTreeSet<String>) -> Result<DataFrame, SigmaError> {
        let list = objects.into_iter().map(lit).collect();
        // Every copy, as for an archive (see `ArchiveSource::fetch`).
        Ok(self
            .table(Copies::Count)
            .await?
            .filter(ident(OBJECT_KEY).in_list(list, false))?)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::io::Write;

    use datafusion::arrow::array::{Array, StringArray};

    use super::*;
    use crate::progress::ReportOptions;

    /// Two byte-identical deliveries of the same two events, in two region folders of one account.
    fn duplicated_archive(root: &std::path::Path) -> Vec<String> {
        let records = br#"{"Records":[
            {"eventTime":"2026-03-03T10:00:00Z","eventName":"StopLogging","eventID":"e1","recipientAccountId":"111122223333","awsRegion":"us-east-1"},
            {"eventTime":"2026-03-03T10:00:01Z","eventName":"DeleteTrail","eventID":"e2","recipientAccountId":"111122223333","awsRegion":"us-east-1"}]}"#;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(records).unwrap();
        let bytes = gz.finish().unwrap();
        ["us-east-1", "us-west-2"]
            .iter()
            .map(|region| {
                let dir = root.join(format!("AWSLogs/111122223333/CloudTrail/{region}/2026/03/03"));
                std::fs::create_dir_all(&dir).unwrap();
                let file = dir.join(format!(
                    "111122223333_CloudTrail_{region}_20260303T1005Z_abcdefabcdefabcd.json.gz"
                ));
                std::fs::write(&file, &bytes).unwrap();
                file.display().to_string()
            })
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reading_events_again_returns_every_copy_of_a_duplicate_delivery() {
        let dir = tempfile::tempdir().unwrap();
        let objects = duplicated_archive(dir.path());
        let source = ArchiveSource {
            sources: vec![dir.path().display().to_string()],
            config: ScanConfig {
                threads: 2,
                ..ScanConfig::default()
            },
            reporter: Arc::new(Reporter::new(ReportOptions::default())),
            exec: Exec::local(2),
            choice: None,
            folded: Mutex::default(),
        };
        // The pass may have kept e1's copy from one object and e2's from the other: reading both objects
        // again must give back both copies of each, so each is found where the pass saw it.
        let wanted: BTreeSet<String> = objects.iter().cloned().collect();
        let batches = source.fetch(wanted).await.unwrap().collect().await.unwrap();
        let mut seen = BTreeSet::new();
        for b in &batches {
            let key = b.column_by_name(OBJECT_KEY).unwrap();
            let key = key.as_any().downcast_ref::<StringArray>().unwrap();
            let id = b.column_by_name("eventID").unwrap();
            let id = id.as_any().downcast_ref::<StringArray>().unwrap();
            for i in 0..b.num_rows() {
                seen.insert((key.value(i).to_string(), id.value(i).to_string()));
            }
        }
        let want: BTreeSet<(String, String)> = objects
            .iter()
            .flat_map(|o| [(o.clone(), "e1".to_string()), (o.clone(), "e2".to_string())])
            .collect();
        assert_eq!(seen, want);
    }
}
