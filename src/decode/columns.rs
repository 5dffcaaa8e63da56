//! Arrow column builders driven by the schema tree: they take simd-json tape values of any shape and never
//! refuse a record. A value of the wrong type is normalised (`"true"` → true) or kept as text, and a member the
//! schema does not know is handed to the record's extras so nothing is lost.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, ListArray, NullBufferBuilder, StringBuilder, StructArray,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use simd_json::prelude::*;
use simd_json::tape::Value;

use super::bigint::{self, BigInts};
use super::members::Members;
use crate::schema::{Kind, Spec, field_of, time_type};

/// Where a value sits in its record, rendered to a dotted path only when a value lands in the extras.
#[derive(Clone, Copy)]
pub enum Path<'a> {
    /// A top-level member.
    Root(&'a str),
    /// A member of an object.
    Member(&'a Path<'a>, &'a str),
    /// An element of an array.
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    /// The dotted form, e.g. `userIdentity.sessionContext.foo` or `resources[2]`.
    pub fn render(&self) -> String {
        match self {
            Path::Root(name) => (*name).to_string(),
            Path::Member(parent, name) => format!("{}.{name}", parent.render()),
            Path::Index(parent, i) => format!("{}[{i}]", parent.render()),
        }
    }
}

/// Members of one record that have no column (or the wrong shape for theirs), as `(path, compact JSON)`.
#[derive(Default)]
pub struct Extras {
    entries: Vec<(String, String)>,
}

impl Extras {
    /// Records an unknown member or an unstorable value under its dotted path.
    pub fn push(&mut self, path: &Path<'_>, value: Value<'_, '_>, big: &BigInts) {
        self.entries.push((path.render(), bigint::encode(value, big)));
    }

    /// Whether the record had nothing outside the schema.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets the entries, ready for the next record.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries as one JSON object, keys in the order met.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        for (i, (k, v)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::Value::String(k.clone()).to_string());
            out.push(':');
            out.push_str(v);
        }
        out.push('}');
        out
    }
}

/// Appends a value's compact JSON text, integers beyond 64 bits with their digits as written.
fn append_json(b: &mut StringBuilder, v: Value<'_, '_>, scratch: &mut Vec<u8>, big: &BigInts) {
    scratch.clear();
    // The writer only emits valid UTF-8.
    bigint::write_json(v, big, scratch);
    b.append_value(String::from_utf8_lossy(scratch));
}

/// Parses CloudTrail's `2026-03-03T10:05:00Z` (and any RFC 3339 instant) into microseconds since the epoch.
pub fn parse_event_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
    {
        let n = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
            })
        };
        let date = chrono::NaiveDate::from_ymd_opt(n(0..4)? as i32, n(5..7)?, n(8..10)?)?;
        let t = date.and_hms_opt(n(11..13)?, n(14..16)?, n(17..19)?)?;
        return Some(t.and_utc().timestamp_micros());
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// A builder for one column or struct field of the schema tree.
pub enum Col {
    /// Text.
    Str(StringBuilder),
    /// Booleans.
    Bool(BooleanBuilder),
    /// UTC timestamps.
    Time(TimestampMicrosecondBuilder),
    /// JSON text.
    Json(StringBuilder),
    /// Known members of an object.
    Struct {
        /// Member specs, in field order.
        specs: &'static [Spec],
        /// One builder per member.
        children: Vec<Col>,
        /// Validity of the struct itself.
        nulls: NullBufferBuilder,
        /// Arrow fields of the members.
        fields: Fields,
    },
    /// An array of objects.
    List {
        /// Builder of the elements.
        item: Box<Col>,
        /// Offsets into the elements.
        offsets: Vec<i32>,
        /// Validity of each list.
        nulls: NullBufferBuilder,
        /// Arrow field of the elements.
        field: Arc<Field>,
    },
}

/// Scratch space reused across values.
#[derive(Default)]
pub struct Scratch {
    buf: Vec<u8>,
}

impl Col {
    /// A fresh builder for a spec.
    pub fn new(spec: &Spec) -> Col {
        match spec.kind {
            Kind::Str => Col::Str(StringBuilder::new()),
            Kind::Json => Col::Json(StringBuilder::new()),
            Kind::Bool => Col::Bool(BooleanBuilder::new()),
            Kind::Time => Col::Time(TimestampMicrosecondBuilder::new().with_data_type(time_type())),
            Kind::Struct(specs) => Col::new_struct(specs),
            Kind::ListOfStruct(specs) => {
                let DataType::List(field) = field_of(spec).data_type().clone() else {
                    unreachable!("a list spec makes a list field")
                };
                Col::List {
                    item: Box::new(Col::new_struct(specs)),
                    offsets: vec![0],
                    nulls: NullBufferBuilder::new(0),
                    field,
                }
            }
        }
    }

