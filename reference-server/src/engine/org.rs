//! One org's whole platform state. Every lookup goes through the org, so another org's ids are
//! simply absent here (R-SEC-1).

use super::errors::not_found;
use super::state::{
    AgentState, BotState, ChannelState, EndedSession, QueueState, SessionRecord, SessionState,
};
use crate::fast_map::FastMap;
use crate::routing::{ReqId, Router, SkillLevels, SkillNames};
use omnisim_protocol::{
    AgentId, ApiError, Bot, BotId, ChannelId, Flow, FlowId, Message, Millis, OrgId, Presence,
    QueueId, Session, SessionId, Timestamp, UserId, WorkId, WorkItem,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The state of one tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    /// The latest time this org has seen. Its commands and timers are raised to it, so its times
    /// never decrease (R-SESS-6); on a manual clock it is the org's clock.
    pub now: Timestamp,
    pub skills: SkillNames,
    pub channels: BTreeMap<ChannelId, ChannelState>,
    pub queues: BTreeMap<QueueId, QueueState>,
    pub bots: BTreeMap<BotId, BotState>,
    pub flows: BTreeMap<FlowId, Flow>,
    /// Looked up by several commands each time an agent acts; read-back lists sort by id.
    pub agents: FastMap<AgentId, AgentState>,
    pub users: super::users::Users,
    /// Open sessions (any status but ended): the only ones a command can change.
    pub sessions: FastMap<SessionId, SessionState>,
    /// Ended sessions, read-only from the moment they end (R-SESS-5) and still read back in
    /// full (R-SESS-9). Kept apart so that the map every command touches holds only the open
    /// sessions, however long the platform has run.
    pub ended: FastMap<SessionId, Box<EndedSession>>,
    /// Each user's sessions, oldest first: a customer stream resumes across them (R-SESS-9).
    pub user_sessions: FastMap<UserId, Vec<SessionId>>,
    pub work: FastMap<WorkId, WorkItem>,
    pub router: Router,
    /// Waiting sessions some agent declined: re-checked when an agent leaves (R-ROUTE-6).
    pub declined: BTreeSet<SessionId>,
    /// Deliberate bugs switched on for conformance testing; none normally.
    pub faults: crate::faults::Faults,
    /// How long ended sessions and message ids are kept (R-SESS-10); none: for ever.
    pub retention: Option<Millis>,
    /// Sessions forgotten after their retention: read as expired, not absent (R-SESS-10).
    pub forgotten: crate::id_set::IdSet<SessionId>,
    /// Their work items: an agent acting on one is told it is no longer offered.
    pub forgotten_work: crate::id_set::IdSet<WorkId>,
}

impl Org {
    /// An empty org.
    pub fn new(id: OrgId, name: String, now: Timestamp) -> Org {
        Org {
            id,
            name,
            now,
            skills: SkillNames::default(),
            channels: BTreeMap::new(),
            queues: BTreeMap::new(),
            bots: BTreeMap::new(),
            flows: BTreeMap::new(),
            agents: FastMap::default(),
            users: Default::default(),
            sessions: FastMap::default(),
            ended: FastMap::default(),
            user_sessions: FastMap::default(),
            work: FastMap::default(),
            router: Router::default(),
            declined: BTreeSet::new(),
            faults: crate::faults::Faults::NONE,
            retention: None,
            forgotten: Default::default(),
            forgotten_work: Default::default(),
        }
    }

    pub fn channel(&self, id: ChannelId) -> Result<&ChannelState, ApiError> {
        self.channels.get(&id).ok_or_else(|| not_found(id))
    }

    pub fn queue(&self, id: QueueId) -> Result<&QueueState, ApiError> {
        self.queues.get(&id).ok_or_else(|| not_found(id))
    }

    pub fn bot(&self, id: BotId) -> Result<&Bot, ApiError> {
        self.bots
            .get(&id)
            .map(|b| &b.info)
            .ok_or_else(|| not_found(id))
    }

