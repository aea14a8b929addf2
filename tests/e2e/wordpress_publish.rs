//! Publishing to a real WordPress (Debian's package on PHP's built-in server), in both
//! modes, with every result read back from WordPress's own REST API as its admin.

use igny8_e2e::TestApp;
use igny8_e2e::wordpress::{Options, WordPress};
use reqwest::Method;
use serde_json::{Value, json};

use igny8_e2e::common::{Workspace, id_of, workspace};

pub(crate) const INTEGRATIONS: &str = "/api/v1/integration/integrations/";

/// A small PNG of one colour (WordPress checks uploads are real images).
pub(crate) fn png(shade: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, 8, 8);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("png header");
        writer.write_image_data(&[shade; 8 * 8 * 3]).expect("png data");
    }
    bytes
}

/// An account, its site and sector, and a WordPress for it.
pub(crate) struct Desk {
    pub app: TestApp,
    pub ws: Workspace,
    pub wp: WordPress,
}

pub(crate) async fn desk(label: &str, options: Options) -> Desk {
    let (app, wp) = tokio::join!(TestApp::spawn(), WordPress::start(label, options));
    let ws = workspace(&app, label).await;
    Desk { app, ws, wp }
}

/// Connects the site in rest mode with the admin's application password.
pub(crate) async fn connect_rest(d: &Desk, extra: Value) -> String {
    let mut body = json!({
        "site_id": d.ws.site, "site_url": d.wp.url, "mode": "rest",
        "username": d.wp.admin_user, "app_password": d.wp.app_password,
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    id_of(d.app.post(INTEGRATIONS, &d.ws.owner.access, body).await.expect(201).data())
}

/// An article with a category and a tag term, a featured image and two in-article ones.
pub(crate) async fn article(d: &Desk, title: &str) -> String {
    let t = &d.ws.owner.access;
    let mut terms = Vec::new();
    for (taxonomy, name) in [("category", "Running Gear"), ("post_tag", "trail & road")] {
        let body = json!({"site_id": d.ws.site, "taxonomy": taxonomy, "name": name});
        terms.push(id_of(d.app.post("/api/v1/writer/taxonomies/", t, body).await.expect(201).data()));
    }
    let html = "<p>Intro to shoes.</p><h2>Fit</h2><p>How they fit.</p><h2>Grip</h2><p>How they grip.</p><h2>Price</h2><p>What they cost.</p>";
    let body = json!({
        "site_id": d.ws.site, "sector_id": d.ws.sector, "title": title, "html": html,
        "meta_title": format!("{title} | SEO"), "meta_description": "The best shoes, compared.",
        "primary_keyword": "running shoes", "taxonomy_term_ids": terms,
    });
    let content = id_of(d.app.post("/api/v1/writer/content/", t, body).await.expect(201).data());
    for (n, kind) in ["featured", "in_article", "in_article"].iter().enumerate() {
        let body = json!({
            "site_id": d.ws.site, "sector_id": d.ws.sector, "content_id": content, "image_type": kind,
            "prompt": "shoes", "alt_text": format!("Shoe picture {n}"), "caption": format!("Caption {n}"),
            "position": n,
        });
        let image = id_of(d.app.post("/api/v1/writer/images/", t, body).await.expect(201).data());
        d.app
            .post_bytes(&format!("/api/v1/writer/images/{image}/upload/"), t, "image/png", png(40 * n as u8 + 20))
            .await
            .expect(200);
    }
    content
}

/// Publishes and runs the publisher; the finished job.
pub(crate) async fn publish(d: &Desk, content: &str, body: Value) -> Value {
    let reply = d.app.post(&format!("/api/v1/writer/content/{content}/publish/"), &d.ws.owner.access, body).await;
    let job = id_of(reply.expect(202).data());
    d.app.run_publish_jobs().await;
    job_view(d, &job).await
}

pub(crate) async fn job_view(d: &Desk, job: &str) -> Value {
    d.app.get(&format!("/api/v1/system/jobs/{job}/"), &d.ws.owner.access).await.expect(200).data().clone()
}

pub(crate) async fn content(d: &Desk, id: &str) -> Value {
    d.app.get(&format!("/api/v1/writer/content/{id}/"), &d.ws.owner.access).await.expect(200).data().clone()
}

/// Term names of a post, read from WordPress.
async fn term_names(wp: &WordPress, route: &str, ids: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for id in ids.as_array().expect("term ids") {
        let term = wp.read(&format!("{route}/{id}")).await;
        names.push(term["name"].as_str().unwrap().replace("&amp;", "&"));
    }
    names.sort();
    names
}

/// Checks everything a publish should have put on WordPress, from WordPress.
async fn assert_on_wordpress(wp: &WordPress, post_id: u64, title: &str) -> Value {
    let post = wp.read(&format!("/wp/v2/posts/{post_id}")).await;
    assert_eq!(post["title"]["raw"], title);
    assert_eq!(post["status"], "publish");
    let html = post["content"]["raw"].as_str().unwrap();
    assert!(html.contains("How they grip."), "{html}");
    let media = wp.all_media().await;
    assert_eq!(media.len(), 3, "featured + two in-article images: {media:?}");
    let featured = post["featured_media"].as_u64().unwrap();
    let featured_item = media.iter().find(|m| m["id"].as_u64() == Some(featured)).expect("the featured media item");
    assert_eq!(featured_item["alt_text"], "Shoe picture 0");
    for m in media.iter().filter(|m| m["id"].as_u64() != Some(featured)) {
        let src = m["source_url"].as_str().unwrap();
        assert!(html.contains(src), "in-article image {src} is in the post: {html}");
        assert!(src.starts_with(&wp.url), "served by WordPress: {src}");
    }
    assert_eq!(term_names(wp, "/wp/v2/categories", &post["categories"]).await, ["Running Gear"]);
    assert_eq!(term_names(wp, "/wp/v2/tags", &post["tags"]).await, ["trail & road"]);
    assert_eq!(post["meta"]["_yoast_wpseo_title"], format!("{title} | SEO"));
    assert_eq!(post["meta"]["_yoast_wpseo_metadesc"], "The best shoes, compared.");
    assert_eq!(post["meta"]["_yoast_wpseo_focuskw"], "running shoes");
    assert!(post["meta"]["_igny8_content_id"].as_str().is_some_and(|s| !s.is_empty()), "{post}");
    post
}

#[tokio::test]
async fn core_rest_publishes_an_article_with_images_terms_and_seo_and_republishes_in_place() {
    let d = desk("restpub", Options::default()).await;
    connect_rest(&d, json!({})).await;
    let id = article(&d, "Best Running Shoes").await;

    let job = publish(&d, &id, json!({"status": "publish"})).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["function"], "publish");
    assert_eq!(job["credits"], 0);
    let ours = content(&d, &id).await;
    assert_eq!(ours["status"], "published");
    let post_id: u64 = ours["external_id"].as_str().unwrap().parse().unwrap();
    let post = assert_on_wordpress(&d.wp, post_id, "Best Running Shoes").await;
    assert_eq!(post["meta"]["_igny8_content_id"], id);
    assert_eq!(ours["external_url"], post["link"]);

    // An edit, published again: the same post changes; no new post, no new media.
    d.app
        .patch(
            &format!("/api/v1/writer/content/{id}/"),
            &d.ws.owner.access,
            json!({"title": "Best Running Shoes 2027"}),
        )
        .await
        .expect(200);
    let again = publish(&d, &id, json!({"status": "publish"})).await;
    assert_eq!(again["state"], "done", "{again}");
    assert_eq!(d.wp.our_posts().await.len(), 1);
    assert_eq!(d.wp.all_media().await.len(), 3);
    assert_eq!(d.wp.read(&format!("/wp/v2/posts/{post_id}")).await["title"]["raw"], "Best Running Shoes 2027");

    // A publish that created the post but lost the answer before saving its id: the
    // retry finds the post by slug and content id instead of making a second one.
    let mut publication = d.app.store.publication(&d.ws.owner.account_id, &id.as_str().into()).await.unwrap().unwrap();
    publication.post_id = None;
    publication.media.clear();
    d.app.store.put_publication(&publication).await.unwrap();
    let retried = publish(&d, &id, json!({"status": "publish"})).await;
    assert_eq!(retried["state"], "done", "{retried}");
    assert_eq!(d.wp.our_posts().await.len(), 1, "no duplicate post");
    assert_eq!(d.wp.all_media().await.len(), 3, "no duplicate media");
    assert_eq!(content(&d, &id).await["external_id"], post_id.to_string());

    // Every call was logged, with WordPress's status codes.
    let logs = d
        .app
        .get(
            &format!("/api/v1/integration/sync-logs/?site_id={}&content_id={id}&page_size=200", d.ws.site),
            &d.ws.owner.access,
        )
        .await
        .expect(200);
    let entries = logs.body["results"].as_array().unwrap();
    assert!(entries.iter().any(|l| l["action"] == "create post" && l["status_code"] == 201), "{entries:?}");
    assert!(entries.iter().any(|l| l["action"] == "update post" && l["status_code"] == 200), "{entries:?}");
    assert_eq!(entries.iter().filter(|l| l["action"] == "upload media").count(), 3, "{entries:?}");
}

#[tokio::test]
async fn the_bridge_plugin_connects_publishes_and_reports_changes_back() {
    let d = desk("bridgepub", Options::default()).await;
    let key = d.app.rotate_key(&d.ws.owner, &d.ws.site).await;
    // The plugin's Connect button, pressed as the WordPress admin would.
    let said = d.wp.eval(&format!("$r = Igny8_Bridge_Connection::connect('{}', '{key}'); echo is_wp_error($r) ? $r->get_error_message() : 'connected';", d.app.base)).await;
    assert_eq!(said.trim(), "connected");
    let integrations = d.app.get(INTEGRATIONS, &d.ws.owner.access).await.expect(200);
    let integration = &integrations.body["results"][0];
    assert_eq!(integration["mode"], "bridge");
    assert_eq!(integration["bridge"]["connected"], true);
    assert!(integration.to_string().find("signing_secret").is_none(), "the secret is never shown");
    // The plugin pushed its categories (WordPress's default one at least).
    let terms =
        d.app.get(&format!("/api/v1/writer/taxonomies/?site_id={}", d.ws.site), &d.ws.owner.access).await.expect(200);
    assert!(
        terms.body["results"].as_array().unwrap().iter().any(|t| t["name"] == "Uncategorized" && t["external_id"] == 1),
        "{}",
        terms.body
    );

    let id = article(&d, "Trail Shoes Guide").await;
    let job = publish(&d, &id, json!({"status": "publish"})).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["model"], "bridge");
    let post_id: u64 = content(&d, &id).await["external_id"].as_str().unwrap().parse().unwrap();
    assert_on_wordpress(&d.wp, post_id, "Trail Shoes Guide").await;

    // Published again: the plugin updates the same post, and media are not uploaded twice.
    let mut publication = d.app.store.publication(&d.ws.owner.account_id, &id.as_str().into()).await.unwrap().unwrap();
    publication.media.clear();
    d.app.store.put_publication(&publication).await.unwrap();
    assert_eq!(publish(&d, &id, json!({"status": "publish"})).await["state"], "done");
    let logs = d
        .app
        .get(&format!("/api/v1/integration/sync-logs/?site_id={}&page_size=200", d.ws.site), &d.ws.owner.access)
        .await;
    assert_eq!(d.wp.our_posts().await.len(), 1, "{:?}\n{}", d.wp.our_posts().await, logs.body);
    assert_eq!(d.wp.all_media().await.len(), 3);

    // Trashed by the WordPress admin: the plugin's webhook tells us.
    d.wp.eval(&format!("wp_trash_post({post_id});")).await;
    let ours = content(&d, &id).await;
    assert_eq!(ours["status"], "draft", "{ours}");
    // Published again by the admin.
    d.wp.eval(&format!("wp_untrash_post({post_id}); wp_publish_post({post_id});")).await;
    assert_eq!(content(&d, &id).await["status"], "published");
    let logs = d
        .app
        .get(&format!("/api/v1/integration/sync-logs/?site_id={}&type=webhook", d.ws.site), &d.ws.owner.access)
        .await
        .expect(200);
    assert!(logs.body["count"].as_u64().unwrap() >= 2, "{}", logs.body);
}

