//! What an agent does over its connection: presence, accept, decline, send, transfer, mark
//! inactive, end (R-ROUTE-5..9, R-SESS-7, R-SEC-2).

use super::assignment::Request;
use super::command::Reply;
use super::consent;
use super::ctx::Ctx;
use super::errors::{error, not_found};
use super::org::Org;
use super::outbound::AgentOutbound;
use super::state::{Placement, SessionState};
use super::timers::Timer;
use super::validate;
use omnisim_protocol::{
    AgentId, AgentRequest, ApiError, EndedBy, ErrorCode, Event, ExternalId, FallbackReason,
    Handler, MessageAccepted, OutboundContent, Platform, Presence, RescindReason, SessionId,
    SessionStatus, TransferTarget, WorkId, WorkItem, WorkStatus,
};

impl Org {
    /// Applies one agent request.
    pub(crate) fn agent_request(
        &mut self,
        ctx: &mut Ctx,
        agent: AgentId,
        req: AgentRequest,
    ) -> Result<Reply, ApiError> {
        self.agent(agent)?;
        match req {
            AgentRequest::SetPresence { presence } => {
                self.set_presence(ctx, agent, presence);
                Ok(Reply::Done)
            }
            AgentRequest::Accept { work } => self.accept(ctx, agent, work).map(|_| Reply::Done),
            AgentRequest::Decline { work } => self.decline(ctx, agent, work).map(|_| Reply::Done),
            AgentRequest::Send {
                session,
                client_message_id,
                content,
            } => self
                .send(ctx, agent, session, client_message_id, content)
                .map(Reply::Message),
            AgentRequest::StartOutbound {
                channel,
                address,
                queue,
                client_message_id,
                content,
            } => {
                let req = AgentOutbound {
                    channel,
                    address,
                    queue,
                    client_message_id,
                    content,
                };
                self.start_outbound(ctx, agent, req).map(Reply::Message)
            }
            AgentRequest::Transfer { session, to } => {
                self.transfer(ctx, agent, session, to).map(|_| Reply::Done)
            }
            AgentRequest::MarkInactive { session } => {
                self.mark_inactive(ctx, agent, session).map(|_| Reply::Done)
            }
            AgentRequest::End { session } => {
                self.held_session(agent, session)?;
                self.end_session(ctx, session, EndedBy::Agent);
                Ok(Reply::Done)
            }
        }
    }

    /// Online agents get offers; busy ones keep what they hold; offline hands back unaccepted
    /// offers, which are routed again, while opened work stays (R-ROUTE-7, R-ROUTE-12).
    pub(crate) fn set_presence(&mut self, ctx: &mut Ctx, agent: AgentId, presence: Presence) {
        let was = self.agents[&agent].info.presence;
        if was == presence {
            return;
        }
        self.with_agent(agent, |a| a.info.presence = presence);
        ctx.emit(Event::PresenceChanged {
            org: self.id,
            agent,
            presence,
        });
        if presence == Presence::Offline
            && !self.faults.has(crate::faults::Fault::OfflineKeepsOffers)
        {
            let offered: Vec<WorkItem> = self.agents[&agent]
                .live
                .iter()
                .map(|w| &self.work[w])
                .filter(|w| w.status == WorkStatus::Assigned)
                .cloned()
                .collect();
            for w in offered {
                self.finish_work(ctx, w.id, WorkStatus::Unavailable);
                ctx.emit(Event::OfferRescinded {
                    org: self.id,
                    agent,
                    work: w.id,
                    session: w.session,
                    reason: RescindReason::Unavailable,
                });
                self.return_to_line(ctx, w.session, None, FallbackReason::Offline);
            }
            // Work waiting for this agent alone goes to its fallback queues (R-FLOW-4).
            let direct: Vec<SessionId> =
                self.router.direct_line(agent).map(|k| k.session).collect();
            for session in direct {
                self.fall_back(ctx, session, FallbackReason::Offline);
            }
        }
        if was == Presence::Online {
            self.reroute_declined(ctx);
        }
        if presence == Presence::Online {
            self.fill_agent(ctx, agent);
        }
    }

    /// Work offered to this agent right now: another agent's work is forbidden (R-SEC-2).
    fn offered_work(&self, agent: AgentId, work: WorkId) -> Result<&WorkItem, ApiError> {
        if self.forgotten_work.contains(work) {
            return Err(error(
                ErrorCode::WorkNotOffered,
                format!("{work} belongs to a session forgotten after its retention"),
            ));
        }
        let item = self.work_item(work)?;
        if item.agent != agent {
            return Err(error(
                ErrorCode::Forbidden,
                format!("{work} is not offered to {agent}"),
            ));
        }
        if item.status != WorkStatus::Assigned {
            return Err(error(
                ErrorCode::WorkNotOffered,
                format!("{work} is {:?}, no longer offered", item.status),
            ));
        }
        Ok(item)
    }

