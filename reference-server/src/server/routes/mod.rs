//! The HTTP routes of protocol v1, one file per group: setup, ingress (provider webhooks and
//! outbound), read-back, streams (provider and customer sockets), the agent socket, operations.

pub mod agent_socket;
pub mod ingress;
pub mod ops;
pub mod read;
pub mod setup;
pub mod streams;

use super::http::{Failure, fail};
use super::platform::Platform;
use crate::engine::{Command, OrgCommand, Reply};
use axum::http::HeaderMap;
use omnisim_protocol::ErrorCode;

/// Authenticates the org and applies one of its commands.
pub(crate) fn apply_org(
    platform: &Platform,
    headers: &HeaderMap,
    org: u64,
    command: OrgCommand,
) -> Result<Reply, Failure> {
    let org = super::auth::org(platform, headers, org)?;
    Ok(platform.apply(Command::Org { org, command })?)
}

/// A reply of the wrong kind: a bug in the server, reported as 500.
pub(crate) fn unexpected(reply: Reply) -> Failure {
    fail(
        ErrorCode::Internal,
        format!("unexpected engine reply {reply:?}"),
    )
}
