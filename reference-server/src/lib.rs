//! The omnisim reference messaging platform. [`engine`] is the sans-IO state machine that
//! implements every rule of the platform; the network server and the virtual-time simulator drive
//! it. [`routing`] holds the indexes the routing algorithm runs on.

pub mod engine;
pub mod fast_map;
pub mod routing;

pub use engine::{Applied, Command, Engine, OrgCommand, Reply};
