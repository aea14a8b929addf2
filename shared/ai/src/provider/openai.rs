//! OpenAI chat completions and image generations, at OpenAI or any OpenAI-compatible
//! base URL.

use async_trait::async_trait;
use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use super::retry::{send, with_retries};
use super::{
    CallPolicy, ChatAnswer, ChatRequest, Endpoint, GeneratedImage, ImageProvider, ImageRequest, Message, ProviderError,
    TextProvider,
};

pub const NAME: &str = "openai";
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

#[derive(Clone, Debug)]
pub struct OpenAiClient {
    endpoint: Endpoint,
}

impl OpenAiClient {
    pub fn new(
        http: reqwest::Client,
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        policy: CallPolicy,
    ) -> Self {
        Self { endpoint: Endpoint::new(http, base_url, api_key, policy) }
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
    temperature: f32,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<ResponseFormat>,
}

#[derive(Serialize)]
struct ResponseFormat {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[async_trait]
impl TextProvider for OpenAiClient {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatAnswer, ProviderError> {
        let body = ChatBody {
            model: &request.model,
            messages: &request.messages,
            temperature: request.temperature,
            max_tokens: request.max_tokens,
            response_format: request.json.then_some(ResponseFormat { kind: "json_object" }),
        };
        let answer = self.post("chat/completions", &body).await?;
        chat_answer(&answer, &request.model)
    }
}

fn chat_answer(answer: &Value, asked_model: &str) -> Result<ChatAnswer, ProviderError> {
    let message = answer.pointer("/choices/0/message");
    let Some(text) = message.and_then(|m| m.get("content")).and_then(Value::as_str) else {
        // A safety refusal comes as `refusal` with a null content: worth showing as is.
        let refusal = message.and_then(|m| m.get("refusal")).and_then(Value::as_str);
        return Err(ProviderError::Malformed(match refusal {
            Some(refusal) => format!("the model refused: {refusal}"),
            None => "no choices[0].message.content in the answer".into(),
        }));
    };
    let tokens = |field: &str| answer.pointer(&format!("/usage/{field}")).and_then(Value::as_u64).unwrap_or(0);
    Ok(ChatAnswer {
        text: text.to_string(),
        model: answer.get("model").and_then(Value::as_str).unwrap_or(asked_model).to_string(),
        tokens_in: tokens("prompt_tokens"),
        tokens_out: tokens("completion_tokens"),
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
            cost_usd: image_price(&request.model, &request.quality),
        })
    }
}

/// US dollars for one 1024×1024 image, from OpenAI's price list; `quality` as the request
/// names it (`standard`/`hd`, or the GPT image models' `medium`/`high`). Models not listed
/// (other OpenAI-compatible servers) cost 0.0: the real figure is on their bill, not here.
/// Larger sizes cost more on dall-e-3 and gpt-image-1; the square price is recorded for all.
pub fn image_price(model: &str, quality: &str) -> f64 {
    let hd = matches!(quality, "hd" | "high");
    match model {
        "dall-e-3" if hd => 0.08,
        "dall-e-3" => 0.04,
        "dall-e-2" => 0.02,
        "gpt-image-1" if hd => 0.17,
        "gpt-image-1" => 0.04,
        _ => 0.0,
    }
}

/// Decodes a base64 image and tells its type from its first bytes, since providers
/// answer with whatever format the model made, whatever was asked.
pub(crate) fn decode_image(encoded: &str) -> Result<(Vec<u8>, &'static str), ProviderError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|e| ProviderError::Malformed(format!("image is not valid base64: {e}")))?;
    let content_type = image_content_type(&bytes)
        .ok_or_else(|| ProviderError::Malformed("image is not a PNG, JPEG or WebP".into()))?;
    Ok((bytes, content_type))
}

pub(crate) fn image_content_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', ..] => Some("image/png"),
        [0xff, 0xd8, 0xff, ..] => Some("image/jpeg"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_follow_the_table() {
        assert_eq!(image_price("dall-e-3", "standard"), 0.04);
        assert_eq!(image_price("dall-e-3", "hd"), 0.08);
        assert_eq!(image_price("dall-e-2", "hd"), 0.02);
        assert_eq!(image_price("gpt-image-1", "standard"), 0.04);
        assert_eq!(image_price("gpt-image-1", "hd"), 0.17);
        assert_eq!(image_price("some-local-model", "hd"), 0.0);
    }

    #[test]
    fn image_types_come_from_magic_bytes() {
        assert_eq!(image_content_type(b"\x89PNG\r\n\x1a\n rest"), Some("image/png"));
        assert_eq!(image_content_type(b"\xff\xd8\xff\xe0 rest"), Some("image/jpeg"));
        assert_eq!(image_content_type(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_content_type(b"RIFF\x10\0\0\0WAVE"), None);
        assert_eq!(image_content_type(b"<html>"), None);
        assert_eq!(image_content_type(b""), None);
        assert!(matches!(decode_image("not base64!"), Err(ProviderError::Malformed(_))));
        assert!(matches!(decode_image("PGh0bWw+"), Err(ProviderError::Malformed(_))));
    }

    #[test]
    fn chat_answers_without_usage_or_model_still_read() {
        let answer = serde_json::json!({"choices": [{"message": {"role": "assistant", "content": "hi"}}]});
        assert_eq!(
            chat_answer(&answer, "gpt-4o-mini"),
            Ok(ChatAnswer { text: "hi".into(), model: "gpt-4o-mini".into(), tokens_in: 0, tokens_out: 0 })
        );
        let refused = serde_json::json!({"choices": [{"message": {"content": null, "refusal": "I can't"}}]});
        assert_eq!(chat_answer(&refused, "m"), Err(ProviderError::Malformed("the model refused: I can't".into())));
        for bad in [serde_json::json!({}), serde_json::json!({"choices": []}), serde_json::json!([1])] {
            assert!(matches!(chat_answer(&bad, "m"), Err(ProviderError::Malformed(_))), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let client = OpenAiClient::new(reqwest::Client::new(), "http://x/v1/", "sk-secret", CallPolicy::default());
        let shown = format!("{client:?}");
        assert!(!shown.contains("sk-secret") && shown.contains("http://x/v1\""), "{shown}");
    }
}
