//! Read-back of resources (R-SESS-9): sessions with transcripts, users with consent, work items
//! with their times.

use crate::server::auth::OrgAuth;
use crate::server::http::{Failure, Path, Query};
use crate::server::platform::Platform;
use axum::Json;
use axum::extract::State;
use omnisim_protocol::*;
use serde::Deserialize;
use std::sync::Arc;

/// Reads from the engine on behalf of an authenticated org.
fn read<T>(
    p: &Platform,
    org: OrgId,
    f: impl FnOnce(&crate::engine::Engine, OrgId) -> Result<T, ApiError>,
) -> Result<Json<T>, Failure> {
    Ok(Json(p.read(|e| f(e, org))?))
}

pub async fn channels(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
) -> Result<Json<Vec<Channel>>, Failure> {
    read(&p, org, |e, o| e.channels(o))
}

pub async fn channel(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, id)): Path<(u64, u64)>,
) -> Result<Json<Channel>, Failure> {
    read(&p, org, |e, o| e.channel(o, ChannelId(id)))
}

pub async fn queues(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
) -> Result<Json<Vec<Queue>>, Failure> {
    read(&p, org, |e, o| e.queues(o))
}

pub async fn queue(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, id)): Path<(u64, u64)>,
) -> Result<Json<Queue>, Failure> {
    read(&p, org, |e, o| e.queue(o, QueueId(id)))
}

pub async fn bot(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, id)): Path<(u64, u64)>,
) -> Result<Json<Bot>, Failure> {
    read(&p, org, |e, o| e.bot(o, BotId(id)))
}

pub async fn flows(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
) -> Result<Json<Vec<Flow>>, Failure> {
    read(&p, org, |e, o| e.flows(o))
}

pub async fn flow(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, id)): Path<(u64, u64)>,
) -> Result<Json<Flow>, Failure> {
    read(&p, org, |e, o| e.flow(o, FlowId(id)))
}

pub async fn agents(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
) -> Result<Json<Vec<Agent>>, Failure> {
    read(&p, org, |e, o| e.agents(o))
}

pub async fn agent(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, id)): Path<(u64, u64)>,
) -> Result<Json<Agent>, Failure> {
    read(&p, org, |e, o| e.agent(o, AgentId(id)))
}

pub async fn user(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, id)): Path<(u64, u64)>,
) -> Result<Json<MessagingUser>, Failure> {
    read(&p, org, |e, o| e.user(o, UserId(id)))
}

#[derive(Deserialize)]
pub struct AddressQuery {
    address: String,
}

pub async fn user_by_address(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, channel)): Path<(u64, u64)>,
    Query(q): Query<AddressQuery>,
) -> Result<Json<MessagingUser>, Failure> {
    read(&p, org, |e, o| {
        e.user_by_address(o, ChannelId(channel), &q.address)
    })
}

pub async fn sessions(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
) -> Result<Json<Vec<Session>>, Failure> {
    read(&p, org, |e, o| e.sessions(o))
}

pub async fn session(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, id)): Path<(u64, u64)>,
) -> Result<Json<SessionTranscript>, Failure> {
    read(&p, org, |e, o| e.transcript(o, SessionId(id)))
}

#[derive(Deserialize)]
pub struct AfterQuery {
    #[serde(default)]
    after: u32,
}

pub async fn messages(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, id)): Path<(u64, u64)>,
    Query(q): Query<AfterQuery>,
) -> Result<Json<Vec<Arc<Message>>>, Failure> {
    read(&p, org, |e, o| {
        Ok(e.messages_after(o, SessionId(id), Seq(q.after))?.to_vec())
    })
}

pub async fn session_work(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, id)): Path<(u64, u64)>,
) -> Result<Json<Vec<WorkItem>>, Failure> {
    read(&p, org, |e, o| e.session_work(o, SessionId(id)))
}

pub async fn work_items(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
) -> Result<Json<Vec<WorkItem>>, Failure> {
    read(&p, org, |e, o| e.work_items(o))
}

pub async fn work_item(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, id)): Path<(u64, u64)>,
) -> Result<Json<WorkItem>, Failure> {
    read(&p, org, |e, o| e.work_item(o, WorkId(id)))
}
