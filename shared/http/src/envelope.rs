use axum::Json;
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use http::StatusCode;
use serde::Serialize;

use crate::request_id::current_request_id;

pub fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `{"success": true, "data": ..., "message": ..., "request_id": ..., "timestamp": ...}`
#[derive(Debug)]
pub struct Success<T> {
    status: StatusCode,
    data: T,
    message: Option<String>,
}

impl<T: Serialize> Success<T> {
    pub fn ok(data: T) -> Self {
        Self { status: StatusCode::OK, data, message: None }
    }

    pub fn created(data: T) -> Self {
        Self { status: StatusCode::CREATED, data, message: None }
    }

    pub fn accepted(data: T) -> Self {
        Self { status: StatusCode::ACCEPTED, data, message: None }
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

#[derive(Serialize)]
struct SuccessBody<'a, T> {
    success: bool,
    data: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    request_id: String,
    timestamp: String,
}

impl<T: Serialize> IntoResponse for Success<T> {
    fn into_response(self) -> Response {
        let body = SuccessBody {
            success: true,
            data: &self.data,
            message: self.message.as_deref(),
            request_id: current_request_id(),
            timestamp: now_rfc3339(),
        };
        (self.status, Json(body)).into_response()
    }
}

/// What deleting one object answers: `{"id": …, "deleted": true}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deleted {
    pub id: String,
    /// Always true.
    pub deleted: bool,
}

impl Deleted {
    pub fn of(id: impl Into<String>) -> Self {
        Self { id: id.into(), deleted: true }
    }
}
