//! Events as DataFusion reads them from an archive: the parallel [`scan`] of objects into batches, the
//! [`archive_table`] that streams them as the `events` table, the [`dedup`] that counts each event once, and
//! the DataFusion [`session`] settings every command shares.

pub mod archive_table;
pub mod copy_choice;
pub mod dedup;
pub mod literals;
pub mod remote_rows;
pub mod scan;
pub mod session;
