//! `/api/v1/automation/` (`docs/product.md §4` automation, `docs/automation.md`): rules,
//! their schedules, runs by hand, and the runs' history.

mod rules;
mod runs;

use axum::Router;
use axum::extract::FromRef;
use igny8_automation::runner::Runner;
use igny8_automation::schedules::Schedules;
use igny8_http::routes;
use igny8_http::{ApiRouter, HttpService};
use igny8_tenancy::Tenancy;
use utoipa::openapi::OpenApi;

#[derive(Clone)]
pub struct AutomationState {
    pub tenancy: Tenancy,
    pub schedules: Schedules,
    /// Starts runs by hand (`execute`).
    pub runner: Runner,
}

impl FromRef<AutomationState> for Tenancy {
    fn from_ref(state: &AutomationState) -> Self {
        state.tenancy.clone()
    }
}

/// The function's routes, each with its description (`docs/api-contract.md`).
fn api() -> ApiRouter<AutomationState> {
    ApiRouter::new()
        .routes(routes!(rules::list, rules::create))
        .routes(routes!(rules::read, rules::update, rules::remove))
        .routes(routes!(runs::execute))
        .routes(routes!(runs::list))
        .routes(routes!(runs::read))
}

pub fn routes(state: AutomationState) -> Router {
    api().into_router(state)
}

/// This function's part of the API document.
pub fn openapi() -> OpenApi {
    api().into_openapi()
}

pub fn app(state: AutomationState) -> HttpService {
    igny8_http::into_service(routes(state))
}
