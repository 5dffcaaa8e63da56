//! Which copy of a duplicated event a run keeps, whatever the thread timing. Folding keeps the first copy
//! a scan meets, and which object's rows reach a scan first depends on its threads, so two runs could
//! keep, and name, different copies. A first read of the window learns, for every event, the object
//! whose key sorts first among those holding a copy; once it is done only the events found in more than
//! one object are remembered (usually few), and later reads of the same window keep their chosen copy.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use datafusion::arrow::array::{Array, BooleanArray};
use datafusion::error::{DataFusionError, Result};

use super::dedup::{SHARDS, SeenEvents, digest, rows_by_shard};
use crate::interned::Interned;
use crate::text_column::TextColumn;

/// What a dedup does with a [`CopyChoice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceMode {
    /// Fold as usual (first copy met) and note every copy's object.
    Learn,
    /// Keep the copy in the object learned for each event (events never learned: the first copy met).
    Keep,
}

/// Where an event's copies are, in 32 bits: the object that sorts first (the low 31), and whether another
/// object holds one too (the top bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held(u32);

impl Held {
    const ELSEWHERE: u32 = 1 << 31;

    fn object(self) -> u32 {
        self.0 & !Held::ELSEWHERE
    }

    fn elsewhere(self) -> bool {
        self.0 & Held::ELSEWHERE != 0
    }

    fn new(object: u32, elsewhere: bool) -> Held {
        Held(object & !Held::ELSEWHERE | if elsewhere { Held::ELSEWHERE } else { 0 })
    }
}

/// The object id of a row that has none.
const NO_OBJECT: u32 = u32::MAX >> 1;

/// The part of a digest a shard's map keys on: 96 bits above the 6 that chose the shard (102 bits in all
/// tell events apart). A learning read holds one map entry per event of the window: a (`u128`, [`Held`])
/// entry is padded to 32 bytes, this one takes 16.
fn halves(d: u128) -> [u32; 3] {
    const _: () = assert!(SHARDS == 1 << 6, "the shard is chosen by a digest's low 6 bits");
    let d = d >> 6;
    [(d >> 64) as u32, (d >> 32) as u32, d as u32]
}

/// For every event of a window: the object holding its copy that sorts first.
#[derive(Debug)]
pub struct CopyChoice {
    shards: Vec<Mutex<HashMap<[u32; 3], Held>>>,
    /// Read by every decoding thread at once; written only when an object is met for the first time.
    objects: RwLock<Interned>,
    /// The scan that learns (its number plus one; 0 before any).
    learner: AtomicU32,
}

impl Default for CopyChoice {
    fn default() -> Self {
        CopyChoice {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            objects: RwLock::default(),
            learner: AtomicU32::new(0),
        }
    }
}

impl CopyChoice {
    /// The object id of each row (`None` for rows without an object key).
    fn object_ids(&self, objects: &TextColumn, rows: usize) -> Vec<Option<u32>> {
        // A batch holds the rows of few objects: look each one up once.
        let mut last: Option<(&str, u32)> = None;
        (0..rows)
            .map(|i| {
                let key = objects.get(i)?;
                match last {
                    Some((k, id)) if k == key => Some(id),
                    _ => {
                        let known = self.objects.read().unwrap_or_else(|e| e.into_inner()).get(key);
                        let id = known.unwrap_or_else(|| {
                            self.objects.write().unwrap_or_else(|e| e.into_inner()).id(key)
                        });
                        last = Some((key, id));
                        Some(id)
                    }
                }
            })
            .collect()
    }

