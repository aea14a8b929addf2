//! Planner clusters: CRUD, the list, and above all `keywords_count` and `volume`, which
//! must always be the true count and volume sum of the cluster's keywords — after every
//! kind of keyword change, after deleting a cluster, and under concurrent changes.

use igny8_e2e::TestApp;
use serde_json::{Value, json};

use crate::planner_keywords::{KEYWORDS, add_keyword, texts};
use igny8_e2e::common::{Workspace, assert_field_error, id_of, results, workspace};

const CLUSTERS: &str = "/api/v1/planner/clusters/";

async fn add_cluster(app: &TestApp, ws: &Workspace, sector: &str, name: &str) -> String {
    let reply = app
        .post(CLUSTERS, &ws.owner.access, json!({"site_id": ws.site, "sector_id": sector, "name": name}))
        .await
        .expect(201);
    id_of(reply.data())
}

/// `(keywords_count, volume)` as the cluster reports them.
async fn reported(app: &TestApp, token: &str, cluster: &str) -> (i64, i64) {
    let reply = app.get(&format!("{CLUSTERS}{cluster}/"), token).await.expect(200);
    let c = reply.data();
    (c["keywords_count"].as_i64().expect("keywords_count"), c["volume"].as_i64().expect("volume"))
}

/// `(count, volume sum)` of the keywords whose `cluster_id` is the cluster, from the
/// keyword list (the truth the numbers must match).
async fn actual(app: &TestApp, token: &str, site: &str, cluster: &str) -> (i64, i64) {
    let reply =
        app.get(&format!("{KEYWORDS}?site_id={site}&cluster_id={cluster}&page_size=200"), token).await.expect(200);
    let keywords = results(&reply);
    assert_eq!(reply.body["count"].as_u64(), Some(keywords.len() as u64), "more than one page");
    (keywords.len() as i64, keywords.iter().map(|k| k["volume"].as_i64().unwrap()).sum())
}

/// Asserts the cluster reports `expected`, and that this is the truth.
async fn check(app: &TestApp, ws: &Workspace, cluster: &str, expected: (i64, i64), step: &str) {
    let truth = actual(app, &ws.owner.access, &ws.site, cluster).await;
    let numbers = reported(app, &ws.owner.access, cluster).await;
    assert_eq!(truth, expected, "{step}: the keywords of the cluster are not what the test expects");
    assert_eq!(numbers, truth, "{step}: keywords_count/volume differ from the cluster's keywords");
}

fn path(id: &str) -> String {
    format!("{KEYWORDS}{id}/")
}

