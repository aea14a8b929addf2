//! Writer tasks: CRUD, validation, the filtered/ordered/paginated list, bulk delete and
//! bulk status updates, tenant isolation, roles and the site API key (status only).
//!
//! The small helpers at the top are shared with the other `writer_*` modules.

use igny8_e2e::{Auth, Reply, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

use igny8_e2e::common::{
    assert_field_error, assert_forbidden, assert_not_found, column, id_of, merged, results, workspace,
};

pub(crate) const TASKS: &str = "/api/v1/writer/tasks/";

/// POSTs `{site_id, sector_id} + extra` to `path` (201 expected); the created object.
pub(crate) async fn add(app: &TestApp, path: &str, token: &str, site: &str, sector: &str, extra: Value) -> Value {
    let body = merged(json!({"site_id": site, "sector_id": sector}), extra);
    app.post(path, token, body).await.expect(201).data().clone()
}

pub(crate) async fn add_task(app: &TestApp, token: &str, site: &str, sector: &str, title: &str, extra: Value) -> Value {
    add(app, TASKS, token, site, sector, merged(json!({"title": title}), extra)).await
}

fn task_path(id: &str) -> String {
    format!("{TASKS}{id}/")
}

#[tokio::test]
async fn tasks_are_created_read_updated_and_deleted() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "tasks").await;
    let t = &d.owner.access;

    // Defaults.
    let plain = add_task(&app, t, &d.site, &d.sector, "Plain task", json!({})).await;
    assert_eq!(plain["title"], "Plain task");
    assert_eq!(plain["word_count"], 1500);
    assert_eq!(plain["status"], "queued");
    assert_eq!(plain["content_type"], "post");
    assert_eq!(plain["content_structure"], "article");
    assert_eq!(plain["site_id"], d.site.as_str());
    assert_eq!(plain["sector_id"], d.sector.as_str());
    assert_eq!(plain["account_id"], d.owner.account_id.as_str());

    // Every field given.
    let created = app
        .post(
            TASKS,
            t,
            json!({
                "site_id": d.site, "sector_id": d.sector, "title": "Trail shoes guide",
                "description": "Cover grip and drop.", "keywords": ["trail shoes", "grip"],
                "content_type": "page", "content_structure": "how_to", "word_count": 2500,
                "status": "in_progress"
            }),
        )
        .await
        .expect(201);
    assert_eq!(created.body["success"], true);
    let task = created.data().clone();
    let id = id_of(&task);
    assert_eq!(task["title"], "Trail shoes guide");
    assert_eq!(task["description"], "Cover grip and drop.");
    assert_eq!(task["keywords"], json!(["trail shoes", "grip"]));
    assert_eq!(task["content_type"], "page");
    assert_eq!(task["content_structure"], "how_to");
    assert_eq!(task["word_count"], 2500);
    assert_eq!(task["status"], "in_progress");

    // Read, with and without the trailing slash.
    let read = app.get(&task_path(&id), t).await.expect(200);
    assert_eq!(read.data(), &task);
    let read = app.get(&format!("{TASKS}{id}"), t).await.expect(200);
    assert_eq!(read.data()["id"], id.as_str());

    // PATCH changes only what it names.
    let patched = app.patch(&task_path(&id), t, json!({"title": "Trail shoes, the guide"})).await.expect(200);
    assert_eq!(patched.data()["title"], "Trail shoes, the guide");
    assert_eq!(patched.data()["word_count"], 2500);
    assert_eq!(patched.data()["keywords"], json!(["trail shoes", "grip"]));
    assert_eq!(patched.data()["content_structure"], "how_to");

    // PUT is partial as well.
    let put = app
        .put(
            &format!("{TASKS}{id}"),
            t,
            json!({"word_count": 3000, "status": "completed", "content_structure": "listicle", "keywords": []}),
        )
        .await
        .expect(200);
    assert_eq!(put.data()["title"], "Trail shoes, the guide");
    assert_eq!(put.data()["description"], "Cover grip and drop.");
    assert_eq!(put.data()["word_count"], 3000);
    assert_eq!(put.data()["status"], "completed");
    assert_eq!(put.data()["content_structure"], "listicle");
    assert_eq!(put.data()["keywords"], json!([]));
    let read = app.get(&task_path(&id), t).await.expect(200);
    assert_eq!(read.data()["word_count"], 3000);
    assert_eq!(read.data()["title"], "Trail shoes, the guide");

    // Delete.
    let deleted = app.delete(&task_path(&id), t).await.expect(200);
    assert_eq!(deleted.data()["deleted"], true);
    assert_not_found(&app.get(&task_path(&id), t).await, "read after delete");
    assert_not_found(&app.delete(&task_path(&id), t).await, "delete twice");
    assert_not_found(&app.patch(&task_path(&id), t, json!({"title": "Back"})).await, "update after delete");
    assert_eq!(app.count_kind("task").await, 1);
    app.get(&task_path(&id_of(&plain)), t).await.expect(200);
}

