//! The whole pipeline with the offline provider: keywords CSV → clusters → ideas →
//! tasks → articles → image prompts → images in the bucket, each step a job that ends
//! DONE, with credits charged for what was saved.

use igny8_e2e::TestApp;
use serde_json::{Value, json};

use igny8_e2e::common::workspace;

const KEYWORDS_CSV: &str = "keyword,volume,difficulty,intent
running shoes,9000,40,commercial
best running shoes,5000,45,commercial
running shoes for women,3000,30,commercial
trail running shoes,2000,35,commercial
sourdough bread recipe,8000,20,informational
easy sourdough bread,1500,15,informational
sourdough starter recipe,1200,18,informational
how to make sourdough bread,900,22,informational
";

/// Submits a job (202 expected), delivers the queue to the worker and returns the
/// finished job as `GET /system/jobs/{id}/` shows it.
pub(crate) async fn run_job(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let accepted = app.post(path, token, body).await.expect(202);
    let job_id = accepted.data()["id"].as_str().expect("job id").to_owned();
    assert_eq!(accepted.data()["state"], "queued", "{}", accepted.body);
    assert_eq!(accepted.data()["phase"], "INIT");
    assert!(app.run_jobs().await >= 1, "the job was queued");
    app.get(&format!("/api/v1/system/jobs/{job_id}/"), token).await.expect(200).data().clone()
}

pub(crate) fn ids(list: &Value) -> Vec<String> {
    list["results"].as_array().expect("results").iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect()
}

async fn balance(app: &TestApp, token: &str) -> i64 {
    app.get("/api/v1/billing/balance/", token).await.expect(200).data()["credits"].as_i64().unwrap()
}

#[tokio::test]
async fn keywords_become_illustrated_articles_paid_in_credits() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "pipeline").await;
    let t = &ws.owner.access;
    let scope = format!("site_id={}&sector_id={}", ws.site, ws.sector);
    let start = balance(&app, t).await;

    app.post_csv(&format!("/api/v1/planner/keywords/import_csv/?{scope}"), t, KEYWORDS_CSV).await.expect(201);
    let keywords = app.get(&format!("/api/v1/planner/keywords/?{scope}&page_size=200"), t).await.expect(200);
    let keyword_ids = ids(&keywords.body);
    assert_eq!(keyword_ids.len(), 8);

    // Clusters: two topics, every keyword assigned, derived numbers true.
    let job = run_job(&app, t, "/api/v1/planner/keywords/auto_cluster/", json!({"ids": keyword_ids})).await;
    assert_eq!((job["state"].as_str(), job["phase"].as_str()), (Some("done"), Some("DONE")), "{job}");
    assert_eq!((job["credits"].as_i64(), job["progress"]["done"].as_i64()), (Some(10), Some(8)), "{job}");
    assert_eq!((job["provider"].as_str(), job["model"].as_str()), (Some("offline"), Some("offline-deterministic")));
    let clusters = app.get(&format!("/api/v1/planner/clusters/?{scope}"), t).await.expect(200);
    let cluster_list = clusters.body["results"].as_array().unwrap().clone();
    assert_eq!(cluster_list.len(), 2, "{}", clusters.body);
    for cluster in &cluster_list {
        assert_eq!(cluster["keywords_count"], 4, "{cluster}");
        let expected_volume = if cluster["name"].as_str().unwrap().contains("Running") { 19000 } else { 11600 };
        assert_eq!(cluster["volume"], expected_volume, "{cluster}");
    }
    let keywords = app.get(&format!("/api/v1/planner/keywords/?{scope}&page_size=200"), t).await.expect(200);
    assert!(keywords.body["results"].as_array().unwrap().iter().all(|k| k["cluster_id"].is_string()));

    // Ideas: three per cluster by default.
    let cluster_ids = ids(&clusters.body);
    let job = run_job(&app, t, "/api/v1/planner/clusters/generate_ideas/", json!({"ids": cluster_ids})).await;
    assert_eq!((job["state"].as_str(), job["credits"].as_i64()), (Some("done"), Some(4)), "{job}");
    let ideas = app.get(&format!("/api/v1/planner/ideas/?{scope}"), t).await.expect(200);
    assert_eq!(ideas.body["count"], 6, "{}", ideas.body);
    let idea_ids: Vec<String> = ids(&ideas.body).into_iter().take(2).collect();

    // Tasks, then articles.
    let queued = app.post("/api/v1/planner/ideas/queue_to_writer/", t, json!({"ids": idea_ids})).await.expect(201);
    let task_ids: Vec<String> =
        queued.data()["tasks"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect();
    let job = run_job(&app, t, "/api/v1/writer/tasks/generate_content/", json!({"ids": task_ids})).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["progress"]["done"], 2);
    let content = app.get(&format!("/api/v1/writer/content/?{scope}"), t).await.expect(200);
    let articles = content.body["results"].as_array().unwrap().clone();
    assert_eq!(articles.len(), 2);
    let mut content_credits = 0;
    for article in &articles {
        let words = article["word_count"].as_u64().unwrap();
        assert!(words >= 800, "{article}");
        content_credits += words.div_ceil(500) as i64;
        assert!(!article["meta_title"].as_str().unwrap().is_empty() && !article["slug"].as_str().unwrap().is_empty());
        let full =
            app.get(&format!("/api/v1/writer/content/{}/", article["id"].as_str().unwrap()), t).await.expect(200);
        let html = full.data()["html"].as_str().unwrap().to_owned();
        assert!(html.contains("<h2>") && !html.contains("<script"), "{html}");
    }
    assert_eq!(job["credits"].as_i64(), Some(content_credits), "{job}");
    for task in &task_ids {
        let task = app.get(&format!("/api/v1/writer/tasks/{task}/"), t).await.expect(200);
        assert_eq!(task.data()["status"], "completed", "{}", task.body);
        assert!(task.data()["content_id"].is_string());
    }

    // Image prompts: a featured and two in-article images per article.
    let content_ids = ids(&content.body);
    let job = run_job(&app, t, "/api/v1/writer/content/generate_image_prompts/", json!({"ids": content_ids})).await;
    assert_eq!((job["state"].as_str(), job["credits"].as_i64()), (Some("done"), Some(4)), "{job}");
    let images = app.get(&format!("/api/v1/writer/images/?{scope}"), t).await.expect(200);
    assert_eq!(images.body["count"], 6, "{}", images.body);
    assert!(images.body["results"].as_array().unwrap().iter().all(|i| i["status"] == "pending" && i["prompt"] != ""));

    // Images: PNG bytes in the bucket, served by signed URL.
    let image_ids = ids(&images.body);
    let job = run_job(&app, t, "/api/v1/writer/images/generate_images/", json!({"ids": image_ids})).await;
    assert_eq!((job["state"].as_str(), job["credits"].as_i64()), (Some("done"), Some(6)), "{job}");
    let image = app.get(&format!("/api/v1/writer/images/{}/", image_ids[0]), t).await.expect(200);
    assert_eq!(image.data()["status"], "generated", "{}", image.body);
    let url = image.data()["image_url"].as_str().expect("signed url");
    let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");

    // Every charge is in the ledger and the balance.
    let spent = 10 + 4 + content_credits + 4 + 6;
    assert_eq!(balance(&app, t).await, start - spent);
    let usage = app.get("/api/v1/billing/usage/?page_size=200", t).await.expect(200);
    let charged: i64 = usage.body["results"].as_array().unwrap().iter().map(|u| u["credits"].as_i64().unwrap()).sum();
    assert_eq!(charged, spent, "{}", usage.body);
    assert!(usage.body["results"].as_array().unwrap().iter().all(|u| u["provider"] == "offline"));
    // One record per operation performed: a clustering run is one, however many units saved it.
    let runs = usage.body["results"].as_array().unwrap().iter().filter(|u| u["operation"] == "auto_cluster").count();
    assert_eq!(runs, 1, "{}", usage.body);
}

