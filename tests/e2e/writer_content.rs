//! Writer content: CRUD, the list (without bodies), validation, HTML sanitising, the
//! version kept on every update, large articles stored in S3, the body limit, tenant
//! isolation, roles and the site API key (status and external ids only).

use igny8_e2e::{Auth, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

use crate::writer_tasks::{add, add_task};
use igny8_e2e::common::{
    assert_field_error, assert_forbidden, assert_not_found, column, id_of, merged, results, workspace,
};

pub(crate) const CONTENT: &str = "/api/v1/writer/content/";

fn content_path(id: &str) -> String {
    format!("{CONTENT}{id}/")
}

fn versions_path(id: &str) -> String {
    format!("{CONTENT}{id}/versions/")
}

pub(crate) async fn add_content(
    app: &TestApp,
    token: &str,
    site: &str,
    sector: &str,
    title: &str,
    extra: Value,
) -> Value {
    add(app, CONTENT, token, site, sector, merged(json!({"title": title, "html": "<p>Body</p>"}), extra)).await
}

/// Keys of the objects in the test's media bucket (named like its table), sorted.
pub(crate) async fn media_keys(app: &TestApp) -> Vec<String> {
    let config = igny8_local::sdk_config().await;
    let s3 = igny8_writer::s3_client(&config);
    let listing = s3.list_objects_v2().bucket(&app.table).send().await.expect("list the media bucket");
    let mut keys: Vec<String> = listing.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect();
    keys.sort();
    keys
}

/// An article of at least `bytes` bytes that the sanitiser leaves as it is, and its
/// number of words.
fn article(label: &str, bytes: usize) -> (String, u32) {
    let mut html = String::with_capacity(bytes + 200);
    let mut words = 0u32;
    let mut i = 0;
    while html.len() < bytes {
        let heading = format!("{label} section {i}");
        let paragraph =
            format!("Paragraph {i} of the {label} article explains fit, grip and drop in plain words for runners.");
        words += (heading.split_whitespace().count() + paragraph.split_whitespace().count()) as u32;
        html.push_str(&format!("<h2>{heading}</h2><p>{paragraph}</p>"));
        i += 1;
    }
    (html, words)
}

#[tokio::test]
async fn content_is_created_read_listed_updated_and_deleted() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "content").await;
    let t = &d.owner.access;
    let task = id_of(&add_task(&app, t, &d.site, &d.sector, "Shoe task", json!({})).await);

    let html = "<h2>Best shoes</h2><p>Our <strong>top</strong> picks for 2026.</p>";
    let created = app
        .post(
            CONTENT,
            t,
            json!({
                "site_id": d.site, "sector_id": d.sector, "task_id": task, "title": "10 Best Shoes (2026)!",
                "html": html, "meta_title": "Best shoes", "meta_description": "Our picks.",
                "primary_keyword": "best shoes", "secondary_keywords": ["running shoes", "trail shoes"],
                "status": "review"
            }),
        )
        .await
        .expect(201);
    assert_eq!(created.body["success"], true);
    let c = created.data().clone();
    let id = id_of(&c);
    assert_eq!(c["title"], "10 Best Shoes (2026)!");
    assert_eq!(c["slug"], "10-best-shoes-2026", "slug from the title");
    assert_eq!(c["html"], html);
    assert_eq!(c["word_count"], 7);
    assert_eq!(c["version"], 1);
    assert_eq!(c["status"], "review");
    assert_eq!(c["task_id"], task.as_str());
    assert_eq!(c["meta_title"], "Best shoes");
    assert_eq!(c["meta_description"], "Our picks.");
    assert_eq!(c["primary_keyword"], "best shoes");
    assert_eq!(c["secondary_keywords"], json!(["running shoes", "trail shoes"]));
    assert_eq!(c["site_id"], d.site.as_str());
    assert_eq!(c["sector_id"], d.sector.as_str());
    assert!(c.get("html_s3_key").is_none(), "{c}");

    let read = app.get(&content_path(&id), t).await.expect(200);
    assert_eq!(read.data(), &c);
    app.get(&format!("{CONTENT}{id}"), t).await.expect(200);

    // Defaults: draft, slug from the title, no task.
    let other = add_content(
        &app,
        t,
        &d.site,
        &d.sector,
        "  Hello,   World -- again ",
        json!({"html": "<h1>Two words</h1><p>and <b>three</b> more</p>", "slug": "custom-slug-2"}),
    )
    .await;
    assert_eq!(other["status"], "draft");
    assert_eq!(other["slug"], "custom-slug-2");
    assert_eq!(other["word_count"], 5, "tags do not count as words");
    assert!(other.get("task_id").is_none_or(Value::is_null));
    let third =
        add_content(&app, t, &d.site, &d.sector, "Zebra Tips", json!({"html": "", "status": "published"})).await;
    assert_eq!(third["slug"], "zebra-tips");
    assert_eq!(third["word_count"], 0);

    // The list leaves the bodies out.
    let list = app.get(&format!("{CONTENT}?site_id={}", d.site), t).await.expect(200);
    assert_eq!(list.body["count"], 3);
    for item in results(&list) {
        assert!(item.get("html").is_none(), "the list omits html: {item}");
        assert!(item.get("html_s3_key").is_none(), "{item}");
        assert!(item["word_count"].is_u64() && item["version"].is_u64(), "{item}");
    }
    assert_eq!(
        column(&list, "title"),
        vec!["Zebra Tips", "Hello,   World -- again", "10 Best Shoes (2026)!"],
        "newest first"
    );
    let titles = |query: String| {
        let app = &app;
        async move { column(&app.get(&format!("{CONTENT}?{query}"), t).await.expect(200), "title") }
    };
    assert_eq!(titles(format!("site_id={}&status=review", d.site)).await, vec!["10 Best Shoes (2026)!"]);
    assert_eq!(titles(format!("site_id={}&status=published", d.site)).await, vec!["Zebra Tips"]);
    assert_eq!(titles(format!("site_id={}&task_id={task}", d.site)).await, vec!["10 Best Shoes (2026)!"]);
    assert_eq!(titles(format!("site_id={}&search=zEbRa", d.site)).await, vec!["Zebra Tips"]);
    assert_eq!(
        titles(format!("site_id={}&ordering=word_count", d.site)).await,
        vec!["Zebra Tips", "Hello,   World -- again", "10 Best Shoes (2026)!"]
    );
    assert_eq!(
        titles(format!("site_id={}&ordering=-title", d.site)).await,
        vec!["Zebra Tips", "Hello,   World -- again", "10 Best Shoes (2026)!"]
    );
    assert_eq!(titles(format!("site_id={}&ordering=created_at&page_size=2&page=2", d.site)).await, vec!["Zebra Tips"]);
    assert_field_error(&app.get(CONTENT, t).await, "site_id");
    assert_field_error(&app.get(&format!("{CONTENT}?site_id={}&ordering=html", d.site), t).await, "ordering");
    assert_field_error(&app.get(&format!("{CONTENT}?site_id={}&status=live", d.site), t).await, "status");

    // Updates: partial, each one a new version.
    let patched =
        app.patch(&content_path(&id), t, json!({"meta_title": "New meta", "status": "published"})).await.expect(200);
    assert_eq!(patched.data()["meta_title"], "New meta");
    assert_eq!(patched.data()["status"], "published");
    assert_eq!(patched.data()["title"], "10 Best Shoes (2026)!");
    assert_eq!(patched.data()["html"], html, "the body is kept when not sent");
    assert_eq!(patched.data()["version"], 2);
    let put = app
        .put(&format!("{CONTENT}{id}"), t, json!({"slug": "best-shoes", "html": "<p>Short now</p>"}))
        .await
        .expect(200);
    assert_eq!(put.data()["slug"], "best-shoes");
    assert_eq!(put.data()["html"], "<p>Short now</p>");
    assert_eq!(put.data()["word_count"], 2);
    assert_eq!(put.data()["meta_title"], "New meta");
    assert_eq!(put.data()["version"], 3);
    let read = app.get(&content_path(&id), t).await.expect(200);
    assert_eq!(read.data()["html"], "<p>Short now</p>");
    assert_eq!(read.data()["version"], 3);

    // Delete takes the versions along.
    assert!(app.count_kind("content_version").await >= 2);
    let deleted = app.delete(&content_path(&id), t).await.expect(200);
    assert_eq!(deleted.data()["deleted"], true);
    assert_not_found(&app.get(&content_path(&id), t).await, "read after delete");
    assert_not_found(&app.get(&versions_path(&id), t).await, "versions after delete");
    assert_not_found(&app.delete(&content_path(&id), t).await, "delete twice");
    assert_not_found(&app.patch(&content_path(&id), t, json!({"title": "Back"})).await, "update after delete");
    assert_eq!(app.count_kind("content_version").await, 0);
    assert_eq!(app.count_kind("content").await, 2);
}

