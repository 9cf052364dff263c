//! Events: what the platform pushes to the parties that may see them.

use crate::agent::Presence;
use crate::ids::{AgentId, ChannelId, OrgId, SessionId, UserId, WorkId};
use crate::message::Message;
use crate::session::{EndedBy, Handler, Session, SessionStatus};
use crate::tag_first::{self, Body, TagFirst};
use crate::user::Consent;
use crate::work::{RoutingContext, WorkItem};
use serde::de::MapAccess;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Why an offer was taken back from an agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RescindReason {
    /// Not accepted within the queue's push timeout (R-ROUTE-5).
    PushTimeout,
    /// The customer ended the session (R-SESS-8).
    Canceled,
    /// The agent went offline (R-ROUTE-7).
    Unavailable,
    /// Directly routed work was not accepted within its flow's timeout (R-FLOW-4).
    DirectTimeout,
}

/// A stream an event is delivered on (R-SEC-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The org's own observers (admin token).
    Org(OrgId),
    /// A channel's provider stream: every message on that channel.
    Channel(ChannelId),
    /// One end user's stream: that user's messages only.
    User(UserId),
    /// One agent's connection.
    Agent(AgentId),
}

/// An offer of work to an agent: the work item, the session, why it came and what was said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Offer {
    pub org: OrgId,
    pub work: WorkItem,
    pub session: Session,
    pub context: RoutingContext,
    pub transcript: Vec<Arc<Message>>,
}

/// Something that happened, pushed to every [`Audience`] it names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A message was stored in a session (R-SESS-2).
    Message {
        org: OrgId,
        channel: ChannelId,
        user: UserId,
        /// The agent holding the session's live work, who receives it too.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<AgentId>,
        /// Shared with the transcript: delivering a message to many parties copies no text.
        message: Arc<Message>,
    },
    /// A session changed status or handler.
    SessionChanged {
        org: OrgId,
        channel: ChannelId,
        user: UserId,
        session: SessionId,
        status: SessionStatus,
        handler: Handler,
        /// The agent that holds (or held until this change) the session's work.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<AgentId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ended_by: Option<EndedBy>,
    },
    /// Work offered to an agent, with what it needs to pick it up (R-BOT-2, R-ROUTE-9). Boxed:
    /// it is by far the largest event and the rarest.
    WorkOffered(Box<Offer>),
    /// An offer taken back (R-ROUTE-5, R-ROUTE-7, R-SESS-8).
    OfferRescinded {
        org: OrgId,
        agent: AgentId,
        work: WorkId,
        session: SessionId,
        reason: RescindReason,
    },
    /// A work item moved past assigned (opened, closed, declined, ...).
    WorkChanged { work: WorkItem },
    ConsentChanged {
        org: OrgId,
        channel: ChannelId,
        user: UserId,
        consent: Consent,
    },
    PresenceChanged {
        org: OrgId,
        agent: AgentId,
        presence: Presence,
    },
}

/// Read tag first ([`crate::tag_first`]): a load generator reads tens of thousands a second.
impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        tag_first::deserialize(d)
    }
}

/// The values of an event's `type`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EventKind {
    Message,
    SessionChanged,
    WorkOffered,
    OfferRescinded,
    WorkChanged,
    ConsentChanged,
    PresenceChanged,
}

impl TagFirst for Event {
    type Kind = EventKind;
    const EXPECTING: &'static str = "an event";

