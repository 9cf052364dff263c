//! R-SEC: tokens, org isolation, agents acting on their own work, stream scoping, bad input.

mod common;
use common::*;
use omnisim_protocol::limits::MAX_TEXT_BYTES;
use omnisim_protocol::*;
use omnisim_reference_server::{Command, OrgCommand};

#[test]
fn r_sec_1_tokens_authenticate_their_own_org_and_agent_only() {
    let mut w = World::new();
    assert_eq!(
        w.engine.authenticate_org("org-token-0000000000"),
        Some(w.org)
    );
    assert_eq!(w.engine.authenticate_org("org-token-0000000001"), None);
    assert_eq!(w.engine.authenticate_org(""), None);
    let a = w.add_agent(1, &[]);
    let token = format!("agent-token-{:010}", 1);
    assert_eq!(w.engine.authenticate_agent(&token), Some(a));
    assert_eq!(
        w.engine.authenticate_org(&token),
        None,
        "an agent token is not an org token"
    );
    // Tokens are unique and not trivially short.
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.apply(Command::CreateOrg {
            name: "dup".into(),
            token: "org-token-0000000000".into(),
        })
    });
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.apply(Command::CreateOrg {
            name: "short".into(),
            token: "abc".into(),
        })
    });
}

#[test]
fn r_sec_1_other_orgs_resources_read_as_absent() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let s = w.say(web, "u", "hi").session;
    let work = w.offer(a).unwrap().id;
    let other = w.create_org("globex");
    fn not_found<T: std::fmt::Debug>(r: Result<T, ApiError>) -> ErrorCode {
        r.unwrap_err().code
    }
    assert_eq!(not_found(w.engine.channel(other, web)), ErrorCode::NotFound);
    assert_eq!(not_found(w.engine.session(other, s)), ErrorCode::NotFound);
    assert_eq!(not_found(w.engine.queue(other, q)), ErrorCode::NotFound);
    assert_eq!(
        not_found(w.engine.work_item(other, work)),
        ErrorCode::NotFound
    );
    assert_eq!(not_found(w.engine.agent(other, a)), ErrorCode::NotFound);
    w.rejects(ErrorCode::NotFound, |w| {
        w.apply(Command::Org {
            org: other,
            command: OrgCommand::Inbound(
                web,
                InboundRequest {
                    address: "x".into(),
                    provider_message_id: "p".into(),
                    content: text("hi"),
                    fields: None,
                },
            ),
        })
    });
    // An agent of the other org cannot touch this org's work.
    w.org = other;
    let intruder = w.agent(1, &[]);
    w.rejects(ErrorCode::NotFound, |w| w.accept(intruder, work));
    w.rejects(ErrorCode::NotFound, |w| {
        w.agent_cmd(intruder, AgentRequest::End { session: s })
    });
}

#[test]
fn r_sec_2_agents_act_only_on_sessions_whose_work_they_opened() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let a = w.agent(1, &[]);
    let b = w.agent(1, &[]);
    let s = w.say(web, "u", "hi").session;
    let offer = w.offer(a).unwrap();
    // Offered but not accepted: no sending yet.
    w.rejects(ErrorCode::Forbidden, |w| w.send(a, s, out_text("hi")));
    // Another agent cannot accept, decline or act on it.
    w.rejects(ErrorCode::Forbidden, |w| w.accept(b, offer.id));
    w.rejects(ErrorCode::Forbidden, |w| w.decline(b, offer.id));
    w.accept(a, offer.id).unwrap();
    w.rejects(ErrorCode::WorkNotOffered, |w| w.accept(a, offer.id));
    w.rejects(ErrorCode::Forbidden, |w| w.send(b, s, out_text("hi")));
    w.rejects(ErrorCode::Forbidden, |w| {
        w.agent_cmd(b, AgentRequest::End { session: s })
    });
    w.rejects(ErrorCode::Forbidden, |w| {
        w.agent_cmd(
            b,
            AgentRequest::Transfer {
                session: s,
                to: TransferTarget::Queue(q),
            },
        )
    });
    w.rejects(ErrorCode::Forbidden, |w| {
        w.agent_cmd(b, AgentRequest::MarkInactive { session: s })
    });
    w.send(a, s, out_text("hello")).unwrap();
}

