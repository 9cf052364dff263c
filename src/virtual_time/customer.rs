//! A simulated customer in virtual time: the same journey as a live one (docs/scenarios.md):
//! writes in, answers the bot, waits for an agent as long as its patience lasts, talks, ends the
//! session, and may come back later.

use super::{Micros, SessionNote, Sim, Wake, micros};
use crate::checker::{CustomerKey, Party};
use crate::scenario::choices::RecipientChoice;
use crate::scenario::specs;
use omnisim_protocol::*;
use omnisim_reference_server::engine::{OrgCommand, Reply};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use std::time::Duration;

/// Where a customer is in its journey.
#[derive(Debug)]
enum Phase {
    /// Talking to the bot: waiting for its question (or the next field prompt) when `asked`
    /// is false, then sending `answers` one by one.
    Bot {
        answers: VecDeque<InboundContent>,
        handoff: bool,
        prompted: bool,
    },
    /// Asked for an agent; none has accepted yet.
    Waiting,
    /// An agent accepted; the customer waits for its greeting.
    Greeting,
    /// Talking with the agent: `left` messages to send; `awaiting_reply` after each.
    Talking {
        left: u32,
        awaiting_reply: bool,
    },
    /// An outbound recipient about to answer STOP.
    OptingOut,
    /// An outbound recipient about to answer the template.
    Replying,
    /// Asked to end (or the bot is resolving): waits to see the end.
    Closing,
    Done,
}

pub(super) struct Customer {
    index: u64,
    /// An org-triggered outbound recipient: it answers, opts out or stays silent, and never
    /// comes back on its own.
    recipient: bool,
    /// Shared with every inbound the customer sends.
    address: std::sync::Arc<str>,
    /// How the history checker knows this address.
    key: CustomerKey,
    /// The messaging user the platform made of this address, once it answered.
    user: Option<UserId>,
    channel: usize,
    rng: SmallRng,
    session: SessionId,
    /// When the customer meant to write first: resolution and first response start here.
    start: Micros,
    pmid: u32,
    /// Moves on at every phase change, so that stale think and patience wake-ups are ignored.
    generation: u32,
    phase: Phase,
}

impl Sim {
    /// The next scheduled customer arrives.
    pub(super) fn arrive(&mut self, i: usize) {
        let arrival = self.arrivals[i];
        if let Some(next) = self.arrivals.get(i + 1) {
            let at = micros(next.at);
            self.schedule(at, Wake::Arrival(i + 1));
        }
        let c = &mut self.recorder.counts;
        c.arrivals_started += 1;
        // The virtual clock starts every arrival exactly on time.
        self.recorder.latency(
            "schedule_lag",
            Duration::ZERO,
            None,
            super::Labels::default(),
        );
        let seed = self.seed ^ arrival.index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let address = specs::customer(arrival.index);
        self.customers.push(Customer {
            recipient: false,
            index: arrival.index,
            key: self.history.customer(&address),
            user: None,
            address,
            channel: arrival.channel,
            rng: SmallRng::seed_from_u64(seed),
            session: SessionId(0),
            start: self.now,
            pmid: 0,
            generation: 0,
            phase: Phase::Done,
        });
        self.open += 1;
        self.write_in(self.customers.len() - 1);
    }

    /// A customer that ended its session writes in again: a new session, same conversation.
    pub(super) fn come_back(&mut self, c: usize) {
        self.recorder.counts.comebacks += 1;
        self.customers[c].start = self.now;
        self.open += 1;
        self.write_in(c);
    }

