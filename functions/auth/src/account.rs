//! The account (owner only) and the reference lists: plans and industries.

use axum::extract::{Path, State};
use igny8_http::{ApiError, ApiResult, JsonBody, Success, not_blank};
use igny8_store::{INDUSTRIES, Industry, PLANS, Plan, industry as find_industry};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::Deserialize;
use serde_json::Value;
use validator::Validate;

use crate::views;

#[derive(Debug, Deserialize, Validate)]
pub struct AccountInput {
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    name: String,
}

pub async fn read(tenant: Tenant) -> ApiResult<Success<Value>> {
    tenant.require(Access::Owner)?;
    Ok(Success::ok(views::account(&tenant.account)))
}

pub async fn update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<AccountInput>,
) -> ApiResult<Success<Value>> {
    tenant.require(Access::Owner)?;
    let account =
        state.store.rename_account(tenant.account_id(), input.name.trim()).await.map_err(ApiError::internal)?;
    Ok(Success::ok(views::account(&account)))
}

pub async fn plans(tenant: Tenant) -> ApiResult<Success<&'static [Plan]>> {
    tenant.require(Access::Read)?;
    Ok(Success::ok(PLANS))
}

pub async fn industries(tenant: Tenant) -> ApiResult<Success<&'static [Industry]>> {
    tenant.require(Access::Read)?;
    Ok(Success::ok(INDUSTRIES))
}

pub async fn industry(tenant: Tenant, Path(id): Path<String>) -> ApiResult<Success<&'static Industry>> {
    tenant.require(Access::Read)?;
    find_industry(&id).map(Success::ok).ok_or_else(|| ApiError::not_found("Industry"))
}