#[tokio::test]
async fn tasks_link_to_a_cluster_of_their_sector() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "taskclu").await;
    let t = &d.owner.access;
    let other_sector = app.create_sector(t, &d.site, "Other").await;
    let cluster = |sector: igny8_store::SectorId, name: &'static str| {
        let app = &app;
        let site = d.site.clone();
        async move {
            let r = app
                .post("/api/v1/planner/clusters/", t, json!({"site_id": site, "sector_id": sector, "name": name}))
                .await
                .expect(201);
            id_of(r.data())
        }
    };
    let here = cluster(d.sector.clone(), "Here").await;
    let there = cluster(other_sector.clone().into(), "There").await;

    let task = add_task(&app, t, &d.site, &d.sector, "Clustered", json!({"cluster_id": here})).await;
    assert_eq!(task["cluster_id"], here.as_str());
    let r = app
        .post(TASKS, t, json!({"site_id": d.site, "sector_id": d.sector, "title": "Wrong", "cluster_id": there}))
        .await;
    assert_field_error(&r, "cluster_id");
    let r = app.patch(&task_path(&id_of(&task)), t, json!({"cluster_id": there})).await;
    assert_field_error(&r, "cluster_id");
    assert_eq!(app.get(&task_path(&id_of(&task)), t).await.expect(200).data()["cluster_id"], here.as_str());
    // null unlinks.
    let r = app.patch(&task_path(&id_of(&task)), t, json!({"cluster_id": null})).await.expect(200);
    assert!(r.data().get("cluster_id").is_none_or(Value::is_null), "{}", r.body);
    assert_eq!(app.count_kind("task").await, 1);
}

