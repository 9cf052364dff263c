//! The message ids a server remembers to answer retries (R-SESS-3): the provider message ids a
//! channel accepted and the client message ids an agent sent. A server may forget an id once
//! its message is older than the retention period (R-SESS-10), so ids leave in the order they
//! came.
//!
//! Every accepted message adds one, so this is memory a busy server claims for each message.
//! The ids are kept in one queue in the order they came, which is also the order they leave
//! in, and the hash table holds only each id's number in that queue and a part of its hash,
//! eight bytes a slot. A table of whole entries spent its load factor's slack (up to half its
//! slots empty) on 56-byte entries, and a second queue of ids for their order besides.

use hashbrown::HashTable;
use omnisim_protocol::{ExternalId, Millis, Timestamp};
use std::collections::VecDeque;
use std::fmt;
use std::hash::BuildHasher;

/// Message ids with what they answered, forgotten once older than the retention period.
#[derive(Clone)]
pub struct Expiring<V> {
    /// Every id added and not yet forgotten, oldest first. An id added again leaves its older
    /// entry here (no slot names it) until that entry's turn to go.
    entries: VecDeque<Entry<V>>,
    /// The number of `entries`' front: entries are numbered as they come, from 0, so a slot's
    /// number still names its entry after older ones leave.
    front: u32,
    /// One slot per id, naming its newest entry.
    slots: HashTable<Slot>,
    /// Seeded per index, as the engine's other maps are, so that crafted ids cannot force
    /// collisions.
    hasher: foldhash::fast::RandomState,
}

#[derive(Clone)]
struct Entry<V> {
    hash: u32,
    id: ExternalId,
    at: Timestamp,
    value: V,
}

/// An id's place in the table: its hash, so that growing the table reads no entry, and its
/// entry's number.
#[derive(Clone, Copy)]
struct Slot {
    hash: u32,
    number: u32,
}

/// The table's 64-bit hash from a slot's 32 bits: the table picks buckets from the low bits
/// and its one-byte tags from the top ones, so both halves carry the hash.
fn table_hash(hash: u32) -> u64 {
    (u64::from(hash) << 32) | u64::from(hash)
}

/// Entry `number` of `entries`, whose front is numbered `front`.
fn entry<V>(entries: &VecDeque<Entry<V>>, front: u32, number: u32) -> &Entry<V> {
    &entries[number.wrapping_sub(front) as usize]
}

/// Whether `slot` is that of `id`, whose hash is `hash`.
fn names<V>(entries: &VecDeque<Entry<V>>, front: u32, slot: &Slot, hash: u32, id: &str) -> bool {
    slot.hash == hash && *entry(entries, front, slot.number).id == *id
}

impl<V> Default for Expiring<V> {
    fn default() -> Self {
        Expiring {
            entries: VecDeque::new(),
            front: 0,
            slots: HashTable::new(),
            hasher: Default::default(),
        }
    }
}

impl<V> Expiring<V> {
    fn hash(&self, id: &str) -> u32 {
        (self.hasher.hash_one(id) >> 32) as u32
    }

    /// Kept until it is older than the period: at the period's last millisecond it still
    /// counts (so a retry in the same instant is a retry even with a period of zero).
    fn fresh(at: Timestamp, now: Timestamp, retention: Option<Millis>) -> bool {
        retention.is_none_or(|r| at + r >= now)
    }

    fn entry(&self, number: u32) -> &Entry<V> {
        entry(&self.entries, self.front, number)
    }

    /// The slot of `id`, whose hash is `hash`.
    fn find(&self, hash: u32, id: &str) -> Option<&Slot> {
        let (entries, front) = (&self.entries, self.front);
        self.slots
            .find(table_hash(hash), |s| names(entries, front, s, hash, id))
    }

    /// The value at `id` if it came within `retention` of `now`.
    pub fn get(&self, id: &str, now: Timestamp, retention: Option<Millis>) -> Option<&V> {
        // The newest entry is the freshest: when it is stale, so is every id, and the table is
        // not probed. An agent's sends are mostly further apart than a short period, and a
        // virtual run's period is zero: each send then checked its id against a table out of
        // cache to find only stale ones.
        if !Self::fresh(self.entries.back()?.at, now, retention) {
            return None;
        }
        let slot = self.find(self.hash(id), id)?;
        let entry = self.entry(slot.number);
        Self::fresh(entry.at, now, retention).then_some(&entry.value)
    }

    /// Sets `id` to `value` as of `now`, first forgetting the ids older than `retention`.
    pub fn insert(&mut self, id: ExternalId, value: V, now: Timestamp, retention: Option<Millis>) {
        while let Some(oldest) = self.entries.front() {
            if Self::fresh(oldest.at, now, retention) {
                break;
            }
            // An id added again since keeps its slot, which names the newer entry.
            let (hash, front) = (oldest.hash, self.front);
            if let Ok(slot) = self
                .slots
                .find_entry(table_hash(hash), |s| s.hash == hash && s.number == front)
            {
                slot.remove();
            }
            self.entries.pop_front();
            self.front = self.front.wrapping_add(1);
        }
        let hash = self.hash(&id);
        // Four billion ids would take some 200 GB: memory runs out long before numbers do.
        let number = self.front.wrapping_add(self.entries.len() as u32);
        let (entries, front) = (&self.entries, self.front);
        let same_id = |s: &Slot| names(entries, front, s, hash, &id);
        match self.slots.find_mut(table_hash(hash), same_id) {
            Some(slot) => slot.number = number,
            None => {
                self.slots
                    .insert_unique(table_hash(hash), Slot { hash, number }, |s| {
                        table_hash(s.hash)
                    });
            }
        }
        self.entries.push_back(Entry {
            hash,
            id,
            at: now,
            value,
        });
    }

