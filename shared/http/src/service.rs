use std::any::Any;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use http::{HeaderName, HeaderValue, Method, StatusCode, header};
use tower::Layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, Any as AnyOrigin, CorsLayer};
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};

use crate::error::ApiError;
use crate::request_id::{REQUEST_ID_HEADER, request_id_middleware};

/// Default JSON body limit. Routes that take files set their own.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// A finished HTTP function: routes with conventions, tolerant of a trailing slash
/// (`/auth/me` and `/auth/me/` are the same route).
pub type HttpService = NormalizePath<Router>;

/// Wraps a function's routes with the conventions every function shares: envelopes for
/// unknown routes, wrong methods and panics; a request id on every response; the body
/// limit; CORS for the web app.
pub fn with_conventions(routes: Router) -> Router {
    routes
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::map_response(envelope_rejections))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(store_cost))
        .layer(cors_from_env())
        .layer(middleware::from_fn(request_id_middleware))
}

/// What the store did for the request, logged and told in `Server-Timing`
/// (`store;dur=<ms>, items;desc=<n>, bytes;desc=<n>`): the request's own time is the
/// rest, and tests can hold a page to its read cost.
async fn store_cost(request: axum::extract::Request, next: middleware::Next) -> Response {
    let path = request.uri().path().to_owned();
    let (mut response, cost) = igny8_store::metering::metered(next.run(request)).await;
    tracing::info!(
        path,
        status = response.status().as_u16(),
        items_read = cost.items,
        bytes_read = cost.bytes,
        store_calls = cost.calls,
        store_ms = cost.millis,
        "request served"
    );
    let timing = format!("store;dur={:.1}, items;desc={}, bytes;desc={}", cost.millis, cost.items, cost.bytes);
    if let Ok(value) = HeaderValue::from_str(&timing) {
        response.headers_mut().insert(HeaderName::from_static("server-timing"), value);
    }
    response
}

/// axum's own extractors (a path segment that is not a number, say) answer plain text;
/// every answer of the API is an envelope, so their message is put in one.
async fn envelope_rejections(response: Response) -> Response {
    let plain_text =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if !response.status().is_client_error() || !plain_text {
        return response;
    }
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 4096).await.unwrap_or_default();
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
        _ => "BAD_REQUEST",
    };
    ApiError::new(status, code, String::from_utf8_lossy(&bytes).trim().to_owned()).into_response()
}

/// The service Lambda (and the local gateway) runs: `with_conventions` + path normalising,
/// which must sit outside the router because it changes what the router matches.
pub fn into_service(routes: Router) -> HttpService {
    NormalizePathLayer::trim_trailing_slash().layer(with_conventions(routes))
}

async fn unknown_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "No such endpoint.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "Method not allowed on this endpoint.")
}

fn panic_response(detail: Box<dyn Any + Send + 'static>) -> Response {
    let text = detail
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| detail.downcast_ref::<&str>().copied())
        .unwrap_or("panic");
    ApiError::internal(format_args!("handler panicked: {text}")).into_response()
}

/// `CORS_ALLOWED_ORIGINS`: comma-separated origins of the web app; unset or `*` allows
/// any origin. Credentials (cookies) are never allowed: the API uses bearer tokens.
fn cors_from_env() -> CorsLayer {
    let origins = std::env::var("CORS_ALLOWED_ORIGINS").unwrap_or_default();
    let allow_origin = if origins.trim().is_empty() || origins.trim() == "*" {
        AllowOrigin::from(AnyOrigin)
    } else {
        AllowOrigin::list(origins.split(',').filter_map(|o| HeaderValue::from_str(o.trim()).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static(REQUEST_ID_HEADER),
            HeaderName::from_static("x-igny8-api-key"),
        ])
        .expose_headers([HeaderName::from_static(REQUEST_ID_HEADER), HeaderName::from_static("server-timing")])
        .max_age(std::time::Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::routing::get;
    use http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    async fn number(axum::extract::Path(n): axum::extract::Path<u32>) -> String {
        n.to_string()
    }

    async fn boom() -> &'static str {
        panic!("secret detail")
    }

    async fn call(request: Request<Body>) -> (StatusCode, http::HeaderMap, serde_json::Value) {
        let routes = Router::new()
            .route("/ok", get(|| async { crate::Success::ok(serde_json::json!({"fine": true})) }))
            .route("/boom", get(boom))
            .route("/number/{n}", get(number));
        let response = into_service(routes).oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn unknown_routes_and_methods_answer_envelopes() {
        let (status, _, body) = call(Request::get("/nope").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["success"], false);
        assert_eq!(body["error_code"], "NOT_FOUND");

        let (status, _, body) = call(Request::post("/ok").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["error_code"], "METHOD_NOT_ALLOWED");
    }

    #[tokio::test]
    async fn request_id_is_echoed_in_header_and_body_and_trailing_slash_is_tolerated() {
        let request = Request::get("/ok/").header("x-request-id", "abc-1").body(Body::empty()).unwrap();
        let (status, headers, body) = call(request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["x-request-id"], "abc-1");
        assert_eq!(body["request_id"], "abc-1");
        assert_eq!(body["data"]["fine"], true);
    }

    #[tokio::test]
    async fn extractor_rejections_are_envelopes() {
        let (status, _, body) = call(Request::get("/number/-1").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error_code"], "BAD_REQUEST");
        assert!(body["error"].as_str().unwrap().contains("-1"), "{body}");
        assert!(body["request_id"].is_string());
    }

    #[tokio::test]
    async fn a_panic_is_a_500_envelope_without_the_detail() {
        let (status, headers, body) = call(Request::get("/boom").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains("secret detail"));
        assert_eq!(body["request_id"], headers["x-request-id"].to_str().unwrap());
    }
}
