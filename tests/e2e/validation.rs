//! Bad input: 400 with field errors (413 for oversized bodies, 415 for non-JSON), and
//! envelopes for everything, including unknown routes and wrong methods.

use igny8_e2e::{Auth, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

async fn register(app: &TestApp, body: Value) -> igny8_e2e::Reply {
    app.post_anonymous("/api/v1/auth/register/", body).await
}

#[tokio::test]
async fn registration_input_is_checked_field_by_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({"email": "not-an-email", "password": "long enough", "account_name": "A"}), "email"),
        (json!({"email": "a@example.com", "password": "short", "account_name": "A"}), "password"),
        (json!({"email": "a@example.com", "password": "long enough", "account_name": "   "}), "account_name"),
        (json!({"email": "a@example.com", "password": "long enough"}), "account_name"),
        (json!({"password": "long enough", "account_name": "A"}), "email"),
        (json!({"email": 42, "password": "long enough", "account_name": "A"}), "email"),
        (json!({"email": "a@example.com", "password": ["x"], "account_name": "A"}), "password"),
    ];
    for (body, field) in cases {
        let reply = register(&app, body.clone()).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert_eq!(reply.code(), "VALIDATION_ERROR");
        assert!(reply.body["errors"][field].is_array(), "{body}: expected an error on {field}: {}", reply.body);
    }
    let reply = register(&app, json!([1, 2])).await.expect(400);
    assert!(reply.body["errors"]["body"].is_array());
    // Nothing was stored by any of them.
    assert_eq!(app.count_kind("account").await, 0);
}

#[tokio::test]
async fn malformed_oversized_and_non_json_bodies() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/auth/login/", app.base);

    let reply = client.post(&url).header("content-type", "application/json").body("{\"email\": ").send().await.unwrap();
    assert_eq!(reply.status(), 400);
    let body: Value = reply.json().await.unwrap();
    assert!(body["errors"]["body"].is_array());

    let huge = json!({"email": "a@example.com", "password": "x".repeat(2 * 1024 * 1024)});
    let reply = client.post(&url).json(&huge).send().await.unwrap();
    assert_eq!(reply.status(), 413);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["error_code"], "PAYLOAD_TOO_LARGE");

    let reply = client.post(&url).header("content-type", "text/plain").body("email=a").send().await.unwrap();
    assert_eq!(reply.status(), 415);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["success"], false);
}

