//! The AI worker's promises: a message delivered twice runs its job once and charges
//! once; a worker that dies mid-job leaves the job resumable, and resuming redoes
//! nothing already saved; a bad model answer fails its item, not the worker; many jobs
//! finishing at once never take the balance below zero.

use igny8_store::Conflict;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use igny8_e2e::TestApp;
use igny8_e2e::fake_openai::{FakeOpenAi, Reply};
use serde_json::{Value, json};

use igny8_e2e::common::{Workspace, workspace};

const IDEAS: &str = "/api/v1/planner/clusters/generate_ideas/";

async fn add_clusters(app: &TestApp, ws: &Workspace, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..count {
        let body = json!({"site_id": ws.site, "sector_id": ws.sector, "name": format!("Topic {n}")});
        let reply = app.post("/api/v1/planner/clusters/", &ws.owner.access, body).await.expect(201);
        ids.push(reply.data()["id"].as_str().unwrap().to_owned());
    }
    ids
}

fn ideas_answer(n: usize) -> String {
    json!({"ideas": [{"title": format!("Idea {n}"), "description": "An angle.", "content_type": "post",
                      "content_structure": "guide", "target_keywords": ["topic"], "estimated_word_count": 1000}]})
    .to_string()
}

async fn job(app: &TestApp, token: &str, id: &str) -> Value {
    app.get(&format!("/api/v1/system/jobs/{id}/"), token).await.expect(200).data().clone()
}

async fn count_ideas(app: &TestApp, ws: &Workspace) -> u64 {
    let path = format!("/api/v1/planner/ideas/?site_id={}&page_size=200", ws.site);
    app.get(&path, &ws.owner.access).await.expect(200).body["count"].as_u64().unwrap()
}

/// Takes the one message off the queue without deleting it: what SQS would redeliver.
async fn take_message(app: &TestApp) -> aws_lambda_events::event::sqs::SqsEvent {
    let received = app.sqs.receive_message().queue_url(&app.queue_url).send().await.unwrap();
    let message = received.messages.unwrap_or_default().pop().expect("a queued message");
    igny8_local::queue::sqs_event(message.message_id.as_deref(), "receipt", message.body.as_deref())
}

/// An invocation near its deadline starts no batch it could not finish: the job is
/// handed back, the message reported failed, and the next invocation does the work.
#[tokio::test]
async fn a_job_that_cannot_finish_before_the_deadline_is_handed_back() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "deadline").await;
    let t = &ws.owner.access;
    let clusters = add_clusters(&app, &ws, 2).await;
    let accepted = app.post(IDEAS, t, json!({"ids": clusters})).await.expect(202);
    let job_id = accepted.data()["id"].as_str().unwrap().to_owned();
    // Received as Lambda's event source would, with its real receipt: the worker makes a
    // failed message visible again at once (the test app's retry delay is zero).
    let received = app.sqs.receive_message().queue_url(&app.queue_url).send().await.unwrap();
    let message = received.messages.unwrap_or_default().pop().expect("a queued message");
    let receipt = message.receipt_handle.clone().unwrap_or_default();
    let event = igny8_local::queue::sqs_event(message.message_id.as_deref(), &receipt, message.body.as_deref());
    let almost_over = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
    let response = app.worker.handle_until(event, Some(almost_over)).await;
    assert_eq!(response.batch_item_failures.len(), 1, "delivered again later");
    let handed_back = job(&app, t, &job_id).await;
    assert_eq!(
        (handed_back["state"].as_str(), handed_back["credits"].as_i64()),
        (Some("queued"), Some(0)),
        "{handed_back}"
    );
    assert_eq!(count_ideas(&app, &ws).await, 0, "nothing was started");
    app.run_jobs().await;
    assert_eq!(job(&app, t, &job_id).await["state"], "done");
    assert_eq!(count_ideas(&app, &ws).await, 6);
}

