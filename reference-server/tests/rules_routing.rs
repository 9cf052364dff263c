//! R-ROUTE: eligibility, capacity, order, routing models, timeouts, declines, transfers.

mod common;
use common::*;
use omnisim_protocol::*;
use omnisim_reference_server::OrgCommand;

#[test]
fn r_route_1_only_online_agents_with_capacity_and_skills_get_offers() {
    let mut w = World::new();
    let mut spec = queue_spec("spanish");
    spec.required_skills = vec![skill("spanish", 3)];
    spec.capacity_weight = 2;
    let q = w.add_queue(spec);
    let web = w.web(q);
    let offline = w.add_agent(4, &[("spanish", 5)]);
    let busy = w.add_agent(4, &[("spanish", 5)]);
    w.presence(busy, Presence::Busy);
    let low_level = w.agent(4, &[("spanish", 2)]);
    let no_room = w.agent(1, &[("spanish", 5)]);
    let s = w.say(web, "u", "hola").session;
    assert!(
        w.session_work(s).is_empty(),
        "nobody eligible: {:?}",
        w.session_work(s)
    );
    let good = w.agent(2, &[("spanish", 3)]);
    let offer = w.offer(good).expect("eligible agent offered at once");
    assert_eq!(offer.session, s);
    for a in [offline, busy, low_level, no_room] {
        assert!(w.offer(a).is_none());
    }
}

#[test]
fn r_route_2_summed_weights_never_exceed_capacity() {
    let mut w = World::new();
    let mut heavy = queue_spec("video");
    heavy.capacity_weight = 3;
    let heavy = w.add_queue(heavy);
    let light = w.queue("chat");
    let video = w.web(heavy);
    let chat = w.web(light);
    let a = w.agent(4, &[]);
    w.say(video, "v1", "hi");
    w.say(video, "v2", "hi");
    w.say(chat, "c1", "hi");
    w.say(chat, "c2", "hi");
    let info = w.agent_info(a);
    assert_eq!(info.used_capacity, 4, "3 + 1 fits exactly, nothing more");
    assert_eq!(info.open_work, 2);
    let live: u32 = w
        .work()
        .iter()
        .filter(|x| x.agent == a && x.status.is_live())
        .map(|x| x.capacity_weight)
        .sum();
    assert_eq!(live, 4);
    // Capacity cannot be lowered under what the agent holds.
    w.rejects(ErrorCode::InvalidState, |w| {
        w.org_cmd(OrgCommand::UpdateAgent(
            a,
            AgentSpec {
                name: "a".into(),
                capacity: 3,
                skills: Default::default(),
            },
        ))
    });
}

#[test]
fn r_route_3_lowest_priority_number_first_then_oldest() {
    let mut w = World::new();
    let mut vip = queue_spec("vip");
    vip.priority = 1;
    let vip = w.add_queue(vip);
    let mut normal_a = queue_spec("normal-a");
    normal_a.priority = 2;
    let normal_a = w.add_queue(normal_a);
    let mut normal_b = queue_spec("normal-b");
    normal_b.priority = 2;
    let normal_b = w.add_queue(normal_b);
    let (cv, ca, cb) = (w.web(vip), w.web(normal_a), w.web(normal_b));
    let b_old = w.say(cb, "b-old", "1").session;
    w.advance(10);
    let a_mid = w.say(ca, "a-mid", "2").session;
    w.advance(10);
    let v_new = w.say(cv, "v-new", "3").session;
    w.advance(10);
    let b_new = w.say(cb, "b-new", "4").session;
    let a = w.agent(1, &[]);
    let mut order = Vec::new();
    for _ in 0..4 {
        let work = w.take(a);
        order.push(work.session);
        w.agent_cmd(
            a,
            AgentRequest::End {
                session: work.session,
            },
        )
        .unwrap();
    }
    assert_eq!(order, vec![v_new, b_old, a_mid, b_new]);
}

#[test]
fn r_route_3_declined_work_keeps_its_original_age() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let b = w.add_agent(1, &[]);
    let old = w.say(web, "old", "first").session;
    w.advance(1_000);
    w.say(web, "new", "second");
    let offer = w.offer(a).unwrap();
    assert_eq!(offer.session, old);
    w.presence(b, Presence::Online); // b takes "new"
    w.decline(a, offer.id).unwrap();
    // a declined "old"; b is eligible but full, so "old" waits for b and keeps its age.
    assert!(w.offer(a).is_none());
    let b_work = w.take(b);
    w.agent_cmd(
        b,
        AgentRequest::End {
            session: b_work.session,
        },
    )
    .unwrap();
    let again = w.offer(b).unwrap();
    assert_eq!(again.session, old);
    assert_eq!(again.requested_at, offer.requested_at);
}

