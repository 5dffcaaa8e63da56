//! One module per subcommand.

pub mod cluster;
pub mod export;
pub mod hunt;
pub mod ls;
pub mod query;
pub mod report;
pub mod rules;
pub mod summary;
pub mod trace;
pub mod verify;
