//! A set of ids in a compressed bitmap, for what the engine must remember of every session it
//! ever had: which were forgotten after their retention (R-SESS-10), read back as expired rather
//! than absent. Ids come from one counter, so the ids an org forgets are runs of nearby numbers,
//! a bit or two each in a bitmap, where a hash set spends 9 to 18 bytes on every one and a run of
//! millions of sessions holds hundreds of megabytes of them.

use roaring::RoaringTreemap;
use std::marker::PhantomData;

/// Ids of one kind (`T`, e.g. `SessionId`).
#[derive(Clone, Debug)]
pub struct IdSet<T> {
    ids: RoaringTreemap,
    kind: PhantomData<T>,
}

impl<T> Default for IdSet<T> {
    fn default() -> Self {
        IdSet {
            ids: RoaringTreemap::new(),
            kind: PhantomData,
        }
    }
}

impl<T: Into<u64>> IdSet<T> {
    pub fn insert(&mut self, id: T) {
        self.ids.insert(id.into());
    }

    pub fn contains(&self, id: T) -> bool {
        self.ids.contains(id.into())
    }
}

impl<T> PartialEq for IdSet<T> {
    fn eq(&self, other: &Self) -> bool {
        self.ids == other.ids
    }
}

impl<T> Eq for IdSet<T> {}

#[cfg(test)]
mod tests {
    use super::*;
    use omnisim_protocol::SessionId;

    #[test]
    fn holds_what_was_inserted_and_nothing_else() {
        let mut set = IdSet::default();
        for id in (1..200_000).step_by(3) {
            set.insert(SessionId(id));
        }
        set.insert(SessionId(u64::MAX));
        assert!(set.contains(SessionId(1)) && set.contains(SessionId(199_999)));
        assert!(!set.contains(SessionId(2)) && !set.contains(SessionId(0)));
        assert!(set.contains(SessionId(u64::MAX)));
        assert_eq!(
            (0..200_001).filter(|&i| set.contains(SessionId(i))).count(),
            66_667
        );
    }
}
