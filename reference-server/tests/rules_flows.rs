//! R-FLOW: routing flows, direct routing, pre-chat fields, secondary priority.

mod common;
use common::*;
use omnisim_protocol::*;
use omnisim_reference_server::OrgCommand;
use omnisim_reference_server::faults::{Fault, Faults};

/// Three queues: `gold`, `tier` (any tier given) and `rest`, the default and fallback, and a
/// flow whose two first rules both hold for a gold customer.
fn tiered(w: &mut World) -> (ChannelId, [QueueId; 3]) {
    let [gold, tier, rest] = [w.queue("gold"), w.queue("tier"), w.queue("rest")];
    let flow = w.add_flow(flow_spec(
        vec![
            rule("gold", vec![field_in("tier", &["gold"])], to_queue(gold)),
            rule(
                "any-tier",
                vec![Condition::FieldPresent {
                    field: "tier".into(),
                }],
                to_queue(tier),
            ),
        ],
        rest,
    ));
    (w.flow_web(flow), [gold, tier, rest])
}

#[test]
fn r_flow_1_the_first_rule_that_holds_decides_else_the_default() {
    let mut w = World::new();
    let (web, [gold, tier, rest]) = tiered(&mut w);
    let a = w.say_with(web, "a", "hi", &[("tier", "gold")]).unwrap();
    let b = w.say_with(web, "b", "hi", &[("tier", "silver")]).unwrap();
    let c = w.say(web, "c", "hi");
    for (s, queue, rule) in [
        (a.session, gold, "gold"),
        (b.session, tier, "any-tier"),
        (c.session, rest, "default"),
    ] {
        assert_eq!(w.session(s).queue, Some(queue), "{rule}");
        let ctx = w.context(s);
        assert_eq!(ctx.flow_rule.as_deref(), Some(rule));
        assert!(ctx.flow.is_some() && ctx.flow_error.is_none());
    }
}

#[test]
fn r_flow_1_last_match_fault_is_caught() {
    let mut w = World::with_faults(Faults::NONE.with(Fault::FlowLastMatchWins));
    let (web, [_, tier, _]) = tiered(&mut w);
    let a = w.say_with(web, "a", "hi", &[("tier", "gold")]).unwrap();
    assert_eq!(w.session(a.session).queue, Some(tier));
}

#[test]
fn r_flow_1_a_flow_runs_once_not_on_transfer_nor_after_an_update() {
    let mut w = World::new();
    let (web, [gold, _, rest]) = tiered(&mut w);
    let agent = w.agent(2, &[]);
    let s = w
        .say_with(web, "a", "hi", &[("tier", "gold")])
        .unwrap()
        .session;
    w.take(agent);
    w.agent_cmd(
        agent,
        AgentRequest::Transfer {
            session: s,
            to: TransferTarget::Queue(rest),
        },
    )
    .unwrap();
    assert_eq!(
        w.session(s).queue,
        Some(rest),
        "the transfer's target, not the flow's"
    );
    assert_eq!(w.context(s).flow_rule.as_deref(), Some("gold"));
    assert_eq!(w.context(s).transferred_from, Some(gold));
}

#[test]
fn r_flow_1_a_bot_handoff_runs_the_flow_with_its_intent_and_collected_fields() {
    let mut w = World::new();
    let [billing, rest] = [w.queue("billing"), w.queue("rest")];
    let flow = w.add_flow(flow_spec(
        vec![rule(
            "billing",
            vec![
                Condition::Intent {
                    intents: vec!["billing".into()],
                },
                field_in("plan", &["pro"]),
            ],
            to_queue(billing),
        )],
        rest,
    ));
    let mut spec = bot_spec(rest);
    spec.intents[1].action = IntentAction::FlowHandoff {
        flow,
        required_skills: vec![],
    };
    spec.fields = vec![BotField {
        name: "plan".into(),
        prompt: "Which plan?".into(),
    }];
    let bot = w.add_bot(spec);
    let web = w.channel(ChannelKind::Web, Platform::Standard, Entry::Bot(bot));
    for (address, plan, queue) in [("a", "pro", billing), ("b", "free", rest)] {
        let s = w.say(web, address, "hi").session;
        w.say(web, address, "2");
        w.say(web, address, plan);
        assert_eq!(w.session(s).queue, Some(queue), "{plan}");
        assert_eq!(w.session(s).handler, Handler::BotToAgent);
        assert_eq!(w.context(s).intent.as_deref(), Some("billing"));
    }
}

