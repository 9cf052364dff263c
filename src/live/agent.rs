//! Simulated agents of a live run: each one's [`Agent`] (the same as in virtual time) told what
//! its socket delivers, its requests sent as frames and answered in any order. Measures routing
//! latency and speed to answer from the time the customer intended to ask.

use super::client::{Socket, feed_json, flush, next_text};
use super::context::RunCtx;
use super::setup::LiveAgent;
use crate::actors::agent::{Act, Agent, Place, Request, Task};
use crate::actors::desk::Offered;
use crate::actors::timers::Timers;
use crate::measure::recorder::Labels;
use omnisim_protocol::*;
use rand::Rng;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Something the agent does later: a task it set itself, or (the agent-reconnect fault) dropping
/// its socket and resuming from the server's hello.
enum Later {
    Task(Task),
    Reconnect,
}

/// One agent's task: its state machine, its socket and the requests it has in flight.
struct Live {
    id: AgentId,
    token: String,
    ctx: Arc<RunCtx>,
    def: crate::scenario::AgentGroup,
    agent: Agent<Labels>,
    acts: VecDeque<Act<Labels>>,
    /// The agent's times count from here.
    epoch: Instant,
    socket: Socket,
    next_id: u64,
    /// Requests sent and not answered yet, by frame id.
    pending: HashMap<u64, Request>,
    /// Frames queued on the socket since its last flush.
    unsent: bool,
    /// Fires once the agent is online at the start of the run.
    ready: Option<oneshot::Sender<()>>,
    later: Timers<Instant, Later>,
}

/// Runs one agent until the run stops. `ready` fires once it is online, or at once when its shift
/// starts later; `origin` brings the time of the first arrival, which shifts count from.
pub async fn run(
    ctx: Arc<RunCtx>,
    agent: LiveAgent,
    ready: oneshot::Sender<()>,
    origin: oneshot::Receiver<Instant>,
) {
    let socket = match ctx.client.busy_socket(&agent.token, "/v1/agent").await {
        Ok(s) => s,
        Err(e) => {
            e.record(&mut ctx.shared());
            return;
        }
    };
    let seed = ctx.seed ^ agent.id.0.wrapping_mul(0xD1B5_4A32_D192_ED03);
    let mut a = Live {
        id: agent.id,
        token: agent.token.clone(),
        def: ctx.scenario.agents[agent.group].clone(),
        agent: Agent::new(seed, ctx.world.queues.len()),
        acts: VecDeque::new(),
        epoch: Instant::now(),
        ctx,
        socket,
        next_id: 0,
        pending: HashMap::new(),
        unsent: false,
        ready: None,
        later: Timers::default(),
    };
    a.ctx.shared().history.agent(agent.id, a.def.capacity);
    let shift = a.def.shift;
    if shift.start.0.is_zero() {
        a.ready = Some(ready);
        a.due(Task::Presence(Presence::Online)).await;
    } else {
        let _ = ready.send(());
    }
    let mut stop = a.ctx.stop.clone();
    let mut origin = std::pin::pin!(origin);
    let mut shift_scheduled = false;
    // One sleep for every timer of the agent, moved to the earliest.
    let far = || tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
    let sleep = tokio::time::sleep_until(far());
    tokio::pin!(sleep);
    loop {
        // What the last turn asked goes out in one write before the agent waits again.
        if std::mem::take(&mut a.unsent) {
            if let Err(e) = flush(&mut a.socket).await {
                e.record(&mut a.ctx.shared());
            }
        }
        let next = a.later.next().map_or_else(far, tokio::time::Instant::from);
        if sleep.deadline() != next {
            sleep.as_mut().reset(next);
        }
        tokio::select! {
            Ok(origin) = &mut origin, if !shift_scheduled => {
                shift_scheduled = true;
                if !shift.start.0.is_zero() {
                    a.later_at(origin + shift.start.0, Later::Task(Task::Presence(Presence::Online)));
                }
                if let Some(end) = shift.end {
                    a.later_at(origin + end.0, Later::Task(Task::Presence(Presence::Offline)));
                }
            }
            text = next_text(&mut a.socket) => match text {
                Some(t) => a.on_frame(&t).await,
                None => return,
            },
            () = &mut sleep => {
                while let Some(later) = a.later.pop_due(Instant::now()) {
                    match later {
                        Later::Task(task) => a.due(task).await,
                        Later::Reconnect => a.reconnect().await,
                    }
                }
            }
            _ = stop.changed() => return,
        }
    }
}

