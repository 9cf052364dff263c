//! Sessions and messages: R-SESS-1, R-SESS-2, R-SESS-3, R-SESS-5.

use crate::conform::ctx::*;
use omnisim_protocol::*;

async fn queue_channel(ctx: &mut Ctx) -> Result<ChannelId, Problem> {
    let q = ctx.queue("q", 30_000).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?;
    Ok(ch.id)
}

/// sessions/1.1: the first inbound opens a session (inbound_initiated), the next appends to it.
pub async fn inbound_opens_then_appends(mut ctx: Ctx) -> CaseResult {
    let ch = queue_channel(&mut ctx).await?;
    let a = ctx.say(ch, "+1555", "p1", "hello").await?;
    let b = ctx.say(ch, "+1555", "p2", "again").await?;
    check(
        "R-SESS-1",
        a.session == b.session,
        "the second inbound in the open session",
        || format!("{} then {}", a.session, b.session),
    )?;
    let t = ctx.transcript(a.session).await?;
    check(
        "R-SESS-1",
        t.session.origin == Origin::InboundInitiated,
        "origin inbound_initiated",
        || format!("{:?}", t.session.origin),
    )
}

/// sessions/2.1: seq starts at 1 and rises by exactly 1 per accepted message.
pub async fn seq_starts_at_one_and_rises_by_one(mut ctx: Ctx) -> CaseResult {
    let ch = queue_channel(&mut ctx).await?;
    let mut seqs = Vec::new();
    for i in 0..5 {
        let a = ctx.say(ch, "+1555", &format!("p{i}"), "text").await?;
        seqs.push(a.seq.map(|s| s.0));
    }
    let expected: Vec<Option<u32>> = (1..=5).map(Some).collect();
    check("R-SESS-2", seqs == expected, "seqs 1, 2, 3, 4, 5", || {
        format!("{seqs:?}")
    })
}

/// sessions/3.1: a repeated provider_message_id returns the original seq, marked duplicate,
/// and stores nothing.
pub async fn duplicate_provider_id_returns_the_original(mut ctx: Ctx) -> CaseResult {
    let ch = queue_channel(&mut ctx).await?;
    let first = ctx.say(ch, "+1555", "same-id", "hello").await?;
    let again = ctx.say(ch, "+1555", "same-id", "hello").await?;
    check(
        "R-SESS-3",
        again.duplicate && again.seq == first.seq && again.session == first.session,
        format!("duplicate: true with seq {:?}", first.seq),
        || format!("duplicate: {} with seq {:?}", again.duplicate, again.seq),
    )?;
    let t = ctx.transcript(first.session).await?;
    check(
        "R-SESS-3",
        t.messages.len() == 1,
        "one stored message",
        || format!("{} messages", t.messages.len()),
    )
}

/// sessions/5.1: after the customer ends a session, sends are refused and the next inbound
/// opens a new session in the same conversation.
pub async fn ended_is_terminal(mut ctx: Ctx) -> CaseResult {
    let ch = queue_channel(&mut ctx).await?;
    let first = ctx.say(ch, "+1555", "p1", "hello").await?;
    let (_, ended) = ctx.inbound(ch, "+1555", "p2", InboundContent::End).await?;
    ended.map_err(|e| error(format!("ending refused: {e}")))?;
    let t = ctx.transcript(first.session).await?;
    check(
        "R-SESS-5",
        t.session.status == SessionStatus::Ended,
        "status ended",
        || format!("{:?}", t.session.status),
    )?;
    let next = ctx.say(ch, "+1555", "p3", "back again").await?;
    check(
        "R-SESS-5",
        next.session != first.session && next.conversation_id == first.conversation_id,
        "a new session in the same conversation",
        || {
            format!(
                "session {} conversation {}",
                next.session, next.conversation_id
            )
        },
    )
}

/// sessions/4.1: a bot entry starts the session active with the bot; a queue entry, waiting.
pub async fn entry_sets_the_first_status(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 30_000).await?;
    let bot = ctx.bot(q).await?;
    let via_bot = ctx
        .channel(ChannelKind::Web, Platform::Enhanced, Entry::Bot(bot))
        .await?;
    let via_queue = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q))
        .await?;
    let a = ctx.say(via_bot.id, "+1", "b1", "hi").await?;
    let b = ctx.say(via_queue.id, "+1", "q1", "hi").await?;
    let ta = ctx.transcript(a.session).await?.session;
    let tb = ctx.transcript(b.session).await?.session;
    check(
        "R-SESS-4",
        ta.status == SessionStatus::Active && ta.handler == Handler::Bot,
        "bot entry: active, handler bot",
        || format!("{:?}, {:?}", ta.status, ta.handler),
    )?;
    check(
        "R-SESS-4",
        tb.status == SessionStatus::Waiting,
        "queue entry: waiting",
        || format!("{:?}", tb.status),
    )
}

/// sessions/8.1: the customer ending a session that is offered to an agent cancels the work
/// (an abandonment), rescinds the offer and frees the agent.
pub async fn customer_end_cancels_offered_work(mut ctx: Ctx) -> CaseResult {
    let ch = queue_channel(&mut ctx).await?;
    let mut agent = ctx.agent("a", 1).await?;
    let first = ctx.say(ch, "+1", "p1", "hello").await?;
    let offer = agent.must_offer().await?;
    let (_, ended) = ctx.inbound(ch, "+1", "p2", InboundContent::End).await?;
    ended.map_err(|e| error(format!("ending refused: {e}")))?;
    let work = offer.work.id;
    let rescinded = agent.rescinded(work, PROMPT).await?;
    check(
        "R-SESS-8",
        rescinded == Some(RescindReason::Canceled),
        "offer_rescinded with reason canceled",
        || format!("{rescinded:?}"),
    )?;
    let items = ctx.work(first.session).await?;
    let status = items.last().map(|w| w.status);
    check(
        "R-SESS-8",
        status == Some(WorkStatus::Canceled),
        "work canceled",
        || format!("{status:?}"),
    )?;
    // The freed unit takes the next session.
    ctx.say(ch, "+2", "p3", "hello").await?;
    let next = agent.offer(PROMPT).await?;
    check(
        "R-SESS-8",
        next.is_some(),
        "the agent's capacity freed for the next session",
        || "no offer".into(),
    )
}
