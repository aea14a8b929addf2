//! The Lambda path: API Gateway v2 sample events from `events/` go through lambda_http's
//! adapter into each function's service, and come back as API Gateway responses.

use std::sync::Arc;

use igny8_e2e::{JWT_SECRET, TestApp};
use igny8_tenancy::{Tenancy, Tokens};
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Context, LambdaEvent};
use serde_json::Value;
use tower::{Service, ServiceExt};

fn event(name: &str, access_token: Option<&str>) -> LambdaRequest {
    event_with(name, access_token, "")
}

fn event_with(name: &str, access_token: Option<&str>, site_id: &str) -> LambdaRequest {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if let Some(token) = access_token {
        text = text.replace("{{ACCESS_TOKEN}}", token);
    }
    text = text.replace("{{SITE_ID}}", site_id);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not an API Gateway v2 event: {e}"))
}

/// Runs `service` as Lambda would; the API Gateway response as JSON, body parsed.
async fn invoke<S>(service: S, request: LambdaRequest) -> (Value, Value)
where
    S: Service<lambda_http::Request, Error = std::convert::Infallible> + Send + 'static,
    S::Future: Send + 'static,
    S::Response: lambda_http::IntoResponse,
{
    let mut adapter = Adapter::from(service);
    let response = adapter.ready().await.unwrap().call(LambdaEvent::new(request, Context::default())).await.unwrap();
    let response = serde_json::to_value(&response).unwrap();
    let body = serde_json::from_str(response["body"].as_str().expect("string body")).expect("JSON body");
    (response, body)
}

fn tenancy(app: &TestApp) -> Tenancy {
    Tenancy { store: app.store.clone(), tokens: Arc::new(Tokens::new(JWT_SECRET, 900, 3600)) }
}

#[tokio::test]
async fn system_status_event() {
    let app = TestApp::spawn().await;
    let (response, body) = invoke(igny8_system::app(app.system_state()), event("system-status.json", None)).await;
    assert_eq!(response["statusCode"], 200);
    assert_eq!(response["headers"]["x-request-id"], "evt-status-1");
    assert_eq!(body["request_id"], "evt-status-1");
    assert_eq!(body["data"]["store"]["reachable"], true);
}

#[tokio::test]
async fn auth_events_register_then_me() {
    let app = TestApp::spawn().await;
    let (response, body) = invoke(igny8_auth::app(tenancy(&app)), event("auth-register.json", None)).await;
    assert_eq!(response["statusCode"], 201, "{body}");
    let access = body["data"]["access"].as_str().unwrap().to_owned();

    let (response, body) = invoke(igny8_auth::app(tenancy(&app)), event("auth-login.json", None)).await;
    assert_eq!(response["statusCode"], 200, "{body}");

    let (response, body) = invoke(igny8_auth::app(tenancy(&app)), event("auth-me.json", Some(&access))).await;
    assert_eq!(response["statusCode"], 200, "{body}");
    assert_eq!(body["data"]["user"]["email"], "owner@example.com");
    assert_eq!(body["request_id"], "evt-me-1");

    let (response, body) = invoke(igny8_auth::app(tenancy(&app)), event("auth-me-unauthenticated.json", None)).await;
    assert_eq!(response["statusCode"], 401);
    assert_eq!(body["success"], false);
    assert_eq!(body["error_code"], "UNAUTHENTICATED");
    assert_eq!(response["headers"]["content-type"], "application/json");
}

#[tokio::test]
async fn planner_and_writer_list_events() {
    let app = TestApp::spawn().await;
    let owner = app.register("lambda").await;
    let site = app.create_site(&owner.access, "Lambda site").await;
    let sector = app.create_sector(&owner.access, &site, "Lambda sector").await;
    for (keyword, volume) in [("low", 10), ("high", 900)] {
        app.post(
            "/api/v1/planner/keywords/",
            &owner.access,
            serde_json::json!({"site_id": site, "sector_id": sector, "keyword": keyword, "volume": volume}),
        )
        .await
        .expect(201);
    }
    let request = event_with("planner-keywords-list.json", Some(&owner.access), &site);
    let planner = igny8_planner::PlannerState { tenancy: tenancy(&app), jobs: app.job_queue(), automation: None };
    let (response, body) = invoke(igny8_planner::app(planner), request).await;
    assert_eq!(response["statusCode"], 200, "{body}");
    assert_eq!(body["count"], 2);
    assert_eq!(body["results"][0]["keyword"], "high");
    assert_eq!(body["request_id"], "evt-keywords-1");

    let state = igny8_writer::WriterState {
        tenancy: tenancy(&app),
        media: app.media.clone(),
        jobs: app.job_queue(),
        publish: app.publish_queue(),
    };
    let writer = igny8_writer::app(state);
    let request = event_with("writer-tasks-list.json", Some(&owner.access), &site);
    let (response, body) = invoke(writer, request).await;
    assert_eq!(response["statusCode"], 200, "{body}");
    assert_eq!(body["count"], 0);
}

