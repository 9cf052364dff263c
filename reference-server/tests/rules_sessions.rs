//! R-SESS: session lifecycle, messages and continuity.

mod common;
use common::*;
use omnisim_protocol::*;
use omnisim_reference_server::OrgCommand;
use omnisim_reference_server::faults::Fault;

#[test]
fn r_sess_1_inbound_opens_one_session_and_appends_to_it() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let first = w.say(web, "u", "hello");
    let second = w.say(web, "u", "still there?");
    assert_eq!(first.session, second.session);
    let s = w.session(first.session);
    assert_eq!(s.origin, Origin::InboundInitiated);
    assert_eq!(s.message_count, 2);
    assert_eq!(w.user(web, "u").open_session, Some(first.session));
    let open: Vec<_> = w
        .engine
        .sessions(w.org)
        .unwrap()
        .into_iter()
        .filter(|s| s.status.is_open())
        .collect();
    assert_eq!(open.len(), 1);
}

#[test]
fn r_sess_2_seq_starts_at_one_and_rises_by_one_for_every_party() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let s = w.say(web, "u", "one").session;
    w.take(a);
    w.send(a, s, out_text("two")).unwrap();
    w.say(web, "u", "three");
    w.send(a, s, out_text("four")).unwrap();
    let seqs: Vec<u32> = w.messages(s).iter().map(|m| m.seq.0).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
    let delivered = |aud| -> Vec<u32> {
        w.events_for(aud)
            .into_iter()
            .filter_map(|e| match e {
                Event::Message { message, .. } => Some(message.seq.0),
                _ => None,
            })
            .collect()
    };
    let user = w.user(web, "u").id;
    assert_eq!(delivered(Audience::User(user)), vec![1, 2, 3, 4]);
    assert_eq!(delivered(Audience::Channel(web)), vec![1, 2, 3, 4]);
    // The agent got message 1 in the offer's transcript, then every later one exactly once.
    assert_eq!(delivered(Audience::Agent(a)), vec![2, 3, 4]);
    let transcript_in_offer = w.events.iter().find_map(|e| match e {
        Event::WorkOffered(o) => Some(o.transcript.len()),
        _ => None,
    });
    assert_eq!(transcript_in_offer, Some(1));
    // A new session starts again at 1.
    w.customer_end(web, "u").unwrap();
    let next = w.say(web, "u", "back");
    assert_eq!(next.seq, Some(Seq(1)));
}

#[test]
fn r_sess_3_duplicate_provider_message_id_returns_original_and_stores_nothing() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let req = InboundRequest {
        address: "u".into(),
        provider_message_id: "wamid.1".into(),
        content: text("hello"),
        fields: None,
    };
    let first = w.inbound_req(web, req.clone()).unwrap();
    let before = w.engine.clone();
    let retry = w.inbound_req(web, req).unwrap();
    assert!(retry.duplicate && !first.duplicate);
    assert_eq!((retry.session, retry.seq), (first.session, first.seq));
    assert!(w.engine == before, "a retry changed state");
    // The same provider id on another channel is a different delivery.
    let sms = w.channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q));
    let other = w
        .inbound_req(
            sms,
            InboundRequest {
                address: "u".into(),
                provider_message_id: "wamid.1".into(),
                content: text("hi"),
                fields: None,
            },
        )
        .unwrap();
    assert!(!other.duplicate);
}

#[test]
fn r_sess_3_duplicate_client_message_id_returns_original_seq() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let s = w.say(web, "u", "hi").session;
    w.take(a);
    let send = AgentRequest::Send {
        session: s,
        client_message_id: "client-42".into(),
        content: out_text("hello"),
    };
    let first = w.agent_cmd(a, send.clone()).unwrap();
    let again = w.agent_cmd(a, send).unwrap();
    let (
        omnisim_reference_server::Reply::Message(first),
        omnisim_reference_server::Reply::Message(again),
    ) = (first, again)
    else {
        panic!("message replies expected")
    };
    assert!(again.duplicate && !first.duplicate);
    assert_eq!(again.seq, first.seq);
    assert_eq!(w.messages(s).len(), 2);
}

