//! Simulated customers in virtual time: each one's [`Journey`] (the same as a live customer's)
//! stepped from engine events and wake-ups, its sends applied to the engine at once.

use super::observer::Party;
use super::{SessionNote, Sim, Wake, micros};
use crate::actors::customer::{Act, Entrance, Journey, Line, Sent};
use crate::measure::recorder::Labels;
use crate::scenario::choices::RecipientChoice;
use crate::scenario::specs;
use omnisim_protocol::*;
use omnisim_reference_server::engine::{OrgCommand, Reply};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

/// A customer of the simulation: its journey, and who it is to the engine and the checker.
pub(super) struct Customer {
    index: u64,
    /// Which occupant of its slot this customer is; moves on when the customer leaves, so that
    /// nothing scheduled for it reaches it or the slot's next occupant.
    epoch: u32,
    /// Left for good: its slot is free for the next arrival.
    left: bool,
    /// Shared with every inbound the customer sends.
    address: Arc<str>,
    /// The messaging user the platform made of this address, once it answered.
    user: Option<UserId>,
    channel: usize,
    pmid: u32,
    journey: Journey,
    /// What the customer fills into a pre-chat form, on channels that have one (R-FLOW-6).
    prechat: Option<std::collections::BTreeMap<String, String>>,
}

impl Sim {
    /// The next scheduled customer arrives, and the one after it is drawn.
    pub(super) fn arrive(&mut self) {
        let Some(arrival) = self.next_arrival.take() else {
            return;
        };
        self.next_arrival = self.upcoming.next();
        if let Some(next) = self.next_arrival {
            self.recorder.counts.arrivals_scheduled += 1;
            self.schedule(micros(next.at), Wake::Arrival);
        }
        let c = &mut self.recorder.counts;
        c.arrivals_started += 1;
        // The virtual clock starts every arrival exactly on time.
        self.recorder
            .latency("schedule_lag", Duration::ZERO, None, Labels::default());
        let seed = self.seed ^ arrival.index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let c = self.new_customer(
            arrival.index,
            specs::customer(arrival.index),
            arrival.channel,
            seed,
        );
        self.open += 1;
        self.write_in(c);
    }

    /// Customer `c` writes in, expecting whom its channel's flow picks, if it has one.
    fn write_in(&mut self, c: usize) {
        let now = self.clock();
        let cust = &mut self.customers[c];
        let ch = &self.world.channels[cust.channel];
        if ch.entrance == Entrance::Flow {
            let def = &self.scenario.channels[cust.channel];
            let fields = cust.prechat.as_ref();
            let bot = self.scenario.flow_bot(def, fields, now.as_millis() as u64);
            cust.journey.expects_bot(bot);
        }
        cust.journey.write_in(now, &mut self.acts);
        self.carry_out(c);
    }

    fn new_customer(&mut self, index: u64, address: Arc<str>, channel: usize, seed: u64) -> usize {
        let ch = &self.world.channels[channel];
        let mut customer = Customer {
            index,
            epoch: 0,
            left: false,
            user: None,
            address,
            channel,
            pmid: 0,
            journey: Journey::new(seed, ch.entrance, ch.platform),
            prechat: None,
        };
        let def = &self.scenario.channels[channel];
        customer.prechat = self.scenario.prechat(def, customer.journey.rng());
        let c = match self.free_slots.pop() {
            Some(c) => {
                customer.epoch = self.customers[c].epoch;
                self.customers[c] = customer;
                c
            }
            None => {
                self.customers.push(customer);
                self.customers.len() - 1
            }
        };
        self.history.customer(c, &self.customers[c].address);
        c
    }

    /// A customer that ended its session writes in again: a new session, same conversation.
    pub(super) fn come_back(&mut self, c: usize) {
        self.recorder.counts.comebacks += 1;
        self.open += 1;
        self.write_in(c);
    }

    /// A customer's timer came due.
    pub(super) fn customer_wake(&mut self, c: usize, epoch: u32, generation: u32) {
        if self.customers[c].epoch != epoch {
            return;
        }
        let now = self.clock();
        self.customers[c]
            .journey
            .wake(now, generation, &mut self.acts);
        self.carry_out(c);
    }

    /// An event on the customer's stream.
    pub(super) fn customer_event(&mut self, c: usize, event: &Event) {
        let party = Party::Customer(c);
        match event {
            Event::Message { message, .. } => {
                self.history.message(party, message.session, message.seq.0);
            }
            Event::SessionChanged {
                session,
                status: SessionStatus::Ended,
                ..
            } if *session == self.customers[c].journey.session() => {
                self.history.ended(party, *session);
            }
            _ => {}
        }
        let now = self.clock();
        self.customers[c]
            .journey
            .event(now, event, &self.scenario, &mut self.acts);
        self.carry_out(c);
    }

