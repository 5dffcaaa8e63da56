//! Builds Arrow record batches of the events schema from decoded objects: only the projected columns are
//! built, rows outside the scope are dropped before any column work, and every row carries its provenance.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Date32Builder, RecordBatch, RecordBatchOptions, StringBuilder};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::error::ArrowError;
use simd_json::prelude::*;
use simd_json::tape::Value;

use super::bigint::{self, BigInts};
use super::columns::{Col, Extras, Path, Scratch, parse_event_time};
use super::gate::RowGate;
use super::needles::Needles;
use crate::schema::{self, COLUMN_COUNT, EXTRAS_INDEX, Kind, RECORD};
use crate::source::layout::LogKey;
use crate::source::window::Scope;

/// Index in [`RECORD`] of a top-level member name. A `match` keeps this off the hash path for the ~20
/// members every record has.
fn record_index(name: &str) -> Option<usize> {
    Some(match name {
        "eventTime" => 0,
        "eventVersion" => 1,
        "eventSource" => 2,
        "eventName" => 3,
        "awsRegion" => 4,
        "sourceIPAddress" => 5,
        "userAgent" => 6,
        "errorCode" => 7,
        "errorMessage" => 8,
        "requestID" => 9,
        "eventID" => 10,
        "eventType" => 11,
        "apiVersion" => 12,
        "readOnly" => 13,
        "managementEvent" => 14,
        "eventCategory" => 15,
        "recipientAccountId" => 16,
        "sharedEventID" => 17,
        "vpcEndpointId" => 18,
        "vpcEndpointAccountId" => 19,
        "sessionCredentialFromConsole" => 20,
        "userIdentity" => 21,
        "resources" => 22,
        "tlsDetails" => 23,
        "requestParameters" => 24,
        "responseElements" => 25,
        "additionalEventData" => 26,
        "serviceEventDetails" => 27,
        "insightDetails" => 28,
        "addendum" => 29,
        "edgeDeviceDetails" => 30,
        _ => return None,
    })
}

/// Where the rows being appended come from.
pub struct Provenance<'a> {
    /// Path or key of the object.
    pub key: &'a str,
    /// Layout position, when the object is in the delivery layout.
    pub log: Option<&'a LogKey>,
}

/// Why one record was kept with a gap, or dropped; reported against its object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordDefect {
    /// No `eventTime`: kept with a NULL time unless a window is set.
    MissingTime,
    /// `eventTime` is not an instant: kept with a NULL time (original text in extras) unless a window is set.
    BadTime(String),
}

/// What appending one record did.
pub enum Appended {
    /// The row was added.
    Row(Option<RecordDefect>),
    /// The row is outside the scope.
    OutOfScope(Option<RecordDefect>),
}

/// Accumulates rows of the events schema for a set of projected columns.
pub struct BatchBuilder {
    schema: SchemaRef,
    /// For each output column, its position among the columns built in schema order.
    order: Vec<usize>,
    /// One builder per record column; `None` when neither it nor the extras are projected.
    record_cols: Vec<Option<Col>>,
    /// Which record columns are output (the others are built only to find their members' extras).
    emitted: Vec<bool>,
    extras: Option<StringBuilder>,
    key: Option<StringBuilder>,
    account: Option<StringBuilder>,
    region: Option<StringBuilder>,
    day: Option<Date32Builder>,
    /// Whether any record column is projected (else members need not be visited at all).
    any_record_col: bool,
    scope: Scope,
    filter_rows: bool,
    rows: usize,
    row_extras: Extras,
    scratch: Scratch,
    /// With a gate, rows no rule can match get only the gate's always-built columns.
    gate: Option<RowGate>,
    needles: Option<Arc<Needles>>,
}

