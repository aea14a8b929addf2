//! The HTTP conventions of `docs/product.md §3`, shared by every HTTP function: the
//! success, list and error envelopes, request ids, validated JSON and query input, and the
//! router wrapping (fallbacks, CORS, body limit, panic guard, trailing-slash tolerance).

mod envelope;
mod error;
mod input;
pub mod listing;
pub mod openapi;
mod pagination;
mod request_id;
mod retry_after;
mod service;
mod store_errors;
mod telemetry;
pub mod validate;

pub use envelope::{Deleted, Success, now_rfc3339};
pub use error::{ApiError, ApiResult, FieldErrors};
pub use input::{JsonBody, QueryParams, parse_json, parse_query, validation_messages};
pub use listing::{Ordering, matches_search};
pub use openapi::ApiRouter;
pub use pagination::{ListResponse, PageParams, page_link};
pub use request_id::{REQUEST_ID_HEADER, current_request_id};
pub use retry_after::retry_after;
pub use service::{BODY_LIMIT_BYTES, HttpService, into_service, with_conventions};
pub use store_errors::conflict_error;
pub use telemetry::init_lambda_tracing;
pub use validate::{not_blank, nullable};

/// What [`routes!`] expands to needs; not for use elsewhere.
#[doc(hidden)]
pub mod __private {
    pub use axum::routing::MethodRouter;
    pub use utoipa::openapi::path::Paths;
    pub use utoipa_axum;
    pub use utoipa_axum::PathItemExt;
}
