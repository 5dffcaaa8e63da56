//! Where a command reads events: a SOURCE opened as a raw archive or as a lake written by `ctscan export`,
//! the same way for every command that reads it more than once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::prelude::SessionContext;

use crate::decode::gate::RowGate;
use crate::events::archive_table::EventsTable;
use crate::events::remote_rows::archive_events;
use crate::events::scan::ScanConfig;
use crate::events::session::Exec;
use crate::lake::{
    self,
    lake_table::{LakeTable, scope_filter},
};
use crate::progress::Reporter;
use crate::source::window::Scope;

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
pub enum Input {
    /// A CloudTrail archive.
    Archive {
        /// The SOURCE arguments.
        sources: Vec<String>,
        /// The run's read settings (its scope is the run's window).
        config: Box<ScanConfig>,
        /// The run's reporter; only a run's first pass is counted in its summary.
        reporter: Arc<Reporter>,
        /// Where and on how many threads plans run.
        exec: Exec,
    },
    /// A lake written by `ctscan export`.
    Lake {
        /// The lake folder.
        root: PathBuf,
        /// The run's window and scope.
        scope: Scope,
        /// Where and on how many threads plans run.
        exec: Exec,
    },
}

impl Input {
    /// The lake when the one SOURCE is a lake, else the archive.
    pub fn open(sources: &[String], config: ScanConfig, reporter: Arc<Reporter>, exec: Exec) -> Input {
        match lake_source(sources) {
            Some(root) => Input::Lake {
                root: root.to_path_buf(),
                scope: config.scope.clone(),
                exec,
            },
            None => Input::Archive {
                sources: sources.to_vec(),
                config: Box::new(config),
                reporter,
                exec,
            },
        }
    }

    /// The input read the same way, answered here: an archive on a cluster is still decoded by the
    /// executors, but its rows come here (see [`Exec::answering_here`]); a lake is read here.
    pub fn answering_here(&self) -> Input {
        let mut here = self.clone();
        match &mut here {
            Input::Archive { exec, .. } | Input::Lake { exec, .. } => *exec = exec.answering_here(),
        }
        here
    }

    /// Where and on how many threads the plans over this input run.
    pub fn exec(&self) -> &Exec {
        match self {
            Input::Archive { exec, .. } | Input::Lake { exec, .. } => exec,
        }
    }

    /// A session for reading this input (see [`Exec::session`]).
    pub fn session(&self) -> anyhow::Result<SessionContext> {
        self.exec().session()
    }

    /// The run's window and scope.
    pub fn scope(&self) -> &Scope {
        match self {
            Input::Archive { config, .. } => &config.scope,
            Input::Lake { scope, .. } => scope,
        }
    }

    /// Whether filters run inside a Parquet reader (a lake) rather than a row gate (an archive).
    pub fn is_lake(&self) -> bool {
        matches!(self, Input::Lake { .. })
    }

    /// The `events` table over `scope`. On an archive, a gate builds the costly columns only for the rows
    /// it wants; a lake ignores it (filters there run inside the Parquet reader).
    pub async fn table(&self, scope: Scope, gate: Option<RowGate>) -> anyhow::Result<Arc<dyn TableProvider>> {
        match self {
            Input::Archive {
                sources,
                config,
                reporter,
                exec,
            } => {
                let config = ScanConfig {
                    scope,
                    gate,
                    ..(**config).clone()
                };
                let table = EventsTable::new(sources.clone(), config, reporter.clone());
                archive_events(exec, table, reporter)
            }
            Input::Lake { root, .. } => {
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
