//! What any member may see: the balance and the price of each operation.

use igny8_ai::pricing::{OperationPrice, price_list};
use igny8_http::{ApiResult, Success};
use igny8_tenancy::{Access, Tenant};
use serde_json::{Value, json};

/// The balance as the request's authentication read it (strongly consistent, this request).
pub async fn balance(tenant: Tenant) -> ApiResult<Success<Value>> {
    tenant.require(Access::Read)?;
    let account = &tenant.account;
    let plan = igny8_store::plan(&account.plan_id);
    Ok(Success::ok(json!({
        "credits": account.credits,
        "plan_id": account.plan_id,
        "plan_name": plan.map(|p| p.name),
        "monthly_credits": plan.map_or(0, |p| p.monthly_credits),
    })))
}

pub async fn costs(tenant: Tenant) -> ApiResult<Success<Vec<OperationPrice>>> {
    tenant.require(Access::Read)?;
    Ok(Success::ok(price_list()))
}
