//! Messages the org starts: consent records, triggered outbound and agent-initiated outbound
//! (R-OUT-1..5).

use super::consent;
use super::ctx::Ctx;
use super::errors::error;
use super::org::Org;
use super::session_flow::Author;
use super::users::UserRecord;
use super::validate;
use omnisim_protocol::{
    AgentId, ApiError, ChannelId, ConsentRequest, ErrorCode, Event, ExternalId, Handler,
    MessageAccepted, MessagingUser, Origin, OutboundContent, QueueId, Sender, SessionId,
    SessionStatus, Timestamp, TriggeredOutboundRequest, UserId,
};

/// The fields of an agent's `start_outbound` request.
pub(crate) struct AgentOutbound {
    pub channel: ChannelId,
    pub address: String,
    pub queue: QueueId,
    pub client_message_id: ExternalId,
    pub content: OutboundContent,
}

impl Org {
    /// Records consent gathered elsewhere, creating the user if needed (R-OUT-2).
    pub(crate) fn set_consent(
        &mut self,
        ctx: &mut Ctx,
        channel: ChannelId,
        req: ConsentRequest,
    ) -> Result<MessagingUser, ApiError> {
        let ch = self.channel(channel)?;
        validate::name("address", &req.address)?;
        let user = match self.users.at(ch.info.id, &req.address).map(|u| u.id) {
            Some(u) => u,
            None => self.create_user(ctx, channel, &req.address, req.consent),
        };
        let u = self.users.get_mut(user).expect("user exists");
        u.consent = req.consent;
        ctx.emit(Event::ConsentChanged {
            org: self.id,
            channel,
            user,
            consent: req.consent,
        });
        Ok(u.read(self.id))
    }

    /// The user an outbound message goes to, if outbound is allowed at all: a known address with
    /// consent at the channel's level, the content deliverable now (R-OUT-2, R-OUT-4, R-CHAN-3).
    fn outbound_target(
        &self,
        now: omnisim_protocol::Timestamp,
        channel: ChannelId,
        address: &str,
        content: &OutboundContent,
    ) -> Result<&UserRecord, ApiError> {
        validate::name("address", address)?;
        validate::outbound(content)?;
        let ch = self.channel(channel)?;
        let user = self.users.at(channel, address).ok_or_else(|| {
            error(
                ErrorCode::ConsentRequired,
                format!("no consent on record for '{address}' on {channel}"),
            )
        })?;
        consent::check_outbound_consent(user, &ch.info, self.faults)?;
        consent::check_deliverable(now, user, &ch.info, content, self.faults)?;
        Ok(user)
    }

    /// An org-triggered message: a new session (origin triggered_outbound, status new) whose reply
    /// enters through the channel's entry like any inbound.
    pub(crate) fn triggered_outbound(
        &mut self,
        ctx: &mut Ctx,
        channel: ChannelId,
        req: TriggeredOutboundRequest,
    ) -> Result<MessageAccepted, ApiError> {
        let user = self.outbound_target(ctx.now, channel, &req.address, &req.content)?;
        if let Some(open) = user.open_session() {
            return Err(error(
                ErrorCode::SessionInProgress,
                format!("{} already has open {open}", user.id),
            ));
        }
        let user = user.id;
        let session = self.open_session(
            ctx,
            user,
            Origin::TriggeredOutbound,
            SessionStatus::New,
            Handler::None,
        );
        let body = consent::body(req.content);
        let seq = self.push_message(ctx, session, Author::automated(Sender::System), body);
        Ok(MessageAccepted {
            session,
            seq,
            duplicate: false,
        })
    }

    /// An agent messages a user first (R-OUT-1): a new session that holds no capacity until the
    /// customer replies, or the next message of a session the agent already owns. A session owned
    /// by another agent is off limits (R-OUT-5).
    pub(crate) fn start_outbound(
        &mut self,
        ctx: &mut Ctx,
        agent: AgentId,
        req: AgentOutbound,
    ) -> Result<MessageAccepted, ApiError> {
        let AgentOutbound {
            channel,
            address,
            queue,
            client_message_id,
            content,
        } = req;
        if let Some(original) = self.repeated_send(ctx.now, agent, &client_message_id)? {
            return Ok(original);
        }
        self.queue(queue)?;
        let user = self.outbound_target(ctx.now, channel, &address, &content)?;
        let existing = match user.open_session() {
            None => None,
            Some(open) => match self.sessions[&open].owner() {
                Some(owner) if owner == agent => Some(open),
                Some(owner) => {
                    return Err(error(
                        ErrorCode::SessionOwnedByOtherAgent,
                        format!("{} has open {open}, owned by {owner}", user.id),
                    ));
                }
                None => {
                    return Err(error(
                        ErrorCode::SessionInProgress,
                        format!("{} has open {open}, handled by a bot or waiting", user.id),
                    ));
                }
            },
        };
        let user: UserId = user.id;
        let session: SessionId = match existing {
            Some(s) => s,
            None => {
                let s = self.open_session(
                    ctx,
                    user,
                    Origin::AgentInitiated,
                    SessionStatus::New,
                    Handler::Agent,
                );
                let state = self.session_mut(s);
                state.initiated_by = Some(agent);
                state.info.queue = Some(queue);
                s
            }
        };
        Ok(self.agent_message(ctx, agent, session, client_message_id, content))
    }

    /// The original reply to an agent message whose client_message_id this agent already used
    /// (R-SESS-3).
    pub(crate) fn repeated_send(
        &self,
        now: Timestamp,
        agent: AgentId,
        client_message_id: &str,
    ) -> Result<Option<MessageAccepted>, ApiError> {
        validate::name("client_message_id", client_message_id)?;
        if self.faults.has(crate::faults::Fault::DuplicateSendStored) {
            return Ok(None);
        }
        Ok(self
            .agent(agent)?
            .sent
            .get(client_message_id, now, self.retention)
            .map(|original| MessageAccepted {
                duplicate: true,
                ..*original
            }))
    }

    /// Stores an agent message that passed every check, restarts the inactivity timeout while the
    /// agent holds the session's work (R-SESS-7), and remembers the client id (R-SESS-3).
    pub(crate) fn agent_message(
        &mut self,
        ctx: &mut Ctx,
        agent: AgentId,
        session: SessionId,
        client_message_id: ExternalId,
        content: OutboundContent,
    ) -> MessageAccepted {
        let author = Author::agent(agent, &client_message_id);
        let seq = self.push_message(ctx, session, author, consent::body(content));
        if self.sessions[&session].live_work.is_some() {
            self.arm_inactivity(ctx, session);
        }
        let accepted = MessageAccepted {
            session,
            seq,
            duplicate: false,
        };
        let (now, retention) = (ctx.now, self.retention);
        self.with_agent(agent, |a| {
            a.sent.insert(client_message_id, accepted, now, retention)
        });
        accepted
    }
}
