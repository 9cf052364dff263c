//! The omnisim reference messaging platform. [`engine`] is the sans-IO state machine that
//! implements every rule of the platform; the network server and the virtual-time simulator drive
//! it. [`routing`] holds the indexes the routing algorithm runs on; [`server`] is the HTTP and
//! WebSocket server around the engine.

pub mod chunked_vec;
pub mod engine;
pub mod expiring;
pub mod fast_map;
pub mod faults;
pub mod id_index;
pub mod id_set;
pub mod process;
pub mod routing;
pub mod server;

pub use engine::{Applied, Command, Engine, OrgCommand, Reply};