/// Over a hundred keywords (their ids are kept beside the job, not in it), spread over
/// two sectors: clusters never mix sectors, every keyword lands in one, counts are true.
#[tokio::test]
async fn clustering_many_keywords_keeps_sectors_apart() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "manykw").await;
    let t = &ws.owner.access;
    let second = app.create_sector(t, &ws.site, "Second sector").await;
    let topics = ["garden hose", "pizza oven", "yoga mat", "desk lamp", "rain jacket"];
    let modifiers = ["best", "cheap", "buy", "review of", "how to clean a", "small", "large", "portable"];
    let mut all_ids = Vec::new();
    for (sector, topics) in [(ws.sector.as_str(), &topics[..3]), (second.as_str(), &topics[3..])] {
        let keywords: Vec<Value> = topics
            .iter()
            .flat_map(|topic| modifiers.iter().flat_map(move |m| (0..4).map(move |n| (topic, m, n))))
            .map(|(topic, m, n)| json!({"keyword": format!("{m} {topic} {}", ["", "2026", "online", "uk"][n]), "volume": 100 + n}))
            .collect();
        let body = json!({"site_id": ws.site, "sector_id": sector, "keywords": keywords});
        app.post("/api/v1/planner/keywords/bulk_create/", t, body).await.expect(201);
        let list = app
            .get(&format!("/api/v1/planner/keywords/?site_id={}&sector_id={sector}&page_size=200", ws.site), t)
            .await;
        all_ids.extend(ids(&list.body));
    }
    assert_eq!(all_ids.len(), 160);

    let job =
        run_job(&app, t, "/api/v1/planner/keywords/auto_cluster/", json!({"ids": all_ids, "method": "builtin"})).await;
    assert_eq!((job["state"].as_str(), job["credits"].as_i64()), (Some("done"), Some(10)), "{job}");
    assert_eq!((job["progress"]["total"].as_u64(), job["progress"]["done"].as_u64()), (Some(160), Some(160)));

    let clusters =
        app.get(&format!("/api/v1/planner/clusters/?site_id={}&page_size=200", ws.site), t).await.expect(200);
    let clusters = clusters.body["results"].as_array().unwrap().clone();
    let keywords =
        app.get(&format!("/api/v1/planner/keywords/?site_id={}&page_size=200", ws.site), t).await.expect(200);
    let keywords = keywords.body["results"].as_array().unwrap().clone();
    assert_eq!(clusters.iter().map(|c| c["keywords_count"].as_i64().unwrap()).sum::<i64>(), 160);
    for cluster in &clusters {
        let members: Vec<&Value> = keywords.iter().filter(|k| k["cluster_id"] == cluster["id"]).collect();
        assert_eq!(members.len() as i64, cluster["keywords_count"].as_i64().unwrap(), "{cluster}");
        assert!(members.iter().all(|k| k["sector_id"] == cluster["sector_id"]), "{cluster}");
        let volume: i64 = members.iter().map(|k| k["volume"].as_i64().unwrap()).sum();
        assert_eq!(volume, cluster["volume"].as_i64().unwrap());
        // One topic per cluster: every member names the same product.
        let topic = topics.iter().find(|t| members[0]["keyword"].as_str().unwrap().contains(*t)).unwrap();
        assert!(members.iter().all(|k| k["keyword"].as_str().unwrap().contains(topic)), "{cluster}: {members:?}");
    }
    assert!((5..=10).contains(&clusters.len()), "{} clusters", clusters.len());
}
