//! The vectorised functions rule expressions call. Each works on a whole Arrow array per batch:
//! [`JsonValues`] reads a path inside JSON text, [`ListField`] reads a member of every element of an array
//! of structs, [`JsonText`] renders a struct or list as compact JSON, [`Match`] applies one detection item's
//! matchers, and [`FieldRef`] compares two fields. Every boolean they return is non-null, which keeps Sigma's
//! two-valued logic (`not selection` is true when a field is missing).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, BooleanBuilder, ListArray, ListBuilder, RecordBatch, StringArray,
    StringBuilder, StructArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use super::pattern::{Matcher, StrOp};

fn list_of_utf8() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// The values of a field for each row of a batch: one string, a list of strings, or nothing.
pub enum Values {
    /// One value per row (NULL: none).
    One(StringArray),
    /// Any number of values per row.
    Many(ListArray, StringArray),
    /// No values at all.
    None,
}

impl Values {
    /// Reads an argument array (Utf8 of any flavour, a list of them, or NULL).
    pub fn of(array: &ArrayRef) -> Result<Values> {
        Ok(match array.data_type() {
            DataType::Null => Values::None,
            DataType::Utf8 => Values::One(
                array
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .cloned()
                    .unwrap_or_else(|| StringArray::from(Vec::<Option<&str>>::new())),
            ),
            DataType::List(_) | DataType::LargeList(_) | DataType::ListView(_) => {
                let list = cast(array, &list_of_utf8())?;
                let list = list
                    .as_any()
                    .downcast_ref::<ListArray>()
                    .expect("cast to a list")
                    .clone();
                let values = list
                    .values()
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .expect("cast to utf8 items")
                    .clone();
                Values::Many(list, values)
            }
            _ => {
                let utf8 = cast(array, &DataType::Utf8)?;
                Values::One(
                    utf8.as_any()
                        .downcast_ref::<StringArray>()
                        .expect("cast to utf8")
                        .clone(),
                )
            }
        })
    }

    /// The values of row `i`.
    pub fn row(&self, i: usize) -> RowValues<'_> {
        match self {
            Values::One(a) => RowValues::One((!a.is_null(i)).then(|| a.value(i))),
            Values::Many(list, items) => {
                if list.is_null(i) {
                    RowValues::One(None)
                } else {
                    let offsets = list.value_offsets();
                    RowValues::Many(items, offsets[i] as usize, offsets[i + 1] as usize)
                }
            }
            Values::None => RowValues::One(None),
        }
    }
}

/// Iterator over the values of one row (NULL items of a list are skipped).
pub enum RowValues<'a> {
    /// Zero or one value.
    One(Option<&'a str>),
    /// Items `start..end` of a string array.
    Many(&'a StringArray, usize, usize),
}

impl<'a> Iterator for RowValues<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        match self {
            RowValues::One(v) => v.take(),
            RowValues::Many(a, start, end) => {
                while start < end {
                    let i = *start;
                    *start += 1;
                    if !a.is_null(i) {
                        return Some(a.value(i));
                    }
                }
                None
            }
        }
    }
}

fn arrays(args: ScalarFunctionArgs) -> Result<Vec<ArrayRef>> {
    let n = args.number_rows;
    args.args.into_iter().map(|a| a.into_array(n)).collect()
}

macro_rules! keyed {
    ($t:ty) => {
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.key == other.key
            }
        }
        impl Eq for $t {}
        impl Hash for $t {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.key.hash(state);
            }
        }
    };
}

/// `sigma_json_values(text)`: every value at a path inside a JSON-text column, through arrays (any
/// element). Strings give their text, numbers and booleans their JSON text, objects and arrays their compact
/// JSON (arrays also give each element); JSON null and absent members give nothing.
#[derive(Debug)]
pub struct JsonValues {
    key: String,
    path: Vec<String>,
    /// `"last"` with quotes, looked for before parsing: most rows do not have the member at all.
    probe: String,
    signature: Signature,
}
keyed!(JsonValues);

impl JsonValues {
    /// The path read.
    pub fn path(&self) -> &[String] {
        &self.path
    }