#[tokio::test]
async fn the_task_list_needs_a_site_and_filters() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "taskfilter").await;
    let t = &d.owner.access;
    let second = app.create_sector(t, &d.site, "Second").await;
    let other_site = app.create_site(t, "Elsewhere").await;
    let other_site_sector = app.create_sector(t, &other_site, "Far").await;
    let cluster = app
        .post("/api/v1/planner/clusters/", t, json!({"site_id": d.site, "sector_id": d.sector, "name": "Shoes"}))
        .await
        .expect(201);
    let cluster = id_of(cluster.data());

    add_task(
        &app,
        t,
        &d.site,
        &d.sector,
        "Running shoes review",
        json!({"status": "completed", "content_structure": "review", "cluster_id": cluster}),
    )
    .await;
    add_task(&app, t, &d.site, &d.sector, "Best RUNNING socks", json!({"status": "queued", "content_type": "page"}))
        .await;
    add_task(
        &app,
        t,
        &d.site,
        &d.sector,
        "Hiking boots",
        json!({"status": "failed", "content_type": "product", "content_structure": "comparison"}),
    )
    .await;
    add_task(
        &app,
        t,
        &d.site,
        &second,
        "Running tights",
        json!({"status": "in_progress", "content_structure": "news"}),
    )
    .await;
    add_task(&app, t, &other_site, &other_site_sector, "Running elsewhere", json!({})).await;

    let list = |query: String| {
        let app = &app;
        async move { app.get(&format!("{TASKS}?{query}"), t).await }
    };
    let titles = |reply: Reply| {
        let mut titles = column(&reply.expect(200), "title");
        titles.sort();
        titles
    };
    let site = &d.site;

    let all = list(format!("site_id={site}")).await.expect(200);
    assert_eq!(all.body["count"], 4, "{}", all.body);
    assert_eq!(all.body["success"], true);
    assert_eq!(titles(list(format!("site_id={site}&sector_id={second}")).await), vec!["Running tights"]);
    assert_eq!(
        titles(list(format!("site_id={site}&search=running")).await),
        vec!["Best RUNNING socks", "Running shoes review", "Running tights"]
    );
    assert_eq!(
        titles(list(format!("site_id={site}&sector_id={}&search=RUNNING", d.sector)).await),
        vec!["Best RUNNING socks", "Running shoes review"]
    );
    assert_eq!(titles(list(format!("site_id={site}&status=failed")).await), vec!["Hiking boots"]);
    assert_eq!(titles(list(format!("site_id={site}&status=in_progress")).await), vec!["Running tights"]);
    assert_eq!(titles(list(format!("site_id={site}&cluster_id={cluster}")).await), vec!["Running shoes review"]);
    assert_eq!(
        titles(list(format!("site_id={site}&content_type=post")).await),
        vec!["Running shoes review", "Running tights"]
    );
    assert_eq!(titles(list(format!("site_id={site}&content_type=product")).await), vec!["Hiking boots"]);
    assert_eq!(titles(list(format!("site_id={site}&content_structure=news")).await), vec!["Running tights"]);
    assert_eq!(titles(list(format!("site_id={site}&content_structure=review")).await), vec!["Running shoes review"]);
    assert!(titles(list(format!("site_id={site}&content_structure=guide")).await).is_empty());
    assert_eq!(
        titles(list(format!("site_id={site}&status=queued&content_type=page&search=socks")).await),
        vec!["Best RUNNING socks"]
    );
    assert_eq!(titles(list(format!("site_id={other_site}")).await), vec!["Running elsewhere"]);

    // The site is required; bad filter values name the parameter.
    assert_field_error(&app.get(TASKS, t).await, "site_id");
    assert_field_error(&list(format!("sector_id={}", d.sector)).await, "site_id");
    assert_field_error(&list(format!("site_id={site}&status=done")).await, "status");
    assert_field_error(&list(format!("site_id={site}&content_type=video")).await, "content_type");
    assert_field_error(&list(format!("site_id={site}&content_structure=essay")).await, "content_structure");
    assert_field_error(&list(format!("site_id={site}&ordering=description")).await, "ordering");
    // A sector of another site.
    assert_field_error(&list(format!("site_id={site}&sector_id={other_site_sector}")).await, "sector_id");
    assert_not_found(&list("site_id=site_doesnotexist".into()).await, "unknown site");
}

