//! Writer taxonomy terms: CRUD, slugs, parents of the same site and taxonomy, the list,
//! validation, tenant isolation, roles and the site API key.

use igny8_e2e::{Auth, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

use igny8_e2e::common::{assert_field_error, assert_forbidden, assert_not_found, column, id_of, merged, workspace};

const TERMS: &str = "/api/v1/writer/taxonomies/";

fn term_path(id: &str) -> String {
    format!("{TERMS}{id}/")
}

async fn add_term(app: &TestApp, token: &str, site: &str, taxonomy: &str, name: &str, extra: Value) -> Value {
    let body = merged(json!({"site_id": site, "taxonomy": taxonomy, "name": name}), extra);
    app.post(TERMS, token, body).await.expect(201).data().clone()
}

#[tokio::test]
async fn terms_are_created_read_updated_and_deleted() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "terms").await;
    let t = &d.owner.access;

    let site_wide = add_term(&app, t, &d.site, "category", "Running Shoes & Boots", json!({})).await;
    assert_eq!(site_wide["slug"], "running-shoes-boots", "slug from the name");
    assert_eq!(site_wide["taxonomy"], "category");
    assert_eq!(site_wide["site_id"], d.site.as_str());
    assert!(site_wide.get("sector_id").is_none_or(Value::is_null), "{site_wide}");
    assert!(site_wide.get("parent_id").is_none_or(Value::is_null));

    let created = app
        .post(
            TERMS,
            t,
            json!({
                "site_id": d.site, "sector_id": d.sector, "taxonomy": "post_tag", "name": "Trail",
                "slug": "trail-running", "description": "Off-road.", "external_id": 17
            }),
        )
        .await
        .expect(201);
    let term = created.data().clone();
    let id = id_of(&term);
    assert_eq!(term["name"], "Trail");
    assert_eq!(term["slug"], "trail-running");
    assert_eq!(term["taxonomy"], "post_tag");
    assert_eq!(term["sector_id"], d.sector.as_str());
    assert_eq!(term["description"], "Off-road.");
    assert_eq!(term["external_id"], 17);
    let cluster = add_term(&app, t, &d.site, "cluster", "Shoe cluster", json!({})).await;
    assert_eq!(cluster["taxonomy"], "cluster");
    assert_eq!(cluster["slug"], "shoe-cluster");

    assert_eq!(app.get(&term_path(&id), t).await.expect(200).data(), &term);
    app.get(&format!("{TERMS}{id}"), t).await.expect(200);

    let patched = app.patch(&term_path(&id), t, json!({"name": "Trail running"})).await.expect(200);
    assert_eq!(patched.data()["name"], "Trail running");
    assert_eq!(patched.data()["slug"], "trail-running");
    assert_eq!(patched.data()["description"], "Off-road.");
    let put = app
        .put(&term_path(&id), t, json!({"description": "Dirt and rock.", "external_id": null, "slug": "trail"}))
        .await
        .expect(200);
    assert_eq!(put.data()["description"], "Dirt and rock.");
    assert_eq!(put.data()["slug"], "trail");
    assert!(put.data().get("external_id").is_none_or(Value::is_null), "{}", put.body);
    assert_eq!(put.data()["name"], "Trail running");
    let read = app.get(&term_path(&id), t).await.expect(200);
    assert_eq!(read.data()["description"], "Dirt and rock.");
    assert!(read.data().get("external_id").is_none_or(Value::is_null));
    let r = app.patch(&term_path(&id), t, json!({"external_id": 99})).await.expect(200);
    assert_eq!(r.data()["external_id"], 99);

    app.delete(&term_path(&id), t).await.expect(200);
    assert_not_found(&app.get(&term_path(&id), t).await, "read after delete");
    assert_not_found(&app.delete(&term_path(&id), t).await, "delete twice");
    assert_not_found(&app.patch(&term_path(&id), t, json!({"name": "Back"})).await, "update after delete");
    assert_eq!(app.count_kind("taxonomy_term").await, 2);
}

