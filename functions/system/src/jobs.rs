//! `jobs/` (alias `settings/task_progress/`): the state, phase and progress of AI jobs.
//! A job is visible to members who can see its site; any other id answers 404.

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_ai::jobs::JobView;
use igny8_http::openapi::{Envelope, Page, PageQuery};
use igny8_http::{ApiError, ApiResult, ListResponse, PageParams, QueryParams, Success};
use igny8_store::JobId;
use igny8_store::SiteId;
use igny8_store::{JobFunction, JobState};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::Deserialize;

#[utoipa::path(get, path = "/api/v1/system/jobs/{id}", tag = "system",
    params(("id" = String, Path, description = "The job's id.")),
    responses((status = 200, description = "The job with its progress.", body = Envelope<JobView>)))]
pub async fn read(State(state): State<Tenancy>, tenant: Tenant, Path(id): Path<JobId>) -> ApiResult<Success<JobView>> {
    tenant.require(Access::Read)?;
    match state.store.job(tenant.account_id(), &id).await? {
        Some(job) if tenant.sees_site(&job.site_id) => Ok(Success::ok(JobView::of(&job))),
        _ => Err(ApiError::not_found("Job")),
    }
}

/// The same as `jobs/{id}`, where the earlier API had it.
#[utoipa::path(get, path = "/api/v1/system/settings/task_progress/{id}", tag = "system",
    params(("id" = String, Path, description = "The job's id.")),
    responses((status = 200, description = "The job with its progress.", body = Envelope<JobView>)))]
pub async fn task_progress(state: State<Tenancy>, tenant: Tenant, id: Path<JobId>) -> ApiResult<Success<JobView>> {
    read(state, tenant, id).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobFilter {
    state: Option<JobState>,
    function: Option<JobFunction>,
    site_id: Option<SiteId>,
}

/// The account's jobs the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/system/jobs", tag = "system", params(PageQuery, JobFilter),
    responses((status = 200, description = "Jobs, newest first.", body = Page<JobView>)))]
pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<JobFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<JobView>> {
    tenant.require(Access::Read)?;
    page.check()?;
    let jobs = state.store.jobs(tenant.account_id()).await?;
    let views: Vec<JobView> = jobs
        .iter()
        .filter(|job| tenant.sees_site(&job.site_id))
        .filter(|job| filter.function.is_none_or(|f| job.function == f))
        .filter(|job| filter.site_id.as_deref().is_none_or(|s| job.site_id == s))
        .filter(|job| filter.state.is_none_or(|s| job.state == s))
        .map(JobView::of)
        .collect();
    Ok(ListResponse::paginate(views, &page, &uri))
}