impl BatchBuilder {
    /// A builder for the columns in `projection` (indices into the events schema; `None` = all).
    pub fn new(projection: Option<&[usize]>, scope: Scope) -> BatchBuilder {
        let full = schema::events_schema();
        let wanted: Vec<usize> = projection.map_or_else(|| (0..COLUMN_COUNT).collect(), <[usize]>::to_vec);
        let is = |i: usize| wanted.contains(&i);
        let schema = Arc::new(
            full.project(&wanted)
                .expect("projection indices come from the events schema"),
        );
        // Columns are built in schema order; `order` maps them back to the order asked for.
        let mut sorted = wanted.clone();
        sorted.sort_unstable();
        sorted.dedup();
        let order = wanted
            .iter()
            .map(|w| {
                sorted
                    .binary_search(w)
                    .expect("every wanted index is in the sorted list")
            })
            .collect();
        // The extras must not depend on the projection: when they are asked for, every record column is
        // walked so unknown members nested in structs and lists reach them too.
        let all_cols = is(EXTRAS_INDEX);
        let record_cols: Vec<Option<Col>> = RECORD
            .iter()
            .enumerate()
            .map(|(i, spec)| (all_cols || is(i)).then(|| Col::new(spec)))
            .collect();
        let emitted = (0..RECORD.len()).map(is).collect();
        let any_record_col = record_cols.iter().any(Option::is_some);
        BatchBuilder {
            schema,
            order,
            any_record_col,
            record_cols,
            emitted,
            extras: is(EXTRAS_INDEX).then(StringBuilder::new),
            key: is(EXTRAS_INDEX + 1).then(StringBuilder::new),
            account: is(EXTRAS_INDEX + 2).then(StringBuilder::new),
            region: is(EXTRAS_INDEX + 3).then(StringBuilder::new),
            day: is(EXTRAS_INDEX + 4).then(Date32Builder::new),
            filter_rows: !scope.is_everything(),
            scope,
            rows: 0,
            row_extras: Extras::default(),
            scratch: Scratch::default(),
            gate: None,
            needles: None,
        }
    }

    /// Builds the costly columns only for rows the gate wants (see [`RowGate`]).
    pub fn with_gate(mut self, gate: Option<RowGate>) -> BatchBuilder {
        self.gate = gate;
        self
    }

    /// Skips building the rows of objects whose text holds none of a filter's literals (see [`Needles`]).
    pub fn with_needles(mut self, needles: Option<Arc<Needles>>) -> BatchBuilder {
        self.needles = needles;
        self
    }

    /// The literals an object must hold for its rows to be built.
    pub fn needles(&self) -> Option<&Needles> {
        self.needles.as_deref()
    }

    /// The schema of the batches this builder makes.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The scope rows are filtered by.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Rows appended since the last [`BatchBuilder::finish`].
    pub fn rows(&self) -> usize {
        self.rows
    }

    fn in_scope(&self, record: Value<'_, '_>, time: Option<i64>, prov: &Provenance<'_>) -> bool {
        let place = match prov.log {
            Some(log) => (Some(log.account.as_str()), Some(log.region.as_str())),
            None => (record.get_str("recipientAccountId"), record.get_str("awsRegion")),
        };
        self.place_in_scope(time, place)
    }

    fn place_in_scope(&self, time: Option<i64>, (account, region): (Option<&str>, Option<&str>)) -> bool {
        if !self.scope.window.is_unbounded() && !time.is_some_and(|t| self.scope.window.contains_micros(t)) {
            return false;
        }
        (self.scope.accounts.is_empty() || account.is_some_and(|a| self.scope.wants_account(a)))
            && (self.scope.regions.is_empty() || region.is_some_and(|r| self.scope.wants_region(r)))
    }

    /// Whether an event at `time`, in the (account, region) of its log's folder if known, is a row: what
    /// [`BatchBuilder::append`] decides, for events counted without being appended.
    pub fn keeps(&self, time: Option<i64>, folder: Option<(&str, &str)>) -> bool {
        !self.filter_rows
            || self.place_in_scope(time, folder.map_or((None, None), |(a, r)| (Some(a), Some(r))))
    }

    /// Appends one event (a JSON object) unless it is outside the scope; `big` names the integers beyond 64
    /// bits its text held (see [`bigint`]).
    pub fn append(&mut self, record: Value<'_, '_>, big: &BigInts, prov: &Provenance<'_>) -> Appended {
        let raw_time = record.get("eventTime");
        let time = raw_time.and_then(|v| v.into_string()).and_then(parse_event_time);
        let defect = match (raw_time, time) {
            (None, _) => Some(RecordDefect::MissingTime),
            (Some(v), None) if v.is_null() => Some(RecordDefect::MissingTime),
            (Some(v), None) => Some(RecordDefect::BadTime(bigint::encode(v, big))),
            _ => None,
        };
        if self.filter_rows && !self.in_scope(record, time, prov) {
            return Appended::OutOfScope(defect);
        }
        self.append_members(record, time, big);
        self.append_provenance(prov);
        self.rows += 1;
        Appended::Row(defect)
    }

    /// Appends an event counted without being parsed (see [`Needles`]): its time, `eventID` and
    /// `recipientAccountId`, every other member NULL. The filter that ruled its object out drops the row
    /// again; until then it lets duplicate deliveries be folded and counted as if it were whole.
    pub fn append_counted(
        &mut self,
        time: Option<i64>,
        event_id: Option<&str>,
        account: Option<&str>,
        prov: &Provenance<'_>,
    ) {
        for (i, col) in self.record_cols.iter_mut().enumerate() {
            let Some(col) = col else { continue };
            match RECORD[i].name {
                schema::EVENT_TIME => col.append_time(time),
                schema::EVENT_ID => col.append_text(event_id),
                schema::RECIPIENT_ACCOUNT => col.append_text(account),
                _ => col.append_null(),
            }
        }
        if let Some(b) = &mut self.extras {
            b.append_null();
        }
        self.append_provenance(prov);
        self.rows += 1;
    }

