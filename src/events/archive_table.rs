//! The `events` table: a DataFusion table that streams from the archive when a query runs. Filters on
//! `eventTime`, `objectDay`, `objectAccount` and `objectRegion` narrow the listing like the scope flags do,
//! filters that need a literal spare building the rows of objects without it, and only the columns a query
//! uses are decoded.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::prelude::SessionContext;

use crate::decode::needles::Needles;
use crate::events::literals::{self, text, texts};
use crate::events::scan::{ScanConfig, stream_objects};
use crate::progress::{Reporter, ScanId};
use crate::schema::{self, EVENT_TIME, OBJECT_ACCOUNT, OBJECT_DAY, OBJECT_REGION};
use crate::source::window::{DayRange, Scope, Window};
use crate::source::{self, Listing, ObjectRef};

/// The `events` table over one or more SOURCEs.
#[derive(Debug)]
pub struct EventsTable {
    sources: Vec<String>,
    config: ScanConfig,
    reporter: Arc<Reporter>,
    /// A listing made ahead of planning on a cluster, taken by the first scan.
    listed: std::sync::Mutex<Option<(Listing, ScanId)>>,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reporter")
    }
}

impl EventsTable {
    /// A table reading `sources` with the run's scope and settings.
    pub fn new(sources: Vec<String>, config: ScanConfig, reporter: Arc<Reporter>) -> EventsTable {
        EventsTable {
            sources,
            config,
            reporter,
            listed: std::sync::Mutex::default(),
        }
    }
}

impl EventsTable {
    /// Lists the objects one scan reads and starts counting the scan; a listing failure stops a
    /// `--strict` run.
    pub fn listing(&self, config: &ScanConfig) -> Result<(Listing, ScanId)> {
        if let Some(ready) = self.listed.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Ok(ready);
        }
        let listing = self
            .list(config)
            .map_err(|e| DataFusionError::External(e.into()))?;
        let scan = self.reporter.begin_scan(&listing);
        Ok((listing, scan))
    }

    fn list(&self, config: &ScanConfig) -> anyhow::Result<Listing> {
        let mut listing = source::list(&self.sources, &config.scope, &config.s3)?;
        if let Some(only) = &config.only_objects {
            listing.objects.retain(|o| only.contains(&o.key));
        }
        if config.strict
            && let Some(f) = listing.failures.first()
        {
            anyhow::bail!("{}: {} (stopped by --strict)", f.key, f.reason);
        }
        Ok(listing)
    }

    /// Splits the run's listing into tables of about `bytes` of objects each, in listing order, whose
    /// reads count as the one scan of the whole listing (its objects, skipped objects and failures are
    /// counted once): a cluster reads them as successive jobs, one decoded while the previous one's rows
    /// are answered here.
    pub fn waves(self, bytes: u64) -> anyhow::Result<Vec<EventsTable>> {
        let listing = self.list(&self.config)?;
        let scan = self.reporter.begin_scan(&listing);
        let waves = crate::source::runs_by_size(listing.objects, |o| o.size, bytes, usize::MAX);
        Ok(waves
            .into_iter()
            .map(|objects| EventsTable {
                sources: self.sources.clone(),
                config: self.config.clone(),
                reporter: self.reporter.clone(),
                listed: std::sync::Mutex::new(Some((
                    Listing {
                        objects,
                        ..Listing::default()
                    },
                    scan,
                ))),
            })
            .collect())
    }

    /// Lists now, for the first scan: on a cluster the listing happens while the plan is encoded, where
    /// a SOURCE that cannot be listed would be reported as a planning failure instead of by name.
    pub fn list_ahead(&self) -> anyhow::Result<()> {
        let listing = self.list(&self.config)?;
        let scan = self.reporter.begin_scan(&listing);
        *self.listed.lock().unwrap_or_else(|e| e.into_inner()) = Some((listing, scan));
        Ok(())
    }

    /// The run's read settings.
    pub fn config(&self) -> &ScanConfig {
        &self.config
    }

    /// The run's reporter.
    pub fn reporter(&self) -> &Arc<Reporter> {
        &self.reporter
    }
}

/// How the `events` table takes a filter: inexactly when it narrows the listing or the window or needs a
/// literal (the filter runs again above the scan), not at all otherwise.
pub fn pushes_down(f: &Expr) -> TableProviderFilterPushDown {
    if narrowing(f).is_some() || literals::required(f).is_some() {
        TableProviderFilterPushDown::Inexact
    } else {
        TableProviderFilterPushDown::Unsupported
    }
}

