//! Routing: R-ROUTE-1..12. Cases that need time to pass let it pass with [`Ctx::elapse`]: on a
//! manual clock exactly, on a wall clock by sleeping, checking order and bounds.

use crate::conform::ctx::*;
use omnisim_protocol::*;
use std::time::Duration;

/// routing/2.1: an agent of capacity 2 gets two sessions and no third while both are held;
/// the third waits, and is offered once one closes.
pub async fn capacity_is_never_exceeded(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut agent = ctx.agent("a", 2).await?;
    for (i, who) in ["+1", "+2", "+3"].iter().enumerate() {
        ctx.say(ch, who, &format!("p{i}"), "hello").await?;
    }
    let mut offered = Vec::new();
    while let Some(o) = agent.offer(PROMPT).await? {
        offered.push(o);
        if offered.len() == 2 {
            break;
        }
    }
    // A third offer would come at once with the others; half a second is plenty to see one.
    if let Some(o) = agent.offer(Duration::from_millis(500)).await? {
        offered.push(o);
    }
    check(
        "R-ROUTE-2",
        offered.len() == 2,
        "two offers to a capacity-2 agent",
        || format!("{} offers", offered.len()),
    )?;
    // Ending one of the held sessions frees a unit: the waiting one is offered (R-ROUTE-12).
    let first = offered[0].session.id;
    agent
        .must(
            "accept",
            AgentRequest::Accept {
                work: offered[0].work.id,
            },
        )
        .await?;
    agent
        .must("end", AgentRequest::End { session: first })
        .await?;
    let third = agent.offer(PROMPT).await?;
    check(
        "R-ROUTE-12",
        third.is_some(),
        "the waiting session offered once capacity frees",
        || "no offer".into(),
    )
}

/// routing/5.1: an offer not accepted within the push timeout is rescinded (push_timeout) and
/// the session is offered to the other agent.
pub async fn push_timeout_reroutes_to_other_agent(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(300).await?;
    let mut a = ctx.agent("a", 1).await?;
    let mut b = ctx.agent("b", 1).await?;
    ctx.say(ch, "+1", "p1", "hello").await?;
    // Whoever gets it first lets it time out.
    let first = tokio::select! {
        o = a.offer(PROMPT) => o?.map(|o| (o, 0)),
        o = b.offer(PROMPT) => o?.map(|o| (o, 1)),
    };
    let Some((offer, who)) = first else {
        return Err(fail("R-ROUTE-1", "an offer to an online agent", "no offer"));
    };
    let (holder, other) = if who == 0 {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    let work = offer.work.id;
    ctx.elapse(Duration::from_millis(300)).await?;
    let rescinded = holder.rescinded(work, Duration::from_secs(5)).await?;
    check(
        "R-ROUTE-5",
        rescinded == Some(RescindReason::PushTimeout),
        "offer_rescinded with reason push_timeout",
        || format!("{rescinded:?}"),
    )?;
    let next = other.offer(Duration::from_secs(5)).await?;
    check(
        "R-ROUTE-5",
        next.as_ref()
            .is_some_and(|o| o.session.id == offer.session.id),
        "the session offered to the other agent",
        || format!("{:?}", next.map(|o| o.work.agent)),
    )
}

/// routing/6.1: a declined session is not offered again to the decliner while another eligible
/// agent exists — even when the decliner would otherwise rank first (least_active: it holds less).
pub async fn declined_work_goes_to_another_agent(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    // `busy` holds one accepted session with room for another, so least_active ranks the
    // idle `a` first for the next one.
    let mut busy = ctx.agent("busy", 2).await?;
    ctx.say(ch, "+1", "p1", "first").await?;
    let o = busy.must_offer().await?;
    busy.must("accept", AgentRequest::Accept { work: o.work.id })
        .await?;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch, "+2", "p2", "second").await?;
    let offer = a.must_offer().await?;
    a.must(
        "decline",
        AgentRequest::Decline {
            work: offer.work.id,
        },
    )
    .await?;
    let again = a.offer(Duration::from_millis(500)).await?;
    check(
        "R-ROUTE-6",
        again.is_none(),
        "no new offer to the agent that declined",
        || format!("offered again: {:?}", again.map(|o| o.work.id)),
    )?;
    busy.must_be_offered(
        "R-ROUTE-6",
        s.session,
        "the declined session offered to the other eligible agent",
    )
    .await
}

