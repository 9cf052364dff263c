//! What a server declares about optional parts of the protocol, so that a conformance run skips
//! the cases of a capability the server says it lacks instead of failing them.

use serde::{Deserialize, Serialize};

/// An optional part of protocol v1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Enhanced channels: components, structured bot questions (R-CHAN-3, R-CHAN-4, R-BOT-1).
    EnhancedChannels,
    /// The inactive status (R-SESS-7).
    Inactive,
    /// Outbound from agents and the org, consent and service windows (R-OUT-1..5).
    Outbound,
    /// Routing flows, direct routing, pre-chat fields and secondary priority (R-FLOW-1..7).
    Flows,
    /// A manual clock per org (protocol.md §4.7), declared as `"clock": "manual"` rather than
    /// by absence from `lacks`: a server that says nothing runs on the wall clock.
    ManualClock,
    /// Forgetting ended sessions after a retention period (R-SESS-10), declared by
    /// `retention_ms`: a server that says nothing keeps everything.
    Retention,
}

/// `GET /v1/capabilities`: the optional capabilities this server lacks, and how its time passes.
/// A server without the route lacks none and runs on the wall clock.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Capabilities {
    #[serde(default)]
    pub lacks: Vec<Capability>,
    #[serde(default)]
    pub clock: crate::clock::ClockMode,
    /// How long the server keeps an ended session, and a message id, before it may forget them
    /// (R-SESS-10). Absent: it keeps everything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<u64>")]
    pub retention_ms: Option<crate::time::Millis>,
}

impl Capabilities {
    /// Whether the server offers `capability`.
    pub fn has(&self, capability: Capability) -> bool {
        match capability {
            Capability::ManualClock => self.clock == crate::clock::ClockMode::Manual,
            Capability::Retention => self.retention_ms.is_some(),
            other => !self.lacks.contains(&other),
        }
    }
}
