//! Messaging users and their consent.

use crate::channel::ConsentLevel;
use crate::ids::{ChannelId, ConversationId, OrgId, SessionId, UserId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What a user has agreed to receive (R-OUT-2, R-OUT-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    /// The user wrote in, which allows replies and, on implicit channels, outbound.
    ImplicitlyOptedIn,
    ExplicitlyOptedIn,
    DoublyOptedIn,
    OptedOut,
}

impl Consent {
    /// Whether this consent allows the org to message the user first on a channel with `level`.
    pub fn allows(self, level: ConsentLevel) -> bool {
        matches!(
            (self, level),
            (Consent::ImplicitlyOptedIn, ConsentLevel::Implicit)
                | (
                    Consent::ExplicitlyOptedIn,
                    ConsentLevel::Implicit | ConsentLevel::Explicit
                )
                | (Consent::DoublyOptedIn, _)
        )
    }
}

/// A messaging user as read back: one per (channel, address) (R-CHAN-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MessagingUser {
    pub id: UserId,
    pub org: OrgId,
    pub channel: ChannelId,
    pub address: String,
    pub consent: Consent,
    pub conversation_id: ConversationId,
    pub last_inbound_at: Option<Timestamp>,
    /// The user's one open (not ended) session, if any (R-SESS-1).
    pub open_session: Option<SessionId>,
}

/// Body of `PUT /v1/orgs/{org}/channels/{channel}/users/consent`: records consent gathered
/// elsewhere (a web form, a double opt-in flow), creating the user if needed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    pub address: String,
    pub consent: Consent,
}
