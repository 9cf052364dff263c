//! What a simulated customer does, as a state machine without I/O (docs/scenarios.md, "What
//! simulated customers and agents do"): it writes in, answers the bot, waits for an agent as long
//! as its patience lasts, talks, ends the session, and may come back later; an outbound
//! recipient answers the org's template, opts out or stays silent.
//!
//! A driver feeds a [`Journey`] what happens to the customer (the events of its stream, the
//! replies to what it sent, its timers coming due) with the time since the run's origin, and
//! carries out the [`Act`]s it queues: sending, setting a timer, measuring. At most one send is
//! queued per step, always last, and the journey goes on once its reply is handed back
//! ([`Journey::sent`]), so the same journey runs on a blocking engine call or an HTTP round trip.

use crate::measure::Recorder;
use crate::measure::recorder::Labels;
use crate::scenario::Scenario;
use crate::scenario::choices::RecipientChoice;
use omnisim_protocol::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::collections::VecDeque;
use std::time::Duration;

/// Who answers a channel's customers first: its queue's agents, its bot, or its flow's choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Entrance {
    Queue,
    /// The scenario's bot at this index.
    Bot(usize),
    /// A routing flow, which may pick a bot or an agent's side per session.
    Flow,
}

impl Entrance {
    /// The bot, when the entrance is one.
    pub fn bot(self) -> Option<usize> {
        match self {
            Entrance::Bot(b) => Some(b),
            Entrance::Queue | Entrance::Flow => None,
        }
    }
}

/// What the customer says, for the driver to put into an inbound.
#[derive(Debug)]
pub enum Line {
    /// The first message of a journey.
    Hello,
    /// An answer to the bot: its intent question or a field prompt.
    Answer(InboundContent),
    /// One of the messages for the agent.
    Message,
    /// A recipient's answer to the org's template.
    Reply,
    /// A recipient opting out (R-OUT-3).
    Stop,
    /// Ends the session.
    End,
}

impl Line {
    /// The inbound content, its text as the customer writes it (a live driver appends the
    /// timing marker to texts).
    pub fn content(self) -> InboundContent {
        // The lines are the program's own: each message points at one, with no copy.
        let text = |s: &'static str| InboundContent::Text {
            text: MessageText::const_new(s),
        };
        match self {
            Line::Hello => text("Hello, I need some help"),
            Line::Answer(content) => content,
            Line::Message => text("A question"),
            Line::Reply => text("Thanks, I have a question about it"),
            Line::Stop => text("STOP"),
            Line::End => InboundContent::End,
        }
    }

    /// Whether the customer talks to the agent with it: these count as messages sent.
    pub fn to_agent(&self) -> bool {
        matches!(self, Line::Message | Line::Reply)
    }
}

/// How a send came back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sent {
    /// Accepted into this session.
    Accepted(SessionId),
    /// Refused because the session had ended (R-SESS-5): the end is on its way to the customer.
    SessionEnded,
    /// Refused otherwise, or never answered: the driver records why, and the customer gives up.
    Failed,
}

impl Sent {
    /// How a send the platform refused with `code` comes back (`None`: no answer at all).
    pub fn refused(code: Option<ErrorCode>) -> Sent {
        match code {
            Some(ErrorCode::SessionEnded) => Sent::SessionEnded,
            _ => Sent::Failed,
        }
    }

    /// Whether this outcome of a send counts as an error: any refusal, but not that of an end
    /// (`ending`) whose session the agent ended in the same instant, its end on the way to the
    /// customer.
    pub fn is_error(self, ending: bool) -> bool {
        match self {
            Sent::Accepted(_) => false,
            Sent::SessionEnded => !ending,
            Sent::Failed => true,
        }
    }
}

