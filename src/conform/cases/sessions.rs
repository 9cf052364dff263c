//! Sessions and messages: R-SESS-1, R-SESS-2, R-SESS-3, R-SESS-5.

use crate::conform::ctx::*;
use omnisim_protocol::*;

/// sessions/1.1: the first inbound opens a session (inbound_initiated), the next appends to it.
pub async fn inbound_opens_then_appends(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(30_000).await?;
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
    let ch = ctx.queue_channel(30_000).await?;
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
    let ch = ctx.queue_channel(30_000).await?;
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
    let ch = ctx.queue_channel(30_000).await?;
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
    let ch = ctx.queue_channel(30_000).await?;
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

/// sessions/7.1: marking inactive is refused on a standard channel; on an enhanced one it closes
/// the work and frees the agent, and the customer's next message routes the session again.
pub async fn inactive_frees_the_agent_until_the_customer_writes(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let standard = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q))
        .await?;
    let enhanced = ctx
        .channel(ChannelKind::Web, Platform::Enhanced, Entry::Queue(q))
        .await?;
    let mut a = ctx.agent("a", 1).await?;
    for (ch, who, inactive_ok) in [(standard.id, "+1", false), (enhanced.id, "+2", true)] {
        let s = ctx.say(ch, who, &format!("{who}-1"), "hello").await?;
        let o = a.must_offer().await?;
        a.must("accept", AgentRequest::Accept { work: o.work.id })
            .await?;
        let reply = a
            .request(AgentRequest::MarkInactive { session: s.session })
            .await?;
        if !inactive_ok {
            let code = reply.as_ref().err().map(|e| e.code);
            check(
                "R-SESS-7",
                code == Some(ErrorCode::InactiveUnsupported),
                "409 inactive_unsupported on a standard channel",
                || format!("{code:?}"),
            )?;
            a.must("end", AgentRequest::End { session: s.session })
                .await?;
            continue;
        }
        reply.map_err(|e| error(format!("mark_inactive refused on an enhanced channel: {e}")))?;
        let t = ctx.transcript(s.session).await?.session;
        check(
            "R-SESS-7",
            t.status == SessionStatus::Inactive,
            "status inactive",
            || format!("{:?}", t.status),
        )?;
        // The agent's unit is free: a new customer is offered to it.
        let other = ctx.say(ch, "+3", "+3-1", "me too").await?;
        let o = a.must_offer().await?;
        check(
            "R-SESS-7",
            o.session.id == other.session,
            "the freed agent gets the next session",
            || format!("{}", o.session.id),
        )?;
        a.must("accept", AgentRequest::Accept { work: o.work.id })
            .await?;
        a.must(
            "end",
            AgentRequest::End {
                session: other.session,
            },
        )
        .await?;
        ctx.say(ch, who, &format!("{who}-2"), "still there?")
            .await?;
        let back = a.must_offer().await?;
        check(
            "R-SESS-7",
            back.session.id == s.session,
            "the inactive session routed again when the customer writes",
            || format!("{}", back.session.id),
        )?;
    }
    Ok(())
}

/// sessions/9.1: a transcript reads back whole, and `messages?after=N` returns exactly the
/// messages after N.
pub async fn transcripts_read_back_and_resume(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(30_000).await?;
    let mut last = None;
    for i in 1..=4 {
        last = Some(
            ctx.say(ch, "+1", &format!("p{i}"), &format!("message {i}"))
                .await?,
        );
    }
    let s = last.ok_or_else(|| error("no message sent"))?.session;
    let t = ctx.transcript(s).await?;
    let texts: Vec<String> = t
        .messages
        .iter()
        .filter_map(|m| match &m.body {
            MessageBody::Text { text } => Some(text.to_string()),
            _ => None,
        })
        .collect();
    let expected: Vec<String> = (1..=4).map(|i| format!("message {i}")).collect();
    check(
        "R-SESS-9",
        texts == expected,
        "the four messages in order",
        || format!("{texts:?}"),
    )?;
    let after: Vec<Message> = ctx
        .ok(
            http::Method::GET,
            &format!("/sessions/{}/messages?after=2", s.0),
            None::<&()>,
        )
        .await?;
    let seqs: Vec<u32> = after.iter().map(|m| m.seq.0).collect();
    check("R-SESS-9", seqs == [3, 4], "seqs 3 and 4 after 2", || {
        format!("{seqs:?}")
    })
}

