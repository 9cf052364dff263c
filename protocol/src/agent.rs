//! Agents: capacity, skills and presence.

use crate::ids::{AgentId, OrgId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether an agent takes new work. Only `Online` agents are offered work (R-ROUTE-1); `Busy`
/// agents keep what they hold and get nothing new; going `Offline` hands back unaccepted offers
/// (R-ROUTE-7).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    #[default]
    Offline,
    Online,
    Busy,
}

/// Body of `POST /v1/orgs/{org}/agents` and `PUT /v1/orgs/{org}/agents/{agent}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentSpec {
    #[schemars(length(min = 1, max = crate::limits::MAX_NAME_BYTES))]
    pub name: String,
    /// Capacity units the agent can hold at once (R-ROUTE-2).
    #[schemars(range(min = 1, max = crate::limits::MAX_CAPACITY))]
    pub capacity: u32,
    /// Skill name → level (1..=10).
    #[serde(default)]
    pub skills: BTreeMap<String, u8>,
}

/// An agent as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Agent {
    pub id: AgentId,
    pub org: OrgId,
    #[serde(flatten)]
    pub spec: AgentSpec,
    pub presence: Presence,
    /// Summed capacity weights of the agent's assigned and opened work.
    pub used_capacity: u32,
    /// Number of assigned and opened work items.
    pub open_work: u32,
    pub last_assigned_at: Option<Timestamp>,
}

/// Reply to agent creation: the agent and the token its connection authenticates with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AgentCreated {
    pub agent: Agent,
    pub token: String,
}
