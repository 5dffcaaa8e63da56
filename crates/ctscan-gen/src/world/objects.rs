//! The delivery objects the plan lays out ([`super::plan`]), and how actors that act at given moments put
//! their events into objects that exist: each object covers one account, region and 5-minute window and
//! holds a fixed number of records, so an event fits where an object of its account and region has room
//! left in a window near the moment wanted. Regions outside the organization's (a scanner's sweeps, a
//! planted launch) get objects of their own ([`Outside`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

/// Length of one delivery window, in seconds.
pub const WINDOW: i64 = 300;

/// Benign records the stolen instance makes in the window of the theft.
pub const COVER_CALLS: usize = 4;

/// One delivery object to write.
#[derive(Debug, Clone, Default)]
pub struct FilePlan {
    /// Account index.
    pub a: usize,
    /// Region index.
    pub r: usize,
    /// Start of the 5-minute window its background records fall in.
    pub slot: DateTime<Utc>,
    /// Benign records in it (episode records included).
    pub count: usize,
    /// Episode records it carries.
    pub episodes: Vec<Value>,
    /// Whether it carries the stolen instance's own calls around the theft.
    pub cover: bool,
    /// Planted records it carries (beyond `count`).
    pub attacks: Vec<Value>,
}

impl FilePlan {
    /// Benign records it still holds for background calls.
    pub fn room(&self) -> usize {
        let cover = if self.cover { COVER_CALLS } else { 0 };
        self.count.saturating_sub(self.episodes.len() + cover)
    }

    /// When its window ends.
    pub fn end(&self) -> DateTime<Utc> {
        self.slot + Duration::seconds(WINDOW)
    }
}

/// An object of a region outside the organization's regions: its records are all it holds.
#[derive(Debug, Clone)]
pub struct Outside {
    /// Account index.
    pub a: usize,
    /// The region's name.
    pub region: String,
    /// Its records, in time order.
    pub records: Vec<Value>,
    /// How many of them are planted (the rest are benign and count in `--events`).
    pub planted: usize,
}

/// The objects of each account and region in window order, to find room near a moment.
#[derive(Debug, Default)]
pub struct Slots {
    cells: BTreeMap<(usize, usize), Vec<usize>>,
}

impl Slots {
    /// The index of `files`.
    pub fn new(files: &[FilePlan]) -> Slots {
        let mut cells: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
        for (i, f) in files.iter().enumerate() {
            cells.entry((f.a, f.r)).or_default().push(i);
        }
        for list in cells.values_mut() {
            list.sort_by_key(|&i| (files[i].slot, i));
        }
        Slots { cells }
    }

    /// The objects of account `a` in region `r`, in window order.
    pub fn cell(&self, a: usize, r: usize) -> &[usize] {
        self.cells.get(&(a, r)).map_or(&[], Vec::as_slice)
    }

    /// The objects of account `a`, region `r` whose windows start in `[from, to)` with room for `need`
    /// more records, in window order.
    pub fn within(
        &self,
        files: &[FilePlan],
        (a, r): (usize, usize),
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        need: usize,
    ) -> Vec<usize> {
        let list = self.cell(a, r);
        let first = list.partition_point(|&i| files[i].slot < from);
        list[first..]
            .iter()
            .copied()
            .take_while(|&i| files[i].slot < to)
            .filter(|&i| files[i].room() >= need)
            .collect()
    }

    /// The object of account `a`, region `r` with room for `need` more records whose window starts
    /// closest to `near`, no further than `reach` from it.
    pub fn nearest(
        &self,
        files: &[FilePlan],
        cell: (usize, usize),
        near: DateTime<Utc>,
        reach: Duration,
        need: usize,
    ) -> Option<usize> {
        self.within(files, cell, near - reach, near + reach, need)
            .into_iter()
            .min_by_key(|&i| ((files[i].slot - near).num_seconds().abs(), i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(a: usize, r: usize, minutes: i64, count: usize) -> FilePlan {
        FilePlan {
            a,
            r,
            slot: DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(minutes),
            count,
            ..FilePlan::default()
        }
    }

    #[test]
    fn room_is_found_near_the_moment_in_the_right_cell() {
        let files = vec![
            file(0, 0, 30, 10),
            file(0, 0, 10, 10),
            file(0, 1, 20, 10),
            file(0, 0, 20, 1),
        ];
        let slots = Slots::new(&files);
        assert_eq!(slots.cell(0, 0), &[1, 3, 0]);
        let at = DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(21);
        assert_eq!(slots.nearest(&files, (0, 0), at, Duration::hours(1), 1), Some(3));
        assert_eq!(slots.nearest(&files, (0, 0), at, Duration::hours(1), 2), Some(0));
        assert_eq!(slots.nearest(&files, (0, 0), at, Duration::minutes(5), 2), None);
        assert_eq!(slots.nearest(&files, (1, 0), at, Duration::hours(1), 1), None);
    }
}
