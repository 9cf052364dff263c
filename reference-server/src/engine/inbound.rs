//! Channel ingress: what a provider webhook delivers from an end user (R-CHAN-2, R-SESS-1..5,
//! R-SESS-7, R-SESS-8, R-CHAN-4, R-OUT-3).

use super::assignment::Request;
use super::consent::{self, Keyword};
use super::ctx::Ctx;
use super::errors::{error, invalid};
use super::flows::{Decision, Trigger};
use super::org::Org;
use super::session_flow::Author;
use super::state::{Delivery, Placement, SessionState};
use super::validate;
use crate::faults::Fault;
use omnisim_protocol::limits::{MAX_FIELD_NAME_BYTES, MAX_FIELD_VALUE_BYTES, MAX_PRECHAT_FIELDS};
use omnisim_protocol::{
    ApiError, ChannelId, Consent, EndedBy, Entry, ErrorCode, Event, ExternalId, Handler,
    InboundAccepted, InboundContent, InboundRequest, MessageBody, MessageText, Origin, Platform,
    Seq, SessionId, SessionStatus, UserId,
};
use std::collections::BTreeMap;

/// R-CHAN-4: the answer must name a component sent earlier in the same session, and one of its
/// options or slots.
fn check_component_response(
    session: Option<&SessionState>,
    in_reply_to: Seq,
    answer_id: &str,
) -> Result<(), ApiError> {
    let component = session
        .and_then(|s| s.messages.get((in_reply_to.0 as usize).checked_sub(1)?))
        .and_then(|m| match &m.body {
            MessageBody::Component { component } => Some(component),
            _ => None,
        });
    match component {
        Some(c) if c.answer_ids().any(|id| id == answer_id) => Ok(()),
        Some(_) => Err(error(
            ErrorCode::InvalidComponentResponse,
            format!("'{answer_id}' is not an option of the component at seq {in_reply_to}"),
        )),
        None => Err(error(
            ErrorCode::InvalidComponentResponse,
            format!("no component at seq {in_reply_to} in the user's open session"),
        )),
    }
}

/// R-FLOW-6: at most 32 fields, names of 1 to 64 bytes, values up to 256 bytes.
fn check_prechat(fields: &BTreeMap<String, String>) -> Result<(), ApiError> {
    if fields.len() > MAX_PRECHAT_FIELDS {
        return Err(invalid(format!(
            "fields holds at most {MAX_PRECHAT_FIELDS} entries, not {}",
            fields.len()
        )));
    }
    for (name, value) in fields {
        if name.is_empty() || name.len() > MAX_FIELD_NAME_BYTES {
            return Err(invalid(format!(
                "a field name is 1 to {MAX_FIELD_NAME_BYTES} bytes"
            )));
        }
        if value.len() > MAX_FIELD_VALUE_BYTES {
            return Err(invalid(format!(
                "fields.{name} is at most {MAX_FIELD_VALUE_BYTES} bytes"
            )));
        }
    }
    Ok(())
}