/// The worker's Lambda payload: `events/ai-worker-job.json` as the SQS event source
/// mapping delivers it, answered with the batch response Lambda reads.
#[tokio::test]
async fn ai_worker_sqs_event() {
    let app = TestApp::spawn().await;
    let owner = app.register("sqsevent").await;
    let site = app.create_site(&owner.access, "SQS site").await;
    let sector = app.create_sector(&owner.access, &site, "SQS sector").await;
    let body = serde_json::json!({"site_id": site, "sector_id": sector, "name": "Coffee"});
    let cluster = app.post("/api/v1/planner/clusters/", &owner.access, body).await.expect(201);
    let body = serde_json::json!({"ids": [cluster.data()["id"]]});
    let accepted = app.post("/api/v1/planner/clusters/generate_ideas/", &owner.access, body).await.expect(202);
    let job_id = accepted.data()["id"].as_str().unwrap().to_owned();

    let path = format!("{}/../events/ai-worker-job.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace("{{ACCOUNT_ID}}", &owner.account_id).replace("{{JOB_ID}}", &job_id);
    let event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&text).expect("an SQS event");
    let response = serde_json::to_value(app.worker.handle(event).await).unwrap();
    assert_eq!(response, serde_json::json!({"batchItemFailures": []}));
    let job = app.get(&format!("/api/v1/system/settings/task_progress/{job_id}/"), &owner.access).await.expect(200);
    assert_eq!(job.data()["state"], "done", "{}", job.body);
}

/// The bridge plugin's call through the integration function's Function URL: the
/// site's API key in the header, the site's integration made and a secret handed out.
#[tokio::test]
async fn integration_function_url_event_connects_the_bridge() {
    let app = TestApp::spawn().await;
    let owner = app.register("urlevent").await;
    let site = app.create_site(&owner.access, "URL site").await;
    let key = app.rotate_key(&owner, &site).await;
    let path = format!("{}/../events/integration-bridge-connect-function-url.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap().replace("{{API_KEY}}", &key);
    let request: LambdaRequest = serde_json::from_str(&text).expect("a Function URL event");
    let state = igny8_integration::IntegrationState::new(
        tenancy(&app),
        app.secrets.clone(),
        app.publish_queue(),
        igny8_wordpress::OutboundPolicy { allow_private: false },
    );
    let (response, body) = invoke(igny8_integration::app(state), request).await;
    assert_eq!(response["statusCode"], 200, "{body}");
    assert_eq!(response["headers"]["x-request-id"], "evt-bridge-connect-1");
    assert_eq!(body["data"]["site_id"], site.as_str());
    assert_eq!(body["data"]["signing_secret"].as_str().map(str::len), Some(64));
    let integration =
        app.store.wp_integration_of_site(&owner.account_id, &site.as_str().into()).await.unwrap().expect("integration");
    assert_eq!(integration.site_url, "https://blog.example.com");
    assert_eq!(integration.bridge.map(|b| b.plugin_version), Some("1.0.0".to_owned()));
    // The same event with another site's key changes that site only; a wrong key: 401.
    let bad = serde_json::from_str(&text.replace(&key, "not-a-key")).unwrap();
    let state = igny8_integration::IntegrationState::new(
        tenancy(&app),
        app.secrets.clone(),
        app.publish_queue(),
        igny8_wordpress::OutboundPolicy { allow_private: false },
    );
    let (response, _) = invoke(igny8_integration::app(state), bad).await;
    assert_eq!(response["statusCode"], 401);
}
