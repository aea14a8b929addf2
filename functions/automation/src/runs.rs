//! `rules/{id}/execute/` (a run by hand, 202) and `runs/`: per stage the items considered
//! and taken, the job, its state and credits, and why a run stopped.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use igny8_http::{ApiError, ApiResult, ListResponse, PageParams, QueryParams, Success};
use igny8_store::AutomationRun;
use igny8_tenancy::{Access, Tenant};
use serde::Deserialize;
use serde_json::Value;

use crate::AutomationState;
use crate::rules::find;

fn view(run: &AutomationRun) -> Value {
    serde_json::to_value(run).unwrap_or(Value::Null)
}

pub async fn execute(
    State(state): State<AutomationState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Success<Value>)> {
    tenant.require(Access::Write)?;
    let rule = find(&state, &tenant, &id).await?;
    let run = state
        .runner
        .fire(tenant.account_id(), &rule.id, "manual")
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("Rule"))?;
    Ok((StatusCode::ACCEPTED, Success::accepted(view(&run)).with_message("Run started.")))
}

#[derive(Debug, Deserialize)]
pub struct RunFilter {
    site_id: Option<String>,
    rule_id: Option<String>,
    state: Option<String>,
}

/// A site's runs (`site_id` required), newest first; `rule_id` and `state` narrow them.
pub async fn list(
    State(state): State<AutomationState>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<RunFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<Value>> {
    tenant.require(Access::Read)?;
    page.check()?;
    let mut runs: Vec<AutomationRun> = state.tenancy.list_in_scope(&tenant, filter.site_id.as_deref(), None).await?;
    runs.retain(|r| filter.rule_id.as_deref().is_none_or(|id| r.rule_id == id));
    runs.retain(|r| filter.state.as_deref().is_none_or(|s| view(r)["state"] == s));
    // Newest first across sectors too.
    runs.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
    Ok(ListResponse::paginate(runs.iter().map(view).collect(), &page, &uri))
}

pub async fn read(
    State(state): State<AutomationState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<Value>> {
    tenant.require(Access::Read)?;
    let run: AutomationRun = state.tenancy.find_scoped(&tenant, &id, "Run").await?;
    Ok(Success::ok(view(&run)))
}
