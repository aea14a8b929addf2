//! The writer's AI actions: `tasks/generate_content`, `content/generate_image_prompts`
//! and `images/generate_images`. Each validates its ids (another account's → 404),
//! then hands over to `igny8_ai::jobs::accept` (credits checked, job queued, 202).

use axum::extract::State;
use axum::http::StatusCode;
use igny8_ai::functions::DEFAULT_IN_ARTICLE_IMAGES;
use igny8_ai::jobs::{self, JobRequest, JobView, estimate};
use igny8_http::openapi::{Envelope, ErrorEnvelope};
use igny8_http::{ApiError, ApiResult, JsonBody, Success};
use igny8_store::JobFunction;
use igny8_store::{Content, Image, Task};
use igny8_store::{ContentId, Id, IdKind, ImageId, TaskId};
use igny8_tenancy::{Access, Tenant};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use validator::Validate;

use crate::WriterState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateContentInput {
    /// Tasks of one site, none with an article yet.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50)]
    ids: Vec<TaskId>,
    author_profile_id: Option<String>,
    strategy_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/writer/tasks/generate_content", tag = "writer", request_body = GenerateContentInput,
    responses(
        (status = 202, description = "The job that writes an article for each task, queued.", body = Envelope<JobView>),
        (status = 402, description = "The balance does not cover the job's estimated credits (`INSUFFICIENT_CREDITS`); nothing was queued.", body = ErrorEnvelope),
    ))]
pub async fn generate_content(
    State(state): State<WriterState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<GenerateContentInput>,
) -> ApiResult<(StatusCode, Success<JobView>)> {
    tenant.require(Access::Write)?;
    let tasks: Vec<Task> = state.tenancy.find_all_scoped(&tenant, &input.ids, "Task").await?;
    let site_id = jobs::one_site(tasks.iter().map(|t| &t.site_id))?;
    let written: Vec<&TaskId> = tasks.iter().filter(|t| t.content_id.is_some()).map(|t| &t.id).collect();
    if !written.is_empty() {
        let mut error = ApiError::field("ids", "These tasks have an article already; delete it to write a new one.");
        error.errors.insert("ids".into(), written.iter().map(|id| format!("{id} has an article already.")).collect());
        return Err(error);
    }
    let store = &state.tenancy.store;
    let options =
        jobs::guidance_options(store, &tenant, input.author_profile_id.as_deref(), input.strategy_id.as_deref())
            .await?;
    let request = JobRequest {
        function: JobFunction::GenerateContent,
        site_id,
        estimated_credits: estimate::content(tasks.iter().map(|t| t.word_count)),
        ids: sorted_ids(tasks.iter().map(|t| &t.id)),
        options: Value::Object(options),
    };
    jobs::accept(store, &state.jobs, &tenant, request).await
}

/// `tasks/generate_content` under its other name.
#[utoipa::path(post, path = "/api/v1/writer/tasks/auto_generate_content", tag = "writer", request_body = GenerateContentInput,
    responses(
        (status = 202, description = "The job that writes an article for each task, queued.", body = Envelope<JobView>),
        (status = 402, description = "The balance does not cover the job's estimated credits (`INSUFFICIENT_CREDITS`); nothing was queued.", body = ErrorEnvelope),
    ))]
pub async fn auto_generate_content(
    state: State<WriterState>,
    tenant: Tenant,
    input: JsonBody<GenerateContentInput>,
) -> ApiResult<(StatusCode, Success<JobView>)> {
    generate_content(state, tenant, input).await
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateImagePromptsInput {
    /// Content of one site.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50)]
    ids: Vec<ContentId>,
    /// Images inside the article besides the featured one.
    #[validate(range(max = 5))]
    #[schema(maximum = 5)]
    in_article_images: Option<u64>,
}

#[utoipa::path(post, path = "/api/v1/writer/content/generate_image_prompts", tag = "writer",
    request_body = GenerateImagePromptsInput,
    responses(
        (status = 202, description = "The job that writes the image prompts of each article, queued.", body = Envelope<JobView>),
        (status = 402, description = "The balance does not cover the job's estimated credits (`INSUFFICIENT_CREDITS`); nothing was queued.", body = ErrorEnvelope),
    ))]
pub async fn generate_image_prompts(
    State(state): State<WriterState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<GenerateImagePromptsInput>,
) -> ApiResult<(StatusCode, Success<JobView>)> {
    tenant.require(Access::Write)?;
    let articles: Vec<Content> = state.tenancy.find_all_scoped(&tenant, &input.ids, "Content").await?;
    let site_id = jobs::one_site(articles.iter().map(|c| &c.site_id))?;
    let in_article = input.in_article_images.unwrap_or(DEFAULT_IN_ARTICLE_IMAGES);
    let request = JobRequest {
        function: JobFunction::GenerateImagePrompts,
        site_id,
        estimated_credits: estimate::image_prompts(articles.len(), in_article),
        ids: sorted_ids(articles.iter().map(|c| &c.id)),
        options: json!({ "in_article_images": in_article }),
    };
    jobs::accept(&state.tenancy.store, &state.jobs, &tenant, request).await
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateImagesInput {
    /// Images of one site, each with a prompt.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_items = 1, max_items = 100)]
    ids: Vec<ImageId>,
}

#[utoipa::path(post, path = "/api/v1/writer/images/generate_images", tag = "writer", request_body = GenerateImagesInput,
    responses(
        (status = 202, description = "The job that makes each image from its prompt, queued.", body = Envelope<JobView>),
        (status = 402, description = "The balance does not cover the job's estimated credits (`INSUFFICIENT_CREDITS`); nothing was queued.", body = ErrorEnvelope),
    ))]
pub async fn generate_images(
    State(state): State<WriterState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<GenerateImagesInput>,
) -> ApiResult<(StatusCode, Success<JobView>)> {
    tenant.require(Access::Write)?;
    let images: Vec<Image> = state.tenancy.find_all_scoped(&tenant, &input.ids, "Image").await?;
    let site_id = jobs::one_site(images.iter().map(|i| &i.site_id))?;
    let unprompted: Vec<String> =
        images.iter().filter(|i| i.prompt.trim().is_empty()).map(|i| format!("{} has no prompt.", i.id)).collect();
    if !unprompted.is_empty() {
        let mut error = ApiError::field("ids", "Every image needs a prompt.");
        error.errors.insert("ids".into(), unprompted);
        return Err(error);
    }
    let store = &state.tenancy.store;
    let settings = store.ai_settings(tenant.account_id()).await?;
    let request = JobRequest {
        function: JobFunction::GenerateImages,
        site_id,
        estimated_credits: estimate::images(images.len(), &settings.image_provider, &settings.image_quality),
        ids: sorted_ids(images.iter().map(|i| &i.id)),
        options: json!({}),
    };
    jobs::accept(store, &state.jobs, &tenant, request).await
}

fn sorted_ids<'a, K: IdKind>(ids: impl Iterator<Item = &'a Id<K>>) -> Vec<String> {
    let mut ids: Vec<String> = ids.map(ToString::to_string).collect();
    ids.sort();
    ids
}
