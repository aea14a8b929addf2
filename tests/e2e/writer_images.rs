//! Writer images: CRUD with external URLs, the list, validation, uploads kept in S3 and
//! served by signed URLs, tenant isolation, roles and the site API key.

use igny8_e2e::{Auth, Reply, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

use crate::writer_content::{add_content, media_keys};
use crate::writer_tasks::add;
use igny8_e2e::common::{
    assert_field_error, assert_forbidden, assert_not_found, column, id_of, merged, results, workspace,
};

const IMAGES: &str = "/api/v1/writer/images/";

fn image_path(id: &str) -> String {
    format!("{IMAGES}{id}/")
}

async fn add_image(app: &TestApp, token: &str, site: &str, sector: &str, extra: Value) -> Value {
    add(app, IMAGES, token, site, sector, extra).await
}

/// POSTs raw bytes to `images/{id}/upload/` with the given content type.
async fn upload(app: &TestApp, id: &str, auth: Auth<'_>, content_type: &str, bytes: Vec<u8>) -> Reply {
    app.post_bytes_as(&format!("{IMAGES}{id}/upload/"), auth, content_type, bytes).await
}

/// A plain GET of a URL, no credentials: status and bytes.
async fn fetch(url: &str) -> (u16, Vec<u8>) {
    let response = reqwest::get(url).await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("bytes").to_vec())
}

/// Bytes that start like a PNG, with every byte value in them.
fn png_bytes(seed: u8) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    bytes.extend((0..70_000u32).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    bytes
}

#[tokio::test]
async fn images_with_external_urls_are_created_read_updated_and_deleted() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "images").await;
    let t = &d.owner.access;
    let content = id_of(&add_content(&app, t, &d.site, &d.sector, "Article", json!({})).await);

    let plain = add_image(&app, t, &d.site, &d.sector, json!({})).await;
    assert_eq!(plain["image_type"], "featured");
    assert_eq!(plain["status"], "pending");
    assert_eq!(plain["position"], 0);
    assert!(plain["image_url"].is_null(), "{plain}");

    let created = app
        .post(
            IMAGES,
            t,
            json!({
                "site_id": d.site, "sector_id": d.sector, "content_id": content, "image_type": "in_article",
                "prompt": "A trail runner at dawn", "alt_text": "Runner", "caption": "Early start",
                "position": 2, "status": "generated", "url": "https://cdn.example.com/runner.png"
            }),
        )
        .await
        .expect(201);
    let image = created.data().clone();
    let id = id_of(&image);
    assert_eq!(image["content_id"], content.as_str());
    assert_eq!(image["image_type"], "in_article");
    assert_eq!(image["prompt"], "A trail runner at dawn");
    assert_eq!(image["alt_text"], "Runner");
    assert_eq!(image["caption"], "Early start");
    assert_eq!(image["position"], 2);
    assert_eq!(image["status"], "generated");
    assert_eq!(image["url"], "https://cdn.example.com/runner.png");
    assert_eq!(image["image_url"], "https://cdn.example.com/runner.png", "an external image is served from its url");
    assert!(image.get("s3_key").is_none(), "{image}");

    assert_eq!(app.get(&image_path(&id), t).await.expect(200).data(), &image);
    app.get(&format!("{IMAGES}{id}"), t).await.expect(200);

    let patched = app.patch(&image_path(&id), t, json!({"alt_text": "A runner", "caption": ""})).await.expect(200);
    assert_eq!(patched.data()["alt_text"], "A runner");
    assert_eq!(patched.data()["caption"], "");
    assert_eq!(patched.data()["prompt"], "A trail runner at dawn");
    let put = app
        .put(&image_path(&id), t, json!({"position": 5, "url": "http://img.example.com/b.jpg", "content_id": null}))
        .await
        .expect(200);
    assert_eq!(put.data()["position"], 5);
    assert_eq!(put.data()["image_url"], "http://img.example.com/b.jpg");
    assert!(put.data().get("content_id").is_none_or(Value::is_null), "{}", put.body);
    assert_eq!(put.data()["alt_text"], "A runner");
    let read = app.get(&image_path(&id), t).await.expect(200);
    assert_eq!(read.data()["position"], 5);
    assert_eq!(read.data()["url"], "http://img.example.com/b.jpg");

    app.delete(&image_path(&id), t).await.expect(200);
    assert_not_found(&app.get(&image_path(&id), t).await, "read after delete");
    assert_not_found(&app.delete(&image_path(&id), t).await, "delete twice");
    assert_not_found(&app.patch(&image_path(&id), t, json!({"alt_text": "x"})).await, "update after delete");
    assert_eq!(app.count_kind("image").await, 1);
}

