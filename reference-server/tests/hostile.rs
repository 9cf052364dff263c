//! A hostile or clumsy client, generated: requests over every route of the protocol's table with
//! every kind of caller, path ids that name this org's resources, another org's, nothing or no
//! number, and bodies that are valid, broken in one field, padded with unknown ones, of the wrong
//! kind, or not JSON at all. Through `oneshot`, without a socket. Whatever comes, the server never
//! answers 5xx and a refused request changes nothing.

mod support;
use axum::body::Body;
use axum::http::Request;
use omnisim_protocol::routes::{Caller, Route};
use omnisim_protocol::*;
use omnisim_reference_server::server::platform::Platform;
use omnisim_reference_server::server::router;
use proptest::prelude::*;
use serde_json::{Value, json};
use tower::ServiceExt;

use support::ADMIN;

/// One org's resources for requests to name, and another org's.
struct World {
    platform: Platform,
    org: u64,
    token: String,
    agent_token: String,
    other_org: u64,
    ids: Vec<u64>,
    other_ids: Vec<u64>,
}

async fn call(
    platform: &Platform,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (u16, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(body.map_or_else(Body::empty, Body::from))
        .expect("a request");
    let resp = router(platform.clone())
        .oneshot(req)
        .await
        .expect("an answer");
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 22)
        .await
        .unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// An org with a queue, a channel, a bot, an agent, a user, a session and a work item, and a
/// second org with the same.
async fn world() -> World {
    let platform = support::platform(ClockMode::Manual);
    let mut orgs = Vec::new();
    for name in ["mine", "theirs"] {
        let (_, org) = call(
            &platform,
            "POST",
            "/v1/orgs",
            Some(ADMIN),
            Some(json!({ "name": name }).to_string()),
        )
        .await;
        let (id, token) = (
            org["org"].as_u64().unwrap(),
            org["token"].as_str().unwrap().to_owned(),
        );
        let o = format!("/v1/orgs/{id}");
        let post = |rest: &str, body: Value| {
            let (p, t, path) = (platform.clone(), token.clone(), format!("{o}{rest}"));
            async move {
                call(&p, "POST", &path, Some(&t), Some(body.to_string()))
                    .await
                    .1
            }
        };
        let q = post("/queues", json!({ "name": "q" })).await;
        let bot = post(
            "/bots",
            json!({ "name": "b", "greeting": "Hi", "question": "What?",
            "fallback_text": "Wait", "intents": [{ "id": "i", "label": "I",
            "action": { "type": "handoff", "queue": q["id"], "required_skills": [] } }] }),
        )
        .await;
        let ch = post(
            "/channels",
            json!({ "name": "c", "kind": "web", "platform": "enhanced",
            "entry": { "queue": q["id"] } }),
        )
        .await;
        let agent = post("/agents", json!({ "name": "a", "capacity": 2 })).await;
        let agent_id = agent["agent"]["id"].as_u64().unwrap();
        platform
            .apply(omnisim_reference_server::Command::Agent {
                agent: AgentId(agent_id),
                request: AgentRequest::SetPresence {
                    presence: Presence::Online,
                },
            })
            .expect("online");
        let said = post(
            &format!("/channels/{}/inbound", ch["id"]),
            json!({ "address": "+1",
            "provider_message_id": "m1", "content": { "type": "text", "text": "hi" } }),
        )
        .await;
        let work = platform.read(|e| e.work_items(OrgId(id)).unwrap()[0].id.0);
        let ids = [
            &q["id"],
            &bot["id"],
            &ch["id"],
            &said["user"],
            &said["session"],
        ]
        .iter()
        .filter_map(|v| v.as_u64())
        .chain([agent_id, work])
        .collect();
        orgs.push((id, token, agent["token"].as_str().unwrap().to_owned(), ids));
    }
    let (theirs, mine) = (orgs.pop().unwrap(), orgs.pop().unwrap());
    World {
        platform,
        org: mine.0,
        token: mine.1,
        agent_token: mine.2,
        other_org: theirs.0,
        ids: mine.3,
        other_ids: theirs.3,
    }
}

#[derive(Clone, Debug)]
enum Who {
    Fitting,
    Admin,
    Org,
    Agent,
    Wrong,
    Nobody,
}

#[derive(Clone, Debug)]
enum Id {
    Mine(usize),
    Theirs(usize),
    Absent,
    NotANumber,
}

#[derive(Clone, Debug)]
enum BodyKind {
    /// The route's own example, as documented.
    Valid,
    /// The example with one field dropped.
    Dropped(usize),
    /// The example with one field set to a value of another kind.
    Retyped(usize, Value),
    /// The example with an unknown field.
    Padded,
    /// Another route's example.
    Foreign(usize),
    /// Not JSON.
    Garbage(String),
    /// None at all.
    Empty,
}

fn id() -> impl Strategy<Value = Id> {
    prop_oneof![
        (0..7usize).prop_map(Id::Mine),
        (0..7usize).prop_map(Id::Theirs),
        Just(Id::Absent),
        Just(Id::NotANumber),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        "[ -~]{0,40}".prop_map(Value::from),
        Just(json!({ "type": "nonsense" })),
        Just(json!([1, 2, 3])),
        Just(Value::from("x".repeat(5000))),
        Just(Value::from(-1)),
        Just(Value::from(u64::MAX)),
    ]
}

fn body() -> impl Strategy<Value = BodyKind> {
    prop_oneof![
        3 => Just(BodyKind::Valid),
        2 => (0..8usize).prop_map(BodyKind::Dropped),
        3 => ((0..8usize), value()).prop_map(|(i, v)| BodyKind::Retyped(i, v)),
        1 => Just(BodyKind::Padded),
        1 => (0..40usize).prop_map(BodyKind::Foreign),
        1 => "[ -~]{0,60}".prop_map(BodyKind::Garbage),
        1 => Just(BodyKind::Empty),
    ]
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        6 => Just(Who::Fitting),
        1 => Just(Who::Admin),
        1 => Just(Who::Org),
        1 => Just(Who::Agent),
        1 => Just(Who::Wrong),
        1 => Just(Who::Nobody),
    ]
}

