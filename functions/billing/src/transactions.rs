//! Credit transactions (purchase, usage, refund, adjustment), newest first. Owner only.

use axum::extract::State;
use axum::http::Uri;
use igny8_http::openapi::{Page, PageQuery};
use igny8_http::{ApiResult, ListResponse, PageParams, QueryParams};
use igny8_store::{CreditTransaction, CreditTransactionType};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransactionFilter {
    transaction_type: Option<CreditTransactionType>,
}

#[utoipa::path(get, path = "/api/v1/billing/transactions", tag = "billing", params(PageQuery, TransactionFilter),
    responses((status = 200, description = "Credit transactions, newest first.", body = Page<CreditTransaction>)))]
pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<TransactionFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<CreditTransaction>> {
    tenant.require(Access::Owner)?;
    page.check()?;
    let all = state.store.credit_transactions(tenant.account_id()).await?;
    let transactions =
        all.into_iter().filter(|t| filter.transaction_type.is_none_or(|x| t.transaction_type == x)).collect();
    Ok(ListResponse::paginate(transactions, &page, &uri))
}