impl Live {
    /// Now, as the agent counts time.
    fn clock(&self) -> Duration {
        Instant::now().saturating_duration_since(self.epoch)
    }

    /// Runs `later` at `at`.
    fn later_at(&mut self, at: Instant, later: Later) {
        self.later.at(at, later);
    }

    async fn due(&mut self, task: Task) {
        self.agent.due(task, &self.def, &mut self.acts);
        self.carry_out().await;
    }

    /// Does what the agent queued: requests go out as frames, their replies come back later.
    async fn carry_out(&mut self) {
        while let Some(act) = self.acts.pop_front() {
            act.record(&mut self.ctx.shared().recorder, |&labels| labels);
            match act {
                Act::Request(request) => self.request(request).await,
                Act::WakeAt { at, task } => self.later_at(self.epoch + at, Later::Task(task)),
                Act::Released(work) => self.ctx.shared().history.released(self.id, work),
                Act::Accepted {
                    session,
                    intended,
                    labels,
                } => {
                    let now = Instant::now();
                    let mut s = self.ctx.shared();
                    if let Some(intended) = intended.map(|d| self.epoch + d) {
                        let sta = now.saturating_duration_since(intended);
                        s.recorder.latency("speed_to_answer", sta, None, labels);
                        s.uncorrected(session, "speed_to_answer", now);
                        let asked = s.since_origin(intended);
                        let threshold = self.ctx.scenario.service_level_threshold.0;
                        s.recorder.answered(asked, sta, threshold);
                    }
                    drop(s);
                    let reconnect = self.ctx.scenario.faults.agent_reconnect;
                    if self.agent.rng().random::<f64>() < reconnect {
                        self.later_at(now, Later::Reconnect);
                    }
                }
                Act::Handled { .. } | Act::Failed(_) => {}
            }
        }
    }

    /// Sends `request` as a frame; its reply comes back through [`Live::on_reply`].
    async fn request(&mut self, request: Request) {
        let queues = &self.ctx.world.queues;
        let text = |number| {
            let now = Instant::now();
            let mut digits = itoa::Buffer::new();
            self.ctx
                .marked(&["Agent reply ", digits.format(number)], now, now)
        };
        let Some(wire) = request.wire(self.id, queues, text) else {
            return;
        };
        self.next_id += 1;
        let frame = AgentFrame {
            id: self.next_id,
            request: wire,
        };
        self.pending.insert(self.next_id, request);
        match feed_json(&mut self.socket, &frame).await {
            Ok(()) => self.unsent = true,
            Err(e) => e.record(&mut self.ctx.shared()),
        }
    }

    async fn on_frame(&mut self, text: &str) {
        let push = match crate::wire::agent_push(text) {
            Ok(push) => push,
            Err(e) => {
                let mut s = self.ctx.shared();
                s.recorder.error("protocol");
                s.recorder.protocol.record("agent socket", &e, text);
                return;
            }
        };
        match push {
            AgentPush::Event(Event::WorkOffered(offer)) => self.on_offer(&offer),
            AgentPush::Event(Event::OfferRescinded { reason, work, .. }) => {
                self.agent.rescinded(work);
                let mut s = self.ctx.shared();
                s.history.released(self.id, work);
                if reason == RescindReason::PushTimeout {
                    s.recorder.counts.push_timeouts += 1;
                }
            }
            AgentPush::Event(Event::Message { message, .. }) => {
                let party = crate::checker::Party::Agent(self.id);
                self.ctx
                    .shared()
                    .history
                    .message(party, message.session, message.seq.0);
                if message.sender == Sender::EndUser {
                    self.on_customer_message(&message);
                }
            }
            AgentPush::Event(Event::SessionChanged {
                session,
                status: status @ (SessionStatus::Ended | SessionStatus::Inactive),
                ..
            }) => {
                {
                    let mut s = self.ctx.shared();
                    s.history.session_closed(self.id, session);
                    // An inactive session may come back to this agent; an ended one never does.
                    if status == SessionStatus::Ended {
                        s.history
                            .ended(crate::checker::Party::Agent(self.id), session);
                    }
                }
                let now = self.clock();
                self.agent.session_closed(now, session, &mut self.acts);
            }
            AgentPush::Reply(reply) => self.on_reply(reply),
            AgentPush::Event(_) | AgentPush::Hello(_) => {}
        }
        self.carry_out().await;
    }

