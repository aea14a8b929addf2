//! Planner keywords: CRUD, validation, uniqueness per sector, bulk operations, the
//! filtered/ordered/paginated list, tenant isolation and roles.
//!
//! The small helpers at the top are shared with the other `planner_*` modules.

use igny8_e2e::{Reply, TestApp};
use serde_json::{Value, json};

use igny8_e2e::common::{Workspace, assert_field_error, error_fields, id_of, merged, results, workspace};

pub(crate) const KEYWORDS: &str = "/api/v1/planner/keywords/";

/// Creates a keyword (201 expected); `extra` is merged into the body. The keyword.
pub(crate) async fn add_keyword(
    app: &TestApp,
    token: &str,
    site: &str,
    sector: &str,
    keyword: &str,
    extra: Value,
) -> Value {
    let body = merged(json!({"site_id": site, "sector_id": sector, "keyword": keyword}), extra);
    app.post(KEYWORDS, token, body).await.expect(201).data().clone()
}

/// The `keyword` texts of a list reply's results, in order.
pub(crate) fn texts(reply: &Reply) -> Vec<String> {
    results(reply).iter().map(|k| k["keyword"].as_str().expect("keyword text").to_owned()).collect()
}

#[tokio::test]
async fn a_keyword_is_created_read_updated_and_deleted() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "kwcrud").await;
    let t = &ws.owner.access;

    let created = app
        .post(
            KEYWORDS,
            t,
            json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": "  Best   Running Shoes ",
                   "volume": 1200, "difficulty": 45, "intent": "commercial"}),
        )
        .await
        .expect(201);
    let k = created.data().clone();
    let id = id_of(&k);
    assert!(id.starts_with("kw_"), "{id}");
    assert_eq!(k["keyword"], "Best Running Shoes", "spacing is normalised");
    assert_eq!((k["volume"].clone(), k["difficulty"].clone()), (json!(1200), json!(45)));
    assert_eq!((k["intent"].as_str(), k["status"].as_str()), (Some("commercial"), Some("active")));
    assert_eq!((k["site_id"].as_str(), k["sector_id"].as_str()), (Some(ws.site.as_str()), Some(ws.sector.as_str())));
    assert!(k["cluster_id"].is_null());

    // Defaults.
    let plain = add_keyword(&app, t, &ws.site, &ws.sector, "plain", json!({})).await;
    assert_eq!(
        (plain["volume"].clone(), plain["difficulty"].clone(), plain["intent"].clone(), plain["status"].clone()),
        (json!(0), json!(0), json!("informational"), json!("active"))
    );

    let path = format!("{KEYWORDS}{id}/");
    let read = app.get(&path, t).await.expect(200);
    assert_eq!(read.data()["keyword"], "Best Running Shoes");
    // No trailing slash is the same route.
    app.get(path.trim_end_matches('/'), t).await.expect(200);

    let patched = app.patch(&path, t, json!({"volume": 1500, "status": "inactive"})).await.expect(200);
    assert_eq!((patched.data()["volume"].clone(), patched.data()["status"].clone()), (json!(1500), json!("inactive")));
    // PUT is a partial update too: what it does not name stays.
    let put = app.put(&path, t, json!({"difficulty": 60, "intent": "transactional"})).await.expect(200);
    let d = put.data();
    assert_eq!(
        (d["keyword"].clone(), d["volume"].clone(), d["difficulty"].clone(), d["intent"].clone(), d["status"].clone()),
        (json!("Best Running Shoes"), json!(1500), json!(60), json!("transactional"), json!("inactive"))
    );
    let read = app.get(&path, t).await.expect(200);
    assert_eq!((read.data()["volume"].clone(), read.data()["difficulty"].clone()), (json!(1500), json!(60)));

    let deleted = app.delete(&path, t).await.expect(200);
    assert_eq!(deleted.data()["deleted"], true);
    app.get(&path, t).await.expect(404);
    app.delete(&path, t).await.expect(404);
    app.patch(&path, t, json!({"volume": 1})).await.expect(404);
    assert_eq!(app.count_kind("keyword").await, 1);

    // The text is free again once deleted.
    add_keyword(&app, t, &ws.site, &ws.sector, "best running shoes", json!({})).await;
    let list = app.get(&format!("{KEYWORDS}?site_id={}", ws.site), t).await.expect(200);
    assert_eq!(list.body["count"], 2);
}

