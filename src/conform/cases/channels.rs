//! Channels and users: R-CHAN-1, R-CHAN-2, R-CHAN-3.

use crate::conform::ctx::*;
use http::Method;
use omnisim_protocol::*;

/// channels/1.1: changing a channel's platform is refused (409) and changes nothing.
pub async fn platform_is_immutable(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 30_000).await?;
    let ch = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q))
        .await?;
    let update = ChannelUpdate {
        platform: Some(Platform::Enhanced),
        ..Default::default()
    };
    let (status, reply) = ctx
        .call::<Channel>(
            Method::PATCH,
            &format!("/channels/{}", ch.id.0),
            Some(&update),
        )
        .await?;
    let code = reply.as_ref().err().map(|e| e.code);
    check(
        "R-CHAN-1",
        status == 409 && code == Some(ErrorCode::ChannelTypeImmutable),
        "409 channel_type_immutable",
        || format!("{status} {code:?}"),
    )?;
    let now: Channel = ctx
        .ok(Method::GET, &format!("/channels/{}", ch.id.0), None::<&()>)
        .await?;
    check(
        "R-CHAN-1",
        now.platform == Platform::Standard,
        "still standard",
        || format!("{:?}", now.platform),
    )
}

/// channels/2.1: one user per (channel, address); the same address elsewhere is another user.
pub async fn one_user_per_channel_and_address(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 30_000).await?;
    let web = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Queue(q))
        .await?;
    let sms = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q))
        .await?;
    let a = ctx.say(web.id, "+1555", "w1", "hi").await?;
    let b = ctx.say(web.id, "+1555", "w2", "hi again").await?;
    let c = ctx.say(sms.id, "+1555", "s1", "hi").await?;
    check(
        "R-CHAN-2",
        a.user == b.user,
        "the same user on the same channel",
        || format!("{} then {}", a.user, b.user),
    )?;
    check(
        "R-CHAN-2",
        c.user != a.user,
        "another user on another channel",
        || format!("{} on both", c.user),
    )
}

/// channels/3.1: a component sent on a standard channel is refused with 422.
pub async fn components_refused_on_standard(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 30_000).await?;
    let ch = ctx
        .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(q))
        .await?;
    ctx.say(ch.id, "+1555", "p1", "hi").await?;
    let req = TriggeredOutboundRequest {
        address: "+1555".into(),
        content: OutboundContent::Component {
            component: Component::QuestionWithOptions {
                text: "Pick one".into(),
                options: vec![Choice {
                    id: "a".into(),
                    label: "A".into(),
                }],
            },
        },
    };
    let (status, reply) = ctx
        .call::<MessageAccepted>(
            Method::POST,
            &format!("/channels/{}/outbound", ch.id.0),
            Some(&req),
        )
        .await?;
    let code = reply.as_ref().err().map(|e| e.code);
    check(
        "R-CHAN-3",
        status == 422 && code == Some(ErrorCode::ComponentsUnsupported),
        "422 components_unsupported for an outbound component",
        || format!("{status} {code:?}"),
    )?;
    let content = InboundContent::ComponentResponse {
        in_reply_to: Seq(1),
        answer_id: "a".into(),
    };
    let (status, reply) = ctx.inbound(ch.id, "+1555", "p2", content).await?;
    let code = reply.as_ref().err().map(|e| e.code);
    check(
        "R-CHAN-3",
        status == 422 && code == Some(ErrorCode::ComponentsUnsupported),
        "422 components_unsupported for a component response",
        || format!("{status} {code:?}"),
    )
}

/// channels/4.1: a component response must name a component sent earlier in the session and
/// one of its options; otherwise 422 invalid_component_response and nothing is stored.
pub async fn component_responses_must_match_a_question(mut ctx: Ctx) -> CaseResult {
    let ch = ctx
        .bot_channel(ChannelKind::Web, Platform::Enhanced)
        .await?;
    let s = ctx.say(ch, "+1", "p1", "hi").await?;
    let before = ctx.transcript(s.session).await?.messages;
    let question = before
        .iter()
        .find(|m| m.is_question())
        .map(|m| m.seq)
        .ok_or_else(|| error("the bot asked no question (see bots/1.1)"))?;
    let greeting = before
        .iter()
        .find(|m| m.sender == Sender::Bot && !m.is_question())
        .map(|m| m.seq)
        .unwrap_or(Seq(1));
    for (pmid, in_reply_to, answer_id, what) in [
        (
            "x1",
            question,
            "no-such-option",
            "an option the question does not have",
        ),
        ("x2", greeting, "hours", "a message that is not a question"),
        ("x3", Seq(999), "hours", "a seq that does not exist"),
    ] {
        let content = InboundContent::ComponentResponse {
            in_reply_to,
            answer_id: answer_id.into(),
        };
        let (status, reply) = ctx.inbound(ch, "+1", pmid, content).await?;
        let code = reply.as_ref().err().map(|e| e.code);
        check(
            "R-CHAN-4",
            status == 422 && code == Some(ErrorCode::InvalidComponentResponse),
            format!("422 invalid_component_response for {what}"),
            || format!("{status} {code:?}"),
        )?;
    }
    let after = ctx.transcript(s.session).await?.messages;
    check(
        "R-CHAN-4",
        after.len() == before.len(),
        "nothing stored",
        || format!("{} messages, {} before", after.len(), before.len()),
    )
}

