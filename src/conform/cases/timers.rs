//! Timers at their boundaries: each case lets its org's manual clock reach one millisecond before
//! a deadline, checks that nothing happened yet, then the deadline itself, and checks that it
//! happened then and at that time (R-ROUTE-5, R-ROUTE-10, R-SESS-7, R-OUT-4). They need a server
//! that declares manual clocks; a wall clock cannot be stopped at T − 1 ms.

use crate::conform::ctx::*;
use omnisim_protocol::*;
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// How long to watch for an event that must not come: on a manual clock nothing is pending, so a
/// short look is enough.
const QUIET: Duration = Duration::from_millis(200);

/// routing/5.3: an offer stands at push_timeout_ms − 1 and times out at push_timeout_ms exactly.
pub async fn push_timeout_fires_at_its_deadline(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(1000).await?;
    let mut a = ctx.agent("a", 1).await?;
    ctx.say(ch, "+1", "p1", "hello").await?;
    let offer = a.must_offer().await?;
    ctx.elapse(ms(999)).await?;
    let early = ctx.work_item(offer.work.id).await?;
    check(
        "R-ROUTE-5",
        early.status == WorkStatus::Assigned,
        "the offer still assigned 1 ms before the push timeout",
        || format!("{:?}, closed at {:?}", early.status, early.closed_at),
    )?;
    ctx.elapse(ms(1)).await?;
    let due = ctx.work_item(offer.work.id).await?;
    let deadline = offer.work.assigned_at + Millis(1000);
    check(
        "R-ROUTE-5",
        due.status == WorkStatus::DeclinedOnPushTimeout && due.closed_at == Some(deadline),
        format!("declined_on_push_timeout, closed at {deadline}"),
        || format!("{:?}, closed at {:?}", due.status, due.closed_at),
    )
}

