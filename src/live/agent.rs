//! A simulated agent: goes online for its shift, accepts (or declines, or ignores) offers after a
//! delay, greets, answers each customer message after a reply time, and may close a conversation
//! itself (ending it or marking it inactive). Measures routing latency and speed to answer from the
//! time the customer intended to ask.

use super::client::{Socket, next_text, send_json};
use super::context::RunCtx;
use super::setup::LiveAgent;
use crate::actors::desk::{Closing, Desk, Offered};
use crate::measure::recorder::Labels;
use crate::scenario::choices::{MessageChoice, OfferChoice};
use crate::scenario::specs;
use omnisim_protocol::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// Whether an agent's request was refused only because another party got there first: the offer
/// was withdrawn (timeout, customer gone) or the customer ended the session while the agent was
/// writing. Part of the game, not an error; both drivers count the rest.
pub fn lost_race(code: ErrorCode) -> bool {
    matches!(code, ErrorCode::WorkNotOffered | ErrorCode::SessionEnded)
}

/// Something the agent decided to do later.
enum Action {
    Accept(WorkId),
    Decline(WorkId),
    Reply(SessionId),
    Transfer(SessionId),
    /// Drop the socket and resume from the server's hello (the agent-reconnect fault).
    Reconnect,
    /// The shift starts or ends.
    Presence(Presence),
    /// The conversation has lasted long enough: close it once the pending reply is out.
    Close(SessionId),
}

/// A request waiting for its reply.
enum Pending {
    Presence(Option<oneshot::Sender<()>>),
    Accept(WorkId),
    Decline,
    Send,
    Transfer(SessionId),
    /// Ending the session, or marking it inactive.
    Close(SessionId),
}

/// The channel and queue a conversation's measurements are labelled with.
struct Names {
    channel: Option<String>,
    queue: Option<String>,
}

impl Names {
    fn labels(&self) -> Labels<'_> {
        Labels {
            channel: self.channel.as_deref(),
            queue: self.queue.as_deref(),
        }
    }
}

struct Agent {
    id: AgentId,
    token: String,
    ctx: Arc<RunCtx>,
    def: crate::scenario::AgentGroup,
    rng: StdRng,
    socket: Socket,
    next_id: u64,
    pending: HashMap<u64, Pending>,
    desk: Desk<Instant, Names>,
    later: mpsc::UnboundedSender<Action>,
    /// Messages sent so far: client message ids must never repeat for one agent (R-SESS-3), even
    /// when a session comes back to it after a transfer.
    sent: u64,
}

/// Runs one agent until the run stops. `ready` fires once it is online, or at once when its shift
/// starts later; `origin` brings the time of the first arrival, which shifts count from.
pub async fn run(
    ctx: Arc<RunCtx>,
    agent: LiveAgent,
    ready: oneshot::Sender<()>,
    origin: oneshot::Receiver<Instant>,
) {
    let socket = match ctx.client.socket(&agent.token, "/v1/agent").await {
        Ok(s) => s,
        Err(e) => {
            ctx.shared().recorder.error(e.code());
            return;
        }
    };
    let (later, mut actions) = mpsc::unbounded_channel();
    let mut a = Agent {
        id: agent.id,
        token: agent.token.clone(),
        def: ctx.scenario.agents[agent.group].clone(),
        rng: StdRng::seed_from_u64(ctx.seed ^ agent.id.0.wrapping_mul(0xD1B5_4A32_D192_ED03)),
        ctx,
        socket,
        next_id: 0,
        pending: HashMap::new(),
        desk: Desk::default(),
        later,
        sent: 0,
    };
    a.ctx.shared().history.agent(agent.id, a.def.capacity);
    let shift = a.def.shift;
    if shift.start.0.is_zero() {
        let presence = AgentRequest::SetPresence {
            presence: Presence::Online,
        };
        if a.request(presence, Pending::Presence(Some(ready)))
            .await
            .is_err()
        {
            return;
        }
    } else {
        let _ = ready.send(());
    }
    let mut stop = a.ctx.stop.clone();
    let mut origin = std::pin::pin!(origin);
    let mut shift_scheduled = false;
    loop {
        tokio::select! {
            Ok(origin) = &mut origin, if !shift_scheduled => {
                shift_scheduled = true;
                if !shift.start.0.is_zero() {
                    a.later_at(origin + shift.start.0, Action::Presence(Presence::Online));
                }
                if let Some(end) = shift.end {
                    a.later_at(origin + end.0, Action::Presence(Presence::Offline));
                }
            }
            text = next_text(&mut a.socket) => match text {
                Some(t) => a.on_frame(&t).await,
                None => return,
            },
            Some(action) = actions.recv() => a.act(action).await,
            _ = stop.changed() => return,
        }
    }
}