/// A flow sending sessions to `night` while the time of day is in [from, to), else to `day`.
fn night_flow(w: &mut World, from_ms: u32, to_ms: u32) -> (ChannelId, QueueId, QueueId) {
    let [night, day] = [w.queue("night"), w.queue("day")];
    let flow = w.add_flow(flow_spec(
        vec![rule(
            "night",
            vec![Condition::TimeOfDay { from_ms, to_ms }],
            to_queue(night),
        )],
        day,
    ));
    (w.flow_web(flow), night, day)
}

#[test]
fn r_flow_2_a_time_window_holds_from_its_start_to_just_before_its_end() {
    let mut w = World::new();
    // The world's clock starts at 1 000 ms past midnight.
    let (web, night, day) = night_flow(&mut w, 2_000, 5_000);
    let queue_at = |w: &mut World, address: &str| {
        let s = w.say(web, address, "hi").session;
        w.session(s).queue
    };
    w.advance(999);
    assert_eq!(
        queue_at(&mut w, "t-1"),
        Some(day),
        "1 999 ms: before the window"
    );
    w.advance(1);
    assert_eq!(
        queue_at(&mut w, "t"),
        Some(night),
        "2 000 ms: its first instant"
    );
    w.advance(2_999);
    assert_eq!(queue_at(&mut w, "end-1"), Some(night), "4 999 ms: its last");
    w.advance(1);
    assert_eq!(queue_at(&mut w, "end"), Some(day), "5 000 ms: after it");
}

#[test]
fn r_flow_2_a_time_window_wraps_past_midnight() {
    for (faults, expected_night) in [
        (Faults::NONE, true),
        (Faults::NONE.with(Fault::TimeWindowNoWrap), false),
    ] {
        let mut w = World::with_faults(faults);
        // 23:00 to 01:00, and it is 00:00:01.
        let (web, night, day) = night_flow(&mut w, 23 * 3_600_000, 3_600_000);
        let s = w.say(web, "u", "hi").session;
        let expected = if expected_night { night } else { day };
        assert_eq!(w.session(s).queue, Some(expected), "{faults:?}");
        // And at 23:30 the next day.
        w.advance(23 * 3_600_000 + 1_800_000);
        let s = w.say(web, "v", "hi").session;
        assert_eq!(w.session(s).queue, Some(expected), "{faults:?}");
    }
}

#[test]
fn r_flow_2_availability_and_backlog_conditions_read_the_queue_now() {
    let mut w = World::new();
    let mut fr = queue_spec("french");
    fr.required_skills = vec![skill("french", 1)];
    let fr = w.add_queue(fr);
    let overflow = w.queue("overflow");
    let flow = w.add_flow(flow_spec(
        vec![rule(
            "french-free",
            vec![
                Condition::AgentsAtLeast { queue: fr, n: 1 },
                Condition::WaitingAtMost { queue: fr, n: 0 },
            ],
            to_queue(fr),
        )],
        overflow,
    ));
    let web = w.flow_web(flow);
    // An online agent without the skill does not count.
    w.agent(1, &[]);
    let s = w.say(web, "a", "bonjour").session;
    assert_eq!(w.session(s).queue, Some(overflow));
    let agent = w.agent(1, &[("french", 1)]);
    let s = w.say(web, "b", "bonjour").session;
    assert_eq!(w.session(s).queue, Some(fr));
    // The French agent is full now: the next goes to overflow.
    assert_eq!(w.offer(agent).map(|o| o.session), Some(s));
    let s = w.say(web, "c", "bonjour").session;
    assert_eq!(w.session(s).queue, Some(overflow));
}