#[tokio::test]
async fn keyword_validation_names_the_field() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "kwval").await;
    let t = &ws.owner.access;
    let other_site = app.create_site(t, "Other").await;
    let other_sector = app.create_sector(t, &other_site, "Elsewhere").await;
    let base = |extra: Value| {
        let mut body = json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": "fine"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };

    let cases = [
        (json!({"difficulty": 101}), "difficulty"),
        (json!({"difficulty": -1}), "difficulty"),
        (json!({"keyword": "   "}), "keyword"),
        (json!({"keyword": ""}), "keyword"),
        (json!({"keyword": "x".repeat(256)}), "keyword"),
        (json!({"volume": -5}), "volume"),
        (json!({"volume": "lots"}), "volume"),
        (json!({"intent": "curious"}), "intent"),
        (json!({"status": "archived"}), "status"),
        (json!({"sector_id": other_sector}), "sector_id"),
    ];
    // Every case is tried before failing, so one report shows all that is wrong.
    let mut wrong = Vec::new();
    for (extra, field) in cases {
        let reply = app.post(KEYWORDS, t, base(extra.clone())).await;
        if reply.status != 400 || error_fields(&reply) != vec![field.to_owned()] {
            wrong.push(format!(
                "{extra} → expected 400 with errors.{field} only, got {}: {}",
                reply.status, reply.body["errors"]
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let reply = app.post(KEYWORDS, t, json!({"site_id": ws.site, "sector_id": ws.sector})).await;
    assert_field_error(&reply, "keyword");
    let reply = app.post(KEYWORDS, t, json!({"site_id": ws.site, "keyword": "x"})).await;
    assert_field_error(&reply, "sector_id");
    // Boundaries are accepted.
    add_keyword(&app, t, &ws.site, &ws.sector, "edge", json!({"difficulty": 100, "volume": 0})).await;
    // An unknown sector is not found.
    let reply = app.post(KEYWORDS, t, base(json!({"sector_id": "sec_nope"}))).await.expect(404);
    assert_eq!(reply.code(), "NOT_FOUND");
    assert_eq!(app.count_kind("keyword").await, 1, "no invalid keyword was stored");

    // Updates are checked the same way and change nothing when refused.
    let id = id_of(&add_keyword(&app, t, &ws.site, &ws.sector, "kept", json!({"difficulty": 5})).await);
    let path = format!("{KEYWORDS}{id}/");
    assert_field_error(&app.patch(&path, t, json!({"difficulty": 101, "volume": 7})).await, "difficulty");
    assert_field_error(&app.put(&path, t, json!({"keyword": " "})).await, "keyword");
    assert_field_error(&app.patch(&path, t, json!({"intent": "bogus"})).await, "intent");
    let read = app.get(&path, t).await.expect(200);
    assert_eq!(
        (read.data()["keyword"].clone(), read.data()["difficulty"].clone(), read.data()["volume"].clone()),
        (json!("kept"), json!(5), json!(0))
    );

    // List parameters.
    assert_field_error(&app.get(KEYWORDS, t).await, "site_id");
    let l = |q: &str| format!("{KEYWORDS}?site_id={}&{q}", ws.site);
    assert_field_error(&app.get(&l("ordering=password"), t).await, "ordering");
    assert_field_error(&app.get(&l("page_size=500"), t).await, "page_size");
    assert_field_error(&app.get(&l("page=0"), t).await, "page");
    assert_field_error(&app.get(&l("difficulty_min=abc"), t).await, "difficulty_min");
    assert_field_error(&app.get(&l("intent=curious"), t).await, "intent");
    assert_field_error(&app.get(&l("status=gone"), t).await, "status");
    assert_field_error(&app.get(&l(&format!("sector_id={other_sector}")), t).await, "sector_id");
}

#[tokio::test]
async fn keywords_are_unique_per_sector_ignoring_case_and_spacing() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "kwdup").await;
    let t = &ws.owner.access;
    let second_sector = app.create_sector(t, &ws.site, "Second").await;

    add_keyword(&app, t, &ws.site, &ws.sector, "Running Shoes", json!({})).await;
    for variant in ["Running Shoes", "  running   SHOES ", "RUNNING\tshoes"] {
        let reply = app
            .post(KEYWORDS, t, json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": variant}))
            .await
            .expect(409);
        assert_eq!(reply.code(), "DUPLICATE_KEYWORD");
        assert!(reply.body["errors"]["keyword"].is_array(), "{}", reply.body);
    }
    // Another sector may have it.
    add_keyword(&app, t, &ws.site, &second_sector, "running shoes", json!({})).await;

    // Renaming onto an existing keyword of the sector is refused and changes nothing.
    let trail = id_of(&add_keyword(&app, t, &ws.site, &ws.sector, "Trail Shoes", json!({})).await);
    let trail_path = format!("{KEYWORDS}{trail}/");
    let reply = app.patch(&trail_path, t, json!({"keyword": "RUNNING  shoes", "volume": 9})).await.expect(409);
    assert_eq!(reply.code(), "DUPLICATE_KEYWORD");
    let read = app.get(&trail_path, t).await.expect(200);
    assert_eq!((read.data()["keyword"].clone(), read.data()["volume"].clone()), (json!("Trail Shoes"), json!(0)));
    app.put(&trail_path, t, json!({"keyword": "running shoes"})).await.expect(409);

    // A change of case only is a rename to itself.
    let renamed = app.patch(&trail_path, t, json!({"keyword": "trail  SHOES"})).await.expect(200);
    assert_eq!(renamed.data()["keyword"], "trail SHOES");
    // Renaming frees the old text and takes the new one.
    app.patch(&trail_path, t, json!({"keyword": "Road Shoes"})).await.expect(200);
    add_keyword(&app, t, &ws.site, &ws.sector, "Trail Shoes", json!({})).await;
    let reply = app
        .post(KEYWORDS, t, json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": "road shoes"}))
        .await
        .expect(409);
    assert_eq!(reply.code(), "DUPLICATE_KEYWORD");

    let list = app
        .get(&format!("{KEYWORDS}?site_id={}&sector_id={}&ordering=keyword", ws.site, ws.sector), t)
        .await
        .expect(200);
    assert_eq!(texts(&list), vec!["Road Shoes", "Running Shoes", "Trail Shoes"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_keyword_store_one() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "kwrace").await;
    let t = &ws.owner.access;
    let variants = ["Blue Widget", "blue widget", "BLUE  WIDGET", " Blue Widget ", "blue\twidget", "Blue widget"];
    let replies = futures::future::join_all(
        variants
            .iter()
            .map(|v| app.post(KEYWORDS, t, json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": v}))),
    )
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(
        replies.iter().filter(|r| r.status != 201).all(|r| r.status == 409 && r.code() == "DUPLICATE_KEYWORD"),
        "{statuses:?}"
    );
    let list = app.get(&format!("{KEYWORDS}?site_id={}", ws.site), t).await.expect(200);
    assert_eq!(list.body["count"], 1);
}

#[tokio::test]
async fn bulk_create_reports_duplicates_and_errors_by_index() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "kwbulk").await;
    let t = &ws.owner.access;
    add_keyword(&app, t, &ws.site, &ws.sector, "alpha", json!({})).await;
    let bulk = "/api/v1/planner/keywords/bulk_create/";

    let reply = app
        .post(
            bulk,
            t,
            json!({"site_id": ws.site, "sector_id": ws.sector, "keywords": [
                {"keyword": "Beta", "volume": 10, "difficulty": 20, "intent": "commercial"},
                {"keyword": "ALPHA"},
                {"keyword": "gamma", "difficulty": 101},
                {"keyword": "beta "},
                {"keyword": "delta", "intent": "curious"},
                {"keyword": "  Epsilon  Two ", "intent": "transactional"},
                {"volume": 5},
                {"keyword": "   "},
            ]}),
        )
        .await
        .expect(201);
    let data = reply.data();
    let created: Vec<(&str, &str)> = data["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["keyword"].as_str().unwrap(), k["intent"].as_str().unwrap()))
        .collect();
    assert_eq!(created, vec![("Beta", "commercial"), ("Epsilon Two", "transactional")]);
    assert!(data["created"][0]["id"].as_str().is_some_and(|id| id.starts_with("kw_")));

    let mut duplicates: Vec<(u64, String)> = data["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["index"].as_u64().unwrap(), d["keyword"].as_str().unwrap().to_lowercase()))
        .collect();
    duplicates.sort();
    assert_eq!(duplicates, vec![(1, "alpha".to_owned()), (3, "beta".to_owned())]);

    let mut errors: Vec<(u64, Vec<String>)> = data["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["index"].as_u64().unwrap(), e["errors"].as_object().unwrap().keys().cloned().collect()))
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        vec![
            (2, vec!["difficulty".to_owned()]),
            (4, vec!["intent".to_owned()]),
            (6, vec!["keyword".to_owned()]),
            (7, vec!["keyword".to_owned()]),
        ]
    );

    let list = app.get(&format!("{KEYWORDS}?site_id={}&ordering=keyword", ws.site), t).await.expect(200);
    assert_eq!(texts(&list), vec!["alpha", "Beta", "Epsilon Two"]);
    let beta = &results(&list)[1];
    assert_eq!((beta["volume"].clone(), beta["difficulty"].clone()), (json!(10), json!(20)));

    // Nothing new: 200, every entry reported.
    let again = app
        .post(bulk, t, json!({"site_id": ws.site, "sector_id": ws.sector, "keywords": [{"keyword": "beta"}, {"keyword": "EPSILON two"}]}))
        .await
        .expect(200);
    assert_eq!(again.data()["created"], json!([]));
    assert_eq!(again.data()["duplicates"].as_array().unwrap().len(), 2);

    // Size limits: 1..=1000.
    let reply = app.post(bulk, t, json!({"site_id": ws.site, "sector_id": ws.sector, "keywords": []})).await;
    assert_field_error(&reply, "keywords");
    let too_many: Vec<Value> = (0..1001).map(|i| json!({"keyword": format!("too many {i}")})).collect();
    let reply = app.post(bulk, t, json!({"site_id": ws.site, "sector_id": ws.sector, "keywords": too_many})).await;
    assert_field_error(&reply, "keywords");
    let other_site = app.create_site(t, "Other").await;
    let other_sector = app.create_sector(t, &other_site, "There").await;
    let reply =
        app.post(bulk, t, json!({"site_id": ws.site, "sector_id": other_sector, "keywords": [{"keyword": "x"}]})).await;
    assert_field_error(&reply, "sector_id");
    let list = app.get(&format!("{KEYWORDS}?site_id={}", ws.site), t).await.expect(200);
    assert_eq!(list.body["count"], 3);
}

#[tokio::test]
async fn bulk_create_takes_a_thousand_keywords_at_once() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "kwthousand").await;
    let t = &ws.owner.access;
    let mut keywords: Vec<Value> =
        (0..1000).map(|i| json!({"keyword": format!("bulk keyword {i:04}"), "volume": i})).collect();
    // The last one repeats the first: 999 created, one duplicate at index 999.
    keywords[999] = json!({"keyword": "BULK keyword 0000"});
    let reply = app
        .post(
            "/api/v1/planner/keywords/bulk_create/",
            t,
            json!({"site_id": ws.site, "sector_id": ws.sector, "keywords": keywords}),
        )
        .await
        .expect(201);
    assert_eq!(reply.data()["created"].as_array().unwrap().len(), 999);
    assert_eq!(reply.data()["duplicates"], json!([{"index": 999, "keyword": "BULK keyword 0000"}]));
    let list =
        app.get(&format!("{KEYWORDS}?site_id={}&sector_id={}&page_size=1", ws.site, ws.sector), t).await.expect(200);
    assert_eq!(list.body["count"], 999);
    let top = app.get(&format!("{KEYWORDS}?site_id={}&ordering=-volume&page_size=1", ws.site), t).await.expect(200);
    assert_eq!(texts(&top), vec!["bulk keyword 0998"]);
}

/// Sector A: five keywords of varied numbers, intents and statuses, one in a cluster;
/// sector B: one more.
struct ListFixture {
    ws: Workspace,
    sector_b: String,
    cluster: String,
}

async fn list_fixture(app: &TestApp) -> ListFixture {
    let ws = workspace(app, "kwlist").await;
    let t = &ws.owner.access;
    let sector_b = app.create_sector(t, &ws.site, "B").await;
    let cluster = app
        .post("/api/v1/planner/clusters/", t, json!({"site_id": ws.site, "sector_id": ws.sector, "name": "Apples"}))
        .await
        .expect(201);
    let cluster = id_of(cluster.data());
    let rows = [
        ("apple pie", 100, 10, "informational", "active", false),
        ("Banana bread", 500, 40, "commercial", "active", false),
        ("cherry tart", 300, 70, "transactional", "inactive", false),
        ("date cake", 50, 90, "navigational", "used", false),
        ("apple crumble", 1000, 20, "commercial", "active", true),
    ];
    for (keyword, volume, difficulty, intent, status, clustered) in rows {
        let mut extra = json!({"volume": volume, "difficulty": difficulty, "intent": intent, "status": status});
        if clustered {
            extra["cluster_id"] = json!(cluster);
        }
        add_keyword(app, t, &ws.site, &ws.sector, keyword, extra).await;
    }
    add_keyword(app, t, &ws.site, &sector_b, "apple juice", json!({"volume": 200, "difficulty": 30})).await;
    ListFixture { ws, sector_b, cluster }
}

#[tokio::test]
async fn the_keyword_list_filters() {
    let app = TestApp::spawn().await;
    let f = list_fixture(&app).await;
    let t = &f.ws.owner.access;
    let app = &app;
    let list = |query: String| {
        let path = format!("{KEYWORDS}?site_id={}&ordering=keyword&{query}", f.ws.site);
        async move { app.get(&path, t).await.expect(200) }
    };
    let a = format!("sector_id={}", f.ws.sector);

    let all = list(String::new()).await;
    assert_eq!(all.body["count"], 6);
    assert_eq!(list(a.clone()).await.body["count"], 5);
    assert_eq!(texts(&list(format!("sector_id={}", f.sector_b)).await), vec!["apple juice"]);

    assert_eq!(texts(&list("search=APPLE".into()).await), vec!["apple crumble", "apple juice", "apple pie"]);
    assert_eq!(texts(&list(format!("{a}&search=apple")).await), vec!["apple crumble", "apple pie"]);
    assert_eq!(texts(&list("search=e%20c".into()).await), vec!["apple crumble", "date cake"]);
    assert_eq!(texts(&list("status=inactive".into()).await), vec!["cherry tart"]);
    assert_eq!(texts(&list("status=used".into()).await), vec!["date cake"]);
    assert_eq!(list("status=active".into()).await.body["count"], 4);
    assert_eq!(texts(&list("intent=commercial".into()).await), vec!["apple crumble", "Banana bread"]);
    assert_eq!(texts(&list("intent=navigational".into()).await), vec!["date cake"]);
    assert_eq!(list("intent=informational".into()).await.body["count"], 2);
    assert_eq!(texts(&list(format!("cluster_id={}", f.cluster)).await), vec!["apple crumble"]);
    // Bounds are inclusive.
    assert_eq!(
        texts(&list(format!("{a}&difficulty_min=20&difficulty_max=70")).await),
        vec!["apple crumble", "Banana bread", "cherry tart"]
    );
    assert_eq!(texts(&list("difficulty_min=71".into()).await), vec!["date cake"]);
    assert_eq!(
        texts(&list(format!("{a}&volume_min=100&volume_max=500")).await),
        vec!["apple pie", "Banana bread", "cherry tart"]
    );
    assert_eq!(texts(&list("volume_max=99".into()).await), vec!["date cake"]);
    // Filters combine.
    assert_eq!(texts(&list("intent=commercial&volume_min=600".into()).await), vec!["apple crumble"]);
    assert_eq!(
        texts(&list("search=apple&difficulty_max=25&status=active".into()).await),
        vec!["apple crumble", "apple pie"]
    );
    assert_eq!(list("search=nothing-like-this".into()).await.body["count"], 0);
}

#[tokio::test]
async fn the_keyword_list_orders_and_paginates() {
    let app = TestApp::spawn().await;
    let f = list_fixture(&app).await;
    let t = &f.ws.owner.access;
    let app = &app;
    let list = |query: &str| {
        let path = format!("{KEYWORDS}?site_id={}&sector_id={}&{query}", f.ws.site, f.ws.sector);
        async move { app.get(&path, t).await.expect(200) }
    };
    let by_keyword = ["apple crumble", "apple pie", "Banana bread", "cherry tart", "date cake"];
    assert_eq!(texts(&list("ordering=keyword").await), by_keyword);
    let mut reversed = by_keyword.to_vec();
    reversed.reverse();
    assert_eq!(texts(&list("ordering=-keyword").await), reversed);
    assert_eq!(
        texts(&list("ordering=volume").await),
        ["date cake", "apple pie", "cherry tart", "Banana bread", "apple crumble"]
    );
    assert_eq!(
        texts(&list("ordering=-volume").await),
        ["apple crumble", "Banana bread", "cherry tart", "apple pie", "date cake"]
    );
    assert_eq!(
        texts(&list("ordering=difficulty").await),
        ["apple pie", "apple crumble", "Banana bread", "cherry tart", "date cake"]
    );
    assert_eq!(
        texts(&list("ordering=-difficulty").await),
        ["date cake", "cherry tart", "Banana bread", "apple crumble", "apple pie"]
    );
    let creation = ["apple pie", "Banana bread", "cherry tart", "date cake", "apple crumble"];
    assert_eq!(texts(&list("ordering=created_at").await), creation);
    let mut newest_first = creation.to_vec();
    newest_first.reverse();
    assert_eq!(texts(&list("ordering=-created_at").await), newest_first);
    assert_eq!(texts(&list("").await), newest_first, "newest first by default");

    let page = list("ordering=keyword&page_size=2&page=2").await;
    assert_eq!(page.body["count"], 5);
    assert_eq!(texts(&page), ["Banana bread", "cherry tart"]);
    let next = page.body["next"].as_str().expect("next link");
    assert!(next.contains("page=3") && next.contains("ordering=keyword") && next.contains("page_size=2"), "{next}");
    assert!(page.body["previous"].as_str().expect("previous link").contains("page=1"));
    // The next link works as given.
    let followed = app.get(next, t).await.expect(200);
    assert_eq!(texts(&followed), ["date cake"]);
    assert!(followed.body["next"].is_null());
    let first = list("ordering=keyword&page_size=2").await;
    assert_eq!(texts(&first), ["apple crumble", "apple pie"]);
    assert!(first.body["previous"].is_null());
    let beyond = list("ordering=keyword&page_size=2&page=9").await;
    assert_eq!((beyond.body["count"].clone(), results(&beyond).len()), (json!(5), 0));
    // Filters and ordering together, paginated.
    let page = list("intent=commercial&ordering=-volume&page_size=1&page=2").await;
    assert_eq!((page.body["count"].clone(), texts(&page)), (json!(2), vec!["Banana bread".to_owned()]));
}

#[tokio::test]
async fn bulk_status_updates_and_bulk_deletes() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "kwbulkops").await;
    let t = &ws.owner.access;
    let mut ids = Vec::new();
    for name in ["one", "two", "three", "four"] {
        ids.push(id_of(&add_keyword(&app, t, &ws.site, &ws.sector, name, json!({})).await));
    }
    let status = "/api/v1/planner/keywords/bulk_update_status/";
    let delete = "/api/v1/planner/keywords/bulk_delete/";
    let list = |q: &str| format!("{KEYWORDS}?site_id={}&ordering=created_at&{q}", ws.site);

    let reply = app.post(status, t, json!({"ids": [ids[0], ids[1]], "status": "inactive"})).await.expect(200);
    assert_eq!(reply.data()["updated"], 2);
    assert_eq!(texts(&app.get(&list("status=inactive"), t).await.expect(200)), ["one", "two"]);
    let reply = app.post(status, t, json!({"ids": [ids[1], ids[2]], "status": "used"})).await.expect(200);
    assert_eq!(reply.data()["updated"], 2);
    assert_eq!(texts(&app.get(&list("status=used"), t).await.expect(200)), ["two", "three"]);
    assert_field_error(&app.post(status, t, json!({"ids": [ids[0]], "status": "gone"})).await, "status");
    assert_field_error(&app.post(status, t, json!({"ids": [], "status": "active"})).await, "ids");
    // An unknown id fails the whole request.
    let reply = app.post(status, t, json!({"ids": [ids[3], "kw_missing"], "status": "inactive"})).await.expect(404);
    assert_eq!(reply.code(), "NOT_FOUND");
    assert_eq!(app.get(&format!("{KEYWORDS}{}/", ids[3]), t).await.expect(200).data()["status"], "active");

    let reply = app.post(delete, t, json!({"ids": [ids[0], ids[2]]})).await.expect(200);
    assert_eq!(reply.data()["deleted"], 2);
    app.get(&format!("{KEYWORDS}{}/", ids[0]), t).await.expect(404);
    assert_eq!(texts(&app.get(&list(""), t).await.expect(200)), ["two", "four"]);
    // A gone id in the list: 404, and the others stay.
    app.post(delete, t, json!({"ids": [ids[1], ids[0]]})).await.expect(404);
    assert_eq!(texts(&app.get(&list(""), t).await.expect(200)), ["two", "four"]);
    assert_field_error(&app.post(delete, t, json!({"ids": []})).await, "ids");
    // A repeated id counts once.
    let reply = app.post(delete, t, json!({"ids": [ids[1], ids[1]]})).await.expect(200);
    assert_eq!(reply.data()["deleted"], 1);
    assert_eq!(texts(&app.get(&list(""), t).await.expect(200)), ["four"]);
    // Deleted texts can be used again.
    add_keyword(&app, t, &ws.site, &ws.sector, "One", json!({})).await;
}

#[tokio::test]
async fn another_account_gets_404_for_keywords() {
    let app = TestApp::spawn().await;
    let a = workspace(&app, "kwalpha").await;
    let a_kw = add_keyword(&app, &a.owner.access, &a.site, &a.sector, "alpha secret", json!({"volume": 70})).await;
    let a_id = id_of(&a_kw);
    let a_cluster = app
        .post(
            "/api/v1/planner/clusters/",
            &a.owner.access,
            json!({"site_id": a.site, "sector_id": a.sector, "name": "A"}),
        )
        .await
        .expect(201);
    let a_cluster = id_of(a_cluster.data());

    let b = workspace(&app, "kwbeta").await;
    let t = &b.owner.access;
    let b_id = id_of(&add_keyword(&app, t, &b.site, &b.sector, "beta own", json!({})).await);

    let path = format!("{KEYWORDS}{a_id}/");
    let import = format!("/api/v1/planner/keywords/import_csv/?site_id={}&sector_id={}", a.site, a.sector);
    let attempts = [
        app.get(&path, t).await,
        app.patch(&path, t, json!({"volume": 1})).await,
        app.put(&path, t, json!({"keyword": "mine"})).await,
        app.delete(&path, t).await,
        app.get(&format!("{KEYWORDS}?site_id={}", a.site), t).await,
        app.post(KEYWORDS, t, json!({"site_id": a.site, "sector_id": a.sector, "keyword": "sneaky"})).await,
        // B's site with A's sector.
        app.post(KEYWORDS, t, json!({"site_id": b.site, "sector_id": a.sector, "keyword": "sneaky"})).await,
        // B's sector, A's cluster.
        app.post(
            KEYWORDS,
            t,
            json!({"site_id": b.site, "sector_id": b.sector, "keyword": "sneaky", "cluster_id": a_cluster}),
        )
        .await,
        app.patch(&format!("{KEYWORDS}{b_id}/"), t, json!({"cluster_id": a_cluster})).await,
        app.post(
            "/api/v1/planner/keywords/bulk_create/",
            t,
            json!({"site_id": a.site, "sector_id": a.sector, "keywords": [{"keyword": "sneaky"}]}),
        )
        .await,
        app.post_csv(&import, t, "keyword\nsneaky\n").await,
        app.post("/api/v1/planner/keywords/bulk_delete/", t, json!({"ids": [b_id, a_id]})).await,
        app.post("/api/v1/planner/keywords/bulk_update_status/", t, json!({"ids": [b_id, a_id], "status": "used"}))
            .await,
    ];
    for (index, reply) in attempts.iter().enumerate() {
        assert_eq!(reply.status, 404, "attempt {index}: {}", reply.body);
        assert_eq!(reply.code(), "NOT_FOUND", "attempt {index}");
    }
    let export = app.get_text(&format!("/api/v1/planner/keywords/export_csv/?site_id={}", a.site), t).await;
    assert_eq!(export.status, 404, "{}", export.text);
    assert!(!export.text.contains("alpha secret"));

    // Nothing changed on either side.
    let still = app.get(&path, &a.owner.access).await.expect(200);
    assert_eq!(still.data(), &a_kw);
    let mine = app.get(&format!("{KEYWORDS}{b_id}/"), t).await.expect(200);
    assert_eq!((mine.data()["status"].as_str(), mine.data()["cluster_id"].is_null()), (Some("active"), true));
    let a_list = app.get(&format!("{KEYWORDS}?site_id={}", a.site), &a.owner.access).await.expect(200);
    assert_eq!(texts(&a_list), ["alpha secret"]);
    let b_list = app.get(&format!("{KEYWORDS}?site_id={}", b.site), t).await.expect(200);
    assert_eq!(texts(&b_list), ["beta own"]);
    assert_eq!(app.count_kind("keyword").await, 2);
}

#[tokio::test]
async fn viewers_read_keywords_and_editors_need_a_grant() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "kwroles").await;
    let owner = &ws.owner;
    app.move_to_plan(&owner.account_id, "starter").await;
    let viewer = app.add_member(owner, "viewer", "viewer").await;
    let editor = app.add_member(owner, "editor", "editor").await;
    let outsider = app.add_member(owner, "outsider", "editor").await;
    app.grant(owner, &ws.site, &viewer.user_id).await;
    app.grant(owner, &ws.site, &editor.user_id).await;
    let kw = add_keyword(&app, &owner.access, &ws.site, &ws.sector, "guarded", json!({"volume": 5})).await;
    let id = id_of(&kw);
    let path = format!("{KEYWORDS}{id}/");
    let list = format!("{KEYWORDS}?site_id={}", ws.site);
    let export = format!("/api/v1/planner/keywords/export_csv/?site_id={}", ws.site);
    let import = format!("/api/v1/planner/keywords/import_csv/?site_id={}&sector_id={}", ws.site, ws.sector);

    // The viewer reads...
    let v = &viewer.access;
    assert_eq!(texts(&app.get(&list, v).await.expect(200)), ["guarded"]);
    app.get(&path, v).await.expect(200);
    let csv = app.get_text(&export, v).await.expect(200);
    assert!(csv.text.contains("guarded"));
    // ...and writes nothing.
    let denied = [
        app.post(KEYWORDS, v, json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": "viewer's"})).await,
        app.patch(&path, v, json!({"volume": 1})).await,
        app.put(&path, v, json!({"volume": 1})).await,
        app.delete(&path, v).await,
        app.post(
            "/api/v1/planner/keywords/bulk_create/",
            v,
            json!({"site_id": ws.site, "sector_id": ws.sector, "keywords": [{"keyword": "x"}]}),
        )
        .await,
        app.post("/api/v1/planner/keywords/bulk_delete/", v, json!({"ids": [id]})).await,
        app.post("/api/v1/planner/keywords/bulk_update_status/", v, json!({"ids": [id], "status": "used"})).await,
        app.post_csv(&import, v, "keyword\nviewer csv\n").await,
    ];
    for (index, reply) in denied.iter().enumerate() {
        assert_eq!(reply.status, 403, "attempt {index}: {}", reply.body);
        assert_eq!(reply.code(), "FORBIDDEN", "attempt {index}");
    }
    assert_eq!(app.get(&path, &owner.access).await.expect(200).data(), &kw);
    assert_eq!(app.count_kind("keyword").await, 1);

    // A granted editor writes.
    let e = &editor.access;
    let made = add_keyword(&app, e, &ws.site, &ws.sector, "editor's", json!({})).await;
    app.patch(&format!("{KEYWORDS}{}/", id_of(&made)), e, json!({"volume": 3})).await.expect(200);
    app.post_csv(&import, e, "keyword\neditor csv\n").await.expect(201);
    app.delete(&format!("{KEYWORDS}{}/", id_of(&made)), e).await.expect(200);

    // An editor without a grant sees no such site.
    let o = &outsider.access;
    let hidden = [
        app.get(&list, o).await,
        app.get(&path, o).await,
        app.patch(&path, o, json!({"volume": 1})).await,
        app.delete(&path, o).await,
        app.post(KEYWORDS, o, json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": "outsider"})).await,
        app.post("/api/v1/planner/keywords/bulk_delete/", o, json!({"ids": [id]})).await,
        app.post_csv(&import, o, "keyword\noutsider csv\n").await,
    ];
    for (index, reply) in hidden.iter().enumerate() {
        assert_eq!(reply.status, 404, "attempt {index}: {}", reply.body);
    }
    assert_eq!(app.get_text(&export, o).await.status, 404);
    app.grant(owner, &ws.site, &outsider.user_id).await;
    assert_eq!(app.get(&list, o).await.expect(200).body["count"], 2);
}
