//! R-OUT: consent, opt-out keywords, agent outbound and service windows.

mod common;
use common::*;
use omnisim_protocol::*;
use omnisim_reference_server::engine::{OPT_IN_CONFIRMATION, OPT_OUT_CONFIRMATION};
use omnisim_reference_server::{OrgCommand, Reply};

fn start_outbound(
    w: &mut World,
    agent: AgentId,
    channel: ChannelId,
    address: &str,
    queue: QueueId,
    cid: &str,
    content: OutboundContent,
) -> Result<MessageAccepted, ApiError> {
    match w.agent_cmd(
        agent,
        AgentRequest::StartOutbound {
            channel,
            address: address.into(),
            queue,
            client_message_id: cid.into(),
            content,
        },
    )? {
        Reply::Message(m) => Ok(m),
        other => panic!("unexpected {other:?}"),
    }
}

fn consent(w: &mut World, channel: ChannelId, address: &str, consent: Consent) {
    w.org_cmd(OrgCommand::SetConsent(
        channel,
        ConsentRequest {
            address: address.into(),
            consent,
        },
    ))
    .unwrap();
}

/// A WhatsApp channel into `queue` whose service window is `ms` long.
fn whatsapp_with_window(w: &mut World, queue: QueueId, ms: u64) -> ChannelId {
    let mut spec = channel_spec(
        ChannelKind::Whatsapp,
        Platform::Standard,
        Entry::Queue(queue),
    );
    spec.service_window_ms = Some(Millis(ms));
    w.add_channel(spec)
}

/// One agent holding the sessions of `+1` and then `+2` on `channel`, `between` ms passing
/// between their first messages; the agent and the two sessions.
fn two_users_held(
    w: &mut World,
    channel: ChannelId,
    between: u64,
) -> (AgentId, SessionId, SessionId) {
    let a = w.agent(2, &[]);
    let first = w.say(channel, "+1", "hello").session;
    w.take(a);
    w.advance(between);
    let second = w.say(channel, "+2", "hello").session;
    w.take(a);
    (a, first, second)
}

#[test]
fn r_out_1_agent_outbound_uses_no_capacity_until_reply_then_offers_initiator_first() {
    let mut w = World::new();
    let q = w.queue("sales");
    let sms = w.channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q));
    consent(&mut w, sms, "+1", Consent::ExplicitlyOptedIn);
    let other = w.agent(3, &[]);
    let initiator = w.agent(3, &[]);
    let m = start_outbound(
        &mut w,
        initiator,
        sms,
        "+1",
        q,
        "o-1",
        out_text("Your order shipped"),
    )
    .unwrap();
    let s = w.session(m.session);
    assert_eq!(
        (s.status, s.origin),
        (SessionStatus::New, Origin::AgentInitiated)
    );
    assert_eq!(w.agent_info(initiator).used_capacity, 0);
    assert!(w.session_work(m.session).is_empty());
    w.say(sms, "+1", "thanks, where is it?");
    // least_active would pick `other` (idle longest), but the initiator is offered first.
    let offer = w.offer(initiator).expect("initiator offered first");
    assert_eq!(offer.session, m.session);
    assert!(w.offer(other).is_none());
}

#[test]
fn r_out_2_outbound_requires_consent_at_channel_level() {
    let mut w = World::new();
    let q = w.queue("sales");
    let mut spec = channel_spec(ChannelKind::Sms, Platform::Standard, Entry::Queue(q));
    spec.consent_level = ConsentLevel::Explicit;
    let sms = w.add_channel(spec);
    let a = w.agent(1, &[]);
    // Unknown address: no consent on record.
    w.rejects(ErrorCode::ConsentRequired, |w| {
        start_outbound(w, a, sms, "+1", q, "o-1", out_text("hi"))
    });
    // Implicit consent (the user wrote in once) is not enough here.
    w.say(sms, "+1", "hello");
    w.customer_end(sms, "+1").unwrap();
    w.rejects(ErrorCode::ConsentRequired, |w| {
        start_outbound(w, a, sms, "+1", q, "o-2", out_text("hi"))
    });
    consent(&mut w, sms, "+1", Consent::ExplicitlyOptedIn);
    start_outbound(&mut w, a, sms, "+1", q, "o-3", out_text("hi")).unwrap();
    // Opted-out users get nothing, even on implicit channels.
    let web = w.web(q);
    consent(&mut w, web, "v", Consent::OptedOut);
    w.rejects(ErrorCode::ConsentRequired, |w| {
        start_outbound(w, a, web, "v", q, "o-4", out_text("hi"))
    });
}

