//! OpenAI chat completions and image generations, at OpenAI or any OpenAI-compatible
//! base URL.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine as _;
use igny8_store::{AnswerFormat, ModelQuirks, TokenParam};
use serde::Serialize;
use serde_json::{Value, json};

use super::retry::{send, with_retries};
use super::{
    CallPolicy, ChatAnswer, ChatRequest, Endpoint, GeneratedImage, ImageProvider, ImageRequest, Message, ProviderError,
    TextProvider,
};

pub const NAME: &str = "openai";
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

#[derive(Clone)]
pub struct OpenAiClient {
    endpoint: Endpoint,
    /// What each model at this endpoint takes, as far as known.
    quirks: Arc<Mutex<BTreeMap<String, ModelQuirks>>>,
    memory: Option<Arc<dyn QuirkMemory>>,
}

impl std::fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiClient").field("endpoint", &self.endpoint).finish()
    }
}

impl OpenAiClient {
    pub fn new(
        http: reqwest::Client,
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        policy: CallPolicy,
    ) -> Self {
        Self { endpoint: Endpoint::new(http, base_url, api_key, policy), quirks: Arc::default(), memory: None }
    }

    /// Starts from what is known of the endpoint's models, and reports what it learns.
    pub fn with_quirks(mut self, known: BTreeMap<String, ModelQuirks>, memory: Option<Arc<dyn QuirkMemory>>) -> Self {
        self.quirks = Arc::new(Mutex::new(known));
        self.memory = memory;
        self
    }

    /// The model ids the endpoint offers (`GET /models`), sorted.
    pub async fn models(&self) -> Result<Vec<String>, ProviderError> {
        self.configured()?;
        let url = self.url("models");
        let text = with_retries(&self.endpoint.policy, || {
            send(self.endpoint.http.get(&url).bearer_auth(&self.endpoint.api_key))
        })
        .await?;
        let answer: Value =
            serde_json::from_str(&text).map_err(|e| ProviderError::Malformed(format!("answer is not JSON: {e}")))?;
        let mut ids: Vec<String> = answer["data"]
            .as_array()
            .ok_or_else(|| ProviderError::Malformed("no data list in the models answer".into()))?
            .iter()
            .filter_map(|m| m["id"].as_str().map(str::to_owned))
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Whether the base URL answers and accepts the key: `GET /models`, the cheapest
    /// authenticated call OpenAI-compatible servers have.
    pub async fn check(&self) -> Result<(), ProviderError> {
        self.configured()?;
        let url = self.url("models");
        with_retries(&self.endpoint.policy, || send(self.endpoint.http.get(&url).bearer_auth(&self.endpoint.api_key)))
            .await
            .map(|_| ())
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.endpoint.base_url)
    }

    fn configured(&self) -> Result<(), ProviderError> {
        if self.endpoint.api_key.trim().is_empty() {
            return Err(ProviderError::NotConfigured("no OpenAI API key is set".into()));
        }
        Ok(())
    }

    async fn post(&self, path: &str, body: &(impl Serialize + Sync)) -> Result<Value, ProviderError> {
        self.configured()?;
        let url = self.url(path);
        let text = with_retries(&self.endpoint.policy, || {
            send(self.endpoint.http.post(&url).bearer_auth(&self.endpoint.api_key).json(body))
        })
        .await?;
        serde_json::from_str(&text).map_err(|e| ProviderError::Malformed(format!("answer is not JSON: {e}")))
    }
}

// Typed bodies rather than `json!`: a `json!` value widens the f32 temperature to f64 and
// sends 0.20000000298023224 for 0.2.
#[derive(Serialize)]
struct ChatBody<'a> {
    model: &'a str,
    messages: &'a [Message],
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<Value>,
}

/// OpenAI's reasoning models (the GPT-5 family, the o-series) take only the default
/// temperature.
pub fn takes_temperature(model: &str) -> bool {
    let m = model.rsplit('/').next().unwrap_or(model);
    !(m.starts_with("gpt-5") || m.starts_with("o1") || m.starts_with("o3") || m.starts_with("o4"))
}

/// What to send a model first, before the endpoint has told us otherwise.
pub fn default_quirks(model: &str) -> ModelQuirks {
    ModelQuirks {
        // OpenAI's current name, which every OpenAI model accepts.
        token_param: TokenParam::MaxCompletionTokens,
        temperature: takes_temperature(model),
        answer_format: AnswerFormat::JsonSchema,
    }
}