impl Agent {
    async fn request(&mut self, request: AgentRequest, pending: Pending) -> Result<(), ()> {
        self.next_id += 1;
        let frame = AgentFrame {
            id: self.next_id,
            request,
        };
        self.pending.insert(self.next_id, pending);
        send_json(&mut self.socket, &frame).await.map_err(|e| {
            self.ctx.shared().recorder.error(e.code());
        })
    }

    /// Runs `action` (a reply or a transfer) after the reply time for the conversations the
    /// agent holds now.
    fn reply_later(&mut self, action: Action) {
        let delay = self.def.reply_delay(&mut self.rng, self.desk.holding());
        self.later_at(Instant::now() + delay, action);
    }

    /// Runs `action` at `at`.
    fn later_at(&self, at: Instant, action: Action) {
        let tx = self.later.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let _ = tx.send(action);
        });
    }

    async fn on_frame(&mut self, text: &str) {
        let Ok(push) = AgentPush::parse(text) else {
            self.ctx.shared().recorder.error("bad_frame");
            return;
        };
        match push {
            AgentPush::Event(Event::WorkOffered(offer)) => self.on_offer(&offer),
            AgentPush::Event(Event::OfferRescinded { reason, work, .. }) => {
                self.desk.withdraw(work);
                self.ctx.shared().history.released(self.id, work);
                if reason == RescindReason::PushTimeout {
                    self.ctx.shared().recorder.counts.push_timeouts += 1;
                }
            }
            AgentPush::Event(Event::Message { message, .. }) => {
                let party = crate::checker::Party::Agent(self.id);
                self.ctx
                    .shared()
                    .history
                    .message(party, message.session, message.seq.0);
                let held = self.desk.conversation(message.session).is_some();
                if message.sender == Sender::EndUser && held {
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
                if let Some(held) = self.desk.release(session) {
                    let handle = held.accepted.elapsed();
                    self.ctx.shared().recorder.latency(
                        "handle",
                        handle,
                        None,
                        held.labels.labels(),
                    );
                }
            }
            AgentPush::Reply(reply) => self.on_reply(reply).await,
            AgentPush::Event(_) | AgentPush::Hello(_) => {}
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
        let channel = ctx
            .world
            .channels
            .iter()
            .find(|c| c.id == offer.session.channel)
            .map(|c| c.name.clone());
        let queue = ctx.world.queue_name(offer.work.queue).map(str::to_owned);
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
            if let Some(intended) = intended.filter(|_| first_offer) {
                let labels = Labels {
                    channel: channel.as_deref(),
                    queue: queue.as_deref(),
                };
                s.recorder.latency(
                    "routing",
                    now.saturating_duration_since(intended),
                    None,
                    labels,
                );
                s.uncorrected(offer.session.id, "routing", now);
            }
        }
        let seen = Offered {
            session: offer.session.id,
            intended,
            labels: Names { channel, queue },
        };
        self.desk.offered(offer.work.id, seen);
        let (action, delay) = match self.def.on_offer(&mut self.rng) {
            OfferChoice::Ignore => return,
            OfferChoice::Decline(delay) => (Action::Decline(offer.work.id), delay),
            OfferChoice::Accept(delay) => (Action::Accept(offer.work.id), delay),
        };
        self.later_at(Instant::now() + delay, action);
    }

    fn on_customer_message(&mut self, m: &Message) {
        let now = Instant::now();
        if let MessageBody::Text { text } = &m.body {
            let held = self.desk.conversation(m.session);
            if let (Some(sent), Some(held)) = (self.ctx.read_marker(text), held) {
                self.ctx.shared().recorder.latency(
                    "delivery_to_agent",
                    now - sent.actual.min(now),
                    None,
                    held.labels.labels(),
                );
            }
        }
        let (action, delay) = match self
            .def
            .on_customer_message(&mut self.rng, self.desk.holding())
        {
            MessageChoice::Transfer(delay) => (Action::Transfer(m.session), delay),
            MessageChoice::Reply(delay) => (Action::Reply(m.session), delay),
        };
        self.desk.customer_wrote(m.session);
        self.later_at(Instant::now() + delay, action);
    }

    /// Drops the socket, opens a new one and resumes from its hello: requests in flight are lost,
    /// work that ended or was withdrawn meanwhile is let go, offers made meanwhile are taken up,
    /// and customer messages that arrived meanwhile get their answer.
    async fn reconnect(&mut self) {
        let _ = futures_util::SinkExt::close(&mut self.socket).await;
        let socket = match self.ctx.client.socket(&self.token, "/v1/agent").await {
            Ok(s) => s,
            Err(e) => {
                self.ctx.shared().recorder.error(e.code());
                return;
            }
        };
        self.socket = socket;
        self.pending.clear();
        let hello = match next_text(&mut self.socket)
            .await
            .map(|t| AgentPush::parse(&t))
        {
            Some(Ok(AgentPush::Hello(h))) => h,
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
        self.desk
            .retain_offers(|w| status(&w) == Some(WorkStatus::Assigned));
        self.desk.retain_held(|s| opened.contains(&s));
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
                WorkStatus::Assigned if !self.desk.has_offer(o.work.id) => self.on_offer(o),
                WorkStatus::Opened => {
                    let now = Instant::now();
                    let channel = self
                        .ctx
                        .world
                        .channels
                        .iter()
                        .find(|c| c.id == o.session.channel)
                        .map(|c| c.name.clone());
                    let queue = self.ctx.world.queue_name(o.work.queue).map(str::to_owned);
                    let held = self
                        .desk
                        .resume(o.session.id, now, Names { channel, queue });
                    let unanswered = o
                        .transcript
                        .last()
                        .is_some_and(|m| m.sender == Sender::EndUser);
                    if unanswered && !held.answering() {
                        held.answer();
                        self.reply_later(Action::Reply(o.session.id));
                    }
                }
                _ => {}
            }
        }
    }

    async fn on_reply(&mut self, reply: AgentReply) {
        let Some(pending) = self.pending.remove(&reply.id) else {
            return;
        };
        if let Some(e) = &reply.error {
            if let Pending::Accept(work) = pending {
                self.desk.withdraw(work);
                self.ctx.shared().history.released(self.id, work);
            }
            if !lost_race(e.code) {
                self.ctx.shared().recorder.error(e.code.as_str());
            }
            return;
        }
        match pending {
            Pending::Presence(ready) => {
                if let Some(r) = ready {
                    let _ = r.send(());
                }
            }
            Pending::Decline => self.ctx.shared().recorder.counts.declines += 1,
            Pending::Close(session) => {
                // Whoever writes next asks for an agent anew: the next offer measures from the
                // customer's message, as its marker says.
                let mut s = self.ctx.shared();
                s.routed.remove(&session);
                s.requested.remove(&session);
            }
            Pending::Send => {
                let mut s = self.ctx.shared();
                s.recorder.counts.messages_sent += 1;
                if reply.message.is_some_and(|m| m.duplicate) {
                    // A new message taken for a repeat stored nothing: the customer never sees it.
                    s.recorder.error("unexpected_duplicate");
                }
            }
            Pending::Transfer(session) => {
                // The session asks for an agent anew, from now (R-ROUTE-9).
                let now = Instant::now();
                let held = self.desk.release(session);
                let mut s = self.ctx.shared();
                if let Some(h) = held {
                    let labels = h.labels.labels();
                    s.recorder.latency("handle", now - h.accepted, None, labels);
                }
                s.recorder.counts.transferred += 1;
                s.history.session_closed(self.id, session);
                s.routed.remove(&session);
                s.acked(session, now, now);
            }
            Pending::Accept(work) => {
                let now = Instant::now();
                let Some((session, intended, names)) = self.desk.accept(work, now) else {
                    return;
                };
                {
                    let mut s = self.ctx.shared();
                    s.recorder.counts.accepted += 1;
                    if let Some(intended) = intended {
                        let sta = now.saturating_duration_since(intended);
                        s.recorder
                            .latency("speed_to_answer", sta, None, names.labels());
                        s.uncorrected(session, "speed_to_answer", now);
                        let asked = s.since_origin(intended);
                        let threshold = self.ctx.scenario.service_level_threshold.0;
                        s.recorder.answered(asked, sta, threshold);
                    }
                }
                let plan = self.def.on_accept(&mut self.rng, self.desk.holding());
                self.later_at(now + plan.greet_after, Action::Reply(session));
                if let Some(length) = plan.close_after {
                    self.later_at(now + length, Action::Close(session));
                }
                if self.rng.random::<f64>() < self.ctx.scenario.faults.agent_reconnect {
                    let _ = self.later.send(Action::Reconnect);
                }
            }
        }
    }

    async fn act(&mut self, action: Action) {
        let (request, pending) = match action {
            Action::Accept(work) => (AgentRequest::Accept { work }, Pending::Accept(work)),
            Action::Decline(work) => {
                self.desk.withdraw(work);
                self.ctx.shared().history.released(self.id, work);
                (AgentRequest::Decline { work }, Pending::Decline)
            }
            Action::Transfer(session) => {
                if self.desk.conversation(session).is_none() {
                    return;
                }
                let queues: Vec<QueueId> = self.ctx.world.queues.values().copied().collect();
                let queue = queues[self.rng.random_range(0..queues.len())];
                let to = TransferTarget::Queue(queue);
                (
                    AgentRequest::Transfer { session, to },
                    Pending::Transfer(session),
                )
            }
            Action::Reconnect => {
                self.reconnect().await;
                return;
            }
            Action::Presence(presence) => (
                AgentRequest::SetPresence { presence },
                Pending::Presence(None),
            ),
            Action::Close(session) => {
                if self.desk.length_reached(session) != Closing::Now {
                    return;
                }
                match self.close(session) {
                    Some(close) => close,
                    None => return,
                }
            }
            Action::Reply(session) => {
                let Some(reply) = self.desk.reply(session) else {
                    return;
                };
                let (n, close_after) = (reply.number, reply.then_close);
                self.sent += 1;
                let now = Instant::now();
                let text = self.ctx.marked(&format!("Agent reply {n}"), now, now);
                let request = AgentRequest::Send {
                    session,
                    client_message_id: specs::message_id([self.id.0, self.sent]),
                    content: OutboundContent::Text { text },
                };
                if self.request(request, Pending::Send).await.is_err() || !close_after {
                    return;
                }
                match self.close(session) {
                    Some(close) => close,
                    None => return,
                }
            }
        };
        let _ = self.request(request, pending).await;
    }

    /// Ends `session`, or marks it inactive (enhanced channels only, R-SESS-7).
    fn close(&mut self, session: SessionId) -> Option<(AgentRequest, Pending)> {
        let held = self.desk.conversation(session)?;
        let enhanced = held
            .labels
            .channel
            .as_deref()
            .and_then(|name| self.ctx.world.channels.iter().find(|c| c.name == name))
            .is_some_and(|c| c.platform == Platform::Enhanced);
        let inactive = self.def.marks_inactive(&mut self.rng, enhanced);
        let mut s = self.ctx.shared();
        let request = if inactive {
            s.recorder.counts.marked_inactive += 1;
            AgentRequest::MarkInactive { session }
        } else {
            s.recorder.counts.ended_by_agent += 1;
            AgentRequest::End { session }
        };
        Some((request, Pending::Close(session)))
    }
}
