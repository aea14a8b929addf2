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
use axum::routing::{delete, get, post};
use igny8_http::HttpService;
use igny8_tenancy::Tenancy;

pub fn routes(state: Tenancy) -> Router {
    Router::new()
        .route("/api/v1/auth/register", post(sessions::register))
        .route("/api/v1/auth/login", post(sessions::login))
        .route("/api/v1/auth/refresh", post(sessions::refresh))
        .route("/api/v1/auth/logout", post(sessions::logout))
        .route("/api/v1/auth/me", get(sessions::me))
        .route("/api/v1/auth/change-password", post(sessions::change_password))
        .route("/api/v1/auth/users", get(users::list).post(users::create))
        .route(
            "/api/v1/auth/users/{id}",
            get(users::read).put(users::update).patch(users::update).delete(users::remove),
        )
        .route("/api/v1/auth/account", get(account::read).put(account::update).patch(account::update))
        .route("/api/v1/auth/plans", get(account::plans))
        .route("/api/v1/auth/industries", get(account::industries))
        .route("/api/v1/auth/industries/{id}", get(account::industry))
        .route("/api/v1/auth/sites", get(sites::list).post(sites::create))
        .route(
            "/api/v1/auth/sites/{id}",
            get(sites::read).put(sites::update).patch(sites::update).delete(sites::remove),
        )
        .route("/api/v1/auth/sites/{id}/api-key", post(sites::rotate_api_key))
        .route("/api/v1/auth/sites/{id}/access", get(sites::access_list).post(sites::grant_access))
        .route("/api/v1/auth/sites/{id}/access/{user_id}", delete(sites::revoke_access))
        .route("/api/v1/auth/sectors", get(sectors::list).post(sectors::create))
        .route(
            "/api/v1/auth/sectors/{id}",
            get(sectors::read).put(sectors::update).patch(sectors::update).delete(sectors::remove),
        )
        .with_state(state)
}

pub fn app(state: Tenancy) -> HttpService {
    igny8_http::into_service(routes(state))
}
