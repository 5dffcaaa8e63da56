//! ctscan: offline forensic analysis of AWS CloudTrail archives.
//!
//! Data flows from a SOURCE through [`source`] (listing, pruned by the delivery layout and the window),
//! [`events`] (parallel fetch and [`decode`] into Arrow batches of the [`schema`], duplicate deliveries
//! folded) into DataFusion, which the commands in [`cmd`] query, hunt ([`hunt`], [`sigma`]), export
//! ([`lake`]) or verify ([`verify`]). Modules are layered (see `docs/architecture.md`); [`cli`] turns the
//! command line into one run's settings, handed down as values.
//!
//! The only `unsafe` code is the call into libdeflate, in one module of [`decode`].

#![deny(unsafe_code)]

pub mod attribution;
pub mod cli;
pub mod cluster;
pub mod cmd;
pub mod decode;
pub mod events;
pub mod hunt;
pub mod incident;
pub mod input;
pub mod interned;
pub mod lake;
pub mod output;
pub mod progress;
pub mod queries;
pub mod result_batch;
pub mod schema;
pub mod sigma;
pub mod source;
pub mod spill;
pub mod text_column;
pub mod timezone;
pub mod verify;
