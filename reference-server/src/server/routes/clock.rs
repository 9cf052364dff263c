//! An org's clock (protocol.md §4.7): read by the org, advanced by the server admin on a server
//! started with manual clocks, so that conformance cases hit every timer to the millisecond.

use crate::server::auth::{Admin, OrgAuth};
use crate::server::http::{Failure, Json, Path};
use crate::server::platform::Platform;
use axum::extract::State;
use omnisim_protocol::{AdvanceClock, ClockReading, OrgId};

/// `GET /v1/orgs/{org}/clock`: the org's time now.
pub async fn read_clock(
    State(p): State<Platform>,
    OrgAuth(org): OrgAuth,
) -> Result<axum::Json<ClockReading>, Failure> {
    Ok(axum::Json(ClockReading { now: p.clock(org)? }))
}

/// `POST /v1/orgs/{org}/clock` with the admin token: moves the org's manual clock forward and
/// fires its timers due by then.
pub async fn advance_clock(
    State(p): State<Platform>,
    _: Admin,
    Path(org): Path<u64>,
    Json(body): Json<AdvanceClock>,
) -> Result<axum::Json<ClockReading>, Failure> {
    let now = p.advance_clock(OrgId(org), body.advance_ms)?;
    Ok(axum::Json(ClockReading { now }))
}