#[test]
fn r_flow_3_a_queue_target_overrides_priority_and_adds_skills_that_drop() {
    for faults in [Faults::NONE, Faults::NONE.with(Fault::FlowPriorityIgnored)] {
        let mut w = World::with_faults(faults);
        let q = w.queue("q");
        let flow = w.add_flow(flow_spec(
            vec![rule(
                "vip",
                vec![field_in("tier", &["gold"])],
                FlowTarget::Queue {
                    queue: q,
                    priority: Some(0),
                    secondary_priority: None,
                    skills: vec![FlowSkill {
                        skill: "vip".into(),
                        min_level: 1,
                        drop_after_ms: Some(Millis(10_000)),
                    }],
                },
            )],
            q,
        ));
        let web = w.flow_web(flow);
        let plain = w.web(q);
        let older = w.say(plain, "older", "hi").session;
        w.advance(1);
        let vip = w
            .say_with(web, "vip", "hi", &[("tier", "gold")])
            .unwrap()
            .session;
        // Priority 0 beats the queue's own 1 although the other session is older.
        let b = w.agent(1, &[("vip", 1)]);
        let first = w.offer(b).map(|o| o.session);
        if faults.has(Fault::FlowPriorityIgnored) {
            assert_eq!(first, Some(older), "the fault shows");
            continue;
        }
        assert_eq!(first, Some(vip));
        // The skill drops 10 s after the request: at T − 1 ms nothing, at T a skill-less agent.
        let vip2 = w
            .say_with(web, "vip2", "hi", &[("tier", "gold")])
            .unwrap()
            .session;
        let c = w.agent(1, &[]);
        assert_eq!(w.offer(c).map(|o| o.session), Some(older));
        let e = w.agent(1, &[]);
        w.advance(9_999);
        assert!(w.offer(e).is_none());
        w.advance(1);
        assert_eq!(w.offer(e).map(|o| o.session), Some(vip2));
    }
}

/// A flow routing every session to `named` for 30 s, falling back on `fallback`.
fn direct(w: &mut World, named: AgentId, fallback: QueueId) -> ChannelId {
    let flow = w.add_flow(FlowSpec {
        name: "account manager".into(),
        rules: vec![],
        default: FlowTarget::Agent {
            agent: named,
            timeout_ms: Millis(30_000),
            fallback_queue: None,
        },
        fallback_queue: fallback,
    });
    w.flow_web(flow)
}

#[test]
fn r_flow_4_direct_work_waits_for_its_agent_only_until_the_timeout() {
    for faults in [
        Faults::NONE,
        Faults::NONE.with(Fault::DirectToAnyone),
        Faults::NONE.with(Fault::DirectFallbackResetsAge),
    ] {
        let mut w = World::with_faults(faults);
        let q = w.queue("fallback");
        let named = w.agent(1, &[]);
        let web = direct(&mut w, named, q);
        let plain = w.web(q);
        // The named agent is full; another agent is free.
        let first = w.say(plain, "first", "hi").session;
        assert_eq!(w.take(named).session, first);
        let s = w.say(web, "vip", "hi").session;
        w.advance(1);
        let later = w.say(plain, "later", "hi").session;
        let other = w.add_agent(2, &[]);
        w.presence(other, Presence::Online);
        if faults.has(Fault::DirectToAnyone) {
            assert_eq!(
                w.offer(other).map(|o| o.session),
                Some(s),
                "the fault shows"
            );
            continue;
        }
        assert_eq!(
            w.offer(other).map(|o| o.session),
            Some(later),
            "not the direct work"
        );
        assert_eq!(w.context(s).direct_agent, Some(named));
        w.advance(29_998);
        assert_eq!(
            w.session(s).agent,
            None,
            "T − 1 ms: still the named agent's"
        );
        w.advance(1);
        let offer = w
            .session_work(s)
            .pop()
            .expect("T: offered in the fallback queue");
        assert_eq!(offer.agent, other);
        let fallback = w.context(s).fallback.expect("the fallback is recorded");
        assert_eq!(fallback.reason, FallbackReason::Timeout);
        assert_eq!(fallback.agent, named);
        let requested = Timestamp(1_000);
        if faults.has(Fault::DirectFallbackResetsAge) {
            assert_ne!(offer.requested_at, requested, "the fault shows");
        } else {
            assert_eq!(offer.requested_at, requested, "the original request time");
        }
    }
}