#[tokio::test]
async fn a_message_delivered_twice_runs_and_charges_once() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "twice").await;
    let t = &ws.owner.access;
    let clusters = add_clusters(&app, &ws, 2).await;
    let accepted = app.post(IDEAS, t, json!({"ids": clusters, "ideas_per_cluster": 2})).await.expect(202);
    let job_id = accepted.data()["id"].as_str().unwrap().to_owned();
    let event = take_message(&app).await;

    // Two deliveries at the same time, then a third after the job finished.
    let (first, second) = tokio::join!(app.worker.handle(event.clone()), app.worker.handle(event.clone()));
    assert!(first.batch_item_failures.is_empty() && second.batch_item_failures.is_empty());
    let third = app.worker.handle(event).await;
    assert!(third.batch_item_failures.is_empty());

    let job = job(&app, t, &job_id).await;
    assert_eq!((job["state"].as_str(), job["credits"].as_i64()), (Some("done"), Some(4)), "{job}");
    assert_eq!(job["attempts"], 1, "only one delivery took the job: {job}");
    assert_eq!(count_ideas(&app, &ws).await, 4);
    let usage = app.get("/api/v1/billing/usage/", t).await.expect(200);
    assert_eq!(usage.body["count"], 2, "one usage record per cluster: {}", usage.body);
    let balance = app.get("/api/v1/billing/balance/", t).await.expect(200);
    assert_eq!(balance.data()["credits"], 200 - 4);
}

#[tokio::test]
async fn a_job_whose_worker_died_resumes_without_redoing_saved_items() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "resume").await;
    let t = &ws.owner.access;
    // Answers the first four calls (one batch), then hangs until released.
    let released = Arc::new(AtomicBool::new(false));
    let gate = released.clone();
    let fake = FakeOpenAi::start(move |_, n| {
        if n > 4 && !gate.load(Ordering::SeqCst) { Reply::Hang } else { Reply::Content(ideas_answer(n)) }
    })
    .await;
    app.use_openai(&ws.owner.account_id, &fake.base_url).await;
    let clusters = add_clusters(&app, &ws, 5).await;
    let accepted = app.post(IDEAS, t, json!({"ids": clusters, "ideas_per_cluster": 1})).await.expect(202);
    let job_id = accepted.data()["id"].as_str().unwrap().to_owned();
    let event = take_message(&app).await;

    // The worker saves the first batch, then hangs on the fifth call and dies.
    let worker = app.worker.clone();
    let dying = tokio::spawn({
        let event = event.clone();
        async move { worker.handle(event).await }
    });
    for _ in 0..200 {
        if fake.calls() >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(fake.calls(), 5);
    dying.abort();
    let _ = dying.await;
    let stuck = job(&app, t, &job_id).await;
    assert_eq!((stuck["state"].as_str(), stuck["progress"]["done"].as_u64()), (Some("running"), Some(4)), "{stuck}");

    // While its lease lasts, a redelivery leaves the job alone.
    app.worker.handle(event.clone()).await;
    assert_eq!(fake.calls(), 5);

    // Once the lease has expired, the redelivered message resumes it.
    let expire = igny8_store::Update::new(igny8_store::keys::job(&ws.owner.account_id, &job_id.as_str().into()))
        .set("lease_until", 0)
        .unwrap();
    app.store.update::<Value>(expire, Conflict::Missing).await.unwrap();
    released.store(true, Ordering::SeqCst);
    let response = app.worker.handle(event).await;
    assert!(response.batch_item_failures.is_empty());

    assert_eq!(fake.calls(), 6, "only the unsaved cluster was asked again");
    let done = job(&app, t, &job_id).await;
    assert_eq!((done["state"].as_str(), done["progress"]["done"].as_u64()), (Some("done"), Some(5)), "{done}");
    assert_eq!((done["credits"].as_i64(), done["attempts"].as_u64()), (Some(10), Some(2)), "{done}");
    assert_eq!(count_ideas(&app, &ws).await, 5);
    let balance = app.get("/api/v1/billing/balance/", t).await.expect(200);
    assert_eq!(balance.data()["credits"], 190);
    // Tokens of every saved call, as the provider reported them.
    assert_eq!((done["tokens"]["input"].as_u64(), done["tokens"]["output"].as_u64()), (Some(5000), Some(2500)));
}

