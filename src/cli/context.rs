//! One run's settings, resolved from the command line once and handed to every library call that needs
//! them: nothing below the commands reads process-wide state, so two runs in one process (tests, a server,
//! a library user) never share settings or results.

use std::sync::Arc;

use super::args::{GlobalArgs, ReadArgs};
use crate::cluster::Target;
use crate::events::scan::ScanConfig;
use crate::events::session::Exec;
use crate::progress::{ReportOptions, Reporter};
use crate::source::s3::S3Access;
use crate::source::window::Scope;
use crate::timezone::Zone;

/// The settings of one run.
pub struct RunContext {
    /// Worker threads for decoding and queries.
    pub threads: usize,
    /// The run's rayon pool: the parallel loops of the run (hashing, digest checks, export's decoding)
    /// work inside it, never in rayon's process-wide pool.
    pool: rayon::ThreadPool,
    /// The zone of times in tables.
    pub zone: Zone,
    /// How `s3://` SOURCEs are reached, with the clients built for them.
    pub s3: S3Access,
    /// How chatty stderr is.
    pub progress: ReportOptions,
    /// Stop at the first object that cannot be read.
    pub strict: bool,
    /// No progress and no summary on stderr.
    pub quiet: bool,
}

impl RunContext {
    /// The settings the global flags give. `with_s3` is false for cluster nodes, which read S3 the way
    /// each client's plan says rather than with their own command line's options.
    pub fn new(global: &GlobalArgs, with_s3: bool) -> anyhow::Result<RunContext> {
        let threads = global.threads()?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("ctscan-worker-{i}"))
            .build()?;
        let s3 = if with_s3 {
            S3Access::new(global.s3.options()?)
        } else {
            S3Access::default()
        };
        Ok(RunContext {
            threads,
            pool,
            zone: global.timezone,
            s3,
            progress: global.report_options(),
            strict: global.strict,
            quiet: global.quiet,
        })
    }

    /// Runs `work` inside the run's pool, so that its parallel loops use the run's threads. Call it from
    /// outside the pool (a command's own thread), never from work already running in it.
    pub fn install<R: Send>(&self, work: impl FnOnce() -> R + Send) -> R {
        self.pool.install(work)
    }

    /// A reporter for this run's stderr.
    pub fn reporter(&self) -> Reporter {
        Reporter::new(self.progress)
    }

    /// The read settings of a command that decodes objects in `scope`.
    pub fn scan_config(&self, read: &ReadArgs, scope: Scope) -> ScanConfig {
        ScanConfig {
            scope,
            max_object_bytes: read.max_object_size,
            skip_by_literals: !read.parse_all,
            strict: self.strict,
            threads: self.threads,
            s3: self.s3.clone(),
            ..ScanConfig::default()
        }
    }

    /// Where this run's plans execute: here, or on the cluster it connected to.
    pub fn exec(&self, cluster: Option<&Arc<Target>>) -> Exec {
        match cluster {
            Some(target) => Exec::remote(self.threads, target.clone()),
            None => Exec::local(self.threads),
        }
    }
}
