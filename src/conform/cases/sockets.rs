//! The agent socket's own contract (protocol.md §5.1): one socket per agent, a hello that lets a
//! reconnecting agent resume (R-SESS-9), and a reply for every frame, bad ones included (R-SEC-4).

use crate::conform::ctx::*;
use omnisim_protocol::socket::CLOSE_REPLACED;
use omnisim_protocol::*;
use std::time::Duration;

/// sockets/1.1: a second connection of the same agent closes the first with 4001, and its hello
/// carries the agent and the work it holds (offered or accepted) with the transcript.
pub async fn a_newer_connection_replaces_the_older(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut first = ctx.agent("a", 2).await?;
    let held = ctx.say(ch, "+1", "p1", "first").await?.session;
    first.take_offer().await?;
    let offered = ctx.say(ch, "+2", "p2", "second").await?.session;
    first.must_offer().await?;
    let token = first.token.clone();
    let mut second = ctx.client.socket(&token, "/v1/agent").await?;
    let hello = crate::live::client::next_text(&mut second)
        .await
        .ok_or_else(|| error("the second connection closed before its hello"))?;
    ctx.note(format!("{} ← {hello}", first.id));
    let code = first.close_code(PROMPT).await;
    check(
        "R-SESS-9",
        code == Some(Some(CLOSE_REPLACED)),
        "the older socket closed with 4001",
        || format!("{code:?}"),
    )?;
    let hello = match AgentPush::parse(&hello) {
        Ok(AgentPush::Hello(h)) => h,
        other => return Err(error(format!("the first frame is not a hello: {other:?}"))),
    };
    let mut sessions: Vec<(SessionId, WorkStatus, usize)> = hello
        .work
        .iter()
        .map(|o| (o.session.id, o.work.status, o.transcript.len()))
        .collect();
    sessions.sort_by_key(|(s, _, _)| *s);
    let expected = vec![
        (held, WorkStatus::Opened, 1),
        (offered, WorkStatus::Assigned, 1),
    ];
    check(
        "R-SESS-9",
        hello.agent.id == first.id && sessions == expected,
        format!("a hello with the accepted and the offered work: {expected:?}"),
        || format!("{sessions:?}"),
    )
}

/// sockets/1.2: a frame that is not a valid request gets an invalid_json reply, with its id when
/// one can be read, and the socket stays open for the next request.
pub async fn a_bad_frame_gets_an_error_reply(mut ctx: Ctx) -> CaseResult {
    let mut a = ctx.agent("a", 1).await?;
    for (frame, id) in [
        ("{not json", 0),
        (r#"{"id": 41, "type": "fly"}"#, 41),
        (r#"{"id": 42, "type": "accept"}"#, 42),
        (
            r#"{"id": 43, "type": "set_presence", "presence": "online", "mood": "good"}"#,
            43,
        ),
    ] {
        a.send_raw(frame).await?;
        let reply = a.next_reply().await?;
        let code = reply.error.as_ref().map(|e| e.code);
        check(
            "R-SEC-4",
            reply.id == id && code == Some(ErrorCode::InvalidJson),
            format!("{frame}: an invalid_json reply with id {id}"),
            || format!("id {} {code:?}", reply.id),
        )?;
    }
    a.set_presence(Presence::Busy).await?;
    let agent = ctx.read_agent(a.id).await?;
    check(
        "R-SEC-4",
        agent.presence == Presence::Busy,
        "the socket still serves requests after bad frames",
        || format!("{:?}", agent.presence),
    )
}

/// sockets/1.3: closing the agent socket changes neither the agent's presence nor what it holds;
/// the next connection's hello shows both.
pub async fn closing_the_socket_keeps_presence_and_work(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(60_000).await?;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?.session;
    a.take_offer().await?;
    let token = a.token.clone();
    drop(a);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = ctx.client.socket(&token, "/v1/agent").await?;
    let hello = crate::live::client::next_text(&mut again)
        .await
        .ok_or_else(|| error("the new connection closed before its hello"))?;
    ctx.note(format!("← {hello}"));
    let hello = match AgentPush::parse(&hello) {
        Ok(AgentPush::Hello(h)) => h,
        other => return Err(error(format!("the first frame is not a hello: {other:?}"))),
    };
    let work: Vec<SessionId> = hello.work.iter().map(|o| o.session.id).collect();
    check(
        "R-SESS-9",
        hello.agent.presence == Presence::Online && work == [s],
        "still online, still holding the session",
        || format!("{:?} holding {work:?}", hello.agent.presence),
    )
}
