//! Test harness: a fresh, private copy of the system per test.
//!
//! Each `TestApp` gets its own DynamoDB table on the emulator (`AWS_ENDPOINT_URL`, which
//! `infra/test.sh` starts) and its own gateway on a random port, so tests run in
//! parallel without sharing state. Requests go over real HTTP.

pub mod common;
pub mod fake_openai;
pub mod faults;
pub mod wordpress;

use igny8_store::AccountId;
use std::sync::Arc;
use std::time::Duration;

use igny8_store::Store;
use igny8_system::SystemState;
use igny8_tenancy::{SecretBox, Tenancy, Tokens};
use reqwest::Method;
use serde_json::{Value, json};

pub use igny8_tenancy::tokens::DEFAULT_REFRESH_TTL_SECS;

/// The signing secret of every test app, so tests can forge expired or foreign tokens.
pub const JWT_SECRET: &[u8] = b"test-only-secret-0123456789-abcdefghij";
pub const PASSWORD: &str = "correct horse battery";
/// Provider calls in tests: fast retries, short timeouts (fake servers answer at once).
pub const TEST_CALL_POLICY: igny8_ai::provider::CallPolicy = igny8_ai::provider::CallPolicy {
    timeout: std::time::Duration::from_secs(5),
    retries: 2,
    backoff: std::time::Duration::from_millis(10),
    max_backoff: std::time::Duration::from_millis(100),
};

/// WordPress calls in tests: short waits between retries, a timeout that still lets a
/// busy test WordPress answer.
pub const TEST_WP_POLICY: igny8_wordpress::RetryPolicy = igny8_wordpress::RetryPolicy {
    timeout: std::time::Duration::from_secs(20),
    retries: 2,
    backoff: std::time::Duration::from_millis(50),
    max_backoff: std::time::Duration::from_millis(200),
};

/// The key sealing customers' secrets in every test app.
pub const SECRETS_KEY: [u8; 32] = *b"test-only-secrets-key-0123456789";

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub media: igny8_writer::Media,
    pub sqs: aws_sdk_sqs::Client,
    /// This app's own AI job queue (nothing polls it: tests deliver with `run_jobs`).
    pub queue_url: String,
    pub worker: igny8_ai_worker::Worker,
    /// This app's own publish queue, delivered by `run_publish_jobs`.
    pub publish_queue_url: String,
    pub publisher: igny8_publisher::Publisher,
    /// This app's own automation queue, delivered by `run_automation`.
    pub automation_queue_url: String,
    pub automation: igny8_automation_runner::AutomationWorker,
    /// What the gateway runs on (schedules, runner).
    pub stack: igny8_local::Stack,
    pub tokens: Arc<Tokens>,
    pub secrets: Arc<SecretBox>,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub table: String,
    http: reqwest::Client,
}

/// A response: status, headers and the JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    pub fn code(&self) -> &str {
        self.body["error_code"].as_str().unwrap_or("")
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.body);
        self
    }
}

/// How a request authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    Anonymous,
    Bearer(&'a str),
    ApiKey(&'a str),
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub access: String,
    pub refresh: String,
    pub user_id: igny8_store::UserId,
    pub account_id: AccountId,
    pub email: String,
}

/// Sends `request` authenticated as `auth`; the reply, whose body must be JSON.
async fn send(request: reqwest::RequestBuilder, auth: Auth<'_>) -> Reply {
    let request = match auth {
        Auth::Anonymous => request,
        Auth::Bearer(token) => request.bearer_auth(token),
        Auth::ApiKey(key) => request.header("x-igny8-api-key", key),
    };
    let response = request.send().await.expect("request reaches the gateway");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("non-JSON body ({status}): {}", String::from_utf8_lossy(&bytes)));
    Reply { status, headers, body }
}

pub fn unique_email(label: &str) -> String {
    format!("{label}-{}@example.com", ulid::Ulid::new().to_string().to_lowercase())
}

