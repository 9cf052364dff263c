//! The simulated parties' state that both drivers keep the same way. What the parties choose is
//! in [`crate::scenario::choices`]; what a customer does next is its [`customer::Journey`]; what
//! an agent is working on is the [`desk`]. The live driver steps them from socket frames and
//! timers, the virtual one from engine events and wake-ups.

pub mod customer;
pub mod desk;
