//! Consent and outbound: R-OUT-2, R-OUT-3.

use crate::conform::ctx::*;
use http::Method;
use omnisim_protocol::*;

async fn send(
    ctx: &mut Ctx,
    channel: ChannelId,
    address: &str,
) -> Result<(u16, Option<ErrorCode>), Problem> {
    let req = TriggeredOutboundRequest {
        address: address.into(),
        content: OutboundContent::Template {
            name: "hello".into(),
            text: "Hello from Acme".into(),
        },
    };
    let (status, reply) = ctx
        .call::<MessageAccepted>(
            Method::POST,
            &format!("/channels/{}/outbound", channel.0),
            Some(&req),
        )
        .await?;
    Ok((status, reply.err().map(|e| e.code)))
}

/// A WhatsApp channel with a service window of `window_ms`, entering a queue.
pub(super) async fn window_channel(ctx: &mut Ctx, window_ms: u64) -> Result<Channel, Problem> {
    let q = ctx.queue("q", 30_000).await?;
    let created = ctx
        .channel(ChannelKind::Whatsapp, Platform::Enhanced, Entry::Queue(q))
        .await?;
    let update = ChannelUpdate {
        service_window_ms: Some(Millis(window_ms)),
        ..Default::default()
    };
    ctx.ok(
        Method::PATCH,
        &format!("/channels/{}", created.id.0),
        Some(&update),
    )
    .await
}

/// outbound/2.1: on an explicit-consent channel, outbound needs explicit consent on record.
pub async fn outbound_needs_consent(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 30_000).await?;
    let created = ctx
        .channel(ChannelKind::Whatsapp, Platform::Enhanced, Entry::Queue(q))
        .await?;
    let update = ChannelUpdate {
        consent_level: Some(ConsentLevel::Explicit),
        ..Default::default()
    };
    let updated: Channel = ctx
        .ok(
            Method::PATCH,
            &format!("/channels/{}", created.id.0),
            Some(&update),
        )
        .await?;
    let ch = updated.id;
    // The user writes in and leaves, so that only consent stands between it and outbound.
    ctx.say(ch, "+1", "p1", "hi").await?;
    let (_, ended) = ctx.inbound(ch, "+1", "p2", InboundContent::End).await?;
    ended.map_err(|e| error(format!("ending refused: {e}")))?;
    let (status, code) = send(&mut ctx, ch, "+1").await?;
    check(
        "R-OUT-2",
        status == 403 && code == Some(ErrorCode::ConsentRequired),
        "403 consent_required without explicit consent",
        || format!("{status} {code:?}"),
    )?;
    ctx.consent(ch, "+1", Consent::ExplicitlyOptedIn).await?;
    let (status, code) = send(&mut ctx, ch, "+1").await?;
    check(
        "R-OUT-2",
        (200..300).contains(&status),
        "accepted with explicit consent",
        || format!("{status} {code:?}"),
    )
}

/// outbound/3.1: STOP opts the user out with one confirmation; outbound is then refused;
/// START restores explicit consent.
pub async fn stop_opts_out_and_start_opts_back_in(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 30_000).await?;
    let ch = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q))
        .await?
        .id;
    let s = ctx.say(ch, "+1", "p1", "stop").await?;
    let user = ctx.user(ch, "+1").await?;
    check(
        "R-OUT-3",
        user.consent == Consent::OptedOut,
        "consent opted_out after STOP",
        || format!("{:?}", user.consent),
    )?;
    let t = ctx.transcript(s.session).await?;
    let confirmations = t
        .messages
        .iter()
        .filter(|m| matches!(m.sender, Sender::System | Sender::Bot | Sender::Agent))
        .count();
    check(
        "R-OUT-3",
        confirmations == 1,
        "exactly one confirmation",
        || format!("{confirmations} replies: {:?}", t.messages),
    )?;
    let (status, code) = send(&mut ctx, ch, "+1").await?;
    check(
        "R-OUT-2",
        status == 403 && code == Some(ErrorCode::ConsentRequired),
        "outbound to an opted-out user refused with 403 consent_required",
        || format!("{status} {code:?}"),
    )?;
    ctx.say(ch, "+1", "p2", "START").await?;
    let user = ctx.user(ch, "+1").await?;
    check(
        "R-OUT-3",
        user.consent == Consent::ExplicitlyOptedIn,
        "START restores explicitly_opted_in",
        || format!("{:?}", user.consent),
    )
}

