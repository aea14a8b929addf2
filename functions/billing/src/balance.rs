//! What any member may see: the balance and the price of each operation.

use igny8_ai::pricing::{OperationPrice, price_list};
use igny8_http::openapi::Envelope;
use igny8_http::{ApiResult, Success};
use igny8_tenancy::{Access, Tenant};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceView {
    credits: i64,
    /// Held for accepted jobs that have not charged them yet.
    held: i64,
    /// What new jobs can count on: `credits - held`.
    available: i64,
    plan_id: String,
    /// Null when the account's plan is no longer offered.
    plan_name: Option<&'static str>,
    monthly_credits: u32,
}

/// The balance as the request's authentication read it (strongly consistent, this request).
#[utoipa::path(get, path = "/api/v1/billing/balance", tag = "billing",
    responses((status = 200, description = "The account's credits and plan.", body = Envelope<BalanceView>)))]
pub async fn balance(tenant: Tenant) -> ApiResult<Success<BalanceView>> {
    tenant.require(Access::Read)?;
    let account = &tenant.account;
    let plan = igny8_store::plan(&account.plan_id);
    Ok(Success::ok(BalanceView {
        credits: account.credits,
        held: account.held,
        available: account.credits - account.held,
        plan_id: account.plan_id.clone(),
        plan_name: plan.map(|p| p.name),
        monthly_credits: plan.map_or(0, |p| p.monthly_credits),
    }))
}

#[utoipa::path(get, path = "/api/v1/billing/costs", tag = "billing",
    responses((status = 200, description = "What each AI operation costs in credits.", body = Envelope<Vec<OperationPrice>>)))]
pub async fn costs(tenant: Tenant) -> ApiResult<Success<Vec<OperationPrice>>> {
    tenant.require(Access::Read)?;
    Ok(Success::ok(price_list()))
}
