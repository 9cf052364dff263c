//! omnisim: a load simulator and conformance harness for omnichannel customer-messaging platforms.
//!
//! The wire protocol lives in [`protocol`]; the reference platform (the sans-IO engine) in
//! [`reference_server`].

pub use omnisim_protocol as protocol;
pub use omnisim_reference_server as reference_server;