    pub fn agent(&self, id: AgentId) -> Result<&AgentState, ApiError> {
        self.agents.get(&id).ok_or_else(|| not_found(id))
    }

    pub fn user(&self, id: UserId) -> Result<&super::users::UserRecord, ApiError> {
        self.users.get(id)
    }

    /// A session, open or ended; one forgotten after its retention is 410 `session_expired`
    /// (R-SESS-10).
    pub fn session(&self, id: SessionId) -> Result<SessionRecord<'_>, ApiError> {
        Ok(match self.sessions.get(&id) {
            Some(s) => SessionRecord {
                info: &s.info,
                context: &s.context,
                messages: &s.messages,
            },
            None => {
                let s = self.ended.get(&id).ok_or_else(|| self.absent(id))?;
                SessionRecord {
                    info: &s.info,
                    context: &s.context,
                    messages: &s.messages,
                }
            }
        })
    }

    /// A session's messages, or none when it was forgotten (R-SESS-10).
    pub fn retained(&self, id: SessionId) -> Result<Option<&[Arc<Message>]>, ApiError> {
        match self.session(id) {
            Ok(record) => Ok(Some(record.messages)),
            Err(_) if self.forgotten.contains(id) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Why session `id` is not here: forgotten (410), or never this org's (404).
    pub fn absent(&self, id: SessionId) -> ApiError {
        if self.forgotten.contains(id) {
            ApiError::new(
                omnisim_protocol::ErrorCode::SessionExpired,
                format!("{id} ended longer ago than the retention period and is forgotten"),
            )
        } else {
            not_found(id)
        }
    }

    /// Forgets an ended session, its transcript and its work items (R-SESS-10).
    pub(crate) fn forget(&mut self, id: SessionId) {
        if let Some(s) = self.ended.remove(&id) {
            for work in s.work_items.iter() {
                self.work.remove(work);
                self.forgotten_work.insert(*work);
            }
            self.forgotten.insert(id);
            // A resume across the user's sessions skips a forgotten one: its id need not stay.
            let user = s.info.user;
            if let Some(sessions) = self.user_sessions.get_mut(&user) {
                sessions.retain(|x| *x != id);
                if sessions.is_empty() {
                    self.user_sessions.remove(&user);
                }
            }
            if let Some(channel) = self.channels.get_mut(&s.info.channel) {
                channel.log.forgot(id, s.messages.len());
            }
        }
    }

    /// Every session, open and ended, in no particular order.
    pub fn all_sessions(&self) -> impl Iterator<Item = &Session> {
        self.sessions
            .values()
            .map(|s| &s.info)
            .chain(self.ended.values().map(|s| &s.info))
    }

    pub fn work_item(&self, id: WorkId) -> Result<&WorkItem, ApiError> {
        self.work.get(&id).ok_or_else(|| not_found(id))
    }

    /// An open session the engine itself holds the id of.
    pub(crate) fn session_mut(&mut self, id: SessionId) -> &mut SessionState {
        self.sessions
            .get_mut(&id)
            .expect("session ids held in engine state exist")
    }

    /// Changes an agent's load or presence (never its skills: see `update_agent`) while keeping
    /// the routing indexes in step (R-ROUTE-1, R-ROUTE-4).
    pub(crate) fn with_agent<R>(&mut self, id: AgentId, f: impl FnOnce(&mut AgentState) -> R) -> R {
        let faults = self.faults;
        let agent = self
            .agents
            .get_mut(&id)
            .expect("agent ids held in engine state exist");
        let before = agent.routable(faults);
        let result = f(agent);
        let after = agent.routable(faults);
        self.router.reindex_agent(&agent.skills, before, after);
        result
    }

    /// The id of requirement set `needs`, indexing the online agents that meet it if it is new.
    pub(crate) fn intern_requirements(&mut self, needs: SkillLevels) -> ReqId {
        let online = self
            .agents
            .values()
            .filter(|a| a.info.presence == Presence::Online)
            .map(|a| (&a.skills, a.rank(self.faults)));
        self.router.intern(needs, online)
    }
}
