//! A cluster's nodes started from the ctscan binary: Ballista's scheduler and executor, with ctscan's
//! codecs and every function `query` has, so that whatever a client can plan, the nodes can decode and
//! run.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::execution::SessionState;
use datafusion::execution::registry::FunctionRegistry;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::codec::{LogicalCodec, PhysicalCodec};
use super::worker::Worker;

/// Largest plan or result message a node takes: a raw archive's object list travels inside its plan
/// (about 250 bytes an object).
pub const MAX_MESSAGE_BYTES: u32 = 1 << 30;
/// Seconds between an executor's heartbeats.
const HEARTBEAT_SECS: u64 = 5;
/// Seconds without a heartbeat after which the scheduler gives an executor up and reruns its tasks.
const EXECUTOR_TIMEOUT_SECS: u64 = 20;

/// A scheduler's session: Ballista's defaults with ctscan's functions.
fn scheduler_session(config: SessionConfig) -> datafusion::common::Result<SessionState> {
    let mut state = default_session_builder(config)?;
    datafusion_functions_json::register_all(&mut state)?;
    Ok(state)
}

/// Every function a query can name, for executors to resolve plans against.
fn executor_functions() -> anyhow::Result<BallistaFunctionRegistry> {
    let mut registry = BallistaFunctionRegistry::default();
    let mut ctx = SessionContext::new();
    datafusion_functions_json::register_all(&mut ctx)?;
    for name in ctx.udfs() {
        registry.scalar_functions.insert(name.clone(), ctx.udf(&name)?);
    }
    Ok(registry)
}

/// Runs a scheduler on `bind` until the process is stopped.
pub async fn run_scheduler(bind: SocketAddr) -> anyhow::Result<()> {
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        external_host: bind.ip().to_string(),
        executor_timeout_seconds: EXECUTOR_TIMEOUT_SECS,
        expire_dead_executor_interval_seconds: HEARTBEAT_SECS,
        grpc_server_max_decoding_message_size: MAX_MESSAGE_BYTES,
        grpc_server_max_encoding_message_size: MAX_MESSAGE_BYTES,
        grpc_client_max_message_size: MAX_MESSAGE_BYTES,
        override_session_builder: Some(Arc::new(scheduler_session)),
        override_logical_codec: Some(Arc::new(LogicalCodec::default())),
        override_physical_codec: Some(Arc::new(PhysicalCodec::default())),
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .context("cannot set up the scheduler's state")?;
    // Bound here first, so a port in use fails with its address before anything else starts.
    drop(std::net::TcpListener::bind(bind).with_context(|| format!("cannot listen on {bind}"))?);
    eprintln!("ctscan: scheduler listening on {bind}");
    start_server(cluster, bind, Arc::new(config))
        .await
        .with_context(|| format!("the scheduler on {bind} stopped"))
}

/// Where an executor listens and whom it serves.
#[derive(Debug, Clone)]
pub struct ExecutorSettings {
    /// The scheduler to register with.
    pub scheduler: SocketAddr,
    /// Where Arrow Flight serves task results to other executors and clients.
    pub bind: SocketAddr,
    /// The executor's gRPC port (on the same address).
    pub grpc_port: u16,
    /// Name other nodes reach this executor by (default: the bind address).
    pub external_host: Option<String>,
    /// Tasks run at once.
    pub concurrency: usize,
    /// Threads a task decodes and encodes on.
    pub threads: usize,
    /// Where shuffle files go (default: a temporary folder).
    pub work_dir: Option<String>,
}

/// Runs an executor until the process is stopped.
pub async fn run_executor(s: ExecutorSettings) -> anyhow::Result<()> {
    let host = s.external_host.clone().unwrap_or_else(|| s.bind.ip().to_string());
    let config = ExecutorProcessConfig {
        executor_id: format!("{host}:{}", s.bind.port()),
        bind_host: s.bind.ip().to_string(),
        external_host: Some(host),
        port: s.bind.port(),
        grpc_port: s.grpc_port,
        scheduler_host: s.scheduler.ip().to_string(),
        scheduler_port: s.scheduler.port(),
        scheduler_connect_timeout_seconds: 10,
        vcores: s.concurrency,
        work_dir: s.work_dir.clone(),
        executor_heartbeat_interval_seconds: HEARTBEAT_SECS,
        grpc_max_decoding_message_size: MAX_MESSAGE_BYTES,
        grpc_max_encoding_message_size: MAX_MESSAGE_BYTES,
        override_function_registry: Some(Arc::new(executor_functions()?)),
        override_logical_codec: Some(Arc::new(LogicalCodec::default())),
        override_physical_codec: Some(Arc::new(PhysicalCodec::executor(Worker::new(s.threads)))),
        ..ExecutorProcessConfig::default()
    };
    eprintln!(
        "ctscan: executor {} serving on {} for the scheduler at {}",
        config.executor_id, s.bind, s.scheduler
    );
    start_executor_process(Arc::new(config))
        .await
        .with_context(|| format!("the executor on {} stopped", s.bind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executors_know_the_json_functions() {
        let registry = executor_functions().unwrap();
        for name in ["json_get_str", "json_as_text", "json_contains"] {
            assert!(registry.scalar_functions.contains_key(name), "{name}");
        }
    }
}