#[tokio::test]
async fn a_parent_is_a_term_of_the_same_site_and_taxonomy() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "parents").await;
    let t = &d.owner.access;
    let other_site = app.create_site(t, "Other").await;
    let shoes = id_of(&add_term(&app, t, &d.site, "category", "Shoes", json!({})).await);
    let tag = id_of(&add_term(&app, t, &d.site, "post_tag", "Tag", json!({})).await);
    let elsewhere = id_of(&add_term(&app, t, &other_site, "category", "Elsewhere", json!({})).await);

    let child = add_term(&app, t, &d.site, "category", "Trail shoes", json!({"parent_id": shoes})).await;
    assert_eq!(child["parent_id"], shoes.as_str());
    let child = id_of(&child);

    let post = |body: Value| {
        let app = &app;
        async move { app.post(TERMS, t, body).await }
    };
    assert_field_error(
        &post(json!({"site_id": d.site, "taxonomy": "post_tag", "name": "x", "parent_id": shoes})).await,
        "parent_id",
    );
    assert_field_error(
        &post(json!({"site_id": d.site, "taxonomy": "category", "name": "x", "parent_id": tag})).await,
        "parent_id",
    );
    assert_field_error(
        &post(json!({"site_id": other_site, "taxonomy": "category", "name": "x", "parent_id": shoes})).await,
        "parent_id",
    );
    assert_field_error(
        &post(json!({"site_id": d.site, "taxonomy": "category", "name": "x", "parent_id": elsewhere})).await,
        "parent_id",
    );
    assert_not_found(
        &post(json!({"site_id": d.site, "taxonomy": "category", "name": "x", "parent_id": "term_nope"})).await,
        "unknown parent",
    );
    assert_eq!(app.count_kind("taxonomy_term").await, 4);

    let path = term_path(&child);
    assert_field_error(&app.patch(&path, t, json!({"parent_id": child})).await, "parent_id");
    assert_field_error(&app.patch(&path, t, json!({"parent_id": tag})).await, "parent_id");
    assert_field_error(&app.patch(&path, t, json!({"parent_id": elsewhere})).await, "parent_id");
    assert_eq!(app.get(&path, t).await.expect(200).data()["parent_id"], shoes.as_str());
    let r = app.patch(&path, t, json!({"parent_id": null})).await.expect(200);
    assert!(r.data().get("parent_id").is_none_or(Value::is_null), "{}", r.body);
    let r = app.put(&path, t, json!({"parent_id": shoes})).await.expect(200);
    assert_eq!(r.data()["parent_id"], shoes.as_str());
}

#[tokio::test]
async fn the_term_list_filters_and_orders() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "termlist").await;
    let t = &d.owner.access;
    let other_site = app.create_site(t, "Other").await;
    add_term(&app, t, &d.site, "category", "bravo shoes", json!({})).await;
    add_term(&app, t, &d.site, "post_tag", "Alpha", json!({})).await;
    add_term(&app, t, &d.site, "category", "Charlie Shoes", json!({"sector_id": d.sector})).await;
    add_term(&app, t, &d.site, "cluster", "delta", json!({})).await;
    add_term(&app, t, &other_site, "category", "Other shoes", json!({})).await;
    let names = |query: &'static str| {
        let app = &app;
        let site = d.site.clone();
        async move { column(&app.get(&format!("{TERMS}?site_id={site}{query}"), t).await.expect(200), "name") }
    };
    assert_eq!(names("").await, vec!["Alpha", "bravo shoes", "Charlie Shoes", "delta"], "by name by default");
    assert_eq!(names("&ordering=-name").await, vec!["delta", "Charlie Shoes", "bravo shoes", "Alpha"]);
    assert_eq!(names("&ordering=created_at").await, vec!["bravo shoes", "Alpha", "Charlie Shoes", "delta"]);
    assert_eq!(names("&ordering=-created_at").await, vec!["delta", "Charlie Shoes", "Alpha", "bravo shoes"]);
    assert_eq!(names("&taxonomy=category").await, vec!["bravo shoes", "Charlie Shoes"]);
    assert_eq!(names("&taxonomy=post_tag").await, vec!["Alpha"]);
    assert_eq!(names("&taxonomy=cluster").await, vec!["delta"]);
    assert_eq!(names("&search=SHOES").await, vec!["bravo shoes", "Charlie Shoes"]);
    assert_eq!(names("&search=shoes&taxonomy=post_tag").await, Vec::<String>::new());
    assert_eq!(names("&page_size=3&page=2").await, vec!["delta"]);
    let page = app.get(&format!("{TERMS}?site_id={}&page_size=3", d.site), t).await.expect(200);
    assert_eq!(page.body["count"], 4);
    assert!(page.body["next"].as_str().is_some_and(|n| n.contains("page=2")));
    assert_field_error(&app.get(TERMS, t).await, "site_id");
    assert_field_error(&app.get(&format!("{TERMS}?site_id={}&taxonomy=genre", d.site), t).await, "taxonomy");
    assert_field_error(&app.get(&format!("{TERMS}?site_id={}&ordering=slug", d.site), t).await, "ordering");
}

