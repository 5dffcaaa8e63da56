//! Writing results: a table for people, CSV / JSON / JSON lines for machines, streamed batch by batch
//! (the table, which needs every row to size its columns, is the one exception).

use std::io::Write;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::json::{ArrayWriter, LineDelimitedWriter};
use datafusion::arrow::util::display::FormatOptions;
use datafusion::arrow::util::pretty::pretty_format_batches_with_options;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;

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

const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.fZ";
const ZONED_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.f%:z";

fn format_options() -> FormatOptions<'static> {
    FormatOptions::default()
        .with_timestamp_tz_format(Some(TIME_FORMAT))
        .with_null("")
}

/// The batch with its timestamps in the run's `--timezone`, for tables.
fn in_zone(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let zone = crate::timezone::zone();
    if zone == crate::timezone::Zone::Utc {
        return Ok(batch.clone());
    }
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        match f.data_type() {
            DataType::Timestamp(unit, Some(_)) => {
                let dt = DataType::Timestamp(*unit, Some(zone.arrow_name().into()));
                columns.push(datafusion::arrow::compute::cast(c, &dt)?);
                fields.push(Field::new(f.name(), dt, f.is_nullable()));
            }
            _ => {
                fields.push(f.as_ref().clone());
                columns.push(c.clone());
            }
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

fn is_nested(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Struct(_) | DataType::List(_) | DataType::LargeList(_) | DataType::Map(_, _)
    )
}

/// JSON text of each value of a nested column (NULL stays NULL), for formats that have no nesting.
fn nested_as_json(field: &Field, array: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    let one = Arc::new(Schema::new(vec![Field::new(
        "v",
        field.data_type().clone(),
        true,
    )]));
    let batch = RecordBatch::try_new(one, vec![array.clone()])?;
    let mut buf = Vec::new();
    {
        let mut w = LineDelimitedWriter::new(&mut buf);
        w.write(&batch)?;
        w.finish()?;
    }
    let mut out = StringBuilder::new();
    let mut lines = buf.split(|b| *b == b'\n');
    for i in 0..array.len() {
        let line = lines.next().unwrap_or_default();
        if array.is_null(i) {
            out.append_null();
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_slice(line).map_err(|e| ArrowError::JsonError(e.to_string()))?;
        out.append_value(v.get("v").map(|x| x.to_string()).unwrap_or_default());
    }
    Ok(Arc::new(out.finish()))
}

/// The batch with nested columns replaced by their JSON text.
fn flatten(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    if !batch.schema().fields().iter().any(|f| is_nested(f.data_type())) {
        return Ok(batch.clone());
    }
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        if is_nested(f.data_type()) {
            fields.push(Field::new(f.name(), DataType::Utf8, true));
            columns.push(nested_as_json(f, c)?);
        } else {
            fields.push(f.as_ref().clone());
            columns.push(c.clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// One CSV cell, quoted when it holds a separator, a quote or a line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One CSV line of text cells, for commands that write rows of their own.
pub fn csv_line(cells: &[String]) -> String {
    cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",")
}

/// Writes one batch already in memory (an inventory, a verification) in `format`.
pub fn write_batch(batch: RecordBatch, format: Format, out: &mut dyn Write) -> anyhow::Result<u64> {
    let stream = datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(
        batch.schema(),
        futures::stream::iter([Ok(batch)]),
    );
    futures::executor::block_on(write_stream(Box::pin(stream), format, out))
}

/// Writes every batch of a stream in `format`; returns the number of rows written.
pub async fn write_stream(
    mut stream: SendableRecordBatchStream,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<u64> {
    let mut rows = 0u64;
    match format {
        Format::Table => {
            let schema = stream.schema();
            let mut batches = Vec::new();
            while let Some(b) = stream.next().await {
                let b = b?;
                rows += b.num_rows() as u64;
                batches.push(in_zone(&b)?);
            }
            if batches.is_empty() {
                batches.push(RecordBatch::new_empty(schema));
            }
            let options = if crate::timezone::zone() == crate::timezone::Zone::Utc {
                format_options()
            } else {
                format_options().with_timestamp_tz_format(Some(ZONED_TIME_FORMAT))
            };
            writeln!(out, "{}", pretty_format_batches_with_options(&batches, &options)?)?;
        }
        Format::Csv => {
            let mut w = datafusion::arrow::csv::WriterBuilder::new()
                .with_timestamp_tz_format(TIME_FORMAT.to_string())
                .build(&mut *out);
            let mut wrote = false;
            while let Some(b) = stream.next().await {
                let b = flatten(&b?)?;
                rows += b.num_rows() as u64;
                w.write(&b)?;
                wrote = true;
            }
            if !wrote {
                let header = stream
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect::<Vec<_>>();
                drop(w);
                writeln!(out, "{}", header.join(","))?;
            }
        }
        Format::Json => {
            let mut w = ArrayWriter::new(&mut *out);
            while let Some(b) = stream.next().await {
                let b = b?;
                rows += b.num_rows() as u64;
                w.write(&b)?;
            }
            w.finish()?;
            drop(w);
            writeln!(out)?;
        }
        Format::Jsonl => {
            let mut w = LineDelimitedWriter::new(&mut *out);
            while let Some(b) = stream.next().await {
                let b = b?;
                rows += b.num_rows() as u64;
                w.write(&b)?;
            }
            w.finish()?;
        }
    }
    out.flush()?;
    Ok(rows)
}
