//! Bot conversations: greeting, intent question, field collection, then resolve or handoff
//! (R-BOT-1..4).

use super::assignment::Request;
use super::ctx::Ctx;
use super::flows::{Decision, Trigger};
use super::org::Org;
use super::session_flow::Author;
use super::state::{BotRun, BotStage, Handoff, HandoffTo, Placement};
use omnisim_protocol::bot::AGENT_REQUEST_WORDS;
use omnisim_protocol::{
    BotId, Consent, EndedBy, Handler, IntentAction, MessageBody, MessageText, Platform, Sender,
    SessionId, SessionStatus,
};

/// Sent when the customer's answer matches no intent; the question follows again.
pub const NOT_UNDERSTOOD: &str = "Sorry, I did not understand that.";

/// What the customer's answer to the intent question picked.
enum Pick {
    Intent(usize),
    Agent,
}

impl Org {
    /// The bot takes the session: greeting, then the intent question (R-BOT-1, R-SESS-4).
    pub(crate) fn start_bot(&mut self, ctx: &mut Ctx, session: SessionId, bot: BotId) {
        let s = self.session_mut(session);
        s.bot = Some(Box::new(BotRun {
            bot,
            stage: BotStage::AwaitingIntent,
        }));
        self.set_status(ctx, session, SessionStatus::Active, Some(Handler::Bot));
        let greeting = MessageText::new(&self.bots[&bot].info.spec.greeting);
        self.bot_say(ctx, session, MessageBody::Text { text: greeting });
        self.ask_intent(ctx, session, bot);
    }

    /// The intent question: a question_with_options on enhanced channels, a numbered text menu on
    /// standard ones (R-BOT-1).
    fn ask_intent(&mut self, ctx: &mut Ctx, session: SessionId, bot: BotId) {
        let b = &self.bots[&bot];
        let channel = self.sessions[&session].info.channel;
        let body = match self.channels[&channel].info.platform {
            Platform::Enhanced => MessageBody::Component {
                component: b.question.clone(),
            },
            Platform::Standard => MessageBody::Text {
                text: MessageText::new(&b.menu),
            },
        };
        self.bot_say(ctx, session, body);
    }

    /// A bot message, unless the user opted out: opted-out users get nothing (R-OUT-2).
    fn bot_say(&mut self, ctx: &mut Ctx, session: SessionId, body: MessageBody) {
        let user = self.sessions[&session].user;
        if self.users[user].consent != Consent::OptedOut {
            self.push_message(ctx, session, Author::automated(Sender::Bot), body);
        }
    }

    /// What the answer picks: an option id, its number, its label or id, or a request for a human.
    fn pick(&self, bot: BotId, answer: &MessageBody) -> Option<Pick> {
        let spec = &self.bots[&bot].info.spec;
        let text = match answer {
            MessageBody::ComponentResponse { answer_id, .. } => answer_id.as_str(),
            MessageBody::Text { text } => super::validate::trimmed(text),
            _ => return None,
        };
        if let Ok(n) = text.parse::<usize>() {
            return (1..=spec.intents.len())
                .contains(&n)
                .then(|| Pick::Intent(n - 1));
        }
        if let Some(i) = spec
            .intents
            .iter()
            .position(|i| i.id == text || i.label.eq_ignore_ascii_case(text))
        {
            return Some(Pick::Intent(i));
        }
        let asks_for_agent = AGENT_REQUEST_WORDS
            .iter()
            .any(|w| text.eq_ignore_ascii_case(w))
            && !self.faults.has(crate::faults::Fault::AgentWordsIgnored);
        (asks_for_agent && self.agent_queue(bot).is_some()).then_some(Pick::Agent)
    }

    /// Where a request for a human goes: the bot's agent queue, else its first handoff's queue or
    /// flow.
    fn agent_queue(&self, bot: BotId) -> Option<HandoffTo> {
        let spec = &self.bots[&bot].info.spec;
        spec.agent_queue.map(HandoffTo::Queue).or_else(|| {
            spec.intents.iter().find_map(|i| match &i.action {
                IntentAction::Handoff { queue, .. } => Some(HandoffTo::Queue(*queue)),
                IntentAction::FlowHandoff { flow, .. } => Some(HandoffTo::Flow(*flow)),
                IntentAction::Resolve { .. } => None,
            })
        })
    }