/// routing/5.2: a timed-out offer frees the agent's capacity: the only agent is offered the
/// session again (everyone eligible has let it lapse).
pub async fn push_timeout_frees_capacity(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(300).await?;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?;
    let first = a.must_offer().await?;
    ctx.elapse(Duration::from_millis(300)).await?;
    let reason = a.rescinded(first.work.id, Duration::from_secs(5)).await?;
    check(
        "R-ROUTE-5",
        reason == Some(RescindReason::PushTimeout),
        "rescinded on push timeout",
        || format!("{reason:?}"),
    )?;
    let again = a.offer(Duration::from_secs(5)).await?;
    check(
        "R-ROUTE-5",
        again.is_some_and(|o| o.session.id == s.session && o.work.id != first.work.id),
        "a new offer of the session to the agent, its capacity freed",
        || "no new offer".into(),
    )
}

/// routing/7.1: an agent going offline turns its offer into unavailable work, offered again
/// to another agent.
pub async fn offline_agent_loses_its_offer(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut a = ctx.agent("a", 1).await?;
    let first = ctx.say(ch, "+1", "p1", "hello").await?;
    a.must_offer().await?;
    let mut b = ctx.agent("b", 1).await?;
    a.set_presence(Presence::Offline).await?;
    b.must_be_offered(
        "R-ROUTE-7",
        first.session,
        "the session offered to the online agent",
    )
    .await?;
    let items = ctx.work(first.session).await?;
    let first_status = items.first().map(|w| w.status);
    check(
        "R-ROUTE-7",
        first_status == Some(WorkStatus::Unavailable),
        "the first work item unavailable",
        || format!("{first_status:?}"),
    )
}

/// routing/11.1: work and session times are ordered: requested ≤ assigned ≤ accepted ≤ closed,
/// started ≤ accepted ≤ ended.
pub async fn times_are_ordered(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?;
    let offer = a.must_offer().await?;
    a.must(
        "accept",
        AgentRequest::Accept {
            work: offer.work.id,
        },
    )
    .await?;
    a.must("end", AgentRequest::End { session: s.session })
        .await?;
    let w = ctx
        .work(s.session)
        .await?
        .pop()
        .ok_or_else(|| error("no work item read back"))?;
    let ordered = w.accepted_at.zip(w.closed_at).is_some_and(|(acc, closed)| {
        w.requested_at <= w.assigned_at && w.assigned_at <= acc && acc <= closed
    });
    check(
        "R-ROUTE-11",
        ordered,
        "requested ≤ assigned ≤ accepted ≤ closed",
        || format!("{w:?}"),
    )?;
    let t = ctx.transcript(s.session).await?.session;
    let ordered = t
        .accepted_at
        .zip(t.ended_at)
        .is_some_and(|(acc, end)| t.started_at <= acc && acc <= end);
    check(
        "R-SESS-6",
        ordered,
        "started ≤ accepted ≤ ended, both set",
        || format!("{t:?}"),
    )
}

/// routing/1.1: work needing a skill at a level goes only to an agent with that skill at or
/// above it.
pub async fn required_skills_decide_who_is_offered(mut ctx: Ctx) -> CaseResult {
    let mut spec = plain_queue("spanish", 60_000);
    spec.required_skills = vec![SkillRequirement {
        skill: "spanish".into(),
        min_level: 3,
    }];
    let q = ctx.queue_spec(spec).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?;
    let mut none = ctx.skilled_agent("none", 2, &[]).await?;
    let mut low = ctx.skilled_agent("low", 2, &[("spanish", 2)]).await?;
    let s = ctx.say(ch.id, "+1", "p1", "hola").await?;
    let wrong = none.offer(std::time::Duration::from_millis(300)).await?;
    let wrong = wrong.or(low.offer(std::time::Duration::from_millis(300)).await?);
    check(
        "R-ROUTE-1",
        wrong.is_none(),
        "no offer to agents lacking the skill level",
        || format!("{:?}", wrong.map(|o| o.work.agent)),
    )?;
    let mut fluent = ctx.skilled_agent("fluent", 2, &[("spanish", 3)]).await?;
    fluent
        .must_be_offered(
            "R-ROUTE-1",
            s.session,
            "an offer to the agent with spanish ≥ 3 once online (R-ROUTE-12)",
        )
        .await
}