/// A session of `ch` from `+1`, accepted by a fresh agent, which sends `component` into it; the
/// stored message.
async fn agent_sends_component(
    ctx: &mut Ctx,
    ch: ChannelId,
    component: Component,
) -> Result<Message, Problem> {
    let mut a = ctx.agent("a", 1).await?;
    let s = ctx.say(ch, "+1", "p1", "hello").await?.session;
    a.take_offer().await?;
    let send = AgentRequest::Send {
        session: s,
        client_message_id: "c1".into(),
        content: OutboundContent::Component { component },
    };
    a.must("sending a component", send).await?;
    let t = ctx.transcript(s).await?;
    t.messages
        .last()
        .map(|m| (**m).clone())
        .ok_or_else(|| error("an empty transcript"))
}

/// channels/3.2: on an enhanced SMS channel a component is stored as sent and delivered as its
/// text rendering; on an enhanced web channel, structured.
pub async fn components_render_as_the_channel_shows_them(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let selector = || Component::TimeSelector {
        text: "When?".into(),
        slots: vec![TimeSlot {
            id: "morning".into(),
            start: Timestamp(1000),
            duration_ms: Millis(1_800_000),
        }],
    };
    let sms = ctx
        .channel(ChannelKind::Sms, Platform::Enhanced, Entry::Queue(q))
        .await?
        .id;
    let m = agent_sends_component(&mut ctx, sms, selector()).await?;
    let expected = "When?\n1. t=1000ms (+30 min)";
    check(
        "R-CHAN-3",
        m.rendered_as == Some(RenderedAs::Text) && m.rendered_text.as_deref() == Some(expected),
        format!("SMS: rendered as text, {expected:?}"),
        || format!("{:?} {:?}", m.rendered_as, m.rendered_text),
    )?;
    check(
        "R-CHAN-3",
        matches!(&m.body, MessageBody::Component { component } if **component == selector()),
        "SMS: the component stored as sent",
        || format!("{:?}", m.body),
    )?;
    let web = ctx
        .channel(ChannelKind::Web, Platform::Enhanced, Entry::Queue(q))
        .await?
        .id;
    let m = agent_sends_component(&mut ctx, web, selector()).await?;
    check(
        "R-CHAN-3",
        m.rendered_as == Some(RenderedAs::Structured) && m.rendered_text.is_none(),
        "web: rendered structured",
        || format!("{:?} {:?}", m.rendered_as, m.rendered_text),
    )
}

/// channels/4.2: a link cannot be answered: a response naming it is 422
/// invalid_component_response and nothing is stored.
pub async fn only_offered_answers_are_accepted(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 60_000).await?;
    let web = ctx
        .channel(ChannelKind::Web, Platform::Enhanced, Entry::Queue(q))
        .await?
        .id;
    let link = Component::EnhancedLink {
        text: "Track it".into(),
        url: "https://example.com/t/1".into(),
    };
    let sent = agent_sends_component(&mut ctx, web, link).await?;
    let answer = |in_reply_to: Seq, answer_id: &str| InboundContent::ComponentResponse {
        in_reply_to,
        answer_id: answer_id.into(),
    };
    let (status, reply) = ctx
        .inbound(web, "+1", "p2", answer(sent.seq, "Track it"))
        .await?;
    let code = reply.err().map(|e| e.code);
    check(
        "R-CHAN-4",
        status == 422 && code == Some(ErrorCode::InvalidComponentResponse),
        "422 invalid_component_response: a link has nothing to answer",
        || format!("{status} {code:?}"),
    )?;
    let t = ctx.transcript(sent.session).await?;
    check(
        "R-CHAN-4",
        t.messages.len() == 2,
        "nothing stored: the customer's hello and the link",
        || format!("{} messages", t.messages.len()),
    )
}