    fn append_members(&mut self, record: Value<'_, '_>, time: Option<i64>, big: &BigInts) {
        let mut want_extras = self.extras.is_some();
        if !self.any_record_col && !want_extras {
            return;
        }
        let whole = match &mut self.gate {
            None => true,
            Some(g) => g.names.wanted(record.get_str("eventName")),
        };
        let built = |gate: &Option<RowGate>, i: usize| whole || gate.as_ref().is_none_or(|g| g.always[i]);
        want_extras &= built(&self.gate, EXTRAS_INDEX);
        let mut slots: [Option<Value<'_, '_>>; RECORD.len()] = [None; RECORD.len()];
        self.row_extras.clear();
        if let Some(obj) = record.as_object() {
            for (k, v) in obj.iter() {
                match record_index(k) {
                    Some(i) if slots[i].is_none() => slots[i] = Some(v),
                    _ if want_extras => self.row_extras.push(&Path::Root(k), v, big),
                    _ => {}
                }
            }
        }
        // The time was parsed once already; an unparseable original is kept in the extras.
        if time.is_none()
            && let Some(v) = slots[0].filter(|v| !v.is_null())
        {
            self.row_extras.push(&Path::Root(RECORD[0].name), v, big);
        }
        for (i, col) in self.record_cols.iter_mut().enumerate() {
            let Some(col) = col else { continue };
            if !built(&self.gate, i) {
                col.append_null();
            } else if RECORD[i].kind == Kind::Time {
                col.append_time(time);
            } else if let Some(members) = self
                .gate
                .as_ref()
                .and_then(|g| g.members[i].as_ref())
                .filter(|_| !whole && !want_extras)
            {
                col.append_some(
                    slots[i],
                    members,
                    &Path::Root(RECORD[i].name),
                    &mut self.row_extras,
                    &mut self.scratch,
                    big,
                );
            } else {
                col.append(
                    slots[i],
                    &Path::Root(RECORD[i].name),
                    &mut self.row_extras,
                    &mut self.scratch,
                    big,
                );
            }
        }
        if let Some(b) = &mut self.extras {
            if !want_extras || self.row_extras.is_empty() {
                b.append_null();
            } else {
                b.append_value(self.row_extras.to_json());
            }
        }
    }

    fn append_provenance(&mut self, prov: &Provenance<'_>) {
        if let Some(b) = &mut self.key {
            b.append_value(prov.key);
        }
        if let Some(b) = &mut self.account {
            b.append_option(prov.log.map(|l| l.account.as_str()));
        }
        if let Some(b) = &mut self.region {
            b.append_option(prov.log.map(|l| l.region.as_str()));
        }
        if let Some(b) = &mut self.day {
            b.append_option(prov.log.map(|l| days_since_epoch(l.day)));
        }
    }

    /// Finishes the rows so far into a batch and starts over.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let mut columns: Vec<ArrayRef> = self
            .record_cols
            .iter_mut()
            .zip(&self.emitted)
            .filter_map(|(c, &emit)| c.as_mut().map(|c| (c.finish(), emit)))
            .filter_map(|(array, emit)| emit.then_some(array))
            .collect();
        for b in [
            &mut self.extras,
            &mut self.key,
            &mut self.account,
            &mut self.region,
        ]
        .into_iter()
        .flatten()
        {
            columns.push(Arc::new(b.finish()));
        }
        if let Some(b) = &mut self.day {
            columns.push(Arc::new(b.finish()));
        }
        let columns: Vec<ArrayRef> = self.order.iter().map(|&i| columns[i].clone()).collect();
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows));
        self.rows = 0;
        RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)
    }
}

/// Days since 1970-01-01, Arrow's `Date32`.
pub fn days_since_epoch(day: chrono::NaiveDate) -> i32 {
    (day - chrono::NaiveDate::default()).num_days() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_index_matches_the_schema() {
        for (i, spec) in RECORD.iter().enumerate() {
            assert_eq!(record_index(spec.name), Some(i), "{}", spec.name);
        }
        assert_eq!(record_index("somethingNew"), None);
    }

    #[test]
    fn epoch_days() {
        let d = chrono::NaiveDate::from_ymd_opt(1970, 1, 11).unwrap();
        assert_eq!(days_since_epoch(d), 10);
    }
}
