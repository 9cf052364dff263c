//! Typed identifiers. Every resource has its own id type so that a channel id can never be passed
//! where a queue id is expected. On the wire an id is a JSON integer (an unsigned 53-bit-safe
//! number), unique across the whole server, not just within an org.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An id a provider or a client chose for a message (R-SESS-3): any string, held inline up to
/// 24 bytes. Ids are that short as a rule, and a simulated session sends a dozen of them, each an
/// allocation of its own when shared behind a pointer; copied inline, the transcript and the
/// idempotency index each hold one without allocating.
pub type ExternalId = compact_str::CompactString;

/// The text of a text message: any string, held inline up to 24 bytes, and a text a party
/// writes again and again (a simulated customer's lines) can point at the one the program holds
/// (`MessageText::const_new`). Most messages of a chat are short: held inline, a transcript's
/// texts are not each an allocation of their own.
pub type MessageText = compact_str::CompactString;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl From<$name> for u64 {
            fn from(id: $name) -> u64 {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(
    /// An org (tenant): the isolation boundary of every other resource.
    OrgId, "org:"
);
id_type!(
    /// A messaging channel (one web chat deployment, one SMS number, one WhatsApp sender...).
    ChannelId, "channel:"
);
id_type!(
    /// A messaging user: one end user on one channel (R-CHAN-2).
    UserId, "user:"
);
id_type!(
    /// A conversation: the thread shared by every session of one messaging user (R-SESS-5).
    ConversationId, "conversation:"
);
id_type!(
    /// A messaging session: one episode of a conversation, from first message to ended.
    SessionId, "session:"
);
id_type!(
    /// A routing queue.
    QueueId, "queue:"
);
id_type!(
    /// A human agent.
    AgentId, "agent:"
);
id_type!(
    /// A scripted bot that answers a channel first.
    BotId, "bot:"
);
id_type!(
    /// A routing flow: ordered rules deciding where a session's work goes (R-FLOW-1).
    FlowId, "flow:"
);
id_type!(
    /// A work item: one offer of a session to one agent (assigned, then opened, declined...).
    WorkId, "work:"
);

/// A message's position in its session: 1 for the first message, rising by exactly 1 (R-SESS-2).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct Seq(pub u32);

impl Seq {
    /// The seq of a session's first message.
    pub const FIRST: Seq = Seq(1);

    /// The seq that follows this one.
    pub fn next(self) -> Seq {
        Seq(self.0 + 1)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
