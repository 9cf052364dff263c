//! Admin setup of an org: channels, queues, bots and agents.

use super::ctx::Ctx;
use super::errors::{error, invalid, invalid_state};
use super::org::Org;
use super::state::{AgentState, BotState, ChannelState, QueueState};
use super::validate;
use omnisim_protocol::channel::DEFAULT_INACTIVE_TTL;
use omnisim_protocol::{
    Agent, AgentId, ApiError, Bot, BotId, BotSpec, Channel, ChannelId, ChannelSpec, ChannelUpdate,
    Entry, ErrorCode, IntentAction, Millis, Platform, Presence, QueueId, QueueSpec,
};
use std::collections::HashSet;

impl Org {
    fn check_entry(&self, entry: Entry) -> Result<(), ApiError> {
        match entry {
            Entry::Bot(b) => self.bot(b).map(drop),
            Entry::Queue(q) => self.queue(q).map(drop),
            Entry::Flow(f) => self.flow(f).map(drop),
        }
    }

    fn check_channel(&self, c: &Channel) -> Result<(), ApiError> {
        validate::name("name", &c.name)?;
        if c.inactivity_timeout_ms.is_some() && c.platform == Platform::Standard {
            return Err(invalid(
                "inactivity_timeout_ms needs an enhanced channel: standard channels have no inactive status",
            ));
        }
        for (field, value) in [
            ("service_window_ms", c.service_window_ms),
            ("inactivity_timeout_ms", c.inactivity_timeout_ms),
            ("inactive_ttl_ms", Some(c.inactive_ttl_ms)),
        ] {
            if value == Some(Millis(0)) {
                return Err(invalid(format!("{field} must be positive")));
            }
        }
        // Values first, then what they name (protocol.md §8.1).
        self.check_entry(c.entry)
    }

    /// Creates a channel (R-CHAN-1 fixes its platform from now on).
    pub(crate) fn create_channel(
        &mut self,
        ctx: &mut Ctx,
        spec: ChannelSpec,
    ) -> Result<Channel, ApiError> {
        let channel = Channel {
            id: ChannelId(0),
            org: self.id,
            service_window_ms: spec
                .service_window_ms
                .or(spec.kind.default_service_window()),
            inactive_ttl_ms: spec.inactive_ttl_ms.unwrap_or(DEFAULT_INACTIVE_TTL),
            name: spec.name,
            kind: spec.kind,
            platform: spec.platform,
            consent_level: spec.consent_level,
            entry: spec.entry,
            inactivity_timeout_ms: spec.inactivity_timeout_ms,
        };
        self.check_channel(&channel)?;
        let channel = Channel {
            id: ChannelId(ctx.id()),
            ..channel
        };
        self.channels.insert(
            channel.id,
            ChannelState {
                info: channel.clone(),
                deliveries: Default::default(),
                log: Default::default(),
            },
        );
        Ok(channel)
    }

    /// Changes a channel's settings; a different platform rejects the whole update (R-CHAN-1).
    pub(crate) fn update_channel(
        &mut self,
        id: ChannelId,
        u: ChannelUpdate,
    ) -> Result<Channel, ApiError> {
        let current = &self.channel(id)?.info;
        let mutable = self.faults.has(crate::faults::Fault::PlatformMutable);
        if u.platform.is_some_and(|p| p != current.platform) && !mutable {
            return Err(error(
                ErrorCode::ChannelTypeImmutable,
                format!(
                    "{id} is {:?}; a channel's platform cannot change",
                    current.platform
                ),
            ));
        }
        let mut next = current.clone();
        if let Some(name) = u.name {
            next.name = name;
        }
        if let Some(level) = u.consent_level {
            next.consent_level = level;
        }
        if let Some(entry) = u.entry {
            next.entry = entry;
        }
        if u.service_window_ms.is_some() {
            next.service_window_ms = u.service_window_ms;
        }
        if u.inactivity_timeout_ms.is_some() {
            next.inactivity_timeout_ms = u.inactivity_timeout_ms;
        }
        if let Some(ttl) = u.inactive_ttl_ms {
            next.inactive_ttl_ms = ttl;
        }
        self.check_channel(&next)?;
        let state = self
            .channels
            .get_mut(&id)
            .ok_or_else(|| super::errors::not_found(id))?;
        state.info = next.clone();
        Ok(next)
    }

