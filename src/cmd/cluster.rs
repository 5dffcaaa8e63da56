//! `ctscan cluster`: the nodes of a Ballista cluster that runs `query`, `hunt` and `export` with
//! `--cluster`, started from this binary so that every node decodes ctscan's plans and has its functions.

use std::net::{SocketAddr, ToSocketAddrs};

use anyhow::Context;

use crate::cli::cluster::{Node, NodeArgs};
use crate::cli::context::RunContext;

fn address(text: &str, what: &str) -> anyhow::Result<SocketAddr> {
    text.to_socket_addrs()
        .with_context(|| format!("{what} {text}: give ADDR:PORT"))?
        .next()
        .with_context(|| format!("{what} {text}: the name has no address"))
}

/// Runs `ctscan cluster`.
pub fn run(args: NodeArgs, ctx: &RunContext) -> anyhow::Result<i32> {
    let threads = ctx.threads;
    #[cfg(feature = "cluster")]
    {
        use crate::cluster::node;
        let rt = crate::events::session::runtime(threads)?;
        match args.node {
            Node::Scheduler { bind } => rt.block_on(node::run_scheduler(address(&bind, "--bind")?))?,
            Node::Executor {
                scheduler,
                bind,
                grpc_port,
                external_host,
                task_slots,
                work_dir,
            } => {
                let bind = address(&bind, "--bind")?;
                rt.block_on(node::run_executor(node::ExecutorSettings {
                    scheduler: address(&scheduler, "--scheduler")?,
                    grpc_port: grpc_port.unwrap_or(bind.port().saturating_add(1)),
                    bind,
                    external_host,
                    concurrency: task_slots.unwrap_or(threads),
                    threads,
                    work_dir,
                }))?
            }
        }
        Ok(crate::cli::args::EXIT_OK)
    }
    #[cfg(not(feature = "cluster"))]
    {
        let _ = (args, threads, address);
        anyhow::bail!("this ctscan was built without the cluster feature")
    }
}