#[tokio::test]
async fn clusters_are_created_read_updated_listed_and_deleted() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "clcrud").await;
    let t = &ws.owner.access;
    let other_site = app.create_site(t, "Other").await;
    let other_sector = app.create_sector(t, &other_site, "There").await;
    let second = app.create_sector(t, &ws.site, "Second").await;

    let reply = app
        .post(
            CLUSTERS,
            t,
            json!({"site_id": ws.site, "sector_id": ws.sector, "name": "  Running  ", "description": "About running"}),
        )
        .await
        .expect(201);
    let c = reply.data().clone();
    let id = id_of(&c);
    assert_eq!(
        (
            c["name"].clone(),
            c["description"].clone(),
            c["status"].clone(),
            c["keywords_count"].clone(),
            c["volume"].clone()
        ),
        (json!("Running"), json!("About running"), json!("active"), json!(0), json!(0))
    );
    assert_eq!((c["site_id"].as_str(), c["sector_id"].as_str()), (Some(ws.site.as_str()), Some(ws.sector.as_str())));

    // Validation.
    let base = json!({"site_id": ws.site, "sector_id": ws.sector});
    let with = |extra: Value| {
        let mut body = base.clone();
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    assert_field_error(&app.post(CLUSTERS, t, with(json!({"name": "   "}))).await, "name");
    assert_field_error(&app.post(CLUSTERS, t, with(json!({}))).await, "name");
    assert_field_error(&app.post(CLUSTERS, t, with(json!({"name": "x".repeat(256)}))).await, "name");
    assert_field_error(&app.post(CLUSTERS, t, with(json!({"name": "X", "status": "archived"}))).await, "status");
    assert_field_error(
        &app.post(CLUSTERS, t, with(json!({"name": "X", "description": "d".repeat(5001)}))).await,
        "description",
    );
    assert_field_error(&app.post(CLUSTERS, t, json!({"site_id": ws.site, "name": "X"})).await, "sector_id");
    assert_field_error(
        &app.post(CLUSTERS, t, with(json!({"name": "X", "sector_id": other_sector}))).await,
        "sector_id",
    );
    assert_eq!(app.count_kind("cluster").await, 1);

    // Read and partial updates (PUT is partial too). Counters are not writable.
    let cpath = format!("{CLUSTERS}{id}/");
    assert_eq!(app.get(cpath.trim_end_matches('/'), t).await.expect(200).data()["name"], "Running");
    let patched =
        app.patch(&cpath, t, json!({"name": " Jogging ", "keywords_count": 99, "volume": 12345})).await.expect(200);
    assert_eq!(
        (patched.data()["name"].clone(), patched.data()["keywords_count"].clone(), patched.data()["volume"].clone()),
        (json!("Jogging"), json!(0), json!(0))
    );
    let put = app.put(&cpath, t, json!({"description": "New", "status": "inactive"})).await.expect(200);
    assert_eq!(
        (put.data()["name"].clone(), put.data()["description"].clone(), put.data()["status"].clone()),
        (json!("Jogging"), json!("New"), json!("inactive"))
    );
    assert_field_error(&app.patch(&cpath, t, json!({"name": ""})).await, "name");
    assert_field_error(&app.patch(&cpath, t, json!({"status": "gone"})).await, "status");
    assert_eq!(reported(&app, t, &id).await, (0, 0));

    // The list.
    let b = add_cluster(&app, &ws, &ws.sector, "apples").await;
    let c2 = add_cluster(&app, &ws, &second, "Bananas").await;
    add_keyword(&app, t, &ws.site, &second, "banana one", json!({"volume": 10, "cluster_id": c2})).await;
    add_keyword(&app, t, &ws.site, &second, "banana two", json!({"volume": 10, "cluster_id": c2})).await;
    add_keyword(&app, t, &ws.site, &ws.sector, "apple one", json!({"volume": 500, "cluster_id": b})).await;
    let names = |reply: &igny8_e2e::Reply| -> Vec<String> {
        results(reply).iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
    };
    let list = |q: &str| format!("{CLUSTERS}?site_id={}&{q}", ws.site);
    assert_eq!(names(&app.get(&list("ordering=name"), t).await.expect(200)), ["apples", "Bananas", "Jogging"]);
    assert_eq!(names(&app.get(&list("ordering=-name"), t).await.expect(200)), ["Jogging", "Bananas", "apples"]);
    assert_eq!(
        names(&app.get(&list("ordering=-keywords_count"), t).await.expect(200)),
        ["Bananas", "apples", "Jogging"]
    );
    assert_eq!(names(&app.get(&list("ordering=volume"), t).await.expect(200)), ["Jogging", "Bananas", "apples"]);
    assert_eq!(names(&app.get(&list("ordering=created_at"), t).await.expect(200)), ["Jogging", "apples", "Bananas"]);
    assert_eq!(
        names(&app.get(&list(""), t).await.expect(200)),
        ["Bananas", "apples", "Jogging"],
        "newest first by default"
    );
    assert_eq!(names(&app.get(&list(&format!("sector_id={second}")), t).await.expect(200)), ["Bananas"]);
    assert_eq!(names(&app.get(&list("search=AN&ordering=name"), t).await.expect(200)), ["Bananas"]);
    assert_eq!(names(&app.get(&list("status=inactive"), t).await.expect(200)), ["Jogging"]);
    let page = app.get(&list("ordering=name&page_size=2&page=2"), t).await.expect(200);
    assert_eq!((page.body["count"].clone(), names(&page)), (json!(3), vec!["Jogging".to_owned()]));
    assert_field_error(&app.get(&list("ordering=secret"), t).await, "ordering");
    assert_field_error(&app.get(&list("status=gone"), t).await, "status");
    assert_field_error(&app.get(CLUSTERS, t).await, "site_id");

    let deleted = app.delete(&cpath, t).await.expect(200);
    assert_eq!(
        (deleted.data()["deleted"].clone(), deleted.data()["keywords_released"].clone()),
        (json!(true), json!(0))
    );
    app.get(&cpath, t).await.expect(404);
    app.patch(&cpath, t, json!({"name": "Back"})).await.expect(404);
    app.delete(&cpath, t).await.expect(404);
    assert_eq!(names(&app.get(&list("ordering=name"), t).await.expect(200)), ["apples", "Bananas"]);
}

