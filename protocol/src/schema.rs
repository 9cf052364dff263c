//! JSON Schemas of the protocol, generated from these types (schemars), so that the contract a
//! server is checked against and the types the harness and the reference server use cannot
//! drift apart. `docs/schema/` holds them as files; a test fails when the two differ.

use crate::*;
use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings, json_schema};
use serde_json::{Value, json};
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

/// One top-level schema: its file stem in `docs/schema/`, and the schema.
pub struct Named {
    pub name: &'static str,
    pub schema: Schema,
}

/// A top-level type of the protocol: how to make its schema alone, or a reference to it among
/// the definitions of a larger document.
struct Entry {
    name: &'static str,
    root: fn(SchemaSettings) -> Schema,
    reference: fn(&mut SchemaGenerator) -> Schema,
}

fn entry<T: JsonSchema>(name: &'static str) -> Entry {
    Entry {
        name,
        root: |s| s.into_generator().into_root_schema_for::<T>(),
        reference: |g| g.subschema_for::<T>(),
    }
}

/// Every request body, reply, socket frame and error of protocol v1, in the order
/// `docs/protocol.md` introduces them.
fn entries() -> Vec<Entry> {
    vec![
        entry::<CreateOrg>("CreateOrg"),
        entry::<OrgCreated>("OrgCreated"),
        entry::<ChannelSpec>("ChannelSpec"),
        entry::<ChannelUpdate>("ChannelUpdate"),
        entry::<Channel>("Channel"),
        entry::<QueueSpec>("QueueSpec"),
        entry::<Created<QueueId>>("QueueCreated"),
        entry::<Queue>("Queue"),
        entry::<BotSpec>("BotSpec"),
        entry::<Created<BotId>>("BotCreated"),
        entry::<Bot>("Bot"),
        entry::<FlowSpec>("FlowSpec"),
        entry::<Flow>("Flow"),
        entry::<AgentSpec>("AgentSpec"),
        entry::<AgentCreated>("AgentCreated"),
        entry::<Agent>("Agent"),
        entry::<InboundRequest>("InboundRequest"),
        entry::<InboundAccepted>("InboundAccepted"),
        entry::<TriggeredOutboundRequest>("TriggeredOutboundRequest"),
        entry::<MessageAccepted>("MessageAccepted"),
        entry::<ConsentRequest>("ConsentRequest"),
        entry::<MessagingUser>("MessagingUser"),
        entry::<Session>("Session"),
        entry::<SessionTranscript>("SessionTranscript"),
        entry::<Message>("Message"),
        entry::<WorkItem>("WorkItem"),
        entry::<Capabilities>("Capabilities"),
        entry::<AdvanceClock>("AdvanceClock"),
        entry::<ClockReading>("ClockReading"),
        entry::<AgentFrame>("AgentFrame"),
        entry::<AgentPush>("AgentPush"),
        entry::<AgentHello>("AgentHello"),
        entry::<AgentReply>("AgentReply"),
        entry::<Event>("Event"),
        entry::<ApiError>("ApiError"),
    ]
}

/// Every top-level schema on its own (JSON Schema 2020-12), as docs/schema/ holds them.
pub fn all() -> Vec<Named> {
    entries()
        .into_iter()
        .map(|e| Named {
            name: e.name,
            schema: (e.root)(SchemaSettings::draft2020_12()),
        })
        .collect()
}

