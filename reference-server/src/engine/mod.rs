//! The sans-IO platform engine: every org's state and the rules of RULES.md as a deterministic
//! state machine. No sockets, no clock, no randomness: drivers pass the time in, and get back
//! replies and the events to deliver.
//!
//! ```text
//! engine.apply(now, command) -> Result<Applied, ApiError>   // commands from admins, providers, agents
//! engine.next_deadline() -> Option<Timestamp>                // the earliest pending timer
//! engine.fire_timers(now) -> Vec<Event>                      // push timeouts, inactivity, skill drops
//! engine.apply_into(now, command, &mut events)              // the same, into a reused buffer
//! engine.advance_clock_into(org, by, &mut events)            // an org's manual clock
//! ```
//!
//! Each org keeps the latest time it has seen and raises every later command and timer to it.
//! A driver on the wall clock passes the wall time; a driver on manual clocks passes
//! [`Timestamp::default`] so that each org stays at its own time until it is advanced.
//!
//! A rejected command changes nothing: every handler validates before it mutates.

mod agent_actions;
mod assignment;
mod bot_flow;
mod channel_log;
mod command;
mod consent;
mod ctx;
mod errors;
mod flows;
mod inbound;
mod org;
mod outbound;
mod queries;
mod session_flow;
mod setup;
mod state;
mod timers;
mod users;
mod validate;

pub use bot_flow::NOT_UNDERSTOOD;
pub use command::{Command, OrgCommand, Reply};
pub use consent::{OPT_IN_CONFIRMATION, OPT_OUT_CONFIRMATION};
pub use queries::{Load, Stats};
pub use timers::Timer;

use crate::fast_map::FastMap;
use ctx::{Ctx, IdGen};
use errors::{invalid, not_found};
use omnisim_protocol::{
    AgentCreated, AgentId, ApiError, Created, Event, Millis, OrgCreated, OrgId, Timestamp,
};
use org::Org;
use timers::Timers;

/// The outcome of an applied command: its reply and the events to deliver, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub reply: Reply,
    pub events: Vec<Event>,
}

/// The whole platform: every org, the tokens that reach them, and the pending timers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Engine {
    /// The latest time any org has seen.
    now: Timestamp,
    ids: IdGen,
    timers: Timers,
    orgs: FastMap<OrgId, Org>,
    org_tokens: FastMap<String, OrgId>,
    agent_tokens: FastMap<String, AgentId>,
    agent_orgs: FastMap<AgentId, OrgId>,
    /// Deliberate bugs every new org gets (conformance testing); none normally.
    faults: crate::faults::Faults,
    /// How long ended sessions and message ids are kept (R-SESS-10); none: for ever.
    retention: Option<Millis>,
}

impl Engine {
    /// An engine with no orgs.
    pub fn new() -> Engine {
        Engine::default()
    }

    /// An engine with deliberate bugs switched on, to prove the conformance suite catches them.
    pub fn with_faults(faults: crate::faults::Faults) -> Engine {
        Engine {
            faults,
            ..Engine::default()
        }
    }

    /// The same engine forgetting ended sessions and message ids `retention` after they end or
    /// arrive (R-SESS-10); zero forgets a session as it ends, what a virtual run wants.
    pub fn with_retention(self, retention: Millis) -> Engine {
        Engine {
            retention: Some(retention),
            ..self
        }
    }

    /// The latest time any org has seen.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The latest time `org` has seen: its clock, on a manual clock.
    pub fn org_now(&self, org: OrgId) -> Result<Timestamp, ApiError> {
        Ok(self.orgs.get(&org).ok_or_else(|| not_found(org))?.now)
    }

    /// The org an admin token belongs to (R-SEC-1).
    pub fn authenticate_org(&self, token: &str) -> Option<OrgId> {
        self.org_tokens.get(token).copied()
    }

    /// The agent a connection token belongs to (R-SEC-1).
    pub fn authenticate_agent(&self, token: &str) -> Option<AgentId> {
        self.agent_tokens.get(token).copied()
    }

    /// The org an agent belongs to.
    pub fn org_of_agent(&self, agent: AgentId) -> Option<OrgId> {
        self.agent_orgs.get(&agent).copied()
    }

    /// Applies `command` at `now`. On error nothing changed and no event was produced.
    pub fn apply(&mut self, now: Timestamp, command: Command) -> Result<Applied, ApiError> {
        // Most commands produce one or two events; Vec's first growth would reserve four.
        let mut events = Vec::with_capacity(2);
        let reply = self.apply_into(now, command, &mut events)?;
        Ok(Applied { reply, events })
    }

