use std::collections::BTreeMap;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::envelope::now_rfc3339;
use crate::request_id::current_request_id;

/// Field name → messages, as in `{"errors": {"email": ["Enter a valid email address."]}}`.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

pub type ApiResult<T> = Result<T, ApiError>;

/// Every failure a handler can answer with. Rendered as the error envelope; a 5xx never
/// carries internal detail (that goes to the log with the same request id).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub errors: FieldErrors,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), errors: FieldErrors::new(), retry_after_secs: None }
    }

    /// 400 with field errors.
    pub fn validation(errors: FieldErrors) -> Self {
        let mut err = Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", "Invalid input.");
        err.errors = errors;
        err
    }

    /// 400 with one field error.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.into(), vec![message.into()]);
        Self::validation(errors)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }

    pub fn plan_limit(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "PLAN_LIMIT", message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", format!("{what} not found."))
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn payload_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "Request body is too large.")
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        let mut err = Self::new(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", message);
        err.retry_after_secs = Some(1);
        err
    }

    /// 500. `detail` is logged, never sent.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(request_id = %current_request_id(), error = %detail, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "Internal server error.")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[derive(Serialize)]
struct ErrorBody<'a> {
    success: bool,
    error: &'a str,
    error_code: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    errors: &'a FieldErrors,
    request_id: String,
    timestamp: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            success: false,
            error: &self.message,
            error_code: self.code,
            errors: &self.errors,
            request_id: current_request_id(),
            timestamp: now_rfc3339(),
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
