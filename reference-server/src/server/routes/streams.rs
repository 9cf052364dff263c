//! Outbound delivery streams: a provider socket per channel and a customer socket per messaging
//! user (R-SEC-3), each resuming exactly after the last message its client saw (R-SESS-9).

use crate::server::auth::OrgAuth;
use crate::server::http::{Failure, Path, Query, Upgrade, upgrade};
use crate::server::hub::Frame;
use crate::server::platform::{Platform, internal};
use crate::server::pump::pump;
use axum::extract::State;
use axum::response::Response;
use omnisim_protocol::*;
use serde::Deserialize;
use std::sync::Arc;

/// The replay of stored messages as `message` events, as the live stream would have sent them.
fn replay(
    engine: &crate::engine::Engine,
    org: OrgId,
    messages: Vec<Arc<Message>>,
) -> Result<Vec<Frame>, ApiError> {
    messages
        .into_iter()
        .map(|message| {
            let s = engine.session(org, message.session)?;
            let event = Event::Message {
                org,
                channel: s.channel,
                user: s.user,
                agent: s.agent,
                message,
            };
            serde_json::to_string(&event)
                .map(Frame::from)
                .map_err(|e| internal(e.to_string()))
        })
        .collect()
}

#[derive(Deserialize)]
pub struct ChannelStreamQuery {
    /// The last `channel_seq` the client saw; 0 replays the whole channel.
    #[serde(default)]
    after: Option<u64>,
}

/// `GET /v1/orgs/{org}/channels/{channel}/stream?after=N`: every message and session change on
/// the channel; with `after`, first the messages after that channel position.
pub async fn channel_stream(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, channel)): Path<(u64, u64)>,
    Query(q): Query<ChannelStreamQuery>,
    ws: Upgrade,
) -> Result<Response, Failure> {
    let channel = ChannelId(channel);
    p.read(|e| e.channel(org, channel))?;
    // What the path names is judged before the upgrade: another org's channel is 404, not 426.
    let ws = upgrade(ws)?;
    let (sub, first) = p.subscribe(Audience::Channel(channel), false, |e| match q.after {
        Some(after) => replay(e, org, e.channel_messages_after(org, channel, after)?),
        None => Ok(Vec::new()),
    })?;
    Ok(ws.on_upgrade(move |socket| pump(p, socket, sub, first, |_| None)))
}

#[derive(Deserialize)]
pub struct CustomerStreamQuery {
    address: String,
    /// With `after_seq`: the session of the last message the client saw.
    session: Option<u64>,
    #[serde(default)]
    after_seq: u32,
}

/// `GET /v1/orgs/{org}/channels/{channel}/users/stream?address=A[&session=S&after_seq=N]`: one end
/// user's messages and session changes; with `session`, first the user's messages after
/// (session, after_seq).
pub async fn customer_stream(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, channel)): Path<(u64, u64)>,
    Query(q): Query<CustomerStreamQuery>,
    ws: Upgrade,
) -> Result<Response, Failure> {
    let user = p
        .read(|e| e.user_by_address(org, ChannelId(channel), &q.address))?
        .id;
    let ws = upgrade(ws)?;
    let (sub, first) = p.subscribe(Audience::User(user), false, |e| match q.session {
        Some(s) => replay(
            e,
            org,
            e.user_messages_after(org, user, SessionId(s), Seq(q.after_seq))?,
        ),
        None => Ok(Vec::new()),
    })?;
    Ok(ws.on_upgrade(move |socket| pump(p, socket, sub, first, |_| None)))
}