    /// Where `offer`'s conversation is, for measurements and for how the agent may close it.
    fn place(&self, offer: &Offer) -> Place<Labels> {
        let world = &self.ctx.world;
        let channel = world.channel_index(offer.session.channel);
        Place {
            labels: self.ctx.labels.at(channel, offer.work.queue),
            enhanced: channel.is_some_and(|c| world.channels[c].platform == Platform::Enhanced),
        }
    }

    fn on_offer(&mut self, offer: &Offer) {
        let now = Instant::now();
        let ctx = &self.ctx;
        // The customer registered when it asked; for a first message the marker in it says.
        let intended = ctx
            .shared()
            .requested
            .get(&offer.session.id)
            .map(|r| r.intended)
            .or_else(|| {
                offer
                    .transcript
                    .iter()
                    .rev()
                    .find(|m| m.sender == Sender::EndUser)
                    .and_then(|m| match &m.body {
                        MessageBody::Text { text } => ctx.read_marker(text).map(|m| m.intended),
                        _ => None,
                    })
            });
        let place = self.place(offer);
        {
            let mut s = ctx.shared();
            s.history.offered(&offer.work);
            if let Some(last) = offer.transcript.last() {
                // The transcript counts as seen: later messages must come after it.
                let party = crate::checker::Party::Agent(offer.work.agent);
                s.history.seen(party, offer.session.id, last.seq.0);
            }
            s.recorder.counts.offers += 1;
            let first_offer = s.routed.insert(offer.session.id);
            let flow = offer.context.flow.and_then(|f| ctx.world.flow_name(f));
            let channel = ctx
                .world
                .channels
                .iter()
                .find(|c| c.id == offer.session.channel);
            let expected = flow
                .zip(channel)
                .filter(|_| first_offer)
                .and_then(|(flow, ch)| ctx.scenario.expected_flow_rule(flow, &ch.name, offer));
            s.history
                .add(crate::checker::flow_violations(offer, expected));
            if first_offer {
                s.recorder.first_offer(flow, offer, place.labels);
            }
            if let Some(intended) = intended.filter(|_| first_offer) {
                s.recorder.latency(
                    "routing",
                    now.saturating_duration_since(intended),
                    None,
                    place.labels,
                );
                s.uncorrected(offer.session.id, "routing", now);
            }
        }
        let seen = Offered {
            session: offer.session.id,
            intended: intended.map(|i| i.saturating_duration_since(self.epoch)),
            labels: place,
        };
        let now = self.clock();
        self.agent
            .offered(now, offer.work.id, seen, &self.def, &mut self.acts);
    }

    fn on_customer_message(&mut self, m: &Message) {
        let now = Instant::now();
        if let (MessageBody::Text { text }, Some(held)) = (&m.body, self.agent.holds(m.session)) {
            if let Some(sent) = self.ctx.read_marker(text) {
                self.ctx.shared().recorder.latency(
                    "delivery_to_agent",
                    now - sent.actual.min(now),
                    None,
                    held.labels.labels,
                );
            }
        }
        let now = self.clock();
        self.agent
            .customer_wrote(now, m.session, &self.def, &mut self.acts);
    }