#[tokio::test]
async fn bad_model_answers_fail_their_items_and_cost_nothing() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "badanswer").await;
    let t = &ws.owner.access;
    let fake = FakeOpenAi::start(|body, _| {
        let prompt = body["messages"][1]["content"].as_str().unwrap_or_default().to_owned();
        if prompt.contains("Topic 0") {
            Reply::Content("this is not JSON".into())
        } else if prompt.contains("Topic 1") {
            Reply::Content(json!({"ideas": [{"title": "   "}]}).to_string())
        } else {
            Reply::Content(ideas_answer(1))
        }
    })
    .await;
    app.use_openai(&ws.owner.account_id, &fake.base_url).await;
    let clusters = add_clusters(&app, &ws, 3).await;
    let accepted = app.post(IDEAS, t, json!({"ids": clusters, "ideas_per_cluster": 1})).await.expect(202);
    let job_id = accepted.data()["id"].as_str().unwrap().to_owned();
    app.run_jobs().await;

    let job = job(&app, t, &job_id).await;
    assert_eq!(job["state"], "done", "one item succeeded: {job}");
    assert_eq!((job["progress"]["done"].as_u64(), job["progress"]["failed"].as_u64()), (Some(1), Some(2)));
    assert_eq!(job["credits"], 2);
    let reasons: Vec<String> = job["progress"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["reason"].as_str().map(str::to_owned))
        .collect();
    assert!(reasons.iter().any(|r| r.contains("not the JSON asked for")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("empty idea title")), "{reasons:?}");
    assert_eq!(count_ideas(&app, &ws).await, 1);
}

#[tokio::test]
async fn a_failing_provider_fails_the_job_with_its_reason_and_charges_nothing() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "provider500").await;
    let t = &ws.owner.access;
    let fake = FakeOpenAi::start(|_, _| Reply::Status(500, json!({"error": {"message": "upstream exploded"}}))).await;
    app.use_openai(&ws.owner.account_id, &fake.base_url).await;
    let clusters = add_clusters(&app, &ws, 1).await;
    let accepted = app.post(IDEAS, t, json!({"ids": clusters})).await.expect(202);
    let job_id = accepted.data()["id"].as_str().unwrap().to_owned();
    assert_eq!(app.run_jobs().await, 1);

    let job = job(&app, t, &job_id).await;
    assert_eq!((job["state"].as_str(), job["phase"].as_str()), (Some("failed"), Some("FAILED")), "{job}");
    assert!(job["reason"].as_str().unwrap().contains("upstream exploded"), "{job}");
    assert_eq!(fake.calls(), 3, "the first call and two retries");
    assert_eq!(job["credits"], 0);
    let balance = app.get("/api/v1/billing/balance/", t).await.expect(200);
    assert_eq!(balance.data()["credits"], 200);
}

