//! The OpenAI and Runware clients against a local server that speaks their wire formats:
//! what they send, how they read answers, and how they retry, time out and give up.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use base64::Engine as _;
use igny8_ai::provider::offline::OfflineProvider;
use igny8_ai::provider::openai::OpenAiClient;
use igny8_ai::provider::runware::RunwareClient;
use igny8_ai::provider::{
    AnswerSchema, CallPolicy, ChatAnswer, ChatRequest, GeneratedImage, ImageProvider, ImageRequest, Message,
    ProviderError, TextProvider,
};
use serde_json::{Value, json};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    authorization: Option<String>,
    body: Value,
}

struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Self::raw(status, &body.to_string())
    }

    fn raw(status: u16, body: &str) -> Self {
        Self { status, headers: Vec::new(), body: body.into(), delay: Duration::ZERO }
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// Answers the n-th request (from 0), given its JSON body.
type Respond = dyn Fn(usize, &Value) -> Reply + Send + Sync;

struct Mock {
    seen: Mutex<Vec<Seen>>,
    respond: Box<Respond>,
}

impl Mock {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn handle(State(mock): State<Arc<Mock>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let authorization = headers.get("authorization").map(|v| v.to_str().unwrap().to_string());
    let index = {
        let mut seen = mock.seen.lock().unwrap();
        seen.push(Seen { method, path: uri.path().to_string(), authorization, body: body.clone() });
        seen.len() - 1
    };
    let reply = (mock.respond)(index, &body);
    tokio::time::sleep(reply.delay).await;
    let mut response = Response::builder().status(reply.status).header("content-type", "application/json");
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}

/// Starts a server on a free port; answers its base URL (with a trailing slash, which the
/// clients must not double) and what it records.
async fn serve(respond: impl Fn(usize, &Value) -> Reply + Send + Sync + 'static) -> (String, Arc<Mock>) {
    let mock = Arc::new(Mock { seen: Mutex::new(Vec::new()), respond: Box::new(respond) });
    let app = axum::Router::new().fallback(handle).with_state(mock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/v1/"), mock)
}

const TIMEOUT: Duration = Duration::from_millis(300);

fn policy() -> CallPolicy {
    CallPolicy {
        timeout: TIMEOUT,
        retries: 2,
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    }
}

fn http() -> reqwest::Client {
    // A proxy from the environment must not take loopback requests elsewhere.
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn openai(base_url: &str) -> OpenAiClient {
    OpenAiClient::new(http(), base_url, "sk-test", policy())
}

fn runware(base_url: &str) -> RunwareClient {
    RunwareClient::new(http(), base_url, "rw-test", policy())
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn schema() -> AnswerSchema {
    AnswerSchema {
        name: "clusters",
        schema: json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
    }
}

fn chat(structured: bool) -> ChatRequest {
    ChatRequest {
        model: "gpt-4o-mini".into(),
        messages: vec![Message::system("You answer in JSON."), Message::user("Cluster: running shoes, trail shoes")],
        temperature: 0.2,
        max_tokens: 512,
        schema: structured.then(schema),
        offline_draft: Some("never sent".into()),
    }
}

fn chat_success() -> Reply {
    Reply::json(
        200,
        json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"clusters\":[]}"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49}
        }),
    )
}

fn expected_chat_answer() -> ChatAnswer {
    ChatAnswer {
        text: "{\"clusters\":[]}".into(),
        model: "gpt-4o-mini-2024-07-18".into(),
        tokens_in: 42,
        tokens_out: 7,
        usage_reported: true,
    }
}

fn image(model: &str, width: u32, height: u32, quality: &str, style: Option<&str>) -> ImageRequest {
    ImageRequest {
        prompt: "A tidy desk with a laptop, morning light".into(),
        model: model.into(),
        width,
        height,
        quality: quality.into(),
        style: style.map(Into::into),
    }
}

/// A real PNG, as a provider would send.
async fn png() -> Vec<u8> {
    OfflineProvider.generate(&image("", 64, 64, "standard", None)).await.unwrap().bytes
}

#[tokio::test]
async fn openai_chat_sends_the_documented_request_and_reads_the_answer() {
    let (base, mock) = serve(|_, _| chat_success()).await;
    let client = openai(&base);
    assert_eq!(TextProvider::name(&client), "openai");

    assert_eq!(client.complete(&chat(true)).await, Ok(expected_chat_answer()));
    let seen = mock.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!((&seen[0].method, seen[0].path.as_str()), (&Method::POST, "/v1/chat/completions"));
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer sk-test"));
    assert_eq!(
        seen[0].body,
        json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "You answer in JSON."},
                {"role": "user", "content": "Cluster: running shoes, trail shoes"}
            ],
            "temperature": 0.2,
            "max_completion_tokens": 512,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "clusters", "strict": true, "schema": schema().schema}
            }
        })
    );

    client.complete(&chat(false)).await.unwrap();
    let body = &mock.seen()[1].body;
    assert_eq!(body.get("response_format"), None);
    assert_eq!(body["max_completion_tokens"], 512);
    assert_eq!(body.get("max_tokens"), None);
}

