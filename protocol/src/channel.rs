//! Channels: where end users write in from, and the settings fixed or tuned per channel.

use crate::ids::{BotId, ChannelId, FlowId, OrgId, QueueId};
use crate::time::Millis;
use serde::{Deserialize, Serialize};

/// The messaging service a channel connects to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Web,
    InApp,
    Sms,
    Whatsapp,
    Messenger,
}

impl ChannelKind {
    /// Whether a first inbound message may carry pre-chat fields: web and in-app forms (R-FLOW-6).
    pub fn takes_prechat_fields(self) -> bool {
        matches!(self, ChannelKind::Web | ChannelKind::InApp)
    }

    /// The service window a channel of this kind gets when its spec names none: WhatsApp 24 h,
    /// Messenger 7 days, the others none (R-OUT-4).
    pub fn default_service_window(self) -> Option<Millis> {
        match self {
            ChannelKind::Whatsapp => Some(Millis::from_hours(24)),
            ChannelKind::Messenger => Some(Millis::from_hours(24 * 7)),
            ChannelKind::Web | ChannelKind::InApp | ChannelKind::Sms => None,
        }
    }
}

/// Standard channels carry text only; enhanced ones also carry components and support the
/// inactive status. Fixed at creation (R-CHAN-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Standard,
    Enhanced,
}

/// How much consent a user must have given before the org may message them first (R-OUT-2).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ConsentLevel {
    #[default]
    Implicit,
    Explicit,
    Double,
}

/// Who answers a new session first (R-SESS-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    Bot(BotId),
    Queue(QueueId),
    /// The flow decides, once per session (R-FLOW-1).
    Flow(FlowId),
}

/// Inactive sessions end this long after they became inactive unless the channel says otherwise.
pub const DEFAULT_INACTIVE_TTL: Millis = Millis::from_hours(24);

/// Body of `POST /v1/orgs/{org}/channels`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelSpec {
    #[schemars(length(min = 1, max = crate::limits::MAX_NAME_BYTES))]
    pub name: String,
    pub kind: ChannelKind,
    pub platform: Platform,
    #[serde(default)]
    pub consent_level: ConsentLevel,
    pub entry: Entry,
    /// Free-form outbound is allowed only this long after the user's last inbound (R-OUT-4).
    /// Absent: the kind's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_window_ms: Option<Millis>,
    /// Enhanced channels only: an agent-handled session with no customer reply this long after the
    /// agent's last message becomes inactive (R-SESS-7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactivity_timeout_ms: Option<Millis>,
    /// How long an inactive session lives before the system ends it. Absent: 24 h.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_ttl_ms: Option<Millis>,
}

/// Body of `PATCH /v1/orgs/{org}/channels/{channel}`: the fields to change. A `platform` that
/// differs from the channel's is rejected whole (R-CHAN-1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_level: Option<ConsentLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<Entry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_window_ms: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactivity_timeout_ms: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_ttl_ms: Option<Millis>,
}

/// A channel as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Channel {
    pub id: ChannelId,
    pub org: OrgId,
    pub name: String,
    pub kind: ChannelKind,
    pub platform: Platform,
    pub consent_level: ConsentLevel,
    pub entry: Entry,
    pub service_window_ms: Option<Millis>,
    pub inactivity_timeout_ms: Option<Millis>,
    pub inactive_ttl_ms: Millis,
}
