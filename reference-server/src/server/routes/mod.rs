//! The HTTP routes of protocol v1, one file per group: setup, ingress (provider webhooks and
//! outbound), read-back, streams (provider and customer sockets), the agent socket, operations,
//! and the orgs' manual clocks.

pub mod agent_socket;
pub mod clock;
pub mod ingress;
pub mod ops;
pub mod read;
pub mod setup;
pub mod streams;

use super::http::{Failure, fail};
use super::platform::Platform;
use crate::engine::{Command, OrgCommand, Reply};
use omnisim_protocol::{ErrorCode, OrgId};

/// Applies one of an authenticated org's commands.
pub(crate) fn apply_org(
    platform: &Platform,
    org: OrgId,
    command: OrgCommand,
) -> Result<Reply, Failure> {
    Ok(platform.apply(Command::Org { org, command })?)
}

/// A reply of the wrong kind: a bug in the server, reported as 500.
pub(crate) fn unexpected(reply: Reply) -> Failure {
    fail(
        ErrorCode::Internal,
        format!("unexpected engine reply {reply:?}"),
    )
}