/// An emulator of one test's own, for a test whose data would slow every other test
/// sharing the suite's (the emulator answers one request at a time). Stopped when
/// dropped.
pub struct PrivateEmulator {
    child: std::process::Child,
    port_file: std::path::PathBuf,
    pub url: String,
}

impl PrivateEmulator {
    pub fn start() -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/emulator/serve.py");
        let port_file =
            std::env::temp_dir().join(format!("igny8-emulator-{}.port", ulid::Ulid::new().to_string().to_lowercase()));
        let child = std::process::Command::new("python3")
            .args([script, "--port", "0", "--port-file"])
            .arg(&port_file)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start a private emulator");
        let mut emulator = Self { child, port_file, url: String::new() };
        for _ in 0..300 {
            if let Ok(port) = std::fs::read_to_string(&emulator.port_file) {
                emulator.url = format!("http://127.0.0.1:{}", port.trim());
                return emulator;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the private emulator did not start within 30 s");
    }
}

impl Drop for PrivateEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.port_file);
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        assert!(
            std::env::var_os("AWS_ENDPOINT_URL").is_some(),
            "AWS_ENDPOINT_URL is not set: run the tests with infra/test.sh, which starts the emulator"
        );
        Self::spawn_with(igny8_local::sdk_config().await).await
    }

    /// An app on `emulator` rather than the suite's.
    pub async fn spawn_on(emulator: &PrivateEmulator) -> Self {
        let config = igny8_local::sdk_config().await.to_builder().endpoint_url(&emulator.url).build();
        Self::spawn_with(config).await
    }

    async fn spawn_with(config: aws_config::SdkConfig) -> Self {
        let dynamodb = aws_sdk_dynamodb::Client::new(&config);
        let table = format!("test-{}", ulid::Ulid::new().to_string().to_lowercase());
        igny8_store::schema::create_table(&dynamodb, &table).await.expect("create test table");
        let store = Store::new(dynamodb.clone(), table.clone());
        let tokens = Arc::new(Tokens::new(JWT_SECRET, 900, DEFAULT_REFRESH_TTL_SECS));
        let s3 = igny8_writer::s3_client(&config);
        s3.create_bucket().bucket(&table).send().await.expect("create test bucket");
        let media = igny8_writer::Media::new(s3, table.clone());
        let secrets = Arc::new(SecretBox::new(SECRETS_KEY));
        let sqs = aws_sdk_sqs::Client::new(&config);
        let queue_url = igny8_local::resources::create_queue_with_dlq(&sqs, &table, igny8_local::resources::AI_QUEUE)
            .await
            .expect("create test queue");
        let jobs = igny8_ai::JobQueue::new(sqs.clone(), queue_url.clone());
        // Failed messages are visible again at once: `run_jobs` delivers them on its next round.
        let retry = igny8_ai_worker::Retry { sqs: sqs.clone(), queue_url: queue_url.clone(), after: Duration::ZERO };
        let publish_queue_url = igny8_local::resources::create_queue_with_dlq(
            &sqs,
            &format!("{table}-publish"),
            igny8_local::resources::PUBLISH_QUEUE,
        )
        .await
        .expect("create test publish queue");
        let automation_queue_url = igny8_local::resources::create_queue_with_dlq(
            &sqs,
            &format!("{table}-automation"),
            igny8_local::resources::AUTOMATION_QUEUE,
        )
        .await
        .expect("create test automation queue");
        igny8_local::resources::create_schedule_group(&config, &table).await.expect("create test schedule group");
        let schedules =
            igny8_local::resources::schedules(&config, &table, &automation_queue_url).await.expect("schedules");
        let stack = igny8_local::Stack {
            store: store.clone(),
            tokens: tokens.clone(),
            media: media.clone(),
            secrets: secrets.clone(),
            jobs,
            publish: igny8_ai::JobQueue::new(sqs.clone(), publish_queue_url.clone()),
            automation: igny8_ai::JobQueue::new(sqs.clone(), automation_queue_url.clone()),
            schedules,
            // The test WordPress sites run on 127.0.0.1.
            outbound: igny8_wordpress::OutboundPolicy { allow_private: true },
        };
        let publish_retry =
            igny8_publisher::Retry { sqs: sqs.clone(), queue_url: publish_queue_url.clone(), after: Duration::ZERO };
        let publisher = igny8_local::publisher(&stack, TEST_WP_POLICY, publish_retry);
        let worker = igny8_local::worker(&stack, TEST_CALL_POLICY, retry);
        let automation_retry =
            igny8_ai_worker::Retry { sqs: sqs.clone(), queue_url: automation_queue_url.clone(), after: Duration::ZERO };
        let automation = stack.automation_worker(automation_retry);
        let local = stack.clone();
        let app = igny8_local::gateway(stack);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(igny8_local::serve(listener, app, std::future::pending()));
        Self {
            base,
            store,
            media,
            sqs,
            queue_url,
            worker,
            publish_queue_url,
            publisher,
            automation_queue_url,
            automation,
            stack: local,
            tokens,
            secrets,
            dynamodb,
            table,
            http: reqwest::Client::new(),
        }
    }

    /// Switches the account's text provider to OpenAI at `base_url` (a fake server),
    /// with a sealed key, as the settings endpoints would.
    pub async fn use_openai(&self, account_id: &str, base_url: &str) {
        let account_id = &AccountId::from(account_id);
        let mut settings = self.store.ai_settings(account_id).await.expect("settings");
        settings.text_provider = "openai".into();
        self.store.save_ai_settings(&settings).await.expect("save settings");
        let integration = igny8_store::Integration {
            account_id: account_id.clone(),
            provider: "openai".into(),
            api_key_sealed: self.secrets.seal("sk-test-key"),
            api_key_masked: "sk-…-key".into(),
            base_url: Some(base_url.to_owned()),
            quirks: Default::default(),
            updated_at: igny8_store::now(),
        };
        self.store.put_integration(&integration).await.expect("save integration");
    }

    /// Sets the account's balance (through an adjustment, as support would).
    pub async fn set_balance(&self, account_id: &str, credits: i64) {
        let account_id = &AccountId::from(account_id);
        let balance = self.store.balance(account_id).await.expect("balance").expect("account");
        let kind = igny8_store::CreditTransactionType::Adjustment;
        self.store.grant_credits(account_id, credits - balance, kind, "test balance").await.expect("adjust");
    }

    /// Sets one of the account's counts (`keywords_count`, `clusters_count` …) as if the
    /// account held that many, to reach a plan limit without making them all.
    pub async fn set_account_count(&self, account_id: &str, counter: &str, value: u32) {
        self.set_count(igny8_store::keys::account(&account_id.into()), counter, value).await;
    }

    /// Sets a sector's keyword count as if it held that many.
    pub async fn set_sector_keywords(&self, account_id: &str, sector_id: &str, value: u32) {
        self.set_count(igny8_store::keys::sector(&account_id.into(), &sector_id.into()), "keywords_count", value).await;
    }

    async fn set_count(&self, key: igny8_store::Key, counter: &str, value: u32) {
        use aws_sdk_dynamodb::types::AttributeValue;
        self.dynamodb
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.to_item()))
            .update_expression("SET #c = :v")
            .expression_attribute_names("#c", counter)
            .expression_attribute_values(":v", AttributeValue::N(value.to_string()))
            .send()
            .await
            .expect("set a count");
    }

    /// Sets what the account used of its AI this month.
    pub async fn set_monthly_usage(&self, account_id: &str, ai_requests: u64, words: u64, images: u64) {
        use aws_sdk_dynamodb::types::AttributeValue;
        let month = &igny8_store::now()[..7];
        let n = |v: u64| AttributeValue::N(v.to_string());
        self.dynamodb
            .put_item()
            .table_name(&self.table)
            .item("PK", AttributeValue::S(format!("ACCOUNT#{account_id}")))
            .item("SK", AttributeValue::S(format!("MONTHUSE#{month}")))
            .item("ai_requests", n(ai_requests))
            .item("words", n(words))
            .item("images", n(images))
            .send()
            .await
            .expect("set the month's usage");
    }

    /// A sender to this app's job queue.
    pub fn job_queue(&self) -> igny8_ai::JobQueue {
        igny8_ai::JobQueue::new(self.sqs.clone(), self.queue_url.clone())
    }

    /// Delivers every message on this app's job queue to the AI worker, as Lambda
    /// would, until the queue is empty. Returns how many messages were delivered.
    pub async fn run_jobs(&self) -> usize {
        let mut delivered = 0;
        for _ in 0..100 {
            let batch = igny8_local::queue::deliver_batch(&self.sqs, &self.queue_url, &self.worker)
                .await
                .expect("deliver job messages");
            if batch == 0 {
                return delivered;
            }
            delivered += batch;
        }
        panic!("the job queue did not empty: a message keeps failing")
    }

    /// Delivers every message on this app's automation queue to the runner until it is
    /// empty; how many were delivered.
    pub async fn run_automation(&self) -> usize {
        let mut delivered = 0;
        for _ in 0..50 {
            let batch = igny8_local::queue::deliver_batch(&self.sqs, &self.automation_queue_url, &self.automation)
                .await
                .expect("deliver automation messages");
            if batch == 0 {
                return delivered;
            }
            delivered += batch;
        }
        panic!("the automation queue did not empty: a message keeps failing")
    }

    /// Delivers the AI, publish and automation queues until all three are quiet, as the
    /// Lambdas behind them would: a run's jobs finish, report, and start the next stage.
    pub async fn settle(&self) {
        for _ in 0..50 {
            let moved = self.run_automation().await + self.run_jobs().await + self.run_publish_jobs().await;
            if moved == 0 {
                return;
            }
        }
        panic!("the queues did not settle")
    }

    /// A sender to this app's publish queue.
    pub fn publish_queue(&self) -> igny8_ai::JobQueue {
        igny8_ai::JobQueue::new(self.sqs.clone(), self.publish_queue_url.clone())
    }

    /// Delivers every message on this app's publish queue to the publisher until the
    /// queue is empty. Returns how many messages were delivered.
    pub async fn run_publish_jobs(&self) -> usize {
        let mut delivered = 0;
        for _ in 0..20 {
            let batch = igny8_local::queue::deliver_batch(&self.sqs, &self.publish_queue_url, &self.publisher)
                .await
                .expect("deliver publish messages");
            if batch == 0 {
                return delivered;
            }
            delivered += batch;
        }
        panic!("the publish queue did not empty: a message keeps failing")
    }

    /// The system function's state over this app's table and keys (for calling the
    /// function directly, as Lambda does).
    pub fn system_state(&self) -> SystemState {
        let tenancy = Tenancy { store: self.store.clone(), tokens: self.tokens.clone() };
        SystemState::new(tenancy, self.secrets.clone(), self.stack.outbound)
    }

    pub async fn call(&self, method: Method, path: &str, auth: Auth<'_>, body: Option<Value>) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        send(request, auth).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Auth::Bearer(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Auth::Bearer(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Auth::Bearer(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Auth::Bearer(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Auth::Bearer(token), None).await
    }

    pub async fn post_anonymous(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Auth::Anonymous, Some(body)).await
    }

    /// Registers a new account; its owner's session.
    pub async fn register(&self, label: &str) -> Session {
        let email = unique_email(label);
        let reply = self
            .post_anonymous(
                "/api/v1/auth/register/",
                json!({"email": email, "password": PASSWORD, "account_name": format!("{label} Inc")}),
            )
            .await
            .expect(201);
        session_from(reply.data(), &email)
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post_anonymous("/api/v1/auth/login/", json!({"email": email, "password": password})).await
    }

    /// Adds a user with `role` to the owner's account and signs them in.
    pub async fn add_member(&self, owner: &Session, label: &str, role: &str) -> Session {
        let email = unique_email(label);
        self.post("/api/v1/auth/users/", &owner.access, json!({"email": email, "password": PASSWORD, "role": role}))
            .await
            .expect(201);
        let reply = self.login(&email, PASSWORD).await.expect(200);
        session_from(reply.data(), &email)
    }

    pub async fn create_site(&self, token: &str, name: &str) -> String {
        let reply =
            self.post("/api/v1/auth/sites/", token, json!({"name": name, "domain": "example.com"})).await.expect(201);
        reply.data()["id"].as_str().expect("site id").to_owned()
    }

    pub async fn create_sector(&self, token: &str, site_id: &str, name: &str) -> String {
        let reply =
            self.post("/api/v1/auth/sectors/", token, json!({"site_id": site_id, "name": name})).await.expect(201);
        reply.data()["id"].as_str().expect("sector id").to_owned()
    }

    pub async fn grant(&self, admin: &Session, site_id: &str, user_id: &str) {
        self.post(&format!("/api/v1/auth/sites/{site_id}/access/"), &admin.access, json!({"user_id": user_id}))
            .await
            .expect(200);
    }

    /// Rotates the site's API key; the new key.
    pub async fn rotate_key(&self, admin: &Session, site_id: &str) -> String {
        let reply =
            self.post(&format!("/api/v1/auth/sites/{site_id}/api-key/"), &admin.access, json!({})).await.expect(201);
        reply.data()["api_key"].as_str().expect("api key").to_owned()
    }

    /// How many items of `kind` the test's table holds (a test-only scan of a tiny table).
    pub async fn count_kind(&self, kind: &str) -> usize {
        let items = self.dynamodb.scan().table_name(&self.table).send().await.expect("scan").items.unwrap_or_default();
        items
            .iter()
            .filter(|item| item.get("kind").and_then(|k| k.as_s().ok()).map(String::as_str) == Some(kind))
            .count()
    }
}

