//! End-to-end tests: they run the real `ctscan` and `ctscan-gen` binaries on real files.

mod attribution;
mod bad_input;
mod cluster;
mod export;
mod formats;
mod generator;
mod hunt;
mod ls;
mod query;
mod realdata;
mod report;
mod rules;
mod s3;
mod s3_server;
mod util;
mod verify;
