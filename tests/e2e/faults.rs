//! A bad day at AWS (`docs/operations.md`, faults): the emulator fails requests of this
//! test's own table, queue or bucket on demand, and each test checks the answer (503
//! with `Retry-After`, never 500) and that nothing was lost, doubled or left stuck:
//! balance = starting credits − charges + refunds, counts equal what exists, no job
//! left queued.
//!
//! The SDK retries throttling, 5xx and timeouts itself (3 attempts): those faults are
//! injected 3 times to reach our code. It does not retry transaction conflicts; the
//! store does (`CONFLICT_RETRIES`, 4), so 5 conflicts in a row reach the caller.

use igny8_e2e::common::{Workspace, id_of, results, workspace};
use igny8_e2e::{Auth, Reply, TestApp};
use serde_json::{Value, json};

const KEYWORDS: &str = "/api/v1/planner/keywords/";

fn keyword(ws: &Workspace, text: &str) -> Value {
    json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": text})
}

#[track_caller]
fn assert_busy(reply: &Reply) {
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.code(), "SERVICE_UNAVAILABLE");
    assert!(reply.headers.contains_key("retry-after"), "503 says when to come back");
}

async fn keyword_texts(app: &TestApp, ws: &Workspace) -> Vec<String> {
    let path = format!("{KEYWORDS}?site_id={}&sector_id={}&page_size=200", ws.site, ws.sector);
    let list = app.get(&path, &ws.owner.access).await.expect(200);
    results(&list).iter().map(|k| k["keyword"].as_str().unwrap().to_owned()).collect()
}

/// Balance = the opening credits − charges + refunds, as the ledger records them, and
/// never below zero.
async fn assert_ledger_adds_up(app: &TestApp, ws: &Workspace) {
    let t = &ws.owner.access;
    let balance = app.get("/api/v1/billing/balance/", t).await.expect(200).data()["credits"].as_i64().unwrap();
    let ledger = app.get("/api/v1/billing/transactions/?page_size=200", t).await.expect(200);
    let sum: i64 = results(&ledger).iter().map(|tx| tx["amount"].as_i64().unwrap()).sum();
    assert_eq!(balance, sum, "the balance is what the ledger adds up to: {}", ledger.body);
    assert!(balance >= 0);
}

#[tokio::test]
async fn transaction_conflicts_are_retried_then_answer_503_and_write_nothing() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "conflicts").await;
    let t = &ws.owner.access;

    app.inject_fault("dynamodb", "TransactWriteItems", "transaction_conflict", 2).await;
    app.post(KEYWORDS, t, keyword(&ws, "retried")).await.expect(201);

    app.inject_fault("dynamodb", "TransactWriteItems", "transaction_conflict", 5).await;
    let reply = app.post(KEYWORDS, t, keyword(&ws, "refused")).await;
    assert_busy(&reply);
    app.clear_faults().await;

    assert_eq!(keyword_texts(&app, &ws).await, ["retried"]);
    let account = app.store.account(&ws.owner.account_id).await.unwrap().unwrap();
    assert_eq!(account.keywords_count, 1, "the count moved only with the keyword that was made");
    app.post(KEYWORDS, t, keyword(&ws, "refused")).await.expect(201);
}

#[tokio::test]
async fn throttling_and_dynamodb_failures_answer_503_not_500() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "throttled").await;
    let t = &ws.owner.access;
    app.post(KEYWORDS, t, keyword(&ws, "one")).await.expect(201);
    let list = format!("{KEYWORDS}?site_id={}&sector_id={}", ws.site, ws.sector);

    app.inject_fault("dynamodb", "Query", "throughput_exceeded", 3).await;
    assert_busy(&app.get(&list, t).await);
    app.inject_fault("dynamodb", "BatchGetItem", "internal", 3).await;
    assert_busy(&app.get("/api/v1/auth/me/", t).await);
    app.inject_fault("dynamodb", "TransactWriteItems", "throttling", 3).await;
    assert_busy(&app.post(KEYWORDS, t, keyword(&ws, "two")).await);
    app.clear_faults().await;

    // Two throttled attempts are absorbed by the SDK's own retries.
    app.inject_fault("dynamodb", "Query", "throttling", 2).await;
    app.get(&list, t).await.expect(200);
    assert_eq!(keyword_texts(&app, &ws).await, ["one"]);
}

