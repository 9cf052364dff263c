//! What a conformance case works with: its own org on the target, setup helpers, agent
//! connections that wait for replies and events with deadlines, and the failures a case reports.

use crate::live::client::{Client, ClientError, Socket, next_text, send_json};
use futures_util::SinkExt;
use omnisim_protocol::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::VecDeque;
use std::time::Duration;

/// Why a case did not pass. The evidence (the case's exchanges) is attached by the runner.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// A rule was broken: what it expects and what was seen.
    Fail {
        rule: String,
        expected: String,
        seen: String,
    },
    /// The server misbehaved at the protocol level: a bad status, a body that is not the
    /// protocol, a timeout, a closed socket.
    Error { what: String },
}

/// A case's result before timing: pass, or the problem.
pub type CaseResult = Result<(), Problem>;

/// A failed expectation about `rule`.
pub fn fail(rule: &str, expected: impl Into<String>, seen: impl Into<String>) -> Problem {
    Problem::Fail {
        rule: rule.to_owned(),
        expected: expected.into(),
        seen: seen.into(),
    }
}

/// A protocol-level error.
pub fn error(what: impl Into<String>) -> Problem {
    Problem::Error { what: what.into() }
}

impl From<ClientError> for Problem {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Api(api) => error(format!("unexpected rejection: {api}")),
            ClientError::Transport(t) => error(t),
            ClientError::Protocol(e, body) => {
                error(format!("a reply that is not the protocol: {e}: {body}"))
            }
        }
    }
}

/// Checks `cond` about `rule`.
pub fn check(
    rule: &str,
    cond: bool,
    expected: impl Into<String>,
    seen: impl FnOnce() -> String,
) -> CaseResult {
    if cond {
        Ok(())
    } else {
        Err(fail(rule, expected, seen()))
    }
}

/// How long to wait for something that should happen at once (an event after a request).
pub const PROMPT: Duration = Duration::from_secs(3);

/// One case's own org on the target, and the exchanges so far (evidence for a failure).
pub struct Ctx {
    pub client: Client,
    admin_token: String,
    pub org: OrgId,
    pub token: String,
    /// How the target's time passes: on a manual clock [`Ctx::elapse`] advances the org's clock.
    pub clock: ClockMode,
    /// Shared with the runner, which attaches it to a failure after the case has ended.
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Ctx {
    /// Creates a fresh org for one case.
    pub async fn new(
        client: Client,
        admin_token: &str,
        clock: ClockMode,
        case: &str,
    ) -> Result<Ctx, Problem> {
        let created: OrgCreated = client
            .post(
                admin_token,
                "/v1/orgs",
                &CreateOrg {
                    name: format!("conform {case}"),
                },
            )
            .await?;
        Ok(Ctx {
            client,
            admin_token: admin_token.to_owned(),
            org: created.org,
            token: created.token,
            clock,
            log: Default::default(),
        })
    }

    /// Lets `span` pass for this case's org: advances its manual clock, firing every timer due
    /// by then before it returns, or sleeps on a wall clock (where timers then fire on their
    /// own, so a case waits for their events with a deadline).
    pub async fn elapse(&mut self, span: Duration) -> Result<(), Problem> {
        if self.clock == ClockMode::Wall {
            tokio::time::sleep(span).await;
            return Ok(());
        }
        let path = self.path("/clock");
        let body = AdvanceClock {
            advance_ms: Millis(span.as_millis() as u64),
        };
        let body = serde_json::to_string(&body).map_err(|e| error(e.to_string()))?;
        let shown = format!("POST {path} {body}");
        let (status, text) = self
            .client
            .raw(
                http::Method::POST,
                Some(&self.admin_token),
                &path,
                Some(body),
            )
            .await?;
        self.note(format!("{shown} → {status} {text}"));
        match (status, serde_json::from_str::<ClockReading>(&text)) {
            (200, Ok(_)) => Ok(()),
            _ => Err(error(format!(
                "{shown}: advancing the manual clock the server declares gave {status} {text}"
            ))),
        }
    }

    /// Another org on the same target: its id and token (isolation cases).
    pub async fn admin_org(&mut self, name: &str) -> Result<(OrgId, String), Problem> {
        let created: OrgCreated = self
            .client
            .post(
                &self.admin_token,
                "/v1/orgs",
                &CreateOrg {
                    name: name.to_owned(),
                },
            )
            .await?;
        Ok((created.org, created.token))
    }

    /// A context in a second org of the target, sharing this case's evidence: the other tenant
    /// of isolation cases, whose resources this case's org must not reach (R-SEC-1).
    pub async fn sibling(&mut self, name: &str) -> Result<Ctx, Problem> {
        let (org, token) = self.admin_org(name).await?;
        Ok(Ctx {
            client: self.client.clone(),
            admin_token: self.admin_token.clone(),
            org,
            token,
            clock: self.clock,
            log: self.log.clone(),
        })
    }

    /// The exchanges the case makes, as the runner will read them.
    pub fn log(&self) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
        self.log.clone()
    }

