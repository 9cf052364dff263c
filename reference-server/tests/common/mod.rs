//! A small world around one engine for rule tests: one org, a fake clock, helpers that read like the
//! rules they exercise, and every event the engine produced.
#![allow(dead_code)]

use omnisim_protocol::*;
use omnisim_reference_server::faults::Faults;
use omnisim_reference_server::{Command, Engine, OrgCommand, Reply};

pub struct World {
    pub engine: Engine,
    pub now: Timestamp,
    pub org: OrgId,
    pub events: Vec<Event>,
    next_token: u64,
    next_pmid: u64,
    next_cid: u64,
}

pub fn text(t: &str) -> InboundContent {
    InboundContent::Text { text: t.into() }
}

pub fn out_text(t: &str) -> OutboundContent {
    OutboundContent::Text { text: t.into() }
}

pub fn queue_spec(name: &str) -> QueueSpec {
    QueueSpec {
        name: name.into(),
        priority: 1,
        routing_model: RoutingModel::LeastActive,
        push_timeout_ms: Millis(30_000),
        capacity_weight: 1,
        required_skills: vec![],
        additional_skills: vec![],
        drop_additional_skills_after_ms: None,
        push_timeout_presence: None,
    }
}

/// A flow rule named `name` sending sessions where every condition holds to `target`.
pub fn rule(name: &str, conditions: Vec<Condition>, target: FlowTarget) -> FlowRule {
    FlowRule {
        name: name.into(),
        conditions,
        target,
    }
}

/// A flow target: plain `queue`.
pub fn to_queue(queue: QueueId) -> FlowTarget {
    FlowTarget::Queue {
        queue,
        priority: None,
        secondary_priority: None,
        skills: vec![],
    }
}

/// A flow of `rules`, defaulting to and falling back on `queue`.
pub fn flow_spec(rules: Vec<FlowRule>, queue: QueueId) -> FlowSpec {
    FlowSpec {
        name: "routing".into(),
        rules,
        default: to_queue(queue),
        fallback_queue: queue,
    }
}

