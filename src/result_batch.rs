//! Command results held in memory (an inventory, a verification) turned into one Arrow batch, so they are
//! written by the same formats as query results. Each column is declared once, next to how a row gives its
//! value, so a schema and its arrays cannot drift apart.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Date32Array, Int64Array, RecordBatch, StringArray, TimestampSecondArray, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};

/// A batch built column by column over `rows`.
pub struct ResultBatch<'a, R> {
    rows: &'a [R],
    fields: Vec<Field>,
    columns: Vec<ArrayRef>,
}

impl<'a, R> ResultBatch<'a, R> {
    /// An empty batch over these rows.
    pub fn of(rows: &'a [R]) -> Self {
        ResultBatch {
            rows,
            fields: Vec::new(),
            columns: Vec::new(),
        }
    }

    fn push(mut self, field: Field, column: ArrayRef) -> Self {
        self.fields.push(field);
        self.columns.push(column);
        self
    }

    /// A text column every row has.
    pub fn text<'b>(self, name: &str, value: impl Fn(&'b R) -> &'b str) -> Self
    where
        'a: 'b,
    {
        let column = Arc::new(StringArray::from_iter_values(self.rows.iter().map(value)));
        self.push(Field::new(name, DataType::Utf8, false), column)
    }

    /// A text column some rows leave empty.
    pub fn text_or_null<'b>(self, name: &str, value: impl Fn(&'b R) -> Option<&'b str>) -> Self
    where
        'a: 'b,
    {
        let column = Arc::new(StringArray::from_iter(self.rows.iter().map(value)));
        self.push(Field::new(name, DataType::Utf8, true), column)
    }

    /// A count every row has.
    pub fn count(self, name: &str, value: impl Fn(&R) -> u64) -> Self {
        let column = Arc::new(UInt64Array::from_iter_values(self.rows.iter().map(value)));
        self.push(Field::new(name, DataType::UInt64, false), column)
    }

    /// A count some rows leave empty.
    pub fn count_or_null(self, name: &str, value: impl Fn(&R) -> Option<u64>) -> Self {
        let column = Arc::new(UInt64Array::from_iter(self.rows.iter().map(value)));
        self.push(Field::new(name, DataType::UInt64, true), column)
    }

    /// A signed integer some rows leave empty.
    pub fn int_or_null(self, name: &str, value: impl Fn(&R) -> Option<i64>) -> Self {
        let column = Arc::new(Int64Array::from_iter(self.rows.iter().map(value)));
        self.push(Field::new(name, DataType::Int64, true), column)
    }

    /// A day (days since 1970-01-01) some rows leave empty.
    pub fn day_or_null(self, name: &str, value: impl Fn(&R) -> Option<i32>) -> Self {
        let column = Arc::new(Date32Array::from_iter(self.rows.iter().map(value)));
        self.push(Field::new(name, DataType::Date32, true), column)
    }

    /// A UTC time in seconds some rows leave empty.
    pub fn time_or_null(self, name: &str, value: impl Fn(&R) -> Option<i64>) -> Self {
        let column =
            Arc::new(TimestampSecondArray::from_iter(self.rows.iter().map(value)).with_timezone("UTC"));
        let dt = DataType::Timestamp(TimeUnit::Second, Some("UTC".into()));
        self.push(Field::new(name, dt, true), column)
    }

    /// The batch.
    pub fn finish(self) -> RecordBatch {
        RecordBatch::try_new(Arc::new(Schema::new(self.fields)), self.columns)
            .expect("every column has one value per row")
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::Array;

    use super::*;

    #[test]
    fn columns_come_in_the_order_declared_with_their_nulls() {
        let rows = [("a", Some(1u64)), ("b", None)];
        let batch = ResultBatch::of(&rows)
            .text("name", |r| r.0)
            .count_or_null("n", |r| r.1)
            .finish();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.schema().field(0).name(), "name");
        assert!(!batch.schema().field(0).is_nullable());
        assert!(batch.column(1).is_null(1));
        assert!(!batch.column(1).is_null(0));
    }
}
