//! What simulated customers and agents decide, drawn from the scenario's distributions. The live
//! and the virtual-time drivers both ask here, so that each choice is made, and its random draws
//! taken, the same way whichever driver runs the party.

use super::{AgentGroup, BotDef, Customers, OutboundDef, Scenario};
use omnisim_protocol::{InboundContent, Platform, Seq};
use rand::Rng;
use std::time::Duration;

/// What an agent does with an offer pushed to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferChoice {
    /// Lets it ring until the queue's push timeout takes it back.
    Ignore,
    Decline(Duration),
    Accept(Duration),
}

/// What an agent does with a customer's message in a conversation it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageChoice {
    Reply(Duration),
    Transfer(Duration),
}

/// What an agent plans on accepting a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcceptPlan {
    /// When it greets: a reply time for the conversations it holds with this one.
    pub greet_after: Duration,
    /// When it closes the conversation itself, if the scenario gives conversations a length.
    pub close_after: Option<Duration>,
}

/// What the recipient of an org-triggered outbound message does once the template arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecipientChoice {
    /// Answers STOP (R-OUT-3).
    OptOut,
    /// Writes back, which opens its service window and asks for an agent.
    Reply,
    /// Never answers: the session stays new.
    Silent,
}

impl Customers {
    /// Whether a customer whose session ended writes in again, and after how long: a new
    /// session in the same conversation (R-SESS-5).
    pub fn comeback(&self, rng: &mut impl Rng) -> Option<Duration> {
        (rng.random::<f64>() < self.comeback_probability).then(|| self.comeback_delay.sample(rng))
    }
}

impl OutboundDef {
    /// One roll against the opt-out and reply probabilities.
    pub fn recipient_choice(&self, rng: &mut impl Rng) -> RecipientChoice {
        let roll: f64 = rng.random();
        if roll < self.opt_out_probability {
            RecipientChoice::OptOut
        } else if roll < self.opt_out_probability + self.reply_probability {
            RecipientChoice::Reply
        } else {
            RecipientChoice::Silent
        }
    }
}

impl AgentGroup {
    /// How long the next reply takes an agent holding `held` conversations: a reply time drawn
    /// for one alone, stretched by `held / speed[held − 1]`.
    pub fn reply_delay(&self, rng: &mut impl Rng, held: usize) -> Duration {
        let alone = self.reply_time.sample(rng);
        let slowdown = match &self.speed {
            Some(speed) if held > 1 => {
                let j = held.min(speed.len());
                j as f64 / speed[j - 1]
            }
            _ => 1.0,
        };
        alone.mul_f64(slowdown)
    }

    /// One roll against the no-answer and decline probabilities, then the accept delay.
    pub fn on_offer(&self, rng: &mut impl Rng) -> OfferChoice {
        let roll: f64 = rng.random();
        if roll < self.no_answer_probability {
            return OfferChoice::Ignore;
        }
        let decline = roll < self.no_answer_probability + self.decline_probability;
        let delay = self.accept_delay.sample(rng);
        if decline {
            OfferChoice::Decline(delay)
        } else {
            OfferChoice::Accept(delay)
        }
    }

    /// The greeting's reply time, then the conversation's length if it has one.
    pub fn on_accept(&self, rng: &mut impl Rng, held: usize) -> AcceptPlan {
        let greet_after = self.reply_delay(rng, held);
        let close_after = self.conversation_length.map(|d| d.sample(rng));
        AcceptPlan {
            greet_after,
            close_after,
        }
    }

    /// A roll against the transfer probability, then the reply time for `held` conversations.
    pub fn on_customer_message(&self, rng: &mut impl Rng, held: usize) -> MessageChoice {
        let transfer = rng.random::<f64>() < self.transfer_probability;
        let delay = self.reply_delay(rng, held);
        if transfer {
            MessageChoice::Transfer(delay)
        } else {
            MessageChoice::Reply(delay)
        }
    }

    /// Whether a conversation the agent is done with is marked inactive rather than ended: only
    /// on enhanced channels, which alone have the inactive state (R-SESS-7).
    pub fn marks_inactive(&self, rng: &mut impl Rng, enhanced: bool) -> bool {
        enhanced && rng.random::<f64>() < self.inactive_probability
    }
}

impl Scenario {
    /// The bot that sent `message`: the one whose greeting it is or whose question it asks.
    pub fn bot_of(&self, message: &omnisim_protocol::Message) -> Option<usize> {
        use omnisim_protocol::{Component, MessageBody};
        self.bots.iter().position(|b| match &message.body {
            MessageBody::Text { text } => *text == b.greeting || text.starts_with(&b.question),
            MessageBody::Component { component } => matches!(
                &**component,
                Component::QuestionWithOptions { text, .. } if *text == b.question
            ),
            _ => false,
        })
    }

