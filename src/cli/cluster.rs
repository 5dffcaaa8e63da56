//! The command line of `ctscan cluster`.

use clap::{Args, Subcommand};

/// The `cluster` subcommand.
#[derive(Debug, Args)]
pub struct NodeArgs {
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
        task_slots: Option<usize>,
        /// Where tasks write their shuffle files (default: a temporary folder).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<String>,
    },
}