#[test]
fn r_flow_4_an_offer_outstanding_at_the_timeout_is_withdrawn() {
    let mut w = World::new();
    let mut spec = queue_spec("fallback");
    spec.push_timeout_ms = Millis(60_000);
    let q = w.add_queue(spec);
    let named = w.agent(1, &[]);
    let web = direct(&mut w, named, q);
    let s = w.say(web, "vip", "hi").session;
    let offered = w.offer(named).expect("offered to the named agent");
    assert_eq!(offered.session, s);
    w.advance(30_000);
    let items = w.session_work(s);
    assert_eq!(items[0].status, WorkStatus::Withdrawn);
    assert!(w.events.iter().any(|e| matches!(
        e,
        Event::OfferRescinded {
            reason: RescindReason::DirectTimeout,
            ..
        }
    )));
    // The named agent is tried last in the fallback queue, and no one else is online.
    assert_eq!(w.offer(named).map(|o| o.session), Some(s));
}

#[test]
fn r_flow_4_offline_lacking_skills_or_declining_falls_back_at_once() {
    let mut w = World::new();
    let q = w.queue("fallback");
    let named = w.add_agent(1, &[]);
    let web = direct(&mut w, named, q);
    let other = w.agent(1, &[]);
    let s = w.say(web, "offline", "hi").session;
    assert_eq!(
        w.context(s).fallback.map(|f| f.reason),
        Some(FallbackReason::Offline)
    );
    assert_eq!(w.offer(other).map(|o| o.session), Some(s));
    // Online now: it is offered, declines, and the work falls back with it tried last.
    w.presence(named, Presence::Online);
    let s = w.say(web, "declined", "hi").session;
    let work = w.offer(named).expect("offered to the named agent");
    w.decline(named, work.id).unwrap();
    assert_eq!(
        w.context(s).fallback.map(|f| f.reason),
        Some(FallbackReason::Declined)
    );
    assert_eq!(w.session(s).queue, Some(q));
    // Going offline with direct work waiting sends it to the fallback too.
    let busy = w.add_agent(1, &[]);
    let web2 = direct(&mut w, busy, q);
    w.presence(busy, Presence::Busy);
    let s = w.say(web2, "waiting", "hi").session;
    assert!(w.context(s).fallback.is_none(), "busy: the work waits");
    w.presence(busy, Presence::Offline);
    assert_eq!(
        w.context(s).fallback.map(|f| f.reason),
        Some(FallbackReason::Offline)
    );
}

#[test]
fn r_flow_5_a_bot_target_from_a_bot_handoff_goes_to_the_fallback_queue() {
    for faults in [Faults::NONE, Faults::NONE.with(Fault::FlowBotFromHandoff)] {
        let mut w = World::with_faults(faults);
        let rest = w.queue("rest");
        let other_bot = w.bot(rest);
        let flow = w.add_flow(FlowSpec {
            name: "to a bot".into(),
            rules: vec![],
            default: FlowTarget::Bot { bot: other_bot },
            fallback_queue: rest,
        });
        let mut spec = bot_spec(rest);
        spec.intents[1].action = IntentAction::FlowHandoff {
            flow,
            required_skills: vec![],
        };
        let bot = w.add_bot(spec);
        let web = w.channel(ChannelKind::Web, Platform::Standard, Entry::Bot(bot));
        let s = w.say(web, "u", "hi").session;
        w.say(web, "u", "2");
        let ctx = w.context(s);
        if faults.has(Fault::FlowBotFromHandoff) {
            assert_eq!(w.session(s).handler, Handler::Bot, "the fault shows");
            continue;
        }
        assert_eq!(ctx.flow_error, Some(FlowError::BotFromHandoff));
        assert_eq!(ctx.flow, Some(flow));
        assert_eq!(ctx.flow_rule.as_deref(), Some("default"));
        assert_eq!(w.session(s).queue, Some(rest));
        assert_eq!(w.session(s).status, SessionStatus::Waiting);
    }
}

