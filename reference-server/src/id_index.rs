//! A map keyed by strings that clients choose, such as addresses, for indexes that grow with
//! every client for as long as a run lasts (the harness's history checker knows its customers by
//! address this way).
//!
//! A hash map rehashes every key each time it grows, and these keys are strings scattered over
//! the heap: with a hundred thousand sessions behind it, growing such an index meant reading
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

#[cfg(test)]
mod tests {
    use super::*;

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