#[tokio::test]
async fn sync_notices_posts_deleted_and_unpublished_in_wordpress() {
    let d = desk("syncdel", Options::default()).await;
    connect_rest(&d, json!({})).await;
    let kept = article(&d, "Kept Article").await;
    let gone = article(&d, "Gone Article").await;
    let reply = d
        .app
        .post(
            "/api/v1/writer/content/bulk_publish/",
            &d.ws.owner.access,
            json!({"ids": [kept, gone], "status": "publish"}),
        )
        .await;
    let job = id_of(reply.expect(202).data());
    d.app.run_publish_jobs().await;
    assert_eq!(job_view(&d, &job).await["progress"]["done"], 2);
    let gone_post = content(&d, &gone).await["external_id"].as_str().unwrap().to_owned();
    let kept_post = content(&d, &kept).await["external_id"].as_str().unwrap().to_owned();
    // Deleted for good, and unpublished, by the WordPress admin (the plugin is not
    // connected on this site, so only a sync can notice).
    d.wp.eval(&format!(
        "wp_delete_post({gone_post}, true); wp_update_post(['ID' => {kept_post}, 'post_status' => 'draft']);"
    ))
    .await;

    let integration = connect_id(&d).await;
    let reply = d.app.post(&format!("{INTEGRATIONS}{integration}/sync/"), &d.ws.owner.access, json!({})).await;
    let sync_job = id_of(reply.expect(202).data());
    d.app.run_publish_jobs().await;
    let view = job_view(&d, &sync_job).await;
    assert_eq!(view["state"], "done", "{view}");
    let gone_now = content(&d, &gone).await;
    assert_eq!(gone_now["status"], "draft");
    assert!(gone_now["external_id"].is_null(), "{gone_now}");
    assert_eq!(content(&d, &kept).await["status"], "draft");
    // The site's categories came along.
    let types = d.app.get(&format!("{INTEGRATIONS}{integration}/content-types/"), &d.ws.owner.access).await.expect(200);
    assert!(types.data()["post_types"].as_array().unwrap().iter().any(|t| t["name"] == "post"), "{}", types.body);
}

