//! A local server speaking OpenAI's chat completions wire format, for driving the
//! real client through the whole pipeline. What it answers is up to the test.

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
    /// Any status with this body.
    Status(u16, Value),
    /// Never answers (until the client gives up or the test ends).
    Hang,
}

#[derive(Clone)]
struct Fake {
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
    pub async fn start(answer: impl Fn(&Value, usize) -> Reply + Send + Sync + 'static) -> Self {
        let fake = Fake {
            answer: Arc::new(answer),
            calls: Arc::new(AtomicUsize::new(0)),
            bodies: Arc::new(std::sync::Mutex::new(Vec::new())),
        };
        let (calls, bodies) = (fake.calls.clone(), fake.bodies.clone());
        let app = axum::Router::new().route("/v1/chat/completions", post(complete)).with_state(fake);
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

async fn complete(State(fake): State<Fake>, Json(body): Json<Value>) -> Response {
    let n = fake.calls.fetch_add(1, Ordering::SeqCst) + 1;
    fake.bodies.lock().expect("bodies").push(body.clone());
    match (fake.answer)(&body, n) {
        Reply::Content(text) => Json(json!({
            "id": format!("chatcmpl-{n}"),
            "object": "chat.completion",
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500},
        }))
        .into_response(),
        Reply::Status(status, body) => {
            (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), Json(body)).into_response()
        }
        Reply::Hang => {
            std::future::pending::<()>().await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
    }
}