/// A valid body for each schema, made for this world.
fn example(schema: &str, w: &World) -> Value {
    let q = w.ids[0];
    match schema {
        "CreateOrg" => json!({ "name": "o" }),
        "ChannelSpec" => {
            json!({ "name": "c", "kind": "sms", "platform": "standard", "entry": { "queue": q } })
        }
        "ChannelUpdate" => json!({ "name": "renamed", "consent_level": "explicit" }),
        "QueueSpec" => {
            json!({ "name": "q2", "priority": 2, "push_timeout_ms": 1000, "required_skills": [{ "skill": "fr" }] })
        }
        "BotSpec" => {
            json!({ "name": "b", "greeting": "Hi", "question": "What?", "fallback_text": "Wait",
            "intents": [{ "id": "i", "label": "I", "action": { "type": "resolve", "reply": "ok" } }] })
        }
        "AgentSpec" => json!({ "name": "a", "capacity": 3, "skills": { "fr": 2 } }),
        "InboundRequest" => json!({ "address": "+2", "provider_message_id": "m2",
            "content": { "type": "text", "text": "hello" } }),
        "TriggeredOutboundRequest" => json!({ "address": "+1",
            "content": { "type": "template", "name": "t", "text": "hi" } }),
        "ConsentRequest" => json!({ "address": "+3", "consent": "explicitly_opted_in" }),
        "AdvanceClock" => json!({ "advance_ms": 1000 }),
        _ => json!({}),
    }
}

const SCHEMAS: [&str; 10] = [
    "CreateOrg",
    "ChannelSpec",
    "ChannelUpdate",
    "QueueSpec",
    "BotSpec",
    "AgentSpec",
    "InboundRequest",
    "TriggeredOutboundRequest",
    "ConsentRequest",
    "AdvanceClock",
];

