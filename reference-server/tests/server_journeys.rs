//! The reference server over real sockets: a whole conversation, and reconnects that resume
//! without loss or duplication (R-SESS-2, R-SESS-9).

mod support;
use omnisim_protocol::socket::CLOSE_REPLACED;
use omnisim_protocol::*;
use serde_json::json;
use support::*;

fn texts(messages: &[std::sync::Arc<Message>]) -> Vec<(u32, Sender)> {
    messages.iter().map(|m| (m.seq.0, m.sender)).collect()
}

#[tokio::test]
async fn a_conversation_from_inbound_through_bot_handoff_to_agent_and_end() {
    let t = TestServer::start().await;
    let org = t.org("acme").await;
    let o = org.id.0;
    let billing = t.queue(&org, json!({ "name": "billing" })).await;
    let bot: Created<BotId> = t
        .ok(
            &org.token,
            &format!("/v1/orgs/{o}/bots"),
            json!({
                "name": "helper", "greeting": "Hi!", "question": "Topic?",
                "intents": [
                    { "id": "hours", "label": "Hours", "action": { "type": "resolve", "reply": "9 to 5" } },
                    { "id": "billing", "label": "Billing", "action": { "type": "handoff", "queue": billing.0 } }
                ],
                "fallback_text": "Nobody is free."
            }),
        )
        .await;
    let web = t
        .channel(&org, json!({ "name": "web", "kind": "web", "platform": "standard", "entry": { "bot": bot.id.0 } }))
        .await;
    let ann = t.agent(&org, 2).await;
    let (mut agent, hello) = t.agent_socket(&ann.token).await;
    assert_eq!(hello.agent.id, ann.agent.id);
    assert!(hello.work.is_empty());
    agent
        .must(AgentRequest::SetPresence {
            presence: Presence::Online,
        })
        .await;

    let first = t.say(&org, web, "cust-1", "p1", "hi").await;
    let path = format!(
        "/v1/orgs/{o}/channels/{}/users/stream?address=cust-1&session={}&after_seq=0",
        web.0, first.session.0
    );
    let mut customer = t.socket(&path, &org.token).await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(customer.next_message().await);
    }
    assert_eq!(
        texts(&seen),
        vec![(1, Sender::EndUser), (2, Sender::Bot), (3, Sender::Bot)]
    );

    t.say(&org, web, "cust-1", "p2", "2").await;
    assert_eq!(
        customer.next_message().await.seq,
        Seq(4),
        "the customer's own message comes back too"
    );
    let offer = agent.next_offer().await;
    assert_eq!(offer.session.id, first.session);
    assert_eq!(offer.context.intent.as_deref(), Some("billing"));
    assert_eq!(offer.transcript.len(), 4);
    assert_eq!(offer.session.handler, Handler::BotToAgent);

    agent
        .must(AgentRequest::Accept {
            work: offer.work.id,
        })
        .await;
    let (_, reply) = agent
        .must(AgentRequest::Send {
            session: first.session,
            client_message_id: "a-1".into(),
            content: OutboundContent::Text {
                text: "Hello, Ann here".into(),
            },
        })
        .await;
    assert_eq!(reply.message.map(|m| m.seq), Some(Seq(5)));
    let to_customer = customer.next_message().await;
    assert_eq!(
        (to_customer.seq, to_customer.sender),
        (Seq(5), Sender::Agent)
    );

    t.say(&org, web, "cust-1", "p3", "thanks").await;
    let to_agent = agent.next_message().await;
    assert_eq!((to_agent.seq, to_agent.sender), (Seq(6), Sender::EndUser));

    agent
        .must(AgentRequest::End {
            session: first.session,
        })
        .await;
    let (_, ended) = customer
        .until(|e| {
            matches!(
                e,
                Event::SessionChanged {
                    status: SessionStatus::Ended,
                    ..
                }
            )
        })
        .await;
    assert!(matches!(
        ended,
        Event::SessionChanged {
            ended_by: Some(EndedBy::Agent),
            ..
        }
    ));

    let transcript: SessionTranscript = t
        .read(
            &org.token,
            &format!("/v1/orgs/{o}/sessions/{}", first.session.0),
        )
        .await;
    assert_eq!(transcript.messages.len(), 6);
    assert_eq!(transcript.session.status, SessionStatus::Ended);
    let work: Vec<WorkItem> = t
        .read(
            &org.token,
            &format!("/v1/orgs/{o}/sessions/{}/work", first.session.0),
        )
        .await;
    assert_eq!(work.len(), 1);
    assert_eq!(work[0].status, WorkStatus::Closed);
    assert!(work[0].accepted_at.is_some() && work[0].closed_at >= work[0].accepted_at);
    t.server.shutdown().await.unwrap();
}

