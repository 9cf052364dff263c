//! Simulated customers of a live run: each one's [`Journey`] (the same as in virtual time)
//! stepped from its stream's frames and its timers, its sends posted to the channel's inbound as
//! a provider would.

use super::client::{ClientError, Socket, next_text};
use super::context::{Requested, RunCtx};
use super::mailboxes::Mailbox;
use crate::actors::customer::{Act, Entrance, Journey, Line, Sent};
use crate::checker::{CustomerKey, Party};
use crate::measure::recorder::Labels;
use crate::scenario::arrivals::Arrival;
use crate::scenario::choices::RecipientChoice;
use crate::scenario::specs;
use omnisim_protocol::*;
use rand::Rng;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the customer's stream said next.
enum Next {
    Event(Event),
    /// The customer's timer came due.
    Timeout,
    /// The stream closed or the run stopped.
    Gone,
}

/// Where the customer hears from the platform.
enum Ear {
    /// Nowhere yet: before its first message is accepted, or waiting to come back.
    Nowhere,
    /// Its own customer stream (boxed: the other two are a few words).
    Stream(Box<Socket>),
    /// Its mailbox of the channel stream, kept from its first session to its last.
    Mailbox(Mailbox),
}

/// One customer's task: its journey, its stream and what it needs to send as its provider.
struct Customer {
    ctx: Arc<RunCtx>,
    journey: Journey,
    /// What the journey queued, carried out in order.
    acts: VecDeque<Act>,
    /// The journey's latest timer (when, since `origin`, and its generation): an earlier one is
    /// stale by then.
    timer: Option<(Duration, u32)>,
    /// When arrivals began: the journey's times count from here.
    origin: Instant,
    arrival: Arrival,
    /// Shared with every inbound the customer sends and with the history checker.
    address: Arc<str>,
    /// How the history checker knows this address.
    key: CustomerKey,
    ear: Ear,
    pmid: u32,
    /// The last message the stream delivered, to resume from after a reconnect.
    last_seen: Option<(SessionId, Seq)>,
    /// When the server answered the customer's last send: a request for an agent counts as
    /// acknowledged then, not once the stream it opens is connected.
    answered: Instant,
    /// What the customer fills into a pre-chat form, on channels that have one (R-FLOW-6).
    prechat: Option<std::collections::BTreeMap<String, String>>,
}

/// Runs one customer's whole journey.
pub async fn run(ctx: Arc<RunCtx>, arrival: Arrival, origin: Instant) {
    let intended = origin + arrival.at;
    let lag = Instant::now().saturating_duration_since(intended);
    {
        let mut s = ctx.shared();
        s.recorder
            .latency("schedule_lag", lag, None, Labels::default());
        if lag > ctx.scenario.arrivals.max_schedule_lag.0 {
            s.recorder.counts.arrivals_dropped += 1;
            return;
        }
        if s.customers_in_flight >= ctx.customers_at_once {
            s.recorder.counts.arrivals_dropped += 1;
            s.recorder.counts.dropped_at_limit += 1;
            return;
        }
        s.customers_in_flight += 1;
        s.recorder.counts.arrivals_started += 1;
    }
    let _held = InFlight(ctx.clone());
    let seed = ctx.seed ^ arrival.index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let address = specs::customer(arrival.index);
    let mut c = Customer::new(ctx, address, arrival, seed, origin);
    c.write_in(arrival.at);
    c.drive().await;
    // Its address was this arrival's alone: nothing can come to it again.
    c.ctx.shared().history.forget_customer(c.key);
}

/// A customer counted in flight until its task ends, however it ends (a run's stop drops it).
struct InFlight(Arc<RunCtx>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut s = self.0.shared();
        s.customers_in_flight = s.customers_in_flight.saturating_sub(1);
    }
}

