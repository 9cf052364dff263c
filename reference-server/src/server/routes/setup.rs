//! Org setup: orgs, channels, queues, bots, agents.

use super::{apply_org, unexpected};
use crate::engine::{Command, OrgCommand, Reply};
use crate::server::auth::{Admin, OrgAuth};
use crate::server::http::{Failure, Json, Path};
use crate::server::platform::Platform;
use axum::extract::State;
use axum::http::StatusCode;
use omnisim_protocol::{
    AgentCreated, AgentId, AgentSpec, BotId, BotSpec, Channel, ChannelId, ChannelSpec,
    ChannelUpdate, CreateOrg, Created, Flow, FlowId, FlowSpec, OrgCreated, QueueId, QueueSpec,
};

type Json201<T> = (StatusCode, axum::Json<T>);

/// A fresh random token: 128 bits, hex, with a prefix naming what it opens.
fn new_token(prefix: &str) -> String {
    format!("{prefix}_{:032x}", rand::random::<u128>())
}

pub async fn create_org(
    State(p): State<Platform>,
    _: Admin,
    Json(body): Json<CreateOrg>,
) -> Result<Json201<OrgCreated>, Failure> {
    let command = Command::CreateOrg {
        name: body.name,
        token: new_token("org"),
    };
    match p.apply(command)? {
        Reply::OrgCreated(c) => Ok((StatusCode::CREATED, axum::Json(c))),
        other => Err(unexpected(other)),
    }
}

pub async fn create_channel(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Json(spec): Json<ChannelSpec>,
) -> Result<Json201<Channel>, Failure> {
    match apply_org(&p, org, OrgCommand::CreateChannel(spec))? {
        Reply::Channel(c) => Ok((StatusCode::CREATED, axum::Json(c))),
        other => Err(unexpected(other)),
    }
}

pub async fn update_channel(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, channel)): Path<(u64, u64)>,
    Json(update): Json<ChannelUpdate>,
) -> Result<axum::Json<Channel>, Failure> {
    match apply_org(
        &p,
        org,
        OrgCommand::UpdateChannel(ChannelId(channel), update),
    )? {
        Reply::Channel(c) => Ok(axum::Json(c)),
        other => Err(unexpected(other)),
    }
}

pub async fn create_queue(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Json(spec): Json<QueueSpec>,
) -> Result<Json201<Created<QueueId>>, Failure> {
    match apply_org(&p, org, OrgCommand::CreateQueue(spec))? {
        Reply::Queue(c) => Ok((StatusCode::CREATED, axum::Json(c))),
        other => Err(unexpected(other)),
    }
}

pub async fn create_bot(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Json(spec): Json<BotSpec>,
) -> Result<Json201<Created<BotId>>, Failure> {
    match apply_org(&p, org, OrgCommand::CreateBot(spec))? {
        Reply::Bot(c) => Ok((StatusCode::CREATED, axum::Json(c))),
        other => Err(unexpected(other)),
    }
}

pub async fn create_flow(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Json(spec): Json<FlowSpec>,
) -> Result<Json201<Flow>, Failure> {
    match apply_org(&p, org, OrgCommand::CreateFlow(spec))? {
        Reply::Flow(f) => Ok((StatusCode::CREATED, axum::Json(f))),
        other => Err(unexpected(other)),
    }
}

pub async fn update_flow(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, flow)): Path<(u64, u64)>,
    Json(spec): Json<FlowSpec>,
) -> Result<axum::Json<Flow>, Failure> {
    match apply_org(&p, org, OrgCommand::UpdateFlow(FlowId(flow), spec))? {
        Reply::Flow(f) => Ok(axum::Json(f)),
        other => Err(unexpected(other)),
    }
}

pub async fn create_agent(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Json(spec): Json<AgentSpec>,
) -> Result<Json201<AgentCreated>, Failure> {
    let command = OrgCommand::CreateAgent {
        spec,
        token: new_token("agent"),
    };
    match apply_org(&p, org, command)? {
        Reply::AgentCreated(c) => Ok((StatusCode::CREATED, axum::Json(c))),
        other => Err(unexpected(other)),
    }
}

pub async fn update_agent(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, agent)): Path<(u64, u64)>,
    Json(spec): Json<AgentSpec>,
) -> Result<axum::Json<omnisim_protocol::Agent>, Failure> {
    match apply_org(&p, org, OrgCommand::UpdateAgent(AgentId(agent), spec))? {
        Reply::Agent(a) => Ok(axum::Json(a)),
        other => Err(unexpected(other)),
    }
}

pub async fn delete_queue(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, queue)): Path<(u64, u64)>,
) -> Result<StatusCode, Failure> {
    apply_org(&p, org, OrgCommand::DeleteQueue(QueueId(queue)))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the agent and, under the same lock, closes its socket: its token opens nothing more.
pub async fn delete_agent(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, agent)): Path<(u64, u64)>,
) -> Result<StatusCode, Failure> {
    let agent = AgentId(agent);
    let command = Command::Org {
        org,
        command: OrgCommand::DeleteAgent(agent),
    };
    p.apply_then(command, |core| {
        core.hub.evict(
            omnisim_protocol::Audience::Agent(agent),
            omnisim_protocol::socket::CLOSE_DELETED,
        )
    })?;
    Ok(StatusCode::NO_CONTENT)
}