    /// Records an exchange as evidence.
    pub fn note(&mut self, line: impl Into<String>) {
        if let Ok(mut log) = self.log.lock() {
            log.push(line.into());
        }
    }

    /// The target's admin token.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// Any request as it is, recorded: `path` from the root, `token` as the bearer if any, `body`
    /// sent as JSON text, on a connection of its own (a bad request may leave it unusable). The
    /// status and the body as text.
    pub async fn exchange(
        &mut self,
        method: http::Method,
        token: Option<&str>,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, String), Problem> {
        let shown: String = body.as_deref().unwrap_or("").chars().take(200).collect();
        let shown = format!("{method} {path} {shown}");
        let (status, text) = self
            .client
            .unpooled()
            .raw(method, token, path, body)
            .await?;
        self.note(format!("{shown} → {status} {text}"));
        Ok((status, text))
    }

    /// `/v1/orgs/{org}` + `rest`.
    pub fn path(&self, rest: &str) -> String {
        format!("/v1/orgs/{}{rest}", self.org.0)
    }

    /// A JSON request with the org token, recorded; the status and the parsed reply or error. A
    /// 204 without a body reads as JSON `null` (into `()`).
    pub async fn call<T: DeserializeOwned>(
        &mut self,
        method: http::Method,
        rest: &str,
        body: Option<&impl Serialize>,
    ) -> Result<(u16, Result<T, ApiError>), Problem> {
        let path = self.path(rest);
        let body = body
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| error(e.to_string()))?;
        let shown = format!("{method} {path} {}", body.as_deref().unwrap_or(""));
        let (status, text) = self
            .client
            .raw(method, Some(&self.token), &path, body)
            .await?;
        self.note(format!("{shown} → {status} {text}"));
        let parsed = if (200..300).contains(&status) {
            let text = if status == 204 && text.is_empty() {
                "null"
            } else {
                &text
            };
            Ok(crate::wire::reply::<T>(text).map_err(|e| {
                error(format!(
                    "{shown}: a {status} reply that is not the protocol: {e}: {text}"
                ))
            })?)
        } else {
            Err(crate::wire::reply::<ApiError>(&text).map_err(|e| {
                error(format!(
                    "{shown}: a {status} error that is not the protocol: {e}: {text}"
                ))
            })?)
        };
        Ok((status, parsed))
    }

    /// A request that must succeed.
    pub async fn ok<T: DeserializeOwned>(
        &mut self,
        method: http::Method,
        rest: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, Problem> {
        match self.call(method, rest, body).await? {
            (_, Ok(v)) => Ok(v),
            (status, Err(e)) => Err(error(format!("{rest}: refused with {status} {e}"))),
        }
    }

    /// A session with its transcript, read back.
    pub async fn transcript(&mut self, session: SessionId) -> Result<SessionTranscript, Problem> {
        let rest = format!("/sessions/{}", session.0);
        self.ok(http::Method::GET, &rest, None::<&()>).await
    }

    pub async fn queue(&mut self, name: &str, push_timeout_ms: u64) -> Result<QueueId, Problem> {
        self.queue_spec(plain_queue(name, push_timeout_ms)).await
    }

    pub async fn queue_spec(&mut self, spec: QueueSpec) -> Result<QueueId, Problem> {
        let c: Created<QueueId> = self.ok(http::Method::POST, "/queues", Some(&spec)).await?;
        Ok(c.id)
    }

    pub async fn channel(
        &mut self,
        kind: ChannelKind,
        platform: Platform,
        entry: Entry,
    ) -> Result<Channel, Problem> {
        self.channel_spec(plain_channel(kind, platform, entry))
            .await
    }

    pub async fn channel_spec(&mut self, spec: ChannelSpec) -> Result<Channel, Problem> {
        self.ok(http::Method::POST, "/channels", Some(&spec)).await
    }

    /// A web channel on the standard platform whose entry is a fresh queue `q` with this push
    /// timeout: the setting of most routing and session cases.
    pub async fn queue_channel(&mut self, push_timeout_ms: u64) -> Result<ChannelId, Problem> {
        let q = self.queue("q", push_timeout_ms).await?;
        let ch = self
            .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
            .await?;
        Ok(ch.id)
    }

    /// A channel whose entry is [`Ctx::bot`], handing off to a fresh queue `q`.
    pub async fn bot_channel(
        &mut self,
        kind: ChannelKind,
        platform: Platform,
    ) -> Result<ChannelId, Problem> {
        let q = self.queue("q", 30_000).await?;
        let bot = self.bot(q).await?;
        Ok(self.channel(kind, platform, Entry::Bot(bot)).await?.id)
    }

    /// A bot with a resolve intent (`hours`) and a handoff intent (`agent`, to `queue`).
    pub async fn bot(&mut self, queue: QueueId) -> Result<BotId, Problem> {
        self.bot_spec(plain_bot(queue)).await
    }

    pub async fn bot_spec(&mut self, spec: BotSpec) -> Result<BotId, Problem> {
        let c: Created<BotId> = self.ok(http::Method::POST, "/bots", Some(&spec)).await?;
        Ok(c.id)
    }

    /// Records `consent` for `address` on `channel`.
    pub async fn consent(
        &mut self,
        channel: ChannelId,
        address: &str,
        consent: Consent,
    ) -> Result<MessagingUser, Problem> {
        let req = ConsentRequest {
            address: address.to_owned(),
            consent,
        };
        let rest = format!("/channels/{}/users/consent", channel.0);
        self.ok(http::Method::PUT, &rest, Some(&req)).await
    }

    /// The messaging user of (`channel`, `address`).
    pub async fn user(
        &mut self,
        channel: ChannelId,
        address: &str,
    ) -> Result<MessagingUser, Problem> {
        let rest = format!(
            "/channels/{}/users?address={}",
            channel.0,
            query_value(address)
        );
        self.ok(http::Method::GET, &rest, None::<&()>).await
    }

    /// A work item, read back.
    pub async fn work_item(&mut self, work: WorkId) -> Result<WorkItem, Problem> {
        let rest = format!("/work/{}", work.0);
        self.ok(http::Method::GET, &rest, None::<&()>).await
    }

    /// An agent, read back.
    pub async fn read_agent(&mut self, agent: AgentId) -> Result<Agent, Problem> {
        let rest = format!("/agents/{}", agent.0);
        self.ok(http::Method::GET, &rest, None::<&()>).await
    }

    /// `PUT /agents/{id}`: the status and the agent or the error.
    pub async fn update_agent(
        &mut self,
        agent: AgentId,
        spec: &AgentSpec,
    ) -> Result<(u16, Result<Agent, ApiError>), Problem> {
        let rest = format!("/agents/{}", agent.0);
        self.call(http::Method::PUT, &rest, Some(spec)).await
    }

    /// The session's work items, oldest first.
    pub async fn work(&mut self, session: SessionId) -> Result<Vec<WorkItem>, Problem> {
        let rest = format!("/sessions/{}/work", session.0);
        self.ok(http::Method::GET, &rest, None::<&()>).await
    }

    /// An agent with `capacity`, connected and online.
    pub async fn agent(&mut self, name: &str, capacity: u32) -> Result<AgentConn, Problem> {
        self.skilled_agent(name, capacity, &[]).await
    }

    /// An agent with `capacity` and `skills`, connected and online.
    pub async fn skilled_agent(
        &mut self,
        name: &str,
        capacity: u32,
        skills: &[(&str, u8)],
    ) -> Result<AgentConn, Problem> {
        let spec = AgentSpec {
            name: name.to_owned(),
            capacity,
            skills: skills.iter().map(|(s, l)| ((*s).to_owned(), *l)).collect(),
        };
        let created: AgentCreated = self.ok(http::Method::POST, "/agents", Some(&spec)).await?;
        let socket = self.client.socket(&created.token, "/v1/agent").await?;
        let mut conn = AgentConn {
            id: created.agent.id,
            token: created.token,
            log: self.log.clone(),
            socket,
            next_id: 0,
            events: VecDeque::new(),
        };
        match conn.frame(PROMPT).await? {
            AgentPush::Hello(_) => {}
            other => {
                return Err(error(format!(
                    "{name}: the first frame is not a hello: {other:?}"
                )));
            }
        }
        conn.set_presence(Presence::Online).await?;
        Ok(conn)
    }

    /// The org's manual clock now: where a time-of-day case stands (R-FLOW-2).
    pub async fn now(&mut self) -> Result<Timestamp, Problem> {
        let reading: ClockReading = self.ok(http::Method::GET, "/clock", None::<&()>).await?;
        Ok(reading.now)
    }

    pub async fn flow(&mut self, spec: &FlowSpec) -> Result<FlowId, Problem> {
        let flow: Flow = self.ok(http::Method::POST, "/flows", Some(spec)).await?;
        Ok(flow.id)
    }

    /// An enhanced web channel (pre-chat fields and components both work) entering `flow`.
    pub async fn flow_channel(&mut self, flow: FlowId) -> Result<ChannelId, Problem> {
        let ch = self
            .channel(ChannelKind::Web, Platform::Enhanced, Entry::Flow(flow))
            .await?;
        Ok(ch.id)
    }

    /// A provider delivery of `content` from `address`.
    pub async fn inbound(
        &mut self,
        channel: ChannelId,
        address: &str,
        provider_message_id: &str,
        content: InboundContent,
    ) -> Result<(u16, Result<InboundAccepted, ApiError>), Problem> {
        self.inbound_with(channel, address, provider_message_id, content, &[])
            .await
    }

    /// A provider delivery of `content` from `address` with pre-chat `fields`, if any
    /// (R-FLOW-6).
    pub async fn inbound_with(
        &mut self,
        channel: ChannelId,
        address: &str,
        provider_message_id: &str,
        content: InboundContent,
        fields: &[(&str, &str)],
    ) -> Result<(u16, Result<InboundAccepted, ApiError>), Problem> {
        let fields = (!fields.is_empty()).then(|| {
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        });
        let req = InboundRequest {
            address: address.into(),
            provider_message_id: provider_message_id.into(),
            content,
            fields,
        };
        self.call(
            http::Method::POST,
            &format!("/channels/{}/inbound", channel.0),
            Some(&req),
        )
        .await
    }

    /// A text inbound that must be accepted.
    pub async fn say(
        &mut self,
        channel: ChannelId,
        address: &str,
        pmid: &str,
        text: &str,
    ) -> Result<InboundAccepted, Problem> {
        self.say_with(channel, address, pmid, text, &[]).await
    }

    /// A text inbound with pre-chat `fields` that must be accepted (R-FLOW-6).
    pub async fn say_with(
        &mut self,
        channel: ChannelId,
        address: &str,
        pmid: &str,
        text: &str,
        fields: &[(&str, &str)],
    ) -> Result<InboundAccepted, Problem> {
        let content = InboundContent::Text { text: text.into() };
        match self
            .inbound_with(channel, address, pmid, content, fields)
            .await?
        {
            (_, Ok(a)) => Ok(a),
            (status, Err(e)) => Err(error(format!(
                "inbound from {address} refused: {status} {e}"
            ))),
        }
    }
}