/// Registers the `events` table and the JSON functions on a session.
pub fn register(ctx: &mut SessionContext, table: EventsTable) -> Result<()> {
    datafusion_functions_json::register_all(ctx)?;
    ctx.register_table("events", Arc::new(table))?;
    Ok(())
}

fn column_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Column(c) => Some(c.name.as_str()),
        Expr::Cast(c) => column_name(&c.expr),
        Expr::TryCast(c) => column_name(&c.expr),
        _ => None,
    }
}

fn instant(v: &ScalarValue) -> Option<DateTime<Utc>> {
    let micros = match v {
        ScalarValue::TimestampSecond(Some(x), _) => x.checked_mul(1_000_000)?,
        ScalarValue::TimestampMillisecond(Some(x), _) => x.checked_mul(1_000)?,
        ScalarValue::TimestampMicrosecond(Some(x), _) => *x,
        ScalarValue::TimestampNanosecond(Some(x), _) => x.div_euclid(1_000),
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            return crate::source::window::parse_start(s).ok();
        }
        _ => return None,
    };
    DateTime::from_timestamp_micros(micros)
}

fn day(v: &ScalarValue) -> Option<NaiveDate> {
    match v {
        ScalarValue::Date32(Some(d)) => NaiveDate::default().checked_add_signed(Duration::days(*d as i64)),
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
        }
        _ => None,
    }
}

fn flip(op: Operator) -> Operator {
    match op {
        Operator::Lt => Operator::Gt,
        Operator::LtEq => Operator::GtEq,
        Operator::Gt => Operator::Lt,
        Operator::GtEq => Operator::LtEq,
        other => other,
    }
}

/// What a filter says about the scope, if anything.
fn narrowing(e: &Expr) -> Option<Scope> {
    let mut s = Scope::default();
    match e {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (col, op, lit) = match (left.as_ref(), right.as_ref()) {
                (c, Expr::Literal(v, _)) => (column_name(c)?, *op, v),
                (Expr::Literal(v, _), c) => (column_name(c)?, flip(*op), v),
                _ => return None,
            };
            let micro = Duration::microseconds(1);
            match col {
                EVENT_TIME => {
                    let t = instant(lit)?;
                    s.window = match op {
                        Operator::Gt => Window {
                            from: Some(t + micro),
                            to: None,
                        },
                        Operator::GtEq => Window {
                            from: Some(t),
                            to: None,
                        },
                        Operator::Lt => Window {
                            from: None,
                            to: Some(t),
                        },
                        Operator::LtEq => Window {
                            from: None,
                            to: Some(t + micro),
                        },
                        Operator::Eq => Window {
                            from: Some(t),
                            to: Some(t + micro),
                        },
                        _ => return None,
                    };
                }
                OBJECT_DAY => {
                    let d = day(lit)?;
                    let one = Duration::days(1);
                    s.folder_days = match op {
                        Operator::Gt => DayRange {
                            first: Some(d + one),
                            last: None,
                        },
                        Operator::GtEq => DayRange {
                            first: Some(d),
                            last: None,
                        },
                        Operator::Lt => DayRange {
                            first: None,
                            last: Some(d - one),
                        },
                        Operator::LtEq => DayRange {
                            first: None,
                            last: Some(d),
                        },
                        Operator::Eq => DayRange {
                            first: Some(d),
                            last: Some(d),
                        },
                        _ => return None,
                    };
                }
                OBJECT_ACCOUNT if op == Operator::Eq => s.accounts = vec![text(lit)?],
                OBJECT_REGION if op == Operator::Eq => s.regions = vec![text(lit)?],
                _ => return None,
            }
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) => {
            let (Expr::Literal(lo, _), Expr::Literal(hi, _)) = (low.as_ref(), high.as_ref()) else {
                return None;
            };
            match column_name(expr)? {
                EVENT_TIME => {
                    s.window = Window {
                        from: Some(instant(lo)?),
                        to: Some(instant(hi)? + Duration::microseconds(1)),
                    }
                }
                OBJECT_DAY => {
                    s.folder_days = DayRange {
                        first: Some(day(lo)?),
                        last: Some(day(hi)?),
                    }
                }
                _ => return None,
            }
        }
        Expr::InList(list) if !list.negated => {
            let values = texts(&list.list);
            match column_name(&list.expr)? {
                OBJECT_ACCOUNT => s.accounts = values?,
                OBJECT_REGION => s.regions = values?,
                _ => return None,
            }
        }
        _ => return None,
    }
    Some(s)
}

