//! The indexes keyed by strings that clients choose: the provider message ids a channel accepted
//! and the client message ids an agent sent (R-SESS-3), and a channel's users by address
//! (R-CHAN-2). The rules make them grow with every message or user for as long as the platform
//! runs. (The harness's history checker knows its customers' addresses the same way.)
//!
//! A hash map rehashes every key each time it grows, and these keys are strings scattered over
//! the heap: with a hundred thousand sessions behind it, growing a channel's index meant reading
//! six hundred thousand cold strings. Here each entry keeps its key's hash, so growing never reads
//! a key, and a lookup compares text only when the whole hash matches.

use hashbrown::HashTable;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;

/// A map from a client-chosen id to `V`, each entry holding its id's hash.
#[derive(Clone)]
pub struct IdIndex<V> {
    table: HashTable<Entry<V>>,
    /// Seeded per index, as the engine's other maps are, so that crafted ids cannot force
    /// collisions.
    hasher: foldhash::fast::RandomState,
}

#[derive(Clone)]
struct Entry<V> {
    hash: u64,
    id: Arc<str>,
    value: V,
}

impl<V> Default for IdIndex<V> {
    fn default() -> Self {
        IdIndex {
            table: HashTable::new(),
            hasher: Default::default(),
        }
    }
}

impl<V> IdIndex<V> {
    fn hash(&self, id: &str) -> u64 {
        self.hasher.hash_one(id)
    }

    /// The value at `id`, if any.
    pub fn get(&self, id: &str) -> Option<&V> {
        let hash = self.hash(id);
        self.table
            .find(hash, |e| e.hash == hash && *e.id == *id)
            .map(|e| &e.value)
    }

    /// Sets `id` to `value`, returning the value it replaced.
    pub fn insert(&mut self, id: Arc<str>, value: V) -> Option<V> {
        let hash = self.hash(&id);
        if let Some(e) = self.table.find_mut(hash, |e| e.hash == hash && e.id == id) {
            return Some(std::mem::replace(&mut e.value, value));
        }
        self.table
            .insert_unique(hash, Entry { hash, id, value }, |e| e.hash);
        None
    }

    /// Removes `id`, returning its value.
    pub fn remove(&mut self, id: &str) -> Option<V> {
        let hash = self.hash(id);
        let entry = self
            .table
            .find_entry(hash, |e| e.hash == hash && *e.id == *id)
            .ok()?;
        Some(entry.remove().0.value)
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

/// Equal when both hold the same ids with equal values, whatever their seeds and layout.
impl<V: PartialEq> PartialEq for IdIndex<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .table
                .iter()
                .all(|e| other.get(&e.id) == Some(&e.value))
    }
}

impl<V: Eq> Eq for IdIndex<V> {}

impl<V: fmt::Debug> fmt::Debug for IdIndex<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.table.iter().map(|e| (&e.id, &e.value)))
            .finish()
    }
}

/// An [`IdIndex`] of message ids a server may forget once they are older than its retention
/// period (R-SESS-10): each id keeps when it came, older ones read as absent, and adding one
/// forgets those gone stale, oldest first, so that the index holds one retention period's ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expiring<V> {
    index: IdIndex<(omnisim_protocol::Timestamp, V)>,
    /// Ids in the order they came, while a retention period is set.
    order: std::collections::VecDeque<(omnisim_protocol::Timestamp, Arc<str>)>,
}

impl<V> Default for Expiring<V> {
    fn default() -> Self {
        Expiring {
            index: IdIndex::default(),
            order: Default::default(),
        }
    }
}

impl<V> Expiring<V> {
    fn fresh(
        at: omnisim_protocol::Timestamp,
        now: omnisim_protocol::Timestamp,
        retention: Option<omnisim_protocol::Millis>,
    ) -> bool {
        // Kept until it is older than the period: at the period's last millisecond it still
        // counts (so a retry in the same instant is a retry even with a period of zero).
        retention.is_none_or(|r| at + r >= now)
    }

    /// The value at `id` if it came within `retention` of `now`.
    pub fn get(
        &self,
        id: &str,
        now: omnisim_protocol::Timestamp,
        retention: Option<omnisim_protocol::Millis>,
    ) -> Option<&V> {
        self.index
            .get(id)
            .filter(|(at, _)| Self::fresh(*at, now, retention))
            .map(|(_, v)| v)
    }

    /// Sets `id` to `value` as of `now`, first forgetting the ids older than `retention`.
    pub fn insert(
        &mut self,
        id: Arc<str>,
        value: V,
        now: omnisim_protocol::Timestamp,
        retention: Option<omnisim_protocol::Millis>,
    ) {
        if retention.is_some() {
            while let Some((at, old)) = self.order.front() {
                if Self::fresh(*at, now, retention) {
                    break;
                }
                // A later insert of the same id keeps its own, newer time.
                if self.index.get(old).is_some_and(|(t, _)| t == at) {
                    self.index.remove(old);
                }
                self.order.pop_front();
            }
            self.order.push_back((now, id.clone()));
        }
        self.index.insert(id, (now, value));
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiring_ids_are_forgotten_after_their_retention() {
        use omnisim_protocol::{Millis, Timestamp};
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
        ids.insert("c".into(), 3, Timestamp(1_200), keep);
        assert_eq!(ids.len(), 2, "a forgotten on the next insert");
        assert_eq!(ids.get("b", Timestamp(1_200), keep), Some(&2));
        let mut forever = Expiring::default();
        forever.insert("a".into(), 1, Timestamp(0), None);
        assert_eq!(forever.get("a", Timestamp(u64::MAX / 2), None), Some(&1));
        assert!(
            forever.order.is_empty(),
            "no order kept without a retention"
        );
    }

    #[test]
    fn ids_find_their_values_across_growth_and_replacement() {
        let mut index = IdIndex::default();
        for i in 0..10_000u32 {
            assert_eq!(index.insert(format!("pm-{i}").into(), i), None);
        }
        assert_eq!(index.len(), 10_000);
        for i in (0..10_000u32).step_by(7) {
            assert_eq!(index.get(&format!("pm-{i}")), Some(&i));
        }
        assert_eq!(index.get("pm-10000"), None);
        assert_eq!(index.insert("pm-3".into(), 42), Some(3));
        assert_eq!(index.get("pm-3"), Some(&42));
        assert_eq!(index.len(), 10_000);
    }

    #[test]
    fn indexes_are_equal_by_content_not_by_seed_or_order() {
        let mut a = IdIndex::default();
        let mut b = IdIndex::default();
        for i in 0..100u32 {
            a.insert(format!("c-{i}").into(), i);
            b.insert(format!("c-{}", 99 - i).into(), 99 - i);
        }
        assert_eq!(a, b);
        b.insert("c-5".into(), 0);
        assert_ne!(a, b);
    }
}
