//! Queues and the skills routing matches on.

use crate::ids::{OrgId, QueueId};
use crate::time::Millis;
use serde::{Deserialize, Serialize};

/// How a queue picks among eligible agents (R-ROUTE-4).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RoutingModel {
    /// The agent with the fewest open work items.
    #[default]
    LeastActive,
    /// The agent with the most free capacity.
    MostAvailable,
}

/// A skill an agent must have, at `min_level` or above (R-ROUTE-1).
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct SkillRequirement {
    #[schemars(length(min = 1, max = crate::limits::MAX_NAME_BYTES))]
    pub skill: String,
    #[serde(default = "default_min_level")]
    #[schemars(range(min = 1, max = crate::limits::MAX_SKILL_LEVEL))]
    pub min_level: u8,
}

pub(crate) fn default_min_level() -> u8 {
    1
}

/// Queues offer work this long before it times out unless the spec says otherwise.
pub const DEFAULT_PUSH_TIMEOUT: Millis = Millis::from_secs(30);

/// Body of `POST /v1/orgs/{org}/queues`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    #[schemars(length(min = 1, max = crate::limits::MAX_NAME_BYTES))]
    pub name: String,
    /// Lower routes first (R-ROUTE-3).
    #[serde(default = "default_priority")]
    pub priority: u32,
    #[serde(default)]
    pub routing_model: RoutingModel,
    #[serde(default = "default_push_timeout")]
    #[schemars(with = "u64", range(min = 1))]
    pub push_timeout_ms: Millis,
    #[serde(default = "default_weight")]
    #[schemars(range(min = 1, max = crate::limits::MAX_CAPACITY))]
    pub capacity_weight: u32,
    #[serde(default)]
    #[schemars(length(max = crate::limits::MAX_ITEMS))]
    pub required_skills: Vec<SkillRequirement>,
    /// Preferred skills, required until dropped (R-ROUTE-10).
    #[serde(default)]
    #[schemars(length(max = crate::limits::MAX_ITEMS))]
    pub additional_skills: Vec<SkillRequirement>,
    /// When additional skills stop counting, measured from the work's request time. Absent: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_additional_skills_after_ms: Option<Millis>,
    /// What an agent who lets an offer of this queue time out is set to, `busy` or `offline`, so
    /// that an agent away from the desk stops being offered work (R-ROUTE-5). Absent: unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_timeout_presence: Option<crate::agent::Presence>,
}

fn default_priority() -> u32 {
    1
}

fn default_push_timeout() -> Millis {
    DEFAULT_PUSH_TIMEOUT
}

fn default_weight() -> u32 {
    1
}

/// A queue as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Queue {
    pub id: QueueId,
    pub org: OrgId,
    #[serde(flatten)]
    pub spec: QueueSpec,
    /// Sessions waiting in it, offered ones included.
    pub waiting: u32,
}