    /// [`Engine::apply`] appending the events to `events`, for drivers that apply millions of
    /// commands and reuse one buffer rather than allocate a vector per command. On error nothing
    /// changed and `events` is as it was.
    pub fn apply_into(
        &mut self,
        now: Timestamp,
        command: Command,
        events: &mut Vec<Event>,
    ) -> Result<Reply, ApiError> {
        let before = events.len();
        let reply = self.dispatch(now, command, events);
        if reply.is_err() {
            // Handlers validate before they emit; this keeps the promise whatever they do.
            events.truncate(before);
        }
        reply
    }

    fn dispatch(
        &mut self,
        now: Timestamp,
        command: Command,
        events: &mut Vec<Event>,
    ) -> Result<Reply, ApiError> {
        let reply = match command {
            Command::CreateOrg { name, token } => self.create_org(now, name, token)?,
            Command::Org { org, command } => {
                if let OrgCommand::CreateAgent { token, .. } = &command {
                    self.check_new_token(token)?;
                }
                let deleted = match command {
                    OrgCommand::DeleteAgent(agent) => Some(agent),
                    _ => None,
                };
                let (state, mut ctx) =
                    self.enter(org, now, events).ok_or_else(|| not_found(org))?;
                let reply = apply_org(state, &mut ctx, command)?;
                state.now = ctx.now;
                if let Some(agent) = deleted {
                    self.agent_orgs.remove(&agent);
                    self.agent_tokens.retain(|_, a| *a != agent);
                }
                if let Reply::AgentCreated(created) = &reply {
                    self.agent_tokens
                        .insert(created.token.clone(), created.agent.id);
                    self.agent_orgs.insert(created.agent.id, org);
                }
                reply
            }
            Command::Agent { agent, request } => {
                let org = self.org_of_agent(agent).ok_or_else(|| not_found(agent))?;
                let (state, mut ctx) = self
                    .enter(org, now, events)
                    .expect("agents belong to existing orgs");
                let reply = state.agent_request(&mut ctx, agent, request)?;
                state.now = ctx.now;
                reply
            }
        };
        self.now = self.now.max(now);
        Ok(reply)
    }

    /// The earliest time [`Engine::fire_timers`] has something to do.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.timers.next()
    }

    /// Fires every timer due at or before `now`, in deadline order; each takes effect at its own
    /// deadline (or the latest time seen, if later).
    pub fn fire_timers(&mut self, now: Timestamp) -> Vec<Event> {
        let mut events = Vec::new();
        self.fire_timers_into(now, &mut events);
        events
    }

    /// [`Engine::fire_timers`] appending the events to `events`.
    pub fn fire_timers_into(&mut self, now: Timestamp, events: &mut Vec<Event>) {
        while let Some((at, org, timer)) = self.timers.pop_due(now) {
            self.fire(org, at, timer, events);
        }
        self.now = self.now.max(now);
    }

    /// Moves `org`'s clock `by` forward, firing its timers due by then in deadline order, each at
    /// its own deadline; the org's new time. At most
    /// [`omnisim_protocol::limits::MAX_TIMERS_PER_ADVANCE`] fire: the clock then stops at the
    /// last one fired, short of `by`. Other orgs' timers stay pending: this is how a
    /// driver on manual clocks lets time pass for one org (protocol.md §4.7).
    pub fn advance_clock_into(
        &mut self,
        org: OrgId,
        by: Millis,
        events: &mut Vec<Event>,
    ) -> Result<Timestamp, ApiError> {
        let mut to = self.org_now(org)? + by;
        let mut fired = 0;
        while let Some((at, timer)) = self.timers.pop_due_of(org, to) {
            self.fire(org, at, timer, events);
            fired += 1;
            if fired == omnisim_protocol::limits::MAX_TIMERS_PER_ADVANCE {
                // Bounded work per request: the clock stops here, and the reply says where.
                to = at;
                break;
            }
        }
        if let Some(state) = self.orgs.get_mut(&org) {
            state.now = state.now.max(to);
        }
        self.now = self.now.max(to);
        Ok(to)
    }

    /// Applies one due timer of `org` at its deadline `at`, or at the org's time if later.
    fn fire(&mut self, org: OrgId, at: Timestamp, timer: Timer, events: &mut Vec<Event>) {
        self.now = self.now.max(at);
        let Some((state, mut ctx)) = self.enter(org, at, events) else {
            return;
        };
        state.now = ctx.now;
        state.fire(&mut ctx, timer);
    }

    /// An org and the context its changes run in, at `now` or the org's time if later.
    fn enter<'a>(
        &'a mut self,
        org: OrgId,
        now: Timestamp,
        out: &'a mut Vec<Event>,
    ) -> Option<(&'a mut Org, Ctx<'a>)> {
        let state = self.orgs.get_mut(&org)?;
        let ctx = Ctx {
            now: now.max(state.now),
            org,
            ids: &mut self.ids,
            timers: &mut self.timers,
            out,
        };
        Some((state, ctx))
    }

    fn check_new_token(&self, token: &str) -> Result<(), ApiError> {
        if token.len() < 16 || token.len() > omnisim_protocol::limits::MAX_NAME_BYTES {
            return Err(invalid("tokens are 16 to 256 bytes"));
        }
        if self.org_tokens.contains_key(token) || self.agent_tokens.contains_key(token) {
            return Err(invalid("token already in use"));
        }
        Ok(())
    }

    fn create_org(
        &mut self,
        now: Timestamp,
        name: String,
        token: String,
    ) -> Result<Reply, ApiError> {
        validate::name("name", &name)?;
        self.check_new_token(&token)?;
        let id = OrgId(self.ids.next());
        let mut org = Org::new(id, name.clone(), now);
        org.faults = self.faults;
        org.retention = self.retention;
        self.orgs.insert(id, org);
        self.org_tokens.insert(token.clone(), id);
        Ok(Reply::OrgCreated(OrgCreated {
            org: id,
            name,
            token,
        }))
    }
}

