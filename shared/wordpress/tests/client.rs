//! The WordPress client against a local server speaking WordPress's REST wire format:
//! retries (with `Retry-After`), refusals not retried, redirects never followed, every
//! attempt recorded, signed requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use igny8_store::RestStyle;
use igny8_wordpress::{Body, Credentials, RetryPolicy, WpClient, WpError, signature};
use reqwest::Method;
use serde_json::json;

const POLICY: RetryPolicy = RetryPolicy {
    timeout: Duration::from_secs(5),
    retries: 2,
    backoff: Duration::from_millis(10),
    max_backoff: Duration::from_millis(50),
};

/// Serves `answer(n, headers)` for the n-th request (0-based); the base URL.
async fn serve(answer: impl Fn(usize, &HeaderMap) -> Response + Send + Sync + 'static) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let answer = Arc::new(answer);
    let app = Router::new().fallback(any(move |headers: HeaderMap| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let answer = answer.clone();
        async move { answer(n, &headers) }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, calls)
}

fn client(base: &str, credentials: Credentials) -> WpClient {
    WpClient::new(
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        base,
        RestStyle::Pretty,
        credentials,
        POLICY,
    )
}

fn created() -> Response {
    (StatusCode::CREATED, axum::Json(json!({"id": 7, "link": "https://blog/x", "status": "publish"}))).into_response()
}

#[tokio::test]
async fn a_429_is_waited_out_as_retry_after_says() {
    let (base, calls) = serve(|n, _| match n {
        0 => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0")], "slow down").into_response(),
        _ => created(),
    })
    .await;
    let wp = client(&base, Credentials::Anonymous);
    let answer =
        wp.call("create post", Method::POST, "/wp/v2/posts", &[], Body::Json(json!({"title": "x"}))).await.unwrap();
    assert_eq!(answer.body["id"], 7);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let attempts = wp.take_attempts();
    assert_eq!(attempts.iter().map(|a| a.status).collect::<Vec<_>>(), [Some(429), Some(201)]);
    assert!(attempts[0].error.is_some() && attempts[1].error.is_none());
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let (base, calls) = serve(|_, _| (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>").into_response()).await;
    let wp = client(&base, Credentials::Anonymous);
    let error = wp.call("create post", Method::POST, "/wp/v2/posts", &[], Body::Empty).await.unwrap_err();
    assert!(matches!(error, WpError::Status { status: 502, .. }), "{error:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 3, "one try and two retries");
    assert_eq!(wp.take_attempts().len(), 3);
}

#[tokio::test]
async fn refusals_fail_at_once_with_wordpress_words() {
    let (base, calls) = serve(|_, _| {
        let body = json!({"code": "rest_cannot_create", "message": "Sorry, you are not allowed to create posts as this user.", "data": {"status": 403}});
        (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
    })
    .await;
    let wp = client(&base, Credentials::AppPassword { username: "u".into(), password: "p".into() });
    let error = wp.call("create post", Method::POST, "/wp/v2/posts", &[], Body::Empty).await.unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(error.code(), Some("rest_cannot_create"));
    assert!(
        error.reason().contains("not allowed to create posts") && error.reason().contains("Editor"),
        "{}",
        error.reason()
    );
}

#[tokio::test]
async fn redirects_are_reported_never_followed() {
    let (base, calls) = serve(|_, _| {
        (StatusCode::MOVED_PERMANENTLY, [("location", "https://www.blog.example.com/wp-json/wp/v2/posts")])
            .into_response()
    })
    .await;
    let wp = client(&base, Credentials::Anonymous);
    let error = wp.call("create post", Method::POST, "/wp/v2/posts", &[], Body::Json(json!({}))).await.unwrap_err();
    assert!(
        matches!(&error, WpError::Redirected { status: 301, location } if location.contains("www.blog")),
        "{error:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "a redirected POST is not replayed as a GET");
}

#[tokio::test]
async fn signed_requests_carry_a_verifiable_signature() {
    let (base, _) = serve(|_, headers| {
        let timestamp: i64 = headers["x-igny8-timestamp"].to_str().unwrap().parse().unwrap();
        let expected = signature::sign("s3cret", "POST", "/igny8/v1/posts", timestamp, br#"{"title":"x"}"#);
        if headers["x-igny8-signature"].to_str().unwrap() == expected {
            created()
        } else {
            (StatusCode::UNAUTHORIZED, axum::Json(json!({"code": "igny8_bad_signature", "message": "bad"})))
                .into_response()
        }
    })
    .await;
    let wp = client(&base, Credentials::Signed { secret: "s3cret".into() });
    wp.call("publish post", Method::POST, "/igny8/v1/posts", &[], Body::Json(json!({"title": "x"}))).await.unwrap();
    let wrong = client(&base, Credentials::Signed { secret: "other".into() });
    let error = wrong
        .call("publish post", Method::POST, "/igny8/v1/posts", &[], Body::Json(json!({"title": "x"})))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(401));
}

/// A create whose answer is lost (WordPress made the post, then answered 502) is not
/// repeated blindly: the retry finds the post first and updates it.
#[tokio::test]
async fn a_lost_create_is_found_before_it_is_made_again() {
    use igny8_store::{Publication, PublishStatus};
    use igny8_wordpress::{Article, Progress, Seo, Via, publish};

    let made = Arc::new(AtomicUsize::new(0));
    let seen = made.clone();
    let app = Router::new().fallback(any(move |method: Method, uri: axum::http::Uri| {
        let made = seen.clone();
        async move {
            let path = uri.query().map(|q| format!("{}?{q}", uri.path())).unwrap_or_else(|| uri.path().to_owned());
            let post = json!({"id": 7, "link": "https://blog/p", "status": "publish", "title": {"raw": "T"}, "meta": {"_igny8_content_id": "cnt_1"}});
            match (method.as_str(), path.as_str()) {
                ("GET", p) if p.starts_with("/wp-json/wp/v2/posts") => {
                    // The post is there once the create went through.
                    let found = if made.load(Ordering::SeqCst) > 0 { json!([post]) } else { json!([]) };
                    axum::Json(found).into_response()
                }
                ("POST", "/wp-json/wp/v2/posts") => {
                    made.fetch_add(1, Ordering::SeqCst);
                    (StatusCode::BAD_GATEWAY, "<html>gateway</html>").into_response()
                }
                ("POST", "/wp-json/wp/v2/posts/7") => axum::Json(post).into_response(),
                _ => (StatusCode::NOT_FOUND, axum::Json(json!({"code": "rest_no_route", "message": "no"}))).into_response(),
            }
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    struct Nowhere;
    impl Progress for Nowhere {
        async fn save(&self, _: &Publication) -> Result<(), String> {
            Ok(())
        }
    }
    let article = Article {
        content_id: "cnt_1".into(),
        task_id: None,
        title: "T".into(),
        html: "<p>x</p>".into(),
        excerpt: String::new(),
        slug: "t".into(),
        status: PublishStatus::Publish,
        date_gmt: None,
        author: None,
        categories: vec![],
        tags: vec![],
        seo: Seo::default(),
        images: vec![],
    };
    let wp = client(&base, Credentials::AppPassword { username: "u".into(), password: "p".into() });
    let mut publication = Publication::new(&"acc_1".into(), &"site_1".into(), &"cnt_1".into());
    let published = publish::publish(&wp, Via::CoreRest, &article, &mut publication, &Nowhere).await.unwrap();
    assert_eq!(published.post_id, 7);
    assert_eq!(made.load(Ordering::SeqCst), 1, "created once, found, not created again");
}