    /// A reader for one path (members below the column).
    pub fn new(path: Vec<String>) -> JsonValues {
        JsonValues {
            key: path.join("."),
            probe: format!("\"{}\"", path.last().map(String::as_str).unwrap_or_default()),
            path,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

fn push_leaf(v: &serde_json::Value, whole: bool, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => {
            for it in items {
                match it {
                    serde_json::Value::Object(_) => out.push(it.to_string()),
                    _ => push_leaf(it, false, out),
                }
            }
            if whole {
                out.push(v.to_string());
            }
        }
        other => out.push(other.to_string()),
    }
}

fn walk(v: &serde_json::Value, path: &[String], whole: bool, out: &mut Vec<String>) {
    match (path.split_first(), v) {
        (Some(_), serde_json::Value::Array(items)) => {
            for it in items {
                walk(it, path, whole, out);
            }
        }
        (None, v) => push_leaf(v, whole, out),
        (Some((k, rest)), serde_json::Value::Object(m)) => {
            if let Some(c) = m.get(k.as_str()) {
                walk(c, rest, whole, out);
            }
        }
        _ => {}
    }
}

/// Collects the values at `path` below `v`, descending into every element of arrays on the way; an array
/// at the end gives its elements and its own compact JSON (so `contains` can search it whole).
pub fn collect_path(v: &serde_json::Value, path: &[String], out: &mut Vec<String>) {
    walk(v, path, true, out);
}

/// Like [`collect_path`], but an array at the end gives only its elements (for counting distinct values).
pub fn collect_scalars(v: &serde_json::Value, path: &[String], out: &mut Vec<String>) {
    walk(v, path, false, out);
}

impl ScalarUDFImpl for JsonValues {
    fn name(&self) -> &str {
        "sigma_json_values"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(list_of_utf8())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let input = Values::of(&arrays(args)?[0])?;
        let Values::One(texts) = input else {
            return exec_err!("sigma_json_values reads a JSON text column");
        };
        let mut b = ListBuilder::new(StringBuilder::new());
        let mut found = Vec::new();
        for i in 0..texts.len() {
            if texts.is_null(i) || !texts.value(i).contains(&self.probe) {
                b.append_null();
                continue;
            }
            found.clear();
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(texts.value(i)) {
                collect_path(&v, &self.path, &mut found);
            }
            for f in &found {
                b.values().append_value(f);
            }
            b.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(b.finish())))
    }
}

/// `sigma_list_field(list)`: one member of every element of an array of structs (`resources.ARN`).
#[derive(Debug)]
pub struct ListField {
    key: String,
    signature: Signature,
}
keyed!(ListField);

impl ListField {
    /// The member read.
    pub fn member(&self) -> &str {
        &self.key
    }