    /// Sends `content` as customer `c`, through the channel's inbound as a provider would; with
    /// the provider-retry fault, delivers it twice and checks the retry is a duplicate.
    fn inbound(&mut self, c: usize, content: InboundContent) -> Result<InboundAccepted, ApiError> {
        let cust = &mut self.customers[c];
        cust.pmid += 1;
        let retry = cust.rng.random::<f64>() < self.scenario.faults.provider_retry;
        let req = InboundRequest {
            address: cust.address.clone(),
            provider_message_id: specs::message_id([self.seed, cust.index, u64::from(cust.pmid)]),
            content,
        };
        let channel = self.world.channels[cust.channel].id;
        let is_end = req.content == InboundContent::End;
        let again = retry.then(|| req.clone());
        let first = self.org_command(OrgCommand::Inbound(channel, req));
        let Ok(Reply::Inbound(accepted)) = first else {
            return Err(first.err().unwrap_or_else(|| {
                ApiError::new(ErrorCode::Internal, "inbound replied with something else")
            }));
        };
        if let Some(req) = again {
            if let Ok(Reply::Inbound(again)) = self.org_command(OrgCommand::Inbound(channel, req)) {
                let original = (accepted.session, accepted.seq.map(|q| q.0));
                let repeat = (again.session, again.seq.map(|q| q.0), again.duplicate);
                self.history
                    .retried(self.customers[c].key, original, repeat);
            }
            self.recorder.counts.provider_retries += 1;
        }
        if !is_end {
            self.history.inbound(self.customers[c].key, &accepted);
            self.listen_as(c, accepted.user);
        }
        Ok(accepted)
    }

    /// Events for `user` reach customer `c` from now on.
    fn listen_as(&mut self, c: usize, user: UserId) {
        if self.customers[c].user.replace(user) != Some(user) {
            self.by_user.insert(user, c);
        }
    }

    /// Customer `c` is done for good and, like a live customer that closed its stream, hears
    /// nothing more: the map every event looks up holds only the customers still around.
    fn leave(&mut self, c: usize) {
        if let Some(user) = self.customers[c].user.take() {
            if self.by_user.get(&user) == Some(&c) {
                self.by_user.remove(&user);
            }
        }
    }

    fn set_phase(&mut self, c: usize, phase: Phase) {
        let cust = &mut self.customers[c];
        cust.generation += 1;
        cust.phase = phase;
    }

    fn think(&mut self, c: usize) {
        let cust = &mut self.customers[c];
        let delay = self.scenario.customers.think_time.sample(&mut cust.rng);
        let generation = cust.generation;
        self.after(
            delay,
            Wake::Think {
                customer: c,
                generation,
            },
        );
    }

    /// The first message of a journey.
    fn write_in(&mut self, c: usize) {
        let accepted = match self.inbound(c, text("Hello, I need some help")) {
            Ok(a) => a,
            Err(e) => {
                self.recorder.error(e.code.as_str());
                self.open -= 1;
                return;
            }
        };
        let session = accepted.session;
        self.customers[c].session = session;
        self.recorder.counts.sessions_started += 1;
        let channel = &self.world.channels[self.customers[c].channel];
        self.sessions.insert(session, SessionNote::new(self.now));
        match channel.bot {
            Some(_) => self.set_phase(
                c,
                Phase::Bot {
                    answers: VecDeque::new(),
                    handoff: false,
                    prompted: false,
                },
            ),
            // A queue entry asks for an agent with the first message.
            None => self.ask_for_agent(c, self.customers[c].start),
        }
    }

    fn ask_for_agent(&mut self, c: usize, intended: Micros) {
        let session = self.customers[c].session;
        if let Some(note) = self.sessions.get_mut(&session) {
            note.requested = Some(intended);
        }
        self.recorder
            .asked_for_agent(Duration::from_micros(intended));
        self.set_phase(c, Phase::Waiting);
        let cust = &mut self.customers[c];
        let patience = self.scenario.customers.patience.sample(&mut cust.rng);
        let generation = cust.generation;
        self.schedule(
            intended + micros(patience),
            Wake::Patience {
                customer: c,
                generation,
            },
        );
    }

