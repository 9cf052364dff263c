//! Messages and the structured components enhanced channels carry.

use crate::ids::Seq;
use crate::ids::{AgentId, SessionId};
use crate::tag_first::{self, Body, TagFirst};
use crate::time::{Millis, Timestamp};
use serde::de::MapAccess;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    EndUser,
    Agent,
    Bot,
    System,
}

/// One choice of a `question_with_options`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

/// One slot of a `time_selector`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeSlot {
    pub id: String,
    pub start: Timestamp,
    pub duration_ms: Millis,
}

/// A structured message element; enhanced channels only (R-CHAN-3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Component {
    QuestionWithOptions { text: String, options: Vec<Choice> },
    TimeSelector { text: String, slots: Vec<TimeSlot> },
    EnhancedLink { text: String, url: String },
}

impl Component {
    /// The ids a component response may name: option ids or slot ids; none for a link (R-CHAN-4).
    pub fn answer_ids(&self) -> impl Iterator<Item = &str> {
        let (options, slots): (&[Choice], &[TimeSlot]) = match self {
            Component::QuestionWithOptions { options, .. } => (options, &[]),
            Component::TimeSelector { slots, .. } => (&[], slots),
            Component::EnhancedLink { .. } => (&[], &[]),
        };
        options
            .iter()
            .map(|o| o.id.as_str())
            .chain(slots.iter().map(|s| s.id.as_str()))
    }

    /// The plain-text form a text-only transport shows: the text, then one numbered line per
    /// option or slot, or the link (R-CHAN-3, R-BOT-1).
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        match self {
            Component::QuestionWithOptions { text, options } => {
                out.push_str(text);
                for (i, o) in options.iter().enumerate() {
                    out.push_str(&format!("\n{}. {}", i + 1, o.label));
                }
            }
            Component::TimeSelector { text, slots } => {
                out.push_str(text);
                for (i, s) in slots.iter().enumerate() {
                    out.push_str(&format!(
                        "\n{}. {} (+{} min)",
                        i + 1,
                        s.start,
                        s.duration_ms.0 / 60_000
                    ));
                }
            }
            Component::EnhancedLink { text, url } => {
                out.push_str(text);
                out.push_str(": ");
                out.push_str(url);
            }
        }
        out
    }
}

/// What a message holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MessageBody {
    Text {
        text: crate::MessageText,
    },
    /// An approved template: allowed outside a channel's service window (R-OUT-4).
    Template {
        name: String,
        text: String,
    },
    /// Shared: a bot asks every session the same question (R-BOT-1).
    Component {
        component: Arc<Component>,
    },
    /// The customer's answer to a component sent earlier in the same session (R-CHAN-4).
    ComponentResponse {
        in_reply_to: Seq,
        answer_id: String,
    },
}

/// Read tag first ([`crate::tag_first`]), as events are.
impl<'de> Deserialize<'de> for MessageBody {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        tag_first::deserialize(d)
    }
}

/// The values of a message body's `type`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BodyKind {
    Text,
    Template,
    Component,
    ComponentResponse,
}

impl TagFirst for MessageBody {
    type Kind = BodyKind;
    const EXPECTING: &'static str = "a message body";

    fn from_body<'de, A: MapAccess<'de>>(
        kind: BodyKind,
        body: Body<'de, A>,
    ) -> Result<Self, A::Error> {
        /// The fields of each of [`MessageBody`]'s variants, as read.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct TextFields {
            text: crate::MessageText,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct TemplateFields {
            name: String,
            text: String,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ComponentFields {
            component: Arc<Component>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ComponentResponseFields {
            in_reply_to: Seq,
            answer_id: String,
        }
        Ok(match kind {
            BodyKind::Text => {
                let f: TextFields = body.read()?;
                MessageBody::Text { text: f.text }
            }
            BodyKind::Template => {
                let f: TemplateFields = body.read()?;
                MessageBody::Template {
                    name: f.name,
                    text: f.text,
                }
            }
            BodyKind::Component => {
                let f: ComponentFields = body.read()?;
                MessageBody::Component {
                    component: f.component,
                }
            }
            BodyKind::ComponentResponse => {
                let f: ComponentResponseFields = body.read()?;
                MessageBody::ComponentResponse {
                    in_reply_to: f.in_reply_to,
                    answer_id: f.answer_id,
                }
            }
        })
    }
}

/// How a component reached the customer: structured, or as its text rendering on enhanced SMS
/// (R-CHAN-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RenderedAs {
    Structured,
    Text,
}

/// A stored message: read back in transcripts and pushed on streams.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Message {
    pub session: SessionId,
    pub seq: Seq,
    /// The message's position in its channel's stream, from 1: a provider stream resumes after
    /// the last one it saw (R-SESS-9).
    pub channel_seq: u64,
    pub sender: Sender,
    /// The agent who wrote it, for agent messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentId>,
    pub body: MessageBody,
    /// Server time the message was accepted.
    pub at: Timestamp,
    /// For component bodies: how the channel delivers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendered_as: Option<RenderedAs>,
    /// For components rendered as text: the text the customer sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendered_text: Option<Box<str>>,
    /// The provider's id for the delivery that brought the message in (R-SESS-3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_message_id: Option<crate::ExternalId>,
    /// The client's id for the message it sent (R-SESS-3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<crate::ExternalId>,
}

impl Message {
    /// Whether this is a question with options as the customer meets it: structured on enhanced
    /// channels, a numbered text menu (`"\n1. …"`) on standard ones (R-BOT-1).
    pub fn is_question(&self) -> bool {
        match &self.body {
            MessageBody::Component { component } => {
                matches!(**component, Component::QuestionWithOptions { .. })
            }
            MessageBody::Text { text } => text.contains("\n1. "),
            _ => false,
        }
    }
}