#[tokio::test]
async fn cluster_numbers_follow_every_keyword_change() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "clnumbers").await;
    let t = &ws.owner.access;
    let other_sector = app.create_sector(t, &ws.site, "Other").await;
    let a = add_cluster(&app, &ws, &ws.sector, "A").await;
    let b = add_cluster(&app, &ws, &ws.sector, "B").await;
    let x = add_cluster(&app, &ws, &other_sector, "X").await;
    let (site, sector) = (ws.site.clone(), ws.sector.clone());
    let assign = |cluster: &str| format!("{CLUSTERS}{cluster}/keywords/");

    // Created straight into a cluster.
    let k1 = id_of(&add_keyword(&app, t, &site, &sector, "k1", json!({"volume": 100, "cluster_id": a})).await);
    check(&app, &ws, &a, (1, 100), "create with cluster_id").await;
    let k2 = id_of(&add_keyword(&app, t, &site, &sector, "k2", json!({"volume": 200})).await);
    let k3 = id_of(&add_keyword(&app, t, &site, &sector, "k3", json!({"volume": 300})).await);
    let k4 = id_of(&add_keyword(&app, t, &site, &sector, "k4", json!({"volume": 50})).await);
    let k5 = id_of(&add_keyword(&app, t, &site, &sector, "k5", json!({"volume": 7})).await);
    // Refused creates move nothing.
    let reply = app
        .post(
            KEYWORDS,
            t,
            json!({"site_id": site, "sector_id": sector, "keyword": "wrong sector", "volume": 5, "cluster_id": x}),
        )
        .await;
    assert_field_error(&reply, "cluster_id");
    let reply = app
        .post(KEYWORDS, t, json!({"site_id": site, "sector_id": sector, "keyword": "K1", "volume": 5, "cluster_id": a}))
        .await
        .expect(409);
    assert_eq!(reply.code(), "DUPLICATE_KEYWORD");
    app.post(
        KEYWORDS,
        t,
        json!({"site_id": site, "sector_id": sector, "keyword": "ghost", "cluster_id": "cl_missing"}),
    )
    .await
    .expect(404);
    check(&app, &ws, &a, (1, 100), "refused creates").await;
    check(&app, &ws, &x, (0, 0), "refused creates").await;

    // Assigned through the cluster.
    let reply = app.post(&assign(&a), t, json!({"keyword_ids": [k2, k3]})).await.expect(200);
    assert_eq!(reply.data()["assigned"], 2);
    assert_eq!(
        (reply.data()["cluster"]["keywords_count"].clone(), reply.data()["cluster"]["volume"].clone()),
        (json!(3), json!(600)),
        "the answer carries the updated cluster"
    );
    check(&app, &ws, &a, (3, 600), "assign").await;
    // Assigning what is already there changes nothing.
    app.post(&assign(&a), t, json!({"keyword_ids": [k2, k2, k1]})).await.expect(200);
    check(&app, &ws, &a, (3, 600), "re-assign").await;
    // Keywords of another sector may not join; nothing moves.
    let reply = app.post(&assign(&x), t, json!({"keyword_ids": [k4]})).await;
    assert_field_error(&reply, "keyword_ids");
    let reply = app.post(&assign(&b), t, json!({"keyword_ids": [k4, "kw_missing"]})).await.expect(404);
    assert_eq!(reply.code(), "NOT_FOUND");
    assert_field_error(&app.post(&assign(&b), t, json!({"keyword_ids": []})).await, "keyword_ids");
    check(&app, &ws, &x, (0, 0), "foreign assign").await;
    check(&app, &ws, &b, (0, 0), "missing keyword in assign").await;

    // Moved between clusters by PATCH and by assignment.
    app.patch(&path(&k2), t, json!({"cluster_id": b})).await.expect(200);
    check(&app, &ws, &a, (2, 400), "PATCH move (from)").await;
    check(&app, &ws, &b, (1, 200), "PATCH move (to)").await;
    let reply = app.post(&assign(&b), t, json!({"keyword_ids": [k3]})).await.expect(200);
    assert_eq!(reply.data()["assigned"], 1);
    check(&app, &ws, &a, (1, 100), "assign move (from)").await;
    check(&app, &ws, &b, (2, 500), "assign move (to)").await;
    // A move to a cluster of another sector is refused.
    assert_field_error(&app.patch(&path(&k3), t, json!({"cluster_id": x})).await, "cluster_id");
    app.patch(&path(&k3), t, json!({"cluster_id": "cl_missing"})).await.expect(404);
    check(&app, &ws, &b, (2, 500), "refused moves").await;

    // Volume changes of clustered keywords.
    app.patch(&path(&k3), t, json!({"volume": 1000})).await.expect(200);
    check(&app, &ws, &b, (2, 1200), "PATCH volume").await;
    app.put(&path(&k2), t, json!({"volume": 250, "difficulty": 3})).await.expect(200);
    check(&app, &ws, &b, (2, 1250), "PUT volume").await;
    // Volume and cluster in one change.
    app.patch(&path(&k1), t, json!({"volume": 150, "cluster_id": b, "keyword": "k1 renamed"})).await.expect(200);
    check(&app, &ws, &a, (0, 0), "move with new volume (from)").await;
    check(&app, &ws, &b, (3, 1400), "move with new volume (to)").await;
    // A refused update (duplicate name, bad difficulty) moves nothing.
    app.patch(&path(&k1), t, json!({"keyword": "k2", "volume": 1, "cluster_id": a})).await.expect(409);
    assert_field_error(
        &app.patch(&path(&k1), t, json!({"difficulty": 101, "volume": 1, "cluster_id": a})).await,
        "difficulty",
    );
    check(&app, &ws, &a, (0, 0), "refused updates").await;
    check(&app, &ws, &b, (3, 1400), "refused updates").await;

    // Unassigned with cluster_id null.
    let reply = app.patch(&path(&k2), t, json!({"cluster_id": null})).await.expect(200);
    assert!(reply.data()["cluster_id"].is_null(), "{}", reply.body);
    assert!(app.get(&path(&k2), t).await.expect(200).data()["cluster_id"].is_null());
    check(&app, &ws, &b, (2, 1150), "unassign").await;
    // A PATCH without cluster_id leaves it alone.
    app.patch(&path(&k3), t, json!({"difficulty": 9})).await.expect(200);
    assert_eq!(app.get(&path(&k3), t).await.expect(200).data()["cluster_id"], json!(b));
    check(&app, &ws, &b, (2, 1150), "PATCH without cluster_id").await;

    // Deleted.
    app.delete(&path(&k3), t).await.expect(200);
    check(&app, &ws, &b, (1, 150), "delete").await;

    // Status changes, one by one and in bulk, move nothing.
    app.post(&assign(&a), t, json!({"keyword_ids": [k2, k4, k5]})).await.expect(200);
    check(&app, &ws, &a, (3, 307), "assign three").await;
    let reply = app
        .post("/api/v1/planner/keywords/bulk_update_status/", t, json!({"ids": [k2, k4, k1], "status": "inactive"}))
        .await
        .expect(200);
    assert_eq!(reply.data()["updated"], 3);
    app.patch(&path(&k5), t, json!({"status": "used"})).await.expect(200);
    check(&app, &ws, &a, (3, 307), "status changes").await;
    check(&app, &ws, &b, (1, 150), "status changes").await;

    // Bulk deletes across clusters.
    let reply = app.post("/api/v1/planner/keywords/bulk_delete/", t, json!({"ids": [k1, k4]})).await.expect(200);
    assert_eq!(reply.data()["deleted"], 2);
    check(&app, &ws, &a, (2, 257), "bulk delete").await;
    check(&app, &ws, &b, (0, 0), "bulk delete").await;

    // Keywords created in bulk or by CSV join no cluster.
    app.post(
        "/api/v1/planner/keywords/bulk_create/",
        t,
        json!({"site_id": site, "sector_id": sector, "keywords": [{"keyword": "bulk one", "volume": 1}]}),
    )
    .await
    .expect(201);
    check(&app, &ws, &a, (2, 257), "bulk create").await;

    // The list orders by the true numbers.
    let list = app.get(&format!("{CLUSTERS}?site_id={site}&sector_id={sector}&ordering=-volume"), t).await.expect(200);
    let listed: Vec<(String, i64, i64)> = results(&list)
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["keywords_count"].as_i64().unwrap(),
                c["volume"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed, vec![("A".to_owned(), 2, 257), ("B".to_owned(), 0, 0)]);
}