#[tokio::test]
async fn jobs_finishing_together_never_take_the_balance_below_zero() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "race").await;
    let t = &ws.owner.access;
    let clusters = add_clusters(&app, &ws, 6).await;
    app.set_balance(&ws.owner.account_id, 12).await;
    // Six jobs of 2 credits are accepted against 12 (each holds its 2) …
    for cluster in &clusters {
        app.post(IDEAS, t, json!({"ids": [cluster], "ideas_per_cluster": 1})).await.expect(202);
    }
    // … then the balance drops (an adjustment) and they run at the same time: only
    // three can be paid for, and the charge, not the hold, is what keeps the balance
    // from going below zero.
    app.set_balance(&ws.owner.account_id, 7).await;
    app.run_jobs().await;

    let balance = app.get("/api/v1/billing/balance/", t).await.expect(200);
    assert_eq!(balance.data()["credits"], 1);
    assert_eq!(balance.data()["held"], 0, "every job gave back what it held");
    let jobs = app.get("/api/v1/system/jobs/?page_size=50", t).await.expect(200);
    let jobs = jobs.body["results"].as_array().unwrap().clone();
    let done = jobs.iter().filter(|j| j["state"] == "done").count();
    let short = jobs
        .iter()
        .filter(|j| {
            j["state"] == "failed" && j["reason"].as_str().unwrap_or_default().starts_with("INSUFFICIENT_CREDITS")
        })
        .count();
    assert_eq!((done, short), (3, 3), "{jobs:?}");
    assert_eq!(count_ideas(&app, &ws).await, 3, "failed jobs saved nothing");
    let transactions = app.get("/api/v1/billing/transactions/?page_size=50", t).await.expect(200);
    let usage: Vec<&Value> =
        transactions.body["results"].as_array().unwrap().iter().filter(|x| x["transaction_type"] == "usage").collect();
    assert_eq!(usage.len(), 3);
    let mut after: Vec<i64> = usage.iter().map(|x| x["balance_after"].as_i64().unwrap()).collect();
    after.sort();
    assert_eq!(after, vec![1, 3, 5], "each charge saw the balance the one before left");
}

/// A message that can never succeed is offered again at once (not after the queue's
/// 90-minute visibility timeout) and, after five receives, rests in the dead-letter queue.
#[tokio::test]
async fn poison_messages_end_in_the_dead_letter_queue() {
    let app = TestApp::spawn().await;
    app.sqs.send_message().queue_url(&app.queue_url).message_body("not a job").send().await.unwrap();
    let delivered = app.run_jobs().await;
    assert_eq!(delivered, 5, "one delivery per receive allowed");
    let dlq = app.sqs.get_queue_url().queue_name(format!("{}-dlq", app.table)).send().await.unwrap();
    let dead = app.sqs.receive_message().queue_url(dlq.queue_url.unwrap()).send().await.unwrap();
    let bodies: Vec<String> = dead.messages.unwrap_or_default().into_iter().filter_map(|m| m.body).collect();
    assert_eq!(bodies, ["not a job"]);
}

#[tokio::test]
async fn unreadable_messages_are_reported_for_the_dead_letter_queue() {
    let app = TestApp::spawn().await;
    let event = igny8_local::queue::sqs_event(Some("m-1"), "r-1", Some("not a job"));
    let response = app.worker.handle(event).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(response.batch_item_failures[0].item_identifier, "m-1");
    // A message naming a job that does not exist is settled: there is nothing to retry.
    let body = json!({"account_id": "acc_missing", "job_id": "job_missing"}).to_string();
    let response = app.worker.handle(igny8_local::queue::sqs_event(Some("m-2"), "r-2", Some(&body))).await;
    assert!(response.batch_item_failures.is_empty());
}

