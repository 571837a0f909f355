//! HTTP errors of the relay's own routes. Never leaks internals: details go to the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answered to an HTTP request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Unknown session, or a wrong or missing token.
    #[error("{}", app::api::INVALID_LINK)]
    InvalidLink,
    /// A browser WebSocket from an origin other than the public URL.
    #[error("This origin may not connect to Tandem.")]
    ForbiddenOrigin,
    /// The store failed.
    #[error("storage failed")]
    Store(#[from] crate::store::StoreError),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match &self {
            AppError::InvalidLink => StatusCode::NOT_FOUND,
            AppError::ForbiddenOrigin => StatusCode::FORBIDDEN,
            AppError::Store(e) => {
                tracing::error!(error = %e, "store error");
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        let body = match self {
            AppError::Store(_) => "Tandem cannot reach its storage right now. Please try again.".to_string(),
            other => other.to_string(),
        };
        (status, body).into_response()
    }
}