#[tokio::test]
async fn the_task_list_orders_and_paginates() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "taskorder").await;
    let t = &d.owner.access;
    // Created in this order.
    for (title, words) in [("bravo", 900), ("Alpha", 3000), ("delta", 100), ("Charlie", 20000), ("echo", 1500)] {
        add_task(&app, t, &d.site, &d.sector, title, json!({"word_count": words})).await;
    }
    let titles = |query: &'static str| {
        let app = &app;
        let site = d.site.clone();
        async move { column(&app.get(&format!("{TASKS}?site_id={site}&{query}"), t).await.expect(200), "title") }
    };
    assert_eq!(titles("").await, vec!["echo", "Charlie", "delta", "Alpha", "bravo"], "default: newest first");
    assert_eq!(titles("ordering=created_at").await, vec!["bravo", "Alpha", "delta", "Charlie", "echo"]);
    assert_eq!(titles("ordering=-created_at").await, vec!["echo", "Charlie", "delta", "Alpha", "bravo"]);
    assert_eq!(titles("ordering=title").await, vec!["Alpha", "bravo", "Charlie", "delta", "echo"]);
    assert_eq!(titles("ordering=-title").await, vec!["echo", "delta", "Charlie", "bravo", "Alpha"]);
    assert_eq!(titles("ordering=word_count").await, vec!["delta", "bravo", "echo", "Alpha", "Charlie"]);
    assert_eq!(titles("ordering=-word_count").await, vec!["Charlie", "Alpha", "echo", "bravo", "delta"]);

    // Touch "delta": it becomes the most recently updated.
    let list = app.get(&format!("{TASKS}?site_id={}&search=delta", d.site), t).await.expect(200);
    let delta = id_of(&results(&list)[0]);
    app.patch(&task_path(&delta), t, json!({"description": "touched"})).await.expect(200);
    assert_eq!(titles("ordering=-updated_at").await[0], "delta");
    assert_eq!(titles("ordering=updated_at").await[4], "delta");

    // Pages.
    let page = app.get(&format!("{TASKS}?site_id={}&ordering=title&page_size=2&page=2", d.site), t).await.expect(200);
    assert_eq!(page.body["count"], 5);
    assert_eq!(column(&page, "title"), vec!["Charlie", "delta"]);
    let next = page.body["next"].as_str().expect("next link");
    assert!(next.contains("page=3") && next.contains("ordering=title") && next.contains("page_size=2"), "{next}");
    assert!(page.body["previous"].as_str().expect("previous link").contains("page=1"));
    let last = app.get(&format!("{TASKS}?site_id={}&ordering=title&page_size=2&page=3", d.site), t).await.expect(200);
    assert_eq!(column(&last, "title"), vec!["echo"]);
    assert!(last.body["next"].is_null());
    let first = app.get(&format!("{TASKS}?site_id={}&ordering=title&page_size=2", d.site), t).await.expect(200);
    assert_eq!(column(&first, "title"), vec!["Alpha", "bravo"]);
    assert!(first.body["previous"].is_null());
    let beyond = app.get(&format!("{TASKS}?site_id={}&page_size=2&page=9", d.site), t).await.expect(200);
    assert_eq!(beyond.body["count"], 5);
    assert!(results(&beyond).is_empty());
    assert_field_error(&app.get(&format!("{TASKS}?site_id={}&page_size=0", d.site), t).await, "page_size");
    assert_field_error(&app.get(&format!("{TASKS}?site_id={}&page_size=201", d.site), t).await, "page_size");
    assert_field_error(&app.get(&format!("{TASKS}?site_id={}&page=0", d.site), t).await, "page");
    assert_field_error(&app.get(&format!("{TASKS}?site_id={}&page=abc", d.site), t).await, "page");
}

