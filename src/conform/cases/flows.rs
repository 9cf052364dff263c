//! Routing flows: which rule decides, what each condition reads, where each target sends the
//! work, direct routing and its fallback, pre-chat fields and secondary priority (R-FLOW-1..7).
//! Every setup makes the right and a plausible wrong decision differ: two rules that both hold, a
//! free agent beside the named one, an older session beside a higher-priority one.

use crate::conform::ctx::*;
use omnisim_protocol::*;
use std::time::Duration;

/// How long to watch for an offer that must not come.
const QUIET: Duration = Duration::from_millis(300);
const DAY_MS: u64 = 86_400_000;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn to_queue(queue: QueueId) -> FlowTarget {
    FlowTarget::Queue {
        queue,
        priority: None,
        secondary_priority: None,
        skills: vec![],
    }
}

fn rule(name: &str, conditions: Vec<Condition>, target: FlowTarget) -> FlowRule {
    FlowRule {
        name: name.into(),
        conditions,
        target,
    }
}

fn field_in(field: &str, values: &[&str]) -> Condition {
    Condition::FieldIn {
        field: field.into(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    }
}

fn flow(rules: Vec<FlowRule>, default: FlowTarget, fallback_queue: QueueId) -> FlowSpec {
    FlowSpec {
        name: "flow".into(),
        rules,
        default,
        fallback_queue,
    }
}

/// A standard web channel entering a fresh flow of `rules`, defaulting to `default`.
async fn flow_web(
    ctx: &mut Ctx,
    rules: Vec<FlowRule>,
    default: QueueId,
) -> Result<(FlowId, ChannelId), Problem> {
    let id = ctx.flow(&flow(rules, to_queue(default), default)).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Flow(id))
        .await?;
    Ok((id, ch.id))
}

/// Checks, about `rule`, that `session` was routed to `queue` by rule `by`, as read back.
async fn routed(
    ctx: &mut Ctx,
    rule: &str,
    session: SessionId,
    queue: QueueId,
    by: &str,
) -> CaseResult {
    let t = ctx.transcript(session).await?;
    check(
        rule,
        t.session.queue == Some(queue) && t.context.flow_rule.as_deref() == Some(by),
        format!("{session} in {queue} by rule '{by}'"),
        || format!("in {:?} by rule {:?}", t.session.queue, t.context.flow_rule),
    )
}

/// flows/1.1: the first rule that holds decides though a later one holds too; none holding, the
/// default does; the routing context names the flow and the rule.
pub async fn the_first_rule_that_holds_decides(mut ctx: Ctx) -> CaseResult {
    let [gold, tiered, rest] = [
        ctx.queue("gold", 60_000).await?,
        ctx.queue("tiered", 60_000).await?,
        ctx.queue("rest", 60_000).await?,
    ];
    let any_tier = Condition::FieldPresent {
        field: "tier".into(),
    };
    let rules = vec![
        rule("gold", vec![field_in("tier", &["gold"])], to_queue(gold)),
        rule("any-tier", vec![any_tier], to_queue(tiered)),
    ];
    let (id, ch) = flow_web(&mut ctx, rules, rest).await?;
    let a = ctx
        .say_with(ch, "+1", "p1", "hi", &[("tier", "gold")])
        .await?;
    let b = ctx
        .say_with(ch, "+2", "p2", "hi", &[("tier", "silver")])
        .await?;
    let c = ctx.say(ch, "+3", "p3", "hi").await?;
    routed(&mut ctx, "R-FLOW-1", a.session, gold, "gold").await?;
    routed(&mut ctx, "R-FLOW-1", b.session, tiered, "any-tier").await?;
    routed(&mut ctx, "R-FLOW-1", c.session, rest, "default").await?;
    let t = ctx.transcript(c.session).await?;
    check(
        "R-FLOW-5",
        t.context.flow == Some(id),
        format!("the routing context names {id}"),
        || format!("{:?}", t.context.flow),
    )
}