/// What the customer does or notices, for the driver to carry out or measure. Times are since
/// the run's origin.
#[derive(Debug)]
pub enum Act {
    /// Send `line` as the customer, meant at `at`; hand the reply to [`Journey::sent`].
    /// `asks_for_agent`: the message that asks for an agent (a queue entry's first message, the
    /// answer that triggers the bot's handoff, a recipient's reply), which routing latency
    /// starts from.
    Send {
        line: Line,
        at: Duration,
        asks_for_agent: bool,
    },
    /// Call [`Journey::wake`] with `generation` at `at`. A timer from an earlier generation is
    /// stale and does nothing, so a driver may keep only the latest. `patience`: the deadline
    /// for an agent to accept, which most customers never reach.
    WakeAt {
        at: Duration,
        generation: u32,
        patience: bool,
    },
    /// The customer waits for an agent since `intended`: routing and speed to answer start there.
    AskedForAgent { intended: Duration },
    /// No agent accepted within patience: the customer, who asked at `asked`, ends the session.
    Abandoned { asked: Duration },
    /// The event just handed to [`Journey::event`] was an agent message of the customer's
    /// session; for the first one, the time since the customer started (first response).
    AgentMessage { first_response: Option<Duration> },
    /// A message the customer wrote as the session ended opened a new one (R-SESS-1), which it
    /// ends at once.
    Crossed,
    /// The customer saw its session end, `resolution` after it started.
    Ended {
        by: Option<EndedBy>,
        resolution: Duration,
    },
    /// The platform took the recipient's STOP: no more outbound to it without consent
    /// (R-OUT-3).
    OptedOut,
    /// The recipient wrote in: its service window is open (R-OUT-4).
    WroteIn,
    /// The customer writes in again after `after`: call [`Journey::write_in`] then.
    ComeBack { after: Duration },
    /// The customer is done for good.
    Leave,
    /// A send failed (the driver recorded why): the customer gives up, its session perhaps
    /// still open.
    GaveUp,
}

impl Act {
    /// Counts what every driver counts of this act alone: requests for an agent and
    /// abandonments (by when the customer asked), first responses, crossed and ended sessions
    /// with their resolution time, opt-outs. `labels` says where the customer is.
    pub fn record(&self, recorder: &mut Recorder, labels: Labels) {
        match *self {
            Act::AskedForAgent { intended } => recorder.asked_for_agent(intended),
            Act::Abandoned { asked } => recorder.abandoned(Some(asked)),
            Act::AgentMessage {
                first_response: Some(since),
            } => recorder.latency("first_response", since, None, labels),
            Act::Crossed => {
                let counts = &mut recorder.counts;
                counts.sessions_started += 1;
                counts.sessions_ended += 1;
                counts.crossed += 1;
            }
            Act::Ended { by, resolution } => {
                recorder.counts.sessions_ended += 1;
                if by == Some(EndedBy::Bot) {
                    recorder.counts.bot_contained += 1;
                }
                recorder.latency("resolution", resolution, None, labels);
            }
            Act::OptedOut => recorder.counts.opt_outs += 1,
            _ => {}
        }
    }
}

/// Where a customer is in its journey.
#[derive(Debug)]
enum Phase {
    /// Not started, or done.
    Idle,
    /// Sent its first message; waits for the reply to know its session.
    WritingIn,
    /// Talking to the bot: waits for its question (or the next field prompt) while `prompted`
    /// is false, then sends `answers` one by one, the last one handing off when `handoff`.
    Bot {
        answers: VecDeque<InboundContent>,
        handoff: bool,
        prompted: bool,
    },
    /// Sent its last answer; on its reply asks for an agent (`handoff`) or waits for the bot to
    /// end the session.
    Answered { handoff: bool },
    /// Asked for an agent at `asked`; none has accepted yet.
    Waiting { asked: Duration },
    /// An agent accepted; the customer waits for its greeting.
    Greeting,
    /// Talking with the agent: `left` messages to send; `awaiting_reply` after each.
    Talking { left: u32, awaiting_reply: bool },
    /// A recipient about to answer STOP.
    OptingOut,
    /// A recipient about to answer the template.
    Replying,
    /// Asked to end (or the bot is resolving, or the session crossed its end): waits to see the
    /// end.
    Closing,
}