/// Changes `quirks` after a 400 that names a parameter the endpoint does not take, once
/// per parameter (`tried` remembers): the other token-limit name, no temperature, a
/// plainer answer format. False when there is nothing (more) to change.
fn adapt(quirks: &mut ModelQuirks, tried: &mut Vec<&'static str>, message: &str) -> bool {
    let m = message.to_lowercase();
    let refuses = [
        "unsupported",
        "not supported",
        "unrecognized",
        "unknown",
        "not permitted",
        "invalid",
        "does not support",
        "extra",
    ]
    .iter()
    .any(|w| m.contains(w));
    if !refuses {
        return false;
    }
    let mut once = |what: &'static str| {
        if tried.contains(&what) {
            false
        } else {
            tried.push(what);
            true
        }
    };
    let sent_tokens = match quirks.token_param {
        TokenParam::MaxCompletionTokens => "max_completion_tokens",
        TokenParam::MaxTokens => "max_tokens",
    };
    // OpenAI's refusal of one token-limit name suggests the other: look for the one sent.
    if mentions(&m, sent_tokens) && once("tokens") {
        quirks.token_param = match quirks.token_param {
            TokenParam::MaxCompletionTokens => TokenParam::MaxTokens,
            TokenParam::MaxTokens => TokenParam::MaxCompletionTokens,
        };
        return true;
    }
    if quirks.temperature && mentions(&m, "temperature") && once("temperature") {
        quirks.temperature = false;
        return true;
    }
    let format_named =
        ["response_format", "json_schema", "json_object", "structured output"].iter().any(|p| m.contains(p));
    if format_named && quirks.answer_format != AnswerFormat::Text && once(format_step(quirks.answer_format)) {
        quirks.answer_format = match quirks.answer_format {
            AnswerFormat::JsonSchema => AnswerFormat::JsonObject,
            _ => AnswerFormat::Text,
        };
        return true;
    }
    false
}

fn format_step(format: AnswerFormat) -> &'static str {
    match format {
        AnswerFormat::JsonSchema => "json_schema",
        AnswerFormat::JsonObject => "json_object",
        AnswerFormat::Text => "text",
    }
}