/// A bot with a resolve intent (`hours`) and a handoff intent (`agent`, to `queue`), no fields.
pub fn plain_bot(queue: QueueId) -> BotSpec {
    BotSpec {
        name: "bot".into(),
        greeting: "Hello".into(),
        question: "What about?".into(),
        intents: vec![
            Intent {
                id: "hours".into(),
                label: "Opening hours".into(),
                action: IntentAction::Resolve {
                    reply: "9 to 5".into(),
                },
            },
            Intent {
                id: "agent".into(),
                label: "An agent".into(),
                action: IntentAction::Handoff {
                    queue,
                    required_skills: Vec::new(),
                },
            },
        ],
        fields: Vec::new(),
        fallback_text: "Please wait".into(),
        agent_queue: None,
    }
}

/// A channel with implicit consent, no service window and no inactivity timeout.
pub fn plain_channel(kind: ChannelKind, platform: Platform, entry: Entry) -> ChannelSpec {
    ChannelSpec {
        name: format!("{kind:?} {platform:?}"),
        kind,
        platform,
        consent_level: ConsentLevel::Implicit,
        entry,
        service_window_ms: None,
        inactivity_timeout_ms: None,
        inactive_ttl_ms: None,
    }
}

/// A queue with priority 1, least_active routing, weight 1 and no skills.
pub fn plain_queue(name: &str, push_timeout_ms: u64) -> QueueSpec {
    QueueSpec {
        name: name.to_owned(),
        priority: 1,
        routing_model: RoutingModel::LeastActive,
        push_timeout_ms: Millis(push_timeout_ms),
        capacity_weight: 1,
        required_skills: Vec::new(),
        additional_skills: Vec::new(),
        drop_additional_skills_after_ms: None,
        push_timeout_presence: None,
    }
}