#[test]
fn r_sess_4_bot_entry_starts_active_with_bot_queue_entry_starts_waiting() {
    let mut w = World::new();
    let q = w.queue("support");
    let bot = w.bot(q);
    let bot_channel = w.channel(ChannelKind::Web, Platform::Standard, Entry::Bot(bot));
    let queue_channel = w.web(q);
    let b = w.say(bot_channel, "u", "hi").session;
    let s = w.session(b);
    assert_eq!((s.status, s.handler), (SessionStatus::Active, Handler::Bot));
    let qs = w.say(queue_channel, "u", "hi").session;
    let s = w.session(qs);
    assert_eq!(
        (s.status, s.handler),
        (SessionStatus::Waiting, Handler::None)
    );
    assert_eq!(s.queue, Some(q));
}

/// A session that ends frees its own user to open another, and no one else: the other user's
/// session stays the one its messages go to.
#[test]
fn r_sess_1_a_session_ending_frees_its_own_user_only() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let first = w.say(web, "u1", "hi").session;
    let second = w.say(web, "u2", "hi").session;
    w.customer_end(web, "u1").unwrap();
    assert_eq!(w.user(web, "u1").open_session, None);
    assert_eq!(w.user(web, "u2").open_session, Some(second));
    assert_eq!(w.say(web, "u2", "still here").session, second);
    assert_ne!(w.say(web, "u1", "back again").session, first);
}

#[test]
fn r_sess_5_ended_is_terminal_and_next_inbound_opens_new_session_same_conversation() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let first = w.say(web, "u", "hi");
    w.take(a);
    w.agent_cmd(
        a,
        AgentRequest::End {
            session: first.session,
        },
    )
    .unwrap();
    assert_eq!(w.session(first.session).status, SessionStatus::Ended);
    w.rejects(ErrorCode::SessionEnded, |w| {
        w.send(a, first.session, out_text("late"))
    });
    w.rejects(ErrorCode::SessionEnded, |w| {
        w.agent_cmd(
            a,
            AgentRequest::End {
                session: first.session,
            },
        )
    });
    let next = w.say(web, "u", "me again");
    assert_ne!(next.session, first.session);
    assert_eq!(next.conversation_id, first.conversation_id);
    assert_eq!(w.session(first.session).status, SessionStatus::Ended);
}

#[test]
fn r_sess_6_times_are_set_exactly_and_never_decrease() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let s = w.say(web, "u", "hi").session;
    assert_eq!(w.session(s).accepted_at, None);
    w.advance(5_000);
    w.take(a);
    let accepted = w.session(s).accepted_at.unwrap();
    assert_eq!(w.session(s).ended_at, None);
    // A driver clock that goes backwards does not make times decrease.
    w.now = Timestamp(10);
    w.agent_cmd(a, AgentRequest::End { session: s }).unwrap();
    let s = w.session(s);
    assert!(s.started_at <= accepted && accepted <= s.ended_at.unwrap());
    assert_eq!(s.status, SessionStatus::Ended);
}

fn enhanced_with_inactivity(w: &mut World, q: QueueId) -> ChannelId {
    let mut spec = channel_spec(ChannelKind::Web, Platform::Enhanced, Entry::Queue(q));
    spec.inactivity_timeout_ms = Some(Millis(60_000));
    spec.inactive_ttl_ms = Some(Millis(600_000));
    w.add_channel(spec)
}

#[test]
fn r_sess_7_inactive_only_on_enhanced_channels() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let s = w.say(web, "u", "hi").session;
    w.take(a);
    w.rejects(ErrorCode::InactiveUnsupported, |w| {
        w.agent_cmd(a, AgentRequest::MarkInactive { session: s })
    });
    let mut spec = channel_spec(ChannelKind::Web, Platform::Standard, Entry::Queue(q));
    spec.inactivity_timeout_ms = Some(Millis(1_000));
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.org_cmd(OrgCommand::CreateChannel(spec))
    });
}