#[tokio::test]
async fn content_input_is_validated_field_by_field() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "contentval").await;
    let t = &d.owner.access;
    let other_sector = app.create_sector(t, &d.site, "Other sector").await;
    let other_site = app.create_site(t, "Other site").await;
    let foreign_sector = app.create_sector(t, &other_site, "Foreign").await;
    let task_elsewhere = id_of(&add_task(&app, t, &d.site, &other_sector, "Elsewhere", json!({})).await);
    let base = json!({"site_id": d.site, "sector_id": d.sector, "title": "Valid", "html": "<p>x</p>"});
    let post = |extra: Value| {
        let app = &app;
        let body = merged(base.clone(), extra);
        async move { app.post(CONTENT, t, body).await }
    };

    assert_field_error(&app.post(CONTENT, t, json!({"site_id": d.site, "sector_id": d.sector})).await, "title");
    assert_field_error(&app.post(CONTENT, t, json!({"site_id": d.site, "title": "x"})).await, "sector_id");
    assert_field_error(&app.post(CONTENT, t, json!({"sector_id": d.sector, "title": "x"})).await, "site_id");
    assert_field_error(&post(json!({"title": "  "})).await, "title");
    assert_field_error(&post(json!({"title": "x".repeat(501)})).await, "title");
    assert_field_error(&post(json!({"slug": "Not OK"})).await, "slug");
    assert_field_error(&post(json!({"slug": "under_score"})).await, "slug");
    assert_field_error(&post(json!({"slug": "ÜBER"})).await, "slug");
    assert_field_error(&post(json!({"status": "live"})).await, "status");
    assert_field_error(&post(json!({"meta_title": "m".repeat(256)})).await, "meta_title");
    assert_field_error(&post(json!({"meta_description": "m".repeat(1001)})).await, "meta_description");
    assert_field_error(&post(json!({"html": 42})).await, "html");
    let too_many: Vec<String> = (0..51).map(|i| format!("kw {i}")).collect();
    assert_field_error(&post(json!({"secondary_keywords": too_many})).await, "secondary_keywords");
    assert_field_error(&post(json!({"sector_id": foreign_sector})).await, "sector_id");
    // The task must be of the content's sector.
    let r = post(json!({"task_id": task_elsewhere})).await;
    assert_field_error(&r, "task_id");
    assert_not_found(&post(json!({"task_id": "task_nope"})).await, "unknown task");
    assert_eq!(app.count_kind("content").await, 0, "no invalid content was stored");

    // With the task's own sector it is fine.
    let ok = post(json!({"sector_id": other_sector, "task_id": task_elsewhere, "slug": "ok-slug-2"})).await.expect(201);
    let id = id_of(ok.data());

    // Updates are validated, and a rejected update leaves no version behind.
    let path = content_path(&id);
    assert_field_error(&app.patch(&path, t, json!({"slug": "Bad_Slug"})).await, "slug");
    assert_field_error(&app.patch(&path, t, json!({"title": ""})).await, "title");
    assert_field_error(&app.put(&path, t, json!({"status": "archived"})).await, "status");
    assert_field_error(&app.patch(&path, t, json!({"meta_title": "m".repeat(256)})).await, "meta_title");
    // An id far beyond any CMS's (and beyond what an item may hold) is a field error, not a 500.
    assert_field_error(&app.patch(&path, t, json!({"external_id": "9".repeat(500_000)})).await, "external_id");
    let still = app.get(&path, t).await.expect(200);
    assert_eq!(still.data()["slug"], "ok-slug-2");
    assert_eq!(still.data()["version"], 1);
    assert_eq!(app.count_kind("content_version").await, 0);
    let versions = app.get(&versions_path(&id), t).await.expect(200);
    assert_eq!(versions.body["count"], 0);
}