/// References to every top-level schema among the definitions kept at `path` (a JSON pointer),
/// and those definitions.
fn referenced(path: &str) -> (Vec<(&'static str, Value)>, serde_json::Map<String, Value>) {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = path.to_owned().into();
    let mut generator = settings.into_generator();
    let refs = entries()
        .into_iter()
        .map(|e| (e.name, (e.reference)(&mut generator).to_value()))
        .collect();
    (refs, generator.take_definitions(true))
}

fn lookup(refs: &[(&'static str, Value)], name: &str) -> Value {
    refs.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, r)| r.clone())
        .unwrap_or(Value::Null)
}

/// The OpenAPI 3.1 document of the HTTP API, generated from [`crate::routes::Route`] and the
/// types: every route with its caller, body and answer, the errors of protocol.md §8.
pub fn openapi() -> Value {
    use crate::routes::{Answer, Caller, Route};
    let (refs, definitions) = referenced("/components/schemas");
    let error = json!({ "description": "an error of protocol.md §8",
        "content": { "application/json": { "schema": lookup(&refs, "ApiError") } } });
    let mut paths = serde_json::Map::new();
    for &route in Route::ALL {
        let answer = match route.answer() {
            Answer::Json(status, name) => (
                status,
                json!({ "description": "the reply",
                "content": { "application/json": { "schema": lookup(&refs, name) } } }),
            ),
            Answer::List(name) => (
                200,
                json!({ "description": "the list",
                "content": { "application/json": { "schema":
                    { "type": "array", "items": lookup(&refs, name) } } } }),
            ),
            Answer::Text => (
                200,
                json!({ "description": "plain text",
                "content": { "text/plain": { "schema": { "type": "string" } } } }),
            ),
            Answer::Empty => (204, json!({ "description": "done; no body" })),
            Answer::Socket { .. } => (
                101,
                json!({ "description":
                "a WebSocket (see asyncapi.json); without an upgrade, 426 upgrade_required" }),
            ),
        };
        let mut operation = json!({
            "operationId": format!("{route:?}"),
            "summary": route.summary(),
            "responses": { answer.0.to_string(): answer.1, "default": error.clone() },
        });
        let security = match route.caller() {
            Caller::Anyone => json!([]),
            Caller::Admin => json!([{ "admin": [] }]),
            Caller::Org => json!([{ "org": [] }]),
            Caller::Agent => json!([{ "agent": [] }, { "agent_query": [] }]),
        };
        operation["security"] = security;
        if let Some(name) = route.request() {
            operation["requestBody"] = json!({ "required": true,
                "content": { "application/json": { "schema": lookup(&refs, name) } } });
        }
        let parameters: Vec<Value> = ["org", "channel", "id"]
            .into_iter()
            .filter(|p| route.path().contains(&format!("{{{p}}}")))
            .map(|p| {
                json!({ "name": p, "in": "path", "required": true,
                "schema": { "type": "integer", "minimum": 0 } })
            })
            .collect();
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        let method = route.method().as_str().to_ascii_lowercase();
        let item = paths.entry(route.path()).or_insert_with(|| json!({}));
        item[method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "omnisim messaging protocol", "version": "1",
            "description": "The HTTP API of protocol v1; docs/protocol.md is the normative text." },
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {
                "admin": { "type": "http", "scheme": "bearer", "description": "the server's admin token" },
                "org": { "type": "http", "scheme": "bearer", "description": "the token of the org the path names" },
                "agent": { "type": "http", "scheme": "bearer", "description": "an agent's token" },
                "agent_query": { "type": "apiKey", "in": "query", "name": "token", "description": "an agent's token, for clients that cannot set headers on a WebSocket" }
            }
        }
    })
}

/// The AsyncAPI 3 document of the sockets, generated from [`crate::routes::Route`] and the
/// types: each socket route as a channel, with the frames each side sends.
pub fn asyncapi() -> Value {
    use crate::routes::{Answer, Route};
    let (refs, definitions) = referenced("/components/schemas");
    let mut channels = serde_json::Map::new();
    let mut operations = serde_json::Map::new();
    let mut messages = serde_json::Map::new();
    for &route in Route::ALL {
        let Answer::Socket { sends, receives } = route.answer() else {
            continue;
        };
        let id = format!("{route:?}");
        let mut channel_messages = serde_json::Map::new();
        for (direction, name) in [("receive", Some(receives)), ("send", sends)] {
            let Some(name) = name else { continue };
            messages.insert(
                name.to_owned(),
                json!({ "name": name, "payload": lookup(&refs, name) }),
            );
            channel_messages.insert(
                name.to_owned(),
                json!({ "$ref": format!("#/components/messages/{name}") }),
            );
            // The server's view: it sends what the client receives, and receives what it sends.
            let action = if direction == "receive" {
                "send"
            } else {
                "receive"
            };
            operations.insert(
                format!("{id}.{action}"),
                json!({
                    "action": action,
                    "channel": { "$ref": format!("#/channels/{id}") },
                    "messages": [{ "$ref": format!("#/channels/{id}/messages/{name}") }],
                }),
            );
        }
        channels.insert(
            id,
            json!({
                "address": route.path(),
                "description": route.summary(),
                "messages": channel_messages,
            }),
        );
    }
    json!({
        "asyncapi": "3.0.0",
        "info": { "title": "omnisim messaging protocol: sockets", "version": "1",
            "description": "JSON text frames over WebSocket; docs/protocol.md §5 and §6 are the normative text. Close codes: 1001 going away, 4001 replaced, 4008 slow consumer." },
        "channels": channels,
        "operations": operations,
        "components": { "messages": messages, "schemas": definitions },
    })
}
