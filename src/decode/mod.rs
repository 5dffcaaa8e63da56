//! Decoding one object's bytes into rows of the events schema: gunzip, JSON parsing into a simd-json tape,
//! and column building, with every problem named rather than fatal.

pub mod batch;
pub mod bigint;
#[allow(unsafe_code)]
pub mod byte_classes;
pub mod columns;
pub mod document;
pub mod error;
pub mod gate;
pub mod gunzip;
#[allow(unsafe_code)]
mod libdeflate;
pub mod members;
pub mod needles;
pub mod tally;

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
    /// Its records were only counted: none could pass the reader's filter (see [`needles`]).
    pub counted_only: bool,
}

impl ObjectOutcome {
    fn defect(&mut self, message: impl FnOnce() -> String) {
        self.defects += 1;
        if self.details.len() < MAX_DETAILS {
            self.details.push(message());
        }
    }

    /// Counts one record, kept as a row or left out of the scope, and its defect if it has one.
    fn record(&mut self, index: usize, appended: Appended, windowed: bool) {
        let (kept, defect) = match appended {
            Appended::Row(d) => {
                self.rows += 1;
                (true, d)
            }
            Appended::OutOfScope(d) => {
                self.out_of_scope += 1;
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
            self.defect(|| match d {
                RecordDefect::MissingTime => format!("record {index}: no eventTime ({fate})"),
                RecordDefect::BadTime(t) => format!("record {index}: unparseable eventTime {t} ({fate})"),
            });
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
    if let Some(out) = ruled_out(&json, prov, builder) {
        return Ok(out);
    }
    let mut out = ObjectOutcome {
        json_bytes: json.len(),
        ..Default::default()
    };
    let mut index = 0usize;
    let windowed = !builder.scope().window.is_unbounded();
    document::for_each_item(&mut json, &mut |item| {
        match item {
            Item::Record(v, big) => out.record(index, builder.append(v, big, prov), windowed),
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

/// The outcome of an object none of whose rows the builder's needles can match, counted without parsing:
/// each in-scope event becomes a row holding only its time and the members that tell its copies apart, so
/// folding and counting duplicate deliveries see every event as before, while the filter drops the row.
/// `None` when its rows must be built, or when only a full parse can count them exactly.
fn ruled_out(json: &[u8], prov: &Provenance<'_>, builder: &mut BatchBuilder) -> Option<ObjectOutcome> {
    let needles = builder.needles()?;
    let scope = builder.scope();
    // Without the log's folder, the account and region of a row come from its record.
    let by_record = prov.log.is_none() && !(scope.accounts.is_empty() && scope.regions.is_empty());
    if by_record || needles.may_match(json) {
        return None;
    }
    let records = tally::delivery_records(json)?;
    let windowed = !scope.window.is_unbounded();
    let mut times = Vec::with_capacity(records.len());
    for r in &records {
        times.push(match r.time {
            tally::Member::Missing | tally::Member::Null => None,
            // An unparseable time is reported in its JSON spelling, which only the parser's encoder gives.
            tally::Member::Text(t) => Some(columns::parse_event_time(t)?),
        });
    }
    let folder = prov.log.map(|l| (l.account.as_str(), l.region.as_str()));
    let mut out = ObjectOutcome {
        json_bytes: json.len(),
        counted_only: true,
        ..Default::default()
    };
    for (index, (r, time)) in records.iter().zip(times).enumerate() {
        let defect = time.is_none().then_some(RecordDefect::MissingTime);
        let appended = if builder.keeps(time, folder) {
            builder.append_counted(time, r.event_id.text(), r.account.text(), prov);
            Appended::Row(defect)
        } else {
            Appended::OutOfScope(defect)
        };
        out.record(index, appended, windowed);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, AsArray, RecordBatch};

    use super::*;
    use crate::source::window::Scope;

    fn decode(text: &str) -> (Result<ObjectOutcome, DecodeError>, RecordBatch) {
        let mut builder = BatchBuilder::new(None, Scope::default());
        let prov = Provenance { key: "k", log: None };
        let out = decode_object(text.as_bytes().to_vec(), &prov, &mut builder, 1 << 20);
        (out, builder.finish().unwrap())
    }

    fn text(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
        let c = batch.column_by_name(name).unwrap().as_string::<i32>();
        (0..c.len())
            .map(|i| (!c.is_null(i)).then(|| c.value(i).to_string()))
            .collect()
    }

    const T: &str = r#""eventTime":"2026-03-03T10:00:00Z""#;

    #[test]
    fn integers_beyond_64_bits_keep_their_object_and_digits() {
        let doc = format!(
            r#"{{"Records":[
            {{{T},"eventName":"Big","requestParameters":{{"maxItems":18446744073709551616,"min":-9223372036854775809}},
              "responseElements":[1234567890123456789012345678901234567890],"eventVersion":18446744073709551617,
              "readOnly":-100000000000000000000,"somethingNew":{{"n":99999999999999999999}}}},
            {{{T},"eventName":"A","requestParameters":{{"maxItems":18446744073709551615,"s":"18446744073709551616"}}}},
            {{{T},"eventName":"B"}}]}}"#
        );
        let (out, batch) = decode(&doc);
        let out = out.unwrap();
        assert_eq!((out.rows, out.defects), (3, 0), "{out:?}");
        assert_eq!(
            text(&batch, "requestParameters"),
            [
                Some(r#"{"maxItems":18446744073709551616,"min":-9223372036854775809}"#.into()),
                Some(r#"{"maxItems":18446744073709551615,"s":"18446744073709551616"}"#.into()),
                None
            ]
        );
        assert_eq!(
            text(&batch, "responseElements")[0].as_deref(),
            Some("[1234567890123456789012345678901234567890]")
        );
        assert_eq!(
            text(&batch, "eventVersion")[0].as_deref(),
            Some("18446744073709551617")
        );
        assert!(batch.column_by_name("readOnly").unwrap().is_null(0));
        assert_eq!(
            text(&batch, "extras")[0].as_deref(),
            Some(r#"{"somethingNew":{"n":99999999999999999999},"readOnly":-100000000000000000000}"#)
        );
    }

    #[test]
    fn integers_beyond_64_bits_in_every_shape() {
        // JSON lines, a single pretty-printed event, a bare array, and in reported previews and times.
        let lines = format!(
            "{{{T},\"eventName\":\"A\",\"requestParameters\":{{\"n\":18446744073709551616}}}}\n{{{T},\"eventName\":\"B\"}}\n"
        );
        let (out, batch) = decode(&lines);
        assert_eq!(out.unwrap().rows, 2);
        assert_eq!(
            text(&batch, "requestParameters")[0].as_deref(),
            Some(r#"{"n":18446744073709551616}"#)
        );
        let pretty = format!("{{\n  {T},\n  \"requestParameters\": {{ \"n\": -18446744073709551616 }}\n}}");
        let (out, batch) = decode(&pretty);
        assert_eq!(out.unwrap().rows, 1);
        assert_eq!(
            text(&batch, "requestParameters")[0].as_deref(),
            Some(r#"{"n":-18446744073709551616}"#)
        );
        let (out, _) = decode(&format!(
            r#"[{{{T}}},18446744073709551616,{{"eventName":"X","eventTime":12345678901234567890123}}]"#
        ));
        let out = out.unwrap();
        assert_eq!(out.rows, 2);
        assert_eq!(
            out.details,
            [
                "record 1 is not a JSON object: 18446744073709551616 (skipped)",
                "record 2: unparseable eventTime 12345678901234567890123 (kept with a NULL eventTime)"
            ]
        );
    }

    #[test]
    fn other_number_errors_still_fail_the_object() {
        for bad in [
            r#"{"Records":[{"n":018446744073709551616}]}"#,
            r#"{"Records":[{"n":18446744073709551616x}]}"#,
            r#"{"Records":[{18446744073709551616:1}]}"#,
        ] {
            assert!(matches!(decode(bad).0, Err(DecodeError::Json(_))), "{bad}");
        }
    }
}
