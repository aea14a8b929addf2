//! AI providers behind two traits: one for text (chat completions) and one for images.
//!
//! - [`offline`]: deterministic, no network; the local default. Its answers are drafts
//!   the AI function prepared itself (templates, the built-in clustering), passed in the
//!   request, so they go through exactly the parsing and validation a real model's
//!   answer does. It is labelled `offline` wherever a provider or model is shown.
//! - [`openai`]: OpenAI chat completions and image generations, at any OpenAI-compatible
//!   base URL.
//! - [`runware`]: Runware image inference.
//!
//! Every HTTP provider call has a timeout and is retried with backoff on 429 and 5xx
//! ([`retry`]), honouring `Retry-After`.

pub mod image_options;
pub mod offline;
pub mod openai;
pub mod retry;
pub mod runware;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Self { role: "system".into(), content: content.into() }
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self { role: "user".into(), content: content.into() }
    }
}

/// A request for text.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    pub temperature: f32,
    pub max_tokens: u32,
    /// The answer's shape, asked for as a JSON schema (strict) where the endpoint takes
    /// one, else as a JSON object; the answer is validated against the same shape after.
    pub schema: Option<AnswerSchema>,
    /// What the offline provider answers: the function's own deterministic draft, in
    /// the same format a model is asked for. Ignored by network providers.
    pub offline_draft: Option<String>,
}

/// A named JSON schema for a structured answer (`response_format: json_schema`).
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerSchema {
    pub name: &'static str,
    pub schema: serde_json::Value,
}

/// A text answer and what it cost in tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatAnswer {
    pub text: String,
    pub model: String,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// Whether the provider reported token counts (without them the cost is unknown).
    pub usage_reported: bool,
}

/// A request for one image.
#[derive(Debug, Clone)]
pub struct ImageRequest {
    pub prompt: String,
    pub model: String,
    pub width: u32,
    pub height: u32,
    /// `standard` or `hd`.
    pub quality: String,
    /// e.g. `natural`, `vivid`, `photographic`; providers that know none ignore it.
    pub style: Option<String>,
}

/// Image bytes as the provider made them.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedImage {
    pub bytes: Vec<u8>,
    /// MIME type, e.g. `image/png`.
    pub content_type: String,
    pub model: String,
    /// What the provider reports or its price list says, in US dollars; None when
    /// neither knows (a model without a price).
    pub cost_usd: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// 429 after the retries were used up.
    #[error("rate limited by the provider")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx after the retries were used up.
    #[error("provider error {status}: {message}")]
    Server { status: u16, message: String },
    /// 4xx other than 429: bad key, bad model, bad request. Not retried.
    #[error("provider refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("provider did not answer within {0:?}")]
    Timeout(Duration),
    #[error("could not reach the provider: {0}")]
    Transport(String),
    /// The provider answered 2xx with something that is not its documented format.
    #[error("malformed provider answer: {0}")]
    Malformed(String),
    /// The provider is not configured (e.g. no API key).
    #[error("{0}")]
    NotConfigured(String),
    /// The answer stopped at the token limit (`finish_reason: length`).
    #[error("the answer was cut off at the token limit ({max_tokens} tokens); raise max tokens in the AI settings")]
    Truncated { max_tokens: u32 },
}

impl ProviderError {
    /// Whether trying the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ProviderError::RateLimited { .. }
                | ProviderError::Server { .. }
                | ProviderError::Timeout(_)
                | ProviderError::Transport(_)
        )
    }
}

#[async_trait]
pub trait TextProvider: Send + Sync {
    /// `offline` or `openai`: shown on jobs and usage records.
    fn name(&self) -> &'static str;
    async fn complete(&self, request: &ChatRequest) -> Result<ChatAnswer, ProviderError>;
}

#[async_trait]
pub trait ImageProvider: Send + Sync {
    /// `offline`, `openai` or `runware`.
    fn name(&self) -> &'static str;
    async fn generate(&self, request: &ImageRequest) -> Result<GeneratedImage, ProviderError>;
}

/// Where and how an HTTP provider is called (shared by the OpenAI and Runware clients).
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) http: reqwest::Client,
    /// Without a trailing slash.
    pub(crate) base_url: String,
    pub(crate) api_key: String,
    pub(crate) policy: CallPolicy,
}

impl Endpoint {
    pub(crate) fn new(
        http: reqwest::Client,
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        policy: CallPolicy,
    ) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Self { http, base_url, api_key: api_key.into(), policy }
    }
}

/// Without the key: clients end up in logs through the structs that hold them.
impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("policy", &self.policy)
            .finish()
    }
}

/// Timeouts and retries of the HTTP providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallPolicy {
    /// Per attempt.
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// First backoff; doubled each retry (with jitter), unless `Retry-After` says otherwise.
    pub backoff: Duration,
    /// No single wait is longer, whatever `Retry-After` says.
    pub max_backoff: Duration,
}

impl CallPolicy {
    /// The longest one call can take: every attempt timing out, every wait at its longest.
    pub fn worst_case(&self) -> Duration {
        self.timeout * (self.retries + 1) + self.max_backoff * self.retries
    }
}

impl Default for CallPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
        }
    }
}
