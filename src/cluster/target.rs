//! The cluster a run plans on: the checks made before anything is read (the scheduler answers, every path
//! is one the executors can read), and the sessions whose plans go to the scheduler.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::feedback::Feedback;
use crate::events::session::RemotePlanner;

/// How long the scheduler has to answer before a run gives up on it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A cluster a run plans on.
pub struct Target {
    scheduler: String,
    feedback: Arc<Feedback>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("scheduler", &self.scheduler)
            .finish()
    }
}

/// Where a run asks to plan: the `--cluster` flags of `query`, `hunt` and `export`, as values.
#[derive(Debug, Clone, Default)]
pub struct ClusterChoice {
    /// The scheduler's df://HOST:PORT, when the run plans on a cluster.
    pub cluster: Option<String>,
    /// Local paths are on a filesystem every executor mounts at the same path.
    pub shared_fs: bool,
    /// The address executors reach this machine at for their read reports.
    pub report_host: Option<String>,
}

fn host_port(url: &str) -> anyhow::Result<String> {
    let rest = url
        .strip_prefix("df://")
        .with_context(|| format!("--cluster {url}: give the scheduler as df://HOST:PORT"))?;
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || !rest.contains(':') {
        bail!("--cluster {url}: give the scheduler as df://HOST:PORT");
    }
    Ok(rest.to_string())
}

impl ClusterChoice {
    /// Connects this run to the cluster, if one is given: refuses local paths executors may not see,
    /// checks that the scheduler answers, and starts the listener for the executors' read reports.
    pub fn connect(&self, paths: &[&str]) -> anyhow::Result<Option<Arc<Target>>> {
        let Some(url) = &self.cluster else {
            return Ok(None);
        };
        if cfg!(not(feature = "cluster")) {
            bail!("--cluster {url}: this ctscan was built without the cluster feature");
        }
        let scheduler = host_port(url)?;
        if !self.shared_fs
            && let Some(local) = paths.iter().find(|p| !p.starts_with("s3://"))
        {
            bail!(
                "{local} is a local path, which the executors of {url} may not see; give s3:// locations, or \
--shared-fs when every executor mounts it at the same path"
            );
        }
        let addr = scheduler
            .to_socket_addrs()
            .with_context(|| format!("cannot reach the scheduler at {scheduler}: the name does not resolve"))?
            .next()
            .with_context(|| format!("cannot reach the scheduler at {scheduler}: the name has no address"))?;
        let probe = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
            .with_context(|| format!("cannot reach the scheduler at {scheduler}"))?;
        let facing = probe.local_addr()?.ip();
        drop(probe);
        let host = self.report_host.clone().unwrap_or_else(|| facing.to_string());
        let feedback = Feedback::start(&format!("{facing}:0"), Some(&host))
            .or_else(|_| Feedback::start("0.0.0.0:0", Some(&host)))
            .context("cannot listen for the executors' read reports")?;
        Ok(Some(Arc::new(Target {
            scheduler: format!("http://{scheduler}"),
            feedback,
        })))
    }
}

impl Target {
    /// The listener executors send their read reports to.
    pub fn feedback(&self) -> &Feedback {
        &self.feedback
    }

    /// `stream` failing instead of yielding rows once tasks that had finished were run again. When an
    /// executor is lost, Ballista reruns the finished tasks whose output it held, and the later stages of
    /// a plan may then read the output of those tasks twice (a grouped count comes out doubled): a run
    /// that cannot vouch for its answer gives none. The results of a job come only after all its tasks,
    /// reruns included, have reported, so no row of a doubtful answer is written.
    pub fn guard(&self, stream: SendableRecordBatchStream) -> SendableRecordBatchStream {
        use futures::StreamExt;
        let feedback = self.feedback.clone();
        let schema = stream.schema();
        let checked = stream.map(move |batch| match feedback.rerun_objects() {
            0 => batch,
            n => Err(DataFusionError::Execution(format!(
                "an executor was lost during the query and {n} object{} of tasks that had finished were read \
again: the cluster may count their rows twice, so no answer is given; run the query again",
                if n == 1 { "" } else { "s" }
            ))),
        });
        Box::pin(RecordBatchStreamAdapter::new(schema, checked))
    }

    /// Fails when tasks that had finished were run again (see [`Target::guard`]): for a command that
    /// writes its answer only once the run is over (`what`: `hunt`, `trace`, ...), so it writes none.
    pub fn vouch(&self, what: &str) -> anyhow::Result<()> {
        match self.rerun_objects() {
            0 => Ok(()),
            n => anyhow::bail!(
                "an executor was lost during the {what} and {n} object{} of tasks that had finished were read \
again: the cluster may have counted some events twice, so nothing is written; run the {what} again",
                if n == 1 { "" } else { "s" }
            ),
        }
    }

    /// Whether tasks that had finished were run again (see [`Target::guard`]).
    pub fn rerun_objects(&self) -> u64 {
        self.feedback.rerun_objects()
    }

    /// A session whose queries run on the cluster, with ctscan's codecs.
    #[cfg(feature = "cluster")]
    pub fn session(&self, config: SessionConfig) -> datafusion::error::Result<SessionContext> {
        use super::codec::{LogicalCodec, PhysicalCodec};
        use ballista_core::extension::{SessionConfigExt, SessionStateExt};
        use datafusion::execution::SessionStateBuilder;
        let config = config
            .with_ballista_logical_extension_codec(Arc::new(LogicalCodec::client(self.feedback.clone())))
            .with_ballista_physical_extension_codec(Arc::new(PhysicalCodec::default()))
            .with_ballista_grpc_client_max_message_size(super::node::MAX_MESSAGE_BYTES as usize);
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .build()
            .upgrade_for_ballista(self.scheduler.clone())?;
        Ok(SessionContext::new_with_state(state))
    }

    /// Without the cluster feature no target is ever connected.
    #[cfg(not(feature = "cluster"))]
    pub fn session(&self, config: SessionConfig) -> datafusion::error::Result<SessionContext> {
        Ok(SessionContext::new_with_config(config))
    }
}

impl RemotePlanner for Target {
    fn session(&self, config: SessionConfig) -> datafusion::error::Result<SessionContext> {
        Target::session(self, config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheduler_is_given_as_df_host_port() {
        assert_eq!(host_port("df://10.0.0.5:50050").unwrap(), "10.0.0.5:50050");
        assert!(host_port("http://10.0.0.5:50050").is_err());
        assert!(host_port("df://10.0.0.5").is_err());
    }

    #[test]
    fn local_paths_need_shared_fs_and_a_silent_scheduler_fails_at_once() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let args = ClusterChoice {
            cluster: Some(format!("df://127.0.0.1:{port}")),
            ..ClusterChoice::default()
        };
        let err = args.connect(&["testdata/sample"]).unwrap_err().to_string();
        assert!(err.contains("--shared-fs"), "{err}");
        let err = format!("{:#}", args.connect(&["s3://bucket/AWSLogs/"]).unwrap_err());
        assert!(
            err.contains(&format!("cannot reach the scheduler at 127.0.0.1:{port}")),
            "{err}"
        );
    }
}
