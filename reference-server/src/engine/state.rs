//! The engine's records: the protocol resources as read back, plus what the engine needs beside
//! them (indexes, idempotency keys, bot and routing progress).

use crate::expiring::Expiring;
use crate::routing::{AgentRank, Line, LineKey, PoolKey, SkillLevels};
use omnisim_protocol::{
    Agent, AgentId, Bot, BotId, Channel, Choice, Component, FlowId, Message, MessageAccepted,
    Millis, QueueId, QueueSpec, RoutingContext, Seq, Session, SessionId, SkillRequirement,
    Timestamp, UserId, WorkId,
};
use std::sync::Arc;

/// A channel and the provider deliveries it accepted (R-SESS-3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelState {
    pub info: Channel,
    /// Forgotten after the retention period (R-SESS-10).
    pub deliveries: Expiring<Delivery>,
    /// Every retained message on the channel in delivery order: what a provider stream resumes
    /// from (R-SESS-9).
    pub log: super::channel_log::ChannelLog,
}

/// Where an accepted provider delivery went, to answer its retries identically (R-SESS-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub user: UserId,
    pub session: SessionId,
    pub seq: Option<Seq>,
}

/// A queue with its skills interned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueState {
    pub id: QueueId,
    pub spec: QueueSpec,
    pub required: SkillLevels,
    pub additional: SkillLevels,
    /// Sessions routed to this queue and not yet accepted.
    pub waiting: u32,
}

/// An agent with its skills interned, its live work and the sends it accepted (R-SESS-3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentState {
    pub info: Agent,
    pub skills: SkillLevels,
    pub live: Vec<WorkId>,
    /// Keyed by client message id, shared with the stored message; forgotten after the retention
    /// period (R-SESS-10).
    pub sent: Expiring<MessageAccepted>,
}

impl AgentState {
    /// Capacity not held by assigned or opened work (R-ROUTE-2).
    pub fn free(&self) -> u32 {
        self.info
            .spec
            .capacity
            .saturating_sub(self.info.used_capacity)
    }

    /// How routing ranks this agent now if it is online, else none.
    pub fn routable(&self, faults: crate::faults::Faults) -> Option<AgentRank> {
        let routable = match self.info.presence {
            omnisim_protocol::Presence::Online => true,
            omnisim_protocol::Presence::Busy => faults.has(crate::faults::Fault::BusyGetsOffers),
            omnisim_protocol::Presence::Offline => false,
        };
        routable.then(|| self.rank(faults))
    }

    /// How routing ranks this agent now (with the capacity_off_by_one fault, one unit of
    /// capacity too many; with ties_ignore_idle_time, never assigned).
    pub fn rank(&self, faults: crate::faults::Faults) -> AgentRank {
        let extra = u32::from(faults.has(crate::faults::Fault::CapacityOffByOne));
        AgentRank {
            id: self.info.id,
            free: self.free() + extra,
            open_work: self.info.open_work,
            last_assigned: self
                .info
                .last_assigned_at
                .filter(|_| !faults.has(crate::faults::Fault::TiesIgnoreIdleTime)),
        }
    }
}

/// A bot and its intent question, built once: every session it greets is asked the same one,
/// structured on enhanced channels or as a numbered menu on standard ones (R-BOT-1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotState {
    pub info: Bot,
    pub question: Arc<Component>,
    pub menu: String,
}

impl BotState {
    /// `info` with its question built.
    pub fn new(info: Bot) -> BotState {
        let spec = &info.spec;
        let question = Component::QuestionWithOptions {
            text: spec.question.clone(),
            options: spec
                .intents
                .iter()
                .map(|i| Choice {
                    id: i.id.clone(),
                    label: i.label.clone(),
                })
                .collect(),
        };
        BotState {
            menu: question.render_text(),
            question: Arc::new(question),
            info,
        }
    }
}

/// A session, its transcript and its progress through bot and routing. What nearly every
/// command reads (the session's status and parties, its transcript, its live work) is kept in
/// the record; its bot run, routing and offers' context, read at a few turns of its life, are
/// boxed beside it: inline they made a record of 632 bytes, ten cache lines spread over by the
/// few fields a message touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionState {
    pub info: Session,
    /// Where the record of `info.user` is.
    pub user: super::users::UserSlot,
    pub messages: Vec<Arc<Message>>,
    pub bot: Option<Box<BotRun>>,
    pub routing: Option<Box<Routing>>,
    pub live_work: Option<WorkId>,
    /// The session's work items, oldest first, at most
    /// [`omnisim_protocol::limits::MAX_WORK_ITEMS_PER_SESSION`].
    pub work_items: std::collections::VecDeque<WorkId>,
    /// What offers carry: intent, collected fields, transfer origin (R-BOT-2, R-ROUTE-9).
    pub context: Box<RoutingContext>,
    /// The agent who messaged first, offered the reply first (R-OUT-1).
    pub initiated_by: Option<AgentId>,
    /// When the inactivity timeout fires, if armed (R-SESS-7).
    pub inactivity_at: Option<Timestamp>,
    /// When an inactive session ends (R-SESS-7).
    pub ttl_at: Option<Timestamp>,
}

