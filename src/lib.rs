//! ctscan: offline forensic analysis of AWS CloudTrail archives.
//!
//! Data flows from a SOURCE through [`source`] (listing, pruned by [`layout`] and [`window`]), [`scan`]
//! (parallel fetch and [`decode`] into Arrow batches of the [`schema`]) into the DataFusion [`table`] that
//! the subcommands in [`cmd`] query.

pub mod args;
pub mod attribution;
pub mod cli;
pub mod cluster;
pub mod cmd;
pub mod decode;
pub mod dedup;
pub mod evidence;
pub mod generate;
pub mod hunting;
pub mod incident;
pub mod lake;
pub mod layout;
pub mod output;
pub mod queries;
pub mod report;
pub mod scan;
pub mod schema;
pub mod session;
pub mod sigma;
pub mod source;
pub mod table;
pub mod text_column;
pub mod timezone;
pub mod verify;
pub mod window;
