//! R-BOT: greeting, intent question, handoff with context, fallback, resolve.

mod common;
use common::*;
use omnisim_protocol::*;
use omnisim_reference_server::engine::NOT_UNDERSTOOD;

fn bot_texts(w: &World, s: SessionId) -> Vec<MessageBody> {
    w.messages(s)
        .into_iter()
        .filter(|m| m.sender == Sender::Bot)
        .map(|m| m.body.clone())
        .collect()
}

#[test]
fn r_bot_1_greeting_then_intent_question_as_component_on_enhanced() {
    let mut w = World::new();
    let q = w.queue("support");
    let bot = w.bot(q);
    let ch = w.channel(ChannelKind::InApp, Platform::Enhanced, Entry::Bot(bot));
    let s = w.say(ch, "u", "hi").session;
    let texts = bot_texts(&w, s);
    assert_eq!(texts.len(), 2);
    assert_eq!(
        texts[0],
        MessageBody::Text {
            text: "Hi, I am the helper bot.".into()
        }
    );
    let MessageBody::Component { component } = &texts[1] else {
        panic!("a question_with_options expected, got {:?}", texts[1])
    };
    let Component::QuestionWithOptions { text, options } = &**component else {
        panic!("a question_with_options expected, got {component:?}")
    };
    assert_eq!(text, "What do you need?");
    let ids: Vec<&str> = options.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["faq", "billing"]);
    // Answering with the component picks the intent.
    w.inbound(
        ch,
        "u",
        InboundContent::ComponentResponse {
            in_reply_to: Seq(3),
            answer_id: "faq".into(),
        },
    )
    .unwrap();
    assert_eq!(w.session(s).ended_by, Some(EndedBy::Bot));
}

#[test]
fn r_bot_1_numbered_menu_on_standard_answered_by_number_or_text() {
    let mut w = World::new();
    let q = w.queue("support");
    let bot = w.bot(q);
    let ch = w.channel(ChannelKind::Sms, Platform::Standard, Entry::Bot(bot));
    let s = w.say(ch, "+1", "hi").session;
    assert_eq!(
        bot_texts(&w, s)[1],
        MessageBody::Text {
            text: "What do you need?\n1. Opening hours\n2. Billing".into()
        }
    );
    // An unknown answer gets an apology and the menu again.
    w.say(ch, "+1", "what?");
    let texts = bot_texts(&w, s);
    assert_eq!(
        texts[2],
        MessageBody::Text {
            text: NOT_UNDERSTOOD.into()
        }
    );
    assert_eq!(texts[3], texts[1]);
    assert_eq!(w.session(s).status, SessionStatus::Active);
    // The option text works as well as its number.
    w.say(ch, "+1", "opening HOURS");
    assert_eq!(w.session(s).ended_by, Some(EndedBy::Bot));
    let s2 = w.say(ch, "+1", "hi again").session;
    w.say(ch, "+1", "1");
    assert_eq!(w.session(s2).ended_by, Some(EndedBy::Bot));
}

#[test]
fn r_bot_2_handoff_waits_bot_to_agent_and_offer_carries_intent_fields_transcript() {
    let mut w = World::new();
    let q = w.queue("billing");
    let bot = w.add_bot(BotSpec {
        name: "collector".into(),
        greeting: "Hello!".into(),
        question: "Topic?".into(),
        intents: vec![Intent {
            id: "billing".into(),
            label: "Billing".into(),
            action: IntentAction::Handoff {
                queue: q,
                required_skills: vec![skill("billing", 2)],
            },
        }],
        fields: vec![BotField {
            name: "account".into(),
            prompt: "Your account number?".into(),
        }],
        fallback_text: "No one is free.".into(),
        agent_queue: None,
    });
    let ch = w.channel(ChannelKind::Web, Platform::Standard, Entry::Bot(bot));
    let generalist = w.agent(1, &[]);
    let billing = w.agent(1, &[("billing", 2)]);
    let s = w.say(ch, "u", "hi").session;
    w.say(ch, "u", "1");
    assert_eq!(
        w.messages(s).last().unwrap().body,
        MessageBody::Text {
            text: "Your account number?".into()
        }
    );
    assert_eq!(w.session(s).status, SessionStatus::Active);
    w.say(ch, "u", " 12345 ");
    let session = w.session(s);
    assert_eq!(
        (session.status, session.handler),
        (SessionStatus::Waiting, Handler::BotToAgent)
    );
    assert!(w.offer(generalist).is_none(), "handoff skills are required");
    let (context, transcript) = w
        .events_for(Audience::Agent(billing))
        .into_iter()
        .find_map(|e| match e {
            Event::WorkOffered(o) => Some((o.context.clone(), o.transcript.clone())),
            _ => None,
        })
        .expect("billing agent offered");
    assert_eq!(context.intent.as_deref(), Some("billing"));
    assert_eq!(
        context.fields.get("account").map(String::as_str),
        Some("12345")
    );
    assert_eq!(transcript.len(), w.messages(s).len());
    w.take(billing);
    assert_eq!(w.session(s).handler, Handler::BotToAgent);
}

#[test]
fn r_bot_2_asking_for_an_agent_hands_off() {
    let mut w = World::new();
    let q = w.queue("support");
    let bot = w.bot(q);
    let ch = w.channel(ChannelKind::Web, Platform::Standard, Entry::Bot(bot));
    let a = w.agent(1, &[]);
    let s = w.say(ch, "u", "hi").session;
    w.say(ch, "u", "Agent");
    assert_eq!(w.offer(a).unwrap().session, s);
    assert_eq!(w.session(s).handler, Handler::BotToAgent);
}

#[test]
fn r_bot_3_no_eligible_agent_online_sends_fallback_and_work_still_waits() {
    let mut w = World::new();
    let q = w.queue("support");
    let bot = w.bot(q);
    let ch = w.channel(ChannelKind::Web, Platform::Standard, Entry::Bot(bot));
    let s = w.say(ch, "u", "hi").session;
    w.say(ch, "u", "2");
    let last = w.messages(s).last().unwrap().clone();
    assert_eq!(last.sender, Sender::Bot);
    assert_eq!(
        last.body,
        MessageBody::Text {
            text: "No agent is free right now; we will get back to you.".into()
        }
    );
    assert_eq!(w.session(s).status, SessionStatus::Waiting);
    assert_eq!(w.engine.queue(w.org, q).unwrap().waiting, 1);
    let a = w.agent(1, &[]);
    assert_eq!(w.offer(a).unwrap().session, s);
    // With an eligible agent online (even a busy one), no fallback.
    let s2 = w.say(ch, "v", "hi").session;
    w.say(ch, "v", "2");
    assert!(
        w.messages(s2).iter().all(
            |m| !matches!(&m.body, MessageBody::Text { text } if text.starts_with("No agent"))
        )
    );
}

#[test]
fn r_bot_4_resolve_intent_ends_session_by_bot_without_work() {
    let mut w = World::new();
    let q = w.queue("support");
    let bot = w.bot(q);
    let ch = w.channel(ChannelKind::Web, Platform::Standard, Entry::Bot(bot));
    w.agent(1, &[]);
    let s = w.say(ch, "u", "hi").session;
    w.say(ch, "u", "1");
    let session = w.session(s);
    assert_eq!(
        (session.status, session.ended_by),
        (SessionStatus::Ended, Some(EndedBy::Bot))
    );
    assert!(w.session_work(s).is_empty());
    assert_eq!(
        w.messages(s).last().unwrap().body,
        MessageBody::Text {
            text: "We are open 9 to 5.".into()
        }
    );
}