pub(crate) async fn connect_id(d: &Desk) -> String {
    let list = d.app.get(INTEGRATIONS, &d.ws.owner.access).await.expect(200);
    list.body["results"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn failures_are_told_as_a_user_understands_and_nothing_is_half_written() {
    let d = desk("wpfail", Options::default()).await;
    let integration = connect_rest(&d, json!({})).await;
    let id = article(&d, "Failing Article").await;
    let path = format!("{INTEGRATIONS}{integration}/");
    let t = &d.ws.owner.access;

    // A wrong application password: refused at once, no retries.
    d.app.patch(&path, t, json!({"app_password": "abcd efgh ijkl mnop qrst uvwx"})).await.expect(200);
    let job = publish(&d, &id, json!({})).await;
    assert_eq!(job["state"], "failed");
    assert!(job["reason"].as_str().unwrap().contains("application password"), "{job}");
    let ours = content(&d, &id).await;
    assert!(ours["external_id"].is_null() && ours["status"] == "draft", "{ours}");
    let logs =
        d.app.get(&format!("/api/v1/integration/sync-logs/?site_id={}&ok=false", d.ws.site), t).await.expect(200);
    let failed: Vec<&Value> = logs.body["results"].as_array().unwrap().iter().collect();
    assert_eq!(failed.len(), 1, "401 is not retried: {failed:?}");
    assert_eq!(failed[0]["status_code"], 401);

    // A user who may not publish (a contributor): 403 with what to do.
    d.app
        .patch(&path, t, json!({"username": d.wp.contributor_user, "app_password": d.wp.contributor_app_password}))
        .await
        .expect(200);
    let job = publish(&d, &id, json!({"status": "publish"})).await;
    assert_eq!(job["state"], "failed");
    let reason = job["reason"].as_str().unwrap();
    assert!(reason.contains("may not") && reason.contains("Editor"), "{reason}");
    assert!(d.wp.our_posts().await.iter().all(|p| p["status"] != "publish"));

    // WordPress answering 500 twice: retried, then published.
    d.app.patch(&path, t, json!({"username": d.wp.admin_user, "app_password": d.wp.app_password})).await.expect(200);
    d.wp.eval("update_option('igny8_test_fail_next', 2);").await;
    let job = publish(&d, &id, json!({"status": "publish"})).await;
    assert_eq!(job["state"], "done", "{job}");
    let logs = d
        .app
        .get(&format!("/api/v1/integration/sync-logs/?site_id={}&ok=false&page_size=200", d.ws.site), t)
        .await
        .expect(200);
    assert_eq!(logs.body["results"].as_array().unwrap().iter().filter(|l| l["status_code"] == 500).count(), 2);
    assert_eq!(content(&d, &id).await["status"], "published");

    // WordPress stopped: the item fails after the retries, saying so; what we had stays.
    d.wp.stop_server();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    d.app.patch(&format!("/api/v1/writer/content/{id}/"), t, json!({"title": "Changed While Down"})).await.expect(200);
    let job = publish(&d, &id, json!({"status": "publish"})).await;
    assert_eq!(job["state"], "failed");
    assert!(job["reason"].as_str().unwrap().contains("could not be reached"), "{job}");
    let ours = content(&d, &id).await;
    assert_eq!(ours["status"], "published", "the last good publish stands: {ours}");
    assert!(ours["external_id"].is_string());
    let logs = d
        .app
        .get(&format!("/api/v1/integration/sync-logs/?site_id={}&job_id={}", d.ws.site, job["id"].as_str().unwrap()), t)
        .await
        .expect(200);
    assert_eq!(logs.body["count"], 3, "one try and two retries: {}", logs.body);
}

#[tokio::test]
async fn test_connection_reports_each_check() {
    let d = desk("wpcheck", Options::default()).await;
    let integration = connect_rest(&d, json!({})).await;
    let t = &d.ws.owner.access;
    let path = format!("{INTEGRATIONS}{integration}/test-connection/");
    async fn run_check(d: &Desk, path: &str) -> Value {
        d.app.post(path, &d.ws.owner.access, json!({})).await.expect(200).data().clone()
    }
    let by_id = |report: &Value, id: &str| -> Value {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id} in {report}"))
    };
    let good = run_check(&d, &path).await;
    assert_eq!(good["ok"], true, "{good}");
    for id in [
        "reachable",
        "redirect",
        "rest_api",
        "application_passwords",
        "credentials",
        "authorization_header",
        "capabilities",
        "bridge_plugin",
        "seo_plugin",
    ] {
        assert_eq!(by_id(&good, id)["ok"], true, "{id}: {good}");
    }

    d.app
        .patch(&format!("{INTEGRATIONS}{integration}/"), t, json!({"app_password": "wrong wrong wrong wrong"}))
        .await
        .expect(200);
    let wrong = run_check(&d, &path).await;
    assert_eq!(wrong["ok"], false);
    assert_eq!(by_id(&wrong, "reachable")["ok"], true);
    assert_eq!(by_id(&wrong, "rest_api")["ok"], true);
    let credentials = by_id(&wrong, "credentials");
    assert_eq!(credentials["ok"], false);
    assert!(credentials["fix"].as_str().unwrap().contains("application password"), "{credentials}");

    let blocked = WordPress::start("wpnorest", Options { rest_disabled: true, ..Default::default() }).await;
    d.app
        .patch(
            &format!("{INTEGRATIONS}{integration}/"),
            t,
            json!({"site_url": blocked.url, "app_password": blocked.app_password}),
        )
        .await
        .expect(200);
    let report = run_check(&d, &path).await;
    assert_eq!(by_id(&report, "reachable")["ok"], true);
    let rest = by_id(&report, "rest_api");
    assert_eq!(rest["ok"], false, "{report}");
    assert!(!rest["fix"].as_str().unwrap().is_empty());
    assert!(by_id(&report, "credentials")["message"].as_str().unwrap().starts_with("Not checked"));
}

#[tokio::test]
async fn plain_permalinks_are_detected_and_used() {
    let d = desk("wpplain", Options { plain_permalinks: true, ..Default::default() }).await;
    let integration = connect_rest(&d, json!({})).await;
    let report = d
        .app
        .post(&format!("{INTEGRATIONS}{integration}/test-connection/"), &d.ws.owner.access, json!({}))
        .await
        .expect(200);
    assert_eq!(report.data()["rest_style"], "plain", "{}", report.body);
    let id = article(&d, "Plain Links Article").await;
    let job = publish(&d, &id, json!({"status": "draft"})).await;
    assert_eq!(job["state"], "done", "{job}");
    let ours = content(&d, &id).await;
    assert_eq!(ours["status"], "draft");
    let post = d.wp.read(&format!("/wp/v2/posts/{}", ours["external_id"].as_str().unwrap())).await;
    assert_eq!(post["status"], "draft");
}

#[tokio::test]
async fn integrations_logs_and_publishing_are_isolated_and_role_checked() {
    let d = desk("wpiso", Options::default()).await;
    let integration = connect_rest(&d, json!({})).await;
    let id = article(&d, "Private Article").await;
    let other = workspace(&d.app, "wpother").await;
    let o = &other.owner.access;
    assert_eq!(d.app.get(&format!("{INTEGRATIONS}{integration}/"), o).await.status, 404);
    assert_eq!(d.app.post(&format!("{INTEGRATIONS}{integration}/test-connection/"), o, json!({})).await.status, 404);
    assert_eq!(d.app.get(&format!("/api/v1/integration/sync-logs/?site_id={}", d.ws.site), o).await.status, 404);
    assert_eq!(d.app.post(&format!("/api/v1/writer/content/{id}/publish/"), o, json!({})).await.status, 404);
    assert_eq!(d.app.get(INTEGRATIONS, o).await.expect(200).body["count"], 0);

    // A viewer may not publish; an editor may not manage integrations.
    let viewer = d.app.add_member(&d.ws.owner, "wpviewer", "viewer").await;
    d.app.grant(&d.ws.owner, &d.ws.site, &viewer.user_id).await;
    assert_eq!(
        d.app.post(&format!("/api/v1/writer/content/{id}/publish/"), &viewer.access, json!({})).await.status,
        403
    );
    let editor = d.app.add_member(&d.ws.owner, "wpeditor", "editor").await;
    d.app.grant(&d.ws.owner, &d.ws.site, &editor.user_id).await;
    assert_eq!(d.app.get(&format!("{INTEGRATIONS}{integration}/"), &editor.access).await.status, 403);
    d.app.post(&format!("/api/v1/writer/content/{id}/publish/"), &editor.access, json!({})).await.expect(202);

    // Site A's key cannot touch site B's content, nor another account's.
    let site_b = d.app.create_site(&d.ws.owner.access, "Site B").await;
    let sector_b = d.app.create_sector(&d.ws.owner.access, &site_b, "B sector").await;
    let b_content = id_of(
        d.app
            .post(
                "/api/v1/writer/content/",
                &d.ws.owner.access,
                json!({"site_id": site_b, "sector_id": sector_b, "title": "B", "html": "<p>b</p>"}),
            )
            .await
            .expect(201)
            .data(),
    );
    let key_a = d.app.rotate_key(&d.ws.owner, &d.ws.site).await;
    let webhook = json!({"event": "post_deleted", "content_id": b_content, "post_id": 5, "url": "", "status": "trash"});
    let reply = d
        .app
        .call(Method::POST, "/api/v1/integration/webhooks/wordpress/", igny8_e2e::Auth::ApiKey(&key_a), Some(webhook))
        .await;
    assert_eq!(reply.status, 404, "{}", reply.body);
    // A person's token cannot use the plugin's endpoints.
    let reply =
        d.app.post("/api/v1/integration/bridge/connect/", &d.ws.owner.access, json!({"site_url": d.wp.url})).await;
    assert_eq!(reply.status, 403);
    // Publishing a site that is not connected says so.
    let reply =
        d.app.post(&format!("/api/v1/writer/content/{b_content}/publish/"), &d.ws.owner.access, json!({})).await;
    assert_eq!((reply.status, reply.code()), (409, "NOT_CONNECTED"), "{}", reply.body);
}

#[tokio::test]
async fn integration_input_is_validated() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "wpval").await;
    let t = &ws.owner.access;
    let base = json!({"site_id": ws.site, "site_url": "https://blog.example.com", "username": "admin", "app_password": "abcd efgh"});
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    use igny8_e2e::common::assert_field_error;
    assert_field_error(&app.post(INTEGRATIONS, t, with("site_url", json!("not a url"))).await, "site_url");
    assert_field_error(
        &app.post(INTEGRATIONS, t, with("site_url", json!("http://169.254.169.254/latest"))).await,
        "site_url",
    );
    assert_field_error(&app.post(INTEGRATIONS, t, with("mode", json!("ftp"))).await, "mode");
    let mut no_password = base.clone();
    no_password.as_object_mut().unwrap().remove("app_password");
    assert_field_error(&app.post(INTEGRATIONS, t, no_password).await, "app_password");
    assert_field_error(&app.post(INTEGRATIONS, t, with("category_rule", json!("fixed"))).await, "fixed_category");
    let created = app.post(INTEGRATIONS, t, base.clone()).await.expect(201);
    let view = created.data();
    assert_eq!(view["has_app_password"], true);
    assert!(!view.to_string().contains("abcd efgh"), "never returned in clear: {view}");
    assert_eq!(app.post(INTEGRATIONS, t, base.clone()).await.code(), "INTEGRATION_EXISTS");
    // Moving the site elsewhere takes the password again.
    let path = format!("{INTEGRATIONS}{}/", view["id"].as_str().unwrap());
    assert_field_error(&app.patch(&path, t, json!({"site_url": "https://other.example.com"})).await, "app_password");
    // Publishing: a scheduled post needs a future date.
    let content = id_of(
        app.post(
            "/api/v1/writer/content/",
            t,
            json!({"site_id": ws.site, "sector_id": ws.sector, "title": "T", "html": "<p>t</p>"}),
        )
        .await
        .expect(201)
        .data(),
    );
    let publish = format!("/api/v1/writer/content/{content}/publish/");
    assert_field_error(&app.post(&publish, t, json!({"status": "future"})).await, "date");
    assert_field_error(
        &app.post(&publish, t, json!({"status": "future", "date": "2001-01-01T00:00:00Z"})).await,
        "date",
    );
    app.post(&publish, t, json!({"status": "future", "date": "2099-01-01T09:00:00Z"})).await.expect(202);
}