/// An agent's message answers to the consent of its own session's user, not of whoever wrote
/// in last: two users of one channel, the first (older) opted out.
#[test]
fn r_out_2_an_agent_message_is_checked_against_its_own_sessions_user() {
    let mut w = World::new();
    let q = w.queue("support");
    let sms = w.channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q));
    let (a, first, second) = two_users_held(&mut w, sms, 0);
    consent(&mut w, sms, "+1", Consent::OptedOut);
    w.rejects(ErrorCode::ConsentRequired, |w| {
        w.send(a, first, out_text("still there?"))
    });
    w.send(a, second, out_text("still there?")).unwrap();
}

/// The bot says nothing more to a user who opted out, while it goes on answering another user
/// of the same channel who wrote in since.
#[test]
fn r_out_2_the_bot_says_nothing_to_a_user_who_opted_out() {
    let mut w = World::new();
    let q = w.queue("support");
    let bot = w.bot(q);
    let sms = w.channel(ChannelKind::Sms, Platform::Standard, Entry::Bot(bot));
    let bot_messages = |w: &World, s| {
        let messages = w.messages(s);
        messages.iter().filter(|m| m.sender == Sender::Bot).count()
    };
    let first = w.say(sms, "+1", "hi").session;
    assert_eq!(bot_messages(&w, first), 2, "greeting and menu");
    consent(&mut w, sms, "+1", Consent::OptedOut);
    let second = w.say(sms, "+2", "hi").session;
    w.say(sms, "+1", "what?");
    w.say(sms, "+2", "what?");
    assert_eq!(bot_messages(&w, first), 2);
    assert!(
        bot_messages(&w, second) > 2,
        "the bot answers the other user"
    );
}

#[test]
fn r_out_3_opt_out_keyword_sets_opted_out_with_one_confirmation_start_restores() {
    let mut w = World::new();
    let q = w.queue("support");
    let sms = w.channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q));
    let a = w.agent(1, &[]);
    let s = w.say(sms, "+1", "hello").session;
    w.take(a);
    w.say(sms, "+1", "stop");
    assert_eq!(w.user(sms, "+1").consent, Consent::OptedOut);
    w.say(sms, "+1", "STOP");
    let confirmations = w
        .messages(s)
        .iter()
        .filter(|m| {
            m.body
                == MessageBody::Text {
                    text: OPT_OUT_CONFIRMATION.into(),
                }
        })
        .count();
    assert_eq!(confirmations, 1);
    w.rejects(ErrorCode::ConsentRequired, |w| {
        w.send(a, s, out_text("wait!"))
    });
    w.say(sms, "+1", "Start");
    assert_eq!(w.user(sms, "+1").consent, Consent::ExplicitlyOptedIn);
    assert_eq!(
        w.messages(s).last().unwrap().body,
        MessageBody::Text {
            text: OPT_IN_CONFIRMATION.into()
        }
    );
    w.send(a, s, out_text("welcome back")).unwrap();
    // "start" from a user who never opted out is an ordinary message.
    let web = w.web(q);
    let s2 = w.say(web, "v", "start").session;
    assert_eq!(w.user(web, "v").consent, Consent::ImplicitlyOptedIn);
    assert_eq!(w.messages(s2).len(), 1);
}

