//! Bots: R-BOT-1, R-BOT-4.

use crate::conform::ctx::*;
use omnisim_protocol::*;

/// bots/1.1: on a standard channel the intent question is a numbered text menu after the
/// greeting; on an enhanced one, a question_with_options.
pub async fn intent_question_fits_the_channel(mut ctx: Ctx) -> CaseResult {
    let q = ctx.queue("q", 30_000).await?;
    let bot = ctx.bot(q).await?;
    for (platform, kind) in [
        (Platform::Standard, ChannelKind::Sms),
        (Platform::Enhanced, ChannelKind::Web),
    ] {
        let ch = ctx.channel(kind, platform, Entry::Bot(bot)).await?;
        let s = ctx.say(ch.id, "+1", "p1", "hi").await?;
        let t = ctx.transcript(s.session).await?;
        let bot_msgs: Vec<&MessageBody> = t
            .messages
            .iter()
            .filter(|m| m.sender == Sender::Bot)
            .map(|m| &m.body)
            .collect();
        let shape_ok = match (platform, bot_msgs.get(1)) {
            (Platform::Standard, Some(MessageBody::Text { text })) => {
                text.contains("\n1. ") && text.contains("\n2. ")
            }
            (Platform::Enhanced, Some(MessageBody::Component { component })) => {
                matches!(&**component, Component::QuestionWithOptions { options, .. } if options.len() == 2)
            }
            _ => false,
        };
        check(
            "R-BOT-1",
            bot_msgs.len() >= 2 && shape_ok,
            format!("greeting, then the question as {platform:?} shows it"),
            || format!("{bot_msgs:?}"),
        )?;
    }
    Ok(())
}

/// bots/4.1: a resolve intent ends the session by the bot, with no work item.
pub async fn resolve_ends_without_work(mut ctx: Ctx) -> CaseResult {
    let ch = ctx
        .bot_channel(ChannelKind::Sms, Platform::Standard)
        .await?;
    let s = ctx.say(ch, "+1", "p1", "hi").await?;
    ctx.say(ch, "+1", "p2", "1").await?;
    let t = ctx.transcript(s.session).await?.session;
    check(
        "R-BOT-4",
        t.status == SessionStatus::Ended && t.ended_by == Some(EndedBy::Bot),
        "ended by the bot",
        || format!("{:?} by {:?}", t.status, t.ended_by),
    )?;
    let items = ctx.work(s.session).await?;
    check("R-BOT-4", items.is_empty(), "no work item", || {
        format!("{items:?}")
    })
}

/// bots/3.1: a handoff with no eligible agent online gets the fallback text and still waits.
pub async fn handoff_without_agents_falls_back_and_waits(mut ctx: Ctx) -> CaseResult {
    let ch = ctx
        .bot_channel(ChannelKind::Sms, Platform::Standard)
        .await?;
    let s = ctx.say(ch, "+1", "p1", "hi").await?;
    ctx.say(ch, "+1", "p2", "2").await?;
    let t = ctx.transcript(s.session).await?;
    let fallback = t.messages.iter().any(|m| {
        m.sender == Sender::Bot
            && matches!(&m.body, MessageBody::Text { text } if text == "Please wait")
    });
    check("R-BOT-3", fallback, "the bot's fallback text", || {
        format!("{:?}", t.messages)
    })?;
    check(
        "R-BOT-2",
        t.session.status == SessionStatus::Waiting && t.session.handler == Handler::BotToAgent,
        "waiting, handler bot_to_agent",
        || format!("{:?}, {:?}", t.session.status, t.session.handler),
    )?;
    let mut agent = ctx.agent("late", 1).await?;
    let o = agent.must_offer().await?;
    check(
        "R-BOT-2",
        o.context.intent.as_deref() == Some("agent") && o.transcript.len() >= 3,
        "the offer carries the intent and the transcript",
        || format!("{:?}, {} messages", o.context, o.transcript.len()),
    )
}