#[tokio::test]
async fn html_is_sanitised_on_create_and_update() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "sanitise").await;
    let t = &d.owner.access;
    let dirty = concat!(
        r#"<h2 onclick="steal()">Best trail shoes</h2><script>alert("x")</script>"#,
        r#"<p onmouseover="track()">Read the <a href="javascript:alert(1)">review</a> or the "#,
        r#"<a href="https://example.com/guide">guide</a>.</p>"#,
        r#"<img src="https://cdn.example.com/shoe.png" alt="Shoe" onerror="bad()">"#,
        r#"<ul><li><strong>Grip</strong></li><li><em>Drop</em></li></ul>"#,
        r#"<style>p { color: red }</style>"#,
    );
    let clean = concat!(
        r#"<h2>Best trail shoes</h2>"#,
        r#"<p>Read the <a rel="noopener noreferrer">review</a> or the "#,
        r#"<a href="https://example.com/guide" rel="noopener noreferrer">guide</a>.</p>"#,
        r#"<img src="https://cdn.example.com/shoe.png" alt="Shoe">"#,
        r#"<ul><li><strong>Grip</strong></li><li><em>Drop</em></li></ul>"#,
    );
    let created = add_content(&app, t, &d.site, &d.sector, "Dirty", json!({"html": dirty})).await;
    let html = created["html"].as_str().unwrap();
    for gone in ["<script", "alert", "onclick", "onmouseover", "onerror", "javascript:", "<style", "color: red"] {
        assert!(!html.contains(gone), "{gone:?} survived: {html}");
    }
    for kept in [
        "<h2>Best trail shoes</h2>",
        r#"href="https://example.com/guide""#,
        r#"<img src="https://cdn.example.com/shoe.png" alt="Shoe">"#,
        "<strong>Grip</strong>",
        "<em>Drop</em>",
    ] {
        assert!(html.contains(kept), "{kept:?} was lost: {html}");
    }
    assert_eq!(html, clean);
    assert_eq!(created["word_count"], 11, "the removed script is not counted");
    let id = id_of(&created);
    assert_eq!(app.get(&content_path(&id), t).await.expect(200).data()["html"], clean, "stored clean");

    // Updates are sanitised too.
    let dirty = r#"<p>Updated <a href="JavaScript:evil()" onclick="x()">link</a></p><script src="https://evil.example.com/x.js"></script><h3 onload="y()">End</h3>"#;
    let updated = app.patch(&content_path(&id), t, json!({"html": dirty})).await.expect(200);
    assert_eq!(updated.data()["html"], r#"<p>Updated <a rel="noopener noreferrer">link</a></p><h3>End</h3>"#);
    assert_eq!(updated.data()["word_count"], 3);
    let read = app.get(&content_path(&id), t).await.expect(200);
    assert_eq!(read.data()["html"], updated.data()["html"]);
}

