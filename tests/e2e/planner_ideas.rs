//! Planner ideas: CRUD with defaults and validation, the list, and queuing to the writer
//! (one task per idea, however often or concurrently it is queued).

use igny8_e2e::{Reply, TestApp};
use serde_json::{Value, json};

use crate::planner_keywords::add_keyword;
use igny8_e2e::common::{Workspace, assert_field_error, error_fields, id_of, results, workspace};

const IDEAS: &str = "/api/v1/planner/ideas/";
const QUEUE: &str = "/api/v1/planner/ideas/queue_to_writer/";
const CLUSTERS: &str = "/api/v1/planner/clusters/";

async fn add_cluster(app: &TestApp, ws: &Workspace, sector: &str, name: &str) -> String {
    let reply = app
        .post(CLUSTERS, &ws.owner.access, json!({"site_id": ws.site, "sector_id": sector, "name": name}))
        .await
        .expect(201);
    id_of(reply.data())
}

/// Creates an idea (201 expected); `extra` is merged into the body. The idea.
async fn add_idea(app: &TestApp, token: &str, site: &str, sector: &str, title: &str, extra: Value) -> Value {
    let mut body = json!({"site_id": site, "sector_id": sector, "title": title});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    app.post(IDEAS, token, body).await.expect(201).data().clone()
}

fn titles(reply: &Reply) -> Vec<String> {
    results(reply).iter().map(|i| i["title"].as_str().unwrap().to_owned()).collect()
}

fn path(id: &str) -> String {
    format!("{IDEAS}{id}/")
}

