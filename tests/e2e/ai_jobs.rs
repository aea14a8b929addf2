//! Accepting AI jobs: ids validated (another account's → 404), roles, credits checked
//! before anything is queued (402), every endpoint and alias answering 202 with a job.

use igny8_e2e::TestApp;
use serde_json::{Value, json};

use crate::planner_keywords::add_keyword;
use igny8_e2e::common::{Workspace, workspace};

async fn cluster(app: &TestApp, ws: &Workspace, name: &str) -> String {
    let body = json!({"site_id": ws.site, "sector_id": ws.sector, "name": name});
    let reply = app.post("/api/v1/planner/clusters/", &ws.owner.access, body).await.expect(201);
    reply.data()["id"].as_str().unwrap().to_owned()
}

async fn task(app: &TestApp, ws: &Workspace, title: &str, word_count: u32) -> String {
    let body = json!({"site_id": ws.site, "sector_id": ws.sector, "title": title, "word_count": word_count});
    let reply = app.post("/api/v1/writer/tasks/", &ws.owner.access, body).await.expect(201);
    reply.data()["id"].as_str().unwrap().to_owned()
}

async fn queued_messages(app: &TestApp) -> usize {
    let attributes = app
        .sqs
        .get_queue_attributes()
        .queue_url(&app.queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    attributes
        .attributes
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages).cloned())
        .and_then(|n| n.parse().ok())
        .unwrap()
}

#[tokio::test]
async fn every_ai_endpoint_and_alias_accepts_a_job() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "aliases").await;
    let t = &ws.owner.access;
    let keyword = add_keyword(&app, t, &ws.site, &ws.sector, "espresso machine", json!({})).await;
    let cluster = cluster(&app, &ws, "Coffee").await;
    let task = task(&app, &ws, "Espresso at home", 900).await;
    let content = app
        .post(
            "/api/v1/writer/content/",
            t,
            json!({"site_id": ws.site, "sector_id": ws.sector, "title": "A", "html": "<p>x</p>"}),
        )
        .await
        .expect(201);
    let image = app
        .post(
            "/api/v1/writer/images/",
            t,
            json!({"site_id": ws.site, "sector_id": ws.sector, "image_type": "featured", "prompt": "a cup"}),
        )
        .await
        .expect(201);
    let cases: [(&str, &str, Value, i64); 7] = [
        ("/api/v1/planner/keywords/auto_cluster/", "auto_cluster", json!([keyword["id"]]), 10),
        ("/api/v1/planner/clusters/generate_ideas/", "generate_ideas", json!([cluster]), 2),
        ("/api/v1/planner/clusters/auto_generate_ideas/", "generate_ideas", json!([cluster]), 2),
        ("/api/v1/writer/tasks/generate_content/", "generate_content", json!([task]), 2),
        ("/api/v1/writer/tasks/auto_generate_content/", "generate_content", json!([task]), 2),
        ("/api/v1/writer/content/generate_image_prompts/", "generate_image_prompts", json!([content.data()["id"]]), 2),
        ("/api/v1/writer/images/generate_images/", "generate_images", json!([image.data()["id"]]), 1),
    ];
    for (path, function, ids, estimate) in cases {
        let reply = app.post(path, t, json!({"ids": ids})).await.expect(202);
        let job = reply.data();
        assert_eq!((job["function"].as_str(), job["state"].as_str()), (Some(function), Some("queued")), "{path}");
        assert_eq!((job["estimated_credits"].as_i64(), job["credits"].as_i64()), (Some(estimate), Some(0)), "{path}");
        assert_eq!(job["progress"]["total"], 1, "{path}");
        let read = app.get(&format!("/api/v1/system/jobs/{}/", job["id"].as_str().unwrap()), t).await.expect(200);
        assert_eq!(read.data()["id"], job["id"]);
    }
    assert_eq!(queued_messages(&app).await, 7);
}

#[tokio::test]
async fn short_balances_get_402_and_nothing_is_queued() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "poor").await;
    let t = &ws.owner.access;
    let keyword = add_keyword(&app, t, &ws.site, &ws.sector, "tea kettle", json!({})).await;
    let long = task(&app, &ws, "A long read", 5000).await;
    app.set_balance(&ws.owner.account_id, 9).await;

    let reply =
        app.post("/api/v1/planner/keywords/auto_cluster/", t, json!({"ids": [keyword["id"]]})).await.expect(402);
    assert_eq!(reply.code(), "INSUFFICIENT_CREDITS");
    assert!(reply.body["error"].as_str().unwrap().contains("10"), "{}", reply.body);
    app.post("/api/v1/writer/tasks/generate_content/", t, json!({"ids": [long]})).await.expect(402);
    assert_eq!(queued_messages(&app).await, 0);
    let jobs = app.get("/api/v1/system/jobs/", t).await.expect(200);
    assert_eq!(jobs.body["count"], 0, "{}", jobs.body);

    // Enough for the estimate: accepted.
    app.set_balance(&ws.owner.account_id, 10).await;
    app.post("/api/v1/planner/keywords/auto_cluster/", t, json!({"ids": [keyword["id"]]})).await.expect(202);
}