#[tokio::test]
async fn every_change_of_the_text_keeps_the_previous_version() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "versions").await;
    let t = &d.owner.access;
    let c = add_content(&app, t, &d.site, &d.sector, "First title", json!({"html": "<p>one</p>"})).await;
    let id = id_of(&c);
    let none = app.get(&versions_path(&id), t).await.expect(200);
    assert_eq!(none.body["count"], 0);

    let v2 =
        app.patch(&content_path(&id), t, json!({"title": "Second title", "html": "<p>two two</p>"})).await.expect(200);
    assert_eq!(v2.data()["version"], 2);
    let v3 = app.put(&content_path(&id), t, json!({"html": "<p>three three three</p>"})).await.expect(200);
    assert_eq!(v3.data()["version"], 3);
    assert_eq!(v3.data()["title"], "Second title");

    let versions = app.get(&versions_path(&id), t).await.expect(200);
    assert_eq!(versions.body["count"], 2, "{}", versions.body);
    let list = results(&versions);
    assert_eq!(list.len(), 2);
    assert_eq!((list[0]["version"].clone(), list[1]["version"].clone()), (json!(2), json!(1)), "newest first");
    assert_eq!(list[0]["title"], "Second title");
    assert_eq!(list[0]["word_count"], 2);
    assert_eq!(list[1]["title"], "First title");
    assert_eq!(list[1]["word_count"], 1);
    for v in list {
        assert_eq!(v["id"], id.as_str());
        assert!(v.get("html_s3_key").is_none() && v.get("html").is_none(), "a list leaves the text out: {v}");
    }
    // One version is read with its text.
    let seq = list[0]["seq"].as_u64().unwrap();
    let one = app.get(&format!("{CONTENT}{id}/versions/{seq}/"), t).await.expect(200);
    assert_eq!(one.data()["html"], "<p>two two</p>");
    let oldest = app.get(&format!("{CONTENT}{id}/versions/{}/", list[1]["seq"]), t).await.expect(200);
    assert_eq!(oldest.data()["html"], "<p>one</p>");
    assert_not_found(&app.get(&format!("{CONTENT}{id}/versions/99/"), t).await, "no such version");
    // Without the trailing slash, and paginated.
    let page = app.get(&format!("{CONTENT}{id}/versions?page_size=1&page=2"), t).await.expect(200);
    assert_eq!(page.body["count"], 2);
    assert_eq!(results(&page)[0]["version"], 1);
    assert!(page.body["previous"].as_str().is_some() && page.body["next"].is_null());

    let current = app.get(&content_path(&id), t).await.expect(200);
    assert_eq!(current.data()["html"], "<p>three three three</p>");
    assert_eq!(current.data()["version"], 3);

    // A status-only update is not a new text: no version (the version number still
    // moves, so concurrent saves still conflict).
    let reviewed = app.patch(&content_path(&id), t, json!({"status": "review"})).await.expect(200);
    assert_eq!(reviewed.data()["version"], 4);
    let versions = app.get(&versions_path(&id), t).await.expect(200);
    assert_eq!(versions.body["count"], 2);
    assert_eq!(app.count_kind("content_version").await, 2);

    // Versions are capped: the newest ones are kept.
    for n in 0..igny8_store::CONTENT_VERSIONS_KEPT + 3 {
        app.patch(&content_path(&id), t, json!({"html": format!("<p>edit {n}</p>")})).await.expect(200);
    }
    let versions = app.get(&format!("{}?page_size=100", versions_path(&id)), t).await.expect(200);
    assert_eq!(versions.body["count"], igny8_store::CONTENT_VERSIONS_KEPT);
    assert_eq!(app.count_kind("content_version").await as u32, igny8_store::CONTENT_VERSIONS_KEPT);
    let newest = &results(&versions)[0];
    let text = app.get(&format!("{CONTENT}{id}/versions/{}/", newest["seq"]), t).await.expect(200);
    let last_kept = igny8_store::CONTENT_VERSIONS_KEPT + 1;
    assert_eq!(text.data()["html"], format!("<p>edit {last_kept}</p>"), "the one before the current text");
}

