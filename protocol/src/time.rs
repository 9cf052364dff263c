//! Time on the wire. The engine never reads a clock: every command carries the time it happens at,
//! so the same code runs on the wall clock (network server) and on a virtual clock (simulator).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Sub};

/// A point in time, in milliseconds since an epoch chosen by the driver (the Unix epoch for the
/// network server, 0 for a virtual-time run). Serialized as a JSON integer.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

/// A span of time in milliseconds. Serialized as a JSON integer; fields holding one end in `_ms`.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct Millis(pub u64);

impl Millis {
    /// `n` seconds.
    pub const fn from_secs(n: u64) -> Millis {
        Millis(n * 1000)
    }

    /// `n` hours.
    pub const fn from_hours(n: u64) -> Millis {
        Millis(n * 3_600_000)
    }
}

impl Add<Millis> for Timestamp {
    type Output = Timestamp;
    fn add(self, rhs: Millis) -> Timestamp {
        Timestamp(self.0.saturating_add(rhs.0))
    }
}

impl Sub<Timestamp> for Timestamp {
    type Output = Millis;
    /// The time from `rhs` to `self`; zero when `rhs` is later.
    fn sub(self, rhs: Timestamp) -> Millis {
        Millis(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}ms", self.0)
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}
