//! Read-back (protocol.md §4.5, §4.6): every resource reads back as the rules left it (R-SESS-9
//! and the rule each field comes from), lists in id order, and the operations routes answer
//! without a token.

use crate::conform::ctx::*;
use http::Method;
use omnisim_protocol::*;

/// reads/1.1: a queue reads back with `waiting`, the sessions routed to it and not yet
/// accepted, offered ones included.
pub async fn a_queue_counts_what_waits(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?
        .id;
    for who in ["+1", "+2", "+3"] {
        ctx.say(ch, who, who, "hello").await?;
    }
    let mut a = ctx.agent("a", 2).await?;
    a.take_offer().await?;
    a.must_offer().await?;
    let read: Queue = ctx
        .ok(Method::GET, &format!("/queues/{}", q.0), None::<&()>)
        .await?;
    let listed: Vec<Queue> = ctx.ok(Method::GET, "/queues", None::<&()>).await?;
    check(
        "R-ROUTE-3",
        read.waiting == 2 && read.id == q,
        "waiting 2: one offered, one in line; the accepted one no longer counts",
        || format!("waiting {}", read.waiting),
    )?;
    check(
        "R-ROUTE-3",
        listed.iter().map(|q| q.id).collect::<Vec<_>>() == [q],
        "the list holds the org's one queue",
        || format!("{listed:?}"),
    )
}

/// reads/1.2: an agent reads back with presence, used capacity, open work and the time of its
/// last assignment, kept right as work ends; the list holds every agent in id order; a new
/// connection's hello lists exactly the work still held.
pub async fn an_agent_reads_back_with_its_load(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut a = ctx.agent("a", 3).await?;
    let mut b = ctx.agent("b", 1).await?;
    b.set_presence(Presence::Busy).await?;
    ctx.say(ch, "+1", "p1", "hello").await?;
    let offer = a.take_offer().await?;
    let read = ctx.read_agent(a.id).await?;
    check(
        "R-ROUTE-2",
        read.presence == Presence::Online
            && read.used_capacity == 1
            && read.open_work == 1
            && read.last_assigned_at == Some(offer.work.assigned_at),
        format!(
            "online, 1 used of 3, 1 open, last assigned at {}",
            offer.work.assigned_at
        ),
        || format!("{read:?}"),
    )?;
    let listed: Vec<Agent> = ctx.ok(Method::GET, "/agents", None::<&()>).await?;
    let ids: Vec<AgentId> = listed.iter().map(|a| a.id).collect();
    check(
        "R-ROUTE-2",
        ids == [a.id, b.id],
        "both agents, in id order",
        || format!("{ids:?}"),
    )?;
    let kept = ctx.say(ch, "+2", "p2", "hello").await?.session;
    a.take_offer().await?;
    let end = AgentRequest::End {
        session: offer.session.id,
    };
    a.must("end", end).await?;
    let read = ctx.read_agent(a.id).await?;
    check(
        "R-ROUTE-2",
        read.used_capacity == 1 && read.open_work == 1,
        "1 used, 1 open once one of two sessions has ended",
        || format!("{} used, {} open", read.used_capacity, read.open_work),
    )?;
    let token = a.token.clone();
    let mut again = ctx.client.socket(&token, "/v1/agent").await?;
    let hello = crate::live::client::next_text(&mut again)
        .await
        .ok_or_else(|| error("the new connection closed before its hello"))?;
    ctx.note(format!("← {hello}"));
    let held: Vec<SessionId> = match crate::wire::agent_push(&hello) {
        Ok(AgentPush::Hello(h)) => h.work.iter().map(|o| o.session.id).collect(),
        other => return Err(error(format!("the first frame is not a hello: {other:?}"))),
    };
    check(
        "R-SESS-9",
        held == [kept],
        "the hello lists the one session still held",
        || format!("{held:?}"),
    )
}

