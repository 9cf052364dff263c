//! Access and input: R-SEC-1, R-SEC-4.

use crate::conform::ctx::*;
use crate::live::client::next_text;
use http::Method;
use omnisim_protocol::*;
use std::time::Duration;

/// security/1.1: a wrong token is 401; another org's session is 404, like an absent one.
pub async fn tokens_and_org_isolation(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(30_000).await?;
    let mine = ctx.say(ch, "+1", "p1", "hello").await?;
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
    let ch = ctx.queue_channel(30_000).await?;
    let path = ctx.path(&format!("/channels/{}/inbound", ch.0));
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
    let ch = ctx.queue_channel(60_000).await?;
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?;
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

/// security/3.1: a customer stream carries only that user's messages; a channel stream only
/// that channel's.
pub async fn streams_carry_only_their_party(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 30_000).await?;
    let web = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?;
    let sms = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q))
        .await?;
    let mine = ctx.say(web.id, "+1", "p1", "mine").await?;
    let path = ctx.path(&format!(
        "/channels/{}/users/stream?address=%2B1&session={}&after_seq=0",
        web.id.0, mine.session.0
    ));
    let mut user_stream = ctx.client.socket(&ctx.token.clone(), &path).await?;
    let path = ctx.path(&format!("/channels/{}/stream?after=0", web.id.0));
    let mut channel_stream = ctx.client.socket(&ctx.token.clone(), &path).await?;
    ctx.say(web.id, "+2", "p2", "someone else on web").await?;
    ctx.say(sms.id, "+1", "p3", "the same address on sms")
        .await?;
    ctx.say(web.id, "+1", "p4", "mine again").await?;
    let mut seen = Vec::new();
    for (name, stream, allowed) in [
        ("customer", &mut user_stream, Some(mine.user)),
        ("channel", &mut channel_stream, None),
    ] {
        let mut messages = Vec::new();
        while let Ok(Some(text)) =
            tokio::time::timeout(Duration::from_millis(300), next_text(stream)).await
        {
            if let Ok(Event::Message {
                user,
                channel,
                message,
                ..
            }) = serde_json::from_str(&text)
            {
                messages.push((user, channel, message.seq.0));
            }
        }
        let foreign: Vec<_> = messages
            .iter()
            .filter(|(user, channel, _)| allowed.is_some_and(|u| *user != u) || *channel != web.id)
            .collect();
        check(
            "R-SEC-3",
            foreign.is_empty(),
            format!("the {name} stream: only its own messages"),
            || format!("{foreign:?}"),
        )?;
        seen.push(messages.len());
    }
    // The customer saw its two web messages; the channel all three web messages.
    check(
        "R-SEC-3",
        seen == [2, 3],
        "2 messages on the customer stream, 3 on the channel's",
        || format!("{seen:?}"),
    )
}

/// security/4.45: a body must be sent as `application/json` (parameters allowed) or without a
/// Content-Type: text, forms and XML are 415 unsupported_media_type and change nothing.
pub async fn bodies_are_json_or_refused(mut ctx: Ctx) -> CaseResult {
    let ch = ctx.queue_channel(30_000).await?;
    let path = ctx.path(&format!("/channels/{}/inbound", ch.0));
    let body = |pmid: &str| {
        format!(
            r#"{{"address": "+1", "provider_message_id": "{pmid}", "content": {{"type": "text", "text": "hi"}}}}"#
        )
    };
    let token = ctx.token.clone();
    for kind in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let (status, text) = ctx
            .client
            .unpooled()
            .raw_as(Method::POST, Some(&token), &path, Some(body(kind)), kind)
            .await?;
        ctx.note(format!("POST {path} as {kind} → {status} {text}"));
        let code = serde_json::from_str::<ApiError>(&text).ok().map(|e| e.code);
        check(
            "R-SEC-4",
            status == 415 && code == Some(ErrorCode::UnsupportedMediaType),
            format!("{kind}: 415 unsupported_media_type"),
            || format!("{status} {text}"),
        )?;
    }
    let sessions: Vec<Session> = ctx.ok(Method::GET, "/sessions", None::<&()>).await?;
    check("R-SEC-4", sessions.is_empty(), "nothing stored", || {
        format!("{} sessions", sessions.len())
    })?;
    let kind = "application/json; charset=utf-8";
    let (status, text) = ctx
        .client
        .raw_as(Method::POST, Some(&token), &path, Some(body("json")), kind)
        .await?;
    ctx.note(format!("POST {path} as {kind} → {status} {text}"));
    check(
        "R-SEC-4",
        status == 200,
        format!("{kind}: accepted"),
        || format!("{status} {text}"),
    )
}
