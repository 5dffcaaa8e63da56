//! The cluster side of de-duplication: each task of a dedup hands its partition's count of folded copies
//! to the client's counter before its stream ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::arrow::array::RecordBatch;
use datafusion::error::Result;
use futures::StreamExt;
use futures::stream::BoxStream;

use super::feedback::{Message, hand_in};
use crate::events::dedup::RemoteCount;

/// A dedup planned on a cluster: its counts go to the client's counter `id` at `feedback`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDedup {
    /// The client's counter.
    pub id: u64,
    /// Where the client takes reports.
    pub feedback: String,
}

impl RemoteCount for ClusterDedup {
    fn hand_in(&self, partition: usize, count: Arc<AtomicU64>) -> BoxStream<'static, Result<RecordBatch>> {
        let dedup = self.id;
        hand_in(self.feedback.clone(), move || {
            vec![Message::Duplicates {
                dedup,
                partition,
                count: count.load(Ordering::Relaxed),
            }]
        })
        .boxed()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
