//! Which agent gets the work, in setups where the right choice and a plausible wrong one differ:
//! the agent a rule sends to the back of the line would rank first without it, because it holds
//! less than the other (R-ROUTE-5, R-ROUTE-6, R-ROUTE-7, R-ROUTE-9).

use crate::conform::ctx::*;
use omnisim_protocol::*;
use std::time::Duration;

/// A queue channel with this push timeout, an agent `busy` holding one accepted session of it
/// with room for one more, then an idle agent `idle` of the same capacity: least_active ranks
/// `idle` first for the next session.
async fn busy_and_idle(
    ctx: &mut Ctx,
    push_timeout_ms: u64,
) -> Result<(ChannelId, AgentConn, AgentConn), Problem> {
    let ch = ctx.queue_channel(push_timeout_ms).await?;
    let mut busy = ctx.agent("busy", 2).await?;
    ctx.say(ch, "+0", "p0", "first").await?;
    busy.take_offer().await?;
    let idle = ctx.agent("idle", 2).await?;
    Ok((ch, busy, idle))
}

/// routing/5.4: an agent who lets an offer time out is tried last, like a decliner: the session
/// goes to the busier agent, not back to the idle one that ranks first.
pub async fn push_timeout_counts_as_a_decline(mut ctx: Ctx) -> CaseResult {
    let (ch, mut busy, mut idle) = busy_and_idle(&mut ctx, 500).await?;
    let s = ctx.say(ch, "+1", "p1", "second").await?;
    let first = idle.must_offer().await?;
    ctx.elapse(Duration::from_millis(500)).await?;
    let reason = idle
        .rescinded(first.work.id, Duration::from_secs(5))
        .await?;
    check(
        "R-ROUTE-5",
        reason == Some(RescindReason::PushTimeout),
        "rescinded on push timeout",
        || format!("{reason:?}"),
    )?;
    let to_busy = busy.offer(PROMPT).await?;
    check(
        "R-ROUTE-5",
        to_busy.is_some_and(|o| o.session.id == s.session),
        "the session offered to the other agent, the one that let it lapse tried last",
        || "not offered to the other agent".into(),
    )
}

/// routing/9.2: the agent who transfers a session is tried last in the target queue, though it
/// now holds less than the other agent.
pub async fn transferrer_is_tried_last(mut ctx: Ctx) -> CaseResult {
    let (ch, mut busy, mut idle) = busy_and_idle(&mut ctx, 60_000).await?;
    let target = ctx.queue("billing", 60_000).await?;
    let s = ctx.say(ch, "+1", "p1", "second").await?;
    idle.take_offer().await?;
    let transfer = AgentRequest::Transfer {
        session: s.session,
        to: TransferTarget::Queue(target),
    };
    idle.must("transfer", transfer).await?;
    let to_busy = busy.offer(PROMPT).await?;
    check(
        "R-ROUTE-9",
        to_busy.is_some_and(|o| o.session.id == s.session && o.work.queue == target),
        "the transferred session offered to the other agent",
        || "not offered to the other agent".into(),
    )
}

/// routing/7.2: a busy agent gets no new offers but keeps what it holds; back online, it gets the
/// waiting work.
pub async fn busy_agents_get_no_new_offers(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut a = ctx.agent("a", 2).await?;
    let held = ctx.say(ch, "+1", "p1", "first").await?;
    a.take_offer().await?;
    a.set_presence(Presence::Busy).await?;
    let waiting = ctx.say(ch, "+2", "p2", "second").await?;
    let offered = a.offer(Duration::from_millis(300)).await?;
    check(
        "R-ROUTE-7",
        offered.is_none(),
        "no offer to a busy agent",
        || "offered while busy".into(),
    )?;
    let kept = ctx.transcript(held.session).await?.session;
    check(
        "R-ROUTE-7",
        kept.agent == Some(a.id) && kept.status == SessionStatus::Active,
        "the busy agent keeps its accepted session",
        || format!("{:?} with {:?}", kept.status, kept.agent),
    )?;
    a.set_presence(Presence::Online).await?;
    a.must_be_offered(
        "R-ROUTE-12",
        waiting.session,
        "the waiting session offered once the agent is online again",
    )
    .await
}

fn spec(name: &str, capacity: u32) -> AgentSpec {
    AgentSpec {
        name: name.into(),
        capacity,
        skills: Default::default(),
    }
}