impl Org {
    /// Applies one provider delivery. Validation runs first; a repeat of an accepted
    /// provider_message_id returns the original answer and changes nothing (R-SESS-3).
    pub(crate) fn inbound(
        &mut self,
        ctx: &mut Ctx,
        channel: ChannelId,
        req: InboundRequest,
    ) -> Result<InboundAccepted, ApiError> {
        let ch = self.channel(channel)?;
        validate::name("address", &req.address)?;
        validate::name("provider_message_id", &req.provider_message_id)?;
        let stores_again = self.faults.has(Fault::DuplicateInboundStored);
        if let Some(d) = ch
            .deliveries
            .get(&req.provider_message_id, ctx.now, self.retention)
        {
            if !stores_again {
                return Ok(self.accepted(*d, true));
            }
        }
        let known = self.users.at(ch.info.id, &req.address);
        let (user, open) = (known.map(|u| u.id), known.and_then(|u| u.open_session()));
        match &req.content {
            InboundContent::Text { text } => validate::text("content.text", text)?,
            InboundContent::ComponentResponse {
                in_reply_to,
                answer_id,
            } => {
                if ch.info.platform == Platform::Standard
                    && !self.faults.has(Fault::ComponentsOnStandard)
                {
                    return Err(error(
                        ErrorCode::ComponentsUnsupported,
                        format!("{channel} is a standard channel: it carries no components"),
                    ));
                }
                let session = open.map(|s| &self.sessions[&s]);
                if !self.faults.has(Fault::ComponentResponsesUnchecked) {
                    check_component_response(session, *in_reply_to, answer_id)?;
                }
            }
            InboundContent::End => {
                if open.is_none() {
                    return Err(error(
                        ErrorCode::SessionEnded,
                        format!("{} has no open session to end", req.address),
                    ));
                }
            }
        }

        if let Some(fields) = &req.fields {
            check_prechat(fields)?;
            if !ch.info.kind.takes_prechat_fields()
                && !self.faults.has(Fault::PrechatFieldsAnyChannel)
            {
                return Err(error(
                    ErrorCode::PrechatFieldsUnsupported,
                    format!(
                        "{channel} is a {:?} channel: it has no pre-chat form",
                        ch.info.kind
                    ),
                ));
            }
            if open.is_some() {
                return Err(error(
                    ErrorCode::PrechatFieldsUnsupported,
                    format!(
                        "{} has an open session: pre-chat fields come with its first message only",
                        req.address
                    ),
                ));
            }
        }

        let user = match user {
            Some(u) => u,
            None => self.create_user(ctx, channel, &req.address, Consent::ImplicitlyOptedIn),
        };
        let pmid = req.provider_message_id;
        let delivery = match req.content {
            InboundContent::End => {
                let session = open.expect("checked above");
                self.end_session(ctx, session, EndedBy::EndUser);
                Delivery {
                    user,
                    session,
                    seq: None,
                }
            }
            InboundContent::Text { text } => {
                let opted_out = self.users[user].consent == Consent::OptedOut;
                match consent::keyword(&text) {
                    Some(Keyword::OptOut) if !self.faults.has(Fault::OptOutIgnored) => {
                        self.keyword(ctx, user, open, Keyword::OptOut, text, &pmid)
                    }
                    Some(Keyword::OptIn)
                        if opted_out || self.faults.has(Fault::StartFromAnyone) =>
                    {
                        self.keyword(ctx, user, open, Keyword::OptIn, text, &pmid)
                    }
                    _ => {
                        let body = MessageBody::Text { text };
                        self.customer_message(ctx, user, open, body, &pmid, req.fields)
                    }
                }
            }
            InboundContent::ComponentResponse {
                in_reply_to,
                answer_id,
            } => {
                let body = MessageBody::ComponentResponse {
                    in_reply_to,
                    answer_id,
                };
                self.customer_message(ctx, user, open, body, &pmid, req.fields)
            }
        };
        let ch = self.channels.get_mut(&channel).expect("checked above");
        ch.deliveries
            .insert(pmid, delivery, ctx.now, self.retention);
        Ok(self.accepted(delivery, false))
    }

    fn accepted(&self, d: Delivery, duplicate: bool) -> InboundAccepted {
        InboundAccepted {
            user: d.user,
            conversation_id: self.users[d.user].conversation_id,
            session: d.session,
            seq: d.seq,
            duplicate,
        }
    }

