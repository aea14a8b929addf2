//! Today's OpenAI models and OpenAI-compatible servers, through the real client and a
//! fake server that enforces each one's parameter rules: the whole pipeline on a GPT-5
//! model and on a classic one, a compatible server adapted to and remembered, honest
//! costs, cut-off answers, the model list.

use igny8_e2e::TestApp;
use igny8_e2e::fake_openai::{FakeOpenAi, Reply, Rules};
use serde_json::{Value, json};

use crate::ai_pipeline::{ids, run_job};
use igny8_e2e::common::{Workspace, assert_field_error, workspace};

const KEYWORDS_CSV: &str = "keyword,volume,difficulty,intent
running shoes,9000,40,commercial
trail running shoes,4000,35,commercial
espresso machine,7000,50,commercial
best espresso machine,3000,45,commercial
";

fn article_html() -> String {
    let paragraph = "Good running shoes fit well, grip the ground and last for many miles of training. ".repeat(6);
    format!("<p>{paragraph}</p><h2>Fit</h2><p>{paragraph}</p><h2>Grip</h2><p>{paragraph}</p>")
}

/// A valid answer for whichever structured answer the request asks for (by schema name).
fn answer_for(body: &Value) -> String {
    let schema = body.pointer("/response_format/json_schema/name").and_then(Value::as_str).unwrap_or("");
    let answer = match schema {
        "keyword_clusters" => json!({"clusters": [
            {"name": "Running Shoes", "description": "Shoes for runners", "keywords": ["running shoes", "trail running shoes"]},
            {"name": "Espresso Machines", "description": "Coffee at home", "keywords": ["espresso machine", "best espresso machine"]},
        ]}),
        "content_ideas" => json!({"ideas": [
            {"title": "How to Choose Running Shoes", "description": "A guide", "content_type": null, "content_structure": null, "target_keywords": ["running shoes"], "estimated_word_count": 1200},
            {"title": "Trail or Road?", "description": "Compared", "content_type": null, "content_structure": null, "target_keywords": ["trail running shoes"], "estimated_word_count": null},
        ]}),
        "article" => json!({
            "title": "How to Choose Running Shoes", "meta_title": "Choosing Running Shoes", "meta_description": "Fit, grip and price.",
            "slug": "choose-running-shoes", "primary_keyword": "running shoes", "secondary_keywords": ["trail running shoes"],
            "html": article_html(),
        }),
        "image_prompts" => json!({
            "featured": {"prompt": "A pair of running shoes on a trail", "alt_text": "Running shoes", "caption": "On the trail"},
            "in_article": [
                {"prompt": "Shoe fit close-up", "alt_text": "Fit", "caption": ""},
                {"prompt": "Outsole grip", "alt_text": "Grip", "caption": ""},
            ],
        }),
        other => panic!("unexpected answer schema {other:?} in {body}"),
    };
    answer.to_string()
}

async fn use_model(app: &TestApp, ws: &Workspace, fake: &FakeOpenAi, model: &str) {
    app.use_openai(&ws.owner.account_id, &fake.base_url).await;
    let reply =
        app.patch("/api/v1/system/settings/", &ws.owner.access, json!({"model": model, "temperature": 0.3})).await;
    reply.expect(200);
}

/// Keywords → clusters → ideas → an article → image prompts, every job done.
async fn run_pipeline(app: &TestApp, ws: &Workspace) -> Vec<Value> {
    let t = &ws.owner.access;
    let scope = format!("site_id={}&sector_id={}", ws.site, ws.sector);
    app.post_csv(&format!("/api/v1/planner/keywords/import_csv/?{scope}"), t, KEYWORDS_CSV).await.expect(201);
    let keywords = app.get(&format!("/api/v1/planner/keywords/?{scope}"), t).await.expect(200);
    let mut jobs = Vec::new();
    jobs.push(run_job(app, t, "/api/v1/planner/keywords/auto_cluster/", json!({"ids": ids(&keywords.body)})).await);
    let clusters = app.get(&format!("/api/v1/planner/clusters/?{scope}"), t).await.expect(200);
    assert_eq!(clusters.body["count"], 2, "{}", clusters.body);
    jobs.push(run_job(app, t, "/api/v1/planner/clusters/generate_ideas/", json!({"ids": ids(&clusters.body)})).await);
    let ideas = app.get(&format!("/api/v1/planner/ideas/?{scope}"), t).await.expect(200);
    let first_idea: Vec<String> = ids(&ideas.body).into_iter().take(1).collect();
    let queued = app.post("/api/v1/planner/ideas/queue_to_writer/", t, json!({"ids": first_idea})).await.expect(201);
    let task = queued.data()["tasks"][0]["id"].as_str().unwrap().to_owned();
    jobs.push(run_job(app, t, "/api/v1/writer/tasks/generate_content/", json!({"ids": [task]})).await);
    let content = app.get(&format!("/api/v1/writer/content/?{scope}"), t).await.expect(200);
    jobs.push(
        run_job(app, t, "/api/v1/writer/content/generate_image_prompts/", json!({"ids": ids(&content.body)})).await,
    );
    for job in &jobs {
        assert_eq!(job["state"], "done", "{job}");
    }
    jobs
}