#[test]
fn r_sess_7_mark_inactive_frees_capacity_and_customer_reply_routes_again() {
    let mut w = World::new();
    let q = w.queue("support");
    let ch = enhanced_with_inactivity(&mut w, q);
    let a = w.agent(1, &[]);
    let s = w.say(ch, "u", "hi").session;
    let first = w.take(a);
    w.agent_cmd(a, AgentRequest::MarkInactive { session: s })
        .unwrap();
    assert_eq!(w.session(s).status, SessionStatus::Inactive);
    assert_eq!(
        w.engine.work_item(w.org, first.id).unwrap().status,
        WorkStatus::Closed
    );
    assert_eq!(w.agent_info(a).used_capacity, 0);
    // The freed capacity takes other waiting work at once.
    let other = w.say(ch, "u2", "hello").session;
    assert_eq!(w.offer(a).unwrap().session, other);
    w.take(a);
    w.say(ch, "u", "back again");
    assert_eq!(w.session(s).status, SessionStatus::Waiting);
    let works = w.session_work(s);
    assert_eq!(
        works.len(),
        1,
        "a new routing waits: the only agent is full"
    );
    w.agent_cmd(a, AgentRequest::End { session: other })
        .unwrap();
    let reoffer = w.offer(a).unwrap();
    assert_eq!(reoffer.session, s);
    assert_ne!(reoffer.id, first.id);
}

#[test]
fn r_sess_7_inactivity_timeout_after_agent_reply_then_ttl_ends_session() {
    let mut w = World::new();
    let q = w.queue("support");
    let ch = enhanced_with_inactivity(&mut w, q);
    let a = w.agent(1, &[]);
    let s = w.say(ch, "u", "hi").session;
    w.take(a);
    // No agent reply yet: the timeout is not armed.
    w.advance(120_000);
    assert_eq!(w.session(s).status, SessionStatus::Active);
    w.send(a, s, out_text("how can I help?")).unwrap();
    w.advance(59_000);
    w.say(ch, "u", "thinking"); // a customer reply stops the timer
    w.advance(120_000);
    assert_eq!(w.session(s).status, SessionStatus::Active);
    w.send(a, s, out_text("still there?")).unwrap();
    w.advance(59_999);
    assert_eq!(w.session(s).status, SessionStatus::Active);
    w.advance(1);
    assert_eq!(w.session(s).status, SessionStatus::Inactive);
    assert_eq!(w.agent_info(a).used_capacity, 0);
    w.advance(599_999);
    assert_eq!(w.session(s).status, SessionStatus::Inactive);
    w.advance(1);
    let s = w.session(s);
    assert_eq!(
        (s.status, s.ended_by),
        (SessionStatus::Ended, Some(EndedBy::System))
    );
}

#[test]
fn r_sess_8_customer_end_while_waiting_cancels_work_and_frees_offer() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let s = w.say(web, "u", "hi").session;
    let offered = w.offer(a).unwrap();
    assert_eq!(w.agent_info(a).used_capacity, 1);
    w.customer_end(web, "u").unwrap();
    let s = w.session(s);
    assert_eq!(
        (s.status, s.ended_by),
        (SessionStatus::Ended, Some(EndedBy::EndUser))
    );
    assert_eq!(
        w.engine.work_item(w.org, offered.id).unwrap().status,
        WorkStatus::Canceled
    );
    assert_eq!(w.agent_info(a).used_capacity, 0);
    assert!(w.events_for(Audience::Agent(a)).iter().any(|e| matches!(
        e,
        Event::OfferRescinded {
            reason: RescindReason::Canceled,
            ..
        }
    )));
    assert_eq!(w.engine.queue(w.org, q).unwrap().waiting, 0);
}

#[test]
fn r_sess_8_customer_end_while_active_closes_work() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    w.say(web, "u", "hi");
    let work = w.take(a);
    w.advance(1_000);
    w.customer_end(web, "u").unwrap();
    let item = w.engine.work_item(w.org, work.id).unwrap();
    assert_eq!(item.status, WorkStatus::Closed);
    assert_eq!(item.handle_time(), Some(Millis(1_000)));
    w.rejects(ErrorCode::SessionEnded, |w| w.customer_end(web, "u"));
}

