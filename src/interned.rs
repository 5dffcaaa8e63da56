//! Strings a run meets many times (object keys, group values, event names) held once each and known by a
//! small number, so that per-event state stores four bytes instead of a string.

use std::collections::HashMap;
use std::sync::Arc;

/// Each string held once, numbered in the order first met.
#[derive(Debug, Default)]
pub struct Interned {
    ids: HashMap<Arc<str>, u32>,
    texts: Vec<Arc<str>>,
}

impl Interned {
    /// The number of `text`, numbering it if it is new.
    pub fn id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.texts.len() as u32;
        let text: Arc<str> = Arc::from(text);
        self.texts.push(text.clone());
        self.ids.insert(text, id);
        id
    }

    /// The number of `text`, if it was met.
    pub fn get(&self, text: &str) -> Option<u32> {
        self.ids.get(text).copied()
    }

    /// The string numbered `id`.
    pub fn text(&self, id: u32) -> Option<&Arc<str>> {
        self.texts.get(id as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_keeps_the_number_it_was_first_given() {
        let mut i = Interned::default();
        assert_eq!((i.id("b"), i.id("a"), i.id("b")), (0, 1, 0));
        assert_eq!(i.get("a"), Some(1));
        assert_eq!(i.get("c"), None);
        assert_eq!(i.text(0).map(|t| &**t), Some("b"));
        assert_eq!(i.text(2), None);
    }
}
