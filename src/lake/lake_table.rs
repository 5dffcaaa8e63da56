//! The `events` table over a lake: the files the manifest lists, pruned by their `day=` partition from the
//! query's time filters, then read by DataFusion's Parquet reader (row-group and page statistics prune
//! further).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Duration, NaiveDate};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;

use super::manifest::Manifest;
use super::{LakeError, check_version, manifest_path};
use crate::events::archive_table::narrow_scope;
use crate::schema::events_schema;
use crate::source::window::Scope;

/// A lake opened for reading.
#[derive(Debug)]
pub struct LakeTable {
    root: PathBuf,
    /// Each data file with the event day of its partition (`None`: rows without a usable time).
    files: Vec<(Option<NaiveDate>, String)>,
}

fn partition_day(rel: &str) -> Option<NaiveDate> {
    let part = rel.split('/').find_map(|c| c.strip_prefix("day="))?;
    NaiveDate::parse_from_str(part, "%Y-%m-%d").ok()
}

impl LakeTable {
    /// The lake folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Opens a lake written by `ctscan export`.
    pub fn open(root: &Path) -> Result<LakeTable, LakeError> {
        check_version(root)?;
        let manifest = Manifest::load(&manifest_path(root))?;
        let files = manifest
            .files()
            .into_iter()
            .map(|f| (partition_day(f), f.to_string()))
            .collect();
        Ok(LakeTable {
            root: root.to_path_buf(),
            files,
        })
    }

    /// The files a scope can need.
    fn files_for(&self, scope: &Scope) -> Vec<&str> {
        let w = scope.window;
        let first = w.from.map(|f| f.date_naive());
        let last = w.to.map(|t| (t - Duration::microseconds(1)).date_naive());
        self.files
            .iter()
            .filter(|(day, _)| match day {
                Some(d) => first.is_none_or(|f| *d >= f) && last.is_none_or(|l| *d <= l),
                None => w.is_unbounded(),
            })
            .map(|(_, f)| f.as_str())
            .collect()
    }

    fn listing(&self, files: &[&str]) -> Result<ListingTable> {
        let urls = files
            .iter()
            .map(|f| ListingTableUrl::parse(self.root.join(f).to_string_lossy()))
            .collect::<Result<Vec<_>>>()?;
        let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(events_schema());
        ListingTable::try_new(config)
    }
}

#[async_trait]
impl TableProvider for LakeTable {
    fn schema(&self) -> SchemaRef {
        events_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        // Parquet statistics prune on any column; DataFusion still applies every filter to the rows.
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let scope = narrow_scope(Scope::default(), filters);
        let files = self.files_for(&scope);
        if files.is_empty() {
            let schema = match projection {
                Some(p) => Arc::new(events_schema().project(p)?),
                None => events_schema(),
            };
            return Ok(Arc::new(EmptyExec::new(schema)));
        }
        self.listing(&files)
            .map_err(|e| DataFusionError::Plan(format!("lake {}: {e}", self.root.display())))?
            .scan(state, projection, filters, limit)
            .await
    }
}

/// The filter that selects a scope's rows, for sources (like a lake) whose reader does not apply the scope
/// itself. Objects outside the delivery layout are matched on the record's own account and region.
pub fn scope_filter(scope: &Scope) -> Option<Expr> {
    use datafusion::common::ScalarValue;
    use datafusion::prelude::{ident, lit};
    let time = |t: chrono::DateTime<chrono::Utc>| {
        lit(ScalarValue::TimestampMicrosecond(
            Some(t.timestamp_micros()),
            Some("UTC".into()),
        ))
    };
    let in_scope = |path_col: &str, record_col: &str, values: &[String]| {
        let list: Vec<Expr> = values.iter().map(|v| lit(v.clone())).collect();
        ident(path_col).in_list(list.clone(), false).or(ident(path_col)
            .is_null()
            .and(ident(record_col).in_list(list, false)))
    };
    let mut parts = Vec::new();
    if let Some(f) = scope.window.from {
        parts.push(ident("eventTime").gt_eq(time(f)));
    }
    if let Some(t) = scope.window.to {
        parts.push(ident("eventTime").lt(time(t)));
    }
    if !scope.accounts.is_empty() {
        parts.push(in_scope("objectAccount", "recipientAccountId", &scope.accounts));
    }
    if !scope.regions.is_empty() {
        parts.push(in_scope("objectRegion", "awsRegion", &scope.regions));
    }
    parts.into_iter().reduce(Expr::and)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_days() {
        assert_eq!(
            partition_day("events/day=2026-03-03/part-1.parquet"),
            NaiveDate::from_ymd_opt(2026, 3, 3)
        );
        assert_eq!(
            partition_day("events/day=__HIVE_DEFAULT_PARTITION__/p.parquet"),
            None
        );
    }
}