    /// The customer answered the bot (the answer is the session's last message).
    pub(crate) fn bot_on_message(&mut self, ctx: &mut Ctx, session: SessionId) {
        let s = &self.sessions[&session];
        let (Some(run), Some(answer)) = (s.bot.clone(), s.messages.last()) else {
            return;
        };
        let bot = run.bot;
        match run.stage {
            BotStage::AwaitingIntent => match self.pick(bot, &answer.body) {
                Some(Pick::Intent(i)) => {
                    let intent = &self.bots[&bot].info.spec.intents[i];
                    match &intent.action {
                        IntentAction::Resolve { reply } => {
                            let text = MessageText::new(reply);
                            self.bot_say(ctx, session, MessageBody::Text { text });
                            self.end_session(ctx, session, EndedBy::Bot);
                        }
                        IntentAction::Handoff {
                            queue,
                            required_skills,
                        } => {
                            let handoff = Handoff {
                                to: HandoffTo::Queue(*queue),
                                skills: required_skills.clone(),
                                intent: Some(intent.id.clone()),
                            };
                            self.collect_or_handoff(ctx, session, bot, handoff, 0);
                        }
                        IntentAction::FlowHandoff {
                            flow,
                            required_skills,
                        } => {
                            let handoff = Handoff {
                                to: HandoffTo::Flow(*flow),
                                skills: required_skills.clone(),
                                intent: Some(intent.id.clone()),
                            };
                            self.collect_or_handoff(ctx, session, bot, handoff, 0);
                        }
                    }
                }
                Some(Pick::Agent) => {
                    let to = self.agent_queue(bot).expect("pick checked it");
                    let handoff = Handoff {
                        to,
                        skills: Vec::new(),
                        intent: None,
                    };
                    self.handoff(ctx, session, bot, handoff);
                }
                None => {
                    if !self.faults.has(crate::faults::Fault::NoApology) {
                        let text = MessageText::const_new(NOT_UNDERSTOOD);
                        self.bot_say(ctx, session, MessageBody::Text { text });
                    }
                    self.ask_intent(ctx, session, bot);
                }
            },
            BotStage::Collecting { handoff, next } => {
                let untrimmed = self.faults.has(crate::faults::Fault::BotFieldsUntrimmed);
                let value = match &answer.body {
                    MessageBody::Text { text } if untrimmed => text.to_string(),
                    MessageBody::Text { text } => super::validate::trimmed(text).to_owned(),
                    MessageBody::ComponentResponse { answer_id, .. } => answer_id.clone(),
                    MessageBody::Template { text, .. } => text.clone(),
                    MessageBody::Component { .. } => String::new(),
                };
                let name = self.bots[&bot].info.spec.fields[next].name.clone();
                let keep_prechat = self.faults.has(crate::faults::Fault::PrechatOverridesBot);
                let fields = &mut self.session_mut(session).context.fields;
                // A collected field replaces a pre-chat one of the same name (R-FLOW-6).
                if keep_prechat {
                    fields.entry(name).or_insert(value);
                } else {
                    fields.insert(name, value);
                }
                self.collect_or_handoff(ctx, session, bot, handoff, next + 1);
            }
        }
    }

    /// Asks for field `next`, or hands off once every field is in (R-BOT-2).
    fn collect_or_handoff(
        &mut self,
        ctx: &mut Ctx,
        session: SessionId,
        bot: BotId,
        handoff: Handoff,
        next: usize,
    ) {
        let Some(field) = self.bots[&bot].info.spec.fields.get(next) else {
            self.handoff(ctx, session, bot, handoff);
            return;
        };
        let prompt = MessageText::new(&field.prompt);
        self.session_mut(session).bot = Some(Box::new(BotRun {
            bot,
            stage: BotStage::Collecting { handoff, next },
        }));
        self.bot_say(ctx, session, MessageBody::Text { text: prompt });
    }

    /// The session waits in the handoff queue, or where the handoff's flow sends it, with handler
    /// bot_to_agent; with no eligible agent online the bot sends its fallback text first (R-BOT-2,
    /// R-BOT-3, R-FLOW-1).
    fn handoff(&mut self, ctx: &mut Ctx, session: SessionId, bot: BotId, handoff: Handoff) {
        let skills = self.skills.requirements(&handoff.skills);
        let decision = match handoff.to {
            HandoffTo::Queue(queue) => Decision::Wait(Placement::queue(queue, skills)),
            HandoffTo::Flow(flow) => {
                let trigger = Trigger::Handoff {
                    intent: handoff.intent.as_deref(),
                    skills,
                };
                self.run_flow(ctx, session, flow, trigger)
            }
        };
        let s = self.session_mut(session);
        s.bot = None;
        s.context.intent = handoff.intent;
        let placement = match decision {
            Decision::Wait(placement) => placement,
            // Only under the flow_bot_from_handoff fault.
            Decision::Bot(next) => return self.start_bot(ctx, session, next),
        };
        s.info.handler = Handler::BotToAgent;
        let silent = self.faults.has(crate::faults::Fault::NoFallback);
        if !self.anyone_eligible(&placement) && !silent {
            let text = MessageText::new(&self.bots[&bot].info.spec.fallback_text);
            self.bot_say(ctx, session, MessageBody::Text { text });
        }
        self.request_routing(ctx, session, Request::new(placement));
    }
}
