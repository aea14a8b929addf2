//! `/api/v1/billing/`: the credit balance, operation prices, credit transactions, and
//! the usage log with its summary (`docs/product.md §4` billing). Credits are charged by
//! the AI engine (`igny8_store::Tx::charge`); this function only reads.

mod balance;
mod transactions;
mod usage;

use axum::Router;
use axum::routing::get;
use igny8_http::HttpService;
use igny8_tenancy::Tenancy;

pub fn routes(tenancy: Tenancy) -> Router {
    let b = "/api/v1/billing";
    Router::new()
        .route(&format!("{b}/balance"), get(balance::balance))
        .route(&format!("{b}/costs"), get(balance::costs))
        .route(&format!("{b}/transactions"), get(transactions::list))
        .route(&format!("{b}/usage"), get(usage::list))
        .route(&format!("{b}/usage/summary"), get(usage::summary))
        .with_state(tenancy)
}

pub fn app(tenancy: Tenancy) -> HttpService {
    igny8_http::into_service(routes(tenancy))
}
