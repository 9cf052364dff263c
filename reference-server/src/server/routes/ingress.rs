//! What enters and leaves through a channel: provider webhooks, org-triggered outbound, consent.

use super::{apply_org, unexpected};
use crate::engine::{OrgCommand, Reply};
use crate::server::auth::OrgAuth;
use crate::server::http::{Failure, Json, Path};
use crate::server::platform::Platform;
use axum::extract::State;
use axum::http::StatusCode;
use omnisim_protocol::{
    ChannelId, ConsentRequest, InboundAccepted, InboundRequest, MessageAccepted, MessagingUser,
    TriggeredOutboundRequest,
};

/// A provider webhook delivery (R-SESS-1, R-SESS-3).
pub async fn inbound(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, channel)): Path<(u64, u64)>,
    Json(req): Json<InboundRequest>,
) -> Result<axum::Json<InboundAccepted>, Failure> {
    match apply_org(&p, org, OrgCommand::Inbound(ChannelId(channel), req))? {
        Reply::Inbound(a) => Ok(axum::Json(a)),
        other => Err(unexpected(other)),
    }
}

/// An org-triggered outbound message (R-OUT-1, R-OUT-2, R-OUT-4).
pub async fn outbound(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, channel)): Path<(u64, u64)>,
    Json(req): Json<TriggeredOutboundRequest>,
) -> Result<(StatusCode, axum::Json<MessageAccepted>), Failure> {
    match apply_org(
        &p,
        org,
        OrgCommand::TriggeredOutbound(ChannelId(channel), req),
    )? {
        Reply::Message(m) => Ok((StatusCode::CREATED, axum::Json(m))),
        other => Err(unexpected(other)),
    }
}

/// Consent gathered elsewhere (R-OUT-2).
pub async fn consent(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
    Path((_, channel)): Path<(u64, u64)>,
    Json(req): Json<ConsentRequest>,
) -> Result<axum::Json<MessagingUser>, Failure> {
    match apply_org(&p, org, OrgCommand::SetConsent(ChannelId(channel), req))? {
        Reply::User(u) => Ok(axum::Json(u)),
        other => Err(unexpected(other)),
    }
}
