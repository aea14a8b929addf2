//! Site API keys: shown once, authenticate as that one site (system_bot), stop working
//! when rotated or when the site goes.

use igny8_e2e::{Auth, TestApp};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_site_key_reads_its_site_only_until_rotated() {
    let app = TestApp::spawn().await;
    let owner = app.register("keys").await;
    let site = app.create_site(&owner.access, "Bridge").await;
    let sister = app.create_site(&owner.access, "Sister").await;
    app.create_sector(&owner.access, &site, "News").await;
    let key = app.rotate_key(&owner, &site).await;

    let view = app.get(&format!("/api/v1/auth/sites/{site}/"), &owner.access).await.expect(200);
    assert_eq!(view.data()["has_api_key"], true);
    assert!(key.starts_with(view.data()["api_key_prefix"].as_str().unwrap()));
    assert!(!view.body.to_string().contains(&key), "the key is shown only once");
    assert!(view.data().get("api_key_hash").is_none());

    let as_key = |method: Method, path: String| {
        let key = key.clone();
        let app = &app;
        async move { app.call(method, &path, Auth::ApiKey(&key), None).await }
    };
    as_key(Method::GET, format!("/api/v1/auth/sites/{site}/")).await.expect(200);
    let list = as_key(Method::GET, "/api/v1/auth/sites/".into()).await.expect(200);
    assert_eq!(list.body["count"], 1);
    as_key(Method::GET, format!("/api/v1/auth/sectors/?site_id={site}")).await.expect(200);
    as_key(Method::GET, format!("/api/v1/auth/sites/{sister}/")).await.expect(404);
    as_key(Method::GET, "/api/v1/auth/users/".into()).await.expect(403);
    as_key(Method::GET, "/api/v1/auth/me/".into()).await.expect(403);
    as_key(Method::DELETE, format!("/api/v1/auth/sites/{site}/")).await.expect(403);
    app.call(Method::POST, "/api/v1/auth/sites/", Auth::ApiKey(&key), Some(json!({"name": "x"}))).await.expect(403);

    let wrong = app.call(Method::GET, "/api/v1/auth/sites/", Auth::ApiKey("igny8_wrong"), None).await.expect(401);
    assert_eq!(wrong.code(), "UNAUTHENTICATED");

    let new_key = app.rotate_key(&owner, &site).await;
    assert_ne!(new_key, key);
    as_key(Method::GET, format!("/api/v1/auth/sites/{site}/")).await.expect(401);
    app.call(Method::GET, &format!("/api/v1/auth/sites/{site}/"), Auth::ApiKey(&new_key), None).await.expect(200);

    // An inactive site's key is refused; a deleted site's key is unknown.
    app.patch(&format!("/api/v1/auth/sites/{site}/"), &owner.access, json!({"status": "inactive"})).await.expect(200);
    app.call(Method::GET, &format!("/api/v1/auth/sites/{site}/"), Auth::ApiKey(&new_key), None).await.expect(403);
    let sectors = app.get(&format!("/api/v1/auth/sectors/?site_id={site}"), &owner.access).await.expect(200);
    for sector in sectors.body["results"].as_array().unwrap() {
        app.delete(&format!("/api/v1/auth/sectors/{}/", sector["id"].as_str().unwrap()), &owner.access)
            .await
            .expect(200);
    }
    app.delete(&format!("/api/v1/auth/sites/{site}/"), &owner.access).await.expect(200);
    app.call(Method::GET, "/api/v1/auth/sites/", Auth::ApiKey(&new_key), None).await.expect(401);
    assert_eq!(app.count_kind("api_key").await, 0);
}

#[tokio::test]
async fn a_site_key_cannot_read_the_planner_or_lift_a_suspension() {
    let app = TestApp::spawn().await;
    let owner = app.register("keyscope").await;
    let site = app.create_site(&owner.access, "Scoped").await;
    let sector = app.create_sector(&owner.access, &site, "S").await;
    app.post(
        "/api/v1/planner/keywords/",
        &owner.access,
        json!({"site_id": site, "sector_id": sector, "keyword": "secret plan"}),
    )
    .await
    .expect(201);
    let key = app.rotate_key(&owner, &site).await;
    for path in [
        format!("/api/v1/planner/keywords/?site_id={site}"),
        format!("/api/v1/planner/keywords/export_csv/?site_id={site}"),
        format!("/api/v1/planner/clusters/?site_id={site}"),
        format!("/api/v1/planner/ideas/?site_id={site}"),
        "/api/v1/auth/plans/".to_owned(),
    ] {
        let reply = app.call(Method::GET, &path, Auth::ApiKey(&key), None).await;
        assert_eq!(reply.status, 403, "{path}: {}", reply.body);
    }
    // What the bridge needs stays readable.
    app.call(Method::GET, &format!("/api/v1/writer/tasks/?site_id={site}"), Auth::ApiKey(&key), None).await.expect(200);
    app.call(Method::GET, &format!("/api/v1/auth/sectors/?site_id={site}"), Auth::ApiKey(&key), None).await.expect(200);

    // A support suspension is not lifted through the API.
    app.dynamodb
        .update_item()
        .table_name(&app.table)
        .key("PK", igny8_store::AttributeValue::S(format!("ACCOUNT#{}", owner.account_id)))
        .key("SK", igny8_store::AttributeValue::S(format!("SITE#{site}")))
        .update_expression("SET #s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", igny8_store::AttributeValue::S("suspended".into()))
        .send()
        .await
        .unwrap();
    app.patch(&format!("/api/v1/auth/sites/{site}/"), &owner.access, json!({"status": "active"})).await.expect(403);
    app.call(Method::GET, &format!("/api/v1/auth/sites/{site}/"), Auth::ApiKey(&key), None).await.expect(403);
    app.patch(&format!("/api/v1/auth/sites/{site}/"), &owner.access, json!({"name": "Renamed"})).await.expect(200);
}