    /// Does what customer `c`'s journey queued, sending to the engine at once.
    fn carry_out(&mut self, c: usize) {
        while let Some(act) = self.acts.pop_front() {
            let labels = self.labels.channel(self.customers[c].channel);
            act.record(&mut self.recorder, labels);
            match act {
                Act::Send { line, at, .. } => {
                    let session = self.customers[c].journey.session();
                    if line.to_agent() {
                        if let Some(note) = self.sessions.get_mut(&session) {
                            note.last_message = micros(at);
                        }
                    }
                    let reply = self.send(c, line);
                    self.customers[c]
                        .journey
                        .sent(at, reply, &self.scenario, &mut self.acts);
                }
                Act::WakeAt {
                    at,
                    generation,
                    patience,
                } => {
                    let (customer, epoch) = (c, self.customers[c].epoch);
                    let wake = if patience {
                        Wake::Patience {
                            customer,
                            epoch,
                            generation,
                        }
                    } else {
                        Wake::Think {
                            customer,
                            epoch,
                            generation,
                        }
                    };
                    self.schedule(micros(at), wake);
                }
                Act::AskedForAgent { intended } => {
                    let session = self.customers[c].journey.session();
                    if let Some(note) = self.sessions.get_mut(&session) {
                        note.requested = Some(micros(intended));
                    }
                }
                Act::AgentMessage { .. } => {
                    // Delivery within the engine is instantaneous.
                    self.recorder.zero("delivery_to_customer", labels);
                }
                Act::Ended { .. } => {
                    self.open -= 1;
                    let session = self.customers[c].journey.session();
                    self.sessions.remove(&session);
                }
                Act::OptedOut => {
                    self.opted_out.insert(self.customers[c].address.clone());
                }
                Act::Abandoned { .. } | Act::Crossed => {}
                Act::WroteIn => {
                    self.wrote_in.insert(self.customers[c].address.clone());
                }
                Act::ComeBack { after } => self.after(after, Wake::Comeback(c)),
                Act::Leave => self.leave(c),
                Act::GaveUp => {
                    self.open -= 1;
                    self.leave(c);
                }
            }
        }
    }

    /// Sends `line` for customer `c` and tells what came back, recording failures.
    fn send(&mut self, c: usize, line: Line) -> Sent {
        let (hello, end) = (matches!(line, Line::Hello), matches!(line, Line::End));
        let to_agent = line.to_agent();
        match self.inbound(c, line.content(), hello) {
            Ok(accepted) => {
                let counts = &mut self.recorder.counts;
                if hello {
                    counts.sessions_started += 1;
                    let note = SessionNote::new(self.now);
                    self.sessions.insert(accepted.session, note);
                } else if to_agent {
                    counts.messages_sent += 1;
                }
                Sent::Accepted(accepted.session)
            }
            Err(e) => {
                let sent = Sent::refused(Some(e.code));
                if sent.is_error(end) {
                    self.recorder.error(e.code.as_str());
                }
                sent
            }
        }
    }

    /// Sends `content` as customer `c`, through the channel's inbound as a provider would; with
    /// the provider-retry fault, delivers it twice and checks the retry is a duplicate.
    /// `first`: the message that opens a session, which carries the pre-chat fields.
    fn inbound(
        &mut self,
        c: usize,
        content: InboundContent,
        first: bool,
    ) -> Result<InboundAccepted, ApiError> {
        let cust = &mut self.customers[c];
        cust.pmid += 1;
        let retry = cust.journey.rng().random::<f64>() < self.scenario.faults.provider_retry;
        let req = InboundRequest {
            address: cust.address.clone(),
            provider_message_id: specs::message_id([self.seed, cust.index, u64::from(cust.pmid)]),
            content,
            fields: cust.prechat.as_ref().filter(|_| first).cloned(),
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
                self.history.retried(c, original, repeat);
            }
            self.recorder.counts.provider_retries += 1;
        }
        if !is_end {
            self.history.inbound(c, &accepted);
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
        let cust = &mut self.customers[c];
        if std::mem::replace(&mut cust.left, true) {
            return;
        }
        cust.epoch = cust.epoch.wrapping_add(1);
        if let Some(user) = cust.user.take() {
            if self.by_user.get(&user) == Some(&c) {
                self.by_user.remove(&user);
            }
        }
        if cust.index < specs::OUTBOUND_INDICES {
            self.history.forget_customer(c);
        }
        self.free_slots.push(c);
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
        let index = specs::OUTBOUND_INDICES + i as u64;
        let seed = self.seed ^ index.wrapping_mul(0xA24B_AED4_963E_E407);
        let c = self.new_customer(index, address.into(), channel, seed);
        self.sessions.insert(session, SessionNote::new(self.now));
        if let Ok(user) = self.engine.session(self.org, session).map(|s| s.user) {
            self.listen_as(c, user);
        }
        // The template is in the recipient's stream at once.
        let now = self.clock();
        let choice =
            self.customers[c]
                .journey
                .template(now, session, &self.scenario, &mut self.acts);
        // A silent recipient's session stays new, and its customer has nothing more to do.
        if choice != RecipientChoice::Silent {
            self.open += 1;
        }
        self.carry_out(c);
    }
}
