//! A reference server on an ephemeral port, spoken to over real HTTP and WebSocket.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use omnisim_protocol::*;
use omnisim_reference_server::server::{self, RunningServer, ServerConfig};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};

pub const ADMIN: &str = "test-admin-token-0001";
/// How long a test waits for a frame before it fails: a bound on failure, not a sleep.
const FRAME_TIMEOUT: Duration = Duration::from_secs(5);

/// A platform without a socket, for `oneshot`: the test admin token, small socket queues, and
/// `clock`.
pub fn platform(clock: ClockMode) -> omnisim_reference_server::server::platform::Platform {
    use omnisim_reference_server::server::platform::{Platform, Settings};
    // The platform only reads the shutdown signal; nothing here ever sends it.
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    Platform::new(
        Settings {
            admin_token: ADMIN.into(),
            socket_queue: 16,
            faults: Default::default(),
            retention: Some(omnisim_protocol::Millis::from_hours(24)),
            clock,
            send_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
        },
        stopped,
    )
}

pub struct TestServer {
    pub server: RunningServer,
    pub http: reqwest::Client,
}

/// An org of the test server: its id and admin token.
#[derive(Clone)]
pub struct Org {
    pub id: OrgId,
    pub token: String,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::with_queue(4096).await
    }

    pub async fn with_queue(socket_queue: usize) -> TestServer {
        Self::with_config(ServerConfig {
            socket_queue,
            ..ServerConfig::default()
        })
        .await
    }

    /// A server on an ephemeral port with the test admin token and otherwise `config`.
    pub async fn with_config(config: ServerConfig) -> TestServer {
        let config = ServerConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            admin_token: Some(ADMIN.into()),
            ..config
        };
        TestServer {
            server: server::start(config).await.expect("server starts"),
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// Any request; returns the status and the JSON body (Null when there is none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body read");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn post(&self, token: &str, path: &str, body: impl Serialize) -> (u16, Value) {
        let body = serde_json::to_value(body).unwrap();
        self.call(reqwest::Method::POST, Some(token), path, Some(body))
            .await
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, Some(token), path, None)
            .await
    }

    /// A request that must succeed, decoded as `T`.
    pub async fn ok<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        body: impl Serialize,
    ) -> T {
        let (status, value) = self.post(token, path, body).await;
        assert!(status < 300, "{path}: {status} {value}");
        serde_json::from_value(value).expect("reply decodes")
    }

    pub async fn read<T: DeserializeOwned>(&self, token: &str, path: &str) -> T {
        let (status, value) = self.get(token, path).await;
        assert_eq!(status, 200, "{path}: {value}");
        serde_json::from_value(value).expect("reply decodes")
    }

    pub async fn org(&self, name: &str) -> Org {
        let created: OrgCreated = self.ok(ADMIN, "/v1/orgs", json!({ "name": name })).await;
        Org {
            id: created.org,
            token: created.token,
        }
    }

    pub async fn queue(&self, org: &Org, spec: Value) -> QueueId {
        let c: Created<QueueId> = self
            .ok(&org.token, &format!("/v1/orgs/{}/queues", org.id.0), spec)
            .await;
        c.id
    }

    pub async fn channel(&self, org: &Org, spec: Value) -> ChannelId {
        let c: Channel = self
            .ok(&org.token, &format!("/v1/orgs/{}/channels", org.id.0), spec)
            .await;
        c.id
    }

    pub async fn agent(&self, org: &Org, capacity: u32) -> AgentCreated {
        let spec = json!({ "name": "ann", "capacity": capacity });
        self.ok(&org.token, &format!("/v1/orgs/{}/agents", org.id.0), spec)
            .await
    }

    /// A customer text through the provider webhook.
    pub async fn say(
        &self,
        org: &Org,
        channel: ChannelId,
        address: &str,
        pmid: &str,
        text: &str,
    ) -> InboundAccepted {
        let body = json!({
            "address": address, "provider_message_id": pmid,
            "content": { "type": "text", "text": text }
        });
        self.ok(
            &org.token,
            &format!("/v1/orgs/{}/channels/{}/inbound", org.id.0, channel.0),
            body,
        )
        .await
    }

    /// Opens a socket at `path` with a bearer token.
    pub async fn socket(&self, path: &str, token: &str) -> Socket {
        let url = format!("ws://{}{path}", self.server.addr);
        let mut req = url.into_client_request().unwrap();
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (stream, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("socket opens");
        Socket { stream, next_id: 0 }
    }

    /// The agent's socket, after its hello.
    pub async fn agent_socket(&self, token: &str) -> (Socket, AgentHello) {
        let mut socket = self.socket("/v1/agent", token).await;
        let hello = match AgentPush::parse(&socket.next_text().await).unwrap() {
            AgentPush::Hello(h) => h,
            other => panic!("expected hello, got {other:?}"),
        };
        (socket, hello)
    }
}