#[tokio::test]
async fn ideas_are_created_read_updated_and_deleted() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "ideacrud").await;
    let t = &ws.owner.access;
    let (site, sector) = (ws.site.clone(), ws.sector.clone());
    let second = app.create_sector(t, &site, "Second").await;
    let other_site = app.create_site(t, "Other").await;
    let other_site_sector = app.create_sector(t, &other_site, "There").await;
    let cluster = add_cluster(&app, &ws, &sector, "Shoes").await;
    let foreign_cluster = add_cluster(&app, &ws, &second, "Elsewhere").await;

    // Defaults.
    let minimal = add_idea(&app, t, &site, &sector, "  How to run  ", json!({})).await;
    let id = id_of(&minimal);
    assert!(id.starts_with("idea_"), "{id}");
    assert_eq!(
        (
            minimal["title"].clone(),
            minimal["description"].clone(),
            minimal["content_type"].clone(),
            minimal["content_structure"].clone(),
            minimal["target_keywords"].clone(),
            minimal["estimated_word_count"].clone(),
            minimal["status"].clone(),
        ),
        (json!("How to run"), json!(""), json!("post"), json!("article"), json!([]), json!(1500), json!("draft"))
    );
    assert!(minimal["cluster_id"].is_null() && minimal["task_id"].is_null(), "{minimal}");
    assert_eq!(
        (minimal["site_id"].as_str(), minimal["sector_id"].as_str()),
        (Some(site.as_str()), Some(sector.as_str()))
    );

    // Every field given.
    let full = add_idea(
        &app,
        t,
        &site,
        &sector,
        "Best shoes",
        json!({"description": "A guide", "content_type": "product", "content_structure": "how_to",
               "target_keywords": [" running  shoes ", "", "  ", "trail"], "cluster_id": cluster,
               "estimated_word_count": 2500, "status": "approved"}),
    )
    .await;
    assert_eq!(
        (
            full["description"].clone(),
            full["content_type"].clone(),
            full["content_structure"].clone(),
            full["target_keywords"].clone(),
            full["cluster_id"].clone(),
            full["estimated_word_count"].clone(),
            full["status"].clone(),
        ),
        (
            json!("A guide"),
            json!("product"),
            json!("how_to"),
            json!(["running shoes", "trail"]),
            json!(cluster),
            json!(2500),
            json!("approved")
        )
    );
    // Every content type and structure is accepted; word count bounds are inclusive.
    let types = ["post", "page", "product", "service", "category", "tag"];
    let structures =
        ["article", "guide", "how_to", "listicle", "comparison", "review", "news", "case_study", "landing_page"];
    for (i, structure) in structures.iter().enumerate() {
        let content_type = types[i % types.len()];
        let words = if i % 2 == 0 { 100 } else { 20_000 };
        let idea = add_idea(
            &app,
            t,
            &site,
            &sector,
            &format!("Kind {i}"),
            json!({"content_type": content_type, "content_structure": structure, "estimated_word_count": words}),
        )
        .await;
        assert_eq!(
            (idea["content_type"].as_str(), idea["content_structure"].as_str()),
            (Some(content_type), Some(*structure))
        );
    }
    let created = 2 + structures.len();
    assert_eq!(app.count_kind("idea").await, created);

    // Validation: every case is tried, then all failures reported.
    let cases = [
        (json!({"title": "   "}), "title"),
        (json!({"title": ""}), "title"),
        (json!({"title": "t".repeat(256)}), "title"),
        (json!({"estimated_word_count": 99}), "estimated_word_count"),
        (json!({"estimated_word_count": 20_001}), "estimated_word_count"),
        (json!({"estimated_word_count": -1}), "estimated_word_count"),
        (json!({"content_type": "video"}), "content_type"),
        (json!({"content_structure": "essay"}), "content_structure"),
        (json!({"status": "in_progress"}), "status"),
        (json!({"status": "completed"}), "status"),
        (json!({"status": "someday"}), "status"),
        (json!({"cluster_id": foreign_cluster}), "cluster_id"),
        (json!({"sector_id": other_site_sector}), "sector_id"),
        (json!({"target_keywords": (0..51).map(|i| format!("k{i}")).collect::<Vec<_>>()}), "target_keywords"),
        (json!({"target_keywords": "not a list"}), "target_keywords"),
        (json!({"description": "d".repeat(10_001)}), "description"),
    ];
    let mut wrong = Vec::new();
    for (extra, field) in cases {
        let mut body = json!({"site_id": site, "sector_id": sector, "title": "Valid title"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let reply = app.post(IDEAS, t, body).await;
        if reply.status != 400 || error_fields(&reply) != vec![field.to_owned()] {
            wrong.push(format!("{field}: got {} {}", reply.status, reply.body));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_field_error(&app.post(IDEAS, t, json!({"site_id": site, "sector_id": sector})).await, "title");
    app.post(IDEAS, t, json!({"site_id": site, "sector_id": sector, "title": "x", "cluster_id": "cl_missing"}))
        .await
        .expect(404);
    app.post(IDEAS, t, json!({"site_id": site, "sector_id": "sec_missing", "title": "x"})).await.expect(404);
    assert_eq!(app.count_kind("idea").await, created, "refused ideas are not stored");

    // Read and partial updates.
    let ipath = path(&id);
    assert_eq!(app.get(ipath.trim_end_matches('/'), t).await.expect(200).data()["title"], "How to run");
    let patched = app
        .patch(&ipath, t, json!({"title": " How to run faster ", "estimated_word_count": 900, "target_keywords": ["speed", " run  fast "]}))
        .await
        .expect(200);
    assert_eq!(
        (
            patched.data()["title"].clone(),
            patched.data()["estimated_word_count"].clone(),
            patched.data()["target_keywords"].clone()
        ),
        (json!("How to run faster"), json!(900), json!(["speed", "run fast"]))
    );
    let put = app
        .put(&ipath, t, json!({"description": "Brief", "content_structure": "guide", "cluster_id": cluster}))
        .await
        .expect(200);
    let d = put.data();
    assert_eq!(
        (
            d["title"].clone(),
            d["description"].clone(),
            d["content_structure"].clone(),
            d["cluster_id"].clone(),
            d["estimated_word_count"].clone()
        ),
        (json!("How to run faster"), json!("Brief"), json!("guide"), json!(cluster), json!(900))
    );
    let cleared = app.patch(&ipath, t, json!({"cluster_id": null})).await.expect(200);
    assert!(cleared.data()["cluster_id"].is_null(), "{}", cleared.body);
    assert!(app.get(&ipath, t).await.expect(200).data()["cluster_id"].is_null());
    app.patch(&ipath, t, json!({"status": "approved"})).await.expect(200);
    app.patch(&ipath, t, json!({"status": "draft"})).await.expect(200);

    // Refused updates change nothing.
    let before = app.get(&ipath, t).await.expect(200).data().clone();
    let refused = [
        (json!({"title": " ", "description": "changed"}), "title"),
        (json!({"estimated_word_count": 50}), "estimated_word_count"),
        (json!({"content_type": "video"}), "content_type"),
        (json!({"status": "in_progress"}), "status"),
        (json!({"status": "completed", "title": "changed"}), "status"),
        (json!({"cluster_id": foreign_cluster, "title": "changed"}), "cluster_id"),
    ];
    for (body, field) in refused {
        assert_field_error(&app.patch(&ipath, t, body).await, field);
    }
    app.patch(&ipath, t, json!({"cluster_id": "cl_missing"})).await.expect(404);
    let after = app.get(&ipath, t).await.expect(200).data().clone();
    assert_eq!(after, before);

    let deleted = app.delete(&ipath, t).await.expect(200);
    assert_eq!(deleted.data()["deleted"], true);
    app.get(&ipath, t).await.expect(404);
    app.patch(&ipath, t, json!({"title": "Back"})).await.expect(404);
    app.delete(&ipath, t).await.expect(404);
    assert_eq!(app.count_kind("idea").await, created - 1);
}

#[tokio::test]
async fn the_idea_list_filters_orders_and_paginates() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "idealist").await;
    let t = &ws.owner.access;
    let (site, sector) = (ws.site.clone(), ws.sector.clone());
    let other = app.create_sector(t, &site, "Other").await;
    let cluster = add_cluster(&app, &ws, &sector, "C").await;
    let rows = [
        ("Alpha guide", "post", "guide", 800, "draft", true),
        ("beta review", "page", "review", 3000, "approved", false),
        ("Gamma listicle", "product", "listicle", 1500, "draft", true),
        ("delta news", "post", "news", 100, "approved", false),
    ];
    for (title, content_type, structure, words, status, clustered) in rows {
        let mut extra = json!({"content_type": content_type, "content_structure": structure,
                               "estimated_word_count": words, "status": status});
        if clustered {
            extra["cluster_id"] = json!(cluster);
        }
        add_idea(&app, t, &site, &sector, title, extra).await;
    }
    add_idea(&app, t, &site, &other, "Epsilon page", json!({"content_type": "page", "estimated_word_count": 20_000}))
        .await;
    let app = &app;
    let list = |query: &str| {
        let path = format!("{IDEAS}?site_id={site}&{query}");
        async move { app.get(&path, t).await.expect(200) }
    };

    assert_eq!(list("").await.body["count"], 5);
    assert_eq!(list(&format!("sector_id={sector}")).await.body["count"], 4);
    assert_eq!(titles(&list(&format!("sector_id={other}")).await), ["Epsilon page"]);
    assert_eq!(titles(&list("status=approved&ordering=title").await), ["beta review", "delta news"]);
    assert_eq!(titles(&list("status=draft&ordering=title").await), ["Alpha guide", "Epsilon page", "Gamma listicle"]);
    assert_eq!(titles(&list("content_type=page&ordering=title").await), ["beta review", "Epsilon page"]);
    assert_eq!(titles(&list(&format!("cluster_id={cluster}&ordering=title")).await), ["Alpha guide", "Gamma listicle"]);
    assert_eq!(titles(&list("search=EVIEW").await), ["beta review"]);
    assert_eq!(titles(&list("content_type=post&status=approved").await), ["delta news"]);
    assert_eq!(list("search=nothing").await.body["count"], 0);

    let by_title = ["Alpha guide", "beta review", "delta news", "Epsilon page", "Gamma listicle"];
    assert_eq!(titles(&list("ordering=title").await), by_title);
    let mut reversed = by_title.to_vec();
    reversed.reverse();
    assert_eq!(titles(&list("ordering=-title").await), reversed);
    let by_words = ["delta news", "Alpha guide", "Gamma listicle", "beta review", "Epsilon page"];
    assert_eq!(titles(&list("ordering=estimated_word_count").await), by_words);
    let mut most_words = by_words.to_vec();
    most_words.reverse();
    assert_eq!(titles(&list("ordering=-estimated_word_count").await), most_words);
    let creation = ["Alpha guide", "beta review", "Gamma listicle", "delta news", "Epsilon page"];
    assert_eq!(titles(&list("ordering=created_at").await), creation);
    let mut newest = creation.to_vec();
    newest.reverse();
    assert_eq!(titles(&list("").await), newest, "newest first by default");

    let page = list("ordering=title&page_size=2&page=3").await;
    assert_eq!((page.body["count"].clone(), titles(&page)), (json!(5), vec!["Gamma listicle".to_owned()]));
    assert!(page.body["next"].is_null());
    assert!(page.body["previous"].as_str().unwrap().contains("page=2"));
    let page = list("ordering=title&page_size=2").await;
    assert_eq!(titles(&page), ["Alpha guide", "beta review"]);
    assert!(page.body["next"].as_str().unwrap().contains("page=2"));

    for (query, field) in [
        ("ordering=secret", "ordering"),
        ("status=someday", "status"),
        ("content_type=video", "content_type"),
        ("page_size=0", "page_size"),
    ] {
        assert_field_error(&app.get(&format!("{IDEAS}?site_id={site}&{query}"), t).await, field);
    }
    assert_field_error(&app.get(IDEAS, t).await, "site_id");
}

#[tokio::test]
async fn queue_to_writer_makes_one_task_per_idea() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "ideaqueue").await;
    let t = &ws.owner.access;
    let (site, sector) = (ws.site.clone(), ws.sector.clone());
    let cluster = add_cluster(&app, &ws, &sector, "Shoes").await;
    let i1 = id_of(
        &add_idea(
            &app,
            t,
            &site,
            &sector,
            "Best shoes",
            json!({"description": "A guide to shoes", "content_type": "product", "content_structure": "comparison",
                   "target_keywords": ["running shoes", " trail  shoes "], "cluster_id": cluster,
                   "estimated_word_count": 2500, "status": "approved"}),
        )
        .await,
    );
    let i2 = id_of(&add_idea(&app, t, &site, &sector, "Plain idea", json!({})).await);
    let i3 = id_of(&add_idea(&app, t, &site, &sector, "Third", json!({})).await);
    let i4 = id_of(&add_idea(&app, t, &site, &sector, "Fourth", json!({})).await);

    let reply = app.post(QUEUE, t, json!({"ids": [i1, i2]})).await.expect(201);
    let tasks = reply.data()["tasks"].as_array().unwrap().clone();
    assert_eq!(tasks.len(), 2, "{}", reply.body);
    assert_eq!(reply.data()["already_queued"], json!([]));
    let task_of = |idea: &str| {
        tasks.iter().find(|t| t["idea_id"] == json!(idea)).unwrap_or_else(|| panic!("no task for {idea}")).clone()
    };
    let t1 = task_of(&i1);
    assert!(t1["id"].as_str().is_some_and(|id| id.starts_with("task_")), "{t1}");
    assert_eq!(
        (
            t1["title"].clone(),
            t1["description"].clone(),
            t1["keywords"].clone(),
            t1["cluster_id"].clone(),
            t1["content_type"].clone(),
            t1["content_structure"].clone(),
            t1["word_count"].clone(),
            t1["status"].clone(),
        ),
        (
            json!("Best shoes"),
            json!("A guide to shoes"),
            json!(["running shoes", "trail shoes"]),
            json!(cluster),
            json!("product"),
            json!("comparison"),
            json!(2500),
            json!("queued")
        )
    );
    assert_eq!((t1["site_id"].as_str(), t1["sector_id"].as_str()), (Some(site.as_str()), Some(sector.as_str())));
    let t2 = task_of(&i2);
    assert_eq!(
        (
            t2["title"].clone(),
            t2["description"].clone(),
            t2["keywords"].clone(),
            t2["content_type"].clone(),
            t2["content_structure"].clone(),
            t2["word_count"].clone(),
            t2["status"].clone()
        ),
        (json!("Plain idea"), json!(""), json!([]), json!("post"), json!("article"), json!(1500), json!("queued"))
    );
    assert!(t2["cluster_id"].is_null());
    assert_eq!(app.count_kind("task").await, 2);

    // The ideas are in progress with their task.
    for (idea, task) in [(&i1, &t1), (&i2, &t2)] {
        let read = app.get(&path(idea), t).await.expect(200);
        assert_eq!(
            (read.data()["status"].clone(), read.data()["task_id"].clone()),
            (json!("in_progress"), task["id"].clone())
        );
    }

    // Again: no second task, the existing one is named.
    let again = app.post(QUEUE, t, json!({"ids": [i1]})).await.expect(200);
    assert_eq!(again.data()["tasks"], json!([]));
    assert_eq!(again.data()["already_queued"], json!([{"idea_id": i1, "task_id": t1["id"]}]));
    assert_eq!(app.count_kind("task").await, 2);

    // Mixed, with a repeated id: one new task.
    let mixed = app.post(QUEUE, t, json!({"ids": [i1, i3, i2, i3]})).await.expect(201);
    let new_tasks = mixed.data()["tasks"].as_array().unwrap();
    assert_eq!(new_tasks.len(), 1, "{}", mixed.body);
    assert_eq!(new_tasks[0]["idea_id"], json!(i3));
    let mut queued: Vec<String> = mixed.data()["already_queued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["idea_id"].as_str().unwrap().to_owned())
        .collect();
    queued.sort();
    let mut expected = vec![i1.clone(), i2.clone()];
    expected.sort();
    assert_eq!(queued, expected);
    assert_eq!(app.count_kind("task").await, 3);

    // A missing id fails the whole request: nothing is queued.
    let reply = app.post(QUEUE, t, json!({"ids": [i4, "idea_missing"]})).await.expect(404);
    assert_eq!(reply.code(), "NOT_FOUND");
    let fourth = app.get(&path(&i4), t).await.expect(200);
    assert_eq!(fourth.data()["status"], "draft");
    assert!(fourth.data()["task_id"].is_null());
    assert_eq!(app.count_kind("task").await, 3);
    assert_field_error(&app.post(QUEUE, t, json!({"ids": []})).await, "ids");
    assert_field_error(&app.post(QUEUE, t, json!({})).await, "ids");

    // Statuses of queued and unqueued ideas.
    assert_field_error(&app.patch(&path(&i1), t, json!({"status": "draft"})).await, "status");
    assert_field_error(&app.patch(&path(&i1), t, json!({"status": "approved"})).await, "status");
    assert_field_error(&app.patch(&path(&i4), t, json!({"status": "in_progress"})).await, "status");
    assert_field_error(&app.patch(&path(&i4), t, json!({"status": "completed"})).await, "status");
    let done = app.patch(&path(&i1), t, json!({"status": "completed"})).await.expect(200);
    assert_eq!((done.data()["status"].clone(), done.data()["task_id"].clone()), (json!("completed"), t1["id"].clone()));
    // A completed idea is still not queued twice.
    let reply = app.post(QUEUE, t, json!({"ids": [i1]})).await.expect(200);
    assert_eq!(reply.data()["already_queued"][0]["task_id"], t1["id"]);
    assert_eq!(app.count_kind("task").await, 3);

    let list = |q: &str| format!("{IDEAS}?site_id={site}&ordering=title&{q}");
    assert_eq!(titles(&app.get(&list("status=in_progress"), t).await.expect(200)), ["Plain idea", "Third"]);
    assert_eq!(titles(&app.get(&list("status=completed"), t).await.expect(200)), ["Best shoes"]);
    assert_eq!(titles(&app.get(&list("status=draft"), t).await.expect(200)), ["Fourth"]);

    // Queued by the fourth idea's turn, once.
    let reply = app.post(QUEUE, t, json!({"ids": [i4]})).await.expect(201);
    assert_eq!(reply.data()["tasks"][0]["title"], "Fourth");
    assert_eq!(app.count_kind("task").await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_queueing_makes_one_task_per_idea() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "idearace").await;
    let t = &ws.owner.access;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(id_of(&add_idea(&app, t, &ws.site, &ws.sector, &format!("Race {i}"), json!({})).await));
    }
    let orders = [
        vec![ids[0].clone(), ids[1].clone(), ids[2].clone()],
        vec![ids[2].clone(), ids[1].clone(), ids[0].clone()],
        vec![ids[1].clone(), ids[0].clone(), ids[2].clone()],
        vec![ids[0].clone()],
        vec![ids[2].clone(), ids[0].clone()],
        vec![ids[1].clone(), ids[2].clone(), ids[0].clone()],
    ];
    let replies = futures::future::join_all(orders.iter().map(|o| app.post(QUEUE, t, json!({"ids": o})))).await;
    for reply in &replies {
        assert!(reply.status == 200 || reply.status == 201, "{}: {}", reply.status, reply.body);
    }
    let made: Vec<&Value> = replies.iter().flat_map(|r| r.data()["tasks"].as_array().unwrap().iter()).collect();
    assert_eq!(made.len(), 3, "one task per idea: {made:?}");
    assert_eq!(app.count_kind("task").await, 3);
    for id in &ids {
        let idea = app.get(&path(id), t).await.expect(200);
        let task_id = idea.data()["task_id"].clone();
        assert_eq!(idea.data()["status"], "in_progress");
        let own: Vec<&&Value> = made.iter().filter(|task| task["idea_id"] == json!(id)).collect();
        assert_eq!(own.len(), 1, "{id}");
        assert_eq!(own[0]["id"], task_id, "the idea points to the task that was made for it");
        // Every reply that found it queued names that same task.
        for reply in &replies {
            for q in reply.data()["already_queued"].as_array().unwrap() {
                if q["idea_id"] == json!(id) {
                    assert_eq!(q["task_id"], task_id, "{}", reply.body);
                }
            }
        }
    }
}

