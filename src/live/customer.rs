//! A simulated customer: arrives on schedule, answers the bot, waits for an agent as long as its
//! patience lasts, talks, and ends the conversation.

use super::arrivals::Arrival;
use super::client::{Socket, next_text};
use super::context::{Requested, RunCtx};
use crate::checker::{CustomerKey, Party};
use crate::measure::recorder::Labels;
use crate::scenario::choices::RecipientChoice;
use crate::scenario::specs;
use omnisim_protocol::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the customer's stream said next.
enum Next {
    Event(Event),
    Timeout,
    /// The stream closed or the run stopped.
    Gone,
}

struct Customer {
    ctx: Arc<RunCtx>,
    /// Small and seeded: one lives in every customer in flight, so its size is paid thousands of
    /// times over; statistical quality is all these choices need.
    rng: SmallRng,
    arrival: Arrival,
    /// Shared with every inbound the customer sends and with the history checker.
    address: Arc<str>,
    /// How the history checker knows this address.
    key: CustomerKey,
    session: SessionId,
    socket: Option<Socket>,
    pmid: u32,
    /// When the customer intended to write first: resolution and first response start here.
    start: Instant,
    /// The last message the stream delivered, to resume from after a reconnect.
    last_seen: Option<(SessionId, Seq)>,
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
        s.recorder.counts.arrivals_started += 1;
    }
    let seed = ctx.seed ^ arrival.index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let address = specs::customer(arrival.index);
    let mut c = Customer::new(ctx, address, arrival, seed, intended);
    loop {
        if let Err(code) = c.journey().await {
            c.ctx.shared().recorder.error(code);
            return;
        }
        // Some customers come back later: a new session in the same conversation.
        let comeback = c.ctx.scenario.customers.comeback(&mut c.rng);
        let Some(delay) = comeback.filter(|_| !*c.ctx.stop.borrow()) else {
            return;
        };
        tokio::time::sleep(delay).await;
        c.start = Instant::now();
        c.socket = None;
        c.last_seen = None;
        c.ctx.shared().recorder.counts.comebacks += 1;
    }
}

/// Runs one outbound conversation: a template to `recipient`, then the recipient's answer.
pub async fn run_recipient(ctx: Arc<RunCtx>, index: u64, recipient: u32, channel: usize) {
    let seed = ctx.seed ^ index.wrapping_mul(0xA24B_AED4_963E_E407);
    let arrival = Arrival {
        index: (1 << 40) + index,
        at: Duration::ZERO,
        channel,
    };
    let address = crate::scenario::specs::recipient(recipient).into();
    let mut c = Customer::new(ctx, address, arrival, seed, Instant::now());
    if let Err(code) = c.outbound_journey().await {
        c.ctx.shared().recorder.error(code);
    }
}

impl Customer {
    fn new(
        ctx: Arc<RunCtx>,
        address: Arc<str>,
        arrival: Arrival,
        seed: u64,
        start: Instant,
    ) -> Customer {
        let key = ctx.shared().history.customer(&address);
        Customer {
            ctx,
            rng: SmallRng::seed_from_u64(seed),
            arrival,
            address,
            key,
            session: SessionId(0),
            socket: None,
            pmid: 0,
            start,
            last_seen: None,
        }
    }