#[tokio::test]
async fn term_input_is_validated_field_by_field() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "termval").await;
    let t = &d.owner.access;
    let other_site = app.create_site(t, "Other").await;
    let foreign_sector = app.create_sector(t, &other_site, "Foreign").await;
    let base = json!({"site_id": d.site, "taxonomy": "category", "name": "Valid"});
    let post = |extra: Value| {
        let app = &app;
        let body = merged(base.clone(), extra);
        async move { app.post(TERMS, t, body).await }
    };
    assert_field_error(&app.post(TERMS, t, json!({"site_id": d.site, "name": "x"})).await, "taxonomy");
    assert_field_error(&app.post(TERMS, t, json!({"site_id": d.site, "taxonomy": "post_tag"})).await, "name");
    assert_field_error(&app.post(TERMS, t, json!({"taxonomy": "post_tag", "name": "x"})).await, "site_id");
    assert_field_error(&post(json!({"taxonomy": "genre"})).await, "taxonomy");
    assert_field_error(&post(json!({"name": "   "})).await, "name");
    assert_field_error(&post(json!({"name": "n".repeat(201)})).await, "name");
    assert_field_error(&post(json!({"name": "!!!"})).await, "slug");
    assert_field_error(&post(json!({"slug": ""})).await, "slug");
    assert_field_error(&post(json!({"description": "d".repeat(2001)})).await, "description");
    assert_field_error(&post(json!({"external_id": -1})).await, "external_id");
    assert_field_error(&post(json!({"external_id": "abc"})).await, "external_id");
    assert_field_error(&post(json!({"sector_id": foreign_sector})).await, "sector_id");
    assert_not_found(&post(json!({"sector_id": "sector_nope"})).await, "unknown sector");
    assert_eq!(app.count_kind("taxonomy_term").await, 0);

    let term = add_term(&app, t, &d.site, "category", "Valid", json!({})).await;
    let path = term_path(&id_of(&term));
    assert_field_error(&app.patch(&path, t, json!({"name": ""})).await, "name");
    assert_field_error(&app.patch(&path, t, json!({"slug": "---"})).await, "slug");
    assert_field_error(&app.put(&path, t, json!({"external_id": -5})).await, "external_id");
    assert_eq!(app.get(&path, t).await.expect(200).data(), &term);
}

