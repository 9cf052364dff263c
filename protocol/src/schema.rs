//! JSON Schemas of the protocol, generated from these types (schemars), so that the contract a
//! server is checked against and the types the harness and the reference server use cannot
//! drift apart. `docs/schema/` holds them as files; a test fails when the two differ.

use crate::*;
use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings, json_schema};
use std::borrow::Cow;

impl JsonSchema for AgentPush {
    fn schema_name() -> Cow<'static, str> {
        "AgentPush".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Any frame the server sends on an agent socket: the hello, a reply, or an event.",
            "oneOf": [
                generator.subschema_for::<AgentHello>(),
                generator.subschema_for::<AgentReply>(),
                generator.subschema_for::<Event>(),
            ]
        })
    }
}

/// What a schema describes, for the documents that cite it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A request body.
    Request,
    /// A reply body.
    Reply,
    /// A frame on a socket, either way.
    Frame,
}

/// One top-level schema: its file stem in `docs/schema/`, its role, and the schema.
pub struct Named {
    pub name: &'static str,
    pub role: Role,
    pub schema: Schema,
}

fn named<T: JsonSchema>(generator: &SchemaSettings, name: &'static str, role: Role) -> Named {
    Named {
        name,
        role,
        schema: generator
            .clone()
            .into_generator()
            .into_root_schema_for::<T>(),
    }
}

/// Every request body, reply, socket frame and error of protocol v1, in the order
/// `docs/protocol.md` introduces them (JSON Schema 2020-12).
pub fn all() -> Vec<Named> {
    let s = SchemaSettings::draft2020_12();
    use Role::*;
    vec![
        named::<CreateOrg>(&s, "CreateOrg", Request),
        named::<OrgCreated>(&s, "OrgCreated", Reply),
        named::<ChannelSpec>(&s, "ChannelSpec", Request),
        named::<ChannelUpdate>(&s, "ChannelUpdate", Request),
        named::<Channel>(&s, "Channel", Reply),
        named::<QueueSpec>(&s, "QueueSpec", Request),
        named::<Created<QueueId>>(&s, "QueueCreated", Reply),
        named::<Queue>(&s, "Queue", Reply),
        named::<BotSpec>(&s, "BotSpec", Request),
        named::<Created<BotId>>(&s, "BotCreated", Reply),
        named::<Bot>(&s, "Bot", Reply),
        named::<AgentSpec>(&s, "AgentSpec", Request),
        named::<AgentCreated>(&s, "AgentCreated", Reply),
        named::<Agent>(&s, "Agent", Reply),
        named::<InboundRequest>(&s, "InboundRequest", Request),
        named::<InboundAccepted>(&s, "InboundAccepted", Reply),
        named::<TriggeredOutboundRequest>(&s, "TriggeredOutboundRequest", Request),
        named::<MessageAccepted>(&s, "MessageAccepted", Reply),
        named::<ConsentRequest>(&s, "ConsentRequest", Request),
        named::<MessagingUser>(&s, "MessagingUser", Reply),
        named::<Session>(&s, "Session", Reply),
        named::<SessionTranscript>(&s, "SessionTranscript", Reply),
        named::<Message>(&s, "Message", Reply),
        named::<WorkItem>(&s, "WorkItem", Reply),
        named::<Capabilities>(&s, "Capabilities", Reply),
        named::<AdvanceClock>(&s, "AdvanceClock", Request),
        named::<ClockReading>(&s, "ClockReading", Reply),
        named::<AgentFrame>(&s, "AgentFrame", Frame),
        named::<AgentPush>(&s, "AgentPush", Frame),
        named::<AgentHello>(&s, "AgentHello", Frame),
        named::<AgentReply>(&s, "AgentReply", Frame),
        named::<Event>(&s, "Event", Frame),
        named::<ApiError>(&s, "ApiError", Reply),
    ]
}