/// flows/1.2: a bot's flow handoff runs the flow with the intent and the fields the bot
/// collected; the agent's offer carries them, the flow and the rule.
pub async fn a_bot_handoff_runs_the_flow(mut ctx: Ctx) -> CaseResult {
    let [pro, rest] = [
        ctx.queue("pro", 60_000).await?,
        ctx.queue("rest", 60_000).await?,
    ];
    let intent = Condition::Intent {
        intents: vec!["agent".into()],
    };
    let rules = vec![rule(
        "pro",
        vec![intent, field_in("plan", &["pro"])],
        to_queue(pro),
    )];
    let id = ctx.flow(&flow(rules, to_queue(rest), rest)).await?;
    let mut spec = plain_bot(rest);
    spec.intents[1].action = IntentAction::FlowHandoff {
        flow: id,
        required_skills: vec![],
    };
    spec.fields = vec![BotField {
        name: "plan".into(),
        prompt: "Which plan?".into(),
    }];
    let bot = ctx.bot_spec(spec).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Bot(bot))
        .await?
        .id;
    let s = ctx.say(ch, "+1", "p1", "hi").await?;
    ctx.say(ch, "+1", "p2", "2").await?;
    ctx.say(ch, "+1", "p3", "pro").await?;
    let mut a = ctx.agent("a", 1).await?;
    let offer = a.must_offer().await?;
    check(
        "R-FLOW-1",
        offer.session.id == s.session
            && offer.work.queue == pro
            && offer.context.intent.as_deref() == Some("agent")
            && offer.context.flow == Some(id)
            && offer.context.flow_rule.as_deref() == Some("pro"),
        "offered from the pro queue with intent 'agent', the flow and rule 'pro'",
        || format!("queue {}, context {:?}", offer.work.queue, offer.context),
    )
}

/// flows/1.3: a transfer names its target: the flow is not run again, and the context keeps the
/// rule that first decided.
pub async fn a_transfer_does_not_run_the_flow_again(mut ctx: Ctx) -> CaseResult {
    let [gold, other] = [
        ctx.queue("gold", 60_000).await?,
        ctx.queue("other", 60_000).await?,
    ];
    let rules = vec![rule(
        "gold",
        vec![field_in("tier", &["gold"])],
        to_queue(gold),
    )];
    let (_, ch) = flow_web(&mut ctx, rules, other).await?;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx
        .say_with(ch, "+1", "p1", "hi", &[("tier", "gold")])
        .await?;
    a.take_offer().await?;
    let transfer = AgentRequest::Transfer {
        session: s.session,
        to: TransferTarget::Queue(other),
    };
    a.must("transfer", transfer).await?;
    routed(&mut ctx, "R-FLOW-1", s.session, other, "gold").await
}

/// A flow sending sessions to `night` while the time of day lies in [from, to), else to `day`.
async fn window(
    ctx: &mut Ctx,
    from_ms: u64,
    to_ms: u64,
) -> Result<(ChannelId, QueueId, QueueId), Problem> {
    let [night, day] = [
        ctx.queue("night", 60_000).await?,
        ctx.queue("day", 60_000).await?,
    ];
    let condition = Condition::TimeOfDay {
        from_ms: from_ms as u32,
        to_ms: to_ms as u32,
    };
    let (_, ch) = flow_web(
        ctx,
        vec![rule("night", vec![condition], to_queue(night))],
        day,
    )
    .await?;
    Ok((ch, night, day))
}

/// Where a session opened now by `address` waits.
async fn queue_now(
    ctx: &mut Ctx,
    ch: ChannelId,
    address: &str,
) -> Result<Option<QueueId>, Problem> {
    let s = ctx.say(ch, address, address, "hi").await?;
    Ok(ctx.transcript(s.session).await?.session.queue)
}

/// flows/2.1: a time-of-day window holds from its first millisecond to the one before its end:
/// checked at from − 1, from, to − 1 and to.
pub async fn a_time_window_holds_from_its_start_to_its_end(mut ctx: Ctx) -> CaseResult {
    let t = ctx.now().await?.0 % DAY_MS;
    let (from, to) = ((t + 1_000) % DAY_MS, (t + 2_000) % DAY_MS);
    let (ch, night, day) = window(&mut ctx, from, to).await?;
    let steps = [
        (999, "+1", day, "1 ms before the window"),
        (1, "+2", night, "the window's first millisecond"),
        (999, "+3", night, "its last millisecond"),
        (1, "+4", day, "its end"),
    ];
    for (advance, address, expected, when) in steps {
        ctx.elapse(ms(advance)).await?;
        let seen = queue_now(&mut ctx, ch, address).await?;
        check(
            "R-FLOW-2",
            seen == Some(expected),
            format!("{when}: routed to {expected}"),
            || format!("routed to {seen:?}"),
        )?;
    }
    Ok(())
}