#[test]
fn r_route_4_least_active_picks_fewest_open_then_idle_longest() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(3, &[]);
    let b = w.agent(3, &[]);
    let c = w.agent(3, &[]);
    // Three sessions spread one each; ties go to the agent idle longest (never assigned first).
    let mut firsts = Vec::new();
    for i in 0..3 {
        w.advance(10);
        let s = w.say(web, &format!("u{i}"), "hi").session;
        firsts.push(w.session(s).agent.unwrap());
    }
    assert_eq!(firsts, vec![a, b, c]);
    // b ends its work: b has the least open work and gets the next one.
    let bs = w.offer(b).unwrap();
    w.accept(b, bs.id).unwrap();
    w.agent_cmd(
        b,
        AgentRequest::End {
            session: bs.session,
        },
    )
    .unwrap();
    w.advance(10);
    let s = w.say(web, "u3", "hi").session;
    assert_eq!(w.session(s).agent, Some(b));
    // All tied at one open item again: a was assigned longest ago.
    w.advance(10);
    let s = w.say(web, "u4", "hi").session;
    assert_eq!(w.session(s).agent, Some(a));
}

#[test]
fn r_route_4_most_available_picks_most_free_capacity() {
    let mut w = World::new();
    let mut spec = queue_spec("support");
    spec.routing_model = RoutingModel::MostAvailable;
    let q = w.add_queue(spec);
    let web = w.web(q);
    let small = w.agent(2, &[]);
    let big = w.agent(5, &[]);
    let mut got = Vec::new();
    for i in 0..4 {
        w.advance(10);
        let s = w.say(web, &format!("u{i}"), "hi").session;
        got.push(w.session(s).agent.unwrap());
    }
    // free: small 2, big 5 → big(4) → big(3) → big(2) ties small(2): small idle longest.
    assert_eq!(got, vec![big, big, big, small]);
}

#[test]
fn r_route_5_push_timeout_reroutes_to_another_agent() {
    let mut w = World::new();
    let mut spec = queue_spec("support");
    spec.push_timeout_ms = Millis(20_000);
    let q = w.add_queue(spec);
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let s = w.say(web, "u", "hi").session;
    let first = w.offer(a).unwrap();
    let b = w.agent(1, &[]);
    w.advance(19_999);
    assert_eq!(w.offer(a).map(|o| o.id), Some(first.id));
    w.advance(1);
    let timed_out = w.engine.work_item(w.org, first.id).unwrap();
    assert_eq!(timed_out.status, WorkStatus::DeclinedOnPushTimeout);
    assert_eq!(w.agent_info(a).used_capacity, 0);
    assert!(w.events_for(Audience::Agent(a)).iter().any(|e| matches!(
        e,
        Event::OfferRescinded { work, reason: RescindReason::PushTimeout, .. } if *work == first.id
    )));
    let second = w.offer(b).expect("re-routed to the other agent");
    assert_eq!(second.session, s);
    assert_eq!(second.requested_at, first.requested_at);
}

#[test]
fn r_route_6_declined_work_goes_to_others_then_to_all_when_everyone_declined() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let b = w.agent(1, &[]);
    let s = w.say(web, "u", "hi").session;
    let first = w.offer(a).unwrap();
    w.decline(a, first.id).unwrap();
    assert_eq!(
        w.engine.work_item(w.org, first.id).unwrap().status,
        WorkStatus::Declined
    );
    assert!(
        w.offer(a).is_none(),
        "not re-offered to the decliner while b can take it"
    );
    let second = w.offer(b).unwrap();
    assert_eq!(second.session, s);
    w.decline(b, second.id).unwrap();
    // Everyone eligible declined: eligible for all again.
    let third = w
        .work()
        .into_iter()
        .find(|x| x.status == WorkStatus::Assigned)
        .unwrap();
    assert_eq!(third.session, s);
    assert!(third.agent == a || third.agent == b);
}

#[test]
fn r_route_6_decliner_gets_it_when_the_other_eligible_agent_leaves() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let b = w.agent(1, &[]);
    let hold = w.say(web, "x", "occupy a").session;
    assert_eq!(w.session(hold).agent, Some(a));
    let occupy_b = w.say(web, "y", "occupy b").session;
    assert_eq!(w.session(occupy_b).agent, Some(b));
    // a declines "x"; only b (full) remains eligible, so "x" waits for b.
    let x = w.offer(a).unwrap();
    w.decline(a, x.id).unwrap();
    assert!(w.offer(a).is_none());
    w.presence(b, Presence::Offline);
    // b left, its offer of "y" came back; a is now the only eligible agent for both.
    let offer = w.offer(a).expect("a gets work again");
    assert!(offer.session == hold || offer.session == occupy_b);
}