#[tokio::test]
async fn other_inputs_are_validated_too() {
    let app = TestApp::spawn().await;
    let owner = app.register("val").await;
    let t = &owner.access;
    let r = app.post("/api/v1/auth/sites/", t, json!({"name": "S", "domain": "not a domain"})).await.expect(400);
    assert!(r.body["errors"]["domain"].is_array());
    let r = app.post("/api/v1/auth/sites/", t, json!({"name": "S", "industry_id": "no-such"})).await.expect(400);
    assert!(r.body["errors"]["industry_id"].is_array());
    let r = app
        .post("/api/v1/auth/users/", t, json!({"email": "x@example.com", "password": "long enough", "role": "boss"}))
        .await
        .expect(400);
    assert!(r.body["errors"]["role"].is_array());
    let r = app.get("/api/v1/auth/sites/?page=zero", t).await.expect(400);
    assert!(r.body["errors"]["page"].is_array());
    let r = app.get("/api/v1/auth/sites/?page_size=500", t).await.expect(400);
    assert!(r.body["errors"]["page_size"].is_array());
    let r = app.get("/api/v1/auth/sectors/", t).await.expect(400);
    assert!(r.body["errors"]["site_id"].is_array());

    let site = app.create_site(t, "Industry site").await;
    app.patch(&format!("/api/v1/auth/sites/{site}/"), t, json!({"industry_id": "finance"})).await.expect(200);
    let r = app
        .post(
            "/api/v1/auth/sectors/",
            t,
            json!({"site_id": site, "name": "Pets", "industry_sector_id": "ecommerce-pets"}),
        )
        .await
        .expect(400);
    assert!(r.body["errors"]["industry_sector_id"].is_array());
    app.post(
        "/api/v1/auth/sectors/",
        t,
        json!({"site_id": site, "name": "Cover", "industry_sector_id": "finance-insurance"}),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn every_response_is_an_envelope_with_the_request_id() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let reply = client
        .get(format!("{}/api/v1/nothing/here/", app.base))
        .header("x-request-id", "req-123")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
    assert_eq!(reply.headers()["x-request-id"], "req-123");
    let body: Value = reply.json().await.unwrap();
    assert_eq!((body["success"].clone(), body["request_id"].clone()), (json!(false), json!("req-123")));

    let reply = app.call(Method::DELETE, "/api/v1/auth/login/", Auth::Anonymous, None).await.expect(405);
    assert_eq!(reply.code(), "METHOD_NOT_ALLOWED");

    let status = app.call(Method::GET, "/api/v1/system/status/", Auth::Anonymous, None).await.expect(200);
    assert_eq!(status.data()["store"]["reachable"], true);
    let generated = status.headers["x-request-id"].to_str().unwrap();
    assert_eq!(status.body["request_id"], generated);
    assert!(!generated.is_empty());
}

#[tokio::test]
async fn cors_preflight_is_answered_for_the_web_app() {
    let app = TestApp::spawn().await;
    let reply = reqwest::Client::new()
        .request(Method::OPTIONS, format!("{}/api/v1/auth/login/", app.base))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    assert!(reply.status().is_success());
    assert!(reply.headers().contains_key("access-control-allow-origin"));
    assert!(reply.headers()["access-control-allow-methods"].to_str().unwrap().contains("POST"));
}

#[tokio::test]
async fn ids_and_texts_too_long_for_a_key_are_not_found_or_invalid_never_500() {
    let app = TestApp::spawn().await;
    let owner = app.register("long").await;
    let t = &owner.access;
    let site = app.create_site(t, "Long").await;
    let sector = app.create_sector(t, &site, "L").await;
    let long = "x".repeat(1100);
    app.get(&format!("/api/v1/planner/keywords/{long}/"), t).await.expect(404);
    app.get(&format!("/api/v1/auth/users/{long}/"), t).await.expect(404);
    app.get(&format!("/api/v1/planner/keywords/?site_id={long}"), t).await.expect(404);
    app.post("/api/v1/planner/keywords/bulk_delete/", t, json!({"ids": [long]})).await.expect(404);
    // 255 characters of four bytes each would not fit the uniqueness guard's key.
    let emoji = "🏃".repeat(255);
    let r = app
        .post("/api/v1/planner/keywords/", t, json!({"site_id": site, "sector_id": sector, "keyword": emoji}))
        .await
        .expect(400);
    assert!(r.body["errors"]["keyword"].is_array());
    let r = app
        .post(
            "/api/v1/writer/tasks/",
            t,
            json!({"site_id": site, "sector_id": sector, "title": "T", "keywords": ["k".repeat(300)]}),
        )
        .await
        .expect(400);
    assert!(r.body["errors"]["keywords"].is_array());
}

#[tokio::test]
async fn content_links_to_published_posts_are_web_urls() {
    let app = TestApp::spawn().await;
    let owner = app.register("exturl").await;
    let t = &owner.access;
    let site = app.create_site(t, "Ext").await;
    let sector = app.create_sector(t, &site, "E").await;
    let content = app
        .post(
            "/api/v1/writer/content/",
            t,
            json!({"site_id": site, "sector_id": sector, "title": "Post", "html": "<p>x</p>"}),
        )
        .await
        .expect(201);
    let path = format!("/api/v1/writer/content/{}/", content.data()["id"].as_str().unwrap());
    let r = app.patch(&path, t, json!({"external_url": "javascript:alert(1)"})).await.expect(400);
    assert!(r.body["errors"]["external_url"].is_array());
    let ok = app.patch(&path, t, json!({"external_url": "https://blog.example.com/post/"})).await.expect(200);
    assert_eq!(ok.data()["external_url"], "https://blog.example.com/post/");
    app.patch(&path, t, json!({"external_url": null})).await.expect(200);
}

#[tokio::test]
async fn taxonomy_parents_cannot_form_a_cycle() {
    let app = TestApp::spawn().await;
    let owner = app.register("cycle").await;
    let t = &owner.access;
    let site = app.create_site(t, "Cycle").await;
    let term = |name: &str, parent: Option<String>| json!({"site_id": site, "taxonomy": "category", "name": name, "parent_id": parent});
    let a = app.post("/api/v1/writer/taxonomies/", t, term("A", None)).await.expect(201);
    let a = a.data()["id"].as_str().unwrap().to_owned();
    let b = app.post("/api/v1/writer/taxonomies/", t, term("B", Some(a.clone()))).await.expect(201);
    let b = b.data()["id"].as_str().unwrap().to_owned();
    let c = app.post("/api/v1/writer/taxonomies/", t, term("C", Some(b.clone()))).await.expect(201);
    let c = c.data()["id"].as_str().unwrap().to_owned();
    // A under C would make A → C → B → A.
    let r = app.patch(&format!("/api/v1/writer/taxonomies/{a}/"), t, json!({"parent_id": c})).await.expect(400);
    assert!(r.body["errors"]["parent_id"].is_array());
    // A sideways move is fine.
    app.patch(&format!("/api/v1/writer/taxonomies/{c}/"), t, json!({"parent_id": a})).await.expect(200);
}

#[tokio::test]
async fn filters_of_closed_sets_refuse_unknown_values() {
    let app = TestApp::spawn().await;
    let ws = igny8_e2e::common::workspace(&app, "filters").await;
    let token = ws.owner.access.as_str();
    for (path, field) in [
        ("/api/v1/system/jobs/?state=stuck", "state"),
        ("/api/v1/system/jobs/?function=write_poem", "function"),
        ("/api/v1/billing/usage/?operation=write_poem", "operation"),
        ("/api/v1/billing/usage/summary/?operation=write_poem", "operation"),
        ("/api/v1/billing/transactions/?transaction_type=gift", "transaction_type"),
    ] {
        let reply = app.get(path, token).await.expect(400);
        igny8_e2e::common::assert_field_error(&reply, field);
    }
    // Known values still filter.
    app.get("/api/v1/system/jobs/?state=done&function=generate_content", token).await.expect(200);
}

/// Every answer tells what the store did for it (`Server-Timing`: time waiting for
/// DynamoDB, items and bytes read), so the request's own time and its read cost can be
/// told apart and held to a budget.
#[tokio::test]
async fn answers_tell_the_stores_share_of_the_request() {
    let app = TestApp::spawn().await;
    let ws = igny8_e2e::common::workspace(&app, "read-cost").await;
    let t = ws.owner.access.as_str();
    let body = json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": "trail shoes"});
    let id = igny8_e2e::common::id_of(app.post("/api/v1/planner/keywords/", t, body).await.expect(201).data());

    let read = app.get(&format!("/api/v1/planner/keywords/{id}/"), t).await.expect(200);
    let timing = read.headers["server-timing"].to_str().unwrap().to_owned();
    let field = |name: &str| -> u64 {
        let part = timing.split(", ").find(|p| p.starts_with(name)).unwrap_or_else(|| panic!("{name} in {timing}"));
        part.rsplit('=').next().unwrap().parse().unwrap()
    };
    // The caller (user and account, one batch) and the keyword.
    assert_eq!(field("items;"), 3, "{timing}");
    assert!(field("bytes;") > 100, "{timing}");
    assert!(timing.starts_with("store;dur="), "{timing}");
}
