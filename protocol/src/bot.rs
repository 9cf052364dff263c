//! Bots: scripted first responders (R-BOT-1..4).

use crate::ids::{BotId, FlowId, OrgId, QueueId};
use crate::queue::SkillRequirement;
use serde::{Deserialize, Serialize};

/// What a bot does when the customer picks an intent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum IntentAction {
    /// Answer with `reply` and end the session (R-BOT-4).
    Resolve { reply: String },
    /// Collect the bot's fields, then hand the session to `queue` (R-BOT-2).
    Handoff {
        queue: QueueId,
        #[serde(default)]
        required_skills: Vec<SkillRequirement>,
    },
    /// Collect the bot's fields, then let `flow` decide where the session goes (R-FLOW-1); the
    /// skills are added to whatever queue or agent it picks.
    FlowHandoff {
        flow: FlowId,
        #[serde(default)]
        required_skills: Vec<SkillRequirement>,
    },
}

/// One answer to the bot's intent question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Intent {
    #[schemars(length(min = 1, max = crate::limits::MAX_NAME_BYTES))]
    pub id: String,
    #[schemars(length(min = 1, max = crate::limits::MAX_TEXT_BYTES))]
    pub label: String,
    pub action: IntentAction,
}

/// A value the bot asks for before a handoff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BotField {
    #[schemars(length(min = 1, max = crate::limits::MAX_NAME_BYTES))]
    pub name: String,
    #[schemars(length(min = 1, max = crate::limits::MAX_TEXT_BYTES))]
    pub prompt: String,
}

/// Words that, sent alone (any case), ask the bot for a human (R-BOT-2).
pub const AGENT_REQUEST_WORDS: &[&str] = &["agent", "human", "representative", "operator"];

/// Body of `POST /v1/orgs/{org}/bots`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BotSpec {
    #[schemars(length(min = 1, max = crate::limits::MAX_NAME_BYTES))]
    pub name: String,
    #[schemars(length(min = 1, max = crate::limits::MAX_TEXT_BYTES))]
    pub greeting: String,
    /// The intent question, sent after the greeting (R-BOT-1).
    #[schemars(length(min = 1, max = crate::limits::MAX_TEXT_BYTES))]
    pub question: String,
    #[schemars(length(min = 1, max = crate::limits::MAX_ITEMS))]
    pub intents: Vec<Intent>,
    #[serde(default)]
    #[schemars(length(max = crate::limits::MAX_ITEMS))]
    pub fields: Vec<BotField>,
    /// Sent at handoff when no eligible agent is online (R-BOT-3).
    #[schemars(length(min = 1, max = crate::limits::MAX_TEXT_BYTES))]
    pub fallback_text: String,
    /// Where a customer asking for an agent goes. Absent: the first handoff intent's queue or flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_queue: Option<QueueId>,
}

/// A bot as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Bot {
    pub id: BotId,
    pub org: OrgId,
    #[serde(flatten)]
    pub spec: BotSpec,
}
