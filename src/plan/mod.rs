//! Capacity planning: the queueing models planners check staffing against.
//!
//! [`erlang`] holds Erlang B, C (M/M/N) and A (M/M/N+M), analytic and exact to floating point.

pub mod day_check;
pub mod erlang;
pub mod free_slots;
pub mod intervals;
pub mod replicate;
pub mod scenario_sweep;
pub mod simulate;
pub mod sweep;