/// One agent's socket: requests answered by id, events kept in order until a case asks.
pub struct AgentConn {
    pub id: AgentId,
    /// The agent's connection token, for a second connection.
    pub token: String,
    /// The case's evidence log: frames sent and received go there too.
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    socket: Socket,
    next_id: u64,
    events: VecDeque<Event>,
}

/// Frames longer than this are cut in the evidence (offers carry whole transcripts).
const FRAME_EVIDENCE: usize = 400;

impl AgentConn {
    /// Records a frame as evidence: `dir` is `→` for sent, `←` for received.
    fn note(&self, dir: &str, text: &str) {
        let shown: String = text.chars().take(FRAME_EVIDENCE).collect();
        let cut = if shown.len() < text.len() { " …" } else { "" };
        if let Ok(mut log) = self.log.lock() {
            log.push(format!("{} {dir} {shown}{cut}", self.id));
        }
    }

    /// The next text frame within `within`, recorded; `None` when none came in time.
    async fn next(&mut self, within: Duration) -> Result<Option<String>, Problem> {
        match tokio::time::timeout(within, next_text(&mut self.socket)).await {
            Err(_) => Ok(None),
            Ok(None) => Err(error(format!("{}: the agent socket closed", self.id))),
            Ok(Some(text)) => {
                self.note("←", &text);
                Ok(Some(text.to_string()))
            }
        }
    }

