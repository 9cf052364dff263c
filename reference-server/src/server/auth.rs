//! Who a request acts as (R-SEC-1): the server admin, an org, or an agent.
//!
//! [`Admin`] and [`OrgAuth`] are extractors that handlers take before anything else of the
//! request, so the caller is judged first (protocol.md §8, error precedence): an anonymous or
//! wrong caller gets 401 whatever its path ids, query or body, and learns nothing of their shapes.

use super::http::{Failure, bearer, fail};
use super::platform::Platform;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use omnisim_protocol::{AgentId, ErrorCode, OrgId};

fn unauthorized() -> Failure {
    fail(ErrorCode::Unauthorized, "missing or wrong bearer token")
}

/// A request made with the server's admin token (creating orgs).
pub struct Admin;

impl FromRequestParts<Platform> for Admin {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, p: &Platform) -> Result<Admin, Failure> {
        match bearer(&parts.headers) {
            Some(t) if t == p.settings().admin_token => Ok(Admin),
            _ => Err(unauthorized()),
        }
    }
}

/// The org a request acts for: its token's org, which must be the `{org}` of the path. Another
/// org's path, or one that is not an id, reads as absent (404).
pub struct OrgAuth(pub OrgId);

impl FromRequestParts<Platform> for OrgAuth {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, p: &Platform) -> Result<OrgAuth, Failure> {
        let token = bearer(&parts.headers).ok_or_else(unauthorized)?;
        let org = p
            .read(|e| e.authenticate_org(token))
            .ok_or_else(unauthorized)?;
        let params = RawPathParams::from_request_parts(parts, p)
            .await
            .map_err(|r| fail(ErrorCode::NotFound, r.body_text()))?;
        let path_org = params
            .iter()
            .find(|(name, _)| *name == "org")
            .map(|(_, value)| value)
            .unwrap_or_default();
        if path_org.parse::<u64>().ok() != Some(org.0) {
            return Err(fail(
                ErrorCode::NotFound,
                format!("org:{path_org} not found"),
            ));
        }
        Ok(OrgAuth(org))
    }
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