/// The publisher's Lambda payload: `events/publisher-job.json` as the SQS event source
/// mapping delivers it — twice, publishing once.
#[tokio::test]
async fn publisher_sqs_event_publishes_once_when_delivered_twice() {
    let d = desk("pubevent", Options::default()).await;
    connect_rest(&d, json!({})).await;
    let id = article(&d, "Event Article").await;
    let reply = d
        .app
        .post(&format!("/api/v1/writer/content/{id}/publish/"), &d.ws.owner.access, json!({"status": "publish"}))
        .await;
    let job = id_of(reply.expect(202).data());
    let path = format!("{}/../events/publisher-job.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("{{ACCOUNT_ID}}", &d.ws.owner.account_id)
        .replace("{{JOB_ID}}", &job);
    for _ in 0..2 {
        let event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&text).expect("an SQS event");
        let response = serde_json::to_value(d.app.publisher.handle(event).await).unwrap();
        assert_eq!(response, json!({"batchItemFailures": []}));
    }
    assert_eq!(job_view(&d, &job).await["state"], "done");
    assert_eq!(d.wp.our_posts().await.len(), 1);
    assert_eq!(d.wp.all_media().await.len(), 3);
}

/// A webhook that could not reach us waits in the plugin's outbox and arrives when
/// WP-Cron flushes it.
#[tokio::test]
async fn webhooks_that_miss_us_are_delivered_later_by_wp_cron() {
    let d = desk("outbox", Options::default()).await;
    let key = d.app.rotate_key(&d.ws.owner, &d.ws.site).await;
    let connect = format!("Igny8_Bridge_Connection::connect('{}', '{key}');", d.app.base);
    d.wp.eval(&connect).await;
    let id = article(&d, "Outbox Article").await;
    assert_eq!(publish(&d, &id, json!({"status": "publish"})).await["state"], "done");
    let post_id = content(&d, &id).await["external_id"].as_str().unwrap().to_owned();

    // We are unreachable (nothing listens on port 9 here) while the admin trashes the post.
    d.wp.eval("update_option('igny8_bridge_api_url', 'http://127.0.0.1:9');").await;
    d.wp.eval(&format!("wp_trash_post({post_id});")).await;
    assert_eq!(content(&d, &id).await["status"], "published", "nothing arrived yet");
    let waiting = d.wp.eval("echo count(get_option('igny8_bridge_outbox', array()));").await;
    assert_eq!(waiting.trim(), "1");
    let scheduled = d.wp.eval("echo wp_next_scheduled('igny8_bridge_flush_outbox') ? 'yes' : 'no';").await;
    assert_eq!(scheduled.trim(), "yes", "a retry is scheduled");

    // We are back; WP-Cron runs the retry.
    d.wp.eval(&format!(
        "update_option('igny8_bridge_api_url', '{}'); do_action('igny8_bridge_flush_outbox');",
        d.app.base
    ))
    .await;
    assert_eq!(content(&d, &id).await["status"], "draft", "the trash reached us");
    assert_eq!(d.wp.eval("echo count(get_option('igny8_bridge_outbox', array()));").await.trim(), "0");
}

