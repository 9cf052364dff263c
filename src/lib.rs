//! omnisim: a load simulator and conformance harness for omnichannel customer-messaging platforms.
//!
//! The wire protocol lives in [`protocol`]; the reference platform in [`reference_server`].
//! [`scenario`] reads scenario files, [`live`] runs them against a server over HTTP and WebSocket,
//! and [`measure`] records and summarizes what the run saw.

pub mod actors;
pub mod checker;
pub mod conform;
pub mod live;
pub mod measure;
pub mod plan;
pub mod report;
pub mod scenario;
pub mod virtual_time;
pub mod wire;

pub use omnisim_protocol as protocol;
pub use omnisim_reference_server as reference_server;