    fn new_struct(specs: &'static [Spec]) -> Col {
        Col::Struct {
            specs,
            children: specs.iter().map(Col::new).collect(),
            nulls: NullBufferBuilder::new(0),
            fields: specs.iter().map(field_of).collect(),
        }
    }

    /// Appends a null.
    pub fn append_null(&mut self) {
        match self {
            Col::Str(b) | Col::Json(b) => b.append_null(),
            Col::Bool(b) => b.append_null(),
            Col::Time(b) => b.append_null(),
            Col::Struct { children, nulls, .. } => {
                children.iter_mut().for_each(Col::append_null);
                nulls.append_null();
            }
            Col::List { offsets, nulls, .. } => {
                offsets.push(*offsets.last().unwrap_or(&0));
                nulls.append_null();
            }
        }
    }

    /// Appends a string member's text (NULL for none) to a string column; other columns get a NULL.
    pub fn append_text(&mut self, text: Option<&str>) {
        match self {
            Col::Str(b) => b.append_option(text),
            other => other.append_null(),
        }
    }

    /// Appends an event time already parsed by the caller.
    pub fn append_time(&mut self, micros: Option<i64>) {
        if let Col::Time(b) = self {
            b.append_option(micros);
        }
    }

    /// Appends a member's value; `path` names it in the extras when it cannot be stored as its type. An
    /// integer beyond 64 bits (one of `big`, held as a string of its digits) is stored as those digits: as text
    /// in a string column, as a bare number in JSON text.
    pub fn append(
        &mut self,
        v: Option<Value<'_, '_>>,
        path: &Path<'_>,
        extras: &mut Extras,
        scratch: &mut Scratch,
        big: &BigInts,
    ) {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            self.append_null();
            return;
        };
        match self {
            Col::Str(b) => match v.as_str() {
                Some(s) => b.append_value(s),
                None => append_json(b, v, &mut scratch.buf, big),
            },
            Col::Json(b) => append_json(b, v, &mut scratch.buf, big),
            Col::Bool(b) => {
                let parsed = v.as_bool().or_else(|| match v.as_str() {
                    Some(s) if s.eq_ignore_ascii_case("true") => Some(true),
                    Some(s) if s.eq_ignore_ascii_case("false") => Some(false),
                    _ => None,
                });
                if parsed.is_none() {
                    extras.push(path, v, big);
                }
                b.append_option(parsed);
            }
            Col::Time(b) => {
                let parsed = v.as_str().and_then(parse_event_time);
                if parsed.is_none() {
                    extras.push(path, v, big);
                }
                b.append_option(parsed);
            }
            Col::Struct {
                specs,
                children,
                nulls,
                ..
            } => match v.as_object() {
                Some(_) => {
                    let slots = members_of(v, specs, path, Some(extras), big);
                    for (i, child) in children.iter_mut().enumerate() {
                        let child_path = Path::Member(path, specs[i].name);
                        child.append(slots[i], &child_path, extras, scratch, big);
                    }
                    nulls.append_non_null();
                }
                None => {
                    extras.push(path, v, big);
                    self.append_null();
                }
            },
            Col::List {
                item, offsets, nulls, ..
            } => match v.as_array() {
                Some(arr) => {
                    let mut n = 0;
                    for (i, element) in arr.iter().enumerate() {
                        item.append(Some(element), &Path::Index(path, i), extras, scratch, big);
                        n += 1;
                    }
                    let last = *offsets.last().unwrap_or(&0);
                    offsets.push(last + n);
                    nulls.append_non_null();
                }
                None => {
                    extras.push(path, v, big);
                    self.append_null();
                }
            },
        }
    }

    /// [`Col::append`] building only `members` of an object (the others NULL), for a row whose extras are
    /// not kept: the members left out are not looked at.
    pub fn append_some(
        &mut self,
        v: Option<Value<'_, '_>>,
        members: &Members,
        path: &Path<'_>,
        extras: &mut Extras,
        scratch: &mut Scratch,
        big: &BigInts,
    ) {
        let (
            Members::Some(wanted),
            Col::Struct {
                specs,
                children,
                nulls,
                ..
            },
            Some(v),
        ) = (members, &mut *self, v.filter(|v| v.as_object().is_some()))
        else {
            return self.append(v, path, extras, scratch, big);
        };
        let slots = members_of(v, specs, path, None, big);
        for (i, child) in children.iter_mut().enumerate() {
            match &wanted[i] {
                Some(m) => {
                    let child_path = Path::Member(path, specs[i].name);
                    child.append_some(slots[i], m, &child_path, extras, scratch, big);
                }
                None => child.append_null(),
            }
        }
        nulls.append_non_null();
    }

    /// Finishes the column into an Arrow array, leaving the builder empty for reuse.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            Col::Str(b) | Col::Json(b) => Arc::new(b.finish()),
            Col::Bool(b) => Arc::new(b.finish()),
            Col::Time(b) => Arc::new(b.finish()),
            Col::Struct {
                children,
                nulls,
                fields,
                ..
            } => {
                let arrays: Vec<ArrayRef> = children.iter_mut().map(Col::finish).collect();
                Arc::new(StructArray::new(fields.clone(), arrays, nulls.finish()))
            }
            Col::List {
                item,
                offsets,
                nulls,
                field,
            } => {
                let values = item.finish();
                let offs = OffsetBuffer::new(std::mem::replace(offsets, vec![0]).into());
                Arc::new(ListArray::new(field.clone(), offs, values, nulls.finish()))
            }
        }
    }
}

