//! The API's contract, served without authentication: the OpenAPI document
//! (`/api/v1/schema`) and an interactive page that reads it (`/api/v1/docs`).
//!
//! The document is `docs/openapi.json`, generated from every function's routes and kept
//! equal to them by the test suite (`docs/api-contract.md`): embedding the file keeps the
//! other functions' handlers out of this binary. The page's assets (Swagger UI) ship in
//! the binary too, so it needs no CDN and the build downloads nothing.

use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

const DOCUMENT: &str = include_str!("../../../docs/openapi.json");
const PAGE: &str = include_str!("../assets/docs.html");
const START_JS: &str = include_str!("../assets/docs-start.js");
const SWAGGER_JS: &str = include_str!("../assets/swagger-ui/swagger-ui-bundle.js");
const SWAGGER_CSS: &str = include_str!("../assets/swagger-ui/swagger-ui.css");

/// The page loads only its own scripts; Swagger UI styles elements inline and shows
/// its logo as a data URL.
const PAGE_POLICY: &str =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(CONTENT_TYPE, content_type), (CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

#[utoipa::path(get, path = "/api/v1/schema", tag = "system", security(()),
    responses((status = 200, description = "This document (OpenAPI 3.1).", content_type = "application/json", body = Object)))]
pub async fn schema() -> Response {
    asset("application/json", DOCUMENT)
}

#[utoipa::path(get, path = "/api/v1/docs", tag = "system", security(()),
    responses((status = 200, description = "The interactive API page.", content_type = "text/html", body = String)))]
pub async fn page() -> Response {
    let mut response = asset("text/html; charset=utf-8", PAGE);
    response.headers_mut().insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
    response
}

#[utoipa::path(get, path = "/api/v1/docs/start.js", tag = "system", security(()),
    responses((status = 200, description = "The page's start script.", content_type = "text/javascript", body = String)))]
pub async fn start_js() -> Response {
    asset("text/javascript; charset=utf-8", START_JS)
}

#[utoipa::path(get, path = "/api/v1/docs/swagger-ui-bundle.js", tag = "system", security(()),
    responses((status = 200, description = "Swagger UI.", content_type = "text/javascript", body = String)))]
pub async fn swagger_js() -> Response {
    asset("text/javascript; charset=utf-8", SWAGGER_JS)
}

#[utoipa::path(get, path = "/api/v1/docs/swagger-ui.css", tag = "system", security(()),
    responses((status = 200, description = "Swagger UI's styles.", content_type = "text/css", body = String)))]
pub async fn swagger_css() -> Response {
    asset("text/css; charset=utf-8", SWAGGER_CSS)
}