/// Runs one outbound conversation: a template to `recipient`, then the recipient's answer.
pub async fn run_recipient(
    ctx: Arc<RunCtx>,
    index: u64,
    recipient: u32,
    channel: usize,
    origin: Instant,
) {
    let seed = ctx.seed ^ index.wrapping_mul(0xA24B_AED4_963E_E407);
    let arrival = Arrival {
        index: specs::OUTBOUND_INDICES + index,
        at: Duration::ZERO,
        channel,
    };
    let address = crate::scenario::specs::recipient(recipient).into();
    let mut c = Customer::new(ctx, address, arrival, seed, origin);
    match c.outbound().await {
        Ok(true) => c.drive().await,
        Ok(false) => {}
        Err(e) => e.record(&mut c.ctx.shared()),
    }
}

impl Customer {
    fn new(
        ctx: Arc<RunCtx>,
        address: Arc<str>,
        arrival: Arrival,
        seed: u64,
        origin: Instant,
    ) -> Customer {
        let key = ctx.shared().history.customer(&address);
        let channel = &ctx.world.channels[arrival.channel];
        let mut journey = Journey::new(seed, channel.entrance, channel.platform);
        let prechat = ctx
            .scenario
            .prechat(&ctx.scenario.channels[arrival.channel], journey.rng());
        Customer {
            ctx,
            journey,
            acts: VecDeque::new(),
            timer: None,
            origin,
            arrival,
            address,
            key,
            ear: Ear::Nowhere,
            pmid: 0,
            last_seen: None,
            answered: origin,
            prechat,
        }
    }

    /// The customer writes in, meaning to at `at`, expecting whom its channel's flow picks if it
    /// has one: the flow reads the platform's wall-clock time of day.
    fn write_in(&mut self, at: Duration) {
        if self.channel().entrance == Entrance::Flow {
            let day_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            let def = &self.ctx.scenario.channels[self.arrival.channel];
            let bot = self
                .ctx
                .scenario
                .flow_bot(def, self.prechat.as_ref(), day_ms);
            self.journey.expects_bot(bot);
        }
        self.journey.write_in(at, &mut self.acts);
    }

    /// Now, as the journey counts time.
    fn clock(&self) -> Duration {
        Instant::now().saturating_duration_since(self.origin)
    }

    /// Steps the journey until the customer leaves, gives up, or the run stops.
    async fn drive(&mut self) {
        while self.carry_out_all(None).await {
            let deadline = self.timer.map(|(at, _)| self.origin + at);
            match self.next(deadline).await {
                Next::Event(e) => {
                    let now = self.clock();
                    let s = &self.ctx.scenario;
                    self.journey.event(now, &e, s, &mut self.acts);
                    if !self.carry_out_all(Some(&e)).await {
                        return;
                    }
                }
                Next::Timeout => {
                    if let Some((at, generation)) = self.timer.take() {
                        // The timer's own time: what the customer does counts from when it
                        // meant to act.
                        self.journey.wake(at, generation, &mut self.acts);
                    }
                }
                Next::Gone => return,
            }
        }
    }

    /// Carries out what the journey queued, and what that leads to; false once the customer is
    /// done. `event`: the event the journey was just handed, if any.
    async fn carry_out_all(&mut self, event: Option<&Event>) -> bool {
        while let Some(act) = self.acts.pop_front() {
            if !self.carry_out(act, event).await {
                return false;
            }
        }
        true
    }