#[tokio::test]
async fn deleting_a_cluster_releases_its_keywords() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "cldelete").await;
    let t = &ws.owner.access;
    let a = add_cluster(&app, &ws, &ws.sector, "A").await;
    let b = add_cluster(&app, &ws, &ws.sector, "B").await;
    let mut in_a = Vec::new();
    for (name, volume) in [("a1", 10), ("a2", 20), ("a3", 30)] {
        in_a.push(id_of(
            &add_keyword(&app, t, &ws.site, &ws.sector, name, json!({"volume": volume, "cluster_id": a})).await,
        ));
    }
    let in_b = id_of(&add_keyword(&app, t, &ws.site, &ws.sector, "b1", json!({"volume": 5, "cluster_id": b})).await);
    add_keyword(&app, t, &ws.site, &ws.sector, "loose", json!({"volume": 1})).await;
    check(&app, &ws, &a, (3, 60), "setup").await;

    let reply = app.delete(&format!("{CLUSTERS}{a}/"), t).await.expect(200);
    assert_eq!((reply.data()["deleted"].clone(), reply.data()["keywords_released"].clone()), (json!(true), json!(3)));
    app.get(&format!("{CLUSTERS}{a}/"), t).await.expect(404);
    // The keywords stay, in no cluster.
    for id in &in_a {
        let k = app.get(&path(id), t).await.expect(200);
        assert!(k.data()["cluster_id"].is_null(), "{}", k.body);
    }
    let all = app.get(&format!("{KEYWORDS}?site_id={}", ws.site), t).await.expect(200);
    assert_eq!(all.body["count"], 5);
    let gone = app.get(&format!("{KEYWORDS}?site_id={}&cluster_id={a}", ws.site), t).await.expect(200);
    assert_eq!(gone.body["count"], 0);
    check(&app, &ws, &b, (1, 5), "the other cluster").await;

    // The deleted cluster takes no keywords any more.
    app.post(&format!("{CLUSTERS}{a}/keywords/"), t, json!({"keyword_ids": [in_a[0]]})).await.expect(404);
    app.patch(&path(&in_a[0]), t, json!({"cluster_id": a})).await.expect(404);
    app.post(KEYWORDS, t, json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": "late", "cluster_id": a}))
        .await
        .expect(404);
    assert!(app.get(&path(&in_a[0]), t).await.expect(200).data()["cluster_id"].is_null());
    assert_eq!(app.count_kind("cluster").await, 1);

    // The released keywords can join another cluster with exact numbers; their old
    // texts are still taken.
    app.post(&format!("{CLUSTERS}{b}/keywords/"), t, json!({"keyword_ids": in_a})).await.expect(200);
    check(&app, &ws, &b, (4, 65), "released keywords join B").await;
    app.post(KEYWORDS, t, json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": "A1"})).await.expect(409);
    let reply = app.delete(&format!("{CLUSTERS}{b}/"), t).await.expect(200);
    assert_eq!(reply.data()["keywords_released"], 4);
    assert!(app.get(&path(&in_b), t).await.expect(200).data()["cluster_id"].is_null());
    assert_eq!(app.count_kind("cluster").await, 0);
    assert_eq!(app.count_kind("keyword").await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_moves_keep_cluster_numbers_exact() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "clrace").await;
    let t = &ws.owner.access;
    let target = add_cluster(&app, &ws, &ws.sector, "Target").await;
    let source = add_cluster(&app, &ws, &ws.sector, "Source").await;
    let other = add_cluster(&app, &ws, &ws.sector, "Other").await;
    let mut ids = Vec::new();
    for i in 0..12i64 {
        let mut extra = json!({"volume": (i + 1) * 10});
        if i % 2 == 0 {
            extra["cluster_id"] = json!(source);
        }
        ids.push(id_of(&add_keyword(&app, t, &ws.site, &ws.sector, &format!("race {i}"), extra).await));
    }
    check(&app, &ws, &source, (6, 360), "setup").await;
    let paths: Vec<String> = ids.iter().map(|id| path(id)).collect();

    // Twelve PATCHes at once move twelve different keywords into one cluster.
    let replies = futures::future::join_all(paths.iter().map(|p| app.patch(p, t, json!({"cluster_id": target})))).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    check(&app, &ws, &target, (12, 780), "concurrent PATCH moves (to)").await;
    check(&app, &ws, &source, (0, 0), "concurrent PATCH moves (from)").await;

    // Mixed at once: unassign some, change the volume of others, move the rest away.
    let changes = paths.iter().enumerate().map(|(i, p)| {
        let body = match i % 3 {
            0 => json!({"cluster_id": null}),
            1 => json!({"volume": 1}),
            _ => json!({"cluster_id": other, "volume": 2}),
        };
        app.patch(p, t, body)
    });
    let replies = futures::future::join_all(changes).await;
    assert!(
        replies.iter().all(|r| r.status == 200),
        "{:?}",
        replies.iter().map(|r| (r.status, r.code().to_owned())).collect::<Vec<_>>()
    );
    check(&app, &ws, &target, (4, 4), "concurrent mixed changes (target)").await;
    check(&app, &ws, &other, (4, 8), "concurrent mixed changes (other)").await;

    // Two assignments of the same keywords to two clusters at once: each keyword ends in
    // one of them, and both clusters count exactly what they hold.
    let fight = futures::future::join_all([
        app.post(&format!("{CLUSTERS}{source}/keywords/"), t, json!({"keyword_ids": ids})),
        app.post(&format!("{CLUSTERS}{other}/keywords/"), t, json!({"keyword_ids": ids})),
        app.post(&format!("{CLUSTERS}{source}/keywords/"), t, json!({"keyword_ids": ids[..6]})),
        app.post(&format!("{CLUSTERS}{target}/keywords/"), t, json!({"keyword_ids": ids[6..]})),
    ])
    .await;
    for reply in &fight {
        assert!(
            reply.status == 200 || (reply.status == 409 && reply.code() == "CONFLICT"),
            "{}: {}",
            reply.status,
            reply.body
        );
    }
    let mut total = 0;
    for cluster in [&source, &other, &target] {
        let truth = actual(&app, t, &ws.site, cluster).await;
        assert_eq!(reported(&app, t, cluster).await, truth, "after concurrent assignments");
        total += truth.0;
    }
    if fight[0].status == 200 || fight[1].status == 200 {
        assert_eq!(total, 12, "every keyword is in exactly one cluster");
    }

    // Concurrent deletes of clustered keywords.
    let replies = futures::future::join_all(paths[..6].iter().map(|p| app.delete(p, t))).await;
    assert!(replies.iter().all(|r| r.status == 200));
    for cluster in [&source, &other, &target] {
        let truth = actual(&app, t, &ws.site, cluster).await;
        assert_eq!(reported(&app, t, cluster).await, truth, "after concurrent deletes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cluster_deleted_while_keywords_join_it_leaves_no_orphans() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "clorphans").await;
    let t = &ws.owner.access;
    let doomed = add_cluster(&app, &ws, &ws.sector, "Doomed").await;
    let keep = add_cluster(&app, &ws, &ws.sector, "Keep").await;
    let mut ids = Vec::new();
    for i in 0..8i64 {
        let mut extra = json!({"volume": i + 1});
        if i < 4 {
            extra["cluster_id"] = json!(doomed);
        }
        ids.push(id_of(&add_keyword(&app, t, &ws.site, &ws.sector, &format!("orphan {i}"), extra).await));
    }
    let paths: Vec<String> = ids.iter().map(|id| path(id)).collect();
    let doomed_path = format!("{CLUSTERS}{doomed}/");
    let joins = futures::future::join_all(paths[4..].iter().map(|p| app.patch(p, t, json!({"cluster_id": doomed}))));
    let (doomed_assign, keep_assign) = (format!("{doomed_path}keywords/"), format!("{CLUSTERS}{keep}/keywords/"));
    let (deleted, joined, assigned, kept) = tokio::join!(
        app.delete(&doomed_path, t),
        joins,
        app.post(&doomed_assign, t, json!({"keyword_ids": [ids[0], ids[5], ids[6]]})),
        app.post(&keep_assign, t, json!({"keyword_ids": [ids[1]]})),
    );
    assert!(deleted.status == 200 || (deleted.status == 409 && deleted.code() == "CONFLICT"), "{}", deleted.body);
    for reply in joined.iter().chain([&assigned]) {
        assert!([200, 400, 404, 409].contains(&reply.status), "{}: {}", reply.status, reply.body);
    }
    kept.expect(200);

    // Every keyword is still there; none points to a cluster that is gone; the numbers
    // of what remains are exact.
    let all = app.get(&format!("{KEYWORDS}?site_id={}&page_size=200", ws.site), t).await.expect(200);
    assert_eq!(all.body["count"], 8);
    if deleted.status == 200 {
        app.get(&doomed_path, t).await.expect(404);
        let orphans: Vec<&Value> = results(&all).iter().filter(|k| k["cluster_id"] == json!(doomed)).collect();
        assert!(orphans.is_empty(), "keywords in a deleted cluster: {orphans:?}");
        assert_eq!(app.count_kind("cluster").await, 1);
    } else {
        let truth = actual(&app, t, &ws.site, &doomed).await;
        assert_eq!(reported(&app, t, &doomed).await, truth);
    }
    let truth = actual(&app, t, &ws.site, &keep).await;
    assert_eq!(reported(&app, t, &keep).await, truth);
    assert!(truth.0 >= 1, "the keyword assigned to Keep is there");
}

#[tokio::test]
async fn another_account_gets_404_for_clusters() {
    let app = TestApp::spawn().await;
    let a = workspace(&app, "clalpha").await;
    let a_cluster = add_cluster(&app, &a, &a.sector, "Alpha cluster").await;
    let a_kw = id_of(
        &add_keyword(
            &app,
            &a.owner.access,
            &a.site,
            &a.sector,
            "alpha kw",
            json!({"volume": 100, "cluster_id": a_cluster}),
        )
        .await,
    );

    let b = workspace(&app, "clbeta").await;
    let t = &b.owner.access;
    let b_cluster = add_cluster(&app, &b, &b.sector, "Beta cluster").await;
    let b_kw = id_of(&add_keyword(&app, t, &b.site, &b.sector, "beta kw", json!({"volume": 1})).await);

    let cpath = format!("{CLUSTERS}{a_cluster}/");
    let attempts = [
        app.get(&cpath, t).await,
        app.patch(&cpath, t, json!({"name": "Mine"})).await,
        app.put(&cpath, t, json!({"description": "Mine"})).await,
        app.delete(&cpath, t).await,
        app.get(&format!("{CLUSTERS}?site_id={}", a.site), t).await,
        app.post(CLUSTERS, t, json!({"site_id": a.site, "sector_id": a.sector, "name": "Sneaky"})).await,
        app.post(CLUSTERS, t, json!({"site_id": b.site, "sector_id": a.sector, "name": "Sneaky"})).await,
        // A's cluster, B's keyword; B's cluster, A's keyword among B's.
        app.post(&format!("{cpath}keywords/"), t, json!({"keyword_ids": [b_kw]})).await,
        app.post(&format!("{CLUSTERS}{b_cluster}/keywords/"), t, json!({"keyword_ids": [b_kw, a_kw]})).await,
        app.patch(&path(&b_kw), t, json!({"cluster_id": a_cluster})).await,
        app.post(
            KEYWORDS,
            t,
            json!({"site_id": b.site, "sector_id": b.sector, "keyword": "x", "cluster_id": a_cluster}),
        )
        .await,
        app.get(&format!("{KEYWORDS}?site_id={}&cluster_id={a_cluster}", a.site), t).await,
    ];
    for (index, reply) in attempts.iter().enumerate() {
        assert_eq!(reply.status, 404, "attempt {index}: {}", reply.body);
        assert_eq!(reply.code(), "NOT_FOUND", "attempt {index}");
    }
    // B filtering its own keywords by A's cluster finds nothing.
    let none = app.get(&format!("{KEYWORDS}?site_id={}&cluster_id={a_cluster}", b.site), t).await.expect(200);
    assert_eq!(none.body["count"], 0);

    // Nothing changed.
    let still = app.get(&cpath, &a.owner.access).await.expect(200);
    assert_eq!(
        (
            still.data()["name"].clone(),
            still.data()["description"].clone(),
            still.data()["keywords_count"].clone(),
            still.data()["volume"].clone()
        ),
        (json!("Alpha cluster"), json!(""), json!(1), json!(100))
    );
    assert_eq!(app.get(&path(&a_kw), &a.owner.access).await.expect(200).data()["cluster_id"], json!(a_cluster));
    assert!(app.get(&path(&b_kw), t).await.expect(200).data()["cluster_id"].is_null());
    assert_eq!(reported(&app, t, &b_cluster).await, (0, 0));
    let b_clusters = app.get(&format!("{CLUSTERS}?site_id={}", b.site), t).await.expect(200);
    assert_eq!(b_clusters.body["count"], 1);
    assert_eq!(app.count_kind("cluster").await, 2);
}

#[tokio::test]
async fn viewers_read_clusters_and_editors_need_a_grant() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "clroles").await;
    let owner = &ws.owner;
    let viewer = app.add_member(owner, "viewer", "viewer").await;
    let outsider = app.add_member(owner, "outsider", "editor").await;
    app.grant(owner, &ws.site, &viewer.user_id).await;
    let cluster = add_cluster(&app, &ws, &ws.sector, "Guarded").await;
    let kw = id_of(&add_keyword(&app, &owner.access, &ws.site, &ws.sector, "kw", json!({"volume": 3})).await);
    let cpath = format!("{CLUSTERS}{cluster}/");
    let list = format!("{CLUSTERS}?site_id={}", ws.site);

    let v = &viewer.access;
    assert_eq!(app.get(&list, v).await.expect(200).body["count"], 1);
    app.get(&cpath, v).await.expect(200);
    let denied = [
        app.post(CLUSTERS, v, json!({"site_id": ws.site, "sector_id": ws.sector, "name": "Viewer's"})).await,
        app.patch(&cpath, v, json!({"name": "X"})).await,
        app.put(&cpath, v, json!({"name": "X"})).await,
        app.delete(&cpath, v).await,
        app.post(&format!("{cpath}keywords/"), v, json!({"keyword_ids": [kw]})).await,
        app.patch(&path(&kw), v, json!({"cluster_id": cluster})).await,
    ];
    for (index, reply) in denied.iter().enumerate() {
        assert_eq!(reply.status, 403, "attempt {index}: {}", reply.body);
        assert_eq!(reply.code(), "FORBIDDEN", "attempt {index}");
    }
    let still = app.get(&cpath, &owner.access).await.expect(200);
    assert_eq!((still.data()["name"].clone(), still.data()["keywords_count"].clone()), (json!("Guarded"), json!(0)));

    let o = &outsider.access;
    for reply in [
        app.get(&list, o).await,
        app.get(&cpath, o).await,
        app.patch(&cpath, o, json!({"name": "X"})).await,
        app.delete(&cpath, o).await,
        app.post(&format!("{cpath}keywords/"), o, json!({"keyword_ids": [kw]})).await,
        app.post(CLUSTERS, o, json!({"site_id": ws.site, "sector_id": ws.sector, "name": "Outsider's"})).await,
    ] {
        assert_eq!(reply.status, 404, "{}", reply.body);
    }
    app.grant(owner, &ws.site, &outsider.user_id).await;
    let reply = app.post(&format!("{cpath}keywords/"), o, json!({"keyword_ids": [kw]})).await.expect(200);
    assert_eq!(reply.data()["cluster"]["keywords_count"], 1);
    assert_eq!(
        texts(&app.get(&format!("{KEYWORDS}?site_id={}&cluster_id={cluster}", ws.site), o).await.expect(200)),
        ["kw"]
    );
}