#[test]
fn r_sec_3_streams_carry_only_their_own_users_and_channels_messages() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let sms = w.channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q));
    let a = w.agent(5, &[]);
    let s1 = w.say(web, "alice", "from alice").session;
    let s2 = w.say(web, "bob", "from bob").session;
    let s3 = w.say(sms, "carol", "from carol").session;
    let alice = w.user(web, "alice").id;
    let sessions_seen = |w: &World, aud| -> Vec<SessionId> {
        w.events_for(aud)
            .into_iter()
            .filter_map(|e| match e {
                Event::Message { message, .. } => Some(message.session),
                _ => None,
            })
            .collect()
    };
    assert_eq!(sessions_seen(&w, Audience::User(alice)), vec![s1]);
    assert_eq!(sessions_seen(&w, Audience::Channel(web)), vec![s1, s2]);
    assert_eq!(sessions_seen(&w, Audience::Channel(sms)), vec![s3]);
    // Agents see messages of sessions they hold only.
    let b = w.agent(1, &[]);
    w.take(a);
    w.say(web, "alice", "again");
    assert!(sessions_seen(&w, Audience::Agent(b)).is_empty());
    assert!(sessions_seen(&w, Audience::Agent(a)).contains(&s1));
}

#[test]
fn r_sec_4_malformed_input_gets_4xx_and_changes_nothing() {
    let mut w = World::new();
    let q = w.queue("support");
    let web = w.web(q);
    let long = "x".repeat(MAX_TEXT_BYTES + 1);
    w.rejects(ErrorCode::TextTooLong, |w| w.inbound(web, "u", text(&long)));
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.inbound(web, "u", text("   "))
    });
    w.rejects(ErrorCode::InvalidInput, |w| w.inbound(web, "", text("hi")));
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.inbound(web, &"a".repeat(300), text("hi"))
    });
    w.rejects(ErrorCode::NotFound, |w| {
        w.inbound(ChannelId(999_999), "u", text("hi"))
    });
    let mut bad_queue = queue_spec("");
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.org_cmd(OrgCommand::CreateQueue(bad_queue.clone()))
    });
    bad_queue.name = "q".into();
    bad_queue.capacity_weight = 0;
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.org_cmd(OrgCommand::CreateQueue(bad_queue.clone()))
    });
    bad_queue.capacity_weight = 1;
    bad_queue.required_skills = vec![skill("x", 11)];
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.org_cmd(OrgCommand::CreateQueue(bad_queue))
    });
    let spec = channel_spec(
        ChannelKind::Web,
        Platform::Standard,
        Entry::Queue(QueueId(424_242)),
    );
    w.rejects(ErrorCode::NotFound, |w| {
        w.org_cmd(OrgCommand::CreateChannel(spec))
    });
    w.rejects(ErrorCode::InvalidInput, |w| {
        w.org_cmd(OrgCommand::CreateAgent {
            spec: AgentSpec {
                name: "a".into(),
                capacity: 0,
                skills: Default::default(),
            },
            token: "agent-token-zzzzzzzzzz".into(),
        })
    });
    let a = w.agent(1, &[]);
    let s = w.say(web, "u", "hi").session;
    w.take(a);
    w.rejects(ErrorCode::TextTooLong, |w| w.send(a, s, out_text(&long)));
    w.rejects(ErrorCode::NotFound, |w| w.accept(a, WorkId(123_456)));
    w.rejects(ErrorCode::NotFound, |w| {
        w.agent_cmd(AgentId(777_777), AgentRequest::End { session: s })
    });
}
