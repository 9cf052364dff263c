//! Tenants apart (R-SEC-1): for every route and every agent request that takes an id, the ids of
//! another org read as absent (404 `not_found`) through this org's path, token and agents, and
//! the attempt changes nothing on the other side. Table-driven: one case per way in.

use crate::conform::ctx::*;
use http::Method;
use omnisim_protocol::*;
use serde_json::{Value, json};

/// One way an org could reach another org's resource.
#[derive(Clone, Copy, Debug)]
pub enum Reach {
    ReadChannel,
    UpdateChannel,
    Inbound,
    Outbound,
    Consent,
    UserByAddress,
    ChannelStream,
    CustomerStream,
    ReadUser,
    ReadQueue,
    ReadBot,
    ReadAgent,
    UpdateAgent,
    ReadSession,
    SessionMessages,
    SessionWork,
    ReadWork,
    ChannelEntry,
    AgentAccept,
    AgentDecline,
    AgentSend,
    AgentTransfer,
    AgentStartOutbound,
    DeleteQueue,
    DeleteAgent,
    ReadFlow,
    UpdateFlow,
    /// A flow of this org whose rule targets the other org's queue.
    FlowTarget,
}

impl Reach {
    fn needs_flow(self) -> bool {
        matches!(self, Reach::ReadFlow | Reach::UpdateFlow)
    }
}

/// The other org's resources, one of each kind, with a session offered to its agent.
struct Theirs {
    ctx: Ctx,
    channel: ChannelId,
    queue: QueueId,
    bot: BotId,
    agent: AgentId,
    user: UserId,
    session: SessionId,
    work: WorkId,
    /// Their flow, when the way in is one of the flow routes.
    flow: Option<FlowId>,
    /// Kept open so that the offer stands.
    _conn: AgentConn,
}

impl Theirs {
    async fn new(ctx: &mut Ctx, reach: Reach) -> Result<Theirs, Problem> {
        let mut ctx = ctx.sibling("theirs").await?;
        let queue = ctx.queue("q", 60_000).await?;
        let channel = ctx
            .channel(ChannelKind::Sms, Platform::Standard, Entry::Queue(queue))
            .await?
            .id;
        let bot = ctx.bot(queue).await?;
        let mut conn = ctx.agent("theirs", 1).await?;
        let said = ctx.say(channel, "+1", "their-1", "hello").await?;
        let offer = conn.must_offer().await?;
        let flow = match reach.needs_flow() {
            true => Some(ctx.flow(&route_to(queue)).await?),
            false => None,
        };
        Ok(Theirs {
            flow,
            channel,
            queue,
            bot,
            agent: conn.id,
            user: said.user,
            session: said.session,
            work: offer.work.id,
            _conn: conn,
            ctx,
        })
    }

    /// Everything the other org could see change.
    async fn state(&mut self) -> Result<Value, Problem> {
        let mut all = Vec::new();
        let flows = self.flow.map(|_| "/flows");
        for rest in ["/channels", "/agents", "/sessions", "/work", "/queues"]
            .into_iter()
            .chain(flows)
        {
            all.push(self.ctx.ok::<Value>(Method::GET, rest, None::<&()>).await?);
        }
        let user = format!("/users/{}", self.user.0);
        all.push(
            self.ctx
                .ok::<Value>(Method::GET, &user, None::<&()>)
                .await?,
        );
        Ok(Value::Array(all))
    }
}

/// A flow with one rule, everything to `queue`.
fn route_to(queue: QueueId) -> FlowSpec {
    let target = FlowTarget::Queue {
        queue,
        priority: None,
        secondary_priority: None,
        skills: vec![],
    };
    FlowSpec {
        name: "all".into(),
        rules: vec![FlowRule {
            name: "all".into(),
            conditions: vec![],
            target: target.clone(),
        }],
        default: target,
        fallback_queue: queue,
    }
}

