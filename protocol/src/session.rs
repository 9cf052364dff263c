//! Messaging sessions: their states and how they are read back.

use crate::ids::{AgentId, ChannelId, ConversationId, OrgId, QueueId, SessionId, UserId};
use crate::message::Message;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where a session is in its life. `Ended` is terminal (R-SESS-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Opened by the org (outbound); the customer has not replied yet (R-OUT-1).
    New,
    /// Waiting in a queue for an agent, or offered to one who has not accepted yet.
    Waiting,
    /// A bot or an agent is handling it.
    Active,
    /// Parked by its agent or the inactivity timeout; enhanced channels only (R-SESS-7).
    Inactive,
    Ended,
}

impl SessionStatus {
    /// Every state but `Ended`.
    pub fn is_open(self) -> bool {
        self != SessionStatus::Ended
    }
}

/// Who started the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    InboundInitiated,
    AgentInitiated,
    TriggeredOutbound,
}

/// Who is handling the session. `BotToAgent` marks a session a bot handed to a queue, for the rest of
/// its life (R-BOT-2, R-ROUTE-9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Handler {
    None,
    Bot,
    Agent,
    BotToAgent,
}

/// Who ended the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndedBy {
    EndUser,
    Agent,
    Bot,
    System,
}

/// A session as read back (without its transcript).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Session {
    pub id: SessionId,
    pub org: OrgId,
    pub channel: ChannelId,
    pub user: UserId,
    pub conversation_id: ConversationId,
    pub status: SessionStatus,
    pub origin: Origin,
    pub handler: Handler,
    /// The queue the session is routed to or was last routed to.
    pub queue: Option<QueueId>,
    /// The agent holding its live work (offered or accepted), if any.
    pub agent: Option<AgentId>,
    pub started_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub ended_by: Option<EndedBy>,
    /// Number of messages in the transcript (= seq of the last one).
    pub message_count: u32,
}

/// `GET /v1/orgs/{org}/sessions/{session}`: a session with its full transcript (R-SESS-9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SessionTranscript {
    pub session: Session,
    /// What offers of the session carry: intent, fields, transfer origin, flow (R-FLOW-5).
    pub context: crate::work::RoutingContext,
    pub messages: Vec<Arc<Message>>,
}
