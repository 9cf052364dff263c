//! Errors: a stable code per failure, mapped to one HTTP status, sent as `{code, message}`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Every error a compatible server returns, by its wire code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Missing or wrong token (R-SEC-1).
    Unauthorized,
    /// Acting on work or a session the caller does not hold (R-SEC-2).
    Forbidden,
    /// Unknown id, or another org's (R-SEC-1).
    NotFound,
    /// The body is not JSON, or not the expected shape (R-SEC-4).
    InvalidJson,
    /// The body is over the size limit (R-SEC-4).
    PayloadTooLarge,
    /// A field is out of its allowed range, or fields contradict each other (R-SEC-4).
    InvalidInput,
    /// A text is over [`crate::limits::MAX_TEXT_BYTES`] (R-SEC-4).
    TextTooLong,
    ChannelTypeImmutable,
    ComponentsUnsupported,
    InvalidComponentResponse,
    SessionEnded,
    InactiveUnsupported,
    ConsentRequired,
    OutsideServiceWindow,
    SessionOwnedByOtherAgent,
    /// Outbound to a user whose open session a bot or a queue holds.
    SessionInProgress,
    /// Transfer back to a bot after a bot handoff (R-ROUTE-9).
    TransferToBotRejected,
    /// Accept or decline of work that is not (or no longer) offered to this agent.
    WorkNotOffered,
    /// The session is not in a state that allows this action.
    InvalidState,
    /// Unknown path.
    RouteNotFound,
    /// Known path, unsupported method.
    MethodNotAllowed,
    /// A socket route requested without a WebSocket upgrade.
    UpgradeRequired,
    /// A body sent with a Content-Type other than `application/json` (R-SEC-4).
    UnsupportedMediaType,
    /// A body that did not arrive within the server's body timeout (R-SEC-4).
    RequestTimeout,
    /// A session ended longer ago than the server's retention period, forgotten (R-SESS-10).
    SessionExpired,
    /// Pre-chat fields on a channel without a pre-chat form, or after a session's first
    /// message (R-FLOW-6).
    PrechatFieldsUnsupported,
    /// The server failed; a bug.
    Internal,
}

impl ErrorCode {
    /// The HTTP status this code travels with.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidJson => 400,
            Unauthorized => 401,
            Forbidden | ConsentRequired => 403,
            NotFound | RouteNotFound => 404,
            ChannelTypeImmutable
            | SessionEnded
            | InactiveUnsupported
            | OutsideServiceWindow
            | SessionOwnedByOtherAgent
            | SessionInProgress
            | TransferToBotRejected
            | WorkNotOffered
            | InvalidState => 409,
            MethodNotAllowed => 405,
            SessionExpired => 410,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            RequestTimeout => 408,
            UpgradeRequired => 426,
            InvalidInput
            | TextTooLong
            | ComponentsUnsupported
            | InvalidComponentResponse
            | PrechatFieldsUnsupported => 422,
            Internal => 500,
        }
    }

    /// The wire spelling, e.g. `session_ended`.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            Unauthorized => "unauthorized",
            Forbidden => "forbidden",
            NotFound => "not_found",
            InvalidJson => "invalid_json",
            PayloadTooLarge => "payload_too_large",
            InvalidInput => "invalid_input",
            TextTooLong => "text_too_long",
            ChannelTypeImmutable => "channel_type_immutable",
            ComponentsUnsupported => "components_unsupported",
            InvalidComponentResponse => "invalid_component_response",
            SessionEnded => "session_ended",
            InactiveUnsupported => "inactive_unsupported",
            ConsentRequired => "consent_required",
            OutsideServiceWindow => "outside_service_window",
            SessionOwnedByOtherAgent => "session_owned_by_other_agent",
            SessionInProgress => "session_in_progress",
            TransferToBotRejected => "transfer_to_bot_rejected",
            WorkNotOffered => "work_not_offered",
            InvalidState => "invalid_state",
            RouteNotFound => "route_not_found",
            MethodNotAllowed => "method_not_allowed",
            UpgradeRequired => "upgrade_required",
            UnsupportedMediaType => "unsupported_media_type",
            RequestTimeout => "request_timeout",
            PrechatFieldsUnsupported => "prechat_fields_unsupported",
            SessionExpired => "session_expired",
            Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON body of every error response: `{"code": "...", "message": "..."}`.
#[derive(
    Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, schemars::JsonSchema,
)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    /// A human-readable explanation naming the field or id at fault.
    pub message: String,
}

impl ApiError {
    /// An error with `code` and an explanation.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }
}
