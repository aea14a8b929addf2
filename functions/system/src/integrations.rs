//! API keys of the AI providers (OpenAI, Runware): stored sealed, shown masked, never
//! returned in clear; and a check that a stored key works.

use std::time::Duration;

use axum::extract::{Path, State};
use igny8_ai::provider::openai::{self, OpenAiClient};
use igny8_ai::provider::runware::{self, RunwareClient};
use igny8_ai::provider::{CallPolicy, ProviderError};
use igny8_http::openapi::Envelope;
use igny8_http::{ApiError, ApiResult, JsonBody, Success, not_blank, nullable};
use igny8_store::{Integration, now};
use igny8_tenancy::secrets::mask;
use igny8_tenancy::{Access, Tenant};
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::SystemState;

/// A key check answers within the API Gateway timeout (30 s), retries included.
const CHECK_POLICY: CallPolicy = CallPolicy {
    timeout: Duration::from_secs(10),
    retries: 1,
    backoff: Duration::from_millis(250),
    max_backoff: Duration::from_secs(1),
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    OpenAi,
    Runware,
}

impl Provider {
    fn parse(name: &str) -> ApiResult<Self> {
        match name {
            openai::NAME => Ok(Provider::OpenAi),
            runware::NAME => Ok(Provider::Runware),
            _ => Err(ApiError::not_found("Integration")),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Provider::OpenAi => openai::NAME,
            Provider::Runware => runware::NAME,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Provider::OpenAi => "OpenAI",
            Provider::Runware => "Runware",
        }
    }

    fn default_base_url(self) -> &'static str {
        match self {
            Provider::OpenAi => openai::DEFAULT_BASE_URL,
            Provider::Runware => runware::DEFAULT_BASE_URL,
        }
    }
}

/// The key, and for OpenAI-compatible servers the base URL (null for OpenAI's own).
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct IntegrationInput {
    /// Required unless a key is stored already (then absent keeps it).
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    api_key: Option<String>,
    /// OpenAI only: an OpenAI-compatible server; `null` goes back to OpenAI's own.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 500), custom(function = "valid_base_url"))]
    #[schema(value_type = Option<String>)]
    base_url: Option<Option<String>>,
}

/// An absolute http(s) URL with a host and no credentials, query or fragment.
fn valid_base_url(value: &str) -> Result<(), ValidationError> {
    let ok = reqwest::Url::parse(value).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|h| !h.is_empty())
            && url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none()
    });
    if ok {
        return Ok(());
    }
    let mut error = ValidationError::new("url");
    error.message = Some("Use an http or https URL such as https://api.openai.com/v1.".into());
    Err(error)
}

/// What is shown of an integration: never the key, sealed or not.
/// A provider's integration; the key only ever masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IntegrationView {
    provider: &'static str,
    configured: bool,
    api_key_masked: Option<String>,
    base_url: Option<String>,
    default_base_url: &'static str,
    updated_at: Option<String>,
}

fn view(provider: Provider, integration: Option<Integration>) -> IntegrationView {
    let (api_key_masked, base_url, updated_at) = match integration {
        Some(i) => (Some(i.api_key_masked), i.base_url, Some(i.updated_at)),
        None => (None, None, None),
    };
    IntegrationView {
        provider: provider.name(),
        configured: api_key_masked.is_some(),
        api_key_masked,
        base_url,
        default_base_url: provider.default_base_url(),
        updated_at,
    }
}

#[utoipa::path(get, path = "/api/v1/system/settings/integrations/{provider}", tag = "system", params(("provider" = String, Path, description = "`openai` or `runware`.")),
    responses((status = 200, description = "The integration (not configured until a key is saved).", body = Envelope<IntegrationView>)))]
pub async fn read(
    State(state): State<SystemState>,
    tenant: Tenant,
    Path(provider): Path<String>,
) -> ApiResult<Success<IntegrationView>> {
    tenant.require(Access::Admin)?;
    let provider = Provider::parse(&provider)?;
    let stored = state.tenancy.store.integration(tenant.account_id(), provider.name()).await?;
    Ok(Success::ok(view(provider, stored)))
}

/// Stores the key (sealed) and base URL; fields left out keep their stored values.
#[utoipa::path(method(put, patch), path = "/api/v1/system/settings/integrations/{provider}", tag = "system",
    params(("provider" = String, Path, description = "`openai` or `runware`.")), request_body = IntegrationInput,
    responses((status = 200, description = "The saved integration.", body = Envelope<IntegrationView>)))]