/// Condition: field `name` is one of `values`.
pub fn field_in(name: &str, values: &[&str]) -> Condition {
    Condition::FieldIn {
        field: name.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

/// A bot with a resolve intent "faq" and a handoff intent "billing" to `queue`.
pub fn bot_spec(queue: QueueId) -> BotSpec {
    BotSpec {
        name: "helper".into(),
        greeting: "Hi, I am the helper bot.".into(),
        question: "What do you need?".into(),
        intents: vec![
            Intent {
                id: "faq".into(),
                label: "Opening hours".into(),
                action: IntentAction::Resolve {
                    reply: "We are open 9 to 5.".into(),
                },
            },
            Intent {
                id: "billing".into(),
                label: "Billing".into(),
                action: IntentAction::Handoff {
                    queue,
                    required_skills: vec![],
                },
            },
        ],
        fields: vec![],
        fallback_text: "No agent is free right now; we will get back to you.".into(),
        agent_queue: None,
    }
}

pub fn skill(name: &str, min_level: u8) -> SkillRequirement {
    SkillRequirement {
        skill: name.into(),
        min_level,
    }
}

pub fn channel_spec(kind: ChannelKind, platform: Platform, entry: Entry) -> ChannelSpec {
    ChannelSpec {
        name: format!("{kind:?}"),
        kind,
        platform,
        consent_level: ConsentLevel::Implicit,
        entry,
        service_window_ms: None,
        inactivity_timeout_ms: None,
        inactive_ttl_ms: None,
    }
}

pub fn question() -> Component {
    Component::QuestionWithOptions {
        text: "Pick one".into(),
        options: vec![
            Choice {
                id: "a".into(),
                label: "Alpha".into(),
            },
            Choice {
                id: "b".into(),
                label: "Beta".into(),
            },
        ],
    }
}

impl World {
    pub fn new() -> World {
        World::with_faults(Faults::NONE)
    }

    /// A world whose engine has deliberate bugs switched on.
    pub fn with_faults(faults: Faults) -> World {
        World::with_engine(Engine::with_faults(faults))
    }

    /// A world whose engine forgets ended sessions and message ids after `retention_ms`
    /// (R-SESS-10), with `faults`.
    pub fn with_retention(retention_ms: u64, faults: Faults) -> World {
        World::with_engine(Engine::with_faults(faults).with_retention(Millis(retention_ms)))
    }

    fn with_engine(mut engine: Engine) -> World {
        let created = engine
            .apply(
                Timestamp(0),
                Command::CreateOrg {
                    name: "acme".into(),
                    token: "org-token-0000000000".into(),
                },
            )
            .expect("org created");
        let Reply::OrgCreated(c) = created.reply else {
            panic!("unexpected reply")
        };
        World {
            engine,
            now: Timestamp(1_000),
            org: c.org,
            events: Vec::new(),
            next_token: 0,
            next_pmid: 0,
            next_cid: 0,
        }
    }

    /// Moves the clock forward and fires every timer due by then.
    pub fn advance(&mut self, ms: u64) {
        self.now = self.now + Millis(ms);
        self.engine.fire_timers_into(self.now, &mut self.events);
    }

    /// Applies `command`, its events appended to every event so far (a rejected one leaves
    /// them as they were: the property tests check it).
    pub fn apply(&mut self, command: Command) -> Result<Reply, ApiError> {
        self.engine.apply_into(self.now, command, &mut self.events)
    }

    pub fn org_cmd(&mut self, command: OrgCommand) -> Result<Reply, ApiError> {
        let org = self.org;
        self.apply(Command::Org { org, command })
    }

    pub fn agent_cmd(&mut self, agent: AgentId, request: AgentRequest) -> Result<Reply, ApiError> {
        self.apply(Command::Agent { agent, request })
    }

    pub fn create_org(&mut self, name: &str) -> OrgId {
        self.next_token += 1;
        let token = format!("org-token-{:010}", self.next_token);
        match self.apply(Command::CreateOrg {
            name: name.into(),
            token,
        }) {
            Ok(Reply::OrgCreated(c)) => c.org,
            other => panic!("org creation failed: {other:?}"),
        }
    }

    pub fn add_queue(&mut self, spec: QueueSpec) -> QueueId {
        match self.org_cmd(OrgCommand::CreateQueue(spec)) {
            Ok(Reply::Queue(c)) => c.id,
            other => panic!("queue creation failed: {other:?}"),
        }
    }

    pub fn queue(&mut self, name: &str) -> QueueId {
        self.add_queue(queue_spec(name))
    }

    pub fn add_channel(&mut self, spec: ChannelSpec) -> ChannelId {
        match self.org_cmd(OrgCommand::CreateChannel(spec)) {
            Ok(Reply::Channel(c)) => c.id,
            other => panic!("channel creation failed: {other:?}"),
        }
    }

    pub fn channel(&mut self, kind: ChannelKind, platform: Platform, entry: Entry) -> ChannelId {
        self.add_channel(channel_spec(kind, platform, entry))
    }

    /// A standard web channel entering `queue`.
    pub fn web(&mut self, queue: QueueId) -> ChannelId {
        self.channel(ChannelKind::Web, Platform::Standard, Entry::Queue(queue))
    }

    pub fn add_bot(&mut self, spec: BotSpec) -> BotId {
        match self.org_cmd(OrgCommand::CreateBot(spec)) {
            Ok(Reply::Bot(c)) => c.id,
            other => panic!("bot creation failed: {other:?}"),
        }
    }

    /// A bot with a resolve intent "faq" and a handoff intent "billing" to `queue`.
    pub fn bot(&mut self, queue: QueueId) -> BotId {
        self.add_bot(bot_spec(queue))
    }

    /// An agent, offline.
    pub fn add_agent(&mut self, capacity: u32, skills: &[(&str, u8)]) -> AgentId {
        self.next_token += 1;
        let token = format!("agent-token-{:010}", self.next_token);
        let spec = AgentSpec {
            name: format!("agent{}", self.next_token),
            capacity,
            skills: skills.iter().map(|(s, l)| (s.to_string(), *l)).collect(),
        };
        match self.org_cmd(OrgCommand::CreateAgent { spec, token }) {
            Ok(Reply::AgentCreated(c)) => c.agent.id,
            other => panic!("agent creation failed: {other:?}"),
        }
    }

    /// An agent, online.
    pub fn agent(&mut self, capacity: u32, skills: &[(&str, u8)]) -> AgentId {
        let a = self.add_agent(capacity, skills);
        self.presence(a, Presence::Online);
        a
    }

    pub fn presence(&mut self, agent: AgentId, presence: Presence) {
        self.agent_cmd(agent, AgentRequest::SetPresence { presence })
            .expect("presence set");
    }

    pub fn inbound(
        &mut self,
        channel: ChannelId,
        address: &str,
        content: InboundContent,
    ) -> Result<InboundAccepted, ApiError> {
        self.next_pmid += 1;
        let req = InboundRequest {
            address: address.into(),
            provider_message_id: format!("pm-{}", self.next_pmid).into(),
            content,
            fields: None,
        };
        self.inbound_req(channel, req)
    }

    /// A customer's first text, with pre-chat fields (R-FLOW-6).
    pub fn say_with(
        &mut self,
        channel: ChannelId,
        address: &str,
        t: &str,
        fields: &[(&str, &str)],
    ) -> Result<InboundAccepted, ApiError> {
        self.next_pmid += 1;
        let req = InboundRequest {
            address: address.into(),
            provider_message_id: format!("pm-{}", self.next_pmid).into(),
            content: text(t),
            fields: Some(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
        };
        self.inbound_req(channel, req)
    }

    pub fn inbound_req(
        &mut self,
        channel: ChannelId,
        req: InboundRequest,
    ) -> Result<InboundAccepted, ApiError> {
        match self.org_cmd(OrgCommand::Inbound(channel, req))? {
            Reply::Inbound(a) => Ok(a),
            other => panic!("unexpected reply {other:?}"),
        }
    }

    /// A customer text that must be accepted.
    pub fn say(&mut self, channel: ChannelId, address: &str, t: &str) -> InboundAccepted {
        self.inbound(channel, address, text(t))
            .expect("inbound accepted")
    }

    pub fn customer_end(
        &mut self,
        channel: ChannelId,
        address: &str,
    ) -> Result<InboundAccepted, ApiError> {
        self.inbound(channel, address, InboundContent::End)
    }

    pub fn accept(&mut self, agent: AgentId, work: WorkId) -> Result<Reply, ApiError> {
        self.agent_cmd(agent, AgentRequest::Accept { work })
    }

    pub fn decline(&mut self, agent: AgentId, work: WorkId) -> Result<Reply, ApiError> {
        self.agent_cmd(agent, AgentRequest::Decline { work })
    }

    pub fn send(
        &mut self,
        agent: AgentId,
        session: SessionId,
        content: OutboundContent,
    ) -> Result<MessageAccepted, ApiError> {
        self.next_cid += 1;
        let client_message_id = format!("c-{}", self.next_cid).into();
        match self.agent_cmd(
            agent,
            AgentRequest::Send {
                session,
                client_message_id,
                content,
            },
        )? {
            Reply::Message(m) => Ok(m),
            other => panic!("unexpected reply {other:?}"),
        }
    }

    /// The work item currently offered to `agent` (assigned), if any; the oldest first.
    pub fn offer(&self, agent: AgentId) -> Option<WorkItem> {
        self.work()
            .into_iter()
            .find(|w| w.agent == agent && w.status == WorkStatus::Assigned)
    }

    /// Accepts the offer `agent` holds and returns it.
    pub fn take(&mut self, agent: AgentId) -> WorkItem {
        let w = self.offer(agent).expect("agent has an offer");
        self.accept(agent, w.id).expect("accepted");
        w
    }

    pub fn work(&self) -> Vec<WorkItem> {
        self.engine.work_items(self.org).expect("org exists")
    }

    pub fn session_work(&self, session: SessionId) -> Vec<WorkItem> {
        self.engine
            .session_work(self.org, session)
            .expect("session exists")
    }

    pub fn session(&self, id: SessionId) -> Session {
        self.engine.session(self.org, id).expect("session exists")
    }

    /// What offers of the session carry, as read back (R-FLOW-5).
    pub fn context(&self, id: SessionId) -> RoutingContext {
        self.engine
            .transcript(self.org, id)
            .expect("session exists")
            .context
    }

    pub fn add_flow(&mut self, spec: FlowSpec) -> FlowId {
        match self.org_cmd(OrgCommand::CreateFlow(spec)) {
            Ok(Reply::Flow(f)) => f.id,
            other => panic!("flow creation failed: {other:?}"),
        }
    }

    /// A web channel (enhanced, so pre-chat fields and components both work) entering `flow`.
    pub fn flow_web(&mut self, flow: FlowId) -> ChannelId {
        self.channel(ChannelKind::Web, Platform::Enhanced, Entry::Flow(flow))
    }

    pub fn messages(&self, id: SessionId) -> Vec<std::sync::Arc<Message>> {
        self.engine
            .transcript(self.org, id)
            .expect("session exists")
            .messages
    }

    pub fn agent_info(&self, id: AgentId) -> Agent {
        self.engine.agent(self.org, id).expect("agent exists")
    }

    pub fn user(&self, channel: ChannelId, address: &str) -> MessagingUser {
        self.engine
            .user_by_address(self.org, channel, address)
            .expect("user exists")
    }

    /// Events delivered to `audience`, in order.
    pub fn events_for(&self, audience: Audience) -> Vec<&Event> {
        self.events
            .iter()
            .filter(|e| e.audiences().any(|a| a == audience))
            .collect()
    }

    /// Asserts that `result` failed with `code` and that the engine did not change.
    pub fn rejects<T: std::fmt::Debug>(
        &mut self,
        code: ErrorCode,
        f: impl FnOnce(&mut World) -> Result<T, ApiError>,
    ) {
        let before = self.engine.clone();
        let events_before = self.events.len();
        let result = f(self);
        match result {
            Err(e) => assert_eq!(e.code, code, "wrong error: {e}"),
            Ok(v) => panic!("expected {code}, got {v:?}"),
        }
        assert!(
            self.engine == before,
            "a rejected command changed the engine"
        );
        assert_eq!(
            self.events.len(),
            events_before,
            "a rejected command produced events"
        );
    }
}
