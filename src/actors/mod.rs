//! The simulated parties, as state machines without I/O that both drivers step: the live one
//! from socket frames and timers, the virtual one from engine events and wake-ups. What the
//! parties choose is in [`crate::scenario::choices`]; what a customer does next is its
//! [`customer::Journey`]; what an agent does is its [`agent::Agent`], around the [`desk`] of
//! offers and conversations it is working on.

pub mod agent;
pub mod customer;
pub mod desk;
pub mod timers;