#[tokio::test]
async fn the_image_list_filters_and_orders() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "imglist").await;
    let t = &d.owner.access;
    let content = id_of(&add_content(&app, t, &d.site, &d.sector, "Article", json!({})).await);
    let second = app.create_sector(t, &d.site, "Second").await;
    for (alt, position, kind, status, linked) in [
        ("c", 3, "in_article", "generated", true),
        ("a", 1, "featured", "pending", true),
        ("b", 2, "in_article", "failed", false),
    ] {
        let mut extra = json!({"alt_text": alt, "position": position, "image_type": kind, "status": status});
        if linked {
            extra["content_id"] = json!(content);
        }
        add_image(&app, t, &d.site, &d.sector, extra).await;
    }
    add_image(&app, t, &d.site, &second, json!({"alt_text": "d", "position": 0})).await;
    let alts = |query: String| {
        let app = &app;
        let site = d.site.clone();
        async move { column(&app.get(&format!("{IMAGES}?site_id={site}{query}"), t).await.expect(200), "alt_text") }
    };
    assert_eq!(alts(String::new()).await, vec!["d", "a", "b", "c"], "by position by default");
    assert_eq!(alts("&ordering=-position".into()).await, vec!["c", "b", "a", "d"]);
    assert_eq!(alts("&ordering=created_at".into()).await, vec!["c", "a", "b", "d"]);
    assert_eq!(alts("&ordering=-created_at".into()).await, vec!["d", "b", "a", "c"]);
    assert_eq!(alts(format!("&content_id={content}")).await, vec!["a", "c"]);
    assert_eq!(alts("&image_type=in_article".into()).await, vec!["b", "c"]);
    assert_eq!(alts("&image_type=featured".into()).await, vec!["d", "a"]);
    assert_eq!(alts("&status=failed".into()).await, vec!["b"]);
    assert_eq!(alts("&status=pending".into()).await, vec!["d", "a"]);
    assert_eq!(alts(format!("&sector_id={second}")).await, vec!["d"]);
    assert_eq!(alts("&page_size=3&page=2".into()).await, vec!["c"]);
    let page = app.get(&format!("{IMAGES}?site_id={}&page_size=3", d.site), t).await.expect(200);
    assert_eq!(page.body["count"], 4);
    assert!(page.body["next"].as_str().is_some_and(|n| n.contains("page=2")), "{}", page.body);
    assert_field_error(&app.get(IMAGES, t).await, "site_id");
    assert_field_error(&app.get(&format!("{IMAGES}?site_id={}&ordering=alt_text", d.site), t).await, "ordering");
    assert_field_error(&app.get(&format!("{IMAGES}?site_id={}&image_type=banner", d.site), t).await, "image_type");
}

