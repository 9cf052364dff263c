//! WebSocket frames: the agent connection's requests and replies, and the close codes every
//! stream uses.

use crate::agent::Agent;
use crate::error::ApiError;
use crate::event::{Event, EventKind, Offer};
use crate::requests::{AgentRequest, MessageAccepted};
use crate::tag_first::{self, Body, TagFirst};
use serde::de::{IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// A request on the agent socket: `{"id": 7, "type": "accept", "work": 12}`. The id is the client's
/// and comes back in the reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AgentFrame {
    pub id: u64,
    #[serde(flatten)]
    pub request: AgentRequest,
}

/// The answer to one [`AgentFrame`]: `{"type": "reply", "id": 7}` plus `message` for sends, or
/// `error` when the request was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename = "reply")]
pub struct AgentReply {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageAccepted>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

/// The first frame on an agent socket: the agent as it stands and every work item it holds, each
/// with its full transcript, so a reconnecting client resumes without loss (R-SESS-9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename = "hello")]
pub struct AgentHello {
    pub agent: Agent,
    pub work: Vec<Offer>,
}

/// Anything the server sends on an agent socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentPush {
    Hello(AgentHello),
    Reply(AgentReply),
    Event(Event),
}

impl AgentPush {
    /// Parses one text frame.
    pub fn parse(text: &str) -> Result<AgentPush, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// Read tag first ([`crate::tag_first`]), as events are: an agent's frames are most of what a
/// load generator reads.
impl<'de> Deserialize<'de> for AgentPush {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        tag_first::deserialize(d)
    }
}

/// The values of an agent frame's `type`: its own two, or an event's.
pub(crate) enum PushKind {
    Hello,
    Reply,
    Event(EventKind),
}

impl<'de> Deserialize<'de> for PushKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KindVisitor;
        impl Visitor<'_> for KindVisitor {
            type Value = PushKind;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an agent frame's type")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PushKind, E> {
                Ok(match v {
                    "hello" => PushKind::Hello,
                    "reply" => PushKind::Reply,
                    event => PushKind::Event(EventKind::deserialize(event.into_deserializer())?),
                })
            }
        }
        d.deserialize_str(KindVisitor)
    }
}

impl TagFirst for AgentPush {
    type Kind = PushKind;
    const EXPECTING: &'static str = "an agent frame";

    fn from_body<'de, A: MapAccess<'de>>(
        kind: PushKind,
        body: Body<'de, A>,
    ) -> Result<Self, A::Error> {
        Ok(match kind {
            PushKind::Hello => AgentPush::Hello(body.read()?),
            PushKind::Reply => AgentPush::Reply(body.read()?),
            PushKind::Event(kind) => AgentPush::Event(Event::from_body(kind, body)?),
        })
    }
}

impl Serialize for AgentPush {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AgentPush::Hello(h) => h.serialize(s),
            AgentPush::Reply(r) => r.serialize(s),
            AgentPush::Event(e) => e.serialize(s),
        }
    }
}

/// Close code: the server is shutting down.
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code: another connection took this agent's place.
pub const CLOSE_REPLACED: u16 = 4001;
/// Close code: the agent was deleted; its token no longer opens a socket.
pub const CLOSE_DELETED: u16 = 4004;
/// Close code: the client read too slowly and its queue filled; reconnect and resume from the
/// last seq seen.
pub const CLOSE_SLOW_CONSUMER: u16 = 4008;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgentId, OrgId, Presence};

    #[test]
    fn a_push_is_read_as_its_type_says() {
        let reply = AgentPush::parse(r#"{"id": 3, "type": "reply"}"#).unwrap();
        assert!(matches!(reply, AgentPush::Reply(AgentReply { id: 3, .. })));
        // A type written with an escape is the same type.
        let escaped = AgentPush::parse(r#"{"type": "r\u0065ply", "id": 4}"#).unwrap();
        assert!(matches!(
            escaped,
            AgentPush::Reply(AgentReply { id: 4, .. })
        ));
        let event = r#"{"type": "presence_changed", "org": 1, "agent": 2, "presence": "busy"}"#;
        assert_eq!(
            AgentPush::parse(event).unwrap(),
            AgentPush::Event(Event::PresenceChanged {
                org: OrgId(1),
                agent: AgentId(2),
                presence: Presence::Busy,
            })
        );
        assert!(AgentPush::parse(r#"{"id": 3}"#).is_err(), "no type");
        assert!(
            AgentPush::parse(r#"{"type": "reply"}"#).is_err(),
            "a reply without id"
        );
        assert!(
            AgentPush::parse(r#"{"type": 7, "id": 3}"#).is_err(),
            "a type not a string"
        );
        assert!(AgentPush::parse("[").is_err());
    }
}