/// The plugin's webhooks may arrive out of order (a retry from its outbox after newer
/// news): what is older than what we know of the post is not applied.
#[tokio::test]
async fn webhooks_older_than_what_is_known_are_ignored() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "webhookorder").await;
    let t = &ws.owner.access;
    let body = json!({"site_id": ws.site, "sector_id": ws.sector, "title": "Ordered", "html": "<p>o</p>"});
    let id = id_of(app.post("/api/v1/writer/content/", t, body).await.expect(201).data());
    app.patch(&format!("/api/v1/writer/content/{id}/"), t, json!({"external_id": "7", "status": "published"}))
        .await
        .expect(200);
    let key = app.rotate_key(&ws.owner, &ws.site).await;
    let webhook = |status: &str, modified: &str| json!({"event": "post_status_changed", "content_id": id, "post_id": 7, "url": "https://blog/p", "status": status, "modified_gmt": modified});
    let send = |body: Value| {
        let key = key.clone();
        let app = &app;
        async move {
            app.call(Method::POST, "/api/v1/integration/webhooks/wordpress/", igny8_e2e::Auth::ApiKey(&key), Some(body))
                .await
        }
    };
    // Publication bookkeeping exists once something was published or reported.
    let mut publication = igny8_store::Publication::new(&ws.owner.account_id, &ws.site, &id.as_str().into());
    publication.post_id = Some(7);
    app.store.put_publication(&publication).await.unwrap();

    assert_eq!(send(webhook("draft", "2026-11-29T10:00:00")).await.expect(200).data()["status"], "draft");
    assert_eq!(send(webhook("publish", "2026-11-29T11:00:00")).await.expect(200).data()["status"], "published");
    let late = send(webhook("trash", "2026-11-29T10:30:00")).await.expect(200);
    assert_eq!(late.data()["applied"], false, "{}", late.body);
    assert_eq!(late.data()["status"], "published", "the newer news stands");
}