#[tokio::test]
async fn the_pipeline_runs_on_a_gpt5_model_and_on_a_classic_one() {
    for model in ["gpt-5-mini", "gpt-4o-mini"] {
        let app = TestApp::spawn().await;
        let ws = workspace(&app, "models").await;
        let fake = FakeOpenAi::start(|body, _| Reply::Content(answer_for(body))).await;
        use_model(&app, &ws, &fake, model).await;
        let jobs = run_pipeline(&app, &ws).await;
        for job in &jobs {
            assert_eq!((job["provider"].as_str(), job["model"].as_str()), (Some("openai"), Some(model)), "{job}");
            assert!(job["cost_usd"].as_f64().is_some_and(|c| c > 0.0), "{model} is priced: {job}");
        }
        let bodies = fake.bodies();
        // One clustering call, one per cluster for ideas, one article, one set of prompts.
        assert_eq!(bodies.len(), 5, "{model}: right the first time, no refusals: {bodies:?}");
        for body in &bodies {
            assert_eq!(body["max_completion_tokens"], 4000, "{body}");
            assert!(body.get("max_tokens").is_none(), "{body}");
            assert_eq!(body["response_format"]["type"], "json_schema", "{body}");
            assert_eq!(body["response_format"]["json_schema"]["strict"], true);
            match model {
                "gpt-5-mini" => assert!(body.get("temperature").is_none(), "GPT-5 takes only the default: {body}"),
                _ => assert!((body["temperature"].as_f64().unwrap() - 0.3).abs() < 1e-6, "{body}"),
            }
        }
    }
}

#[tokio::test]
async fn a_compatible_server_is_adapted_to_once_and_remembered() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "compat").await;
    let t = &ws.owner.access;
    let fake = FakeOpenAi::start_with(Rules::Compatible, |body, _| {
        // No schema name reaches the server once it fell back to json_object.
        assert_eq!(body["response_format"]["type"], "json_object", "{body}");
        Reply::Content(answer_for(&json!({"response_format": {"json_schema": {"name": "content_ideas"}}})))
    })
    .await;
    use_model(&app, &ws, &fake, "llama3").await;
    let cluster = app
        .post("/api/v1/planner/clusters/", t, json!({"site_id": ws.site, "sector_id": ws.sector, "name": "Shoes"}))
        .await
        .expect(201);
    let cluster = cluster.data()["id"].as_str().unwrap().to_owned();
    let job = run_job(&app, t, "/api/v1/planner/clusters/generate_ideas/", json!({"ids": [cluster]})).await;
    assert_eq!(job["state"], "done", "{job}");
    // Refused max_completion_tokens, then json_schema; each changed once, then it worked.
    let bodies = fake.bodies();
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert!(bodies[0].get("max_completion_tokens").is_some());
    assert!(bodies[1].get("max_tokens").is_some() && bodies[1]["response_format"]["type"] == "json_schema");
    assert!(bodies[2].get("max_tokens").is_some() && bodies[2]["response_format"]["type"] == "json_object");
    // No price for llama3: the cost is unknown, and says why — never 0.
    assert!(job["cost_usd"].is_null(), "{job}");
    assert!(job["cost_note"].as_str().unwrap().contains("llama3"), "{job}");
    let usage = app.get("/api/v1/billing/usage/", t).await.expect(200);
    let record = &usage.body["results"][0];
    assert!(record["cost_usd"].is_null() && record["cost_note"].is_string(), "{record}");
    assert_eq!(record["tokens_in"], 1000, "the tokens are still recorded");

    // What worked is remembered for the account's endpoint: the next job is right at once.
    let stored = app.store.integration(&ws.owner.account_id, "openai").await.unwrap().unwrap();
    let quirks = stored.quirks.get("llama3").expect("remembered");
    assert_eq!(quirks.token_param, igny8_store::TokenParam::MaxTokens);
    assert_eq!(quirks.answer_format, igny8_store::AnswerFormat::JsonObject);
    let cluster = app
        .post("/api/v1/planner/clusters/", t, json!({"site_id": ws.site, "sector_id": ws.sector, "name": "Boots"}))
        .await
        .expect(201);
    let cluster = cluster.data()["id"].as_str().unwrap().to_owned();
    let job = run_job(&app, t, "/api/v1/planner/clusters/generate_ideas/", json!({"ids": [cluster]})).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(fake.bodies().len(), 4, "one call, no refusals");
}