/// outbound/1.1: an agent's outbound opens a `new` agent_initiated session holding no capacity;
/// the reply offers it to that agent first.
pub async fn agent_outbound_waits_for_the_reply(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let ch = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q))
        .await?
        .id;
    ctx.consent(ch, "+1", Consent::ExplicitlyOptedIn).await?;
    let mut a = ctx.agent("a", 1).await?;
    let reply = a
        .must(
            "start_outbound",
            AgentRequest::StartOutbound {
                channel: ch,
                address: "+1".into(),
                queue: q,
                client_message_id: "o-1".into(),
                content: OutboundContent::Template {
                    name: "shipped".into(),
                    text: "Your order shipped".into(),
                },
            },
        )
        .await?;
    let session = reply
        .message
        .map(|m| m.session)
        .ok_or_else(|| error("start_outbound replied without a message"))?;
    let t = ctx.transcript(session).await?.session;
    check(
        "R-OUT-1",
        t.status == SessionStatus::New && t.origin == Origin::AgentInitiated,
        "status new, origin agent_initiated",
        || format!("{:?}, {:?}", t.status, t.origin),
    )?;
    // The agent has capacity 1: an offer of another customer proves the outbound holds none.
    let other = ctx.say(ch, "+2", "p1", "hello").await?;
    let o = a.offer(PROMPT).await?;
    check(
        "R-OUT-1",
        o.as_ref().is_some_and(|o| o.session.id == other.session),
        "the initiating agent still free for other work",
        || "no offer".into(),
    )?;
    if let Some(o) = o {
        a.must("accept", AgentRequest::Accept { work: o.work.id })
            .await?;
        a.must(
            "end",
            AgentRequest::End {
                session: other.session,
            },
        )
        .await?;
    }
    let mut b = ctx.agent("b", 1).await?;
    ctx.say(ch, "+1", "r1", "thanks!").await?;
    let back = a.offer(PROMPT).await?;
    let to_b = b.offer(std::time::Duration::from_millis(200)).await?;
    check(
        "R-OUT-1",
        back.is_some_and(|o| o.session.id == session) && to_b.is_none(),
        "the reply offered to the initiating agent first",
        || format!("offered to b: {:?}", to_b.map(|o| o.session.id)),
    )
}

/// outbound/4.1: with a service window, free-form outbound to a user who never wrote in is 409
/// outside_service_window; a template is allowed.
pub async fn service_window_limits_free_form(mut ctx: Ctx) -> CaseResult {
    let ch = window_channel(&mut ctx, 60_000).await?;
    ctx.consent(ch.id, "+9", Consent::ExplicitlyOptedIn).await?;
    let free_form = TriggeredOutboundRequest {
        address: "+9".into(),
        content: OutboundContent::Text { text: "hi".into() },
    };
    let (status, reply) = ctx
        .call::<MessageAccepted>(
            Method::POST,
            &format!("/channels/{}/outbound", ch.id.0),
            Some(&free_form),
        )
        .await?;
    let code = reply.err().map(|e| e.code);
    check(
        "R-OUT-4",
        status == 409 && code == Some(ErrorCode::OutsideServiceWindow),
        "409 outside_service_window for free-form to a user who never wrote in",
        || format!("{status} {code:?}"),
    )?;
    let (status, code) = send(&mut ctx, ch.id, "+9").await?;
    check(
        "R-OUT-4",
        (200..300).contains(&status),
        "a template accepted",
        || format!("{status} {code:?}"),
    )
}