fn shaped(kind: &BodyKind, schema: Option<&str>, w: &World) -> Option<String> {
    let base = example(schema.unwrap_or("CreateOrg"), w);
    let keys: Vec<String> = base
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let pick = |i: usize| keys.get(i % keys.len().max(1)).cloned().unwrap_or_default();
    Some(match kind {
        BodyKind::Valid => base.to_string(),
        BodyKind::Dropped(i) => {
            let mut v = base;
            if let Some(m) = v.as_object_mut() {
                m.remove(&pick(*i));
            }
            v.to_string()
        }
        BodyKind::Retyped(i, with) => {
            let mut v = base;
            v[pick(*i)] = with.clone();
            v.to_string()
        }
        BodyKind::Padded => {
            let mut v = base;
            v["unexpected"] = json!(1);
            v.to_string()
        }
        BodyKind::Foreign(i) => example(SCHEMAS[i % SCHEMAS.len()], w).to_string(),
        BodyKind::Garbage(text) => text.clone(),
        BodyKind::Empty => return None,
    })
}

fn path(route: Route, w: &World, ids: &[Id]) -> String {
    let mut path = route.path().to_owned();
    for (i, name) in ["{org}", "{channel}", "{id}"].iter().enumerate() {
        let id = &ids[i];
        let value = match (name, id) {
            (&"{org}", Id::Theirs(_)) => w.other_org.to_string(),
            (&"{org}", Id::NotANumber) => "x".into(),
            (&"{org}", _) => w.org.to_string(),
            (_, Id::Mine(k)) => w.ids[k % w.ids.len()].to_string(),
            (_, Id::Theirs(k)) => w.other_ids[k % w.other_ids.len()].to_string(),
            (_, Id::Absent) => "987654321".into(),
            (_, Id::NotANumber) => "abc".into(),
        };
        path = path.replace(name, &value);
    }
    path
}

fn request() -> impl Strategy<Value = (usize, Who, Vec<Id>, BodyKind)> {
    (
        0..Route::ALL.len(),
        who(),
        prop::collection::vec(id(), 3),
        body(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// 16 worlds × 640 requests: 10,240 hostile requests a run.
    #[test]
    fn no_request_gets_a_5xx_and_a_refused_one_changes_nothing(
        requests in prop::collection::vec(request(), 640)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let w = world().await;
            let (mut accepted, mut refused) = (0, 0);
            for (route, who, ids, kind) in &requests {
                let route = Route::ALL[*route];
                let token = match (who, route.caller()) {
                    (Who::Fitting, Caller::Admin) | (Who::Admin, _) => Some(ADMIN.to_owned()),
                    (Who::Fitting, Caller::Agent) | (Who::Agent, _) => Some(w.agent_token.clone()),
                    (Who::Fitting, _) | (Who::Org, _) => Some(w.token.clone()),
                    (Who::Wrong, _) => Some("not-anybody-token-0000".to_owned()),
                    (Who::Nobody, _) => None,
                };
                let body = match route.request() {
                    Some(schema) => shaped(kind, Some(schema), &w),
                    None => shaped(kind, None, &w).filter(|_| matches!(kind, BodyKind::Garbage(_))),
                };
                let target = path(route, &w, ids);
                let before = w.platform.read(Clone::clone);
                let (status, reply) =
                    call(&w.platform, route.method().as_str(), &target, token.as_deref(), body.clone()).await;
                prop_assert!(status < 500, "{} {target} {body:?} → {status} {reply}", route.method().as_str());
                if status < 400 {
                    accepted += 1;
                } else {
                    refused += 1;
                    let after = w.platform.read(Clone::clone);
                    prop_assert!(
                        before == after,
                        "{} {target} {body:?} → {status} {reply} changed the engine",
                        route.method().as_str()
                    );
                    prop_assert!(reply["code"].is_string(), "{status} without a code: {reply}");
                }
            }
            // The generator reaches past the first checks: some requests are carried out.
            prop_assert!(accepted >= 20 && refused >= 20, "{accepted} accepted, {refused} refused");
            Ok(())
        })?;
    }
}
