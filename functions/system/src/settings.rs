//! The account's AI settings: text provider and model, temperature, token limit, and
//! how images are made. Built-in defaults until the account saves its own.

use axum::extract::State;
use igny8_ai::provider::{image_options, openai};
use igny8_http::openapi::Envelope;
use igny8_http::{ApiError, ApiResult, JsonBody, Success, not_blank, nullable};
use igny8_store::{AiSettings, now};
use igny8_tenancy::{Access, Tenancy, Tenant};

use crate::SystemState;
use crate::integrations::openai_client;
use serde::Deserialize;
use validator::{Validate, ValidationError};

pub const TEXT_PROVIDERS: [&str; 2] = ["offline", "openai"];
pub const IMAGE_PROVIDERS: [&str; 3] = ["offline", "openai", "runware"];
pub const IMAGE_QUALITIES: [&str; 2] = ["standard", "hd"];
const MIN_IMAGE_SIDE: u32 = 256;
const MAX_IMAGE_SIDE: u32 = 2048;

/// The fields to change; those not given keep their values.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct SettingsInput {
    #[validate(custom(function = "valid_text_provider"))]
    #[schema(examples("offline", "openai"))]
    text_provider: Option<String>,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    model: Option<String>,
    #[validate(range(min = 0.0, max = 2.0))]
    temperature: Option<f32>,
    #[validate(range(min = 1, max = 32000))]
    max_tokens: Option<u32>,
    #[validate(custom(function = "valid_image_provider"))]
    #[schema(examples("offline", "openai", "runware"))]
    image_provider: Option<String>,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    image_model: Option<String>,
    #[validate(custom(function = "valid_image_size"))]
    #[schema(examples("1024x1024"))]
    image_size: Option<String>,
    #[validate(custom(function = "valid_image_quality"))]
    #[schema(examples("standard", "hd"))]
    image_quality: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "valid_image_style"))]
    #[schema(value_type = Option<String>)]
    image_style: Option<Option<String>>,
}

fn one_of(value: &str, allowed: &[&str]) -> Result<(), ValidationError> {
    if allowed.contains(&value) {
        return Ok(());
    }
    let mut error = ValidationError::new("choice");
    error.message = Some(format!("Must be one of: {}.", allowed.join(", ")).into());
    Err(error)
}

fn valid_text_provider(value: &str) -> Result<(), ValidationError> {
    one_of(value, &TEXT_PROVIDERS)
}

fn valid_image_provider(value: &str) -> Result<(), ValidationError> {
    one_of(value, &IMAGE_PROVIDERS)
}

fn valid_image_quality(value: &str) -> Result<(), ValidationError> {
    one_of(value, &IMAGE_QUALITIES)
}

/// A style name such as `natural`, `vivid` or `photographic`; `null` for none.
fn valid_image_style(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() || value.chars().count() > 100 {
        let mut error = ValidationError::new("length");
        error.message = Some("Must be between 1 and 100 characters long (or null for none).".into());
        return Err(error);
    }
    Ok(())
}

/// `WxH`, each side between 256 and 2048 pixels, e.g. `1024x1024`.
pub fn parse_image_size(value: &str) -> Option<(u32, u32)> {
    let (width, height) = value.split_once('x')?;
    let side = |text: &str| -> Option<u32> {
        let n = text.parse::<u32>().ok().filter(|_| text.bytes().all(|b| b.is_ascii_digit()))?;
        (MIN_IMAGE_SIDE..=MAX_IMAGE_SIDE).contains(&n).then_some(n)
    };
    Some((side(width)?, side(height)?))
}

fn valid_image_size(value: &str) -> Result<(), ValidationError> {
    if parse_image_size(value).is_some() {
        return Ok(());
    }
    let mut error = ValidationError::new("image_size");
    error.message =
        Some(format!("Use WIDTHxHEIGHT, each between {MIN_IMAGE_SIDE} and {MAX_IMAGE_SIDE}, e.g. 1024x1024.").into());
    Err(error)
}

#[utoipa::path(get, path = "/api/v1/system/settings", tag = "system",
    responses((status = 200, description = "The account's AI settings (the defaults until saved).", body = Envelope<AiSettings>)))]
pub async fn read(State(state): State<Tenancy>, tenant: Tenant) -> ApiResult<Success<AiSettings>> {
    tenant.require(Access::Read)?;
    Ok(Success::ok(state.store.ai_settings(tenant.account_id()).await?))
}

/// Changes the fields given (PUT and PATCH alike); the rest keep their current values.
#[utoipa::path(method(put, patch), path = "/api/v1/system/settings", tag = "system", request_body = SettingsInput,
    responses((status = 200, description = "The saved settings.", body = Envelope<AiSettings>)))]
pub async fn update(
    State(state): State<SystemState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<SettingsInput>,
) -> ApiResult<Success<AiSettings>> {
    tenant.require(Access::Admin)?;
    let store = &state.tenancy.store;
    let mut settings = store.ai_settings(tenant.account_id()).await?;
    let before = settings.clone();
    if let Some(v) = input.text_provider {
        settings.text_provider = v;
    }
    if let Some(v) = input.model {
        settings.model = v.trim().to_owned();
    }
    if let Some(v) = input.temperature {
        settings.temperature = v;
    }
    if let Some(v) = input.max_tokens {
        settings.max_tokens = v;
    }
    if let Some(v) = input.image_provider {
        settings.image_provider = v;
    }
    if let Some(v) = input.image_model {
        settings.image_model = v.trim().to_owned();
    }
    if let Some(v) = input.image_size {
        settings.image_size = v;
    }
    if let Some(v) = input.image_quality {
        settings.image_quality = v;
    }
    if let Some(v) = input.image_style {
        settings.image_style = v.map(|s| s.trim().to_owned());
    }
    if let Some((width, height)) = parse_image_size(&settings.image_size) {
        image_options::check(&settings.image_provider, &settings.image_model, width, height, &settings.image_quality)
            .map_err(|(field, message)| ApiError::field(field, message))?;
    }
    let model_moved = settings.model != before.model || settings.text_provider != before.text_provider;
    if settings.text_provider == openai::NAME && model_moved {
        check_model_offered(&state, &tenant, &settings.model).await?;
    }
    settings.updated_at = now();
    store.save_ai_settings(&settings).await?;
    Ok(Success::ok(settings))
}

/// A model the configured endpoint does not offer is a field error. Without a key, or
/// when the endpoint cannot list its models, the model is taken as given (the job will
/// say what is wrong): settings must stay savable while a provider is down.
async fn check_model_offered(state: &SystemState, tenant: &Tenant, model: &str) -> ApiResult<()> {
    let Ok(client) = openai_client(state, tenant).await else {
        return Ok(());
    };
    match client.models().await {
        Ok(models) if !models.iter().any(|m| m == model) => {
            let shown: Vec<&str> = models.iter().map(String::as_str).take(20).collect();
            Err(ApiError::field(
                "model",
                format!("The endpoint does not offer {model}. It offers: {}.", shown.join(", ")),
            ))
        }
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, "models could not be listed; the model is saved unchecked");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_sizes() {
        assert_eq!(parse_image_size("1024x1024"), Some((1024, 1024)));
        assert_eq!(parse_image_size("256x2048"), Some((256, 2048)));
        for bad in ["1024", "1024x", "x1024", "255x1024", "1024x2049", "+512x512", "512X512", "1e3x512", "512x512x512"]
        {
            assert_eq!(parse_image_size(bad), None, "{bad}");
        }
    }
}