    /// Carries out one act; false once the customer is done. `event` is the event the journey
    /// was just handed, if any.
    async fn carry_out(&mut self, act: Act, event: Option<&Event>) -> bool {
        let origin = self.origin;
        {
            let labels = self.ctx.labels.channel(self.arrival.channel);
            act.record(&mut self.ctx.shared().recorder, labels);
        }
        match act {
            Act::Send {
                line,
                at,
                asks_for_agent,
            } => {
                let session = self.journey.session();
                if asks_for_agent && !matches!(line, Line::Hello) {
                    // Routing latency starts here; an offer may reach an agent before the
                    // reply reaches the customer.
                    let requested = Requested {
                        intended: origin + at,
                        acked: None,
                    };
                    self.ctx.shared().requested.insert(session, requested);
                }
                let reply = self.send(line, at).await;
                let s = &self.ctx.scenario;
                self.journey.sent(at, reply, s, &mut self.acts);
            }
            Act::WakeAt { at, generation, .. } => self.timer = Some((at, generation)),
            Act::AskedForAgent { intended } => {
                let session = self.journey.session();
                let mut s = self.ctx.shared();
                s.acked(session, origin + intended, self.answered);
            }
            Act::AgentMessage { first_response } => {
                if let Some(Event::Message { message, .. }) = event {
                    self.delivered(message);
                }
                let reconnect = self.ctx.scenario.faults.customer_reconnect;
                let own_stream = matches!(self.ear, Ear::Stream(_));
                if own_stream
                    && first_response.is_some()
                    && self.journey.rng().random::<f64>() < reconnect
                {
                    if let Err(e) = self.reconnect().await {
                        e.record(&mut self.ctx.shared());
                        return false;
                    }
                }
            }
            Act::OptedOut => {
                self.ctx.shared().opted_out.insert(self.address.clone());
            }
            Act::WroteIn => {
                self.ctx.shared().wrote_in.insert(self.address.clone());
            }
            Act::ComeBack { after } => {
                // The run may stop while the customer waits: it must not write in after that.
                let mut stop = self.ctx.stop.clone();
                tokio::select! {
                    _ = tokio::time::sleep(after) => {}
                    _ = stop.wait_for(|stopped| *stopped) => return false,
                }
                if let Ear::Stream(_) = self.ear {
                    self.ear = Ear::Nowhere;
                }
                self.last_seen = None;
                self.timer = None;
                self.ctx.shared().recorder.counts.comebacks += 1;
                let now = self.clock();
                self.write_in(now);
            }
            Act::Leave | Act::GaveUp => return false,
            Act::Abandoned { .. } | Act::Crossed | Act::Ended { .. } => {}
        }
        true
    }

    /// Sends `line`, meant at `at`, and tells what came back, recording failures. The first
    /// message opens the customer's stream on the session it started.
    async fn send(&mut self, line: Line, at: Duration) -> Sent {
        let (hello, end) = (matches!(line, Line::Hello), matches!(line, Line::End));
        let to_agent = line.to_agent();
        let content = match line.content() {
            // Marked so that the agent measures delivery and routing from it.
            InboundContent::Text { text } if hello || to_agent => InboundContent::Text {
                text: self.ctx.marked(&[&text], self.origin + at, Instant::now()),
            },
            content => content,
        };
        let reply = self.inbound(content, hello).await;
        self.answered = Instant::now();
        let accepted = match reply {
            Ok(accepted) => accepted,
            Err(e) => {
                let code = match &e {
                    ClientError::Api(e) => Some(e.code),
                    ClientError::Transport(_) | ClientError::Protocol(..) => None,
                };
                let sent = Sent::refused(code);
                if sent.is_error(end) {
                    e.record(&mut self.ctx.shared());
                }
                return sent;
            }
        };
        if to_agent {
            self.ctx.shared().recorder.counts.messages_sent += 1;
        }
        if hello {
            self.ctx.shared().recorder.counts.sessions_started += 1;
            if let Err(e) = self.listen(accepted.session, accepted.user).await {
                e.record(&mut self.ctx.shared());
                return Sent::Failed;
            }
        }
        Sent::Accepted(accepted.session)
    }

