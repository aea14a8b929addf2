//! `rules/{id}/execute/` (a run by hand, 202) and `runs/`: per stage the items considered
//! and taken, the job, its state and credits, and why a run stopped.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use igny8_http::openapi::{Envelope, Page, PageQuery};
use igny8_http::{ApiError, ApiResult, ListResponse, PageParams, QueryParams, Success};
use igny8_store::RunId;
use igny8_store::{AutomationRun, RunState};
use igny8_store::{RuleId, SiteId};
use igny8_tenancy::{Access, Tenant};
use serde::Deserialize;

use crate::AutomationState;
use crate::rules::find;

/// Runs the rule now, whether or not it is enabled. A rule with a run in progress gets a
/// `skipped` run instead.
#[utoipa::path(post, path = "/api/v1/automation/rules/{id}/execute", tag = "automation",
    params(("id" = String, Path, description = "The rule's id.")),
    responses((status = 202, description = "The run as it stands once started (`skipped` when another run of the rule was in progress).", body = Envelope<AutomationRun>)))]
pub async fn execute(
    State(state): State<AutomationState>,
    tenant: Tenant,
    Path(id): Path<RuleId>,
) -> ApiResult<(StatusCode, Success<AutomationRun>)> {
    tenant.require(Access::Write)?;
    let rule = find(&state, &tenant, &id).await?;
    let run =
        state.runner.fire(tenant.account_id(), &rule.id, "manual").await?.ok_or_else(|| ApiError::not_found("Rule"))?;
    Ok((StatusCode::ACCEPTED, Success::accepted(run).with_message("Run started.")))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunFilter {
    /// The site whose runs to list.
    #[param(required = true)]
    site_id: Option<SiteId>,
    /// Only this rule's runs.
    rule_id: Option<RuleId>,
    state: Option<RunState>,
}

/// A site's runs (`site_id` required), newest first; `rule_id` and `state` narrow them.
#[utoipa::path(get, path = "/api/v1/automation/runs", tag = "automation", params(PageQuery, RunFilter),
    responses((status = 200, description = "The site's runs, newest first.", body = Page<AutomationRun>)))]
pub async fn list(
    State(state): State<AutomationState>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<RunFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<AutomationRun>> {
    tenant.require(Access::Read)?;
    page.check()?;
    let mut runs: Vec<AutomationRun> = state.tenancy.list_in_scope(&tenant, filter.site_id.as_ref(), None).await?;
    runs.retain(|r| filter.rule_id.as_ref().is_none_or(|id| r.rule_id == *id));
    runs.retain(|r| filter.state.is_none_or(|s| r.state == s));
    // Newest first across sectors too.
    runs.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
    Ok(ListResponse::paginate(runs, &page, &uri))
}

#[utoipa::path(get, path = "/api/v1/automation/runs/{id}", tag = "automation",
    params(("id" = String, Path, description = "The run's id.")),
    responses((status = 200, description = "The run, stage by stage.", body = Envelope<AutomationRun>)))]
pub async fn read(
    State(state): State<AutomationState>,
    tenant: Tenant,
    Path(id): Path<RunId>,
) -> ApiResult<Success<AutomationRun>> {
    tenant.require(Access::Read)?;
    let run: AutomationRun = state.tenancy.find_scoped(&tenant, &id, "Run").await?;
    Ok(Success::ok(run))
}
