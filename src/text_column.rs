//! Reading string columns whichever way Arrow holds them: decoded archives give `Utf8`, Parquet readers
//! may give `Utf8View`.

use datafusion::arrow::array::{Array, AsArray, GenericStringArray, StringViewArray};
use datafusion::error::{DataFusionError, Result};

/// A string column of either representation.
#[derive(Debug, Clone, Copy)]
pub enum TextColumn<'a> {
    /// `Utf8`.
    Plain(&'a GenericStringArray<i32>),
    /// `Utf8View`.
    View(&'a StringViewArray),
    /// A column of NULLs (`DataType::Null`), as a projection of an absent field gives.
    Nulls,
}

impl<'a> TextColumn<'a> {
    /// The column as text, or an error naming its type.
    pub fn of(a: &'a dyn Array) -> Result<TextColumn<'a>> {
        if let Some(s) = a.as_string_opt::<i32>() {
            return Ok(TextColumn::Plain(s));
        }
        if let Some(s) = a.as_string_view_opt() {
            return Ok(TextColumn::View(s));
        }
        if a.null_count() == a.len() {
            return Ok(TextColumn::Nulls);
        }
        Err(DataFusionError::Internal(format!(
            "expected a text column, found {}",
            a.data_type()
        )))
    }

    /// Row `i`, `None` when NULL; an empty string counts as absent too.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let v = match self {
            TextColumn::Plain(s) => s.is_valid(i).then(|| s.value(i)),
            TextColumn::View(s) => s.is_valid(i).then(|| s.value(i)),
            TextColumn::Nulls => None,
        };
        v.filter(|v| !v.is_empty())
    }
}