    /// A reader for member `name`.
    pub fn new(name: String) -> ListField {
        ListField {
            key: name,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ListField {
    fn name(&self) -> &str {
        "sigma_list_field"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(list_of_utf8())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let a = &arrays(args)?[0];
        let Some(list) = a.as_any().downcast_ref::<ListArray>() else {
            return exec_err!("sigma_list_field reads a list, found {}", a.data_type());
        };
        let Some(items) = list.values().as_any().downcast_ref::<StructArray>() else {
            return exec_err!("sigma_list_field reads a list of structs");
        };
        let child = match items.column_by_name(&self.key) {
            Some(c) => cast(c, &DataType::Utf8)?,
            None => Arc::new(StringArray::new_null(items.len())),
        };
        let out = ListArray::try_new(
            Arc::new(Field::new("item", DataType::Utf8, true)),
            list.offsets().clone(),
            child,
            list.nulls().cloned(),
        )?;
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// `sigma_json_text(struct_or_list)`: the compact JSON of a nested value, so `contains` can search a whole
/// object.
#[derive(Debug)]
pub struct JsonText {
    key: String,
    signature: Signature,
}
keyed!(JsonText);

impl JsonText {
    /// The renderer.
    pub fn new() -> JsonText {
        JsonText {
            key: String::new(),
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl Default for JsonText {
    fn default() -> Self {
        JsonText::new()
    }
}

/// Compact JSON of each value of a nested array (NULL stays NULL).
pub fn nested_json(array: &ArrayRef) -> Result<StringArray> {
    let schema = Arc::new(Schema::new(vec![Field::new(
        "v",
        array.data_type().clone(),
        true,
    )]));
    let batch = RecordBatch::try_new(schema, vec![array.clone()])?;
    let mut buf = Vec::new();
    {
        let mut w = datafusion::arrow::json::LineDelimitedWriter::new(&mut buf);
        w.write(&batch)?;
        w.finish()?;
    }
    let text = String::from_utf8_lossy(&buf);
    let mut out = StringBuilder::new();
    let mut lines = text.lines();
    for i in 0..array.len() {
        let line = lines.next().unwrap_or("{}");
        match line.strip_prefix("{\"v\":").and_then(|l| l.strip_suffix('}')) {
            Some(v) if !array.is_null(i) => out.append_value(v),
            _ => out.append_null(),
        }
    }
    Ok(out.finish())
}

impl ScalarUDFImpl for JsonText {
    fn name(&self) -> &str {
        "sigma_json_text"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let a = &arrays(args)?[0];
        Ok(ColumnarValue::Array(Arc::new(nested_json(a)?)))
    }
}

/// `sigma_match(values)`: one detection item. With `all`, every value group must match; otherwise any.
/// Each group holds the alternatives one written value expands to.
#[derive(Debug)]
pub struct Match {
    key: String,
    groups: Vec<Vec<Matcher>>,
    all: bool,
    signature: Signature,
}
keyed!(Match);

impl Match {
    /// The function for one item.
    pub fn new(groups: Vec<Vec<Matcher>>, all: bool) -> Match {
        let groups = if all { groups } else { merge_regexes(groups) };
        Match {
            key: format!("{groups:?}/{all}"),
            groups,
            all,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }

    /// The matchers, one group per written value, and whether every group must match.
    pub fn parts(&self) -> (&[Vec<Matcher>], bool) {
        (&self.groups, self.all)
    }

    /// Whether a row with these values matches.
    pub fn row_matches<'a>(&self, values: impl Iterator<Item = &'a str> + Clone) -> bool {
        let group = |g: &Vec<Matcher>| g.iter().any(|m| m.matches_any(values.clone()));
        if self.all {
            self.groups.iter().all(group)
        } else {
            self.groups.iter().any(group)
        }
    }
}

impl Clone for RowValues<'_> {
    fn clone(&self) -> Self {
        match self {
            RowValues::One(v) => RowValues::One(*v),
            RowValues::Many(a, s, e) => RowValues::Many(a, *s, *e),
        }
    }
}

/// Folds the alternatives of an OR item that are regular expressions with the same flags into one regex,
/// so `userAgent|contains: [a, b, c, ...]` scans each value once instead of once per word.
fn merge_regexes(groups: Vec<Vec<Matcher>>) -> Vec<Vec<Matcher>> {
    let mut rest = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    for g in groups {
        match g.as_slice() {
            [Matcher::Regex(re, label)]
                if re.as_str().starts_with("(?i)") && !re.as_str()[4..].starts_with('^') =>
            {
                sources.push(format!("(?:{})", &re.as_str()[4..]));
                labels.push(label.clone());
            }
            _ => rest.push(g),
        }
    }
    if sources.len() > 1
        && let Ok(re) = regex::Regex::new(&format!("(?i){}", sources.join("|")))
    {
        rest.push(vec![Matcher::Regex(re, labels.join(" | "))]);
    } else {
        for (src, label) in sources.into_iter().zip(labels) {
            let re = regex::Regex::new(&format!("(?i){src}")).expect("it compiled before");
            rest.push(vec![Matcher::Regex(re, label)]);
        }
    }
    rest
}

impl ScalarUDFImpl for Match {
    fn name(&self) -> &str {
        "sigma_match"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let values = Values::of(&arrays(args)?[0])?;
        let out: BooleanArray = (0..n).map(|i| Some(self.row_matches(values.row(i)))).collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// `sigma_fieldref(a, b)`: whether a value of field `a` compares with a value of field `b`.
#[derive(Debug)]
pub struct FieldRef {
    key: String,
    op: StrOp,
    cased: bool,
    signature: Signature,
}
keyed!(FieldRef);

impl FieldRef {
    /// The comparison and its case sensitivity.
    pub fn parts(&self) -> (StrOp, bool) {
        (self.op, self.cased)
    }

    /// The comparison `op` between two fields.
    pub fn new(op: StrOp, cased: bool) -> FieldRef {
        FieldRef {
            key: format!("{op:?}/{cased}"),
            op,
            cased,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for FieldRef {
    fn name(&self) -> &str {
        "sigma_fieldref"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let a = arrays(args)?;
        let (left, right) = (Values::of(&a[0])?, Values::of(&a[1])?);
        let mut out = BooleanBuilder::with_capacity(n);
        for i in 0..n {
            let hit = right.row(i).any(|r| {
                let m = Matcher::text(self.op, r, self.cased);
                m.matches_any(left.row(i))
            });
            out.append_value(hit);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_through_arrays() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"ipPermissions":{"items":[{"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]},"toPort":22},{"toPort":443}]},
               "flag":true,"n":5,"obj":{"a":1},"nul":null}"#,
        )
        .unwrap();
        let get = |p: &str| {
            let mut out = Vec::new();
            collect_path(&v, &p.split('.').map(String::from).collect::<Vec<_>>(), &mut out);
            out
        };
        assert_eq!(
            get("ipPermissions.items.ipRanges.items.cidrIp"),
            vec!["0.0.0.0/0"]
        );
        assert_eq!(get("ipPermissions.items.toPort"), vec!["22", "443"]);
        assert_eq!(get("flag"), vec!["true"]);
        assert_eq!(get("n"), vec!["5"]);
        assert_eq!(get("obj"), vec![r#"{"a":1}"#]);
        assert!(get("nul").is_empty());
        assert!(get("missing.x").is_empty());
    }
}
