//! A local server speaking OpenAI's chat completions and models wire format, for driving
//! the real client through the whole pipeline. What it answers is up to the test; what
//! it refuses follows the rules of the server it plays:
//!
//! - [`Rules::OpenAi`]: OpenAI's own. GPT-5 and o-series models refuse `max_tokens`
//!   (400 `unsupported_parameter`) and any temperature but the default 1 (400
//!   `unsupported_value`), as OpenAI does.
//! - [`Rules::Compatible`]: an older OpenAI-compatible server (as some vLLM, Ollama or
//!   LiteLLM versions): it knows `max_tokens` but not `max_completion_tokens`, and no
//!   `json_schema` answer format.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// What the server answers to a request: the request body and its 1-based number.
pub type Answerer = Arc<dyn Fn(&Value, usize) -> Reply + Send + Sync>;

pub enum Reply {
    /// 200 with a chat completion whose message content is this text.
    Content(String),
    /// The same without `usage` (some compatible servers leave it out).
    ContentWithoutUsage(String),
    /// Stopped at the token limit: `finish_reason: length`, the text cut.
    CutOff(String),
    /// Any status with this body.
    Status(u16, Value),
    /// Never answers (until the client gives up or the test ends).
    Hang,
}

/// Whose parameter rules the server follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    OpenAi,
    Compatible,
}

/// Models `GET /v1/models` lists.
pub const MODELS: &[&str] = &["gpt-4o-mini", "gpt-4.1-mini", "gpt-5", "gpt-5-mini", "llama3"];

#[derive(Clone)]
struct Fake {
    rules: Rules,
    answer: Answerer,
    calls: Arc<AtomicUsize>,
    bodies: Arc<std::sync::Mutex<Vec<Value>>>,
}

pub struct FakeOpenAi {
    /// Base URL to configure, e.g. `http://127.0.0.1:1234/v1`.
    pub base_url: String,
    calls: Arc<AtomicUsize>,
    bodies: Arc<std::sync::Mutex<Vec<Value>>>,
}

impl FakeOpenAi {
    /// A server with OpenAI's rules.
    pub async fn start(answer: impl Fn(&Value, usize) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_with(Rules::OpenAi, answer).await
    }

    pub async fn start_with(rules: Rules, answer: impl Fn(&Value, usize) -> Reply + Send + Sync + 'static) -> Self {
        let fake = Fake {
            rules,
            answer: Arc::new(answer),
            calls: Arc::new(AtomicUsize::new(0)),
            bodies: Arc::new(std::sync::Mutex::new(Vec::new())),
        };
        let (calls, bodies) = (fake.calls.clone(), fake.bodies.clone());
        let app = axum::Router::new()
            .route("/v1/chat/completions", post(complete))
            .route("/v1/models", axum::routing::get(models))
            .with_state(fake);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake OpenAI");
        let base_url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base_url, calls, bodies }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// The request bodies received, in order.
    pub fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().expect("bodies").clone()
    }
}

async fn models() -> Json<Value> {
    let data: Vec<Value> = MODELS.iter().map(|m| json!({"id": m, "object": "model", "owned_by": "system"})).collect();
    Json(json!({"object": "list", "data": data}))
}

/// OpenAI's error body for a refused parameter.
fn refusal(code: &str, param: &str, message: String) -> Response {
    let body = json!({"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// What the server refuses of a request under its rules.
fn refused(rules: Rules, body: &Value) -> Option<Response> {
    let model = body["model"].as_str().unwrap_or_default();
    match rules {
        Rules::OpenAi => {
            let reasoning = ["gpt-5", "o1", "o3", "o4"].iter().any(|p| model.starts_with(p));
            if reasoning && body.get("max_tokens").is_some() {
                let message = "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.";
                return Some(refusal("unsupported_parameter", "max_tokens", message.into()));
            }
            if reasoning && body.get("temperature").is_some_and(|t| t.as_f64() != Some(1.0)) {
                let message = format!(
                    "Unsupported value: 'temperature' does not support {} with this model. Only the default (1) value is supported.",
                    body["temperature"]
                );
                return Some(refusal("unsupported_value", "temperature", message));
            }
            None
        }
        Rules::Compatible => {
            if body.get("max_completion_tokens").is_some() {
                let message = "Unrecognized request argument supplied: max_completion_tokens".into();
                return Some(refusal("invalid_request_error", "", message));
            }
            if body.pointer("/response_format/type").and_then(Value::as_str) == Some("json_schema") {
                let message = "response_format type json_schema is not supported; use json_object".into();
                return Some(refusal("invalid_request_error", "", message));
            }
            None
        }
    }
}

fn completion(n: usize, body: &Value, text: &str, finish: &str, usage: bool) -> Response {
    let mut answer = json!({
        "id": format!("chatcmpl-{n}"),
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
    });
    if usage {
        answer["usage"] = json!({"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500});
    }
    Json(answer).into_response()
}

async fn complete(State(fake): State<Fake>, Json(body): Json<Value>) -> Response {
    let n = fake.calls.fetch_add(1, Ordering::SeqCst) + 1;
    fake.bodies.lock().expect("bodies").push(body.clone());
    if let Some(refusal) = refused(fake.rules, &body) {
        return refusal;
    }
    match (fake.answer)(&body, n) {
        Reply::Content(text) => completion(n, &body, &text, "stop", true),
        Reply::ContentWithoutUsage(text) => completion(n, &body, &text, "stop", false),
        Reply::CutOff(text) => completion(n, &body, &text, "length", true),
        Reply::Status(status, body) => {
            (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), Json(body)).into_response()
        }
        Reply::Hang => {
            std::future::pending::<()>().await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
    }
}