    /// Creates a queue.
    pub(crate) fn create_queue(
        &mut self,
        ctx: &mut Ctx,
        spec: QueueSpec,
    ) -> Result<QueueId, ApiError> {
        validate::name("name", &spec.name)?;
        validate::capacity("capacity_weight", spec.capacity_weight)?;
        validate::requirements("required_skills", &spec.required_skills)?;
        validate::requirements("additional_skills", &spec.additional_skills)?;
        if spec.push_timeout_ms == Millis(0) {
            return Err(invalid("push_timeout_ms must be positive"));
        }
        if spec.push_timeout_presence == Some(Presence::Online) {
            return Err(invalid(
                "push_timeout_presence is busy or offline: an agent who let an offer time out is not set online",
            ));
        }
        let id = QueueId(ctx.id());
        let required = self.skills.requirements(&spec.required_skills);
        let additional = self.skills.requirements(&spec.additional_skills);
        self.queues.insert(
            id,
            QueueState {
                id,
                spec,
                required,
                additional,
                waiting: 0,
            },
        );
        Ok(id)
    }

    /// Creates a bot.
    pub(crate) fn create_bot(&mut self, ctx: &mut Ctx, spec: BotSpec) -> Result<BotId, ApiError> {
        validate::name("name", &spec.name)?;
        validate::text("greeting", &spec.greeting)?;
        validate::text("question", &spec.question)?;
        validate::text("fallback_text", &spec.fallback_text)?;
        validate::count("intents", spec.intents.len(), 1)?;
        validate::count("fields", spec.fields.len(), 0)?;
        let mut ids = HashSet::new();
        for intent in &spec.intents {
            validate::name("intents.id", &intent.id)?;
            validate::text("intents.label", &intent.label)?;
            if !ids.insert(intent.id.as_str()) {
                return Err(invalid(format!("intent id '{}' appears twice", intent.id)));
            }
            match &intent.action {
                IntentAction::Resolve { reply } => validate::text("intents.action.reply", reply)?,
                IntentAction::Handoff {
                    required_skills, ..
                }
                | IntentAction::FlowHandoff {
                    required_skills, ..
                } => validate::requirements("intents.action.required_skills", required_skills)?,
            }
        }
        for field in &spec.fields {
            validate::name("fields.name", &field.name)?;
            validate::text("fields.prompt", &field.prompt)?;
        }
        // Values first, then the queues and flows they name (protocol.md §8.1).
        for intent in &spec.intents {
            match &intent.action {
                IntentAction::Handoff { queue, .. } => self.queue(*queue).map(drop)?,
                IntentAction::FlowHandoff { flow, .. } => self.flow(*flow).map(drop)?,
                IntentAction::Resolve { .. } => {}
            }
        }
        if let Some(q) = spec.agent_queue {
            self.queue(q)?;
        }
        let id = BotId(ctx.id());
        self.bots.insert(
            id,
            BotState::new(Bot {
                id,
                org: self.id,
                spec,
            }),
        );
        Ok(id)
    }

    /// Creates an agent, offline until it says otherwise.
    pub(crate) fn create_agent(
        &mut self,
        ctx: &mut Ctx,
        spec: omnisim_protocol::AgentSpec,
    ) -> Result<Agent, ApiError> {
        validate::name("name", &spec.name)?;
        validate::capacity("capacity", spec.capacity)?;
        validate::skills(&spec.skills)?;
        let id = AgentId(ctx.id());
        let skills = self.skills.levels(&spec.skills);
        let info = Agent {
            id,
            org: self.id,
            spec,
            presence: Presence::Offline,
            used_capacity: 0,
            open_work: 0,
            last_assigned_at: None,
        };
        self.agents.insert(
            id,
            AgentState {
                info: info.clone(),
                skills,
                live: Vec::new(),
                sent: Default::default(),
            },
        );
        Ok(info)
    }

