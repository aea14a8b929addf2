//! `/api/v1/auth/`: registration and sessions, users, the account, plans, sites (with
//! their API keys and access grants), sectors and industries (`docs/product.md §4` auth).
//!
//! `routes` is what the local gateway mounts; `app` is what Lambda runs.

mod account;
mod sectors;
mod sessions;
mod sites;
mod throttle;
mod users;
mod views;

use axum::Router;
use igny8_http::routes;
use igny8_http::{ApiRouter, HttpService};
use igny8_tenancy::Tenancy;
use utoipa::openapi::OpenApi;

/// The function's routes, each with its description (`docs/api-contract.md`).
fn api() -> ApiRouter<Tenancy> {
    ApiRouter::new()
        .routes(routes!(sessions::register))
        .routes(routes!(sessions::login))
        .routes(routes!(sessions::refresh))
        .routes(routes!(sessions::logout))
        .routes(routes!(sessions::me))
        .routes(routes!(sessions::change_password))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::read, users::update, users::remove))
        .routes(routes!(account::read, account::update))
        .routes(routes!(account::plans))
        .routes(routes!(account::industries))
        .routes(routes!(account::industry))
        .routes(routes!(sites::list, sites::create))
        .routes(routes!(sites::read, sites::update, sites::remove))
        .routes(routes!(sites::rotate_api_key))
        .routes(routes!(sites::access_list, sites::grant_access))
        .routes(routes!(sites::revoke_access))
        .routes(routes!(sectors::list, sectors::create))
        .routes(routes!(sectors::read, sectors::update, sectors::remove))
}

pub fn routes(state: Tenancy) -> Router {
    api().into_router(state)
}

/// This function's part of the API document.
pub fn openapi() -> OpenApi {
    api().into_openapi()
}

pub fn app(state: Tenancy) -> HttpService {
    igny8_http::into_service(routes(state))
}