#[tokio::test]
async fn another_accounts_ids_and_jobs_are_not_found() {
    let app = TestApp::spawn().await;
    let mine = workspace(&app, "mine").await;
    let theirs = workspace(&app, "theirs").await;
    let their_cluster = cluster(&app, &theirs, "Private").await;
    let my_cluster = cluster(&app, &mine, "Mine").await;

    let reply = app
        .post(
            "/api/v1/planner/clusters/generate_ideas/",
            &mine.owner.access,
            json!({"ids": [my_cluster, their_cluster]}),
        )
        .await
        .expect(404);
    assert_eq!(reply.body["errors"]["ids"], json!([format!("{their_cluster} not found.")]));
    assert_eq!(queued_messages(&app).await, 0);

    let accepted = app
        .post("/api/v1/planner/clusters/generate_ideas/", &theirs.owner.access, json!({"ids": [their_cluster]}))
        .await
        .expect(202);
    let their_job = accepted.data()["id"].as_str().unwrap().to_owned();
    app.get(&format!("/api/v1/system/jobs/{their_job}/"), &mine.owner.access).await.expect(404);
    app.get(&format!("/api/v1/system/settings/task_progress/{their_job}/"), &mine.owner.access).await.expect(404);
    let mine_list = app.get("/api/v1/system/jobs/", &mine.owner.access).await.expect(200);
    assert_eq!(mine_list.body["count"], 0);
    app.get("/api/v1/system/jobs/job_does_not_exist/", &mine.owner.access).await.expect(404);
}

#[tokio::test]
async fn viewers_cannot_run_ai_and_editors_only_on_granted_sites() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "airoles").await;
    let cluster = cluster(&app, &ws, "Topic").await;
    let viewer = app.add_member(&ws.owner, "aiviewer", "viewer").await;
    let editor = app.add_member(&ws.owner, "aieditor", "editor").await;
    app.grant(&ws.owner, &ws.site, &viewer.user_id).await;
    let path = "/api/v1/planner/clusters/generate_ideas/";

    app.post(path, &viewer.access, json!({"ids": [cluster]})).await.expect(403);
    // Not granted the site: its clusters do not exist for the editor.
    app.post(path, &editor.access, json!({"ids": [cluster]})).await.expect(404);
    app.grant(&ws.owner, &ws.site, &editor.user_id).await;
    let accepted = app.post(path, &editor.access, json!({"ids": [cluster]})).await.expect(202);
    // The viewer may follow the job on a site it sees.
    let job_id = accepted.data()["id"].as_str().unwrap();
    app.get(&format!("/api/v1/system/jobs/{job_id}/"), &viewer.access).await.expect(200);
}

#[tokio::test]
async fn bad_job_requests_get_field_errors() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "badjobs").await;
    let t = &ws.owner.access;
    let cluster = cluster(&app, &ws, "Topic").await;
    let other_site = app.create_site(t, "Second site").await;
    let other_sector = app.create_sector(t, &other_site, "Second sector").await;
    let other = cluster_in(&app, t, &other_site, &other_sector).await;
    let ideas = "/api/v1/planner/clusters/generate_ideas/";

    let cases = [
        (ideas, json!({"ids": []}), "ids"),
        (ideas, json!({}), "ids"),
        (ideas, json!({"ids": [cluster], "ideas_per_cluster": 11}), "ideas_per_cluster"),
        (ideas, json!({"ids": [cluster], "surprise": true}), "surprise"),
        (ideas, json!({"ids": [cluster], "author_profile_id": "aut_nope"}), "author_profile_id"),
        (ideas, json!({"ids": [cluster, other]}), "ids"),
        ("/api/v1/planner/keywords/auto_cluster/", json!({"ids": ["x"], "method": "magic"}), "method"),
        (
            "/api/v1/writer/content/generate_image_prompts/",
            json!({"ids": ["x"], "in_article_images": 9}),
            "in_article_images",
        ),
    ];
    for (path, body, field) in cases {
        let reply = app.post(path, t, body.clone()).await;
        assert_eq!(reply.status, 400, "{path} {body}: {}", reply.body);
        assert!(reply.body["errors"][field].is_array(), "{path} {body}: {}", reply.body);
    }
    // Keywords already clustered are not clustered again.
    let keyword = add_keyword(&app, t, &ws.site, &ws.sector, "kettle", json!({"cluster_id": cluster})).await;
    let reply =
        app.post("/api/v1/planner/keywords/auto_cluster/", t, json!({"ids": [keyword["id"]]})).await.expect(400);
    assert!(reply.body["errors"]["ids"].is_array());
    // Images without a prompt cannot be drawn.
    let image = app
        .post(
            "/api/v1/writer/images/",
            t,
            json!({"site_id": ws.site, "sector_id": ws.sector, "image_type": "featured"}),
        )
        .await
        .expect(201);
    app.post("/api/v1/writer/images/generate_images/", t, json!({"ids": [image.data()["id"]]})).await.expect(400);
    assert_eq!(queued_messages(&app).await, 0);
}

async fn cluster_in(app: &TestApp, token: &str, site: &str, sector: &str) -> String {
    let body = json!({"site_id": site, "sector_id": sector, "name": "Elsewhere"});
    let reply = app.post("/api/v1/planner/clusters/", token, body).await.expect(201);
    reply.data()["id"].as_str().unwrap().to_owned()
}