#[tokio::test]
async fn a_large_article_round_trips_through_s3() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "large").await;
    let t = &d.owner.access;
    let (first, first_words) = article("alpha", 400_000);
    let (second, second_words) = article("bravo", 410_000);
    assert!(first.len() > 300 * 1024 && second.len() > 300 * 1024);

    let created = app
        .post(CONTENT, t, json!({"site_id": d.site, "sector_id": d.sector, "title": "Long read", "html": first}))
        .await
        .expect(201);
    let id = id_of(created.data());
    assert!(created.data()["html"] == first.as_str(), "create returns the whole article");
    assert_eq!(created.data()["word_count"], first_words);
    assert_eq!(created.data()["version"], 1);
    assert!(!created.body.to_string().contains("html_s3_key"));
    assert!(!media_keys(&app).await.is_empty(), "the large body went to the bucket");

    let read = app.get(&content_path(&id), t).await.expect(200);
    assert!(read.data()["html"] == first.as_str(), "read returns the whole article");
    assert!(!read.body.to_string().contains("html_s3_key"));
    let list = app.get(&format!("{CONTENT}?site_id={}", d.site), t).await.expect(200);
    assert!(results(&list)[0].get("html").is_none());
    assert_eq!(results(&list)[0]["word_count"], first_words);

    // v2: the title only; the body stays.
    let v2 = app.patch(&content_path(&id), t, json!({"title": "Long read, retitled"})).await.expect(200);
    assert!(v2.data()["html"] == first.as_str());
    // v3: another large body.
    let v3 = app.put(&content_path(&id), t, json!({"html": second})).await.expect(200);
    assert!(v3.data()["html"] == second.as_str(), "update returns the new article");
    assert_eq!(v3.data()["word_count"], second_words);
    let read = app.get(&content_path(&id), t).await.expect(200);
    assert!(read.data()["html"] == second.as_str(), "read after update returns the new article");
    // v4: small again.
    let v4 = app.patch(&content_path(&id), t, json!({"html": "<p>Short again</p>"})).await.expect(200);
    assert_eq!(v4.data()["html"], "<p>Short again</p>");
    assert_eq!(v4.data()["version"], 4);

    let versions = app.get(&versions_path(&id), t).await.expect(200);
    assert_eq!(versions.body["count"], 3);
    let list = results(&versions);
    let numbers: Vec<u64> = list.iter().map(|v| v["version"].as_u64().unwrap()).collect();
    assert_eq!(numbers, vec![3, 2, 1]);
    let mut texts = Vec::new();
    for v in list {
        texts.push(
            app.get(&format!("{CONTENT}{id}/versions/{}/", v["seq"]), t).await.expect(200).data()["html"].clone(),
        );
    }
    assert!(texts[0] == second.as_str(), "version 3 has the second article");
    assert!(texts[1] == first.as_str(), "version 2 has the first article");
    assert!(texts[2] == first.as_str(), "version 1 has the first article");
    assert_eq!(list[1]["title"], "Long read, retitled");
    assert_eq!(list[2]["title"], "Long read");
    assert!(!versions.body.to_string().contains("html_s3_key"));

    // Deleting the content removes its objects from the bucket.
    app.delete(&content_path(&id), t).await.expect(200);
    assert_eq!(media_keys(&app).await, Vec::<String>::new(), "objects left in the bucket");
    assert_eq!(app.count_kind("content_version").await, 0);
    assert_eq!(app.count_kind("content").await, 0);
}