/// outbound/5.1: an agent's outbound to a user whose session another agent holds is 409
/// session_owned_by_other_agent.
pub async fn outbound_to_another_agents_customer_is_refused(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let ch = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q))
        .await?
        .id;
    let mut a = ctx.agent("a", 1).await?;
    ctx.say(ch, "+1", "p1", "hello").await?;
    let o = a.must_offer().await?;
    a.must("accept", AgentRequest::Accept { work: o.work.id })
        .await?;
    let mut b = ctx.agent("b", 1).await?;
    let reply = b
        .request(AgentRequest::StartOutbound {
            channel: ch,
            address: "+1".into(),
            queue: q,
            client_message_id: "b-1".into(),
            content: OutboundContent::Text {
                text: "Hi from b".into(),
            },
        })
        .await?;
    let code = reply.err().map(|e| e.code);
    check(
        "R-OUT-5",
        code == Some(ErrorCode::SessionOwnedByOtherAgent),
        "409 session_owned_by_other_agent",
        || format!("{code:?}"),
    )
}

/// outbound/4.2: a free-form message well inside the service window since the user's last
/// inbound is accepted; well after it, refused with 409 outside_service_window.
pub async fn service_window_inside_and_outside(mut ctx: Ctx) -> CaseResult {
    let ch = window_channel(&mut ctx, 800).await?;
    ctx.say(ch.id, "+1", "p1", "hi").await?;
    let (_, ended) = ctx.inbound(ch.id, "+1", "p2", InboundContent::End).await?;
    ended.map_err(|e| error(format!("ending refused: {e}")))?;
    let free_form = TriggeredOutboundRequest {
        address: "+1".into(),
        content: OutboundContent::Text {
            text: "still there?".into(),
        },
    };
    let path = format!("/channels/{}/outbound", ch.id.0);
    let (status, reply) = ctx
        .call::<MessageAccepted>(Method::POST, &path, Some(&free_form))
        .await?;
    check(
        "R-OUT-4",
        (200..300).contains(&status),
        "accepted inside the window",
        || format!("{status} {:?}", reply.err()),
    )?;
    // The reply opened a session; end it so the next attempt is only about the window.
    let (_, ended) = ctx.inbound(ch.id, "+1", "p3", InboundContent::End).await?;
    ended.map_err(|e| error(format!("ending the outbound session refused: {e}")))?;
    ctx.elapse(std::time::Duration::from_millis(1500)).await?;
    let free_form = TriggeredOutboundRequest {
        address: "+1".into(),
        content: OutboundContent::Text {
            text: "hello again".into(),
        },
    };
    let (status, reply) = ctx
        .call::<MessageAccepted>(Method::POST, &path, Some(&free_form))
        .await?;
    let code = reply.err().map(|e| e.code);
    check(
        "R-OUT-4",
        status == 409 && code == Some(ErrorCode::OutsideServiceWindow),
        "409 outside_service_window well after the window",
        || format!("{status} {code:?}"),
    )
}

/// One agent holding the sessions of `+1` and then `+2` on `ch`, `between` passing between
/// their first messages; the agent and the two sessions.
async fn two_users_held(
    ctx: &mut Ctx,
    ch: ChannelId,
    between: Option<std::time::Duration>,
) -> Result<(AgentConn, SessionId, SessionId), Problem> {
    let mut a = ctx.agent("a", 2).await?;
    let first = ctx.say(ch, "+1", "p1", "hello").await?.session;
    a.take_offer().await?;
    if let Some(span) = between {
        ctx.elapse(span).await?;
    }
    let second = ctx.say(ch, "+2", "p2", "hello").await?.session;
    a.take_offer().await?;
    Ok((a, first, second))
}