#[tokio::test]
async fn another_account_gets_404_for_terms() {
    let app = TestApp::spawn().await;
    let a = workspace(&app, "term-a").await;
    let a_term = add_term(&app, &a.owner.access, &a.site, "category", "A's category", json!({})).await;
    let a_id = id_of(&a_term);
    let b = workspace(&app, "term-b").await;
    let t = &b.owner.access;
    let b_term = id_of(&add_term(&app, t, &b.site, "category", "B's", json!({})).await);

    let path = term_path(&a_id);
    let attempts = [
        ("read", app.get(&path, t).await),
        ("patch", app.patch(&path, t, json!({"name": "Mine"})).await),
        ("put", app.put(&path, t, json!({"description": "Mine"})).await),
        ("delete", app.delete(&path, t).await),
        ("list A's site", app.get(&format!("{TERMS}?site_id={}", a.site), t).await),
        (
            "create in A's site",
            app.post(TERMS, t, json!({"site_id": a.site, "taxonomy": "category", "name": "x"})).await,
        ),
        (
            "A's term as parent",
            app.post(TERMS, t, json!({"site_id": b.site, "taxonomy": "category", "name": "x", "parent_id": a_id}))
                .await,
        ),
        ("reparent under A's term", app.patch(&term_path(&b_term), t, json!({"parent_id": a_id})).await),
    ];
    for (what, reply) in &attempts {
        assert_not_found(reply, what);
    }
    assert_eq!(app.get(&path, &a.owner.access).await.expect(200).data(), &a_term);
    assert!(app.get(&term_path(&b_term), t).await.expect(200).data().get("parent_id").is_none_or(Value::is_null));
    assert_eq!(app.count_kind("taxonomy_term").await, 2);
}

#[tokio::test]
async fn viewers_and_site_keys_only_read_terms() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "termroles").await;
    let owner = &d.owner;
    let viewer = app.add_member(owner, "viewer", "viewer").await;
    let editor = app.add_member(owner, "editor", "editor").await;
    app.grant(owner, &d.site, &viewer.user_id).await;
    app.grant(owner, &d.site, &editor.user_id).await;
    let hidden_site = app.create_site(&owner.access, "Hidden").await;
    let term = add_term(&app, &owner.access, &d.site, "post_tag", "Kept", json!({})).await;
    let id = id_of(&term);
    let hidden = id_of(&add_term(&app, &owner.access, &hidden_site, "post_tag", "Hidden", json!({})).await);
    let key = app.rotate_key(owner, &d.site).await;
    let as_key = |method: Method, path: String, body: Option<Value>| {
        let app = &app;
        let key = key.clone();
        async move { app.call(method, &path, Auth::ApiKey(&key), body).await }
    };

    let v = &viewer.access;
    assert_eq!(column(&app.get(&format!("{TERMS}?site_id={}", d.site), v).await.expect(200), "name"), vec!["Kept"]);
    app.get(&term_path(&id), v).await.expect(200);
    let denied = [
        ("viewer create", app.post(TERMS, v, json!({"site_id": d.site, "taxonomy": "post_tag", "name": "V"})).await),
        ("viewer patch", app.patch(&term_path(&id), v, json!({"name": "V"})).await),
        ("viewer delete", app.delete(&term_path(&id), v).await),
        (
            "key create",
            as_key(Method::POST, TERMS.into(), Some(json!({"site_id": d.site, "taxonomy": "post_tag", "name": "K"})))
                .await,
        ),
        ("key patch", as_key(Method::PATCH, term_path(&id), Some(json!({"name": "K"}))).await),
        ("key delete", as_key(Method::DELETE, term_path(&id), None).await),
    ];
    for (what, reply) in &denied {
        assert_forbidden(reply, what);
    }
    assert_eq!(app.get(&term_path(&id), &owner.access).await.expect(200).data(), &term);
    assert_not_found(&app.get(&term_path(&hidden), v).await, "viewer reads a hidden term");

    let e = &editor.access;
    app.patch(&term_path(&id), e, json!({"name": "Edited"})).await.expect(200);
    let unseen = [
        ("read", app.get(&term_path(&hidden), e).await),
        ("patch", app.patch(&term_path(&hidden), e, json!({"name": "Found"})).await),
        ("delete", app.delete(&term_path(&hidden), e).await),
        ("list", app.get(&format!("{TERMS}?site_id={hidden_site}"), e).await),
        ("create", app.post(TERMS, e, json!({"site_id": hidden_site, "taxonomy": "post_tag", "name": "x"})).await),
    ];
    for (what, reply) in &unseen {
        assert_not_found(reply, what);
    }
    assert_eq!(app.get(&term_path(&hidden), &owner.access).await.expect(200).data()["name"], "Hidden");
}