/// The seqs of the message events a stream delivers within `quiet` of each other.
async fn stream_seqs(
    stream: &mut crate::live::client::Socket,
    quiet: std::time::Duration,
) -> Vec<u32> {
    let mut seqs = Vec::new();
    while let Ok(Some(text)) =
        tokio::time::timeout(quiet, crate::live::client::next_text(stream)).await
    {
        if let Ok(Event::Message { message, .. }) = serde_json::from_str(&text) {
            seqs.push(message.seq.0);
        }
    }
    seqs
}

/// sessions/9.2: a customer stream that drops mid-conversation and reconnects after the last
/// seq it saw gets the rest, without loss or repeat.
pub async fn customer_stream_resumes_mid_conversation(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(30_000).await?;
    let first = ctx.say(ch, "+1", "p1", "one").await?;
    ctx.say(ch, "+1", "p2", "two").await?;
    let path = |after: u32| {
        format!(
            "/channels/{}/users/stream?address=%2B1&session={}&after_seq={after}",
            ch.0, first.session.0
        )
    };
    let quiet = std::time::Duration::from_millis(300);
    let token = ctx.token.clone();
    let mut stream = ctx.client.socket(&token, &ctx.path(&path(0))).await?;
    let before = stream_seqs(&mut stream, quiet).await;
    check(
        "R-SESS-9",
        before == [1, 2],
        "replay of seqs 1 and 2",
        || format!("{before:?}"),
    )?;
    drop(stream);
    ctx.say(ch, "+1", "p3", "three").await?;
    ctx.say(ch, "+1", "p4", "four").await?;
    let mut resumed = ctx.client.socket(&token, &ctx.path(&path(2))).await?;
    ctx.say(ch, "+1", "p5", "five").await?;
    let after = stream_seqs(&mut resumed, quiet).await;
    check(
        "R-SESS-9",
        after == [3, 4, 5],
        "seqs 3, 4 (missed while away) and 5 (live), once each",
        || format!("{after:?}"),
    )
}

/// sessions/5.2: once the customer has ended a session, the agent that held it gets 409
/// session_ended for every action on it, not forbidden.
pub async fn agent_actions_on_an_ended_session_are_session_ended(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(30_000).await?;
    let other = ctx.queue("other", 30_000).await?;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?.session;
    a.take_offer().await?;
    let (_, ended) = ctx.inbound(ch, "+1", "p2", InboundContent::End).await?;
    ended.map_err(|e| error(format!("ending refused: {e}")))?;
    let actions = [
        AgentRequest::Send {
            session: s,
            client_message_id: "late".into(),
            content: OutboundContent::Text {
                text: "are you there?".into(),
            },
        },
        AgentRequest::Transfer {
            session: s,
            to: TransferTarget::Queue(other),
        },
        AgentRequest::MarkInactive { session: s },
        AgentRequest::End { session: s },
    ];
    for action in actions {
        let shown = format!("{action:?}");
        let code = a.request(action).await?.err().map(|e| e.code);
        check(
            "R-SESS-5",
            code == Some(ErrorCode::SessionEnded),
            format!("{shown}: session_ended"),
            || format!("{code:?}"),
        )?;
    }
    Ok(())
}

/// sessions/6.1: a session's accepted_at is the first acceptance and does not move when a later
/// work item (after a transfer) is accepted.
pub async fn accepted_at_is_the_first_acceptance(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(30_000).await?;
    let billing = ctx.queue("billing", 30_000).await?;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?.session;
    a.take_offer().await?;
    let first = ctx.transcript(s).await?.session.accepted_at;
    ctx.elapse(std::time::Duration::from_millis(50)).await?;
    let mut b = ctx.agent("b", 1).await?;
    let transfer = AgentRequest::Transfer {
        session: s,
        to: TransferTarget::Queue(billing),
    };
    a.must("transfer", transfer).await?;
    let second = b.take_offer().await?;
    let after = ctx.transcript(s).await?.session;
    check(
        "R-SESS-6",
        first.is_some() && after.accepted_at == first,
        format!("accepted_at still {first:?} after a second acceptance"),
        || {
            format!(
                "{:?} (the second work item was accepted after {})",
                after.accepted_at, second.work.assigned_at
            )
        },
    )
}

