//! `ctscan cluster`: the nodes of a Ballista cluster that runs `query`, `hunt` and `export` with
//! `--cluster`, started from this binary so that every node decodes ctscan's plans and has its functions.

use std::net::{SocketAddr, ToSocketAddrs};

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::args::GlobalArgs;

/// The `cluster` subcommand.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    #[command(subcommand)]
    pub node: Node,
}

/// Which node to run.
#[derive(Debug, Subcommand)]
pub enum Node {
    /// The scheduler: takes plans from clients and hands their tasks to executors.
    Scheduler {
        /// Address and port clients and executors reach the scheduler at.
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:50050")]
        bind: String,
    },
    /// An executor: runs tasks and serves their results over Arrow Flight.
    Executor {
        /// The scheduler to register with.
        #[arg(long, value_name = "ADDR:PORT")]
        scheduler: String,
        /// Address and port of the executor's Arrow Flight service.
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:50051")]
        bind: String,
        /// Port of the executor's gRPC service, on the same address (default: the Flight port + 1).
        #[arg(long, value_name = "PORT")]
        grpc_port: Option<u16>,
        /// The name other nodes reach this executor by, when it differs from --bind's address.
        #[arg(long, value_name = "HOST")]
        external_host: Option<String>,
        /// Tasks run at once (default: the number of cores).
        #[arg(long, value_name = "N")]
        concurrency: Option<usize>,
        /// Where tasks write their shuffle files (default: a temporary folder).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<String>,
    },
}

fn address(text: &str, what: &str) -> anyhow::Result<SocketAddr> {
    text.to_socket_addrs()
        .with_context(|| format!("{what} {text}: give ADDR:PORT"))?
        .next()
        .with_context(|| format!("{what} {text}: the name has no address"))
}

/// Runs `ctscan cluster`.
pub fn run(args: ClusterArgs, global: &GlobalArgs) -> anyhow::Result<i32> {
    let threads = global.init_threads()?;
    #[cfg(feature = "cluster")]
    {
        use crate::cluster::node;
        let rt = crate::session::runtime(threads)?;
        match args.node {
            Node::Scheduler { bind } => rt.block_on(node::run_scheduler(address(&bind, "--bind")?))?,
            Node::Executor {
                scheduler,
                bind,
                grpc_port,
                external_host,
                concurrency,
                work_dir,
            } => {
                let bind = address(&bind, "--bind")?;
                rt.block_on(node::run_executor(node::ExecutorSettings {
                    scheduler: address(&scheduler, "--scheduler")?,
                    grpc_port: grpc_port.unwrap_or(bind.port().saturating_add(1)),
                    bind,
                    external_host,
                    concurrency: concurrency.unwrap_or(threads),
                    work_dir,
                }))?
            }
        }
        Ok(crate::args::EXIT_OK)
    }
    #[cfg(not(feature = "cluster"))]
    {
        let _ = (args, threads, address);
        anyhow::bail!("this ctscan was built without the cluster feature")
    }
}