/// flows/2.2: a window from 23:00 to 01:00 holds at 23:59:59 and at 00:00:01 the next day.
pub async fn a_time_window_wraps_past_midnight(mut ctx: Ctx) -> CaseResult {
    let (ch, night, _) = window(&mut ctx, 23 * 3_600_000, 3_600_000).await?;
    let t = ctx.now().await?.0 % DAY_MS;
    ctx.elapse(ms(DAY_MS - 1_000 - t)).await?;
    let before = queue_now(&mut ctx, ch, "+1").await?;
    ctx.elapse(ms(2_000)).await?;
    let after = queue_now(&mut ctx, ch, "+2").await?;
    check(
        "R-FLOW-2",
        before == Some(night) && after == Some(night),
        format!("routed to {night} at 23:59:59 and at 00:00:01"),
        || format!("{before:?} and {after:?}"),
    )
}

/// flows/2.3: agents_at_least counts the online agents with the queue's skills and room for its
/// work; waiting_at_most reads the queue's backlog, offered sessions included.
pub async fn availability_and_backlog_conditions(mut ctx: Ctx) -> CaseResult {
    let mut spec = plain_queue("french", 60_000);
    spec.required_skills = vec![SkillRequirement {
        skill: "french".into(),
        min_level: 1,
    }];
    let fr = ctx.queue_spec(spec).await?;
    let overflow = ctx.queue("overflow", 60_000).await?;
    let free = vec![
        Condition::AgentsAtLeast { queue: fr, n: 1 },
        Condition::WaitingAtMost { queue: fr, n: 0 },
    ];
    let (_, ch) = flow_web(
        &mut ctx,
        vec![rule("french-free", free, to_queue(fr))],
        overflow,
    )
    .await?;
    let _unskilled = ctx.agent("unskilled", 1).await?;
    let first = queue_now(&mut ctx, ch, "+1").await?;
    check(
        "R-FLOW-2",
        first == Some(overflow),
        "overflow while only an agent without the skill is online",
        || format!("routed to {first:?}"),
    )?;
    let mut french = ctx.skilled_agent("french", 1, &[("french", 1)]).await?;
    let second = queue_now(&mut ctx, ch, "+2").await?;
    check(
        "R-FLOW-2",
        second == Some(fr),
        "the French queue once a French agent is free",
        || format!("routed to {second:?}"),
    )?;
    french.must_offer().await?;
    let third = queue_now(&mut ctx, ch, "+3").await?;
    check(
        "R-FLOW-2",
        third == Some(overflow),
        "overflow again: the French agent is full and a session waits in its queue",
        || format!("routed to {third:?}"),
    )
}

/// A queue target of `queue` with priority 0 needing skill `vip`, dropped after `drop_ms`.
fn vip_target(queue: QueueId, drop_ms: u64) -> FlowTarget {
    FlowTarget::Queue {
        queue,
        priority: Some(0),
        secondary_priority: None,
        skills: vec![FlowSkill {
            skill: "vip".into(),
            min_level: 1,
            drop_after_ms: Some(Millis(drop_ms)),
        }],
    }
}

/// flows/3.1: a queue target's priority replaces the queue's: its session is offered before an
/// older one of the same queue.
pub async fn a_queue_target_overrides_the_priority(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let plain = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?
        .id;
    let rules = vec![rule(
        "vip",
        vec![field_in("tier", &["gold"])],
        vip_target(q, 600_000),
    )];
    let (_, ch) = flow_web(&mut ctx, rules, q).await?;
    ctx.say(plain, "+1", "p1", "older").await?;
    ctx.elapse(ms(5)).await?;
    let vip = ctx
        .say_with(ch, "+2", "p2", "hi", &[("tier", "gold")])
        .await?;
    let mut a = ctx.skilled_agent("a", 1, &[("vip", 1)]).await?;
    a.must_be_offered(
        "R-FLOW-3",
        vip.session,
        "the priority-0 session first, though the other is older",
    )
    .await
}