    /// The agent takes the offer: work opened, session active (R-SESS-6, R-ROUTE-11).
    fn accept(&mut self, ctx: &mut Ctx, agent: AgentId, work: WorkId) -> Result<(), ApiError> {
        let item = self.offered_work(agent, work)?;
        let (session, queue, assigned_at) = (item.session, item.queue, item.assigned_at);
        ctx.cancel(
            self.push_deadline(queue, assigned_at),
            Timer::PushTimeout(work),
        );
        let item = self.work.get_mut(&work).expect("checked above");
        item.status = WorkStatus::Opened;
        item.accepted_at = Some(ctx.now);
        ctx.emit(Event::WorkChanged { work: item.clone() });
        self.clear_routing(ctx, session);
        let moves = self.faults.has(crate::faults::Fault::AcceptedAtMoves);
        let s = self.session_mut(session);
        if s.info.accepted_at.is_none() || moves {
            s.info.accepted_at = Some(ctx.now);
        }
        let handler = match s.info.handler {
            Handler::BotToAgent => Handler::BotToAgent,
            _ => Handler::Agent,
        };
        self.set_status(ctx, session, SessionStatus::Active, Some(handler));
        Ok(())
    }

    /// The agent turns the offer down: declined, and not offered to this agent again while another
    /// eligible agent exists (R-ROUTE-6).
    fn decline(&mut self, ctx: &mut Ctx, agent: AgentId, work: WorkId) -> Result<(), ApiError> {
        let session = self.offered_work(agent, work)?.session;
        self.finish_work(ctx, work, WorkStatus::Declined);
        self.return_to_line(ctx, session, Some(agent), FallbackReason::Declined);
        self.fill_agent(ctx, agent);
        Ok(())
    }

    /// A session this agent may act on: not ended (R-SESS-5), its live work opened by this agent
    /// (R-SEC-2).
    fn held_session(&self, agent: AgentId, session: SessionId) -> Result<&SessionState, ApiError> {
        let Some(s) = self.sessions.get(&session) else {
            if self.ended.contains_key(&session) || self.forgotten.contains(session) {
                let code = if self.faults.has(crate::faults::Fault::EndedReadsAsForbidden) {
                    ErrorCode::Forbidden
                } else {
                    ErrorCode::SessionEnded
                };
                return Err(error(code, format!("{session} has ended")));
            }
            return Err(not_found(session));
        };
        let opened = s.live_work.is_some_and(|w| {
            let w = &self.work[&w];
            w.agent == agent && w.status == WorkStatus::Opened
        });
        if !opened && !self.faults.has(crate::faults::Fault::AgentSendUnchecked) {
            return Err(error(
                ErrorCode::Forbidden,
                format!("{agent} has not accepted {session}'s work"),
            ));
        }
        Ok(s)
    }

    /// An agent message into a session it holds (R-SESS-2, R-SESS-3, R-OUT-2, R-OUT-4, R-CHAN-3).
    fn send(
        &mut self,
        ctx: &mut Ctx,
        agent: AgentId,
        session: SessionId,
        client_message_id: ExternalId,
        content: OutboundContent,
    ) -> Result<MessageAccepted, ApiError> {
        if let Some(original) = self.repeated_send(ctx.now, agent, &client_message_id)? {
            return Ok(original);
        }
        validate::outbound(&content)?;
        let s = self.held_session(agent, session)?;
        let user = &self.users[s.user];
        consent::check_deliverable(
            ctx.now,
            user,
            &self.channels[&s.info.channel].info,
            &content,
            self.faults,
        )?;
        Ok(self.agent_message(ctx, agent, session, client_message_id, content))
    }

    /// Moves a session to another queue (new work item, context and transcript carried) or back to
    /// a bot; a bot handoff cannot go back to a bot (R-ROUTE-9).
    fn transfer(
        &mut self,
        ctx: &mut Ctx,
        agent: AgentId,
        session: SessionId,
        to: TransferTarget,
    ) -> Result<(), ApiError> {
        let s = self.held_session(agent, session)?;
        match to {
            TransferTarget::Queue(q) => {
                self.queue(q)?;
            }
            TransferTarget::Bot(b) => {
                self.bot(b)?;
                if s.info.handler == Handler::BotToAgent {
                    return Err(error(
                        ErrorCode::TransferToBotRejected,
                        format!("{session} came from a bot handoff; it cannot go back to a bot"),
                    ));
                }
            }
        }
        let (work, from) = (
            s.live_work.expect("held sessions have live work"),
            s.info.queue,
        );
        self.disarm_inactivity(ctx, session);
        self.finish_work(ctx, work, WorkStatus::Transferred);
        match to {
            TransferTarget::Queue(queue) => {
                let lost = self.faults.has(crate::faults::Fault::TransferLosesContext);
                self.session_mut(session).context.transferred_from = from.filter(|_| !lost);
                // The transferring agent is tried last, like a decliner (R-ROUTE-6).
                let last = if self.faults.has(crate::faults::Fault::TransferrerNotLast) {
                    Vec::new()
                } else {
                    vec![agent]
                };
                let mut request = Request::new(Placement::queue(queue, Vec::new()));
                request.declined_by = last;
                self.request_routing(ctx, session, request);
            }
            TransferTarget::Bot(bot) => self.start_bot(ctx, session, bot),
        }
        self.fill_agent(ctx, agent);
        Ok(())
    }

    /// The agent parks the session; enhanced channels only (R-SESS-7).
    fn mark_inactive(
        &mut self,
        ctx: &mut Ctx,
        agent: AgentId,
        session: SessionId,
    ) -> Result<(), ApiError> {
        let s = self.held_session(agent, session)?;
        if self.channels[&s.info.channel].info.platform == Platform::Standard {
            return Err(error(
                ErrorCode::InactiveUnsupported,
                format!("{session} is on a standard channel, which has no inactive status"),
            ));
        }
        self.go_inactive(ctx, session);
        Ok(())
    }
}