#[tokio::test]
async fn openai_chat_waits_out_a_429_then_succeeds() {
    let (base, mock) = serve(|n, _| match n {
        0 => Reply::json(429, json!({"error": {"message": "Rate limit reached"}})).header("retry-after", "0"),
        _ => chat_success(),
    })
    .await;
    assert_eq!(openai(&base).complete(&chat(true)).await, Ok(expected_chat_answer()));
    assert_eq!(mock.seen().len(), 2);
}

#[tokio::test]
async fn openai_chat_rate_limited_throughout_says_so() {
    let (base, mock) = serve(|_, _| Reply::raw(429, "{}").header("retry-after", "0")).await;
    assert_eq!(
        openai(&base).complete(&chat(true)).await,
        Err(ProviderError::RateLimited { retry_after: Some(Duration::ZERO) })
    );
    assert_eq!(mock.seen().len(), 3);
}

#[tokio::test]
async fn openai_chat_gives_up_on_5xx_after_the_retries() {
    let (base, mock) = serve(|_, _| Reply::json(500, json!({"error": {"message": "The server had an error"}}))).await;
    assert_eq!(
        openai(&base).complete(&chat(true)).await,
        Err(ProviderError::Server { status: 500, message: "The server had an error".into() })
    );
    assert_eq!(mock.seen().len(), 3, "one call and policy().retries more");
}

#[tokio::test]
async fn openai_chat_400_is_refused_without_retrying() {
    let (base, mock) = serve(|_, _| {
        Reply::json(
            400,
            json!({"error": {"message": "Invalid value for 'max_tokens'", "type": "invalid_request_error"}}),
        )
    })
    .await;
    assert_eq!(
        openai(&base).complete(&chat(true)).await,
        Err(ProviderError::Refused { status: 400, message: "Invalid value for 'max_tokens'".into() })
    );
    assert_eq!(mock.seen().len(), 1);
}

#[tokio::test]
async fn openai_chat_malformed_answers_are_malformed_not_retried() {
    let (base, mock) = serve(|n, _| match n {
        0 => Reply::raw(200, "{\"choices\": [{\"message\""),
        _ => Reply::json(200, json!({"choices": [{"message": {"role": "assistant", "content": null}}]})),
    })
    .await;
    let client = openai(&base);
    assert!(matches!(client.complete(&chat(true)).await, Err(ProviderError::Malformed(m)) if m.contains("not JSON")));
    assert_eq!(
        client.complete(&chat(true)).await,
        Err(ProviderError::Malformed("no choices[0].message.content in the answer".into()))
    );
    assert_eq!(mock.seen().len(), 2);
}

#[tokio::test]
async fn openai_chat_times_out_each_attempt_then_gives_up() {
    let (base, mock) = serve(|_, _| chat_success().after(Duration::from_secs(2))).await;
    let started = Instant::now();
    assert_eq!(openai(&base).complete(&chat(true)).await, Err(ProviderError::Timeout(TIMEOUT)));
    assert_eq!(mock.seen().len(), 3);
    let took = started.elapsed();
    assert!(took >= TIMEOUT * 3 && took < Duration::from_millis(1600), "{took:?}");
}

#[tokio::test]
async fn unreachable_providers_are_transport_errors() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", closed.local_addr().unwrap());
    drop(closed);
    assert!(matches!(openai(&base).complete(&chat(true)).await, Err(ProviderError::Transport(_))));
}

#[tokio::test]
async fn openai_dalle_image_is_decoded_and_priced() {
    let png = png().await;
    let encoded = b64(&png);
    let (base, mock) = serve(move |_, _| {
        Reply::json(200, json!({"created": 1, "data": [{"b64_json": encoded, "revised_prompt": "A tidy desk"}]}))
    })
    .await;
    let client = openai(&base);
    assert_eq!(ImageProvider::name(&client), "openai");
    let made = client.generate(&image("dall-e-3", 1792, 1024, "hd", Some("natural"))).await;
    assert_eq!(
        made,
        Ok(GeneratedImage {
            bytes: png,
            content_type: "image/png".into(),
            model: "dall-e-3".into(),
            cost_usd: Some(0.08)
        })
    );
    let seen = mock.seen();
    assert_eq!((&seen[0].method, seen[0].path.as_str()), (&Method::POST, "/v1/images/generations"));
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer sk-test"));
    assert_eq!(
        seen[0].body,
        json!({
            "model": "dall-e-3",
            "prompt": "A tidy desk with a laptop, morning light",
            "n": 1,
            "size": "1792x1024",
            "quality": "hd",
            "style": "natural",
            "response_format": "b64_json"
        })
    );
}