#[tokio::test]
async fn image_input_is_validated_field_by_field() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "imgval").await;
    let t = &d.owner.access;
    let other_sector = app.create_sector(t, &d.site, "Other").await;
    let content_elsewhere = id_of(&add_content(&app, t, &d.site, &other_sector, "Elsewhere", json!({})).await);
    let base = json!({"site_id": d.site, "sector_id": d.sector});
    let post = |extra: Value| {
        let app = &app;
        let body = merged(base.clone(), extra);
        async move { app.post(IMAGES, t, body).await }
    };
    for url in ["ftp://cdn.example.com/a.png", "javascript:alert(1)", "data:image/png;base64,AAAA", "not a url"] {
        assert_field_error(&post(json!({"url": url})).await, "url");
    }
    assert_field_error(&post(json!({"image_type": "banner"})).await, "image_type");
    assert_field_error(&post(json!({"status": "done"})).await, "status");
    assert_field_error(&post(json!({"position": 1001})).await, "position");
    assert_field_error(&post(json!({"position": -1})).await, "position");
    assert_field_error(&post(json!({"alt_text": "a".repeat(501)})).await, "alt_text");
    assert_field_error(&post(json!({"content_id": content_elsewhere})).await, "content_id");
    assert_field_error(&app.post(IMAGES, t, json!({"site_id": d.site})).await, "sector_id");
    assert_not_found(&post(json!({"content_id": "cnt_nope"})).await, "unknown content");
    assert_eq!(app.count_kind("image").await, 0);

    let image = add_image(&app, t, &d.site, &d.sector, json!({"url": "https://cdn.example.com/ok.png"})).await;
    let path = image_path(&id_of(&image));
    assert_field_error(&app.patch(&path, t, json!({"url": "javascript:alert(1)"})).await, "url");
    assert_field_error(&app.put(&path, t, json!({"url": "file:///etc/passwd"})).await, "url");
    assert_field_error(&app.patch(&path, t, json!({"content_id": content_elsewhere})).await, "content_id");
    assert_field_error(&app.patch(&path, t, json!({"status": "lost"})).await, "status");
    let still = app.get(&path, t).await.expect(200);
    assert_eq!(still.data()["url"], "https://cdn.example.com/ok.png");
    assert!(still.data().get("content_id").is_none_or(Value::is_null));
}

