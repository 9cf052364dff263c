//! Shorthands for the errors the engine returns; all are [`ApiError`]s with a wire code.

use omnisim_protocol::{ApiError, ErrorCode};
use std::fmt::Display;

/// 404 for an id this org does not have (R-SEC-1).
pub fn not_found(what: impl Display) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
}

/// 422 for a field out of range.
pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, message)
}

/// 409 for an action the current state does not allow.
pub fn invalid_state(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidState, message)
}

/// Any other code with its explanation.
pub fn error(code: ErrorCode, message: impl Into<String>) -> ApiError {
    ApiError::new(code, message)
}