    /// The ids remembered, fresh or not yet forgotten.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Each id with its newest entry.
    fn ids(&self) -> impl Iterator<Item = &Entry<V>> {
        self.slots.iter().map(|s| self.entry(s.number))
    }
}

/// Equal when both remember the same ids, each from the same time with an equal value, whatever
/// their seeds and layout.
impl<V: PartialEq> PartialEq for Expiring<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.ids().all(|e| {
                other
                    .find(other.hash(&e.id), &e.id)
                    .map(|s| other.entry(s.number))
                    .is_some_and(|o| o.at == e.at && o.value == e.value)
            })
    }
}

impl<V: Eq> Eq for Expiring<V> {}

impl<V: fmt::Debug> fmt::Debug for Expiring<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.ids().map(|e| (&e.id, (e.at, &e.value))))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_forgotten_after_their_retention() {
        let mut ids = Expiring::default();
        let keep = Some(Millis(1_000));
        ids.insert("a".into(), 1, Timestamp(0), keep);
        ids.insert("b".into(), 2, Timestamp(500), keep);
        assert_eq!(
            ids.get("a", Timestamp(1_000), keep),
            Some(&1),
            "T: as old as the period"
        );
        assert_eq!(
            ids.get("a", Timestamp(1_001), keep),
            None,
            "T + 1: older, forgotten"
        );
        assert_eq!(
            ids.get("b", Timestamp(1_200), keep),
            Some(&2),
            "fresh while an older id is stale"
        );
        assert_eq!(ids.get("b", Timestamp(1_501), keep), None, "every id stale");
        ids.insert("c".into(), 3, Timestamp(1_200), keep);
        assert_eq!(ids.len(), 2, "a forgotten on the next insert");
        assert_eq!(ids.entries.len(), 2);
        assert_eq!(ids.get("b", Timestamp(1_200), keep), Some(&2));
        assert_eq!(
            ids.get("a", Timestamp(0), keep),
            None,
            "gone, not just stale"
        );
        let mut instant = Expiring::default();
        instant.insert("a".into(), 1, Timestamp(5), Some(Millis(0)));
        assert_eq!(instant.get("a", Timestamp(5), Some(Millis(0))), Some(&1));
        assert_eq!(instant.get("a", Timestamp(6), Some(Millis(0))), None);
        let mut forever = Expiring::default();
        forever.insert("a".into(), 1, Timestamp(0), None);
        forever.insert("b".into(), 2, Timestamp(u64::MAX / 2), None);
        assert_eq!(forever.get("a", Timestamp(u64::MAX / 2), None), Some(&1));
    }

    #[test]
    fn an_id_added_again_keeps_its_newer_time_when_the_older_entry_leaves() {
        let mut ids = Expiring::default();
        let keep = Some(Millis(1_000));
        ids.insert("a".into(), 1, Timestamp(0), keep);
        ids.insert("a".into(), 2, Timestamp(800), keep);
        assert_eq!(ids.len(), 1);
        assert_eq!(ids.get("a", Timestamp(800), keep), Some(&2));
        // The first entry leaves; the id stays, from its second time.
        ids.insert("b".into(), 3, Timestamp(1_500), keep);
        assert_eq!(ids.entries.len(), 2);
        assert_eq!(ids.get("a", Timestamp(1_500), keep), Some(&2));
        ids.insert("c".into(), 4, Timestamp(1_801), keep);
        assert_eq!(ids.get("a", Timestamp(1_801), keep), None);
        assert_eq!(ids.len(), 2, "b and c");
    }

    #[test]
    fn ids_are_found_across_growth_and_the_wrap_of_their_numbers() {
        // Numbers start just below the wrap, as after four billion ids.
        let mut ids = Expiring {
            front: u32::MAX - 5_000,
            ..Expiring::default()
        };
        let keep = Some(Millis(1_000));
        for i in 0..20_000u64 {
            ids.insert(format!("pm-{i}").into(), i, Timestamp(i), keep);
            // Across the wrap, the oldest fresh id and a middle one are numbered on either side.
            let oldest = i.saturating_sub(1_000);
            let now = Timestamp(i);
            assert_eq!(ids.get(&format!("pm-{oldest}"), now, keep), Some(&oldest));
            let middle = (i + oldest) / 2;
            assert_eq!(ids.get(&format!("pm-{middle}"), now, keep), Some(&middle));
        }
        assert_eq!(
            ids.len(),
            1_001,
            "ids of the last second, both ends counted"
        );
        assert_eq!(ids.entries.len(), 1_001);
        for i in 18_999..20_000u64 {
            assert_eq!(
                ids.get(&format!("pm-{i}"), Timestamp(19_999), keep),
                Some(&i)
            );
        }
        assert_eq!(ids.get("pm-18998", Timestamp(19_999), keep), None);
        assert_eq!(ids.get("pm-20000", Timestamp(19_999), keep), None);
    }

    #[test]
    fn indexes_are_equal_by_content_not_by_seed_or_order() {
        let mut a = Expiring::default();
        let mut b = Expiring::default();
        for i in 0..100u64 {
            a.insert(format!("c-{i}").into(), i, Timestamp(i), None);
            b.insert(
                format!("c-{}", 99 - i).into(),
                99 - i,
                Timestamp(99 - i),
                None,
            );
        }
        assert_eq!(a, b);
        b.insert("c-5".into(), 0, Timestamp(5), None);
        assert_ne!(a, b, "another value");
        a.insert("c-5".into(), 0, Timestamp(6), None);
        assert_ne!(a, b, "another time");
    }
}