#[tokio::test]
async fn another_account_gets_404_for_ideas() {
    let app = TestApp::spawn().await;
    let a = workspace(&app, "ideaalpha").await;
    let a_cluster = add_cluster(&app, &a, &a.sector, "Alpha cluster").await;
    let a_idea =
        add_idea(&app, &a.owner.access, &a.site, &a.sector, "Alpha idea", json!({"cluster_id": a_cluster})).await;
    let a_id = id_of(&a_idea);

    let b = workspace(&app, "ideabeta").await;
    let t = &b.owner.access;
    let b_id = id_of(&add_idea(&app, t, &b.site, &b.sector, "Beta idea", json!({})).await);

    let ipath = path(&a_id);
    let attempts = [
        app.get(&ipath, t).await,
        app.patch(&ipath, t, json!({"title": "Mine"})).await,
        app.put(&ipath, t, json!({"status": "approved"})).await,
        app.delete(&ipath, t).await,
        app.get(&format!("{IDEAS}?site_id={}", a.site), t).await,
        app.post(IDEAS, t, json!({"site_id": a.site, "sector_id": a.sector, "title": "Sneaky"})).await,
        app.post(IDEAS, t, json!({"site_id": b.site, "sector_id": a.sector, "title": "Sneaky"})).await,
        app.post(
            IDEAS,
            t,
            json!({"site_id": b.site, "sector_id": b.sector, "title": "Sneaky", "cluster_id": a_cluster}),
        )
        .await,
        app.patch(&path(&b_id), t, json!({"cluster_id": a_cluster})).await,
        app.post(QUEUE, t, json!({"ids": [a_id]})).await,
        app.post(QUEUE, t, json!({"ids": [b_id, a_id]})).await,
    ];
    for (index, reply) in attempts.iter().enumerate() {
        assert_eq!(reply.status, 404, "attempt {index}: {}", reply.body);
        assert_eq!(reply.code(), "NOT_FOUND", "attempt {index}");
    }
    // B filtering by A's cluster finds nothing of its own.
    let none = app.get(&format!("{IDEAS}?site_id={}&cluster_id={a_cluster}", b.site), t).await.expect(200);
    assert_eq!(none.body["count"], 0);

    // Nothing changed, nothing queued.
    assert_eq!(app.count_kind("task").await, 0);
    let still = app.get(&ipath, &a.owner.access).await.expect(200);
    assert_eq!(still.data(), &a_idea);
    let mine = app.get(&path(&b_id), t).await.expect(200);
    assert_eq!(mine.data()["status"], "draft");
    assert!(mine.data()["task_id"].is_null() && mine.data()["cluster_id"].is_null());
    assert_eq!(app.count_kind("idea").await, 2);
}