#[tokio::test]
async fn the_content_body_limit_is_four_mib() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "bodylimit").await;
    let t = &d.owner.access;
    // Well above the 1 MiB default of other routes, below 4 MiB.
    let (big, _) = article("charlie", 2_500_000);
    let created = app
        .post(CONTENT, t, json!({"site_id": d.site, "sector_id": d.sector, "title": "Huge", "html": big}))
        .await
        .expect(201);
    let id = id_of(created.data());
    let read = app.get(&content_path(&id), t).await.expect(200);
    assert!(read.data()["html"] == big.as_str(), "a 2.5 MB article round-trips");

    let (too_big, _) = article("delta", 4 * 1024 * 1024 + 1024);
    let r = app
        .post(CONTENT, t, json!({"site_id": d.site, "sector_id": d.sector, "title": "Too big", "html": too_big}))
        .await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.code(), "PAYLOAD_TOO_LARGE");
    let r = app.patch(&content_path(&id), t, json!({"html": too_big})).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(app.count_kind("content").await, 1);
    assert_eq!(app.get(&content_path(&id), t).await.expect(200).data()["version"], 1);
}

/// Concurrent updates of a large article: one wins (200), the others get 409, and what
/// is read afterwards is the winner's article — a loser must not overwrite the
/// winner's stored body.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_of_a_large_article_keep_the_winners_body() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "race").await;
    let t = &d.owner.access;
    let (start, _) = article("start", 320_000);
    let created = add_content(&app, t, &d.site, &d.sector, "Race", json!({"html": start})).await;
    let id = id_of(&created);
    for round in 0..4 {
        let bodies: Vec<String> = (0..3).map(|i| article(&format!("round{round}writer{i}"), 320_000).0).collect();
        let path = content_path(&id);
        let replies =
            futures::future::join_all(bodies.iter().map(|html| app.patch(&path, t, json!({"html": html})))).await;
        let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
        assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "round {round}: {statuses:?}");
        let winners: Vec<usize> = (0..3).filter(|i| replies[*i].status == 200).collect();
        assert!(!winners.is_empty(), "round {round}: nobody won: {statuses:?}");
        let read = app.get(&path, t).await.expect(200);
        let stored = read.data()["html"].as_str().unwrap();
        let version = read.data()["version"].as_u64().unwrap();
        let winner = winners
            .iter()
            .find(|i| replies[**i].data()["version"].as_u64() == Some(version))
            .unwrap_or_else(|| panic!("round {round}: no winner at version {version}"));
        assert!(
            stored == bodies[*winner],
            "round {round}: the stored body is not the winner's (writer {winner}, statuses {statuses:?}); it starts {:?}",
            &stored[..60]
        );
        // The versions are intact too: each former version's body is one that was sent.
        let versions = app.get(&format!("{}?page_size=1", versions_path(&id)), t).await.expect(200);
        assert_eq!(results(&versions)[0]["version"].as_u64(), Some(version - 1));
    }
}

#[tokio::test]
async fn another_account_gets_404_for_content() {
    let app = TestApp::spawn().await;
    let a = workspace(&app, "cnt-a").await;
    let a_task = id_of(&add_task(&app, &a.owner.access, &a.site, &a.sector, "A task", json!({})).await);
    let a_content =
        add_content(&app, &a.owner.access, &a.site, &a.sector, "A's article", json!({"task_id": a_task})).await;
    let a_id = id_of(&a_content);
    let b = workspace(&app, "cnt-b").await;
    let t = &b.owner.access;

    let path = content_path(&a_id);
    let attempts = [
        ("read", app.get(&path, t).await),
        ("versions", app.get(&versions_path(&a_id), t).await),
        ("patch", app.patch(&path, t, json!({"title": "Mine"})).await),
        ("patch status", app.patch(&path, t, json!({"status": "published"})).await),
        ("put html", app.put(&path, t, json!({"html": "<p>defaced</p>"})).await),
        ("delete", app.delete(&path, t).await),
        ("list A's site", app.get(&format!("{CONTENT}?site_id={}", a.site), t).await),
        (
            "create in A's site",
            app.post(CONTENT, t, json!({"site_id": a.site, "sector_id": a.sector, "title": "x", "html": ""})).await,
        ),
        (
            "create with A's task",
            app.post(
                CONTENT,
                t,
                json!({"site_id": b.site, "sector_id": b.sector, "title": "x", "html": "", "task_id": a_task}),
            )
            .await,
        ),
    ];
    for (what, reply) in &attempts {
        assert_not_found(reply, what);
    }
    let now = app.get(&path, &a.owner.access).await.expect(200);
    assert_eq!(now.data(), &a_content);
    assert_eq!(app.count_kind("content").await, 1);
    assert_eq!(app.count_kind("content_version").await, 0);
}

