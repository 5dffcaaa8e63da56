//! A row gate for hunts: the costly columns of a row are built only when some rule can match the row's
//! `eventName`; the columns every row needs (those of rules that look at every event) are always built.
//! A gated row's other columns are NULL, and the hunt reads the whole event again only if it reports it.

use crate::schema::COLUMN_COUNT;
use crate::sigma::name_gate::NameIndex;

/// Which rows get every column, and which columns every row gets.
#[derive(Debug, Clone)]
pub struct RowGate {
    /// The rules' name gates; a row whose name some gated rule admits is built whole.
    pub index: NameIndex,
    /// Per events-schema column: built for every row.
    pub always: Vec<bool>,
}

impl RowGate {
    /// A gate building `always` columns for every row and the rest only for rows `index` wants.
    pub fn new(index: NameIndex, always_columns: &[usize]) -> RowGate {
        let mut always = vec![false; COLUMN_COUNT];
        for &c in always_columns {
            if let Some(slot) = always.get_mut(c) {
                *slot = true;
            }
        }
        RowGate { index, always }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Array, StringArray};

    use super::*;
    use crate::decode::{BatchBuilder, Provenance, decode_object};
    use crate::schema::events_schema;
    use crate::sigma::detection::Detection;
    use crate::sigma::name_gate::NameGate;
    use crate::window::Scope;

    #[test]
    fn rows_no_rule_names_get_only_the_always_built_columns() {
        let d =
            Detection::parse(&serde_norway::from_str("s:\n  eventName: StopLogging\ncondition: s").unwrap())
                .unwrap();
        let schema = events_schema();
        let always = [schema.index_of("eventName").unwrap()];
        let gate = RowGate::new(NameIndex::new(Arc::new(vec![NameGate::of(&d)])), &always);
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