    /// Notes the object of each row as a holder of its event's copy; the key that sorts first wins.
    /// Returns, for each row, whether it is the first copy of its event met (rows without a digest always
    /// are), so a learning read folds copies with this map alone and holds no second set of every event.
    /// One scan learns (`scan`, [`crate::events::dedup::SeenEvents::scan`]): a second would find every
    /// event already met.
    pub fn learn(&self, digests: &[Option<u128>], objects: &dyn Array, scan: u16) -> Result<Vec<bool>> {
        let learner = u32::from(scan) + 1;
        match self
            .learner
            .compare_exchange(0, learner, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => {}
            Err(now) if now == learner => {}
            Err(_) => {
                return Err(DataFusionError::Internal(
                    "a choice of copies learns from one scan".into(),
                ));
            }
        }
        let objects = TextColumn::of(objects)?;
        let ids = self.object_ids(&objects, digests.len());
        let names = self.objects.read().unwrap_or_else(|e| e.into_inner());
        let mut first = vec![true; digests.len()];
        for (shard, rows) in self.shards.iter().zip(rows_by_shard(digests)) {
            if rows.is_empty() {
                continue;
            }
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            for i in rows {
                let Some(d) = digests[i] else {
                    continue;
                };
                // A row without an object key still folds; it is never the copy to name.
                let id = ids[i].filter(|&id| id < NO_OBJECT).unwrap_or(NO_OBJECT);
                match shard.entry(halves(d)) {
                    Entry::Vacant(slot) => {
                        slot.insert(Held::new(id, false));
                    }
                    Entry::Occupied(mut slot) => {
                        first[i] = false;
                        let held = slot.get_mut();
                        let object = held.object();
                        if object != id {
                            let sorts_first = object == NO_OBJECT
                                || (id != NO_OBJECT && names.text(id) < names.text(object));
                            *held = Held::new(if sorts_first { id } else { object }, true);
                        }
                    }
                }
            }
        }
        Ok(first)
    }