#[test]
fn r_flow_5_a_bot_target_from_a_channel_greets() {
    let mut w = World::new();
    let rest = w.queue("rest");
    let bot = w.bot(rest);
    let flow = w.add_flow(FlowSpec {
        name: "bot first".into(),
        rules: vec![],
        default: FlowTarget::Bot { bot },
        fallback_queue: rest,
    });
    let web = w.flow_web(flow);
    let s = w.say(web, "u", "hi").session;
    assert_eq!(w.session(s).handler, Handler::Bot);
    assert_eq!(w.messages(s).len(), 3, "message, greeting, question");
}

#[test]
fn r_flow_6_prechat_fields_on_web_and_in_app_only_and_on_the_first_message() {
    let mut w = World::new();
    let q = w.queue("q");
    let web = w.web(q);
    let sms = w.channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q));
    let s = w
        .say_with(web, "u", "hi", &[("language", "fr")])
        .unwrap()
        .session;
    assert_eq!(
        w.context(s).fields.get("language").map(String::as_str),
        Some("fr")
    );
    let agent = w.agent(1, &[]);
    let offered = w.events.iter().rev().find_map(|e| match e {
        Event::WorkOffered(o) if o.work.agent == agent => Some(o.context.clone()),
        _ => None,
    });
    assert_eq!(
        offered.unwrap().fields.get("language").map(String::as_str),
        Some("fr")
    );
    w.rejects(ErrorCode::PrechatFieldsUnsupported, |w| {
        w.say_with(web, "u", "again", &[("language", "de")])
    });
    w.rejects(ErrorCode::PrechatFieldsUnsupported, |w| {
        w.say_with(sms, "p", "hi", &[("language", "fr")])
    });
    let long = "x".repeat(257);
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.say_with(web, "v", "hi", &[("language", long.as_str())])
    });
    let name = "n".repeat(65);
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.say_with(web, "v", "hi", &[(name.as_str(), "x")])
    });
    let many: Vec<(String, String)> = (0..33).map(|i| (format!("f{i}"), "x".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.say_with(web, "v", "hi", &many)
    });
}

#[test]
fn r_flow_6_a_bot_collected_field_replaces_a_prechat_one() {
    for faults in [Faults::NONE, Faults::NONE.with(Fault::PrechatOverridesBot)] {
        let mut w = World::with_faults(faults);
        let q = w.queue("q");
        let mut spec = bot_spec(q);
        spec.fields = vec![BotField {
            name: "language".into(),
            prompt: "Which language?".into(),
        }];
        let bot = w.add_bot(spec);
        let web = w.channel(ChannelKind::Web, Platform::Standard, Entry::Bot(bot));
        let s = w
            .say_with(web, "u", "hi", &[("language", "en")])
            .unwrap()
            .session;
        w.say(web, "u", "2");
        w.say(web, "u", "fr");
        let expected = if faults.has(Fault::PrechatOverridesBot) {
            "en"
        } else {
            "fr"
        };
        assert_eq!(w.context(s).fields["language"], expected, "{faults:?}");
    }
}

#[test]
fn r_flow_7_secondary_priority_orders_work_before_its_age() {
    for faults in [
        Faults::NONE,
        Faults::NONE.with(Fault::SecondaryPriorityIgnored),
    ] {
        let mut w = World::with_faults(faults);
        let q = w.queue("q");
        let target = |secondary| FlowTarget::Queue {
            queue: q,
            priority: None,
            secondary_priority: secondary,
            skills: vec![],
        };
        let flow = w.add_flow(FlowSpec {
            name: "tiers".into(),
            rules: vec![
                rule("gold", vec![field_in("tier", &["gold"])], target(Some(0))),
                rule(
                    "silver",
                    vec![field_in("tier", &["silver"])],
                    target(Some(5)),
                ),
            ],
            default: target(None),
            fallback_queue: q,
        });
        let web = w.flow_web(flow);
        let none = w.say(web, "none", "hi").session;
        w.advance(1);
        let silver = w
            .say_with(web, "silver", "hi", &[("tier", "silver")])
            .unwrap()
            .session;
        w.advance(1);
        let gold = w
            .say_with(web, "gold", "hi", &[("tier", "gold")])
            .unwrap()
            .session;
        let a = w.agent(3, &[]);
        let order: Vec<SessionId> = w
            .work()
            .iter()
            .filter(|x| x.agent == a)
            .map(|x| x.session)
            .collect();
        let expected = if faults.has(Fault::SecondaryPriorityIgnored) {
            vec![none, silver, gold]
        } else {
            vec![gold, silver, none]
        };
        assert_eq!(order, expected, "{faults:?}");
    }
}