#[tokio::test]
async fn a_refusal_that_names_nothing_we_can_change_is_not_retried() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "norefit").await;
    let t = &ws.owner.access;
    let fake = FakeOpenAi::start(|_, _| {
        Reply::Status(
            400,
            json!({"error": {"message": "Invalid 'messages': too long", "type": "invalid_request_error"}}),
        )
    })
    .await;
    use_model(&app, &ws, &fake, "gpt-4o-mini").await;
    let cluster = app
        .post("/api/v1/planner/clusters/", t, json!({"site_id": ws.site, "sector_id": ws.sector, "name": "Shoes"}))
        .await
        .expect(201);
    let job =
        run_job(&app, t, "/api/v1/planner/clusters/generate_ideas/", json!({"ids": [cluster.data()["id"]]})).await;
    assert_eq!(job["state"], "failed");
    assert_eq!(fake.calls(), 1, "never a loop");
}

#[tokio::test]
async fn cut_off_answers_and_answers_without_usage_say_so() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "cutoff").await;
    let t = &ws.owner.access;
    let fake = FakeOpenAi::start(|body, _| {
        let prompt = body["messages"][1]["content"].as_str().unwrap_or_default();
        if prompt.contains("Long Topic") {
            Reply::CutOff("{\"ideas\": [{\"title\": \"How to".into())
        } else {
            Reply::ContentWithoutUsage(answer_for(body))
        }
    })
    .await;
    use_model(&app, &ws, &fake, "gpt-5-mini").await;
    async fn add(app: &TestApp, ws: &Workspace, name: &str) -> Value {
        let body = json!({"site_id": ws.site, "sector_id": ws.sector, "name": name});
        app.post("/api/v1/planner/clusters/", &ws.owner.access, body).await.expect(201).data()["id"].clone()
    }
    let long = add(&app, &ws, "Long Topic").await;
    let job = run_job(&app, t, "/api/v1/planner/clusters/generate_ideas/", json!({"ids": [long]})).await;
    assert_eq!(job["state"], "failed");
    let reason = job["reason"].as_str().unwrap();
    assert!(reason.contains("cut off at the token limit") && reason.contains("4000"), "{reason}");
    assert_eq!(job["credits"], 0, "nothing saved, nothing charged");

    let short = add(&app, &ws, "Short Topic").await;
    let job = run_job(&app, t, "/api/v1/planner/clusters/generate_ideas/", json!({"ids": [short]})).await;
    assert_eq!(job["state"], "done", "{job}");
    assert!(job["cost_usd"].is_null(), "{job}");
    assert!(job["cost_note"].as_str().unwrap().contains("no token counts"), "{job}");
}

#[tokio::test]
async fn the_endpoints_models_are_listed_and_others_refused() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "modellist").await;
    let t = &ws.owner.access;
    let fake = FakeOpenAi::start(|body, _| Reply::Content(answer_for(body))).await;
    app.use_openai(&ws.owner.account_id, &fake.base_url).await;
    let models = app.get("/api/v1/system/settings/integrations/openai/models/", t).await.expect(200);
    let listed: Vec<&str> = models.data()["models"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(listed.contains(&"gpt-5-mini") && listed.contains(&"gpt-4o-mini"), "{listed:?}");
    assert_field_error(&app.patch("/api/v1/system/settings/", t, json!({"model": "gpt-9-ultra"})).await, "model");
    app.patch("/api/v1/system/settings/", t, json!({"model": "gpt-5"})).await.expect(200);
    let viewer = app.add_member(&ws.owner, "modelviewer", "viewer").await;
    assert_eq!(app.get("/api/v1/system/settings/integrations/openai/models/", &viewer.access).await.status, 403);

    // Image sizes and qualities are checked per provider and model.
    let dalle = json!({"image_provider": "openai", "image_model": "dall-e-3", "image_size": "512x512"});
    assert_field_error(&app.patch("/api/v1/system/settings/", t, dalle).await, "image_size");
    let dalle = json!({"image_provider": "openai", "image_model": "dall-e-3", "image_size": "1792x1024", "image_quality": "hd"});
    app.patch("/api/v1/system/settings/", t, dalle).await.expect(200);
    let runware = json!({"image_provider": "runware", "image_model": "runware:100@1", "image_size": "1000x1000"});
    assert_field_error(&app.patch("/api/v1/system/settings/", t, runware).await, "image_size");
}
