//! Every route of protocol v1 in one table: its method and path, who may call it, what it takes
//! and what it answers. The reference server serves exactly these (it builds its router from the
//! table), and the OpenAPI and AsyncAPI documents under docs/ are generated from it, so that the
//! documents, the server and the types cannot disagree about what exists.

/// Who may call a route (R-SEC-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// Anyone, without a token.
    Anyone,
    /// The server's admin token.
    Admin,
    /// The token of the org the path names.
    Org,
    /// An agent's token.
    Agent,
}

/// The HTTP method of a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// What a route answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A JSON body of the schema named (a file stem of docs/schema/), with this status.
    Json(u16, &'static str),
    /// A JSON array of the schema named, 200.
    List(&'static str),
    /// Plain text, 200 (`ok`, Prometheus metrics).
    Text,
    /// No body, 204.
    Empty,
    /// A WebSocket: the frames the client sends and the frames the server sends, by schema.
    Socket {
        sends: Option<&'static str>,
        receives: &'static str,
    },
}

macro_rules! routes {
    ($($(#[doc = $doc:literal])+ $route:ident = $method:ident $path:literal, $caller:ident,
       $request:expr => $answer:expr;)+) => {
        /// One route of protocol v1.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Route {
            $($(#[doc = $doc])+ $route,)+
        }

        impl Route {
            /// Every route, in the order docs/protocol.md §4 and §5 give them.
            pub const ALL: &'static [Route] = &[$(Route::$route),+];

            pub fn method(self) -> Method {
                match self { $(Route::$route => Method::$method,)+ }
            }

            /// The path, with `{org}`, `{channel}` and `{id}` for its parameters.
            pub fn path(self) -> &'static str {
                match self { $(Route::$route => $path,)+ }
            }

            pub fn caller(self) -> Caller {
                match self { $(Route::$route => Caller::$caller,)+ }
            }

            /// The schema of the request body, when it takes one.
            pub fn request(self) -> Option<&'static str> {
                match self { $(Route::$route => $request,)+ }
            }

            pub fn answer(self) -> Answer {
                match self { $(Route::$route => $answer,)+ }
            }

            /// What the route is for, as its doc comment says.
            pub fn summary(self) -> &'static str {
                match self { $(Route::$route => concat!($($doc),+).trim_ascii(),)+ }
            }
        }
    };
}

use Answer::*;

