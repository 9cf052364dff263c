//! Test clocks: a server may run each org on a manual clock that stands still until an admin
//! advances it, so that a conformance suite can check every timer at T − 1 ms and at T exactly
//! (protocol.md §4.7). Each org has its own clock, so cases in different orgs run at once without
//! moving each other's time.

use crate::time::{Millis, Timestamp};
use serde::{Deserialize, Serialize};

/// How a server's time passes, as `GET /v1/capabilities` declares it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ClockMode {
    /// The wall clock: timers fire as real time passes. What a server that says nothing runs on.
    #[default]
    Wall,
    /// Each org's time starts at the wall time of its creation and moves only when
    /// `POST /v1/orgs/{org}/clock` advances it; its timers fire then, in deadline order.
    Manual,
}

/// `POST /v1/orgs/{org}/clock` (admin token): move the org's manual clock forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceClock {
    /// How far, 0 to [`crate::limits::MAX_CLOCK_ADVANCE_MS`]; every timer due by then fires, up
    /// to [`crate::limits::MAX_TIMERS_PER_ADVANCE`] of them.
    #[schemars(with = "u64", range(max = crate::limits::MAX_CLOCK_ADVANCE_MS))]
    pub advance_ms: Millis,
}

/// The reply of both clock routes: the org's time now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockReading {
    pub now: Timestamp,
}