#[tokio::test]
async fn an_uploaded_image_is_served_by_a_signed_url() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "upload").await;
    let t = &d.owner.access;
    let image = add_image(&app, t, &d.site, &d.sector, json!({"alt_text": "Shoe"})).await;
    let id = id_of(&image);
    assert_eq!(image["status"], "pending");

    let png = png_bytes(1);
    let uploaded = upload(&app, &id, Auth::Bearer(t), "image/png", png.clone()).await.expect(200);
    assert_eq!(uploaded.data()["status"], "generated");
    assert_eq!(uploaded.data()["alt_text"], "Shoe");
    assert!(!uploaded.body.to_string().contains("s3_key"), "{}", uploaded.body);
    let url = uploaded.data()["image_url"].as_str().expect("image_url").to_owned();
    assert!(url.starts_with("http://") || url.starts_with("https://"), "{url}");
    assert!(url.contains("X-Amz-Expires") || url.contains("x-amz-expires"), "a time-limited URL: {url}");
    let (status, bytes) = fetch(&url).await;
    assert_eq!(status, 200);
    assert!(bytes == png, "the signed URL serves the uploaded bytes ({} bytes back, {} sent)", bytes.len(), png.len());

    // Reads, the list too, give working URLs and never the key.
    let read = app.get(&image_path(&id), t).await.expect(200);
    assert_eq!(read.data()["status"], "generated");
    assert!(!read.body.to_string().contains("s3_key"));
    let (status, bytes) = fetch(read.data()["image_url"].as_str().unwrap()).await;
    assert!(status == 200 && bytes == png);
    let list = app.get(&format!("{IMAGES}?site_id={}", d.site), t).await.expect(200);
    assert!(!list.body.to_string().contains("s3_key"));
    let (status, bytes) = fetch(results(&list)[0]["image_url"].as_str().unwrap()).await;
    assert!(status == 200 && bytes == png);
    assert_eq!(media_keys(&app).await.len(), 1);

    // A wrong type is refused and changes nothing.
    for wrong in ["text/plain", "application/octet-stream", "image/svg+xml", "application/json"] {
        let r = upload(&app, &id, Auth::Bearer(t), wrong, b"<svg onload=alert(1)>".to_vec()).await;
        assert_eq!(r.status, 415, "{wrong}: {}", r.body);
        assert_eq!(r.code(), "UNSUPPORTED_MEDIA_TYPE");
    }
    let r = upload(&app, &id, Auth::Bearer(t), "image/png", Vec::new()).await;
    assert_field_error(&r, "body");
    // Bytes that are not what the Content-Type says (a page, a JPEG called a PNG).
    assert_field_error(&upload(&app, &id, Auth::Bearer(t), "image/png", b"<html>hi</html>".to_vec()).await, "body");
    let jpeg_named_png: Vec<u8> = [0xff, 0xd8, 0xff, 0xe0, 0, 0].to_vec();
    assert_field_error(&upload(&app, &id, Auth::Bearer(t), "image/png", jpeg_named_png).await, "body");
    let (status, bytes) =
        fetch(app.get(&image_path(&id), t).await.expect(200).data()["image_url"].as_str().unwrap()).await;
    assert!(status == 200 && bytes == png, "the image still serves its bytes");
    assert_eq!(media_keys(&app).await.len(), 1);

    // A new upload replaces the bytes; the old object goes.
    let jpeg: Vec<u8> = [0xff, 0xd8, 0xff, 0xe0].into_iter().chain(png_bytes(7)).collect();
    let replaced = upload(&app, &id, Auth::Bearer(t), "image/jpeg", jpeg.clone()).await.expect(200);
    let new_url = replaced.data()["image_url"].as_str().unwrap().to_owned();
    let (status, bytes) = fetch(&new_url).await;
    assert!(status == 200 && bytes == jpeg, "the new URL serves the new bytes");
    let (status, bytes) = fetch(&url).await;
    assert!(status != 200 || bytes != png, "the old URL no longer serves the old bytes");
    assert_eq!(media_keys(&app).await.len(), 1, "the replaced object was deleted");
    let webp: Vec<u8> = b"RIFF\0\0\0\0WEBPVP8 ".iter().copied().chain(png_bytes(3)).collect();
    let gif: Vec<u8> = b"GIF89a".iter().copied().chain(png_bytes(3)).collect();
    for (kind, bytes) in [("image/webp", webp), ("image/gif", gif)] {
        upload(&app, &id, Auth::Bearer(t), kind, bytes).await.expect(200);
    }

    // Other images are unaffected; deleting the image deletes its bytes.
    let other = add_image(&app, t, &d.site, &d.sector, json!({"url": "https://cdn.example.com/x.png"})).await;
    assert_not_found(&upload(&app, "img_nope", Auth::Bearer(t), "image/png", png.clone()).await, "unknown image");
    app.delete(&image_path(&id), t).await.expect(200);
    assert_eq!(media_keys(&app).await, Vec::<String>::new());
    let (status, _) = fetch(&new_url).await;
    assert_ne!(status, 200, "a deleted image's URL serves nothing");
    assert_eq!(
        app.get(&image_path(&id_of(&other)), t).await.expect(200).data()["image_url"],
        "https://cdn.example.com/x.png"
    );
}

