//! Outbound delivery streams: a provider socket per channel and a customer socket per messaging
//! user (R-SEC-3), each resuming exactly after the last message its client saw (R-SESS-9).

use crate::server::auth::OrgAuth;
use crate::server::http::{Failure, Path, Query, Upgrade, upgrade};
use crate::server::hub::Frame;
use crate::server::platform::Platform;
use crate::server::pump::pump;
use axum::extract::State;
use axum::response::Response;
use omnisim_protocol::*;
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::OwnedSemaphorePermit;

/// What a stream replays before its live frames: each stored message with the ids its `message`
/// event carries, taken under the platform's lock (pointers, no text copied), and serialized one
/// frame at a time as the socket takes them, outside the lock, while the stream holds its turn
/// among the replays of its org and of the server.
pub struct Replay {
    messages: std::vec::IntoIter<(Arc<Message>, ChannelId, UserId, Option<AgentId>)>,
    org: OrgId,
    /// Released when the replay has been sent, or the socket has gone.
    _turn: Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)>,
}

impl Iterator for Replay {
    type Item = Frame;

    fn next(&mut self) -> Option<Frame> {
        loop {
            let (message, channel, user, agent) = self.messages.next()?;
            let event = Event::Message {
                org: self.org,
                channel,
                user,
                agent,
                message,
            };
            if let Ok(json) = serde_json::to_string(&event) {
                return Some(json.into());
            }
        }
    }
}

/// The stored messages to replay, with the ids of their sessions (R-SESS-9).
type Stored = Vec<(Arc<Message>, ChannelId, UserId, Option<AgentId>)>;

fn stored(
    engine: &crate::engine::Engine,
    org: OrgId,
    messages: Vec<Arc<Message>>,
) -> Result<Stored, ApiError> {
    messages
        .into_iter()
        .map(|m| {
            let s = engine.session(org, m.session)?;
            Ok((m, s.channel, s.user, s.agent))
        })
        .collect()
}

/// Runs a stream's socket: the replay in its turn, then live frames.
fn serve(
    ws: axum::extract::ws::WebSocketUpgrade,
    p: Platform,
    org: OrgId,
    sub: crate::server::hub::Subscription,
    messages: Stored,
) -> Response {
    ws.on_upgrade(move |socket| async move {
        let turn = if messages.is_empty() {
            None
        } else {
            p.replay_turn(org).await
        };
        let replay = Replay {
            messages: messages.into_iter(),
            org,
            _turn: turn,
        };
        pump(p, socket, sub, replay, |_| None).await
    })
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
    let (sub, messages) = p.subscribe(Audience::Channel(channel), false, |e| match q.after {
        Some(after) => stored(e, org, e.channel_messages_after(org, channel, after)?),
        None => Ok(Vec::new()),
    })?;
    Ok(serve(ws, p, org, sub, messages))
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
    let (sub, messages) = p.subscribe(Audience::User(user), false, |e| match q.session {
        Some(s) => stored(
            e,
            org,
            e.user_messages_after(org, user, SessionId(s), Seq(q.after_seq))?,
        ),
        None => Ok(Vec::new()),
    })?;
    Ok(serve(ws, p, org, sub, messages))
}
