//! The account (owner only) and the reference lists: plans and industries.

use axum::extract::{Path, State};
use igny8_http::openapi::Envelope;
use igny8_http::{ApiError, ApiResult, JsonBody, Success, not_blank};
use igny8_store::{INDUSTRIES, Industry, PLANS, Plan, industry as find_industry};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::Deserialize;
use validator::Validate;

use crate::views::{self, AccountView};

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct AccountInput {
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100)]
    name: String,
}

#[utoipa::path(get, path = "/api/v1/auth/account", tag = "auth",
    responses((status = 200, description = "The account.", body = Envelope<AccountView>)))]
pub async fn read(tenant: Tenant) -> ApiResult<Success<AccountView>> {
    tenant.require(Access::Owner)?;
    Ok(Success::ok(views::account(&tenant.account)))
}

#[utoipa::path(method(put, patch), path = "/api/v1/auth/account", tag = "auth", request_body = AccountInput,
    responses((status = 200, description = "The renamed account.", body = Envelope<AccountView>)))]
pub async fn update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<AccountInput>,
) -> ApiResult<Success<AccountView>> {
    tenant.require(Access::Owner)?;
    let account = state.store.rename_account(tenant.account_id(), input.name.trim()).await?;
    Ok(Success::ok(views::account(&account)))
}

#[utoipa::path(get, path = "/api/v1/auth/plans", tag = "auth",
    responses((status = 200, description = "The plans on offer and what each allows.", body = Envelope<Vec<Plan>>)))]
pub async fn plans(tenant: Tenant) -> ApiResult<Success<&'static [Plan]>> {
    tenant.require(Access::Read)?;
    Ok(Success::ok(PLANS))
}

#[utoipa::path(get, path = "/api/v1/auth/industries", tag = "auth",
    responses((status = 200, description = "The industries with their suggested sectors.", body = Envelope<Vec<Industry>>)))]
pub async fn industries(tenant: Tenant) -> ApiResult<Success<&'static [Industry]>> {
    tenant.require(Access::Read)?;
    Ok(Success::ok(INDUSTRIES))
}

#[utoipa::path(get, path = "/api/v1/auth/industries/{id}", tag = "auth",
    params(("id" = String, Path, description = "The industry's id.")),
    responses((status = 200, description = "The industry with its suggested sectors.", body = Envelope<Industry>)))]
pub async fn industry(tenant: Tenant, Path(id): Path<String>) -> ApiResult<Success<&'static Industry>> {
    tenant.require(Access::Read)?;
    find_industry(&id).map(Success::ok).ok_or_else(|| ApiError::not_found("Industry"))
}
