//! Arrow batches written in a run's format: tables for people (times in the run's zone, fitted to the
//! terminal), CSV with nested values as JSON text, JSON and JSON lines.

use std::io::Write;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::json::{ArrayWriter, LineDelimitedWriter};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches_with_options;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;

use super::text_table::{Shrink, TextTable};
use super::{Format, Style};
use crate::timezone::Zone;

const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.fZ";
const ZONED_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.f%:z";

fn format_options() -> FormatOptions<'static> {
    FormatOptions::default()
        .with_timestamp_tz_format(Some(TIME_FORMAT))
        .with_null("")
}

/// The batch with its timestamps in the run's `--timezone`, for tables.
fn in_zone(batch: &RecordBatch, zone: Zone) -> Result<RecordBatch, ArrowError> {
    if zone == Zone::Utc {
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

/// Writes one batch already in memory (an inventory, a verification) in `style`.
pub fn write_batch(batch: RecordBatch, style: &Style, out: &mut dyn Write) -> anyhow::Result<u64> {
    let stream = datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(
        batch.schema(),
        futures::stream::iter([Ok(batch)]),
    );
    futures::executor::block_on(write_stream(Box::pin(stream), style, out))
}

/// Writes every batch of a stream in `style`; returns the number of rows written.
pub async fn write_stream(
    mut stream: SendableRecordBatchStream,
    style: &Style,
    out: &mut dyn Write,
) -> anyhow::Result<u64> {
    let mut rows = 0u64;
    match style.format {
        Format::Table => {
            let schema = stream.schema();
            let mut batches = Vec::new();
            while let Some(b) = stream.next().await {
                let b = b?;
                rows += b.num_rows() as u64;
                batches.push(in_zone(&b, style.zone)?);
            }
            if batches.is_empty() {
                batches.push(RecordBatch::new_empty(schema));
            }
            let options = if style.zone == Zone::Utc {
                format_options()
            } else {
                format_options().with_timestamp_tz_format(Some(ZONED_TIME_FORMAT))
            };
            match style.fit.width {
                None => writeln!(out, "{}", pretty_format_batches_with_options(&batches, &options)?)?,
                Some(width) => writeln!(out, "{}", arrow_table(&batches, &options)?.render(Some(width)))?,
            }
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

/// The preset of Arrow's pretty printer, which query results have always been drawn with.
const ASCII_PRESET: &str = "||--+-++|    ++++++";

/// Text columns (strings, nested values) give up width before times, numbers and flags.
fn shrink_of(dt: &DataType) -> Shrink {
    match dt {
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::Dictionary(_, _) => Shrink::First,
        dt if is_nested(dt) => Shrink::First,
        _ => Shrink::Last,
    }
}

/// Batches as a table of their formatted values, for a width-limited terminal.
fn arrow_table(batches: &[RecordBatch], options: &FormatOptions) -> Result<TextTable, ArrowError> {
    let schema = batches[0].schema();
    let mut t = TextTable::new(
        schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), shrink_of(f.data_type()))),
    )
    .preset(ASCII_PRESET)
    .records_when_cramped();
    for b in batches {
        let formatters = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), options))
            .collect::<Result<Vec<_>, _>>()?;
        for row in 0..b.num_rows() {
            t.add_row(
                formatters
                    .iter()
                    .map(|f| f.value(row).try_to_string())
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
    }
    Ok(t)
}