#[test]
fn r_route_7_offline_agent_loses_offers_but_keeps_opened_work() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(2, &[]);
    let opened_session = w.say(web, "u1", "hi").session;
    let opened = w.take(a);
    let offered_session = w.say(web, "u2", "hi").session;
    let offered = w.offer(a).unwrap();
    w.presence(a, Presence::Offline);
    assert_eq!(
        w.engine.work_item(w.org, offered.id).unwrap().status,
        WorkStatus::Unavailable
    );
    assert_eq!(
        w.engine.work_item(w.org, opened.id).unwrap().status,
        WorkStatus::Opened
    );
    assert_eq!(w.session(opened_session).agent, Some(a));
    assert_eq!(w.session(offered_session).status, SessionStatus::Waiting);
    let b = w.agent(1, &[]);
    let re = w.offer(b).unwrap();
    assert_eq!(re.session, offered_session);
    assert_eq!(re.requested_at, offered.requested_at);
    assert!(w.events_for(Audience::Agent(a)).iter().any(|e| matches!(
        e,
        Event::OfferRescinded {
            reason: RescindReason::Unavailable,
            ..
        }
    )));
}

#[test]
fn r_route_8_at_most_one_live_work_item_per_session() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    w.agent(3, &[]);
    w.agent(3, &[]);
    let s = w.say(web, "u", "hi").session;
    for i in 0..5 {
        w.say(web, "u", &format!("more {i}"));
    }
    let live: Vec<_> = w
        .session_work(s)
        .into_iter()
        .filter(|x| x.status.is_live())
        .collect();
    assert_eq!(live.len(), 1);
    let offer = live[0].clone();
    w.decline(offer.agent, offer.id).unwrap();
    let live: Vec<_> = w
        .session_work(s)
        .into_iter()
        .filter(|x| x.status.is_live())
        .collect();
    assert_eq!(live.len(), 1);
    assert_ne!(live[0].agent, offer.agent);
}

#[test]
fn r_route_9_transfer_to_queue_creates_new_work_with_context() {
    let mut w = World::new();
    let tier1 = w.queue("tier1");
    let mut t2 = queue_spec("tier2");
    t2.required_skills = vec![skill("expert", 1)];
    let tier2 = w.add_queue(t2);
    let web = w.web(tier1);
    let a = w.agent(1, &[]);
    let expert = w.agent(1, &[("expert", 5)]);
    let s = w.say(web, "u", "hard question").session;
    let first = w.offer(a).or_else(|| w.offer(expert)).unwrap();
    let holder = first.agent;
    w.accept(holder, first.id).unwrap();
    w.agent_cmd(
        holder,
        AgentRequest::Transfer {
            session: s,
            to: TransferTarget::Queue(tier2),
        },
    )
    .unwrap();
    assert_eq!(
        w.engine.work_item(w.org, first.id).unwrap().status,
        WorkStatus::Transferred
    );
    assert_eq!(w.agent_info(holder).used_capacity, 0);
    let offered = w
        .events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::WorkOffered(o) if o.work.session == s => {
                Some((o.work.clone(), o.context.clone(), o.transcript.len()))
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(offered.0.queue, tier2);
    assert_eq!(offered.0.agent, expert);
    assert_eq!(offered.1.transferred_from, Some(tier1));
    assert_eq!(offered.2, 1, "the transcript travels with the transfer");
    assert_ne!(offered.0.id, first.id);
}

#[test]
fn r_route_9_transfer_back_to_bot_after_handoff_is_rejected() {
    let mut w = World::new();
    let q = w.queue("support");
    let bot = w.bot(q);
    let ch = w.channel(ChannelKind::Web, Platform::Standard, Entry::Bot(bot));
    let a = w.agent(1, &[]);
    let s = w.say(ch, "u", "hi").session;
    w.say(ch, "u", "2"); // billing → handoff
    w.take(a);
    w.rejects(ErrorCode::TransferToBotRejected, |w| {
        w.agent_cmd(
            a,
            AgentRequest::Transfer {
                session: s,
                to: TransferTarget::Bot(bot),
            },
        )
    });
    // A session that never saw a bot can go to one.
    let web = w.web(q);
    let s2 = w.say(web, "v", "hi").session;
    w.agent_cmd(a, AgentRequest::End { session: s }).unwrap();
    w.take(a);
    w.agent_cmd(
        a,
        AgentRequest::Transfer {
            session: s2,
            to: TransferTarget::Bot(bot),
        },
    )
    .unwrap();
    assert_eq!(w.session(s2).handler, Handler::Bot);
}

#[test]
fn r_route_10_additional_skills_dropped_after_timeout() {
    let mut w = World::new();
    let mut spec = queue_spec("support");
    spec.additional_skills = vec![skill("french", 1)];
    spec.drop_additional_skills_after_ms = Some(Millis(30_000));
    let q = w.add_queue(spec);
    let web = w.web(q);
    let generalist = w.agent(1, &[]);
    let s = w.say(web, "u", "bonjour").session;
    w.advance(29_999);
    assert!(w.offer(generalist).is_none());
    w.advance(1);
    let offer = w
        .offer(generalist)
        .expect("eligible once the additional skill is dropped");
    assert_eq!(offer.session, s);
    // An agent with the skill gets such work at once.
    let french = w.agent(1, &[("french", 2)]);
    let s2 = w.say(web, "v", "salut").session;
    assert_eq!(w.offer(french).unwrap().session, s2);
}

#[test]
fn r_route_11_work_times_are_consistent() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    w.say(web, "u", "hi");
    w.advance(3_000);
    let a = w.agent(1, &[]);
    w.advance(2_000);
    let work = w.take(a);
    w.advance(60_000);
    w.agent_cmd(
        a,
        AgentRequest::End {
            session: work.session,
        },
    )
    .unwrap();
    let item = w.engine.work_item(w.org, work.id).unwrap();
    assert!(item.requested_at <= item.assigned_at);
    assert!(item.assigned_at <= item.accepted_at.unwrap());
    assert!(item.accepted_at.unwrap() <= item.closed_at.unwrap());
    assert_eq!(item.speed_to_answer(), Some(Millis(5_000)));
    assert_eq!(item.handle_time(), Some(Millis(60_000)));
}