/// With OpenAI selected, the article is written from the account's own prompt, shaped
/// by the author profile and strategy the request names, through the real client; what
/// the model returns is sanitised before it is stored, and priced by its tokens.
#[tokio::test]
async fn articles_come_from_the_accounts_prompt_profile_and_strategy() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "openaiwrite").await;
    let t = &ws.owner.access;
    let body = "<h2>Grinders</h2><script>steal()</script>".to_owned()
        + &"<p>Burr grinders crush beans evenly. </p>".repeat(40);
    let article = json!({"title": "Choosing a Coffee Grinder", "meta_title": "Coffee grinders", "meta_description": "How to pick one.",
                         "slug": "Coffee Grinder Guide!", "primary_keyword": "coffee grinder", "secondary_keywords": ["burr grinder"],
                         "html": body});
    let fake = FakeOpenAi::start(move |_, _| Reply::Content(article.to_string())).await;
    app.use_openai(&ws.owner.account_id, &fake.base_url).await;
    let prompt = json!({"text": "HOUSE STYLE. Write about {title} in {word_count} words using {keywords}."});
    app.put("/api/v1/system/prompts/generate_content/", t, prompt).await.expect(200);
    let profile = json!({"name": "Ana", "description": "barista", "tone": "warm", "language": "English"});
    let profile = app.post("/api/v1/system/author-profiles/", t, profile).await.expect(201);
    let strategy = json!({"name": "Pillar", "description": "d", "guidelines": "Link to the pillar page."});
    let strategy = app.post("/api/v1/system/strategies/", t, strategy).await.expect(201);
    let task = json!({"site_id": ws.site, "sector_id": ws.sector, "title": "Coffee grinders", "word_count": 700,
                      "keywords": ["coffee grinder", "burr grinder"]});
    let task = app.post("/api/v1/writer/tasks/", t, task).await.expect(201).data()["id"].as_str().unwrap().to_owned();

    let request =
        json!({"ids": [task], "author_profile_id": profile.data()["id"], "strategy_id": strategy.data()["id"]});
    let job = crate::ai_pipeline::run_job(&app, t, "/api/v1/writer/tasks/generate_content/", request).await;
    assert_eq!(job["state"], "done", "{job}");

    let sent = &fake.bodies()[0];
    assert_eq!(sent["model"], "gpt-4o-mini");
    assert_eq!(sent["response_format"]["type"], "json_schema");
    assert_eq!(sent["response_format"]["json_schema"]["name"], "article");
    let user = sent["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.starts_with("HOUSE STYLE. Write about Coffee grinders in 700 words using coffee grinder, burr grinder."),
        "{user}"
    );
    assert!(user.contains("Ana") && user.contains("warm") && user.contains("Link to the pillar page."), "{user}");

    let list = app.get(&format!("/api/v1/writer/content/?site_id={}", ws.site), t).await.expect(200);
    let content = &list.body["results"][0];
    let full = app.get(&format!("/api/v1/writer/content/{}/", content["id"].as_str().unwrap()), t).await.expect(200);
    let html = full.data()["html"].as_str().unwrap();
    assert!(html.starts_with("<h2>Grinders</h2>") && !html.contains("script"), "{html}");
    assert_eq!(full.data()["slug"], "coffee-grinder-guide");
    assert_eq!(full.data()["word_count"], 201);
    // 201 words: 1 credit. 1000 input + 500 output tokens of gpt-4o-mini: $0.00045.
    assert_eq!(job["credits"], 1);
    let usage = app.get("/api/v1/billing/usage/", t).await.expect(200);
    let record = &usage.body["results"][0];
    assert_eq!((record["provider"].as_str(), record["model"].as_str()), (Some("openai"), Some("gpt-4o-mini")));
    assert_eq!((record["tokens_in"].as_u64(), record["cost_micros"].as_i64()), (Some(1000), Some(450)));
}

