//! The reference server's access rules and input handling (R-SEC-1..4).

mod support;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use omnisim_protocol::*;
use omnisim_reference_server::server::platform::Platform;
use omnisim_reference_server::server::router;
use reqwest::Method;
use serde_json::{Value, json};
use support::*;
use tower::ServiceExt;

#[tokio::test]
async fn r_sec_1_tokens_are_required_and_other_orgs_read_as_absent() {
    let t = TestServer::start().await;
    let (status, body) = t
        .call(Method::POST, None, "/v1/orgs", Some(json!({ "name": "x" })))
        .await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    let (status, _) = t
        .call(
            Method::POST,
            Some("wrong-token-0000000"),
            "/v1/orgs",
            Some(json!({ "name": "x" })),
        )
        .await;
    assert_eq!(status, 401);
    let a = t.org("a").await;
    let b = t.org("b").await;
    let qa = t.queue(&a, json!({ "name": "qa" })).await;
    let (status, _) = t
        .call(
            Method::GET,
            None,
            &format!("/v1/orgs/{}/queues", a.id.0),
            None,
        )
        .await;
    assert_eq!(status, 401);
    // b's token on a's path, or a's ids under b's path: absent.
    let (status, body) = t
        .get(&b.token, &format!("/v1/orgs/{}/queues/{}", a.id.0, qa.0))
        .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (status, _) = t
        .get(&b.token, &format!("/v1/orgs/{}/queues/{}", b.id.0, qa.0))
        .await;
    assert_eq!(status, 404);
    // An agent token is not an org token, and a bad agent token opens no socket.
    let ann = t.agent(&a, 1).await;
    let (status, _) = t
        .get(&ann.token, &format!("/v1/orgs/{}/queues", a.id.0))
        .await;
    assert_eq!(status, 401);
    let url = format!("ws://{}/v1/agent?token=nope-nope-nope-nope", t.server.addr);
    assert!(tokio_tungstenite::connect_async(url).await.is_err());
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn r_sec_2_and_3_agents_and_streams_see_only_their_own() {
    let t = TestServer::start().await;
    let a = t.org("a").await;
    let b = t.org("b").await;
    let qa = t.queue(&a, json!({ "name": "qa" })).await;
    let web = t
        .channel(&a, json!({ "name": "w", "kind": "web", "platform": "standard", "entry": { "queue": qa.0 } }))
        .await;
    let ann = t.agent(&a, 1).await;
    let (mut agent_a, _) = t.agent_socket(&ann.token).await;
    agent_a
        .must(AgentRequest::SetPresence {
            presence: Presence::Online,
        })
        .await;
    let s = t.say(&a, web, "alice", "p1", "hi").await;
    let offer = agent_a.next_offer().await;
    // Another org's agent: the work and the session do not exist for it.
    let bob = t.agent(&b, 1).await;
    let (mut agent_b, _) = t.agent_socket(&bob.token).await;
    let (_, reply) = agent_b
        .request(AgentRequest::Accept {
            work: offer.work.id,
        })
        .await;
    assert_eq!(reply.error.map(|e| e.code), Some(ErrorCode::NotFound));
    // Offered but not accepted: no sending (R-SEC-2).
    let (_, reply) = agent_a
        .request(AgentRequest::Send {
            session: s.session,
            client_message_id: "c1".into(),
            content: OutboundContent::Text {
                text: "early".into(),
            },
        })
        .await;
    assert_eq!(reply.error.map(|e| e.code), Some(ErrorCode::Forbidden));
    // Alice's stream does not carry Carol's messages (R-SEC-3).
    let alice = format!(
        "/v1/orgs/{}/channels/{}/users/stream?address=alice&session={}&after_seq=1",
        a.id.0, web.0, s.session.0
    );
    let mut alice_stream = t.socket(&alice, &a.token).await;
    t.say(&a, web, "carol", "p2", "carol here").await;
    t.say(&a, web, "alice", "p3", "alice again").await;
    let m = alice_stream.next_message().await;
    assert_eq!((m.session, m.seq), (s.session, Seq(2)));
    // Another org's token cannot open this channel's stream.
    let (status, _) = t
        .get(
            &b.token,
            &format!("/v1/orgs/{}/channels/{}/stream", a.id.0, web.0),
        )
        .await;
    assert_eq!(status, 404);
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn r_sec_4_a_bad_agent_frame_gets_an_error_reply_and_the_socket_stays_open() {
    let t = TestServer::start().await;
    let a = t.org("a").await;
    let ann = t.agent(&a, 1).await;
    let (mut agent, _) = t.agent_socket(&ann.token).await;
    agent.send_text(r#"{"id": 41, "type": "teleport"}"#).await;
    let AgentPush::Reply(reply) = AgentPush::parse(&agent.next_text().await).unwrap() else {
        panic!("a reply")
    };
    assert_eq!(reply.id, 41);
    assert_eq!(reply.error.map(|e| e.code), Some(ErrorCode::InvalidJson));
    agent.send_text("not json at all").await;
    let AgentPush::Reply(reply) = AgentPush::parse(&agent.next_text().await).unwrap() else {
        panic!("a reply")
    };
    assert_eq!(reply.error.map(|e| e.code), Some(ErrorCode::InvalidJson));
    agent
        .must(AgentRequest::SetPresence {
            presence: Presence::Online,
        })
        .await;
    t.server.shutdown().await.unwrap();
}

/// A server without a socket, driven through `oneshot`.
struct App {
    platform: Platform,
    org: u64,
    token: String,
    channel: u64,
}

impl App {
    async fn new() -> App {
        let platform = platform(ClockMode::Wall);
        let mut app = App {
            platform,
            org: 0,
            token: ADMIN.into(),
            channel: 0,
        };
        let (_, org) = app
            .send("POST", "/v1/orgs", json!({ "name": "acme" }).to_string())
            .await;
        app.org = org["org"].as_u64().unwrap();
        app.token = org["token"].as_str().unwrap().into();
        let (_, q) = app
            .send(
                "POST",
                &format!("/v1/orgs/{}/queues", app.org),
                json!({ "name": "q" }).to_string(),
            )
            .await;
        let spec = json!({ "name": "w", "kind": "web", "platform": "standard", "entry": { "queue": q["id"] } });
        let (_, ch) = app
            .send(
                "POST",
                &format!("/v1/orgs/{}/channels", app.org),
                spec.to_string(),
            )
            .await;
        app.channel = ch["id"].as_u64().unwrap();
        app
    }

    async fn send(&self, method: &str, path: &str, body: String) -> (StatusCode, Value) {
        self.send_as(&format!("Bearer {}", self.token), method, path, body)
            .await
    }

    /// A request with `authorization` as its Authorization header.
    async fn send_as(
        &self,
        authorization: &str,
        method: &str,
        path: &str,
        body: String,
    ) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", authorization)
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let resp = router(self.platform.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Everything an observer could read back, to show nothing changed.
    fn state(&self) -> (Vec<Session>, Vec<WorkItem>, Vec<Channel>) {
        let org = OrgId(self.org);
        self.platform.read(|e| {
            (
                e.sessions(org).unwrap(),
                e.work_items(org).unwrap(),
                e.channels(org).unwrap(),
            )
        })
    }
}

#[tokio::test]
async fn r_sec_4_malformed_requests_get_4xx_json_and_change_nothing() {
    let app = App::new().await;
    let inbound = format!("/v1/orgs/{}/channels/{}/inbound", app.org, app.channel);
    let text = |t: &str| {
        json!({ "address": "u", "provider_message_id": "p", "content": { "type": "text", "text": t } }).to_string()
    };
    let cases: Vec<(&str, String, String, u16, &str)> = vec![
        ("POST", inbound.clone(), "not json".into(), 400, "invalid_json"),
        ("POST", inbound.clone(), "".into(), 400, "invalid_json"),
        ("POST", inbound.clone(), json!({ "address": 7, "provider_message_id": "p", "content": { "type": "text", "text": "x" } }).to_string(), 400, "invalid_json"),
        ("POST", inbound.clone(), json!({ "address": "u", "provider_message_id": "p", "content": { "type": "shout", "text": "x" } }).to_string(), 400, "invalid_json"),
        ("POST", inbound.clone(), json!({ "address": "u", "provider_message_id": "p", "content": { "type": "text", "text": "x" }, "extra": 1 }).to_string(), 400, "invalid_json"),
        ("POST", inbound.clone(), json!({ "address": "u", "content": { "type": "text", "text": "x" } }).to_string(), 400, "invalid_json"),
        ("POST", inbound.clone(), text(&"x".repeat(70 * 1024)), 413, "payload_too_large"),
        ("POST", inbound.clone(), text(&"x".repeat(5_000)), 422, "text_too_long"),
        ("POST", inbound.clone(), text("   "), 422, "invalid_input"),
        ("POST", inbound.clone(), json!({ "address": "", "provider_message_id": "p", "content": { "type": "text", "text": "x" } }).to_string(), 422, "invalid_input"),
        ("POST", inbound.clone(), json!({ "address": "u", "provider_message_id": "p", "content": { "type": "component_response", "in_reply_to": 1, "answer_id": "a" } }).to_string(), 422, "components_unsupported"),
        ("POST", inbound.clone(), json!({ "address": "u", "provider_message_id": "p", "content": { "type": "end" } }).to_string(), 409, "session_ended"),
        ("POST", format!("/v1/orgs/{}/channels/999999/inbound", app.org), text("x"), 404, "not_found"),
        ("POST", format!("/v1/orgs/{}/channels/abc/inbound", app.org), text("x"), 404, "not_found"),
        ("POST", format!("/v1/orgs/{}/queues", app.org), json!({ "name": "q", "capacity_weight": 0 }).to_string(), 422, "invalid_input"),
        ("POST", format!("/v1/orgs/{}/queues", app.org), json!({ "name": "q", "routing_model": "random" }).to_string(), 400, "invalid_json"),
        ("POST", format!("/v1/orgs/{}/channels", app.org), json!({ "name": "c", "kind": "fax", "platform": "standard", "entry": { "queue": 1 } }).to_string(), 400, "invalid_json"),
        ("PATCH", format!("/v1/orgs/{}/channels/{}", app.org, app.channel), json!({ "platform": "enhanced" }).to_string(), 409, "channel_type_immutable"),
        ("GET", format!("/v1/orgs/{}/sessions/424242", app.org), String::new(), 404, "not_found"),
        ("GET", "/v1/nowhere".into(), String::new(), 404, "route_not_found"),
        ("DELETE", inbound.clone(), String::new(), 405, "method_not_allowed"),
    ];
    let before = app.state();
    for (method, path, body, status, code) in cases {
        let (got_status, got) = app.send(method, &path, body.clone()).await;
        let shown = &body[..body.len().min(80)];
        assert_eq!(
            got_status.as_u16(),
            status,
            "{method} {path} {shown}: {got}"
        );
        assert_eq!(
            got["code"].as_str(),
            Some(code),
            "{method} {path} {shown}: {got}"
        );
        assert!(
            got["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{got}"
        );
    }
    assert!(app.state() == before, "a rejected request changed state");
    // The server still serves.
    let (status, _) = app.send("POST", &inbound, text("hello")).await;
    assert_eq!(status, StatusCode::OK);
}

/// The caller is judged before anything else of the request: without a valid token, a malformed
/// body, an oversize one, a bad query or a path id that is not a number all get 401, so nothing
/// about the API's shapes reaches an anonymous caller (protocol.md §8, precedence).
#[tokio::test]
async fn the_caller_is_judged_before_the_path_ids_the_query_and_the_body() {
    let app = App::new().await;
    let org = app.org;
    let requests: Vec<(&str, String, String)> = vec![
        ("POST", "/v1/orgs".into(), "not json".into()),
        ("POST", "/v1/orgs".into(), "x".repeat(70 * 1024)),
        (
            "POST",
            format!("/v1/orgs/{org}/queues"),
            "{\"name\": 3}".into(),
        ),
        (
            "POST",
            format!("/v1/orgs/{org}/channels/abc/inbound"),
            "not json".into(),
        ),
        ("POST", "/v1/orgs/abc/queues".into(), "{}".into()),
        (
            "GET",
            format!("/v1/orgs/{org}/channels/{}/users?addr=1", app.channel),
            String::new(),
        ),
        ("GET", format!("/v1/orgs/{org}/sessions/abc"), String::new()),
        (
            "GET",
            format!("/v1/orgs/{org}/sessions/1/messages?after=x"),
            String::new(),
        ),
        (
            "GET",
            format!("/v1/orgs/{org}/channels/{}/stream?after=x", app.channel),
            String::new(),
        ),
    ];
    for (method, path, body) in requests {
        for authorization in ["Bearer not-a-token-of-anyone", "Basic abc", ""] {
            let (status, got) = app
                .send_as(authorization, method, &path, body.clone())
                .await;
            assert_eq!(
                (status.as_u16(), got["code"].as_str()),
                (401, Some("unauthorized")),
                "{method} {path} as {authorization:?}: {got}"
            );
        }
    }
    // With the token, the same requests are judged on what they carry.
    let (status, got) = app
        .send(
            "POST",
            &format!("/v1/orgs/{org}/channels/abc/inbound"),
            "not json".into(),
        )
        .await;
    assert_eq!(
        (status.as_u16(), got["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, got) = app
        .send(
            "POST",
            &format!("/v1/orgs/{org}/queues"),
            "{\"name\": 3}".into(),
        )
        .await;
    assert_eq!(
        (status.as_u16(), got["code"].as_str()),
        (400, Some("invalid_json"))
    );
}

/// The authentication scheme is case-insensitive (RFC 9110 §11.1); the token is not.
#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = App::new().await;
    let path = format!("/v1/orgs/{}/channels", app.org);
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let (status, _) = app
            .send_as(
                &format!("{scheme} {}", app.token),
                "GET",
                &path,
                String::new(),
            )
            .await;
        assert_eq!(status.as_u16(), 200, "{scheme}");
    }
    let shouted = format!("Bearer {}", app.token.to_uppercase());
    let (status, _) = app.send_as(&shouted, "GET", &path, String::new()).await;
    assert_eq!(status.as_u16(), 401);
}

/// The server serves every route of the protocol's table with its method, and answers 405 for
/// the methods the table does not give a path: the OpenAPI and AsyncAPI documents generated
/// from the table describe exactly what the server serves.
#[tokio::test]
async fn the_server_serves_exactly_the_routes_of_the_table() {
    use omnisim_protocol::routes::{Method, Route};
    let app = App::new().await;
    let fill = |path: &str| {
        path.replace("{org}", &app.org.to_string())
            .replace("{channel}", &app.channel.to_string())
            .replace("{id}", "1")
    };
    for &route in Route::ALL {
        let path = fill(route.path());
        let (status, body) = app
            .send_as("", route.method().as_str(), &path, String::new())
            .await;
        let code = body["code"].as_str();
        assert!(
            code != Some("route_not_found") && code != Some("method_not_allowed"),
            "{route:?}: {} {path} → {status} {body}",
            route.method().as_str()
        );
        for other in [
            Method::Get,
            Method::Post,
            Method::Put,
            Method::Patch,
            Method::Delete,
        ] {
            let served = Route::ALL
                .iter()
                .any(|r| r.path() == route.path() && r.method() == other);
            if !served {
                let (status, _) = app.send_as("", other.as_str(), &path, String::new()).await;
                assert_eq!(status.as_u16(), 405, "{} {path}", other.as_str());
            }
        }
    }
    let (status, _) = app.send_as("", "DELETE", "/v1/orgs", String::new()).await;
    assert_eq!(status.as_u16(), 405);
}

/// Clients that replay a long channel and never read cost bounded time: each is dropped once it
/// has taken no frame for the send timeout, the replays are serialized outside the platform's
/// lock, and another org is served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_to_clients_that_never_read_are_dropped_and_block_nobody() {
    use omnisim_reference_server::server::ServerConfig;
    let t = TestServer::with_config(ServerConfig {
        send_timeout: std::time::Duration::from_millis(300),
        ..ServerConfig::default()
    })
    .await;
    let a = t.org("a").await;
    let q = t.queue(&a, json!({ "name": "q" })).await;
    let ch = t
        .channel(&a, json!({ "name": "w", "kind": "web", "platform": "standard", "entry": { "queue": q.0 } }))
        .await;
    // About 4 MB of history: more than loopback buffers take from a client that reads nothing.
    let text = "x".repeat(4000);
    for i in 0..1000 {
        t.say(&a, ch, &format!("+{}", i % 50), &format!("p{i}"), &text)
            .await;
    }
    let path = format!("/v1/orgs/{}/channels/{}/stream?after=0", a.id.0, ch.0);
    let mut stuck = Vec::new();
    for _ in 0..6 {
        stuck.push(t.socket(&path, &a.token).await);
    }
    // Another org is served while the replays are stuck.
    let b = t.org("b").await;
    let (status, _) = t
        .get(&b.token, &format!("/v1/orgs/{}/queues", b.id.0))
        .await;
    assert_eq!(status, 200);
    let dropped = || async {
        let text = t
            .http
            .get(t.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name} ")))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        (
            value("omnisim_sockets_dropped_total"),
            value("omnisim_sockets"),
        )
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (n, open) = dropped().await;
        if n >= 6 && open == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} of 6 stuck replays dropped, {open} sockets still counted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    drop(stuck);
    t.server.shutdown().await.unwrap();
}

/// A replay's turn ends once its history is sent, not when its socket closes: readers that
/// replayed and stay open (more of them than an org has turns) leave the next reader its replay.
#[tokio::test]
async fn a_replay_gives_its_turn_back_once_sent() {
    let t = TestServer::start().await;
    let a = t.org("a").await;
    let q = t.queue(&a, json!({ "name": "q" })).await;
    let ch = t
        .channel(&a, json!({ "name": "w", "kind": "web", "platform": "standard", "entry": { "queue": q.0 } }))
        .await;
    t.say(&a, ch, "+1", "p1", "hello").await;
    let path = format!("/v1/orgs/{}/channels/{}/stream?after=0", a.id.0, ch.0);
    let mut open = Vec::new();
    for _ in 0..=omnisim_reference_server::server::platform::REPLAYS_PER_ORG {
        let mut reader = t.socket(&path, &a.token).await;
        match reader.next_event().await {
            Event::Message { message, .. } => assert_eq!(message.channel_seq, 1),
            other => panic!("expected the replayed message, got {other:?}"),
        }
        open.push(reader);
    }
    t.server.shutdown().await.unwrap();
}

/// A body declared over the limit is refused from its headers, before it is read; a frame over
/// the limit on a socket gets the close code 1009 rather than a dropped connection.
#[tokio::test]
async fn oversize_input_is_refused_from_its_declaration_and_frames_get_1009() {
    let app = App::new().await;
    let path = format!("/v1/orgs/{}/channels/{}/inbound", app.org, app.channel);
    let req = Request::builder()
        .method("POST")
        .uri(&path)
        .header("authorization", format!("Bearer {}", app.token))
        .header("content-type", "application/json")
        .header("content-length", "99999999999999")
        .body(Body::from("{}"))
        .unwrap();
    let resp = router(app.platform.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let t = TestServer::start().await;
    let org = t.org("a").await;
    let agent = t.agent(&org, 1).await;
    let (mut socket, _) = t.agent_socket(&agent.token).await;
    socket.send_text(&"x".repeat(1 << 20)).await;
    assert_eq!(socket.closed().await, Some(1009));
    t.server.shutdown().await.unwrap();
}