#[tokio::test]
async fn viewers_read_ideas_and_editors_need_a_grant() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "idearoles").await;
    let owner = &ws.owner;
    let viewer = app.add_member(owner, "viewer", "viewer").await;
    let outsider = app.add_member(owner, "outsider", "editor").await;
    app.grant(owner, &ws.site, &viewer.user_id).await;
    let idea = add_idea(&app, &owner.access, &ws.site, &ws.sector, "Guarded", json!({})).await;
    let id = id_of(&idea);
    let ipath = path(&id);
    let list = format!("{IDEAS}?site_id={}", ws.site);
    // A keyword, so the site has planner data of every kind.
    add_keyword(&app, &owner.access, &ws.site, &ws.sector, "kw", json!({})).await;

    let v = &viewer.access;
    assert_eq!(titles(&app.get(&list, v).await.expect(200)), ["Guarded"]);
    app.get(&ipath, v).await.expect(200);
    let denied = [
        app.post(IDEAS, v, json!({"site_id": ws.site, "sector_id": ws.sector, "title": "Viewer's"})).await,
        app.patch(&ipath, v, json!({"title": "X"})).await,
        app.put(&ipath, v, json!({"title": "X"})).await,
        app.delete(&ipath, v).await,
        app.post(QUEUE, v, json!({"ids": [id]})).await,
    ];
    for (index, reply) in denied.iter().enumerate() {
        assert_eq!(reply.status, 403, "attempt {index}: {}", reply.body);
        assert_eq!(reply.code(), "FORBIDDEN", "attempt {index}");
    }
    assert_eq!(app.get(&ipath, &owner.access).await.expect(200).data(), &idea);
    assert_eq!(app.count_kind("task").await, 0);

    let o = &outsider.access;
    for reply in [
        app.get(&list, o).await,
        app.get(&ipath, o).await,
        app.patch(&ipath, o, json!({"title": "X"})).await,
        app.delete(&ipath, o).await,
        app.post(QUEUE, o, json!({"ids": [id]})).await,
        app.post(IDEAS, o, json!({"site_id": ws.site, "sector_id": ws.sector, "title": "Outsider's"})).await,
    ] {
        assert_eq!(reply.status, 404, "{}", reply.body);
    }
    assert_eq!(app.count_kind("task").await, 0);
    app.grant(owner, &ws.site, &outsider.user_id).await;
    let reply = app.post(QUEUE, o, json!({"ids": [id]})).await.expect(201);
    assert_eq!(reply.data()["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(app.count_kind("task").await, 1);
}

#[tokio::test]
async fn deleting_its_task_lets_an_idea_be_queued_again() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "requeue").await;
    let t = &ws.owner.access;
    let idea = app
        .post("/api/v1/planner/ideas/", t, json!({"site_id": ws.site, "sector_id": ws.sector, "title": "Requeue me"}))
        .await
        .expect(201);
    let idea_id = idea.data()["id"].as_str().unwrap().to_owned();
    let queued = app.post("/api/v1/planner/ideas/queue_to_writer/", t, json!({"ids": [idea_id]})).await.expect(201);
    let task_id = queued.data()["tasks"][0]["id"].as_str().unwrap().to_owned();

    // While queued, the idea cannot be set back to draft.
    app.patch(&format!("/api/v1/planner/ideas/{idea_id}/"), t, json!({"status": "draft"})).await.expect(400);

    app.delete(&format!("/api/v1/writer/tasks/{task_id}/"), t).await.expect(200);
    let idea = app.get(&format!("/api/v1/planner/ideas/{idea_id}/"), t).await.expect(200);
    assert_eq!(idea.data()["status"], "approved");
    assert!(idea.data().get("task_id").is_none_or(Value::is_null), "{}", idea.body);

    let again = app.post("/api/v1/planner/ideas/queue_to_writer/", t, json!({"ids": [idea_id]})).await.expect(201);
    assert_ne!(again.data()["tasks"][0]["id"].as_str().unwrap(), task_id);
    assert_eq!(app.count_kind("task").await, 1);
}
