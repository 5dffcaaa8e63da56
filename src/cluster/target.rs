//! The cluster a run plans on: the `--cluster` flags, the checks made before anything is read (the
//! scheduler answers, every path is one the executors can read), and the sessions whose plans go to the
//! scheduler.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::feedback::Feedback;

/// How long the scheduler has to answer before a run gives up on it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The `--cluster` flags of `query`, `hunt` and `export`.
#[derive(Debug, Args, Clone, Default)]
pub struct ClusterArgs {
    /// Run the plan on a Ballista cluster started with `ctscan cluster`: the scheduler's df://HOST:PORT.
    #[arg(long, value_name = "df://HOST:PORT")]
    pub cluster: Option<String>,
    /// Local SOURCE, lake and --out paths are on a filesystem every executor mounts at the same path.
    #[arg(long, requires = "cluster")]
    pub shared_fs: bool,
    /// The address executors reach this machine at for their read reports (default: the address this
    /// machine reaches the scheduler from).
    #[arg(long, value_name = "HOST", requires = "cluster")]
    pub report_host: Option<String>,
}

/// A cluster a run plans on.
pub struct Target {
    scheduler: String,
    feedback: Arc<Feedback>,
}

static ACTIVE: OnceLock<Target> = OnceLock::new();

/// The cluster of this run, once a command has connected to one.
pub fn active() -> Option<&'static Target> {
    ACTIVE.get()
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

impl ClusterArgs {
    /// Connects this run to the cluster, if one is given: refuses local paths executors may not see,
    /// checks that the scheduler answers, and starts the listener for the executors' read reports.
    pub fn connect(&self, paths: &[&str]) -> anyhow::Result<()> {
        let Some(url) = &self.cluster else {
            return Ok(());
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
        let _ = ACTIVE.set(Target {
            scheduler: format!("http://{scheduler}"),
            feedback,
        });
        Ok(())
    }
}

impl Target {
    /// The listener executors send their read reports to.
    pub fn feedback(&self) -> &Feedback {
        &self.feedback
    }

    /// A session whose queries run on the cluster, with ctscan's codecs.
    #[cfg(feature = "cluster")]
    pub fn session(&self, config: SessionConfig) -> datafusion::error::Result<SessionContext> {
        use super::codec::{LogicalCodec, PhysicalCodec};
        use ballista_core::extension::{SessionConfigExt, SessionStateExt};
        use datafusion::execution::SessionStateBuilder;
        let config = config
            .with_ballista_logical_extension_codec(Arc::new(LogicalCodec::default()))
            .with_ballista_physical_extension_codec(Arc::new(PhysicalCodec::default()))
            .with_ballista_grpc_client_max_message_size(super::node::MAX_MESSAGE_BYTES as usize);
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .build()
            .upgrade_for_ballista(self.scheduler.clone())?;
        Ok(SessionContext::new_with_state(state))
    }

    /// Without the cluster feature no target is ever active.
    #[cfg(not(feature = "cluster"))]
    pub fn session(&self, config: SessionConfig) -> datafusion::error::Result<SessionContext> {
        Ok(SessionContext::new_with_config(config))
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
        let args = ClusterArgs {
            cluster: Some(format!("df://127.0.0.1:{port}")),
            ..ClusterArgs::default()
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