#[test]
fn r_out_3_keyword_without_open_session_is_kept_in_a_session_that_ends() {
    let mut w = World::new();
    let q = w.queue("support");
    let sms = w.channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q));
    let a = w.agent(1, &[]);
    let accepted = w.say(sms, "+1", "UNSUBSCRIBE");
    let s = w.session(accepted.session);
    assert_eq!(
        (s.status, s.ended_by),
        (SessionStatus::Ended, Some(EndedBy::System))
    );
    assert_eq!(w.messages(accepted.session).len(), 2);
    assert!(w.offer(a).is_none(), "keywords are never routed");
}

#[test]
fn r_out_4_service_window_blocks_free_form_but_allows_templates() {
    let mut w = World::new();
    let q = w.queue("support");
    let wa = whatsapp_with_window(&mut w, q, 60_000);
    let a = w.agent(1, &[]);
    let s = w.say(wa, "+1", "hi").session;
    w.take(a);
    w.advance(60_000);
    w.send(a, s, out_text("just inside the window")).unwrap();
    w.advance(1);
    w.rejects(ErrorCode::OutsideServiceWindow, |w| {
        w.send(a, s, out_text("just outside"))
    });
    w.send(
        a,
        s,
        OutboundContent::Template {
            name: "follow_up".into(),
            text: "Still need help?".into(),
        },
    )
    .unwrap();
    // A new inbound reopens the window.
    w.say(wa, "+1", "yes");
    w.send(a, s, out_text("great")).unwrap();
    // WhatsApp defaults to 24 h, Messenger to 7 days, others none.
    let default_wa = w.channel(ChannelKind::Whatsapp, Platform::Standard, Entry::Queue(q));
    let default_ms = w.channel(ChannelKind::Messenger, Platform::Standard, Entry::Queue(q));
    assert_eq!(
        w.engine
            .channel(w.org, default_wa)
            .unwrap()
            .service_window_ms,
        Some(Millis::from_hours(24))
    );
    assert_eq!(
        w.engine
            .channel(w.org, default_ms)
            .unwrap()
            .service_window_ms,
        Some(Millis::from_hours(168))
    );
    let web = w.web(q);
    assert_eq!(
        w.engine.channel(w.org, web).unwrap().service_window_ms,
        None
    );
}

/// Each user's service window runs from its own last message: of two users of one channel, the
/// one that wrote a minute ago is out of it, the one that just wrote is in it.
#[test]
fn r_out_4_each_session_has_its_own_users_service_window() {
    let mut w = World::new();
    let q = w.queue("support");
    let wa = whatsapp_with_window(&mut w, q, 60_000);
    let (a, first, second) = two_users_held(&mut w, wa, 60_001);
    w.rejects(ErrorCode::OutsideServiceWindow, |w| {
        w.send(a, first, out_text("sorry for the wait"))
    });
    w.send(a, second, out_text("right away")).unwrap();
}

#[test]
fn r_out_4_new_outbound_outside_window_needs_a_template() {
    let mut w = World::new();
    let q = w.queue("support");
    let wa = w.channel(ChannelKind::Whatsapp, Platform::Standard, Entry::Queue(q));
    consent(&mut w, wa, "+1", Consent::ExplicitlyOptedIn);
    let a = w.agent(1, &[]);
    w.rejects(ErrorCode::OutsideServiceWindow, |w| {
        start_outbound(w, a, wa, "+1", q, "o-1", out_text("hi"))
    });
    let template = OutboundContent::Template {
        name: "welcome".into(),
        text: "Hello from Acme".into(),
    };
    start_outbound(&mut w, a, wa, "+1", q, "o-2", template).unwrap();
}

#[test]
fn r_out_5_outbound_to_session_owned_by_another_agent_is_rejected() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let b = w.agent(1, &[]);
    let s = w.say(web, "u", "hi").session;
    let owner = w.session(s).agent.unwrap();
    let other = if owner == a { b } else { a };
    w.take(owner);
    w.rejects(ErrorCode::SessionOwnedByOtherAgent, |w| {
        start_outbound(w, other, web, "u", q, "o-1", out_text("hi"))
    });
    // The owner's outbound continues its own session.
    let m = start_outbound(&mut w, owner, web, "u", q, "o-2", out_text("following up")).unwrap();
    assert_eq!(m.session, s);
}
