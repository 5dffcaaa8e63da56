//! Matched rows back into CloudTrail events: the JSON a responder recognises, with the JSON-text columns
//! as objects again, unknown members (`extras`) restored, and the provenance kept aside.

use chrono::{DateTime, SecondsFormat};
use datafusion::arrow::array::{Array, RecordBatch, TimestampMicrosecondArray};
use datafusion::arrow::json::LineDelimitedWriter;
use serde_json::{Map, Value};

use super::error::SigmaError;
use crate::schema::{
    EVENT_TIME, EXTRAS, Kind, OBJECT_ACCOUNT, OBJECT_DAY, OBJECT_KEY, OBJECT_REGION, RECORD,
};

/// One matched event.
#[derive(Debug, Clone)]
pub struct EventRow {
    /// The CloudTrail record.
    pub event: Value,
    /// The object (path or key) it came from.
    pub object: Option<String>,
    /// Event time in microseconds since the epoch.
    pub time: Option<i64>,
}

/// Formats microseconds since the epoch as CloudTrail writes times.
pub fn format_time(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

fn reparse(v: &mut Value) {
    if let Value::String(s) = v
        && let Ok(parsed) = serde_json::from_str::<Value>(s)
    {
        *v = parsed;
    }
}

/// Rebuilds the events of a batch of the events schema (any subset of its columns).
pub fn rows(batch: &RecordBatch) -> Result<Vec<EventRow>, SigmaError> {
    let mut buf = Vec::new();
    {
        let mut w = LineDelimitedWriter::new(&mut buf);
        w.write(batch)?;
        w.finish()?;
    }
    let times = batch
        .column_by_name(EVENT_TIME)
        .and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>().cloned());
    let mut out = Vec::with_capacity(batch.num_rows());
    for (i, line) in buf.split(|b| *b == b'\n').take(batch.num_rows()).enumerate() {
        let mut m: Map<String, Value> =
            serde_json::from_slice(line).map_err(|e| SigmaError::Invalid(format!("event row: {e}")))?;
        for spec in RECORD {
            if spec.kind == Kind::Json
                && let Some(v) = m.get_mut(spec.name)
            {
                reparse(v);
            }
        }
        if let Some(Value::Object(ui)) = m.get_mut("userIdentity") {
            if let Some(v) = ui.get_mut("inScopeOf") {
                reparse(v);
            }
            if let Some(Value::Object(sc)) = ui.get_mut("sessionContext")
                && let Some(v) = sc.get_mut("webIdFederationData")
            {
                reparse(v);
            }
        }
        if let Some(Value::String(extras)) = m.remove(EXTRAS)
            && let Ok(Value::Object(extra)) = serde_json::from_str::<Value>(&extras)
        {
            for (k, v) in extra {
                m.entry(k).or_insert(v);
            }
        }
        let object = match m.remove(OBJECT_KEY) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        for k in [OBJECT_ACCOUNT, OBJECT_REGION, OBJECT_DAY] {
            m.remove(k);
        }
        let time = times.as_ref().filter(|t| !t.is_null(i)).map(|t| t.value(i));
        if let Some(t) = time {
            m.insert(EVENT_TIME.into(), Value::String(format_time(t)));
        }
        out.push(EventRow {
            event: Value::Object(m),
            object,
            time,
        });
    }
    Ok(out)
}