    /// A customer message: opens a session through the channel's entry if none is open, with its
    /// pre-chat fields (R-SESS-1, R-SESS-4, R-FLOW-6), else continues the open one according to
    /// its status.
    fn customer_message(
        &mut self,
        ctx: &mut Ctx,
        user: UserId,
        open: Option<SessionId>,
        body: MessageBody,
        pmid: &ExternalId,
        prechat: Option<BTreeMap<String, String>>,
    ) -> Delivery {
        let u = self.users.get_mut(user).expect("user exists");
        u.wrote_in(ctx.now);
        let channel = u.channel;
        let session = match open {
            Some(s) => s,
            None => {
                let (status, handler) = match self.channels[&channel].info.entry {
                    Entry::Bot(_) => (SessionStatus::Active, Handler::Bot),
                    Entry::Queue(_) | Entry::Flow(_) => (SessionStatus::Waiting, Handler::None),
                };
                let s = self.open_session(ctx, user, Origin::InboundInitiated, status, handler);
                self.session_mut(s).context.fields = prechat.unwrap_or_default();
                s
            }
        };
        let seq = self.push_message(ctx, session, Author::end_user(pmid), body);
        let s = &self.sessions[&session];
        match s.info.status {
            _ if open.is_none() => self.enter(ctx, session),
            SessionStatus::New => match s.initiated_by {
                Some(agent) => {
                    let queue = s.info.queue.expect("agent outbound names a queue");
                    let mut request = Request::new(Placement::queue(queue, Vec::new()));
                    request.preferred = Some(agent);
                    self.request_routing(ctx, session, request);
                }
                None => self.enter(ctx, session),
            },
            SessionStatus::Inactive => self.reopen_inactive(ctx, session),
            SessionStatus::Active if s.bot.is_some() => self.bot_on_message(ctx, session),
            SessionStatus::Active if self.faults.has(Fault::InactivityNotDisarmed) => {}
            SessionStatus::Active => self.disarm_inactivity(ctx, session),
            SessionStatus::Waiting | SessionStatus::Ended => {}
        }
        Delivery {
            user,
            session,
            seq: Some(seq),
        }
    }

    /// Hands a session to its channel's entry: the bot greets, the session waits in the queue, or
    /// the flow decides which (R-SESS-4, R-FLOW-1).
    fn enter(&mut self, ctx: &mut Ctx, session: SessionId) {
        let channel = self.sessions[&session].info.channel;
        let decision = match self.channels[&channel].info.entry {
            Entry::Bot(bot) => Decision::Bot(bot),
            Entry::Queue(queue) => Decision::Wait(Placement::queue(queue, Vec::new())),
            Entry::Flow(flow) => self.run_flow(ctx, session, flow, Trigger::Channel),
        };
        match decision {
            Decision::Bot(bot) => self.start_bot(ctx, session, bot),
            Decision::Wait(placement) => {
                self.request_routing(ctx, session, Request::new(placement))
            }
        }
    }

    /// STOP-like and START keywords: consent changes with one confirmation; the keyword is kept in
    /// the open session's transcript, or in a session that ends at once (R-OUT-3).
    fn keyword(
        &mut self,
        ctx: &mut Ctx,
        user: UserId,
        open: Option<SessionId>,
        keyword: Keyword,
        text: MessageText,
        pmid: &ExternalId,
    ) -> Delivery {
        let u = self.users.get_mut(user).expect("user exists");
        u.wrote_in(ctx.now);
        let was = u.consent;
        let (consent, confirmation) = match keyword {
            Keyword::OptOut => (Consent::OptedOut, consent::OPT_OUT_CONFIRMATION),
            Keyword::OptIn => (Consent::ExplicitlyOptedIn, consent::OPT_IN_CONFIRMATION),
        };
        u.consent = consent;
        let channel = u.channel;
        let session = match open {
            Some(s) => s,
            None => self.open_session(
                ctx,
                user,
                Origin::InboundInitiated,
                SessionStatus::Active,
                Handler::None,
            ),
        };
        let seq = self.push_message(
            ctx,
            session,
            Author::end_user(pmid),
            MessageBody::Text { text },
        );
        if was != consent {
            ctx.emit(Event::ConsentChanged {
                org: self.id,
                channel,
                user,
                consent,
            });
            let body = MessageBody::Text {
                text: MessageText::const_new(confirmation),
            };
            self.push_message(
                ctx,
                session,
                Author::automated(omnisim_protocol::Sender::System),
                body,
            );
        }
        if open.is_none() {
            self.end_session(ctx, session, EndedBy::System);
        }
        Delivery {
            user,
            session,
            seq: Some(seq),
        }
    }
}
