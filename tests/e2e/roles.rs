//! The role matrix: viewer reads, editor writes content but manages nothing, admin
//! manages users and sites but not billing or the account, owner does everything.

use igny8_e2e::{PASSWORD, Session, TestApp, unique_email};
use serde_json::json;

struct Team {
    owner: Session,
    admin: Session,
    editor: Session,
    viewer: Session,
    site: String,
    sector: String,
}

/// Trial plan: 3 users (owner, admin, editor) — the viewer needs a bigger plan, so the
/// team is built with the account moved to the starter plan directly in the store.
async fn team(app: &TestApp) -> Team {
    let owner = app.register("team").await;
    app.move_to_plan(&owner.account_id, "starter").await;
    let admin = app.add_member(&owner, "admin", "admin").await;
    let editor = app.add_member(&owner, "editor", "editor").await;
    let viewer = app.add_member(&owner, "viewer", "viewer").await;
    let site = app.create_site(&owner.access, "Main").await;
    let sector = app.create_sector(&owner.access, &site, "Shoes").await;
    app.grant(&owner, &site, &editor.user_id).await;
    app.grant(&owner, &site, &viewer.user_id).await;
    Team { owner, admin, editor, viewer, site, sector }
}

#[tokio::test]
async fn viewer_reads_but_cannot_write() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let token = &t.viewer.access;
    let sites = app.get("/api/v1/auth/sites/", token).await.expect(200);
    assert_eq!(sites.body["count"], 1);
    app.get(&format!("/api/v1/auth/sites/{}/", t.site), token).await.expect(200);
    app.get(&format!("/api/v1/auth/sectors/?site_id={}", t.site), token).await.expect(200);
    app.get(&format!("/api/v1/auth/sectors/{}/", t.sector), token).await.expect(200);
    app.get("/api/v1/auth/industries/", token).await.expect(200);

    let denied = app.post("/api/v1/auth/sites/", token, json!({"name": "Mine"})).await.expect(403);
    assert_eq!(denied.code(), "FORBIDDEN");
    app.patch(&format!("/api/v1/auth/sites/{}/", t.site), token, json!({"name": "X"})).await.expect(403);
    app.post("/api/v1/auth/sectors/", token, json!({"site_id": t.site, "name": "Hats"})).await.expect(403);
    app.patch(&format!("/api/v1/auth/sectors/{}/", t.sector), token, json!({"name": "X"})).await.expect(403);
    app.delete(&format!("/api/v1/auth/sectors/{}/", t.sector), token).await.expect(403);
    app.get("/api/v1/auth/users/", token).await.expect(403);
}

#[tokio::test]
async fn editor_cannot_manage_users_or_sites() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let token = &t.editor.access;
    app.get(&format!("/api/v1/auth/sites/{}/", t.site), token).await.expect(200);
    app.get("/api/v1/auth/users/", token).await.expect(403);
    app.post("/api/v1/auth/users/", token, json!({"email": unique_email("x"), "password": PASSWORD, "role": "viewer"}))
        .await
        .expect(403);
    app.delete(&format!("/api/v1/auth/users/{}/", t.viewer.user_id), token).await.expect(403);
    app.post("/api/v1/auth/sites/", token, json!({"name": "Mine"})).await.expect(403);
    app.delete(&format!("/api/v1/auth/sites/{}/", t.site), token).await.expect(403);
    app.post(&format!("/api/v1/auth/sites/{}/api-key/", t.site), token, json!({})).await.expect(403);
    app.post(&format!("/api/v1/auth/sites/{}/access/", t.site), token, json!({"user_id": t.viewer.user_id}))
        .await
        .expect(403);
    app.get("/api/v1/auth/account/", token).await.expect(403);
}