/// One simulated customer's journey.
#[derive(Debug)]
pub struct Journey {
    phase: Phase,
    /// Moves on at every phase change, so that stale think and patience timers do nothing.
    generation: u32,
    /// An org-triggered outbound recipient: it never comes back on its own.
    recipient: bool,
    /// The bot of the customer's channel, if it enters through one, and the channel's platform.
    bot: Option<usize>,
    platform: Platform,
    session: SessionId,
    /// When the customer meant to write first: resolution and first response start here.
    start: Duration,
    /// Small and seeded: one lives in every customer, so its size is paid thousands of times
    /// over; statistical quality is all these choices need.
    rng: SmallRng,
}

impl Journey {
    /// A customer of a channel entering through `entrance`, drawing its choices from `seed`. It
    /// starts with [`Journey::write_in`] or, as a recipient, [`Journey::template`].
    pub fn new(seed: u64, entrance: Entrance, platform: Platform) -> Journey {
        Journey {
            phase: Phase::Idle,
            generation: 0,
            recipient: false,
            bot: entrance.bot(),
            platform,
            session: SessionId(0),
            start: Duration::ZERO,
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    /// On a flow-entry channel, the bot the flow is expected to pick for the next session (none:
    /// an agent's side), as its driver works it out before the customer writes in (R-FLOW-1).
    /// Should a bot greet a customer that expected an agent, the customer answers it all the same.
    pub fn expects_bot(&mut self, bot: Option<usize>) {
        self.bot = bot;
    }

    /// The customer's own random draws, for what its driver decides (provider retries,
    /// reconnects) besides the journey.
    pub fn rng(&mut self) -> &mut SmallRng {
        &mut self.rng
    }

    /// The session the customer is in.
    pub fn session(&self) -> SessionId {
        self.session
    }

    fn set_phase(&mut self, phase: Phase) {
        self.generation = self.generation.wrapping_add(1);
        self.phase = phase;
    }

    fn think(&mut self, now: Duration, s: &Scenario, acts: &mut VecDeque<Act>) {
        let delay = s.customers.think_time.sample(&mut self.rng);
        acts.push_back(Act::WakeAt {
            at: now + delay,
            generation: self.generation,
            patience: false,
        });
    }

    fn send(&mut self, line: Line, now: Duration, acts: &mut VecDeque<Act>) {
        let asks_for_agent = match (&line, &self.phase) {
            (Line::Hello, _) => self.bot.is_none(),
            (Line::Reply, _) => true,
            (Line::Answer(_), Phase::Answered { handoff }) => *handoff,
            _ => false,
        };
        acts.push_back(Act::Send {
            line,
            at: now,
            asks_for_agent,
        });
    }

    /// The customer writes in, meaning to at `now`: its first message, on arrival or when it
    /// comes back (a new session, same conversation).
    pub fn write_in(&mut self, now: Duration, acts: &mut VecDeque<Act>) {
        self.start = now;
        self.set_phase(Phase::WritingIn);
        self.send(Line::Hello, now, acts);
    }

    /// The org's template reached the recipient in `session`: it decides to opt out, reply or
    /// stay silent (returned; a silent one does nothing more).
    pub fn template(
        &mut self,
        now: Duration,
        session: SessionId,
        s: &Scenario,
        acts: &mut VecDeque<Act>,
    ) -> RecipientChoice {
        self.recipient = true;
        self.session = session;
        self.start = now;
        let Some(def) = &s.outbound else {
            return RecipientChoice::Silent;
        };
        let choice = def.recipient_choice(&mut self.rng);
        let phase = match choice {
            RecipientChoice::OptOut => Phase::OptingOut,
            RecipientChoice::Reply => Phase::Replying,
            RecipientChoice::Silent => return choice,
        };
        self.set_phase(phase);
        self.think(now, s, acts);
        choice
    }

    fn ask_for_agent(&mut self, intended: Duration, s: &Scenario, acts: &mut VecDeque<Act>) {
        acts.push_back(Act::AskedForAgent { intended });
        self.set_phase(Phase::Waiting { asked: intended });
        let patience = s.customers.patience.sample(&mut self.rng);
        acts.push_back(Act::WakeAt {
            at: intended + patience,
            generation: self.generation,
            patience: true,
        });
    }

    fn end_session(&mut self, now: Duration, acts: &mut VecDeque<Act>) {
        self.set_phase(Phase::Closing);
        self.send(Line::End, now, acts);
    }

    /// The customer gives up: the driver has recorded why.
    fn give_up(&mut self, acts: &mut VecDeque<Act>) {
        self.set_phase(Phase::Idle);
        acts.push_back(Act::GaveUp);
    }

    /// The reply to the customer's last send, meant at `now` (the `at` of its [`Act::Send`]:
    /// what the reply leads to counts from when the customer acted, not from when a network
    /// answered).
    pub fn sent(&mut self, now: Duration, reply: Sent, s: &Scenario, acts: &mut VecDeque<Act>) {
        if let Phase::OptingOut = self.phase {
            // Opted out once the platform took the STOP; either way the conversation is over.
            if let Sent::Accepted(_) = reply {
                acts.push_back(Act::OptedOut);
            }
            return self.end_session(now, acts);
        }
        let session = match reply {
            Sent::Accepted(session) => session,
            // The end is on its way: the customer sees it on its stream.
            Sent::SessionEnded if matches!(self.phase, Phase::Closing) => return,
            Sent::SessionEnded | Sent::Failed => return self.give_up(acts),
        };
        match self.phase {
            Phase::WritingIn => {
                self.session = session;
                match self.bot {
                    Some(_) => self.set_phase(Phase::Bot {
                        answers: VecDeque::new(),
                        handoff: false,
                        prompted: false,
                    }),
                    // A queue entry asks for an agent with the first message.
                    None => self.ask_for_agent(self.start, s, acts),
                }
            }
            Phase::Answered { handoff: true } => self.ask_for_agent(now, s, acts),
            // Resolved by the bot: it ends the session.
            Phase::Answered { handoff: false } => self.set_phase(Phase::Closing),
            Phase::Replying => self.ask_for_agent(now, s, acts),
            Phase::Talking { .. } if session != self.session => {
                acts.push_back(Act::Crossed);
                self.end_session(now, acts);
            }
            _ => {}
        }
    }

    /// An event on the customer's stream.
    pub fn event(&mut self, now: Duration, event: &Event, s: &Scenario, acts: &mut VecDeque<Act>) {
        match event {
            Event::Message { message, .. } if message.session == self.session => {
                match message.sender {
                    Sender::Bot => {
                        if let (Phase::Waiting { .. }, None) = (&self.phase, self.bot) {
                            // A flow picked a bot the customer did not expect.
                            self.bot = s.bot_of(message);
                            self.set_phase(Phase::Bot {
                                answers: VecDeque::new(),
                                handoff: false,
                                prompted: false,
                            });
                        }
                        self.bot_message(now, message, s, acts)
                    }
                    Sender::Agent => self.agent_message(now, s, acts),
                    Sender::EndUser | Sender::System => {}
                }
            }
            Event::SessionChanged {
                session,
                status,
                handler,
                ended_by,
                ..
            } if *session == self.session => match status {
                SessionStatus::Ended => self.finish(now, *ended_by, s, acts),
                SessionStatus::Active if *handler != Handler::Bot => {
                    if matches!(self.phase, Phase::Waiting { .. }) {
                        self.set_phase(Phase::Greeting);
                    }
                }
                // The agent let the conversation go inactive: no answer is coming; the next
                // message asks for an agent again (R-SESS-7).
                SessionStatus::Inactive => {
                    if let Phase::Talking {
                        awaiting_reply: true,
                        ..
                    } = self.phase
                    {
                        self.replied(now, s, acts);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn bot_message(
        &mut self,
        now: Duration,
        message: &Message,
        s: &Scenario,
        acts: &mut VecDeque<Act>,
    ) {
        let Phase::Bot {
            answers, prompted, ..
        } = &mut self.phase
        else {
            return;
        };
        if answers.is_empty() && !*prompted {
            if let (true, Some(bot)) = (message.is_question(), self.bot) {
                // The intent question: choose an intent and line up the answers.
                let (answers, handoff) =
                    s.bot_answers(&s.bots[bot], self.platform, message.seq, &mut self.rng);
                self.set_phase(Phase::Bot {
                    answers: VecDeque::from(answers),
                    handoff,
                    prompted: true,
                });
                self.think(now, s, acts);
            }
        } else if !*prompted && !answers.is_empty() {
            // A field prompt: answer it after thinking.
            *prompted = true;
            self.think(now, s, acts);
        }
    }

    fn agent_message(&mut self, now: Duration, s: &Scenario, acts: &mut VecDeque<Act>) {
        let first = matches!(self.phase, Phase::Waiting { .. } | Phase::Greeting);
        acts.push_back(Act::AgentMessage {
            first_response: first.then(|| now.saturating_sub(self.start)),
        });
        if first {
            let messages = s.customers.messages.sample(&mut self.rng);
            if messages == 0 {
                return self.end_session(now, acts);
            }
            self.set_phase(Phase::Talking {
                left: messages,
                awaiting_reply: false,
            });
            self.think(now, s, acts);
        } else if let Phase::Talking {
            awaiting_reply: true,
            ..
        } = self.phase
        {
            self.replied(now, s, acts);
        }
    }

    /// The agent answered (or went quiet): think and write on, or end after the last message.
    fn replied(&mut self, now: Duration, s: &Scenario, acts: &mut VecDeque<Act>) {
        let Phase::Talking { left, .. } = self.phase else {
            return;
        };
        if left == 0 {
            self.end_session(now, acts);
        } else {
            self.set_phase(Phase::Talking {
                left,
                awaiting_reply: false,
            });
            self.think(now, s, acts);
        }
    }

    /// A timer of `generation` came due at `now`: the customer is done thinking, or out of
    /// patience.
    pub fn wake(&mut self, now: Duration, generation: u32, acts: &mut VecDeque<Act>) {
        if self.generation != generation {
            return;
        }
        match &mut self.phase {
            Phase::Bot {
                answers,
                handoff,
                prompted,
            } => {
                let Some(answer) = answers.pop_front() else {
                    return;
                };
                if answers.is_empty() {
                    let handoff = *handoff;
                    self.set_phase(Phase::Answered { handoff });
                } else {
                    *prompted = false;
                }
                self.send(Line::Answer(answer), now, acts);
            }
            Phase::Talking {
                left,
                awaiting_reply: false,
            } => {
                let left = *left - 1;
                self.set_phase(Phase::Talking {
                    left,
                    awaiting_reply: true,
                });
                self.send(Line::Message, now, acts);
            }
            Phase::Waiting { asked } => {
                acts.push_back(Act::Abandoned { asked: *asked });
                self.end_session(now, acts);
            }
            Phase::OptingOut => self.send(Line::Stop, now, acts),
            Phase::Replying => {
                acts.push_back(Act::WroteIn);
                self.start = now;
                self.send(Line::Reply, now, acts);
            }
            _ => {}
        }
    }

    /// The customer saw its session end.
    fn finish(
        &mut self,
        now: Duration,
        by: Option<EndedBy>,
        s: &Scenario,
        acts: &mut VecDeque<Act>,
    ) {
        if matches!(self.phase, Phase::Idle) {
            return;
        }
        self.set_phase(Phase::Idle);
        acts.push_back(Act::Ended {
            by,
            resolution: now.saturating_sub(self.start),
        });
        // Recipients never come back on their own: the org writes to them.
        let comeback = if self.recipient {
            None
        } else {
            s.customers.comeback(&mut self.rng)
        };
        acts.push_back(match comeback {
            Some(after) => Act::ComeBack { after },
            None => Act::Leave,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn scenario(extra: &str) -> Scenario {
        let text = format!(
            r#"
            name = "journey"
            duration = "10s"
            [[queues]]
            name = "support"
            [[bots]]
            name = "helper"
            greeting = "Hi"
            question = "What about?"
            fallback = "Busy"
            intents = [{{ id = "help", label = "Help", handoff = "support" }}]
            [[channels]]
            name = "web"
            kind = "web"
            platform = "standard"
            entry = "queue:support"
            [[agents]]
            name = "team"
            count = 1
            capacity = 2
            [arrivals]
            rate = "1/s"
            [customers]
            think_time = "2s"
            patience = "10s"
            messages = "2"
            {extra}
            "#
        );
        Scenario::parse(&text, "journey.toml").expect("a valid scenario")
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    const SESSION: SessionId = SessionId(7);

    fn message(sender: Sender, seq: u32, body: MessageBody) -> Event {
        Event::Message {
            org: OrgId(1),
            channel: ChannelId(2),
            user: UserId(3),
            agent: None,
            message: Arc::new(Message {
                session: SESSION,
                seq: Seq(seq),
                channel_seq: u64::from(seq),
                sender,
                agent: None,
                body,
                at: Timestamp(0),
                rendered_as: None,
                rendered_text: None,
                provider_message_id: None,
                client_message_id: None,
            }),
        }
    }

    fn from_agent(seq: u32) -> Event {
        let text = MessageText::const_new("Hello");
        message(Sender::Agent, seq, MessageBody::Text { text })
    }

    fn changed(status: SessionStatus, handler: Handler, ended_by: Option<EndedBy>) -> Event {
        Event::SessionChanged {
            org: OrgId(1),
            channel: ChannelId(2),
            user: UserId(3),
            session: SESSION,
            status,
            handler,
            agent: None,
            ended_by,
        }
    }

    /// Drives a journey the way a driver does, keeping what it queued.
    struct Run {
        s: Scenario,
        journey: Journey,
        acts: VecDeque<Act>,
    }

    impl Run {
        fn new(s: Scenario, bot: Option<usize>) -> Run {
            Run {
                s,
                journey: Journey::new(
                    1,
                    bot.map_or(Entrance::Queue, Entrance::Bot),
                    Platform::Standard,
                ),
                acts: VecDeque::new(),
            }
        }

        fn take(&mut self) -> Vec<Act> {
            self.acts.drain(..).collect()
        }

        fn event(&mut self, now: u64, e: &Event) -> Vec<Act> {
            self.journey.event(secs(now), e, &self.s, &mut self.acts);
            self.take()
        }

        fn sent(&mut self, now: u64, reply: Sent) -> Vec<Act> {
            self.journey.sent(secs(now), reply, &self.s, &mut self.acts);
            self.take()
        }

        fn wake(&mut self, now: u64, generation: u32) -> Vec<Act> {
            self.journey.wake(secs(now), generation, &mut self.acts);
            self.take()
        }

        /// A queue-entry customer that wrote in at 0 and waits for an agent; the patience timer.
        fn waiting() -> (Run, u32) {
            let mut r = Run::new(scenario(""), None);
            r.journey.write_in(secs(0), &mut r.acts);
            assert!(matches!(
                r.take()[..],
                [Act::Send {
                    line: Line::Hello,
                    asks_for_agent: true,
                    ..
                }]
            ));
            let acts = r.sent(0, Sent::Accepted(SESSION));
            let [
                Act::AskedForAgent { intended },
                Act::WakeAt {
                    at,
                    generation,
                    patience: true,
                },
            ] = acts[..]
            else {
                panic!("{acts:?}")
            };
            assert_eq!((intended, at), (secs(0), secs(10)));
            (r, generation)
        }
    }

    fn think_timer(acts: &[Act]) -> (Duration, u32) {
        match acts.last() {
            Some(&Act::WakeAt {
                at,
                generation,
                patience: false,
            }) => (at, generation),
            _ => panic!("no think timer in {acts:?}"),
        }
    }

    #[test]
    fn a_customer_talks_with_the_agent_then_ends_the_session() {
        let (mut r, _) = Run::waiting();
        let active = changed(SessionStatus::Active, Handler::Agent, None);
        assert!(r.event(3, &active).is_empty());
        let acts = r.event(4, &from_agent(2));
        assert!(matches!(
            acts[0],
            Act::AgentMessage { first_response: Some(d) } if d == secs(4)
        ));
        let mut timer = think_timer(&acts);
        assert_eq!(timer.0, secs(6));
        // Two messages, each after thinking, each answered.
        for (seq, last) in [(4, false), (6, true)] {
            let now = timer.0.as_secs();
            let acts = r.wake(now, timer.1);
            assert!(
                matches!(
                    acts[..],
                    [Act::Send {
                        line: Line::Message,
                        ..
                    }]
                ),
                "{acts:?}"
            );
            assert!(r.sent(now, Sent::Accepted(SESSION)).is_empty());
            let acts = r.event(now + 1, &from_agent(seq));
            assert!(matches!(
                acts[0],
                Act::AgentMessage {
                    first_response: None
                }
            ));
            if last {
                assert!(
                    matches!(
                        acts[1],
                        Act::Send {
                            line: Line::End,
                            ..
                        }
                    ),
                    "{acts:?}"
                );
            } else {
                timer = think_timer(&acts);
                assert_eq!(timer.0, secs(now + 3));
            }
        }
        assert!(r.sent(10, Sent::Accepted(SESSION)).is_empty());
        let end = changed(SessionStatus::Ended, Handler::Agent, Some(EndedBy::EndUser));
        let acts = r.event(10, &end);
        assert!(matches!(
            acts[..],
            [Act::Ended { by: Some(EndedBy::EndUser), resolution }, Act::Leave]
                if resolution == secs(10)
        ));
    }

    #[test]
    fn patience_running_out_abandons_and_ends_while_an_accepted_customer_ignores_it() {
        let (mut r, patience) = Run::waiting();
        let acts = r.wake(10, patience);
        assert!(matches!(
            acts[..],
            [Act::Abandoned { asked }, Act::Send { line: Line::End, .. }] if asked == secs(0)
        ));
        // The agent ended it meanwhile: the end reaches the customer on its stream.
        assert!(r.sent(10, Sent::SessionEnded).is_empty());

        let (mut r, patience) = Run::waiting();
        r.event(3, &changed(SessionStatus::Active, Handler::Agent, None));
        assert!(
            r.wake(10, patience).is_empty(),
            "a stale timer does nothing"
        );
    }

    #[test]
    fn a_bot_customer_answers_the_question_and_asks_for_an_agent_when_it_hands_off() {
        let mut r = Run::new(scenario(""), Some(0));
        r.journey.write_in(secs(0), &mut r.acts);
        assert!(matches!(
            r.take()[..],
            [Act::Send {
                line: Line::Hello,
                asks_for_agent: false,
                ..
            }]
        ));
        assert!(r.sent(0, Sent::Accepted(SESSION)).is_empty());
        let greeting = MessageBody::Text { text: "Hi".into() };
        assert!(r.event(0, &message(Sender::Bot, 2, greeting)).is_empty());
        let menu = MessageBody::Text {
            text: "What about?\n1. Help".into(),
        };
        let (at, generation) = think_timer(&r.event(0, &message(Sender::Bot, 3, menu)));
        assert_eq!(at, secs(2));
        let acts = r.wake(2, generation);
        let [
            Act::Send {
                line: Line::Answer(ref answer),
                asks_for_agent: true,
                at,
            },
        ] = acts[..]
        else {
            panic!("{acts:?}")
        };
        assert_eq!(*answer, InboundContent::Text { text: "1".into() });
        let acts = r.sent(at.as_secs(), Sent::Accepted(SESSION));
        assert!(matches!(acts[0], Act::AskedForAgent { intended } if intended == secs(2)));
    }

    #[test]
    fn a_message_that_crosses_the_end_opens_a_session_the_customer_ends_at_once() {
        let (mut r, _) = Run::waiting();
        let acts = r.event(4, &from_agent(2));
        let (at, generation) = think_timer(&acts);
        r.wake(at.as_secs(), generation);
        let acts = r.sent(6, Sent::Accepted(SessionId(8)));
        assert!(
            matches!(
                acts[..],
                [
                    Act::Crossed,
                    Act::Send {
                        line: Line::End,
                        ..
                    }
                ]
            ),
            "{acts:?}"
        );
    }

    #[test]
    fn only_an_end_refused_because_the_session_ended_is_no_error() {
        let ended = Sent::refused(Some(ErrorCode::SessionEnded));
        assert_eq!(ended, Sent::SessionEnded);
        assert!(!ended.is_error(true));
        assert!(ended.is_error(false));
        for failed in [
            Sent::refused(Some(ErrorCode::Internal)),
            Sent::refused(None),
        ] {
            assert_eq!(failed, Sent::Failed);
            assert!(failed.is_error(true));
        }
        assert!(!Sent::Accepted(SESSION).is_error(false));
    }

    #[test]
    fn a_failed_send_makes_the_customer_give_up_and_ignore_its_session() {
        let mut r = Run::new(scenario(""), None);
        r.journey.write_in(secs(0), &mut r.acts);
        r.take();
        assert!(matches!(r.sent(0, Sent::Failed)[..], [Act::GaveUp]));
        let end = changed(SessionStatus::Ended, Handler::Agent, None);
        assert!(r.event(1, &end).is_empty());
    }

    #[test]
    fn a_customer_may_come_back_and_a_recipient_opts_out_with_stop_then_ends() {
        let s = scenario("comeback_probability = 1.0\ncomeback_delay = \"5s\"");
        let mut r = Run::new(s, None);
        r.journey.write_in(secs(0), &mut r.acts);
        r.take();
        r.sent(0, Sent::Accepted(SESSION));
        let acts = r.event(3, &changed(SessionStatus::Ended, Handler::Agent, None));
        assert!(matches!(acts[1], Act::ComeBack { after } if after == secs(5)));

        let s = scenario(
            "[outbound]\nchannel = \"web\"\nrate = \"1/s\"\nrecipients = 3\n\
             template = \"shipping\"\nopt_out_probability = 1.0",
        );
        let mut r = Run::new(s, None);
        let choice = r.journey.template(secs(1), SESSION, &r.s, &mut r.acts);
        assert_eq!(choice, RecipientChoice::OptOut);
        let (at, generation) = think_timer(&r.take());
        let acts = r.wake(at.as_secs(), generation);
        assert!(matches!(
            acts[..],
            [Act::Send {
                line: Line::Stop,
                ..
            }]
        ));
        let acts = r.sent(3, Sent::Accepted(SESSION));
        assert!(
            matches!(
                acts[..],
                [
                    Act::OptedOut,
                    Act::Send {
                        line: Line::End,
                        ..
                    }
                ]
            ),
            "{acts:?}"
        );
        // Recipients never come back on their own.
        let acts = r.event(4, &changed(SessionStatus::Ended, Handler::Agent, None));
        assert!(matches!(acts[..], [Act::Ended { .. }, Act::Leave]));
    }
}
