//! The hash map the engine uses everywhere: std's map with foldhash, several times faster than
//! SipHash on the short strings and integer ids the engine looks up on every command, and still
//! seeded per process so that crafted addresses cannot force collisions. The engine never iterates
//! these maps to make a decision, so their order cannot leak into behaviour.

/// A `HashMap` with foldhash's seeded fast hasher.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A `HashSet` with the same hasher.
pub type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
