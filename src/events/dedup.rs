//! One event, counted once. Archives often hold the same event twice (overlapping trails, redelivered
//! objects); an event is one (`eventID`, `recipientAccountId`) pair. [`DedupTable`] wraps an `events`
//! table so that every scan of it keeps the first copy of each event and counts the copies it folds (or,
//! in counting mode, keeps every record and only counts).

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::{Array, BooleanArray, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{Distribution, EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::StreamExt;

use super::copy_choice::{ChoiceMode, CopyChoice};
use crate::text_column::TextColumn;

/// Shards of the per-event maps, so decoding threads rarely wait on each other.
pub(super) const SHARDS: usize = 64;

/// The rows of each shard (rows without a digest in none), so that a shard is locked once per batch
/// rather than once per row.
pub(super) fn rows_by_shard(digests: &[Option<u128>]) -> Vec<Vec<usize>> {
    let mut by_shard: Vec<Vec<usize>> = vec![Vec::new(); SHARDS];
    for (i, d) in digests.iter().enumerate() {
        if let Some(d) = d {
            by_shard[(*d as usize) % SHARDS].push(i);
        }
    }
    by_shard
}

/// The events seen so far by one scan, as 128-bit digests of (`eventID`, `recipientAccountId`), sharded
/// so decode threads rarely wait on each other.
#[derive(Debug)]
pub struct SeenEvents {
    shards: Vec<Mutex<HashSet<u128>>>,
    duplicates: AtomicU64,
    /// Which scan this is: a [`super::copy_choice::CopyChoice`] learns from one scan and refuses another
    /// by this number (it wraps after 65,536 scans; a run makes a few).
    scan: u16,
}

/// The number of the next scan.
static SCANS: AtomicU16 = AtomicU16::new(0);

impl Default for SeenEvents {
    fn default() -> Self {
        SeenEvents {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            duplicates: AtomicU64::new(0),
            scan: SCANS.fetch_add(1, Ordering::Relaxed),
        }
    }
}

/// The digest one event is known by: its `eventID` and `recipientAccountId` (empty when absent).
pub(super) fn digest(event_id: &str, account: &str) -> u128 {
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        salt.hash(&mut h);
        event_id.hash(&mut h);
        account.hash(&mut h);
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

impl SeenEvents {
    /// Forgets the duplicate count, not the events: copies of what an earlier read saw count from now on.
    pub fn reset_count(&self) {
        self.duplicates.store(0, Ordering::Relaxed);
    }

    /// This scan's number.
    pub fn scan(&self) -> u16 {
        self.scan
    }

    /// Later copies seen so far.
    pub fn duplicates(&self) -> u64 {
        self.duplicates.load(Ordering::Relaxed)
    }

    /// The (`eventID`, `recipientAccountId`) digest of each row; `None` for rows without an `eventID`,
    /// which cannot be told apart.
    pub fn digests(ids: &dyn Array, accounts: &dyn Array) -> Result<Vec<Option<u128>>> {
        let rows = ids.len();
        let (ids, accounts) = (TextColumn::of(ids)?, TextColumn::of(accounts)?);
        Ok((0..rows)
            .map(|i| {
                ids.get(i)
                    .map(|id| digest(id, accounts.get(i).unwrap_or_default()))
            })
            .collect())
    }

    /// For each digest, whether this is the first time it is met (rows without one always are); nothing
    /// is counted. Each shard is locked once per call, not once per row.
    pub fn first_of(&self, digests: &[Option<u128>]) -> Vec<bool> {
        let mut first = vec![true; digests.len()];
        for (shard, members) in self.shards.iter().zip(&rows_by_shard(digests)) {
            if members.is_empty() {
                continue;
            }
            let mut set = shard.lock().unwrap_or_else(|e| e.into_inner());
            for &i in members {
                if let Some(d) = digests[i]
                    && !set.insert(d)
                {
                    first[i] = false;
                }
            }
        }
        first
    }

    /// Counts `n` more later copies.
    pub fn add_duplicates(&self, n: u64) {
        self.duplicates.fetch_add(n, Ordering::Relaxed);
    }

    /// For each row of a batch, whether it is the first copy of its event; a later copy is counted as a
    /// duplicate. Records without an `eventID` cannot be told apart and are always first.
    pub fn first_rows(&self, ids: &dyn Array, accounts: &dyn Array) -> Result<BooleanArray> {
        Ok(self.first_counted(&SeenEvents::digests(ids, accounts)?))
    }

    /// [`SeenEvents::first_of`], counting the later copies as duplicates.
    pub fn first_counted(&self, digests: &[Option<u128>]) -> BooleanArray {
        self.counting(self.first_of(digests))
    }

    /// Counts the rows that are not first (whoever decided which are) as duplicates; the flags as a column.
    pub fn counting(&self, first: Vec<bool>) -> BooleanArray {
        self.add_duplicates(first.iter().filter(|f| !**f).count() as u64);
        first.into_iter().map(Some).collect()
    }
}

/// What a [`DedupTable`] does with later copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copies {
    /// Drop them.
    Fold,
    /// Keep them; only count them.
    Count,
}

/// An `events` table whose scans fold (or count) duplicate deliveries. The copies folded by the scans
/// of one run add up in [`DedupTable::duplicates`]; each scan has its own memory of what it saw, so a
/// query that reads the table twice (a self-join) sees every event on both sides.
#[derive(Debug)]
pub struct DedupTable {
    inner: Arc<dyn TableProvider>,
    copies: Copies,
    /// The most copies any one scan saw (every scan of a run sees the same records).
    duplicates: Arc<AtomicU64>,
    remote: Option<RemoteDedup>,
    /// Which copy to keep, when the run chooses deterministically (see [`CopyChoice`]).
    choice: Option<(Arc<CopyChoice>, ChoiceMode)>,
}

/// A dedup that runs on other machines (a cluster): its rows are hash-partitioned by event so each task
/// folds the copies of its own events, and each task hands its count to the client through this. The
/// cluster backend implements it, so de-duplication does not depend on the cluster.
pub trait RemoteCount: std::fmt::Debug + Send + Sync {
    /// A stream that hands `partition`'s count to the client once the rows are done, yielding no rows
    /// (only an error when the count cannot be delivered).
    fn hand_in(
        &self,
        partition: usize,
        count: Arc<AtomicU64>,
    ) -> futures::stream::BoxStream<'static, Result<RecordBatch>>;
    /// For the cluster's codec, which knows the concrete type.
    fn as_any(&self) -> &dyn std::any::Any;
}

/// A shared [`RemoteCount`].
pub type RemoteDedup = Arc<dyn RemoteCount>;

impl DedupTable {
    /// Wraps an `events` table (raw archive or lake).
    pub fn new(inner: Arc<dyn TableProvider>, copies: Copies) -> DedupTable {
        DedupTable {
            inner,
            copies,
            duplicates: Arc::default(),
            remote: None,
            choice: None,
        }
    }

    /// The table choosing which copy to keep with `choice` (see [`CopyChoice`]).
    pub fn with_choice(mut self, choice: Arc<CopyChoice>, mode: ChoiceMode) -> DedupTable {
        self.choice = Some((choice, mode));
        self
    }

    /// The dedup of a client's table, as a cluster's scheduler plans it.
    pub fn remote(inner: Arc<dyn TableProvider>, copies: Copies, remote: RemoteDedup) -> DedupTable {
        DedupTable {
            remote: Some(remote),
            ..DedupTable::new(inner, copies)
        }
    }

    /// The table whose copies are folded.
    pub fn inner(&self) -> &Arc<dyn TableProvider> {
        &self.inner
    }

    /// Whether copies are folded or only counted.
    pub fn copies(&self) -> Copies {
        self.copies
    }

    /// A handle on the duplicate count, readable after the run.
    pub fn counter(&self) -> Arc<AtomicU64> {
        self.duplicates.clone()
    }
}

#[async_trait]
impl TableProvider for DedupTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        // Filters the inner table takes only narrow what it reads; they are applied again above the
        // dedup, so which copy survives never depends on them.
        Ok(self
            .inner
            .supports_filters_pushdown(filters)?
            .into_iter()
            .map(|p| match p {
                TableProviderFilterPushDown::Exact => TableProviderFilterPushDown::Inexact,
                other => other,
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = self.inner.schema();
        let id_col = schema.index_of(crate::schema::EVENT_ID)?;
        let account_col = schema.index_of(crate::schema::RECIPIENT_ACCOUNT)?;
        let wanted: Vec<usize> = projection
            .cloned()
            .unwrap_or_else(|| (0..schema.fields().len()).collect());
        let object_col = schema.index_of(crate::schema::OBJECT_KEY)?;
        let mut read = wanted.clone();
        let mut needed = vec![id_col, account_col];
        if self.choice.is_some() {
            needed.push(object_col);
        }
        for c in needed {
            if !read.contains(&c) {
                read.push(c);
            }
        }
        // No limit below the dedup: folded copies would leave fewer rows than asked for.
        let input = self.inner.scan(state, Some(&read), filters, None).await?;
        let keep: Vec<usize> = (0..wanted.len()).collect();
        let pos = |c: usize| read.iter().position(|r| *r == c).unwrap_or_default();
        let mut exec = DedupExec::new(
            input,
            (pos(id_col), pos(account_col)),
            keep,
            self.copies,
            self.duplicates.clone(),
            self.remote.clone(),
        )?;
        if let Some((choice, mode)) = &self.choice {
            exec.choice = Some((choice.clone(), *mode, pos(object_col)));
        }
        Ok(Arc::new(exec))
    }
}

/// The operator behind [`DedupTable`]: one memory of seen events shared by every partition of one scan.
#[derive(Debug)]
pub struct DedupExec {
    input: Arc<dyn ExecutionPlan>,
    key: (usize, usize),
    keep: Vec<usize>,
    copies: Copies,
    seen: Arc<SeenEvents>,
    total: Arc<AtomicU64>,
    remote: Option<RemoteDedup>,
    /// The run's choice of copies, its mode, and the position of `objectKey` in the input.
    choice: Option<(Arc<CopyChoice>, ChoiceMode, usize)>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl DedupExec {
    /// The dedup of `input` on the columns `key` (eventID, recipientAccountId), keeping the columns
    /// `keep`.
    pub fn new(
        input: Arc<dyn ExecutionPlan>,
        key: (usize, usize),
        keep: Vec<usize>,
        copies: Copies,
        total: Arc<AtomicU64>,
        remote: Option<RemoteDedup>,
    ) -> Result<DedupExec> {
        let schema = Arc::new(input.schema().project(&keep)?);
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            input.properties().output_partitioning().clone(),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(DedupExec {
            input,
            key,
            keep,
            copies,
            seen: Arc::default(),
            total,
            remote,
            choice: None,
            schema,
            properties,
        })
    }

    /// What a cluster needs to rebuild the operator: key columns, kept columns, mode, and the client's
    /// counter.
    pub fn wire(&self) -> ((usize, usize), &[usize], Copies, Option<&RemoteDedup>) {
        (self.key, &self.keep, self.copies, self.remote.as_ref())
    }

    fn filter(&self, batch: &RecordBatch, mine: &AtomicU64) -> Result<RecordBatch> {
        let (ids, accounts) = (batch.column(self.key.0), batch.column(self.key.1));
        let first = match &self.choice {
            None => self.seen.first_rows(ids, accounts)?,
            Some((choice, mode, object)) => {
                let digests = SeenEvents::digests(ids, accounts)?;
                let objects = batch.column(*object);
                match mode {
                    ChoiceMode::Keep => choice.keep(&digests, objects, &self.seen)?,
                    ChoiceMode::Learn => {
                        self.seen
                            .counting(choice.learn(&digests, objects, self.seen.scan())?)
                    }
                }
            }
        };
        mine.fetch_add(first.false_count() as u64, Ordering::Relaxed);
        self.total.fetch_max(self.seen.duplicates(), Ordering::Relaxed);
        let batch = match self.copies {
            Copies::Fold if first.false_count() > 0 => filter_record_batch(batch, &first)?,
            _ => batch.clone(),
        };
        Ok(batch.project(&self.keep)?)
    }
}

impl DisplayAs for DedupExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "DedupExec: {:?} copies of (eventID, recipientAccountId)",
            self.copies
        )
    }
}

impl ExecutionPlan for DedupExec {
    fn name(&self) -> &str {
        "DedupExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn required_input_distribution(&self) -> Vec<Distribution> {
        match self.remote {
            // Every copy of an event lands in one task, which alone decides which copy survives.
            Some(_) => {
                let schema = self.input.schema();
                let column =
                    |i: usize| -> Arc<dyn PhysicalExpr> { Arc::new(Column::new(schema.field(i).name(), i)) };
                vec![Distribution::KeyPartitioned(vec![
                    column(self.key.0),
                    column(self.key.1),
                ])]
            }
            None => vec![Distribution::UnspecifiedDistribution],
        }
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = children
            .pop()
            .ok_or_else(|| DataFusionError::Internal("DedupExec needs its input".into()))?;
        let mut exec = DedupExec::new(
            input,
            self.key,
            self.keep.clone(),
            self.copies,
            self.total.clone(),
            self.remote.clone(),
        )?;
        exec.choice = self.choice.clone();
        Ok(Arc::new(exec))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let me = DedupExec {
            input: self.input.clone(),
            key: self.key,
            keep: self.keep.clone(),
            copies: self.copies,
            seen: self.seen.clone(),
            total: self.total.clone(),
            remote: self.remote.clone(),
            choice: self.choice.clone(),
            schema: self.schema.clone(),
            properties: self.properties.clone(),
        };
        let mine = Arc::new(AtomicU64::new(0));
        let counted = mine.clone();
        let stream = input.map(move |b| b.and_then(|b| me.filter(&b, &counted)));
        let Some(remote) = self.remote.clone() else {
            return Ok(Box::pin(RecordBatchStreamAdapter::new(
                self.schema.clone(),
                stream,
            )));
        };
        // On a cluster, the partition's count goes to the client before the stream ends.
        let tail = remote.hand_in(partition, mine);
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            stream.chain(tail),
        )))
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::StringArray;

    use super::*;

    fn first(seen: &SeenEvents, id: Option<&str>, account: Option<&str>) -> bool {
        let ids = StringArray::from(vec![id]);
        let accounts = StringArray::from(vec![account]);
        seen.first_rows(&ids, &accounts).unwrap().value(0)
    }

    #[test]
    fn an_event_is_its_id_in_its_account() {
        let seen = SeenEvents::default();
        assert!(first(&seen, Some("e1"), Some("111111111111")));
        assert!(!first(&seen, Some("e1"), Some("111111111111")));
        // The same id delivered to another account (an organization trail's copy) is another record.
        assert!(first(&seen, Some("e1"), Some("222222222222")));
        assert!(first(&seen, None, Some("111111111111")));
        assert!(first(&seen, None, Some("111111111111")));
        assert_eq!(seen.duplicates(), 1);
    }

    #[test]
    fn a_later_copy_in_the_same_batch_is_a_duplicate() {
        let seen = SeenEvents::default();
        let ids = StringArray::from(vec![Some("e1"), Some("e2"), Some("e1")]);
        let accounts = StringArray::from(vec![Some("1"), Some("1"), Some("1")]);
        let keep = seen.first_rows(&ids, &accounts).unwrap();
        assert_eq!(
            keep.iter().collect::<Vec<_>>(),
            vec![Some(true), Some(true), Some(false)]
        );
        assert_eq!(seen.duplicates(), 1);
    }
}
