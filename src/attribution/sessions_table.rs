//! The `sessions` table: one row per credential seen in the window, registered beside `events` and built
//! (one pass over the window, see [`super::build`]) only when a query reads it.

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, Int64Builder, ListBuilder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::{MemTable, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use tokio::sync::OnceCell;

use super::build::{Sessions, build};
use super::chain::Credential;
use crate::input::Input;

fn time() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// The `sessions` schema, a constant built once.
static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let s = |n: &str| Field::new(n, DataType::Utf8, true);
    let t = |n: &str| Field::new(n, time(), true);
    Arc::new(Schema::new(vec![
        Field::new("accessKeyId", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        s("arn"),
        t("issuedAt"),
        t("expiresAt"),
        s("issuedByEventID"),
        s("roleArn"),
        s("roleSessionName"),
        s("sourceIdentity"),
        s("issuerArn"),
        s("issuerAccessKeyId"),
        s("issuerIP"),
        Field::new("originType", DataType::Utf8, false),
        s("originArn"),
        Field::new("hops", DataType::Int64, false),
        t("firstUsed"),
        t("lastUsed"),
        Field::new("calls", DataType::Int64, false),
        Field::new("accounts", list(), true),
        Field::new("regions", list(), true),
        Field::new("sourceIPs", list(), true),
    ]))
});

/// The schema of `sessions`.
pub fn sessions_schema() -> SchemaRef {
    SCHEMA.clone()
}

/// The rows of `sessions` as one batch.
pub fn sessions_batch(creds: &[Credential]) -> Result<RecordBatch> {
    let text = |f: &dyn Fn(&Credential) -> Option<String>| -> ArrayRef {
        let mut b = StringBuilder::new();
        for c in creds {
            b.append_option(f(c));
        }
        Arc::new(b.finish())
    };
    let at = |f: &dyn Fn(&Credential) -> Option<i64>| -> ArrayRef {
        let mut b = TimestampMicrosecondBuilder::new().with_timezone("UTC");
        for c in creds {
            b.append_option(f(c));
        }
        Arc::new(b.finish())
    };
    let int = |f: &dyn Fn(&Credential) -> i64| -> ArrayRef {
        let mut b = Int64Builder::new();
        for c in creds {
            b.append_value(f(c));
        }
        Arc::new(b.finish())
    };
    let set = |f: &dyn Fn(&Credential) -> Vec<String>| -> ArrayRef {
        let mut b = ListBuilder::new(StringBuilder::new());
        for c in creds {
            for s in f(c) {
                b.values().append_value(s);
            }
            b.append(true);
        }
        Arc::new(b.finish())
    };
    fn issued(c: &Credential) -> Option<&super::issuance::Issuance> {
        c.issuance.as_ref()
    }
    let columns = vec![
        text(&|c| Some(c.key.clone())),
        text(&|c| Some(c.kind.as_str().to_string())),
        text(&|c| c.arn.clone()),
        at(&|c| {
            issued(c)
                .map(|i| i.at)
                .or(c.usage.as_ref().and_then(|u| u.created))
        }),
        at(&|c| issued(c).and_then(|i| i.expires)),
        text(&|c| issued(c).map(|i| i.event_id.clone())),
        text(&|c| c.role_arn.clone()),
        text(&|c| c.session_name.clone()),
        text(&|c| c.source_identity.clone()),
        text(&|c| {
            issued(c).and_then(|i| {
                let who = &i.caller;
                who.arn
                    .clone()
                    .or_else(|| who.invoked_by.clone())
                    .or_else(|| who.principal_id.clone())
            })
        }),
        text(&|c| issued(c).and_then(|i| i.caller.key.clone())),
        text(&|c| issued(c).and_then(|i| i.ip.clone())),
        text(&|c| Some(c.origin.kind.clone())),
        text(&|c| Some(c.origin.arn.clone()).filter(|a| !a.is_empty())),
        int(&|c| i64::from(c.hops)),
        at(&|c| c.usage.as_ref().map(|u| u.first)),
        at(&|c| c.usage.as_ref().map(|u| u.last)),
        int(&|c| c.usage.as_ref().map_or(0, |u| u.calls as i64)),
        set(&|c| c.usage.iter().flat_map(|u| u.accounts.iter().cloned()).collect()),
        set(&|c| c.usage.iter().flat_map(|u| u.regions.iter().cloned()).collect()),
        set(&|c| c.usage.iter().flat_map(|u| u.ips.iter().cloned()).collect()),
    ];
    Ok(RecordBatch::try_new(sessions_schema(), columns)?)
}

/// `sessions` for `query`: built on the first scan, then kept for the rest of the run.
pub struct SessionsTable {
    source: Input,
    built: OnceCell<(Arc<MemTable>, Arc<Sessions>, RecordBatch)>,
    quiet: bool,
}

impl std::fmt::Debug for SessionsTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionsTable")
    }
}

impl SessionsTable {
    /// The table over a run's source; `quiet` keeps the build's notes off stderr.
    pub fn new(source: Input, quiet: bool) -> SessionsTable {
        SessionsTable {
            source,
            built: OnceCell::new(),
            quiet,
        }
    }

    /// Builds the table now (a query planned on a cluster sends its rows inside the plan).
    pub async fn prepare(&self) -> Result<()> {
        self.rows().await.map(|_| ())
    }

    /// The rows, once built.
    pub fn built(&self) -> Option<&RecordBatch> {
        self.built.get().map(|(_, _, batch)| batch)
    }

    async fn rows(&self) -> Result<&Arc<MemTable>> {
        let (table, _, _) = self
            .built
            .get_or_try_init(|| async {
                let sessions = build(&self.source)
                    .await
                    .map_err(|e| DataFusionError::External(e.into()))?;
                if !self.quiet {
                    for n in &sessions.notes {
                        eprintln!("ctscan: sessions: {n}");
                    }
                }
                let batch = sessions_batch(&sessions.credentials)?;
                let mem = MemTable::try_new(sessions_schema(), vec![vec![batch.clone()]])?;
                Ok::<_, DataFusionError>((Arc::new(mem), Arc::new(sessions), batch))
            })
            .await?;
        Ok(table)
    }
}

#[async_trait]
impl TableProvider for SessionsTable {
    fn schema(&self) -> SchemaRef {
        sessions_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.rows().await?.scan(state, projection, filters, limit).await
    }
}