pub async fn update(
    State(state): State<SystemState>,
    tenant: Tenant,
    Path(provider): Path<String>,
    JsonBody(input): JsonBody<IntegrationInput>,
) -> ApiResult<Success<IntegrationView>> {
    tenant.require(Access::Admin)?;
    let provider = Provider::parse(&provider)?;
    if provider != Provider::OpenAi && matches!(input.base_url, Some(Some(_))) {
        return Err(ApiError::field("base_url", "Only the OpenAI integration takes a base URL."));
    }
    let store = &state.tenancy.store;
    let stored = store.integration(tenant.account_id(), provider.name()).await?;
    // The stored key goes wherever the base URL points: moving it to another server
    // takes the key again, or anyone allowed to edit settings could collect the key.
    let new_url = input.base_url.as_ref().and_then(|u| u.as_deref()).map(|u| u.trim().trim_end_matches('/'));
    // A literal address we may not call is refused now; names are checked when resolved.
    if let Some(url) = new_url.and_then(|u| reqwest::Url::parse(u).ok()) {
        state.outbound.check_url(&url).map_err(|reason| ApiError::field("base_url", reason))?;
    }
    let old_url = stored.as_ref().and_then(|s| s.base_url.as_deref());
    if input.api_key.is_none() && new_url.is_some() && new_url != old_url {
        return Err(ApiError::field("api_key", "Give the API key again when the base URL changes."));
    }
    let (api_key_sealed, api_key_masked) = match (input.api_key, &stored) {
        (Some(key), _) => {
            let key = key.trim();
            (state.secrets.seal(key), mask(key))
        }
        (None, Some(stored)) => (stored.api_key_sealed.clone(), stored.api_key_masked.clone()),
        (None, None) => return Err(ApiError::field("api_key", "This field is required.")),
    };
    let base_url = match input.base_url {
        Some(url) => url.map(|u| u.trim().trim_end_matches('/').to_owned()),
        None => stored.as_ref().and_then(|s| s.base_url.clone()),
    };
    // What the endpoint's models take was learned from that endpoint only.
    let quirks = match stored {
        Some(s) if s.base_url == base_url => s.quirks,
        _ => Default::default(),
    };
    let integration = Integration {
        account_id: tenant.account_id().to_owned(),
        provider: provider.name().to_owned(),
        api_key_sealed,
        api_key_masked,
        base_url,
        quirks,
        updated_at: now(),
    };
    store.put_integration(&integration).await?;
    Ok(Success::ok(view(provider, Some(integration))))
}

/// Forgets the key. Answers the same whether one was stored or not.
#[utoipa::path(delete, path = "/api/v1/system/settings/integrations/{provider}", tag = "system", params(("provider" = String, Path, description = "`openai` or `runware`.")),
    responses((status = 200, description = "The integration, no longer configured.", body = Envelope<IntegrationView>)))]
pub async fn remove(
    State(state): State<SystemState>,
    tenant: Tenant,
    Path(provider): Path<String>,
) -> ApiResult<Success<IntegrationView>> {
    tenant.require(Access::Admin)?;
    let provider = Provider::parse(&provider)?;
    state.tenancy.store.delete_integration(tenant.account_id(), provider.name()).await?;
    Ok(Success::ok(view(provider, None)))
}

/// The models the configured OpenAI(-compatible) endpoint offers (`GET /models`), so the
/// web app can offer a choice. 400 `NOT_CONFIGURED` without a key; 502 when the endpoint
/// does not answer as expected.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelList {
    models: Vec<String>,
    count: usize,
}

/// What a provider check found. `ok: false` is still a 200: the check ran.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckView {
    ok: bool,
    provider: &'static str,
    /// Absent when the stored key could not be read (nothing was called).
    #[serde(skip_serializing_if = "Option::is_none")]
    base_url: Option<String>,
    /// What went wrong, without the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/system/settings/integrations/openai/models", tag = "system",
    responses(
        (status = 200, description = "The models the configured endpoint offers.", body = Envelope<ModelList>),
        (status = 502, description = "The endpoint did not list its models.", body = igny8_http::openapi::ErrorEnvelope),
    ))]
pub async fn openai_models(State(state): State<SystemState>, tenant: Tenant) -> ApiResult<Success<ModelList>> {
    tenant.require(Access::Admin)?;
    let client = openai_client(&state, &tenant).await?;
    let models = client.models().await.map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::BAD_GATEWAY,
            "PROVIDER_ERROR",
            format!("The models could not be listed: {e}"),
        )
    })?;
    Ok(Success::ok(ModelList { count: models.len(), models }))
}

