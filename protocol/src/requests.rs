//! Request bodies and their replies: what clients send and get back.

use crate::agent::Presence;
use crate::ids::Seq;
use crate::ids::{BotId, ChannelId, ConversationId, OrgId, QueueId, SessionId, UserId, WorkId};
use crate::message::Component;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Body of `POST /v1/orgs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    #[schemars(length(min = 1, max = crate::limits::MAX_NAME_BYTES))]
    pub name: String,
}

/// Reply to org creation: the org's id and its admin token (R-SEC-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OrgCreated {
    pub org: OrgId,
    pub name: String,
    pub token: String,
}

/// Reply to the creation of a channel, queue or bot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Created<I> {
    pub id: I,
}

/// What a provider webhook delivers from an end user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum InboundContent {
    Text {
        text: crate::MessageText,
    },
    /// The customer's answer to a component (R-CHAN-4).
    ComponentResponse {
        in_reply_to: Seq,
        answer_id: String,
    },
    /// The customer closed the conversation (R-SESS-8).
    End,
}

/// Body of `POST /v1/orgs/{org}/channels/{channel}/inbound`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundRequest {
    /// The end user's address on the channel (phone number, PSID, web visitor id...): a provider
    /// sends the same one with every message of the user.
    #[schemars(length(min = 1, max = crate::limits::MAX_NAME_BYTES))]
    pub address: Arc<str>,
    /// The provider's id for this delivery; a repeat is a retry (R-SESS-3).
    #[schemars(length(min = 1, max = crate::limits::MAX_NAME_BYTES))]
    pub provider_message_id: crate::ExternalId,
    pub content: InboundContent,
    /// Pre-chat form answers: only on the message that starts a session on a web or in-app
    /// channel (R-FLOW-6). At most 32, names up to 64 bytes, values up to 256 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend(
        "maxProperties" = crate::limits::MAX_PRECHAT_FIELDS,
        "propertyNames" = {"minLength": 1, "maxLength": crate::limits::MAX_FIELD_NAME_BYTES},
        "additionalProperties" = {"type": "string", "maxLength": crate::limits::MAX_FIELD_VALUE_BYTES},
    ))]
    pub fields: Option<std::collections::BTreeMap<String, String>>,
}

/// Reply to an inbound delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InboundAccepted {
    pub user: UserId,
    pub conversation_id: ConversationId,
    pub session: SessionId,
    /// The seq the message was stored at; absent for an end request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<Seq>,
    /// True when this delivery repeats one already accepted: nothing new was stored (R-SESS-3).
    pub duplicate: bool,
}

/// What the org or an agent sends to an end user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutboundContent {
    Text {
        text: crate::MessageText,
    },
    /// An approved template, allowed outside the service window (R-OUT-4).
    Template {
        name: String,
        text: String,
    },
    /// Enhanced channels only (R-CHAN-3).
    Component {
        component: Component,
    },
}

/// Body of `POST /v1/orgs/{org}/channels/{channel}/outbound`: an org-triggered message
/// (origin triggered_outbound).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggeredOutboundRequest {
    pub address: String,
    pub content: OutboundContent,
}

/// Reply to any accepted message send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MessageAccepted {
    pub session: SessionId,
    pub seq: Seq,
    /// True when the client_message_id was already accepted: nothing new stored (R-SESS-3).
    pub duplicate: bool,
}

/// Where an agent transfers a session (R-ROUTE-9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferTarget {
    Queue(QueueId),
    Bot(BotId),
}

/// What an agent asks of the platform, over its WebSocket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AgentRequest {
    SetPresence {
        presence: Presence,
    },
    Accept {
        work: WorkId,
    },
    Decline {
        work: WorkId,
    },
    Send {
        session: SessionId,
        /// The client's id for the message; a repeat is a retry (R-SESS-3).
        client_message_id: crate::ExternalId,
        content: OutboundContent,
    },
    /// Message a user first (R-OUT-1); the reply is routed to `queue`, offered to this agent first.
    StartOutbound {
        channel: ChannelId,
        address: String,
        queue: QueueId,
        client_message_id: crate::ExternalId,
        content: OutboundContent,
    },
    Transfer {
        session: SessionId,
        to: TransferTarget,
    },
    MarkInactive {
        session: SessionId,
    },
    End {
        session: SessionId,
    },
}