/// A standard web channel whose bot, once its `agent` intent is picked (answer 2), asks for a
/// name and an order number before it hands off.
async fn fields_bot_channel(ctx: &mut Ctx) -> Result<ChannelId, Problem> {
    let q = ctx.queue("q", 30_000).await?;
    let mut spec = plain_bot(q);
    spec.fields = vec![
        BotField {
            name: "name".into(),
            prompt: "Your name?".into(),
        },
        BotField {
            name: "order".into(),
            prompt: "Your order number?".into(),
        },
    ];
    let bot = ctx.bot_spec(spec).await?;
    let ch = ctx
        .channel(ChannelKind::Web, Platform::Standard, Entry::Bot(bot))
        .await?;
    Ok(ch.id)
}

/// bots/2.1: after a handoff intent the bot asks for each field in order, takes the customer's
/// next message trimmed as its value, and the offer carries the intent and the fields.
pub async fn fields_are_collected_in_order_and_trimmed(mut ctx: Ctx) -> CaseResult {
    let ch = fields_bot_channel(&mut ctx).await?;
    let mut a = ctx.agent("a", 1).await?;
    for (pmid, text) in [
        ("p1", "hi"),
        ("p2", "2"),
        ("p3", "  Ada  "),
        ("p4", "\t42 "),
    ] {
        ctx.say(ch, "+1", pmid, text).await?;
    }
    let offer = a.must_offer().await?;
    let fields: Vec<(&str, &str)> = offer
        .context
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    check(
        "R-BOT-2",
        offer.context.intent.as_deref() == Some("agent")
            && fields == [("name", "Ada"), ("order", "42")],
        "intent agent with fields name = Ada, order = 42",
        || format!("intent {:?}, fields {fields:?}", offer.context.intent),
    )?;
    let prompts: Vec<String> = offer
        .transcript
        .iter()
        .filter(|m| m.sender == Sender::Bot)
        .filter_map(|m| match &m.body {
            MessageBody::Text { text } if text.ends_with('?') && !text.contains('\n') => {
                Some(text.to_string())
            }
            _ => None,
        })
        .collect();
    check(
        "R-BOT-2",
        prompts == ["Your name?", "Your order number?"],
        "the prompts asked in order",
        || format!("{prompts:?}"),
    )
}

/// bots/1.2: an answer that is no option's number, label or id gets "Sorry, I did not understand
/// that." and the question again; the session stays with the bot.
pub async fn an_unknown_answer_gets_sorry_and_the_question_again(mut ctx: Ctx) -> CaseResult {
    let ch = ctx
        .bot_channel(ChannelKind::Sms, Platform::Standard)
        .await?;
    ctx.say(ch, "+1", "p1", "hi").await?;
    let s = ctx.say(ch, "+1", "p2", "7").await?.session;
    let t = ctx.transcript(s).await?;
    let texts: Vec<&str> = t
        .messages
        .iter()
        .filter(|m| m.sender == Sender::Bot)
        .filter_map(|m| match &m.body {
            MessageBody::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let question = texts.get(1).copied().unwrap_or_default();
    check(
        "R-BOT-1",
        texts.len() == 4
            && texts[2] == "Sorry, I did not understand that."
            && texts[3] == question
            && t.session.handler == Handler::Bot
            && t.session.status == SessionStatus::Active,
        "greeting, question, the apology, the question again; still with the bot",
        || format!("{texts:?} {:?} {:?}", t.session.handler, t.session.status),
    )
}

/// bots/2.2: a customer who answers the question with only "Human" (any case) is handed to the
/// bot's agent queue at once, without the fields a handoff intent would ask for.
pub async fn asking_for_a_human_skips_the_fields(mut ctx: Ctx) -> CaseResult {
    let ch = fields_bot_channel(&mut ctx).await?;
    let mut a = ctx.agent("a", 1).await?;
    ctx.say(ch, "+1", "p1", "hi").await?;
    ctx.say(ch, "+1", "p2", " Human ").await?;
    let Some(offer) = a.offer(PROMPT).await? else {
        return Err(fail(
            "R-BOT-2",
            "an offer to the agent once the customer asks for a human",
            "no offer",
        ));
    };
    let asked = offer
        .transcript
        .iter()
        .any(|m| matches!(&m.body, MessageBody::Text { text } if text == "Your name?"));
    check(
        "R-BOT-2",
        !asked && offer.context.fields.is_empty() && offer.session.handler == Handler::BotToAgent,
        "offered at once, handler bot_to_agent, no field asked",
        || format!("asked: {asked}, fields {:?}", offer.context.fields),
    )
}