    /// Ends the learning: forgets the events held by one object only, whose first copy met is the only
    /// one there is (copies inside one object are met in the object's order).
    pub fn settle(&self) {
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            shard.retain(|_, held| held.elsewhere());
            shard.shrink_to_fit();
        }
    }

    /// The object holding the copy of an event that sorts first, for an event found in more than one object
    /// (after [`CopyChoice::settle`]): a read that folded copies as they came names this one instead, so
    /// every run names the same copy.
    pub fn chosen_object(&self, event_id: &str, account: &str) -> Option<Arc<str>> {
        let d = digest(event_id, account);
        let held = *self.shards[(d as usize) % SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&halves(d))?;
        let objects = self.objects.read().unwrap_or_else(|e| e.into_inner());
        objects.text(held.object()).cloned()
    }

    /// Events found in more than one object (after [`CopyChoice::settle`]).
    pub fn duplicated(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    /// For each row, whether it is the copy to keep: the first row a scan meets from its event's chosen
    /// object. Rows of events never learned (and rows without an id) are kept as `seen` decides: the
    /// first copy met.
    pub fn keep(
        &self,
        digests: &[Option<u128>],
        objects: &dyn Array,
        seen: &SeenEvents,
    ) -> Result<BooleanArray> {
        let objects = TextColumn::of(objects)?;
        let ids = self.object_ids(&objects, digests.len());
        // Per row: whether it is in its event's chosen object (`None`: the event was never learned).
        let mut chosen: Vec<Option<bool>> = vec![None; digests.len()];
        for (shard, rows) in self.shards.iter().zip(rows_by_shard(digests)) {
            if rows.is_empty() {
                continue;
            }
            let shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            for i in rows {
                if let Some(d) = digests[i] {
                    chosen[i] = shard
                        .get(&halves(d))
                        .map(|held| held.object() == ids[i].unwrap_or(NO_OBJECT));
                }
            }
        }
        // Of the rows from the chosen object (or of an event never learned), the first the scan meets.
        let candidates: Vec<Option<u128>> = digests
            .iter()
            .zip(&chosen)
            .map(|(d, c)| if *c == Some(false) { None } else { *d })
            .collect();
        let first = seen.first_of(&candidates);
        let keep: Vec<bool> = chosen
            .iter()
            .zip(first)
            .zip(digests)
            .map(|((c, f), d)| d.is_none() || (*c != Some(false) && f))
            .collect();
        Ok(seen.counting(keep))
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::StringArray;

    use super::*;

    fn digests(ids: &[&str]) -> Vec<Option<u128>> {
        let ids = StringArray::from(ids.to_vec());
        let accounts = StringArray::from(vec!["111122223333"; ids.len()]);
        SeenEvents::digests(&ids, &accounts).unwrap()
    }

    #[test]
    fn the_copy_in_the_object_that_sorts_first_is_kept_whatever_the_order_met() {
        let copies = [
            ("e1", "b/x.json.gz"),
            ("e1", "a/x.json.gz"),
            ("e2", "b/x.json.gz"),
        ];
        let mut kept = Vec::new();
        for order in [[0, 1, 2], [1, 2, 0], [2, 0, 1]] {
            let rows: Vec<(&str, &str)> = order.iter().map(|&i| copies[i]).collect();
            let ids: Vec<&str> = rows.iter().map(|r| r.0).collect();
            let objects = StringArray::from(rows.iter().map(|r| r.1).collect::<Vec<_>>());
            let choice = CopyChoice::default();
            // Learned one row at a time, as batches of separate objects would arrive: the first copy met
            // of each event is first, whichever object it is in.
            let firsts: Vec<bool> = (0..rows.len())
                .map(|i| {
                    choice
                        .learn(&digests(&ids[i..=i]), &objects.slice(i, 1), 1)
                        .unwrap()[0]
                })
                .collect();
            let first_e1 = rows.iter().position(|r| r.0 == "e1").unwrap();
            for (i, f) in firsts.iter().enumerate() {
                assert_eq!(*f, rows[i].0 == "e2" || i == first_e1, "{rows:?}");
            }
            choice.settle();
            // Only e1 is in two objects.
            assert_eq!(choice.duplicated(), 1);
            let seen = SeenEvents::default();
            let keep = choice.keep(&digests(&ids), &objects, &seen).unwrap();
            let mut this: Vec<(&str, &str)> = (0..rows.len())
                .filter(|&i| keep.value(i))
                .map(|i| rows[i])
                .collect();
            this.sort();
            kept.push(this);
            assert_eq!(seen.duplicates(), 1);
        }
        assert_eq!(kept[0], vec![("e1", "a/x.json.gz"), ("e2", "b/x.json.gz")]);
        assert!(kept.iter().all(|k| *k == kept[0]), "{kept:?}");
    }

    #[test]
    fn the_chosen_object_of_a_duplicated_event_is_the_one_that_sorts_first() {
        let choice = CopyChoice::default();
        for (id, object) in [("e1", "b"), ("e2", "b"), ("e1", "a"), ("e1", "c")] {
            choice
                .learn(&digests(&[id]), &StringArray::from(vec![object]), 1)
                .unwrap();
        }
        choice.settle();
        assert_eq!(choice.chosen_object("e1", "111122223333").as_deref(), Some("a"));
        // One copy only, another account, an unknown event: nothing to rename.
        assert_eq!(choice.chosen_object("e2", "111122223333"), None);
        assert_eq!(choice.chosen_object("e1", "999999999999"), None);
        assert_eq!(choice.chosen_object("e9", "111122223333"), None);
    }

    #[test]
    fn a_scan_keeps_one_row_of_the_chosen_object_and_the_first_copy_of_events_never_learned() {
        let choice = CopyChoice::default();
        choice
            .learn(&digests(&["e1"]), &StringArray::from(vec!["a"]), 1)
            .unwrap();
        let seen = SeenEvents::default();
        // e1 twice in its chosen object (a record delivered twice in one file), e3 never learned.
        let ids = ["e1", "e1", "e3", "e3"];
        let objects = StringArray::from(vec!["a", "a", "z", "y"]);
        let keep = choice.keep(&digests(&ids), &objects, &seen).unwrap();
        assert_eq!(
            keep.iter().collect::<Vec<_>>(),
            vec![Some(true), Some(false), Some(true), Some(false)]
        );
        // Another scan of the same run keeps the same rows.
        let again = choice
            .keep(&digests(&ids), &objects, &SeenEvents::default())
            .unwrap();
        assert_eq!(keep, again);
    }

    #[test]
    fn rows_without_an_object_key_fold_and_are_never_lost() {
        let choice = CopyChoice::default();
        let ids = ["e1", "e1", "e2", "e2"];
        let objects = StringArray::from(vec![None, None, None, Some("b")]);
        let first = choice.learn(&digests(&ids), &objects, 1).unwrap();
        assert_eq!(first, vec![true, false, true, false]);
        // One scan learns: a second could only find every event already met.
        assert!(choice.learn(&digests(&ids), &objects, 2).is_err());
        choice.settle();
        // e2 is named by the copy that has an object; e1 has none to name.
        assert_eq!(choice.chosen_object("e2", "111122223333").as_deref(), Some("b"));
        assert_eq!(choice.chosen_object("e1", "111122223333"), None);
        let keep = choice
            .keep(&digests(&ids), &objects, &SeenEvents::default())
            .unwrap();
        assert_eq!(
            keep.iter().collect::<Vec<_>>(),
            vec![Some(true), Some(false), Some(false), Some(true)]
        );
    }
}
