//! A session's life: creation, messages, status changes, inactivity and the end.

use super::assignment::Request;
use super::ctx::Ctx;
use super::org::Org;
use super::state::{EndedSession, Placement, SessionState};
use super::timers::Timer;
use super::users::UserRecord;
use omnisim_protocol::{
    AgentId, ChannelId, ChannelKind, Consent, ConversationId, EndedBy, Event, ExternalId, Handler,
    Message, MessageBody, Origin, RenderedAs, RescindReason, Sender, Seq, Session, SessionId,
    SessionStatus, UserId, WorkStatus,
};
use std::sync::Arc;

/// A new message's author and idempotency keys.
pub struct Author {
    pub sender: Sender,
    pub agent: Option<AgentId>,
    pub provider_message_id: Option<ExternalId>,
    pub client_message_id: Option<ExternalId>,
}

impl Author {
    /// The end user, through a provider delivery.
    pub fn end_user(provider_message_id: &ExternalId) -> Author {
        Author {
            sender: Sender::EndUser,
            agent: None,
            provider_message_id: Some(provider_message_id.clone()),
            client_message_id: None,
        }
    }

    /// An agent, through its client.
    pub fn agent(agent: AgentId, client_message_id: &ExternalId) -> Author {
        Author {
            sender: Sender::Agent,
            agent: Some(agent),
            provider_message_id: None,
            client_message_id: Some(client_message_id.clone()),
        }
    }

    /// The platform or a bot.
    pub fn automated(sender: Sender) -> Author {
        Author {
            sender,
            agent: None,
            provider_message_id: None,
            client_message_id: None,
        }
    }
}

fn session_changed(
    org: omnisim_protocol::OrgId,
    s: &SessionState,
    agent: Option<AgentId>,
) -> Event {
    Event::SessionChanged {
        org,
        channel: s.info.channel,
        user: s.info.user,
        session: s.info.id,
        status: s.info.status,
        handler: s.info.handler,
        agent,
        ended_by: s.info.ended_by,
    }
}

impl Org {
    /// Creates the messaging user for (channel, address) (R-CHAN-2), with its conversation,
    /// keeping the address as the provider sent it.
    pub(crate) fn create_user(
        &mut self,
        ctx: &mut Ctx,
        channel: ChannelId,
        address: &str,
        consent: Consent,
    ) -> UserId {
        let id = UserId(ctx.id());
        let conversation_id = ConversationId(ctx.id());
        debug_assert!(
            self.channels.contains_key(&channel),
            "users are created on existing channels"
        );
        self.users.insert(UserRecord::new(
            id,
            channel,
            address,
            consent,
            conversation_id,
        ));
        id
    }

    /// Opens a session for a user who has none open (R-SESS-1).
    pub(crate) fn open_session(
        &mut self,
        ctx: &mut Ctx,
        user: UserId,
        origin: Origin,
        status: SessionStatus,
        handler: Handler,
    ) -> SessionId {
        let id = SessionId(ctx.id());
        let slot = self
            .users
            .slot(user)
            .expect("sessions open for existing users");
        let u = &mut self.users[slot];
        debug_assert!(
            u.open_session().is_none(),
            "R-SESS-1: one open session per user"
        );
        u.set_open_session(Some(id));
        let s = SessionState {
            user: slot,
            info: Session {
                id,
                org: self.id,
                channel: u.channel,
                user,
                conversation_id: u.conversation_id,
                status,
                origin,
                handler,
                queue: None,
                agent: None,
                started_at: ctx.now,
                accepted_at: None,
                ended_at: None,
                ended_by: None,
                message_count: 0,
            },
            messages: Vec::new(),
            bot: None,
            routing: None,
            live_work: None,
            work_items: Default::default(),
            context: Box::default(),
            initiated_by: None,
            inactivity_at: None,
            ttl_at: None,
        };
        ctx.emit(session_changed(self.id, &s, None));
        self.sessions.insert(id, s);
        self.user_sessions.entry(user).or_default().push(id);
        id
    }

    /// Appends a message at the next seq and delivers it to the channel, the user and the agent
    /// holding the session's live work (R-SESS-2, R-SEC-3). Components go out as text on SMS
    /// (R-CHAN-3).
    pub(crate) fn push_message(
        &mut self,
        ctx: &mut Ctx,
        session: SessionId,
        author: Author,
        body: MessageBody,
    ) -> Seq {
        let seq_gap = self.faults.has(crate::faults::Fault::SeqGap);
        let as_text = !self.faults.has(crate::faults::Fault::SmsStructured);
        let s = self
            .sessions
            .get_mut(&session)
            .expect("messages go to existing sessions");
        let channel = self
            .channels
            .get_mut(&s.info.channel)
            .expect("sessions belong to existing channels");
        let seq = match s.next_seq() {
            Seq(n) if seq_gap && n > 1 => Seq(n + 1),
            seq => seq,
        };
        let channel_seq = channel.log.push(session, seq);
        let (rendered_as, rendered_text) = match &body {
            MessageBody::Component { component }
                if channel.info.kind == ChannelKind::Sms && as_text =>
            {
                (Some(RenderedAs::Text), Some(component.render_text().into()))
            }
            MessageBody::Component { .. } => (Some(RenderedAs::Structured), None),
            _ => (None, None),
        };
        let message = Arc::new(Message {
            session,
            seq,
            channel_seq,
            sender: author.sender,
            agent: author.agent,
            body,
            at: ctx.now,
            rendered_as,
            rendered_text,
            provider_message_id: author.provider_message_id,
            client_message_id: author.client_message_id,
        });
        s.messages.push(message.clone());
        s.info.message_count = seq.0;
        ctx.emit(Event::Message {
            org: self.id,
            channel: s.info.channel,
            user: s.info.user,
            agent: s.info.agent,
            message,
        });
        seq
    }

