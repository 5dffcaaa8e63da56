//! The `ctscan` binary: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

use ctscan::cli::args::{EXIT_FATAL, EXIT_OK};

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.to_string().contains("Broken pipe")
    })
}

fn main() -> ExitCode {
    let code = match ctscan::cmd::run() {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => EXIT_OK,
        Err(e) => {
            eprintln!("ctscan: {e:#}");
            EXIT_FATAL
        }
    };
    ExitCode::from(code as u8)
}