#[test]
fn flows_are_validated_and_read_back() {
    let mut w = World::new();
    let q = w.queue("q");
    let mut bad = flow_spec(vec![rule("default", vec![], to_queue(q))], q);
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.org_cmd(OrgCommand::CreateFlow(bad.clone()))
    });
    bad.rules = vec![rule(
        "night",
        vec![Condition::TimeOfDay {
            from_ms: 5,
            to_ms: 5,
        }],
        to_queue(q),
    )];
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.org_cmd(OrgCommand::CreateFlow(bad.clone()))
    });
    bad.rules = vec![rule("x", vec![], to_queue(QueueId(999_999)))];
    w.rejects(ErrorCode::NotFound, |w| {
        w.org_cmd(OrgCommand::CreateFlow(bad.clone()))
    });
    let spec = flow_spec(vec![rule("x", vec![], to_queue(q))], q);
    let id = w.add_flow(spec.clone());
    assert_eq!(w.engine.flow(w.org, id).unwrap().spec, spec);
}

#[test]
fn r_flow_5_targets_deleted_since_send_their_sessions_to_the_fallback_queue() {
    let mut w = World::new();
    let [gone, fallback] = [w.queue("gone"), w.queue("fallback")];
    let leaver = w.add_agent(1, &[]);
    let flow = w.add_flow(flow_spec(
        vec![
            rule("to-queue", vec![field_in("to", &["queue"])], to_queue(gone)),
            rule(
                "to-agent",
                vec![field_in("to", &["agent"])],
                FlowTarget::Agent {
                    agent: leaver,
                    timeout_ms: Millis(60_000),
                    fallback_queue: None,
                },
            ),
        ],
        fallback,
    ));
    let web = w.flow_web(flow);
    w.org_cmd(OrgCommand::DeleteQueue(gone)).unwrap();
    w.org_cmd(OrgCommand::DeleteAgent(leaver)).unwrap();
    for to in ["queue", "agent"] {
        let s = w.say_with(web, to, "hi", &[("to", to)]).unwrap().session;
        let ctx = w.context(s);
        assert_eq!(w.session(s).queue, Some(fallback), "{to}");
        assert_eq!(ctx.flow_error, Some(FlowError::TargetMissing), "{to}");
        assert_eq!(ctx.flow_rule, Some(format!("to-{to}")));
    }
    // The deleted agent is gone for good: no token, no reads, no commands.
    assert!(w.engine.agent(w.org, leaver).is_err());
    assert!(
        w.engine
            .authenticate_agent("agent-token-0000000001")
            .is_none()
    );
    assert!(
        w.agent_cmd(
            leaver,
            AgentRequest::SetPresence {
                presence: Presence::Online
            }
        )
        .is_err()
    );
}

#[test]
fn what_is_in_use_is_not_deleted() {
    let mut w = World::new();
    let [entered, fallback, target] = [w.queue("entered"), w.queue("fallback"), w.queue("target")];
    w.web(entered);
    // Only a rule names the target: a session waiting there is what holds it.
    let flow = w.add_flow(flow_spec(
        vec![rule("all", vec![], to_queue(target))],
        fallback,
    ));
    let web = w.flow_web(flow);
    w.say(web, "u", "hi");
    for q in [entered, fallback, target] {
        w.rejects(ErrorCode::InvalidState, |w| {
            w.org_cmd(OrgCommand::DeleteQueue(q))
        });
    }
    w.customer_end(web, "u").unwrap();
    w.org_cmd(OrgCommand::DeleteQueue(target)).unwrap();
    let online = w.agent(1, &[]);
    w.rejects(ErrorCode::InvalidState, |w| {
        w.org_cmd(OrgCommand::DeleteAgent(online))
    });
    w.rejects(ErrorCode::NotFound, |w| {
        w.org_cmd(OrgCommand::DeleteQueue(QueueId(999_999)))
    });
}