#[tokio::test]
async fn task_input_is_validated_field_by_field() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "taskval").await;
    let t = &d.owner.access;
    let other_site = app.create_site(t, "Other").await;
    let foreign_sector = app.create_sector(t, &other_site, "Foreign").await;
    let base = json!({"site_id": d.site, "sector_id": d.sector, "title": "Valid"});
    let post = |extra: Value| {
        let app = &app;
        let body = merged(base.clone(), extra);
        async move { app.post(TASKS, t, body).await }
    };

    assert_field_error(&app.post(TASKS, t, json!({"site_id": d.site, "sector_id": d.sector})).await, "title");
    assert_field_error(&app.post(TASKS, t, json!({"sector_id": d.sector, "title": "x"})).await, "site_id");
    assert_field_error(&app.post(TASKS, t, json!({"site_id": d.site, "title": "x"})).await, "sector_id");
    assert_field_error(&post(json!({"title": "   "})).await, "title");
    assert_field_error(&post(json!({"title": ""})).await, "title");
    assert_field_error(&post(json!({"title": "x".repeat(256)})).await, "title");
    assert_field_error(&post(json!({"word_count": 99})).await, "word_count");
    assert_field_error(&post(json!({"word_count": 20001})).await, "word_count");
    assert_field_error(&post(json!({"word_count": "many"})).await, "word_count");
    assert_field_error(&post(json!({"status": "done"})).await, "status");
    assert_field_error(&post(json!({"content_type": "video"})).await, "content_type");
    assert_field_error(&post(json!({"content_structure": "essay"})).await, "content_structure");
    let too_many: Vec<String> = (0..51).map(|i| format!("kw {i}")).collect();
    assert_field_error(&post(json!({"keywords": too_many})).await, "keywords");
    assert_field_error(&post(json!({"sector_id": foreign_sector})).await, "sector_id");
    assert_not_found(&post(json!({"sector_id": "sector_nope"})).await, "unknown sector");
    assert_not_found(&post(json!({"cluster_id": "cluster_nope"})).await, "unknown cluster");
    assert_eq!(app.count_kind("task").await, 0, "no invalid task was stored");

    // The bounds themselves are fine.
    let low = post(json!({"word_count": 100})).await.expect(201);
    assert_eq!(low.data()["word_count"], 100);
    let high = post(json!({"word_count": 20000})).await.expect(201);
    let id = id_of(high.data());

    // Updates are validated too, and a rejected update changes nothing.
    let path = task_path(&id);
    assert_field_error(&app.patch(&path, t, json!({"word_count": 5})).await, "word_count");
    assert_field_error(&app.patch(&path, t, json!({"title": " "})).await, "title");
    assert_field_error(&app.put(&path, t, json!({"status": "paused", "title": "New"})).await, "status");
    assert_field_error(&app.patch(&path, t, json!({"content_type": "video"})).await, "content_type");
    let still = app.get(&path, t).await.expect(200);
    assert_eq!(still.data()["word_count"], 20000);
    assert_eq!(still.data()["title"], "Valid");
    assert_eq!(still.data()["status"], "queued");

    // Bulk inputs.
    assert_field_error(&app.post(&format!("{TASKS}bulk_delete/"), t, json!({"ids": []})).await, "ids");
    assert_field_error(&app.post(&format!("{TASKS}bulk_delete/"), t, json!({})).await, "ids");
    assert_field_error(
        &app.post(&format!("{TASKS}bulk_update/"), t, json!({"ids": [id], "status": "x"})).await,
        "status",
    );
    assert_field_error(&app.post(&format!("{TASKS}bulk_update/"), t, json!({"ids": [id]})).await, "status");
    assert_eq!(app.count_kind("task").await, 2);
}