/// reads/1.3: work items read back one by one and as the org's list, oldest first, with the
/// times and statuses the rules gave them.
pub async fn work_items_read_back(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut a = ctx.agent("a", 2).await?;
    let first = ctx.say(ch, "+1", "p1", "hello").await?.session;
    let accepted = a.take_offer().await?;
    ctx.say(ch, "+2", "p2", "hello").await?;
    let offered = a.must_offer().await?;
    a.must("end", AgentRequest::End { session: first }).await?;
    let one = ctx.work_item(accepted.work.id).await?;
    check(
        "R-ROUTE-11",
        one.status == WorkStatus::Closed
            && one.accepted_at.is_some()
            && one.closed_at.is_some()
            && one.requested_at <= one.assigned_at,
        "the first item closed, with its acceptance and close times",
        || format!("{one:?}"),
    )?;
    let all: Vec<WorkItem> = ctx.ok(Method::GET, "/work", None::<&()>).await?;
    let listed: Vec<(WorkId, WorkStatus)> = all.iter().map(|w| (w.id, w.status)).collect();
    let expected = vec![
        (accepted.work.id, WorkStatus::Closed),
        (offered.work.id, WorkStatus::Assigned),
    ];
    check(
        "R-ROUTE-11",
        listed == expected,
        format!("{expected:?}"),
        || format!("{listed:?}"),
    )
}

/// reads/1.4: a session's messages read back after a given seq, and the org's sessions oldest
/// first.
pub async fn messages_after_a_seq_and_sessions_in_order(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let first = ctx.say(ch, "+1", "p1", "one").await?.session;
    for (pmid, text) in [("p2", "two"), ("p3", "three"), ("p4", "four")] {
        ctx.say(ch, "+1", pmid, text).await?;
    }
    let second = ctx.say(ch, "+2", "q1", "other").await?.session;
    let rest = format!("/sessions/{}/messages?after=2", first.0);
    let after: Vec<Message> = ctx.ok(Method::GET, &rest, None::<&()>).await?;
    let seqs: Vec<u32> = after.iter().map(|m| m.seq.0).collect();
    check("R-SESS-9", seqs == [3, 4], "seqs 3 and 4 after 2", || {
        format!("{seqs:?}")
    })?;
    let all: Vec<Session> = ctx.ok(Method::GET, "/sessions", None::<&()>).await?;
    let ids: Vec<SessionId> = all.iter().map(|s| s.id).collect();
    check(
        "R-SESS-9",
        ids == [first, second],
        "the org's two sessions, oldest first",
        || format!("{ids:?}"),
    )
}

/// reads/1.5: a messaging user reads back by id and by (channel, address), the same user with
/// its consent, conversation and open session.
pub async fn a_user_reads_back_by_id_and_address(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let said = ctx.say(ch, "+1 555", "p1", "hello").await?;
    let by_address = ctx.user(ch, "+1 555").await?;
    let by_id: MessagingUser = ctx
        .ok(Method::GET, &format!("/users/{}", said.user.0), None::<&()>)
        .await?;
    check(
        "R-CHAN-2",
        by_id == by_address
            && by_id.id == said.user
            && by_id.address == "+1 555"
            && by_id.open_session == Some(said.session)
            && by_id.conversation_id == said.conversation_id
            && by_id.consent == Consent::ImplicitlyOptedIn,
        "the same user both ways, with its open session and conversation",
        || format!("{by_id:?} / {by_address:?}"),
    )
}

/// reads/1.6: channels and bots read back as created, defaults filled in.
pub async fn channels_and_bots_read_back_as_created(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let bot = ctx.bot(q).await?;
    let created = ctx
        .channel(ChannelKind::Whatsapp, Platform::Standard, Entry::Bot(bot))
        .await?;
    let read: Channel = ctx
        .ok(
            Method::GET,
            &format!("/channels/{}", created.id.0),
            None::<&()>,
        )
        .await?;
    let listed: Vec<Channel> = ctx.ok(Method::GET, "/channels", None::<&()>).await?;
    check(
        "R-CHAN-1",
        read == created
            && listed == [created.clone()]
            && read.service_window_ms == Some(Millis::from_hours(24))
            && read.consent_level == ConsentLevel::Implicit,
        "the channel as created, with WhatsApp's 24 h window and implicit consent",
        || format!("{read:?}"),
    )?;
    let read_bot: Bot = ctx
        .ok(Method::GET, &format!("/bots/{}", bot.0), None::<&()>)
        .await?;
    let spec = plain_bot(q);
    check(
        "R-BOT-1",
        read_bot.id == bot && read_bot.spec.intents == spec.intents,
        "the bot with its intents as created",
        || format!("{read_bot:?}"),
    )
}