    async fn frame(&mut self, within: Duration) -> Result<AgentPush, Problem> {
        let text = self.next(within).await?.ok_or_else(|| {
            error(format!(
                "{}: nothing on the agent socket within {within:?}",
                self.id
            ))
        })?;
        crate::wire::agent_push(&text)
            .map_err(|e| error(format!("a frame that is not the protocol: {e}: {text}")))
    }

    /// A frame sent as it is (possibly not a valid request), recorded.
    pub async fn send_raw(&mut self, text: &str) -> Result<(), Problem> {
        self.note("→", text);
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::Text(text.into()))
            .await
            .map_err(|e| error(format!("{}: sending a frame: {e}", self.id)))
    }

    /// The next reply, skipping and keeping events; its id and error.
    pub async fn next_reply(&mut self) -> Result<AgentReply, Problem> {
        loop {
            match self.frame(PROMPT).await? {
                AgentPush::Reply(r) => return Ok(r),
                AgentPush::Event(e) => self.events.push_back(e),
                AgentPush::Hello(_) => {}
            }
        }
    }

    /// The code the server closes this socket with, within `within` (see
    /// [`crate::live::client::close_code`]).
    pub async fn close_code(&mut self, within: Duration) -> Option<Option<u16>> {
        crate::live::client::close_code(&mut self.socket, within).await
    }

    /// Sends `request` and waits for its reply; events before it are kept.
    pub async fn request(
        &mut self,
        request: AgentRequest,
    ) -> Result<Result<AgentReply, ApiError>, Problem> {
        self.next_id += 1;
        let id = self.next_id;
        let frame = AgentFrame { id, request };
        if let Ok(text) = serde_json::to_string(&frame) {
            self.note("→", &text);
        }
        send_json(&mut self.socket, &frame).await?;
        loop {
            match self.frame(PROMPT).await? {
                AgentPush::Reply(r) if r.id == id => {
                    return Ok(match r.error.clone() {
                        Some(e) => Err(e),
                        None => Ok(r),
                    });
                }
                AgentPush::Event(e) => self.events.push_back(e),
                _ => {}
            }
        }
    }

    /// The first event (kept or arriving within `within`) that `pick` accepts; the ones
    /// before it are dropped.
    pub async fn event<T>(
        &mut self,
        within: Duration,
        mut pick: impl FnMut(&Event) -> Option<T>,
    ) -> Result<Option<T>, Problem> {
        while let Some(e) = self.events.pop_front() {
            if let Some(t) = pick(&e) {
                return Ok(Some(t));
            }
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            let Some(text) = self.next(left).await? else {
                return Ok(None);
            };
            match crate::wire::agent_push(&text) {
                Ok(AgentPush::Event(e)) => {
                    if let Some(t) = pick(&e) {
                        return Ok(Some(t));
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    return Err(error(format!(
                        "a frame that is not the protocol: {e}: {text}"
                    )));
                }
            }
        }
    }

    /// A request that must be accepted; `what` names it in the error.
    pub async fn must(&mut self, what: &str, request: AgentRequest) -> Result<AgentReply, Problem> {
        self.request(request)
            .await?
            .map_err(|e| error(format!("{what} refused: {e}")))
    }

    /// Sets the agent's presence, which must be accepted.
    pub async fn set_presence(&mut self, presence: Presence) -> Result<(), Problem> {
        let what = format!("going {presence:?}");
        self.must(&what, AgentRequest::SetPresence { presence })
            .await
            .map(drop)
    }

    /// A text from the agent into `session`, which must be accepted.
    pub async fn send_text(
        &mut self,
        session: SessionId,
        client_message_id: &str,
        text: &str,
    ) -> Result<AgentReply, Problem> {
        let send = AgentRequest::Send {
            session,
            client_message_id: client_message_id.into(),
            content: OutboundContent::Text { text: text.into() },
        };
        self.must("send", send).await
    }

    /// The offer that must come promptly, accepted.
    pub async fn take_offer(&mut self) -> Result<Offer, Problem> {
        let offer = self.must_offer().await?;
        self.must(
            "accept",
            AgentRequest::Accept {
                work: offer.work.id,
            },
        )
        .await?;
        Ok(offer)
    }

    /// An offer that must come promptly (the case made this agent the one to get it).
    pub async fn must_offer(&mut self) -> Result<Offer, Problem> {
        self.offer(PROMPT)
            .await?
            .ok_or_else(|| error(format!("{}: no offer within {PROMPT:?}", self.id)))
    }

    /// Why `work` was taken back from this agent, if it was within `within`.
    pub async fn rescinded(
        &mut self,
        work: WorkId,
        within: Duration,
    ) -> Result<Option<RescindReason>, Problem> {
        self.event(within, |e| match e {
            Event::OfferRescinded {
                work: w, reason, ..
            } if *w == work => Some(*reason),
            _ => None,
        })
        .await
    }

    /// Checks, about `rule`, that `session` is the next offer made to this agent, promptly:
    /// `expected` says why it should be.
    pub async fn must_be_offered(
        &mut self,
        rule: &str,
        session: SessionId,
        expected: &str,
    ) -> CaseResult {
        let offer = self.offer(PROMPT).await?;
        check(
            rule,
            offer.as_ref().is_some_and(|o| o.session.id == session),
            expected,
            || match offer {
                Some(o) => format!("an offer of {} instead", o.session.id),
                None => "no offer".into(),
            },
        )
    }

    /// The next offer made to this agent within `within`.
    pub async fn offer(&mut self, within: Duration) -> Result<Option<Offer>, Problem> {
        let me = self.id;
        self.event(within, |e| match e {
            Event::WorkOffered(o) if o.work.agent == me => Some((**o).clone()),
            _ => None,
        })
        .await
    }
}

/// `value` as a query string carries it: every byte but the unreserved ones (RFC 3986 §2.3)
/// percent-encoded, so that an address's `+` is not read as a space nor its space refused.
fn query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_address_goes_into_a_query_as_itself() {
        assert_eq!(super::query_value("+1 555-0100"), "%2B1%20555-0100");
        assert_eq!(super::query_value("a.b_c~é"), "a.b_c~%C3%A9");
    }
}