    /// The bot's intent question arrived: choose an intent and line up the answers.
    fn answer_bot(&mut self, c: usize, question: &Message) {
        let Some(bot) = self.world.channels[self.customers[c].channel].bot else {
            return;
        };
        let platform = self.world.channels[self.customers[c].channel].platform;
        let (answers, handoff) = self.scenario.bot_answers(
            &self.scenario.bots[bot],
            platform,
            question.seq,
            &mut self.customers[c].rng,
        );
        let answers = VecDeque::from(answers);
        self.set_phase(
            c,
            Phase::Bot {
                answers,
                handoff,
                prompted: true,
            },
        );
        self.think(c);
    }

    /// An event on the customer's stream.
    pub(super) fn customer_event(&mut self, c: usize, event: &Event) {
        let party = Party::Customer(self.customers[c].key);
        match event {
            Event::Message { message, .. } => {
                self.history.message(party, message.session, message.seq.0);
                if message.session != self.customers[c].session {
                    return;
                }
                match message.sender {
                    Sender::Bot => self.on_bot_message(c, message),
                    Sender::Agent => self.on_agent_message(c),
                    Sender::EndUser | Sender::System => {}
                }
            }
            Event::SessionChanged {
                session,
                status,
                handler,
                ended_by,
                ..
            } if *session == self.customers[c].session => match status {
                SessionStatus::Ended => {
                    self.history.ended(party, *session);
                    self.finish(c, *ended_by);
                }
                SessionStatus::Active if *handler != Handler::Bot => {
                    if matches!(self.customers[c].phase, Phase::Waiting) {
                        self.set_phase(c, Phase::Greeting);
                    }
                }
                // The agent let the conversation go inactive: no answer is coming; the next
                // message asks for an agent again (R-SESS-7).
                SessionStatus::Inactive => {
                    if let Phase::Talking {
                        awaiting_reply: true,
                        ..
                    } = self.customers[c].phase
                    {
                        self.replied(c);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn on_bot_message(&mut self, c: usize, message: &Message) {
        let Phase::Bot {
            answers, prompted, ..
        } = &mut self.customers[c].phase
        else {
            return;
        };
        if answers.is_empty() && !*prompted {
            if message.is_question() {
                self.answer_bot(c, message);
            }
        } else if !*prompted && !answers.is_empty() {
            // A field prompt: answer it after thinking.
            *prompted = true;
            self.think(c);
        }
    }

    fn on_agent_message(&mut self, c: usize) {
        let first = matches!(self.customers[c].phase, Phase::Waiting | Phase::Greeting);
        let (channel, queue) = self.customer_labels(c);
        let labels = Sim::labels(&self.world, channel, queue);
        // Delivery within the engine is instantaneous.
        self.recorder
            .latency("delivery_to_customer", Duration::ZERO, None, labels);
        if first {
            let since = Duration::from_micros(self.now - self.customers[c].start);
            self.recorder.latency("first_response", since, None, labels);
            let messages = self
                .scenario
                .customers
                .messages
                .sample(&mut self.customers[c].rng);
            if messages == 0 {
                return self.end_session(c);
            }
            self.set_phase(
                c,
                Phase::Talking {
                    left: messages,
                    awaiting_reply: false,
                },
            );
            self.think(c);
        } else if let Phase::Talking {
            awaiting_reply: true,
            ..
        } = self.customers[c].phase
        {
            self.replied(c);
        }
    }

    /// The agent answered (or went quiet): think and write on, or end after the last message.
    fn replied(&mut self, c: usize) {
        let Phase::Talking { left, .. } = self.customers[c].phase else {
            return;
        };
        if left == 0 {
            self.end_session(c);
        } else {
            self.set_phase(
                c,
                Phase::Talking {
                    left,
                    awaiting_reply: false,
                },
            );
            self.think(c);
        }
    }

    fn end_session(&mut self, c: usize) {
        self.set_phase(c, Phase::Closing);
        match self.inbound(c, InboundContent::End) {
            // The agent ended it in the same instant, after the message the customer answered
            // (its end is on the way to the customer).
            Err(e) if e.code == ErrorCode::SessionEnded => {}
            Err(e) => self.recorder.error(e.code.as_str()),
            Ok(_) => {}
        }
    }

    pub(super) fn think_done(&mut self, c: usize, generation: u32) {
        if self.customers[c].generation != generation {
            return;
        }
        match &mut self.customers[c].phase {
            Phase::Bot {
                answers,
                handoff,
                prompted,
            } => {
                let Some(answer) = answers.pop_front() else {
                    return;
                };
                *prompted = false;
                let last = answers.is_empty();
                let handoff = *handoff;
                if let Err(e) = self.inbound(c, answer) {
                    self.recorder.error(e.code.as_str());
                    return;
                }
                if last && handoff {
                    self.ask_for_agent(c, self.now);
                } else if last {
                    // Resolved by the bot: it ends the session.
                    self.set_phase(c, Phase::Closing);
                }
            }
            Phase::Talking {
                left,
                awaiting_reply: false,
            } => {
                let left = *left - 1;
                self.set_phase(
                    c,
                    Phase::Talking {
                        left,
                        awaiting_reply: true,
                    },
                );
                let session = self.customers[c].session;
                if let Some(note) = self.sessions.get_mut(&session) {
                    note.last_message = self.now;
                }
                match self.inbound(c, text("A question")) {
                    Ok(_) => self.recorder.counts.messages_sent += 1,
                    Err(e) => self.recorder.error(e.code.as_str()),
                }
            }
            Phase::OptingOut => {
                let address = self.customers[c].address.clone();
                if let Err(e) = self.inbound(c, text("STOP")) {
                    self.recorder.error(e.code.as_str());
                }
                self.opted_out.insert(address);
                self.recorder.counts.opt_outs += 1;
                self.end_session(c);
            }
            Phase::Replying => {
                let address = self.customers[c].address.clone();
                self.wrote_in.insert(address);
                self.customers[c].start = self.now;
                let session = self.customers[c].session;
                if let Some(note) = self.sessions.get_mut(&session) {
                    note.last_message = self.now;
                }
                match self.inbound(c, text("Thanks, I have a question about it")) {
                    Ok(_) => {
                        self.recorder.counts.messages_sent += 1;
                        self.ask_for_agent(c, self.now);
                    }
                    Err(e) => self.recorder.error(e.code.as_str()),
                }
            }
            _ => {}
        }
    }

    /// An org-triggered outbound conversation: a free-form message to a recipient that never
    /// wrote in (which must be refused, R-OUT-4), then the template; the recipient answers,
    /// opts out, or stays silent (docs/scenarios.md, `[outbound]`).
    pub(super) fn outbound(&mut self, i: usize) {
        let Some(def) = self.scenario.outbound.clone() else {
            return;
        };
        if let Some(next) = self.outbound_at.get(i + 1) {
            let at = micros(*next);
            self.schedule(at, Wake::Outbound(i + 1));
        }
        let recipient = self.recipients.random_range(0..def.recipients);
        let address = crate::scenario::specs::recipient(recipient);
        let Some(channel) = self
            .world
            .channels
            .iter()
            .position(|ch| ch.name == def.channel)
        else {
            return;
        };
        let channel_id = self.world.channels[channel].id;
        let opted_out = self.opted_out.contains(address.as_str());
        let send = |sim: &mut Sim, content: OutboundContent| {
            let req = TriggeredOutboundRequest {
                address: address.clone(),
                content,
            };
            sim.org_command(OrgCommand::TriggeredOutbound(channel_id, req))
        };
        if !self.wrote_in.contains(address.as_str()) && !opted_out {
            let free_form = OutboundContent::Text {
                text: "Free-form hello".into(),
            };
            let accepted = send(self, free_form).is_ok();
            self.history.outbound(&address, false, false, accepted);
            if accepted {
                return;
            }
        }
        let template = OutboundContent::Template {
            name: def.template.clone(),
            text: "Your order has shipped.".into(),
        };
        let result = send(self, template);
        self.history
            .outbound(&address, opted_out, true, result.is_ok());
        let counts = &mut self.recorder.counts;
        let session = match result {
            Ok(Reply::Message(m)) => {
                counts.outbound_sent += 1;
                m.session
            }
            Err(e) if e.code == ErrorCode::ConsentRequired && opted_out => {
                counts.outbound_refused += 1;
                return;
            }
            Err(e) if e.code == ErrorCode::SessionInProgress => {
                counts.outbound_skipped += 1;
                return;
            }
            Err(e) => return self.recorder.error(e.code.as_str()),
            Ok(_) => return self.recorder.error("unexpected_reply"),
        };
        counts.sessions_started += 1;
        let index = (1 << 40) + i as u64;
        let seed = self.seed ^ index.wrapping_mul(0xA24B_AED4_963E_E407);
        let address: std::sync::Arc<str> = address.into();
        self.customers.push(Customer {
            recipient: true,
            index,
            key: self.history.customer(&address),
            user: None,
            address,
            channel,
            rng: SmallRng::seed_from_u64(seed),
            session,
            start: self.now,
            pmid: 0,
            generation: 0,
            phase: Phase::Done,
        });
        let c = self.customers.len() - 1;
        self.sessions.insert(session, SessionNote::new(self.now));
        if let Ok(user) = self.engine.session(self.org, session).map(|s| s.user) {
            self.listen_as(c, user);
        }
        let phase = match def.recipient_choice(&mut self.customers[c].rng) {
            RecipientChoice::OptOut => Phase::OptingOut,
            RecipientChoice::Reply => Phase::Replying,
            // The session stays new, counted as still open.
            RecipientChoice::Silent => return,
        };
        self.open += 1;
        self.set_phase(c, phase);
        self.think(c);
    }

    pub(super) fn patience_out(&mut self, c: usize, generation: u32) {
        let cust = &self.customers[c];
        if cust.generation != generation || !matches!(cust.phase, Phase::Waiting) {
            return;
        }
        let session = self.customers[c].session;
        let asked = self.sessions.get(&session).and_then(|n| n.requested);
        self.recorder.abandoned(asked.map(Duration::from_micros));
        self.end_session(c);
    }

    fn customer_labels(&self, c: usize) -> (Option<usize>, Option<QueueId>) {
        let cust = &self.customers[c];
        let channel = &self.world.channels[cust.channel];
        let queue = channel
            .queue
            .as_ref()
            .and_then(|q| self.world.queues.get(q).copied());
        (Some(cust.channel), queue)
    }

    /// The customer saw its session end.
    fn finish(&mut self, c: usize, by: Option<EndedBy>) {
        if matches!(self.customers[c].phase, Phase::Done) {
            return;
        }
        self.set_phase(c, Phase::Done);
        self.open -= 1;
        let counts = &mut self.recorder.counts;
        counts.sessions_ended += 1;
        if by == Some(EndedBy::Bot) {
            counts.bot_contained += 1;
        }
        let (channel, queue) = self.customer_labels(c);
        let labels = Sim::labels(&self.world, channel, queue);
        let resolution = Duration::from_micros(self.now - self.customers[c].start);
        self.recorder
            .latency("resolution", resolution, None, labels);
        let session = self.customers[c].session;
        self.sessions.remove(&session);
        let cust = &mut self.customers[c];
        // Recipients never come back on their own: the org writes to them.
        let comeback = if cust.recipient {
            None
        } else {
            self.scenario.customers.comeback(&mut cust.rng)
        };
        match comeback {
            Some(delay) => self.after(delay, Wake::Comeback(c)),
            None => self.leave(c),
        }
    }
}

fn text(s: &str) -> InboundContent {
    InboundContent::Text { text: s.to_owned() }
}