pub struct Socket {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
}

impl Socket {
    /// The next text frame.
    pub async fn next_text(&mut self) -> String {
        loop {
            let frame = tokio::time::timeout(FRAME_TIMEOUT, self.stream.next())
                .await
                .expect("a frame arrives in time")
                .expect("socket open")
                .expect("frame reads");
            match frame {
                WsMessage::Text(t) => return t.to_string(),
                WsMessage::Close(c) => panic!("socket closed: {c:?}"),
                _ => continue,
            }
        }
    }

    /// The next frame as an event.
    pub async fn next_event(&mut self) -> Event {
        serde_json::from_str(&self.next_text().await).expect("an event")
    }

    /// Events until one matches, returning the ones skipped and the match.
    pub async fn until(&mut self, mut f: impl FnMut(&Event) -> bool) -> (Vec<Event>, Event) {
        let mut skipped = Vec::new();
        loop {
            let e = self.next_event().await;
            if f(&e) {
                return (skipped, e);
            }
            skipped.push(e);
        }
    }

    /// The next offer of work to this agent.
    pub async fn next_offer(&mut self) -> Box<Offer> {
        match self.until(|e| matches!(e, Event::WorkOffered(_))).await.1 {
            Event::WorkOffered(offer) => offer,
            _ => unreachable!(),
        }
    }

    /// The next `message` event's message.
    pub async fn next_message(&mut self) -> std::sync::Arc<Message> {
        match self.until(|e| matches!(e, Event::Message { .. })).await.1 {
            Event::Message { message, .. } => message,
            _ => unreachable!(),
        }
    }

    /// Sends an agent request and returns every event before its reply, and the reply.
    pub async fn request(&mut self, request: AgentRequest) -> (Vec<Event>, AgentReply) {
        self.next_id += 1;
        let frame = AgentFrame {
            id: self.next_id,
            request,
        };
        self.send_text(&serde_json::to_string(&frame).unwrap())
            .await;
        let mut events = Vec::new();
        loop {
            match AgentPush::parse(&self.next_text().await).unwrap() {
                AgentPush::Reply(r) if r.id == self.next_id => return (events, r),
                AgentPush::Event(e) => events.push(e),
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// A request that must succeed.
    pub async fn must(&mut self, request: AgentRequest) -> (Vec<Event>, AgentReply) {
        let (events, reply) = self.request(request).await;
        assert!(reply.error.is_none(), "request failed: {:?}", reply.error);
        (events, reply)
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(WsMessage::Text(text.into()))
            .await
            .expect("frame sent");
    }

    /// Waits for the server to close the socket and returns its close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            let frame = tokio::time::timeout(FRAME_TIMEOUT, self.stream.next())
                .await
                .expect("the socket closes in time");
            match frame {
                Some(Ok(WsMessage::Close(c))) => return c.map(|c| u16::from(c.code)),
                Some(Ok(_)) => continue,
                Some(Err(tungstenite::Error::ConnectionClosed)) | None => return None,
                Some(Err(e)) => panic!("socket error {e}"),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}
