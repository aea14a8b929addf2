//! `/api/v1/automation/` (`docs/product.md §4` automation, `docs/automation.md`): rules,
//! their schedules, runs by hand, and the runs' history.

mod rules;
mod runs;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use igny8_automation::runner::Runner;
use igny8_automation::schedules::Schedules;
use igny8_http::HttpService;
use igny8_tenancy::Tenancy;

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

pub fn routes(state: AutomationState) -> Router {
    let a = "/api/v1/automation";
    Router::new()
        .route(&format!("{a}/rules"), get(rules::list).post(rules::create))
        .route(
            &format!("{a}/rules/{{id}}"),
            get(rules::read).put(rules::update).patch(rules::update).delete(rules::remove),
        )
        .route(&format!("{a}/rules/{{id}}/execute"), post(runs::execute))
        .route(&format!("{a}/runs"), get(runs::list))
        .route(&format!("{a}/runs/{{id}}"), get(runs::read))
        .with_state(state)
}

pub fn app(state: AutomationState) -> HttpService {
    igny8_http::into_service(routes(state))
}
