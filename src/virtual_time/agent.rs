//! A simulated agent in virtual time: the same behaviour as a live one (docs/scenarios.md): on
//! shift it accepts, declines or ignores offers after its accept delay, greets, answers each
//! customer message after its reply time or transfers the session, and may close a conversation
//! itself after its length, ending it or marking it inactive.

use super::{Micros, Sim, Wake, micros};
use crate::actors::desk::{Closing, Desk, Offered};
use crate::checker::Party;
use crate::scenario::choices::{MessageChoice, OfferChoice};
use crate::scenario::specs;
use omnisim_protocol::*;
use omnisim_reference_server::engine::Command;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;

/// Something the agent decided to do later.
#[derive(Clone, Copy, Debug)]
pub(super) enum Act {
    Accept(WorkId),
    Decline(WorkId),
    Reply(SessionId),
    Transfer(SessionId),
    Close(SessionId),
    Presence(bool),
}

/// Where a conversation's measurements go: its channel (by index) and queue.
type Labels = (Option<usize>, QueueId);

pub(super) struct SimAgent {
    id: AgentId,
    group: usize,
    rng: SmallRng,
    desk: Desk<Micros, Labels>,
    /// Messages sent so far: client message ids never repeat for one agent (R-SESS-3).
    sent: u64,
}

impl Sim {
    /// Every agent joins; those whose shift starts with the run go online now.
    pub(super) fn start_agents(&mut self) {
        for (i, a) in self.world.agents.clone().into_iter().enumerate() {
            let def = &self.scenario.agents[a.group];
            let seed = self.seed ^ a.id.0.wrapping_mul(0xD1B5_4A32_D192_ED03);
            self.agents.push(SimAgent {
                id: a.id,
                group: a.group,
                rng: SmallRng::seed_from_u64(seed),
                desk: Desk::default(),
                sent: 0,
            });
            self.by_agent.insert(a.id, i);
            self.history.agent(a.id, def.capacity);
            let shift = def.shift;
            let on = Wake::Agent {
                agent: i,
                act: Act::Presence(true),
            };
            if shift.start.0.is_zero() {
                self.agent_act(i, Act::Presence(true));
            } else {
                self.schedule(micros(shift.start.0), on);
            }
            if let Some(end) = shift.end {
                let off = Wake::Agent {
                    agent: i,
                    act: Act::Presence(false),
                };
                self.schedule(micros(end.0), off);
            }
        }
    }

    fn agent_request(&mut self, a: usize, request: AgentRequest) -> Result<(), ApiError> {
        let agent = self.agents[a].id;
        self.command(Command::Agent { agent, request }).map(|_| ())
    }

    fn later(&mut self, a: usize, delay: Duration, act: Act) {
        self.after(delay, Wake::Agent { agent: a, act });
    }

    /// An event on the agent's connection.
    pub(super) fn agent_event(&mut self, a: usize, event: &Event) {
        let id = self.agents[a].id;
        match event {
            Event::WorkOffered(offer) if offer.work.agent == id => self.on_offer(a, offer),
            Event::OfferRescinded { work, reason, .. } => {
                self.agents[a].desk.withdraw(*work);
                self.history.released(id, *work);
                if *reason == RescindReason::PushTimeout {
                    self.recorder.counts.push_timeouts += 1;
                }
            }
            Event::Message { message, .. } => {
                self.history
                    .message(Party::Agent(id), message.session, message.seq.0);
                if message.sender == Sender::EndUser {
                    self.on_customer_message(a, message.session);
                }
            }
            Event::SessionChanged {
                session,
                status: status @ (SessionStatus::Ended | SessionStatus::Inactive),
                ..
            } => {
                self.history.session_closed(id, *session);
                // An inactive session may come back to this agent; an ended one never does.
                if *status == SessionStatus::Ended {
                    self.history.ended(Party::Agent(id), *session);
                }
                if let Some(held) = self.agents[a].desk.release(*session) {
                    let (channel, queue) = held.labels;
                    let labels = Sim::labels(&self.world, channel, Some(queue));
                    let handle = Duration::from_micros(self.now - held.accepted);
                    self.recorder.latency("handle", handle, None, labels);
                }
            }
            _ => {}
        }
    }