/// Whether `message` names `param` as a word (so `max_tokens` is not found inside
/// `max_completion_tokens`).
fn mentions(message: &str, param: &str) -> bool {
    message.match_indices(param).any(|(at, _)| {
        let before = message[..at].chars().next_back();
        let after = message[at + param.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

/// Where a client reports what it learned about a model, to be remembered for the
/// account's endpoint.
pub trait QuirkMemory: Send + Sync {
    fn remember(&self, model: &str, quirks: ModelQuirks) -> futures::future::BoxFuture<'static, ()>;
}

impl OpenAiClient {
    /// The parameters this client sends `model`: learned ones, else the defaults.
    fn quirks(&self, model: &str) -> ModelQuirks {
        let known = self.quirks.lock().unwrap_or_else(|p| p.into_inner());
        known.get(model).copied().unwrap_or_else(|| default_quirks(model))
    }

    fn learn(&self, model: &str, quirks: ModelQuirks) -> Option<futures::future::BoxFuture<'static, ()>> {
        self.quirks.lock().unwrap_or_else(|p| p.into_inner()).insert(model.to_owned(), quirks);
        self.memory.as_ref().map(|memory| memory.remember(model, quirks))
    }
}

fn chat_body<'a>(request: &'a ChatRequest, quirks: ModelQuirks) -> ChatBody<'a> {
    let (max_completion_tokens, max_tokens) = match quirks.token_param {
        TokenParam::MaxCompletionTokens => (Some(request.max_tokens), None),
        TokenParam::MaxTokens => (None, Some(request.max_tokens)),
    };
    let response_format = request.schema.as_ref().and_then(|schema| match quirks.answer_format {
        AnswerFormat::JsonSchema => Some(json!({
            "type": "json_schema",
            "json_schema": {"name": schema.name, "strict": true, "schema": schema.schema},
        })),
        AnswerFormat::JsonObject => Some(json!({"type": "json_object"})),
        AnswerFormat::Text => None,
    });
    ChatBody {
        model: &request.model,
        messages: &request.messages,
        temperature: quirks.temperature.then_some(request.temperature),
        max_completion_tokens,
        max_tokens,
        response_format,
    }
}

#[async_trait]
impl TextProvider for OpenAiClient {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Sends what the model takes; a 400 naming a parameter the endpoint refuses is
    /// answered by one retry without it (at most once per parameter, so never a loop),
    /// and what worked is remembered.
    async fn complete(&self, request: &ChatRequest) -> Result<ChatAnswer, ProviderError> {
        let first = self.quirks(&request.model);
        let mut quirks = first;
        let mut tried = Vec::new();
        loop {
            match self.post("chat/completions", &chat_body(request, quirks)).await {
                Ok(answer) => {
                    if quirks != first
                        && let Some(remember) = self.learn(&request.model, quirks)
                    {
                        remember.await;
                    }
                    return chat_answer(&answer, &request.model, request.max_tokens);
                }
                Err(ProviderError::Refused { status: 400, message }) => {
                    if !adapt(&mut quirks, &mut tried, &message) {
                        return Err(ProviderError::Refused { status: 400, message });
                    }
                    tracing::info!(model = %request.model, ?quirks, "the endpoint refused a parameter; trying without it");
                }
                Err(e) => return Err(e),
            }
        }
    }
}

fn chat_answer(answer: &Value, asked_model: &str, max_tokens: u32) -> Result<ChatAnswer, ProviderError> {
    let choice = answer.pointer("/choices/0");
    if choice.and_then(|c| c.get("finish_reason")).and_then(Value::as_str) == Some("length") {
        return Err(ProviderError::Truncated { max_tokens });
    }
    let message = choice.and_then(|c| c.get("message"));
    let Some(text) = message.and_then(|m| m.get("content")).and_then(Value::as_str) else {
        // A safety refusal comes as `refusal` with a null content: worth showing as is.
        let refusal = message.and_then(|m| m.get("refusal")).and_then(Value::as_str);
        return Err(ProviderError::Malformed(match refusal {
            Some(refusal) => format!("the model refused: {refusal}"),
            None => "no choices[0].message.content in the answer".into(),
        }));
    };
    let usage = answer.get("usage").filter(|u| u.is_object());
    let tokens = |field: &str| usage.and_then(|u| u.get(field)).and_then(Value::as_u64).unwrap_or(0);
    Ok(ChatAnswer {
        text: text.to_string(),
        model: answer.get("model").and_then(Value::as_str).unwrap_or(asked_model).to_string(),
        tokens_in: tokens("prompt_tokens"),
        tokens_out: tokens("completion_tokens"),
        usage_reported: usage.is_some_and(|u| u.get("prompt_tokens").is_some()),
    })
}

#[derive(Serialize)]
struct ImageBody<'a> {
    model: &'a str,
    prompt: &'a str,
    n: u32,
    size: String,
    quality: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    style: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<&'static str>,
}

impl<'a> ImageBody<'a> {
    /// The GPT image models always answer base64, reject `response_format` and `style`, and
    /// name their qualities `medium`/`high`; dall-e-2 has only `standard` and no style.
    /// Unknown models (other OpenAI-compatible servers) get the dall-e-3 parameters.
    fn new(request: &'a ImageRequest) -> Self {
        let model = request.model.as_str();
        let gpt_image = model.starts_with("gpt-image");
        let quality = match (model, request.quality.as_str()) {
            ("dall-e-2", _) => "standard",
            (_, "standard") if gpt_image => "medium",
            (_, "hd") if gpt_image => "high",
            (_, quality) => quality,
        };
        let takes_style = !gpt_image && model != "dall-e-2";
        Self {
            model,
            prompt: &request.prompt,
            n: 1,
            size: format!("{}x{}", request.width, request.height),
            quality,
            style: request.style.as_deref().filter(|_| takes_style),
            response_format: (!gpt_image).then_some("b64_json"),
        }
    }
}

#[async_trait]
impl ImageProvider for OpenAiClient {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn generate(&self, request: &ImageRequest) -> Result<GeneratedImage, ProviderError> {
        let answer = self.post("images/generations", &ImageBody::new(request)).await?;
        let encoded = answer
            .pointer("/data/0/b64_json")
            .and_then(Value::as_str)
            .ok_or_else(|| ProviderError::Malformed("no data[0].b64_json in the answer".into()))?;
        let (bytes, content_type) = decode_image(encoded)?;
        Ok(GeneratedImage {
            bytes,
            content_type: content_type.into(),
            model: request.model.clone(),
            cost_usd: crate::pricing::image_price(&request.model, &request.quality),
        })
    }
}