    /// Changes an agent's name, capacity or skills. Capacity below what the agent holds now is
    /// rejected, so that R-ROUTE-2 holds at every instant.
    pub(crate) fn update_agent(
        &mut self,
        ctx: &mut Ctx,
        id: AgentId,
        spec: omnisim_protocol::AgentSpec,
    ) -> Result<Agent, ApiError> {
        validate::name("name", &spec.name)?;
        validate::capacity("capacity", spec.capacity)?;
        validate::skills(&spec.skills)?;
        let used = self.agent(id)?.info.used_capacity;
        if spec.capacity < used && !self.faults.has(crate::faults::Fault::CapacityBelowUsed) {
            return Err(invalid_state(format!(
                "{id} holds {used} capacity units; capacity {} is below that",
                spec.capacity
            )));
        }
        let skills = self.skills.levels(&spec.skills);
        let a = self
            .agents
            .get_mut(&id)
            .expect("checked above that the agent exists");
        // The skills decide which pools hold the agent: out of the old ones, into the new.
        let rank = a.routable(self.faults);
        self.router.reindex_agent(&a.skills, rank, None);
        a.skills = skills;
        a.info.spec = spec;
        let rank = a.routable(self.faults);
        self.router.reindex_agent(&a.skills, None, rank);
        let info = a.info.clone();
        if !self
            .faults
            .has(crate::faults::Fault::CapacityRaiseNotRouted)
        {
            self.fill_agent(ctx, id);
        }
        Ok(info)
    }
}

impl Org {
    /// Deletes a queue nothing uses: no channel entry, bot or flow fallback names it, and no open
    /// session is (or was last) routed to it. Flow rules and conditions may still name it: a
    /// target that no longer exists sends its sessions to the flow's fallback queue (R-FLOW-5).
    pub(crate) fn delete_queue(&mut self, id: QueueId) -> Result<(), ApiError> {
        self.queue(id)?;
        let in_use = |what: String| Err(invalid_state(format!("{id} is in use: {what}")));
        if let Some(c) = self
            .channels
            .values()
            .find(|c| c.info.entry == Entry::Queue(id))
        {
            return in_use(format!("{} enters it", c.info.id));
        }
        let handoff = |i: &omnisim_protocol::Intent| matches!(i.action, IntentAction::Handoff { queue, .. } if queue == id);
        if let Some(b) = self.bots.values().find(|b| {
            b.info.spec.agent_queue == Some(id) || b.info.spec.intents.iter().any(handoff)
        }) {
            return in_use(format!("{} hands off to it", b.info.id));
        }
        if let Some(f) = self.flows.values().find(|f| f.spec.fallback_queue == id) {
            return in_use(format!("{} falls back to it", f.id));
        }
        if let Some(s) = self.sessions.values().find(|s| s.info.queue == Some(id)) {
            return in_use(format!("open {} is routed to it", s.info.id));
        }
        self.queues.remove(&id);
        Ok(())
    }

    /// Deletes an agent that is offline and holds no work and no new outbound session; the
    /// caller forgets its token. Flow rules may still name it: direct routing to an agent that no
    /// longer exists sends the session to the flow's fallback queue (R-FLOW-5).
    pub(crate) fn delete_agent(&mut self, id: AgentId) -> Result<(), ApiError> {
        let a = self.agent(id)?;
        if a.info.presence != Presence::Offline {
            return Err(invalid_state(format!(
                "{id} is {:?}: only an offline agent is deleted",
                a.info.presence
            )));
        }
        if !a.live.is_empty() {
            return Err(invalid_state(format!("{id} holds work")));
        }
        let initiated = self.sessions.values().find(|s| {
            s.initiated_by == Some(id) && s.info.status == omnisim_protocol::SessionStatus::New
        });
        if let Some(s) = initiated {
            return Err(invalid_state(format!(
                "{id} started {} and the customer has not replied",
                s.info.id
            )));
        }
        self.agents.remove(&id);
        Ok(())
    }
}