/// A clustering job works from the plan it wrote once: taken up again after it saved
/// everything (as after a crash right before it could finish), it creates no cluster,
/// moves no keyword and charges nothing twice.
#[tokio::test]
async fn a_resumed_clustering_job_applies_its_plan_once() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "replan").await;
    let t = &ws.owner.access;
    let mut ids = Vec::new();
    for text in ["oak desk", "oak desk small", "walnut desk", "garden hose", "garden hose reel", "best garden hose"] {
        ids.push(
            crate::planner_keywords::add_keyword(&app, t, &ws.site, &ws.sector, text, json!({})).await["id"].clone(),
        );
    }
    let accepted = app.post("/api/v1/planner/keywords/auto_cluster/", t, json!({"ids": ids})).await.expect(202);
    let job_id = accepted.data()["id"].as_str().unwrap().to_owned();
    let event = take_message(&app).await;
    app.worker.handle(event.clone()).await;
    let first = job(&app, t, &job_id).await;
    assert_eq!((first["state"].as_str(), first["progress"]["done"].as_u64()), (Some("done"), Some(6)), "{first}");
    let clusters_path = format!("/api/v1/planner/clusters/?site_id={}", ws.site);
    let before = app.get(&clusters_path, t).await.expect(200).body["results"].clone();

    // Back to "running under an expired lease": the next delivery takes it up again.
    let key = igny8_store::keys::job(&ws.owner.account_id, &job_id.as_str().into());
    let reopen = igny8_store::Update::new(key)
        .set("state", "running")
        .and_then(|u| u.set("phase", "SAVE"))
        .and_then(|u| u.set("lease_until", 0))
        .unwrap();
    app.store.update::<Value>(reopen, Conflict::Missing).await.unwrap();
    assert!(app.worker.handle(event).await.batch_item_failures.is_empty());

    let second = job(&app, t, &job_id).await;
    assert_eq!((second["state"].as_str(), second["attempts"].as_u64()), (Some("done"), Some(2)), "{second}");
    assert_eq!((second["credits"].as_i64(), second["progress"]["done"].as_u64()), (Some(10), Some(6)), "{second}");
    let after = app.get(&clusters_path, t).await.expect(200).body["results"].clone();
    assert_eq!(after, before, "same clusters, same counts");
    let balance = app.get("/api/v1/billing/balance/", t).await.expect(200);
    assert_eq!(balance.data()["credits"], 190);
}

/// Two clustering jobs for the same keywords (a double click): the second finds them
/// clustered by the first, so it is refunded, fails saying why, and leaves no empty
/// clusters behind.
#[tokio::test]
async fn a_clustering_job_with_nothing_left_to_place_is_refunded_and_leaves_nothing() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "dblclick").await;
    let t = &ws.owner.access;
    let mut ids = Vec::new();
    for text in ["oak desk", "oak desk small", "garden hose", "garden hose reel"] {
        ids.push(
            crate::planner_keywords::add_keyword(&app, t, &ws.site, &ws.sector, text, json!({})).await["id"].clone(),
        );
    }
    let path = "/api/v1/planner/keywords/auto_cluster/";
    let first = app.post(path, t, json!({"ids": ids})).await.expect(202).data()["id"].as_str().unwrap().to_owned();
    let second = app.post(path, t, json!({"ids": ids})).await.expect(202).data()["id"].as_str().unwrap().to_owned();
    let received = app.sqs.receive_message().queue_url(&app.queue_url).max_number_of_messages(10).send().await.unwrap();
    let mut messages = received.messages.unwrap_or_default();
    messages.sort_by_key(|m| !m.body.as_deref().unwrap_or_default().contains(&first));
    for message in messages {
        let event = igny8_local::queue::sqs_event(message.message_id.as_deref(), "r", message.body.as_deref());
        assert!(app.worker.handle(event).await.batch_item_failures.is_empty());
    }

    let done = job(&app, t, &first).await;
    assert_eq!((done["state"].as_str(), done["credits"].as_i64()), (Some("done"), Some(10)), "{done}");
    let refunded = job(&app, t, &second).await;
    assert_eq!((refunded["state"].as_str(), refunded["credits"].as_i64()), (Some("failed"), Some(0)), "{refunded}");
    assert!(refunded["reason"].as_str().unwrap().starts_with("no keyword could be clustered"), "{refunded}");
    let clusters = app.get(&format!("/api/v1/planner/clusters/?site_id={}", ws.site), t).await.expect(200);
    let clusters = clusters.body["results"].as_array().unwrap().clone();
    assert_eq!(clusters.len(), 2, "{clusters:?}");
    assert!(clusters.iter().all(|c| c["keywords_count"] == 2), "{clusters:?}");
    assert_eq!(app.get("/api/v1/billing/balance/", t).await.expect(200).data()["credits"], 190);
    let ledger = app.get("/api/v1/billing/transactions/?transaction_type=refund", t).await.expect(200);
    assert_eq!(ledger.body["count"], 1, "{}", ledger.body);
    assert_eq!(ledger.body["results"][0]["amount"], 10);
}