    /// An org-triggered outbound message to this customer.
    async fn send_outbound(
        &self,
        content: OutboundContent,
    ) -> Result<MessageAccepted, super::client::ClientError> {
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

    /// The org messages a recipient first; it may answer, opt out, or stay silent.
    async fn outbound_journey(&mut self) -> Result<(), String> {
        let Some(def) = self.ctx.scenario.outbound.clone() else {
            return Ok(());
        };
        let path = self.stream_path_live();
        self.socket = Some(
            self.ctx
                .client
                .socket(&self.ctx.world.token, &path)
                .await
                .map_err(|e| e.code())?,
        );
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
                return Ok(());
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
                Err(super::client::ClientError::Api(e))
                    if e.code == ErrorCode::ConsentRequired && opted_out =>
                {
                    s.recorder.counts.outbound_refused += 1;
                }
                Err(super::client::ClientError::Api(e))
                    if e.code == ErrorCode::SessionInProgress =>
                {
                    s.recorder.counts.outbound_skipped += 1;
                }
                Err(e) => s.recorder.error(e.code()),
            }
        }
        let Ok(sent) = r else { return Ok(()) };
        self.session = sent.session;
        self.ctx.shared().recorder.counts.sessions_started += 1;
        let outcome = async {
            // The template arrives; then the recipient decides.
            while self.message_from(Sender::System, None).await?.is_none() {}
            let choice = def.recipient_choice(&mut self.rng);
            if choice == RecipientChoice::OptOut {
                self.think().await;
                let _ = self
                    .inbound(InboundContent::Text {
                        text: "STOP".into(),
                    })
                    .await;
                // One confirmation, then no more outbound (R-OUT-3).
                while self.message_from(Sender::System, None).await?.is_none() {}
                {
                    let mut s = self.ctx.shared();
                    s.opted_out.insert(self.address.clone());
                    s.recorder.counts.opt_outs += 1;
                }
                let _ = self.inbound(InboundContent::End).await;
                loop {
                    self.message_from(Sender::Agent, None).await?;
                }
            } else if choice == RecipientChoice::Reply {
                let now = self.think().await;
                self.start = now;
                self.ctx.shared().wrote_in.insert(self.address.clone());
                if self
                    .say("Thanks, I have a question about it", now)
                    .await
                    .is_err()
                {
                    return Err(Ended::Gone);
                }
                self.ctx.shared().acked(self.session, now, Instant::now());
                self.with_agent().await
            } else {
                Err(Ended::Gone)
            }
        }
        .await;
        self.finish(outcome);
        Ok(())
    }

    /// The live-only stream of this customer (no replay).
    fn stream_path_live(&self) -> String {
        format!(
            "/v1/orgs/{}/channels/{}/users/stream?address={}",
            self.ctx.world.org.0,
            self.channel().id.0,
            self.address
        )
    }

    fn channel(&self) -> &super::setup::LiveChannel {
        &self.ctx.world.channels[self.arrival.channel]
    }

    fn labels(&self) -> (String, Option<String>) {
        (self.channel().name.clone(), self.channel().queue.clone())
    }

    async fn inbound(&mut self, content: InboundContent) -> Result<InboundAccepted, String> {
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
        };
        let path = format!(
            "/v1/orgs/{}/channels/{}/inbound",
            self.ctx.world.org.0,
            self.channel().id.0
        );
        let accepted: InboundAccepted = self
            .ctx
            .client
            .post(&self.ctx.world.token, &path, &req)
            .await
            .map_err(|e| e.code())?;
        if self.rng.random::<f64>() < self.ctx.scenario.faults.provider_retry {
            // The provider delivers the same message again.
            let again: InboundAccepted = self
                .ctx
                .client
                .post(&self.ctx.world.token, &path, &req)
                .await
                .map_err(|e| e.code())?;
            let mut s = self.ctx.shared();
            let original = (accepted.session, accepted.seq.map(|q| q.0));
            let retry = (again.session, again.seq.map(|q| q.0), again.duplicate);
            s.history.retried(self.key, original, retry);
            s.recorder.counts.provider_retries += 1;
        }
        if !is_end {
            let mut s = self.ctx.shared();
            s.history.inbound(self.key, &accepted);
        }
        Ok(accepted)
    }

    /// Sends a message in the current session. If the agent ended that session while the
    /// message was on its way, the message opened a new one (R-SESS-1): the customer, who meant
    /// to talk in the old one, ends the new one and returns false.
    async fn say(&mut self, text: &str, intended: Instant) -> Result<bool, String> {
        let marked = self.ctx.marked(text, intended, Instant::now());
        let accepted = self.inbound(InboundContent::Text { text: marked }).await?;
        self.ctx.shared().recorder.counts.messages_sent += 1;
        if accepted.session == self.session {
            return Ok(true);
        }
        self.inbound(InboundContent::End).await?;
        let mut s = self.ctx.shared();
        s.recorder.counts.sessions_started += 1;
        s.recorder.counts.sessions_ended += 1;
        s.recorder.counts.crossed += 1;
        Ok(false)
    }

    async fn next(&mut self, deadline: Option<Instant>) -> Next {
        let Some(socket) = self.socket.as_mut() else {
            return Next::Gone;
        };
        let mut stop = self.ctx.stop.clone();
        let sleep = tokio::time::sleep_until(
            deadline
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400))
                .into(),
        );
        tokio::select! {
            text = next_text(socket) => match text.and_then(|t| serde_json::from_str::<Event>(&t).ok()) {
                                Some(e) => {
                    self.observe(&e);
                    if let Event::Message { message, .. } = &e {
                        self.last_seen = Some((message.session, message.seq));
                    }
                    Next::Event(e)
                }
                None => Next::Gone,
            },
            _ = sleep => Next::Timeout,
            _ = stop.changed() => Next::Gone,
        }
    }

    /// The stream URL, resuming after `after` when given.
    fn stream_path(&self, after: Option<(SessionId, Seq)>) -> String {
        let (session, seq) = after.unwrap_or((self.session, Seq(0)));
        format!(
            "/v1/orgs/{}/channels/{}/users/stream?address={}&session={}&after_seq={}",
            self.ctx.world.org.0,
            self.channel().id.0,
            self.address,
            session.0,
            seq.0
        )
    }

    /// Drops the stream and opens a new one that resumes after the last message seen (R-SESS-9).
    async fn reconnect(&mut self) -> Result<(), String> {
        if let Some(mut socket) = self.socket.take() {
            let _ = futures_util::SinkExt::close(&mut socket).await;
        }
        let path = self.stream_path(self.last_seen);
        let socket = self.ctx.client.socket(&self.ctx.world.token, &path).await;
        self.socket = Some(socket.map_err(|e| e.code())?);
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

    /// Waits for a message from `from` (bot or agent) in this session.
    async fn message_from(
        &mut self,
        from: Sender,
        deadline: Option<Instant>,
    ) -> Result<Option<Arc<Message>>, Ended> {
        loop {
            match self.next(deadline).await {
                Next::Event(Event::Message { message, .. })
                    if message.sender == from && message.session == self.session =>
                {
                    return Ok(Some(message));
                }
                Next::Event(Event::SessionChanged {
                    status: SessionStatus::Ended,
                    ended_by,
                    session,
                    ..
                }) if session == self.session => {
                    return Err(Ended::By(ended_by));
                }
                // The agent let the conversation go inactive: no answer is coming; the
                // customer's next message asks for an agent again (R-SESS-7).
                Next::Event(Event::SessionChanged {
                    status: SessionStatus::Inactive,
                    session,
                    ..
                }) if session == self.session && from == Sender::Agent => return Ok(None),
                Next::Event(_) => continue,
                Next::Timeout => return Ok(None),
                Next::Gone => return Err(Ended::Gone),
            }
        }
    }

    async fn think(&mut self) -> Instant {
        let d = self.ctx.scenario.customers.think_time.sample(&mut self.rng);
        tokio::time::sleep(d).await;
        Instant::now()
    }

    /// Thinks before the next message while reading the stream, as a customer watching the chat
    /// would: a session the agent ends meanwhile ends the conversation. Returns when the customer
    /// meant to write.
    async fn think_watching(&mut self) -> Result<Instant, Ended> {
        let d = self.ctx.scenario.customers.think_time.sample(&mut self.rng);
        let deadline = Instant::now() + d;
        while Instant::now() < deadline {
            self.message_from(Sender::Agent, Some(deadline)).await?;
        }
        Ok(deadline)
    }

    async fn journey(&mut self) -> Result<(), String> {
        let first = self
            .ctx
            .marked("Hello, I need some help", self.start, Instant::now());
        let accepted = self.inbound(InboundContent::Text { text: first }).await?;
        self.session = accepted.session;
        {
            let mut s = self.ctx.shared();
            s.recorder.counts.sessions_started += 1;
            if self.channel().bot.is_none() {
                // A queue entry asks for an agent with the first message.
                s.acked(self.session, self.start, Instant::now());
            }
        }
        let path = self.stream_path(None);
        self.socket = Some(
            self.ctx
                .client
                .socket(&self.ctx.world.token, &path)
                .await
                .map_err(|e| e.code())?,
        );
        let outcome = match self.channel().bot {
            Some(bot) => self.bot_dialogue(bot).await,
            None => Ok(()),
        };
        let outcome = match outcome {
            Ok(()) => self.with_agent().await,
            Err(ended) => Err(ended),
        };
        self.finish(outcome);
        Ok(())
    }

    /// Answers the bot: the intent question, then any fields. Returns once handed off.
    async fn bot_dialogue(&mut self, bot: usize) -> Result<(), Ended> {
        let def = self.ctx.scenario.bots[bot].clone();
        let question = loop {
            let Some(m) = self.message_from(Sender::Bot, None).await? else {
                continue;
            };
            if m.is_question() {
                break m;
            }
        };
        let platform = self.channel().platform;
        let (answers, handoff) =
            self.ctx
                .scenario
                .bot_answers(&def, platform, question.seq, &mut self.rng);
        let last = answers.len() - 1;
        for (i, answer) in answers.into_iter().enumerate() {
            if i > 0 {
                // Each field prompt comes before its answer.
                while self.message_from(Sender::Bot, None).await?.is_none() {}
            }
            let now = self.think().await;
            let trigger = i == last && handoff;
            if trigger {
                let requested = Requested {
                    intended: now,
                    acked: None,
                };
                self.ctx.shared().requested.insert(self.session, requested);
            }
            if let Err(code) = self.inbound(answer).await {
                self.ctx.shared().recorder.error(code);
                return Err(Ended::Gone);
            }
            if trigger {
                self.ctx.shared().acked(self.session, now, Instant::now());
            }
        }
        if !handoff {
            // Resolved by the bot: wait for it to end the session.
            loop {
                self.message_from(Sender::Agent, None).await?;
            }
        }
        Ok(())
    }

    /// Waits for an agent within patience, then talks and ends the session.
    async fn with_agent(&mut self) -> Result<(), Ended> {
        let intended = {
            let mut s = self.ctx.shared();
            let intended = s
                .requested
                .get(&self.session)
                .map_or(self.start, |r| r.intended);
            let asked = s.since_origin(intended);
            s.recorder.asked_for_agent(asked);
            intended
        };
        let patience = self.ctx.scenario.customers.patience.sample(&mut self.rng);
        let deadline = intended + patience;
        // Accepted once the session turns active under an agent; until then patience runs.
        let mut greeting = None;
        loop {
            match self.next(Some(deadline)).await {
                Next::Event(Event::SessionChanged {
                    session,
                    status,
                    handler,
                    ended_by,
                    ..
                }) if session == self.session => match status {
                    SessionStatus::Active if handler != Handler::Bot => break,
                    SessionStatus::Ended => return Err(Ended::By(ended_by)),
                    _ => {}
                },
                Next::Event(Event::Message { message, .. })
                    if message.sender == Sender::Agent && message.session == self.session =>
                {
                    greeting = Some(message);
                    break;
                }
                Next::Event(_) => {}
                Next::Timeout => {
                    {
                        let mut s = self.ctx.shared();
                        let asked = s.since_origin(intended);
                        s.recorder.abandoned(Some(asked));
                    }
                    let _ = self.inbound(InboundContent::End).await;
                    loop {
                        self.message_from(Sender::Agent, None).await?;
                    }
                }
                Next::Gone => return Err(Ended::Gone),
            }
        }
        let greeting = match greeting {
            Some(m) => m,
            None => loop {
                if let Some(m) = self.message_from(Sender::Agent, None).await? {
                    break m;
                }
            },
        };
        self.delivered(&greeting, true);
        if self.rng.random::<f64>() < self.ctx.scenario.faults.customer_reconnect {
            self.reconnect().await.map_err(|_| Ended::Gone)?;
        }
        let messages = self.ctx.scenario.customers.messages.sample(&mut self.rng);
        for i in 0..messages {
            let intended = self.think_watching().await?;
            match self
                .say(&format!("Message {} of {messages}", i + 1), intended)
                .await
            {
                Ok(true) => {}
                // The session ended meanwhile: its end is on the stream.
                Ok(false) => loop {
                    self.message_from(Sender::Agent, None).await?;
                },
                Err(_) => return Err(Ended::Gone),
            }
            if let Some(reply) = self.message_from(Sender::Agent, None).await? {
                self.delivered(&reply, false);
            }
        }
        let _ = self.inbound(InboundContent::End).await;
        loop {
            self.message_from(Sender::Agent, None).await?;
        }
    }

    /// Records an agent message's delivery (and the first response).
    fn delivered(&self, m: &Message, first: bool) {
        let now = Instant::now();
        let (channel, queue) = self.labels();
        let labels = Labels {
            channel: Some(&channel),
            queue: queue.as_deref(),
        };
        let mut s = self.ctx.shared();
        if let MessageBody::Text { text } = &m.body {
            if let Some(sent) = self.ctx.read_marker(text) {
                s.recorder.latency(
                    "delivery_to_customer",
                    now - sent.actual.min(now),
                    None,
                    labels,
                );
            }
        }
        if first {
            s.recorder
                .latency("first_response", now - self.start.min(now), None, labels);
        }
    }

    fn finish(&mut self, outcome: Result<(), Ended>) {
        let now = Instant::now();
        let (channel, queue) = self.labels();
        let mut s = self.ctx.shared();
        if let Err(Ended::By(by)) = outcome {
            s.recorder.counts.sessions_ended += 1;
            if by == Some(EndedBy::Bot) {
                s.recorder.counts.bot_contained += 1;
            }
            let labels = Labels {
                channel: Some(&channel),
                queue: queue.as_deref(),
            };
            s.recorder
                .latency("resolution", now - self.start.min(now), None, labels);
        }
    }
}

/// How a customer's session stopped.
enum Ended {
    /// Seen ended, by this party.
    By(Option<EndedBy>),
    /// The stream closed or the run stopped before the end was seen.
    Gone,
}