impl SessionState {
    /// The seq the next message gets (R-SESS-2).
    pub fn next_seq(&self) -> Seq {
        Seq(self.messages.len() as u32 + 1)
    }

    /// The agent that owns the session for outbound purposes: the holder of its live work, or the
    /// agent that opened it by outbound while the customer has not replied (R-OUT-5).
    pub fn owner(&self) -> Option<AgentId> {
        self.info.agent.or(self
            .initiated_by
            .filter(|_| self.info.status == omnisim_protocol::SessionStatus::New))
    }
}

/// Where and how a session waits for an agent: a queue with a flow target's overrides, or one
/// agent directly (R-FLOW-3, R-FLOW-4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The queue, or for direct routing the fallback queue, whose capacity weight and push
    /// timeout the work takes.
    pub queue: QueueId,
    /// Overrides the queue's priority (R-FLOW-3).
    pub priority: Option<u32>,
    /// Orders work within one priority before its age (R-FLOW-7).
    pub secondary: Option<u32>,
    /// Skills beside the queue's (a bot handoff's, a flow target's), each with the delay after
    /// which it stops counting (R-ROUTE-10); none: for as long as the work waits.
    pub skills: Vec<(SkillLevels, Option<Millis>)>,
    /// Offered to this agent only until the timeout; then `queue` (R-FLOW-4).
    pub direct: Option<(AgentId, Millis)>,
}

impl Placement {
    /// Plain queue routing, needing `skills` beside the queue's for as long as it waits.
    pub fn queue(queue: QueueId, skills: SkillLevels) -> Placement {
        Placement {
            queue,
            skills: if skills.is_empty() {
                Vec::new()
            } else {
                vec![(skills, None)]
            },
            priority: None,
            secondary: None,
            direct: None,
        }
    }
}

/// An ended session as the archive keeps it: what reads need (R-SESS-9), without the routing,
/// bot and timer progress it no longer has (R-SESS-5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndedSession {
    pub info: Session,
    pub context: Box<RoutingContext>,
    /// Forgotten with the session (R-SESS-10).
    pub work_items: Box<[WorkId]>,
    pub messages: Box<[Arc<Message>]>,
}

/// A session as reads see it, open or ended.
#[derive(Clone, Copy, Debug)]
pub struct SessionRecord<'a> {
    pub info: &'a Session,
    pub context: &'a RoutingContext,
    pub messages: &'a [Arc<Message>],
}

/// A session's pending request for an agent: its place in line and who declined it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routing {
    pub queue: QueueId,
    pub pool: PoolKey,
    /// Kept across declines, timeouts, offline agents and a direct routing's fallback: the
    /// session's age (R-ROUTE-3, R-FLOW-4).
    pub requested_at: Timestamp,
    pub secondary: Option<u32>,
    /// Skills beside the queue's that count until the work is accepted (R-BOT-2, R-FLOW-3).
    pub extra: SkillLevels,
    /// Skills beside the queue's that stop counting at a time, soonest first (R-ROUTE-10).
    pub drops: Vec<(Timestamp, SkillLevels)>,
    pub declined_by: Vec<AgentId>,
    /// Offered first to this agent, once (R-OUT-1).
    pub preferred: Option<AgentId>,
    /// Offered to an agent right now (out of line).
    pub offered: bool,
    /// Offered to this agent only until the deadline (R-FLOW-4).
    pub direct: Option<(AgentId, Timestamp)>,
}

impl Routing {
    /// The line the session waits in while not offered.
    pub fn line(&self) -> Line {
        match self.direct {
            Some((agent, _)) => Line::Agent(agent),
            None => Line::Pool(self.pool),
        }
    }

    /// The session's place in its line.
    pub fn key(&self, session: SessionId) -> LineKey {
        LineKey::new(self.secondary, self.requested_at, session)
    }
}

/// Where a bot is in its script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotRun {
    pub bot: BotId,
    pub stage: BotStage,
}

/// The bot's script position (R-BOT-1, R-BOT-2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BotStage {
    /// The intent question was asked.
    AwaitingIntent,
    /// A handoff intent was picked; the bot is asking for field `next`.
    Collecting { handoff: Handoff, next: usize },
}

/// Where a bot hands a session over, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handoff {
    pub to: HandoffTo,
    pub skills: Vec<SkillRequirement>,
    pub intent: Option<String>,
}

/// A bot handoff's destination: a queue, or a flow that picks one (R-BOT-2, R-FLOW-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandoffTo {
    Queue(QueueId),
    Flow(FlowId),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts of a session read at a few turns of its life stay out of its record, so that
    /// the record holds what a message touches in few cache lines.
    #[test]
    fn a_sessions_record_keeps_its_bot_routing_and_context_boxed() {
        assert!(std::mem::size_of::<SessionState>() <= 272);
        assert!(std::mem::size_of::<EndedSession>() <= 160);
    }
}