    /// Sets status (and handler), telling the session's parties if either changed.
    pub(crate) fn set_status(
        &mut self,
        ctx: &mut Ctx,
        session: SessionId,
        status: SessionStatus,
        handler: Option<Handler>,
    ) {
        let org = self.id;
        let s = self.session_mut(session);
        let before = (s.info.status, s.info.handler);
        s.info.status = status;
        if let Some(h) = handler {
            s.info.handler = h;
        }
        if before != (s.info.status, s.info.handler) {
            ctx.emit(session_changed(org, s, s.info.agent));
        }
    }

    /// Ends a session: any routing dropped, live work canceled (offered) or closed (opened), the
    /// capacity routed again. Ended is terminal (R-SESS-5, R-SESS-6, R-SESS-8).
    pub(crate) fn end_session(&mut self, ctx: &mut Ctx, session: SessionId, by: EndedBy) {
        let s = &self.sessions[&session];
        let (agent, live) = (s.info.agent, s.live_work);
        self.clear_routing(ctx, session);
        if let Some(work) = live {
            let keep = self.faults.has(crate::faults::Fault::CancelKeepsOffer);
            if self.work[&work].status == WorkStatus::Assigned && !keep {
                self.finish_work(ctx, work, WorkStatus::Canceled);
                if let Some(agent) = agent {
                    ctx.emit(Event::OfferRescinded {
                        org: self.id,
                        agent,
                        work,
                        session,
                        reason: RescindReason::Canceled,
                    });
                }
            } else {
                self.finish_work(ctx, work, WorkStatus::Closed);
            }
        }
        self.disarm_inactivity(ctx, session);
        let org = self.id;
        let s = self.session_mut(session);
        if let Some(at) = s.ttl_at.take() {
            ctx.cancel(at, Timer::InactiveTtl(session));
        }
        s.bot = None;
        s.info.status = SessionStatus::Ended;
        s.info.ended_at = Some(ctx.now);
        s.info.ended_by = Some(by);
        let user = s.user;
        ctx.emit(session_changed(org, s, agent));
        self.users[user].set_open_session(None);
        if let Some(s) = self.sessions.remove(&session) {
            let archived = EndedSession {
                info: s.info,
                context: s.context,
                work_items: s.work_items.into_iter().collect(),
                messages: s.messages.into_boxed_slice(),
            };
            self.ended.insert(session, Box::new(archived));
            // Forgotten once it has been ended longer than the period: 1 ms past it.
            if let Some(retention) = self.retention {
                let early = u64::from(self.faults.has(crate::faults::Fault::RetentionEarly));
                let at = ctx.now + retention + omnisim_protocol::Millis(1 - early);
                ctx.schedule(at, Timer::Forget(session));
            }
        }
        if let Some(agent) = agent {
            self.fill_agent(ctx, agent);
        }
    }

    /// Restarts the inactivity timeout after an agent message, on channels that have one (R-SESS-7).
    pub(crate) fn arm_inactivity(&mut self, ctx: &mut Ctx, session: SessionId) {
        self.disarm_inactivity(ctx, session);
        let s = self
            .sessions
            .get_mut(&session)
            .expect("armed session exists");
        if let Some(timeout) = self.channels[&s.info.channel].info.inactivity_timeout_ms {
            let early = u64::from(self.faults.has(crate::faults::Fault::InactivityEarly));
            let at = omnisim_protocol::Timestamp((ctx.now + timeout).0 - early);
            s.inactivity_at = Some(at);
            ctx.schedule(at, Timer::Inactivity(session));
        }
    }

    /// Stops the inactivity timeout: the customer replied, or the agent's work ended.
    pub(crate) fn disarm_inactivity(&mut self, ctx: &mut Ctx, session: SessionId) {
        if let Some(at) = self.session_mut(session).inactivity_at.take() {
            ctx.cancel(at, Timer::Inactivity(session));
        }
    }

    /// Parks an agent-handled session: its work closed, the capacity freed and routed, the session
    /// inactive until the customer writes or the TTL ends it (R-SESS-7).
    pub(crate) fn go_inactive(&mut self, ctx: &mut Ctx, session: SessionId) {
        self.disarm_inactivity(ctx, session);
        let s = &self.sessions[&session];
        let ttl = self.channels[&s.info.channel].info.inactive_ttl_ms;
        let agent = s.info.agent;
        if let Some(work) = s.live_work {
            self.finish_work(ctx, work, WorkStatus::Closed);
        }
        let org = self.id;
        let late = u64::from(self.faults.has(crate::faults::Fault::InactiveTtlLate));
        let s = self.session_mut(session);
        s.info.status = SessionStatus::Inactive;
        let at = ctx.now + ttl + omnisim_protocol::Millis(late);
        s.ttl_at = Some(at);
        ctx.schedule(at, Timer::InactiveTtl(session));
        ctx.emit(session_changed(org, s, agent));
        if let Some(agent) = agent {
            self.fill_agent(ctx, agent);
        }
    }

    /// The customer wrote to an inactive session: it waits in the same queue and is routed again
    /// (R-SESS-7); a flow is not run again (R-FLOW-1).
    pub(crate) fn reopen_inactive(&mut self, ctx: &mut Ctx, session: SessionId) {
        let s = self.session_mut(session);
        if let Some(at) = s.ttl_at.take() {
            ctx.cancel(at, Timer::InactiveTtl(session));
        }
        let queue = s
            .info
            .queue
            .expect("an inactive session was routed through a queue");
        // A new request, as a transfer makes one: the queue's own skills only (R-ROUTE-9).
        let placement = Placement::queue(queue, Vec::new());
        self.request_routing(ctx, session, Request::new(placement));
    }
}
