//! Runware image inference over its HTTP API: one `POST` of a JSON array of tasks to the
//! base URL, answered by `{"data":[..]}` or `{"errors":[..]}`.
//!
//! The key travels as an `authentication` task at the head of the array, one of the two
//! ways Runware documents for HTTP (the other is a Bearer header). It is also the only
//! way to ask "is this key good?" without generating anything, which `check` needs, so
//! both calls use it.

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

use super::openai::decode_image;
use super::retry::{error_message, send, with_retries};
use super::{CallPolicy, Endpoint, GeneratedImage, ImageProvider, ImageRequest, ProviderError};

pub const NAME: &str = "runware";
pub const DEFAULT_BASE_URL: &str = "https://api.runware.ai/v1";

/// Runware takes sides in multiples of 64 within these bounds.
pub(crate) const SIDE_STEP: u32 = 64;
pub(crate) const MIN_SIDE: u32 = 128;
pub(crate) const MAX_SIDE: u32 = 2048;

#[derive(Clone, Debug)]
pub struct RunwareClient {
    endpoint: Endpoint,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Authentication<'a> {
    task_type: &'static str,
    api_key: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageInference<'a> {
    task_type: &'static str,
    #[serde(rename = "taskUUID")]
    task_uuid: String,
    positive_prompt: &'a str,
    width: u32,
    height: u32,
    model: &'a str,
    number_results: u32,
    output_type: &'static str,
    output_format: &'static str,
    include_cost: bool,
}

impl RunwareClient {
    pub fn new(
        http: reqwest::Client,
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        policy: CallPolicy,
    ) -> Self {
        Self { endpoint: Endpoint::new(http, base_url, api_key, policy) }
    }

    /// Whether the base URL answers and accepts the key: the authentication task alone.
    pub async fn check(&self) -> Result<(), ProviderError> {
        let tasks = [self.authentication()?];
        let text =
            with_retries(&self.endpoint.policy, || send(self.endpoint.http.post(&self.endpoint.base_url).json(&tasks)))
                .await?;
        let answer = parse(&text)?;
        refused(&answer, &text).map_or(Ok(()), Err)
    }

    fn authentication(&self) -> Result<Authentication<'_>, ProviderError> {
        if self.endpoint.api_key.trim().is_empty() {
            return Err(ProviderError::NotConfigured("no Runware API key is set".into()));
        }
        Ok(Authentication { task_type: "authentication", api_key: &self.endpoint.api_key })
    }
}

#[async_trait]
impl ImageProvider for RunwareClient {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn generate(&self, request: &ImageRequest) -> Result<GeneratedImage, ProviderError> {
        let authentication = self.authentication()?;
        let (task_uuid, text) = with_retries(&self.endpoint.policy, || {
            // A fresh taskUUID per attempt: Runware wants each task sent to be unique, and
            // an attempt that timed out on our side may still have reached it.
            let inference = ImageInference {
                task_type: "imageInference",
                task_uuid: task_uuid(),
                positive_prompt: &request.prompt,
                width: side(request.width),
                height: side(request.height),
                model: &request.model,
                number_results: 1,
                output_type: "base64Data",
                output_format: "PNG",
                include_cost: true,
            };
            let call = send(self.endpoint.http.post(&self.endpoint.base_url).json(&(&authentication, &inference)));
            async move { call.await.map(|text| (inference.task_uuid, text)) }
        })
        .await?;
        let answer = parse(&text)?;
        if let Some(error) = refused(&answer, &text) {
            return Err(error);
        }
        let result = answer
            .get("data")
            .and_then(Value::as_array)
            .and_then(|data| {
                data.iter().find(|item| {
                    item.get("taskType").and_then(Value::as_str) == Some("imageInference")
                        && item
                            .get("taskUUID")
                            .and_then(Value::as_str)
                            .is_some_and(|u| u.eq_ignore_ascii_case(&task_uuid))
                })
            })
            .ok_or_else(|| ProviderError::Malformed("no imageInference result for the task in the answer".into()))?;
        let encoded = result
            .get("imageBase64Data")
            .and_then(Value::as_str)
            .ok_or_else(|| ProviderError::Malformed("no imageBase64Data in the result".into()))?;
        let (bytes, content_type) = decode_image(encoded)?;
        Ok(GeneratedImage {
            bytes,
            content_type: content_type.into(),
            model: request.model.clone(),
            // Runware reports the cost when asked (`includeCost`); without it, our table.
            cost_usd: result
                .get("cost")
                .and_then(Value::as_f64)
                .or_else(|| crate::pricing::image_price(&request.model, &request.quality)),
        })
    }
}

fn parse(text: &str) -> Result<Value, ProviderError> {
    serde_json::from_str(text).map_err(|e| ProviderError::Malformed(format!("answer is not JSON: {e}")))
}

/// Runware may answer 200 and still refuse: errors come in place of `data`, with no
/// status to tell them by, and they concern this request (bad key, bad parameter).
fn refused(answer: &Value, text: &str) -> Option<ProviderError> {
    let has_errors = answer.get("errors").and_then(Value::as_array).is_some_and(|e| !e.is_empty())
        || answer.get("error").is_some_and(|e| !e.is_null());
    has_errors.then(|| ProviderError::Refused { status: 200, message: error_message(text) })
}

/// The nearest side Runware accepts.
fn side(pixels: u32) -> u32 {
    (pixels.saturating_add(SIDE_STEP / 2) / SIDE_STEP * SIDE_STEP).clamp(MIN_SIDE, MAX_SIDE)
}

/// A random UUID v4, the form Runware asks for.
fn task_uuid() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = format!("{:032x}", u128::from_be_bytes(bytes));
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_round_to_the_nearest_accepted() {
        let cases =
            [(0, 128), (100, 128), (1000, 1024), (1023, 1024), (700, 704), (736, 768), (1792, 1792), (4096, 2048)];
        for (asked, sent) in cases {
            assert_eq!(side(asked), sent, "{asked}");
        }
        assert_eq!(side(u32::MAX), 2048);
    }

    #[test]
    fn task_uuids_are_random_v4() {
        let (a, b) = (task_uuid(), task_uuid());
        assert_ne!(a, b);
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert!(groups[2].starts_with('4'));
        assert!(groups[3].starts_with(['8', '9', 'a', 'b']));
    }

    #[test]
    fn errors_in_a_200_are_refusals() {
        let text = r#"{"errors":[{"code":"invalidApiKey","message":"Invalid API key"}]}"#;
        let answer = parse(text).unwrap();
        assert_eq!(
            refused(&answer, text),
            Some(ProviderError::Refused { status: 200, message: "Invalid API key".into() })
        );
        let fine = r#"{"data":[{"taskType":"authentication"}]}"#;
        assert_eq!(refused(&parse(fine).unwrap(), fine), None);
        assert_eq!(refused(&parse(r#"{"errors":[]}"#).unwrap(), "{}"), None);
    }
}