/// flows/3.2: a flow target's skill stops counting drop_after_ms after the request: not offered
/// to an agent without it 1 ms before, offered at the drop exactly.
pub async fn a_target_skill_drops_at_its_deadline(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let rules = vec![rule("vip", vec![], vip_target(q, 1_000))];
    let (_, ch) = flow_web(&mut ctx, rules, q).await?;
    let mut plain = ctx.agent("plain", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hi").await?;
    ctx.elapse(ms(999)).await?;
    let early = plain.offer(QUIET).await?;
    check(
        "R-FLOW-3",
        early.is_none(),
        "no offer to an agent without the skill 1 ms before the drop",
        || "offered early".into(),
    )?;
    ctx.elapse(ms(1)).await?;
    plain
        .must_be_offered("R-FLOW-3", s.session, "offered at the drop")
        .await
}

/// A flow routing every session to `named` for `timeout_ms`, falling back on a fresh queue;
/// the channel entering it and the queue.
async fn direct(
    ctx: &mut Ctx,
    named: AgentId,
    timeout_ms: u64,
) -> Result<(ChannelId, QueueId), Problem> {
    let q = ctx.queue("fallback", 60_000).await?;
    let target = FlowTarget::Agent {
        agent: named,
        timeout_ms: Millis(timeout_ms),
        fallback_queue: None,
    };
    let id = ctx.flow(&flow(vec![], target, q)).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Flow(id))
        .await?
        .id;
    Ok((ch, q))
}

/// The named agent holding one accepted session of `q` at full capacity, and a free agent.
async fn named_full_other_free(
    ctx: &mut Ctx,
    q: QueueId,
    named: &mut AgentConn,
) -> Result<(SessionId, AgentConn), Problem> {
    let plain = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?
        .id;
    let held = ctx.say(plain, "+0", "p0", "first").await?;
    named.take_offer().await?;
    let other = ctx.agent("other", 2).await?;
    Ok((held.session, other))
}

/// flows/4.1: directly routed work waits for its full agent while another agent is free, and is
/// offered to it as soon as it has room.
pub async fn direct_work_waits_for_its_agent(mut ctx: Ctx) -> CaseResult {
    let mut named = ctx.agent("named", 1).await?;
    let (ch, q) = direct(&mut ctx, named.id, 600_000).await?;
    let (held, mut other) = named_full_other_free(&mut ctx, q, &mut named).await?;
    let s = ctx.say(ch, "+1", "p1", "hi").await?;
    let stolen = other.offer(QUIET).await?;
    check(
        "R-FLOW-4",
        stolen.is_none(),
        "no offer to the free agent: the work is the named agent's",
        || {
            format!(
                "{:?} offered to the other agent",
                stolen.map(|o| o.session.id)
            )
        },
    )?;
    named
        .must("end", AgentRequest::End { session: held })
        .await?;
    let offer = named.offer(PROMPT).await?;
    check(
        "R-FLOW-4",
        offer
            .as_ref()
            .is_some_and(|o| o.session.id == s.session && o.context.direct_agent == Some(named.id)),
        "offered to the named agent once it has room, the context naming it",
        || format!("{:?}", offer.map(|o| (o.session.id, o.context))),
    )
}

/// flows/4.2: directly routed work stays with its agent until timeout_ms − 1 and falls back at
/// timeout_ms exactly, keeping its request time.
pub async fn direct_work_falls_back_at_its_timeout(mut ctx: Ctx) -> CaseResult {
    let mut named = ctx.agent("named", 1).await?;
    let (ch, q) = direct(&mut ctx, named.id, 1_000).await?;
    let (_, mut other) = named_full_other_free(&mut ctx, q, &mut named).await?;
    let s = ctx.say(ch, "+1", "p1", "hi").await?;
    let requested = ctx.transcript(s.session).await?.session.started_at;
    ctx.elapse(ms(999)).await?;
    let early = other.offer(QUIET).await?;
    check(
        "R-FLOW-4",
        early.is_none(),
        "no offer to the other agent 1 ms before the timeout",
        || "offered early".into(),
    )?;
    ctx.elapse(ms(1)).await?;
    let offer = other.offer(PROMPT).await?;
    check(
        "R-FLOW-4",
        offer.as_ref().is_some_and(|o| {
            o.session.id == s.session
                && o.work.requested_at == requested
                && o.work.assigned_at == requested + Millis(1_000)
                && o.context
                    .fallback
                    .is_some_and(|f| f.reason == FallbackReason::Timeout)
        }),
        format!("offered at the timeout, requested_at still {requested}, fallback 'timeout'"),
        || {
            format!(
                "{:?}",
                offer.map(|o| (o.session.id, o.work.requested_at, o.context.fallback))
            )
        },
    )
}