    fn from_body<'de, A: MapAccess<'de>>(
        kind: EventKind,
        body: Body<'de, A>,
    ) -> Result<Self, A::Error> {
        /// The fields of each of [`Event`]'s struct variants, as read: a variant given a field
        /// these lack does not build.
        #[derive(Deserialize)]
        struct MessageFields {
            org: OrgId,
            channel: ChannelId,
            user: UserId,
            #[serde(default)]
            agent: Option<AgentId>,
            message: Arc<Message>,
        }
        #[derive(Deserialize)]
        struct SessionChangedFields {
            org: OrgId,
            channel: ChannelId,
            user: UserId,
            session: SessionId,
            status: SessionStatus,
            handler: Handler,
            #[serde(default)]
            agent: Option<AgentId>,
            #[serde(default)]
            ended_by: Option<EndedBy>,
        }
        #[derive(Deserialize)]
        struct OfferRescindedFields {
            org: OrgId,
            agent: AgentId,
            work: WorkId,
            session: SessionId,
            reason: RescindReason,
        }
        #[derive(Deserialize)]
        struct WorkChangedFields {
            work: WorkItem,
        }
        #[derive(Deserialize)]
        struct ConsentChangedFields {
            org: OrgId,
            channel: ChannelId,
            user: UserId,
            consent: Consent,
        }
        #[derive(Deserialize)]
        struct PresenceChangedFields {
            org: OrgId,
            agent: AgentId,
            presence: Presence,
        }
        Ok(match kind {
            EventKind::Message => {
                let f: MessageFields = body.read()?;
                Event::Message {
                    org: f.org,
                    channel: f.channel,
                    user: f.user,
                    agent: f.agent,
                    message: f.message,
                }
            }
            EventKind::SessionChanged => {
                let f: SessionChangedFields = body.read()?;
                Event::SessionChanged {
                    org: f.org,
                    channel: f.channel,
                    user: f.user,
                    session: f.session,
                    status: f.status,
                    handler: f.handler,
                    agent: f.agent,
                    ended_by: f.ended_by,
                }
            }
            EventKind::WorkOffered => Event::WorkOffered(body.read()?),
            EventKind::OfferRescinded => {
                let f: OfferRescindedFields = body.read()?;
                Event::OfferRescinded {
                    org: f.org,
                    agent: f.agent,
                    work: f.work,
                    session: f.session,
                    reason: f.reason,
                }
            }
            EventKind::WorkChanged => {
                let f: WorkChangedFields = body.read()?;
                Event::WorkChanged { work: f.work }
            }
            EventKind::ConsentChanged => {
                let f: ConsentChangedFields = body.read()?;
                Event::ConsentChanged {
                    org: f.org,
                    channel: f.channel,
                    user: f.user,
                    consent: f.consent,
                }
            }
            EventKind::PresenceChanged => {
                let f: PresenceChangedFields = body.read()?;
                Event::PresenceChanged {
                    org: f.org,
                    agent: f.agent,
                    presence: f.presence,
                }
            }
        })
    }
}

impl Event {
    /// The user and the agent this event is for, when it is for either: the parties whose own
    /// streams carry it (R-SEC-3).
    pub fn parties(&self) -> (Option<UserId>, Option<AgentId>) {
        match self {
            Event::Message { user, agent, .. } | Event::SessionChanged { user, agent, .. } => {
                (Some(*user), *agent)
            }
            Event::WorkOffered(offer) => (None, Some(offer.work.agent)),
            Event::OfferRescinded { agent, .. } | Event::PresenceChanged { agent, .. } => {
                (None, Some(*agent))
            }
            Event::WorkChanged { .. } | Event::ConsentChanged { .. } => (None, None),
        }
    }

    /// The streams this event goes to: its org's, which sees everything of the org, its
    /// channel's for what happens in a session, and its [`Event::parties`].
    pub fn audiences(&self) -> impl Iterator<Item = Audience> {
        let (org, channel) = match self {
            Event::Message { org, channel, .. } | Event::SessionChanged { org, channel, .. } => {
                (*org, Some(*channel))
            }
            Event::WorkOffered(offer) => (offer.org, None),
            Event::WorkChanged { work } => (work.org, None),
            Event::OfferRescinded { org, .. }
            | Event::ConsentChanged { org, .. }
            | Event::PresenceChanged { org, .. } => (*org, None),
        };
        let (user, agent) = self.parties();
        [
            Some(Audience::Org(org)),
            channel.map(Audience::Channel),
            user.map(Audience::User),
            agent.map(Audience::Agent),
        ]
        .into_iter()
        .flatten()
    }
}
