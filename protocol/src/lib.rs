//! The omnisim messaging protocol, version 1: the serde types of every resource, request body,
//! reply, event and error, shared by the reference server and the harness. `docs/protocol.md` is
//! the normative description of the same contract; the two change together.

pub mod agent;
pub mod bot;
pub mod capabilities;
pub mod channel;
pub mod clock;
pub mod error;
pub mod event;
pub mod flow;
pub mod ids;
pub mod limits;
pub mod message;
pub mod queue;
pub mod requests;
pub mod routes;
pub mod schema;
pub mod session;
pub mod socket;
mod tag_first;
pub mod time;
pub mod user;
pub mod work;

pub use agent::{Agent, AgentCreated, AgentSpec, Presence};
pub use bot::{Bot, BotField, BotSpec, Intent, IntentAction};
pub use capabilities::{Capabilities, Capability};
pub use channel::{
    Channel, ChannelKind, ChannelSpec, ChannelUpdate, ConsentLevel, Entry, Platform,
};
pub use clock::{AdvanceClock, ClockMode, ClockReading};
pub use error::{ApiError, ErrorCode};
pub use event::{Audience, Event, Offer, RescindReason};
pub use flow::{
    Condition, DirectFallback, FallbackReason, Flow, FlowError, FlowRule, FlowSkill, FlowSpec,
    FlowTarget,
};
pub use ids::{
    AgentId, BotId, ChannelId, ConversationId, ExternalId, FlowId, MessageText, OrgId, QueueId,
    Seq, SessionId, UserId, WorkId,
};
pub use message::{Choice, Component, Message, MessageBody, RenderedAs, Sender, TimeSlot};
pub use queue::{Queue, QueueSpec, RoutingModel, SkillRequirement};
pub use requests::{
    AgentRequest, CreateOrg, Created, InboundAccepted, InboundContent, InboundRequest,
    MessageAccepted, OrgCreated, OutboundContent, TransferTarget, TriggeredOutboundRequest,
};
pub use session::{EndedBy, Handler, Origin, Session, SessionStatus, SessionTranscript};
pub use socket::{AgentFrame, AgentHello, AgentPush, AgentReply};
pub use time::{Millis, Timestamp};
pub use user::{Consent, ConsentRequest, MessagingUser};
pub use work::{RoutingContext, WorkItem, WorkStatus};

/// The path prefix of this protocol version.
pub const API_PREFIX: &str = "/v1";
