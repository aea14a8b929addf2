//! Tenant isolation: every id of one account answers 404 to another account, exactly as
//! an id that does not exist.

use igny8_e2e::{Auth, TestApp};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn another_account_gets_404_for_every_id() {
    let app = TestApp::spawn().await;
    let a = app.register("alpha").await;
    let a_editor = app.add_member(&a, "alpha-ed", "editor").await;
    let a_site = app.create_site(&a.access, "Alpha site").await;
    let a_sector = app.create_sector(&a.access, &a_site, "Alpha sector").await;
    let a_key = app.rotate_key(&a, &a_site).await;

    let b = app.register("beta").await;
    let b_site = app.create_site(&b.access, "Beta site").await;
    let t = &b.access;

    let user = format!("/api/v1/auth/users/{}/", a_editor.user_id);
    let site = format!("/api/v1/auth/sites/{a_site}/");
    let sector = format!("/api/v1/auth/sectors/{a_sector}/");
    let attempts = [
        app.get(&user, t).await,
        app.patch(&user, t, json!({"first_name": "Mallory"})).await,
        app.put(&user, t, json!({"role": "viewer"})).await,
        app.delete(&user, t).await,
        app.get(&site, t).await,
        app.patch(&site, t, json!({"name": "Mine now"})).await,
        app.delete(&site, t).await,
        app.post(&format!("{site}api-key/"), t, json!({})).await,
        app.get(&format!("{site}access/"), t).await,
        app.post(&format!("{site}access/"), t, json!({"user_id": a_editor.user_id})).await,
        app.delete(&format!("{site}access/{}/", a_editor.user_id), t).await,
        app.get(&sector, t).await,
        app.patch(&sector, t, json!({"name": "Mine"})).await,
        app.delete(&sector, t).await,
        app.get(&format!("/api/v1/auth/sectors/?site_id={a_site}"), t).await,
        app.post("/api/v1/auth/sectors/", t, json!({"site_id": a_site, "name": "Sneaky"})).await,
        // B's own site, A's user: the user is not found in B's account.
        app.post(&format!("/api/v1/auth/sites/{b_site}/access/"), t, json!({"user_id": a_editor.user_id})).await,
    ];
    for (index, reply) in attempts.iter().enumerate() {
        assert_eq!(reply.status, 404, "attempt {index}: {}", reply.body);
        assert_eq!(reply.code(), "NOT_FOUND");
    }

    // Lists show only one's own.
    let users = app.get("/api/v1/auth/users/", t).await.expect(200);
    assert_eq!(users.body["count"], 1);
    let sites = app.get("/api/v1/auth/sites/", t).await.expect(200);
    assert_eq!(sites.body["count"], 1);

    // A's site key cannot reach B's site.
    app.call(Method::GET, &format!("/api/v1/auth/sites/{b_site}/"), Auth::ApiKey(&a_key), None).await.expect(404);

    // Nothing of A's changed.
    let still = app.get(&site, &a.access).await.expect(200);
    assert_eq!(still.data()["name"], "Alpha site");
    app.get(&sector, &a.access).await.expect(200);
    app.get(&user, &a.access).await.expect(200);
    app.call(Method::GET, &site, Auth::ApiKey(&a_key), None).await.expect(200);
}

/// A sector on a site the caller was not granted is not there for them: 404, never a
/// field error that would confirm it exists.
#[tokio::test]
async fn sectors_of_ungranted_sites_are_not_found() {
    let app = TestApp::spawn().await;
    let owner = app.register("ungranted").await;
    app.move_to_plan(&owner.account_id, "starter").await;
    let site_a = app.create_site(&owner.access, "Granted").await;
    let sector_a = app.create_sector(&owner.access, &site_a, "A sector").await;
    let site_b = app.create_site(&owner.access, "Not granted").await;
    let sector_b = app.create_sector(&owner.access, &site_b, "B sector").await;
    let editor = app.add_member(&owner, "ungranted-editor", "editor").await;
    app.grant(&owner, &site_a, &editor.user_id).await;
    let e = &editor.access;

    let body = serde_json::json!({"site_id": site_a, "sector_id": sector_b, "keyword": "hidden"});
    let reply = app.post("/api/v1/planner/keywords/", e, body).await;
    assert_eq!((reply.status, reply.code()), (404, "NOT_FOUND"), "{}", reply.body);
    let list = app.get(&format!("/api/v1/planner/keywords/?site_id={site_a}&sector_id={sector_b}"), e).await;
    assert_eq!(list.status, 404, "{}", list.body);
    // The owner sees both sites: for them it is a mistake to explain.
    let body = serde_json::json!({"site_id": site_a, "sector_id": sector_b, "keyword": "visible"});
    let reply = app.post("/api/v1/planner/keywords/", &owner.access, body).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    // And the editor's own sector works.
    let body = serde_json::json!({"site_id": site_a, "sector_id": sector_a, "keyword": "mine"});
    app.post("/api/v1/planner/keywords/", e, body).await.expect(201);
}
