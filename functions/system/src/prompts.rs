//! The prompt of each AI function: the account's own text, or the built-in default.

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_ai::prompts::{FUNCTIONS, default_prompt, placeholders};
use igny8_http::openapi::{Envelope, Page, PageQuery};
use igny8_http::{ApiError, ApiResult, JsonBody, ListResponse, PageParams, QueryParams, Success, not_blank};
use igny8_store::{PromptOverride, now};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::{Deserialize, Serialize};
use validator::Validate;

/// Longest prompt text an account may store.
const MAX_PROMPT_CHARS: u64 = 20_000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PromptView {
    function: &'static str,
    text: String,
    is_default: bool,
    /// What the engine fills in, e.g. `{keywords}`.
    placeholders: Vec<String>,
    default_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<String>,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct PromptInput {
    #[validate(length(min = 1, max = MAX_PROMPT_CHARS), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 20_000)]
    text: String,
}

/// The function's canonical name and default; 404 for a name that is not an AI function.
fn known(function: &str) -> ApiResult<(&'static str, &'static str)> {
    let name = FUNCTIONS.iter().find(|f| **f == function).ok_or_else(|| ApiError::not_found("AI function"))?;
    Ok((name, default_prompt(name).unwrap_or_default()))
}

fn view(function: &'static str, default_text: &'static str, custom: Option<PromptOverride>) -> PromptView {
    let placeholders = placeholders(function).iter().map(|p| format!("{{{p}}}")).collect();
    match custom {
        Some(custom) => PromptView {
            function,
            text: custom.text,
            is_default: false,
            placeholders,
            default_text,
            updated_at: Some(custom.updated_at),
        },
        None => PromptView {
            function,
            text: default_text.to_owned(),
            is_default: true,
            placeholders,
            default_text,
            updated_at: None,
        },
    }
}

/// Every AI function's prompt, in pipeline order.
#[utoipa::path(get, path = "/api/v1/system/prompts", tag = "system", params(PageQuery),
    responses((status = 200, description = "Every AI function's prompt, in pipeline order.", body = Page<PromptView>)))]
pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    uri: Uri,
) -> ApiResult<ListResponse<PromptView>> {
    tenant.require(Access::Read)?;
    page.check()?;
    let mut custom = state.store.prompt_overrides(tenant.account_id()).await?;
    let views = FUNCTIONS
        .iter()
        .map(|function| {
            let own = custom.iter().position(|c| c.function == *function).map(|i| custom.swap_remove(i));
            view(function, default_prompt(function).unwrap_or_default(), own)
        })
        .collect();
    Ok(ListResponse::paginate(views, &page, &uri))
}

#[utoipa::path(get, path = "/api/v1/system/prompts/{function}", tag = "system", params(("function" = String, Path, description = "An AI function: auto_cluster, generate_ideas, generate_content, generate_image_prompts or generate_images.")),
    responses((status = 200, description = "The function's prompt: the account's own or the default.", body = Envelope<PromptView>)))]
pub async fn read(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(function): Path<String>,
) -> ApiResult<Success<PromptView>> {
    tenant.require(Access::Read)?;
    let (function, default_text) = known(&function)?;
    let custom = state.store.prompt_override(tenant.account_id(), function).await?;
    Ok(Success::ok(view(function, default_text, custom)))
}

/// Saves the account's own text (admins).
#[utoipa::path(method(put, patch), path = "/api/v1/system/prompts/{function}", tag = "system", params(("function" = String, Path, description = "An AI function: auto_cluster, generate_ideas, generate_content, generate_image_prompts or generate_images.")),
    request_body = PromptInput,
    responses((status = 200, description = "The saved prompt.", body = Envelope<PromptView>)))]
pub async fn update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(function): Path<String>,
    JsonBody(input): JsonBody<PromptInput>,
) -> ApiResult<Success<PromptView>> {
    tenant.require(Access::Admin)?;
    let (function, default_text) = known(&function)?;
    let custom = PromptOverride {
        account_id: tenant.account_id().to_owned(),
        function: function.to_owned(),
        text: input.text,
        updated_at: now(),
    };
    state.store.put_prompt_override(&custom).await?;
    Ok(Success::ok(view(function, default_text, Some(custom))))
}

/// Drops the account's text: the built-in default applies again.
#[utoipa::path(post, path = "/api/v1/system/prompts/{function}/reset_to_default", tag = "system", params(("function" = String, Path, description = "An AI function: auto_cluster, generate_ideas, generate_content, generate_image_prompts or generate_images.")),
    responses((status = 200, description = "The default prompt, now in use.", body = Envelope<PromptView>)))]
pub async fn reset(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(function): Path<String>,
) -> ApiResult<Success<PromptView>> {
    tenant.require(Access::Admin)?;
    let (function, default_text) = known(&function)?;
    state.store.delete_prompt_override(tenant.account_id(), function).await?;
    Ok(Success::ok(view(function, default_text, None)).with_message("Prompt reset to the default."))
}
