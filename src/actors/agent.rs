//! What a simulated agent does, as a state machine without I/O (docs/scenarios.md, "What
//! simulated customers and agents do"): on shift it accepts, declines or ignores offers after its
//! accept delay, greets, answers each customer message after its reply time or transfers the
//! session, and may close a conversation itself after its length, ending it or marking it
//! inactive.
//!
//! A driver tells an [`Agent`] what reached it (offers, withdrawals, customer messages, closed
//! sessions), what its requests came to, and when the tasks it set itself come due, with the time
//! since the driver's origin; it carries out the [`Act`]s the agent queues. Requests may be in
//! flight together, as on an agent socket: each comes back with its outcome through
//! [`Agent::replied`].

use super::desk::{Closing, Conversation, Desk, Offered};
use crate::measure::Recorder;
use crate::measure::recorder::Labels;
use crate::scenario::AgentGroup;
use crate::scenario::choices::{MessageChoice, OfferChoice};
use crate::scenario::specs;
use omnisim_protocol::{
    AgentId, AgentRequest, ErrorCode, MessageText, OutboundContent, Presence, QueueId, SessionId,
    TransferTarget, WorkId,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// Where a conversation is: what the driver labels its measurements with, and whether its
/// channel is enhanced (only there may the agent mark it inactive, R-SESS-7).
#[derive(Clone, Debug)]
pub struct Place<L> {
    pub labels: L,
    pub enhanced: bool,
}

/// Something the agent set itself to do at a later time.
#[derive(Clone, Copy, Debug)]
pub enum Task {
    Accept(WorkId),
    Decline(WorkId),
    /// Send the reply on its way in the session (the greeting, first).
    Reply(SessionId),
    Transfer(SessionId),
    /// The conversation has lasted long enough: close it, once the pending reply is out.
    Close(SessionId),
    /// The shift starts or ends.
    Presence(Presence),
}

/// A request the agent makes of the platform; it comes back with its outcome to
/// [`Agent::replied`].
#[derive(Clone, Copy, Debug)]
pub enum Request {
    Presence(Presence),
    Accept(WorkId),
    Decline(WorkId),
    /// The agent's `number`th message in `session`, its `nth` message of the run (client message
    /// ids never repeat for one agent, R-SESS-3); the conversation closes once it is sent when
    /// `then_close`.
    Send {
        session: SessionId,
        nth: u64,
        number: u32,
        then_close: bool,
    },
    /// To the `queue`th of the run's queues.
    Transfer {
        session: SessionId,
        queue: usize,
    },
    /// Ends the session, or marks it inactive.
    Close {
        session: SessionId,
        inactive: bool,
    },
}

impl Request {
    /// The protocol request `agent` sends for this, given the run's `queues` (a transfer names
    /// one by its place among them); `text` writes the reply numbered so in its conversation.
    /// None for a queue the run lacks.
    pub fn wire(
        self,
        agent: AgentId,
        queues: &BTreeMap<String, QueueId>,
        text: impl FnOnce(u32) -> MessageText,
    ) -> Option<AgentRequest> {
        Some(match self {
            Request::Presence(presence) => AgentRequest::SetPresence { presence },
            Request::Accept(work) => AgentRequest::Accept { work },
            Request::Decline(work) => AgentRequest::Decline { work },
            Request::Send {
                session,
                nth,
                number,
                ..
            } => AgentRequest::Send {
                session,
                client_message_id: specs::message_id([agent.0, nth]),
                content: OutboundContent::Text { text: text(number) },
            },
            Request::Transfer { session, queue } => AgentRequest::Transfer {
                session,
                to: TransferTarget::Queue(*queues.values().nth(queue)?),
            },
            Request::Close {
                session,
                inactive: true,
            } => AgentRequest::MarkInactive { session },
            Request::Close { session, .. } => AgentRequest::End { session },
        })
    }

    /// Counts what every driver counts of a request the platform took: declines, messages
    /// sent, transfers, and conversations the agent ended or marked inactive.
    pub fn record(&self, recorder: &mut Recorder) {
        let counts = &mut recorder.counts;
        match *self {
            Request::Decline(_) => counts.declines += 1,
            Request::Send { .. } => counts.messages_sent += 1,
            Request::Transfer { .. } => counts.transferred += 1,
            Request::Close { inactive: true, .. } => counts.marked_inactive += 1,
            Request::Close { .. } => counts.ended_by_agent += 1,
            Request::Presence(_) | Request::Accept(_) => {}
        }
    }
}

/// What the agent does or notices, for the driver to carry out or measure.
#[derive(Debug)]
pub enum Act<L> {
    /// Send `request`; hand its outcome to [`Agent::replied`].
    Request(Request),
    /// Call [`Agent::due`] with `task` at `at`.
    WakeAt { at: Duration, task: Task },
    /// The agent let go of the offer of `work` without accepting it.
    Released(WorkId),
    /// The agent accepted `session`, which the customer meant to ask for at `intended`.
    Accepted {
        session: SessionId,
        intended: Option<Duration>,
        labels: L,
    },
    /// The agent no longer holds a conversation it had held for `handle`.
    Handled { labels: L, handle: Duration },
    /// A request failed for a reason worth counting: not just a race another party won.
    Failed(ErrorCode),
}

impl<L> Act<L> {
    /// Counts what every driver counts of this act alone: acceptances, handle times and
    /// failures. `labels` says where a conversation is.
    pub fn record(&self, recorder: &mut Recorder, labels: impl FnOnce(&L) -> Labels) {
        match self {
            Act::Accepted { .. } => recorder.counts.accepted += 1,
            Act::Handled { labels: l, handle } => {
                recorder.latency("handle", *handle, None, labels(l));
            }
            Act::Failed(code) => recorder.error(code.as_str()),
            Act::Request(_) | Act::WakeAt { .. } | Act::Released(_) => {}
        }
    }
}

/// Whether a request was refused only because another party got there first: the offer was
/// withdrawn (timeout, customer gone) or the customer ended the session while the agent was
/// writing. Part of the game, not an error.
pub fn lost_race(code: ErrorCode) -> bool {
    matches!(code, ErrorCode::WorkNotOffered | ErrorCode::SessionEnded)
}

/// One simulated agent.
pub struct Agent<L> {
    desk: Desk<Place<L>>,
    /// How many queues the run has, to transfer to one of them.
    queues: usize,
    /// Messages sent so far.
    sent: u64,
    rng: SmallRng,
}

impl<L: Clone> Agent<L> {
    /// An agent drawing its choices from `seed`, in a run with `queues` queues.
    pub fn new(seed: u64, queues: usize) -> Agent<L> {
        Agent {
            desk: Desk::default(),
            queues,
            sent: 0,
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    /// The agent's own random draws, for what its driver decides (reconnects) besides.
    pub fn rng(&mut self) -> &mut SmallRng {
        &mut self.rng
    }

    /// What the agent is working on.
    pub fn desk(&mut self) -> &mut Desk<Place<L>> {
        &mut self.desk
    }

    /// The conversation in `session`, if the agent holds it.
    pub fn holds(&self, session: SessionId) -> Option<&Conversation<Place<L>>> {
        self.desk.conversation(session)
    }

    /// `work` was offered at `now` for `session`, which the customer meant to ask for at
    /// `intended`: the agent will accept or decline it after its accept delay, or ignore it.
    pub fn offered(
        &mut self,
        now: Duration,
        work: WorkId,
        offer: Offered<Place<L>>,
        def: &AgentGroup,
        acts: &mut VecDeque<Act<L>>,
    ) {
        self.desk.offered(work, offer);
        let (task, delay) = match def.on_offer(&mut self.rng) {
            OfferChoice::Ignore => return,
            OfferChoice::Decline(delay) => (Task::Decline(work), delay),
            OfferChoice::Accept(delay) => (Task::Accept(work), delay),
        };
        acts.push_back(Act::WakeAt {
            at: now + delay,
            task,
        });
    }

    /// The offer of `work` was taken back.
    pub fn rescinded(&mut self, work: WorkId) {
        self.desk.withdraw(work);
    }

    /// The customer wrote at `now` in `session`: if the agent holds it, it answers (or
    /// transfers) after its reply time.
    pub fn customer_wrote(
        &mut self,
        now: Duration,
        session: SessionId,
        def: &AgentGroup,
        acts: &mut VecDeque<Act<L>>,
    ) {
        if self.desk.conversation(session).is_none() {
            return;
        }
        let (task, delay) = match def.on_customer_message(&mut self.rng, self.desk.holding()) {
            MessageChoice::Transfer(delay) => (Task::Transfer(session), delay),
            MessageChoice::Reply(delay) => (Task::Reply(session), delay),
        };
        self.desk.customer_wrote(session);
        acts.push_back(Act::WakeAt {
            at: now + delay,
            task,
        });
    }

    /// `session` ended, went inactive or was transferred: the agent no longer holds it.
    pub fn session_closed(
        &mut self,
        now: Duration,
        session: SessionId,
        acts: &mut VecDeque<Act<L>>,
    ) {
        if let Some(held) = self.desk.release(session) {
            acts.push_back(Act::Handled {
                labels: held.labels.labels,
                handle: now.saturating_sub(held.accepted),
            });
        }
    }

    /// After a reconnect the agent holds `session` again (from `now`, unless it already did);
    /// if the customer's last message is `unanswered`, an answer goes on its way.
    pub fn resume(
        &mut self,
        now: Duration,
        session: SessionId,
        place: Place<L>,
        unanswered: bool,
        def: &AgentGroup,
        acts: &mut VecDeque<Act<L>>,
    ) {
        let held = self.desk.resume(session, now, place);
        if unanswered && !held.answering() {
            held.answer();
            let delay = def.reply_delay(&mut self.rng, self.desk.holding());
            acts.push_back(Act::WakeAt {
                at: now + delay,
                task: Task::Reply(session),
            });
        }
    }

    /// A task the agent set itself came due.
    pub fn due(&mut self, task: Task, def: &AgentGroup, acts: &mut VecDeque<Act<L>>) {
        let request = match task {
            Task::Presence(presence) => Request::Presence(presence),
            Task::Accept(work) => Request::Accept(work),
            Task::Decline(work) => {
                self.desk.withdraw(work);
                acts.push_back(Act::Released(work));
                Request::Decline(work)
            }
            Task::Reply(session) => {
                let Some(reply) = self.desk.reply(session) else {
                    return;
                };
                self.sent += 1;
                Request::Send {
                    session,
                    nth: self.sent,
                    number: reply.number,
                    then_close: reply.then_close,
                }
            }
            Task::Transfer(session) => {
                if self.desk.conversation(session).is_none() || self.queues == 0 {
                    return;
                }
                let queue = self.rng.random_range(0..self.queues);
                Request::Transfer { session, queue }
            }
            Task::Close(session) => {
                if self.desk.length_reached(session) != Closing::Now {
                    return;
                }
                return self.close(session, def, acts);
            }
        };
        acts.push_back(Act::Request(request));
    }

    /// Ends `session`, or marks it inactive (enhanced channels only, R-SESS-7).
    fn close(&mut self, session: SessionId, def: &AgentGroup, acts: &mut VecDeque<Act<L>>) {
        let Some(held) = self.desk.conversation(session) else {
            return;
        };
        let inactive = def.marks_inactive(&mut self.rng, held.labels.enhanced);
        acts.push_back(Act::Request(Request::Close { session, inactive }));
    }

    /// `request` came back at `now`: done, or refused with a code.
    pub fn replied(
        &mut self,
        now: Duration,
        request: Request,
        outcome: Result<(), ErrorCode>,
        def: &AgentGroup,
        acts: &mut VecDeque<Act<L>>,
    ) {
        if let Request::Accept(work) = request {
            return self.accepted(now, work, outcome, def, acts);
        }
        if let Err(code) = outcome {
            if !lost_race(code) {
                acts.push_back(Act::Failed(code));
            }
            return;
        }
        match request {
            Request::Send {
                session,
                then_close: true,
                ..
            } => self.close(session, def, acts),
            // The session asks for an agent anew (R-ROUTE-9).
            Request::Transfer { session, .. } => self.session_closed(now, session, acts),
            _ => {}
        }
    }

    fn accepted(
        &mut self,
        now: Duration,
        work: WorkId,
        outcome: Result<(), ErrorCode>,
        def: &AgentGroup,
        acts: &mut VecDeque<Act<L>>,
    ) {
        // Withdrawn while the acceptance was on its way: the withdrawal said it all.
        if !self.desk.has_offer(work) {
            return;
        }
        if let Err(code) = outcome {
            self.desk.withdraw(work);
            acts.push_back(Act::Released(work));
            if !lost_race(code) {
                acts.push_back(Act::Failed(code));
            }
            return;
        }
        let Some((session, intended, place)) = self.desk.accept(work, now) else {
            return;
        };
        acts.push_back(Act::Accepted {
            session,
            intended,
            labels: place.labels.clone(),
        });
        let plan = def.on_accept(&mut self.rng, self.desk.holding());
        acts.push_back(Act::WakeAt {
            at: now + plan.greet_after,
            task: Task::Reply(session),
        });
        if let Some(length) = plan.close_after {
            acts.push_back(Act::WakeAt {
                at: now + length,
                task: Task::Close(session),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(extra: &str) -> AgentGroup {
        let text = format!(
            r#"
            name = "agents"
            duration = "10s"
            [[queues]]
            name = "support"
            [[channels]]
            name = "web"
            kind = "web"
            platform = "enhanced"
            entry = "queue:support"
            [[agents]]
            name = "team"
            count = 1
            capacity = 2
            accept_delay = "2s"
            reply_time = "3s"
            {extra}
            [arrivals]
            rate = "1/s"
            "#
        );
        let s = crate::scenario::Scenario::parse(&text, "agents.toml").expect("a valid scenario");
        s.agents[0].clone()
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    const WORK: WorkId = WorkId(1);
    const SESSION: SessionId = SessionId(7);

    /// Drives an agent the way a driver does, keeping what it queued.
    struct Run {
        def: AgentGroup,
        agent: Agent<&'static str>,
        acts: VecDeque<Act<&'static str>>,
    }

    impl Run {
        fn new(extra: &str) -> Run {
            Run {
                def: group(extra),
                agent: Agent::new(3, 2),
                acts: VecDeque::new(),
            }
        }

        fn take(&mut self) -> Vec<Act<&'static str>> {
            self.acts.drain(..).collect()
        }

        fn offer(&mut self, now: u64) -> Vec<Act<&'static str>> {
            let offer = Offered {
                session: SESSION,
                intended: Some(secs(1)),
                labels: Place {
                    labels: "web",
                    enhanced: false,
                },
            };
            let (def, acts) = (&self.def, &mut self.acts);
            self.agent.offered(secs(now), WORK, offer, def, acts);
            self.take()
        }

        fn due(&mut self, task: Task) -> Vec<Act<&'static str>> {
            self.agent.due(task, &self.def, &mut self.acts);
            self.take()
        }

        fn replied(
            &mut self,
            now: u64,
            request: Request,
            outcome: Result<(), ErrorCode>,
        ) -> Vec<Act<&'static str>> {
            let (def, acts) = (&self.def, &mut self.acts);
            self.agent.replied(secs(now), request, outcome, def, acts);
            self.take()
        }

        fn wrote(&mut self, now: u64) -> Vec<Act<&'static str>> {
            let (def, acts) = (&self.def, &mut self.acts);
            self.agent.customer_wrote(secs(now), SESSION, def, acts);
            self.take()
        }

        /// Offered at 0 and accepted at 2: returns what accepting queued.
        fn holding(extra: &str) -> (Run, Vec<Act<&'static str>>) {
            let mut r = Run::new(extra);
            let acts = r.offer(0);
            assert!(matches!(
                acts[..],
                [Act::WakeAt { at, task: Task::Accept(WORK) }] if at == secs(2)
            ));
            let acts = r.due(Task::Accept(WORK));
            assert!(matches!(acts[..], [Act::Request(Request::Accept(WORK))]));
            let acts = r.replied(2, Request::Accept(WORK), Ok(()));
            (r, acts)
        }
    }

    #[test]
    fn an_accepted_offer_is_greeted_after_the_reply_time() {
        let (mut r, acts) = Run::holding("");
        assert!(
            matches!(
                acts[..],
                [
                    Act::Accepted { session: SESSION, intended: Some(i), labels: "web" },
                    Act::WakeAt { at, task: Task::Reply(SESSION) },
                ] if i == secs(1) && at == secs(5)
            ),
            "{acts:?}"
        );
        let acts = r.due(Task::Reply(SESSION));
        let [
            Act::Request(
                send @ Request::Send {
                    number: 1,
                    nth: 1,
                    then_close: false,
                    ..
                },
            ),
        ] = acts[..]
        else {
            panic!("{acts:?}")
        };
        assert!(r.replied(5, send, Ok(())).is_empty());
        // Ended by the customer at 9: held for 7 s.
        r.agent.session_closed(secs(9), SESSION, &mut r.acts);
        assert!(matches!(
            r.take()[..],
            [Act::Handled { labels: "web", handle }] if handle == secs(7)
        ));
        assert!(
            r.due(Task::Reply(SESSION)).is_empty(),
            "nothing to answer any more"
        );
    }

    #[test]
    fn a_declined_offer_is_released_and_a_withdrawn_one_is_let_go_quietly() {
        let mut r = Run::new("decline_probability = 1.0");
        assert!(matches!(
            r.offer(0)[..],
            [Act::WakeAt {
                task: Task::Decline(WORK),
                ..
            }]
        ));
        let acts = r.due(Task::Decline(WORK));
        assert!(matches!(
            acts[..],
            [Act::Released(WORK), Act::Request(Request::Decline(WORK))]
        ));

        let mut r = Run::new("");
        r.offer(0);
        r.agent.rescinded(WORK);
        let refused = Err(ErrorCode::WorkNotOffered);
        assert!(r.replied(2, Request::Accept(WORK), refused).is_empty());

        let mut r = Run::new("");
        r.offer(0);
        let acts = r.replied(2, Request::Accept(WORK), Err(ErrorCode::Internal));
        assert!(matches!(
            acts[..],
            [Act::Released(WORK), Act::Failed(ErrorCode::Internal)]
        ));
    }

    #[test]
    fn a_conversation_whose_length_runs_out_mid_reply_closes_after_the_reply() {
        let (mut r, acts) = Run::holding("conversation_length = \"4s\"");
        assert!(matches!(
            acts[2],
            Act::WakeAt { at, task: Task::Close(SESSION) } if at == secs(6)
        ));
        // The greeting is still on its way when the length runs out.
        assert!(r.due(Task::Close(SESSION)).is_empty());
        let acts = r.due(Task::Reply(SESSION));
        let [
            Act::Request(
                send @ Request::Send {
                    then_close: true, ..
                },
            ),
        ] = acts[..]
        else {
            panic!("{acts:?}")
        };
        // Not an enhanced channel: it ends the session rather than marking it inactive.
        let acts = r.replied(7, send, Ok(()));
        assert!(matches!(
            acts[..],
            [Act::Request(Request::Close {
                session: SESSION,
                inactive: false
            })]
        ));
    }

    #[test]
    fn a_transfer_goes_to_one_of_the_queues_and_lets_the_conversation_go() {
        let (mut r, _) = Run::holding("transfer_probability = 1.0");
        r.due(Task::Reply(SESSION));
        let acts = r.wrote(6);
        assert!(matches!(
            acts[..],
            [Act::WakeAt { at, task: Task::Transfer(SESSION) }] if at == secs(9)
        ));
        let acts = r.due(Task::Transfer(SESSION));
        let [
            Act::Request(
                transfer @ Request::Transfer {
                    session: SESSION,
                    queue,
                },
            ),
        ] = acts[..]
        else {
            panic!("{acts:?}")
        };
        assert!(queue < 2);
        let acts = r.replied(9, transfer, Ok(()));
        assert!(matches!(
            acts[..],
            [Act::Handled { handle, .. }] if handle == secs(7)
        ));
    }

    #[test]
    fn a_send_that_lost_a_race_is_not_an_error() {
        let (mut r, _) = Run::holding("");
        let acts = r.due(Task::Reply(SESSION));
        let [Act::Request(send)] = acts[..] else {
            panic!("{acts:?}")
        };
        assert!(r.replied(5, send, Err(ErrorCode::SessionEnded)).is_empty());
        let acts = r.replied(5, send, Err(ErrorCode::Internal));
        assert!(matches!(acts[..], [Act::Failed(ErrorCode::Internal)]));
    }
}