    /// The pre-chat fields a customer of `channel` fills in: drawn from `[customers] fields` on
    /// web and in-app channels, none elsewhere (R-FLOW-6).
    pub fn prechat(
        &self,
        channel: &super::ChannelDef,
        rng: &mut impl Rng,
    ) -> Option<std::collections::BTreeMap<String, String>> {
        if self.customers.fields.is_empty() || !channel.kind.takes_prechat_fields() {
            return None;
        }
        Some(super::flows::draw_fields(&self.customers.fields, rng))
    }

    /// On a flow-entry `channel`, the bot the flow will pick for a customer with `fields` at
    /// time of day `day_ms`, when a client can tell (R-FLOW-1): none when the decision is an
    /// agent's side or depends on the platform's state.
    pub fn flow_bot(
        &self,
        channel: &super::ChannelDef,
        fields: Option<&std::collections::BTreeMap<String, String>>,
        day_ms: u64,
    ) -> Option<usize> {
        let Ok(super::EntryRef::Flow(name)) = channel.entry_ref() else {
            return None;
        };
        let flow = self.flows.iter().find(|f| f.name == name)?;
        let empty = std::collections::BTreeMap::new();
        let rule = flow.expected_rule(&channel.name, None, fields.unwrap_or(&empty), day_ms)?;
        let target = flow
            .rules
            .iter()
            .find(|r| r.name == rule)
            .map_or(&flow.default, |r| &r.to);
        let bot = target.bot.as_ref()?;
        self.bots.iter().position(|b| &b.name == bot)
    }

    /// The rule flow `flow` decides by for the session of `offer`, its first, on `channel`,
    /// when a client can tell (R-FLOW-1): the flow ran when the work was requested, on the
    /// intent and fields the offer carries; unless a channel's flow picked a bot that handed
    /// off since, with an intent and fields the flow did not see.
    pub fn expected_flow_rule(
        &self,
        flow: &str,
        channel: &str,
        offer: &omnisim_protocol::Offer,
    ) -> Option<&str> {
        let def = self.flows.iter().find(|f| f.name == flow)?;
        let entered = self.channels.iter().find(|c| c.name == channel)?;
        let by_channel = entered.entry_ref() == Ok(super::EntryRef::Flow(flow.to_owned()));
        if by_channel && offer.session.handler == omnisim_protocol::Handler::BotToAgent {
            return None;
        }
        let context = &offer.context;
        let at = offer.work.requested_at.0;
        def.expected_rule(channel, context.intent.as_deref(), &context.fields, at)
    }

    /// The intent a customer picks on `bot`'s question: by the `[customers] intents` weights,
    /// uniformly when none of the bot's intents has one. Returns its index.
    pub fn draw_intent(&self, bot: &BotDef, rng: &mut impl Rng) -> usize {
        let weight =
            |i: &super::IntentDef| self.customers.intents.get(&i.id).copied().unwrap_or(0.0);
        let total: f64 = bot.intents.iter().map(weight).sum();
        if total <= 0.0 {
            return rng.random_range(0..bot.intents.len());
        }
        let mut pick = rng.random::<f64>() * total;
        bot.intents
            .iter()
            .position(|i| {
                pick -= weight(i);
                pick < 0.0
            })
            .unwrap_or(0)
    }