#[tokio::test]
async fn tasks_are_deleted_and_updated_in_bulk() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "taskbulk").await;
    let t = &d.owner.access;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(id_of(&add_task(&app, t, &d.site, &d.sector, &format!("Task {i}"), json!({})).await));
    }
    let status = |id: String| {
        let app = &app;
        async move { app.get(&task_path(&id), t).await.expect(200).data()["status"].as_str().unwrap().to_owned() }
    };

    let r = app
        .post(&format!("{TASKS}bulk_update/"), t, json!({"ids": [ids[0], ids[1]], "status": "completed"}))
        .await
        .expect(200);
    assert_eq!(r.data()["updated"], 2);
    assert_eq!(status(ids[0].clone()).await, "completed");
    assert_eq!(status(ids[1].clone()).await, "completed");
    assert_eq!(status(ids[2].clone()).await, "queued");

    // Without the trailing slash too.
    let r = app.post(&format!("{TASKS}bulk_update"), t, json!({"ids": [ids[2]], "status": "failed"})).await.expect(200);
    assert_eq!(r.data()["updated"], 1);
    assert_eq!(status(ids[2].clone()).await, "failed");

    // An unknown id fails the whole request, naming it.
    let r = app
        .post(&format!("{TASKS}bulk_update/"), t, json!({"ids": [ids[3], "task_missing"], "status": "completed"}))
        .await;
    assert_not_found(&r, "bulk update with a missing id");
    assert!(r.body["errors"]["ids"].to_string().contains("task_missing"), "{}", r.body);
    assert_eq!(status(ids[3].clone()).await, "queued");
    let r = app.post(&format!("{TASKS}bulk_delete/"), t, json!({"ids": [ids[3], "task_missing"]})).await;
    assert_not_found(&r, "bulk delete with a missing id");
    assert_eq!(app.count_kind("task").await, 4);

    let r = app.post(&format!("{TASKS}bulk_delete/"), t, json!({"ids": [ids[0], ids[2]]})).await.expect(200);
    assert_eq!(r.data()["deleted"], 2);
    assert_not_found(&app.get(&task_path(&ids[0]), t).await, "bulk-deleted task");
    assert_not_found(&app.get(&task_path(&ids[2]), t).await, "bulk-deleted task");
    let left = app.get(&format!("{TASKS}?site_id={}&ordering=title", d.site), t).await.expect(200);
    assert_eq!(column(&left, "title"), vec!["Task 1", "Task 3"]);
    assert_eq!(app.count_kind("task").await, 2);
}

#[tokio::test]
async fn another_account_gets_404_for_tasks_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let a = workspace(&app, "task-a").await;
    let a_task = add_task(&app, &a.owner.access, &a.site, &a.sector, "A's task", json!({"word_count": 800})).await;
    let a_id = id_of(&a_task);
    let a_cluster = app
        .post(
            "/api/v1/planner/clusters/",
            &a.owner.access,
            json!({"site_id": a.site, "sector_id": a.sector, "name": "A cluster"}),
        )
        .await
        .expect(201);
    let a_cluster = id_of(a_cluster.data());

    let b = workspace(&app, "task-b").await;
    let t = &b.owner.access;
    let b_id = id_of(&add_task(&app, t, &b.site, &b.sector, "B's task", json!({})).await);

    let path = task_path(&a_id);
    let attempts = [
        ("read", app.get(&path, t).await),
        ("patch", app.patch(&path, t, json!({"title": "Mine now"})).await),
        ("patch status", app.patch(&path, t, json!({"status": "failed"})).await),
        ("put", app.put(&path, t, json!({"word_count": 5000})).await),
        ("delete", app.delete(&path, t).await),
        ("list A's site", app.get(&format!("{TASKS}?site_id={}", a.site), t).await),
        (
            "create in A's site",
            app.post(TASKS, t, json!({"site_id": a.site, "sector_id": a.sector, "title": "Sneaky"})).await,
        ),
        (
            "create with A's cluster",
            app.post(
                TASKS,
                t,
                json!({"site_id": b.site, "sector_id": b.sector, "title": "x", "cluster_id": a_cluster}),
            )
            .await,
        ),
        ("link A's cluster", app.patch(&task_path(&b_id), t, json!({"cluster_id": a_cluster})).await),
        ("bulk delete", app.post(&format!("{TASKS}bulk_delete/"), t, json!({"ids": [a_id]})).await),
        ("bulk update", app.post(&format!("{TASKS}bulk_update/"), t, json!({"ids": [a_id], "status": "failed"})).await),
        ("bulk delete, mixed", app.post(&format!("{TASKS}bulk_delete/"), t, json!({"ids": [b_id, a_id]})).await),
        (
            "bulk update, mixed",
            app.post(&format!("{TASKS}bulk_update/"), t, json!({"ids": [b_id, a_id], "status": "completed"})).await,
        ),
    ];
    for (what, reply) in &attempts {
        assert_not_found(reply, what);
    }

    // Nothing changed on either side.
    let a_now = app.get(&path, &a.owner.access).await.expect(200);
    assert_eq!(a_now.data(), &a_task);
    let b_now = app.get(&task_path(&b_id), t).await.expect(200);
    assert_eq!(b_now.data()["status"], "queued");
    assert!(b_now.data().get("cluster_id").is_none_or(Value::is_null));
    assert_eq!(app.count_kind("task").await, 2);
    let b_list = app.get(&format!("{TASKS}?site_id={}", b.site), t).await.expect(200);
    assert_eq!(b_list.body["count"], 1);
}

