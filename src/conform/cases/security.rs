//! Access and input: R-SEC-1, R-SEC-4.

use crate::conform::ctx::*;
use omnisim_protocol::*;
use reqwest::Method;

/// security/1.1: a wrong token is 401; another org's session is 404, like an absent one.
pub async fn tokens_and_org_isolation(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 30_000).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?;
    let mine = ctx.say(ch.id, "+1", "p1", "hello").await?;
    let path = ctx.path(&format!("/sessions/{}", mine.session.0));
    let (status, _) = ctx
        .client
        .raw(Method::GET, Some("wrong-token-000000000"), &path, None)
        .await?;
    ctx.note(format!("GET {path} with a wrong token → {status}"));
    check("R-SEC-1", status == 401, "401 with a wrong token", || {
        status.to_string()
    })?;
    let (status, _) = ctx.client.raw(Method::GET, None, &path, None).await?;
    check("R-SEC-1", status == 401, "401 without a token", || {
        status.to_string()
    })?;
    // A second org's token on this org's session: indistinguishable from absent.
    let other = ctx.admin_org("other").await?;
    let other_path = format!("/v1/orgs/{}/sessions/{}", other.0.0, mine.session.0);
    let (status, body) = ctx
        .client
        .raw(Method::GET, Some(&other.1), &other_path, None)
        .await?;
    ctx.note(format!(
        "GET {other_path} with the other org's token → {status} {body}"
    ));
    check(
        "R-SEC-1",
        status == 404,
        "404 for another org's session",
        || format!("{status} {body}"),
    )
}

/// security/4.1: malformed bodies get a 4xx `{code, message}` and change nothing.
pub async fn malformed_input_is_refused(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 30_000).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?;
    let path = ctx.path(&format!("/channels/{}/inbound", ch.id.0));
    let bodies = [
        "{not json",
        r#"{"address": 5, "provider_message_id": "x", "content": {"type": "text", "text": "a"}}"#,
        r#"{"address": "a", "provider_message_id": "x", "content": {"type": "shout"}}"#,
    ];
    for body in bodies {
        let (status, text) = ctx
            .client
            .raw(
                Method::POST,
                Some(&ctx.token.clone()),
                &path,
                Some(body.to_owned()),
            )
            .await?;
        ctx.note(format!("POST {path} {body} → {status} {text}"));
        let is_error = serde_json::from_str::<ApiError>(&text).is_ok();
        check(
            "R-SEC-4",
            (400..500).contains(&status) && is_error,
            "a 4xx {code, message}",
            || format!("{status} {text}"),
        )?;
    }
    let sessions: Vec<Session> = ctx.ok(Method::GET, "/sessions", None::<&()>).await?;
    check("R-SEC-4", sessions.is_empty(), "no session created", || {
        format!("{} sessions", sessions.len())
    })
}

/// security/2.1: an agent cannot send to, transfer or end a session whose work it has not opened.
pub async fn agents_act_only_on_their_sessions(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch.id, "+1", "p1", "hello").await?;
    a.must_offer().await?;
    let mut b = ctx.agent("b", 1).await?;
    let requests = [
        AgentRequest::Send {
            session: s.session,
            client_message_id: "b-1".into(),
            content: OutboundContent::Text { text: "hi".into() },
        },
        AgentRequest::End { session: s.session },
    ];
    for request in requests {
        let shown = format!("{request:?}");
        let reply = b.request(request).await?;
        let code = reply.as_ref().err().map(|e| e.code);
        check(
            "R-SEC-2",
            code == Some(ErrorCode::Forbidden),
            "refused with forbidden",
            || format!("{shown}: {code:?}"),
        )?;
    }
    // Not even the agent it is offered to may send before accepting.
    let reply = a
        .request(AgentRequest::Send {
            session: s.session,
            client_message_id: "a-1".into(),
            content: OutboundContent::Text { text: "hi".into() },
        })
        .await?;
    check(
        "R-SEC-2",
        reply.is_err(),
        "send before accepting refused",
        || format!("{reply:?}"),
    )
}
