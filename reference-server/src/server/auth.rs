//! Who a request acts as (R-SEC-1): the server admin, an org, or an agent.

use super::http::{Failure, bearer, fail};
use super::platform::Platform;
use axum::http::HeaderMap;
use omnisim_protocol::{AgentId, ErrorCode, OrgId};

fn unauthorized() -> Failure {
    fail(ErrorCode::Unauthorized, "missing or wrong bearer token")
}

/// The server admin token, for creating orgs.
pub fn admin(platform: &Platform, headers: &HeaderMap) -> Result<(), Failure> {
    match bearer(headers) {
        Some(t) if t == platform.settings().admin_token => Ok(()),
        _ => Err(unauthorized()),
    }
}

/// The org the token belongs to, which must be the org the path names; another org's path reads
/// as absent.
pub fn org(platform: &Platform, headers: &HeaderMap, path_org: u64) -> Result<OrgId, Failure> {
    let token = bearer(headers).ok_or_else(unauthorized)?;
    let org = platform
        .read(|e| e.authenticate_org(token))
        .ok_or_else(unauthorized)?;
    if org.0 != path_org {
        return Err(fail(
            ErrorCode::NotFound,
            format!("org:{path_org} not found"),
        ));
    }
    Ok(org)
}

/// The agent a token (header, or `token` query parameter for clients that cannot set headers on
/// a WebSocket) belongs to.
pub fn agent(
    platform: &Platform,
    headers: &HeaderMap,
    query_token: Option<&str>,
) -> Result<AgentId, Failure> {
    let token = bearer(headers).or(query_token).ok_or_else(unauthorized)?;
    platform
        .read(|e| e.authenticate_agent(token))
        .ok_or_else(unauthorized)
}