#[tokio::test]
async fn admin_manages_users_and_sites_but_not_the_account() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let token = &t.admin.access;
    app.get("/api/v1/auth/account/", token).await.expect(403);
    app.patch("/api/v1/auth/account/", token, json!({"name": "Taken over"})).await.expect(403);

    app.get("/api/v1/auth/users/", token).await.expect(200);
    app.post(
        "/api/v1/auth/users/",
        token,
        json!({"email": unique_email("new"), "password": PASSWORD, "role": "editor"}),
    )
    .await
    .expect(201);
    // Admins do not make admins or touch the owner or other admins.
    app.post(
        "/api/v1/auth/users/",
        token,
        json!({"email": unique_email("adm"), "password": PASSWORD, "role": "admin"}),
    )
    .await
    .expect(403);
    app.post(
        "/api/v1/auth/users/",
        token,
        json!({"email": unique_email("own"), "password": PASSWORD, "role": "owner"}),
    )
    .await
    .expect(400);
    app.delete(&format!("/api/v1/auth/users/{}/", t.owner.user_id), token).await.expect(403);
    app.patch(&format!("/api/v1/auth/users/{}/", t.owner.user_id), token, json!({"role": "viewer"})).await.expect(403);
    app.patch(&format!("/api/v1/auth/users/{}/", t.admin.user_id), token, json!({"role": "viewer"})).await.expect(400);
    app.patch(&format!("/api/v1/auth/users/{}/", t.editor.user_id), token, json!({"role": "viewer"})).await.expect(200);

    let site = app.create_site(token, "Second").await;
    app.patch(&format!("/api/v1/auth/sites/{site}/"), token, json!({"name": "Renamed"})).await.expect(200);
    app.create_sector(token, &site, "Boots").await;
    app.rotate_key(&t.admin, &site).await;
}

#[tokio::test]
async fn owner_reads_and_renames_the_account() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    app.get("/api/v1/auth/account/", &t.owner.access).await.expect(200);
    let renamed = app.put("/api/v1/auth/account/", &t.owner.access, json!({"name": "New Name"})).await.expect(200);
    assert_eq!(renamed.data()["name"], "New Name");
    app.patch(&format!("/api/v1/auth/users/{}/", t.admin.user_id), &t.owner.access, json!({"role": "editor"}))
        .await
        .expect(200);
}

#[tokio::test]
async fn editors_and_viewers_see_only_granted_sites() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let other = app.create_site(&t.owner.access, "Other").await;
    let other_sector = app.create_sector(&t.owner.access, &other, "Hidden").await;

    let sites = app.get("/api/v1/auth/sites/", &t.editor.access).await.expect(200);
    let ids: Vec<&str> = sites.body["results"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![t.site.as_str()]);
    app.get(&format!("/api/v1/auth/sites/{other}/"), &t.editor.access).await.expect(404);
    app.get(&format!("/api/v1/auth/sectors/{other_sector}/"), &t.viewer.access).await.expect(404);
    app.get(&format!("/api/v1/auth/sectors/?site_id={other}"), &t.viewer.access).await.expect(404);

    app.grant(&t.owner, &other, &t.viewer.user_id).await;
    app.get(&format!("/api/v1/auth/sites/{other}/"), &t.viewer.access).await.expect(200);
    let access = app.get(&format!("/api/v1/auth/sites/{other}/access/"), &t.owner.access).await.expect(200);
    assert_eq!(access.data().as_array().unwrap().len(), 1);

    app.delete(&format!("/api/v1/auth/sites/{other}/access/{}/", t.viewer.user_id), &t.owner.access).await.expect(200);
    app.get(&format!("/api/v1/auth/sites/{other}/"), &t.viewer.access).await.expect(404);

    // Grants are for editors and viewers: admins already see everything.
    app.post(&format!("/api/v1/auth/sites/{other}/access/"), &t.owner.access, json!({"user_id": t.admin.user_id}))
        .await
        .expect(400);
    // Admins see every site without grants.
    let sites = app.get("/api/v1/auth/sites/", &t.admin.access).await.expect(200);
    assert_eq!(sites.body["count"], 2);
}