#[tokio::test]
async fn openai_gpt_image_gets_its_own_parameters() {
    let jpeg = b"\xff\xd8\xff\xe0\0\x10JFIF\0 not really a jpeg".to_vec();
    let encoded = b64(&jpeg);
    let (base, mock) =
        serve(move |_, _| Reply::json(200, json!({"created": 1, "data": [{"b64_json": encoded}]}))).await;
    let made = openai(&base).generate(&image("gpt-image-1", 1024, 1024, "standard", Some("vivid"))).await.unwrap();
    assert_eq!((made.bytes, made.content_type.as_str(), made.cost_usd), (jpeg, "image/jpeg", Some(0.042)));
    assert_eq!(
        mock.seen()[0].body,
        json!({
            "model": "gpt-image-1",
            "prompt": "A tidy desk with a laptop, morning light",
            "n": 1,
            "size": "1024x1024",
            "quality": "medium"
        })
    );
}

#[tokio::test]
async fn openai_image_answers_that_are_not_images_are_malformed() {
    let (base, mock) = serve(|n, _| match n {
        0 => Reply::json(200, json!({"data": [{"b64_json": "%%% not base64 %%%"}]})),
        1 => Reply::json(200, json!({"data": [{"url": "https://example.com/a.png"}]})),
        _ => Reply::json(200, json!({"data": [{"b64_json": b64(b"<html>oops</html>")}]})),
    })
    .await;
    let client = openai(&base);
    let request = image("dall-e-3", 1024, 1024, "standard", None);
    for expected in ["not valid base64", "no data[0].b64_json", "not a PNG, JPEG, WebP or GIF"] {
        let result = client.generate(&request).await;
        assert!(matches!(&result, Err(ProviderError::Malformed(m)) if m.contains(expected)), "{result:?}");
    }
    assert_eq!(mock.seen().len(), 3);
    assert_eq!(mock.seen()[0].body.get("style"), None);
}

#[tokio::test]
async fn openai_check_lists_the_models() {
    let (base, mock) = serve(|n, _| match n {
        0 => Reply::json(200, json!({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})),
        _ => Reply::json(401, json!({"error": {"message": "Incorrect API key provided"}})),
    })
    .await;
    let client = openai(&base);
    assert_eq!(client.check().await, Ok(()));
    assert_eq!(
        client.check().await,
        Err(ProviderError::Refused { status: 401, message: "Incorrect API key provided".into() })
    );
    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!((&seen[0].method, seen[0].path.as_str()), (&Method::GET, "/v1/models"));
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer sk-test"));
}

#[tokio::test]
async fn clients_without_a_key_call_nothing() {
    let (base, mock) = serve(|_, _| chat_success()).await;
    let openai = OpenAiClient::new(http(), base.as_str(), " ", policy());
    assert!(matches!(openai.complete(&chat(true)).await, Err(ProviderError::NotConfigured(_))));
    assert!(matches!(openai.check().await, Err(ProviderError::NotConfigured(_))));
    let runware = RunwareClient::new(http(), base.as_str(), "", policy());
    assert!(matches!(
        runware.generate(&image("m", 512, 512, "standard", None)).await,
        Err(ProviderError::NotConfigured(_))
    ));
    assert!(matches!(runware.check().await, Err(ProviderError::NotConfigured(_))));
    assert!(mock.seen().is_empty());
}

/// Runware's answer to an imageInference task, for the taskUUID it was sent.
fn runware_result(request: &Value, image: &[u8]) -> Reply {
    let task_uuid = request[1]["taskUUID"].as_str().unwrap_or_default();
    Reply::json(
        200,
        json!({"data": [{
            "taskType": "imageInference",
            "taskUUID": task_uuid,
            "imageUUID": "77da2d99-a6d3-44d9-b8c0-ae9fb06b6200",
            "imageBase64Data": b64(image),
            "seed": 12345,
            "cost": 0.0013
        }]}),
    )
}

fn assert_uuid_v4(text: &str) {
    let groups: Vec<&str> = text.split('-').collect();
    assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{text}");
    assert!(groups[2].starts_with('4') && text.chars().all(|c| c == '-' || c.is_ascii_hexdigit()), "{text}");
}

