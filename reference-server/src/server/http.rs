//! HTTP glue: errors as `{code, message}` with their status, and extractors whose failures are
//! protocol errors rather than axum's plain-text rejections (R-SEC-4).

use super::platform::Platform;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use omnisim_protocol::limits::MAX_BODY_BYTES;
use omnisim_protocol::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;

/// A failed request, answered with the error's status and JSON body.
#[derive(Debug)]
pub struct Failure(pub ApiError);

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        Failure(e)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(self.0)).into_response()
    }
}

/// Shorthand for a failure with `code`.
pub fn fail(code: ErrorCode, message: impl Into<String>) -> Failure {
    Failure(ApiError::new(code, message))
}

/// A JSON body: a Content-Type other than `application/json` is 415 `unsupported_media_type` (none
/// at all is taken as JSON); a body over the limit, declared or sent, is 413
/// `payload_too_large`; bad JSON, wrong types, unknown fields or enum values are 400
/// `invalid_json`.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Platform> for Json<T> {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &Platform) -> Result<Self, Failure> {
        // Judged on the headers, before the body is read (or a 100 Continue is sent for it).
        let headers = req.headers();
        if let Some(kind) = headers.get(axum::http::header::CONTENT_TYPE) {
            let kind = kind.to_str().unwrap_or_default();
            let essence = kind.split(';').next().unwrap_or_default().trim();
            if !essence.eq_ignore_ascii_case("application/json") {
                return Err(fail(
                    ErrorCode::UnsupportedMediaType,
                    format!("bodies are application/json, not '{kind}'"),
                ));
            }
        }
        let declared = headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Err(fail(
                ErrorCode::PayloadTooLarge,
                "Content-Length is over the size limit",
            ));
        }
        // A body that trickles in, or never ends, holds the connection no longer than this.
        let timeout = state.settings().body_timeout;
        let read = tokio::time::timeout(timeout, axum::body::Bytes::from_request(req, state));
        let bytes = read
            .await
            .map_err(|_| {
                fail(
                    ErrorCode::RequestTimeout,
                    format!("the body did not arrive within {} s", timeout.as_secs_f64()),
                )
            })?
            .map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    fail(
                        ErrorCode::PayloadTooLarge,
                        "request body is over the size limit",
                    )
                } else {
                    fail(ErrorCode::InvalidJson, r.body_text())
                }
            })?;
        serde_json::from_slice(&bytes)
            .map(Json)
            .map_err(|e| fail(ErrorCode::InvalidJson, e.to_string()))
    }
}

/// Path parameters: an id that does not parse names nothing, so it is 404 `not_found`.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|r| fail(ErrorCode::NotFound, r.body_text()))
    }
}

/// Query parameters: malformed ones are 422 `invalid_input`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|r| fail(ErrorCode::InvalidInput, r.body_text()))
    }
}

/// A WebSocket upgrade, taken as a `Result` so that the caller authenticates before it looks at
/// the upgrade; a plain request gets 426 `upgrade_required`.
pub type Upgrade = Result<
    axum::extract::ws::WebSocketUpgrade,
    axum::extract::ws::rejection::WebSocketUpgradeRejection,
>;

/// The upgrade of an [`Upgrade`], or the error for a request that is not one. Buffers are sized
/// for this protocol's small frames rather than the library's 128 KiB defaults, which would cost
/// that much per idle socket; client frames are capped at the request body limit (R-SEC-4).
pub fn upgrade(ws: Upgrade) -> Result<axum::extract::ws::WebSocketUpgrade, Failure> {
    let ws = ws.map_err(|r| fail(ErrorCode::UpgradeRequired, r.body_text()))?;
    Ok(ws
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_message_size(MAX_BODY_BYTES)
        .max_frame_size(MAX_BODY_BYTES))
}

/// The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive
/// (RFC 9110 §11.1).
pub fn bearer(parts: &axum::http::HeaderMap) -> Option<&str> {
    let value = parts
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// Unknown paths.
pub async fn route_not_found() -> Failure {
    fail(ErrorCode::RouteNotFound, "no such route")
}

/// Known paths, wrong method.
pub async fn method_not_allowed() -> Failure {
    fail(
        ErrorCode::MethodNotAllowed,
        "method not allowed on this route",
    )
}