/// A client for the account's OpenAI endpoint with its stored key.
pub(crate) async fn openai_client(state: &SystemState, tenant: &Tenant) -> ApiResult<OpenAiClient> {
    let stored = state
        .tenancy
        .store
        .integration(tenant.account_id(), openai::NAME)
        .await?
        .ok_or_else(|| ApiError::bad_request("NOT_CONFIGURED", "No OpenAI API key is configured."))?;
    let key = state.secrets.open(&stored.api_key_sealed).map_err(|_| {
        ApiError::bad_request(
            "NOT_CONFIGURED",
            "The stored key cannot be read (the encryption key changed?); save it again.",
        )
    })?;
    let base_url = stored.base_url.unwrap_or_else(|| openai::DEFAULT_BASE_URL.to_owned());
    Ok(OpenAiClient::new(state.http.clone(), base_url, key, CHECK_POLICY))
}

#[utoipa::path(post, path = "/api/v1/system/settings/integrations/openai/test_openai", tag = "system",
    responses((status = 200, description = "Whether the saved key and base URL work.", body = Envelope<CheckView>)))]
pub async fn test_openai(State(state): State<SystemState>, tenant: Tenant) -> ApiResult<Success<CheckView>> {
    check(&state, &tenant, Provider::OpenAi).await
}

#[utoipa::path(post, path = "/api/v1/system/settings/integrations/runware/test_runware", tag = "system",
    responses((status = 200, description = "Whether the saved key works.", body = Envelope<CheckView>)))]
pub async fn test_runware(State(state): State<SystemState>, tenant: Tenant) -> ApiResult<Success<CheckView>> {
    check(&state, &tenant, Provider::Runware).await
}

/// `test_openai`, where the earlier API had it.
#[utoipa::path(post, path = "/api/v1/system/settings/test_openai", tag = "system",
    responses((status = 200, description = "Whether the saved key and base URL work.", body = Envelope<CheckView>)))]
pub async fn test_openai_settings(State(state): State<SystemState>, tenant: Tenant) -> ApiResult<Success<CheckView>> {
    check(&state, &tenant, Provider::OpenAi).await
}

/// `test_runware`, where the earlier API had it.
#[utoipa::path(post, path = "/api/v1/system/settings/test_runware", tag = "system",
    responses((status = 200, description = "Whether the saved key works.", body = Envelope<CheckView>)))]
pub async fn test_runware_settings(State(state): State<SystemState>, tenant: Tenant) -> ApiResult<Success<CheckView>> {
    check(&state, &tenant, Provider::Runware).await
}

/// Calls the provider with the stored key: `{ok: true}`, or `{ok: false, error}` saying
/// why it failed (a bad key is an answer, not an error of this request).
async fn check(state: &SystemState, tenant: &Tenant, provider: Provider) -> ApiResult<Success<CheckView>> {
    tenant.require(Access::Admin)?;
    let stored = state.tenancy.store.integration(tenant.account_id(), provider.name()).await?.ok_or_else(|| {
        ApiError::bad_request("NOT_CONFIGURED", format!("No {} API key is configured.", provider.label()))
    })?;
    let key = match state.secrets.open(&stored.api_key_sealed) {
        Ok(key) => key,
        Err(e) => {
            tracing::error!(provider = provider.name(), error = %e, "stored API key cannot be opened");
            let error = "The stored key cannot be read (the encryption key changed?); save the key again.";
            let view = CheckView { ok: false, provider: provider.name(), base_url: None, error: Some(error.into()) };
            return Ok(Success::ok(view));
        }
    };
    let base_url = stored.base_url.clone().unwrap_or_else(|| provider.default_base_url().to_owned());
    let http = state.http.clone();
    let result = match provider {
        Provider::OpenAi => OpenAiClient::new(http, base_url.clone(), key.clone(), CHECK_POLICY).check().await,
        Provider::Runware => RunwareClient::new(http, base_url.clone(), key.clone(), CHECK_POLICY).check().await,
    };
    let error = result.err().map(|e| describe(&e, &key));
    Ok(Success::ok(CheckView { ok: error.is_none(), provider: provider.name(), base_url: Some(base_url), error }))
}

/// The provider's complaint, with the key masked should the provider have echoed it.
fn describe(error: &ProviderError, key: &str) -> String {
    let text = error.to_string();
    if key.len() >= 4 { text.replace(key, &mask(key)) } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        for good in ["https://api.openai.com/v1", "http://127.0.0.1:8080/v1", "https://llm.example.com"] {
            assert!(valid_base_url(good).is_ok(), "{good}");
        }
        for bad in
            ["ftp://x.com", "api.openai.com", "https://", "https://u:p@x.com", "https://x.com/?a=1", "javascript:x"]
        {
            assert!(valid_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn echoed_keys_are_masked() {
        let error = ProviderError::Refused { status: 401, message: "bad key sk-0123456789abcdefwxyz".into() };
        let text = describe(&error, "sk-0123456789abcdefwxyz");
        assert!(!text.contains("0123456789abcdef") && text.contains("sk-…wxyz"), "{text}");
    }
}
