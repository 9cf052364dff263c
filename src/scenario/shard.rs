//! One slice of a test run by several generators (`omnisim run --shard I/N`), cut as k6 cuts its
//! execution segments: every arrival, agent and outbound conversation has an index in the one
//! schedule the seed draws, and shard I of N runs those whose index is I modulo N. The N slices
//! are disjoint and together the whole.

use serde::{Deserialize, Serialize};

/// Shard `index` of `count` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// The most shards one test may be cut into.
pub const MAX_SHARDS: u32 = 10_000;

impl Shard {
    /// The whole test: one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Whether the item at `index` of the schedule is this shard's.
    pub fn owns(self, index: u64) -> bool {
        index % u64::from(self.count) == u64::from(self.index)
    }

    /// `I/N` with 0 ≤ I < N ≤ 10,000.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("'{text}' is not I/N with 0 <= I < N <= {MAX_SHARDS}");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count || count > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Default for Shard {
    fn default() -> Shard {
        Shard::WHOLE
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_own_disjoint_slices() {
        assert_eq!(Shard::parse("1/3"), Ok(Shard { index: 1, count: 3 }));
        for bad in ["3/3", "0/0", "x/2", "1", "-1/2", "0/10001"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let shards: Vec<Shard> = (0..3).map(|index| Shard { index, count: 3 }).collect();
        for i in 0..100u64 {
            assert_eq!(shards.iter().filter(|s| s.owns(i)).count(), 1, "{i}");
        }
        assert!((0..10).all(|i| Shard::WHOLE.owns(i)));
    }
}