/// flows/4.3: an agent that declines directly routed work sends it to the fallback queue at once,
/// where it is tried last; an agent offline at the request does the same.
pub async fn a_decline_or_an_offline_agent_falls_back(mut ctx: Ctx) -> CaseResult {
    let mut named = ctx.agent("named", 2).await?;
    let (ch, _) = direct(&mut ctx, named.id, 600_000).await?;
    let mut other = ctx.agent("other", 2).await?;
    let s = ctx.say(ch, "+1", "p1", "hi").await?;
    let offer = named.must_offer().await?;
    named
        .must(
            "decline",
            AgentRequest::Decline {
                work: offer.work.id,
            },
        )
        .await?;
    fell_back_to(&mut other, s.session, FallbackReason::Declined).await?;
    named.set_presence(Presence::Offline).await?;
    let s = ctx.say(ch, "+2", "p2", "hi").await?;
    fell_back_to(&mut other, s.session, FallbackReason::Offline).await
}

/// Checks that `session` is the next offer to `agent`, having fallen back for `reason`.
async fn fell_back_to(
    agent: &mut AgentConn,
    session: SessionId,
    reason: FallbackReason,
) -> CaseResult {
    let offer = agent.offer(PROMPT).await?;
    check(
        "R-FLOW-4",
        offer.as_ref().is_some_and(|o| {
            o.session.id == session && o.context.fallback.is_some_and(|f| f.reason == reason)
        }),
        format!("{session} offered to the other agent, fallback {reason:?}"),
        || format!("{:?}", offer.map(|o| (o.session.id, o.context.fallback))),
    )
}

/// flows/5.1: a bot target reached from a bot handoff cannot take the session: it waits in the
/// flow's fallback queue and the context records `bot_from_handoff`.
pub async fn a_bot_target_from_a_handoff_is_a_flow_error(mut ctx: Ctx) -> CaseResult {
    let rest = ctx.queue("rest", 60_000).await?;
    let other_bot = ctx.bot(rest).await?;
    let id = ctx
        .flow(&flow(vec![], FlowTarget::Bot { bot: other_bot }, rest))
        .await?;
    let mut spec = plain_bot(rest);
    spec.intents[1].action = IntentAction::FlowHandoff {
        flow: id,
        required_skills: vec![],
    };
    let bot = ctx.bot_spec(spec).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Bot(bot))
        .await?
        .id;
    let s = ctx.say(ch, "+1", "p1", "hi").await?;
    ctx.say(ch, "+1", "p2", "2").await?;
    let t = ctx.transcript(s.session).await?;
    check(
        "R-FLOW-5",
        t.session.queue == Some(rest)
            && t.session.status == SessionStatus::Waiting
            && t.context.flow_error == Some(FlowError::BotFromHandoff)
            && t.context.flow_rule.as_deref() == Some("default"),
        "waiting in the fallback queue, flow_error bot_from_handoff, rule 'default'",
        || {
            format!(
                "{:?} in {:?}, context {:?}",
                t.session.status, t.session.queue, t.context
            )
        },
    )
}

/// flows/6.1: pre-chat fields of a session's first message on a web channel are offered to the
/// agent and read back.
pub async fn prechat_fields_reach_the_agent(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let s = ctx
        .say_with(
            ch,
            "+1",
            "p1",
            "hi",
            &[("language", "fr"), ("tier", "gold")],
        )
        .await?;
    let mut a = ctx.agent("a", 1).await?;
    let offer = a.must_offer().await?;
    let t = ctx.transcript(s.session).await?;
    let expected = |f: &std::collections::BTreeMap<String, String>| {
        f.get("language").map(String::as_str) == Some("fr")
            && f.get("tier").map(String::as_str) == Some("gold")
    };
    check(
        "R-FLOW-6",
        expected(&offer.context.fields) && expected(&t.context.fields),
        "language fr and tier gold in the offer and the read-back",
        || {
            format!(
                "offer {:?}, read back {:?}",
                offer.context.fields, t.context.fields
            )
        },
    )
}

/// flows/6.2: pre-chat fields are refused on an SMS channel and after a session's first message,
/// and nothing is stored.
pub async fn prechat_fields_are_refused_elsewhere(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let sms = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q))
        .await?
        .id;
    let web = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?
        .id;
    let text = || InboundContent::Text { text: "hi".into() };
    let fields = [("language", "fr")];
    let on_sms = ctx.inbound_with(sms, "+1", "p1", text(), &fields).await?;
    ctx.say(web, "+2", "p2", "first").await?;
    let later = ctx.inbound_with(web, "+2", "p3", text(), &fields).await?;
    for (what, (status, reply)) in [("on SMS", on_sms), ("after the first message", later)] {
        let code = reply.as_ref().err().map(|e| e.code);
        check(
            "R-FLOW-6",
            status == 422 && code == Some(ErrorCode::PrechatFieldsUnsupported),
            format!("{what}: 422 prechat_fields_unsupported"),
            || format!("{status} {reply:?}"),
        )?;
    }
    Ok(())
}