#[tokio::test]
async fn viewers_read_tasks_and_editors_see_only_granted_sites() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "taskroles").await;
    let owner = &d.owner;
    let editor = app.add_member(owner, "editor", "editor").await;
    let viewer = app.add_member(owner, "viewer", "viewer").await;
    app.grant(owner, &d.site, &editor.user_id).await;
    app.grant(owner, &d.site, &viewer.user_id).await;
    let hidden_site = app.create_site(&owner.access, "Hidden").await;
    let hidden_sector = app.create_sector(&owner.access, &hidden_site, "Hidden sector").await;
    let task = add_task(&app, &owner.access, &d.site, &d.sector, "Shared task", json!({})).await;
    let id = id_of(&task);
    let hidden = id_of(&add_task(&app, &owner.access, &hidden_site, &hidden_sector, "Hidden task", json!({})).await);

    // Viewer: reads, never writes (not even a status).
    let v = &viewer.access;
    let list = app.get(&format!("{TASKS}?site_id={}", d.site), v).await.expect(200);
    assert_eq!(list.body["count"], 1);
    app.get(&task_path(&id), v).await.expect(200);
    let denied = [
        ("create", app.post(TASKS, v, json!({"site_id": d.site, "sector_id": d.sector, "title": "V"})).await),
        ("patch", app.patch(&task_path(&id), v, json!({"title": "V"})).await),
        ("patch status", app.patch(&task_path(&id), v, json!({"status": "completed"})).await),
        ("put", app.put(&task_path(&id), v, json!({"word_count": 200})).await),
        ("delete", app.delete(&task_path(&id), v).await),
        ("bulk delete", app.post(&format!("{TASKS}bulk_delete/"), v, json!({"ids": [id]})).await),
        ("bulk update", app.post(&format!("{TASKS}bulk_update/"), v, json!({"ids": [id], "status": "failed"})).await),
    ];
    for (what, reply) in &denied {
        assert_forbidden(reply, what);
    }
    assert_eq!(app.get(&task_path(&id), &owner.access).await.expect(200).data(), &task);
    assert_eq!(app.count_kind("task").await, 2);
    // The viewer does not see the site it was not granted.
    assert_not_found(&app.get(&task_path(&hidden), v).await, "viewer reads a hidden task");
    assert_not_found(&app.get(&format!("{TASKS}?site_id={hidden_site}"), v).await, "viewer lists a hidden site");

    // Editor: writes in its granted site.
    let e = &editor.access;
    let mine = add_task(&app, e, &d.site, &d.sector, "Editor task", json!({})).await;
    app.patch(&task_path(&id), e, json!({"title": "Edited", "status": "in_progress"})).await.expect(200);
    app.post(&format!("{TASKS}bulk_update/"), e, json!({"ids": [id], "status": "completed"})).await.expect(200);
    app.delete(&task_path(&id_of(&mine)), e).await.expect(200);
    // ... and nothing in the site it was not granted.
    let hidden_path = task_path(&hidden);
    let unseen = [
        ("read", app.get(&hidden_path, e).await),
        ("patch", app.patch(&hidden_path, e, json!({"title": "Found"})).await),
        ("delete", app.delete(&hidden_path, e).await),
        ("list", app.get(&format!("{TASKS}?site_id={hidden_site}"), e).await),
        ("create", app.post(TASKS, e, json!({"site_id": hidden_site, "sector_id": hidden_sector, "title": "x"})).await),
        ("bulk delete", app.post(&format!("{TASKS}bulk_delete/"), e, json!({"ids": [id, hidden]})).await),
    ];
    for (what, reply) in &unseen {
        assert_not_found(reply, what);
    }
    let still = app.get(&hidden_path, &owner.access).await.expect(200);
    assert_eq!(still.data()["title"], "Hidden task");
    app.get(&task_path(&id), &owner.access).await.expect(200);
}

