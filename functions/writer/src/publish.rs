//! `content/{id}/publish/` and `content/bulk_publish/`: queue content for WordPress.
//! Editors and up; the site must have a WordPress integration. Answers 202 with a
//! publish job (shown at `system/jobs/{id}/` like AI jobs); no credits are charged.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use igny8_ai::jobs::{self, JobRequest, JobView};
use igny8_http::openapi::{Envelope, ErrorEnvelope};
use igny8_http::{ApiError, ApiResult, JsonBody, Success, parse_json};
use igny8_store::ContentId;
use igny8_store::JobFunction;
use igny8_store::{Content, PublishStatus};
use igny8_tenancy::{Access, Tenant};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use validator::Validate;

use crate::WriterState;

/// Articles in one publish job: each with its images fits the publisher's time.
const MAX_PER_JOB: usize = 50;

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishOptions {
    /// Overrides the integration's default status.
    status: Option<PublishStatus>,
    /// For `future` only, and then required: when, RFC 3339, in the future.
    date: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkPublishInput {
    /// Content of one site.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50)]
    ids: Vec<ContentId>,
    /// Overrides the integration's default status.
    status: Option<PublishStatus>,
    /// For `future` only, and then required: when, RFC 3339, in the future.
    date: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/writer/content/{id}/publish", tag = "writer",
    params(("id" = String, Path, description = "The content's id.")),
    request_body(content = Option<PublishOptions>, description = "Optional: an empty body publishes with the integration's defaults."),
    responses(
        (status = 202, description = "The publish job, queued.", body = Envelope<JobView>),
        (status = 409, description = "The site is not connected to WordPress (`NOT_CONNECTED`).", body = ErrorEnvelope),
    ))]
pub async fn publish_one(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path(id): Path<ContentId>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Success<JobView>)> {
    // The body is optional: an empty one publishes with the integration's defaults.
    let options: PublishOptions =
        if body.iter().all(u8::is_ascii_whitespace) { PublishOptions::default() } else { parse_json(&body)? };
    queue(&state, &tenant, vec![id], options.status, options.date).await
}

#[utoipa::path(post, path = "/api/v1/writer/content/bulk_publish", tag = "writer", request_body = BulkPublishInput,
    responses(
        (status = 202, description = "One publish job for the articles, queued.", body = Envelope<JobView>),
        (status = 409, description = "The site is not connected to WordPress (`NOT_CONNECTED`).", body = ErrorEnvelope),
    ))]
pub async fn bulk_publish(
    State(state): State<WriterState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<BulkPublishInput>,
) -> ApiResult<(StatusCode, Success<JobView>)> {
    queue(&state, &tenant, input.ids, input.status, input.date).await
}

async fn queue(
    state: &WriterState,
    tenant: &Tenant,
    ids: Vec<ContentId>,
    status: Option<PublishStatus>,
    date: Option<String>,
) -> ApiResult<(StatusCode, Success<JobView>)> {
    tenant.require(Access::Write)?;
    let mut options = serde_json::Map::new();
    if let Some(status) = status {
        options.insert("status".into(), json!(status));
    }
    match (status, date) {
        (Some(PublishStatus::Future), Some(date)) => options.insert("date_gmt".into(), json!(future_date(&date)?)),
        (Some(PublishStatus::Future), None) => return Err(ApiError::field("date", "A scheduled post needs a date.")),
        (_, Some(_)) => return Err(ApiError::field("date", "A date is only for status future.")),
        _ => None,
    };
    let articles: Vec<Content> = state.tenancy.find_all_scoped(tenant, &ids, "Content").await?;
    let site_id = jobs::one_site(articles.iter().map(|c| &c.site_id))?;
    let store = &state.tenancy.store;
    if store.wp_integration_of_site(tenant.account_id(), &site_id).await?.is_none() {
        return Err(ApiError::conflict(
            "NOT_CONNECTED",
            "Connect this site to WordPress first (integration/integrations/).",
        ));
    }
    let mut ids: Vec<String> = articles.iter().map(|c| c.id.to_string()).collect();
    ids.sort();
    ids.dedup();
    if ids.len() > MAX_PER_JOB {
        return Err(ApiError::field("ids", format!("At most {MAX_PER_JOB} articles per request.")));
    }
    let request = JobRequest {
        function: JobFunction::Publish,
        site_id,
        ids,
        options: Value::Object(options),
        estimated_credits: 0,
    };
    jobs::accept(store, &state.publish, tenant, request).await
}

/// `date` as WordPress's `date_gmt` (`YYYY-MM-DDTHH:MM:SS`, UTC); it must be ahead.
fn future_date(date: &str) -> ApiResult<String> {
    let parsed = chrono::DateTime::parse_from_rfc3339(date.trim())
        .map_err(|_| ApiError::field("date", "Use an RFC 3339 time such as 2027-01-31T09:00:00Z."))?
        .with_timezone(&chrono::Utc);
    if parsed <= chrono::Utc::now() {
        return Err(ApiError::field("date", "The date must be in the future."));
    }
    Ok(parsed.format("%Y-%m-%dT%H:%M:%S").to_string())
}