#[tokio::test]
async fn another_account_gets_404_for_images() {
    let app = TestApp::spawn().await;
    let a = workspace(&app, "img-a").await;
    let a_content = id_of(&add_content(&app, &a.owner.access, &a.site, &a.sector, "A's", json!({})).await);
    let a_image =
        add_image(&app, &a.owner.access, &a.site, &a.sector, json!({"alt_text": "A", "content_id": a_content})).await;
    let a_id = id_of(&a_image);
    let b = workspace(&app, "img-b").await;
    let t = &b.owner.access;
    let b_image = id_of(&add_image(&app, t, &b.site, &b.sector, json!({})).await);

    let path = image_path(&a_id);
    let attempts = [
        ("read", app.get(&path, t).await),
        ("patch", app.patch(&path, t, json!({"alt_text": "B"})).await),
        ("put", app.put(&path, t, json!({"url": "https://evil.example.com/x.png"})).await),
        ("delete", app.delete(&path, t).await),
        ("upload", upload(&app, &a_id, Auth::Bearer(t), "image/png", png_bytes(0)).await),
        ("list A's site", app.get(&format!("{IMAGES}?site_id={}", a.site), t).await),
        ("create in A's site", app.post(IMAGES, t, json!({"site_id": a.site, "sector_id": a.sector})).await),
        (
            "create with A's content",
            app.post(IMAGES, t, json!({"site_id": b.site, "sector_id": b.sector, "content_id": a_content})).await,
        ),
        ("link A's content", app.patch(&image_path(&b_image), t, json!({"content_id": a_content})).await),
    ];
    for (what, reply) in &attempts {
        assert_not_found(reply, what);
    }
    assert_eq!(app.get(&path, &a.owner.access).await.expect(200).data(), &a_image);
    assert_eq!(media_keys(&app).await, Vec::<String>::new());
    assert_eq!(app.count_kind("image").await, 2);
}

#[tokio::test]
async fn viewers_and_site_keys_only_read_images() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "imgroles").await;
    let owner = &d.owner;
    let viewer = app.add_member(owner, "viewer", "viewer").await;
    let editor = app.add_member(owner, "editor", "editor").await;
    app.grant(owner, &d.site, &viewer.user_id).await;
    app.grant(owner, &d.site, &editor.user_id).await;
    let image = add_image(&app, &owner.access, &d.site, &d.sector, json!({"alt_text": "Kept"})).await;
    let id = id_of(&image);
    let key = app.rotate_key(owner, &d.site).await;

    let v = &viewer.access;
    app.get(&format!("{IMAGES}?site_id={}", d.site), v).await.expect(200);
    app.get(&image_path(&id), v).await.expect(200);
    let as_key = |method: Method, path: String, body: Option<Value>| {
        let app = &app;
        let key = key.clone();
        async move { app.call(method, &path, Auth::ApiKey(&key), body).await }
    };
    let denied = [
        ("viewer create", app.post(IMAGES, v, json!({"site_id": d.site, "sector_id": d.sector})).await),
        ("viewer patch", app.patch(&image_path(&id), v, json!({"alt_text": "V"})).await),
        ("viewer patch status", app.patch(&image_path(&id), v, json!({"status": "failed"})).await),
        ("viewer delete", app.delete(&image_path(&id), v).await),
        ("viewer upload", upload(&app, &id, Auth::Bearer(v), "image/png", png_bytes(0)).await),
        (
            "key create",
            as_key(Method::POST, IMAGES.into(), Some(json!({"site_id": d.site, "sector_id": d.sector}))).await,
        ),
        ("key patch", as_key(Method::PATCH, image_path(&id), Some(json!({"alt_text": "K"}))).await),
        ("key delete", as_key(Method::DELETE, image_path(&id), None).await),
        ("key upload", upload(&app, &id, Auth::ApiKey(&key), "image/png", png_bytes(0)).await),
    ];
    for (what, reply) in &denied {
        assert_forbidden(reply, what);
    }
    assert_eq!(app.get(&image_path(&id), &owner.access).await.expect(200).data(), &image);
    assert_eq!(media_keys(&app).await, Vec::<String>::new());
    assert_eq!(app.count_kind("image").await, 1);

    // An editor uploads.
    let r = upload(&app, &id, Auth::Bearer(&editor.access), "image/png", png_bytes(2)).await.expect(200);
    assert_eq!(r.data()["status"], "generated");
}
