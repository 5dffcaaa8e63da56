//! Decoding one object's bytes into rows of the events schema: gunzip, JSON parsing into a simd-json tape,
//! and column building, with every problem named rather than fatal.

pub mod batch;
pub mod columns;
pub mod document;
pub mod error;
pub mod gate;
pub mod gunzip;

pub use batch::{Appended, BatchBuilder, Provenance, RecordDefect};
pub use error::DecodeError;

use document::Item;

/// At most this many record-level problems are spelled out per object; the rest are counted.
const MAX_DETAILS: usize = 5;

/// What decoding one object produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ObjectOutcome {
    /// Rows added to the batch.
    pub rows: usize,
    /// Events dropped because they are outside the scope.
    pub out_of_scope: usize,
    /// Bytes of JSON after decompression.
    pub json_bytes: usize,
    /// Records kept with a gap or skipped, with the first few explained.
    pub defects: usize,
    /// Explanations of the first defects.
    pub details: Vec<String>,
}

impl ObjectOutcome {
    fn defect(&mut self, message: impl FnOnce() -> String) {
        self.defects += 1;
        if self.details.len() < MAX_DETAILS {
            self.details.push(message());
        }
    }
}

/// Decodes one object (gzip or plain) and appends its in-scope events to `builder`.
///
/// An `Err` means the object contributed no rows; record-level problems are in the outcome instead.
pub fn decode_object(
    raw: Vec<u8>,
    prov: &Provenance<'_>,
    builder: &mut BatchBuilder,
    max_json_bytes: u64,
) -> Result<ObjectOutcome, DecodeError> {
    let mut json = gunzip::inflate(raw, max_json_bytes)?;
    let mut out = ObjectOutcome {
        json_bytes: json.len(),
        ..Default::default()
    };
    let mut index = 0usize;
    let windowed = !builder.scope().window.is_unbounded();
    document::for_each_item(&mut json, &mut |item| {
        match item {
            Item::Record(v) => {
                let (kept, defect) = match builder.append(v, prov) {
                    Appended::Row(d) => {
                        out.rows += 1;
                        (true, d)
                    }
                    Appended::OutOfScope(d) => {
                        out.out_of_scope += 1;
                        (false, d)
                    }
                };
                if let Some(d) = defect {
                    let fate = if kept {
                        "kept with a NULL eventTime"
                    } else if windowed {
                        "skipped: cannot be placed in the time window"
                    } else {
                        "outside the scope"
                    };
                    out.defect(|| match d {
                        RecordDefect::MissingTime => format!("record {index}: no eventTime ({fate})"),
                        RecordDefect::BadTime(t) => {
                            format!("record {index}: unparseable eventTime {t} ({fate})")
                        }
                    });
                }
            }
            Item::NotObject { index: i, preview } => {
                out.defect(|| format!("record {i} is not a JSON object: {preview} (skipped)"));
            }
            Item::BadLine { line, error } => {
                out.defect(|| format!("line {line}: invalid JSON: {error} (skipped)"));
            }
        }
        index += 1;
    })?;
    Ok(out)
}