    /// What a customer answers `bot`'s intent question (the message at `question`): the chosen
    /// option, as a component response on enhanced channels or its number on standard ones
    /// (R-BOT-1), then one answer per field the bot asks before a handoff. Also whether the
    /// intent hands the customer to an agent.
    pub fn bot_answers(
        &self,
        bot: &BotDef,
        platform: Platform,
        question: Seq,
        rng: &mut impl Rng,
    ) -> (Vec<InboundContent>, bool) {
        let index = self.draw_intent(bot, rng);
        let intent = &bot.intents[index];
        let handoff = intent.hands_off();
        let mut answers = vec![match platform {
            Platform::Enhanced => InboundContent::ComponentResponse {
                in_reply_to: question,
                answer_id: intent.id.clone(),
            },
            Platform::Standard => InboundContent::Text {
                text: (index + 1).to_string().into(),
            },
        }];
        if handoff {
            answers.extend(bot.fields.iter().map(|_| InboundContent::Text {
                text: "12345".into(),
            }));
        }
        (answers, handoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    fn scenario(agent: &str, intents: &str) -> Scenario {
        let text = format!(
            r#"
            name = "choices"
            duration = "10s"
            [[queues]]
            name = "support"
            [[bots]]
            name = "helper"
            greeting = "Hi"
            question = "What about?"
            fallback = "Busy"
            fields = ["account", "order"]
            intents = [
              {{ id = "hours", label = "Hours", resolve = "9 to 5" }},
              {{ id = "help", label = "Help", handoff = "support" }},
            ]
            [[channels]]
            name = "web"
            kind = "web"
            platform = "enhanced"
            entry = "bot:helper"
            [[agents]]
            name = "team"
            count = 1
            capacity = 2
            accept_delay = "2s"
            reply_time = "3s"
            speed = [1, 1.5]
            {agent}
            [arrivals]
            rate = "1/s"
            [customers]
            intents = {{ {intents} }}
            "#
        );
        Scenario::parse(&text, "choices.toml").expect("a valid scenario")
    }

    fn rng() -> SmallRng {
        SmallRng::seed_from_u64(7)
    }

    #[test]
    fn an_offer_is_ignored_declined_or_accepted_after_the_accept_delay() {
        let s = scenario("no_answer_probability = 1.0", "");
        assert_eq!(s.agents[0].on_offer(&mut rng()), OfferChoice::Ignore);
        let s = scenario("decline_probability = 1.0", "");
        let two = Duration::from_secs(2);
        assert_eq!(s.agents[0].on_offer(&mut rng()), OfferChoice::Decline(two));
        let s = scenario("", "");
        assert_eq!(s.agents[0].on_offer(&mut rng()), OfferChoice::Accept(two));
    }

    #[test]
    fn a_customer_message_is_answered_at_the_speed_of_the_conversations_held() {
        let s = scenario("", "");
        let alone = MessageChoice::Reply(Duration::from_secs(3));
        assert_eq!(s.agents[0].on_customer_message(&mut rng(), 1), alone);
        // Two chats at a total rate of 1.5: each reply takes 2 / 1.5 of the time alone.
        let two = MessageChoice::Reply(Duration::from_secs(4));
        assert_eq!(s.agents[0].on_customer_message(&mut rng(), 2), two);
        let s = scenario("transfer_probability = 1.0", "");
        let transfer = MessageChoice::Transfer(Duration::from_secs(3));
        assert_eq!(s.agents[0].on_customer_message(&mut rng(), 1), transfer);
    }

    #[test]
    fn an_accepted_conversation_is_greeted_and_closed_after_its_length_if_it_has_one() {
        let s = scenario("", "");
        let plan = s.agents[0].on_accept(&mut rng(), 1);
        assert_eq!(plan.greet_after, Duration::from_secs(3));
        assert_eq!(plan.close_after, None);
        let s = scenario(r#"conversation_length = "5m""#, "");
        let plan = s.agents[0].on_accept(&mut rng(), 2);
        assert_eq!(plan.greet_after, Duration::from_secs(4));
        assert_eq!(plan.close_after, Some(Duration::from_secs(300)));
    }

    #[test]
    fn only_enhanced_conversations_go_inactive_and_standard_ones_draw_nothing() {
        let s = scenario("inactive_probability = 1.0", "");
        let mut r = rng();
        assert!(!s.agents[0].marks_inactive(&mut r, false));
        // No draw on a standard channel: both drivers stay in step with their seeds.
        assert_eq!(r.random::<u64>(), rng().random::<u64>());
        assert!(s.agents[0].marks_inactive(&mut rng(), true));
    }

    #[test]
    fn customers_come_back_after_the_comeback_delay_or_not_at_all() {
        let mut s = scenario("", "");
        s.customers.comeback_probability = 1.0;
        s.customers.comeback_delay = "1m".parse().expect("a duration");
        let minute = Some(Duration::from_secs(60));
        assert_eq!(s.customers.comeback(&mut rng()), minute);
        s.customers.comeback_probability = 0.0;
        assert_eq!(s.customers.comeback(&mut rng()), None);
    }

    #[test]
    fn a_recipient_opts_out_replies_or_stays_silent_by_one_roll() {
        let recipient = |opt_out_probability, reply_probability| OutboundDef {
            rate: "1/s".parse().expect("a rate"),
            channel: "web".into(),
            recipients: 1,
            template: "shipped".into(),
            reply_probability,
            opt_out_probability,
        };
        let choice = |d: OutboundDef| d.recipient_choice(&mut rng());
        assert_eq!(choice(recipient(1.0, 0.0)), RecipientChoice::OptOut);
        assert_eq!(choice(recipient(0.0, 1.0)), RecipientChoice::Reply);
        assert_eq!(choice(recipient(0.0, 0.0)), RecipientChoice::Silent);
    }

    #[test]
    fn bot_answers_name_the_intent_and_fill_the_fields_before_a_handoff() {
        let s = scenario("", "help = 1.0");
        let bot = &s.bots[0];
        let (answers, handoff) = s.bot_answers(bot, Platform::Enhanced, Seq(2), &mut rng());
        assert!(handoff);
        assert_eq!(
            answers[0],
            InboundContent::ComponentResponse {
                in_reply_to: Seq(2),
                answer_id: "help".into(),
            }
        );
        assert_eq!(answers.len(), 3, "the answer, then one per field");
        let s = scenario("", "hours = 1.0");
        let (answers, handoff) = s.bot_answers(&s.bots[0], Platform::Standard, Seq(2), &mut rng());
        assert!(!handoff);
        assert_eq!(answers, [InboundContent::Text { text: "1".into() }]);
    }
}