#[tokio::test]
async fn a_site_key_reads_tasks_and_changes_only_their_status() {
    let app = TestApp::spawn().await;
    let d = workspace(&app, "taskkey").await;
    let t = &d.owner.access;
    let sister = app.create_site(t, "Sister").await;
    let sister_sector = app.create_sector(t, &sister, "Sister sector").await;
    let task = add_task(&app, t, &d.site, &d.sector, "Bridge task", json!({"word_count": 700})).await;
    let id = id_of(&task);
    let sister_task = id_of(&add_task(&app, t, &sister, &sister_sector, "Sister task", json!({})).await);
    let key = app.rotate_key(&d.owner, &d.site).await;
    let as_key = |method: Method, path: String, body: Option<Value>| {
        let app = &app;
        let key = key.clone();
        async move { app.call(method, &path, Auth::ApiKey(&key), body).await }
    };

    let list = as_key(Method::GET, format!("{TASKS}?site_id={}", d.site), None).await.expect(200);
    assert_eq!(column(&list, "title"), vec!["Bridge task"]);
    as_key(Method::GET, task_path(&id), None).await.expect(200);

    let r = as_key(Method::PATCH, task_path(&id), Some(json!({"status": "completed"}))).await.expect(200);
    assert_eq!(r.data()["status"], "completed");
    let r = as_key(Method::PUT, task_path(&id), Some(json!({"status": "failed"}))).await.expect(200);
    assert_eq!(r.data()["status"], "failed");

    let denied = [
        ("patch title", as_key(Method::PATCH, task_path(&id), Some(json!({"title": "Bot"}))).await),
        (
            "patch status and word count",
            as_key(Method::PATCH, task_path(&id), Some(json!({"status": "queued", "word_count": 200}))).await,
        ),
        ("put description", as_key(Method::PUT, task_path(&id), Some(json!({"description": "x"}))).await),
        ("delete", as_key(Method::DELETE, task_path(&id), None).await),
        (
            "create",
            as_key(
                Method::POST,
                TASKS.into(),
                Some(json!({"site_id": d.site, "sector_id": d.sector, "title": "Bot task"})),
            )
            .await,
        ),
        ("bulk delete", as_key(Method::POST, format!("{TASKS}bulk_delete/"), Some(json!({"ids": [id]}))).await),
    ];
    for (what, reply) in &denied {
        assert_forbidden(reply, what);
    }
    let now = app.get(&task_path(&id), t).await.expect(200);
    assert_eq!(now.data()["title"], "Bridge task");
    assert_eq!(now.data()["word_count"], 700);
    assert_eq!(now.data()["status"], "failed");
    assert_eq!(app.count_kind("task").await, 2);

    // Another site's tasks do not exist for the key.
    assert_not_found(&as_key(Method::GET, task_path(&sister_task), None).await, "read sister task");
    assert_not_found(
        &as_key(Method::PATCH, task_path(&sister_task), Some(json!({"status": "completed"}))).await,
        "status of sister task",
    );
    assert_not_found(&as_key(Method::GET, format!("{TASKS}?site_id={sister}"), None).await, "list sister site");
    assert_eq!(app.get(&task_path(&sister_task), t).await.expect(200).data()["status"], "queued");
}
