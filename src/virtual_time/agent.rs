//! Simulated agents in virtual time: each one's [`Agent`] (the same as a live agent's) told what
//! reaches it from the engine, its requests applied to the engine at once.

use super::observer::Party;
use super::{Sim, Wake, micros};
use crate::actors::agent::{Act, Agent, Place, Request, Task};
use crate::actors::desk::Offered;
use crate::measure::recorder::Labels;
use omnisim_protocol::*;
use omnisim_reference_server::engine::Command;
use std::time::Duration;

/// An agent of the simulation: its state machine, and who it is to the engine.
pub(super) struct SimAgent {
    id: AgentId,
    group: usize,
    agent: Agent<Labels>,
}

impl Sim {
    /// Every agent joins; those whose shift starts with the run go online now.
    pub(super) fn start_agents(&mut self) {
        let queues = self.world.queues.len();
        for (i, a) in self.world.agents.clone().into_iter().enumerate() {
            let def = &self.scenario.agents[a.group];
            let seed = self.seed ^ a.id.0.wrapping_mul(0xD1B5_4A32_D192_ED03);
            self.agents.push(SimAgent {
                id: a.id,
                group: a.group,
                agent: Agent::new(seed, queues),
            });
            self.by_agent.insert(a.id, i);
            self.history.agent(a.id, def.capacity);
            let shift = def.shift;
            let on = Task::Presence(Presence::Online);
            if shift.start.0.is_zero() {
                self.agent_task(i, on);
            } else {
                self.schedule(micros(shift.start.0), Wake::Agent { agent: i, task: on });
            }
            if let Some(end) = shift.end {
                let off = Task::Presence(Presence::Offline);
                self.schedule(
                    micros(end.0),
                    Wake::Agent {
                        agent: i,
                        task: off,
                    },
                );
            }
        }
    }

    /// An event on the agent's connection.
    pub(super) fn agent_event(&mut self, a: usize, event: &Event) {
        let id = self.agents[a].id;
        match event {
            Event::WorkOffered(offer) if offer.work.agent == id => self.on_offer(a, offer),
            Event::OfferRescinded { work, reason, .. } => {
                self.agents[a].agent.rescinded(*work);
                self.history.released(id, *work);
                if *reason == RescindReason::PushTimeout {
                    self.recorder.counts.push_timeouts += 1;
                }
            }
            Event::Message { message, .. } => {
                self.history
                    .message(Party::Agent(id), message.session, message.seq.0);
                if message.sender == Sender::EndUser {
                    let session = message.session;
                    if let Some(held) = self.agents[a].agent.holds(session) {
                        self.recorder.zero("delivery_to_agent", held.labels.labels);
                    }
                    let now = self.clock();
                    let agent = &mut self.agents[a];
                    let def = &self.scenario.agents[agent.group];
                    agent
                        .agent
                        .customer_wrote(now, session, def, &mut self.agent_acts);
                    self.carry_out_agent(a);
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
                let now = self.clock();
                let agent = &mut self.agents[a].agent;
                agent.session_closed(now, *session, &mut self.agent_acts);
                self.carry_out_agent(a);
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
        let channel = self.world.channel_index(offer.session.channel);
        let labels = self.labels.at(channel, offer.work.queue);
        self.history.offered(&offer.work);
        if let Some(last) = offer.transcript.last() {
            let party = Party::Agent(offer.work.agent);
            self.history.seen(party, session, last.seq.0);
        }
        self.recorder.counts.offers += 1;
        if let Some(intended) = intended.filter(|_| first_offer) {
            let routing = Duration::from_micros(self.now - intended);
            self.recorder
                .latency("routing", routing, Some(routing), labels);
        }
        let flow = offer.context.flow.and_then(|f| self.world.flow_name(f));
        let channel_name = channel.map(|c| self.world.channels[c].name.as_str());
        let expected = flow
            .zip(channel_name)
            .filter(|_| first_offer)
            .and_then(|(flow, channel)| self.scenario.expected_flow_rule(flow, channel, offer));
        self.history.flow_offer(offer, expected);
        if first_offer {
            self.recorder.first_offer(flow, offer, labels);
        }
        let enhanced =
            channel.is_some_and(|c| self.world.channels[c].platform == Platform::Enhanced);
        let seen = Offered {
            session,
            intended: intended.map(Duration::from_micros),
            labels: Place { labels, enhanced },
        };
        let now = self.clock();
        let agent = &mut self.agents[a];
        let def = &self.scenario.agents[agent.group];
        agent
            .agent
            .offered(now, offer.work.id, seen, def, &mut self.agent_acts);
        self.carry_out_agent(a);
    }

    /// A task agent `a` set itself came due.
    pub(super) fn agent_task(&mut self, a: usize, task: Task) {
        let agent = &mut self.agents[a];
        let def = &self.scenario.agents[agent.group];
        agent.agent.due(task, def, &mut self.agent_acts);
        self.carry_out_agent(a);
    }

    /// Does what agent `a` queued, applying its requests to the engine at once.
    fn carry_out_agent(&mut self, a: usize) {
        while let Some(act) = self.agent_acts.pop_front() {
            act.record(&mut self.recorder, |&labels| labels);
            match act {
                Act::Request(request) => {
                    let outcome = self.agent_request(a, request);
                    let now = self.clock();
                    let agent = &mut self.agents[a];
                    let def = &self.scenario.agents[agent.group];
                    agent
                        .agent
                        .replied(now, request, outcome, def, &mut self.agent_acts);
                }
                Act::WakeAt { at, task } => {
                    self.schedule(micros(at), Wake::Agent { agent: a, task });
                }
                Act::Released(work) => self.history.released(self.agents[a].id, work),
                Act::Accepted {
                    intended, labels, ..
                } => {
                    if let Some(intended) = intended {
                        let sta = self.clock().saturating_sub(intended);
                        self.recorder
                            .latency("speed_to_answer", sta, Some(sta), labels);
                        let threshold = self.scenario.service_level_threshold.0;
                        self.recorder.answered(intended, sta, threshold);
                    }
                }
                Act::Handled { .. } | Act::Failed(_) => {}
            }
        }
    }

    /// Applies `request` as agent `a`, counting what it did.
    fn agent_request(&mut self, a: usize, request: Request) -> Result<(), ErrorCode> {
        let id = self.agents[a].id;
        let queues = &self.world.queues;
        let text = |_| MessageText::const_new("An answer");
        let wire = request.wire(id, queues, text);
        let wire = wire.ok_or(ErrorCode::NotFound)?;
        let command = Command::Agent {
            agent: id,
            request: wire,
        };
        self.command(command).map_err(|e| e.code)?;
        request.record(&mut self.recorder);
        match request {
            Request::Transfer { session, .. } => {
                self.history.session_closed(id, session);
                // The session asks for an agent anew, from now (R-ROUTE-9).
                if let Some(note) = self.sessions.get_mut(&session) {
                    note.requested = Some(self.now);
                    note.routed = false;
                }
            }
            Request::Close { session, .. } => {
                // Whoever writes next asks for an agent anew, from that message.
                if let Some(note) = self.sessions.get_mut(&session) {
                    note.requested = None;
                    note.routed = false;
                }
            }
            _ => {}
        }
        Ok(())
    }
}
