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