fn intersect_lists(a: &mut Vec<String>, b: Vec<String>) {
    if b.is_empty() {
        return;
    }
    if a.is_empty() {
        *a = b;
    } else {
        a.retain(|x| b.contains(x));
        if a.is_empty() {
            // Contradictory filters: keep an impossible value so nothing is read.
            a.push(String::from("\u{0}none"));
        }
    }
}

/// Narrows `scope` by every filter the table understands.
pub fn narrow_scope(mut scope: Scope, filters: &[Expr]) -> Scope {
    for f in filters {
        if let Some(n) = narrowing(f) {
            scope.window = scope.window.intersect(&n.window);
            let fd = scope.folder_days;
            scope.folder_days = DayRange {
                // `None < Some`, so the later of two starts wins and an open start yields to a bound.
                first: fd.first.max(n.folder_days.first),
                last: match (fd.last, n.folder_days.last) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                },
            };
            intersect_lists(&mut scope.accounts, n.accounts);
            intersect_lists(&mut scope.regions, n.regions);
        }
    }
    scope
}

#[derive(Debug)]
struct EventsPartition {
    schema: SchemaRef,
    objects: Arc<Vec<ObjectRef>>,
    projection: Option<Vec<usize>>,
    config: ScanConfig,
    reporter: Arc<Reporter>,
    scan: ScanId,
}

impl PartitionStream for EventsPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        stream_objects(
            self.objects.as_ref().clone(),
            self.projection.clone(),
            self.config.clone(),
            self.reporter.clone(),
            self.scan,
        )
    }
}

#[async_trait]
impl TableProvider for EventsTable {
    fn schema(&self) -> SchemaRef {
        schema::events_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters.iter().map(|f| pushes_down(f)).collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let mut config = self.config.clone();
        config.scope = narrow_scope(config.scope, filters);
        if config.skip_by_literals {
            config.needles =
                Needles::new(filters.iter().filter_map(literals::required).collect()).map(Arc::new);
        }
        let (listing, scan) = self.listing(&config)?;
        let full = schema::events_schema();
        let projected = match projection {
            Some(p) => Arc::new(full.project(p)?),
            None => full,
        };
        let partition = EventsPartition {
            schema: projected.clone(),
            objects: Arc::new(listing.objects),
            projection: projection.cloned(),
            config,
            reporter: self.reporter.clone(),
            scan,
        };
        let exec = StreamingTableExec::try_new(projected, vec![Arc::new(partition)], None, [], false, limit)?;
        Ok(Arc::new(exec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{ident as col, lit};

    fn ts(s: &str) -> Expr {
        let t = DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros();
        Expr::Literal(
            ScalarValue::TimestampMicrosecond(Some(t), Some("UTC".into())),
            None,
        )
    }

    #[test]
    fn filters_narrow_the_scope() {
        let filters = vec![
            col("eventTime").gt_eq(ts("2026-03-03T00:00:00Z")),
            ts("2026-03-05T00:00:00Z").gt(col("eventTime")),
            col("objectAccount").eq(lit("111122223333")),
            col("objectRegion").in_list(vec![lit("us-east-1"), lit("eu-west-1")], false),
            col("objectDay").lt_eq(lit(ScalarValue::Date32(Some(20_514)))),
            col("eventName").eq(lit("ConsoleLogin")),
        ];
        let s = narrow_scope(Scope::default(), &filters);
        assert_eq!(s.window.from.unwrap().to_rfc3339(), "2026-03-03T00:00:00+00:00");
        assert_eq!(s.window.to.unwrap().to_rfc3339(), "2026-03-05T00:00:00+00:00");
        assert_eq!(s.accounts, vec!["111122223333"]);
        assert_eq!(s.regions, vec!["us-east-1", "eu-west-1"]);
        assert_eq!(s.folder_days.last, NaiveDate::from_ymd_opt(2026, 3, 2));
        assert!(narrowing(&filters[5]).is_none());
    }

    #[test]
    fn contradictory_accounts_select_nothing() {
        let base = Scope {
            accounts: vec!["111122223333".into()],
            ..Scope::default()
        };
        let s = narrow_scope(base, &[col("objectAccount").eq(lit("444455556666"))]);
        assert!(!s.wants_account("111122223333") && !s.wants_account("444455556666"));
    }
}