/// ops/1.1: /healthz and /v1/capabilities answer without a token; /metrics is Prometheus text.
pub async fn operations_answer_without_a_token(mut ctx: Ctx) -> CaseResult {
    let (status, body) = ctx.exchange(Method::GET, None, "/healthz", None).await?;
    check(
        "R-SEC-1",
        status == 200,
        "/healthz: 200 without a token",
        || format!("{status} {body}"),
    )?;
    let (status, body) = ctx
        .exchange(Method::GET, None, "/v1/capabilities", None)
        .await?;
    let parsed = serde_json::from_str::<Capabilities>(&body);
    check(
        "R-SEC-1",
        status == 200 && parsed.is_ok(),
        "/v1/capabilities: 200 with {lacks, clock}",
        || format!("{status} {body}"),
    )
}

/// ops/1.2: /metrics counts a push timeout in omnisim_push_timeouts_total.
pub async fn metrics_count_push_timeouts(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(500).await?;
    let mut a = ctx.agent("a", 1).await?;
    let before = push_timeouts(&mut ctx).await?;
    ctx.say(ch, "+1", "p1", "hello").await?;
    let offer = a.must_offer().await?;
    ctx.elapse(std::time::Duration::from_millis(500)).await?;
    a.rescinded(offer.work.id, std::time::Duration::from_secs(5))
        .await?
        .ok_or_else(|| error("no push timeout"))?;
    let after = push_timeouts(&mut ctx).await?;
    check(
        "R-ROUTE-5",
        after > before,
        format!("omnisim_push_timeouts_total above {before}"),
        || format!("{after}"),
    )
}

async fn push_timeouts(ctx: &mut Ctx) -> Result<f64, Problem> {
    let (status, text) = ctx.client.raw(Method::GET, None, "/metrics", None).await?;
    crate::wire::metric(&text, "omnisim_push_timeouts_total").ok_or_else(|| {
        error(format!(
            "/metrics: {status} without omnisim_push_timeouts_total"
        ))
    })
}

/// ops/1.3: /metrics shows each queue's depth, labelled with its org and queue, and counts
/// agents by presence and sessions by status.
pub async fn metrics_show_depth_presence_and_status(mut ctx: Ctx) -> CaseResult {
    let mut spec = plain_queue("french", 60_000);
    spec.required_skills = vec![SkillRequirement {
        skill: "french".into(),
        min_level: 1,
    }];
    let q = ctx.queue_spec(spec).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?
        .id;
    let _online = ctx.agent("no french", 1).await?;
    for who in ["+1", "+2"] {
        ctx.say(ch, who, who, "bonjour").await?;
    }
    let (status, text) = ctx.exchange(Method::GET, None, "/metrics", None).await?;
    let value = |series: &str| crate::wire::metric(&text, series);
    let depth = value(&format!(
        "omnisim_queue_depth{{org=\"{}\",queue=\"{}\"}}",
        ctx.org.0, q.0
    ));
    check(
        "R-ROUTE-1",
        status == 200 && depth == Some(2.0),
        "omnisim_queue_depth of this queue: 2",
        || format!("{depth:?}"),
    )?;
    let online = value("omnisim_agents{presence=\"online\"}");
    let waiting = value("omnisim_sessions{status=\"waiting\"}");
    check(
        "R-ROUTE-1",
        online.is_some_and(|n| n >= 1.0) && waiting.is_some_and(|n| n >= 2.0),
        "at least this org's online agent and two waiting sessions counted",
        || format!("online {online:?}, waiting {waiting:?}"),
    )
}