/// A queue-entry channel with one online agent holding the session of `address`.
async fn held_session(
    t: &TestServer,
    org: &Org,
    address: &str,
) -> (ChannelId, SessionId, Socket, String) {
    let q = t.queue(org, json!({ "name": "support" })).await;
    let web = t
        .channel(org, json!({ "name": "web", "kind": "web", "platform": "standard", "entry": { "queue": q.0 } }))
        .await;
    let ann = t.agent(org, 1).await;
    let (mut agent, _) = t.agent_socket(&ann.token).await;
    agent
        .must(AgentRequest::SetPresence {
            presence: Presence::Online,
        })
        .await;
    let s = t
        .say(org, web, address, &format!("{address}-p0"), "hello")
        .await;
    let offer = agent.next_offer().await;
    agent
        .must(AgentRequest::Accept {
            work: offer.work.id,
        })
        .await;
    (web, s.session, agent, ann.token)
}

async fn agent_says(agent: &mut Socket, session: SessionId, id: &str) -> Seq {
    let (_, reply) = agent
        .must(AgentRequest::Send {
            session,
            client_message_id: id.into(),
            content: OutboundContent::Text {
                text: format!("message {id}").into(),
            },
        })
        .await;
    reply.message.expect("send reply").seq
}

#[tokio::test]
async fn customer_stream_resumes_after_the_last_seq_seen() {
    let t = TestServer::start().await;
    let org = t.org("acme").await;
    let (web, session, mut agent, _) = held_session(&t, &org, "cust").await;
    let stream = |after: u32| {
        format!(
            "/v1/orgs/{}/channels/{}/users/stream?address=cust&session={}&after_seq={after}",
            org.id.0, web.0, session.0
        )
    };
    let mut customer = t.socket(&stream(0), &org.token).await;
    assert_eq!(customer.next_message().await.seq, Seq(1));
    agent_says(&mut agent, session, "a").await;
    let last_seen = customer.next_message().await.seq;
    assert_eq!(last_seen, Seq(2));
    customer.close().await;

    // While the customer is away.
    for id in ["b", "c", "d"] {
        agent_says(&mut agent, session, id).await;
    }
    let mut customer = t.socket(&stream(last_seen.0), &org.token).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(customer.next_message().await.seq.0);
    }
    assert_eq!(got, vec![3, 4, 5], "exactly the missed messages, in order");
    // Then live, with no duplicate.
    agent_says(&mut agent, session, "e").await;
    assert_eq!(customer.next_message().await.seq, Seq(6));
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn channel_stream_resumes_after_the_last_channel_seq_seen() {
    let t = TestServer::start().await;
    let org = t.org("acme").await;
    let (web, session, mut agent, _) = held_session(&t, &org, "cust").await;
    let stream = |after: u64| {
        format!(
            "/v1/orgs/{}/channels/{}/stream?after={after}",
            org.id.0, web.0
        )
    };
    let mut provider = t.socket(&stream(0), &org.token).await;
    assert_eq!(provider.next_message().await.channel_seq, 1);
    provider.close().await;
    agent_says(&mut agent, session, "x").await;
    t.say(&org, web, "other", "o-1", "another customer").await;
    let mut provider = t.socket(&stream(1), &org.token).await;
    let replayed: Vec<(u64, SessionId)> =
        [provider.next_message().await, provider.next_message().await]
            .iter()
            .map(|m| (m.channel_seq, m.session))
            .collect();
    assert_eq!(replayed[0], (2, session));
    assert_eq!(replayed[1].0, 3);
    assert_ne!(replayed[1].1, session);
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn agent_reconnect_gets_its_live_work_and_a_newer_connection_replaces_an_older_one() {
    let t = TestServer::start().await;
    let org = t.org("acme").await;
    let (_, session, mut agent, token) = held_session(&t, &org, "cust").await;
    agent_says(&mut agent, session, "a").await;
    agent.close().await;
    let (mut second, hello) = t.agent_socket(&token).await;
    assert_eq!(hello.work.len(), 1);
    let held = &hello.work[0];
    assert_eq!(
        (held.session.id, held.work.status),
        (session, WorkStatus::Opened)
    );
    assert_eq!(
        held.transcript.iter().map(|m| m.seq.0).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(
        hello.agent.presence,
        Presence::Online,
        "a dropped socket does not change presence"
    );
    let (_third, _) = t.agent_socket(&token).await;
    assert_eq!(second.closed().await, Some(CLOSE_REPLACED));
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_closes_every_socket_with_going_away_and_stops_serving() {
    let t = TestServer::start().await;
    let org = t.org("acme").await;
    let (web, _, mut agent, _) = held_session(&t, &org, "cust").await;
    let provider_path = format!("/v1/orgs/{}/channels/{}/stream", org.id.0, web.0);
    let mut provider = t.socket(&provider_path, &org.token).await;
    let url = t.url("/healthz");
    let stopping = tokio::spawn(t.server.shutdown());
    assert_eq!(
        agent.closed().await,
        Some(omnisim_protocol::socket::CLOSE_GOING_AWAY)
    );
    assert_eq!(
        provider.closed().await,
        Some(omnisim_protocol::socket::CLOSE_GOING_AWAY)
    );
    stopping.await.unwrap().unwrap();
    assert!(t.http.get(url).send().await.is_err(), "no longer listening");
}