    fn on_offer(&mut self, a: usize, offer: &Offer) {
        let session = offer.session.id;
        // When the customer meant to ask: noted when it asked; after an inactive spell, its
        // last message.
        let (intended, first_offer) = match self.sessions.get_mut(&session) {
            Some(n) => (
                Some(n.requested.unwrap_or(n.last_message)),
                !std::mem::replace(&mut n.routed, true),
            ),
            None => (None, false),
        };
        let channel = self.channel_index(offer.session.channel);
        let queue = offer.work.queue;
        self.history.offered(&offer.work);
        if let Some(last) = offer.transcript.last() {
            let party = Party::Agent(offer.work.agent);
            self.history.seen(party, session, last.seq.0);
        }
        self.recorder.counts.offers += 1;
        if let Some(intended) = intended.filter(|_| first_offer) {
            let labels = Sim::labels(&self.world, channel, Some(queue));
            let routing = Duration::from_micros(self.now - intended);
            self.recorder
                .latency("routing", routing, Some(routing), labels);
        }
        let agent = &mut self.agents[a];
        let labels = (channel, queue);
        let seen = Offered {
            session,
            intended,
            labels,
        };
        agent.desk.offered(offer.work.id, seen);
        let (act, delay) = match self.scenario.agents[agent.group].on_offer(&mut agent.rng) {
            OfferChoice::Ignore => return,
            OfferChoice::Decline(delay) => (Act::Decline(offer.work.id), delay),
            OfferChoice::Accept(delay) => (Act::Accept(offer.work.id), delay),
        };
        self.later(a, delay, act);
    }

    /// The customer wrote in `session`: if the agent holds it, it answers (or transfers) later.
    fn on_customer_message(&mut self, a: usize, session: SessionId) {
        let Some(held) = self.agents[a].desk.conversation(session) else {
            return;
        };
        let (channel, queue) = held.labels;
        let labels = Sim::labels(&self.world, channel, Some(queue));
        self.recorder
            .latency("delivery_to_agent", Duration::ZERO, None, labels);
        let agent = &mut self.agents[a];
        let def = &self.scenario.agents[agent.group];
        let (act, delay) = match def.on_customer_message(&mut agent.rng, agent.desk.holding()) {
            MessageChoice::Transfer(delay) => (Act::Transfer(session), delay),
            MessageChoice::Reply(delay) => (Act::Reply(session), delay),
        };
        agent.desk.customer_wrote(session);
        self.later(a, delay, act);
    }

    pub(super) fn agent_act(&mut self, a: usize, act: Act) {
        match act {
            Act::Presence(online) => {
                let presence = if online {
                    Presence::Online
                } else {
                    Presence::Offline
                };
                if let Err(e) = self.agent_request(a, AgentRequest::SetPresence { presence }) {
                    self.recorder.error(e.code.as_str());
                }
            }
            Act::Accept(work) => self.accept(a, work),
            Act::Decline(work) => {
                self.agents[a].desk.withdraw(work);
                self.history.released(self.agents[a].id, work);
                match self.agent_request(a, AgentRequest::Decline { work }) {
                    Ok(()) => self.recorder.counts.declines += 1,
                    Err(e) => self.benign_or_error(&e),
                }
            }
            Act::Reply(session) => self.reply(a, session),
            Act::Transfer(session) => self.transfer(a, session),
            Act::Close(session) => {
                if self.agents[a].desk.length_reached(session) == Closing::Now {
                    self.close(a, session);
                }
            }
        }
    }

    /// Counts `e` unless it only lost a race (see [`crate::live::agent::lost_race`]).
    fn benign_or_error(&mut self, e: &ApiError) {
        if !crate::live::agent::lost_race(e.code) {
            self.recorder.error(e.code.as_str());
        }
    }