/// flows/6.3: a field the bot collects replaces a pre-chat field of the same name.
pub async fn a_bot_field_replaces_a_prechat_one(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let mut spec = plain_bot(q);
    spec.fields = vec![BotField {
        name: "language".into(),
        prompt: "Which language?".into(),
    }];
    let bot = ctx.bot_spec(spec).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Bot(bot))
        .await?
        .id;
    let s = ctx
        .say_with(ch, "+1", "p1", "hi", &[("language", "en")])
        .await?;
    ctx.say(ch, "+1", "p2", "2").await?;
    ctx.say(ch, "+1", "p3", "fr").await?;
    let t = ctx.transcript(s.session).await?;
    let language = t.context.fields.get("language").cloned();
    check(
        "R-FLOW-6",
        language.as_deref() == Some("fr"),
        "language 'fr', as the bot collected it",
        || format!("{language:?}"),
    )
}

/// flows/7.1: within one priority, secondary priority 0 before 5 before none, whatever their age.
pub async fn secondary_priority_comes_before_age(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let target = |secondary| FlowTarget::Queue {
        queue: q,
        priority: None,
        secondary_priority: secondary,
        skills: vec![],
    };
    let rules = vec![
        rule("gold", vec![field_in("tier", &["gold"])], target(Some(0))),
        rule(
            "silver",
            vec![field_in("tier", &["silver"])],
            target(Some(5)),
        ),
    ];
    let id = ctx.flow(&flow(rules, target(None), q)).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Flow(id))
        .await?
        .id;
    let none = ctx.say(ch, "+1", "p1", "hi").await?;
    ctx.elapse(ms(5)).await?;
    let silver = ctx
        .say_with(ch, "+2", "p2", "hi", &[("tier", "silver")])
        .await?;
    ctx.elapse(ms(5)).await?;
    let gold = ctx
        .say_with(ch, "+3", "p3", "hi", &[("tier", "gold")])
        .await?;
    let mut a = ctx.agent("a", 1).await?;
    for (s, what) in [
        (gold.session, "gold (0) first"),
        (silver.session, "silver (5) next"),
        (none.session, "none last"),
    ] {
        let offer = a.take_offer().await?;
        check("R-FLOW-7", offer.session.id == s, what, || {
            format!("{} offered", offer.session.id)
        })?;
        a.must("end", AgentRequest::End { session: s }).await?;
    }
    Ok(())
}

/// flows/1.4: a flow reads back as created and as replaced; ids it names are checked (404) after
/// its values (422).
pub async fn flows_are_checked_and_read_back(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let spec = flow(vec![rule("r", vec![], to_queue(q))], to_queue(q), q);
    let id = ctx.flow(&spec).await?;
    let mut next = spec.clone();
    next.name = "renamed".into();
    let (status, put) = ctx
        .call::<Flow>(http::Method::PUT, &format!("/flows/{}", id.0), Some(&next))
        .await?;
    let read: Flow = ctx
        .ok(http::Method::GET, &format!("/flows/{}", id.0), None::<&()>)
        .await?;
    check(
        "R-FLOW-1",
        status == 200 && put.is_ok_and(|f| f.spec == next) && read.spec == next,
        "PUT replaces the flow and it reads back as replaced",
        || format!("{status}, read back {:?}", read.spec),
    )?;
    let mut bad = spec.clone();
    bad.rules = vec![rule("default", vec![], to_queue(QueueId(u64::MAX >> 12)))];
    let (status, reply) = ctx
        .call::<Flow>(http::Method::POST, "/flows", Some(&bad))
        .await?;
    check(
        "R-FLOW-1",
        status == 422,
        "a rule named 'default' is 422 before its unknown queue is 404",
        || format!("{status} {reply:?}"),
    )?;
    bad.rules[0].name = "r".into();
    let (status, reply) = ctx
        .call::<Flow>(http::Method::POST, "/flows", Some(&bad))
        .await?;
    check(
        "R-FLOW-1",
        status == 404,
        "a rule targeting an unknown queue is 404",
        || format!("{status} {reply:?}"),
    )
}