/// routing/3.1: an agent gets the lower priority number first, and within one priority the
/// oldest request first.
pub async fn priority_then_age(mut ctx: Ctx) -> CaseResult {
    let mut low = plain_queue("later", 60_000);
    low.priority = 2;
    let later = ctx.queue_spec(low).await?;
    let first = ctx.queue_spec(plain_queue("first", 60_000)).await?;
    let to_later = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(later))
        .await?;
    let to_first = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(first))
        .await?;
    let l = ctx.say(to_later.id, "+1", "p1", "waiting longest").await?;
    let old = ctx.say(to_first.id, "+2", "p2", "older").await?;
    // Request times are kept in milliseconds: leave a few between the two so that age decides.
    ctx.elapse(Duration::from_millis(20)).await?;
    let young = ctx.say(to_first.id, "+3", "p3", "younger").await?;
    let mut agent = ctx.agent("a", 1).await?;
    let mut order = Vec::new();
    for _ in 0..3 {
        let o = agent.must_offer().await?;
        order.push(o.session.id);
        agent
            .must("accept", AgentRequest::Accept { work: o.work.id })
            .await?;
        agent
            .must(
                "end",
                AgentRequest::End {
                    session: o.session.id,
                },
            )
            .await?;
    }
    let expected = vec![old.session, young.session, l.session];
    check(
        "R-ROUTE-3",
        order == expected,
        "priority 1 oldest first, then priority 2",
        || format!("offered {order:?}, expected {expected:?}"),
    )
}

/// routing/9.1: a transfer to a queue closes the agent's work as transferred, frees it, and
/// offers the session from the target queue with the transcript and where it came from.
pub async fn transfer_carries_context(mut ctx: Ctx) -> CaseResult {
    let from = ctx.queue("from", 60_000).await?;
    let to = ctx.queue("to", 60_000).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(from))
        .await?;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch.id, "+1", "p1", "hello").await?;
    let o = a.must_offer().await?;
    a.must("accept", AgentRequest::Accept { work: o.work.id })
        .await?;
    let mut b = ctx.agent("b", 1).await?;
    a.must(
        "transfer",
        AgentRequest::Transfer {
            session: s.session,
            to: TransferTarget::Queue(to),
        },
    )
    .await?;
    let next = b.must_offer().await?;
    check(
        "R-ROUTE-9",
        next.work.queue == to
            && next.context.transferred_from == Some(from)
            && !next.transcript.is_empty(),
        "an offer from the target queue, transferred_from set, transcript carried",
        || {
            format!(
                "queue {}, context {:?}, {} messages",
                next.work.queue,
                next.context,
                next.transcript.len()
            )
        },
    )?;
    let items = ctx.work(s.session).await?;
    let first = items.first().map(|w| w.status);
    check(
        "R-ROUTE-9",
        first == Some(WorkStatus::Transferred),
        "the first work transferred",
        || format!("{first:?}"),
    )
}

/// routing/8.1: through declines and re-offers a session never has two live work items.
pub async fn one_live_work_item_per_session(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut a = ctx.agent("a", 1).await?;
    let mut b = ctx.agent("b", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?;
    for _ in 0..3 {
        let offer = tokio::select! {
            o = a.offer(PROMPT) => o?,
            o = b.offer(PROMPT) => o?,
        }
        .ok_or_else(|| error("no offer"))?;
        let items = ctx.work(s.session).await?;
        let live = items
            .iter()
            .filter(|w| matches!(w.status, WorkStatus::Assigned | WorkStatus::Opened))
            .count();
        check("R-ROUTE-8", live == 1, "exactly one live work item", || {
            format!("{live} live: {items:?}")
        })?;
        let holder = if offer.work.agent == a.id {
            &mut a
        } else {
            &mut b
        };
        holder
            .must(
                "decline",
                AgentRequest::Decline {
                    work: offer.work.id,
                },
            )
            .await?;
    }
    Ok(())
}

/// routing/4.1: most_available picks the agent with the most free capacity; least_active the one
/// with the least open work.
pub async fn routing_models_pick_as_named(mut ctx: Ctx) -> CaseResult {
    let mut most = plain_queue("most", 60_000);
    most.routing_model = RoutingModel::MostAvailable;
    let most = ctx.queue_spec(most).await?;
    let least = ctx.queue_spec(plain_queue("least", 60_000)).await?;
    let to_most = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(most))
        .await?
        .id;
    let to_least = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(least))
        .await?
        .id;
    // `big` (capacity 4) takes a first session alone; then `small` (capacity 2) joins:
    // big has 3 free and 1 open, small 2 free and 0 open.
    let mut big = ctx.agent("big", 4).await?;
    ctx.say(to_least, "+1", "p1", "first").await?;
    let o = big.must_offer().await?;
    big.must("accept", AgentRequest::Accept { work: o.work.id })
        .await?;
    let mut small = ctx.agent("small", 2).await?;
    let s2 = ctx.say(to_most, "+2", "p2", "most available").await?;
    let to_big = big.offer(PROMPT).await?;
    check(
        "R-ROUTE-4",
        to_big.as_ref().is_some_and(|o| o.session.id == s2.session),
        "most_available: the agent with 3 free over the one with 2",
        || "not offered to the agent with the most free capacity".into(),
    )?;
    let s3 = ctx.say(to_least, "+3", "p3", "least active").await?;
    let to_small = small.offer(PROMPT).await?;
    check(
        "R-ROUTE-4",
        to_small.is_some_and(|o| o.session.id == s3.session),
        "least_active: the agent with no open work",
        || "not offered to the least active agent".into(),
    )
}