#[test]
fn r_sess_9_transcript_read_back_and_resume_from_last_seen_seq() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let s = w.say(web, "u", "one").session;
    w.take(a);
    for i in 2..=5 {
        w.send(a, s, out_text(&format!("msg {i}"))).unwrap();
    }
    let t = w.engine.transcript(w.org, s).unwrap();
    assert_eq!(t.messages.len(), 5);
    assert_eq!(t.session.message_count, 5);
    let resumed: Vec<u32> = w
        .engine
        .messages_after(w.org, s, Seq(3))
        .unwrap()
        .iter()
        .map(|m| m.seq.0)
        .collect();
    assert_eq!(resumed, vec![4, 5]);
    assert!(
        w.engine
            .messages_after(w.org, s, Seq(5))
            .unwrap()
            .is_empty()
    );
    assert!(
        w.engine
            .messages_after(w.org, s, Seq(50))
            .unwrap()
            .is_empty()
    );
    // Ended, it still reads back whole, from every view.
    w.customer_end(web, "u").unwrap();
    let t = w.engine.transcript(w.org, s).unwrap();
    assert_eq!(t.session.status, SessionStatus::Ended);
    assert_eq!(t.messages.len(), 5);
    assert_eq!(w.engine.messages_after(w.org, s, Seq(3)).unwrap().len(), 2);
    assert_eq!(
        w.engine
            .channel_messages_after(w.org, web, 0)
            .unwrap()
            .len(),
        5
    );
    let listed = w.engine.sessions(w.org).unwrap();
    assert_eq!(listed.iter().map(|l| l.id).collect::<Vec<_>>(), vec![s]);
}

#[test]
fn r_sess_9_channel_stream_resumes_from_channel_seq_across_sessions() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.say(web, "alice", "a1");
    let b = w.say(web, "bob", "b1");
    w.say(web, "alice", "a2");
    let positions: Vec<u64> = w
        .events_for(Audience::Channel(web))
        .into_iter()
        .filter_map(|e| match e {
            Event::Message { message, .. } => Some(message.channel_seq),
            _ => None,
        })
        .collect();
    assert_eq!(positions, vec![1, 2, 3]);
    let after_one: Vec<(u64, SessionId, u32)> = w
        .engine
        .channel_messages_after(w.org, web, 1)
        .unwrap()
        .into_iter()
        .map(|m| (m.channel_seq, m.session, m.seq.0))
        .collect();
    assert_eq!(after_one, vec![(2, b.session, 1), (3, a.session, 2)]);
    assert!(
        w.engine
            .channel_messages_after(w.org, web, 3)
            .unwrap()
            .is_empty()
    );
    assert!(
        w.engine
            .channel_messages_after(w.org, web, u64::MAX)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn r_sess_9_replays_find_messages_by_seq_even_when_seqs_skip() {
    // With the seq_gap fault the stored seqs are 1, 3, 4: replays must still hand out each
    // stored message once, by its own seq, and never index past the transcript.
    let mut w = World::with_faults([Fault::SeqGap].into_iter().collect());
    let q = w.queue("support");
    let web = w.web(q);
    let s = w.say(web, "u", "one").session;
    w.say(web, "u", "two");
    w.say(web, "u", "three");
    let seqs = |messages: Vec<std::sync::Arc<Message>>| -> Vec<u32> {
        messages.iter().map(|m| m.seq.0).collect()
    };
    let t = w.engine.transcript(w.org, s).unwrap();
    assert_eq!(seqs(t.messages), vec![1, 3, 4]);
    let after_one = w.engine.messages_after(w.org, s, Seq(1)).unwrap().to_vec();
    assert_eq!(seqs(after_one), vec![3, 4]);
    let after_three = w.engine.messages_after(w.org, s, Seq(3)).unwrap().to_vec();
    assert_eq!(seqs(after_three), vec![4]);
    let channel = w.engine.channel_messages_after(w.org, web, 0).unwrap();
    assert_eq!(seqs(channel), vec![1, 3, 4]);
    let user = w.say(web, "u", "four").user;
    let stream = w
        .engine
        .user_messages_after(w.org, user, s, Seq(3))
        .unwrap();
    assert_eq!(seqs(stream), vec![4, 5]);
}

#[test]
fn r_sess_9_customer_stream_resumes_across_the_users_sessions() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let first = w.say(web, "u", "one");
    w.say(web, "u", "two");
    w.customer_end(web, "u").unwrap();
    let second = w.say(web, "u", "three");
    let user = w.user(web, "u").id;
    let resumed: Vec<(SessionId, u32)> = w
        .engine
        .user_messages_after(w.org, user, first.session, Seq(1))
        .unwrap()
        .iter()
        .map(|m| (m.session, m.seq.0))
        .collect();
    assert_eq!(resumed, vec![(first.session, 2), (second.session, 1)]);
    let none = w
        .engine
        .user_messages_after(w.org, user, second.session, Seq(1))
        .unwrap();
    assert!(none.is_empty());
}