/// routing/10.2: work needing an additional skill is not offered to an agent without it 1 ms
/// before the drop, and is offered at the drop exactly.
pub async fn additional_skills_drop_at_their_deadline(mut ctx: Ctx) -> CaseResult {
    let ch = super::routing::vip_channel(&mut ctx, 1000).await?;
    let mut plain = ctx.agent("plain", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?;
    ctx.elapse(ms(999)).await?;
    let early = plain.offer(QUIET).await?;
    check(
        "R-ROUTE-10",
        early.is_none(),
        "no offer to an agent without the skill 1 ms before the drop",
        || "offered early".into(),
    )?;
    ctx.elapse(ms(1)).await?;
    let due = plain.offer(PROMPT).await?;
    check(
        "R-ROUTE-10",
        due.as_ref().is_some_and(|o| {
            o.session.id == s.session && o.work.assigned_at == o.work.requested_at + Millis(1000)
        }),
        "offered at requested_at + drop_additional_skills_after_ms exactly",
        || {
            format!(
                "{:?}",
                due.map(|o| (o.work.requested_at, o.work.assigned_at))
            )
        },
    )
}

/// An enhanced web channel whose sessions wait in a fresh queue, with these inactivity settings.
pub(super) async fn inactivity_channel(
    ctx: &mut Ctx,
    timeout_ms: Option<u64>,
    ttl_ms: u64,
) -> Result<ChannelId, Problem> {
    let q = ctx.queue("q", 60_000).await?;
    let mut spec = plain_channel(ChannelKind::Web, Platform::Enhanced, Entry::Queue(q));
    spec.inactivity_timeout_ms = timeout_ms.map(Millis);
    spec.inactive_ttl_ms = Some(Millis(ttl_ms));
    Ok(ctx.channel_spec(spec).await?.id)
}

/// An agent holding an accepted session of `ch` from `+1`, after sending it one message.
pub(super) async fn held_and_answered(
    ctx: &mut Ctx,
    ch: ChannelId,
) -> Result<(AgentConn, SessionId), Problem> {
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?.session;
    a.take_offer().await?;
    a.send_text(s, "c1", "How can I help?").await?;
    Ok((a, s))
}

/// sessions/7.2: a session the customer has not answered is active 1 ms before the inactivity
/// timeout and inactive at it, its work closed then.
pub async fn inactivity_fires_at_its_timeout(mut ctx: Ctx) -> CaseResult {
    let ch = inactivity_channel(&mut ctx, Some(1000), 60_000).await?;
    let (_a, s) = held_and_answered(&mut ctx, ch).await?;
    ctx.elapse(ms(999)).await?;
    let early = ctx.transcript(s).await?.session;
    check(
        "R-SESS-7",
        early.status == SessionStatus::Active,
        "active 1 ms before the inactivity timeout",
        || format!("{:?}", early.status),
    )?;
    ctx.elapse(ms(1)).await?;
    let due = ctx.transcript(s).await?.session;
    let work = ctx.work(s).await?;
    let closed = work.last().and_then(|w| w.closed_at);
    let deadline = due.accepted_at.map(|t| t + Millis(1000));
    check(
        "R-SESS-7",
        due.status == SessionStatus::Inactive && closed.is_some() && closed == deadline,
        "inactive at the timeout, its work closed then",
        || format!("{:?}, work closed at {closed:?}", due.status),
    )
}

/// sessions/7.4: an inactive session is still inactive 1 ms before its TTL and ended by the
/// system at it.
pub async fn inactive_ttl_ends_at_its_deadline(mut ctx: Ctx) -> CaseResult {
    let ch = inactivity_channel(&mut ctx, None, 2000).await?;
    let (mut a, s) = held_and_answered(&mut ctx, ch).await?;
    a.must("mark_inactive", AgentRequest::MarkInactive { session: s })
        .await?;
    ctx.elapse(ms(1999)).await?;
    let early = ctx.transcript(s).await?.session;
    check(
        "R-SESS-7",
        early.status == SessionStatus::Inactive,
        "inactive 1 ms before the TTL",
        || format!("{:?}", early.status),
    )?;
    ctx.elapse(ms(1)).await?;
    let due = ctx.transcript(s).await?.session;
    let deadline = due.accepted_at.map(|t| t + Millis(2000));
    check(
        "R-SESS-7",
        due.status == SessionStatus::Ended
            && due.ended_by == Some(EndedBy::System)
            && due.ended_at == deadline,
        format!("ended by the system at {deadline:?}"),
        || {
            format!(
                "{:?} by {:?} at {:?}",
                due.status, due.ended_by, due.ended_at
            )
        },
    )
}

/// outbound/4.3: a free-form message exactly service_window_ms after the user's last inbound is
/// inside the window; 1 ms later it is refused, and a template still goes.
pub async fn service_window_boundary_is_inclusive(mut ctx: Ctx) -> CaseResult {
    let ch = super::outbound::window_channel(&mut ctx, 1000).await?;
    for who in ["+1", "+2"] {
        ctx.say(ch.id, who, &format!("{who}-hi"), "hello").await?;
        let (_, ended) = ctx
            .inbound(ch.id, who, &format!("{who}-end"), InboundContent::End)
            .await?;
        ended.map_err(|e| error(format!("ending refused: {e}")))?;
    }
    let path = format!("/channels/{}/outbound", ch.id.0);
    let send = async |ctx: &mut Ctx, to: &str, content: OutboundContent| {
        let req = TriggeredOutboundRequest {
            address: to.into(),
            content,
        };
        let (status, reply) = ctx
            .call::<MessageAccepted>(http::Method::POST, &path, Some(&req))
            .await?;
        Ok::<_, Problem>((status, reply.err().map(|e| e.code)))
    };
    let text = || OutboundContent::Text {
        text: "still there?".into(),
    };
    ctx.elapse(ms(1000)).await?;
    let at_t = send(&mut ctx, "+1", text()).await?;
    check(
        "R-OUT-4",
        at_t == (201, None),
        "201: exactly service_window_ms after is still inside",
        || format!("{at_t:?}"),
    )?;
    ctx.elapse(ms(1)).await?;
    let after = send(&mut ctx, "+2", text()).await?;
    check(
        "R-OUT-4",
        after == (409, Some(ErrorCode::OutsideServiceWindow)),
        "409 outside_service_window 1 ms later",
        || format!("{after:?}"),
    )?;
    let template = OutboundContent::Template {
        name: "follow_up".into(),
        text: "We are here when you need us".into(),
    };
    let templated = send(&mut ctx, "+2", template).await?;
    check(
        "R-OUT-4",
        templated == (201, None),
        "201: a template outside the window",
        || format!("{templated:?}"),
    )
}

/// routing/11.2: a session whose offers keep timing out keeps only its last 100 work items, the
/// live one among them: its history costs bounded memory however short the push timeout.
pub async fn a_sessions_work_history_is_bounded(mut ctx: Ctx) -> CaseResult {
    // 2 ms: 150 timeouts in 300 ms, and each one moves the org's clock on.
    let ch = ctx.queue_channel(2).await?;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?.session;
    a.must_offer().await?;
    ctx.elapse(ms(300)).await?;
    let work = ctx.work(s).await?;
    let limit = omnisim_protocol::limits::MAX_WORK_ITEMS_PER_SESSION;
    let live = work.iter().filter(|w| w.status.is_live()).count();
    check(
        "R-ROUTE-11",
        work.len() == limit && live == 1 && work.last().is_some_and(|w| w.status.is_live()),
        format!("the last {limit} work items, the newest live"),
        || format!("{} items, {live} live", work.len()),
    )
}

/// The retention period the target declares (R-SESS-10).
async fn retention(ctx: &mut Ctx) -> Result<Millis, Problem> {
    let caps: Capabilities = ctx
        .client
        .get("", "/v1/capabilities")
        .await
        .map_err(|e| error(format!("/v1/capabilities: {e}")))?;
    caps.retention_ms
        .ok_or_else(|| error("the server declares no retention_ms"))
}

/// sessions/10.1: an ended session is kept while it has been ended no longer than the retention
/// period and answers 410 session_expired 1 ms later; its user and conversation stay.
pub async fn an_ended_session_is_forgotten_after_its_retention(mut ctx: Ctx) -> CaseResult {
    let period = retention(&mut ctx).await?;
    let ch = ctx.queue_channel(60_000).await?;
    let first = ctx.say(ch, "+1", "p1", "hello").await?;
    match ctx.inbound(ch, "+1", "p2", InboundContent::End).await? {
        (200, Ok(_)) => {}
        (status, other) => return Err(error(format!("ending: {status} {other:?}"))),
    }
    ctx.elapse(ms(period.0)).await?;
    let rest = format!("/sessions/{}", first.session.0);
    let (kept, _) = ctx
        .call::<SessionTranscript>(http::Method::GET, &rest, None::<&()>)
        .await?;
    check(
        "R-SESS-10",
        kept == 200,
        "ended exactly the retention period: still read back",
        || format!("{kept}"),
    )?;
    ctx.elapse(ms(1)).await?;
    for path in [
        rest.clone(),
        format!("{rest}/work"),
        format!("{rest}/messages?after=0"),
    ] {
        let (status, reply) = ctx
            .call::<serde_json::Value>(http::Method::GET, &path, None::<&()>)
            .await?;
        let code = reply.err().map(|e| e.code);
        check(
            "R-SESS-10",
            status == 410 && code == Some(ErrorCode::SessionExpired),
            format!("GET {path} 1 ms past the period: 410 session_expired"),
            || format!("{status} {code:?}"),
        )?;
    }
    let next = ctx.say(ch, "+1", "p3", "back").await?;
    check(
        "R-SESS-10",
        next.conversation_id == first.conversation_id && next.user == first.user,
        "the user and its conversation stay",
        || {
            format!(
                "{:?} / {:?}",
                (next.user, next.conversation_id),
                (first.user, first.conversation_id)
            )
        },
    )
}

/// sessions/10.2: a provider message id repeated within the retention period is a retry; repeated
/// once the message is older than the period, it is a new message.
pub async fn a_provider_id_is_forgotten_after_its_retention(mut ctx: Ctx) -> CaseResult {
    let period = retention(&mut ctx).await?;
    let ch = ctx.queue_channel(60_000).await?;
    let first = ctx.say(ch, "+1", "p1", "hello").await?;
    ctx.elapse(ms(period.0)).await?;
    let retry = ctx.say(ch, "+1", "p1", "hello").await?;
    check(
        "R-SESS-3",
        retry.duplicate && retry.seq == first.seq,
        "as old as the period: still a retry, the original seq",
        || format!("duplicate {} seq {:?}", retry.duplicate, retry.seq),
    )?;
    ctx.elapse(ms(1)).await?;
    let again = ctx.say(ch, "+1", "p1", "hello").await?;
    check(
        "R-SESS-10",
        !again.duplicate && again.seq != first.seq,
        "older than the period: a new message",
        || format!("duplicate {} seq {:?}", again.duplicate, again.seq),
    )
}