#[test]
fn r_route_12_routing_runs_on_every_capacity_or_eligibility_change() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.add_agent(1, &[]);
    let s1 = w.say(web, "u1", "hi").session;
    let s2 = w.say(web, "u2", "hi").session;
    // Agent online → offered at once, no tick.
    w.presence(a, Presence::Online);
    assert_eq!(w.offer(a).unwrap().session, s1);
    // Work closed → next offered at once.
    w.take(a);
    w.agent_cmd(a, AgentRequest::End { session: s1 }).unwrap();
    assert_eq!(w.offer(a).unwrap().session, s2);
    // Capacity raised → more work at once.
    let s3 = w.say(web, "u3", "hi").session;
    assert!(w.session_work(s3).is_empty());
    w.org_cmd(OrgCommand::UpdateAgent(
        a,
        AgentSpec {
            name: "a".into(),
            capacity: 2,
            skills: Default::default(),
        },
    ))
    .unwrap();
    assert_eq!(w.session(s3).agent, Some(a));
}

#[test]
fn r_route_5_a_queue_may_set_an_agent_who_lets_an_offer_time_out_to_busy() {
    let mut w = World::new();
    let mut spec = queue_spec("support");
    spec.push_timeout_ms = Millis(1_000);
    spec.push_timeout_presence = Some(Presence::Busy);
    let q = w.add_queue(spec);
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let s = w.say(web, "u", "hi").session;
    let first = w.offer(a).unwrap();
    w.advance(1_000);
    assert_eq!(w.agent_info(a).presence, Presence::Busy);
    assert!(w.events_for(Audience::Agent(a)).iter().any(|e| matches!(
        e,
        Event::PresenceChanged {
            presence: Presence::Busy,
            ..
        }
    )));
    assert!(w.offer(a).is_none(), "no new offer to the agent set busy");
    let b = w.agent(1, &[]);
    let second = w.offer(b).expect("offered to the online agent");
    assert_eq!(
        (second.session, second.requested_at),
        (s, first.requested_at)
    );
    let mut online = queue_spec("bad");
    online.push_timeout_presence = Some(Presence::Online);
    let refused = w.org_cmd(OrgCommand::CreateQueue(online)).unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput);
}

#[test]
fn r_route_11_a_session_keeps_its_last_work_items_however_fast_they_time_out() {
    let mut w = World::new();
    let mut spec = queue_spec("support");
    spec.push_timeout_ms = Millis(1);
    let q = w.add_queue(spec);
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let s = w.say(web, "u", "hi").session;
    w.advance(500);
    let kept = w.session_work(s);
    let limit = omnisim_protocol::limits::MAX_WORK_ITEMS_PER_SESSION;
    assert_eq!(kept.len(), limit);
    assert_eq!(
        w.work().len(),
        limit,
        "the forgotten items are gone from the org too"
    );
    let live = w.offer(a).expect("the session is still offered");
    assert_eq!(
        kept.last().map(|i| i.id),
        Some(live.id),
        "the newest are kept"
    );
    assert!(
        kept[..limit - 1]
            .iter()
            .all(|i| i.status == WorkStatus::DeclinedOnPushTimeout)
    );
}