/// What the agent's free-form message into `session` came to: none, or the error's code.
async fn agent_text(
    a: &mut AgentConn,
    session: SessionId,
    id: &str,
) -> Result<Option<ErrorCode>, Problem> {
    let send = AgentRequest::Send {
        session,
        client_message_id: id.into(),
        content: OutboundContent::Text {
            text: "still there?".into(),
        },
    };
    Ok(a.request(send).await?.err().map(|e| e.code))
}

/// outbound/2.2: consent is each user's own. One agent holds the sessions of two users of one
/// channel; once the first (the older) opted out, the agent's message into its session is 403
/// consent_required, and into the other user's session accepted.
pub async fn consent_is_each_users_own(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let ch = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q))
        .await?
        .id;
    let (mut a, first, second) = two_users_held(&mut ctx, ch, None).await?;
    ctx.consent(ch, "+1", Consent::OptedOut).await?;
    let code = agent_text(&mut a, first, "c1").await?;
    check(
        "R-OUT-2",
        code == Some(ErrorCode::ConsentRequired),
        "consent_required for the user who opted out",
        || format!("{code:?}"),
    )?;
    let code = agent_text(&mut a, second, "c2").await?;
    check(
        "R-OUT-2",
        code.is_none(),
        "accepted for the other user, who did not",
        || format!("{code:?}"),
    )
}

/// outbound/4.4: the service window is each user's own. One agent holds the sessions of two
/// users of one channel, the second written well after the first's window closed: the agent's
/// free-form message to the first is 409 outside_service_window, to the second accepted.
pub async fn service_window_is_each_users_own(mut ctx: Ctx) -> CaseResult {
    let ch = window_channel(&mut ctx, 800).await?;
    let later = Some(std::time::Duration::from_millis(1500));
    let (mut a, first, second) = two_users_held(&mut ctx, ch.id, later).await?;
    let code = agent_text(&mut a, first, "c1").await?;
    check(
        "R-OUT-4",
        code == Some(ErrorCode::OutsideServiceWindow),
        "outside_service_window for the user whose window closed",
        || format!("{code:?}"),
    )?;
    let code = agent_text(&mut a, second, "c2").await?;
    check(
        "R-OUT-4",
        code.is_none(),
        "accepted for the user who just wrote",
        || format!("{code:?}"),
    )
}

/// outbound/3.2: START from a user who never opted out is an ordinary message: stored as the
/// customer's, routed, no confirmation, consent unchanged.
pub async fn start_from_a_subscribed_user_is_an_ordinary_message(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(30_000).await?;
    ctx.say(ch, "+1", "p1", "hello").await?;
    let s = ctx.say(ch, "+1", "p2", " start ").await?;
    let user = ctx.user(ch, "+1").await?;
    check(
        "R-OUT-3",
        user.consent == Consent::ImplicitlyOptedIn,
        "consent still implicitly_opted_in",
        || format!("{:?}", user.consent),
    )?;
    let t = ctx.transcript(s.session).await?;
    let senders: Vec<Sender> = t.messages.iter().map(|m| m.sender).collect();
    check(
        "R-OUT-3",
        senders == [Sender::EndUser, Sender::EndUser] && t.session.status == SessionStatus::Waiting,
        "two customer messages in the waiting session, no confirmation",
        || format!("{senders:?} in a {:?} session", t.session.status),
    )
}

/// outbound/5.2: a triggered outbound to a user with an open session of any kind is 409
/// session_in_progress, and nothing is added to that session.
pub async fn triggered_outbound_to_an_open_session_is_refused(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(30_000).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?.session;
    let (status, code) = send(&mut ctx, ch, "+1").await?;
    check(
        "R-OUT-5",
        status == 409 && code == Some(ErrorCode::SessionInProgress),
        "409 session_in_progress",
        || format!("{status} {code:?}"),
    )?;
    let stored = ctx.transcript(s).await?.messages.len();
    check(
        "R-OUT-5",
        stored == 1,
        "nothing added to the open session",
        || format!("{stored} messages"),
    )
}
