//! A row gate for hunts: the costly columns of a row are built only when someone downstream can use the
//! row, as told by its `eventName`; the columns every row needs are always built. A gated row's other
//! columns are NULL. The decoder owns the question ([`WantedNames`]); rule engines and the credential-chain
//! build answer it, so decoding knows nothing about what asks.

use std::collections::HashSet;
use std::fmt::Debug;
use std::sync::Arc;

use crate::schema::COLUMN_COUNT;

/// Which event names a reader wants whole. Called once per row, so implementations remember answers.
pub trait WantedNames: Debug + Send + Sync {
    /// Whether a row with this `eventName` (or none) gets every column.
    fn wanted(&mut self, name: Option<&str>) -> bool;
    /// A fresh copy for another decoding thread.
    fn clone_box(&self) -> Box<dyn WantedNames>;
}

/// Exactly these names (case-sensitive, as CloudTrail writes them), e.g. the events that issue credentials.
/// A row without a name cannot be ruled out, so it is wanted.
#[derive(Debug, Clone)]
pub struct NameSet(Arc<HashSet<String>>);

impl NameSet {
    /// The set of `names`.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> NameSet {
        NameSet(Arc::new(names.into_iter().map(str::to_string).collect()))
    }
}

impl WantedNames for NameSet {
    fn wanted(&mut self, name: Option<&str>) -> bool {
        name.is_none_or(|n| self.0.contains(n))
    }

    fn clone_box(&self) -> Box<dyn WantedNames> {
        Box::new(self.clone())
    }
}

/// The rows any of several sets wants: a hunt's rules, and the issuing events its credential chains read.
#[derive(Debug)]
pub struct AnyOf(pub Vec<Box<dyn WantedNames>>);

impl WantedNames for AnyOf {
    fn wanted(&mut self, name: Option<&str>) -> bool {
        self.0.iter_mut().any(|w| w.wanted(name))
    }

    fn clone_box(&self) -> Box<dyn WantedNames> {
        Box::new(AnyOf(self.0.iter().map(|w| w.clone_box()).collect()))
    }
}

/// Which rows get every column, and which columns every row gets.
#[derive(Debug)]
pub struct RowGate {
    /// The names whose rows are built whole.
    pub names: Box<dyn WantedNames>,
    /// Per events-schema column: built for every row.
    pub always: Vec<bool>,
}

impl Clone for RowGate {
    fn clone(&self) -> Self {
        RowGate {
            names: self.names.clone_box(),
            always: self.always.clone(),
        }
    }
}

impl RowGate {
    /// A gate building `always` columns for every row and the rest only for rows `names` wants.
    pub fn new(names: Box<dyn WantedNames>, always_columns: &[usize]) -> RowGate {
        let mut always = vec![false; COLUMN_COUNT];
        for &c in always_columns {
            if let Some(slot) = always.get_mut(c) {
                *slot = true;
            }
        }
        RowGate { names, always }
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, StringArray};

    use super::*;
    use crate::decode::{BatchBuilder, Provenance, decode_object};
    use crate::schema::events_schema;
    use crate::source::window::Scope;

    #[test]
    fn rows_no_rule_names_get_only_the_always_built_columns() {
        let schema = events_schema();
        let always = [schema.index_of("eventName").unwrap()];
        let gate = RowGate::new(Box::new(NameSet::new(["StopLogging"])), &always);
        let mut builder = BatchBuilder::new(None, Scope::default()).with_gate(Some(gate));
        let doc = br#"{"Records":[
            {"eventTime":"2026-03-03T10:00:00Z","eventName":"StopLogging","userAgent":"cli","x":1},
            {"eventTime":"2026-03-03T10:00:01Z","eventName":"ListBuckets","userAgent":"cli","x":2}]}"#;
        let prov = Provenance { key: "k", log: None };
        decode_object(doc.to_vec(), &prov, &mut builder, 1 << 20).unwrap();
        let batch = builder.finish().unwrap();
        let text = |name: &str| {
            let c = batch.column_by_name(name).unwrap();
            let c = c.as_any().downcast_ref::<StringArray>().unwrap().clone();
            (0..c.len())
                .map(|i| (!c.is_null(i)).then(|| c.value(i).to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            text("eventName"),
            [Some("StopLogging".into()), Some("ListBuckets".into())]
        );
        assert_eq!(text("userAgent"), [Some("cli".into()), None]);
        assert_eq!(text("extras"), [Some(r#"{"x":1}"#.into()), None]);
        assert_eq!(text("objectKey"), [Some("k".into()), Some("k".into())]);
    }
}