#[tokio::test]
async fn content_rejects_taxonomy_terms_of_another_account() {
    let app = TestApp::spawn().await;
    let a = workspace(&app, "terms-a").await;
    let a_term = app
        .post(
            "/api/v1/writer/taxonomies/",
            &a.owner.access,
            json!({"site_id": a.site, "taxonomy": "category", "name": "A's category"}),
        )
        .await
        .expect(201);
    let a_term = id_of(a_term.data());
    let b = workspace(&app, "terms-b").await;
    let t = &b.owner.access;
    let b_term = app
        .post("/api/v1/writer/taxonomies/", t, json!({"site_id": b.site, "taxonomy": "post_tag", "name": "Mine"}))
        .await
        .expect(201);
    let b_term = id_of(b_term.data());

    let own = add_content(&app, t, &b.site, &b.sector, "Tagged", json!({"taxonomy_term_ids": [b_term]})).await;
    assert_eq!(own["taxonomy_term_ids"], json!([b_term]));
    let r = app
        .post(
            CONTENT,
            t,
            json!({"site_id": b.site, "sector_id": b.sector, "title": "x", "html": "", "taxonomy_term_ids": [b_term, a_term]}),
        )
        .await;
    assert_not_found(&r, "create with another account's term");
    let r = app.patch(&content_path(&id_of(&own)), t, json!({"taxonomy_term_ids": [a_term]})).await;
    assert_not_found(&r, "update with another account's term");
    assert_eq!(app.get(&content_path(&id_of(&own)), t).await.expect(200).data()["taxonomy_term_ids"], json!([b_term]));
}

#[tokio::test]
async fn viewers_read_content_and_editors_see_only_granted_sites() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "cntroles").await;
    let owner = &d.owner;
    let editor = app.add_member(owner, "editor", "editor").await;
    let viewer = app.add_member(owner, "viewer", "viewer").await;
    app.grant(owner, &d.site, &editor.user_id).await;
    app.grant(owner, &d.site, &viewer.user_id).await;
    let hidden_site = app.create_site(&owner.access, "Hidden").await;
    let hidden_sector = app.create_sector(&owner.access, &hidden_site, "Hidden sector").await;
    let c = add_content(&app, &owner.access, &d.site, &d.sector, "Shared", json!({})).await;
    let id = id_of(&c);
    let hidden = id_of(&add_content(&app, &owner.access, &hidden_site, &hidden_sector, "Hidden", json!({})).await);

    let v = &viewer.access;
    app.get(&format!("{CONTENT}?site_id={}", d.site), v).await.expect(200);
    app.get(&content_path(&id), v).await.expect(200);
    app.get(&versions_path(&id), v).await.expect(200);
    let denied = [
        (
            "create",
            app.post(CONTENT, v, json!({"site_id": d.site, "sector_id": d.sector, "title": "V", "html": ""})).await,
        ),
        ("patch", app.patch(&content_path(&id), v, json!({"title": "V"})).await),
        ("patch status", app.patch(&content_path(&id), v, json!({"status": "published"})).await),
        ("put html", app.put(&content_path(&id), v, json!({"html": "<p>v</p>"})).await),
        ("delete", app.delete(&content_path(&id), v).await),
    ];
    for (what, reply) in &denied {
        assert_forbidden(reply, what);
    }
    assert_eq!(app.get(&content_path(&id), &owner.access).await.expect(200).data(), &c);
    assert_not_found(&app.get(&content_path(&hidden), v).await, "viewer reads hidden content");

    let e = &editor.access;
    let mine = add_content(&app, e, &d.site, &d.sector, "Editor's", json!({})).await;
    app.patch(&content_path(&id), e, json!({"title": "Edited"})).await.expect(200);
    app.delete(&content_path(&id_of(&mine)), e).await.expect(200);
    let unseen = [
        ("read", app.get(&content_path(&hidden), e).await),
        ("versions", app.get(&versions_path(&hidden), e).await),
        ("patch", app.patch(&content_path(&hidden), e, json!({"title": "Found"})).await),
        ("delete", app.delete(&content_path(&hidden), e).await),
        ("list", app.get(&format!("{CONTENT}?site_id={hidden_site}"), e).await),
    ];
    for (what, reply) in &unseen {
        assert_not_found(reply, what);
    }
    assert_eq!(app.get(&content_path(&hidden), &owner.access).await.expect(200).data()["version"], 1);
}

