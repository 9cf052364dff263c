//! The commands the engine applies and the replies it gives. Drivers (HTTP server, simulator,
//! tests) authenticate first and then name the org or agent a command acts as (R-SEC-1).

use omnisim_protocol::{
    Agent, AgentCreated, AgentId, AgentRequest, AgentSpec, BotSpec, Channel, ChannelId,
    ChannelSpec, ChannelUpdate, ConsentRequest, Created, Flow, FlowId, FlowSpec, InboundAccepted,
    InboundRequest, MessageAccepted, MessagingUser, OrgCreated, OrgId, QueueId, QueueSpec,
    TriggeredOutboundRequest,
};

/// A state change requested of the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Creates an org whose admin token is `token` (chosen by the driver, so the engine stays
    /// deterministic).
    CreateOrg { name: String, token: String },
    /// An admin or provider action inside one org, authenticated by the org's token.
    Org { org: OrgId, command: OrgCommand },
    /// An agent's action, authenticated by the agent's token.
    Agent {
        agent: AgentId,
        request: AgentRequest,
    },
}

/// What an org's token allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgCommand {
    CreateChannel(ChannelSpec),
    UpdateChannel(ChannelId, ChannelUpdate),
    CreateQueue(QueueSpec),
    /// Deletes a queue nothing uses (R-FLOW-5 names what a flow does then).
    DeleteQueue(QueueId),
    CreateBot(BotSpec),
    CreateFlow(FlowSpec),
    /// Replaces a flow's rules and targets (R-FLOW-1).
    UpdateFlow(FlowId, FlowSpec),
    /// Creates an agent whose connection authenticates with `token`.
    CreateAgent {
        spec: AgentSpec,
        token: String,
    },
    UpdateAgent(AgentId, AgentSpec),
    /// Deletes an offline agent holding nothing; its token stops working.
    DeleteAgent(AgentId),
    SetConsent(ChannelId, ConsentRequest),
    /// A provider webhook delivery from an end user.
    Inbound(ChannelId, InboundRequest),
    /// An org-triggered outbound message (origin triggered_outbound).
    TriggeredOutbound(ChannelId, TriggeredOutboundRequest),
}

/// The answer to a command that was applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    OrgCreated(OrgCreated),
    Channel(Channel),
    Queue(Created<omnisim_protocol::QueueId>),
    Bot(Created<omnisim_protocol::BotId>),
    Flow(Flow),
    AgentCreated(AgentCreated),
    Agent(Agent),
    User(MessagingUser),
    Inbound(InboundAccepted),
    Message(MessageAccepted),
    /// Applied; nothing to report.
    Done,
}