/// The members of an object `v` that `specs` knows, by position (the first of a repeated name); the others go
/// to `extras` when given.
fn members_of<'v, 't>(
    v: Value<'v, 't>,
    specs: &[Spec],
    path: &Path<'_>,
    mut extras: Option<&mut Extras>,
    big: &BigInts,
) -> [Option<Value<'v, 't>>; 16] {
    let mut slots: [Option<Value<'v, 't>>; 16] = [None; 16];
    if let Some(obj) = v.as_object() {
        for (k, member) in obj.iter() {
            match specs.iter().position(|s| s.name == k) {
                Some(i) if slots[i].is_none() => slots[i] = Some(member),
                _ => {
                    if let Some(extras) = extras.as_deref_mut() {
                        extras.push(&Path::Member(path, k), member, big);
                    }
                }
            }
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::TimestampMicrosecondType;

    #[test]
    fn event_times() {
        assert_eq!(parse_event_time("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(
            parse_event_time("2024-07-30T21:31:10Z"),
            Some(1_722_375_070_000_000)
        );
        assert_eq!(
            parse_event_time("2024-07-30T21:31:10.5Z"),
            Some(1_722_375_070_500_000)
        );
        assert_eq!(
            parse_event_time("2024-07-30T23:31:10+02:00"),
            Some(1_722_375_070_000_000)
        );
        assert_eq!(parse_event_time("2024-02-30T21:31:10Z"), None);
        assert_eq!(parse_event_time("yesterday"), None);
    }

    #[test]
    fn wrong_types_are_normalised_or_kept() {
        let mut json = br#"{"a":"TRUE","b":7,"c":{"x":1},"d":"maybe","t":"noon"}"#.to_vec();
        let tape = simd_json::to_tape(&mut json).unwrap();
        let root = tape.as_value();
        let mut extras = Extras::default();
        let mut scratch = Scratch::default();
        let none = BigInts::default();
        let mut bool_col = Col::new(&Spec {
            name: "a",
            kind: Kind::Bool,
        });
        bool_col.append(root.get("a"), &Path::Root("a"), &mut extras, &mut scratch, &none);
        bool_col.append(root.get("d"), &Path::Root("d"), &mut extras, &mut scratch, &none);
        bool_col.append(
            root.get("missing"),
            &Path::Root("missing"),
            &mut extras,
            &mut scratch,
            &none,
        );
        let mut str_col = Col::new(&Spec {
            name: "b",
            kind: Kind::Str,
        });
        str_col.append(root.get("b"), &Path::Root("b"), &mut extras, &mut scratch, &none);
        str_col.append(root.get("c"), &Path::Root("c"), &mut extras, &mut scratch, &none);
        let mut time_col = Col::new(&Spec {
            name: "t",
            kind: Kind::Time,
        });
        time_col.append(root.get("t"), &Path::Root("t"), &mut extras, &mut scratch, &none);

        let bools = bool_col.finish();
        let bools = bools.as_boolean();
        assert!(bools.value(0));
        assert!(bools.is_null(1) && bools.is_null(2));
        let strs = str_col.finish();
        let strs = strs.as_string::<i32>();
        assert_eq!(strs.value(0), "7");
        assert_eq!(strs.value(1), r#"{"x":1}"#);
        let times = time_col.finish();
        assert!(times.as_primitive::<TimestampMicrosecondType>().is_null(0));
        assert_eq!(extras.to_json(), r#"{"d":"maybe","t":"noon"}"#);
    }
}