#[tokio::test]
async fn runware_sends_the_documented_tasks_and_reads_the_image() {
    let png = png().await;
    let sent = png.clone();
    let (base, mock) = serve(move |_, request| runware_result(request, &sent)).await;
    let client = runware(&base);
    assert_eq!(client.name(), "runware");
    let made = client.generate(&image("runware:101@1", 1000, 700, "hd", Some("photographic"))).await;
    assert_eq!(
        made,
        Ok(GeneratedImage {
            bytes: png,
            content_type: "image/png".into(),
            model: "runware:101@1".into(),
            cost_usd: Some(0.0013)
        })
    );
    let seen = mock.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!((&seen[0].method, seen[0].path.as_str()), (&Method::POST, "/v1"));
    assert_eq!(seen[0].authorization, None, "the key travels in the authentication task");
    let mut tasks = seen[0].body.clone();
    let task_uuid = tasks[1].as_object_mut().unwrap().remove("taskUUID").unwrap();
    assert_uuid_v4(task_uuid.as_str().unwrap());
    assert_eq!(
        tasks,
        json!([
            {"taskType": "authentication", "apiKey": "rw-test"},
            {
                "taskType": "imageInference",
                "positivePrompt": "A tidy desk with a laptop, morning light",
                "width": 1024,
                "height": 704,
                "model": "runware:101@1",
                "numberResults": 1,
                "outputType": "base64Data",
                "outputFormat": "PNG",
                "includeCost": true
            }
        ])
    );
}

#[tokio::test]
async fn runware_retries_with_a_fresh_task_uuid() {
    let png = png().await;
    let (base, mock) = serve(move |n, request| match n {
        0 => Reply::json(503, json!({"errors": [{"code": "serviceUnavailable", "message": "Try again"}]})),
        _ => runware_result(request, &png),
    })
    .await;
    let made = runware(&base).generate(&image("runware:101@1", 512, 512, "standard", None)).await.unwrap();
    assert_eq!(made.cost_usd, Some(0.0013));
    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    assert_ne!(seen[0].body[1]["taskUUID"], seen[1].body[1]["taskUUID"]);
}

#[tokio::test]
async fn runware_errors_are_refusals_or_server_errors() {
    let (base, mock) = serve(|n, _| match n {
        0 => Reply::json(
            200,
            json!({"errors": [{"code": "invalidApiKey", "message": "Invalid API key", "parameter": "apiKey", "taskType": "authentication"}]}),
        ),
        1 => Reply::json(400, json!({"errors": [{"code": "invalidWidth", "message": "Width must be a multiple of 64"}]})),
        _ => Reply::json(500, json!({"errors": [{"code": "internal", "message": "Inference failed"}]})),
    })
    .await;
    let client = runware(&base);
    let request = image("runware:101@1", 512, 512, "standard", None);
    assert_eq!(
        client.generate(&request).await,
        Err(ProviderError::Refused { status: 200, message: "Invalid API key".into() })
    );
    assert_eq!(mock.seen().len(), 1);
    assert_eq!(
        client.generate(&request).await,
        Err(ProviderError::Refused { status: 400, message: "Width must be a multiple of 64".into() })
    );
    assert_eq!(mock.seen().len(), 2);
    assert_eq!(
        client.generate(&request).await,
        Err(ProviderError::Server { status: 500, message: "Inference failed".into() })
    );
    assert_eq!(mock.seen().len(), 5);
}

#[tokio::test]
async fn runware_answers_for_another_task_or_without_an_image_are_malformed() {
    let (base, _mock) = serve(|n, request| match n {
        0 => {
            let mut reply = runware_result(request, b"\x89PNG\r\n\x1a\n");
            reply.body =
                reply.body.replace(request[1]["taskUUID"].as_str().unwrap(), "00000000-0000-4000-8000-000000000000");
            reply
        }
        1 => Reply::json(
            200,
            json!({"data": [{"taskType": "imageInference", "taskUUID": request[1]["taskUUID"], "cost": 0.01}]}),
        ),
        _ => Reply::raw(200, "<html>gateway</html>"),
    })
    .await;
    let client = runware(&base);
    let request = image("runware:101@1", 512, 512, "standard", None);
    for expected in ["no imageInference result", "no imageBase64Data", "not JSON"] {
        let result = client.generate(&request).await;
        assert!(matches!(&result, Err(ProviderError::Malformed(m)) if m.contains(expected)), "{result:?}");
    }
}

#[tokio::test]
async fn runware_check_sends_only_the_authentication_task() {
    let (base, mock) = serve(|n, _| match n {
        0 => Reply::json(
            200,
            json!({"data": [{"taskType": "authentication", "connectionSessionUUID": "f40c2aeb-f8a7-4af7-a1ab-7594c9bf778f"}]}),
        ),
        _ => Reply::json(200, json!({"errors": [{"code": "invalidApiKey", "message": "Invalid API key"}]})),
    })
    .await;
    let client = runware(&base);
    assert_eq!(client.check().await, Ok(()));
    assert_eq!(client.check().await, Err(ProviderError::Refused { status: 200, message: "Invalid API key".into() }));
    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].path, "/v1");
    assert_eq!(seen[0].body, json!([{"taskType": "authentication", "apiKey": "rw-test"}]));
}