/// routing/2.2: an agent's capacity cannot be lowered below what it holds (409 invalid_state),
/// and the agent is unchanged; lowering it to exactly what it holds is allowed.
pub async fn capacity_cannot_drop_below_what_is_held(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut a = ctx.agent("a", 3).await?;
    for who in ["+1", "+2"] {
        ctx.say(ch, who, who, "hello").await?;
        a.take_offer().await?;
    }
    let (status, reply) = ctx.update_agent(a.id, &spec("a", 1)).await?;
    let code = reply.as_ref().err().map(|e| e.code);
    check(
        "R-ROUTE-2",
        status == 409 && code == Some(ErrorCode::InvalidState),
        "409 invalid_state for capacity 1 below the 2 units held",
        || format!("{status} {code:?}"),
    )?;
    let after = ctx.read_agent(a.id).await?;
    check(
        "R-ROUTE-2",
        after.spec.capacity == 3 && after.used_capacity == 2,
        "capacity 3 with 2 used, unchanged",
        || {
            format!(
                "capacity {} with {} used",
                after.spec.capacity, after.used_capacity
            )
        },
    )?;
    let (status, reply) = ctx.update_agent(a.id, &spec("a", 2)).await?;
    check(
        "R-ROUTE-2",
        status == 200 && reply.as_ref().is_ok_and(|a| a.spec.capacity == 2),
        "200: capacity lowered to exactly what is held",
        || format!("{status} {:?}", reply.err()),
    )
}

/// routing/12.1: raising a full agent's capacity offers it the waiting work at once.
pub async fn more_capacity_routes_waiting_work(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut a = ctx.agent("a", 1).await?;
    ctx.say(ch, "+1", "p1", "first").await?;
    a.take_offer().await?;
    let waiting = ctx.say(ch, "+2", "p2", "second").await?;
    let (status, reply) = ctx.update_agent(a.id, &spec("a", 2)).await?;
    reply.map_err(|e| error(format!("raising capacity refused: {status} {e}")))?;
    a.must_be_offered(
        "R-ROUTE-12",
        waiting.session,
        "the waiting session offered once capacity rises",
    )
    .await
}

/// routing/6.3: a declined session waits for an eligible agent that has not declined it, even one
/// with no free capacity now, rather than going back to the decliner; it is offered to that agent
/// once it frees up.
pub async fn a_declined_session_waits_for_a_full_agent(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut full = ctx.agent("full", 1).await?;
    let held = ctx.say(ch, "+0", "p0", "first").await?.session;
    full.take_offer().await?;
    let mut decliner = ctx.agent("decliner", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "second").await?.session;
    let offer = decliner.must_offer().await?;
    let decline = AgentRequest::Decline {
        work: offer.work.id,
    };
    decliner.must("decline", decline).await?;
    let again = decliner.offer(Duration::from_millis(300)).await?;
    check(
        "R-ROUTE-6",
        again.is_none(),
        "no new offer to the decliner while the full agent is eligible",
        || "offered again to the agent that declined it".into(),
    )?;
    full.must("end", AgentRequest::End { session: held })
        .await?;
    full.must_be_offered(
        "R-ROUTE-6",
        s,
        "the session offered to the other agent once it has room",
    )
    .await
}

/// routing/7.3: a busy agent that declines an offer it kept is not offered other work for it:
/// the declined session and a new one wait for an online agent.
pub async fn a_busy_agent_declining_gets_nothing_new(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut a = ctx.agent("a", 2).await?;
    ctx.say(ch, "+1", "p1", "first").await?;
    let offer = a.must_offer().await?;
    a.set_presence(Presence::Busy).await?;
    ctx.say(ch, "+2", "p2", "second").await?;
    let decline = AgentRequest::Decline {
        work: offer.work.id,
    };
    a.must("decline", decline).await?;
    let offered = a.offer(Duration::from_millis(300)).await?;
    check(
        "R-ROUTE-7",
        offered.is_none(),
        "no offer to the busy agent after its decline",
        || format!("offered {:?}", offered.map(|o| o.session.id)),
    )
}

/// routing/5.5: a queue with push_timeout_presence `busy` sets the agent who lets its offer time
/// out to busy, and the session goes to an online agent instead.
pub async fn a_queue_sets_an_agent_who_lets_an_offer_lapse_to_busy(mut ctx: Ctx) -> CaseResult {
    let mut spec = plain_queue("q", 500);
    spec.push_timeout_presence = Some(Presence::Busy);
    let q = ctx.queue_spec(spec).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?
        .id;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?.session;
    let offer = a.must_offer().await?;
    ctx.elapse(Duration::from_millis(500)).await?;
    a.rescinded(offer.work.id, Duration::from_secs(5)).await?;
    let presence = ctx.read_agent(a.id).await?.presence;
    check(
        "R-ROUTE-5",
        presence == Presence::Busy,
        "the agent set busy by the push timeout",
        || format!("{presence:?}"),
    )?;
    let mut b = ctx.agent("b", 1).await?;
    b.must_be_offered("R-ROUTE-5", s, "the session offered to the online agent")
        .await
}