    fn accept(&mut self, a: usize, work: WorkId) {
        let result = self.agent_request(a, AgentRequest::Accept { work });
        if !self.agents[a].desk.has_offer(work) {
            return;
        }
        if let Err(e) = result {
            self.agents[a].desk.withdraw(work);
            self.history.released(self.agents[a].id, work);
            self.benign_or_error(&e);
            return;
        }
        self.recorder.counts.accepted += 1;
        let agent = &mut self.agents[a];
        let Some((session, intended, &(channel, queue))) = agent.desk.accept(work, self.now) else {
            return;
        };
        let plan =
            self.scenario.agents[agent.group].on_accept(&mut agent.rng, agent.desk.holding());
        if let Some(intended) = intended {
            let labels = Sim::labels(&self.world, channel, Some(queue));
            let sta = Duration::from_micros(self.now - intended);
            self.recorder
                .latency("speed_to_answer", sta, Some(sta), labels);
            let threshold = self.scenario.service_level_threshold.0;
            let asked = Duration::from_micros(intended);
            self.recorder.answered(asked, sta, threshold);
        }
        self.later(a, plan.greet_after, Act::Reply(session));
        if let Some(length) = plan.close_after {
            self.later(a, length, Act::Close(session));
        }
    }

    fn reply(&mut self, a: usize, session: SessionId) {
        let agent = &mut self.agents[a];
        let Some(reply) = agent.desk.reply(session) else {
            return;
        };
        agent.sent += 1;
        let request = AgentRequest::Send {
            session,
            client_message_id: specs::message_id([agent.id.0, agent.sent]),
            content: OutboundContent::Text {
                text: "An answer".to_owned(),
            },
        };
        match self.agent_request(a, request) {
            Ok(()) => self.recorder.counts.messages_sent += 1,
            Err(e) => {
                self.benign_or_error(&e);
                return;
            }
        }
        if reply.then_close {
            self.close(a, session);
        }
    }

    fn transfer(&mut self, a: usize, session: SessionId) {
        if self.agents[a].desk.conversation(session).is_none() {
            return;
        }
        let queues: Vec<QueueId> = self.world.queues.values().copied().collect();
        let queue = queues[self.agents[a].rng.random_range(0..queues.len())];
        let to = TransferTarget::Queue(queue);
        if let Err(e) = self.agent_request(a, AgentRequest::Transfer { session, to }) {
            self.benign_or_error(&e);
            return;
        }
        // The session asks for an agent anew, from now (R-ROUTE-9).
        if let Some(h) = self.agents[a].desk.release(session) {
            let (channel, queue) = h.labels;
            let labels = Sim::labels(&self.world, channel, Some(queue));
            let handle = Duration::from_micros(self.now - h.accepted);
            self.recorder.latency("handle", handle, None, labels);
        }
        self.recorder.counts.transferred += 1;
        self.history.session_closed(self.agents[a].id, session);
        if let Some(note) = self.sessions.get_mut(&session) {
            note.requested = Some(self.now);
            note.routed = false;
        }
    }

    /// Ends `session`, or marks it inactive (enhanced channels only, R-SESS-7).
    fn close(&mut self, a: usize, session: SessionId) {
        let Some(held) = self.agents[a].desk.conversation(session) else {
            return;
        };
        let enhanced = held
            .labels
            .0
            .is_some_and(|c| self.world.channels[c].platform == Platform::Enhanced);
        let agent = &mut self.agents[a];
        let inactive = self.scenario.agents[agent.group].marks_inactive(&mut agent.rng, enhanced);
        let request = if inactive {
            AgentRequest::MarkInactive { session }
        } else {
            AgentRequest::End { session }
        };
        match self.agent_request(a, request) {
            Ok(()) if inactive => self.recorder.counts.marked_inactive += 1,
            Ok(()) => self.recorder.counts.ended_by_agent += 1,
            Err(e) => return self.benign_or_error(&e),
        }
        // Whoever writes next asks for an agent anew, from that message.
        if let Some(note) = self.sessions.get_mut(&session) {
            note.requested = None;
            note.routed = false;
        }
    }
}
