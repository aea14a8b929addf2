//! `/api/v1/billing/`: the credit balance, operation prices, credit transactions, and
//! the usage log with its summary (`docs/product.md §4` billing). Credits are charged by
//! the AI engine (`igny8_store::Tx::charge`); this function only reads.

mod balance;
mod transactions;
mod usage;

use axum::Router;
use igny8_http::routes;
use igny8_http::{ApiRouter, HttpService};
use igny8_tenancy::Tenancy;
use utoipa::openapi::OpenApi;

/// The function's routes, each with its description (`docs/api-contract.md`).
fn api() -> ApiRouter<Tenancy> {
    ApiRouter::new()
        .routes(routes!(balance::balance))
        .routes(routes!(balance::costs))
        .routes(routes!(transactions::list))
        .routes(routes!(usage::list))
        .routes(routes!(usage::summary))
}

pub fn routes(tenancy: Tenancy) -> Router {
    api().into_router(tenancy)
}

/// This function's part of the API document.
pub fn openapi() -> OpenApi {
    api().into_openapi()
}

pub fn app(tenancy: Tenancy) -> HttpService {
    igny8_http::into_service(routes(tenancy))
}