/// Making prompts again for an article replaces the prompts not yet drawn and keeps
/// the images already drawn.
#[tokio::test]
async fn new_prompts_replace_undrawn_ones_and_keep_drawn_images() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "reprompt").await;
    let t = &ws.owner.access;
    let html = "<h2>One</h2><p>a</p><h2>Two</h2><p>b</p>";
    let content = json!({"site_id": ws.site, "sector_id": ws.sector, "title": "Lamps", "html": html});
    let content = app.post("/api/v1/writer/content/", t, content).await.expect(201).data()["id"].clone();
    let prompts = "/api/v1/writer/content/generate_image_prompts/";
    crate::ai_pipeline::run_job(&app, t, prompts, json!({"ids": [content]})).await;
    let list = format!("/api/v1/writer/images/?site_id={}&page_size=50", ws.site);
    let first = app.get(&list, t).await.expect(200).body["results"].as_array().unwrap().clone();
    assert_eq!(first.len(), 3);
    let drawn = first[0]["id"].clone();
    crate::ai_pipeline::run_job(&app, t, "/api/v1/writer/images/generate_images/", json!({"ids": [drawn]})).await;

    let job = crate::ai_pipeline::run_job(&app, t, prompts, json!({"ids": [content], "in_article_images": 1})).await;
    assert_eq!(job["state"], "done", "{job}");
    let after = app.get(&list, t).await.expect(200).body["results"].as_array().unwrap().clone();
    let ids: Vec<&Value> = after.iter().map(|i| &i["id"]).collect();
    assert_eq!(after.len(), 3, "the drawn image and two new prompts: {after:?}");
    assert!(ids.contains(&&drawn));
    assert!(first[1..].iter().all(|old| !ids.contains(&&old["id"])), "undrawn prompts were replaced");
}

/// A job whose message never reached the queue is found by the sweep and sent again;
/// one that no worker takes up after several resends is failed with a reason.
#[tokio::test]
async fn jobs_whose_message_was_lost_are_swept_up() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "sweep").await;
    let t = &ws.owner.access;
    let clusters = add_clusters(&app, &ws, 1).await;
    let accepted = app.post(IDEAS, t, json!({"ids": clusters})).await.expect(202);
    let job_id = accepted.data()["id"].as_str().unwrap().to_owned();
    // The message is lost.
    app.sqs.purge_queue().queue_url(&app.queue_url).send().await.unwrap();
    assert_eq!(app.run_jobs().await, 0);
    let stack = &app.stack;
    let sweep = || {
        igny8_ai::jobs::sweep(&stack.store, &stack.jobs, &stack.publish, chrono::Utc::now(), chrono::Duration::zero())
    };
    assert_eq!(sweep().await.unwrap().resent, 1);
    app.run_jobs().await;
    assert_eq!(job(&app, t, &job_id).await["state"], "done");
    assert_eq!(sweep().await.unwrap(), igny8_ai::jobs::Swept { resent: 0, failed: 0, finished: 1 });
    assert_eq!(app.count_kind("job_watch").await, 0, "finished jobs are not watched");

    // A job no worker ever takes up: resent a few times, then failed, saying why.
    let accepted = app.post(IDEAS, t, json!({"ids": clusters})).await.expect(202);
    let stuck = accepted.data()["id"].as_str().unwrap().to_owned();
    for _ in 0..igny8_ai::jobs::MAX_RESENDS {
        app.sqs.purge_queue().queue_url(&app.queue_url).send().await.unwrap();
        assert_eq!(sweep().await.unwrap().resent, 1);
    }
    app.sqs.purge_queue().queue_url(&app.queue_url).send().await.unwrap();
    assert_eq!(sweep().await.unwrap().failed, 1);
    let failed = job(&app, t, &stuck).await;
    assert_eq!(failed["state"], "failed");
    assert!(failed["reason"].as_str().unwrap().contains("submit it again"), "{failed}");
}