/// sessions/7.3: a customer message disarms the inactivity timeout armed by the agent's message:
/// the session stays active past the time it would have fired.
pub async fn a_customer_reply_disarms_inactivity(mut ctx: Ctx) -> CaseResult {
    let ch = super::timers::inactivity_channel(&mut ctx, Some(1000), 60_000).await?;
    let (_a, s) = super::timers::held_and_answered(&mut ctx, ch).await?;
    ctx.elapse(std::time::Duration::from_millis(600)).await?;
    ctx.say(ch, "+1", "p2", "one moment").await?;
    ctx.elapse(std::time::Duration::from_millis(600)).await?;
    let t = ctx.transcript(s).await?.session;
    check(
        "R-SESS-7",
        t.status == SessionStatus::Active,
        "still active 1.2 s after the agent's message, the customer having replied at 0.6 s",
        || format!("{:?}", t.status),
    )
}

/// sessions/9.3: a channel stream opened with `after=N` replays exactly the messages at channel
/// positions after N, then streams live ones, each once.
pub async fn channel_stream_resumes_after_a_position(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(30_000).await?;
    for (who, pmid) in [("+1", "p1"), ("+2", "p2"), ("+1", "p3"), ("+2", "p4")] {
        ctx.say(ch, who, pmid, "hello").await?;
    }
    let token = ctx.token.clone();
    let path = ctx.path(&format!("/channels/{}/stream?after=2", ch.0));
    let mut stream = ctx.client.socket(&token, &path).await?;
    ctx.say(ch, "+1", "p5", "live").await?;
    let mut positions = Vec::new();
    let quiet = std::time::Duration::from_millis(300);
    while let Ok(Some(text)) =
        tokio::time::timeout(quiet, crate::live::client::next_text(&mut stream)).await
    {
        if let Ok(Event::Message { message, .. }) = serde_json::from_str(&text) {
            positions.push(message.channel_seq);
        }
    }
    check(
        "R-SESS-9",
        positions == [3, 4, 5],
        "channel positions 3 and 4 replayed, then 5 live",
        || format!("{positions:?}"),
    )
}

/// sessions/3.2: an agent's repeated client_message_id returns the original reply marked
/// duplicate and stores nothing; another agent may use the same id (ids are per agent).
pub async fn client_message_ids_are_per_agent(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(30_000).await?;
    let mut a = ctx.agent("a", 1).await?;
    let first = ctx.say(ch, "+1", "p1", "hello").await?.session;
    a.take_offer().await?;
    let mut b = ctx.agent("b", 1).await?;
    let second = ctx.say(ch, "+2", "p2", "hello").await?.session;
    b.take_offer().await?;
    let original = a.send_text(first, "same", "Hi, I am Ann").await?.message;
    let again = a.send_text(first, "same", "Hi, I am Ann").await?.message;
    check(
        "R-SESS-3",
        again.as_ref().is_some_and(|m| m.duplicate)
            && again.as_ref().map(|m| m.seq) == original.as_ref().map(|m| m.seq),
        format!(
            "duplicate: true with the original seq {:?}",
            original.map(|m| m.seq)
        ),
        || format!("{again:?}"),
    )?;
    let other = b.send_text(second, "same", "Hi, I am Bob").await?.message;
    check(
        "R-SESS-3",
        other
            .as_ref()
            .is_some_and(|m| !m.duplicate && m.session == second),
        "another agent's same id: a new message in its own session",
        || format!("{other:?}"),
    )?;
    let stored = ctx.transcript(first).await?.messages.len();
    check(
        "R-SESS-3",
        stored == 2,
        "the customer's message and one agent message",
        || format!("{stored} messages"),
    )
}

/// sessions/8.2: a customer ending a session whose work is accepted closes the work and frees the
/// agent, who is offered the next waiting session.
pub async fn customer_end_closes_accepted_work(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(30_000).await?;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?.session;
    let offer = a.take_offer().await?;
    let waiting = ctx.say(ch, "+2", "p2", "me next").await?.session;
    let (_, ended) = ctx.inbound(ch, "+1", "p3", InboundContent::End).await?;
    ended.map_err(|e| error(format!("ending refused: {e}")))?;
    let item = ctx.work_item(offer.work.id).await?;
    let t = ctx.transcript(s).await?.session;
    check(
        "R-SESS-8",
        item.status == WorkStatus::Closed && t.ended_by == Some(EndedBy::EndUser),
        "the work closed, the session ended by end_user",
        || format!("{:?}, ended by {:?}", item.status, t.ended_by),
    )?;
    a.must_be_offered(
        "R-SESS-8",
        waiting,
        "the freed agent offered the waiting session",
    )
    .await
}