    fn on_reply(&mut self, reply: AgentReply) {
        let Some(request) = self.pending.remove(&reply.id) else {
            return;
        };
        if let Request::Presence(_) = request {
            // Online, or refused: either way the run need not wait for this agent.
            if let Some(ready) = self.ready.take() {
                if reply.error.is_none() {
                    let _ = ready.send(());
                }
            }
        }
        let outcome = match &reply.error {
            Some(e) => Err(e.code),
            None => Ok(()),
        };
        if outcome.is_ok() {
            self.count(request, &reply);
        }
        let now = self.clock();
        self.agent
            .replied(now, request, outcome, &self.def, &mut self.acts);
    }

    /// Counts what a request that succeeded did, and what it means for the next offer.
    fn count(&self, request: Request, reply: &AgentReply) {
        let mut s = self.ctx.shared();
        request.record(&mut s.recorder);
        match request {
            // A new message taken for a repeat stored nothing: the customer never sees it.
            Request::Send { .. } if reply.message.is_some_and(|m| m.duplicate) => {
                s.recorder.error("unexpected_duplicate");
            }
            Request::Transfer { session, .. } => {
                // The session asks for an agent anew, from now (R-ROUTE-9).
                let now = Instant::now();
                s.history.session_closed(self.id, session);
                s.routed.remove(&session);
                s.acked(session, now, now);
            }
            Request::Close { session, .. } => {
                // Whoever writes next asks for an agent anew: the next offer measures from the
                // customer's message, as its marker says.
                s.routed.remove(&session);
                s.requested.remove(&session);
            }
            _ => {}
        }
    }

    /// Drops the socket, opens a new one and resumes from its hello: requests in flight are lost,
    /// work that ended or was withdrawn meanwhile is let go, offers made meanwhile are taken up,
    /// and customer messages that arrived meanwhile get their answer.
    async fn reconnect(&mut self) {
        let _ = futures_util::SinkExt::close(&mut self.socket).await;
        let socket = match self.ctx.client.busy_socket(&self.token, "/v1/agent").await {
            Ok(s) => s,
            Err(e) => {
                e.record(&mut self.ctx.shared());
                return;
            }
        };
        self.socket = socket;
        self.pending.clear();
        let hello = match next_text(&mut self.socket)
            .await
            .map(|t| (crate::wire::agent_push(&t), t))
        {
            Some((Ok(AgentPush::Hello(h)), _)) => h,
            Some((Err(e), text)) => {
                let mut s = self.ctx.shared();
                s.recorder.error("protocol");
                s.recorder.protocol.record("agent socket", &e, &text);
                return;
            }
            _ => {
                self.ctx.shared().recorder.error("bad_hello");
                return;
            }
        };
        let status = |w: &WorkId| {
            hello
                .work
                .iter()
                .find(|o| o.work.id == *w)
                .map(|o| o.work.status)
        };
        let opened: Vec<SessionId> = hello
            .work
            .iter()
            .filter(|o| o.work.status == WorkStatus::Opened)
            .map(|o| o.session.id)
            .collect();
        let desk = self.agent.desk();
        desk.retain_offers(|w| status(&w) == Some(WorkStatus::Assigned));
        desk.retain_held(|s| opened.contains(&s));
        {
            let mut s = self.ctx.shared();
            s.recorder.counts.agent_reconnects += 1;
            let work: Vec<WorkItem> = hello.work.iter().map(|o| o.work.clone()).collect();
            s.history.resynced(self.id, &work);
            for o in &hello.work {
                if let Some(last) = o.transcript.last() {
                    s.history.seen(
                        crate::checker::Party::Agent(self.id),
                        o.session.id,
                        last.seq.0,
                    );
                }
            }
        }
        for o in &hello.work {
            match o.work.status {
                WorkStatus::Assigned if !self.agent.desk().has_offer(o.work.id) => self.on_offer(o),
                WorkStatus::Opened => {
                    let unanswered = o
                        .transcript
                        .last()
                        .is_some_and(|m| m.sender == Sender::EndUser);
                    let place = self.place(o);
                    let now = self.clock();
                    self.agent.resume(
                        now,
                        o.session.id,
                        place,
                        unanswered,
                        &self.def,
                        &mut self.acts,
                    );
                }
                _ => {}
            }
        }
        self.carry_out().await;
    }
}
