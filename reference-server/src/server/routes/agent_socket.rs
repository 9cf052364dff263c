//! The agent connection (protocol.md §5): one socket per agent, a hello with the agent's live
//! work, then offers and messages pushed, requests answered in order.

use crate::engine::{Command, Reply};
use crate::server::auth;
use crate::server::http::{Failure, Query, Upgrade, upgrade};
use crate::server::hub::Frame;
use crate::server::platform::{Platform, internal};
use crate::server::pump::pump;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use omnisim_protocol::*;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// `GET /v1/agent`: the agent's socket. A second connection for the same agent replaces the first.
pub async fn agent_socket(
    State(p): State<Platform>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    ws: Upgrade,
) -> Result<Response, Failure> {
    let agent = auth::agent(&p, &headers, q.token.as_deref())?;
    let ws = upgrade(ws)?;
    let (sub, hello) = p.subscribe(Audience::Agent(agent), true, |e| {
        let org = e
            .org_of_agent(agent)
            .ok_or_else(|| internal("agent without org"))?;
        let hello = AgentHello {
            agent: e.agent(org, agent)?,
            work: e.agent_live_work(org, agent)?,
        };
        serde_json::to_string(&hello)
            .map(Frame::from)
            .map_err(|e| internal(e.to_string()))
    })?;
    let platform = p.clone();
    Ok(ws.on_upgrade(move |socket| {
        pump(p, socket, sub, std::iter::once(hello), move |text| {
            Some(answer(&platform, agent, text))
        })
    }))
}

/// Applies one request frame and serializes its reply. A frame that does not parse gets an
/// `invalid_json` reply (with its id when one can be read) and the socket stays open (R-SEC-4).
fn answer(platform: &Platform, agent: AgentId, text: &str) -> Frame {
    let reply = match serde_json::from_str::<AgentFrame>(text) {
        Ok(frame) => {
            let result = platform.apply(Command::Agent {
                agent,
                request: frame.request,
            });
            match result {
                Ok(Reply::Message(m)) => AgentReply {
                    id: frame.id,
                    message: Some(m),
                    error: None,
                },
                Ok(_) => AgentReply {
                    id: frame.id,
                    message: None,
                    error: None,
                },
                Err(e) => AgentReply {
                    id: frame.id,
                    message: None,
                    error: Some(e),
                },
            }
        }
        Err(e) => {
            let id = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("id")?.as_u64())
                .unwrap_or(0);
            let error = ApiError::new(ErrorCode::InvalidJson, e.to_string());
            AgentReply {
                id,
                message: None,
                error: Some(error),
            }
        }
    };
    serde_json::to_string(&reply).unwrap_or_default().into()
}
