//! Writing results: a table for people, CSV / JSON / JSON lines for machines, streamed batch by batch
//! (the table, which needs every row to size its columns, is the one exception).
//!
//! Tables written to a terminal fit its width ([`Fit`]): the columns that hold free text give up width
//! first, cut values end with `…`, and no row takes more than one line. Tables written to a file or a
//! pipe, and every table under `--wide`, keep every value in full; the machine formats always do.
//! [`format`] writes Arrow batches, [`fit`] measures and cuts text, [`text_table`] lays tables out.

pub mod fit;
pub mod format;
pub mod text_table;

pub use fit::{Fit, clip, terminal_width, text_width, wrap};
pub use format::{csv_field, csv_line, write_batch, write_stream};
pub use text_table::{Shrink, TextTable};

use crate::timezone::Zone;

/// Output formats shared by every command that prints rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned table for a terminal.
    Table,
    /// CSV with a header row; nested values as JSON text.
    Csv,
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// The format asked for, else a table on a terminal and JSON lines otherwise.
    pub fn resolve(asked: Option<Format>, to_terminal: bool) -> Format {
        asked.unwrap_or(if to_terminal { Format::Table } else { Format::Jsonl })
    }
}

/// How a run's results look: the format, how tables fit, and the zone times are shown in. Built once
/// where a command opens its output, and handed to whatever writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// The format rows are written in.
    pub format: Format,
    /// How tables fit.
    pub fit: Fit,
    /// The zone of times in tables (machine formats stay UTC).
    pub zone: Zone,
}

impl Style {
    /// A style of `format` with every value in full, times in UTC.
    pub fn plain(format: Format) -> Style {
        Style {
            format,
            fit: Fit::default(),
            zone: Zone::Utc,
        }
    }
}