/// Dispatches an org-scoped command.
fn apply_org(org: &mut Org, ctx: &mut Ctx, command: OrgCommand) -> Result<Reply, ApiError> {
    Ok(match command {
        OrgCommand::CreateChannel(spec) => Reply::Channel(org.create_channel(ctx, spec)?),
        OrgCommand::UpdateChannel(id, update) => Reply::Channel(org.update_channel(id, update)?),
        OrgCommand::CreateQueue(spec) => Reply::Queue(Created {
            id: org.create_queue(ctx, spec)?,
        }),
        OrgCommand::CreateBot(spec) => Reply::Bot(Created {
            id: org.create_bot(ctx, spec)?,
        }),
        OrgCommand::CreateFlow(spec) => Reply::Flow(org.create_flow(ctx, spec)?),
        OrgCommand::UpdateFlow(id, spec) => Reply::Flow(org.update_flow(id, spec)?),
        OrgCommand::CreateAgent { spec, token } => Reply::AgentCreated(AgentCreated {
            agent: org.create_agent(ctx, spec)?,
            token,
        }),
        OrgCommand::UpdateAgent(id, spec) => Reply::Agent(org.update_agent(ctx, id, spec)?),
        OrgCommand::DeleteQueue(id) => {
            org.delete_queue(id)?;
            Reply::Done
        }
        OrgCommand::DeleteAgent(id) => {
            org.delete_agent(id)?;
            Reply::Done
        }
        OrgCommand::SetConsent(channel, req) => Reply::User(org.set_consent(ctx, channel, req)?),
        OrgCommand::Inbound(channel, req) => Reply::Inbound(org.inbound(ctx, channel, req)?),
        OrgCommand::TriggeredOutbound(channel, req) => {
            Reply::Message(org.triggered_outbound(ctx, channel, req)?)
        }
    })
}

impl Org {
    /// Applies a due timer.
    fn fire(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::PushTimeout(work) => self.push_timeout(ctx, work),
            Timer::SkillDrop(session) => self.drop_additional_skills(ctx, session),
            Timer::DirectTimeout(session) => self.direct_timeout(ctx, session),
            Timer::Forget(session) => self.forget(session),
            Timer::Inactivity(session) => {
                let Some(s) = self.sessions.get_mut(&session) else {
                    return;
                };
                s.inactivity_at = None;
                if s.info.status == omnisim_protocol::SessionStatus::Active && s.live_work.is_some()
                {
                    self.go_inactive(ctx, session);
                }
            }
            Timer::InactiveTtl(session) => {
                let Some(s) = self.sessions.get_mut(&session) else {
                    return;
                };
                s.ttl_at = None;
                if s.info.status == omnisim_protocol::SessionStatus::Inactive {
                    self.end_session(ctx, session, omnisim_protocol::EndedBy::System);
                }
            }
        }
    }
}