#[test]
fn r_sess_10_an_ended_session_is_forgotten_once_ended_longer_than_the_retention() {
    use omnisim_reference_server::faults::{Fault, Faults};
    for faults in [Faults::NONE, Faults::NONE.with(Fault::RetentionEarly)] {
        let mut w = World::with_retention(60_000, faults);
        let q = w.queue("q");
        let web = w.web(q);
        let first = w.say(web, "u", "hi");
        w.customer_end(web, "u").unwrap();
        w.advance(60_000);
        let at_t = w.engine.transcript(w.org, first.session);
        if faults.has(Fault::RetentionEarly) {
            assert!(at_t.is_err(), "the fault shows");
            continue;
        }
        assert!(at_t.is_ok(), "ended exactly the period: still kept");
        w.advance(1);
        for read in [
            w.engine.transcript(w.org, first.session).map(drop),
            w.engine.session_work(w.org, first.session).map(drop),
            w.engine.session(w.org, first.session).map(drop),
        ] {
            assert_eq!(read.unwrap_err().code, ErrorCode::SessionExpired);
        }
        // The user and its conversation stay; the next session continues the conversation.
        let user = w.user(web, "u");
        let next = w.say(web, "u", "back");
        assert_eq!(next.conversation_id, user.conversation_id);
        assert_ne!(next.session, first.session);
        // A resume from the forgotten session starts after it.
        let resumed = w
            .engine
            .user_messages_after(w.org, user.id, first.session, Seq(0))
            .unwrap();
        assert!(resumed.iter().all(|m| m.session == next.session) && !resumed.is_empty());
        // So does a channel replay; positions keep counting past the forgotten messages.
        let replay = w.engine.channel_messages_after(w.org, web, 0).unwrap();
        assert!(replay.iter().all(|m| m.session == next.session) && !replay.is_empty());
        assert!(
            replay[0].channel_seq > 1,
            "the forgotten session held the first positions"
        );
        let from = replay[0].channel_seq - 1;
        let again = w.engine.channel_messages_after(w.org, web, from).unwrap();
        assert_eq!(again.len(), replay.len());
        // Another org's forgotten session is absent, not expired.
        assert_eq!(
            w.engine
                .session(w.org, SessionId(999_999))
                .unwrap_err()
                .code,
            ErrorCode::NotFound
        );
    }
}

#[test]
fn r_sess_10_a_provider_id_is_a_retry_within_the_retention_and_new_after_it() {
    let mut w = World::with_retention(60_000, Default::default());
    let q = w.queue("q");
    let web = w.web(q);
    let req = InboundRequest {
        address: "u".into(),
        provider_message_id: "wamid.7".into(),
        content: text("hello"),
        fields: None,
    };
    let first = w.inbound_req(web, req.clone()).unwrap();
    w.advance(60_000);
    let retry = w.inbound_req(web, req.clone()).unwrap();
    assert!(
        retry.duplicate && retry.seq == first.seq,
        "within the period: a retry"
    );
    w.advance(1);
    let later = w.inbound_req(web, req).unwrap();
    assert!(
        !later.duplicate && later.seq != first.seq,
        "older than the period: new"
    );
}
