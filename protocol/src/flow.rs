//! Routing flows: per-session decisions of where work goes, from what is known when the session
//! first needs routing (R-FLOW-1..5).

use crate::ids::{AgentId, BotId, ChannelId, FlowId, OrgId, QueueId};
use crate::time::Millis;
use serde::{Deserialize, Serialize};

/// One test a flow rule makes; a rule holds when all of its conditions hold (R-FLOW-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The session's channel is one of these.
    Channel {
        #[schemars(length(min = 1, max = crate::limits::MAX_ITEMS))]
        channels: Vec<ChannelId>,
    },
    /// The bot handoff's intent is one of these (never holds for a channel entry).
    Intent {
        #[schemars(length(min = 1, max = crate::limits::MAX_ITEMS))]
        intents: Vec<String>,
    },
    /// The session has field `field`, pre-chat or bot-collected.
    FieldPresent {
        #[schemars(length(min = 1, max = crate::limits::MAX_FIELD_NAME_BYTES))]
        field: String,
    },
    /// The session has no field `field`.
    FieldAbsent {
        #[schemars(length(min = 1, max = crate::limits::MAX_FIELD_NAME_BYTES))]
        field: String,
    },
    /// Field `field` is present and equal to one of `values` (exact, case-sensitive).
    FieldIn {
        #[schemars(length(min = 1, max = crate::limits::MAX_FIELD_NAME_BYTES))]
        field: String,
        #[schemars(length(min = 1, max = crate::limits::MAX_ITEMS))]
        values: Vec<String>,
    },
    /// The platform time of day (UTC, ms since midnight) is in [from_ms, to_ms); when from_ms >
    /// to_ms the window wraps past midnight. Equal bounds are refused (an empty or full day says
    /// nothing a rule needs).
    TimeOfDay {
        #[schemars(range(max = crate::limits::MAX_TIME_OF_DAY_MS))]
        from_ms: u32,
        #[schemars(range(max = crate::limits::MAX_TIME_OF_DAY_MS))]
        to_ms: u32,
    },
    /// At least `n` agents are online with the queue's required skills and free capacity for its
    /// capacity weight: the agents who could take the work now.
    AgentsAtLeast { queue: QueueId, n: u32 },
    /// At most `n` sessions wait in the queue (offered ones included, as the queue's `waiting`).
    WaitingAtMost { queue: QueueId, n: u32 },
}

/// A skill a flow's queue target adds to the queue's, optionally dropped after a delay from the
/// request (R-FLOW-3, as R-ROUTE-10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowSkill {
    #[schemars(length(min = 1, max = crate::limits::MAX_NAME_BYTES))]
    pub skill: String,
    #[serde(default = "crate::queue::default_min_level")]
    #[schemars(range(min = 1, max = crate::limits::MAX_SKILL_LEVEL))]
    pub min_level: u8,
    /// Absent: required for as long as the work waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<u64>", range(min = 1))]
    pub drop_after_ms: Option<Millis>,
}

/// Where a flow sends a session (R-FLOW-3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FlowTarget {
    /// Waits in `queue`, with the queue's priority unless `priority` overrides it, ordered within
    /// its priority by `secondary_priority` (R-FLOW-7), needing `skills` beside the queue's.
    Queue {
        queue: QueueId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priority: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secondary_priority: Option<u32>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[schemars(length(max = crate::limits::MAX_ITEMS))]
        skills: Vec<FlowSkill>,
    },
    /// The bot answers the session; only from a channel entry (R-FLOW-5).
    Bot { bot: BotId },
    /// Offered to `agent` only, until it has not accepted `timeout_ms` after the request; then
    /// the work waits in `fallback_queue` (absent: the flow's) with its original request time
    /// (R-FLOW-4). The work takes the fallback queue's capacity weight and push timeout.
    Agent {
        agent: AgentId,
        #[schemars(with = "u64", range(min = 1))]
        timeout_ms: Millis,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fallback_queue: Option<QueueId>,
    },
}

/// One rule of a flow: where the session goes when every condition holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowRule {
    /// Unique in the flow; what the routing context's `flow_rule` names. Not `default`.
    #[schemars(length(min = 1, max = crate::limits::MAX_NAME_BYTES))]
    pub name: String,
    /// All must hold; none holds always.
    #[serde(default)]
    #[schemars(length(max = crate::limits::MAX_ITEMS))]
    pub conditions: Vec<Condition>,
    pub target: FlowTarget,
}

/// Body of `POST /v1/orgs/{org}/flows` and `PUT /v1/orgs/{org}/flows/{id}` (R-FLOW-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowSpec {
    #[schemars(length(min = 1, max = crate::limits::MAX_NAME_BYTES))]
    pub name: String,
    /// Tried in order; the first whose conditions all hold decides.
    #[serde(default)]
    #[schemars(length(max = crate::limits::MAX_ITEMS))]
    pub rules: Vec<FlowRule>,
    /// Where the session goes when no rule holds.
    pub default: FlowTarget,
    /// Where the session goes when its target cannot take it (R-FLOW-5), and where direct
    /// routing falls back unless its target names another queue (R-FLOW-4).
    pub fallback_queue: QueueId,
}

/// A day in milliseconds: time-of-day conditions read the platform time modulo this (R-FLOW-2).
pub const DAY_MS: u64 = crate::limits::MAX_TIME_OF_DAY_MS as u64 + 1;

/// Whether platform time `now_ms` lies in [from, to) of its day, wrapping past midnight when
/// from > to (R-FLOW-2).
pub fn in_time_window(now_ms: u64, from_ms: u32, to_ms: u32) -> bool {
    let t = now_ms % DAY_MS;
    let (from, to) = (u64::from(from_ms), u64::from(to_ms));
    if from <= to {
        from <= t && t < to
    } else {
        t >= from || t < to
    }
}

/// The name the routing context gives a decision by the flow's default target.
pub const DEFAULT_RULE: &str = "default";

/// A flow as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Flow {
    pub id: FlowId,
    pub org: OrgId,
    #[serde(flatten)]
    pub spec: FlowSpec,
}

/// Why a flow's target could not take the session (R-FLOW-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlowError {
    /// The target queue, agent or bot no longer exists.
    TargetMissing,
    /// A bot target was reached from a bot handoff.
    BotFromHandoff,
}

/// Why directly routed work moved to its fallback queue (R-FLOW-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FallbackReason {
    /// The agent was offline at the request or went offline before accepting.
    Offline,
    /// The agent lacks a skill the work needs.
    LacksSkills,
    Declined,
    /// The agent let the offer's push timeout pass.
    PushTimeout,
    /// The agent had not accepted `timeout_ms` after the request.
    Timeout,
}

/// A direct routing that fell back: to whom the work was routed, why and when it moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DirectFallback {
    pub agent: AgentId,
    pub reason: FallbackReason,
    pub at: crate::time::Timestamp,
}