/// The attempt: this org's request naming the other org's id.
async fn attempt(
    ctx: &mut Ctx,
    t: &Theirs,
    reach: Reach,
) -> Result<(u16, Option<ErrorCode>), Problem> {
    let http = |method: Method, rest: String, body: Option<Value>| (method, rest, body);
    let request = match reach {
        Reach::ReadChannel => http(Method::GET, format!("/channels/{}", t.channel.0), None),
        Reach::UpdateChannel => http(
            Method::PATCH,
            format!("/channels/{}", t.channel.0),
            Some(json!({ "name": "taken over" })),
        ),
        Reach::Inbound => http(
            Method::POST,
            format!("/channels/{}/inbound", t.channel.0),
            Some(json!({ "address": "+9", "provider_message_id": "x-1",
                         "content": { "type": "text", "text": "hi" } })),
        ),
        Reach::Outbound => http(
            Method::POST,
            format!("/channels/{}/outbound", t.channel.0),
            Some(json!({ "address": "+1",
                         "content": { "type": "template", "name": "t", "text": "hi" } })),
        ),
        Reach::Consent => http(
            Method::PUT,
            format!("/channels/{}/users/consent", t.channel.0),
            Some(json!({ "address": "+1", "consent": "opted_out" })),
        ),
        Reach::UserByAddress => http(
            Method::GET,
            format!("/channels/{}/users?address=%2B1", t.channel.0),
            None,
        ),
        // Without an upgrade: the id is judged before the upgrade (404, not 426).
        Reach::ChannelStream => http(
            Method::GET,
            format!("/channels/{}/stream", t.channel.0),
            None,
        ),
        Reach::CustomerStream => http(
            Method::GET,
            format!("/channels/{}/users/stream?address=%2B1", t.channel.0),
            None,
        ),
        Reach::ReadUser => http(Method::GET, format!("/users/{}", t.user.0), None),
        Reach::ReadQueue => http(Method::GET, format!("/queues/{}", t.queue.0), None),
        Reach::ReadBot => http(Method::GET, format!("/bots/{}", t.bot.0), None),
        Reach::ReadAgent => http(Method::GET, format!("/agents/{}", t.agent.0), None),
        Reach::UpdateAgent => http(
            Method::PUT,
            format!("/agents/{}", t.agent.0),
            Some(json!({ "name": "taken over", "capacity": 5 })),
        ),
        Reach::ReadSession => http(Method::GET, format!("/sessions/{}", t.session.0), None),
        Reach::SessionMessages => http(
            Method::GET,
            format!("/sessions/{}/messages?after=0", t.session.0),
            None,
        ),
        Reach::SessionWork => http(Method::GET, format!("/sessions/{}/work", t.session.0), None),
        Reach::ReadWork => http(Method::GET, format!("/work/{}", t.work.0), None),
        Reach::ChannelEntry => http(
            Method::POST,
            "/channels".into(),
            Some(json!({ "name": "c", "kind": "web", "platform": "standard",
                         "entry": { "queue": t.queue.0 } })),
        ),
        Reach::DeleteQueue => http(Method::DELETE, format!("/queues/{}", t.queue.0), None),
        Reach::DeleteAgent => http(Method::DELETE, format!("/agents/{}", t.agent.0), None),
        Reach::ReadFlow | Reach::UpdateFlow => {
            let rest = format!("/flows/{}", t.flow.map_or(0, |f| f.0));
            match reach {
                Reach::ReadFlow => http(Method::GET, rest, None),
                _ => http(
                    Method::PUT,
                    rest,
                    serde_json::to_value(route_to(t.queue)).ok(),
                ),
            }
        }
        Reach::FlowTarget => {
            let ours = ctx.queue("ours", 60_000).await?;
            let mut spec = route_to(ours);
            spec.rules[0].target = FlowTarget::Queue {
                queue: t.queue,
                priority: None,
                secondary_priority: None,
                skills: vec![],
            };
            http(
                Method::POST,
                "/flows".into(),
                serde_json::to_value(spec).ok(),
            )
        }
        agent_request => return agent_attempt(ctx, t, agent_request).await,
    };
    let (method, rest, body) = request;
    let (status, reply) = ctx.call::<Value>(method, &rest, body.as_ref()).await?;
    Ok((status, reply.err().map(|e| e.code)))
}

/// The attempt through this org's agent, which holds a session of its own.
async fn agent_attempt(
    ctx: &mut Ctx,
    t: &Theirs,
    reach: Reach,
) -> Result<(u16, Option<ErrorCode>), Problem> {
    let ch = ctx.queue_channel(60_000).await?;
    let mut ours = ctx.agent("ours", 1).await?;
    let mine = ctx.say(ch, "+1", "our-1", "hello").await?.session;
    ours.take_offer().await?;
    let text = || OutboundContent::Text { text: "hi".into() };
    let request = match reach {
        Reach::AgentAccept => AgentRequest::Accept { work: t.work },
        Reach::AgentDecline => AgentRequest::Decline { work: t.work },
        Reach::AgentSend => AgentRequest::Send {
            session: t.session,
            client_message_id: "c-1".into(),
            content: text(),
        },
        Reach::AgentTransfer => AgentRequest::Transfer {
            session: mine,
            to: TransferTarget::Queue(t.queue),
        },
        _ => AgentRequest::StartOutbound {
            channel: t.channel,
            address: "+1".into(),
            queue: t.queue,
            client_message_id: "c-2".into(),
            content: text(),
        },
    };
    let code = ours.request(request).await?.err().map(|e| e.code);
    // Agent requests answer on the socket; 404 stands for the code's status.
    Ok((code.map_or(200, |c| c.http_status()), code))
}

/// security/1.x: `reach` with the other org's id is 404 not_found and changes nothing there.
pub async fn another_orgs_id_reads_as_absent(mut ctx: Ctx, reach: Reach) -> CaseResult {
    let mut theirs = Theirs::new(&mut ctx, reach).await?;
    let before = theirs.state().await?;
    let (status, code) = attempt(&mut ctx, &theirs, reach).await?;
    check(
        "R-SEC-1",
        status == 404 && code == Some(ErrorCode::NotFound),
        format!("{reach:?} with another org's id: 404 not_found"),
        || format!("{status} {code:?}"),
    )?;
    let after = theirs.state().await?;
    check(
        "R-SEC-1",
        before == after,
        "the other org unchanged",
        || format!("before {before}\nafter {after}"),
    )
}