/// flows/5.2: a flow's rules may name a queue and an agent that are deleted later: their sessions
/// go to the flow's fallback queue and the context records `target_missing`.
pub async fn deleted_targets_send_to_the_fallback(mut ctx: Ctx) -> CaseResult {
    let [gone, fallback] = [
        ctx.queue("gone", 60_000).await?,
        ctx.queue("fallback", 60_000).await?,
    ];
    let spec = AgentSpec {
        name: "leaver".into(),
        capacity: 1,
        skills: Default::default(),
    };
    let leaver: AgentCreated = ctx.ok(http::Method::POST, "/agents", Some(&spec)).await?;
    let direct = FlowTarget::Agent {
        agent: leaver.agent.id,
        timeout_ms: Millis(60_000),
        fallback_queue: None,
    };
    let rules = vec![
        rule("to-queue", vec![field_in("to", &["queue"])], to_queue(gone)),
        rule("to-agent", vec![field_in("to", &["agent"])], direct),
    ];
    let (_, ch) = flow_web(&mut ctx, rules, fallback).await?;
    for rest in [
        format!("/queues/{}", gone.0),
        format!("/agents/{}", leaver.agent.id.0),
    ] {
        let (status, reply) = ctx
            .call::<()>(http::Method::DELETE, &rest, None::<&()>)
            .await?;
        check(
            "R-FLOW-5",
            status == 204,
            format!("DELETE {rest}: 204"),
            || format!("{status} {reply:?}"),
        )?;
    }
    for (address, to) in [("+1", "queue"), ("+2", "agent")] {
        let s = ctx
            .say_with(ch, address, address, "hi", &[("to", to)])
            .await?;
        let t = ctx.transcript(s.session).await?;
        check(
            "R-FLOW-5",
            t.session.queue == Some(fallback)
                && t.context.flow_error == Some(FlowError::TargetMissing)
                && t.context.flow_rule.as_deref() == Some(&format!("to-{to}")),
            format!("the rule to a deleted {to}: the fallback queue, flow_error target_missing"),
            || format!("in {:?}, context {:?}", t.session.queue, t.context),
        )?;
    }
    Ok(())
}

/// flows/5.3: what is in use is not deleted (a queue a channel enters or a flow falls back to, an
/// agent online), and a deleted agent's socket closes with 4004 and its
/// token opens no other.
pub async fn deletion_spares_what_is_in_use(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let fallback = ctx.queue("fallback", 60_000).await?;
    ctx.flow(&flow(vec![], to_queue(fallback), fallback))
        .await?;
    ctx.channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?;
    let mut a = ctx.agent("a", 1).await?;
    let delete = |rest: String| (http::Method::DELETE, rest);
    for (what, (method, rest)) in [
        (
            "a queue a channel enters",
            delete(format!("/queues/{}", q.0)),
        ),
        (
            "a flow's fallback queue",
            delete(format!("/queues/{}", fallback.0)),
        ),
        ("an online agent", delete(format!("/agents/{}", a.id.0))),
    ] {
        let (status, reply) = ctx.call::<()>(method, &rest, None::<&()>).await?;
        let code = reply.as_ref().err().map(|e| e.code);
        check(
            "R-FLOW-5",
            status == 409 && code == Some(ErrorCode::InvalidState),
            format!("deleting {what}: 409 invalid_state"),
            || format!("{status} {reply:?}"),
        )?;
    }
    a.set_presence(Presence::Offline).await?;
    let rest = format!("/agents/{}", a.id.0);
    let (status, _) = ctx
        .call::<serde_json::Value>(http::Method::DELETE, &rest, None::<&()>)
        .await?;
    let closed = a.close_code(PROMPT).await;
    check(
        "R-FLOW-5",
        status == 204 && closed == Some(Some(socket::CLOSE_DELETED)),
        "deleting the offline agent: 204, its socket closed with 4004",
        || format!("{status}, closed {closed:?}"),
    )?;
    let again = ctx.client.socket(&a.token, "/v1/agent").await;
    check(
        "R-SEC-1",
        again.as_ref().is_err_and(|e| e.to_string().contains("401")),
        "the deleted agent's token opens no socket: 401",
        || match &again {
            Ok(_) => "a socket opened".into(),
            Err(e) => e.to_string(),
        },
    )
}
