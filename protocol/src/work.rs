//! Work items: one offer of a session to one agent, and what became of it.

use crate::flow::{DirectFallback, FlowError};
use crate::ids::{AgentId, FlowId, OrgId, QueueId, SessionId, WorkId};
use crate::time::{Millis, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What became of an offer. `Assigned` and `Opened` are live; the rest are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkStatus {
    /// Offered to the agent, not yet accepted.
    Assigned,
    /// Accepted: the agent is working on it.
    Opened,
    Closed,
    Declined,
    DeclinedOnPushTimeout,
    /// The agent went offline before accepting (R-ROUTE-7).
    Unavailable,
    /// The customer ended the session before it was accepted (R-SESS-8).
    Canceled,
    Transferred,
    /// Directly routed work taken back unaccepted when its flow's timeout passed (R-FLOW-4).
    Withdrawn,
}

impl WorkStatus {
    /// Assigned or opened: holding the agent's capacity (R-ROUTE-2, R-ROUTE-8).
    pub fn is_live(self) -> bool {
        matches!(self, WorkStatus::Assigned | WorkStatus::Opened)
    }
}

/// What an agent learns about a session when it is offered: why it came, what the customer and
/// the bot told, how a flow routed it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RoutingContext {
    /// The bot intent that handed the session over (R-BOT-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// Pre-chat fields, then the fields the bot collected, which replace pre-chat ones of the same
    /// name (R-FLOW-6).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// The queue the session was transferred from (R-ROUTE-9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferred_from: Option<QueueId>,
    /// The flow that routed the session (R-FLOW-5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<FlowId>,
    /// The flow rule that decided, or `default` (R-FLOW-5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_rule: Option<String>,
    /// Why the flow's target could not take the session, which went to the fallback queue
    /// (R-FLOW-5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_error: Option<FlowError>,
    /// The agent the flow routed the work to directly (R-FLOW-4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_agent: Option<AgentId>,
    /// Why and when directly routed work moved to its fallback queue (R-FLOW-4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<DirectFallback>,
}

/// A work item as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorkItem {
    pub id: WorkId,
    pub org: OrgId,
    pub session: SessionId,
    pub queue: QueueId,
    pub agent: AgentId,
    pub status: WorkStatus,
    pub capacity_weight: u32,
    /// When the session started waiting in this queue; kept across declines and timeouts.
    pub requested_at: Timestamp,
    pub assigned_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
}

impl WorkItem {
    /// accepted − requested (R-ROUTE-11).
    pub fn speed_to_answer(&self) -> Option<Millis> {
        self.accepted_at.map(|a| a - self.requested_at)
    }

    /// closed − accepted (R-ROUTE-11).
    pub fn handle_time(&self) -> Option<Millis> {
        Some(self.closed_at? - self.accepted_at?)
    }
}