routes! {
    /// Liveness.
    Healthz = Get "/healthz", Anyone, None => Text;
    /// Prometheus metrics.
    Metrics = Get "/metrics", Anyone, None => Text;
    /// The optional capabilities the server lacks, and its clock.
    Capabilities = Get "/v1/capabilities", Anyone, None => Json(200, "Capabilities");
    /// Creates an org and its token.
    CreateOrg = Post "/v1/orgs", Admin, Some("CreateOrg") => Json(201, "OrgCreated");
    /// The org's clock.
    ReadClock = Get "/v1/orgs/{org}/clock", Org, None => Json(200, "ClockReading");
    /// Moves the org's manual clock forward and fires its due timers.
    AdvanceClock = Post "/v1/orgs/{org}/clock", Admin, Some("AdvanceClock") => Json(200, "ClockReading");
    /// Creates a channel.
    CreateChannel = Post "/v1/orgs/{org}/channels", Org, Some("ChannelSpec") => Json(201, "Channel");
    /// The org's channels.
    ListChannels = Get "/v1/orgs/{org}/channels", Org, None => List("Channel");
    /// One channel.
    ReadChannel = Get "/v1/orgs/{org}/channels/{channel}", Org, None => Json(200, "Channel");
    /// Changes a channel; its platform is fixed (R-CHAN-1).
    UpdateChannel = Patch "/v1/orgs/{org}/channels/{channel}", Org, Some("ChannelUpdate") => Json(200, "Channel");
    /// A provider delivery from an end user (R-SESS-1, R-SESS-3).
    Inbound = Post "/v1/orgs/{org}/channels/{channel}/inbound", Org, Some("InboundRequest") => Json(200, "InboundAccepted");
    /// An org-triggered outbound message (R-OUT-1, R-OUT-2, R-OUT-4).
    Outbound = Post "/v1/orgs/{org}/channels/{channel}/outbound", Org, Some("TriggeredOutboundRequest") => Json(201, "MessageAccepted");
    /// The messaging user of an address (`?address=`).
    UserByAddress = Get "/v1/orgs/{org}/channels/{channel}/users", Org, None => Json(200, "MessagingUser");
    /// Consent gathered elsewhere (R-OUT-2).
    Consent = Put "/v1/orgs/{org}/channels/{channel}/users/consent", Org, Some("ConsentRequest") => Json(200, "MessagingUser");
    /// One end user's messages and session changes (`?address=A[&session=S&after_seq=N]`).
    CustomerStream = Get "/v1/orgs/{org}/channels/{channel}/users/stream", Org, None => Socket { sends: None, receives: "Event" };
    /// The channel's messages and session changes (`?after=N`).
    ChannelStream = Get "/v1/orgs/{org}/channels/{channel}/stream", Org, None => Socket { sends: None, receives: "Event" };
    /// Creates a queue.
    CreateQueue = Post "/v1/orgs/{org}/queues", Org, Some("QueueSpec") => Json(201, "QueueCreated");
    /// The org's queues.
    ListQueues = Get "/v1/orgs/{org}/queues", Org, None => List("Queue");
    /// One queue, with what waits in it.
    ReadQueue = Get "/v1/orgs/{org}/queues/{id}", Org, None => Json(200, "Queue");
    /// Creates a bot.
    CreateBot = Post "/v1/orgs/{org}/bots", Org, Some("BotSpec") => Json(201, "BotCreated");
    /// Deletes a queue nothing uses: no channel, bot or flow fallback names it, no open session is
    /// routed to it. Flow rules may still name it: their sessions go to the flow's fallback queue.
    DeleteQueue = Delete "/v1/orgs/{org}/queues/{id}", Org, None => Empty;
    /// One bot.
    ReadBot = Get "/v1/orgs/{org}/bots/{id}", Org, None => Json(200, "Bot");
    /// Creates a routing flow.
    CreateFlow = Post "/v1/orgs/{org}/flows", Org, Some("FlowSpec") => Json(201, "Flow");
    /// Every flow of the org, oldest first.
    ListFlows = Get "/v1/orgs/{org}/flows", Org, None => List("Flow");
    /// A flow.
    ReadFlow = Get "/v1/orgs/{org}/flows/{id}", Org, None => Json(200, "Flow");
    /// Replaces a flow's name, rules, default and fallback: sessions already routed keep their
    /// decision.
    UpdateFlow = Put "/v1/orgs/{org}/flows/{id}", Org, Some("FlowSpec") => Json(200, "Flow");
    /// Deletes an offline agent holding no work and no new outbound session; its token stops
    /// working and its socket closes. Flow rules may still name it: their sessions go to the
    /// flow's fallback queue.
    DeleteAgent = Delete "/v1/orgs/{org}/agents/{id}", Org, None => Empty;
    /// Creates an agent and its token.
    CreateAgent = Post "/v1/orgs/{org}/agents", Org, Some("AgentSpec") => Json(201, "AgentCreated");
    /// The org's agents.
    ListAgents = Get "/v1/orgs/{org}/agents", Org, None => List("Agent");
    /// One agent, with presence and load.
    ReadAgent = Get "/v1/orgs/{org}/agents/{id}", Org, None => Json(200, "Agent");
    /// Changes an agent's name, capacity and skills (R-ROUTE-2, R-ROUTE-12).
    UpdateAgent = Put "/v1/orgs/{org}/agents/{id}", Org, Some("AgentSpec") => Json(200, "Agent");
    /// One messaging user.
    ReadUser = Get "/v1/orgs/{org}/users/{id}", Org, None => Json(200, "MessagingUser");
    /// Every session of the org, oldest first.
    ListSessions = Get "/v1/orgs/{org}/sessions", Org, None => List("Session");
    /// A session with its full transcript (R-SESS-9).
    ReadSession = Get "/v1/orgs/{org}/sessions/{id}", Org, None => Json(200, "SessionTranscript");
    /// A session's messages after a seq (`?after=N`).
    SessionMessages = Get "/v1/orgs/{org}/sessions/{id}/messages", Org, None => List("Message");
    /// A session's work items, oldest first.
    SessionWork = Get "/v1/orgs/{org}/sessions/{id}/work", Org, None => List("WorkItem");
    /// Every work item of the org.
    ListWork = Get "/v1/orgs/{org}/work", Org, None => List("WorkItem");
    /// One work item.
    ReadWork = Get "/v1/orgs/{org}/work/{id}", Org, None => Json(200, "WorkItem");
    /// The agent's connection (token in the header or `?token=`).
    AgentSocket = Get "/v1/agent", Agent, None => Socket { sends: Some("AgentFrame"), receives: "AgentPush" };
}