#[tokio::test]
async fn a_job_whose_message_cannot_be_sent_is_failed_not_stuck_and_costs_nothing() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "lost-message").await;
    let t = &ws.owner.access;
    app.set_balance(&ws.owner.account_id, 100).await;
    let id = id_of(app.post(KEYWORDS, t, keyword(&ws, "trail shoes")).await.expect(201).data());

    app.inject_fault("sqs", "SendMessage", "internal", 3).await;
    let reply = app.post("/api/v1/planner/keywords/auto_cluster/", t, json!({"ids": [id]})).await;
    assert_busy(&reply);
    app.clear_faults().await;

    let jobs = app.get("/api/v1/system/jobs/", t).await.expect(200);
    let states: Vec<&str> = results(&jobs).iter().map(|j| j["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["failed"], "the job is failed with a reason, not left queued: {}", jobs.body);
    assert_eq!(app.get("/api/v1/billing/balance/", t).await.expect(200).data()["credits"], 100);
    assert_ledger_adds_up(&app, &ws).await;
}

#[tokio::test]
async fn a_worker_whose_saves_conflict_finishes_once_and_the_ledger_adds_up() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "worker-conflicts").await;
    let t = &ws.owner.access;
    app.set_balance(&ws.owner.account_id, 100).await;
    let mut ids = Vec::new();
    for text in ["trail shoes", "trail running shoes", "road shoes"] {
        ids.push(id_of(app.post(KEYWORDS, t, keyword(&ws, text)).await.expect(201).data()));
    }
    let accepted = app.post("/api/v1/planner/keywords/auto_cluster/", t, json!({"ids": ids})).await.expect(202);
    let job_id = accepted.data()["id"].as_str().unwrap().to_owned();

    // Every save of the job runs into other transactions, twice each at first.
    app.inject_fault("dynamodb", "TransactWriteItems", "transaction_conflict", 3).await;
    app.run_jobs().await;
    app.clear_faults().await;

    let job = app.get(&format!("/api/v1/system/jobs/{job_id}/"), t).await.expect(200);
    assert_eq!(job.data()["state"], "done", "{}", job.body);
    assert_eq!(job.data()["credits"], 10, "charged once");
    assert_ledger_adds_up(&app, &ws).await;
    let clusters = app.get(&format!("/api/v1/planner/clusters/?site_id={}", ws.site), t).await.expect(200);
    let account = app.store.account(&ws.owner.account_id).await.unwrap().unwrap();
    assert_eq!(account.clusters_count as usize, results(&clusters).len(), "the count is what exists");
    let mut texts = keyword_texts(&app, &ws).await;
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), 3, "no keyword doubled or lost");
}

#[tokio::test]
async fn storage_failures_answer_503_and_leave_the_image_as_it_was() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "s3-down").await;
    let t = &ws.owner.access;
    let body = json!({"site_id": ws.site, "sector_id": ws.sector, "alt_text": "Shoe"});
    let image = app.post("/api/v1/writer/images/", t, body).await.expect(201);
    let id = id_of(image.data());
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    png.extend([7u8; 2_000]);
    let upload = format!("/api/v1/writer/images/{id}/upload/");

    app.inject_fault("s3", "PutObject", "slow_down", 3).await;
    assert_busy(&app.post_bytes_as(&upload, Auth::Bearer(t), "image/png", png.clone()).await);
    app.clear_faults().await;
    let unchanged = app.get(&format!("/api/v1/writer/images/{id}/"), t).await.expect(200);
    assert_eq!(unchanged.data()["status"], "pending");

    app.inject_fault("s3", "PutObject", "internal", 2).await;
    let uploaded = app.post_bytes_as(&upload, Auth::Bearer(t), "image/png", png).await.expect(200);
    assert_eq!(uploaded.data()["status"], "generated");
}

/// A call that does not answer within the attempt timeout is a timeout, retried, and
/// in the end `Busy` (503), never a request held until Lambda's own timeout.
#[tokio::test]
async fn a_store_call_that_does_not_answer_in_time_is_busy() {
    use std::time::Duration;
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "timeouts").await;
    let timeouts =
        aws_config::timeout::TimeoutConfig::builder().operation_attempt_timeout(Duration::from_millis(300)).build();
    let config = igny8_local::sdk_config().await.into_builder().timeout_config(timeouts).build();
    let store = igny8_store::Store::new(aws_sdk_dynamodb::Client::new(&config), app.table.clone());
    igny8_e2e::faults::inject(
        &igny8_e2e::faults::emulator_endpoint(),
        json!({"service": "dynamodb", "operation": "GetItem", "match": app.table, "fault": "timeout",
               "delay_secs": 1, "times": 3}),
    )
    .await;
    let error = store.account(&ws.owner.account_id).await.expect_err("every attempt timed out");
    assert!(matches!(error, igny8_store::StoreError::Busy(_)), "{error:?}");
    app.clear_faults().await;
    assert!(store.account(&ws.owner.account_id).await.unwrap().is_some());
}