/// A web channel into a queue with the additional skill `vip`, dropped after `drop_after_ms`.
pub(super) async fn vip_channel(ctx: &mut Ctx, drop_after_ms: u64) -> Result<ChannelId, Problem> {
    let mut spec = plain_queue("vip", 60_000);
    spec.additional_skills = vec![SkillRequirement {
        skill: "vip".into(),
        min_level: 1,
    }];
    spec.drop_additional_skills_after_ms = Some(Millis(drop_after_ms));
    let q = ctx.queue_spec(spec).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?;
    Ok(ch.id)
}

/// routing/10.1: work needing an additional skill waits for an agent with it until the skill is
/// dropped, then goes to one without it.
pub async fn additional_skills_are_dropped_in_time(mut ctx: Ctx) -> CaseResult {
    let ch = vip_channel(&mut ctx, 400).await?;
    let mut plain = ctx.agent("plain", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?;
    let early = plain.offer(Duration::from_millis(100)).await?;
    check(
        "R-ROUTE-10",
        early.is_none(),
        "no offer before the skill is dropped",
        || "offered at once to an agent without the skill".into(),
    )?;
    ctx.elapse(Duration::from_millis(400)).await?;
    let later = plain.offer(Duration::from_secs(5)).await?;
    check(
        "R-ROUTE-10",
        later.is_some_and(|o| o.session.id == s.session),
        "offered to the agent without the skill once it is dropped",
        || "no offer".into(),
    )
}

/// routing/6.2: when every eligible agent has declined, the session is eligible for all again.
pub async fn all_declined_is_eligible_again(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?;
    let first = a.must_offer().await?;
    a.must(
        "decline",
        AgentRequest::Decline {
            work: first.work.id,
        },
    )
    .await?;
    a.must_be_offered(
        "R-ROUTE-6",
        s.session,
        "offered again to the only agent, which has declined it",
    )
    .await
}

/// routing/4.2: between equally ranked agents, the one whose last assignment is oldest wins.
pub async fn ties_go_to_the_longest_idle(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut a = ctx.agent("a", 1).await?;
    let mut b = ctx.agent("b", 1).await?;
    let mut order = Vec::new();
    for i in 0..3 {
        let s = ctx
            .say(ch, &format!("+{i}"), &format!("p{i}"), "hello")
            .await?;
        let (o, holder) = tokio::select! {
            o = a.offer(PROMPT) => (o?, 0),
            o = b.offer(PROMPT) => (o?, 1),
        };
        let o = o.ok_or_else(|| error("no offer"))?;
        order.push(holder);
        let conn = if holder == 0 { &mut a } else { &mut b };
        conn.must("accept", AgentRequest::Accept { work: o.work.id })
            .await?;
        conn.must("end", AgentRequest::End { session: s.session })
            .await?;
        // Assignment times are kept in milliseconds: apart, so that the oldest decides.
        ctx.elapse(Duration::from_millis(5)).await?;
    }
    check(
        "R-ROUTE-4",
        order[0] != order[1] && order[1] != order[2],
        "equally idle agents take turns: the last assignment oldest first",
        || format!("agents in turn: {order:?}"),
    )
}