fn session_from(data: &Value, email: &str) -> Session {
    Session {
        access: data["access"].as_str().expect("access token").to_owned(),
        refresh: data["refresh"].as_str().expect("refresh token").to_owned(),
        user_id: data["user"]["id"].as_str().expect("user id").into(),
        account_id: data["account"]["id"].as_str().expect("account id").into(),
        email: email.to_owned(),
    }
}

/// A response read as text (CSV exports): status, headers and the raw body.
#[derive(Debug)]
pub struct TextReply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl TextReply {
    pub fn content_type(&self) -> &str {
        self.headers.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        self
    }
}

impl TestApp {
    /// POSTs raw bytes with the given content type (CSV uploads, multipart forms).
    pub async fn post_bytes(&self, path: &str, token: &str, content_type: &str, body: Vec<u8>) -> Reply {
        self.post_bytes_as(path, Auth::Bearer(token), content_type, body).await
    }

    /// POSTs raw bytes with the given content type, authenticated as `auth`.
    pub async fn post_bytes_as(&self, path: &str, auth: Auth<'_>, content_type: &str, body: Vec<u8>) -> Reply {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        send(request, auth).await
    }

    /// POSTs a CSV file as the body (`content-type: text/csv`).
    pub async fn post_csv(&self, path: &str, token: &str, body: &str) -> Reply {
        self.post_bytes(path, token, "text/csv", body.as_bytes().to_vec()).await
    }

    /// GETs a response that is not JSON (a CSV export): status, headers and text.
    pub async fn get_text(&self, path: &str, token: &str) -> TextReply {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request reaches the gateway");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("text body");
        TextReply { status, headers, text }
    }

    /// Moves an account to another plan directly in the store (tests that need more
    /// users or sites than the trial allows).
    pub async fn move_to_plan(&self, account_id: &str, plan: &str) {
        self.dynamodb
            .update_item()
            .table_name(&self.table)
            .key("PK", igny8_store::AttributeValue::S(format!("ACCOUNT#{account_id}")))
            .key("SK", igny8_store::AttributeValue::S("ACCOUNT".into()))
            .update_expression("SET plan_id = :p")
            .expression_attribute_values(":p", igny8_store::AttributeValue::S(plan.into()))
            .send()
            .await
            .expect("change plan");
    }
}
