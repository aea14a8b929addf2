//! `sync-logs/`: every call made to a site's WordPress (publish, sync, checklist,
//! structure) and every webhook received, newest first. Admin and up; `site_id` is
//! required; `content_id`, `job_id`, `type` and `ok` narrow the list.

use axum::extract::State;
use axum::http::Uri;
use igny8_http::openapi::{Page, PageQuery};
use igny8_http::{ApiError, ApiResult, ListResponse, PageParams, QueryParams};
use igny8_store::{ContentId, JobId, SiteId};
use igny8_store::{SyncKind, SyncLog};
use igny8_tenancy::{Access, Tenant};
use serde::Deserialize;

use crate::IntegrationState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogFilter {
    /// The site whose logs to list.
    #[param(required = true)]
    site_id: Option<SiteId>,
    content_id: Option<ContentId>,
    job_id: Option<JobId>,
    #[serde(rename = "type")]
    log_type: Option<SyncKind>,
    /// Only calls that succeeded (true) or failed (false).
    ok: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/integration/sync-logs", tag = "integration", params(PageQuery, LogFilter),
    responses((status = 200, description = "The site's WordPress calls and webhooks, newest first.", body = Page<SyncLog>)))]
pub async fn list(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<LogFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<SyncLog>> {
    tenant.require(Access::Admin)?;
    page.check()?;
    let site_id = filter.site_id.as_ref().ok_or_else(|| ApiError::field("site_id", "This parameter is required."))?;
    tenant.require_site(site_id)?;
    let store = &state.tenancy.store;
    if store.site(tenant.account_id(), site_id).await?.is_none() {
        return Err(ApiError::not_found("Site"));
    }
    let mut logs: Vec<SyncLog> = store.list_scope(tenant.account_id(), site_id, None).await?;
    logs.retain(|l| {
        filter.content_id.as_deref().is_none_or(|c| l.content_id.as_deref() == Some(c))
            && filter.job_id.as_deref().is_none_or(|j| l.job_id.as_deref() == Some(j))
            && filter.log_type.is_none_or(|k| l.log_type == k)
            && filter.ok.is_none_or(|ok| l.ok == ok)
    });
    logs.reverse();
    Ok(ListResponse::paginate(logs, &page, &uri))
}