/// Decodes a base64 image and tells its type from its first bytes, since providers
/// answer with whatever format the model made, whatever was asked.
pub(crate) fn decode_image(encoded: &str) -> Result<(Vec<u8>, &'static str), ProviderError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|e| ProviderError::Malformed(format!("image is not valid base64: {e}")))?;
    let content_type = igny8_media::image_type(&bytes)
        .ok_or_else(|| ProviderError::Malformed("image is not a PNG, JPEG, WebP or GIF".into()))?;
    Ok((bytes, content_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_that_are_not_images_are_malformed() {
        assert!(matches!(decode_image("not base64!"), Err(ProviderError::Malformed(_))));
        assert!(matches!(decode_image("PGh0bWw+"), Err(ProviderError::Malformed(_))));
    }

    #[test]
    fn chat_answers_without_usage_or_model_still_read() {
        let answer = serde_json::json!({"choices": [{"message": {"role": "assistant", "content": "hi"}}]});
        assert_eq!(
            chat_answer(&answer, "gpt-4o-mini", 100),
            Ok(ChatAnswer {
                text: "hi".into(),
                model: "gpt-4o-mini".into(),
                tokens_in: 0,
                tokens_out: 0,
                usage_reported: false
            })
        );
        let refused = serde_json::json!({"choices": [{"message": {"content": null, "refusal": "I can't"}}]});
        assert_eq!(chat_answer(&refused, "m", 100), Err(ProviderError::Malformed("the model refused: I can't".into())));
        for bad in [serde_json::json!({}), serde_json::json!({"choices": []}), serde_json::json!([1])] {
            assert!(matches!(chat_answer(&bad, "m", 100), Err(ProviderError::Malformed(_))), "{bad}");
        }
        let cut = serde_json::json!({"choices": [{"message": {"content": "{\"a\":"}, "finish_reason": "length"}]});
        assert_eq!(chat_answer(&cut, "m", 100), Err(ProviderError::Truncated { max_tokens: 100 }));
    }

    #[test]
    fn parameters_follow_the_model_family() {
        assert!(!takes_temperature("gpt-5-mini") && !takes_temperature("o3-mini") && !takes_temperature("o1"));
        assert!(takes_temperature("gpt-4o-mini") && takes_temperature("llama3") && takes_temperature("gpt-4.1"));
        assert_eq!(default_quirks("gpt-5").token_param, TokenParam::MaxCompletionTokens);
    }

    #[test]
    fn refusals_naming_a_parameter_change_it_once() {
        let mut quirks = default_quirks("llama3");
        let mut tried = Vec::new();
        let tokens = "Unrecognized request argument supplied: max_completion_tokens";
        assert!(adapt(&mut quirks, &mut tried, tokens));
        assert_eq!(quirks.token_param, TokenParam::MaxTokens);
        // The other name refused too: back once more is not tried.
        assert!(!adapt(&mut quirks, &mut tried, "Unrecognized request argument supplied: max_tokens"));
        let temperature = "Unsupported value: 'temperature' does not support 0.2 with this model.";
        assert!(adapt(&mut quirks, &mut tried, temperature));
        assert!(!quirks.temperature);
        assert!(!adapt(&mut quirks, &mut tried, temperature), "never twice");
        assert!(adapt(&mut quirks, &mut tried, "response_format json_schema is not supported"));
        assert_eq!(quirks.answer_format, AnswerFormat::JsonObject);
        assert!(adapt(&mut quirks, &mut tried, "response_format is not supported"));
        assert_eq!(quirks.answer_format, AnswerFormat::Text);
        assert!(!adapt(&mut quirks, &mut tried, "response_format is not supported"));
        assert!(!adapt(
            &mut default_quirks("m"),
            &mut Vec::new(),
            "The model `x` does not exist or you do not have access"
        ));
    }

    #[test]
    fn max_tokens_is_not_found_inside_max_completion_tokens() {
        assert!(mentions("use 'max_completion_tokens' instead", "max_completion_tokens"));
        assert!(!mentions("use 'max_completion_tokens' instead", "max_tokens"));
        assert!(mentions("unsupported parameter: 'max_tokens'", "max_tokens"));
    }

    #[test]
    fn debug_hides_the_key() {
        let client = OpenAiClient::new(reqwest::Client::new(), "http://x/v1/", "sk-secret", CallPolicy::default());
        let shown = format!("{client:?}");
        assert!(!shown.contains("sk-secret") && shown.contains("http://x/v1\""), "{shown}");
    }
}
