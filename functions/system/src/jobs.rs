//! `jobs/` (alias `settings/task_progress/`): the state, phase and progress of AI jobs.
//! A job is visible to members who can see its site; any other id answers 404.

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_ai::jobs::view;
use igny8_http::{ApiError, ApiResult, ListResponse, PageParams, QueryParams, Success};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::Deserialize;
use serde_json::Value;

pub async fn read(State(state): State<Tenancy>, tenant: Tenant, Path(id): Path<String>) -> ApiResult<Success<Value>> {
    tenant.require(Access::Read)?;
    match state.store.job(tenant.account_id(), &id).await.map_err(ApiError::internal)? {
        Some(job) if tenant.sees_site(&job.site_id) => Ok(Success::ok(view(&job))),
        _ => Err(ApiError::not_found("Job")),
    }
}

#[derive(Debug, Deserialize)]
pub struct JobFilter {
    state: Option<String>,
    function: Option<String>,
    site_id: Option<String>,
}

/// The account's jobs the caller may see, newest first.
pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<JobFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<Value>> {
    tenant.require(Access::Read)?;
    page.check()?;
    let jobs = state.store.jobs(tenant.account_id()).await.map_err(ApiError::internal)?;
    let wanted = |value: &str, filter: &Option<String>| filter.as_deref().is_none_or(|f| f == value);
    let views: Vec<Value> = jobs
        .iter()
        .filter(|job| tenant.sees_site(&job.site_id))
        .filter(|job| wanted(&job.function, &filter.function) && wanted(&job.site_id, &filter.site_id))
        .map(view)
        .filter(|v| wanted(v["state"].as_str().unwrap_or_default(), &filter.state))
        .collect();
    Ok(ListResponse::paginate(views, &page, &uri))
}