    /// The org messages a recipient first; it may answer, opt out, or stay silent. True when it
    /// goes on to answer or opt out.
    async fn outbound(&mut self) -> Result<bool, ClientError> {
        let Some(def) = self.ctx.scenario.outbound.clone() else {
            return Ok(false);
        };
        let path = self.stream_path(None);
        let socket = self.ctx.client.socket(&self.ctx.world.token, &path).await?;
        self.ear = Ear::Stream(Box::new(socket));
        let (opted_out, wrote_in) = {
            let s = self.ctx.shared();
            (
                s.opted_out.contains(&self.address),
                s.wrote_in.contains(&self.address),
            )
        };
        if !wrote_in && !opted_out {
            // Outside the service window a free-form message must be refused (R-OUT-4).
            let text = "Free-form hello".into();
            let r = self.send_outbound(OutboundContent::Text { text }).await;
            let accepted = r.is_ok();
            self.ctx
                .shared()
                .history
                .outbound(&self.address, false, false, accepted);
            if accepted {
                return Ok(false);
            }
        }
        let template = OutboundContent::Template {
            name: def.template.clone(),
            text: "Your order has shipped.".into(),
        };
        let r = self.send_outbound(template).await;
        {
            let mut s = self.ctx.shared();
            s.history
                .outbound(&self.address, opted_out, true, r.is_ok());
            match &r {
                Ok(_) => s.recorder.counts.outbound_sent += 1,
                Err(ClientError::Api(e)) if e.code == ErrorCode::ConsentRequired && opted_out => {
                    s.recorder.counts.outbound_refused += 1;
                }
                Err(ClientError::Api(e)) if e.code == ErrorCode::SessionInProgress => {
                    s.recorder.counts.outbound_skipped += 1;
                }
                Err(e) => e.record(&mut s),
            }
        }
        let Ok(sent) = r else { return Ok(false) };
        self.ctx.shared().recorder.counts.sessions_started += 1;
        // The recipient decides once the template reached it.
        loop {
            match self.next(None).await {
                Next::Event(Event::Message { message, .. })
                    if message.sender == Sender::System && message.session == sent.session =>
                {
                    break;
                }
                Next::Event(_) | Next::Timeout => {}
                Next::Gone => return Ok(false),
            }
        }
        let now = self.clock();
        let s = &self.ctx.scenario;
        let choice = self.journey.template(now, sent.session, s, &mut self.acts);
        Ok(choice != RecipientChoice::Silent)
    }

    /// An org-triggered outbound message to this customer.
    async fn send_outbound(
        &self,
        content: OutboundContent,
    ) -> Result<MessageAccepted, ClientError> {
        let path = format!(
            "/v1/orgs/{}/channels/{}/outbound",
            self.ctx.world.org.0,
            self.channel().id.0
        );
        let req = TriggeredOutboundRequest {
            address: self.address.to_string(),
            content,
        };
        self.ctx
            .client
            .post(&self.ctx.world.token, &path, &req)
            .await
    }

    fn channel(&self) -> &super::setup::LiveChannel {
        &self.ctx.world.channels[self.arrival.channel]
    }

    /// Posts `content` to the channel's inbound as the customer's provider, with the pre-chat
    /// fields when it is the `first` message of a session; with the provider-retry fault,
    /// delivers it twice and checks the retry is a duplicate.
    async fn inbound(
        &mut self,
        content: InboundContent,
        first: bool,
    ) -> Result<InboundAccepted, ClientError> {
        self.pmid += 1;
        let is_end = content == InboundContent::End;
        let req = InboundRequest {
            address: self.address.clone(),
            provider_message_id: specs::message_id([
                self.ctx.seed,
                self.arrival.index,
                u64::from(self.pmid),
            ]),
            content,
            fields: self.prechat.clone().filter(|_| first),
        };
        let url = &self.ctx.inbound[self.arrival.channel];
        let retry = self.journey.rng().random::<f64>() < self.ctx.scenario.faults.provider_retry;
        let bearer = &self.ctx.bearer;
        let accepted: InboundAccepted = self.ctx.client.post_url(bearer, url, &req).await?;
        if retry {
            let again: InboundAccepted = self.ctx.client.post_url(bearer, url, &req).await?;
            let mut s = self.ctx.shared();
            let original = (accepted.session, accepted.seq.map(|q| q.0));
            let retry = (again.session, again.seq.map(|q| q.0), again.duplicate);
            s.history.retried(self.key, original, retry);
            s.recorder.counts.provider_retries += 1;
        }
        if !is_end {
            self.ctx.shared().history.inbound(self.key, &accepted);
        }
        Ok(accepted)
    }