#[tokio::test]
async fn a_site_key_changes_only_status_and_external_ids_of_content() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "cntkey").await;
    let t = &d.owner.access;
    let sister = app.create_site(t, "Sister").await;
    let sister_sector = app.create_sector(t, &sister, "Sister sector").await;
    let c = add_content(&app, t, &d.site, &d.sector, "Bridge post", json!({"html": "<p>Original</p>"})).await;
    let id = id_of(&c);
    let sister_content = id_of(&add_content(&app, t, &sister, &sister_sector, "Sister post", json!({})).await);
    let key = app.rotate_key(&d.owner, &d.site).await;
    let as_key = |method: Method, path: String, body: Option<Value>| {
        let app = &app;
        let key = key.clone();
        async move { app.call(method, &path, Auth::ApiKey(&key), body).await }
    };

    let list = as_key(Method::GET, format!("{CONTENT}?site_id={}", d.site), None).await.expect(200);
    assert_eq!(column(&list, "title"), vec!["Bridge post"]);
    let read = as_key(Method::GET, content_path(&id), None).await.expect(200);
    assert_eq!(read.data()["html"], "<p>Original</p>");
    as_key(Method::GET, versions_path(&id), None).await.expect(200);

    let r = as_key(
        Method::PATCH,
        content_path(&id),
        Some(json!({"status": "published", "external_id": "wp-42", "external_url": "https://blog.example.com/?p=42"})),
    )
    .await
    .expect(200);
    assert_eq!(r.data()["status"], "published");
    assert_eq!(r.data()["external_id"], "wp-42");
    assert_eq!(r.data()["external_url"], "https://blog.example.com/?p=42");
    let r = as_key(Method::PUT, content_path(&id), Some(json!({"status": "review"}))).await.expect(200);
    assert_eq!(r.data()["status"], "review");
    assert_eq!(r.data()["external_id"], "wp-42");

    let denied = [
        ("patch title", as_key(Method::PATCH, content_path(&id), Some(json!({"title": "Bot"}))).await),
        ("patch html", as_key(Method::PATCH, content_path(&id), Some(json!({"html": "<p>bot</p>"}))).await),
        (
            "status and slug",
            as_key(Method::PATCH, content_path(&id), Some(json!({"status": "draft", "slug": "bot"}))).await,
        ),
        ("meta description", as_key(Method::PUT, content_path(&id), Some(json!({"meta_description": "bot"}))).await),
        ("delete", as_key(Method::DELETE, content_path(&id), None).await),
        (
            "create",
            as_key(
                Method::POST,
                CONTENT.into(),
                Some(json!({"site_id": d.site, "sector_id": d.sector, "title": "Bot", "html": ""})),
            )
            .await,
        ),
    ];
    for (what, reply) in &denied {
        assert_forbidden(reply, what);
    }
    let now = app.get(&content_path(&id), t).await.expect(200);
    assert_eq!(now.data()["title"], "Bridge post");
    assert_eq!(now.data()["html"], "<p>Original</p>");
    assert_eq!(now.data()["status"], "review");
    assert_eq!(now.data()["version"], 3);
    assert_eq!(app.count_kind("content").await, 2);

    assert_not_found(&as_key(Method::GET, content_path(&sister_content), None).await, "read sister content");
    assert_not_found(&as_key(Method::GET, versions_path(&sister_content), None).await, "sister versions");
    assert_not_found(
        &as_key(Method::PATCH, content_path(&sister_content), Some(json!({"status": "published"}))).await,
        "status of sister content",
    );
    assert_not_found(&as_key(Method::GET, format!("{CONTENT}?site_id={sister}"), None).await, "list sister site");
    assert_eq!(app.get(&content_path(&sister_content), t).await.expect(200).data()["status"], "draft");
}

#[tokio::test]
async fn a_large_article_the_store_refuses_leaves_nothing_in_the_bucket() {
    let app = TestApp::spawn().await;
    let ws = igny8_e2e::common::workspace(&app, "refused-article").await;
    let t = &ws.owner.access;
    let (big, _) = article("echo", 400_000);
    let body = json!({"site_id": ws.site, "sector_id": ws.sector, "title": "Refused", "html": big});

    // The text goes to S3 first; the table then refuses the content (every attempt is
    // throttled), so the text placed for it is removed again.
    app.inject_fault("dynamodb", "TransactWriteItems", "throttling", 3).await;
    let refused = app.post(CONTENT, t, body.clone()).await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    app.clear_faults().await;
    assert!(media_keys(&app).await.is_empty(), "text left behind: {:?}", media_keys(&app).await);
    let list = app.get(&format!("{CONTENT}?site_id={}", ws.site), t).await.expect(200);
    assert_eq!(list.body["count"], 0);

    // The same request once the table answers keeps its text in the bucket.
    app.post(CONTENT, t, body).await.expect(201);
    assert_eq!(media_keys(&app).await.len(), 1);
}