    /// The next event of the customer's stream or mailbox, the timer due at `deadline`, or the
    /// end of the stream. A frame that is not the protocol is kept as a violation and skipped.
    async fn next(&mut self, deadline: Option<Instant>) -> Next {
        let mut stop = self.ctx.stop.clone();
        let sleep = tokio::time::sleep_until(
            deadline
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400))
                .into(),
        );
        tokio::pin!(sleep);
        loop {
            let event = match &mut self.ear {
                Ear::Nowhere => return Next::Gone,
                Ear::Stream(socket) => {
                    let text = tokio::select! {
                        text = next_text(socket) => text,
                        _ = &mut sleep => return Next::Timeout,
                        _ = stop.changed() => return Next::Gone,
                    };
                    let Some(text) = text else { return Next::Gone };
                    match crate::wire::event(&text) {
                        Ok(e) => e,
                        Err(e) => {
                            let mut s = self.ctx.shared();
                            s.recorder.error("protocol");
                            s.recorder.protocol.record("customer stream", &e, &text);
                            continue;
                        }
                    }
                }
                Ear::Mailbox(mailbox) => tokio::select! {
                    event = mailbox.recv() => match event {
                        Some(e) => e,
                        None => return Next::Gone,
                    },
                    _ = &mut sleep => return Next::Timeout,
                    _ = stop.changed() => return Next::Gone,
                },
            };
            self.observe(&event);
            if let Event::Message { message, .. } = &event {
                self.last_seen = Some((message.session, message.seq));
            }
            return Next::Event(event);
        }
    }

    /// Starts listening once the first message of `session` was accepted for `user`: the
    /// customer's own stream from that session's start, or its mailbox of the channel stream
    /// (claimed once, at its first session).
    async fn listen(&mut self, session: SessionId, user: UserId) -> Result<(), ClientError> {
        match &self.ctx.mailboxes[self.arrival.channel] {
            Some(boxes) => {
                if !matches!(&self.ear, Ear::Mailbox(m) if m.user() == user) {
                    self.ear = Ear::Mailbox(boxes.open(user));
                }
            }
            None => {
                let path = self.stream_path(Some((session, Seq(0))));
                let socket = self.ctx.client.socket(&self.ctx.world.token, &path).await?;
                self.ear = Ear::Stream(Box::new(socket));
            }
        }
        Ok(())
    }

    /// The stream URL: resuming after `after` when given (R-SESS-9), else live only.
    fn stream_path(&self, after: Option<(SessionId, Seq)>) -> String {
        let mut path = format!(
            "/v1/orgs/{}/channels/{}/users/stream?address={}",
            self.ctx.world.org.0,
            self.channel().id.0,
            self.address,
        );
        if let Some((session, seq)) = after {
            path.push_str(&format!("&session={}&after_seq={}", session.0, seq.0));
        }
        path
    }

    /// Drops the stream and opens a new one that resumes after the last message seen (R-SESS-9).
    async fn reconnect(&mut self) -> Result<(), ClientError> {
        if let Ear::Stream(mut socket) = std::mem::replace(&mut self.ear, Ear::Nowhere) {
            let _ = futures_util::SinkExt::close(&mut *socket).await;
        }
        let after = self.last_seen.unwrap_or((self.journey.session(), Seq(0)));
        let path = self.stream_path(Some(after));
        let socket = self.ctx.client.socket(&self.ctx.world.token, &path).await;
        self.ear = Ear::Stream(Box::new(socket?));
        self.ctx.shared().recorder.counts.customer_reconnects += 1;
        Ok(())
    }

    /// Hands what the stream delivered to the history checker.
    fn observe(&self, e: &Event) {
        let party = Party::Customer(self.key);
        match e {
            Event::Message { message, .. } => {
                self.ctx
                    .shared()
                    .history
                    .message(party, message.session, message.seq.0)
            }
            Event::SessionChanged {
                session,
                status: SessionStatus::Ended,
                ..
            } => self.ctx.shared().history.ended(party, *session),
            _ => {}
        }
    }

    /// Records an agent message's delivery, as its marker says.
    fn delivered(&self, m: &Message) {
        let now = Instant::now();
        let MessageBody::Text { text } = &m.body else {
            return;
        };
        let Some(sent) = self.ctx.read_marker(text) else {
            return;
        };
        let labels = self.ctx.labels.channel(self.arrival.channel);
        let delivery = now - sent.actual.min(now);
        let mut s = self.ctx.shared();
        s.recorder
            .latency("delivery_to_customer", delivery, None, labels);
    }
}
